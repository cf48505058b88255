/*
 * Fuzz target: the saved-state loader tjd reads at boot, before Docker is
 * up.  Whatever it accepts must also survive the trip back (format, parse
 * again, same rules) and render both as the nft script the daemon would
 * apply (unless it meets one of that backend's own stricter limits) and as
 * the iptables-style listing it shows.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tjd/backend.h"
#include "tjd/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The rules the nft backend refuses although the loader (like Docker's own
 * interface names) allows them: it quotes interface names, so it takes only
 * [A-Za-z0-9_.-], and binds a bridge port only to an allowance.
 */
static bool fuzz_state_nft_limit(const char *err)
{
	static const char *const limits[] = {"interface name with characters",
					     "a bridge port (physdev-in) can only"};

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (strstr(err, limits[i]) != NULL)
			return true;
	return false;
}

/* Formats, re-parses and renders an accepted ruleset; aborts on any mismatch. */
static void fuzz_state_check(const struct ruleset *set, const struct state_netns *ns)
{
	static struct backend backend;
	struct ruleset again;
	struct state_netns ns_again = {0};
	char err[256], *text, *script;

	if (backend.ops == NULL && backend_init(&backend, &backend_nft_ops, "") < 0)
		abort();
	text = state_format_with(set, ns);
	if (text == NULL)
		abort();
	ruleset_init(&again);
	if (state_parse_with(text, strlen(text), &again, &ns_again, err, sizeof(err)) < 0 ||
	    !ruleset_equal(set, &again) || ns_again.count != ns->count)
		abort();
	for (size_t i = 0; i < ns->count; i++)
		if (strcmp(ns->paths[i], ns_again.paths[i]) != 0 || ns->paths[i][0] != '/' ||
		    strstr(ns->paths[i], "/../") != NULL || strstr(ns->paths[i], "//") != NULL)
			abort();
	state_netns_free(&ns_again);
	ruleset_free(&again);
	free(text);
	script = backend_nft_render(&backend, set, err, sizeof(err));
	if (script == NULL && !fuzz_state_nft_limit(err))
		abort();
	free(script);
	{
		const char *chains[RULE_HOOK_COUNT];
		backend_chain_names(&backend, chains);
		script = ruleset_format(set, chains);
	}
	if (script == NULL)
		abort();
	free(script);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset set;
	struct state_netns ns = {0};
	char err[256];

	ruleset_init(&set);
	if (state_parse_with((const char *)data, size, &set, &ns, err, sizeof(err)) == 0)
		fuzz_state_check(&set, &ns);
	else if (set.count != 0 || ns.count != 0)
		abort();
	state_netns_free(&ns);
	ruleset_free(&set);
	return 0;
}
