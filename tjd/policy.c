/*
 * Per protected network, in the chain jumped to from FORWARD:
 *   replies (conntrack RELATED,ESTABLISHED) return to Docker's rules;
 *   IPv6 neighbour solicitations/advertisements between ports pass, or
 *     IPv6 would not work at all (conntrack never marks them ESTABLISHED);
 *   each allow-listed container may open connections from its own address
 *     AND its own bridge port, so neither a container that inherits its IP
 *     nor a backend spoofing its source address gets its rights;
 *   everything else between two ports of the network's bridge is dropped.
 * Matching on the bridge (-i BR -o BR) rather than on subnets also covers
 * link-local IPv6 and spoofed sources outside the subnet.  Router
 * advertisements and redirects between containers are dropped on purpose:
 * a compromised backend could otherwise reroute its siblings.
 *
 * In the chain jumped to from INPUT, unless allow_host_traffic: replies
 * pass, the container side of neighbour discovery with the host passes,
 * and anything else from the bridge to the host is dropped, which also
 * closes every host-published port.  This holds for allow-listed
 * containers too: the allow-list is about reaching siblings, and a proxy
 * that must reach the host belongs on a network with allow_host_traffic.
 */
#include "config.h"

#include "tjd/policy.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/text.h"
#include "tjd/policy-build.h"
#include "tjd/policy-host.h"

/* ICMPv6 neighbour discovery types that must cross the bridge. */
static const uint8_t policy_nd_forward[] = {135, 136};
/* Router solicitation too when a container talks to its gateway. */
static const uint8_t policy_nd_input[] = {133, 135, 136};

struct rule *policy_build_rule(struct policy_build *build, int family, enum rule_hook hook,
			       enum rule_verdict verdict)
{
	struct rule *rule;

	if (build->failed)
		return NULL;
	rule = ruleset_add(build->out);
	if (rule == NULL) {
		build->failed = true;
		snprintf(build->err, build->errlen, "out of memory compiling the ruleset");
		return NULL;
	}
	rule->family = family;
	rule->hook = hook;
	rule->verdict = verdict;
	return rule;
}

uint8_t policy_build_protocol(enum rulespec_proto proto)
{
	switch (proto) {
	case RULESPEC_PROTO_TCP:
		return IPPROTO_TCP;
	case RULESPEC_PROTO_UDP:
		return IPPROTO_UDP;
	case RULESPEC_PROTO_SCTP:
		return IPPROTO_SCTP;
	case RULESPEC_PROTO_ICMP:
		return IPPROTO_ICMP;
	case RULESPEC_PROTO_ICMPV6:
		return IPPROTO_ICMPV6;
	case RULESPEC_PROTO_IGMP:
		return IPPROTO_IGMP;
	case RULESPEC_PROTO_ANY:
		break;
	}
	return 0;
}

bool policy_build_protocol_in(uint8_t protocol, int family)
{
	if (protocol == IPPROTO_ICMP || protocol == IPPROTO_IGMP)
		return family == AF_INET;
	if (protocol == IPPROTO_ICMPV6)
		return family == AF_INET6;
	return true;
}

void policy_build_comment(struct rule *rule, const char *network, const char *what,
			  const char *name)
{
	int n = snprintf(rule->comment, sizeof(rule->comment), "tjd %s %s%s%s", network, what,
			 name ? " " : "", name ? name : "");

	if (n < 0)
		rule->comment[0] = '\0';
	/* Every backend can quote what is left: printable ASCII without '"'. */
	text_sanitize_in_place(rule->comment, "\"", '_');
}

void policy_build_replies(struct policy_build *build, int family, enum rule_hook hook)
{
	struct rule *rule = policy_build_rule(build, family, hook, RULE_RETURN);

	if (rule != NULL) {
		rule->ctstate = RULE_CT_ESTABLISHED | RULE_CT_RELATED;
		snprintf(rule->comment, sizeof(rule->comment), "tjd replies");
	}
}

/* Sets the interface match: the bridge as input, and as output when forwarding. */
static void policy_scope(struct rule *rule, const char *bridge, enum rule_hook hook)
{
	snprintf(rule->in_iface, sizeof(rule->in_iface), "%s", bridge);
	if (hook == RULE_HOOK_FORWARD)
		snprintf(rule->out_iface, sizeof(rule->out_iface), "%s", bridge);
}

