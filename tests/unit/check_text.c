/* common/text: printable ASCII, control characters, the sanitiser and UTF-8. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

/* Length of a string literal, embedded NULs included. */
#define LITERAL(s) s, sizeof(s) - 1

START_TEST(test_printable_bounds)
{
	ck_assert(!text_printable_byte(0x00));
	ck_assert(!text_printable_byte(0x1f));
	ck_assert(text_printable_byte(0x20));
	ck_assert(text_printable_byte('~'));
	ck_assert(!text_printable_byte(0x7f)); /* DEL */
	ck_assert(!text_printable_byte(0x80));
	ck_assert(!text_printable_byte(0xc3));
	ck_assert(!text_printable_byte(0xff));
	ck_assert(text_is_printable(LITERAL("")));
	ck_assert(text_is_printable(LITERAL("tjd web allow proxy ~!\"")));
	ck_assert(!text_is_printable(LITERAL("a\x7f")));
	ck_assert(!text_is_printable(LITERAL("caf\xc3\xa9")));
	ck_assert(!text_is_printable(LITERAL("a\0b")));
	ck_assert(!text_is_printable(LITERAL("\x1b[31m")));
	/* only the bytes asked about count */
	ck_assert(text_is_printable("ab\x01", 2));
}
END_TEST

START_TEST(test_graphic)
{
	ck_assert(text_is_graphic(LITERAL("unix:///run/docker.sock")));
	ck_assert(!text_is_graphic(LITERAL("a b")));
	ck_assert(!text_is_graphic(LITERAL("a\tb")));
	ck_assert(!text_is_graphic(LITERAL("a\x7f")));
	ck_assert(!text_is_graphic(LITERAL("\xc3\xa9")));
	ck_assert(text_is_graphic(LITERAL("")));
}
END_TEST

START_TEST(test_has_control)
{
	ck_assert(!text_has_control(LITERAL("")));
	ck_assert(!text_has_control(LITERAL("label=caf\xc3\xa9 x")));
	/* bytes >= 0x80 are not controls, even when they are not UTF-8 */
	ck_assert(!text_has_control(LITERAL("\xff\xfe\x80\x9b")));
	ck_assert(text_has_control(LITERAL("a\nb")));
	ck_assert(text_has_control(LITERAL("a\tb")));
	ck_assert(text_has_control(LITERAL("a\x7f")));
	ck_assert(text_has_control(LITERAL("\x1b[2J")));
	ck_assert(text_has_control(LITERAL("a\0b")));
	ck_assert(!text_has_control("a\nb", 1));
}
END_TEST

