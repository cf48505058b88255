/*
 * IPv4 and IPv6 addresses and prefixes: the one parser and formatter tjd
 * and the swarm code use for every address they are handed (Docker's
 * subnets and endpoint addresses, peer lists, the state file).
 *
 * Accepted text: an address inet_pton(3) takes ("10.0.0.5", "fd00::1",
 * "::ffff:10.0.0.5"), optionally followed by "/" and a length of one to
 * three decimal digits, at most 32 or 128.  Nothing else: no signs or
 * spaces around the length, no zone ("%eth0"), no leading zeros in IPv4
 * octets (inet_pton refuses them).  A bare address is a host prefix (/32
 * or /128).  Bits past the length are kept as given: "10.0.0.5/24" is
 * the address 10.0.0.5 on a /24, not the network 10.0.0.0/24.
 */
#ifndef TJD_COMMON_PREFIX_H
#define TJD_COMMON_PREFIX_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for the longest text prefix_format() writes, NUL included. */
#define PREFIX_TEXT_MAX (INET6_ADDRSTRLEN + 4)

/* An IPv4 or IPv6 prefix; family 0 means "unset". */
struct prefix {
	int family; /* AF_INET or AF_INET6 */
	uint8_t length;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
};

/*
 * Parses "ADDR" or "ADDR/LEN" into *out.  Returns 0, or -1 with *out
 * zeroed (family 0).
 */
int prefix_parse(const char *text, struct prefix *out);
/* Like prefix_parse(), but only a bare address ("ADDR", no "/LEN"). */
int prefix_parse_address(const char *text, struct prefix *out);
/* Like prefix_parse(), but the length is required ("ADDR/LEN"). */
int prefix_parse_network(const char *text, struct prefix *out);

/* Writes "ADDR/LEN" (canonical address text); 0, or -1 if unset or buf is too small. */
int prefix_format(const struct prefix *p, char *buf, size_t size);
/* Writes the canonical address alone ("fd00::1"); 0, or -1 like prefix_format(). */
int prefix_format_address(const struct prefix *p, char *buf, size_t size);

/* Compares family, length and the address bits (never struct padding). */
bool prefix_equal(const struct prefix *a, const struct prefix *b);
/* Tells whether addr (any length) lies inside the network prefix net. */
bool prefix_contains(const struct prefix *net, const struct prefix *addr);
/*
 * Orders prefixes: IPv4 before IPv6, then by address bytes, then shorter
 * first; <0, 0 or >0 like strcmp (0 exactly when prefix_equal).
 */
int prefix_compare(const struct prefix *a, const struct prefix *b);
/* Clears the bits past the length (10.0.0.5/24 becomes 10.0.0.0/24). */
void prefix_network(struct prefix *p);
/* Makes p the full-length prefix (/32 or /128) of its address. */
void prefix_host(struct prefix *p);

#endif
