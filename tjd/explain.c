/* Whether tjd lets a connection through, read off the compiled rules; see explain.h. */
#include "config.h"

#include "tjd/explain.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/error.h"
#include "common/prefix.h"
#include "tjd/policy.h"

/*
 * Whether a rule's interface condition holds ("" in the rule: any).  A
 * NULL packet interface is a container's own, whichever it is, but never
 * loopback: a connection between two containers does not use it.
 */
static bool explain_iface(const char *rule, const char *packet)
{
	if (rule[0] == '\0')
		return true;
	if (packet == NULL)
		return strcmp(rule, "lo") != 0;
	return strncmp(rule, packet, TJD_IFNAMSIZ) == 0;
}

/* Whether a port lies in a rule's range (0..0: any). */
static bool explain_port(uint16_t first, uint16_t last, uint16_t port)
{
	return last == 0 || (port >= first && port <= last);
}

/* Whether an address is a member of the ruleset's set `name` ("": no condition). */
static bool explain_in_set(const struct ruleset *set, const char *name,
			   const struct prefix *address)
{
	const struct rule_addrset *named;

	if (name[0] == '\0')
		return true;
	named = ruleset_find_set(set, name);
	for (size_t m = 0; named != NULL && m < named->count; m++)
		if (prefix_contains(&set->members[named->first + m], address))
			return true;
	return false;
}

/* Whether every condition of a rule holds for the packet (a new connection's SYN). */
static bool explain_rule_matches(const struct ruleset *set, const struct rule *rule,
				 const struct explain_packet *packet)
{
	if (rule->family != packet->family || rule->hook != packet->hook)
		return false;
	if (!explain_iface(rule->in_iface, packet->in_iface) ||
	    !explain_iface(rule->out_iface, packet->out_iface) ||
	    (rule->physdev_in[0] != '\0' &&
	     strncmp(rule->physdev_in, packet->physdev_in, TJD_IFNAMSIZ) != 0))
		return false;
	if ((rule->src.family != 0 && !prefix_contains(&rule->src, &packet->src)) ||
	    (rule->dst.family != 0 && !prefix_contains(&rule->dst, &packet->dst)))
		return false;
	/* the first packet of a connection is NEW */
	if (rule->ctstate != 0 && !(rule->ctstate & RULE_CT_NEW))
		return false;
	if (rule->protocol != 0 && rule->protocol != packet->protocol)
		return false;
	/* an ICMP type or a not-a-SYN condition never holds for a TCP/UDP/SCTP SYN */
	if (rule->has_icmp_type || rule->tcp_not_syn)
		return false;
	/* the connection asked about goes to the address itself, through no published port */
	if (rule->ct_dnat ||
	    !explain_port(rule->ct_dport_first, rule->ct_dport_last, packet->dport))
		return false;
	if (!explain_in_set(set, rule->src_set, &packet->src) ||
	    !explain_in_set(set, rule->dst_set, &packet->dst))
		return false;
	return explain_port(rule->sport_first, rule->sport_last, packet->sport) &&
	       explain_port(rule->dport_first, rule->dport_last, packet->dport);
}

const struct rule *explain_match(const struct ruleset *set, const struct explain_packet *packet)
{
	for (size_t i = 0; i < set->count; i++) {
		const struct rule *rule = &set->rules[i];

		if (rule->verdict != RULE_LOG && explain_rule_matches(set, rule, packet))
			return rule;
	}
	return NULL;
}

/* One side of the query. */
struct explain_party {
	bool host;
	const char *name;      /* as given */
	struct prefix address; /* an address given (family 0: a name) */
};

/* The endpoint of `net` named, or with the address; NULL when none. */
static const struct inv_endpoint *explain_endpoint(const struct inv_network *net,
						   const struct explain_party *party)
{
	for (size_t e = 0; e < net->endpoint_count; e++) {
		const struct inv_endpoint *endpoint = &net->endpoints[e];

		if (party->address.family == 0 && strcmp(endpoint->name, party->name) == 0)
			return endpoint;
		if (party->address.family != 0 && (prefix_equal(&endpoint->ipv4, &party->address) ||
						   prefix_equal(&endpoint->ipv6, &party->address)))
			return endpoint;
	}
	return NULL;
}

/* Whether the inventory knows the party on some network. */
static bool explain_known(const struct inventory *inv, const struct explain_party *party)
{
	for (size_t n = 0; n < inv->count; n++)
		if (explain_endpoint(&inv->networks[n], party) != NULL)
			return true;
	return false;
}

