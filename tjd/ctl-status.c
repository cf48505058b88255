/* status: what tjd protects, what it saw last, and how it went. */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tjd/ctl.h"
#include "tjd/daemon.h"
#include "tjd/enforce.h"
#include "tjd/overlay.h"
#include "tjd/policy-host.h"

/* Formats an address without its host-length suffix. */
static char *ctl_status_address(struct ctl_context *ctx, const struct prefix *p, bool host)
{
	char text[INET6_ADDRSTRLEN + 8];
	char *slash;

	if (prefix_format(p, text, sizeof(text)) < 0)
		return ctl_strdup(ctx, "?");
	if (host && (slash = strchr(text, '/')) != NULL)
		*slash = '\0';
	return ctl_strdup(ctx, text);
}

/* Lists the allow-listed containers of one network. */
static void ctl_status_allowed(struct ctl_context *ctx, Tjd__V1__NetworkStatus *ns,
			       const struct inv_network *net)
{
	size_t allowed = 0;

	for (size_t e = 0; e < net->endpoint_count; e++)
		allowed += net->endpoints[e].allowed;
	ns->allowed = ctl_alloc(ctx, (allowed ? allowed : 1) * sizeof(*ns->allowed));
	if (ns->allowed == NULL)
		return;
	for (size_t e = 0; e < net->endpoint_count; e++) {
		const struct inv_endpoint *endpoint = &net->endpoints[e];
		Tjd__V1__AllowedContainer *ac;

		if (!endpoint->allowed)
			continue;
		ac = ctl_alloc(ctx, sizeof(*ac));
		if (ac == NULL)
			return;
		tjd__v1__allowed_container__init(ac);
		ac->id = ctl_strdup(ctx, endpoint->container_id);
		ac->name = ctl_strdup(ctx, endpoint->name);
		ac->bridge_port = ctl_strdup(ctx, endpoint->bridge_port);
		ac->addresses = ctl_alloc(ctx, 2 * sizeof(*ac->addresses));
		if (ac->id == NULL || ac->name == NULL || ac->bridge_port == NULL ||
		    ac->addresses == NULL)
			return;
		if (endpoint->ipv4.family != 0)
			ac->addresses[ac->n_addresses++] =
			    ctl_status_address(ctx, &endpoint->ipv4, true);
		if (endpoint->ipv6.family != 0)
			ac->addresses[ac->n_addresses++] =
			    ctl_status_address(ctx, &endpoint->ipv6, true);
		ns->allowed[ns->n_allowed++] = ac;
	}
}

/* Pushed peer addresses (load balancers first), and when they came. */
static void ctl_status_peers(struct ctl_context *ctx, Tjd__V1__NetworkStatus *ns,
			     const struct peer_set *peers)
{
	if (peers == NULL)
		return;
	ns->peers_updated_unix = peers->updated;
	ns->peer_ips =
	    ctl_alloc(ctx, (peers->lb_count + peers->allowed_count + 1) * sizeof(char *));
	if (ns->peer_ips == NULL)
		return;
	for (size_t i = 0; i < peers->lb_count; i++)
		ns->peer_ips[ns->n_peer_ips++] = ctl_status_address(ctx, &peers->lb_ips[i], true);
	for (size_t i = 0; i < peers->allowed_count; i++)
		ns->peer_ips[ns->n_peer_ips++] =
		    ctl_status_address(ctx, &peers->allowed_ips[i], true);
}

/* An overlay network: this node's load-balancer address(es) and the namespace's state. */
static void ctl_status_overlay(struct ctl_context *ctx, Tjd__V1__NetworkStatus *ns,
			       const struct inv_network *net)
{
	struct enforce_netns_status overlay;

	ns->lb_ips = ctl_alloc(ctx, 2 * sizeof(char *));
	if (ns->lb_ips == NULL)
		return;
	for (size_t e = 0; e < net->endpoint_count; e++) {
		const struct inv_endpoint *endpoint = &net->endpoints[e];
		if (!overlay_is_lb_endpoint(net, endpoint))
			continue;
		if (endpoint->ipv4.family != 0)
			ns->lb_ips[ns->n_lb_ips++] = ctl_status_address(ctx, &endpoint->ipv4, true);
		if (endpoint->ipv6.family != 0)
			ns->lb_ips[ns->n_lb_ips++] = ctl_status_address(ctx, &endpoint->ipv6, true);
		break;
	}
	if (enforce_netns_lookup(ctx->tjd->enforce, net->id, &overlay)) {
		ns->netns = ctl_strdup(ctx, overlay.netns);
		ns->overlay_enforced = overlay.enforced;
		ns->rule_count = (uint32_t)overlay.rule_count;
	}
}

