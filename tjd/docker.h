/*
 * Docker Engine API client: HTTP/1.1 GETs over the unix socket (or tcp://)
 * through libcurl's multi-socket interface, driven by libevent.  Nothing
 * here blocks the event loop.
 */
#ifndef TJD_DOCKER_H
#define TJD_DOCKER_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct docker_client;
struct docker_request;

/* Hard limits on what Docker may send us. */
#define DOCKER_MAX_BODY (32u * 1024 * 1024)
#define DOCKER_MAX_EVENT_LINE (64u * 1024)
#define DOCKER_REQUEST_TIMEOUT_MS 15000
/* Connections to Docker at once, the event stream's included. */
#define DOCKER_MAX_CONNECTIONS 8

/*
 * Called once per request.  On success error is NULL and status is the HTTP
 * status; body is NUL-terminated (len excludes the NUL) and only valid during
 * the call.  On transport failure error is a message and status 0.
 */
typedef void (*docker_response_cb)(void *arg, long status, const char *body, size_t len,
				   const char *error);
/* One complete line of the /events stream (without the newline). */
typedef void (*docker_event_cb)(void *arg, const char *line, size_t len);
/* The event stream ended; error is NULL on a clean close. */
typedef void (*docker_stream_end_cb)(void *arg, const char *error);

/*
 * docker_host: "unix:///path" or "tcp://host:port" (as DOCKER_HOST).
 * Returns NULL with err set on an invalid host.
 */
struct docker_client *docker_client_new(struct event_base *base, const char *docker_host,
					char *err, size_t errlen);
/* Cancels everything in flight without calling callbacks. */
void docker_client_free(struct docker_client *client);

/* GET path (starting with '/', query already escaped). Returns NULL on error. */
struct docker_request *docker_get(struct docker_client *client, const char *path,
				  docker_response_cb cb, void *arg);
/* Cancels one request; its callback is not called. */
void docker_request_cancel(struct docker_request *request);

/*
 * Follows a streaming GET (/events...) with no overall timeout; each line is
 * handed to on_line; on_end is called once when it stops.  One stream per
 * client; starting a new one cancels the old one.
 */
int docker_stream_start(struct docker_client *client, const char *path, docker_event_cb on_line,
			docker_stream_end_cb on_end, void *arg);
void docker_stream_stop(struct docker_client *client);
bool docker_stream_active(const struct docker_client *client);

/* Percent-encodes s for a query string; malloc'd. */
char *docker_escape(const char *s);

#endif
