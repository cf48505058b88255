/*
 * The policy compiler: a pure function from configuration + inventory to
 * the desired ruleset.  No I/O, no globals; tests call it directly.
 */
#ifndef TJD_POLICY_H
#define TJD_POLICY_H

#include <stddef.h>

#include "tjd/conf.h"
#include "tjd/inventory.h"
#include "tjd/ruleset.h"

/*
 * Compiles the rules for every network in `inv` that `conf` protects (the
 * inventory should hold only those).  `out` is reset first.  If
 * rule_counts is non-NULL it receives, per inventory network, how many
 * rules it contributed.  Returns 0, or -1 with err set (out of memory).
 */
int policy_compile(const struct conf *conf, const struct inventory *inv, struct ruleset *out,
		   size_t *rule_counts, char *err, size_t errlen);

#endif
