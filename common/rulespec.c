/* The rule grammar and the policy labels; see rulespec.h. */
#include "config.h"

#include "common/rulespec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/filter.h"
#include "common/ident.h"
#include "common/text.h"

/* What separates words. */
#define RULESPEC_SEPARATORS " \t"
/* How the hint for a refused host name reads. */
#define RULESPEC_NO_HOSTNAMES                                                                      \
	"hostnames are not allowed; use an address, a network, `container NAME` or `label K=V`"

/* One word of a rule: where it starts in the text, its length and its 1-based column. */
struct rulespec_word {
	const char *start;
	size_t length;
	size_t column;
};

/* The parse of one rule: the text, the cursor and what the clauses so far have said. */
struct rulespec_parser {
	const char *text;
	size_t length;
	size_t position;
	struct rulespec_rule *rule;
	struct rulespec_error *err;
	/* the keyword of each clause once seen (column 0: not yet) */
	struct rulespec_word seen_log, seen_on, seen_proto, seen_from, seen_to, seen_comment;
	struct rulespec_word first_port;
	/* the address clause read last, which a later port clause belongs to */
	struct rulespec_address *last_address;
	const char *last_by;
	/* what fixed the rule's family ("from", "proto icmp"), for when another clause disagrees */
	char family_by[24];
};

/* The protocols by name; several names may share one protocol, the first is canonical. */
static const struct {
	const char *name;
	enum rulespec_proto proto;
	int family; /* the only family it exists in, or 0 */
} rulespec_protos[] = {
    {"any", RULESPEC_PROTO_ANY, 0},
    {"all", RULESPEC_PROTO_ANY, 0},
    {"tcp", RULESPEC_PROTO_TCP, 0},
    {"udp", RULESPEC_PROTO_UDP, 0},
    {"sctp", RULESPEC_PROTO_SCTP, 0},
    {"icmp", RULESPEC_PROTO_ICMP, AF_INET},
    {"icmpv6", RULESPEC_PROTO_ICMPV6, AF_INET6},
    {"ipv6-icmp", RULESPEC_PROTO_ICMPV6, AF_INET6},
    {"igmp", RULESPEC_PROTO_IGMP, AF_INET},
};

/* The words that start a clause: never read as the address of from or to. */
static const char *const rulespec_keywords[] = {"log", "on",   "proto",	 "from",
						"to",  "port", "comment"};

