/* Host and network policy from tjd.conf, compiled; see policy-host.h. */
#include "config.h"

#include "tjd/policy-host.h"

#include "tjd/backend.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Private ranges outside Docker that lan_egress = deny closes, per family. */
static const char *const policy_host_private4[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
						   "100.64.0.0/10", "169.254.0.0/16"};
static const char *const policy_host_private6[] = {"fc00::/7", "fe80::/10"};

/* Most distinct published ports one rule or the policy covers. */
#define POLICY_HOST_PORTS_MAX 4096

/* One published port: protocol and host port. */
struct policy_host_port {
	uint8_t protocol;
	uint16_t port;
};

/* A list of distinct published ports. */
struct policy_host_ports {
	struct policy_host_port items[POLICY_HOST_PORTS_MAX];
	size_t count;
};

bool policy_host_wanted(const struct conf *conf)
{
	if (conf->published.present)
		return true;
	for (size_t i = 0; i < conf->set_count; i++)
		if (conf->sets[i].containers != NULL)
			return true;
	for (size_t i = 0; i < conf->network_count; i++)
		if (conf->networks[i].rule_count > 0 || conf->networks[i].reach_allowed)
			return true;
	return false;
}

/* A side that names a filter term: the expression Docker is asked with. */
static void policy_host_query_side(const struct rulespec_address *side, const char *network,
				   void (*fn)(void *arg, const char *expression,
					      const char *network),
				   void *arg)
{
	if (side->kind == RULESPEC_ADDRESS_FILTER && side->name != NULL)
		fn(arg, side->name, network);
}

void policy_host_queries(const struct conf *conf,
			 void (*fn)(void *arg, const char *expression, const char *network),
			 void *arg)
{
	for (size_t i = 0; i < conf->set_count; i++)
		if (conf->sets[i].containers != NULL)
			fn(arg, conf->sets[i].containers, NULL);
	for (size_t i = 0; i < conf->published.rule_count; i++)
		policy_host_query_side(&conf->published.rules[i].rule.to, NULL, fn, arg);
	for (size_t n = 0; n < conf->network_count; n++) {
		const struct conf_network *cn = &conf->networks[n];
		for (size_t i = 0; i < cn->rule_count; i++) {
			policy_host_query_side(&cn->rules[i].rule.from, cn->name, fn, arg);
			policy_host_query_side(&cn->rules[i].rule.to, cn->name, fn, arg);
		}
	}
}

void policy_host_set_name(const char *name, int family, char out[RULE_SET_NAME_MAX])
{
	snprintf(out, RULE_SET_NAME_MAX, "%.*s-%c", CONF_SET_NAME_MAX, name,
		 family == AF_INET ? '4' : '6');
}

void policy_host_set_members(const struct ruleset *rules, const char *name, size_t *ipv4,
			     size_t *ipv6)
{
	char half_name[RULE_SET_NAME_MAX];
	const struct rule_addrset *half;

	policy_host_set_name(name, AF_INET, half_name);
	half = ruleset_find_set(rules, half_name);
	*ipv4 = half != NULL ? half->count : 0;
	policy_host_set_name(name, AF_INET6, half_name);
	half = ruleset_find_set(rules, half_name);
	*ipv6 = half != NULL ? half->count : 0;
}

/* The verdict of a rule's action. */
static enum rule_verdict policy_host_verdict(enum rulespec_action action)
{
	return action == RULESPEC_ALLOW	   ? RULE_RETURN
	       : action == RULESPEC_REJECT ? RULE_REJECT
					   : RULE_DROP;
}

/* Whether a match holds a container id. */
static bool policy_host_match_has(const struct inv_match *match, const char *id)
{
	for (size_t i = 0; match != NULL && i < match->id_count; i++)
		if (strcmp(match->ids[i], id) == 0)
			return true;
	return false;
}

/* Orders prefixes for a set. */
static int policy_host_prefix_order(const void *a, const void *b)
{
	return prefix_compare(a, b);
}

