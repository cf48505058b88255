/* Helpers the Check suites share: shell commands and running an event loop. */
#ifndef TJD_TESTS_CHECK_UTIL_H
#define TJD_TESTS_CHECK_UTIL_H

struct event_base;

/* Runs a shell command; returns its exit status, or -1 if it did not exit. */
int check_util_run(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* Runs the event loop for ms, whatever happens on it. */
void check_util_loop_for(struct event_base *base, int ms);

#endif
