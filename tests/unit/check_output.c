/*
 * tjctl's printer (tjctl/output.c): hostile strings are neutralised the
 * same way in every view, well-formed ones printed byte for byte.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tjctl/output.h"

/* Captures what output_text() writes for s. */
static char *shown(const char *s)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(out);
	output_text(out, s);
	fclose(out);
	return text;
}

/* Asserts output_text(in) writes want, and output_width() counts its characters. */
static void expect_shown(const char *in, const char *want, int width)
{
	char *got = shown(in);

	ck_assert_msg(strcmp(got, want) == 0, "\"%s\" shown as \"%s\", not \"%s\"", in, got, want);
	ck_assert_int_eq(output_width(in), width);
	free(got);
}

START_TEST(test_text_well_formed)
{
	expect_shown("", "", 0);
	expect_shown(NULL, "", 0);
	expect_shown("proxy 172.30.0.2", "proxy 172.30.0.2", 16);
	/* UTF-8 passes whole, one column a character */
	expect_shown("caf\xc3\xa9", "caf\xc3\xa9", 4);
	expect_shown("\xe2\x82\xac \xf0\x9f\x90\xb3", "\xe2\x82\xac \xf0\x9f\x90\xb3", 3);
	expect_shown("~!\"#", "~!\"#", 4);
}
END_TEST

START_TEST(test_text_hostile)
{
	/* C0 controls, ANSI escapes, DEL, C1 controls: one '?' each */
	expect_shown("a\nb\tc\rd", "a?b?c?d", 7);
	expect_shown("\x1b[31mred\x1b[0m", "?[31mred?[0m", 12);
	expect_shown("\x1b]0;title\x07", "?]0;title?", 10);
	expect_shown("del\x7f", "del?", 4);
	expect_shown("csi\xc2\x9b"
		     "2J",
		     "csi?2J", 6);
	expect_shown("nel\xc2\x85", "nel?", 4);
	expect_shown("\xc2\xa0", "\xc2\xa0", 1); /* NBSP is not a control */
	/* invalid UTF-8: one '?' per byte that is not part of a sequence */
	expect_shown("\xff\xfe", "??", 2);
	expect_shown("\xc0\xaf", "??", 2);
	expect_shown("\xed\xa0\x80", "???", 3);
	expect_shown("cut\xe2\x82", "cut??", 5);
	expect_shown("\xc3(", "?(", 2);
}
END_TEST

START_TEST(test_table_helpers)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	char *items[] = {"10.0.0.1", "a\x1b"
				     "b"};

	ck_assert_ptr_nonnull(out);
	output_label(out, 2, "agent");
	fputs("|\n", out);
	output_label(out, 0, "a label far too long for the column");
	fputs("|\n", out);
	output_cell(out, "", 3);
	output_cell(out, "x\x7f", 4);
	fputs("|\n", out);
	output_list(out, items, 2, "none");
	output_list(out, items, 0, "none");
	fputs("|\n", out);
	output_field(out, 2, "last error", "%s (%d)", "boom\n\x1b[1A", 7);
	output_field_lines(out, 2, "allow", items, 2);
	output_field_lines(out, 2, "allow", items, 0);
	fclose(out);
	ck_assert_str_eq(text, "  agent:              |\n"
			       "a label far too long for the column: |\n"
			       "-  x?  |\n"
			       "10.0.0.1, a?bnone|\n"
			       "  last error:         boom??[1A (7)\n"
			       "  allow:              10.0.0.1\n"
			       "                      a?b\n"
			       "  allow:              none\n");
	ck_assert_int_eq(output_list_width(items, 2), 13);
	ck_assert_int_eq(output_list_width(items, 0), 1);
	free(text);
}
END_TEST

/* Prints root with output_json() and returns the text. */
static char *json_text(json_t *root)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(output_json(out, root), 0);
	fclose(out);
	return text;
}

START_TEST(test_json)
{
	json_t *root = json_object();
	json_t *round;
	bool failed = false;
	char *items[] = {"ok", "bad\xff"};
	char *text;

	output_json_set(root, "plain", output_json_string("caf\xc3\xa9 \x1b[0m"), &failed);
	output_json_set(root, "invalid",
			output_json_string("a\xc0\xaf"
					   "b"),
			&failed);
	output_json_set(root, "del_c1", output_json_string("x\x7fy\xc2\x9bz\xc2\xa0"), &failed);
	output_json_set(root, "null", output_json_string(NULL), &failed);
	output_json_set(root, "list", output_json_strings(items, 2), &failed);
	ck_assert(!failed);
	text = json_text(root);
	ck_assert_str_eq(text, "{\n"
			       "  \"plain\": \"caf\xc3\xa9 \\u001B[0m\",\n"
			       "  \"invalid\": \"a??b\",\n"
			       "  \"del_c1\": \"x\\u007Fy\\u009Bz\xc2\xa0\",\n"
			       "  \"null\": \"\",\n"
			       "  \"list\": [\n"
			       "    \"ok\",\n"
			       "    \"bad?\"\n"
			       "  ]\n"
			       "}\n");
	/* the escapes are the same strings to a parser */
	round = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(round);
	ck_assert_str_eq(json_string_value(json_object_get(round, "del_c1")),
			 "x\x7fy\xc2\x9bz\xc2\xa0");
	json_decref(round);
	free(text);
	/* a NULL value is noted, not stored */
	output_json_set(root, "nothing", NULL, &failed);
	ck_assert(failed);
	json_decref(root);
}
END_TEST

/* The suite. */
static Suite *output_suite(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_text_well_formed);
	tcase_add_test(tc, test_text_hostile);
	tcase_add_test(tc, test_table_helpers);
	tcase_add_test(tc, test_json);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(output_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
