/* The /events line framing: chunks of any size in, complete lines out, both limits. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tjd/docker-lines.h"

#define LINES_MAX 16

/* Every complete line waiting, as copies for comparison. */
struct taken {
	char text[LINES_MAX][256];
	size_t count;
};

/* Takes out every complete line. */
static void lines_take_all(struct docker_lines *lines, struct taken *taken)
{
	char *line;
	size_t len;

	taken->count = 0;
	while (docker_lines_next(lines, &line, &len)) {
		ck_assert_uint_lt(taken->count, LINES_MAX);
		ck_assert_uint_lt(len, sizeof(taken->text[0]));
		ck_assert_uint_eq(strlen(line), len);
		memcpy(taken->text[taken->count++], line, len + 1);
	}
}

/* Feeds a string as one chunk. */
static enum docker_lines_status lines_feed(struct docker_lines *lines, const char *chunk)
{
	return docker_lines_feed(lines, chunk, strlen(chunk));
}

START_TEST(lines_across_chunks)
{
	struct docker_lines lines;
	struct taken taken;

	docker_lines_init(&lines, 1024, 4096);
	ck_assert_int_eq(lines_feed(&lines, "{\"a\":1}\n{\"b\""), DOCKER_LINES_OK);
	lines_take_all(&lines, &taken);
	ck_assert_uint_eq(taken.count, 1);
	ck_assert_str_eq(taken.text[0], "{\"a\":1}");
	ck_assert_uint_eq(docker_lines_pending(&lines), 4);
	ck_assert_int_eq(lines_feed(&lines, ":2}\r\n\n\r\n{\"c\":3}\n"), DOCKER_LINES_OK);
	lines_take_all(&lines, &taken);
	ck_assert_uint_eq(taken.count, 2);
	ck_assert_str_eq(taken.text[0], "{\"b\":2}");
	ck_assert_str_eq(taken.text[1], "{\"c\":3}");
	ck_assert_uint_eq(docker_lines_pending(&lines), 0);
	docker_lines_free(&lines);
}
END_TEST

START_TEST(lines_byte_by_byte)
{
	static const char stream[] = "{\"Type\":\"container\",\"Action\":\"start\"}\n"
				     "{\"Type\":\"network\",\"Action\":\"connect\"}\r\n"
				     "{\"Type\":\"container\",\"Action\":\"die\"}\n";
	struct docker_lines lines;
	struct taken taken, all = {.count = 0};

	docker_lines_init(&lines, 1024, 4096);
	for (size_t i = 0; i < sizeof(stream) - 1; i++) {
		ck_assert_int_eq(docker_lines_feed(&lines, stream + i, 1), DOCKER_LINES_OK);
		lines_take_all(&lines, &taken);
		for (size_t j = 0; j < taken.count; j++)
			memcpy(all.text[all.count++], taken.text[j], sizeof(taken.text[j]));
	}
	ck_assert_uint_eq(all.count, 3);
	ck_assert_str_eq(all.text[1], "{\"Type\":\"network\",\"Action\":\"connect\"}");
	ck_assert_str_eq(all.text[2], "{\"Type\":\"container\",\"Action\":\"die\"}");
	ck_assert_uint_eq(docker_lines_pending(&lines), 0);
	docker_lines_free(&lines);
}
END_TEST

START_TEST(lines_stay_valid_until_the_next_feed)
{
	struct docker_lines lines;
	char *first, *second;
	size_t len;

	docker_lines_init(&lines, 64, 256);
	ck_assert_int_eq(lines_feed(&lines, "one\ntwo\nthr"), DOCKER_LINES_OK);
	ck_assert(docker_lines_next(&lines, &first, &len));
	ck_assert(docker_lines_next(&lines, &second, &len));
	ck_assert(!docker_lines_next(&lines, &second, &len));
	ck_assert_str_eq(first, "one");
	ck_assert_uint_eq(docker_lines_pending(&lines), 3);
	ck_assert_int_eq(lines_feed(&lines, "ee\n"), DOCKER_LINES_OK);
	ck_assert(docker_lines_next(&lines, &first, &len));
	ck_assert_str_eq(first, "three");
	ck_assert_uint_eq(len, 5);
	docker_lines_free(&lines);
}
END_TEST

