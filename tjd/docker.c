#include "config.h"

#include "common/error.h"

#include "tjd/docker-lines.h"
#include "tjd/docker.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/text.h"

/*
 * How it fits together: curl tells us which sockets to watch
 * (docker_socket_cb) and when to wake it (docker_timer_cb); libevent
 * calls back, we hand the event to curl_multi_socket_action, and then
 * docker_dispatch harvests finished transfers and calls the user's
 * callbacks.  User code never runs inside a curl callback, so it may call
 * anything here (start, cancel, even free the client); requests are only
 * marked dead while callbacks run and are freed once dispatch unwinds.
 */

#define DOCKER_CONNECT_TIMEOUT_MS 5000
/* A stream that fails with an HTTP status keeps this much of the body for the message. */
#define DOCKER_STREAM_ERROR_BODY 1024
/* Longest request path we send. */
#define DOCKER_MAX_PATH 8192
/* Idle time before TCP keepalive probes start on a tcp:// stream, and their interval. */
#define DOCKER_KEEPALIVE_IDLE_S 60
#define DOCKER_KEEPALIVE_INTERVAL_S 15

enum docker_request_kind {
	DOCKER_REQUEST_GET,
	DOCKER_REQUEST_STREAM,
};

struct docker_request {
	struct docker_client *client;
	struct docker_request *next; /* client->requests */
	enum docker_request_kind kind;
	CURL *easy; /* NULL once detached from the multi handle */
	char *path;
	bool finished; /* curl is done with it; the callback is due */
	bool dead;     /* callback delivered or cancelled; freed when dispatch unwinds */
	CURLcode result;
	long status;
	bool too_large;	    /* body or stream backlog over its limit */
	bool line_too_long; /* stream line over DOCKER_MAX_EVENT_LINE */
	char *buf;	    /* a GET's body, or the start of a failed stream's */
	size_t len;
	size_t cap;
	struct docker_lines lines; /* stream: the body, split into lines */
	docker_response_cb cb;
	docker_event_cb on_line;
	docker_stream_end_cb on_end;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
};

/* One socket curl asked us to watch. */
struct docker_socket {
	struct docker_client *client;
	struct docker_socket *next;
	struct docker_socket *prev;
	curl_socket_t fd;
	struct event *event;
};

struct docker_client {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	char *unix_path;  /* NULL for tcp:// */
	char *url_prefix; /* "http://localhost" or "http://host:port" */
	bool tcp;
	struct docker_request *requests;
	struct docker_request *stream;
	struct docker_socket *sockets;
	int dispatch_depth;
	bool dying; /* docker_client_free was called from a callback */
};

static void docker_dispatch(struct docker_client *client);
static void docker_client_destroy(struct docker_client *client);

