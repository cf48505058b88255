/*
 * The iptables backend's ipsets (see backend-iptc-ipset.h): creating,
 * filling, swapping and destroying hash:net sets through a libipset
 * session, reading them back from its save output, and the name <-> index
 * lookups of the xt set match through getsockopt(SO_IP_SET).
 */
#include "config.h"

#include "tjd/backend-iptc-ipset.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libipset/data.h>
#include <libipset/linux_ip_set.h>
#include <libipset/session.h>
#include <libipset/types.h>

#include "common/error.h"
#include "common/log.h"
#include "common/textbuf.h"
#include "tjd/backend.h"

#define BACKEND_IPTC_IPSET_TYPE "hash:net"
/* The room a set gets unless it has more members: the kernel's default. */
#define BACKEND_IPTC_IPSET_MAXELEM 65536
/* What ends a twin's prefix instead of the live prefix's last character. */
#define BACKEND_IPTC_IPSET_TWIN '+'
/* Where the kernel shows that ip_set is there (built in or loaded). */
#define BACKEND_IPTC_IPSET_MODULE "/sys/module/ip_set"

_Static_assert(BACKEND_SET_PREFIX_MAX + RULE_SET_NAME_MAX <= IPSET_MAXNAMELEN,
	       "a prefixed set name must fit an ipset name");

/* A kernel set name, NUL-padded. */
typedef char backend_iptc_ipset_label[IPSET_MAXNAMELEN];

/* What prepare did to one set, so that undo can take it back. */
struct backend_iptc_ipset_step {
	bool swapped; /* the twin holds the old members; else the live set was created */
	backend_iptc_ipset_label live;
	backend_iptc_ipset_label twin;
};

/* A kernel index and the name of the set there, as looked up. */
struct backend_iptc_ipset_known {
	uint16_t index;
	backend_iptc_ipset_label name;
};

struct backend_iptc_ipset {
	char prefix[BACKEND_SET_PREFIX_MAX + 1];
	char twin_prefix[BACKEND_SET_PREFIX_MAX + 1];
	struct ipset_session *session; /* opened on first use */
	/* what the session printed for the last list or save */
	struct textbuf out;
	/* the SO_IP_SET socket (-1 until the first lookup) and the protocol it speaks */
	int sock;
	unsigned int version;
	/* every set name in the namespace, once listed, kept current as we change them */
	backend_iptc_ipset_label *names;
	size_t name_count, name_capacity;
	bool listed;
	struct backend_iptc_ipset_step *steps;
	size_t step_count, step_capacity;
	struct backend_iptc_ipset_known *known;
	size_t known_count, known_capacity;
};

/* One set as read back: its header and members. */
struct backend_iptc_ipset_content {
	int family;   /* AF_INET or AF_INET6; 0 when not a hash:net set of either */
	bool foreign; /* the header or a member carries an option this backend never writes */
	struct prefix *members;
	size_t count, capacity;
	bool commented, uncommented; /* some member has a comment; some has none */
	bool comments_differ;
	char comment[RULE_COMMENT_MAX]; /* the first member's comment */
};

struct backend_iptc_ipset *backend_iptc_ipset_new(const char *prefix)
{
	struct backend_iptc_ipset *ipset;
	size_t length = strlen(prefix);

	if (length == 0 || length > BACKEND_SET_PREFIX_MAX)
		return NULL;
	ipset = calloc(1, sizeof(*ipset));
	if (ipset == NULL)
		return NULL;
	memcpy(ipset->prefix, prefix, length);
	memcpy(ipset->twin_prefix, prefix, length);
	ipset->twin_prefix[length - 1] = BACKEND_IPTC_IPSET_TWIN;
	ipset->sock = -1;
	return ipset;
}

void backend_iptc_ipset_free(struct backend_iptc_ipset *ipset)
{
	if (ipset == NULL)
		return;
	if (ipset->session != NULL)
		ipset_session_fini(ipset->session);
	if (ipset->sock >= 0)
		close(ipset->sock);
	free(ipset->out.data);
	free(ipset->names);
	free(ipset->steps);
	free(ipset->known);
	free(ipset);
}

/* Whether the kernel has ip_set at all; without it there can be no set of ours. */
static bool backend_iptc_ipset_loaded(void)
{
	return access(BACKEND_IPTC_IPSET_MODULE, F_OK) == 0;
}

