/* Ruleset IR: prefixes, comparison, rendering. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tjd/ruleset.h"

START_TEST(test_prefix_parse_valid)
{
	struct prefix p;
	char text[64];

	ck_assert_int_eq(prefix_parse("172.18.0.0/16", &p), 0);
	ck_assert_int_eq(p.family, AF_INET);
	ck_assert_int_eq(p.length, 16);
	ck_assert_int_eq(prefix_format(&p, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "172.18.0.0/16");
	ck_assert_int_eq(prefix_parse("fd00:30::2", &p), 0);
	ck_assert_int_eq(p.family, AF_INET6);
	ck_assert_int_eq(p.length, 128);
	ck_assert_int_eq(prefix_format(&p, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "fd00:30::2/128");
}
END_TEST

START_TEST(test_prefix_parse_invalid)
{
	static const char *const bad[] = {"",	       "/24",		"10.0.0.0/33", "10.0.0/24",
					  "10.0.0.1/", "10.0.0.1/-1",	"fd00::/129",  "fd00::/1a",
					  "host/24",   "10.0.0.1/0024", "1.2.3.4 /8",  "::1/+8"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct prefix p;
		ck_assert_msg(prefix_parse(bad[i], &p) < 0, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(p.family, 0);
	}
}
END_TEST

START_TEST(test_prefix_contains)
{
	struct prefix net, in, out, net6, in6;

	prefix_parse("10.1.0.0/17", &net);
	prefix_parse("10.1.127.255", &in);
	prefix_parse("10.1.128.0", &out);
	prefix_parse("fd00:30::/64", &net6);
	prefix_parse("fd00:30::abcd", &in6);
	ck_assert(prefix_contains(&net, &in));
	ck_assert(!prefix_contains(&net, &out));
	ck_assert(prefix_contains(&net6, &in6));
	ck_assert(!prefix_contains(&net, &in6));
	ck_assert(!prefix_contains(&in, &net));
}
END_TEST

START_TEST(test_rule_equal_ignores_padding)
{
	struct rule a, b;

	memset(&a, 0xAA, sizeof(a));
	memset(&b, 0x55, sizeof(b));
	for (struct rule *r = &a; r; r = (r == &a ? &b : NULL)) {
		memset(r->in_iface, 0, sizeof(r->in_iface));
		memset(r->out_iface, 0, sizeof(r->out_iface));
		memset(r->physdev_in, 0, sizeof(r->physdev_in));
		memset(r->comment, 0, sizeof(r->comment));
		memset(&r->src, 0, sizeof(r->src));
		memset(&r->dst, 0, sizeof(r->dst));
		r->family = AF_INET;
		r->hook = RULE_HOOK_FORWARD;
		r->ctstate = 0;
		r->protocol = 0;
		r->has_icmp_type = false;
		r->tcp_not_syn = false;
		r->sport_first = r->sport_last = 0;
		r->dport_first = r->dport_last = 0;
		r->ct_dnat = false;
		r->ct_dport_first = r->ct_dport_last = 0;
		memset(r->src_set, 0, sizeof(r->src_set));
		memset(r->dst_set, 0, sizeof(r->dst_set));
		r->verdict = RULE_DROP;
		strcpy(r->in_iface, "br-1");
	}
	a.icmp_type = 1;
	b.icmp_type = 2; /* irrelevant without has_icmp_type */
	ck_assert(rule_equal(&a, &b));
	b.dport_first = b.dport_last = 80;
	ck_assert(!rule_equal(&a, &b));
	b.dport_first = b.dport_last = 0;
	b.verdict = RULE_RETURN;
	ck_assert(!rule_equal(&a, &b));
}
END_TEST