static int rulespec_fail(struct rulespec_error *err, size_t column, const char *word,
			 size_t word_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Fills err (if non-NULL): the word it quotes, its column and the reason. */
static int rulespec_fail(struct rulespec_error *err, size_t column, const char *word,
			 size_t word_len, const char *fmt, ...)
{
	va_list args;

	if (err == NULL)
		return -1;
	memset(err, 0, sizeof(*err));
	err->column = column;
	if (word != NULL)
		text_sanitize(err->word, sizeof(err->word), word, word_len, '?');
	va_start(args, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, args);
	va_end(args);
	/* the reason quotes only canonical text, but keep the promise whatever it holds */
	text_sanitize_in_place(err->reason, NULL, '?');
	return -1;
}

/* Fails at a word of the rule. */
#define rulespec_fail_at(parser, word, ...)                                                        \
	rulespec_fail((parser)->err, (word)->column, (word)->start, (word)->length, __VA_ARGS__)

/* True when the word is exactly the NUL-terminated s. */
static bool rulespec_word_is(const struct rulespec_word *word, const char *s)
{
	return strlen(s) == word->length && memcmp(word->start, s, word->length) == 0;
}

/* True when the word is one of the keywords that start a clause. */
static bool rulespec_word_is_keyword(const struct rulespec_word *word)
{
	for (size_t i = 0; i < sizeof(rulespec_keywords) / sizeof(rulespec_keywords[0]); i++)
		if (rulespec_word_is(word, rulespec_keywords[i]))
			return true;
	return false;
}

/* Reads the next word into *word; false at the end of the text. */
static bool rulespec_next_word(struct rulespec_parser *parser, struct rulespec_word *word)
{
	const char *p = parser->text + parser->position;

	p += strspn(p, RULESPEC_SEPARATORS);
	parser->position = (size_t)(p - parser->text);
	if (*p == '\0')
		return false;
	word->start = p;
	word->length = strcspn(p, RULESPEC_SEPARATORS);
	word->column = parser->position + 1;
	parser->position += word->length;
	return true;
}

/* Refuses control characters (C0, DEL, C1), tabs aside, and malformed UTF-8 anywhere. */
static int rulespec_check_text(struct rulespec_parser *parser)
{
	const char *text = parser->text;
	size_t i = 0;

	while (i < parser->length) {
		unsigned char c = (unsigned char)text[i];
		uint32_t codepoint;
		size_t step = 1;
		const char *what = NULL;

		if (c == '\t') {
			/* a separator */
		} else if (c < 0x20 || c == 0x7f) {
			what = "control character";
		} else if (c >= 0x80) {
			step = text_utf8_next(text + i, parser->length - i, &codepoint);
			if (step == 0)
				what = "not valid UTF-8";
			else if (text_is_control_codepoint(codepoint))
				what = "control character";
		}
		if (what != NULL) {
			struct rulespec_word word;
			size_t start = i, end = i;

			while (start > 0 && strchr(RULESPEC_SEPARATORS, text[start - 1]) == NULL)
				start--;
			end += strcspn(text + end, RULESPEC_SEPARATORS);
			word.start = text + start;
			word.length = end - start;
			word.column = i + 1;
			return rulespec_fail_at(parser, &word, "%s", what);
		}
		i += step;
	}
	return 0;
}

/* Notes that a clause fixes the rule's family; fails if an earlier one fixed the other. */
static int rulespec_family(struct rulespec_parser *parser, const struct rulespec_word *word,
			   int family, const char *by)
{
	const char *name = family == AF_INET ? "IPv4" : "IPv6";
	const char *other = family == AF_INET ? "IPv6" : "IPv4";

	if (family == 0)
		return 0;
	if (parser->rule->family != 0 && parser->rule->family != family)
		return rulespec_fail_at(parser, word, "%s is %s, but %s is %s", by, name,
					parser->family_by, other);
	if (parser->rule->family == 0) {
		parser->rule->family = family;
		snprintf(parser->family_by, sizeof(parser->family_by), "%s", by);
	}
	return 0;
}

/* Fails when a clause's keyword comes a second time, else remembers it. */
static int rulespec_once(struct rulespec_parser *parser, struct rulespec_word *seen,
			 const struct rulespec_word *keyword)
{
	if (seen->column != 0)
		return rulespec_fail_at(parser, keyword, "%.*s given twice (first at column %zu)",
					(int)keyword->length, keyword->start, seen->column);
	*seen = *keyword;
	return 0;
}

/*
 * Reads the word a keyword needs; fails at the keyword when there is none,
 * or when it is a clause's keyword and keywords are not taken (an address
 * is missing in "from port 80", not named "port").
 */
static int rulespec_argument(struct rulespec_parser *parser, const struct rulespec_word *keyword,
			     const char *what, bool keywords_taken, struct rulespec_word *word)
{
	size_t position = parser->position;

	if (rulespec_next_word(parser, word) && (keywords_taken || !rulespec_word_is_keyword(word)))
		return 0;
	parser->position = position;
	return rulespec_fail_at(parser, keyword, "expected %s after %.*s", what,
				(int)keyword->length, keyword->start);
}

/* The interface of "on IFACE". */
static int rulespec_parse_on(struct rulespec_parser *parser, const struct rulespec_word *keyword)
{
	struct rulespec_word word;

	if (rulespec_once(parser, &parser->seen_on, keyword) < 0 ||
	    rulespec_argument(parser, keyword, "an interface name", true, &word) < 0)
		return -1;
	if (!ident_valid_ifname(word.start, word.length))
		return rulespec_fail_at(parser, &word,
					"not an interface name (1-15 bytes of printable ASCII, "
					"no '/' or ':', not . or ..)");
	memcpy(parser->rule->iface, word.start, word.length);
	parser->rule->iface[word.length] = '\0';
	return 0;
}

/* The protocol of "proto PROTO". */
static int rulespec_parse_proto(struct rulespec_parser *parser, const struct rulespec_word *keyword)
{
	struct rulespec_word word;
	char by[24];

	if (rulespec_once(parser, &parser->seen_proto, keyword) < 0 ||
	    rulespec_argument(parser, keyword, "a protocol", true, &word) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(rulespec_protos) / sizeof(rulespec_protos[0]); i++) {
		if (!rulespec_word_is(&word, rulespec_protos[i].name))
			continue;
		parser->rule->proto = rulespec_protos[i].proto;
		snprintf(by, sizeof(by), "proto %s", rulespec_proto_name(rulespec_protos[i].proto));
		return rulespec_family(parser, &word, rulespec_protos[i].family, by);
	}
	return rulespec_fail_at(
	    parser, &word, "unknown protocol; expected tcp, udp, sctp, icmp, icmpv6, igmp or any");
}

/* Reads the len decimal digits at s; -1 when there are none or others, 65536 past 5 digits. */
static long rulespec_port_number(const char *s, size_t len)
{
	long value = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (value <= 65535)
			value = value * 10 + (s[i] - '0');
	}
	return value > 65535 ? 65536 : value;
}

/* Parses one item of a port list, "P" or "LO-HI", at column. */
static int rulespec_port_item(struct rulespec_parser *parser, const struct rulespec_word *item,
			      struct rulespec_port_range *range)
{
	const char *dash = memchr(item->start, '-', item->length);
	size_t first_len = dash != NULL ? (size_t)(dash - item->start) : item->length;
	long first = rulespec_port_number(item->start, first_len);
	long last = first;

	if (dash != NULL)
		last = rulespec_port_number(dash + 1, item->length - first_len - 1);
	if (item->length == 0)
		return rulespec_fail_at(parser, item, "empty item in a port list");
	if (first < 0 || last < 0)
		return rulespec_fail_at(parser, item,
					"not a port: expected a number 1-65535 or a range LO-HI");
	if (first == 0 || first > 65535 || last == 0 || last > 65535)
		return rulespec_fail_at(parser, item, "port out of range 1-65535");
	if (first > last)
		return rulespec_fail_at(parser, item, "range runs backwards (%ld above %ld)", first,
					last);
	range->first = (uint16_t)first;
	range->last = (uint16_t)last;
	return 0;
}

/* The list of "port PORTS": items sorted, overlaps refused at the item written later. */
static int rulespec_parse_ports(struct rulespec_parser *parser, const struct rulespec_word *keyword,
				struct rulespec_ports *ports)
{
	struct rulespec_word word, items[RULESPEC_PORTS_MAX];
	size_t offset = 0;