/* Reads one side: "host", an address, or a name. */
static void explain_party(const char *text, struct explain_party *out)
{
	memset(out, 0, sizeof(*out));
	out->name = text;
	out->host = strcmp(text, "host") == 0;
	if (!out->host && prefix_parse_address(text, &out->address) < 0)
		memset(&out->address, 0, sizeof(out->address));
	if (out->address.family != 0)
		prefix_host(&out->address);
}

/* The network's allow filters, for the explanation: "allow = A, B" or "no allow filter". */
static void explain_filters(const struct conf *conf, const char *network, char *out, size_t size)
{
	const struct conf_network *cn = conf_find_network(conf, network);
	size_t n = 0;

	out[0] = '\0';
	if (cn == NULL || cn->allow_count == 0) {
		snprintf(out, size, "no allow filter");
		return;
	}
	n = (size_t)snprintf(out, size, "allow = ");
	for (size_t a = 0; a < cn->allow_count && n < size; a++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", a ? ", " : "", cn->allow[a]);
}

/* The container's own firewall in the plan, by name; NULL when it has none. */
static const struct policy_target *explain_firewall(const struct policy_plan *plan,
						    const char *name)
{
	for (size_t t = 0; name != NULL && t < plan->count; t++)
		if (plan->targets[t].container_id[0] != '\0' &&
		    strcmp(plan->targets[t].container_name, name) == 0)
			return &plan->targets[t];
	return NULL;
}

/*
 * Checks a container's own rules for the packet on `hook`; true (and
 * result written) when they block it.
 */
static bool explain_own_rules(const struct policy_plan *plan, const char *name, enum rule_hook hook,
			      struct explain_packet packet, struct explain_result *result)
{
	const struct policy_target *firewall = explain_firewall(plan, name);
	const struct rule *rule;

	if (firewall == NULL)
		return false;
	packet.hook = hook;
	packet.in_iface = NULL;
	packet.out_iface = NULL;
	packet.physdev_in = "";
	rule = explain_match(&firewall->rules, &packet);
	if (rule == NULL || rule->verdict == RULE_RETURN)
		return false;
	result->blocked = true;
	snprintf(result->text, sizeof(result->text), "blocked: by %s's own %s rules: %s%s", name,
		 hook == RULE_HOOK_OUTPUT ? "output" : "input", rule->comment,
		 firewall->problem[0] != '\0' ? " (its labels fail closed: see tjctl status)" : "");
	return true;
}

/* Fills the packet's addresses from the endpoints, in a family both have; false if none. */
static bool explain_addresses(const struct inv_endpoint *from, const struct inv_endpoint *to,
			      struct explain_packet *packet)
{
	if (from != NULL && to != NULL && from->ipv4.family != 0 && to->ipv4.family != 0) {
		packet->src = from->ipv4;
		packet->dst = to->ipv4;
	} else if (from != NULL && to != NULL && from->ipv6.family != 0 && to->ipv6.family != 0) {
		packet->src = from->ipv6;
		packet->dst = to->ipv6;
	} else if (from != NULL) {
		packet->src = from->ipv4.family != 0 ? from->ipv4 : from->ipv6;
		packet->dst.family = packet->src.family;
		packet->dst.length = packet->src.family == AF_INET ? 32 : 128;
	} else if (to != NULL) {
		packet->dst = to->ipv4.family != 0 ? to->ipv4 : to->ipv6;
		packet->src.family = packet->dst.family;
		packet->src.length = packet->dst.family == AF_INET ? 32 : 128;
	} else {
		return false;
	}
	packet->family = packet->src.family;
	return packet->family != 0;
}

/* Words for the decision of tjd's own rules on one network. */
static void explain_host_words(const struct conf *conf, const struct inv_network *net,
			       const struct inv_endpoint *from, const char *from_name,
			       const char *to_name, const struct rule *rule,
			       struct explain_result *result)
{
	char filters[512];

	explain_filters(conf, net->name, filters, sizeof(filters));
	if (rule == NULL || rule->verdict == RULE_RETURN) {
		result->blocked = false;
		if (rule != NULL && from != NULL && from->allowed)
			snprintf(result->text, sizeof(result->text),
				 "allowed: %s is allow-listed on %s (%s)", from_name, net->name,
				 filters);
		else if (rule != NULL)
			snprintf(result->text, sizeof(result->text), "allowed: on %s by %s",
				 net->name, rule->comment);
		else
			snprintf(result->text, sizeof(result->text),
				 "allowed: tjd's rules on %s do not stop %s -> %s", net->name,
				 from_name, to_name);
		return;
	}
	result->blocked = true;
	if (rule->hook == RULE_HOOK_INPUT)
		snprintf(result->text, sizeof(result->text),
			 "blocked: %s is closed to the host (allow_host_traffic = no)", net->name);
	else if (from != NULL && from->allowed && from->bridge_port[0] == '\0')
		snprintf(result->text, sizeof(result->text),
			 "blocked: both on %s, %s is allow-listed but its allowance is withheld "
			 "(its bridge port is unknown)",
			 net->name, from_name);
	else
		snprintf(result->text, sizeof(result->text),
			 "blocked: both on %s, %s is not allow-listed (%s)", net->name, from_name,
			 filters);
}

int explain(const struct conf *conf, const struct inventory *inv, const struct explain_query *query,
	    struct explain_result *result, char *err, size_t errlen)
{
	struct explain_party from, to;
	struct ruleset host;
	struct policy_plan plan;
	int rc = -1;
	bool decided = false;

	memset(result, 0, sizeof(*result));
	if (query->protocol != IPPROTO_TCP && query->protocol != IPPROTO_UDP &&
	    query->protocol != IPPROTO_SCTP) {
		error_format(err, errlen, "explain knows tcp, udp and sctp");
		return -1;
	}
	explain_party(query->from, &from);
	explain_party(query->to, &to);
	if (from.host && to.host) {
		error_format(err, errlen, "from and to are both the host");
		return -1;
	}
	if ((!from.host && from.address.family == 0 && !explain_known(inv, &from)) ||
	    (!to.host && to.address.family == 0 && !explain_known(inv, &to))) {
		error_format(err, errlen, "no container %s on a network tjd protects",
			     !from.host && from.address.family == 0 && !explain_known(inv, &from)
				 ? query->from
				 : query->to);
		return -1;
	}
	ruleset_init(&host);
	policy_plan_init(&plan);
	if (policy_compile(conf, inv, &host, NULL, err, errlen) < 0 ||
	    policy_compile_containers(conf, inv, &plan, err, errlen) < 0)
		goto out;
	for (size_t n = 0; n < inv->count && !decided; n++) {
		const struct inv_network *net = &inv->networks[n];
		const struct inv_endpoint *src = from.host ? NULL : explain_endpoint(net, &from);
		const struct inv_endpoint *dst = to.host ? NULL : explain_endpoint(net, &to);
		const char *src_name = from.host ? "host" : src ? src->name : query->from;
		const char *dst_name = to.host ? "host" : dst ? dst->name : query->to;
		struct explain_packet packet = {.protocol = query->protocol,
						.sport = 40000,
						.dport = query->port,
						.physdev_in = ""};

		if (net->bridge[0] == '\0' || (!from.host && src == NULL) ||
		    (!to.host && dst == NULL))
			continue;
		if (!explain_addresses(src, dst, &packet))
			continue;
		decided = true;
		if (src != NULL &&
		    explain_own_rules(&plan, src->name, RULE_HOOK_OUTPUT, packet, result))
			break;
		if (src != NULL && dst != NULL) {
			packet.hook = RULE_HOOK_FORWARD;
			packet.in_iface = net->bridge;
			packet.out_iface = net->bridge;
			packet.physdev_in = src->bridge_port;
		} else if (src != NULL) {
			packet.hook = RULE_HOOK_INPUT;
			packet.in_iface = net->bridge;
			packet.out_iface = "";
		} else {
			packet.hook = RULE_HOOK_OUTPUT;
			packet.in_iface = "";
			packet.out_iface = net->bridge;
		}
		explain_host_words(conf, net, src, src_name, dst_name,
				   explain_match(&host, &packet), result);
		if (result->blocked)
			break;
		if (dst != NULL &&
		    explain_own_rules(&plan, dst->name, RULE_HOOK_INPUT, packet, result))
			break;
	}
	if (!decided)
		snprintf(result->text, sizeof(result->text),
			 "allowed: %s and %s share no network tjd protects; tjd does not stop "
			 "this (Docker's own rules decide)",
			 query->from, query->to);
	rc = 0;
out:
	ruleset_free(&host);
	policy_plan_free(&plan);
	return rc;
}