START_TEST(test_format)
{
	struct ruleset set;
	struct rule *r;
	char *text;

	ruleset_init(&set);
	r = ruleset_add(&set);
	r->family = AF_INET;
	r->hook = RULE_HOOK_FORWARD;
	r->ctstate = RULE_CT_ESTABLISHED | RULE_CT_RELATED;
	r->verdict = RULE_RETURN;
	r = ruleset_add(&set);
	r->family = AF_INET;
	r->hook = RULE_HOOK_FORWARD;
	strcpy(r->in_iface, "br-abc");
	strcpy(r->out_iface, "br-abc");
	strcpy(r->physdev_in, "veth1");
	prefix_parse("172.30.0.2", &r->src);
	strcpy(r->comment, "tjd web allow proxy");
	r->verdict = RULE_RETURN;
	r = ruleset_add(&set);
	r->family = AF_INET6;
	r->hook = RULE_HOOK_INPUT;
	strcpy(r->in_iface, "br-abc");
	r->protocol = IPPROTO_ICMPV6;
	r->has_icmp_type = true;
	r->icmp_type = 135;
	r->verdict = RULE_RETURN;
	r = ruleset_add(&set);
	r->family = AF_INET6;
	r->hook = RULE_HOOK_INPUT;
	strcpy(r->in_iface, "br-abc");
	r->verdict = RULE_DROP;
	text =
	    ruleset_format(&set, (const char *const[]){"TJD-FORWARD", "TJD-INPUT", "TJD-OUTPUT"});
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(
	    strstr(text, "-A TJD-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN\n"));
	ck_assert_ptr_nonnull(strstr(text, "-A TJD-FORWARD -s 172.30.0.2/32 -i br-abc -o br-abc "
					   "-m physdev --physdev-in veth1 -m comment --comment "
					   "\"tjd web allow proxy\" -j RETURN\n"));
	ck_assert_ptr_nonnull(strstr(
	    text, "-A TJD-INPUT -i br-abc -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j RETURN\n"));
	/* IPv6 rules only in the IPv6 section, after the IPv4 one. */
	ck_assert_ptr_nonnull(strstr(text, "# IPv6"));
	ck_assert(strstr(text, "-A TJD-INPUT -i br-abc -j DROP") > strstr(text, "# IPv6"));
	ck_assert_uint_eq(ruleset_count(&set, AF_INET6, RULE_HOOK_INPUT), 2);
	ck_assert_uint_eq(ruleset_count(&set, AF_INET, RULE_HOOK_INPUT), 0);
	free(text);
	ruleset_free(&set);
}
END_TEST

START_TEST(test_sets)
{
	struct ruleset a, b;
	struct prefix p;
	struct rule *rule;
	char *text;
	static const char *const chains[RULE_HOOK_COUNT] = {"F", "I", "O"};

	ruleset_init(&a);
	ruleset_init(&b);
	ck_assert(!rule_set_name_valid(""));
	ck_assert(!rule_set_name_valid("1office"));
	ck_assert(!rule_set_name_valid("off ice"));
	ck_assert(!rule_set_name_valid("abcdefghijklmnopqrstuvwxyz01"));
	ck_assert(rule_set_name_valid("abcdefghijklmnopqrstuvwxyz0"));
	ck_assert(rule_set_name_valid("office-4"));
	ck_assert_ptr_null(ruleset_add_set(&a, "bad name", AF_INET));
	ck_assert_ptr_null(ruleset_add_set(&a, "office-4", 0));
	ck_assert_int_eq(ruleset_add_member(&a, &p), -1); /* no set yet */
	ck_assert_ptr_nonnull(ruleset_add_set(&a, "office-4", AF_INET));
	ck_assert_int_eq(prefix_parse("192.168.122.193", &p), 0);
	ck_assert_int_eq(ruleset_add_member(&a, &p), 0);
	ck_assert_int_eq(prefix_parse("10.1.0.0/16", &p), 0);
	ck_assert_int_eq(ruleset_add_member(&a, &p), 0);
	ck_assert_ptr_nonnull(ruleset_add_set(&a, "office-6", AF_INET6));
	rule = ruleset_add(&a);
	rule->family = AF_INET;
	rule->hook = RULE_HOOK_FORWARD;
	rule->protocol = IPPROTO_TCP;
	rule->ctstate = RULE_CT_NEW;
	rule->ct_dnat = true;
	rule->ct_dport_first = rule->ct_dport_last = 8000;
	strcpy(rule->src_set, "office-4");
	rule->verdict = RULE_RETURN;
	ck_assert_uint_eq(a.sets[0].count, 2);
	ck_assert_uint_eq(a.sets[1].first, 2);
	ck_assert_uint_eq(a.sets[1].count, 0);
	ck_assert_ptr_eq(ruleset_find_set(&a, "office-6"), &a.sets[1]);
	ck_assert_ptr_null(ruleset_find_set(&a, "office"));

	ck_assert_int_eq(ruleset_copy(&b, &a), 0);
	ck_assert(ruleset_equal(&a, &b));
	/* a member more: the same rules, other sets */
	ck_assert_int_eq(prefix_parse("fd00::/64", &p), 0);
	ck_assert_int_eq(ruleset_add_member(&b, &p), 0);
	ck_assert(ruleset_rules_equal(&a, &b));
	ck_assert(!ruleset_sets_equal(&a, &b));
	ck_assert(!ruleset_equal(&a, &b));
	/* a rule changed: the same sets, other rules */
	ck_assert_int_eq(ruleset_copy(&b, &a), 0);
	b.rules[0].ct_dport_last = 8001;
	ck_assert(!ruleset_rules_equal(&a, &b));
	ck_assert(ruleset_sets_equal(&a, &b));
	b.rules[0].ct_dport_last = 8000;
	strcpy(b.rules[0].src_set, "office-6");
	ck_assert(!ruleset_rules_equal(&a, &b));

	text = ruleset_format(&a, chains);
	ck_assert_ptr_nonnull(text);
	/* members in the order added */
	ck_assert_ptr_nonnull(
	    strstr(text, "# set office-4 (2 members): 192.168.122.193/32 10.1.0.0/16\n"));
	ck_assert_ptr_nonnull(strstr(text, "# set office-6 (0 members)\n"));
	ck_assert_ptr_nonnull(strstr(
	    text, "-A F -p tcp -m set --match-set office-4 src -m conntrack "
		  "--ctstate NEW -m conntrack --ctstate DNAT --ctproto 6 --ctorigdstport 8000 -j "
		  "RETURN\n"));
	free(text);
	ruleset_free(&a);
	ruleset_free(&b);
}
END_TEST