/* Grows an array of `size`-byte items to hold one more; -1 when out of memory. */
static int backend_iptc_ipset_grow(void **items, size_t *capacity, size_t count, size_t size)
{
	size_t bigger;
	void *grown;

	if (count < *capacity)
		return 0;
	bigger = *capacity ? *capacity * 2 : 16;
	grown = reallocarray(*items, bigger, size);
	if (grown == NULL)
		return -1;
	*items = grown;
	*capacity = bigger;
	return 0;
}

/* libipset's output function: collects what a list or save prints. */
static int __attribute__((format(printf, 3, 4)))
backend_iptc_ipset_print(struct ipset_session *session, void *p, const char *fmt, ...)
{
	struct backend_iptc_ipset *ipset = p;
	va_list args;

	(void)session;
	va_start(args, fmt);
	textbuf_vadd(&ipset->out, fmt, args);
	va_end(args);
	return ipset->out.failed ? -1 : 0;
}

/* The session, its data cleared for a new command; NULL with err set when out of memory. */
static struct ipset_session *backend_iptc_ipset_session(struct backend_iptc_ipset *ipset, char *err,
							size_t errlen)
{
	if (ipset->session == NULL) {
		ipset_load_types();
		ipset->session = ipset_session_init(backend_iptc_ipset_print, ipset);
		if (ipset->session == NULL) {
			error_format(err, errlen, "out of memory opening an ipset session");
			return NULL;
		}
	}
	ipset_data_reset(ipset_session_data(ipset->session));
	ipset_session_report_reset(ipset->session);
	return ipset->session;
}

/* Turns libipset's last report into err, prefixed with what was being done, and forgets it. */
static void backend_iptc_ipset_report(struct backend_iptc_ipset *ipset, const char *what, char *err,
				      size_t errlen)
{
	const char *message = ipset_session_report_msg(ipset->session);
	size_t length = strlen(message);

	while (length > 0 && (message[length - 1] == '\n' || message[length - 1] == ' '))
		length--;
	if (length == 0)
		error_format(err, errlen, "%s: libipset failed without saying why", what);
	else
		error_format(err, errlen, "%s: %.*s", what, (int)length, message);
	ipset_session_report_reset(ipset->session);
}

/*
 * Sends the command the session's data describes (lineno > 0: an element
 * of a batch, held back until IPSET_CMD_NONE here sends the batch); 0, or
 * -1 with err saying what was being done (a printf format) and what the
 * kernel or libipset answered.
 */
static int __attribute__((format(printf, 6, 7)))
backend_iptc_ipset_run(struct backend_iptc_ipset *ipset, enum ipset_cmd cmd, uint32_t lineno,
		       char *err, size_t errlen, const char *what, ...)
{
	char doing[128];
	va_list args;
	int failed = cmd == IPSET_CMD_NONE ? ipset_commit(ipset->session)
					   : ipset_cmd(ipset->session, cmd, lineno);

	if (failed >= 0 && ipset_session_report_type(ipset->session) != IPSET_ERROR &&
	    !ipset->out.failed) {
		ipset_session_report_reset(ipset->session);
		return 0;
	}
	va_start(args, what);
	vsnprintf(doing, sizeof(doing), what, args);
	va_end(args);
	if (ipset->out.failed)
		error_format(err, errlen, "%s: out of memory", doing);
	else
		backend_iptc_ipset_report(ipset, doing, err, errlen);
	return -1;
}

/* The ruleset name in a kernel name that starts with `prefix`, or NULL. */
static const char *backend_iptc_ipset_strip(const char *prefix, const char *kernel_name)
{
	size_t length = strlen(prefix);

	if (strncmp(kernel_name, prefix, length) != 0 || !rule_set_name_valid(kernel_name + length))
		return NULL;
	return kernel_name + length;
}

/* The kernel name of ruleset set `name`: its live set, or its twin. */
static void backend_iptc_ipset_kernel_name(const struct backend_iptc_ipset *ipset, bool twin,
					   const char *name, backend_iptc_ipset_label out)
{
	memset(out, 0, IPSET_MAXNAMELEN);
	snprintf(out, IPSET_MAXNAMELEN, "%s%.*s", twin ? ipset->twin_prefix : ipset->prefix,
		 RULE_SET_NAME_MAX - 1, name);
}

