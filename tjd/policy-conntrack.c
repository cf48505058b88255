/*
 * What the conntrack purge needs to know of a compiled policy, and when a
 * new policy needs a purge at all.
 *
 * The picture is taken from the compiled ruleset wherever it can be, so
 * it says exactly what the rules admit: the allowed addresses are those
 * of the forward allowances (a withheld allowance is not there), the
 * link-local addresses those of the layer-2 ports tjd bound.  Subnets and
 * whether the host is closed come from the inventory and configuration.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tjd/policy.h"

void policy_conntrack_init(struct policy_conntrack *pc)
{
	memset(pc, 0, sizeof(*pc));
}

void policy_conntrack_free(struct policy_conntrack *pc)
{
	for (size_t i = 0; i < pc->count; i++) {
		free(pc->networks[i].subnets);
		free(pc->networks[i].link_local);
		free(pc->networks[i].allowed);
	}
	free(pc->networks);
	free(pc->views);
	policy_conntrack_init(pc);
}

/* Appends a host address to a grown array; -1 on OOM.  Duplicates are kept once. */
static int policy_conntrack_push(struct prefix **array, size_t *count, const struct prefix *p)
{
	struct prefix *grown, host = *p;

	prefix_host(&host);
	for (size_t i = 0; i < *count; i++)
		if (prefix_equal(&(*array)[i], &host))
			return 0;
	grown = reallocarray(*array, *count + 1, sizeof(**array));
	if (grown == NULL)
		return -1;
	grown[(*count)++] = host;
	*array = grown;
	return 0;
}

/* Fills one network's addresses from the compiled ruleset; -1 on OOM. */
static int policy_conntrack_addresses(struct policy_conntrack_network *pn,
				      const struct ruleset *compiled)
{
	for (size_t r = 0; r < compiled->count; r++) {
		const struct rule *rule = &compiled->rules[r];

		if (rule->hook != RULE_HOOK_FORWARD || rule->verdict != RULE_RETURN ||
		    rule->physdev_in[0] == '\0' || rule->src.family == 0 ||
		    strncmp(rule->in_iface, pn->bridge, TJD_IFNAMSIZ) != 0)
			continue;
		/* a network rule or reach_allowed admits some destinations only: not an
		 * allow-listed source */
		if (rule->dst.family != 0 || rule->dst_set[0] != '\0' || rule->protocol != 0)
			continue;
		if (policy_conntrack_push(&pn->allowed, &pn->allowed_count, &rule->src) < 0)
			return -1;
	}
	for (size_t p = 0; p < compiled->port_count; p++) {
		const struct l2_port *port = &compiled->ports[p];

		if (!port->known || port->ipv6_link.family == 0 ||
		    strncmp(port->bridge, pn->bridge, TJD_IFNAMSIZ) != 0)
			continue;
		if (policy_conntrack_push(&pn->link_local, &pn->link_local_count,
					  &port->ipv6_link) < 0)
			return -1;
	}
	return 0;
}

/* Points the purge's views at the networks' arrays; -1 on OOM. */
static int policy_conntrack_views(struct policy_conntrack *out)
{
	out->views = calloc(out->count ? out->count : 1, sizeof(*out->views));
	if (out->views == NULL)
		return -1;
	for (size_t i = 0; i < out->count; i++) {
		const struct policy_conntrack_network *pn = &out->networks[i];
		out->views[i] = (struct conntrack_network){
		    .subnets = pn->subnets,
		    .subnet_count = pn->subnet_count,
		    .link_local = pn->link_local,
		    .link_local_count = pn->link_local_count,
		    .allowed = pn->allowed,
		    .allowed_count = pn->allowed_count,
		    .host_closed = pn->host_closed,
		};
	}
	return 0;
}

/* The network of `bridge` in `out`, added when new; NULL on OOM. */
static struct policy_conntrack_network *policy_conntrack_network(struct policy_conntrack *out,
								 const char *bridge)
{
	struct policy_conntrack_network *grown;

	for (size_t i = 0; i < out->count; i++)
		if (strncmp(out->networks[i].bridge, bridge, TJD_IFNAMSIZ) == 0)
			return &out->networks[i];
	grown = reallocarray(out->networks, out->count + 1, sizeof(*out->networks));
	if (grown == NULL)
		return NULL;
	out->networks = grown;
	memset(&grown[out->count], 0, sizeof(*grown));
	snprintf(grown[out->count].bridge, sizeof(grown->bridge), "%.*s", TJD_IFNAMSIZ - 1, bridge);
	return &grown[out->count++];
}

/* Adds a port's address as a one-address "subnet" of its network; -1 on OOM. */
static int policy_conntrack_member(struct policy_conntrack_network *pn, const struct prefix *p)
{
	if (p->family == 0)
		return 0;
	return policy_conntrack_push(&pn->subnets, &pn->subnet_count, p);
}