void policy_build_neighbour_discovery(struct policy_build *build, const char *bridge,
				      const char *network, enum rule_hook hook)
{
	const uint8_t *types = hook == RULE_HOOK_FORWARD ? policy_nd_forward : policy_nd_input;
	size_t count =
	    hook == RULE_HOOK_FORWARD ? sizeof(policy_nd_forward) : sizeof(policy_nd_input);

	for (size_t i = 0; i < count; i++) {
		struct rule *rule = policy_build_rule(build, AF_INET6, hook, RULE_RETURN);
		if (rule == NULL)
			return;
		policy_scope(rule, bridge, hook);
		rule->protocol = IPPROTO_ICMPV6;
		rule->has_icmp_type = true;
		rule->icmp_type = types[i];
		policy_build_comment(rule, network, "neighbour-discovery", NULL);
	}
}

void policy_build_allow(struct policy_build *build, enum rule_hook hook, const char *bridge,
			const struct prefix *address, const char *port, const char *network,
			const char *what, const char *name)
{
	struct rule *rule = policy_build_rule(build, address->family, hook, RULE_RETURN);

	if (rule == NULL)
		return;
	policy_scope(rule, bridge, hook);
	rule->src = *address;
	prefix_host(&rule->src);
	snprintf(rule->physdev_in, sizeof(rule->physdev_in), "%s", port);
	policy_build_comment(rule, network, what, name);
}

void policy_build_drop(struct policy_build *build, int family, enum rule_hook hook,
		       const char *bridge, const char *network)
{
	const char *what = hook == RULE_HOOK_FORWARD ? "isolate" : "no-host";
	struct rule *rule;

	/* first a sample of the connection attempts it drops, for the drop log */
	if (build->drop_log) {
		rule = policy_build_rule(build, family, hook, RULE_LOG);
		if (rule == NULL)
			return;
		policy_scope(rule, bridge, hook);
		rule->ctstate = RULE_CT_NEW;
		policy_build_comment(rule, network, what, NULL);
	}
	rule = policy_build_rule(build, family, hook, RULE_DROP);
	if (rule == NULL)
		return;
	policy_scope(rule, bridge, hook);
	policy_build_comment(rule, network, what, NULL);
}

/* Allowances for allow-listed endpoints of one family on one hook. */
static void policy_allowances(struct policy_build *build, const struct inv_network *net, int family,
			      enum rule_hook hook)
{
	for (size_t i = 0; i < net->endpoint_count; i++) {
		const struct inv_endpoint *endpoint = &net->endpoints[i];
		const struct prefix *address =
		    family == AF_INET ? &endpoint->ipv4 : &endpoint->ipv6;

		if (!endpoint->allowed || address->family != family)
			continue;
		/* Without its bridge port an allowance could be spoofed: withhold it. */
		if (endpoint->bridge_port[0] == '\0')
			continue;
		policy_build_allow(build, hook, net->bridge, address, endpoint->bridge_port,
				   net->name, "allow", endpoint->name);
	}
}

/*
 * Between two ports: no TCP connection picked up in mid-stream.  After a
 * conntrack purge the kernel would otherwise let whichever end speaks next
 * re-create the entry, and a connection a backend opened to the proxy
 * would carry on as one the proxy opened.  Real connections start with a
 * SYN, which this leaves to the rules after it.
 */
static void policy_midstream(struct policy_build *build, const struct inv_network *net, int family)
{
	struct rule *rule = policy_build_rule(build, family, RULE_HOOK_FORWARD, RULE_DROP);

	if (rule == NULL)
		return;
	policy_scope(rule, net->bridge, RULE_HOOK_FORWARD);
	rule->ctstate = RULE_CT_NEW;
	rule->protocol = IPPROTO_TCP;
	rule->tcp_not_syn = true;
	policy_build_comment(rule, net->name, "mid-stream", NULL);
}

/*
 * What the host sends into a network closed to it: no TCP connection
 * picked up in mid-stream.  A purge deletes the entry of a connection a
 * container opened to the host; were the host to speak next, the kernel
 * would re-create it as the host's, and the container's side would pass
 * as replies.
 */
