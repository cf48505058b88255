/*
 * docker.c against a small HTTP/1.1 server run by the test itself (a thread
 * per connection, serving canned byte sequences over a unix or tcp socket),
 * driven by a real libevent loop with a safety timer.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "http-fixture.h"
#include "tjd/docker.h"

#define SAFETY_MS 10000

/* Everything a test's callbacks record. */
struct result {
	struct event_base *base;
	struct docker_client *client;
	int calls;
	long status;
	char *body;
	size_t len;
	char error[512];
	bool got_error;
	bool done;
	/* streams */
	char lines[16][256];
	int line_count;
	int ends;
	bool stop_after_first;
	bool restart_on_end;
	/* cancel tests */
	struct docker_request *victim;
	int victim_calls;
	bool free_client;
	int extra_calls;
};

/* Safety / "run for a while" timer callback. */
static void flag_cb(evutil_socket_t fd, short what, void *arg)
{
	*(bool *)arg = true;
}

/* Runs the loop until *flag or ms elapse; returns true when time ran out. */
static bool loop_until(struct event_base *base, const bool *flag, int ms)
{
	bool expired = false;
	struct event *timer = evtimer_new(base, flag_cb, &expired);
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	ck_assert_ptr_nonnull(timer);
	evtimer_add(timer, &tv);
	while ((flag == NULL || !*flag) && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(timer);
	return expired;
}

/* docker_response_cb that records the outcome. */
static void record_response(void *arg, long status, const char *body, size_t len, const char *error)
{
	struct result *r = arg;

	r->calls++;
	r->status = status;
	ck_assert_ptr_nonnull(body);
	ck_assert_uint_eq(strlen(body), len);
	free(r->body);
	r->body = strdup(body);
	r->len = len;
	r->got_error = error != NULL;
	snprintf(r->error, sizeof(r->error), "%s", error ? error : "");
	r->done = true;
}

/* Creates a client for the server; fails the test on error. */
static struct docker_client *client_for(struct event_base *base, const struct http_fixture *server)
{
	char host[256], err[256];
	struct docker_client *client;

	http_fixture_host(server, host, sizeof(host));
	client = docker_client_new(base, host, err, sizeof(err));
	ck_assert_msg(client != NULL, "%s", err);
	return client;
}

/* One GET against routes; fills r. */
static void get_once(const struct http_route *routes, size_t count, const char *path,
		     struct result *r, bool tcp)
{
	struct http_fixture *server;
	struct event_base *base = event_base_new();
	struct docker_client *client;

	memset(r, 0, sizeof(*r));
	server = http_fixture_start(routes, count, tcp);
	client = client_for(base, server);
	ck_assert_ptr_nonnull(docker_get(client, path, record_response, r));
	ck_assert_msg(!loop_until(base, &r->done, SAFETY_MS), "timed out");
	ck_assert_int_eq(r->calls, 1);
	docker_client_free(client);
	http_fixture_stop(server);
	event_base_free(base);
}

#define JSON_HEAD(len)                                                                             \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"                                    \
	"Content-Length: " #len "\r\nConnection: close\r\n\r\n"
#define CHUNKED_HEAD(status)                                                                       \
	"HTTP/1.1 " status "\r\nContent-Type: application/json\r\n"                                \
	"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"

START_TEST(get_content_length)
{
	static const struct http_route routes[] = {
	    {.target = "/networks/web", .parts = {JSON_HEAD(15), "{\"Name\":\"web\"}\n"}},
	};
	struct result r;

	get_once(routes, 1, "/networks/web", &r, false);
	ck_assert(!r.got_error);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"Name\":\"web\"}\n");
	ck_assert_uint_eq(r.len, 15);
	free(r.body);
}
END_TEST

START_TEST(get_not_found_is_a_status)
{
	static const struct http_route routes[] = {
	    {.target = "/networks/nosuch",
	     .parts = {"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
		       "Content-Length: 38\r\nConnection: close\r\n\r\n"
		       "{\"message\":\"network nosuch not found\"}"}},
	};
	struct result r;

	get_once(routes, 1, "/networks/nosuch", &r, false);
	ck_assert_msg(!r.got_error, "%s", r.error);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(r.body, "{\"message\":\"network nosuch not found\"}");
	free(r.body);
}
END_TEST