/* Adds one prefix of `family` to the list, a /0 as its two halves; false on OOM. */
static bool policy_host_collect(struct prefix **list, size_t *count, size_t *capacity,
				const struct prefix *member, int family)
{
	struct prefix halves[2];
	size_t n = 1;

	if (member->family != family)
		return true;
	halves[0] = *member;
	if (member->length == 0) {
		halves[0].length = halves[1].length = 1;
		memset(&halves[0].addr, 0, sizeof(halves[0].addr));
		halves[1] = halves[0];
		if (family == AF_INET)
			((uint8_t *)&halves[1].addr.v4)[0] = 0x80;
		else
			halves[1].addr.v6.s6_addr[0] = 0x80;
		n = 2;
	}
	for (size_t i = 0; i < n; i++) {
		if (*count == *capacity) {
			size_t grown = *capacity ? *capacity * 2 : 32;
			struct prefix *bigger = reallocarray(*list, grown, sizeof(**list));
			if (bigger == NULL)
				return false;
			*list = bigger;
			*capacity = grown;
		}
		prefix_network(&halves[i]);
		(*list)[(*count)++] = halves[i];
	}
	return true;
}

/* One set's half of one family: its members sorted, none inside another. */
static void policy_host_set(struct policy_build *build, const struct conf_set *set,
			    const struct inventory *inv, int family)
{
	char name[RULE_SET_NAME_MAX];
	struct prefix *list = NULL, *kept = NULL;
	size_t count = 0, capacity = 0;
	struct rule_addrset *added;
	bool ok = true;

	for (size_t i = 0; i < set->member_count && ok; i++)
		ok = policy_host_collect(&list, &count, &capacity, &set->members[i], family);
	if (set->containers != NULL) {
		const struct inv_match *match = inventory_find_match(inv, set->containers, "");
		for (size_t j = 0; match != NULL && j < match->id_count && ok; j++) {
			const struct inv_container *c =
			    inventory_find_container(inv, match->ids[j]);
			for (size_t a = 0; c != NULL && a < c->address_count && ok; a++) {
				struct prefix host = c->addresses[a];
				prefix_host(&host);
				ok = policy_host_collect(&list, &count, &capacity, &host, family);
			}
		}
	}
	policy_host_set_name(set->name, family, name);
	added = ok && !build->failed ? ruleset_add_set(build->out, name, family) : NULL;
	if (added == NULL) {
		free(list);
		if (!build->failed)
			snprintf(build->err, build->errlen, "out of memory compiling set %s", name);
		build->failed = true;
		return;
	}
	snprintf(added->comment, sizeof(added->comment), "tjd set %.40s", set->name);
	if (count > 1)
		qsort(list, count, sizeof(*list), policy_host_prefix_order);
	for (size_t i = 0; i < count; i++) {
		if (kept != NULL &&
		    (prefix_equal(kept, &list[i]) || prefix_contains(kept, &list[i])))
			continue;
		if (ruleset_add_member(build->out, &list[i]) < 0) {
			snprintf(build->err, build->errlen, "out of memory compiling set %s", name);
			build->failed = true;
			break;
		}
		kept = &list[i];
	}
	free(list);
}

void policy_host_sets(struct policy_build *build, const struct conf *conf,
		      const struct inventory *inv)
{
	for (size_t i = 0; i < conf->set_count && !build->failed; i++) {
		policy_host_set(build, &conf->sets[i], inv, AF_INET);
		policy_host_set(build, &conf->sets[i], inv, AF_INET6);
	}
}

/* Appends a rule and, for a `log` rule, its RULE_LOG twin before it; NULL on OOM. */
static struct rule *policy_host_emit(struct policy_build *build, const struct rule *shape, bool log)
{
	struct rule *rule;

	if (log) {
		rule = policy_build_rule(build, shape->family, shape->hook, RULE_LOG);
		if (rule == NULL)
			return NULL;
		*rule = *shape;
		rule->verdict = RULE_LOG;
		rule->ctstate = RULE_CT_NEW;
	}
	rule = policy_build_rule(build, shape->family, shape->hook, shape->verdict);
	if (rule != NULL)
		*rule = *shape;
	return rule;
}