/* curl_global_init once per process, before the first handle. */
static bool docker_global_init(void)
{
	static bool initialised;

	if (!initialised && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		initialised = true;
	return initialised;
}

/* Validates "host[:port]" of a tcp:// DOCKER_HOST and builds the URL prefix. */
static char *docker_tcp_prefix(const char *hostport, char *err, size_t errlen)
{
	const char *host = hostport, *host_end, *port = NULL, *end;
	size_t host_len, total;
	unsigned long port_number = 2375; /* Docker's own default for plain tcp:// */
	char *prefix;
	bool bracketed = false;

	end = hostport + strcspn(hostport, "/");
	if (*end == '/' && end[1] != '\0') {
		error_format(err, errlen, "docker host: tcp:// with a path is not supported");
		return NULL;
	}
	if (*host == '[') {
		bracketed = true;
		host_end = memchr(host, ']', (size_t)(end - host));
		if (host_end == NULL) {
			error_format(err, errlen, "docker host: missing ']' in IPv6 address");
			return NULL;
		}
		host++;
		if (host_end + 1 < end) {
			if (host_end[1] != ':') {
				error_format(err, errlen, "docker host: junk after ']'");
				return NULL;
			}
			port = host_end + 2;
		}
	} else {
		host_end = memchr(host, ':', (size_t)(end - host));
		if (host_end != NULL)
			port = host_end + 1;
		else
			host_end = end;
	}
	host_len = (size_t)(host_end - host);
	if (host_len == 0 || host_len > 253) {
		error_format(err, errlen, "docker host: missing or over-long host name");
		return NULL;
	}
	for (size_t i = 0; i < host_len; i++) {
		char c = host[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
			  (bracketed && c == ':');
		if (!ok) {
			error_format(err, errlen, "docker host: invalid character in host name");
			return NULL;
		}
	}
	if (port != NULL) {
		size_t digits = (size_t)(end - port);
		char *stop;

		if (digits == 0 || digits > 5 || strspn(port, "0123456789") != digits) {
			error_format(err, errlen, "docker host: invalid port");
			return NULL;
		}
		port_number = strtoul(port, &stop, 10);
		if (port_number == 0 || port_number > 65535) {
			error_format(err, errlen, "docker host: port out of range");
			return NULL;
		}
	}
	total = strlen("http://[]:65535") + host_len + 1;
	prefix = malloc(total);
	if (prefix == NULL) {
		error_format(err, errlen, "docker host: out of memory");
		return NULL;
	}
	snprintf(prefix, total, bracketed ? "http://[%.*s]:%lu" : "http://%.*s:%lu", (int)host_len,
		 host, port_number);
	return prefix;
}

/* Parses DOCKER_HOST into the client's URL prefix and unix socket path. */
static int docker_parse_host(struct docker_client *client, const char *docker_host, char *err,
			     size_t errlen)
{
	size_t len;

	if (docker_host == NULL) {
		error_format(err, errlen, "docker host: none given");
		return -1;
	}
	len = strlen(docker_host);
	if (!text_is_graphic(docker_host, len)) {
		error_format(err, errlen, "docker host: invalid character");
		return -1;
	}
	if (strncmp(docker_host, "unix://", 7) == 0) {
		const char *path = docker_host + 7;

		if (path[0] != '/') {
			error_format(err, errlen,
				     "docker host \"%s\": socket path must be absolute",
				     docker_host);
			return -1;
		}
		if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			error_format(err, errlen, "docker host: socket path too long");
			return -1;
		}
		client->unix_path = strdup(path);
		client->url_prefix = strdup("http://localhost");
		if (client->unix_path == NULL || client->url_prefix == NULL) {
			error_format(err, errlen, "docker host: out of memory");
			return -1;
		}
		return 0;
	}
	if (strncmp(docker_host, "tcp://", 6) == 0) {
		client->tcp = true;
		client->url_prefix = docker_tcp_prefix(docker_host + 6, err, errlen);
		return client->url_prefix == NULL ? -1 : 0;
	}
	error_format(err, errlen, "docker host \"%.64s\": expected unix:///path or tcp://host:port",
		     docker_host);
	return -1;
}

/* libevent saw activity on a socket curl watches: let curl act, then dispatch. */
static void docker_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct docker_client *client = arg;
	int action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(client->multi, fd, action, &running);
	docker_dispatch(client);
}

/* curl's timer expired. */
static void docker_timer_event(evutil_socket_t fd, short what, void *arg)
{
	struct docker_client *client = arg;
	int running;

	curl_multi_socket_action(client->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	docker_dispatch(client);
}

/* Forgets one watched socket. */
static void docker_socket_free(struct docker_socket *sock)
{
	if (sock->prev != NULL)
		sock->prev->next = sock->next;
	else
		sock->client->sockets = sock->next;
	if (sock->next != NULL)
		sock->next->prev = sock->prev;
	if (sock->event != NULL)
		event_free(sock->event);
	free(sock);
}

/* CURLMOPT_SOCKETFUNCTION: (re)arm or drop the libevent event for one socket. */
static int docker_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct docker_client *client = userp;
	struct docker_socket *sock = socketp;
	short events = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (sock != NULL)
			docker_socket_free(sock);
		return 0;
	}
	if (sock == NULL) {
		sock = calloc(1, sizeof(*sock));
		if (sock == NULL)
			return -1;
		sock->client = client;
		sock->fd = fd;
		sock->next = client->sockets;
		if (client->sockets != NULL)
			client->sockets->prev = sock;
		client->sockets = sock;
		curl_multi_assign(client->multi, fd, sock);
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	if (sock->event != NULL)
		event_free(sock->event);
	sock->event = event_new(client->base, fd, events, docker_socket_event, client);
	if (sock->event == NULL || event_add(sock->event, NULL) < 0)
		return -1;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: one non-repeating timer; -1 deletes it. */
static int docker_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct docker_client *client = userp;
	struct timeval tv;

	if (timeout_ms < 0)
		return evtimer_del(client->timer) < 0 ? -1 : 0;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(client->timer, &tv) < 0 ? -1 : 0;
}

