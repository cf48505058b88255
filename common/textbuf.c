/* Text built piece by piece; see textbuf.h. */
#include "config.h"

#include "common/textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void textbuf_vadd(struct textbuf *text, const char *format, va_list args)
{
	va_list again;
	int n;

	if (text->failed)
		return;
	for (;;) {
		size_t room = text->capacity - text->length, capacity;
		char *grown;

		va_copy(again, args);
		n = vsnprintf(text->data ? text->data + text->length : NULL, room, format, again);
		va_end(again);
		if (n < 0) {
			text->failed = true;
			return;
		}
		if ((size_t)n < room) {
			text->length += (size_t)n;
			return;
		}
		capacity = text->capacity * 2 + (size_t)n + 256;
		grown = realloc(text->data, capacity);
		if (grown == NULL) {
			text->failed = true;
			return;
		}
		text->data = grown;
		text->capacity = capacity;
	}
}

void textbuf_add(struct textbuf *text, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	textbuf_vadd(text, format, args);
	va_end(args);
}

char *textbuf_take(struct textbuf *text)
{
	char *data = text->data;

	if (text->failed) {
		free(data);
		data = NULL;
	} else if (data == NULL) {
		data = strdup("");
	}
	memset(text, 0, sizeof(*text));
	return data;
}