static void policy_host_midstream(struct policy_build *build, const struct inv_network *net,
				  int family)
{
	struct rule *rule = policy_build_rule(build, family, RULE_HOOK_OUTPUT, RULE_DROP);

	if (rule == NULL)
		return;
	snprintf(rule->out_iface, sizeof(rule->out_iface), "%s", net->bridge);
	rule->ctstate = RULE_CT_NEW;
	rule->protocol = IPPROTO_TCP;
	rule->tcp_not_syn = true;
	policy_build_comment(rule, net->name, "host mid-stream", NULL);
}

/* All rules one network contributes to one family and hook. */
static void policy_network(struct policy_build *build, const struct conf_network *cn,
			   const struct inventory *inv, const struct inv_network *net, int family,
			   enum rule_hook hook)
{
	if (hook == RULE_HOOK_FORWARD)
		policy_midstream(build, net, family);
	if (family == AF_INET6)
		policy_build_neighbour_discovery(build, net->bridge, net->name, hook);
	if (hook == RULE_HOOK_FORWARD) {
		policy_host_network_rules(build, cn, inv, net, family);
		policy_allowances(build, net, family, hook);
		policy_host_reach_allowed(build, cn, net, family);
	}
	policy_build_drop(build, family, hook, net->bridge, net->name);
}

/* The endpoint on `port`, or NULL; *count says how many claim it. */
static const struct inv_endpoint *policy_port_owner(const struct inv_network *net, const char *port,
						    size_t *count)
{
	const struct inv_endpoint *owner = NULL;

	*count = 0;
	for (size_t e = 0; e < net->endpoint_count; e++) {
		if (strncmp(net->endpoints[e].bridge_port, port, TJD_IFNAMSIZ) != 0)
			continue;
		owner = &net->endpoints[e];
		(*count)++;
	}
	return *count == 1 ? owner : NULL;
}

/* Adds one port's layer-2 binding: the owner's MAC and addresses, or nothing when unknown. */
static void policy_l2_port(struct policy_build *build, const struct inv_network *net,
			   const char *port, const struct inv_endpoint *owner)
{
	struct l2_port *binding;

	if (build->failed)
		return;
	binding = ruleset_add_port(build->out);
	if (binding == NULL) {
		build->failed = true;
		snprintf(build->err, build->errlen, "out of memory compiling the ruleset");
		return;
	}
	snprintf(binding->bridge, sizeof(binding->bridge), "%s", net->bridge);
	snprintf(binding->port, sizeof(binding->port), "%s", port);
	if (owner == NULL || l2_mac_parse(owner->mac, binding->mac) < 0) {
		snprintf(binding->comment, sizeof(binding->comment), "tjd %.40s unknown port",
			 net->name);
		text_sanitize_in_place(binding->comment, "\"", '_');
		return;
	}
	binding->known = true;
	binding->ipv4 = owner->ipv4;
	binding->ipv6 = owner->ipv6;
	if (binding->ipv4.family != 0)
		prefix_host(&binding->ipv4);
	if (binding->ipv6.family != 0)
		prefix_host(&binding->ipv6);
	l2_link_local(binding->mac, &binding->ipv6_link);
	snprintf(binding->comment, sizeof(binding->comment), "tjd %.28s %.28s", net->name,
		 owner->name);
	text_sanitize_in_place(binding->comment, "\"", '_');
}

/* Orders layer-2 ports by bridge, then port. */
static int policy_port_order(const void *a, const void *b)
{
	const struct l2_port *x = a, *y = b;
	int order = strncmp(x->bridge, y->bridge, TJD_IFNAMSIZ);

	return order != 0 ? order : strncmp(x->port, y->port, TJD_IFNAMSIZ);
}

/*
 * Layer 2 for one bridge network: every port the kernel lists, bound to
 * the one container Docker says is on it, or sending nothing when no
 * single container is; and ports Docker named that the list missed.
 */