/* Whether a container is the one a rule's `to` names (any: every container). */
static bool policy_host_container_is(const struct inventory *inv, const struct rulespec_address *to,
				     const struct inv_container *container)
{
	switch (to->kind) {
	case RULESPEC_ADDRESS_ANY:
		return true;
	case RULESPEC_ADDRESS_CONTAINER:
		return strcmp(container->name, to->name) == 0;
	case RULESPEC_ADDRESS_FILTER:
		return policy_host_match_has(inventory_find_match(inv, to->name, ""),
					     container->id);
	default:
		return false;
	}
}

/* Whether a port lies in a port condition (none: every port). */
static bool policy_host_port_in(const struct rulespec_ports *ports, uint16_t port)
{
	if (ports->count == 0)
		return true;
	for (size_t i = 0; i < ports->count; i++)
		if (port >= ports->ranges[i].first && port <= ports->ranges[i].last)
			return true;
	return false;
}

/* The distinct published ports of the containers `to` names, of `protocol` (0: any), in `ports`. */
static void policy_host_published_ports(const struct inventory *inv,
					const struct rulespec_address *to, uint8_t protocol,
					const struct rulespec_ports *ports,
					struct policy_host_ports *out)
{
	out->count = 0;
	/* any container: the ports published lately too (inventory.h, INV_PUBLISHED_LINGER) */
	for (size_t i = 0; to->kind == RULESPEC_ADDRESS_ANY && i < inv->published_count; i++) {
		const struct inv_published *lately = &inv->published[i];
		if ((protocol != 0 && lately->protocol != protocol) ||
		    !policy_host_port_in(ports, lately->port) ||
		    out->count >= POLICY_HOST_PORTS_MAX)
			continue;
		out->items[out->count].protocol = lately->protocol;
		out->items[out->count].port = lately->port;
		out->count++;
	}
	for (size_t c = 0; c < inv->container_count; c++) {
		const struct inv_container *container = &inv->containers[c];
		if (!policy_host_container_is(inv, to, container))
			continue;
		for (size_t b = 0; b < container->binding_count; b++) {
			const struct inv_binding *binding = &container->bindings[b];
			bool seen = false;
			if ((protocol != 0 && binding->protocol != protocol) ||
			    !policy_host_port_in(ports, binding->host_port))
				continue;
			for (size_t i = 0; i < out->count && !seen; i++)
				seen = out->items[i].protocol == binding->protocol &&
				       out->items[i].port == binding->host_port;
			if (!seen && out->count < POLICY_HOST_PORTS_MAX) {
				out->items[out->count].protocol = binding->protocol;
				out->items[out->count].port = binding->host_port;
				out->count++;
			}
		}
	}
}

/* One published port as the shape's condition: the original port forwarded, the port on input. */
static void policy_host_on_port(struct rule *shape, const struct policy_host_port *port)
{
	shape->protocol = port->protocol;
	if (shape->hook == RULE_HOOK_FORWARD) {
		shape->ct_dport_first = shape->ct_dport_last = port->port;
	} else {
		shape->dport_first = shape->dport_last = port->port;
	}
}

/* One [published] rule on one family and hook. */
static void policy_host_published_rule(struct policy_build *build, const struct conf_rule *cr,
				       size_t index, const struct inventory *inv, int family,
				       enum rule_hook hook, struct policy_host_ports *ports)
{
	const struct rulespec_rule *r = &cr->rule;
	struct rule shape;
	char what[32];

