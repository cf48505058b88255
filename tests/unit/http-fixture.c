/* A small HTTP/1.1 server for tests; see http-fixture.h. */
#include "config.h"

#include "http-fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define HTTP_FIXTURE_REQUEST_MAX 8192

/* One open stream connection. */
struct http_stream {
	int fd;
	bool open;
};

struct http_fixture {
	int listen_fd;
	int stop_pipe[2];
	char dir[64];
	char socket_path[108];
	int port;
	const struct http_route *routes;
	size_t route_count;
	http_fixture_handler handler;
	void *handler_arg;
	char stream_prefix[128];
	pthread_t acceptor;
	pthread_mutex_t lock;
	pthread_t *workers;
	size_t worker_count;
	size_t worker_capacity;
	char **targets;
	size_t target_count;
	int closed_by_client;
	struct http_stream *streams;
	size_t stream_count;
	size_t stream_capacity;
};

struct http_connection {
	struct http_fixture *fixture;
	int fd;
};

/* Waits up to ms for the stop pipe (true) or, if fd >= 0, for fd to become readable. */
static bool http_fixture_wait(struct http_fixture *fixture, int fd, int ms)
{
	struct pollfd fds[2] = {
	    {.fd = fixture->stop_pipe[0], .events = POLLIN},
	    {.fd = fd, .events = POLLIN},
	};

	if (poll(fds, fd >= 0 ? 2 : 1, ms) < 0)
		return true;
	return fds[0].revents != 0;
}

bool http_fixture_send(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Records a request target. */
static void http_fixture_log(struct http_fixture *fixture, const char *target)
{
	pthread_mutex_lock(&fixture->lock);
	if (fixture->target_count < HTTP_FIXTURE_MAX_TARGETS) {
		char **grown = realloc(fixture->targets,
				       (fixture->target_count + 1) * sizeof(*fixture->targets));
		if (grown != NULL) {
			fixture->targets = grown;
			fixture->targets[fixture->target_count] = strdup(target);
			if (fixture->targets[fixture->target_count] != NULL)
				fixture->target_count++;
		}
	}
	pthread_mutex_unlock(&fixture->lock);
}

/*
 * Reads one request head into buf (keeping bytes of a following request
 * for the next call).  Returns the target, or false when the client went.
 */
static bool http_fixture_read_request(struct http_fixture *fixture, int fd, char *buf, size_t *have,
				      char *target, size_t target_size)
{
	char *end, *space;
	size_t length;

	for (;;) {
		buf[*have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end != NULL)
			break;
		if (*have >= HTTP_FIXTURE_REQUEST_MAX - 1 || http_fixture_wait(fixture, fd, 10000))
			return false;
		ssize_t n = recv(fd, buf + *have, HTTP_FIXTURE_REQUEST_MAX - 1 - *have, 0);
		if (n <= 0)
			return false;
		*have += (size_t)n;
	}
	if (strncmp(buf, "GET ", 4) != 0 || (space = strchr(buf + 4, ' ')) == NULL ||
	    strncmp(space, " HTTP/1.1\r\n", 11) != 0)
		return false;
	length = (size_t)(space - (buf + 4));
	if (length == 0 || length >= target_size)
		return false;
	memcpy(target, buf + 4, length);
	target[length] = '\0';
	/* Keep whatever follows this head (GETs have no body). */
	end += 4;
	*have -= (size_t)(end - buf);
	memmove(buf, end, *have);
	return true;
}

/* Plays a canned route; closes afterwards like the real server would after Connection: close. */
static void http_fixture_play(struct http_fixture *fixture, struct http_connection *conn,
			      const struct http_route *route)
{
	if (route->generate != NULL) {
		route->generate(conn->fd);
		return;
	}
	for (int i = 0; i < HTTP_FIXTURE_MAX_PARTS && route->parts[i] != NULL; i++) {
		if (i > 0 && route->delay_ms > 0 && http_fixture_wait(fixture, -1, route->delay_ms))
			return;
		if (!http_fixture_send(conn->fd, route->parts[i], strlen(route->parts[i])))
			return;
	}
	if (route->hold) {
		char byte;
		while (!http_fixture_wait(fixture, conn->fd, 10000)) {
			if (recv(conn->fd, &byte, 1, 0) <= 0) {
				pthread_mutex_lock(&fixture->lock);
				fixture->closed_by_client++;
				pthread_mutex_unlock(&fixture->lock);
				break;
			}
		}
	}
}

/* Holds a stream open until the client or the test ends it. */
static void http_fixture_stream(struct http_fixture *fixture, struct http_connection *conn)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n";
	struct http_stream *slot = NULL;
	size_t index = 0;
	char byte;

	pthread_mutex_lock(&fixture->lock);
	if (fixture->stream_count == fixture->stream_capacity) {
		size_t capacity = fixture->stream_capacity ? fixture->stream_capacity * 2 : 8;
		struct http_stream *grown =
		    realloc(fixture->streams, capacity * sizeof(*fixture->streams));
		if (grown != NULL) {
			fixture->streams = grown;
			fixture->stream_capacity = capacity;
		}
	}
	if (fixture->stream_count < fixture->stream_capacity) {
		index = fixture->stream_count++;
		slot = &fixture->streams[index];
		slot->fd = conn->fd;
		slot->open = true;
	}
	/* The head goes out under the lock, so no chunk can overtake it. */
	if (slot != NULL && !http_fixture_send(conn->fd, head, sizeof(head) - 1))
		slot->open = false;
	pthread_mutex_unlock(&fixture->lock);
	if (slot == NULL)
		return;
	while (!http_fixture_wait(fixture, conn->fd, 60000)) {
		if (recv(conn->fd, &byte, 1, 0) <= 0)
			break;
	}
	pthread_mutex_lock(&fixture->lock);
	fixture->streams[index].open = false;
	pthread_mutex_unlock(&fixture->lock);
}