START_TEST(line_limit)
{
	struct docker_lines lines;
	char *line;
	size_t len;

	docker_lines_init(&lines, 8, 256);
	ck_assert_int_eq(lines_feed(&lines, "12345678\n"), DOCKER_LINES_OK);
	ck_assert_int_eq(lines_feed(&lines, "1234"), DOCKER_LINES_OK);
	/* Refused whole: the bytes that were there stay, nothing is added. */
	ck_assert_int_eq(lines_feed(&lines, "56789"), DOCKER_LINES_TOO_LONG);
	ck_assert_uint_eq(docker_lines_pending(&lines), 13);
	ck_assert(docker_lines_next(&lines, &line, &len));
	ck_assert_str_eq(line, "12345678");
	ck_assert(!docker_lines_next(&lines, &line, &len));
	ck_assert_int_eq(lines_feed(&lines, "5678\n"), DOCKER_LINES_OK);
	ck_assert(docker_lines_next(&lines, &line, &len));
	ck_assert_str_eq(line, "12345678");
	docker_lines_free(&lines);
}
END_TEST

START_TEST(line_limit_inside_a_chunk)
{
	struct docker_lines lines;
	char *line;
	size_t len;

	docker_lines_init(&lines, 8, 256);
	/* A line that a chunk finishes, followed by the start of the next one. */
	ck_assert_int_eq(lines_feed(&lines, "1234"), DOCKER_LINES_OK);
	ck_assert_int_eq(lines_feed(&lines, "56789\nab"), DOCKER_LINES_TOO_LONG);
	/* A line wholly inside one chunk. */
	ck_assert_int_eq(lines_feed(&lines, "\n"), DOCKER_LINES_OK);
	ck_assert_int_eq(lines_feed(&lines, "ok\n123456789\nok\n"), DOCKER_LINES_TOO_LONG);
	ck_assert_int_eq(lines_feed(&lines, "ok\n12345678\nok"), DOCKER_LINES_OK);
	ck_assert(docker_lines_next(&lines, &line, &len));
	ck_assert_str_eq(line, "1234");
	ck_assert(docker_lines_next(&lines, &line, &len));
	ck_assert_str_eq(line, "ok");
	ck_assert(docker_lines_next(&lines, &line, &len));
	ck_assert_str_eq(line, "12345678");
	ck_assert(!docker_lines_next(&lines, &line, &len));
	ck_assert_uint_eq(docker_lines_pending(&lines), 2);
	docker_lines_free(&lines);
}
END_TEST

START_TEST(held_limit)
{
	struct docker_lines lines;
	char *line;
	size_t len;

	docker_lines_init(&lines, 8, 12);
	ck_assert_int_eq(lines_feed(&lines, "abc\ndef\n"), DOCKER_LINES_OK);
	/* Lines not taken out yet count against the limit... */
	ck_assert_int_eq(lines_feed(&lines, "ghi\nj"), DOCKER_LINES_TOO_MUCH);
	ck_assert(docker_lines_next(&lines, &line, &len));
	ck_assert(docker_lines_next(&lines, &line, &len));
	/* ...and stop counting once they are. */
	ck_assert_int_eq(lines_feed(&lines, "ghi\nj"), DOCKER_LINES_OK);
	ck_assert(docker_lines_next(&lines, &line, &len));
	ck_assert_str_eq(line, "ghi");
	ck_assert_uint_eq(docker_lines_pending(&lines), 1);
	docker_lines_free(&lines);
	/* Freed framing is empty and may be fed again. */
	ck_assert_uint_eq(docker_lines_pending(&lines), 0);
	ck_assert_int_eq(lines_feed(&lines, "x\n"), DOCKER_LINES_OK);
	docker_lines_free(&lines);
}
END_TEST

/* Builds the suite. */
static Suite *docker_lines_suite(void)
{
	Suite *s = suite_create("docker_lines");
	TCase *tc = tcase_create("framing");

	tcase_add_test(tc, lines_across_chunks);
	tcase_add_test(tc, lines_byte_by_byte);
	tcase_add_test(tc, lines_stay_valid_until_the_next_feed);
	tcase_add_test(tc, line_limit);
	tcase_add_test(tc, line_limit_inside_a_chunk);
	tcase_add_test(tc, held_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(docker_lines_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
