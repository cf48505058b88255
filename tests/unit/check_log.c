/* The journal's native protocol as tjd writes it: the entry's text and its delivery. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "common/log.h"

START_TEST(test_format)
{
	static const struct log_field fields[] = {
	    {"TJD_NETWORK", "web"},
	    {"TJD_SRC_CONTAINER", "app1"},
	    {"TJD_REASON", "two\nlines\x1b[31m"},
	};
	char buf[512];
	size_t n =
	    log_journal_format(buf, sizeof(buf), LOG_INFO, "tjd", "web app1 -> app2", fields, 3);

	ck_assert_uint_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf,
			 "PRIORITY=6\nSYSLOG_IDENTIFIER=tjd\nMESSAGE=web app1 -> app2\n"
			 "TJD_NETWORK=web\nTJD_SRC_CONTAINER=app1\nTJD_REASON=two?lines?[31m\n");
}
END_TEST

START_TEST(test_refused)
{
	static const struct log_field lower[] = {{"tjd_network", "web"}};
	static const struct log_field underscore[] = {{"_PID", "1"}};
	static const struct log_field digit[] = {{"1X", "1"}};
	static const struct log_field equals[] = {{"A=B", "1"}};
	char buf[64];

	ck_assert_uint_eq(log_journal_format(buf, sizeof(buf), LOG_INFO, "tjd", "m", lower, 1), 0);
	ck_assert_uint_eq(log_journal_format(buf, sizeof(buf), LOG_INFO, "tjd", "m", underscore, 1),
			  0);
	ck_assert_uint_eq(log_journal_format(buf, sizeof(buf), LOG_INFO, "tjd", "m", digit, 1), 0);
	ck_assert_uint_eq(log_journal_format(buf, sizeof(buf), LOG_INFO, "tjd", "m", equals, 1), 0);
	/* too long for the buffer: nothing rather than a cut entry */
	ck_assert_uint_eq(log_journal_format(buf, 20, LOG_INFO, "tjd", "a longer message", NULL, 0),
			  0);
}
END_TEST

/* Delivered as one datagram to the socket it is given. */
START_TEST(test_send)
{
	static const struct log_field fields[] = {{"TJD_PORT", "80"}};
	char dir[] = "/tmp/check-log.XXXXXX", path[96], got[512];
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	ssize_t n;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/socket", dir);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(log_journal_send(path, "blocked", fields, 1), 0);
	n = recv(fd, got, sizeof(got) - 1, MSG_DONTWAIT);
	ck_assert_int_gt(n, 0);
	got[n] = '\0';
	ck_assert_str_eq(got, "PRIORITY=6\nSYSLOG_IDENTIFIER=tjd\nMESSAGE=blocked\nTJD_PORT=80\n");
	close(fd);
	unlink(path);
	rmdir(dir);
	/* no journal there: an error, so the caller writes the plain line */
	ck_assert_int_eq(log_journal_send("/nonexistent/socket", "x", NULL, 0), -1);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *suite = suite_create("log");
	TCase *tcase = tcase_create("journal");

	tcase_add_test(tcase, test_format);
	tcase_add_test(tcase, test_refused);
	tcase_add_test(tcase, test_send);
	suite_add_tcase(suite, tcase);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(log_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? 0 : 1;
}