START_TEST(get_chunked)
{
	/* Chunks split mid-size-line, mid-data and mid-CRLF, in separate writes. */
	static const struct http_route routes[] = {
	    {.target = "/containers/json",
	     .parts = {CHUNKED_HEAD("200 OK"), "6\r\n[{\"I", "d\"\r", "\nf\r\n:\"abc\"}, {",
		       "\"Id\":", "\r\n4", "\r\n\"d\"}\r\n1\r\n]\r", "\n0\r\n\r\n"},
	     .delay_ms = 20},
	};
	struct result r;

	get_once(routes, 1, "/containers/json", &r, false);
	ck_assert_msg(!r.got_error, "%s", r.error);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "[{\"Id\":\"abc\"}, {\"Id\":\"d\"}]");
	free(r.body);
}
END_TEST

START_TEST(get_content_length_over_limit)
{
	static const struct http_route routes[] = {
	    {.target = "/big",
	     .parts = {"HTTP/1.1 200 OK\r\nContent-Length: 40000000\r\nConnection: close\r\n\r\n"
		       "[1,2,3"},
	     .hold = true},
	};
	struct result r;

	get_once(routes, 1, "/big", &r, false);
	ck_assert(r.got_error);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.error, "larger than") != NULL, "%s", r.error);
	free(r.body);
}
END_TEST

/* Sends a chunked body bigger than DOCKER_MAX_BODY, until the client hangs up. */
static void generate_huge_chunked(int fd)
{
	static char chunk[65536 + 16];
	const char *head = CHUNKED_HEAD("200 OK");
	size_t sent = 0;
	int n;

	if (!http_fixture_send(fd, head, strlen(head)))
		return;
	n = snprintf(chunk, sizeof(chunk), "10000\r\n");
	memset(chunk + n, 'x', 65536);
	memcpy(chunk + n + 65536, "\r\n", 2);
	while (sent <= DOCKER_MAX_BODY + 65536u) {
		if (!http_fixture_send(fd, chunk, (size_t)n + 65536 + 2))
			return;
		sent += 65536;
	}
	http_fixture_send(fd, "0\r\n\r\n", 5);
}

START_TEST(get_chunked_over_limit)
{
	static const struct http_route routes[] = {
	    {.target = "/huge", .generate = generate_huge_chunked},
	};
	struct result r;

	get_once(routes, 1, "/huge", &r, false);
	ck_assert(r.got_error);
	ck_assert_msg(strstr(r.error, "larger than") != NULL, "%s", r.error);
	ck_assert_uint_eq(r.len, 0);
	free(r.body);
}
END_TEST

START_TEST(get_server_closes_mid_response)
{
	static const struct http_route routes[] = {
	    {.target = "/short", .parts = {JSON_HEAD(100), "{\"Name\":"}},
	    {.target = "/chunky", .parts = {CHUNKED_HEAD("200 OK"), "20\r\n{\"Name\":"}},
	};
	struct result r;

	get_once(routes, 2, "/short", &r, false);
	ck_assert(r.got_error);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.body, "");
	free(r.body);
	get_once(routes, 2, "/chunky", &r, false);
	ck_assert(r.got_error);
	free(r.body);
}
END_TEST

START_TEST(get_no_daemon)
{
	struct event_base *base = event_base_new();
	struct result r;
	char err[256];
	struct docker_client *client =
	    docker_client_new(base, "unix:///nonexistent/tjd-test.sock", err, sizeof(err));

	memset(&r, 0, sizeof(r));
	ck_assert_ptr_nonnull(client);
	ck_assert_ptr_nonnull(docker_get(client, "/_ping", record_response, &r));
	ck_assert(!loop_until(base, &r.done, SAFETY_MS));
	ck_assert(r.got_error);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.error, "/_ping") != NULL, "%s", r.error);
	free(r.body);
	docker_client_free(client);
	event_base_free(base);
}
END_TEST