/* Where `name` is in the list of the namespace's sets, or -1. */
static ssize_t backend_iptc_ipset_find(const struct backend_iptc_ipset *ipset, const char *name)
{
	for (size_t i = 0; i < ipset->name_count; i++)
		if (strncmp(ipset->names[i], name, IPSET_MAXNAMELEN) == 0)
			return (ssize_t)i;
	return -1;
}

/* Adds a name to the list of the namespace's sets; -1 when out of memory. */
static int backend_iptc_ipset_remember(struct backend_iptc_ipset *ipset, const char *name)
{
	if (backend_iptc_ipset_find(ipset, name) >= 0)
		return 0;
	if (backend_iptc_ipset_grow((void **)&ipset->names, &ipset->name_capacity,
				    ipset->name_count, sizeof(*ipset->names)) < 0)
		return -1;
	memset(ipset->names[ipset->name_count], 0, IPSET_MAXNAMELEN);
	snprintf(ipset->names[ipset->name_count], IPSET_MAXNAMELEN, "%s", name);
	ipset->name_count++;
	return 0;
}

/* Drops a name from the list of the namespace's sets. */
static void backend_iptc_ipset_forget(struct backend_iptc_ipset *ipset, const char *name)
{
	ssize_t at = backend_iptc_ipset_find(ipset, name);

	if (at < 0)
		return;
	memmove(ipset->names[at], ipset->names[at + 1],
		(ipset->name_count - (size_t)at - 1) * sizeof(*ipset->names));
	ipset->name_count--;
}

/* Lists the name of every set in the namespace (ipset list -name); 0, or -1 with err set. */
static int backend_iptc_ipset_list(struct backend_iptc_ipset *ipset, char *err, size_t errlen)
{
	struct ipset_session *session = backend_iptc_ipset_session(ipset, err, errlen);
	char *line, *save = NULL;
	int failed;

	if (session == NULL)
		return -1;
	ipset->out.length = 0;
	ipset->out.failed = false;
	ipset->name_count = 0;
	ipset_envopt_set(session, IPSET_ENV_LIST_SETNAME);
	ipset_session_output(session, IPSET_LIST_PLAIN);
	failed = backend_iptc_ipset_run(ipset, IPSET_CMD_LIST, 0, err, errlen, "listing ipsets");
	ipset_envopt_unset(session, IPSET_ENV_LIST_SETNAME);
	if (failed < 0)
		return -1;
	for (line = ipset->out.length > 0 ? strtok_r(ipset->out.data, "\n", &save) : NULL;
	     line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strlen(line) >= IPSET_MAXNAMELEN)
			continue;
		if (backend_iptc_ipset_remember(ipset, line) < 0) {
			error_format(err, errlen, "out of memory listing ipsets");
			return -1;
		}
	}
	ipset->listed = true;
	return 0;
}

/* Orders prefixes for qsort. */
static int backend_iptc_ipset_compare_prefixes(const void *a, const void *b)
{
	return prefix_compare(a, b);
}

/* Reads one member line ("ELEMENT[ OPTIONS]") into the content. */
static void backend_iptc_ipset_parse_member(char *text, struct backend_iptc_ipset_content *content)
{
	static const char comment_option[] = "comment \"";
	const size_t option_length = sizeof(comment_option) - 1;
	char *options = strchr(text, ' ');
	struct prefix member;
	const char *comment;
	size_t length;

	if (options != NULL)
		*options++ = '\0';
	if (prefix_parse(text, &member) < 0 || member.family != content->family ||
	    backend_iptc_ipset_grow((void **)&content->members, &content->capacity, content->count,
				    sizeof(*content->members)) < 0) {
		content->foreign = true;
		return;
	}
	content->members[content->count++] = member;
	if (options == NULL) {
		content->uncommented = true;
		return;
	}
	/* only `comment "TEXT"`: nomatch, a timeout or counters are not ours */
	length = strlen(options);
	if (length <= option_length || strncmp(options, comment_option, option_length) != 0 ||
	    options[length - 1] != '"' || length - option_length - 1 >= RULE_COMMENT_MAX) {
		content->foreign = true;
		return;
	}
	comment = options + option_length;
	length -= option_length + 1;
	if (!content->commented && !content->uncommented)
		snprintf(content->comment, sizeof(content->comment), "%.*s", (int)length, comment);
	else if (!content->commented || strlen(content->comment) != length ||
		 strncmp(content->comment, comment, length) != 0)
		content->comments_differ = true;
	content->commented = true;
}

