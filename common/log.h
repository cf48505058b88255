/* One log API for tjd and tjctl: stderr in the foreground, syslog otherwise. */
#ifndef TJD_COMMON_LOG_H
#define TJD_COMMON_LOG_H

#include <stdbool.h>

void log_init(const char *ident, bool to_stderr, bool debug);
void log_set_debug(bool debug);
bool log_is_debug(void);

/* log_warn appends strerror(errno); the -x variants do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Broken invariants only; never reachable from untrusted input. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