	if (parser->first_port.column == 0)
		parser->first_port = *keyword;
	if (rulespec_argument(parser, keyword, "ports", true, &word) < 0)
		return -1;
	for (;;) {
		struct rulespec_word item;
		struct rulespec_port_range range;
		size_t at;

		item.start = word.start + offset;
		item.length = strcspn(item.start, ",");
		if (item.length > word.length - offset)
			item.length = word.length - offset;
		item.column = word.column + offset;
		if (ports->count == RULESPEC_PORTS_MAX)
			return rulespec_fail_at(parser, &item, "more than %d ports in one list",
						RULESPEC_PORTS_MAX);
		if (rulespec_port_item(parser, &item, &range) < 0)
			return -1;
		/* insert in order of first port, keeping the items' words beside */
		for (at = ports->count; at > 0 && ports->ranges[at - 1].first > range.first; at--) {
			ports->ranges[at] = ports->ranges[at - 1];
			items[at] = items[at - 1];
		}
		ports->ranges[at] = range;
		items[at] = item;
		ports->count++;
		offset += item.length;
		if (offset >= word.length)
			break;
		offset++; /* the comma */
		if (offset == word.length) {
			struct rulespec_word empty = {word.start + offset, 0, word.column + offset};
			return rulespec_fail_at(parser, &empty, "empty item in a port list");
		}
	}
	for (size_t i = 1; i < ports->count; i++) {
		const struct rulespec_port_range *a = &ports->ranges[i - 1], *b = &ports->ranges[i];
		const struct rulespec_word *later =
		    items[i].column > items[i - 1].column ? &items[i] : &items[i - 1];
		const struct rulespec_word *earlier =
		    later == &items[i] ? &items[i - 1] : &items[i];

		if (b->first <= a->last)
			return rulespec_fail_at(parser, later, "overlaps %.*s in the same list",
						(int)earlier->length, earlier->start);
	}
	return 0;
}

/* Sets an address clause to a copy of name; fails only when out of memory. */
static int rulespec_address_name(struct rulespec_parser *parser, struct rulespec_address *address,
				 enum rulespec_address_kind kind, const struct rulespec_word *word,
				 const char *prefix)
{
	size_t prefix_len = strlen(prefix);

	address->name = malloc(prefix_len + word->length + 1);
	if (address->name == NULL)
		return rulespec_fail_at(parser, word, "out of memory");
	memcpy(address->name, prefix, prefix_len);
	memcpy(address->name + prefix_len, word->start, word->length);
	address->name[prefix_len + word->length] = '\0';
	address->kind = kind;
	return 0;
}

/* "container NAME": Docker's name characters, an optional leading '/' dropped. */
static int rulespec_parse_container(struct rulespec_parser *parser,
				    const struct rulespec_word *keyword,
				    struct rulespec_address *address)
{
	struct rulespec_word word, name;

	if (rulespec_argument(parser, keyword, "a container name", true, &word) < 0)
		return -1;
	name = word;
	if (name.length > 1 && name.start[0] == '/') {
		name.start++;
		name.length--;
	}
	if (name.length > RULESPEC_CONTAINER_MAX)
		return rulespec_fail_at(parser, &word, "container name longer than %d bytes",
					RULESPEC_CONTAINER_MAX);
	if (!ident_valid_container_name(name.start, name.length))
		return rulespec_fail_at(parser, &word,
					"not a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)");
	return rulespec_address_name(parser, address, RULESPEC_ADDRESS_CONTAINER, &name, "");
}

/* A docker ps filter term, "KEY=VALUE" (prefix "") or the KEY[=VALUE] of "label" ("label="). */
static int rulespec_parse_filter(struct rulespec_parser *parser, const struct rulespec_word *word,
				 const char *prefix, struct rulespec_address *address)
{
	struct filter filter;
	char message[256];
	const char *equals;

	if (rulespec_address_name(parser, address, RULESPEC_ADDRESS_FILTER, word, prefix) < 0)
		return -1;
	equals = strchr(address->name, '=');
	if (equals == NULL || !filter_known_key(address->name, (size_t)(equals - address->name)))
		return rulespec_fail_at(parser, word,
					"unknown filter key; expected a docker ps filter such as "
					"name=NAME or label=KEY=VALUE");
	if (strncmp(address->name, "label==", 7) == 0 || strcmp(address->name, "label=") == 0)
		return rulespec_fail_at(parser, word, "empty label key");
	if (filter_parse(address->name, &filter, message, sizeof(message)) < 0)
		return rulespec_fail_at(parser, word, "%s", message);
	filter_free(&filter);
	return 0;
}

/* "@SET": a named address set. */
static int rulespec_parse_set(struct rulespec_parser *parser, const struct rulespec_word *word,
			      struct rulespec_address *address)
{
	static const char set_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"0123456789_-";
	struct rulespec_word name = {word->start + 1, word->length - 1, word->column + 1};

	if (name.length == 0 || name.length > RULESPEC_SET_MAX)
		return rulespec_fail_at(parser, word, "address set name must be 1-%d bytes",
					RULESPEC_SET_MAX);
	for (size_t i = 0; i < name.length; i++)
		if (strchr(set_chars, name.start[i]) == NULL)
			return rulespec_fail_at(parser, word,
						"not an address set name ([A-Za-z0-9_-]{1,%d})",
						RULESPEC_SET_MAX);
	return rulespec_address_name(parser, address, RULESPEC_ADDRESS_SET, &name, "");
}

/* True when every byte of s is one of chars (and there is at least one). */
static bool rulespec_all_of(const char *s, size_t len, const char *chars)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (strchr(chars, s[i]) == NULL)
			return false;
	return true;
}

