/*
 * Fuzz target: the printable-text and UTF-8 checks (common/text.h) and
 * the sanitiser, with their promises checked, and the UTF-8 decoder
 * compared with jansson's, which decides what tjctl can put in JSON.
 */
#include "config.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walks the input with text_utf8_next(): lengths and code points within RFC 3629. */
static bool fuzz_text_walk(const char *s, size_t size)
{
	uint32_t codepoint;

	while (size > 0) {
		size_t length = text_utf8_next(s, size, &codepoint);
		if (length == 0)
			return false;
		if (length > 4 || length > size || codepoint > 0x10ffff ||
		    (codepoint >= 0xd800 && codepoint <= 0xdfff) ||
		    (length == 1) != (codepoint < 0x80))
			abort();
		s += length;
		size -= length;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char out[80], *copy;
	size_t n;
	json_t *string;
	bool utf8 = text_is_utf8(s, size);

	if (fuzz_text_walk(s, size) != utf8)
		abort();
	/* jansson takes a string exactly when it is well-formed UTF-8 */
	string = json_stringn(s, size);
	if (string != NULL && !utf8)
		abort();
	if (string == NULL && utf8 && size < 4096)
		abort(); /* not memory: so jansson refused what the decoder took */
	json_decref(string);
	/* printable implies no control, and graphic implies printable */
	if (text_is_printable(s, size) && text_has_control(s, size))
		abort();
	if (text_is_graphic(s, size) && !text_is_printable(s, size))
		abort();
	n = text_sanitize(out, sizeof(out), s, size, '?');
	if (n != strlen(out) || n >= sizeof(out) || !text_is_printable(out, n) ||
	    (size < sizeof(out) && n != size))
		abort();
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	text_sanitize_in_place(copy, "\"", '_');
	if (!text_is_printable(copy, strlen(copy)) || strchr(copy, '"') != NULL)
		abort();
	free(copy);
	return 0;
}