START_TEST(get_sends_path_unchanged)
{
	static const struct http_route routes[] = {
	    {.target = "/containers/json?filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D",
	     .parts = {JSON_HEAD(2), "[]"}},
	};
	struct result r;
	char *query = docker_escape("{\"label\":[\"a=b\"]}");
	char path[256];

	snprintf(path, sizeof(path), "/containers/json?filters=%s", query);
	free(query);
	get_once(routes, 1, path, &r, false);
	ck_assert_msg(!r.got_error, "%s", r.error);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "[]");
	free(r.body);
}
END_TEST

START_TEST(get_over_tcp)
{
	static const struct http_route routes[] = {
	    {.target = "/_ping",
	     .parts = {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
		       "Connection: close\r\n\r\nOK"}},
	};
	struct result r;

	get_once(routes, 1, "/_ping", &r, true);
	ck_assert_msg(!r.got_error, "%s", r.error);
	ck_assert_str_eq(r.body, "OK");
	free(r.body);
}
END_TEST

/* on_line: records; may stop the stream or start a GET from inside. */
static void record_line(void *arg, const char *line, size_t len)
{
	struct result *r = arg;

	ck_assert_uint_eq(strlen(line), len);
	ck_assert_int_lt(r->line_count, 16);
	snprintf(r->lines[r->line_count++], sizeof(r->lines[0]), "%s", line);
	if (r->stop_after_first) {
		docker_stream_stop(r->client);
		ck_assert(!docker_stream_active(r->client));
		/* Starting a request from inside a callback works. */
		ck_assert_ptr_nonnull(docker_get(r->client, "/_ping", record_response, r));
	}
}

/* on_end: records; may restart the stream (as the daemon's reconnect does). */
static void record_end(void *arg, const char *error)
{
	struct result *r = arg;

	r->ends++;
	r->got_error = error != NULL;
	snprintf(r->error, sizeof(r->error), "%s", error ? error : "");
	ck_assert(!docker_stream_active(r->client));
	if (r->restart_on_end) {
		r->restart_on_end = false;
		ck_assert_int_eq(
		    docker_stream_start(r->client, "/events?again=1", record_line, record_end, r),
		    0);
		ck_assert(docker_stream_active(r->client));
		return;
	}
	r->done = true;
}

/* Runs one stream against routes until on_end (or the safety timer). */
static void stream_once(const struct http_route *routes, size_t count, struct result *r,
			struct http_fixture **server)
{
	*server = http_fixture_start(routes, count, false);
	r->base = event_base_new();
	r->client = client_for(r->base, *server);
	ck_assert_int_eq(docker_stream_start(r->client, "/events", record_line, record_end, r), 0);
	ck_assert(docker_stream_active(r->client));
	ck_assert_msg(!loop_until(r->base, &r->done, SAFETY_MS), "timed out");
}

/* Tears down what stream_once set up. */
static void stream_finish(struct result *r, struct http_fixture *server)
{
	docker_client_free(r->client);
	http_fixture_stop(server);
	event_base_free(r->base);
	free(r->body);
}

#define EV1 "{\"Type\":\"container\",\"Action\":\"start\"}"
#define EV2 "{\"Type\":\"network\",\"Action\":\"connect\"}"
#define EV3 "{\"Type\":\"container\",\"Action\":\"die\"}"

START_TEST(stream_lines_across_chunks)
{
	/*
	 * EV1\n in one chunk split over three writes; EV2\nEV3 split mid-line
	 * over two chunks; the last newline in a chunk of its own; then an
	 * empty line, which carries nothing and is skipped.
	 */
	static const struct http_route routes[] = {
	    {.target = "/events",
	     .parts = {CHUNKED_HEAD("200 OK"), "26\r\n{\"Type\":\"cont", "ainer\",\"Action\":\"sta",
		       "rt\"}\n\r\n", "31\r\n" EV2 "\n{\"Type\":\"co", "\r\n",
		       "18\r\nntainer\",\"Action\":\"die\"}\r\n", "1\r\n\n\r\n",
		       "1\r\n\n\r\n0\r\n\r\n"},
	     .delay_ms = 15},
	};
	struct http_fixture *server;
	struct result r;

	memset(&r, 0, sizeof(r));
	stream_once(routes, 1, &r, &server);
	ck_assert_int_eq(r.line_count, 3);
	ck_assert_str_eq(r.lines[0], EV1);
	ck_assert_str_eq(r.lines[1], EV2);
	ck_assert_str_eq(r.lines[2], EV3);
	ck_assert_int_eq(r.ends, 1);
	ck_assert_msg(!r.got_error, "%s", r.error);
	stream_finish(&r, server);
}
END_TEST

