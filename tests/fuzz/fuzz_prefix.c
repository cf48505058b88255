/*
 * Fuzz target: the address and prefix parser (common/prefix.h), with its
 * promises checked: what parses formats back to text that parses to the
 * same prefix, a refused text leaves the prefix unset, and the
 * single-form parsers agree with the general one.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/prefix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses the formatted prefix again: it must be the same one. */
static void fuzz_prefix_round_trip(const struct prefix *p)
{
	char text[PREFIX_TEXT_MAX], address[PREFIX_TEXT_MAX];
	struct prefix again, host;

	if (prefix_format(p, text, sizeof(text)) < 0 || prefix_parse(text, &again) < 0 ||
	    !prefix_equal(p, &again))
		abort();
	if (prefix_format_address(p, address, sizeof(address)) < 0 ||
	    prefix_parse_address(address, &host) < 0 || host.family != p->family)
		abort();
	/* a prefix holds its own address at full length */
	if (!prefix_contains(p, &host))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct prefix any, address, network;
	int parsed;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	parsed = prefix_parse(text, &any);
	if (parsed == 0) {
		if ((any.family != AF_INET && any.family != AF_INET6) ||
		    any.length > (any.family == AF_INET ? 32 : 128))
			abort();
		fuzz_prefix_round_trip(&any);
	} else if (any.family != 0 || any.length != 0) {
		abort();
	}
	/* the single-form parsers accept a subset, with the same result */
	if (prefix_parse_address(text, &address) == 0 &&
	    (parsed != 0 || strchr(text, '/') != NULL || !prefix_equal(&address, &any)))
		abort();
	if (prefix_parse_network(text, &network) == 0 &&
	    (parsed != 0 || strchr(text, '/') == NULL || !prefix_equal(&network, &any)))
		abort();
	free(text);
	return 0;
}
