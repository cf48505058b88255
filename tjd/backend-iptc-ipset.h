/*
 * The iptables backend's named address sets: one ipset of type hash:net
 * per set of the ruleset, in the calling thread's network namespace,
 * written through libipset, and the set index the xt set match holds
 * looked up through the SO_IP_SET socket option, as iptables does.
 *
 * Kernel names are shared by everyone in the namespace, so each is the
 * backend's set prefix (struct backend.set_prefix, "tjd-" for the default
 * instance) and the ruleset's name: "tjd-office-4".  While a set's members
 * are replaced it has a twin, the same name with '+' for the prefix's
 * last character ("tjd+office-4"), that is filled and then swapped with
 * the live set in one kernel operation, so every packet sees either the
 * old members or the new and no rule is touched.  The swap keeps the
 * live set's kernel index, which is what the rules refer to.
 *
 * ipset has no comment for a whole set: a set's comment is written as the
 * comment of each of its members (an empty set reads back without one).
 *
 * One struct backend_iptc_ipset serves one apply, clear or dump, under the
 * xtables lock; it remembers what it changed so that a failed apply can
 * be taken back.
 */
#ifndef TJD_BACKEND_IPTC_IPSET_H
#define TJD_BACKEND_IPTC_IPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tjd/ruleset.h"

struct backend_iptc_ipset;

/*
 * A conversation with the kernel about the sets named with `prefix` (at
 * most BACKEND_SET_PREFIX_MAX bytes); nothing is sent yet.  NULL when out
 * of memory.
 */
struct backend_iptc_ipset *backend_iptc_ipset_new(const char *prefix);
/* Closes the conversation; the kernel keeps the sets. */
void backend_iptc_ipset_free(struct backend_iptc_ipset *ipset);

/*
 * The kernel index of the live set for ruleset set `name` (what the xt
 * set match holds); 0, or -1 with err set when there is none.
 */
int backend_iptc_ipset_index(struct backend_iptc_ipset *ipset, const char *name, uint16_t *index,
			     char *err, size_t errlen);
/*
 * The ruleset name of the set at kernel index `index`; 0, or -1 when
 * there is no set there or it is not one of this backend's live sets.
 */
int backend_iptc_ipset_name(struct backend_iptc_ipset *ipset, uint16_t index,
			    char name[RULE_SET_NAME_MAX]);

/*
 * Appends this backend's live sets to `out`, ordered by name, with their
 * members sorted; sets whose contents are not what this backend writes
 * are appended as they read (a member with other options counts as a
 * member).  0, or -1 with err set.
 */
int backend_iptc_ipset_read(struct backend_iptc_ipset *ipset, struct ruleset *out, char *err,
			    size_t errlen);

/*
 * Before the rules commit: makes every set of `desired` (checked and
 * canonical: valid names, members masked, sorted and unique) exist with
 * exactly its members and comment, creating missing ones and swapping a
 * freshly filled twin in for any that differs.  *changed when anything
 * was written.  0, or -1 with err set; either way undo takes back what
 * was done.
 */
int backend_iptc_ipset_prepare(struct backend_iptc_ipset *ipset, const struct ruleset *desired,
			       bool *changed, char *err, size_t errlen);
/* Takes back what prepare did: swaps the old members back, destroys the sets it created. */
void backend_iptc_ipset_undo(struct backend_iptc_ipset *ipset);
/*
 * After the rules commit: destroys the twins now holding the old members
 * and every set of this backend that `desired` does not name (no rule
 * refers to those any more).  *changed when one was destroyed; a set the
 * kernel keeps (a foreign rule still uses it) is logged and tried again
 * on the next apply.
 */
void backend_iptc_ipset_finish(struct backend_iptc_ipset *ipset, const struct ruleset *desired,
			       bool *changed);
/*
 * Destroys every set of this backend, live sets and twins, once no rule
 * of ours refers to them; 0, or -1 with err naming a set the kernel keeps.
 */
int backend_iptc_ipset_clear(struct backend_iptc_ipset *ipset, char *err, size_t errlen);

#endif
