/* The allow-expression tokeniser and its key and value checks; see filter.h. */
#include "config.h"

#include "common/filter.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/text.h"

/* How much of a term an error message quotes. */
#define FILTER_SHOWN_MAX 64
/* What separates terms. */
#define FILTER_SEPARATORS " \t"

/* The `docker ps --filter` keys Docker knows (API /containers/json). */
static const char *const filter_keys[] = {
    "ancestor", "before", "expose",  "exited",	"health", "id",	    "isolation", "is-task",
    "label",	"name",	  "network", "publish", "since",  "status", "volume",
};

/* True when key is one of Docker's container filter keys. */
bool filter_known_key(const char *key, size_t len)
{
	for (size_t i = 0; i < sizeof(filter_keys) / sizeof(filter_keys[0]); i++)
		if (strlen(filter_keys[i]) == len && memcmp(filter_keys[i], key, len) == 0)
			return true;
	return false;
}

/* True when value (NUL-terminated) is one of the NULL-terminated words. */
static bool filter_one_of(const char *value, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(value, *words) == 0)
			return true;
	return false;
}

/* Checks values Docker would only reject later, at query time, with a vaguer message. */
static int filter_check_value(const char *key, const char *value, const char *shown, char *err,
			      size_t errlen)
{
	static const char *const statuses[] = {"created", "restarting", "running", "removing",
					       "paused",  "exited",	"dead",	   NULL};
	static const char *const healths[] = {"starting", "healthy", "unhealthy", "none", NULL};
	static const char *const booleans[] = {"true", "false", NULL};

	if (strcmp(key, "status") == 0 && !filter_one_of(value, statuses)) {
		error_format(err, errlen, "filter term \"%s\": unknown status", shown);
		return -1;
	}
	if (strcmp(key, "health") == 0 && !filter_one_of(value, healths)) {
		error_format(err, errlen, "filter term \"%s\": unknown health state", shown);
		return -1;
	}
	if (strcmp(key, "is-task") == 0 && !filter_one_of(value, booleans)) {
		error_format(err, errlen, "filter term \"%s\": expected true or false", shown);
		return -1;
	}
	if (strcmp(key, "exited") == 0 && strspn(value, "0123456789") != strlen(value)) {
		error_format(err, errlen, "filter term \"%s\": expected an exit code", shown);
		return -1;
	}
	return 0;
}

/* Checks one term of term_len bytes at p and splits it in place into key and value. */
static int filter_term(char *p, size_t term_len, struct filter_term *term, char *err, size_t errlen)
{
	char shown[FILTER_SHOWN_MAX + 1];
	size_t key_len, value_len;
	char *equals;

	text_sanitize(shown, sizeof(shown), p, term_len, '?');
	if (text_has_control(p, term_len)) {
		error_format(err, errlen, "filter term \"%s\": control character", shown);
		return -1;
	}
	equals = memchr(p, '=', term_len);
	if (equals == NULL) {
		error_format(err, errlen, "filter term \"%s\": expected key=value", shown);
		return -1;
	}
	key_len = (size_t)(equals - p);
	value_len = term_len - key_len - 1;
	if (!filter_known_key(p, key_len)) {
		error_format(err, errlen, "filter term \"%s\": unknown key", shown);
		return -1;
	}
	if (value_len == 0) {
		error_format(err, errlen, "filter term \"%.*s=\": empty value", (int)key_len, p);
		return -1;
	}
	if (value_len > FILTER_VALUE_MAX) {
		error_format(err, errlen, "filter term \"%.*s=...\": value too long", (int)key_len,
			     p);
		return -1;
	}
	if (!text_is_utf8(equals + 1, value_len)) {
		error_format(err, errlen, "filter term \"%s\": not valid UTF-8", shown);
		return -1;
	}
	*equals = '\0';
	p[term_len] = '\0';
	term->key = p;
	term->value = equals + 1;
	return filter_check_value(term->key, term->value, shown, err, errlen);
}

/* Splits the expression at spaces and tabs and checks every term. */
int filter_parse(const char *expression, struct filter *filter, char *err, size_t errlen)
{
	size_t length = strlen(expression);
	char *p;

	memset(filter, 0, sizeof(*filter));
	if (length > FILTER_EXPRESSION_MAX) {
		error_format(err, errlen, "filter expression too long (%zu bytes)", length);
		return -1;
	}
	if (strspn(expression, FILTER_SEPARATORS) == length) {
		error_format(err, errlen, "empty filter expression");
		return -1;
	}
	filter->text = strdup(expression);
	/* every term takes at least two bytes with its separator ("a=b" takes four) */
	filter->terms = calloc(length / 2 + 1, sizeof(*filter->terms));
	if (filter->text == NULL || filter->terms == NULL) {
		error_format(err, errlen, "filters: out of memory");
		goto fail;
	}
	for (p = filter->text; *p != '\0';) {
		size_t term_len;
		bool last;

		p += strspn(p, FILTER_SEPARATORS);
		if (*p == '\0')
			break;
		term_len = strcspn(p, FILTER_SEPARATORS);
		last = p[term_len] == '\0';
		if (filter_term(p, term_len, &filter->terms[filter->count], err, errlen) < 0)
			goto fail;
		filter->count++;
		p += term_len + (last ? 0 : 1);
	}
	return 0;
fail:
	filter_free(filter);
	return -1;
}

/* Releases the terms and the copy they point into. */
void filter_free(struct filter *filter)
{
	free(filter->terms);
	free(filter->text);
	memset(filter, 0, sizeof(*filter));
}