/* Answers one request through the handler; false when the connection must end. */
static bool http_fixture_answer(struct http_fixture *fixture, struct http_connection *conn,
				const char *target)
{
	char head[256];
	char *body = NULL;
	size_t len = 0;
	int status = 404;
	bool found = fixture->handler != NULL &&
		     fixture->handler(fixture->handler_arg, target, &status, &body, &len);
	int n;

	if (!found) {
		status = 404;
		free(body);
		body = strdup("{\"message\":\"not found\"}");
		len = body != NULL ? strlen(body) : 0;
	}
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     status, status == 200 ? "OK" : "Error", len);
	found = http_fixture_send(conn->fd, head, (size_t)n) &&
		(len == 0 || http_fixture_send(conn->fd, body, len));
	free(body);
	return found;
}

/* One connection: requests until the client goes or a canned route ends it. */
static void *http_fixture_connection(void *arg)
{
	struct http_connection *conn = arg;
	struct http_fixture *fixture = conn->fixture;
	char *request = malloc(HTTP_FIXTURE_REQUEST_MAX);
	char target[2048];
	size_t have = 0;

	if (request == NULL)
		goto out;
	while (
	    http_fixture_read_request(fixture, conn->fd, request, &have, target, sizeof(target))) {
		const struct http_route *route = NULL;

		http_fixture_log(fixture, target);
		for (size_t i = 0; i < fixture->route_count; i++)
			if (strcmp(fixture->routes[i].target, target) == 0)
				route = &fixture->routes[i];
		if (route != NULL) {
			http_fixture_play(fixture, conn, route);
			break;
		}
		if (fixture->stream_prefix[0] != '\0' &&
		    strncmp(target, fixture->stream_prefix, strlen(fixture->stream_prefix)) == 0) {
			http_fixture_stream(fixture, conn);
			break;
		}
		if (fixture->handler == NULL) {
			static const char missing[] =
			    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
			    "Connection: close\r\n\r\n";
			http_fixture_send(conn->fd, missing, strlen(missing));
			break;
		}
		if (!http_fixture_answer(fixture, conn, target))
			break;
	}
out:
	free(request);
	close(conn->fd);
	free(conn);
	return NULL;
}

/* Accepts connections until told to stop. */
static void *http_fixture_accept(void *arg)
{
	struct http_fixture *fixture = arg;

	while (!http_fixture_wait(fixture, fixture->listen_fd, 10000)) {
		struct http_connection *conn;
		int fd = accept(fixture->listen_fd, NULL, NULL);

		if (fd < 0)
			continue;
		conn = malloc(sizeof(*conn));
		FIXTURE_ASSERT((conn) != NULL);
		conn->fixture = fixture;
		conn->fd = fd;
		pthread_mutex_lock(&fixture->lock);
		if (fixture->worker_count == fixture->worker_capacity) {
			size_t capacity =
			    fixture->worker_capacity ? fixture->worker_capacity * 2 : 32;
			pthread_t *grown = realloc(fixture->workers, capacity * sizeof(pthread_t));
			FIXTURE_ASSERT((grown) != NULL);
			fixture->workers = grown;
			fixture->worker_capacity = capacity;
		}
		FIXTURE_ASSERT(pthread_create(&fixture->workers[fixture->worker_count++], NULL,
					      http_fixture_connection, conn) == 0);
		pthread_mutex_unlock(&fixture->lock);
	}
	return NULL;
}

struct http_fixture *http_fixture_start(const struct http_route *routes, size_t count, bool tcp)
{
	struct http_fixture *fixture = calloc(1, sizeof(*fixture));

