/* Typed, bounded getters for untrusted JSON; see jsonfield.h. */
#include "config.h"

#include "common/jsonfield.h"

#include <string.h>

#include "common/error.h"
#include "common/ident.h"
#include "common/text.h"

/* Parses a whole document; the length bound keeps a hostile peer from ballooning memory. */
json_t *jsonfield_load(const char *json, size_t len, size_t max, const char *what, char *err,
		       size_t errlen)
{
	json_error_t jerr;
	json_t *root;

	if (json == NULL) {
		error_format(err, errlen, "%s: no document", what);
		return NULL;
	}
	if (len > max) {
		error_format(err, errlen, "%s: document too large (%zu bytes)", what, len);
		return NULL;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		error_format(err, errlen, "%s: invalid JSON at line %d column %d: %s", what,
			     jerr.line, jerr.column, jerr.text);
	return root;
}

/* Looks key up in object (NULL: absent); NULL for an absent or null member, -1 if no object. */
static int jsonfield_get(json_t *object, const char *key, bool required, json_t **value,
			 const char *where, char *err, size_t errlen)
{
	*value = NULL;
	if (object != NULL && !json_is_object(object)) {
		error_format(err, errlen, "%s: not an object", where);
		return -1;
	}
	if (object != NULL)
		*value = json_object_get(object, key);
	if (*value != NULL && json_is_null(*value))
		*value = NULL;
	if (*value == NULL && required) {
		error_format(err, errlen, "%s: missing \"%s\"", where, key);
		return -1;
	}
	return 0;
}

/* A string member and its length. */
int jsonfield_string(json_t *object, const char *key, bool required, const char **out,
		     size_t *outlen, const char *where, char *err, size_t errlen)
{
	json_t *value;

	*out = NULL;
	*outlen = 0;
	if (jsonfield_get(object, key, required, &value, where, err, errlen) < 0)
		return -1;
	if (value == NULL)
		return 0;
	if (!json_is_string(value)) {
		error_format(err, errlen, "%s: \"%s\" is not a string", where, key);
		return -1;
	}
	*out = json_string_value(value);
	*outlen = json_string_length(value);
	return 0;
}

/* An object member. */
int jsonfield_object(json_t *object, const char *key, bool required, json_t **out,
		     const char *where, char *err, size_t errlen)
{
	json_t *value;

	*out = NULL;
	if (jsonfield_get(object, key, required, &value, where, err, errlen) < 0)
		return -1;
	if (value == NULL)
		return 0;
	if (!json_is_object(value)) {
		error_format(err, errlen, "%s: \"%s\" is not an object", where, key);
		return -1;
	}
	*out = value;
	return 0;
}

/* An array member of bounded length. */
int jsonfield_array(json_t *object, const char *key, bool required, size_t max, json_t **out,
		    const char *where, char *err, size_t errlen)
{
	json_t *value;

	*out = NULL;
	if (jsonfield_get(object, key, required, &value, where, err, errlen) < 0)
		return -1;
	if (value == NULL)
		return 0;
	if (!json_is_array(value)) {
		error_format(err, errlen, "%s: \"%s\" is not an array", where, key);
		return -1;
	}
	if (json_array_size(value) > max) {
		error_format(err, errlen, "%s: \"%s\" has more than %zu items", where, key, max);
		return -1;
	}
	*out = value;
	return 0;
}

/* Copies a string into a fixed-size field, refusing (not truncating) what does not fit. */
int jsonfield_copy(char *dst, size_t dstsize, const char *src, size_t len, const char *where,
		   const char *what, char *err, size_t errlen)
{
	if (len >= dstsize) {
		error_format(err, errlen, "%s: %s too long (%zu bytes, at most %zu)", where, what,
			     len, dstsize - 1);
		return -1;
	}
	if (text_has_control(src, len)) {
		error_format(err, errlen, "%s: %s contains control characters", where, what);
		return -1;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

int jsonfield_text(json_t *object, const char *key, char *dst, size_t size, const char *where,
		   char *err, size_t errlen)
{
	const char *text;
	size_t length;

	dst[0] = '\0';
	if (jsonfield_string(object, key, false, &text, &length, where, err, errlen) < 0)
		return -1;
	return text == NULL ? 0 : jsonfield_copy(dst, size, text, length, where, key, err, errlen);
}

int jsonfield_id(json_t *object, const char *key, char *out, bool required, const char *where,
		 char *err, size_t errlen)
{
	const char *text;
	size_t length;

	out[0] = '\0';
	if (jsonfield_string(object, key, false, &text, &length, where, err, errlen) < 0)
		return -1;
	if (text == NULL || length == 0) {
		if (!required)
			return 0;
		error_format(err, errlen, "%s: missing %s", where, key);
		return -1;
	}
	if (!ident_valid_id(text, length)) {
		error_format(err, errlen, "%s: invalid %s", where, key);
		return -1;
	}
	memcpy(out, text, length + 1);
	return 0;
}
