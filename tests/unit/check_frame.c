/* Control framing and the protobuf codec on a real SOCK_SEQPACKET pair. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/frame.h"
#include "proto/tjd.pb-c.h"

static int pair[2];

static void frame_setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair), 0);
}

static void frame_teardown(void)
{
	close(pair[0]);
	close(pair[1]);
}

START_TEST(test_request_round_trip)
{
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__StatusRequest status = TJD__V1__STATUS_REQUEST__INIT;
	Tjd__V1__Request *decoded;
	uint8_t out[FRAME_MAX], *in = malloc(FRAME_MAX);
	size_t size;
	bool truncated;
	ssize_t n;

	request.version = TJD_PROTOCOL_VERSION;
	request.command_case = TJD__V1__REQUEST__COMMAND_STATUS;
	request.status = &status;
	size = tjd__v1__request__pack(&request, out);
	ck_assert_int_eq(frame_send(pair[0], out, size), 0);
	n = frame_recv(pair[1], in, FRAME_MAX, &truncated);
	ck_assert_int_eq(n, (ssize_t)size);
	ck_assert(!truncated);
	decoded = tjd__v1__request__unpack(NULL, (size_t)n, in);
	ck_assert_ptr_nonnull(decoded);
	ck_assert_uint_eq(decoded->version, TJD_PROTOCOL_VERSION);
	ck_assert_int_eq(decoded->command_case, TJD__V1__REQUEST__COMMAND_STATUS);
	tjd__v1__request__free_unpacked(decoded, NULL);
	free(in);
}
END_TEST

START_TEST(test_oversize_is_detected)
{
	size_t big = FRAME_MAX + 100;
	uint8_t *data = calloc(1, big), *in = malloc(FRAME_MAX);
	int sndbuf = (int)big * 4;
	bool truncated;

	setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* frame_send itself refuses to send past the limit... */
	ck_assert_int_eq(frame_send(pair[0], data, big), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	/* ...and a peer that sends one anyway is caught on receipt. */
	ck_assert_int_eq(send(pair[0], data, big, 0), (ssize_t)big);
	ck_assert_int_eq(frame_recv(pair[1], in, FRAME_MAX, &truncated), FRAME_MAX);
	ck_assert(truncated);
	free(data);
	free(in);
}
END_TEST

START_TEST(test_close_reads_zero)
{
	uint8_t in[16];
	bool truncated;

	close(pair[0]);
	pair[0] = -1;
	ck_assert_int_eq(frame_recv(pair[1], in, sizeof(in), &truncated), 0);
}
END_TEST

START_TEST(test_garbage_does_not_decode_as_command)
{
	static const uint8_t garbage[][8] = {
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80}, /* unterminated varint */
		{0x52, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /* length past the end */
	};

	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		Tjd__V1__Request *r = tjd__v1__request__unpack(NULL, sizeof(garbage[i]), garbage[i]);
		ck_assert_msg(r == NULL, "garbage %zu decoded", i);
	}
}
END_TEST

/* Builds the suite. */
static Suite *frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("codec");

	tcase_add_checked_fixture(tc, frame_setup, frame_teardown);
	tcase_add_test(tc, test_request_round_trip);
	tcase_add_test(tc, test_oversize_is_detected);
	tcase_add_test(tc, test_close_reads_zero);
	tcase_add_test(tc, test_garbage_does_not_decode_as_command);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(frame_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