	if (r->family != 0 && r->family != family)
		return;
	memset(&shape, 0, sizeof(shape));
	shape.family = family;
	shape.hook = hook;
	shape.verdict = policy_host_verdict(r->action);
	shape.ctstate = RULE_CT_NEW;
	shape.ct_dnat = hook == RULE_HOOK_FORWARD;
	shape.protocol = policy_build_protocol(r->proto);
	snprintf(shape.in_iface, sizeof(shape.in_iface), "%s", r->iface);
	if (r->from.kind == RULESPEC_ADDRESS_NET) {
		if (r->from.net.family != family)
			return;
		shape.src = r->from.net;
	} else if (r->from.kind == RULESPEC_ADDRESS_SET) {
		policy_host_set_name(r->from.name, family, shape.src_set);
	}
	snprintf(what, sizeof(what), "rule %zu", index + 1);
	snprintf(shape.comment, sizeof(shape.comment), BACKEND_PUBLISHED_COMMENT " %s", what);
	if (hook == RULE_HOOK_FORWARD && r->to.kind == RULESPEC_ADDRESS_ANY) {
		/* every port forwarded from the host's: the published port is conntrack's original
		 */
		if (r->to.ports.count == 0) {
			(void)policy_host_emit(build, &shape, r->log);
			return;
		}
		for (size_t i = 0; i < r->to.ports.count; i++) {
			shape.ct_dport_first = r->to.ports.ranges[i].first;
			shape.ct_dport_last = r->to.ports.ranges[i].last;
			(void)policy_host_emit(build, &shape, r->log);
		}
		return;
	}
	policy_host_published_ports(inv, &r->to, shape.protocol, &r->to.ports, ports);
	for (size_t i = 0; i < ports->count; i++) {
		struct rule one = shape;
		policy_host_on_port(&one, &ports->items[i]);
		(void)policy_host_emit(build, &one, r->log);
	}
}

void policy_host_published(struct policy_build *build, const struct conf *conf,
			   const struct inventory *inv, int family, enum rule_hook hook)
{
	const struct conf_published *published = &conf->published;
	static const struct rulespec_address any = {.kind = RULESPEC_ADDRESS_ANY};
	static const struct rulespec_ports every = {.count = 0};
	struct policy_host_ports *ports;
	struct rule shape, *rule;

	if (!published->present || (hook != RULE_HOOK_FORWARD && hook != RULE_HOOK_INPUT))
		return;
	ports = malloc(sizeof(*ports));
	if (ports == NULL) {
		if (!build->failed)
			snprintf(build->err, build->errlen, "out of memory compiling [published]");
		build->failed = true;
		return;
	}
	if (hook == RULE_HOOK_INPUT) {
		/* the host's own connections to its published ports */
		rule = policy_build_rule(build, family, hook, RULE_RETURN);
		if (rule != NULL) {
			snprintf(rule->in_iface, sizeof(rule->in_iface), "lo");
			snprintf(rule->comment, sizeof(rule->comment),
				 BACKEND_PUBLISHED_COMMENT " host");
		}
	}
	for (size_t i = 0; i < published->rule_count && !build->failed; i++)
		policy_host_published_rule(build, &published->rules[i], i, inv, family, hook,
					   ports);
	if (published->policy == RULESPEC_DENY) {
		memset(&shape, 0, sizeof(shape));
		shape.family = family;
		shape.hook = hook;
		shape.verdict = RULE_DROP;
		shape.ctstate = RULE_CT_NEW;
		snprintf(shape.comment, sizeof(shape.comment), BACKEND_PUBLISHED_COMMENT " policy");
		if (hook == RULE_HOOK_FORWARD) {
			/* every connection the host forwards to a port it rewrote: no window for a
			 * new one */
			shape.ct_dnat = true;
			(void)policy_host_emit(build, &shape, build->drop_log);
		} else {
			policy_host_published_ports(inv, &any, 0, &every, ports);
			for (size_t i = 0; i < ports->count; i++) {
				struct rule one = shape;
				policy_host_on_port(&one, &ports->items[i]);
				(void)policy_host_emit(build, &one, build->drop_log);
			}
		}
	}
	free(ports);
}

