/* common/prefix: parsing, formatting, comparison and containment, both families. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/prefix.h"

/* Parses text (which must succeed) and returns it formatted in buf. */
static const char *round_trip(const char *text, char *buf, size_t size)
{
	struct prefix p;

	ck_assert_msg(prefix_parse(text, &p) == 0, "refused \"%s\"", text);
	ck_assert_int_eq(prefix_format(&p, buf, size), 0);
	return buf;
}

START_TEST(test_parse_forms)
{
	char buf[PREFIX_TEXT_MAX];
	struct prefix p;

	ck_assert_str_eq(round_trip("10.0.0.0/8", buf, sizeof(buf)), "10.0.0.0/8");
	ck_assert_str_eq(round_trip("10.0.0.5", buf, sizeof(buf)), "10.0.0.5/32");
	/* bits past the length are kept */
	ck_assert_str_eq(round_trip("10.0.0.5/24", buf, sizeof(buf)), "10.0.0.5/24");
	ck_assert_str_eq(round_trip("0.0.0.0/0", buf, sizeof(buf)), "0.0.0.0/0");
	ck_assert_str_eq(round_trip("255.255.255.255/32", buf, sizeof(buf)), "255.255.255.255/32");
	ck_assert_str_eq(round_trip("10.0.0.1/007", buf, sizeof(buf)), "10.0.0.1/7");
	/* IPv6 forms come back canonical */
	ck_assert_str_eq(round_trip("FD00:0030:0000::0002", buf, sizeof(buf)), "fd00:30::2/128");
	ck_assert_str_eq(round_trip("::", buf, sizeof(buf)), "::/128");
	ck_assert_str_eq(round_trip("::/0", buf, sizeof(buf)), "::/0");
	ck_assert_str_eq(round_trip("::1", buf, sizeof(buf)), "::1/128");
	ck_assert_str_eq(round_trip("fe80::1/64", buf, sizeof(buf)), "fe80::1/64");
	ck_assert_str_eq(round_trip("2001:db8:0:0:1:0:0:1", buf, sizeof(buf)),
			 "2001:db8::1:0:0:1/128");
	ck_assert_str_eq(round_trip("::ffff:10.0.0.5/128", buf, sizeof(buf)),
			 "::ffff:10.0.0.5/128");
	ck_assert_str_eq(
	    round_trip("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", buf, sizeof(buf)),
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	ck_assert_int_eq(prefix_parse("fd00::1/128", &p), 0);
	ck_assert_int_eq(p.family, AF_INET6);
	ck_assert_int_eq(p.length, 128);
}
END_TEST

START_TEST(test_parse_invalid)
{
	static const char *const bad[] = {
	    "",
	    "/",
	    "/24",
	    "10.0.0.0/",
	    "10.0.0.0/33",
	    "10.0.0.0/-1",
	    "10.0.0.0/+8",
	    "10.0.0.0/ 8",
	    "10.0.0.0/8 ",
	    " 10.0.0.0/8",
	    "10.0.0.0/0008",
	    "10.0.0.0/1a",
	    "10.0.0.0/8/8",
	    "10.0.0",
	    "10.0.0.256",
	    "010.0.0.1",
	    "10.0.0.1.",
	    "1.2.3.4 ",
	    "host",
	    "host/24",
	    "fd00::/129",
	    "fd00::/999",
	    "fd00:::1",
	    "fd00::1::2",
	    "fe80::1%eth0",
	    "fe80::1%eth0/64",
	    "12345::1",
	    "1:2:3:4:5:6:7:8:9",
	    "[fd00::1]",
	    "::ffff:10.0.0.256",
	    /* too long to be an address, even if inet_pton might cope */
	    "0000:0000:0000:0000:0000:0000:0000:0000:0000",
	    "0000:0000:0000:0000:0000:0000:0000:0000:0000/64",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct prefix p;
		memset(&p, 0x5a, sizeof(p));
		ck_assert_msg(prefix_parse(bad[i], &p) < 0, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(p.family, 0);
		ck_assert_int_eq(p.length, 0);
	}
}
END_TEST

START_TEST(test_parse_address_and_network)
{
	struct prefix p;

	ck_assert_int_eq(prefix_parse_address("10.0.0.5", &p), 0);
	ck_assert_int_eq(p.length, 32);
	ck_assert_int_eq(prefix_parse_address("fd00::5", &p), 0);
	ck_assert_int_eq(p.length, 128);
	ck_assert_int_eq(prefix_parse_address("10.0.0.5/32", &p), -1);
	ck_assert_int_eq(p.family, 0);
	ck_assert_int_eq(prefix_parse_address("fd00::5/128", &p), -1);
	ck_assert_int_eq(prefix_parse_address("", &p), -1);

	ck_assert_int_eq(prefix_parse_network("10.0.0.0/24", &p), 0);
	ck_assert_int_eq(p.length, 24);
	ck_assert_int_eq(prefix_parse_network("fd00::/64", &p), 0);
	ck_assert_int_eq(p.length, 64);
	ck_assert_int_eq(prefix_parse_network("10.0.0.0", &p), -1);
	ck_assert_int_eq(p.family, 0);
	ck_assert_int_eq(prefix_parse_network("10.0.0.0/99", &p), -1);
}
END_TEST

START_TEST(test_format)
{
	char buf[PREFIX_TEXT_MAX], small[8];
	struct prefix p, unset;

	memset(&unset, 0, sizeof(unset));
	ck_assert_int_eq(prefix_format(&unset, buf, sizeof(buf)), -1);
	ck_assert_int_eq(prefix_format_address(&unset, buf, sizeof(buf)), -1);
	ck_assert_int_eq(prefix_parse("10.0.0.5/24", &p), 0);
	ck_assert_int_eq(prefix_format_address(&p, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "10.0.0.5");
	/* a buffer one byte short fails rather than cutting */
	ck_assert_int_eq(prefix_format(&p, buf, strlen("10.0.0.5/24")), -1);
	ck_assert_int_eq(prefix_format(&p, buf, strlen("10.0.0.5/24") + 1), 0);
	ck_assert_int_eq(prefix_format_address(&p, small, sizeof(small)), -1);
	/* the longest form fits PREFIX_TEXT_MAX */
	ck_assert_int_eq(prefix_parse("1111:2222:3333:4444:5555:6666:7777:8888/128", &p), 0);
	ck_assert_int_eq(prefix_format(&p, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(test_equal_and_contains)
{
	struct prefix net, in, out, net6, in6, v4mapped, all, all6;

	ck_assert_int_eq(prefix_parse("10.1.0.0/17", &net), 0);
	ck_assert_int_eq(prefix_parse("10.1.127.255", &in), 0);
	ck_assert_int_eq(prefix_parse("10.1.128.0", &out), 0);
	ck_assert_int_eq(prefix_parse("fd00:30::/64", &net6), 0);
	ck_assert_int_eq(prefix_parse("fd00:30::abcd", &in6), 0);
	ck_assert_int_eq(prefix_parse("::ffff:10.1.0.1", &v4mapped), 0);
	ck_assert_int_eq(prefix_parse("0.0.0.0/0", &all), 0);
	ck_assert_int_eq(prefix_parse("::/0", &all6), 0);
	ck_assert(prefix_contains(&net, &in));
	ck_assert(!prefix_contains(&net, &out));
	ck_assert(prefix_contains(&net6, &in6));
	ck_assert(!prefix_contains(&net, &in6));
	ck_assert(!prefix_contains(&in, &net));
	/* an IPv4-mapped IPv6 address is IPv6, not inside an IPv4 subnet */
	ck_assert(!prefix_contains(&net, &v4mapped));
	ck_assert(prefix_contains(&all, &out));
	ck_assert(prefix_contains(&all6, &in6));
	ck_assert(!prefix_contains(&all6, &in));
	ck_assert(prefix_contains(&net, &net));

	ck_assert(prefix_equal(&in, &in));
	ck_assert(!prefix_equal(&in, &out));
	prefix_host(&net);
	ck_assert_int_eq(net.length, 32);
	prefix_host(&net6);
	ck_assert_int_eq(net6.length, 128);
	memset(&out, 0, sizeof(out));
	memset(&in, 0xff, sizeof(in));
	in.family = 0;
	/* unset prefixes are equal whatever their other bytes */
	ck_assert(prefix_equal(&out, &in));
}
END_TEST

/* The suite. */
static Suite *prefix_suite(void)
{
	Suite *s = suite_create("prefix");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_forms);
	tcase_add_test(tc, test_parse_invalid);
	tcase_add_test(tc, test_parse_address_and_network);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_equal_and_contains);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(prefix_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