struct docker_client *docker_client_new(struct event_base *base, const char *docker_host, char *err,
					size_t errlen)
{
	struct docker_client *client;

	if (!docker_global_init()) {
		error_format(err, errlen, "docker: curl_global_init failed");
		return NULL;
	}
	client = calloc(1, sizeof(*client));
	if (client == NULL) {
		error_format(err, errlen, "docker: out of memory");
		return NULL;
	}
	client->base = base;
	if (docker_parse_host(client, docker_host, err, errlen) < 0)
		goto fail;
	client->timer = evtimer_new(base, docker_timer_event, client);
	client->multi = curl_multi_init();
	if (client->timer == NULL || client->multi == NULL) {
		error_format(err, errlen, "docker: out of memory");
		goto fail;
	}
	curl_multi_setopt(client->multi, CURLMOPT_SOCKETFUNCTION, docker_socket_cb);
	curl_multi_setopt(client->multi, CURLMOPT_SOCKETDATA, client);
	curl_multi_setopt(client->multi, CURLMOPT_TIMERFUNCTION, docker_timer_cb);
	curl_multi_setopt(client->multi, CURLMOPT_TIMERDATA, client);
	/*
	 * However many containers a run inspects, Docker sees a few kept-alive
	 * connections: curl queues the rest of the requests.
	 */
	curl_multi_setopt(client->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, DOCKER_MAX_CONNECTIONS);
	return client;
fail:
	docker_client_destroy(client);
	return NULL;
}

/* Detaches a request from curl (no more callbacks from it). */
static void docker_request_detach(struct docker_request *request)
{
	if (request->easy == NULL)
		return;
	curl_multi_remove_handle(request->client->multi, request->easy);
	curl_easy_cleanup(request->easy);
	request->easy = NULL;
}

/* Frees one request's memory; it must already be unlinked and detached. */
static void docker_request_free(struct docker_request *request)
{
	free(request->path);
	free(request->buf);
	docker_lines_free(&request->lines);
	free(request);
}

/* Unlinks and frees requests marked dead; only when no callback is running. */
static void docker_sweep(struct docker_client *client)
{
	struct docker_request **link = &client->requests;

	while (*link != NULL) {
		struct docker_request *request = *link;
		if (request->dead) {
			*link = request->next;
			docker_request_detach(request);
			docker_request_free(request);
		} else {
			link = &request->next;
		}
	}
}

/* Marks a request dead and detaches it; freed now or when dispatch unwinds. */
static void docker_request_kill(struct docker_request *request)
{
	struct docker_client *client = request->client;

	request->dead = true;
	docker_request_detach(request);
	if (client->stream == request)
		client->stream = NULL;
	if (client->dispatch_depth == 0)
		docker_sweep(client);
}

/* Frees everything; the caller made sure no callback is running. */
static void docker_client_destroy(struct docker_client *client)
{
	struct docker_request *request;

	for (request = client->requests; request != NULL; request = request->next)
		request->dead = true;
	docker_sweep(client);
	client->stream = NULL;
	if (client->multi != NULL)
		curl_multi_cleanup(client->multi);
	/* Sockets curl never told us to remove (connections it kept alive). */
	while (client->sockets != NULL)
		docker_socket_free(client->sockets);
	if (client->timer != NULL)
		event_free(client->timer);
	free(client->unix_path);
	free(client->url_prefix);
	free(client);
}

void docker_client_free(struct docker_client *client)
{
	struct docker_request *request;

	if (client == NULL)
		return;
	if (client->dispatch_depth > 0) {
		/* Called from one of our callbacks: stop everything, free on the way out. */
		client->dying = true;
		for (request = client->requests; request != NULL; request = request->next) {
			request->dead = true;
			docker_request_detach(request);
		}
		client->stream = NULL;
		return;
	}
	docker_client_destroy(client);
}

