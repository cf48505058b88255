/* Text built piece by piece with printf formats, remembering a failed allocation. */
#ifndef TJD_COMMON_TEXTBUF_H
#define TJD_COMMON_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct textbuf {
	char *data; /* NUL-terminated once anything was added */
	size_t length;
	size_t capacity;
	bool failed; /* an allocation or format failed: the text is incomplete */
};

/* Appends formatted text; after a failure it does nothing. */
void textbuf_add(struct textbuf *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Hands the text over (malloc'd; "" when nothing was added) and empties
 * text; NULL, with the text freed, when something failed.
 */
char *textbuf_take(struct textbuf *text);

#endif