START_TEST(stream_server_dies)
{
	/* dockerd going away: lines so far arrive, then on_end with an error. */
	static const struct http_route routes[] = {
	    {.target = "/events",
	     .parts = {CHUNKED_HEAD("200 OK"), "4C\r\n" EV1 "\n" EV2 "\n\r\n", "5\r\n{\"Typ"},
	     .delay_ms = 10},
	};
	struct http_fixture *server;
	struct result r;

	memset(&r, 0, sizeof(r));
	stream_once(routes, 1, &r, &server);
	ck_assert_int_eq(r.line_count, 2);
	ck_assert_str_eq(r.lines[1], EV2);
	ck_assert_int_eq(r.ends, 1);
	ck_assert(r.got_error);
	stream_finish(&r, server);
}
END_TEST

START_TEST(stream_clean_end_inside_line)
{
	static const struct http_route routes[] = {
	    {.target = "/events",
	     .parts = {CHUNKED_HEAD("200 OK"), "29\r\n" EV1 "\n{\"T\r\n0\r\n\r\n"}},
	};
	struct http_fixture *server;
	struct result r;

	memset(&r, 0, sizeof(r));
	stream_once(routes, 1, &r, &server);
	ck_assert_int_eq(r.line_count, 1);
	ck_assert(r.got_error);
	ck_assert_msg(strstr(r.error, "inside a line") != NULL, "%s", r.error);
	stream_finish(&r, server);
}
END_TEST

/* A line longer than DOCKER_MAX_EVENT_LINE that never ends. */
static void generate_long_line(int fd)
{
	static char chunk[DOCKER_MAX_EVENT_LINE + 64];
	const char *head = CHUNKED_HEAD("200 OK");
	int n;

	if (!http_fixture_send(fd, head, strlen(head)))
		return;
	n = snprintf(chunk, sizeof(chunk), "%x\r\n", DOCKER_MAX_EVENT_LINE + 10);
	memset(chunk + n, 'y', DOCKER_MAX_EVENT_LINE + 10);
	memcpy(chunk + n + DOCKER_MAX_EVENT_LINE + 10, "\r\n", 2);
	if (!http_fixture_send(fd, "26\r\n" EV1 "\n\r\n", 4 + 38 + 2))
		return;
	if (!http_fixture_send(fd, chunk, (size_t)n + DOCKER_MAX_EVENT_LINE + 12))
		return;
	/* Keep the connection until the client ends it. */
	poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 5000);
}

START_TEST(stream_line_too_long)
{
	static const struct http_route routes[] = {
	    {.target = "/events", .generate = generate_long_line},
	};
	struct http_fixture *server;
	struct result r;

	memset(&r, 0, sizeof(r));
	stream_once(routes, 1, &r, &server);
	ck_assert_int_eq(r.line_count, 1);
	ck_assert_str_eq(r.lines[0], EV1);
	ck_assert(r.got_error);
	ck_assert_msg(strstr(r.error, "event line longer") != NULL, "%s", r.error);
	stream_finish(&r, server);
}
END_TEST

START_TEST(stream_http_error)
{
	static const struct http_route routes[] = {
	    {.target = "/events",
	     .parts = {"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
		       "Content-Length: 33\r\nConnection: close\r\n\r\n"
		       "{\"message\":\"invalid filter 'x'\"}\n"}},
	};
	struct http_fixture *server;
	struct result r;

	memset(&r, 0, sizeof(r));
	stream_once(routes, 1, &r, &server);
	ck_assert_int_eq(r.line_count, 0);
	ck_assert(r.got_error);
	ck_assert_msg(strstr(r.error, "HTTP 400") != NULL, "%s", r.error);
	ck_assert_msg(strstr(r.error, "invalid filter") != NULL, "%s", r.error);
	stream_finish(&r, server);
}
END_TEST

