/* Docker ids and interface names; see ident.h. */
#include "config.h"

#include "common/ident.h"

#include <string.h>

#include "common/text.h"

/* True when len is in 1..IDENT_ID_MAX and every byte is one of allowed. */
static bool ident_valid_chars(const char *s, size_t len, const char *allowed)
{
	if (len == 0 || len > IDENT_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(allowed, s[i]) == NULL)
			return false;
	return true;
}

/* Lowercase letters and digits, as Docker's object ids. */
bool ident_valid_id(const char *s, size_t len)
{
	return ident_valid_chars(s, len, "0123456789abcdefghijklmnopqrstuvwxyz");
}

/* Lowercase hex digits, as Docker's container ids. */
bool ident_valid_container_id(const char *s, size_t len)
{
	return ident_valid_chars(s, len, "0123456789abcdef");
}

/* Docker's name characters (moby's names.RestrictedNameChars), no leading '_', '.' or '-'. */
bool ident_valid_container_name(const char *s, size_t len)
{
	if (len == 0 || len > IDENT_NAME_MAX || s[0] == '_' || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* The kernel's dev_valid_name(), narrowed to printable ASCII. */
bool ident_valid_ifname(const char *s, size_t len)
{
	if (len == 0 || len >= IDENT_IFNAMSIZ)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	if (!text_is_graphic(s, len))
		return false;
	return memchr(s, '/', len) == NULL && memchr(s, ':', len) == NULL;
}
