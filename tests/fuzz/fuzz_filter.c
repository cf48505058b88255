/*
 * Fuzz target: the allow-expression tokeniser (common/filter.h) tjd and
 * the swarm coordinator share, with its promises checked: every term it
 * returns has a known key and a non-empty, bounded, UTF-8 value free of
 * control characters and separators, and the terms written back out
 * parse to the same terms.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/filter.h"
#include "common/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks one term against what filter.h promises. */
static void fuzz_filter_term(const struct filter_term *term)
{
	size_t value_len = strlen(term->value);

	if (!filter_known_key(term->key, strlen(term->key)) || value_len == 0 ||
	    value_len > FILTER_VALUE_MAX || !text_is_utf8(term->value, value_len) ||
	    text_has_control(term->value, value_len) || strpbrk(term->value, " \t") != NULL)
		abort();
}

/* Writes the terms back as an expression and parses it: the same terms must come out. */
static void fuzz_filter_again(const struct filter *filter, size_t size)
{
	char *text = malloc(size + 1), *p = text;
	struct filter again;
	char err[256];

	if (text == NULL)
		return;
	for (size_t i = 0; i < filter->count; i++) {
		p += strlen(strcpy(p, filter->terms[i].key));
		*p++ = '=';
		p += strlen(strcpy(p, filter->terms[i].value));
		*p++ = ' ';
	}
	*p = '\0';
	if (filter_parse(text, &again, err, sizeof(err)) < 0 || again.count != filter->count)
		abort();
	for (size_t i = 0; i < filter->count; i++)
		if (strcmp(again.terms[i].key, filter->terms[i].key) != 0 ||
		    strcmp(again.terms[i].value, filter->terms[i].value) != 0)
			abort();
	filter_free(&again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct filter filter;
	char err[256];

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (filter_parse(text, &filter, err, sizeof(err)) == 0) {
		if (filter.count == 0)
			abort();
		for (size_t i = 0; i < filter.count; i++)
			fuzz_filter_term(&filter.terms[i]);
		/* each term takes its key, '=', its value and a separator at most */
		fuzz_filter_again(&filter, strlen(text) + 1);
		filter_free(&filter);
	} else if (filter.terms != NULL || filter.count != 0 || filter.text != NULL ||
		   !text_is_printable(err, strlen(err)) || strlen(err) >= sizeof(err)) {
		abort();
	}
	free(text);
	return 0;
}