/* Describes one configured network, present in Docker or not. */
static Tjd__V1__NetworkStatus *ctl_status_network(struct ctl_context *ctx,
						  const struct conf_network *cn,
						  const struct backend_counter *counter)
{
	struct tjd *tjd = ctx->tjd;
	Tjd__V1__NetworkStatus *ns = ctl_alloc(ctx, sizeof(*ns));
	const struct inv_network *net = inventory_find_network(tjd->inventory, cn->name);

	if (ns == NULL)
		return NULL;
	tjd__v1__network_status__init(ns);
	ns->name = ctl_strdup(ctx, cn->name);
	ns->allow_host_traffic = cn->allow_host_traffic;
	ns->reach_allowed = cn->reach_allowed;
	ns->lan_egress = (char *)(cn->lan_deny ? "deny" : "allow");
	ns->rules = ctl_alloc(ctx, (cn->rule_count + 1) * sizeof(char *));
	ns->lan_allow = ctl_alloc(ctx, (cn->lan_allow_count + 1) * sizeof(char *));
	if (ns->rules == NULL || ns->lan_allow == NULL)
		return NULL;
	for (size_t r = 0; r < cn->rule_count; r++)
		ns->rules[ns->n_rules++] = ctl_strdup(ctx, cn->rules[r].text);
	for (size_t a = 0; a < cn->lan_allow_count; a++)
		ns->lan_allow[ns->n_lan_allow++] = ctl_strdup(ctx, cn->lan_allow[a]);
	ns->allow_filters = ctl_alloc(ctx, (cn->allow_count + 1) * sizeof(char *));
	if (ns->name == NULL || ns->allow_filters == NULL)
		return NULL;
	for (size_t a = 0; a < cn->allow_count; a++)
		ns->allow_filters[ns->n_allow_filters++] = ctl_strdup(ctx, cn->allow[a]);
	if (net == NULL)
		return ns;
	ns->present = 1;
	ns->id = ctl_strdup(ctx, net->id);
	ns->driver = ctl_strdup(ctx, net->driver);
	ns->interface = ctl_strdup(ctx, net->bridge);
	ns->endpoint_count = (uint32_t)net->endpoint_count;
	ns->rule_count = (uint32_t)enforce_rule_count(tjd->enforce, net->id);
	if (counter != NULL) {
		ns->counters_available = 1;
		ns->dropped_packets = counter->packets;
		ns->dropped_bytes = counter->bytes;
	}
	ns->subnets = ctl_alloc(ctx, (net->subnet_count + 1) * sizeof(char *));
	if (ns->id == NULL || ns->driver == NULL || ns->interface == NULL || ns->subnets == NULL)
		return NULL;
	for (size_t s = 0; s < net->subnet_count; s++)
		ns->subnets[ns->n_subnets++] = ctl_status_address(ctx, &net->subnets[s], false);
	ctl_status_allowed(ctx, ns, net);
	ctl_status_peers(ctx, ns, peer_sets_find(tjd->peers, tjd->peer_network_count, net->id));
	if (overlay_network(net))
		ctl_status_overlay(ctx, ns, net);
	return ns;
}

/*
 * Dropped-packet counters of every configured network on a local bridge,
 * from one read of the kernel; counters[n].bridge stays NULL for the
 * others.  False when the backend keeps none.
 */
static bool ctl_status_counters(struct ctl_context *ctx, struct backend_counter *counters)
{
	const struct tjd *tjd = ctx->tjd;
	struct backend_counter *wanted;
	size_t count = 0, *index;
	char err[256];
	bool ok;

	wanted = ctl_alloc(ctx, (tjd->conf->network_count + 1) * sizeof(*wanted));
	index = ctl_alloc(ctx, (tjd->conf->network_count + 1) * sizeof(*index));
	if (wanted == NULL || index == NULL)
		return false;
	for (size_t n = 0; n < tjd->conf->network_count; n++) {
		const struct inv_network *net =
		    inventory_find_network(tjd->inventory, tjd->conf->networks[n].name);
		if (net == NULL || net->bridge[0] == '\0')
			continue;
		wanted[count].bridge = net->bridge;
		index[count++] = n;
	}
	if (count == 0)
		return false;
	ok = enforce_counters(tjd->enforce, wanted, count, err, sizeof(err)) == 0;
	for (size_t c = 0; ok && c < count; c++)
		counters[index[c]] = wanted[c];
	return ok;
}

/*
 * Why this backend, and how its rules are kept from others: the backend's
 * own phrase, and the layer-2 companion's beside an IP backend without it.
 */
