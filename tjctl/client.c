/*
 * tjctl's side of the control protocol: one Request out, one Response in,
 * all within the --timeout deadline.  The reply is as untrusted as any
 * input: bounded by FRAME_MAX, decoded or rejected, never assumed complete.
 */
#include "config.h"

#include "tjctl/tjctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/frame.h"

/* How often the connect guard re-fires once the deadline has passed. */
#define CLIENT_TIMER_REPEAT_USEC 100000

/* Set by SIGALRM while connect() is guarded by the deadline timer. */
static volatile sig_atomic_t client_timer_fired;

/* Notes that the connect deadline passed; connect() then fails with EINTR. */
static void client_timer_handler(int signo)
{
	(void)signo;
	client_timer_fired = 1;
}

/* Milliseconds left until deadline (CLOCK_MONOTONIC), never negative. */
static int client_remaining_ms(const struct timespec *deadline)
{
	struct timespec now;
	int64_t left;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000;
	if (left < 0)
		return 0;
	if (left > INT32_MAX)
		return INT32_MAX;
	return (int)left;
}

/* Reports running out of time on the way to (or from) the daemon. */
static int client_timed_out(const struct tjctl_context *context, const char *while_doing)
{
	tjctl_error("timed out after %gs %s tjd on %s", context->timeout_ms / 1000.0, while_doing,
		    context->socket_path);
	return TJCTL_EXIT_UNREACHABLE;
}

/* Reports a reply that cannot be what tjd sends; returns TJCTL_EXIT_UNREACHABLE. */
int client_garbled(const struct tjctl_context *context, const char *what)
{
	tjctl_error("garbled reply from tjd on %s: %s", context->socket_path, what);
	return TJCTL_EXIT_UNREACHABLE;
}

/*
 * Connects with frame_connect(), which blocks while the daemon's listen
 * queue is full (a hung daemon), so an interval timer interrupts it at the
 * deadline.  The timer keeps firing every 100 ms after the deadline in case
 * the first signal lands just before connect() starts waiting.
 */
static int client_connect(const struct tjctl_context *context, int *fd_out)
{
	struct sigaction action, previous;
	struct itimerval timer, stopped;
	int saved_errno;
	int fd;

	memset(&action, 0, sizeof(action));
	action.sa_handler = client_timer_handler;
	sigemptyset(&action.sa_mask);
	action.sa_flags = 0; /* no SA_RESTART: connect() must return EINTR */
	memset(&timer, 0, sizeof(timer));
	timer.it_value.tv_sec = context->timeout_ms / 1000;
	timer.it_value.tv_usec = (context->timeout_ms % 1000) * 1000;
	timer.it_interval.tv_usec = CLIENT_TIMER_REPEAT_USEC;
	memset(&stopped, 0, sizeof(stopped));

	client_timer_fired = 0;
	sigaction(SIGALRM, &action, &previous);
	setitimer(ITIMER_REAL, &timer, NULL);
	fd = frame_connect(context->socket_path);
	saved_errno = errno;
	setitimer(ITIMER_REAL, &stopped, NULL);
	sigaction(SIGALRM, &previous, NULL);

	if (fd >= 0) {
		*fd_out = fd;
		return TJCTL_EXIT_OK;
	}
	switch (saved_errno) {
	case EACCES:
	case EPERM:
		tjctl_error("permission denied: %s (are you in group tjd?)", context->socket_path);
		return TJCTL_EXIT_ERROR;
	case ENOENT:
		tjctl_error("cannot connect to %s: no such socket (is tjd running?)",
			    context->socket_path);
		break;
	case ECONNREFUSED:
		tjctl_error("cannot connect to %s: connection refused (is tjd running?)",
			    context->socket_path);
		break;
	case EPROTOTYPE:
		tjctl_error("cannot connect to %s: not a tjd control socket (wrong socket type)",
			    context->socket_path);
		break;
	case EINTR:
		if (client_timer_fired)
			return client_timed_out(context, "connecting to");
		/* FALLTHROUGH */
	default:
		tjctl_error("cannot connect to %s: %s", context->socket_path,
			    strerror(saved_errno));
		break;
	}
	return TJCTL_EXIT_UNREACHABLE;
}

/*
 * Waits until fd is ready for events or the deadline passes.  Returns 1
 * when ready, 0 on timeout, -1 on error (errno set).
 */
static int client_wait(int fd, short events, const struct timespec *deadline)
{
	struct pollfd pfd;
	int n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, client_remaining_ms(deadline));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		return n > 0 ? 1 : 0;
	}
}

/* Sends one packed request, waiting for room in the socket if needed. */
static int client_send(const struct tjctl_context *context, int fd, const uint8_t *buf, size_t len,
		       const struct timespec *deadline)
{
	int ready;

	for (;;) {
		if (frame_send(fd, buf, len) == 0)
			return TJCTL_EXIT_OK;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		ready = client_wait(fd, POLLOUT, deadline);
		if (ready == 0)
			return client_timed_out(context, "sending to");
		if (ready < 0)
			break;
	}
	if (errno == EPIPE || errno == ECONNRESET)
		tjctl_error("tjd on %s closed the connection before reading the request",
			    context->socket_path);
	else
		tjctl_error("cannot send to tjd on %s: %s", context->socket_path, strerror(errno));
	return TJCTL_EXIT_UNREACHABLE;
}