/* Reads the create line's type, family and options into the content. */
static void backend_iptc_ipset_parse_header(char *text, struct backend_iptc_ipset_content *content)
{
	char *save = NULL;
	char *type = strtok_r(text, " ", &save);
	bool hash_net = type != NULL && strcmp(type, BACKEND_IPTC_IPSET_TYPE) == 0;
	int family = 0;

	for (char *option = strtok_r(NULL, " ", &save); option != NULL;
	     option = strtok_r(NULL, " ", &save)) {
		if (strcmp(option, "comment") == 0)
			continue;
		if (strcmp(option, "family") == 0 || strcmp(option, "hashsize") == 0 ||
		    strcmp(option, "maxelem") == 0 || strcmp(option, "bucketsize") == 0 ||
		    strcmp(option, "initval") == 0) {
			const char *value = strtok_r(NULL, " ", &save);

			if (value != NULL && strcmp(option, "family") == 0)
				family = strcmp(value, "inet") == 0    ? AF_INET
					 : strcmp(value, "inet6") == 0 ? AF_INET6
								       : 0;
			continue;
		}
		content->foreign = true;
	}
	content->family = hash_net ? family : 0;
}

/* Reads one set back (ipset save NAME); 0, or -1 with err set. */
static int backend_iptc_ipset_load(struct backend_iptc_ipset *ipset, const char *kernel_name,
				   struct backend_iptc_ipset_content *content, char *err,
				   size_t errlen)
{
	struct ipset_session *session = backend_iptc_ipset_session(ipset, err, errlen);
	size_t name_length = strlen(kernel_name);
	char *line, *save = NULL;

	memset(content, 0, sizeof(*content));
	if (session == NULL)
		return -1;
	ipset->out.length = 0;
	ipset->out.failed = false;
	ipset_session_output(session, IPSET_LIST_SAVE);
	ipset_session_data_set(session, IPSET_SETNAME, kernel_name);
	if (backend_iptc_ipset_run(ipset, IPSET_CMD_SAVE, 0, err, errlen, "reading ipset %s",
				   kernel_name) < 0)
		return -1;
	for (line = ipset->out.length > 0 ? strtok_r(ipset->out.data, "\n", &save) : NULL;
	     line != NULL; line = strtok_r(NULL, "\n", &save)) {
		bool create = strncmp(line, "create ", 7) == 0;
		bool add = strncmp(line, "add ", 4) == 0;
		char *rest = line + (create ? 7 : 4);

		if ((!create && !add) || strncmp(rest, kernel_name, name_length) != 0 ||
		    rest[name_length] != ' ') {
			content->foreign = true;
			continue;
		}
		rest += name_length + 1;
		if (create)
			backend_iptc_ipset_parse_header(rest, content);
		else
			backend_iptc_ipset_parse_member(rest, content);
	}
	if (content->count > 1) /* an empty set has no member array */
		qsort(content->members, content->count, sizeof(*content->members),
		      backend_iptc_ipset_compare_prefixes);
	return 0;
}

/* Tells whether a set read back holds exactly what `named` asks for, as this backend writes it. */
static bool backend_iptc_ipset_matches(const struct backend_iptc_ipset_content *content,
				       const struct ruleset *desired,
				       const struct rule_addrset *named)
{
	if (content->family != named->family || content->foreign || content->count != named->count)
		return false;
	for (size_t m = 0; m < named->count; m++)
		if (!prefix_equal(&content->members[m], &desired->members[named->first + m]))
			return false;
	if (named->comment[0] == '\0')
		return !content->commented;
	return content->count == 0 ||
	       (!content->uncommented && !content->comments_differ &&
		strncmp(content->comment, named->comment, RULE_COMMENT_MAX) == 0);
}

/* Forgets every index looked up: creating or destroying a set may change them. */
static void backend_iptc_ipset_unknow(struct backend_iptc_ipset *ipset)
{
	ipset->known_count = 0;
}