	FIXTURE_ASSERT((fixture) != NULL);
	fixture->routes = routes;
	fixture->route_count = count;
	pthread_mutex_init(&fixture->lock, NULL);
	FIXTURE_ASSERT((pipe(fixture->stop_pipe)) == 0);
	if (tcp) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		socklen_t len = sizeof(sin);

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fixture->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		FIXTURE_ASSERT((fixture->listen_fd) >= 0);
		FIXTURE_ASSERT((bind(fixture->listen_fd, (struct sockaddr *)&sin, sizeof(sin))) ==
			       0);
		FIXTURE_ASSERT((getsockname(fixture->listen_fd, (struct sockaddr *)&sin, &len)) ==
			       0);
		fixture->port = ntohs(sin.sin_port);
	} else {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};

		snprintf(fixture->dir, sizeof(fixture->dir), "/tmp/tjd-http-fixture.XXXXXX");
		FIXTURE_ASSERT((mkdtemp(fixture->dir)) != NULL);
		snprintf(fixture->socket_path, sizeof(fixture->socket_path), "%s/docker.sock",
			 fixture->dir);
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", fixture->socket_path);
		fixture->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		FIXTURE_ASSERT((fixture->listen_fd) >= 0);
		FIXTURE_ASSERT((bind(fixture->listen_fd, (struct sockaddr *)&sun, sizeof(sun))) ==
			       0);
	}
	FIXTURE_ASSERT((listen(fixture->listen_fd, 256)) == 0);
	FIXTURE_ASSERT(pthread_create(&fixture->acceptor, NULL, http_fixture_accept, fixture) == 0);
	return fixture;
}

void http_fixture_stop(struct http_fixture *fixture)
{
	FIXTURE_ASSERT(write(fixture->stop_pipe[1], "x", 1) == 1);
	pthread_join(fixture->acceptor, NULL);
	for (size_t i = 0; i < fixture->worker_count; i++)
		pthread_join(fixture->workers[i], NULL);
	close(fixture->listen_fd);
	close(fixture->stop_pipe[0]);
	close(fixture->stop_pipe[1]);
	if (fixture->socket_path[0] != '\0') {
		unlink(fixture->socket_path);
		rmdir(fixture->dir);
	}
	pthread_mutex_destroy(&fixture->lock);
	for (size_t i = 0; i < fixture->target_count; i++)
		free(fixture->targets[i]);
	free(fixture->targets);
	free(fixture->workers);
	free(fixture->streams);
	free(fixture);
}

void http_fixture_set_handler(struct http_fixture *fixture, http_fixture_handler handler, void *arg)
{
	pthread_mutex_lock(&fixture->lock);
	fixture->handler = handler;
	fixture->handler_arg = arg;
	pthread_mutex_unlock(&fixture->lock);
}

void http_fixture_set_stream(struct http_fixture *fixture, const char *prefix)
{
	pthread_mutex_lock(&fixture->lock);
	snprintf(fixture->stream_prefix, sizeof(fixture->stream_prefix), "%s", prefix);
	pthread_mutex_unlock(&fixture->lock);
}

int http_fixture_stream_send(struct http_fixture *fixture, const char *text)
{
	char size[32];
	int sent = 0;
	int n = snprintf(size, sizeof(size), "%zx\r\n", strlen(text));

	pthread_mutex_lock(&fixture->lock);
	for (size_t i = 0; i < fixture->stream_count; i++) {
		struct http_stream *stream = &fixture->streams[i];
		if (!stream->open)
			continue;
		if (http_fixture_send(stream->fd, size, (size_t)n) &&
		    http_fixture_send(stream->fd, text, strlen(text)) &&
		    http_fixture_send(stream->fd, "\r\n", 2))
			sent++;
		else
			stream->open = false;
	}
	pthread_mutex_unlock(&fixture->lock);
	return sent;
}

void http_fixture_stream_end(struct http_fixture *fixture)
{
	pthread_mutex_lock(&fixture->lock);
	for (size_t i = 0; i < fixture->stream_count; i++) {
		struct http_stream *stream = &fixture->streams[i];
		if (!stream->open)
			continue;
		http_fixture_send(stream->fd, "0\r\n\r\n", 5);
		shutdown(stream->fd, SHUT_RDWR);
		stream->open = false;
	}
	pthread_mutex_unlock(&fixture->lock);
}

int http_fixture_stream_count(struct http_fixture *fixture)
{
	int open = 0;

	pthread_mutex_lock(&fixture->lock);
	for (size_t i = 0; i < fixture->stream_count; i++)
		open += fixture->streams[i].open;
	pthread_mutex_unlock(&fixture->lock);
	return open;
}

void http_fixture_host(const struct http_fixture *fixture, char *buf, size_t size)
{
	if (fixture->port)
		snprintf(buf, size, "tcp://127.0.0.1:%d", fixture->port);
	else
		snprintf(buf, size, "unix://%s", fixture->socket_path);
}

int http_fixture_closed_by_client(struct http_fixture *fixture)
{
	int n;

	pthread_mutex_lock(&fixture->lock);
	n = fixture->closed_by_client;
	pthread_mutex_unlock(&fixture->lock);
	return n;
}

size_t http_fixture_requests(struct http_fixture *fixture, const char *prefix)
{
	size_t n = 0;

	pthread_mutex_lock(&fixture->lock);
	for (size_t i = 0; i < fixture->target_count; i++)
		if (prefix == NULL || strncmp(fixture->targets[i], prefix, strlen(prefix)) == 0)
			n++;
	pthread_mutex_unlock(&fixture->lock);
	return n;
}

void http_fixture_reset_requests(struct http_fixture *fixture)
{
	pthread_mutex_lock(&fixture->lock);
	for (size_t i = 0; i < fixture->target_count; i++)
		free(fixture->targets[i]);
	fixture->target_count = 0;
	pthread_mutex_unlock(&fixture->lock);
}
