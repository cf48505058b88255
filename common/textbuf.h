/* Text built piece by piece with printf formats, remembering a failed allocation. */
#ifndef TJD_COMMON_TEXTBUF_H
#define TJD_COMMON_TEXTBUF_H

#include <stdarg.h>
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
/* The same with a va_list (for printf-like callbacks). */
void textbuf_vadd(struct textbuf *text, const char *format, va_list args)
    __attribute__((format(printf, 2, 0)));
/*
 * Hands the text over (malloc'd; "" when nothing was added) and empties
 * text; NULL, with the text freed, when something failed.
 */
char *textbuf_take(struct textbuf *text);

#endif