/* Destroys one set; 0, or -1 with err set (it is in use, say). */
static int backend_iptc_ipset_destroy(struct backend_iptc_ipset *ipset, const char *kernel_name,
				      char *err, size_t errlen)
{
	struct ipset_session *session = backend_iptc_ipset_session(ipset, err, errlen);

	if (session == NULL)
		return -1;
	backend_iptc_ipset_unknow(ipset);
	ipset_session_data_set(session, IPSET_SETNAME, kernel_name);
	if (backend_iptc_ipset_run(ipset, IPSET_CMD_DESTROY, 0, err, errlen, "destroying ipset %s",
				   kernel_name) < 0)
		return -1;
	backend_iptc_ipset_forget(ipset, kernel_name);
	return 0;
}

/*
 * Creates `kernel_name` as a hash:net set of `named`'s family and adds its
 * members, each with the set's comment, in batches; 0, or -1 with err set
 * (a set half made is destroyed again).
 */
static int backend_iptc_ipset_create(struct backend_iptc_ipset *ipset, const char *kernel_name,
				     const struct ruleset *desired,
				     const struct rule_addrset *named, char *err, size_t errlen)
{
	struct ipset_session *session = backend_iptc_ipset_session(ipset, err, errlen);
	uint8_t family = named->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	uint32_t maxelem = named->count > BACKEND_IPTC_IPSET_MAXELEM ? (uint32_t)named->count
								     : BACKEND_IPTC_IPSET_MAXELEM;
	const struct ipset_type *type;
	char undo[256];

	if (session == NULL)
		return -1;
	backend_iptc_ipset_unknow(ipset);
	ipset_session_data_set(session, IPSET_SETNAME, kernel_name);
	ipset_session_data_set(session, IPSET_OPT_TYPENAME, BACKEND_IPTC_IPSET_TYPE);
	ipset_session_data_set(session, IPSET_OPT_FAMILY, &family);
	type = ipset_type_get(session, IPSET_CMD_CREATE);
	if (type == NULL) {
		backend_iptc_ipset_report(
		    ipset, "creating an ipset of type " BACKEND_IPTC_IPSET_TYPE, err, errlen);
		return -1;
	}
	ipset_session_data_set(session, IPSET_OPT_MAXELEM, &maxelem);
	/* a flag: libipset only looks at whether it is set */
	ipset_session_data_set(session, IPSET_OPT_CREATE_COMMENT, &family);
	if (backend_iptc_ipset_run(ipset, IPSET_CMD_CREATE, 0, err, errlen, "creating ipset %s",
				   kernel_name) < 0)
		return -1;
	if (backend_iptc_ipset_remember(ipset, kernel_name) < 0) {
		error_format(err, errlen, "out of memory");
		goto undo;
	}
	for (size_t m = 0; m < named->count; m++) {
		const struct prefix *member = &desired->members[named->first + m];

		ipset_data_reset(ipset_session_data(session));
		ipset_session_data_set(session, IPSET_SETNAME, kernel_name);
		ipset_session_data_set(session, IPSET_OPT_TYPE, type);
		ipset_session_data_set(session, IPSET_OPT_FAMILY, &family);
		ipset_session_data_set(session, IPSET_OPT_IP, &member->addr);
		ipset_session_data_set(session, IPSET_OPT_CIDR, &member->length);
		if (named->comment[0] != '\0')
			ipset_session_data_set(session, IPSET_OPT_ADT_COMMENT, named->comment);
		if (backend_iptc_ipset_run(ipset, IPSET_CMD_ADD, (uint32_t)m + 1, err, errlen,
					   "filling ipset %s", kernel_name) < 0)
			goto undo;
	}
	if (backend_iptc_ipset_run(ipset, IPSET_CMD_NONE, 0, err, errlen, "filling ipset %s",
				   kernel_name) < 0)
		goto undo;
	return 0;
undo:
	if (backend_iptc_ipset_destroy(ipset, kernel_name, undo, sizeof(undo)) < 0)
		log_warnx("%s", undo);
	return -1;
}

/* Exchanges two sets' contents (names and indices stay); 0, or -1 with err set. */
static int backend_iptc_ipset_swap(struct backend_iptc_ipset *ipset, const char *from,
				   const char *to, char *err, size_t errlen)
{
	struct ipset_session *session = backend_iptc_ipset_session(ipset, err, errlen);

	if (session == NULL)
		return -1;
	ipset_session_data_set(session, IPSET_SETNAME, from);
	ipset_session_data_set(session, IPSET_OPT_SETNAME2, to);
	return backend_iptc_ipset_run(ipset, IPSET_CMD_SWAP, 0, err, errlen,
				      "swapping ipset %s with %s", from, to);
}

