/* common/ident: Docker object and container ids, container names, interface names. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/ident.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Length of a string literal, embedded NULs included. */
#define LITERAL(s) s, sizeof(s) - 1

START_TEST(test_object_ids)
{
	ck_assert(ident_valid_id(LITERAL(HEX64)));
	ck_assert(ident_valid_id(LITERAL("k418cmmodbm5n2cs6o9gb8sns")));
	ck_assert(ident_valid_id(LITERAL("a")));
	ck_assert(!ident_valid_id(LITERAL("")));
	ck_assert(!ident_valid_id(LITERAL(HEX64 "0")));
	ck_assert(!ident_valid_id(LITERAL("K418cmmodbm5n2cs6o9gb8sns")));
	ck_assert(!ident_valid_id(LITERAL("abc-def")));
	ck_assert(!ident_valid_id(LITERAL("abc/def")));
	ck_assert(!ident_valid_id(LITERAL("abc def")));
	ck_assert(!ident_valid_id(LITERAL("abc\0def")));
	ck_assert(!ident_valid_id(LITERAL("abc\x7f")));
	ck_assert(!ident_valid_id(LITERAL("\xc3\xa9")));
	ck_assert(!ident_valid_id(LITERAL("../x")));
	/* only the bytes asked about count */
	ck_assert(ident_valid_id("abc/", 3));
}
END_TEST

START_TEST(test_container_ids)
{
	ck_assert(ident_valid_container_id(LITERAL(HEX64)));
	ck_assert(ident_valid_container_id(LITERAL("27894031e8")));
	ck_assert(!ident_valid_container_id(LITERAL("")));
	ck_assert(!ident_valid_container_id(LITERAL(HEX64 "a")));
	ck_assert(!ident_valid_container_id(LITERAL("k418cmmodbm5n2cs6o9gb8sns")));
	ck_assert(!ident_valid_container_id(LITERAL("ABCDEF")));
	ck_assert(!ident_valid_container_id(LITERAL("abc\0")));
	ck_assert(!ident_valid_container_id(LITERAL("lb-web")));
}
END_TEST

START_TEST(test_container_names)
{
	char longest[IDENT_NAME_MAX + 2];

	ck_assert(ident_valid_container_name(LITERAL("proxy")));
	ck_assert(ident_valid_container_name(LITERAL("a")));
	ck_assert(ident_valid_container_name(LITERAL("web_app.1-b")));
	ck_assert(ident_valid_container_name(LITERAL("0Traefik")));
	ck_assert(!ident_valid_container_name(LITERAL("")));
	ck_assert(!ident_valid_container_name(LITERAL("/proxy")));
	ck_assert(!ident_valid_container_name(LITERAL("web/db")));
	ck_assert(!ident_valid_container_name(LITERAL("_a")));
	ck_assert(!ident_valid_container_name(LITERAL(".a")));
	ck_assert(!ident_valid_container_name(LITERAL("-a")));
	ck_assert(!ident_valid_container_name(LITERAL("a b")));
	ck_assert(!ident_valid_container_name(LITERAL("we:b")));
	ck_assert(!ident_valid_container_name(LITERAL("a\0b")));
	ck_assert(!ident_valid_container_name(LITERAL("\0")));
	ck_assert(!ident_valid_container_name(LITERAL("caf\xc3\xa9")));
	memset(longest, 'a', sizeof(longest));
	ck_assert(ident_valid_container_name(longest, IDENT_NAME_MAX));
	ck_assert(!ident_valid_container_name(longest, IDENT_NAME_MAX + 1));
}
END_TEST

START_TEST(test_ifnames)
{
	ck_assert(ident_valid_ifname(LITERAL("docker0")));
	ck_assert(ident_valid_ifname(LITERAL("br-511f58bb02a1")));
	ck_assert(ident_valid_ifname(LITERAL("123456789012345")));
	ck_assert(ident_valid_ifname(LITERAL("...")));
	ck_assert(ident_valid_ifname(LITERAL("veth@1")));
	ck_assert(!ident_valid_ifname(LITERAL("1234567890123456")));
	ck_assert(!ident_valid_ifname(LITERAL("")));
	ck_assert(!ident_valid_ifname(LITERAL(".")));
	ck_assert(!ident_valid_ifname(LITERAL("..")));
	ck_assert(!ident_valid_ifname(LITERAL("a/b")));
	ck_assert(!ident_valid_ifname(LITERAL("eth0:1")));
	ck_assert(!ident_valid_ifname(LITERAL("a b")));
	ck_assert(!ident_valid_ifname(LITERAL("a\tb")));
	ck_assert(!ident_valid_ifname(LITERAL("a\nb")));
	ck_assert(!ident_valid_ifname(LITERAL("a\x7f")));
	ck_assert(!ident_valid_ifname(LITERAL("caf\xc3\xa9")));
	ck_assert(!ident_valid_ifname(LITERAL("a\0b")));
}
END_TEST

/* The suite. */
static Suite *ident_suite(void)
{
	Suite *s = suite_create("ident");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_object_ids);
	tcase_add_test(tc, test_container_ids);
	tcase_add_test(tc, test_container_names);
	tcase_add_test(tc, test_ifnames);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(ident_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
