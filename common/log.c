#include "config.h"

#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static bool log_to_stderr = true;
static bool log_debug_enabled;

/* Chooses the destination; syslog is opened only when leaving stderr. */
void log_init(const char *ident, bool to_stderr, bool debug)
{
	log_to_stderr = to_stderr;
	log_debug_enabled = debug;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Turns debug messages on or off at run time (config reload). */
void log_set_debug(bool debug)
{
	log_debug_enabled = debug;
}

/* Tells whether debug messages are emitted. */
bool log_is_debug(void)
{
	return log_debug_enabled;
}

/* Formats one message with an optional errno suffix and emits it. */
__attribute__((format(printf, 3, 0))) static void log_emit(int priority, int saved_errno,
							   const char *fmt, va_list ap)
{
	char message[1024];
	int n = vsnprintf(message, sizeof(message), fmt, ap);

	if (n >= 0 && saved_errno != 0 && (size_t)n < sizeof(message))
		snprintf(message + n, sizeof(message) - (size_t)n, ": %s", strerror(saved_errno));
	if (log_to_stderr) {
		const char *prefix = "";
		if (priority == LOG_DEBUG)
			prefix = "debug: ";
		else if (priority <= LOG_WARNING)
			prefix = "warning: ";
		fprintf(stderr, "%s%s\n", prefix, message);
		fflush(stderr);
	} else {
		syslog(priority, "%s", message);
	}
}

void log_warn(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, saved_errno ? saved_errno : EIO, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_enabled)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, saved_errno ? saved_errno : EIO, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
