/* Address and prefix parsing and formatting; see prefix.h for the accepted text. */
#include "config.h"

#include "common/prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Which of the forms a caller accepts. */
enum prefix_form {
	PREFIX_ANY,
	PREFIX_ADDRESS_ONLY,
	PREFIX_LENGTH_REQUIRED,
};

/* Parses "ADDR" or "ADDR/LEN" as the form allows; a bare address becomes a host prefix. */
static int prefix_parse_form(const char *text, enum prefix_form form, struct prefix *out)
{
	char address[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t address_length = slash ? (size_t)(slash - text) : strlen(text);
	long length = -1;

	memset(out, 0, sizeof(*out));
	if ((slash != NULL && form == PREFIX_ADDRESS_ONLY) ||
	    (slash == NULL && form == PREFIX_LENGTH_REQUIRED))
		return -1;
	if (address_length == 0 || address_length >= sizeof(address))
		return -1;
	memcpy(address, text, address_length);
	address[address_length] = '\0';
	if (slash != NULL) {
		char *end;
		if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
			return -1;
		errno = 0;
		length = strtol(slash + 1, &end, 10);
		if (errno != 0 || *end != '\0')
			return -1;
	}
	if (inet_pton(AF_INET, address, &out->addr.v4) == 1) {
		out->family = AF_INET;
		if (length > 32)
			goto invalid;
		out->length = (uint8_t)(length < 0 ? 32 : length);
	} else if (inet_pton(AF_INET6, address, &out->addr.v6) == 1) {
		out->family = AF_INET6;
		if (length > 128)
			goto invalid;
		out->length = (uint8_t)(length < 0 ? 128 : length);
	} else {
		goto invalid;
	}
	return 0;
invalid:
	memset(out, 0, sizeof(*out));
	return -1;
}

/* Parses either form. */
int prefix_parse(const char *text, struct prefix *out)
{
	return prefix_parse_form(text, PREFIX_ANY, out);
}

/* Parses a bare address only. */
int prefix_parse_address(const char *text, struct prefix *out)
{
	return prefix_parse_form(text, PREFIX_ADDRESS_ONLY, out);
}

/* Parses "ADDR/LEN" only. */
int prefix_parse_network(const char *text, struct prefix *out)
{
	return prefix_parse_form(text, PREFIX_LENGTH_REQUIRED, out);
}

/* Writes the canonical address; 0, or -1 for an unset prefix or a short buffer. */
int prefix_format_address(const struct prefix *p, char *buf, size_t size)
{
	char address[INET6_ADDRSTRLEN];
	int n;

	if (p->family != AF_INET && p->family != AF_INET6)
		return -1;
	if (inet_ntop(p->family, &p->addr, address, sizeof(address)) == NULL)
		return -1;
	n = snprintf(buf, size, "%s", address);
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* Writes "ADDR/LEN"; 0, or -1 for an unset prefix or a short buffer. */
int prefix_format(const struct prefix *p, char *buf, size_t size)
{
	char address[INET6_ADDRSTRLEN];
	int n;

	if (prefix_format_address(p, address, sizeof(address)) < 0)
		return -1;
	n = snprintf(buf, size, "%s/%u", address, p->length);
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* Compares two prefixes by family, length and the address bits (not padding). */
bool prefix_equal(const struct prefix *a, const struct prefix *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == 0)
		return true;
	if (a->length != b->length)
		return false;
	if (a->family == AF_INET)
		return a->addr.v4.s_addr == b->addr.v4.s_addr;
	return memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6)) == 0;
}

/* Tells whether addr (any length) lies inside the network prefix. */
bool prefix_contains(const struct prefix *net, const struct prefix *addr)
{
	const uint8_t *a, *b;
	unsigned full_bytes, rest_bits;

	if (net->family != addr->family || net->family == 0 || addr->length < net->length)
		return false;
	if (net->family == AF_INET) {
		a = (const uint8_t *)&net->addr.v4;
		b = (const uint8_t *)&addr->addr.v4;
	} else {
		a = net->addr.v6.s6_addr;
		b = addr->addr.v6.s6_addr;
	}
	full_bytes = net->length / 8;
	rest_bits = net->length % 8;
	if (memcmp(a, b, full_bytes) != 0)
		return false;
	if (rest_bits != 0) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest_bits));
		if ((a[full_bytes] & mask) != (b[full_bytes] & mask))
			return false;
	}
	return true;
}

/* Full-length prefix of the same address. */
void prefix_host(struct prefix *p)
{
	p->length = p->family == AF_INET ? 32 : 128;
}

int prefix_compare(const struct prefix *a, const struct prefix *b)
{
	int order;

	if (a->family != b->family)
		return a->family == AF_INET ? -1 : b->family == AF_INET ? 1 : a->family - b->family;
	if (a->family == AF_INET)
		order = memcmp(&a->addr.v4, &b->addr.v4, sizeof(a->addr.v4));
	else if (a->family == AF_INET6)
		order = memcmp(a->addr.v6.s6_addr, b->addr.v6.s6_addr, sizeof(a->addr.v6.s6_addr));
	else
		order = 0;
	if (order != 0)
		return order;
	return (int)a->length - (int)b->length;
}

void prefix_network(struct prefix *p)
{
	uint8_t *bytes;
	size_t size;

	if (p->family == AF_INET) {
		bytes = (uint8_t *)&p->addr.v4;
		size = sizeof(p->addr.v4);
	} else if (p->family == AF_INET6) {
		bytes = p->addr.v6.s6_addr;
		size = sizeof(p->addr.v6.s6_addr);
	} else {
		return;
	}
	for (size_t i = 0; i < size; i++) {
		unsigned keep = p->length >= (i + 1) * 8 ? 8
				: p->length > i * 8	 ? p->length - i * 8
							 : 0;
		bytes[i] &= (uint8_t)(0xff00u >> keep);
	}
}