static void policy_layer2(struct policy_build *build, const struct inv_network *net)
{
	for (size_t m = 0; m < net->member_count; m++) {
		size_t owners;
		const struct inv_endpoint *owner = policy_port_owner(net, net->members[m], &owners);
		policy_l2_port(build, net, net->members[m], owner);
	}
	for (size_t e = 0; e < net->endpoint_count; e++) {
		const struct inv_endpoint *endpoint = &net->endpoints[e];
		bool listed = false;
		size_t owners;

		if (endpoint->bridge_port[0] == '\0')
			continue;
		for (size_t m = 0; m < net->member_count && !listed; m++)
			listed = strncmp(net->members[m], endpoint->bridge_port, TJD_IFNAMSIZ) == 0;
		if (listed)
			continue;
		/* Not (yet) in the kernel's list: bind it all the same, once. */
		if (policy_port_owner(net, endpoint->bridge_port, &owners) == endpoint)
			policy_l2_port(build, net, endpoint->bridge_port, endpoint);
	}
}

int policy_compile(const struct conf *conf, const struct inventory *inv, struct ruleset *out,
		   size_t *rule_counts, char *err, size_t errlen)
{
	static const int families[] = {AF_INET, AF_INET6};
	static const enum rule_hook hooks[] = {RULE_HOOK_FORWARD, RULE_HOOK_INPUT};
	struct policy_build build = {
	    .out = out, .err = err, .errlen = errlen, .drop_log = conf->drop_log};

	ruleset_reset(out);
	if (rule_counts != NULL)
		memset(rule_counts, 0, inv->count * sizeof(*rule_counts));
	policy_host_sets(&build, conf, inv);
	for (size_t h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++) {
		for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
			bool chain_started = false;
			for (size_t n = 0; n < inv->count; n++) {
				const struct inv_network *net = &inv->networks[n];
				const struct conf_network *cn = conf_find_network(conf, net->name);
				size_t before;

				/* Only networks on a local bridge can be enforced from here. */
				if (cn == NULL || net->bridge[0] == '\0')
					continue;
				if (hooks[h] == RULE_HOOK_INPUT && cn->allow_host_traffic)
					continue;
				if (!chain_started) {
					policy_build_replies(&build, families[f], hooks[h]);
					chain_started = true;
				}
				before = out->count;
				policy_network(&build, cn, inv, net, families[f], hooks[h]);
				if (rule_counts != NULL && !build.failed)
					rule_counts[n] += out->count - before;
			}
			/* after every network's: see policy-host.h for why */
			if (conf->published.present && !chain_started) {
				policy_build_replies(&build, families[f], hooks[h]);
				chain_started = true;
			}
			policy_host_published(&build, conf, inv, families[f], hooks[h]);
			if (hooks[h] == RULE_HOOK_FORWARD)
				policy_host_egress(&build, conf, inv, families[f]);
		}
	}
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		for (size_t n = 0; n < inv->count; n++) {
			const struct inv_network *net = &inv->networks[n];
			const struct conf_network *cn = conf_find_network(conf, net->name);

			if (cn == NULL || net->bridge[0] == '\0' || cn->allow_host_traffic)
				continue;
			policy_host_midstream(&build, net, families[f]);
			if (rule_counts != NULL && !build.failed)
				rule_counts[n]++;
		}
	}
	for (size_t n = 0; n < inv->count; n++) {
		const struct inv_network *net = &inv->networks[n];
		if (net->bridge[0] != '\0' && conf_find_network(conf, net->name) != NULL)
			policy_layer2(&build, net);
	}
	if (build.failed) {
		ruleset_reset(out);
		return -1;
	}
	if (out->port_count > 1)
		qsort(out->ports, out->port_count, sizeof(*out->ports), policy_port_order);
	return 0;
}

void policy_plan_init(struct policy_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
}

void policy_plan_free(struct policy_plan *plan)
{
	for (size_t i = 0; i < plan->count; i++)
		ruleset_free(&plan->targets[i].rules);
	free(plan->targets);
	policy_plan_init(plan);
}

struct policy_target *policy_plan_add(struct policy_plan *plan)
{
	struct policy_target *grown, *target;

	grown = reallocarray(plan->targets, plan->count + 1, sizeof(*plan->targets));
	if (grown == NULL)
		return NULL;
	plan->targets = grown;
	target = &plan->targets[plan->count++];
	memset(target, 0, sizeof(*target));
	ruleset_init(&target->rules);
	return target;
}