START_TEST(test_sanitize)
{
	char out[16];
	char big[70];
	char in[] = "tjd web \"x\"\n\x7f\xc3\xa9";

	ck_assert_uint_eq(text_sanitize(out, sizeof(out), LITERAL("plain"), '?'), 5);
	ck_assert_str_eq(out, "plain");
	ck_assert_uint_eq(text_sanitize(out, sizeof(out), LITERAL("a\x01\x7f\xc3\xa9\0z"), '?'), 7);
	ck_assert_str_eq(out, "a?????z");
	/* cut with "..." when it does not fit */
	ck_assert_uint_eq(text_sanitize(out, sizeof(out), LITERAL("0123456789abcdefghij"), '?'),
			  15);
	ck_assert_str_eq(out, "0123456789ab...");
	/* exactly fitting text is not cut */
	ck_assert_uint_eq(text_sanitize(out, sizeof(out), LITERAL("0123456789abcde"), '?'), 15);
	ck_assert_str_eq(out, "0123456789abcde");
	/* too small for "...": just cut */
	ck_assert_uint_eq(text_sanitize(out, 3, LITERAL("abcdef"), '?'), 2);
	ck_assert_str_eq(out, "ab");
	ck_assert_uint_eq(text_sanitize(out, 1, LITERAL("abc"), '?'), 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(text_sanitize(out, sizeof(out), "", 0, '?'), 0);
	ck_assert_str_eq(out, "");
	/* the bound error messages use: 64 bytes of the term */
	memset(big, 'x', sizeof(big));
	ck_assert_uint_eq(text_sanitize(big, 65, big, sizeof(big), '?'), 64);
	ck_assert_str_eq(big + 61, "...");

	text_sanitize_in_place(in, "\"", '_');
	ck_assert_str_eq(in, "tjd web _x_____");
	strcpy(in, "a\x1b[0m");
	text_sanitize_in_place(in, NULL, '?');
	ck_assert_str_eq(in, "a?[0m");
}
END_TEST

START_TEST(test_utf8_valid)
{
	uint32_t cp = 0;

	ck_assert_uint_eq(text_utf8_next(LITERAL("A"), &cp), 1);
	ck_assert_uint_eq(cp, 'A');
	ck_assert_uint_eq(text_utf8_next(LITERAL("\xc3\xa9"), &cp), 2);
	ck_assert_uint_eq(cp, 0xe9);
	ck_assert_uint_eq(text_utf8_next(LITERAL("\xe2\x82\xac"), &cp), 3);
	ck_assert_uint_eq(cp, 0x20ac);
	ck_assert_uint_eq(text_utf8_next(LITERAL("\xf0\x9f\x90\xb3"), &cp), 4);
	ck_assert_uint_eq(cp, 0x1f433);
	ck_assert_uint_eq(text_utf8_next(LITERAL("\xf4\x8f\xbf\xbf"), &cp), 4);
	ck_assert_uint_eq(cp, 0x10ffff);
	ck_assert_uint_eq(text_utf8_next(LITERAL("\0"), &cp), 1);
	ck_assert_uint_eq(cp, 0);
	ck_assert(text_is_utf8(LITERAL("")));
	ck_assert(text_is_utf8(LITERAL("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3")));
}
END_TEST

START_TEST(test_utf8_invalid)
{
	static const char *const bad[] = {
	    "\x80",		/* continuation byte first */
	    "\xbf",		/* likewise */
	    "\xc0\x80",		/* overlong NUL */
	    "\xc1\xbf",		/* overlong */
	    "\xe0\x80\xaf",	/* overlong '/' */
	    "\xf0\x80\x80\xaf", /* overlong '/' */
	    "\xed\xa0\x80",	/* surrogate U+D800 */
	    "\xed\xbf\xbf",	/* surrogate U+DFFF */
	    "\xf4\x90\x80\x80", /* U+110000 */
	    "\xf8\x88\x80\x80\x80",
	    "\xfe",
	    "\xff",
	    "\xc3",	    /* cut short */
	    "\xe2\x82",	    /* cut short */
	    "\xc3\x28",	    /* bad continuation */
	    "\xe2\x28\xa1", /* bad continuation */
	};
	uint32_t cp;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(text_utf8_next(bad[i], strlen(bad[i]), &cp) == 0, "accepted case %zu",
			      i);
		ck_assert_msg(!text_is_utf8(bad[i], strlen(bad[i])), "accepted case %zu", i);
	}
	/* the length bounds the sequence even when more bytes follow in memory */
	ck_assert_uint_eq(text_utf8_next("\xc3\xa9", 1, &cp), 0);
	ck_assert_uint_eq(text_utf8_next("", 0, &cp), 0);
	ck_assert(!text_is_utf8(LITERAL("ok\xff")));
}
END_TEST

START_TEST(test_control_codepoints)
{
	ck_assert(text_is_control_codepoint(0));
	ck_assert(text_is_control_codepoint(0x1b));
	ck_assert(text_is_control_codepoint(0x1f));
	ck_assert(!text_is_control_codepoint(0x20));
	ck_assert(!text_is_control_codepoint('~'));
	ck_assert(text_is_control_codepoint(0x7f));
	ck_assert(text_is_control_codepoint(0x80));
	ck_assert(text_is_control_codepoint(0x9b)); /* CSI */
	ck_assert(text_is_control_codepoint(0x9f));
	ck_assert(!text_is_control_codepoint(0xa0));
	ck_assert(!text_is_control_codepoint(0xe9));
	ck_assert(!text_is_control_codepoint(0x10ffff));
}
END_TEST

/* The suite. */
static Suite *text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_printable_bounds);
	tcase_add_test(tc, test_graphic);
	tcase_add_test(tc, test_has_control);
	tcase_add_test(tc, test_sanitize);
	tcase_add_test(tc, test_utf8_valid);
	tcase_add_test(tc, test_utf8_invalid);
	tcase_add_test(tc, test_control_codepoints);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(text_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