static char *ctl_status_backend_reason(struct ctl_context *ctx)
{
	const struct enforce *enforce = ctx->tjd->enforce;
	const struct backend *backend = enforce_backend(enforce);
	const struct backend *layer2 = enforce_layer2_backend(enforce);
	char reason[768];
	size_t n;

	n = (size_t)snprintf(reason, sizeof(reason), "%s", enforce_backend_reason(enforce));
	if (backend->ops->protection != NULL && n < sizeof(reason))
		n += (size_t)snprintf(reason + n, sizeof(reason) - n, "; %s",
				      backend->ops->protection(backend));
	if (enforce_layer2_reason(enforce)[0] != '\0' && n < sizeof(reason))
		n += (size_t)snprintf(reason + n, sizeof(reason) - n, "; layer 2: %s",
				      enforce_layer2_reason(enforce));
	if (layer2 != NULL && layer2->ops->protection != NULL && n < sizeof(reason))
		snprintf(reason + n, sizeof(reason) - n, ", %s", layer2->ops->protection(layer2));
	return ctl_strdup(ctx, reason);
}

/* The containers with a firewall of their own; false on OOM. */
static bool ctl_status_containers(struct ctl_context *ctx, Tjd__V1__StatusResponse *status)
{
	size_t count;
	const struct enforce_container_status *all = enforce_containers(ctx->tjd->enforce, &count);

	if (count == 0)
		return true;
	status->containers = ctl_alloc(ctx, count * sizeof(*status->containers));
	if (status->containers == NULL)
		return false;
	for (size_t i = 0; i < count; i++) {
		Tjd__V1__ContainerPolicyStatus *cs = ctl_alloc(ctx, sizeof(*cs));

		if (cs == NULL)
			return false;
		tjd__v1__container_policy_status__init(cs);
		cs->id = ctl_strdup(ctx, all[i].id);
		cs->name = ctl_strdup(ctx, all[i].name);
		cs->netns = ctl_strdup(ctx, all[i].netns);
		cs->problem = ctl_strdup(ctx, all[i].problem);
		if (cs->id == NULL || cs->name == NULL || cs->netns == NULL || cs->problem == NULL)
			return false;
		cs->rule_count = (uint32_t)all[i].rule_count;
		cs->enforced = all[i].enforced;
		status->containers[status->n_containers++] = cs;
	}
	return true;
}

/* The configured sets as the last apply left them; false on OOM. */
static bool ctl_status_sets(struct ctl_context *ctx, Tjd__V1__StatusResponse *status)
{
	const struct conf *conf = ctx->tjd->conf;
	const struct ruleset *installed = enforce_installed(ctx->tjd->enforce);

	if (conf->set_count == 0)
		return true;
	status->sets = ctl_alloc(ctx, conf->set_count * sizeof(*status->sets));
	if (status->sets == NULL)
		return false;
	for (size_t i = 0; i < conf->set_count; i++) {
		const struct conf_set *set = &conf->sets[i];
		Tjd__V1__SetStatus *ss = ctl_alloc(ctx, sizeof(*ss));
		char name[RULE_SET_NAME_MAX];
		size_t ipv4, ipv6;

		if (ss == NULL)
			return false;
		tjd__v1__set_status__init(ss);
		ss->name = ctl_strdup(ctx, set->name);
		ss->containers = ctl_strdup(ctx, set->containers ? set->containers : "");
		if (ss->name == NULL || ss->containers == NULL)
			return false;
		ss->configured_members = (uint32_t)set->member_count;
		policy_host_set_members(installed, set->name, &ipv4, &ipv6);
		ss->ipv4_members = (uint32_t)ipv4;
		ss->ipv6_members = (uint32_t)ipv6;
		/* the later of its two halves' changes */
		policy_host_set_name(set->name, AF_INET, name);
		ss->changed_unix = enforce_set_changed(ctx->tjd->enforce, name);
		policy_host_set_name(set->name, AF_INET6, name);
		if (enforce_set_changed(ctx->tjd->enforce, name) > ss->changed_unix)
			ss->changed_unix = enforce_set_changed(ctx->tjd->enforce, name);
		status->sets[status->n_sets++] = ss;
	}
	return true;
}

