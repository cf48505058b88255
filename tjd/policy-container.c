/* A container's own firewall from its policy labels; see policy-container.h. */
#include "config.h"

#include "tjd/policy-container.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/error.h"
#include "tjd/policy-build.h"

/* ICMPv6 neighbour solicitation and advertisement. */
#define POLICY_CONTAINER_ND_SOLICIT 135
#define POLICY_CONTAINER_ND_ADVERT 136

/* One side of a rule, resolved: its prefixes (NULL/0 with any = true for no condition). */
struct policy_container_side {
	bool any;
	struct prefix *prefixes;
	size_t count;
	const struct rulespec_ports *ports;
};

/* The built-ins of one hook and family: loopback, replies, neighbour discovery. */
static void policy_container_builtins(struct policy_build *build, int family, enum rule_hook hook)
{
	static const uint8_t nd[] = {POLICY_CONTAINER_ND_SOLICIT, POLICY_CONTAINER_ND_ADVERT};
	struct rule *rule = policy_build_rule(build, family, hook, RULE_RETURN);

	if (rule != NULL) {
		snprintf(hook == RULE_HOOK_INPUT ? rule->in_iface : rule->out_iface, TJD_IFNAMSIZ,
			 "lo");
		snprintf(rule->comment, sizeof(rule->comment), "tjd container loopback");
	}
	policy_build_replies(build, family, hook);
	for (size_t i = 0; family == AF_INET6 && i < sizeof(nd); i++) {
		rule = policy_build_rule(build, family, hook, RULE_RETURN);
		if (rule == NULL)
			return;
		rule->protocol = IPPROTO_ICMPV6;
		rule->has_icmp_type = true;
		rule->icmp_type = nd[i];
		snprintf(rule->comment, sizeof(rule->comment), "tjd container neighbour discovery");
	}
}

/* The closing drop of one hook and family. */
static void policy_container_closing(struct policy_build *build, int family, enum rule_hook hook,
				     const char *what)
{
	struct rule *rule = policy_build_rule(build, family, hook, RULE_DROP);

	if (rule != NULL)
		snprintf(rule->comment, sizeof(rule->comment), "tjd container %s", what);
}

/* "SOURCE.DIRECTION.rule.N[: comment]", printable ASCII without '"', truncated. */
static void policy_container_comment(struct rule *rule, const char *source, const char *direction,
				     const struct rulespec_entry *entry)
{
	size_t n = (size_t)snprintf(rule->comment, sizeof(rule->comment), "%s.%s.rule.%u",
				    source ? source : "tjd", direction, entry->number);
	const char *text = entry->rule.comment;

	if (n >= sizeof(rule->comment) || text == NULL || n + 3 >= sizeof(rule->comment))
		return;
	rule->comment[n++] = ':';
	rule->comment[n++] = ' ';
	for (; *text != '\0' && n + 1 < sizeof(rule->comment); text++)
		rule->comment[n++] = (*text >= 0x20 && *text < 0x7f && *text != '"') ? *text : '?';
	rule->comment[n] = '\0';
}

/* Resolves one side of a rule; 0, or -1 (build failed, err set). */
static int policy_container_side(struct policy_build *build, const struct rulespec_address *side,
				 policy_container_resolve_fn resolve, void *arg,
				 struct policy_container_side *out)
{
	memset(out, 0, sizeof(*out));
	out->ports = &side->ports;
	switch (side->kind) {
	case RULESPEC_ADDRESS_ANY:
		out->any = true;
		return 0;
	case RULESPEC_ADDRESS_NET:
		out->prefixes = malloc(sizeof(*out->prefixes));
		if (out->prefixes == NULL)
			break;
		out->prefixes[0] = side->net;
		out->count = 1;
		return 0;
	case RULESPEC_ADDRESS_CONTAINER:
	case RULESPEC_ADDRESS_FILTER:
	case RULESPEC_ADDRESS_SET:
		if (resolve == NULL) {
			error_format(build->err, build->errlen, "%s cannot be resolved here",
				     side->name ? side->name : "a name");
			build->failed = true;
			return -1;
		}
		if (resolve(arg, side, &out->prefixes, &out->count, build->err, build->errlen) <
		    0) {
			build->failed = true;
			return -1;
		}
		return 0;
	}
	error_format(build->err, build->errlen, "out of memory");
	build->failed = true;
	return -1;
}