START_TEST(stream_stop_from_on_line)
{
	static const struct http_route routes[] = {
	    {.target = "/events",
	     .parts = {CHUNKED_HEAD("200 OK"), "4C\r\n" EV1 "\n" EV2 "\n\r\n"},
	     .hold = true},
	    {.target = "/_ping",
	     .parts = {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"}},
	};
	struct http_fixture *server;
	struct result r;

	memset(&r, 0, sizeof(r));
	r.stop_after_first = true;
	/* Ends when the GET started from on_line completes. */
	stream_once(routes, 2, &r, &server);
	ck_assert_int_eq(r.line_count, 1);
	ck_assert_int_eq(r.ends, 0);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_str_eq(r.body, "OK");
	/* The stopped stream's connection was really closed. */
	for (int i = 0; i < 100 && http_fixture_closed_by_client(server) == 0; i++)
		usleep(10000);
	ck_assert_int_eq(http_fixture_closed_by_client(server), 1);
	stream_finish(&r, server);
}
END_TEST

START_TEST(stream_restart_from_on_end)
{
	static const struct http_route routes[] = {
	    {.target = "/events",
	     .parts = {CHUNKED_HEAD("200 OK"), "26\r\n" EV1 "\n\r\n0\r\n\r\n"}},
	    {.target = "/events?again=1",
	     .parts = {CHUNKED_HEAD("200 OK"), "24\r\n" EV3 "\n\r\n0\r\n\r\n"}},
	};
	struct http_fixture *server;
	struct result r;

	memset(&r, 0, sizeof(r));
	r.restart_on_end = true;
	stream_once(routes, 2, &r, &server);
	ck_assert_int_eq(r.ends, 2);
	ck_assert_int_eq(r.line_count, 2);
	ck_assert_str_eq(r.lines[0], EV1);
	ck_assert_str_eq(r.lines[1], EV3);
	stream_finish(&r, server);
}
END_TEST

/* The victim's callback: must never run once cancelled. */
static void victim_response(void *arg, long status, const char *body, size_t len, const char *error)
{
	struct result *r = arg;

	r->victim_calls++;
}

/* Cancels the victim (or frees the whole client) from inside a callback. */
static void killer_response(void *arg, long status, const char *body, size_t len, const char *error)
{
	struct result *r = arg;

	r->calls++;
	r->status = status;
	if (r->free_client) {
		docker_client_free(r->client);
		r->client = NULL;
	} else {
		docker_request_cancel(r->victim);
		/* And a new request from the same callback. */
		ck_assert_ptr_nonnull(docker_get(r->client, "/again", victim_response, r));
	}
	r->done = true;
}

START_TEST(cancel_from_callback)
{
	static const struct http_route routes[] = {
	    {.target = "/slow", .parts = {JSON_HEAD(100), "{"}, .hold = true},
	    {.target = "/fast", .parts = {JSON_HEAD(2), "{}"}, .delay_ms = 100},
	    {.target = "/again", .parts = {JSON_HEAD(2), "[]"}},
	};
	struct http_fixture *server;
	struct result r;
	bool never = false;

	memset(&r, 0, sizeof(r));
	server = http_fixture_start(routes, 3, false);
	r.base = event_base_new();
	r.client = client_for(r.base, server);
	r.victim = docker_get(r.client, "/slow", victim_response, &r);
	ck_assert_ptr_nonnull(r.victim);
	ck_assert_ptr_nonnull(docker_get(r.client, "/fast", killer_response, &r));
	ck_assert(!loop_until(r.base, &r.done, SAFETY_MS));
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.status, 200);
	/* /again completes (victim_calls 1), the cancelled /slow never calls back. */
	loop_until(r.base, &never, 500);
	ck_assert_int_eq(r.victim_calls, 1);
	ck_assert_int_eq(http_fixture_closed_by_client(server), 1);
	docker_client_free(r.client);
	http_fixture_stop(server);
	event_base_free(r.base);
}
END_TEST

START_TEST(cancel_finished_sibling)
{
	/*
	 * Both GETs fail in the same curl_multi_socket_action (nothing listens);
	 * the first callback run cancels the other, already finished, request.
	 * Requests are kept newest first, so the killer (newer) runs first.
	 */
	struct result r;
	char err[256];
	bool never = false;

	memset(&r, 0, sizeof(r));
	r.base = event_base_new();
	r.client = docker_client_new(r.base, "unix:///nonexistent/tjd-test.sock", err, sizeof(err));
	ck_assert_ptr_nonnull(r.client);
	r.victim = docker_get(r.client, "/victim", victim_response, &r);
	ck_assert_ptr_nonnull(r.victim);
	ck_assert_ptr_nonnull(docker_get(r.client, "/killer", killer_response, &r));
	ck_assert(!loop_until(r.base, &r.done, SAFETY_MS));
	loop_until(r.base, &never, 200);
	ck_assert_int_eq(r.calls, 1);
	/* Only the GET the killer started (it fails too) calls victim_response. */
	ck_assert_int_eq(r.victim_calls, 1);
	docker_client_free(r.client);
	event_base_free(r.base);
}
END_TEST

START_TEST(cancel_outside_callback)
{
	static const struct http_route routes[] = {
	    {.target = "/slow", .parts = {JSON_HEAD(100), "{"}, .hold = true},
	};
	struct http_fixture *server;
	struct result r;
	bool never = false;

	memset(&r, 0, sizeof(r));
	server = http_fixture_start(routes, 1, false);
	r.base = event_base_new();
	r.client = client_for(r.base, server);
	r.victim = docker_get(r.client, "/slow", victim_response, &r);
	ck_assert_ptr_nonnull(r.victim);
	loop_until(r.base, &never, 200);
	docker_request_cancel(r.victim);
	loop_until(r.base, &never, 200);
	ck_assert_int_eq(r.victim_calls, 0);
	docker_client_free(r.client);
	http_fixture_stop(server);
	event_base_free(r.base);
}
END_TEST

START_TEST(free_client_from_callback)
{
	static const struct http_route routes[] = {
	    {.target = "/slow", .parts = {JSON_HEAD(100), "{"}, .hold = true},
	    {.target = "/fast", .parts = {JSON_HEAD(2), "{}"}, .delay_ms = 100},
	    {.target = "/events",
	     .parts = {CHUNKED_HEAD("200 OK"), "26\r\n" EV1 "\n\r\n"},
	     .hold = true},
	};
	struct http_fixture *server;
	struct result r;
	bool never = false;

	memset(&r, 0, sizeof(r));
	server = http_fixture_start(routes, 3, false);
	r.base = event_base_new();
	r.client = client_for(r.base, server);
	r.free_client = true;
	ck_assert_ptr_nonnull(docker_get(r.client, "/slow", victim_response, &r));
	ck_assert_int_eq(docker_stream_start(r.client, "/events", record_line, record_end, &r), 0);
	ck_assert_ptr_nonnull(docker_get(r.client, "/fast", killer_response, &r));
	ck_assert(!loop_until(r.base, &r.done, SAFETY_MS));
	ck_assert_ptr_null(r.client);
	loop_until(r.base, &never, 300);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.victim_calls, 0);
	ck_assert_int_eq(r.ends, 0);
	http_fixture_stop(server);
	event_base_free(r.base);
}
END_TEST