/* Whether an endpoint of `net` is one a network rule's side names. */
static bool policy_host_endpoint_is(const struct inventory *inv, const struct inv_network *net,
				    const struct inv_endpoint *endpoint,
				    const struct rulespec_address *side)
{
	if (side->kind == RULESPEC_ADDRESS_CONTAINER)
		return strcmp(endpoint->name, side->name) == 0;
	if (side->kind == RULESPEC_ADDRESS_FILTER)
		return policy_host_match_has(inventory_find_match(inv, side->name, net->id),
					     endpoint->container_id);
	return false;
}

/* The endpoint's address of `family`, or NULL. */
static const struct prefix *policy_host_address(const struct inv_endpoint *endpoint, int family)
{
	const struct prefix *address = family == AF_INET ? &endpoint->ipv4 : &endpoint->ipv6;
	return address->family == family ? address : NULL;
}

/* One network rule between one source and one destination endpoint. */
static void policy_host_pair(struct policy_build *build, const struct conf_rule *cr, size_t index,
			     const struct inv_network *net, const struct inv_endpoint *from,
			     const struct inv_endpoint *to, int family)
{
	const struct rulespec_rule *r = &cr->rule;
	const struct prefix *src = policy_host_address(from, family);
	const struct prefix *dst = policy_host_address(to, family);
	struct rule shape;
	char what[48];

	if (src == NULL || dst == NULL)
		return;
	/* Without its bridge port an allowance could be spoofed: withheld. */
	if (r->action == RULESPEC_ALLOW && from->bridge_port[0] == '\0')
		return;
	memset(&shape, 0, sizeof(shape));
	shape.family = family;
	shape.hook = RULE_HOOK_FORWARD;
	shape.verdict = policy_host_verdict(r->action);
	snprintf(shape.in_iface, sizeof(shape.in_iface), "%s", net->bridge);
	snprintf(shape.out_iface, sizeof(shape.out_iface), "%s", net->bridge);
	if (r->action == RULESPEC_ALLOW)
		snprintf(shape.physdev_in, sizeof(shape.physdev_in), "%s", from->bridge_port);
	shape.src = *src;
	prefix_host(&shape.src);
	shape.dst = *dst;
	prefix_host(&shape.dst);
	shape.protocol = policy_build_protocol(r->proto);
	snprintf(what, sizeof(what), "rule %zu", index + 1);
	policy_build_comment(&shape, net->name, what, from->name);
	if (r->to.ports.count == 0) {
		(void)policy_host_emit(build, &shape, r->log);
		return;
	}
	for (size_t i = 0; i < r->to.ports.count; i++) {
		shape.dport_first = r->to.ports.ranges[i].first;
		shape.dport_last = r->to.ports.ranges[i].last;
		(void)policy_host_emit(build, &shape, r->log);
	}
}

void policy_host_network_rules(struct policy_build *build, const struct conf_network *cn,
			       const struct inventory *inv, const struct inv_network *net,
			       int family)
{
	for (size_t i = 0; i < cn->rule_count && !build->failed; i++) {
		const struct conf_rule *cr = &cn->rules[i];
		uint8_t protocol = policy_build_protocol(cr->rule.proto);

		if ((cr->rule.family != 0 && cr->rule.family != family) ||
		    !policy_build_protocol_in(protocol, family))
			continue;
		for (size_t s = 0; s < net->endpoint_count; s++) {
			const struct inv_endpoint *from = &net->endpoints[s];
			if (!policy_host_endpoint_is(inv, net, from, &cr->rule.from))
				continue;
			for (size_t d = 0; d < net->endpoint_count; d++) {
				const struct inv_endpoint *to = &net->endpoints[d];
				if (d != s && policy_host_endpoint_is(inv, net, to, &cr->rule.to))
					policy_host_pair(build, cr, i, net, from, to, family);
			}
		}
	}
}

