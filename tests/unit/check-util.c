/* Helpers the Check suites share; see check-util.h. */
#include "config.h"

#include "check-util.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

int check_util_run(const char *format, ...)
{
	char command[2048];
	va_list args;
	int status;

	va_start(args, format);
	vsnprintf(command, sizeof(command), format, args);
	va_end(args);
	status = system(command);
	return (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
}

/* Timer callback: time is up. */
static void check_util_expired(evutil_socket_t fd, short what, void *arg)
{
	*(bool *)arg = true;
}

void check_util_loop_for(struct event_base *base, int ms)
{
	bool expired = false;
	struct event *timer = evtimer_new(base, check_util_expired, &expired);
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	if (timer == NULL)
		abort();
	evtimer_add(timer, &tv);
	while (!expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(timer);
}
