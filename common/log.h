/* One log API for tjd and tjctl: stderr in the foreground, syslog otherwise. */
#ifndef TJD_COMMON_LOG_H
#define TJD_COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>

void log_init(const char *ident, bool to_stderr, bool debug);
void log_set_debug(bool debug);
bool log_is_debug(void);

/* log_warn appends strerror(errno); the -x variants do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One structured field of a journal entry: NAME (A-Z, 0-9, _) and its value. */
struct log_field {
	const char *name;
	const char *value;
};

/*
 * Logs message at info level; when stderr goes to systemd's journal
 * (JOURNAL_STREAM names it), the entry also carries the fields, sent
 * through the journal's native socket.  Values with a newline or a
 * control character are sent with those as '?'.  Elsewhere, or if the
 * socket refuses, the plain line.
 */
void log_info_fields(const struct log_field *fields, size_t count, const char *message);
/*
 * The native protocol datagram of such an entry (PRIORITY, SYSLOG_IDENTIFIER,
 * MESSAGE, then the fields, one NAME=value line each); its length, or 0 when
 * it does not fit in size or a name is not a journal field name.
 */
size_t log_journal_format(char *buf, size_t size, int priority, const char *ident,
			  const char *message, const struct log_field *fields, size_t count);
/* Sends an entry to the journal socket at path; 0, or -1 (errno set). */
int log_journal_send(const char *path, const char *message, const struct log_field *fields,
		     size_t count);

/* Broken invariants only; never reachable from untrusted input. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