int policy_conntrack_from_rules(const struct ruleset *rules, struct policy_conntrack *out)
{
	policy_conntrack_free(out);
	/* the protected bridges: each has its isolating drop between two of its ports */
	for (size_t r = 0; r < rules->count; r++) {
		const struct rule *rule = &rules->rules[r];

		if (rule->hook == RULE_HOOK_FORWARD && rule->verdict == RULE_DROP &&
		    rule->in_iface[0] != '\0' && rule->src.family == 0 && !rule->tcp_not_syn &&
		    strncmp(rule->in_iface, rule->out_iface, TJD_IFNAMSIZ) == 0 &&
		    policy_conntrack_network(out, rule->in_iface) == NULL)
			goto oom;
	}
	for (size_t i = 0; i < out->count; i++) {
		struct policy_conntrack_network *pn = &out->networks[i];

		for (size_t r = 0; r < rules->count; r++) {
			const struct rule *rule = &rules->rules[r];
			if (rule->hook == RULE_HOOK_INPUT && rule->verdict == RULE_DROP &&
			    rule->src.family == 0 &&
			    strncmp(rule->in_iface, pn->bridge, TJD_IFNAMSIZ) == 0)
				pn->host_closed = true;
		}
		for (size_t p = 0; p < rules->port_count; p++) {
			const struct l2_port *port = &rules->ports[p];
			if (!port->known || strncmp(port->bridge, pn->bridge, TJD_IFNAMSIZ) != 0)
				continue;
			if (policy_conntrack_member(pn, &port->ipv4) < 0 ||
			    policy_conntrack_member(pn, &port->ipv6) < 0)
				goto oom;
		}
		if (policy_conntrack_addresses(pn, rules) < 0)
			goto oom;
		for (size_t a = 0; a < pn->allowed_count; a++)
			if (policy_conntrack_member(pn, &pn->allowed[a]) < 0)
				goto oom;
	}
	if (policy_conntrack_views(out) < 0)
		goto oom;
	return 0;
oom:
	policy_conntrack_free(out);
	return -1;
}

int policy_conntrack_build(const struct conf *conf, const struct inventory *inv,
			   const struct ruleset *compiled, struct policy_conntrack *out)
{
	policy_conntrack_free(out);
	for (size_t n = 0; n < inv->count; n++) {
		const struct inv_network *net = &inv->networks[n];
		const struct conf_network *cn = conf_find_network(conf, net->name);
		struct policy_conntrack_network *grown, *pn;

		/* what policy_compile enforces from here: protected networks on a local bridge */
		if (cn == NULL || net->bridge[0] == '\0')
			continue;
		grown = reallocarray(out->networks, out->count + 1, sizeof(*out->networks));
		if (grown == NULL)
			goto oom;
		out->networks = grown;
		pn = &grown[out->count++];
		memset(pn, 0, sizeof(*pn));
		snprintf(pn->bridge, sizeof(pn->bridge), "%s", net->bridge);
		pn->subnet_count =
		    net->subnet_count < INV_MAX_SUBNETS ? net->subnet_count : INV_MAX_SUBNETS;
		pn->subnets = calloc(pn->subnet_count ? pn->subnet_count : 1, sizeof(*pn->subnets));
		if (pn->subnets == NULL)
			goto oom;
		memcpy(pn->subnets, net->subnets, pn->subnet_count * sizeof(*pn->subnets));
		pn->host_closed = !cn->allow_host_traffic;
		if (policy_conntrack_addresses(pn, compiled) < 0)
			goto oom;
	}
	if (policy_conntrack_views(out) < 0)
		goto oom;
	return 0;
oom:
	policy_conntrack_free(out);
	return -1;
}

/* True if `p` is among the `count` prefixes of `array`. */
static bool policy_conntrack_has(const struct prefix *array, size_t count, const struct prefix *p)
{
	for (size_t i = 0; i < count; i++)
		if (prefix_equal(&array[i], p))
			return true;
	return false;
}

bool policy_conntrack_stricter(const struct policy_conntrack *before,
			       const struct policy_conntrack *after)
{
	for (size_t i = 0; i < after->count; i++) {
		const struct policy_conntrack_network *now = &after->networks[i];
		const struct policy_conntrack_network *was = NULL;

		for (size_t j = 0; j < before->count && was == NULL; j++)
			if (strncmp(before->networks[j].bridge, now->bridge, TJD_IFNAMSIZ) == 0)
				was = &before->networks[j];
		/* newly protected (or re-created: a new network has a new bridge) */
		if (was == NULL)
			return true;
		if (now->host_closed && !was->host_closed)
			return true;
		for (size_t s = 0; s < now->subnet_count; s++)
			if (!policy_conntrack_has(was->subnets, was->subnet_count,
						  &now->subnets[s]))
				return true;
		for (size_t a = 0; a < was->allowed_count; a++)
			if (!policy_conntrack_has(now->allowed, now->allowed_count,
						  &was->allowed[a]))
				return true;
	}
	return false;
}