/* The [published] policy, the published ports it judges and what it dropped; false on OOM. */
static bool ctl_status_published(struct ctl_context *ctx, Tjd__V1__StatusResponse *status)
{
	const struct conf_published *published = &ctx->tjd->conf->published;
	const struct inventory *inv = ctx->tjd->inventory;
	Tjd__V1__PublishedStatus *ps = ctl_alloc(ctx, sizeof(*ps));
	struct backend_counter all = {.bridge = NULL};
	size_t bindings = 0;
	char err[256];

	if (ps == NULL)
		return false;
	tjd__v1__published_status__init(ps);
	status->published = ps;
	ps->present = published->present;
	if (!published->present)
		return true;
	ps->policy = (char *)(published->policy == RULESPEC_DENY ? "deny" : "allow");
	ps->rules = ctl_alloc(ctx, (published->rule_count + 1) * sizeof(char *));
	if (ps->rules == NULL)
		return false;
	for (size_t r = 0; r < published->rule_count; r++)
		ps->rules[ps->n_rules++] = ctl_strdup(ctx, published->rules[r].text);
	for (size_t c = 0; inv != NULL && c < inv->container_count; c++)
		bindings += inv->containers[c].binding_count;
	ps->ports = ctl_alloc(ctx, (bindings + 1) * sizeof(char *));
	if (ps->ports == NULL)
		return false;
	for (size_t c = 0; inv != NULL && c < inv->container_count; c++) {
		const struct inv_container *container = &inv->containers[c];
		for (size_t b = 0; b < container->binding_count; b++) {
			const struct inv_binding *binding = &container->bindings[b];
			char port[INV_NAME_MAX + 32];
			bool seen = false;

			snprintf(port, sizeof(port), "%s/%u (%s)",
				 binding->protocol == IPPROTO_TCP   ? "tcp"
				 : binding->protocol == IPPROTO_UDP ? "udp"
								    : "sctp",
				 binding->host_port, container->name);
			for (size_t i = 0; i < ps->n_ports && !seen; i++)
				seen = strcmp(ps->ports[i], port) == 0;
			if (!seen)
				ps->ports[ps->n_ports++] = ctl_strdup(ctx, port);
		}
	}
	if (enforce_counters(ctx->tjd->enforce, &all, 1, err, sizeof(err)) == 0) {
		ps->counters_available = 1;
		ps->dropped_packets = all.kind_packets[BACKEND_DROP_PUBLISHED];
		ps->dropped_bytes = all.kind_bytes[BACKEND_DROP_PUBLISHED];
	}
	return true;
}

/* Fills the reply with the daemon's status. */
static int ctl_status_exec(struct ctl_context *ctx, const Tjd__V1__Request *request,
			   Tjd__V1__Response *reply)
{
	struct tjd *tjd = ctx->tjd;
	const struct conf *conf = tjd->conf;
	const struct enforce_stats *stats = enforce_stats(tjd->enforce);
	Tjd__V1__StatusResponse *status = ctl_alloc(ctx, sizeof(*status));
	struct backend_counter *counters =
	    ctl_alloc(ctx, (conf->network_count + 1) * sizeof(*counters));

	if (status == NULL || counters == NULL)
		return 0;
	tjd__v1__status_response__init(status);
	status->version = (char *)PACKAGE_VERSION;
	status->backend = (char *)enforce_backend_name(tjd->enforce);
	status->backend_reason = ctl_status_backend_reason(ctx);
	status->docker_host = ctl_strdup(ctx, conf->docker_host);
	status->docker_connected = tjd->docker_connected;
	status->ready = stats->ready;
	status->started_unix = tjd->started;
	status->last_reconcile_unix = tjd->last_reconcile;
	status->last_reconcile_usec = tjd->last_reconcile_usec;
	status->last_error = ctl_strdup(ctx, tjd->last_error);
	status->last_error_unix = tjd->last_error_time;
	status->reconcile_count = tjd->reconcile_count;
	status->apply_count = stats->apply_count;
	status->drift_repairs = stats->drift_repairs;
	status->conntrack_purges = stats->conntrack_purges;
	status->conntrack_deleted = stats->conntrack_deleted;
	status->conntrack_failures = stats->conntrack_failures;
	status->instance_id = ctl_strdup(ctx, conf->instance_id);
	status->config_file = ctl_strdup(ctx, conf->path ? conf->path : "");
	status->poll_interval = conf->poll_interval;
	status->last_peer_push_from = ctl_strdup(ctx, tjd->last_peer_push_from);
	status->last_peer_push_unix = tjd->last_peer_push;
	status->networks = ctl_alloc(ctx, (conf->network_count + 1) * sizeof(*status->networks));
	if (status->networks == NULL)
		return 0;
	memset(counters, 0, (conf->network_count + 1) * sizeof(*counters));
	if (!ctl_status_counters(ctx, counters))
		memset(counters, 0, (conf->network_count + 1) * sizeof(*counters));
	for (size_t n = 0; n < conf->network_count; n++) {
		Tjd__V1__NetworkStatus *ns = ctl_status_network(
		    ctx, &conf->networks[n], counters[n].bridge != NULL ? &counters[n] : NULL);
		if (ns == NULL)
			return 0;
		status->networks[status->n_networks++] = ns;
	}
	if (!ctl_status_containers(ctx, status) || !ctl_status_sets(ctx, status) ||
	    !ctl_status_published(ctx, status))
		return 0;
	reply->result_case = TJD__V1__RESPONSE__RESULT_STATUS;
	reply->status = status;
	return 0;
}

const struct ctl_command ctl_status_command = {
    .name = "status",
    .command = TJD__V1__REQUEST__COMMAND_STATUS,
    .flags = 0,
    .exec = ctl_status_exec,
};
