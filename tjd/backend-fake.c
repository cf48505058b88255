/*
 * A backend that records what would reach the kernel, for tests of
 * everything above the backend (command dispatch, reconcile).
 */
#include "config.h"

#include "tjd/backend.h"

#include <stdio.h>
#include <stdlib.h>

/* Allocates the recording. */
static int backend_fake_open(struct backend *backend, char *err, size_t errlen)
{
	struct backend_fake_state *state = calloc(1, sizeof(*state));

	if (state == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ruleset_init(&state->installed);
	backend->priv = state;
	return 0;
}

/* Records the desired ruleset as installed, committing only on change. */
static int backend_fake_apply(struct backend *backend, const struct ruleset *desired, bool *changed,
			      char *err, size_t errlen)
{
	struct backend_fake_state *state = backend->priv;

	*changed = false;
	state->apply_calls++;
	if (state->fail_next_apply) {
		state->fail_next_apply = false;
		snprintf(err, errlen, "fake backend: apply failed as requested");
		return -1;
	}
	if (ruleset_equal(&state->installed, desired))
		return 0;
	if (ruleset_copy(&state->installed, desired) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	state->commits++;
	*changed = true;
	return 0;
}

/* Forgets everything installed. */
static int backend_fake_clear(struct backend *backend, char *err, size_t errlen)
{
	struct backend_fake_state *state = backend->priv;

	state->clear_calls++;
	ruleset_free(&state->installed);
	return 0;
}

/* Renders what is recorded. */
static int backend_fake_dump(struct backend *backend, char **text, char *err, size_t errlen)
{
	struct backend_fake_state *state = backend->priv;

	const char *chains[RULE_HOOK_COUNT];

	backend_chain_names(backend, chains);
	*text = ruleset_format(&state->installed, chains);
	if (*text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Frees the recording. */
static void backend_fake_close(struct backend *backend)
{
	struct backend_fake_state *state = backend->priv;

	if (state != NULL) {
		ruleset_free(&state->installed);
		free(state);
	}
	backend->priv = NULL;
}

struct backend_fake_state *backend_fake_state(const struct backend *backend)
{
	return backend->ops == &backend_fake_ops ? backend->priv : NULL;
}

const struct backend_ops backend_fake_ops = {
    .name = "fake",
    .open = backend_fake_open,
    .apply = backend_fake_apply,
    .clear = backend_fake_clear,
    .dump = backend_fake_dump,
    .close = backend_fake_close,
};
