/* Error messages into a caller's buffer, the convention every module uses. */
#ifndef TJD_COMMON_ERROR_H
#define TJD_COMMON_ERROR_H

#include <stddef.h>

/* Formats into err (if non-NULL and non-empty), truncating to errlen. */
void error_format(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
