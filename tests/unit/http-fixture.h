/*
 * A small HTTP/1.1 server for the suites that test tjd against "Docker":
 * it listens on a fresh unix socket (or 127.0.0.1), runs a thread per
 * connection, and answers each request either from a table of canned byte
 * sequences (exactly what goes on the wire, for the client's corner
 * cases) or from a handler that returns a status and a body (framed with
 * Content-Length, connection kept alive, for simulated Docker APIs of any
 * size).  Streams (Docker's /events) are held open and fed with
 * http_fixture_stream_send from the test.
 *
 * Used by check_docker, check_reconcile and the scale benchmark.
 */
#ifndef TJD_TESTS_HTTP_FIXTURE_H
#define TJD_TESTS_HTTP_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * The fixtures' own invariants (not Check assertions: they also serve the
 * benchmarks, outside any test); a broken one aborts, which a suite reports.
 */
#define FIXTURE_ASSERT(condition)                                                                  \
	do {                                                                                       \
		if (!(condition)) {                                                                \
			fprintf(stderr, "%s:%d: fixture invariant failed: %s\n", __FILE__,         \
				__LINE__, #condition);                                             \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define HTTP_FIXTURE_MAX_PARTS 16
#define HTTP_FIXTURE_MAX_TARGETS 4096

/* What the server sends for one request target. */
struct http_route {
	const char *target;
	const char *parts[HTTP_FIXTURE_MAX_PARTS]; /* written in order, delay_ms between */
	int delay_ms;
	bool hold;		  /* keep the connection open until the client or server ends */
	void (*generate)(int fd); /* instead of parts */
};

/*
 * A dynamic answer for a target no route matched.  Fills *status and a
 * malloc'd *body; returns false for "no such route" (404).  Called from
 * the connection's thread.
 */
typedef bool (*http_fixture_handler)(void *arg, const char *target, int *status, char **body,
				     size_t *len);

struct http_fixture;

/* Starts a server on a fresh unix socket (tcp false) or 127.0.0.1:ephemeral. */
struct http_fixture *http_fixture_start(const struct http_route *routes, size_t count, bool tcp);
/* Stops the server and joins every thread. */
void http_fixture_stop(struct http_fixture *fixture);
/* Answers targets without a route through `handler` (set before the first request). */
void http_fixture_set_handler(struct http_fixture *fixture, http_fixture_handler handler,
			      void *arg);
/*
 * Targets starting with `prefix` become streams: a chunked 200 held open,
 * carrying what http_fixture_stream_send hands over.
 */
void http_fixture_set_stream(struct http_fixture *fixture, const char *prefix);
/* Sends text (one chunk) to every open stream; returns how many got it. */
int http_fixture_stream_send(struct http_fixture *fixture, const char *text);
/* Ends every open stream cleanly (the terminating chunk, then close). */
void http_fixture_stream_end(struct http_fixture *fixture);
/* Number of streams open now. */
int http_fixture_stream_count(struct http_fixture *fixture);

/* "unix://<socket>" or "tcp://127.0.0.1:<port>". */
void http_fixture_host(const struct http_fixture *fixture, char *buf, size_t size);
/* Held connections the client has closed so far. */
int http_fixture_closed_by_client(struct http_fixture *fixture);
/* Requests received so far, and how many had a target starting with prefix. */
size_t http_fixture_requests(struct http_fixture *fixture, const char *prefix);
/* Forgets the request log (the counts above start again from 0). */
void http_fixture_reset_requests(struct http_fixture *fixture);

/* Writes all of buf, giving up quietly when the client has gone. */
bool http_fixture_send(int fd, const char *buf, size_t len);

#endif
