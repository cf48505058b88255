/*
 * Typed, bounded access to the members of untrusted JSON documents
 * (Docker's API responses, the swarm wire messages), on top of jansson.
 *
 * Conventions every getter follows: `object` is a JSON object, or NULL
 * for one that is absent (so lookups can be chained through optional
 * parts of a document); anything else is an error.  A member that is
 * absent or null is "not there": *out is NULL, and that is an error only
 * when `required`.  A member of another type than asked is an error.
 * Errors are written to err as "WHERE: ...", naming the member.
 */
#ifndef TJD_COMMON_JSONFIELD_H
#define TJD_COMMON_JSONFIELD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Parses a whole document of len bytes, refusing one larger than max
 * bytes and duplicate keys.  Returns the root, or NULL with err set
 * (what names the document).
 */
json_t *jsonfield_load(const char *json, size_t len, size_t max, const char *what, char *err,
		       size_t errlen);

/* Member key as a string: *out and its length in bytes *outlen (NUL bytes counted). */
int jsonfield_string(json_t *object, const char *key, bool required, const char **out,
		     size_t *outlen, const char *where, char *err, size_t errlen);
/* Member key as an object. */
int jsonfield_object(json_t *object, const char *key, bool required, json_t **out,
		     const char *where, char *err, size_t errlen);
/* Member key as an array of at most max items. */
int jsonfield_array(json_t *object, const char *key, bool required, size_t max, json_t **out,
		    const char *where, char *err, size_t errlen);

/*
 * Copies the len bytes of src into dst (dstsize bytes) with a NUL, refusing
 * (not cutting) text that does not fit or holds control characters
 * (text_has_control(): C0, NUL and DEL).  `what` names the field.
 */
int jsonfield_copy(char *dst, size_t dstsize, const char *src, size_t len, const char *where,
		   const char *what, char *err, size_t errlen);

/*
 * Member `key` as text copied into dst ("" when absent), refusing overlong
 * or control text; 0 or -1 with err set.
 */
int jsonfield_text(json_t *object, const char *key, char *dst, size_t size, const char *where,
		   char *err, size_t errlen);
/*
 * An id member (ident_valid_id: 1 to 64 of [A-Za-z0-9]) copied into out,
 * which has room for 65 bytes; "" when absent and not required.
 */
int jsonfield_id(json_t *object, const char *key, char *out, bool required, const char *where,
		 char *err, size_t errlen);

#endif