/* Records what prepare did; -1 when out of memory. */
static int backend_iptc_ipset_record(struct backend_iptc_ipset *ipset, bool swapped,
				     const char *live, const char *twin)
{
	struct backend_iptc_ipset_step *step;

	if (backend_iptc_ipset_grow((void **)&ipset->steps, &ipset->step_capacity,
				    ipset->step_count, sizeof(*ipset->steps)) < 0)
		return -1;
	step = &ipset->steps[ipset->step_count++];
	memset(step, 0, sizeof(*step));
	step->swapped = swapped;
	snprintf(step->live, sizeof(step->live), "%s", live);
	snprintf(step->twin, sizeof(step->twin), "%s", twin);
	return 0;
}

/*
 * Makes one set of `desired` hold its members: created when missing,
 * replaced when of another type or family, else refilled through a twin
 * and a swap when it differs.  0, or -1 with err set.
 */
static int backend_iptc_ipset_prepare_one(struct backend_iptc_ipset *ipset,
					  const struct ruleset *desired,
					  const struct rule_addrset *named, bool *changed,
					  char *err, size_t errlen)
{
	struct backend_iptc_ipset_content content;
	backend_iptc_ipset_label live, twin;
	char reason[256];
	int ret = -1;

	backend_iptc_ipset_kernel_name(ipset, false, named->name, live);
	backend_iptc_ipset_kernel_name(ipset, true, named->name, twin);
	if (backend_iptc_ipset_find(ipset, live) < 0) {
		if (backend_iptc_ipset_create(ipset, live, desired, named, err, errlen) < 0)
			return -1;
		*changed = true;
		if (backend_iptc_ipset_record(ipset, false, live, "") < 0) {
			error_format(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	if (backend_iptc_ipset_load(ipset, live, &content, err, errlen) < 0)
		goto out;
	if (backend_iptc_ipset_matches(&content, desired, named)) {
		ret = 0;
		goto out;
	}
	*changed = true;
	if (content.family != named->family) {
		/* a swap keeps type and family: only a new set can change them */
		if (backend_iptc_ipset_destroy(ipset, live, reason, sizeof(reason)) < 0) {
			error_format(err, errlen,
				     "ipset %s is not a %s set of family %s and cannot be "
				     "replaced: %s",
				     live, BACKEND_IPTC_IPSET_TYPE,
				     named->family == AF_INET ? "inet" : "inet6", reason);
			goto out;
		}
		ret = backend_iptc_ipset_create(ipset, live, desired, named, err, errlen);
		goto out;
	}
	/* a twin left over from an apply that never finished */
	if (backend_iptc_ipset_find(ipset, twin) >= 0 &&
	    backend_iptc_ipset_destroy(ipset, twin, err, errlen) < 0)
		goto out;
	if (backend_iptc_ipset_create(ipset, twin, desired, named, err, errlen) < 0)
		goto out;
	if (backend_iptc_ipset_swap(ipset, twin, live, err, errlen) < 0) {
		if (backend_iptc_ipset_destroy(ipset, twin, reason, sizeof(reason)) < 0)
			log_warnx("%s", reason);
		goto out;
	}
	if (backend_iptc_ipset_record(ipset, true, live, twin) < 0) {
		error_format(err, errlen, "out of memory");
		goto out;
	}
	ret = 0;
out:
	free(content.members);
	return ret;
}

int backend_iptc_ipset_prepare(struct backend_iptc_ipset *ipset, const struct ruleset *desired,
			       bool *changed, char *err, size_t errlen)
{
	*changed = false;
	if (desired->set_count == 0 && !backend_iptc_ipset_loaded())
		return 0;
	if (backend_iptc_ipset_list(ipset, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < desired->set_count; i++)
		if (backend_iptc_ipset_prepare_one(ipset, desired, &desired->sets[i], changed, err,
						   errlen) < 0)
			return -1;
	return 0;
}

void backend_iptc_ipset_undo(struct backend_iptc_ipset *ipset)
{
	char err[256];

	for (size_t i = ipset->step_count; i-- > 0;) {
		const struct backend_iptc_ipset_step *step = &ipset->steps[i];

		if (step->swapped &&
		    backend_iptc_ipset_swap(ipset, step->twin, step->live, err, sizeof(err)) < 0) {
			log_warnx("putting the old members back: %s", err);
			continue;
		}
		if (backend_iptc_ipset_destroy(ipset, step->swapped ? step->twin : step->live, err,
					       sizeof(err)) < 0)
			log_warnx("%s", err);
	}
	ipset->step_count = 0;
}

/*
 * Destroys every set of ours the list names except the live sets of
 * `keep` (NULL: none): twins, and live sets no rule refers to any more.
 * Returns how many the kernel refused, with the first refusal in err;
 * *changed when one went.
 */
static size_t backend_iptc_ipset_sweep(struct backend_iptc_ipset *ipset, const struct ruleset *keep,
				       bool *changed, char *err, size_t errlen)
{
	size_t refused = 0;

	/* backwards: destroying drops the name from the list */
	for (size_t i = ipset->name_count; i-- > 0;) {
		backend_iptc_ipset_label name;
		const char *live;
		char reason[256];

		memcpy(name, ipset->names[i], sizeof(name));
		live = backend_iptc_ipset_strip(ipset->prefix, name);
		if (live == NULL && backend_iptc_ipset_strip(ipset->twin_prefix, name) == NULL)
			continue;
		if (live != NULL && keep != NULL && ruleset_find_set(keep, live) != NULL)
			continue;
		if (backend_iptc_ipset_destroy(ipset, name, reason, sizeof(reason)) < 0) {
			if (refused++ == 0)
				error_format(err, errlen, "%s", reason);
			continue;
		}
		*changed = true;
	}
	return refused;
}

void backend_iptc_ipset_finish(struct backend_iptc_ipset *ipset, const struct ruleset *desired,
			       bool *changed)
{
	char err[256];

	ipset->step_count = 0;
	if (!ipset->listed)
		return; /* prepare found no ip_set in the kernel */
	if (backend_iptc_ipset_sweep(ipset, desired, changed, err, sizeof(err)) > 0)
		log_warnx("%s; tjd tries again on its next apply", err);
}

int backend_iptc_ipset_clear(struct backend_iptc_ipset *ipset, char *err, size_t errlen)
{
	bool changed = false;

	if (!backend_iptc_ipset_loaded())
		return 0;
	if (backend_iptc_ipset_list(ipset, err, errlen) < 0)
		return -1;
	return backend_iptc_ipset_sweep(ipset, NULL, &changed, err, errlen) > 0 ? -1 : 0;
}

/* Orders set names for qsort. */
static int backend_iptc_ipset_compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int backend_iptc_ipset_read(struct backend_iptc_ipset *ipset, struct ruleset *out, char *err,
			    size_t errlen)
{
	backend_iptc_ipset_label *ours = NULL;
	size_t count = 0;
	int ret = -1;

	if (!backend_iptc_ipset_loaded())
		return 0;
	if (backend_iptc_ipset_list(ipset, err, errlen) < 0)
		return -1;
	ours = calloc(ipset->name_count + 1, sizeof(*ours));
	if (ours == NULL) {
		error_format(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < ipset->name_count; i++) {
		const char *name = backend_iptc_ipset_strip(ipset->prefix, ipset->names[i]);
		if (name != NULL)
			snprintf(ours[count++], IPSET_MAXNAMELEN, "%s", name);
	}
	qsort(ours, count, sizeof(*ours), backend_iptc_ipset_compare_names);
	for (size_t i = 0; i < count; i++) {
		struct backend_iptc_ipset_content content;
		backend_iptc_ipset_label live;
		struct rule_addrset *named;
		int failed = 0;

		backend_iptc_ipset_kernel_name(ipset, false, ours[i], live);
		if (backend_iptc_ipset_load(ipset, live, &content, err, errlen) < 0)
			goto out;
		named = content.family != 0 ? ruleset_add_set(out, ours[i], content.family) : NULL;
		for (size_t m = 0; named != NULL && m < content.count && failed == 0; m++)
			failed = ruleset_add_member(out, &content.members[m]);
		if (named != NULL && failed == 0 && content.commented && !content.comments_differ)
			snprintf(out->sets[out->set_count - 1].comment, RULE_COMMENT_MAX, "%s",
				 content.comment);
		free(content.members);
		if ((content.family != 0 && named == NULL) || failed < 0) {
			error_format(err, errlen, "out of memory");
			goto out;
		}
	}
	ret = 0;
out:
	free(ours);
	return ret;
}

/* Opens the SO_IP_SET socket and learns the protocol version; 0, or -1 with err set. */
static int backend_iptc_ipset_socket(struct backend_iptc_ipset *ipset, char *err, size_t errlen)
{
	struct ip_set_req_version request = {.op = IP_SET_OP_VERSION};
	socklen_t size = sizeof(request);
	int sock;

	if (ipset->sock >= 0)
		return 0;
	/* any IPv4 socket reaches ip_set's socket options; UDP needs no CAP_NET_RAW */
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		error_format(err, errlen, "opening a socket to look ipsets up: %s",
			     strerror(errno));
		return -1;
	}
	if (getsockopt(sock, SOL_IP, SO_IP_SET, &request, &size) < 0) {
		error_format(err, errlen, "asking the kernel's ip_set for its version: %s%s",
			     strerror(errno),
			     errno == ENOPROTOOPT ? " (is the ip_set module there?)" : "");
		close(sock);
		return -1;
	}
	ipset->sock = sock;
	ipset->version = request.version;
	return 0;
}

/* Remembers an index and the name there; failing to is only slower. */
static void backend_iptc_ipset_learn(struct backend_iptc_ipset *ipset, uint16_t index,
				     const char *name)
{
	struct backend_iptc_ipset_known *known;

	if (backend_iptc_ipset_grow((void **)&ipset->known, &ipset->known_capacity,
				    ipset->known_count, sizeof(*ipset->known)) < 0)
		return;
	known = &ipset->known[ipset->known_count++];
	known->index = index;
	memset(known->name, 0, sizeof(known->name));
	snprintf(known->name, sizeof(known->name), "%s", name);
}

int backend_iptc_ipset_index(struct backend_iptc_ipset *ipset, const char *name, uint16_t *index,
			     char *err, size_t errlen)
{
	struct ip_set_req_get_set request;
	socklen_t size = sizeof(request);
	backend_iptc_ipset_label live;

	backend_iptc_ipset_kernel_name(ipset, false, name, live);
	for (size_t i = 0; i < ipset->known_count; i++)
		if (strcmp(ipset->known[i].name, live) == 0) {
			*index = ipset->known[i].index;
			return 0;
		}
	if (backend_iptc_ipset_socket(ipset, err, errlen) < 0)
		return -1;
	memset(&request, 0, sizeof(request));
	request.op = IP_SET_OP_GET_BYNAME;
	request.version = ipset->version;
	memcpy(request.set.name, live, sizeof(request.set.name));
	if (getsockopt(ipset->sock, SOL_IP, SO_IP_SET, &request, &size) < 0) {
		error_format(err, errlen, "looking up ipset %s: %s", live, strerror(errno));
		return -1;
	}
	if (request.set.index == IPSET_INVALID_ID) {
		error_format(err, errlen, "ipset %s does not exist", live);
		return -1;
	}
	*index = request.set.index;
	backend_iptc_ipset_learn(ipset, *index, live);
	return 0;
}

int backend_iptc_ipset_name(struct backend_iptc_ipset *ipset, uint16_t index,
			    char name[RULE_SET_NAME_MAX])
{
	struct ip_set_req_get_set request;
	socklen_t size = sizeof(request);
	backend_iptc_ipset_label found;
	const char *stripped = NULL;

	for (size_t i = 0; i < ipset->known_count && stripped == NULL; i++)
		if (ipset->known[i].index == index)
			stripped = backend_iptc_ipset_strip(ipset->prefix, ipset->known[i].name);
	if (stripped == NULL) {
		if (backend_iptc_ipset_socket(ipset, NULL, 0) < 0)
			return -1;
		memset(&request, 0, sizeof(request));
		request.op = IP_SET_OP_GET_BYINDEX;
		request.version = ipset->version;
		request.set.index = index;
		if (getsockopt(ipset->sock, SOL_IP, SO_IP_SET, &request, &size) < 0)
			return -1;
		memset(found, 0, sizeof(found));
		memcpy(found, request.set.name, sizeof(found) - 1);
		stripped = backend_iptc_ipset_strip(ipset->prefix, found);
		if (stripped == NULL)
			return -1;
		backend_iptc_ipset_learn(ipset, index, found);
	}
	memset(name, 0, RULE_SET_NAME_MAX);
	snprintf(name, RULE_SET_NAME_MAX, "%s", stripped);
	return 0;
}
