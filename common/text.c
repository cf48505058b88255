/* Printable, control and UTF-8 tests on untrusted text; see text.h. */
#include "config.h"

#include "common/text.h"

#include <string.h>

/* Printable ASCII: the one definition every check below rests on. */
bool text_printable_byte(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* True when every byte is printable ASCII. */
bool text_is_printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!text_printable_byte((unsigned char)s[i]))
			return false;
	return true;
}

/* True when every byte is printable ASCII and none is a space. */
bool text_is_graphic(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == ' ' || !text_printable_byte((unsigned char)s[i]))
			return false;
	return true;
}

/* True when some byte is a C0 control or DEL; bytes >= 0x80 are not controls. */
bool text_has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}

/* Copies with non-printable bytes replaced, cutting with "..." what does not fit. */
size_t text_sanitize(char *dst, size_t size, const char *src, size_t len, char replacement)
{
	size_t n = len < size - 1 ? len : size - 1;

	for (size_t i = 0; i < n; i++)
		dst[i] = text_printable_byte((unsigned char)src[i]) ? src[i] : replacement;
	dst[n] = '\0';
	if (n < len && n >= 3)
		memcpy(dst + n - 3, "...", 3);
	return n;
}

/* Replaces non-printable bytes, and those listed in also, where they are. */
void text_sanitize_in_place(char *s, const char *also, char replacement)
{
	for (; *s != '\0'; s++)
		if (!text_printable_byte((unsigned char)*s) ||
		    (also != NULL && strchr(also, *s) != NULL))
			*s = replacement;
}

/* Decodes one RFC 3629 sequence: no overlong forms, no surrogates, nothing past U+10FFFF. */
size_t text_utf8_next(const char *s, size_t len, uint32_t *codepoint)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t value, minimum;
	size_t length;

	if (len == 0)
		return 0;
	if (p[0] < 0x80) {
		*codepoint = p[0];
		return 1;
	} else if ((p[0] & 0xe0) == 0xc0) {
		length = 2, value = p[0] & 0x1f, minimum = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		length = 3, value = p[0] & 0x0f, minimum = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		length = 4, value = p[0] & 0x07, minimum = 0x10000;
	} else {
		return 0;
	}
	if (length > len)
		return 0;
	for (size_t i = 1; i < length; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		value = (value << 6) | (p[i] & 0x3f);
	}
	if (value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
		return 0;
	*codepoint = value;
	return length;
}

/* True when the bytes decode as UTF-8 from start to end. */
bool text_is_utf8(const char *s, size_t len)
{
	uint32_t codepoint;

	while (len > 0) {
		size_t length = text_utf8_next(s, len, &codepoint);
		if (length == 0)
			return false;
		s += length;
		len -= length;
	}
	return true;
}

/* C0, DEL and C1: the code points a terminal may act on rather than show. */
bool text_is_control_codepoint(uint32_t codepoint)
{
	return codepoint < 0x20 || (codepoint >= 0x7f && codepoint < 0xa0);
}
