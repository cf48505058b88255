#include "config.h"

#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

/* Where systemd's journal takes entries in its native protocol. */
#define LOG_JOURNAL_SOCKET "/run/systemd/journal/socket"
/* One entry at most: a message and a few fields. */
#define LOG_JOURNAL_MAX 4096

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

/* Whether a journal field name is valid: A-Z, 0-9 and '_', not starting with '_' or a digit. */
static bool log_field_name_ok(const char *name)
{
	if (name == NULL || name[0] == '\0' || name[0] == '_' || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (const char *c = name; *c != '\0'; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return false;
	return strlen(name) <= 64;
}

/* Appends "NAME=value\n", controls in the value as '?'; false when it does not fit. */
static bool log_journal_line(char *buf, size_t size, size_t *used, const char *name,
			     const char *value)
{
	size_t name_length = strlen(name), value_length = value ? strlen(value) : 0;

	if (*used + name_length + value_length + 2 > size)
		return false;
	memcpy(buf + *used, name, name_length);
	*used += name_length;
	buf[(*used)++] = '=';
	for (size_t i = 0; i < value_length; i++) {
		unsigned char c = (unsigned char)value[i];

		buf[(*used)++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[(*used)++] = '\n';
	return true;
}

size_t log_journal_format(char *buf, size_t size, int priority, const char *ident,
			  const char *message, const struct log_field *fields, size_t count)
{
	char level[4];
	size_t used = 0;

	snprintf(level, sizeof(level), "%d", priority & 7);
	if (!log_journal_line(buf, size, &used, "PRIORITY", level) ||
	    !log_journal_line(buf, size, &used, "SYSLOG_IDENTIFIER", ident) ||
	    !log_journal_line(buf, size, &used, "MESSAGE", message))
		return 0;
	for (size_t i = 0; i < count; i++)
		if (!log_field_name_ok(fields[i].name) ||
		    !log_journal_line(buf, size, &used, fields[i].name, fields[i].value))
			return 0;
	return used;
}

int log_journal_send(const char *path, const char *message, const struct log_field *fields,
		     size_t count)
{
	char buf[LOG_JOURNAL_MAX];
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t length =
	    log_journal_format(buf, sizeof(buf), LOG_INFO, "tjd", message, fields, count);
	ssize_t sent;
	int fd;

	if (length == 0 || strlen(path) >= sizeof(addr.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sent = sendto(fd, buf, length, MSG_NOSIGNAL, (struct sockaddr *)&addr, sizeof(addr));
	close(fd);
	return sent == (ssize_t)length ? 0 : -1;
}

/* Whether stderr is the journal's stream (JOURNAL_STREAM is its "device:inode"). */
static bool log_stderr_is_journal(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long device, inode;
	struct stat st;

	if (stream == NULL || sscanf(stream, "%llu:%llu", &device, &inode) != 2 ||
	    fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == device && (unsigned long long)st.st_ino == inode;
}

void log_info_fields(const struct log_field *fields, size_t count, const char *message)
{
	if (log_to_stderr && log_stderr_is_journal() &&
	    log_journal_send(LOG_JOURNAL_SOCKET, message, fields, count) == 0)
		return;
	log_info("%s", message);
}