void policy_host_reach_allowed(struct policy_build *build, const struct conf_network *cn,
			       const struct inv_network *net, int family)
{
	if (!cn->reach_allowed)
		return;
	for (size_t s = 0; s < net->endpoint_count; s++) {
		const struct inv_endpoint *from = &net->endpoints[s];
		const struct prefix *src = policy_host_address(from, family);

		/* the allow-listed ones reach everyone already; a port unknown gets nothing */
		if (from->allowed || src == NULL || from->bridge_port[0] == '\0')
			continue;
		for (size_t d = 0; d < net->endpoint_count; d++) {
			const struct inv_endpoint *to = &net->endpoints[d];
			const struct prefix *dst = policy_host_address(to, family);
			struct rule *rule;

			if (!to->allowed || dst == NULL)
				continue;
			rule = policy_build_rule(build, family, RULE_HOOK_FORWARD, RULE_RETURN);
			if (rule == NULL)
				return;
			snprintf(rule->in_iface, sizeof(rule->in_iface), "%s", net->bridge);
			snprintf(rule->out_iface, sizeof(rule->out_iface), "%s", net->bridge);
			snprintf(rule->physdev_in, sizeof(rule->physdev_in), "%s",
				 from->bridge_port);
			rule->src = *src;
			prefix_host(&rule->src);
			rule->dst = *dst;
			prefix_host(&rule->dst);
			policy_build_comment(rule, net->name, "reach-allowed", from->name);
		}
	}
}

/* One network's egress section of one family. */
static void policy_host_egress_network(struct policy_build *build, const struct conf_network *cn,
				       const struct inv_network *net, int family)
{
	const char *const *ranges = family == AF_INET ? policy_host_private4 : policy_host_private6;
	size_t range_count = family == AF_INET
				 ? sizeof(policy_host_private4) / sizeof(policy_host_private4[0])
				 : sizeof(policy_host_private6) / sizeof(policy_host_private6[0]);
	struct rule shape, *rule;

	/* connections to published ports are [published]'s to judge */
	rule = policy_build_rule(build, family, RULE_HOOK_FORWARD, RULE_RETURN);
	if (rule == NULL)
		return;
	snprintf(rule->in_iface, sizeof(rule->in_iface), "%s", net->bridge);
	rule->ct_dnat = true;
	policy_build_comment(rule, net->name, "lan-published", NULL);
	for (size_t i = 0; i < cn->lan_allow_count; i++) {
		rule = policy_build_rule(build, family, RULE_HOOK_FORWARD, RULE_RETURN);
		if (rule == NULL)
			return;
		snprintf(rule->in_iface, sizeof(rule->in_iface), "%s", net->bridge);
		policy_host_set_name(cn->lan_allow[i], family, rule->dst_set);
		policy_build_comment(rule, net->name, "lan-allow", cn->lan_allow[i]);
	}
	for (size_t i = 0; i < range_count; i++) {
		memset(&shape, 0, sizeof(shape));
		shape.family = family;
		shape.hook = RULE_HOOK_FORWARD;
		shape.verdict = RULE_DROP;
		snprintf(shape.in_iface, sizeof(shape.in_iface), "%s", net->bridge);
		if (prefix_parse(ranges[i], &shape.dst) < 0)
			continue;
		policy_build_comment(&shape, net->name, "lan-egress", NULL);
		if (build->drop_log) {
			rule = policy_build_rule(build, family, RULE_HOOK_FORWARD, RULE_LOG);
			if (rule == NULL)
				return;
			*rule = shape;
			rule->verdict = RULE_LOG;
			rule->ctstate = RULE_CT_NEW;
		}
		rule = policy_build_rule(build, family, RULE_HOOK_FORWARD, RULE_DROP);
		if (rule != NULL)
			*rule = shape;
	}
}

void policy_host_egress(struct policy_build *build, const struct conf *conf,
			const struct inventory *inv, int family)
{
	for (size_t n = 0; n < inv->count && !build->failed; n++) {
		const struct inv_network *net = &inv->networks[n];
		const struct conf_network *cn = conf_find_network(conf, net->name);

		if (cn != NULL && cn->lan_deny && net->bridge[0] != '\0')
			policy_host_egress_network(build, cn, net, family);
	}
}
