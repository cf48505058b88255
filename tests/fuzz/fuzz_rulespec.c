/*
 * Fuzz target: the rule grammar and the policy labels (common/rulespec.h),
 * with their promises checked.
 *
 * Input without a newline is one rule: what parses must hold only valid
 * parts, print canonically and parse back equal.  Input with newlines is
 * one container's labels, a "key=value" per line: a policy must have its
 * chains ascending by number, within the bounds, every rule printable and
 * parsed back equal.  What fails must leave nothing behind and explain
 * itself in printable text.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/rulespec.h"
#include "common/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Most labels read from one input. */
#define FUZZ_LABELS_MAX (RULESPEC_RULES_MAX + 16)

/* Checks one address clause against what rulespec.h promises. */
static void fuzz_rulespec_address(const struct rulespec_address *address, int family)
{
	const struct rulespec_ports *ports = &address->ports;

	if ((address->name != NULL) != (address->kind == RULESPEC_ADDRESS_CONTAINER ||
					address->kind == RULESPEC_ADDRESS_FILTER ||
					address->kind == RULESPEC_ADDRESS_SET))
		abort();
	if (address->name != NULL && (address->name[0] == '\0' || strpbrk(address->name, " \t")))
		abort();
	if (address->kind == RULESPEC_ADDRESS_NET && address->net.family != family)
		abort();
	if (ports->count > RULESPEC_PORTS_MAX)
		abort();
	for (size_t i = 0; i < ports->count; i++)
		if (ports->ranges[i].first == 0 || ports->ranges[i].first > ports->ranges[i].last ||
		    (i > 0 && ports->ranges[i].first <= ports->ranges[i - 1].last))
			abort();
}

/* Checks a parsed rule, prints it and parses the text back: the same rule must come out. */
static void fuzz_rulespec_rule(const struct rulespec_rule *rule)
{
	char text[RULESPEC_FORMAT_MAX], again_text[RULESPEC_FORMAT_MAX];
	struct rulespec_rule again;
	struct rulespec_error err;
	int length;

	if (rule->iface[0] != '\0' && !ident_valid_ifname(rule->iface, strlen(rule->iface)))
		abort();
	if (rule->comment != NULL &&
	    (rule->comment[0] == '\0' || strlen(rule->comment) > RULESPEC_COMMENT_MAX ||
	     !text_is_utf8(rule->comment, strlen(rule->comment)) ||
	     text_has_control(rule->comment, strlen(rule->comment))))
		abort();
	if ((rule->from.ports.count > 0 || rule->to.ports.count > 0) &&
	    rule->proto != RULESPEC_PROTO_TCP && rule->proto != RULESPEC_PROTO_UDP &&
	    rule->proto != RULESPEC_PROTO_SCTP)
		abort();
	if ((rule->proto == RULESPEC_PROTO_ICMP && rule->family == AF_INET6) ||
	    (rule->proto == RULESPEC_PROTO_ICMPV6 && rule->family == AF_INET))
		abort();
	fuzz_rulespec_address(&rule->from, rule->family);
	fuzz_rulespec_address(&rule->to, rule->family);
	length = rulespec_format_rule(rule, text, sizeof(text));
	if (length < 0 || (size_t)length != strlen(text))
		abort();
	/* canonical addresses may be longer than written; past the limit there is nothing to parse */
	if (length > RULESPEC_RULE_MAX)
		return;
	if (rulespec_parse_rule(text, &again, &err) < 0 || !rulespec_rule_equal(rule, &again))
		abort();
	if (rulespec_format_rule(&again, again_text, sizeof(again_text)) != length ||
	    strcmp(text, again_text) != 0)
		abort();
	rulespec_rule_free(&again);
}

/* Checks an error: printable, and its formatted text bounded. */
static void fuzz_rulespec_error(const struct rulespec_error *err)
{
	char text[RULESPEC_ERROR_TEXT_MAX];
	size_t length = rulespec_error_format(err, text, sizeof(text));

	if (err->reason[0] == '\0' || !text_is_printable(err->key, strlen(err->key)) ||
	    !text_is_printable(err->word, strlen(err->word)) ||
	    !text_is_printable(err->reason, strlen(err->reason)) ||
	    !text_is_printable(text, strlen(text)) || length != strlen(text) ||
	    length >= sizeof(text) - 1)
		abort();
}

/* Checks one chain: ascending numbers, each rule sound. */
static void fuzz_rulespec_chain(const struct rulespec_chain *chain)
{
	for (size_t i = 0; i < chain->count; i++) {
		if (chain->entries[i].number > RULESPEC_NUMBER_MAX ||
		    (i > 0 && chain->entries[i].number <= chain->entries[i - 1].number))
			abort();
		fuzz_rulespec_rule(&chain->entries[i].rule);
	}
}

/* One rule. */
static void fuzz_rulespec_one_rule(const char *text)
{
	struct rulespec_rule rule;
	struct rulespec_error err;

	if (rulespec_parse_rule(text, &rule, &err) == 0) {
		fuzz_rulespec_rule(&rule);
		rulespec_rule_free(&rule);
	} else {
		if (rule.from.name != NULL || rule.to.name != NULL || rule.comment != NULL)
			abort();
		fuzz_rulespec_error(&err);
	}
}

/* One container's labels, split in place at newlines and at each line's first '='. */
static void fuzz_rulespec_labels(char *text)
{
	struct rulespec_label labels[FUZZ_LABELS_MAX];
	struct rulespec_policy policy;
	struct rulespec_error err;
	size_t count = 0;
	int rc;

	for (char *line = text; line != NULL && count < FUZZ_LABELS_MAX; count++) {
		char *next = strchr(line, '\n'), *equals;

		if (next != NULL)
			*next++ = '\0';
		equals = strchr(line, '=');
		if (equals != NULL)
			*equals = '\0';
		labels[count].key = line;
		labels[count].value = equals != NULL ? equals + 1 : "";
		line = next;
	}
	rc = rulespec_parse_labels(labels, count, &policy, &err);
	if (rc == 1) {
		if (!policy.enabled || policy.source == NULL ||
		    policy.input.count + policy.output.count > RULESPEC_RULES_MAX ||
		    (policy.input_policy != RULESPEC_ALLOW && policy.input_policy != RULESPEC_DENY) ||
		    (policy.output_policy != RULESPEC_ALLOW && policy.output_policy != RULESPEC_DENY))
			abort();
		fuzz_rulespec_chain(&policy.input);
		fuzz_rulespec_chain(&policy.output);
	} else if (rc == 0) {
		if (policy.enabled || policy.input.entries != NULL || policy.output.entries != NULL)
			abort();
	} else {
		if (rc != -1 || policy.source != NULL || policy.input.entries != NULL ||
		    policy.output.entries != NULL)
			abort();
		fuzz_rulespec_error(&err);
	}
	rulespec_policy_free(&policy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (memchr(data, '\n', size) == NULL)
		fuzz_rulespec_one_rule(text);
	else
		fuzz_rulespec_labels(text);
	free(text);
	return 0;
}