START_TEST(host_parsing)
{
	static const char *const bad[] = {
	    "",
	    "/var/run/docker.sock",
	    "http://localhost:2375",
	    "npipe:////./pipe/docker_engine",
	    "unix://",
	    "unix://relative.sock",
	    ("unix:///a/very/long/path/that/does/not/fit/into/sockaddr_un/sun_path/because/it/is"
	     "/longer/than/108/bytes/and/then/some/more.sock"),
	    "unix:///var/run/docker sock",
	    "tcp://",
	    "tcp://:2375",
	    "tcp://host:",
	    "tcp://host:0",
	    "tcp://host:65536",
	    "tcp://host:12ab",
	    "tcp://ho st:1",
	    "tcp://user@host:1",
	    "tcp://[::1",
	    "tcp://[::1]x",
	    "tcp://host:2375/v1.41",
	    "tcp://host:2375\n",
	};
	static const char *const good[] = {
	    "unix:///var/run/docker.sock", "tcp://127.0.0.1:2375",
	    "tcp://docker-proxy:2375",	   "tcp://[::1]:2376",
	    "tcp://socket-proxy",	   "tcp://host:2375/",
	};
	struct event_base *base = event_base_new();
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct docker_client *client;

		err[0] = '\0';
		client = docker_client_new(base, bad[i], err, sizeof(err));
		ck_assert_msg(client == NULL, "accepted \"%s\"", bad[i]);
		ck_assert_msg(err[0] != '\0', "no message for \"%s\"", bad[i]);
	}
	ck_assert_ptr_null(docker_client_new(base, NULL, err, sizeof(err)));
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct docker_client *client = docker_client_new(base, good[i], err, sizeof(err));

		ck_assert_msg(client != NULL, "rejected \"%s\": %s", good[i], err);
		/* Paths must be absolute and plain. */
		ck_assert_ptr_null(docker_get(client, "networks", record_response, NULL));
		ck_assert_ptr_null(docker_get(client, "/networks/a b", record_response, NULL));
		ck_assert_ptr_null(docker_get(client, "/x\r\nHost: evil", record_response, NULL));
		ck_assert_int_eq(docker_stream_start(client, "", record_line, record_end, NULL),
				 -1);
		ck_assert(!docker_stream_active(client));
		docker_client_free(client);
	}
	event_base_free(base);
}
END_TEST