/* Appends received bytes, growing the buffer geometrically. */
static int docker_buffer_append(struct docker_request *request, const char *data, size_t len)
{
	if (request->cap - request->len < len + 1) {
		size_t cap = request->cap ? request->cap : 4096;
		char *buf;

		while (cap - request->len < len + 1)
			cap *= 2;
		buf = realloc(request->buf, cap);
		if (buf == NULL)
			return -1;
		request->buf = buf;
		request->cap = cap;
	}
	memcpy(request->buf + request->len, data, len);
	request->len += len;
	request->buf[request->len] = '\0';
	return 0;
}

/* CURLOPT_WRITEFUNCTION for GETs: collect the body up to DOCKER_MAX_BODY. */
static size_t docker_get_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct docker_request *request = userp;
	size_t len = size * nmemb;

	if (request->dead)
		return 0;
	if (len > DOCKER_MAX_BODY - request->len) {
		request->too_large = true;
		return 0;
	}
	if (docker_buffer_append(request, data, len) < 0)
		return 0;
	return len;
}

/*
 * CURLOPT_WRITEFUNCTION for the stream: only buffers; complete lines are
 * handed out by docker_dispatch once curl has returned.  Enforces the line
 * limit as bytes arrive, so a peer that never sends '\n' cannot grow us.
 */
static size_t docker_stream_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct docker_request *request = userp;
	size_t len = size * nmemb;

	if (request->dead)
		return 0;
	if (request->status == 0)
		curl_easy_getinfo(request->easy, CURLINFO_RESPONSE_CODE, &request->status);
	if (request->status >= 400) {
		/* Keep the start of an error body for the message, drop the rest. */
		size_t room = DOCKER_STREAM_ERROR_BODY - request->len;
		if (request->len < DOCKER_STREAM_ERROR_BODY &&
		    docker_buffer_append(request, data, len < room ? len : room) < 0)
			return 0;
		return len;
	}
	switch (docker_lines_feed(&request->lines, data, len)) {
	case DOCKER_LINES_OK:
		return len;
	case DOCKER_LINES_TOO_LONG:
		request->line_too_long = true;
		return 0;
	case DOCKER_LINES_TOO_MUCH:
		request->too_large = true;
		return 0;
	case DOCKER_LINES_NO_MEMORY:
		break;
	}
	return 0;
}

/* Common easy-handle options for both kinds of request. */
static CURL *docker_easy_new(struct docker_client *client, struct docker_request *request)
{
	CURL *easy = curl_easy_init();
	size_t url_len;
	char *url;
	bool ok;

	if (easy == NULL)
		return NULL;
	url_len = strlen(client->url_prefix) + strlen(request->path) + 1;
	url = malloc(url_len);
	if (url == NULL) {
		curl_easy_cleanup(easy);
		return NULL;
	}
	snprintf(url, url_len, "%s%s", client->url_prefix, request->path);
	ok = curl_easy_setopt(easy, CURLOPT_URL, url) == CURLE_OK;
	free(url);
	if (client->unix_path != NULL)
		ok = ok && curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, client->unix_path) ==
			       CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
	ok = ok && curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http") == CURLE_OK;
#else
	ok = ok && curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP) == CURLE_OK;
#endif
	/* Never let http_proxy & co. divert the Docker socket. */
	ok = ok && curl_easy_setopt(easy, CURLOPT_PROXY, "") == CURLE_OK;
	ok = ok && curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok = ok &&
	     curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) == CURLE_OK;
	ok = ok && curl_easy_setopt(easy, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION) ==
		       CURLE_OK;
	ok = ok && curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
				    (long)DOCKER_CONNECT_TIMEOUT_MS) == CURLE_OK;
	ok = ok && curl_easy_setopt(easy, CURLOPT_PRIVATE, request) == CURLE_OK;
	ok = ok && curl_easy_setopt(easy, CURLOPT_WRITEDATA, request) == CURLE_OK;
	ok = ok && curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, request->errbuf) == CURLE_OK;
	if (!ok) {
		curl_easy_cleanup(easy);
		return NULL;
	}
	return easy;
}

/* Paths are ours, but they carry names from config: no spaces or control bytes. */
static bool docker_valid_path(const char *path)
{
	size_t len;

	if (path == NULL || path[0] != '/')
		return false;
	len = strlen(path);
	return len <= DOCKER_MAX_PATH && text_is_graphic(path, len);
}

