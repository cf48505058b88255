/* The ring of recent connections: order, sequence numbers, and what falls off. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "tjd/events.h"

/* Adds an entry whose reason says `n`. */
static uint64_t add(struct events *events, unsigned n)
{
	struct events_entry entry;

	memset(&entry, 0, sizeof(entry));
	entry.seq = 999999; /* assigned by the ring, whatever the caller says */
	snprintf(entry.reason, sizeof(entry.reason), "%u", n);
	return events_add(events, &entry);
}

START_TEST(test_empty)
{
	struct events *events = events_new();

	ck_assert_ptr_nonnull(events);
	ck_assert_ptr_null(events_after(events, 0));
	ck_assert_uint_eq(events_last(events), 0);
	events_free(events);
}
END_TEST

START_TEST(test_order_and_after)
{
	struct events *events = events_new();
	const struct events_entry *entry;

	for (unsigned i = 1; i <= 5; i++)
		ck_assert_uint_eq(add(events, i), i);
	entry = events_after(events, 0);
	ck_assert_uint_eq(entry->seq, 1);
	ck_assert_str_eq(entry->reason, "1");
	entry = events_after(events, 3);
	ck_assert_uint_eq(entry->seq, 4);
	ck_assert_str_eq(entry->reason, "4");
	ck_assert_ptr_null(events_after(events, 5));
	ck_assert_ptr_null(events_after(events, 100));
	events_free(events);
}
END_TEST

/* Past its capacity the oldest go; a reader behind them starts at the oldest kept. */
START_TEST(test_wraps)
{
	struct events *events = events_new();
	const struct events_entry *entry;
	unsigned total = EVENTS_CAPACITY * 2 + 7, seen = 0;
	uint64_t at = 0;

	for (unsigned i = 1; i <= total; i++)
		add(events, i);
	ck_assert_uint_eq(events_last(events), total);
	entry = events_after(events, 0);
	ck_assert_uint_eq(entry->seq, total - EVENTS_CAPACITY + 1);
	for (entry = events_after(events, 0); entry != NULL; entry = events_after(events, at)) {
		char want[16];

		ck_assert_uint_gt(entry->seq, at);
		at = entry->seq;
		snprintf(want, sizeof(want), "%llu", (unsigned long long)at);
		ck_assert_str_eq(entry->reason, want);
		seen++;
	}
	ck_assert_uint_eq(seen, EVENTS_CAPACITY);
	ck_assert_uint_eq(at, total);
	events_free(events);
}
END_TEST

static Suite *events_suite(void)
{
	Suite *suite = suite_create("events");
	TCase *tcase = tcase_create("ring");

	tcase_add_test(tcase, test_empty);
	tcase_add_test(tcase, test_order_and_after);
	tcase_add_test(tcase, test_wraps);
	suite_add_tcase(suite, tcase);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(events_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? 0 : 1;
}
