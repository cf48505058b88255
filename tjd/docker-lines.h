/*
 * The framing of Docker's /events stream: newline-terminated JSON lines in
 * an HTTP body that arrives in chunks of any size.  Pure, no I/O: docker.c
 * feeds it what curl receives and takes the complete lines out after curl
 * has returned (user code never runs inside a curl callback); the fuzz
 * target feeds it arbitrary chunks.  Both limits hold as bytes arrive, so a
 * peer that never sends '\n' cannot make us grow.
 */
#ifndef TJD_DOCKER_LINES_H
#define TJD_DOCKER_LINES_H

#include <stdbool.h>
#include <stddef.h>

struct docker_lines {
	char *buf;
	size_t len; /* bytes held, from buf[0] */
	size_t cap;
	size_t start;	 /* bytes at the front already taken out */
	size_t partial;	 /* bytes since the last newline */
	size_t max_line; /* longest line accepted, without its newline */
	size_t max_held; /* most bytes held: lines not yet taken out and the partial one */
};

enum docker_lines_status {
	DOCKER_LINES_OK = 0,
	DOCKER_LINES_TOO_LONG = -1, /* a line longer than max_line */
	DOCKER_LINES_TOO_MUCH = -2, /* more than max_held bytes waiting */
	DOCKER_LINES_NO_MEMORY = -3,
};

/* An empty framing with its two limits. */
void docker_lines_init(struct docker_lines *lines, size_t max_line, size_t max_held);
void docker_lines_free(struct docker_lines *lines);

/*
 * Adds one received chunk.  DOCKER_LINES_OK, or why not: then nothing was
 * added and the stream should end.  Invalidates lines handed out before.
 */
enum docker_lines_status docker_lines_feed(struct docker_lines *lines, const char *chunk,
					   size_t len);

/*
 * Takes out the next complete line: NUL-terminated, without its "\n" or
 * "\r\n", never empty (empty lines carry nothing and are skipped).  Valid
 * until the next feed.  false when no complete line is waiting.
 */
bool docker_lines_next(struct docker_lines *lines, char **line, size_t *len);

/* Bytes held and not taken out: a stream that ends with some ended inside a line. */
size_t docker_lines_pending(const struct docker_lines *lines);

#endif
