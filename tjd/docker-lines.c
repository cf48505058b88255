/*
 * Line framing for the /events stream (see docker-lines.h).  Lines are
 * handed out in place: the buffer is compacted only when the next chunk
 * arrives, so taking lines out never moves memory.
 */
#include "config.h"

#include "tjd/docker-lines.h"

#include <stdlib.h>
#include <string.h>

void docker_lines_init(struct docker_lines *lines, size_t max_line, size_t max_held)
{
	memset(lines, 0, sizeof(*lines));
	lines->max_line = max_line;
	lines->max_held = max_held;
}

void docker_lines_free(struct docker_lines *lines)
{
	free(lines->buf);
	lines->buf = NULL;
	lines->len = lines->cap = lines->start = lines->partial = 0;
}

/* Drops the lines already taken out from the front of the buffer. */
static void docker_lines_compact(struct docker_lines *lines)
{
	if (lines->start == 0)
		return;
	memmove(lines->buf, lines->buf + lines->start, lines->len - lines->start);
	lines->len -= lines->start;
	lines->start = 0;
}

/* Makes room for len more bytes and a NUL, growing geometrically. */
static int docker_lines_reserve(struct docker_lines *lines, size_t len)
{
	size_t cap = lines->cap ? lines->cap : 4096;
	char *buf;

	if (lines->cap - lines->len >= len + 1)
		return 0;
	while (cap - lines->len < len + 1)
		cap *= 2;
	buf = realloc(lines->buf, cap);
	if (buf == NULL)
		return -1;
	lines->buf = buf;
	lines->cap = cap;
	return 0;
}

enum docker_lines_status docker_lines_feed(struct docker_lines *lines, const char *chunk,
					   size_t len)
{
	const char *at = chunk, *end = chunk + len;
	size_t partial = lines->partial;

	docker_lines_compact(lines);
	if (len > lines->max_held - lines->len)
		return DOCKER_LINES_TOO_MUCH;
	/* Every line the chunk ends or starts counts, not only the last one. */
	while (at < end) {
		const char *newline = memchr(at, '\n', (size_t)(end - at));
		size_t run = (size_t)((newline != NULL ? newline : end) - at);

		if (run > lines->max_line - partial)
			return DOCKER_LINES_TOO_LONG;
		partial = newline != NULL ? 0 : partial + run;
		at = newline != NULL ? newline + 1 : end;
	}
	if (docker_lines_reserve(lines, len) < 0)
		return DOCKER_LINES_NO_MEMORY;
	memcpy(lines->buf + lines->len, chunk, len);
	lines->len += len;
	lines->partial = partial;
	return DOCKER_LINES_OK;
}

bool docker_lines_next(struct docker_lines *lines, char **line, size_t *len)
{
	while (lines->start < lines->len) {
		char *begin = lines->buf + lines->start;
		char *newline = memchr(begin, '\n', lines->len - lines->start);
		size_t length;

		if (newline == NULL)
			return false;
		length = (size_t)(newline - begin);
		lines->start += length + 1;
		if (length > 0 && begin[length - 1] == '\r')
			length--;
		begin[length] = '\0';
		if (length == 0)
			continue;
		*line = begin;
		*len = length;
		return true;
	}
	return false;
}

size_t docker_lines_pending(const struct docker_lines *lines)
{
	return lines->len - lines->start;
}
