/*
 * The last applied ruleset, kept on disk so that tjd can close protected
 * networks at boot before Docker (and its containers) start.  Written
 * atomically (temporary file, fsync, rename); read back with every field
 * validated, since a damaged file must never install something odd.
 */
#ifndef TJD_STATE_H
#define TJD_STATE_H

#include <stddef.h>

#include "tjd/ruleset.h"

#define STATE_DEFAULT_PATH LOCALSTATEDIR "/lib/tjd/ruleset.json"
#define STATE_MAX_BYTES (64u * 1024 * 1024)
#define STATE_MAX_RULES 200000
#define STATE_MAX_SETS 256
#define STATE_MAX_MEMBERS 65536

/* Saves `set`; creates the directory (0700) if missing.  0 or -1 with err. */
int state_save(const char *path, const struct ruleset *set, char *err, size_t errlen);
/* Loads into `set`: 0 loaded, 1 no saved state, -1 unreadable (err set). */
int state_load(const char *path, struct ruleset *set, char *err, size_t errlen);
/*
 * What state_load does once it has read the file: parses `len` bytes of
 * text (not necessarily NUL-terminated) into `set`, validating every field.
 * 0, or -1 with err set and `set` empty.
 */
int state_parse(const char *text, size_t len, struct ruleset *set, char *err, size_t errlen);
/* The JSON text state_save writes for `set`, without its final newline; malloc'd, NULL on OOM. */
char *state_format(const struct ruleset *set);
/*
 * The network namespaces other than tjd's own that hold tjd's rules (swarm
 * overlays), kept with the ruleset so that `tjd --clear` can empty them
 * without asking Docker.  Paths are absolute, at most
 * STATE_NETNS_PATH_MAX bytes, plain (no "." or ".." component, no "//").
 */
#define STATE_NETNS_PATH_MAX 255
#define STATE_NETNS_MAX 4096
struct state_netns {
	char (*paths)[STATE_NETNS_PATH_MAX + 1];
	size_t count;
};

void state_netns_free(struct state_netns *ns);
/* Appends a path; 0, or -1 when it is not a plain absolute path, or on OOM. */
int state_netns_add(struct state_netns *ns, const char *path);
/* The same functions with the namespaces: `ns` NULL saves none, or ignores them when read. */
char *state_format_with(const struct ruleset *set, const struct state_netns *ns);
int state_save_with(const char *path, const struct ruleset *set, const struct state_netns *ns,
		    char *err, size_t errlen);
int state_parse_with(const char *text, size_t len, struct ruleset *set, struct state_netns *ns,
		     char *err, size_t errlen);
int state_load_with(const char *path, struct ruleset *set, struct state_netns *ns, char *err,
		    size_t errlen);
/* Forgets the saved state (after clear); absent is success. */
int state_remove(const char *path, char *err, size_t errlen);

#endif
