/*
 * A line diff of two texts, for showing what a configuration change would
 * do to a ruleset before it is applied (tjctl diff).  Pure.
 *
 * Output, in the order of the new text: each removed line as "- LINE",
 * each added one as "+ LINE", and up to LINEDIFF_CONTEXT unchanged lines
 * around each change as "  LINE"; "  ..." stands for unchanged lines left
 * out.  Empty when the texts hold the same lines.  The common head and
 * tail are matched first; what is left is matched by a longest common
 * subsequence when it is at most LINEDIFF_MATCH_MAX cells, else shown as
 * removed and added whole (correct, if not minimal).
 */
#ifndef TJD_COMMON_LINEDIFF_H
#define TJD_COMMON_LINEDIFF_H

#include <stddef.h>

#define LINEDIFF_CONTEXT 2
#define LINEDIFF_MATCH_MAX (4u * 1024 * 1024)

/* The diff of old and new (NUL-terminated); malloc'd, NULL on OOM; counts may be NULL. */
char *linediff(const char *old, const char *new, size_t *removed, size_t *added);

#endif