/* Says why an address that does not parse is refused. */
static int rulespec_bad_address(struct rulespec_parser *parser, const struct rulespec_word *word,
				size_t address_len)
{
	static const char host_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789._-";

	if (memchr(word->start, ':', address_len) != NULL)
		return rulespec_fail_at(parser, word, "not a valid IPv6 address");
	if (rulespec_all_of(word->start, address_len, "0123456789."))
		return rulespec_fail_at(parser, word, "not a valid IPv4 address");
	if (address_len == word->length && rulespec_all_of(word->start, address_len, host_chars))
		return rulespec_fail_at(parser, word, RULESPEC_NO_HOSTNAMES);
	return rulespec_fail_at(parser, word,
				"not an address; expected any, an address, a network, "
				"container NAME, label K=V, a filter term or @SET");
}

/* Clears the bits of p past its length. */
static void rulespec_mask(struct prefix *p)
{
	uint8_t *bytes = p->family == AF_INET ? (uint8_t *)&p->addr.v4 : p->addr.v6.s6_addr;
	size_t total = p->family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < total; i++) {
		size_t bit = i * 8;
		if (bit >= p->length)
			bytes[i] = 0;
		else if (bit + 8 > p->length)
			bytes[i] &= (uint8_t)(0xff << (8 - (p->length - bit)));
	}
}

/* An address or a network "ADDR/LEN" with its host bits clear. */
static int rulespec_parse_net(struct rulespec_parser *parser, const struct rulespec_word *word,
			      const char *by, struct rulespec_address *address)
{
	char text[INET6_ADDRSTRLEN + 8], canonical[PREFIX_TEXT_MAX];
	const char *slash = memchr(word->start, '/', word->length);
	size_t address_len = slash != NULL ? (size_t)(slash - word->start) : word->length;
	struct prefix net, masked;
	int max;

	if (word->length >= sizeof(text))
		return rulespec_bad_address(parser, word, address_len);
	memcpy(text, word->start, word->length);
	text[word->length] = '\0';
	text[address_len] = '\0';
	if (prefix_parse_address(text, &net) < 0)
		return rulespec_bad_address(parser, word, address_len);
	if (slash != NULL) {
		text[address_len] = '/';
		max = net.family == AF_INET ? 32 : 128;
		if (prefix_parse_network(text, &net) < 0)
			return rulespec_fail_at(
			    parser, word, "not a valid prefix length (expected /0 to /%d)", max);
		masked = net;
		rulespec_mask(&masked);
		if (!prefix_equal(&masked, &net)) {
			prefix_format(&masked, canonical, sizeof(canonical));
			return rulespec_fail_at(parser, word, "host bits set; the network is %s",
						canonical);
		}
	}
	address->kind = RULESPEC_ADDRESS_NET;
	address->net = net;
	return rulespec_family(parser, word, net.family, by);
}

/* "from ADDR [port PORTS]" or "to ...". */
static int rulespec_parse_address(struct rulespec_parser *parser,
				  const struct rulespec_word *keyword,
				  struct rulespec_address *address, struct rulespec_word *seen)
{
	struct rulespec_word word, next;
	const char *by = keyword->start[0] == 'f' ? "from" : "to";
	size_t position;
	int rc;

	if (rulespec_once(parser, seen, keyword) < 0 ||
	    rulespec_argument(parser, keyword, "an address", false, &word) < 0)
		return -1;
	if (rulespec_word_is(&word, "any"))
		rc = 0;
	else if (rulespec_word_is(&word, "container"))
		rc = rulespec_parse_container(parser, &word, address);
	else if (rulespec_word_is(&word, "label"))
		rc = rulespec_argument(parser, &word, "a label KEY or KEY=VALUE", true, &next) < 0
			 ? -1
			 : rulespec_parse_filter(parser, &next, "label=", address);
	else if (word.start[0] == '@')
		rc = rulespec_parse_set(parser, &word, address);
	else if (memchr(word.start, '=', word.length) != NULL)
		rc = rulespec_parse_filter(parser, &word, "", address);
	else
		rc = rulespec_parse_net(parser, &word, by, address);
	if (rc < 0)
		return -1;
	parser->last_address = address;
	parser->last_by = by;
	position = parser->position;
	if (rulespec_next_word(parser, &next) && rulespec_word_is(&next, "port"))
		return rulespec_parse_ports(parser, &next, &address->ports);
	parser->position = position;
	return 0;
}