START_TEST(test_prefix_order)
{
	struct prefix a, b;

	ck_assert_int_eq(prefix_parse("10.0.0.0/8", &a), 0);
	ck_assert_int_eq(prefix_parse("10.0.0.0/16", &b), 0);
	ck_assert_int_lt(prefix_compare(&a, &b), 0);
	ck_assert_int_eq(prefix_parse("9.255.0.0/16", &b), 0);
	ck_assert_int_gt(prefix_compare(&a, &b), 0);
	ck_assert_int_eq(prefix_parse("::/0", &b), 0);
	ck_assert_int_lt(prefix_compare(&a, &b), 0);
	ck_assert_int_eq(prefix_compare(&a, &a), 0);
	ck_assert_int_eq(prefix_parse("10.1.2.3/12", &a), 0);
	prefix_network(&a);
	ck_assert_int_eq(prefix_parse("10.0.0.0/12", &b), 0);
	ck_assert(prefix_equal(&a, &b));
	ck_assert_int_eq(prefix_parse("fd00::ffff:1/65", &a), 0);
	prefix_network(&a);
	ck_assert_int_eq(prefix_parse("fd00::/65", &b), 0);
	ck_assert(prefix_equal(&a, &b));
}
END_TEST

START_TEST(test_copy_equal)
{
	struct ruleset a, b;

	ruleset_init(&a);
	ruleset_init(&b);
	for (int i = 0; i < 100; i++) {
		struct rule *r = ruleset_add(&a);
		ck_assert_ptr_nonnull(r);
		r->family = i % 2 ? AF_INET : AF_INET6;
		r->icmp_type = (uint8_t)i;
		r->has_icmp_type = true;
	}
	ck_assert(!ruleset_equal(&a, &b));
	ck_assert_int_eq(ruleset_copy(&b, &a), 0);
	ck_assert(ruleset_equal(&a, &b));
	b.rules[50].icmp_type = 0;
	ck_assert(!ruleset_equal(&a, &b));
	ruleset_free(&a);
	ruleset_free(&b);
}
END_TEST

/* Builds the suite. */
static Suite *ruleset_suite(void)
{
	Suite *s = suite_create("ruleset");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_prefix_parse_valid);
	tcase_add_test(tc, test_prefix_parse_invalid);
	tcase_add_test(tc, test_prefix_contains);
	tcase_add_test(tc, test_rule_equal_ignores_padding);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_copy_equal);
	tcase_add_test(tc, test_sets);
	tcase_add_test(tc, test_prefix_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(ruleset_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