/* Creates a request, its easy handle, and hands it to the multi handle. */
static struct docker_request *docker_request_start(struct docker_client *client,
						   enum docker_request_kind kind, const char *path)
{
	struct docker_request *request;
	bool ok;

	if (client == NULL || client->dying || !docker_valid_path(path))
		return NULL;
	request = calloc(1, sizeof(*request));
	if (request == NULL)
		return NULL;
	request->client = client;
	request->kind = kind;
	docker_lines_init(&request->lines, DOCKER_MAX_EVENT_LINE, DOCKER_MAX_BODY);
	request->path = strdup(path);
	if (request->path == NULL)
		goto fail;
	request->easy = docker_easy_new(client, request);
	if (request->easy == NULL)
		goto fail;
	if (kind == DOCKER_REQUEST_GET) {
		ok = curl_easy_setopt(request->easy, CURLOPT_WRITEFUNCTION, docker_get_write) ==
			 CURLE_OK &&
		     curl_easy_setopt(request->easy, CURLOPT_TIMEOUT_MS,
				      (long)DOCKER_REQUEST_TIMEOUT_MS) == CURLE_OK &&
		     curl_easy_setopt(request->easy, CURLOPT_MAXFILESIZE_LARGE,
				      (curl_off_t)DOCKER_MAX_BODY) == CURLE_OK;
	} else {
		/*
		 * No total or low-speed timeout: the event stream may be idle for
		 * hours.  A dead dockerd closes the unix socket; over tcp:// the
		 * keepalive probes notice a vanished peer.
		 */
		ok = curl_easy_setopt(request->easy, CURLOPT_WRITEFUNCTION, docker_stream_write) ==
		     CURLE_OK;
		if (client->tcp)
			ok = ok &&
			     curl_easy_setopt(request->easy, CURLOPT_TCP_KEEPALIVE, 1L) ==
				 CURLE_OK &&
			     curl_easy_setopt(request->easy, CURLOPT_TCP_KEEPIDLE,
					      (long)DOCKER_KEEPALIVE_IDLE_S) == CURLE_OK &&
			     curl_easy_setopt(request->easy, CURLOPT_TCP_KEEPINTVL,
					      (long)DOCKER_KEEPALIVE_INTERVAL_S) == CURLE_OK;
	}
	if (!ok)
		goto fail;
	request->next = client->requests;
	client->requests = request;
	if (curl_multi_add_handle(client->multi, request->easy) != CURLM_OK) {
		/* Already linked: let the sweep free it. */
		docker_request_kill(request);
		return NULL;
	}
	return request;
fail:
	if (request->easy != NULL)
		curl_easy_cleanup(request->easy);
	docker_request_free(request);
	return NULL;
}

struct docker_request *docker_get(struct docker_client *client, const char *path,
				  docker_response_cb cb, void *arg)
{
	struct docker_request *request;

	if (cb == NULL)
		return NULL;
	request = docker_request_start(client, DOCKER_REQUEST_GET, path);
	if (request != NULL) {
		request->cb = cb;
		request->arg = arg;
	}
	return request;
}

void docker_request_cancel(struct docker_request *request)
{
	if (request == NULL || request->dead)
		return;
	docker_request_kill(request);
}

int docker_stream_start(struct docker_client *client, const char *path, docker_event_cb on_line,
			docker_stream_end_cb on_end, void *arg)
{
	struct docker_request *request;

	if (client == NULL || on_line == NULL || on_end == NULL)
		return -1;
	docker_stream_stop(client);
	request = docker_request_start(client, DOCKER_REQUEST_STREAM, path);
	if (request == NULL)
		return -1;
	request->on_line = on_line;
	request->on_end = on_end;
	request->arg = arg;
	client->stream = request;
	return 0;
}

void docker_stream_stop(struct docker_client *client)
{
	if (client != NULL && client->stream != NULL)
		docker_request_kill(client->stream);
}

bool docker_stream_active(const struct docker_client *client)
{
	return client != NULL && client->stream != NULL;
}

/* Moves every finished transfer out of curl, recording how it ended. */
static void docker_harvest(struct docker_client *client)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(client->multi, &left)) != NULL) {
		struct docker_request *request;
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result;
		char *private = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &private);
		request = (struct docker_request *)private;
		if (request == NULL || request->easy != easy)
			continue;
		request->result = result;
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &request->status);
		docker_request_detach(request);
		request->finished = true;
	}
}