/*
 * Receives one datagram into buf (FRAME_MAX bytes).  *len is its length;
 * an empty or oversized datagram, or a closed connection, is reported.
 */
static int client_receive(const struct tjctl_context *context, int fd, uint8_t *buf, size_t *len,
			  const struct timespec *deadline)
{
	bool truncated;
	ssize_t n;
	int ready;

	for (;;) {
		ready = client_wait(fd, POLLIN, deadline);
		if (ready == 0)
			return client_timed_out(context, "waiting for a reply from");
		if (ready < 0)
			break;
		n = frame_recv(fd, buf, FRAME_MAX, &truncated);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			tjctl_error("tjd on %s closed the connection without replying",
				    context->socket_path);
			return TJCTL_EXIT_UNREACHABLE;
		}
		if (truncated)
			return client_garbled(context, "reply larger than the frame limit");
		*len = (size_t)n;
		return TJCTL_EXIT_OK;
	}
	if (errno == ECONNRESET)
		tjctl_error("tjd on %s reset the connection without replying",
			    context->socket_path);
	else
		tjctl_error("cannot receive from tjd on %s: %s", context->socket_path,
			    strerror(errno));
	return TJCTL_EXIT_UNREACHABLE;
}

/* Reports a refusal or failure the daemon sent back. */
static void client_report_refusal(const Tjd__V1__Response *response)
{
	const ProtobufCEnumValue *code;

	if (response->error != NULL && response->error[0] != '\0') {
		tjctl_error("%s", response->error);
		return;
	}
	code = protobuf_c_enum_descriptor_get_value(&tjd__v1__error_code__descriptor,
						    (int)response->code);
	if (code != NULL)
		tjctl_error("tjd answered with an error (%s)", code->name);
	else
		tjctl_error("tjd answered with an error (code %d)", (int)response->code);
}

/* Sends one request and receives its response; see tjctl.h. */
int client_call(const struct tjctl_context *context, Tjd__V1__Request *request,
		Tjd__V1__Response **response_out)
{
	Tjd__V1__Response *response = NULL;
	struct timespec deadline;
	uint8_t *request_buf = NULL;
	uint8_t *reply_buf = NULL;
	size_t request_len;
	size_t reply_len = 0;
	int status;
	int fd = -1;
	int flags;

	*response_out = NULL;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += context->timeout_ms / 1000;
	deadline.tv_nsec += (long)(context->timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	request->version = TJD_PROTOCOL_VERSION;
	request_len = tjd__v1__request__get_packed_size(request);
	reply_buf = malloc(FRAME_MAX);
	request_buf = malloc(request_len > 0 ? request_len : 1);
	if (reply_buf == NULL || request_buf == NULL) {
		tjctl_error("out of memory");
		status = TJCTL_EXIT_ERROR;
		goto done;
	}
	if (request_len > FRAME_MAX ||
	    tjd__v1__request__pack(request, request_buf) != request_len) {
		tjctl_error("cannot encode the %s request", context->entry->name);
		status = TJCTL_EXIT_ERROR;
		goto done;
	}

	status = client_connect(context, &fd);
	if (status != TJCTL_EXIT_OK)
		goto done;
	/* From here on every wait is a poll() bounded by the deadline. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		tjctl_error("cannot set up the socket: %s", strerror(errno));
		status = TJCTL_EXIT_ERROR;
		goto done;
	}
	status = client_send(context, fd, request_buf, request_len, &deadline);
	if (status != TJCTL_EXIT_OK)
		goto done;
	status = client_receive(context, fd, reply_buf, &reply_len, &deadline);
	if (status != TJCTL_EXIT_OK)
		goto done;

	response = tjd__v1__response__unpack(NULL, reply_len, reply_buf);
	if (response == NULL) {
		status = client_garbled(context, "not a decodable Response");
		goto done;
	}
	if (!response->ok) {
		client_report_refusal(response);
		status = TJCTL_EXIT_ERROR;
		goto done;
	}
	*response_out = response;
	response = NULL;
	status = TJCTL_EXIT_OK;
done:
	if (response != NULL)
		tjd__v1__response__free_unpacked(response, NULL);
	if (fd >= 0)
		close(fd);
	free(request_buf);
	free(reply_buf);
	return status;
}

/* Releases a response returned by client_call(); NULL is allowed. */
void client_response_free(Tjd__V1__Response *response)
{
	if (response != NULL)
		tjd__v1__response__free_unpacked(response, NULL);
}

/* Runs clear or reload: no arguments, no result but success. */
int client_call_simple(const struct tjctl_context *context, int argc, char **argv,
		       Tjd__V1__Request__CommandCase command, const char *done)
{
	Tjd__V1__ClearRequest clear = TJD__V1__CLEAR_REQUEST__INIT;
	Tjd__V1__ReloadRequest reload = TJD__V1__RELOAD_REQUEST__INIT;
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__Response *response = NULL;
	int status;

	status = tjctl_no_arguments(context, argc, argv);
	if (status != TJCTL_EXIT_OK)
		goto done;
	request.command_case = command;
	if (command == TJD__V1__REQUEST__COMMAND_CLEAR)
		request.clear = &clear;
	else if (command == TJD__V1__REQUEST__COMMAND_RELOAD)
		request.reload = &reload;
	else
		abort(); /* only the commands above are simple */
	status = client_call(context, &request, &response);
	if (status == TJCTL_EXIT_OK)
		printf("%s\n", done);
done:
	client_response_free(response);
	return status;
}