/* Range `index` of a side's ports, or "any port" (0..0) when it names none. */
static void policy_container_ranges(const struct rulespec_ports *ports, size_t index,
				    uint16_t *first, uint16_t *last)
{
	if (ports->count == 0) {
		*first = *last = 0;
		return;
	}
	*first = ports->ranges[index].first;
	*last = ports->ranges[index].last;
}

/* Where one kernel rule of a label's rule applies. */
struct policy_container_match {
	enum rule_hook hook;
	int family;
	const struct prefix *src, *dst; /* NULL: any */
	size_t sport, dport;		/* indexes into the sides' port ranges */
	uint8_t protocol;
};

/* Emits one kernel rule; 0, or -1 (build failed). */
static int policy_container_emit(struct policy_build *build, const char *source,
				 const char *direction, const struct rulespec_entry *entry,
				 const struct policy_container_side *from,
				 const struct policy_container_side *to,
				 const struct policy_container_match *match,
				 enum rule_verdict verdict)
{
	struct rule *rule;

	if (build->out->count >= POLICY_CONTAINER_RULES_MAX) {
		error_format(build->err, build->errlen,
			     "%s.%s.rule.%u: more than %d kernel rules for one container",
			     source ? source : "tjd", direction, entry->number,
			     POLICY_CONTAINER_RULES_MAX);
		build->failed = true;
		return -1;
	}
	rule = policy_build_rule(build, match->family, match->hook, verdict);
	if (rule == NULL)
		return -1;
	policy_container_ranges(from->ports, match->sport, &rule->sport_first, &rule->sport_last);
	policy_container_ranges(to->ports, match->dport, &rule->dport_first, &rule->dport_last);
	rule->protocol = match->protocol;
	if (match->src != NULL)
		rule->src = *match->src;
	if (match->dst != NULL)
		rule->dst = *match->dst;
	snprintf(match->hook == RULE_HOOK_INPUT ? rule->in_iface : rule->out_iface, TJD_IFNAMSIZ,
		 "%s", entry->rule.iface);
	policy_container_comment(rule, source, direction, entry);
	return 0;
}

/*
 * Emits one kernel rule per address pair and port range pair of a family;
 * a `log` rule's each preceded by its RULE_LOG twin.
 */
static void policy_container_expand(struct policy_build *build, const char *source,
				    const char *direction, enum rule_hook hook, int family,
				    const struct rulespec_entry *entry,
				    const struct policy_container_side *from,
				    const struct policy_container_side *to,
				    enum rule_verdict verdict, uint8_t protocol)
{
	size_t from_count = from->any ? 1 : from->count, to_count = to->any ? 1 : to->count;
	size_t sport_count = from->ports->count ? from->ports->count : 1;
	size_t dport_count = to->ports->count ? to->ports->count : 1;
	struct policy_container_match match = {
	    .hook = hook, .family = family, .protocol = protocol};

	for (size_t f = 0; f < from_count; f++) {
		match.src = from->any ? NULL : &from->prefixes[f];
		if (match.src != NULL && match.src->family != family)
			continue;
		for (size_t t = 0; t < to_count; t++) {
			match.dst = to->any ? NULL : &to->prefixes[t];
			if (match.dst != NULL && match.dst->family != family)
				continue;
			for (match.sport = 0; match.sport < sport_count; match.sport++) {
				for (match.dport = 0; match.dport < dport_count; match.dport++) {
					if ((entry->rule.log &&
					     policy_container_emit(build, source, direction, entry,
								   from, to, &match,
								   RULE_LOG) < 0) ||
					    policy_container_emit(build, source, direction, entry,
								  from, to, &match, verdict) < 0)
						return;
				}
			}
		}
	}
}