/* Hands complete stream lines to on_line; stops if the callback ends the stream. */
static void docker_deliver_lines(struct docker_client *client)
{
	struct docker_request *request = client->stream;
	char *line;
	size_t line_len;

	if (request == NULL || request->status >= 400)
		return;
	while (!request->dead && !client->dying &&
	       docker_lines_next(&request->lines, &line, &line_len))
		request->on_line(request->arg, line, line_len);
}

/* Builds the message for a transfer that failed. */
static void docker_failure_message(const struct docker_client *client,
				   const struct docker_request *request, char *msg, size_t msglen)
{
	const char *what = request->kind == DOCKER_REQUEST_GET ? "GET" : "stream";

	/* curl would name "localhost port 80"; say which socket it was. */
	if (client->unix_path != NULL && request->result == CURLE_COULDNT_CONNECT)
		snprintf(msg, msglen, "docker %s %.200s: cannot connect to %.200s", what,
			 request->path, client->unix_path);
	else if (request->too_large)
		snprintf(msg, msglen, "docker %s %.200s: response larger than %u bytes", what,
			 request->path, DOCKER_MAX_BODY);
	else if (request->line_too_long)
		snprintf(msg, msglen, "docker %s %.200s: event line longer than %u bytes", what,
			 request->path, DOCKER_MAX_EVENT_LINE);
	else if (request->result == CURLE_FILESIZE_EXCEEDED)
		snprintf(msg, msglen, "docker %s %.200s: response larger than %u bytes", what,
			 request->path, DOCKER_MAX_BODY);
	else
		snprintf(msg, msglen, "docker %s %.200s: %s", what, request->path,
			 request->errbuf[0] ? request->errbuf
					    : curl_easy_strerror(request->result));
}

/* Calls the callback of one finished request (already detached from curl). */
static void docker_complete(struct docker_client *client, struct docker_request *request)
{
	char msg[CURL_ERROR_SIZE + 256 + DOCKER_STREAM_ERROR_BODY];
	size_t pending;

	request->dead = true;
	if (request->kind == DOCKER_REQUEST_GET) {
		if (request->result != CURLE_OK) {
			docker_failure_message(client, request, msg, sizeof(msg));
			request->cb(request->arg, 0, "", 0, msg);
		} else {
			request->cb(request->arg, request->status,
				    request->buf != NULL ? request->buf : "", request->len, NULL);
		}
		return;
	}
	/* The stream: it is over whatever happened, so a new one may start from on_end. */
	pending = docker_lines_pending(&request->lines);
	if (client->stream == request)
		client->stream = NULL;
	if (request->status >= 400)
		snprintf(msg, sizeof(msg), "docker stream %.200s: HTTP %ld: %s", request->path,
			 request->status, request->buf != NULL ? request->buf : "");
	else if (request->result != CURLE_OK)
		docker_failure_message(client, request, msg, sizeof(msg));
	else if (pending > 0)
		snprintf(msg, sizeof(msg), "docker stream %.200s: ended inside a line",
			 request->path);
	request->on_end(
	    request->arg,
	    (request->status >= 400 || request->result != CURLE_OK || pending > 0) ? msg : NULL);
}

/*
 * Runs after every curl_multi_socket_action: finished transfers are
 * detached from curl first, then user callbacks run, then dead requests
 * are freed.  Requests created by callbacks are linked at the head and
 * are never finished yet, so walking the list stays safe.
 */
static void docker_dispatch(struct docker_client *client)
{
	struct docker_request *request;

	client->dispatch_depth++;
	docker_harvest(client);
	docker_deliver_lines(client);
	for (request = client->requests; request != NULL && !client->dying;
	     request = request->next) {
		if (request->finished && !request->dead)
			docker_complete(client, request);
	}
	client->dispatch_depth--;
	if (client->dispatch_depth > 0)
		return;
	if (client->dying)
		docker_client_destroy(client);
	else
		docker_sweep(client);
}

char *docker_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len;
	char *out, *p;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(len * 3 + 1);
	if (out == NULL)
		return NULL;
	p = out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 0xf];
		}
	}
	*p = '\0';
	return out;
}