START_TEST(escape)
{
	char *s = docker_escape("{\"label\":[\"tjd.allow=true\"]}");

	ck_assert_str_eq(s, "%7B%22label%22%3A%5B%22tjd.allow%3Dtrue%22%5D%7D");
	free(s);
	s = docker_escape("AZaz09-._~ /?&#%+\xc3\xa9");
	ck_assert_str_eq(s, "AZaz09-._~%20%2F%3F%26%23%25%2B%C3%A9");
	free(s);
	s = docker_escape("");
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_ptr_null(docker_escape(NULL));
}
END_TEST

/* Builds the suite. */
static Suite *docker_suite(void)
{
	Suite *s = suite_create("docker");
	TCase *get = tcase_create("get");
	TCase *stream = tcase_create("stream");
	TCase *cancel = tcase_create("cancel");
	TCase *misc = tcase_create("misc");

	tcase_set_timeout(get, 60);
	tcase_add_test(get, get_content_length);
	tcase_add_test(get, get_not_found_is_a_status);
	tcase_add_test(get, get_chunked);
	tcase_add_test(get, get_content_length_over_limit);
	tcase_add_test(get, get_chunked_over_limit);
	tcase_add_test(get, get_server_closes_mid_response);
	tcase_add_test(get, get_no_daemon);
	tcase_add_test(get, get_sends_path_unchanged);
	tcase_add_test(get, get_over_tcp);
	suite_add_tcase(s, get);

	tcase_set_timeout(stream, 60);
	tcase_add_test(stream, stream_lines_across_chunks);
	tcase_add_test(stream, stream_server_dies);
	tcase_add_test(stream, stream_clean_end_inside_line);
	tcase_add_test(stream, stream_line_too_long);
	tcase_add_test(stream, stream_http_error);
	tcase_add_test(stream, stream_stop_from_on_line);
	tcase_add_test(stream, stream_restart_from_on_end);
	suite_add_tcase(s, stream);

	tcase_set_timeout(cancel, 60);
	tcase_add_test(cancel, cancel_from_callback);
	tcase_add_test(cancel, cancel_finished_sibling);
	tcase_add_test(cancel, cancel_outside_callback);
	tcase_add_test(cancel, free_client_from_callback);
	suite_add_tcase(s, cancel);

	tcase_add_test(misc, host_parsing);
	tcase_add_test(misc, escape);
	suite_add_tcase(s, misc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(docker_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
