/* The line diff tjctl diff shows (common/linediff.h). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/linediff.h"

/* Asserts the diff of a and b, and its counts. */
static void expect(const char *a, const char *b, const char *want, size_t removed, size_t added)
{
	size_t r = 99, s = 99;
	char *got = linediff(a, b, &r, &s);

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(r, removed);
	ck_assert_uint_eq(s, added);
	free(got);
}

START_TEST(test_same_and_empty)
{
	expect("", "", "", 0, 0);
	expect("a\nb\n", "a\nb\n", "", 0, 0);
	/* a missing final newline is no difference */
	expect("a\nb", "a\nb\n", "", 0, 0);
	expect("", "a\n", "+ a\n", 0, 1);
	expect("a\n", "", "- a\n", 1, 0);
}
END_TEST

START_TEST(test_change_in_the_middle_with_context)
{
	expect("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
	       "  ...\n  3\n  4\n- 5\n+ five\n  6\n  7\n  ...\n", 1, 1);
	/* two changes far apart: two hunks */
	expect("a\n1\n2\n3\n4\n5\n6\nb\n", "A\n1\n2\n3\n4\n5\n6\nB\n",
	       "- a\n+ A\n  1\n  2\n  ...\n  5\n  6\n- b\n+ B\n", 2, 2);
}
END_TEST

START_TEST(test_insertions_keep_order)
{
	/* the common lines are kept, what is new shows where it goes */
	expect("x\ny\nz\n", "x\nnew1\ny\nnew2\nz\n", "  x\n+ new1\n  y\n+ new2\n  z\n", 0, 2);
	expect("r1\nr2\nr3\n", "r3\nr1\nr2\n", "+ r3\n  r1\n  r2\n- r3\n", 1, 1);
}
END_TEST

START_TEST(test_large_falls_back_whole)
{
	size_t n = 3000, r, s;
	char *a = malloc(n * 8 + 1), *b = malloc(n * 8 + 1), *got;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	a[0] = b[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char line[16];
		snprintf(line, sizeof(line), "a%zu\n", i);
		strcat(a, line);
		snprintf(line, sizeof(line), "b%zu\n", i);
		strcat(b, line);
	}
	got = linediff(a, b, &r, &s);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(r, n);
	ck_assert_uint_eq(s, n);
	ck_assert(strncmp(got, "- a0\n", 5) == 0);
	free(got);
	free(a);
	free(b);
}
END_TEST

static Suite *linediff_suite(void)
{
	Suite *s = suite_create("linediff");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_same_and_empty);
	tcase_add_test(tc, test_change_in_the_middle_with_context);
	tcase_add_test(tc, test_insertions_keep_order);
	tcase_add_test(tc, test_large_falls_back_whole);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(linediff_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
