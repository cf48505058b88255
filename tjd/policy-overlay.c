/*
 * The overlay compiler (see policy.h): the rules for each swarm overlay
 * network's namespace on this node.
 *
 * Why bind every allowance to where the packet entered br0: containers
 * have NET_RAW, so a backend can send with any source address.  A local
 * allow-listed container's allowance holds only on its own veth; the
 * node's load balancer only on its veth; an address pushed by the
 * coordinator (another node's load balancer or allow-listed task) only on
 * vxlan0, the port remote traffic arrives on.  A local backend spoofing
 * the proxy's (or a remote load balancer's) address therefore gets nothing.
 */
#include "config.h"

#include "tjd/policy.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tjd/policy-build.h"

/* True when a local endpoint of the network holds this address. */
static bool policy_overlay_local_address(const struct inv_network *net,
					 const struct prefix *address)
{
	struct prefix host = *address;

	prefix_host(&host);
	for (size_t e = 0; e < net->endpoint_count; e++) {
		const struct inv_endpoint *endpoint = &net->endpoints[e];
		if (prefix_equal(&endpoint->ipv4, &host) || prefix_equal(&endpoint->ipv6, &host))
			return true;
	}
	return false;
}

/* True when an earlier peer rule of this family already allows the address. */
static bool policy_overlay_peer_seen(const struct ruleset *out, size_t first,
				     const struct prefix *address)
{
	struct prefix host = *address;

	prefix_host(&host);
	for (size_t i = first; i < out->count; i++)
		if (strcmp(out->rules[i].physdev_in, OVERLAY_VXLAN) == 0 &&
		    prefix_equal(&out->rules[i].src, &host))
			return true;
	return false;
}

/* Allowances for the pushed addresses of one family. */
static void policy_overlay_peers(struct policy_build *build, const struct inv_network *net,
				 const struct peer_set *peers, int family)
{
	const struct prefix *lists[2];
	size_t counts[2];
	size_t first = build->out->count;

	if (peers == NULL)
		return;
	lists[0] = peers->lb_ips;
	counts[0] = peers->lb_count;
	lists[1] = peers->allowed_ips;
	counts[1] = peers->allowed_count;
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			const struct prefix *address = &lists[l][i];
			if (address->family != family)
				continue;
			/* This node's Docker knows its own endpoints better than any push. */
			if (policy_overlay_local_address(net, address) ||
			    policy_overlay_peer_seen(build->out, first, address))
				continue;
			policy_build_allow(build, RULE_HOOK_FORWARD, OVERLAY_BRIDGE, address,
					   OVERLAY_VXLAN, net->name,
					   l == 0 ? "peer-lb" : "peer-allow", NULL);
		}
	}
}

/* Every rule of one family for one network's namespace. */
static void policy_overlay_family(struct policy_build *build, const struct inv_network *net,
				  const struct peer_set *peers, int family)
{
	/* Replies are not scoped to br0: nothing else is forwarded here anyway. */
	policy_build_replies(build, family, RULE_HOOK_FORWARD);
	if (family == AF_INET6)
		policy_build_neighbour_discovery(build, OVERLAY_BRIDGE, net->name,
						 RULE_HOOK_FORWARD);
	for (size_t e = 0; e < net->endpoint_count; e++) {
		const struct inv_endpoint *endpoint = &net->endpoints[e];
		const struct prefix *address =
		    family == AF_INET ? &endpoint->ipv4 : &endpoint->ipv6;
		bool lb = overlay_is_lb_endpoint(net, endpoint);

		if (address->family != family || (!endpoint->allowed && !lb))
			continue;
		/* Without its port an allowance could be spoofed: withhold it. */
		if (endpoint->bridge_port[0] == '\0')
			continue;
		policy_build_allow(build, RULE_HOOK_FORWARD, OVERLAY_BRIDGE, address,
				   endpoint->bridge_port, net->name, lb ? "lb" : "allow",
				   lb ? NULL : endpoint->name);
	}
	policy_overlay_peers(build, net, peers, family);
	policy_build_drop(build, family, RULE_HOOK_FORWARD, OVERLAY_BRIDGE, net->name);
}

int policy_compile_overlays(const struct conf *conf, const struct inventory *inv,
			    const struct peer_set *peers, size_t peer_count,
			    struct policy_plan *out, char *err, size_t errlen)
{
	struct policy_build build = {.err = err, .errlen = errlen, .drop_log = conf->drop_log};

	policy_plan_free(out);
	for (size_t n = 0; n < inv->count; n++) {
		const struct inv_network *net = &inv->networks[n];
		const struct peer_set *pushed = peer_sets_find(peers, peer_count, net->id);
		struct policy_target *target;

		if (!overlay_network(net) || conf_find_network(conf, net->name) == NULL)
			continue;
		target = policy_plan_add(out);
		if (target == NULL) {
			snprintf(err, errlen, "out of memory compiling overlay rules");
			goto fail;
		}
		snprintf(target->network_id, sizeof(target->network_id), "%s", net->id);
		snprintf(target->network_name, sizeof(target->network_name), "%s", net->name);
		if (overlay_netns_path(inv->netns_dir, net->id, false, target->netns,
				       sizeof(target->netns)) < 0) {
			snprintf(err, errlen, "network %s: namespace path too long", net->name);
			goto fail;
		}
		build.out = &target->rules;
		policy_overlay_family(&build, net, pushed, AF_INET);
		policy_overlay_family(&build, net, pushed, AF_INET6);
		if (build.failed)
			goto fail;
	}
	return 0;
fail:
	policy_plan_free(out);
	return -1;
}
