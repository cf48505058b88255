/*
 * Allow expressions: the `docker ps --filter` terms that say which
 * containers may open connections on a protected network, for example
 * "label=tjd.allow=true" or "ancestor=traefik:v3 name=^proxy$".
 *
 * One tokeniser for every reader, so tjd (which asks Docker with the
 * terms) and the swarm coordinator (which judges tasks by them) never
 * read one expression two ways:
 *   - terms are separated by spaces and tabs; there is no quoting;
 *   - a term is KEY=VALUE, split at its first '=' (so the value of
 *     "label=tjd.allow=true" is "tjd.allow=true");
 *   - KEY is one of Docker's container filter keys, VALUE is not empty,
 *     at most FILTER_VALUE_MAX bytes, well-formed UTF-8;
 *   - no control characters anywhere, at most FILTER_EXPRESSION_MAX bytes,
 *     at least one term;
 *   - status, health, is-task and exited values are checked here, as
 *     Docker would reject them only when asked.
 * Meaning (not checked here): terms with different keys must all match,
 * terms with the same key are alternatives, as in docker ps.
 */
#ifndef TJD_COMMON_FILTER_H
#define TJD_COMMON_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#define FILTER_EXPRESSION_MAX 4096
#define FILTER_VALUE_MAX 1024

/* One KEY=VALUE term; both strings live in the filter that holds the term. */
struct filter_term {
	const char *key;
	const char *value;
};

/* A parsed expression: its terms in the order written. */
struct filter {
	struct filter_term *terms;
	size_t count;
	char *text; /* the expression's copy the terms point into */
};

/*
 * Splits and checks an expression.  Returns 0 with *filter filled (release
 * it with filter_free()), or -1 with err quoting the offending term
 * (control characters shown as '?') and *filter empty.
 */
int filter_parse(const char *expression, struct filter *filter, char *err, size_t errlen);
/* Releases what filter_parse() filled; an empty or zeroed filter is fine. */
void filter_free(struct filter *filter);
/* True when the len bytes of key are one of Docker's container filter keys. */
bool filter_known_key(const char *key, size_t len);

#endif