/* Compiles one rule of a direction into both families where it applies. */
static void policy_container_rule(struct policy_build *build, const char *source,
				  const char *direction, enum rule_hook hook,
				  const struct rulespec_entry *entry,
				  policy_container_resolve_fn resolve, void *arg,
				  struct policy_container_notes *notes)
{
	static const int families[] = {AF_INET, AF_INET6};
	const struct rulespec_rule *rule = &entry->rule;
	struct policy_container_side from, to;
	uint8_t protocol = policy_build_protocol(rule->proto);
	enum rule_verdict verdict = rule->action == RULESPEC_ALLOW  ? RULE_RETURN
				    : rule->action == RULESPEC_DENY ? RULE_DROP
								    : RULE_REJECT;

	if (rule->log && notes != NULL)
		notes->log_rules++;
	if (policy_container_side(build, &rule->from, resolve, arg, &from) < 0)
		return;
	if (policy_container_side(build, &rule->to, resolve, arg, &to) < 0) {
		free(from.prefixes);
		return;
	}
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]) && !build->failed; i++) {
		int family = families[i];

		if ((rule->family != 0 && rule->family != family) ||
		    !policy_build_protocol_in(protocol, family))
			continue;
		/* a reject of any protocol answers TCP with a reset before the rest */
		if (verdict == RULE_REJECT && protocol == 0)
			policy_container_expand(build, source, direction, hook, family, entry,
						&from, &to, verdict, IPPROTO_TCP);
		policy_container_expand(build, source, direction, hook, family, entry, &from, &to,
					verdict, protocol);
	}
	free(from.prefixes);
	free(to.prefixes);
}

/* One direction: built-ins, the rules, the default policy. */
static void policy_container_direction(struct policy_build *build,
				       const struct rulespec_policy *policy, enum rule_hook hook,
				       policy_container_resolve_fn resolve, void *arg,
				       struct policy_container_notes *notes)
{
	static const int families[] = {AF_INET, AF_INET6};
	const struct rulespec_chain *chain =
	    hook == RULE_HOOK_INPUT ? &policy->input : &policy->output;
	const char *direction = hook == RULE_HOOK_INPUT ? "input" : "output";
	enum rulespec_action fallback =
	    hook == RULE_HOOK_INPUT ? policy->input_policy : policy->output_policy;

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		policy_container_builtins(build, families[i], hook);
	for (size_t r = 0; r < chain->count && !build->failed; r++)
		policy_container_rule(build, policy->source, direction, hook, &chain->entries[r],
				      resolve, arg, notes);
	for (size_t i = 0; fallback != RULESPEC_ALLOW && i < sizeof(families) / sizeof(families[0]);
	     i++)
		policy_container_closing(build, families[i], hook,
					 hook == RULE_HOOK_INPUT ? "input policy deny"
								 : "output policy deny");
}

int policy_container_compile(const struct rulespec_policy *policy,
			     policy_container_resolve_fn resolve, void *arg, struct ruleset *out,
			     struct policy_container_notes *notes, char *err, size_t errlen)
{
	struct policy_build build = {.out = out, .err = err, .errlen = errlen};

	ruleset_reset(out);
	if (notes != NULL)
		memset(notes, 0, sizeof(*notes));
	policy_container_direction(&build, policy, RULE_HOOK_INPUT, resolve, arg, notes);
	if (!build.failed)
		policy_container_direction(&build, policy, RULE_HOOK_OUTPUT, resolve, arg, notes);
	if (build.failed) {
		ruleset_reset(out);
		return -1;
	}
	return 0;
}

int policy_container_deny_all(struct ruleset *out)
{
	static const int families[] = {AF_INET, AF_INET6};
	static const enum rule_hook hooks[] = {RULE_HOOK_INPUT, RULE_HOOK_OUTPUT};
	char err[64];
	struct policy_build build = {.out = out, .err = err, .errlen = sizeof(err)};

	ruleset_reset(out);
	for (size_t h = 0; h < 2; h++) {
		for (size_t i = 0; i < 2; i++)
			policy_container_builtins(&build, families[i], hooks[h]);
		for (size_t i = 0; i < 2; i++)
			policy_container_closing(&build, families[i], hooks[h], "fail closed");
	}
	if (build.failed) {
		ruleset_reset(out);
		return -1;
	}
	return 0;
}
