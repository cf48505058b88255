/*
 * common/filter: the allow-expression tokeniser tjd and the swarm
 * coordinator share.  What one accepts the other must read the same way.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/filter.h"

/* Parses expression, which must succeed, and returns its terms as "k=v|k=v". */
static const char *terms_of(const char *expression, char *buf, size_t size)
{
	struct filter filter;
	char err[256] = "";

	ck_assert_msg(filter_parse(expression, &filter, err, sizeof(err)) == 0, "\"%s\": %s",
		      expression, err);
	buf[0] = '\0';
	for (size_t i = 0; i < filter.count; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s=%s", i ? "|" : "",
			 filter.terms[i].key, filter.terms[i].value);
	filter_free(&filter);
	return buf;
}

/* Parses expression, which must fail with err containing need. */
static void expect_refused(const char *expression, const char *need)
{
	struct filter filter;
	char err[256] = "";

	ck_assert_msg(filter_parse(expression, &filter, err, sizeof(err)) == -1, "accepted \"%s\"",
		      expression);
	ck_assert_msg(strstr(err, need) != NULL, "\"%s\": error \"%s\" lacks \"%s\"", expression,
		      err, need);
	ck_assert_ptr_null(filter.terms);
	ck_assert_uint_eq(filter.count, 0);
	filter_free(&filter);
}

START_TEST(test_terms)
{
	char buf[512];

	ck_assert_str_eq(terms_of("ancestor=traefik:v3", buf, sizeof(buf)), "ancestor=traefik:v3");
	/* split at the first '=': the value keeps its own */
	ck_assert_str_eq(terms_of("label=tjd.allow=true", buf, sizeof(buf)),
			 "label=tjd.allow=true");
	ck_assert_str_eq(terms_of("label==x", buf, sizeof(buf)), "label==x");
	ck_assert_str_eq(terms_of("label=a=b=c=", buf, sizeof(buf)), "label=a=b=c=");
	/* spaces and tabs separate, any number of them, at either end too */
	ck_assert_str_eq(terms_of("  name=a\tname=b   label=x \t", buf, sizeof(buf)),
			 "name=a|name=b|label=x");
	ck_assert_str_eq(
	    terms_of("status=running health=healthy is-task=false exited=0", buf, sizeof(buf)),
	    "status=running|health=healthy|is-task=false|exited=0");
	ck_assert_str_eq(terms_of("label=caf\xc3\xa9=1", buf, sizeof(buf)), "label=caf\xc3\xa9=1");
	ck_assert_str_eq(terms_of("name=^/proxy\\.[0-9]+$", buf, sizeof(buf)),
			 "name=^/proxy\\.[0-9]+$");
	/* a comma is part of a value, not a separator (docker ps has no such syntax) */
	ck_assert_str_eq(terms_of("label=a,ancestor=b", buf, sizeof(buf)), "label=a,ancestor=b");
}
END_TEST

START_TEST(test_every_key)
{
	static const char *const keys[] = {
	    "ancestor", "before", "expose",  "exited",	"health", "id",	    "isolation", "is-task",
	    "label",	"name",	  "network", "publish", "since",  "status", "volume",
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ck_assert_msg(filter_known_key(keys[i], strlen(keys[i])), "%s", keys[i]);
	ck_assert(!filter_known_key("labels", 6));
	ck_assert(!filter_known_key("Label", 5));
	ck_assert(!filter_known_key("", 0));
	/* only the bytes asked about count */
	ck_assert(filter_known_key("label=x", 5));
}
END_TEST

START_TEST(test_refused)
{
	char big[FILTER_EXPRESSION_MAX + 2];

	expect_refused("", "empty");
	expect_refused(" \t ", "empty");
	expect_refused("traefik", "expected key=value");
	expect_refused("name=proxy traefik", "\"traefik\": expected key=value");
	expect_refused("alow=traefik", "alow=traefik");
	expect_refused("name=proxy colour=blue", "colour=blue");
	expect_refused("=proxy", "unknown key");
	expect_refused("name=", "\"name=\": empty value");
	expect_refused("name= label=x", "empty value");
	expect_refused("name=a\x01"
		       "b",
		       "a?b");
	expect_refused("name=a\nname=b", "control");
	expect_refused("name=a\rb", "control");
	expect_refused("name=a\x7f", "control");
	expect_refused("name=\x1b[31mred", "control");
	expect_refused("name=\xff\xfe", "UTF-8");
	expect_refused("label=\xc0\xaf", "UTF-8");
	expect_refused("label=\xed\xa0\x80", "UTF-8");
	expect_refused("status=sleeping", "status=sleeping");
	expect_refused("health=fine", "health");
	expect_refused("is-task=maybe", "true or false");
	expect_refused("exited=-1", "exit code");
	/* overlong: the expression and one value */
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "name=", 5);
	big[sizeof(big) - 1] = '\0';
	expect_refused(big, "too long");
	big[5 + FILTER_VALUE_MAX + 1] = '\0';
	expect_refused(big, "value too long");
	/* an error message quotes at most 64 bytes of a term */
	memset(big, 'k', 200);
	memcpy(big + 200, "=v", 3);
	{
		struct filter filter;
		char err[256];
		ck_assert_int_eq(filter_parse(big, &filter, err, sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "...\": unknown key"));
		ck_assert_uint_lt(strlen(err), 120);
	}
}
END_TEST

START_TEST(test_bounds)
{
	char value[FILTER_VALUE_MAX + 16];
	char *many = malloc(FILTER_EXPRESSION_MAX + 1);
	struct filter filter;
	char err[256];
	size_t n = 0;

	/* a value of exactly FILTER_VALUE_MAX bytes is accepted */
	memcpy(value, "name=", 5);
	memset(value + 5, 'v', FILTER_VALUE_MAX);
	value[5 + FILTER_VALUE_MAX] = '\0';
	ck_assert_int_eq(filter_parse(value, &filter, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(filter.terms[0].value), FILTER_VALUE_MAX);
	filter_free(&filter);
	/* as many terms as fit in FILTER_EXPRESSION_MAX bytes */
	ck_assert_ptr_nonnull(many);
	while (n + 7 <= FILTER_EXPRESSION_MAX) {
		memcpy(many + n, "id=ab ", 6);
		n += 6;
	}
	many[n] = '\0';
	ck_assert_int_eq(filter_parse(many, &filter, err, sizeof(err)), 0);
	ck_assert_uint_eq(filter.count, n / 6);
	filter_free(&filter);
	free(many);
	/* freeing twice, or a zeroed filter, is harmless */
	filter_free(&filter);
}
END_TEST

/* The suite. */
static Suite *filter_suite(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_terms);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(filter_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