/* The text of "comment TEXT": a quoted string with \" and \\, or one plain word. */
static int rulespec_parse_comment(struct rulespec_parser *parser,
				  const struct rulespec_word *keyword)
{
	struct rulespec_word word;
	const char *p;
	char *out;
	size_t length = 0;

	if (rulespec_once(parser, &parser->seen_comment, keyword) < 0)
		return -1;
	parser->position += strspn(parser->text + parser->position, RULESPEC_SEPARATORS);
	p = parser->text + parser->position;
	if (*p == '\0')
		return rulespec_fail_at(parser, keyword, "expected text after comment");
	word.start = p;
	word.column = parser->position + 1;
	out = parser->rule->comment = malloc(parser->length - parser->position + 1);
	if (out == NULL)
		return rulespec_fail_at(parser, keyword, "out of memory");
	if (*p != '"') {
		word.length = strcspn(p, RULESPEC_SEPARATORS);
		if (memchr(p, '"', word.length) != NULL || memchr(p, '\\', word.length) != NULL)
			return rulespec_fail_at(parser, &word,
						"a comment holding quotes or backslashes must be "
						"quoted, with \\\" and \\\\");
		memcpy(out, p, word.length);
		length = word.length;
		parser->position += word.length;
	} else {
		const char *q = p + 1;

		for (; *q != '"'; q++) {
			if (*q == '\0') {
				word.length = (size_t)(q - p);
				return rulespec_fail_at(parser, &word,
							"comment without its closing quote");
			}
			if (*q == '\t') {
				struct rulespec_word tab = {q, 1, (size_t)(q - parser->text) + 1};
				return rulespec_fail_at(parser, &tab,
							"control character (tab) in a comment");
			}
			if (*q == '\\') {
				if (q[1] != '"' && q[1] != '\\') {
					struct rulespec_word escape = {
					    q, q[1] ? 2u : 1u, (size_t)(q - parser->text) + 1};
					return rulespec_fail_at(
					    parser, &escape, "unknown escape; only \\\" and \\\\");
				}
				q++;
			}
			out[length++] = *q;
		}
		word.length = (size_t)(q - p) + 1;
		parser->position += word.length;
		if (q[1] != '\0' && strchr(RULESPEC_SEPARATORS, q[1]) == NULL) {
			struct rulespec_word after = {q + 1, strcspn(q + 1, RULESPEC_SEPARATORS),
						      word.column + word.length};
			return rulespec_fail_at(parser, &after,
						"expected a space after the comment");
		}
	}
	out[length] = '\0';
	if (length == 0)
		return rulespec_fail_at(parser, &word, "empty comment");
	if (length > RULESPEC_COMMENT_MAX)
		return rulespec_fail_at(parser, &word, "comment longer than %d bytes",
					RULESPEC_COMMENT_MAX);
	return 0;
}

/* The action word and the clauses after it. */
static int rulespec_parse_clauses(struct rulespec_parser *parser)
{
	struct rulespec_rule *rule = parser->rule;
	struct rulespec_word word;

	if (!rulespec_next_word(parser, &word))
		return rulespec_fail(parser->err, 0, NULL, 0, "empty rule");
	if (rulespec_word_is(&word, "allow"))
		rule->action = RULESPEC_ALLOW;
	else if (rulespec_word_is(&word, "deny"))
		rule->action = RULESPEC_DENY;
	else if (rulespec_word_is(&word, "reject"))
		rule->action = RULESPEC_REJECT;
	else
		return rulespec_fail_at(parser, &word,
					"unknown action; a rule starts with allow, deny or reject");
	while (rulespec_next_word(parser, &word)) {
		int rc;

		if (rulespec_word_is(&word, "log")) {
			rc = rulespec_once(parser, &parser->seen_log, &word);
			rule->log = true;
		} else if (rulespec_word_is(&word, "on")) {
			rc = rulespec_parse_on(parser, &word);
		} else if (rulespec_word_is(&word, "proto")) {
			rc = rulespec_parse_proto(parser, &word);
		} else if (rulespec_word_is(&word, "from")) {
			rc = rulespec_parse_address(parser, &word, &rule->from, &parser->seen_from);
		} else if (rulespec_word_is(&word, "to")) {
			rc = rulespec_parse_address(parser, &word, &rule->to, &parser->seen_to);
		} else if (rulespec_word_is(&word, "comment")) {
			rc = rulespec_parse_comment(parser, &word);
		} else if (rulespec_word_is(&word, "port")) {
			/* "to name=plex proto tcp port 32400": the port of the address before */
			if (parser->last_address == NULL)
				rc = rulespec_fail_at(parser, &word,
						      "port must follow the address of from or to");
			else if (parser->last_address->ports.count > 0)
				rc = rulespec_fail_at(parser, &word, "%s has a port clause already",
						      parser->last_by);
			else
				rc = rulespec_parse_ports(parser, &word,
							  &parser->last_address->ports);
		} else {
			rc = rulespec_fail_at(parser, &word,
					      "unexpected word; expected log, on, proto, from, to "
					      "or comment");
		}
		if (rc < 0)
			return -1;
	}
	if (parser->first_port.column != 0 && rule->proto != RULESPEC_PROTO_TCP &&
	    rule->proto != RULESPEC_PROTO_UDP && rule->proto != RULESPEC_PROTO_SCTP) {
		if (rule->proto == RULESPEC_PROTO_ANY)
			return rulespec_fail_at(parser, &parser->first_port,
						"a port needs proto tcp, udp or sctp");
		return rulespec_fail_at(parser, &parser->first_port,
					"a port needs proto tcp, udp or sctp, not %s",
					rulespec_proto_name(rule->proto));
	}
	return 0;
}

/* Parses one rule; see rulespec.h. */
int rulespec_parse_rule(const char *text, struct rulespec_rule *out, struct rulespec_error *err)
{
	struct rulespec_parser parser;

	memset(out, 0, sizeof(*out));
	memset(&parser, 0, sizeof(parser));
	parser.text = text;
	parser.length = strlen(text);
	parser.rule = out;
	parser.err = err;
	if (parser.length > RULESPEC_RULE_MAX)
		return rulespec_fail(err, 0, NULL, 0, "rule longer than %d bytes (%zu)",
				     RULESPEC_RULE_MAX, parser.length);
	if (rulespec_check_text(&parser) < 0 || rulespec_parse_clauses(&parser) < 0) {
		rulespec_rule_free(out);
		return -1;
	}
	return 0;
}

/* The prefixes of policy labels, as rulespec_policy.source names them. */
static const char *const rulespec_sources[] = {"dcfw", "tjd"};

/* What a policy label's key names. */
enum rulespec_key_kind {
	RULESPEC_KEY_ENABLE,
	RULESPEC_KEY_INPUT_POLICY,
	RULESPEC_KEY_OUTPUT_POLICY,
	RULESPEC_KEY_RULE,
};

/* A policy label's key, read. */
struct rulespec_key {
	enum rulespec_key_kind kind;
	bool output;	 /* RULESPEC_KEY_RULE: an output rule */
	uint32_t number; /* RULESPEC_KEY_RULE: its N */
	size_t label;	 /* the label's index */
};

/* Fails naming a label, quoting word (NULL for none). */
static int rulespec_fail_label(struct rulespec_error *err, const char *key, const char *word,
			       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fills err for a label: its key, the value or word it quotes and the reason. */
static int rulespec_fail_label(struct rulespec_error *err, const char *key, const char *word,
			       const char *fmt, ...)
{
	va_list args;

	if (err == NULL)
		return -1;
	memset(err, 0, sizeof(*err));
	text_sanitize(err->key, sizeof(err->key), key, strlen(key), '?');
	if (word != NULL)
		text_sanitize(err->word, sizeof(err->word), word, strlen(word), '?');
	va_start(args, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, args);
	va_end(args);
	text_sanitize_in_place(err->reason, NULL, '?');
	return -1;
}

/* Which prefix a key belongs to (an index of rulespec_sources), or -1 for other labels. */
static int rulespec_key_source(const char *key)
{
	if (strncmp(key, "dcfw.", 5) == 0)
		return 0;
	if (strcmp(key, "tjd.enable") == 0 || strncmp(key, "tjd.input.", 10) == 0 ||
	    strncmp(key, "tjd.output.", 11) == 0)
		return 1;
	return -1;
}

/* Reads a policy label's key; rest is what follows the prefix and its dot. */
static int rulespec_read_key(const char *key, const char *rest, struct rulespec_key *out,
			     struct rulespec_error *err)
{
	const char *number;
	uint64_t value = 0;

	memset(out, 0, sizeof(*out));
	if (strcmp(rest, "enable") == 0) {
		out->kind = RULESPEC_KEY_ENABLE;
		return 0;
	}
	if (strcmp(rest, "input.policy") == 0 || strcmp(rest, "output.policy") == 0) {
		out->kind = rest[0] == 'i' ? RULESPEC_KEY_INPUT_POLICY : RULESPEC_KEY_OUTPUT_POLICY;
		return 0;
	}
	if (strncmp(rest, "input.rule.", 11) == 0)
		number = rest + 11;
	else if (strncmp(rest, "output.rule.", 12) == 0)
		number = rest + 12;
	else
		return rulespec_fail_label(err, key, NULL,
					   "unknown policy label; expected enable, input.policy, "
					   "output.policy, input.rule.N or output.rule.N");
	if (number[0] == '\0' || strspn(number, "0123456789") != strlen(number))
		return rulespec_fail_label(err, key, NULL, "rule number N must be decimal digits");
	for (const char *p = number; *p != '\0'; p++) {
		value = value * 10 + (uint64_t)(*p - '0');
		if (value > RULESPEC_NUMBER_MAX)
			return rulespec_fail_label(err, key, NULL, "rule number above %u",
						   RULESPEC_NUMBER_MAX);
	}
	out->kind = RULESPEC_KEY_RULE;
	out->output = rest[0] == 'o';
	out->number = (uint32_t)value;
	return 0;
}

/* Orders rule keys input first, then by number. */
static int rulespec_key_compare(const void *a, const void *b)
{
	const struct rulespec_key *x = a, *y = b;

	if (x->output != y->output)
		return x->output ? 1 : -1;
	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return x->label < y->label ? -1 : x->label > y->label;
}

/* Reads an enable value: 1 true, 0 false, -1 neither. */
static int rulespec_enable_value(const char *value)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(value, yes[i]) == 0)
			return 1;
		if (strcasecmp(value, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* Reads a default policy value into *action. */
static int rulespec_policy_value(const struct rulespec_label *label, enum rulespec_action *action,
				 struct rulespec_error *err)
{
	if (label == NULL)
		return 0;
	if (strcmp(label->value, "allow") == 0)
		*action = RULESPEC_ALLOW;
	else if (strcmp(label->value, "deny") == 0)
		*action = RULESPEC_DENY;
	else
		return rulespec_fail_label(err, label->key, label->value, "expected allow or deny");
	return 0;
}

/* Parses the sorted rule labels into the two chains. */
static int rulespec_parse_chains(const struct rulespec_label *labels,
				 const struct rulespec_key *keys, size_t count,
				 struct rulespec_policy *out, struct rulespec_error *err)
{
	size_t outputs = 0;

	for (size_t i = 0; i < count; i++)
		outputs += keys[i].output;
	if (count > outputs &&
	    (out->input.entries = calloc(count - outputs, sizeof(*out->input.entries))) == NULL)
		return rulespec_fail_label(err, labels[keys[0].label].key, NULL, "out of memory");
	if (outputs > 0 &&
	    (out->output.entries = calloc(outputs, sizeof(*out->output.entries))) == NULL)
		return rulespec_fail_label(err, labels[keys[0].label].key, NULL, "out of memory");
	for (size_t i = 0; i < count; i++) {
		struct rulespec_chain *chain = keys[i].output ? &out->output : &out->input;
		struct rulespec_entry *entry = &chain->entries[chain->count];
		const char *key = labels[keys[i].label].key;

		if (rulespec_parse_rule(labels[keys[i].label].value, &entry->rule, err) < 0) {
			if (err != NULL)
				text_sanitize(err->key, sizeof(err->key), key, strlen(key), '?');
			return -1;
		}
		entry->number = keys[i].number;
		chain->count++;
	}
	return 0;
}

/* Reads one container's policy labels; see rulespec.h. */
int rulespec_parse_labels(const struct rulespec_label *labels, size_t count,
			  struct rulespec_policy *out, struct rulespec_error *err)
{
	const struct rulespec_label *first = NULL, *enable = NULL, *policies[2] = {NULL, NULL};
	struct rulespec_key *keys = NULL;
	size_t rules = 0;
	int source = -1, enabled, rc = -1;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < count; i++) {
		const char *key = labels[i].key;
		int from = rulespec_key_source(key);
		struct rulespec_key read;

		if (from < 0)
			continue;
		if (source < 0) {
			source = from;
			first = &labels[i];
		} else if (from != source) {
			char shown[RULESPEC_SHOWN_MAX + 1];
			text_sanitize(shown, sizeof(shown), first->key, strlen(first->key), '?');
			rulespec_fail_label(err, key, NULL,
					    "dcfw. and tjd. policy labels on one container (also "
					    "%s); use one prefix",
					    shown);
			goto done;
		}
		if (rulespec_read_key(key, key + strlen(rulespec_sources[from]) + 1, &read, err) <
		    0)
			goto done;
		read.label = i;
		if (read.kind == RULESPEC_KEY_ENABLE || read.kind == RULESPEC_KEY_INPUT_POLICY ||
		    read.kind == RULESPEC_KEY_OUTPUT_POLICY) {
			const struct rulespec_label **slot =
			    read.kind == RULESPEC_KEY_ENABLE	     ? &enable
			    : read.kind == RULESPEC_KEY_INPUT_POLICY ? &policies[0]
								     : &policies[1];
			if (*slot != NULL) {
				rulespec_fail_label(err, key, NULL, "label given twice");
				goto done;
			}
			*slot = &labels[i];
			continue;
		}
		if (rules == RULESPEC_RULES_MAX) {
			rulespec_fail_label(err, key, NULL, "more than %d rules on one container",
					    RULESPEC_RULES_MAX);
			goto done;
		}
		if (keys == NULL && (keys = calloc(RULESPEC_RULES_MAX, sizeof(*keys))) == NULL) {
			rulespec_fail_label(err, key, NULL, "out of memory");
			goto done;
		}
		keys[rules++] = read;
	}
	rc = 0;
	if (source < 0)
		goto done;
	out->source = rulespec_sources[source];
	if (rules > 0)
		qsort(keys, rules, sizeof(*keys), rulespec_key_compare);
	for (size_t i = 1; i < rules; i++) {
		if (keys[i].output == keys[i - 1].output && keys[i].number == keys[i - 1].number) {
			const char *other = labels[keys[i - 1].label].key;
			char shown[RULESPEC_SHOWN_MAX + 1];

			text_sanitize(shown, sizeof(shown), other, strlen(other), '?');
			rc = rulespec_fail_label(err, labels[keys[i].label].key, NULL,
						 "rule number %u given twice (also %s)",
						 keys[i].number, shown);
			goto done;
		}
	}
	if (enable == NULL)
		goto done;
	enabled = rulespec_enable_value(enable->value);
	if (enabled < 0) {
		rc = rulespec_fail_label(err, enable->key, enable->value,
					 "expected true or false (or yes/no, on/off, 1/0)");
		goto done;
	}
	if (!enabled)
		goto done;
	out->enabled = true;
	out->input_policy = RULESPEC_DENY;
	out->output_policy = RULESPEC_ALLOW;
	if (rulespec_policy_value(policies[0], &out->input_policy, err) < 0 ||
	    rulespec_policy_value(policies[1], &out->output_policy, err) < 0 ||
	    rulespec_parse_chains(labels, keys, rules, out, err) < 0) {
		rc = -1;
		goto done;
	}
	rc = 1;
done:
	free(keys);
	if (rc < 0)
		rulespec_policy_free(out);
	return rc;
}

/* Releases the names and the comment. */
void rulespec_rule_free(struct rulespec_rule *rule)
{
	free(rule->from.name);
	free(rule->to.name);
	free(rule->comment);
	memset(rule, 0, sizeof(*rule));
}

/* Releases both chains' rules. */
void rulespec_policy_free(struct rulespec_policy *policy)
{
	for (size_t i = 0; i < policy->input.count; i++)
		rulespec_rule_free(&policy->input.entries[i].rule);
	for (size_t i = 0; i < policy->output.count; i++)
		rulespec_rule_free(&policy->output.entries[i].rule);
	free(policy->input.entries);
	free(policy->output.entries);
	memset(policy, 0, sizeof(*policy));
}

/* True when two optional strings are both NULL or equal. */
static bool rulespec_same_text(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* True when two address clauses mean the same. */
static bool rulespec_address_equal(const struct rulespec_address *a,
				   const struct rulespec_address *b)
{
	if (a->kind != b->kind || !rulespec_same_text(a->name, b->name) ||
	    a->ports.count != b->ports.count)
		return false;
	if (a->kind == RULESPEC_ADDRESS_NET && !prefix_equal(&a->net, &b->net))
		return false;
	for (size_t i = 0; i < a->ports.count; i++)
		if (a->ports.ranges[i].first != b->ports.ranges[i].first ||
		    a->ports.ranges[i].last != b->ports.ranges[i].last)
			return false;
	return true;
}

/* Compares every field. */
bool rulespec_rule_equal(const struct rulespec_rule *a, const struct rulespec_rule *b)
{
	return a->action == b->action && a->log == b->log && strcmp(a->iface, b->iface) == 0 &&
	       a->proto == b->proto && a->family == b->family &&
	       rulespec_address_equal(&a->from, &b->from) &&
	       rulespec_address_equal(&a->to, &b->to) && rulespec_same_text(a->comment, b->comment);
}

/* The keyword of an action. */
const char *rulespec_action_name(enum rulespec_action action)
{
	switch (action) {
	case RULESPEC_ALLOW:
		return "allow";
	case RULESPEC_DENY:
		return "deny";
	case RULESPEC_REJECT:
		return "reject";
	}
	return "?";
}

/* The canonical name of a protocol. */
const char *rulespec_proto_name(enum rulespec_proto proto)
{
	for (size_t i = 0; i < sizeof(rulespec_protos) / sizeof(rulespec_protos[0]); i++)
		if (rulespec_protos[i].proto == proto)
			return rulespec_protos[i].name;
	return "?";
}

/* A buffer being written: what fits goes in, overflow is remembered. */
struct rulespec_out {
	char *buf;
	size_t size;
	size_t length;
	bool overflow;
};

static void rulespec_put(struct rulespec_out *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends formatted text. */
static void rulespec_put(struct rulespec_out *out, const char *fmt, ...)
{
	va_list args;
	int n;

	if (out->overflow)
		return;
	va_start(args, fmt);
	n = vsnprintf(out->buf + out->length, out->size - out->length, fmt, args);
	va_end(args);
	if (n < 0 || (size_t)n >= out->size - out->length)
		out->overflow = true;
	else
		out->length += (size_t)n;
}

/* Appends " from ADDR [port PORTS]" unless the clause says nothing. */
static void rulespec_put_address(struct rulespec_out *out, const char *keyword,
				 const struct rulespec_address *address)
{
	char text[PREFIX_TEXT_MAX];
	bool host;

	if (address->kind == RULESPEC_ADDRESS_ANY && address->ports.count == 0)
		return;
	rulespec_put(out, " %s ", keyword);
	switch (address->kind) {
	case RULESPEC_ADDRESS_ANY:
		rulespec_put(out, "any");
		break;
	case RULESPEC_ADDRESS_NET:
		host = address->net.length == (address->net.family == AF_INET ? 32 : 128);
		if ((host ? prefix_format_address(&address->net, text, sizeof(text))
			  : prefix_format(&address->net, text, sizeof(text))) < 0)
			out->overflow = true;
		else
			rulespec_put(out, "%s", text);
		break;
	case RULESPEC_ADDRESS_CONTAINER:
		rulespec_put(out, "container %s", address->name);
		break;
	case RULESPEC_ADDRESS_FILTER:
		rulespec_put(out, "%s", address->name);
		break;
	case RULESPEC_ADDRESS_SET:
		rulespec_put(out, "@%s", address->name);
		break;
	}
	for (size_t i = 0; i < address->ports.count; i++) {
		const struct rulespec_port_range *range = &address->ports.ranges[i];

		rulespec_put(out, "%s%u", i == 0 ? " port " : ",", range->first);
		if (range->last != range->first)
			rulespec_put(out, "-%u", range->last);
	}
}

/* Writes the rule canonically; see rulespec.h. */
int rulespec_format_rule(const struct rulespec_rule *rule, char *buf, size_t size)
{
	struct rulespec_out out = {buf, size, 0, size == 0};

	rulespec_put(&out, "%s", rulespec_action_name(rule->action));
	if (rule->log)
		rulespec_put(&out, " log");
	if (rule->iface[0] != '\0')
		rulespec_put(&out, " on %s", rule->iface);
	if (rule->proto != RULESPEC_PROTO_ANY)
		rulespec_put(&out, " proto %s", rulespec_proto_name(rule->proto));
	rulespec_put_address(&out, "from", &rule->from);
	rulespec_put_address(&out, "to", &rule->to);
	if (rule->comment != NULL) {
		rulespec_put(&out, " comment \"");
		for (const char *p = rule->comment; *p != '\0'; p++)
			rulespec_put(&out, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
		rulespec_put(&out, "\"");
	}
	if (out.overflow) {
		if (size > 0)
			buf[0] = '\0';
		return -1;
	}
	return (int)out.length;
}

/* Writes "label KEY, column N ("WORD"): REASON", leaving out what is unset. */
size_t rulespec_error_format(const struct rulespec_error *err, char *buf, size_t size)
{
	struct rulespec_out out = {buf, size, 0, size == 0};

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (err->key[0] != '\0')
		rulespec_put(&out, "label %s", err->key);
	if (err->column != 0)
		rulespec_put(&out, "%scolumn %zu", out.length > 0 ? ", " : "", err->column);
	if (err->word[0] != '\0' || err->column != 0)
		rulespec_put(&out, "%s(\"%s\")", out.length > 0 ? " " : "", err->word);
	rulespec_put(&out, "%s%s", out.length > 0 ? ": " : "", err->reason);
	if (out.overflow)
		return strlen(buf);
	return out.length;
}
