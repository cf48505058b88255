/*
 * Per-node enforcement for swarm overlay networks; see overlay.h.
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

#include "tjd/overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "tjd/daemon.h"
#include "tjd/netns.h"

/* ICMPv6 neighbour solicitation and advertisement must cross br0. */
static const uint8_t overlay_nd_types[] = {135, 136};

/* br_netfilter's switches, read and written inside each overlay namespace. */
static const char *const overlay_bridge_sysctls[] = {
    "/proc/sys/net/bridge/bridge-nf-call-iptables",
    "/proc/sys/net/bridge/bridge-nf-call-ip6tables",
};

/* ---- the pure compiler ---- */

/* Compiler state shared by the helpers below. */
struct overlay_build {
	struct ruleset *out;
	const struct inv_network *net;
	char *err;
	size_t errlen;
	bool failed;
};

void overlay_plan_init(struct overlay_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
}

void overlay_plan_free(struct overlay_plan *plan)
{
	for (size_t i = 0; i < plan->count; i++)
		ruleset_free(&plan->targets[i].rules);
	free(plan->targets);
	overlay_plan_init(plan);
}

int overlay_netns_path(const char *netns_dir, const char *network_id, bool lb, char *out,
		       size_t outlen)
{
	const char *dir =
	    netns_dir != NULL && netns_dir[0] != '\0' ? netns_dir : OVERLAY_DEFAULT_NETNS_DIR;
	int n;

	if (strlen(network_id) < (lb ? OVERLAY_LB_ID_CHARS : OVERLAY_ID_CHARS))
		return -1;
	if (lb)
		n = snprintf(out, outlen, "%s/lb_%.*s", dir, OVERLAY_LB_ID_CHARS, network_id);
	else
		n = snprintf(out, outlen, "%s/1-%.*s", dir, OVERLAY_ID_CHARS, network_id);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

bool overlay_is_lb_endpoint(const struct inv_network *net, const struct inv_endpoint *endpoint)
{
	return strncmp(endpoint->container_id, "lb-", 3) == 0 &&
	       strcmp(endpoint->container_id + 3, net->name) == 0;
}

bool overlay_network(const struct inv_network *net)
{
	return strcmp(net->driver, "overlay") == 0 && net->bridge[0] == '\0';
}

/* Appends a rule on br0 (both sides), or marks the build failed. */
static struct rule *overlay_rule(struct overlay_build *build, int family, enum rule_verdict verdict)
{
	struct rule *rule;

	if (build->failed)
		return NULL;
	rule = ruleset_add(build->out);
	if (rule == NULL) {
		build->failed = true;
		snprintf(build->err, build->errlen, "out of memory compiling overlay rules");
		return NULL;
	}
	rule->family = family;
	rule->hook = RULE_HOOK_FORWARD;
	rule->verdict = verdict;
	snprintf(rule->in_iface, sizeof(rule->in_iface), "%s", OVERLAY_BRIDGE);
	snprintf(rule->out_iface, sizeof(rule->out_iface), "%s", OVERLAY_BRIDGE);
	return rule;
}

/* Writes a comment of printable ASCII only, truncated to fit. */
static void overlay_comment(struct rule *rule, const char *network, const char *what,
			    const char *name)
{
	int n = snprintf(rule->comment, sizeof(rule->comment), "tjd %s %s%s%s", network, what,
			 name ? " " : "", name ? name : "");

	if (n < 0)
		rule->comment[0] = '\0';
	for (char *c = rule->comment; *c; c++)
		if (*c < 0x20 || *c > 0x7e || *c == '"')
			*c = '_';
}

/* An allowance: from `address` when it enters br0 through `port`. */
static void overlay_allow(struct overlay_build *build, const struct prefix *address,
			  const char *port, const char *what, const char *name)
{
	struct rule *rule = overlay_rule(build, address->family, RULE_RETURN);

	if (rule == NULL)
		return;
	rule->src = *address;
	prefix_host(&rule->src);
	snprintf(rule->physdev_in, sizeof(rule->physdev_in), "%s", port);
	overlay_comment(rule, build->net->name, what, name);
}

/* True when a local endpoint of the network holds this address. */
static bool overlay_local_address(const struct inv_network *net, const struct prefix *address)
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
static bool overlay_peer_seen(const struct ruleset *out, size_t first, const struct prefix *address)
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
static void overlay_peers(struct overlay_build *build, const struct daemon_peers *peers, int family)
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
			if (overlay_local_address(build->net, address) ||
			    overlay_peer_seen(build->out, first, address))
				continue;
			overlay_allow(build, address, OVERLAY_VXLAN,
				      l == 0 ? "peer-lb" : "peer-allow", NULL);
		}
	}
}

/* Every rule of one family for one network's namespace. */
static void overlay_family(struct overlay_build *build, const struct daemon_peers *peers,
			   int family)
{
	const struct inv_network *net = build->net;
	struct rule *rule;

	rule = overlay_rule(build, family, RULE_RETURN);
	if (rule == NULL)
		return;
	/* Replies are not scoped to br0: nothing else is forwarded here anyway. */
	rule->in_iface[0] = rule->out_iface[0] = '\0';
	rule->ctstate = RULE_CT_ESTABLISHED | RULE_CT_RELATED;
	snprintf(rule->comment, sizeof(rule->comment), "tjd replies");
	if (family == AF_INET6) {
		for (size_t i = 0; i < sizeof(overlay_nd_types); i++) {
			rule = overlay_rule(build, family, RULE_RETURN);
			if (rule == NULL)
				return;
			rule->protocol = IPPROTO_ICMPV6;
			rule->has_icmp_type = true;
			rule->icmp_type = overlay_nd_types[i];
			overlay_comment(rule, net->name, "neighbour-discovery", NULL);
		}
	}
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
		overlay_allow(build, address, endpoint->bridge_port, lb ? "lb" : "allow",
			      lb ? NULL : endpoint->name);
	}
	overlay_peers(build, peers, family);
	rule = overlay_rule(build, family, RULE_DROP);
	if (rule != NULL)
		overlay_comment(rule, net->name, "isolate", NULL);
}

/* The pushed peers for a network id, or NULL. */
static const struct daemon_peers *overlay_find_peers(const struct daemon_peers *peers, size_t count,
						     const char *network_id)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(peers[i].network_id, network_id) == 0)
			return &peers[i];
	return NULL;
}

int overlay_compile(const struct conf *conf, const struct inventory *inv,
		    const struct daemon_peers *peers, size_t peer_count, struct overlay_plan *out,
		    char *err, size_t errlen)
{
	struct overlay_build build = {.err = err, .errlen = errlen};

	overlay_plan_free(out);
	for (size_t n = 0; n < inv->count; n++) {
		const struct inv_network *net = &inv->networks[n];
		struct overlay_target *target, *grown;

		if (!overlay_network(net) || conf_find_network(conf, net->name) == NULL)
			continue;
		grown = reallocarray(out->targets, out->count + 1, sizeof(*out->targets));
		if (grown == NULL) {
			snprintf(err, errlen, "out of memory compiling overlay rules");
			goto fail;
		}
		out->targets = grown;
		target = &out->targets[out->count];
		memset(target, 0, sizeof(*target));
		ruleset_init(&target->rules);
		out->count++;
		snprintf(target->network_id, sizeof(target->network_id), "%s", net->id);
		snprintf(target->network_name, sizeof(target->network_name), "%s", net->name);
		if (overlay_netns_path(inv->netns_dir, net->id, false, target->netns,
				       sizeof(target->netns)) < 0) {
			snprintf(err, errlen, "network %s: namespace path too long", net->name);
			goto fail;
		}
		build.out = &target->rules;
		build.net = net;
		overlay_family(&build, overlay_find_peers(peers, peer_count, net->id), AF_INET);
		overlay_family(&build, overlay_find_peers(peers, peer_count, net->id), AF_INET6);
		if (build.failed)
			goto fail;
	}
	return 0;
fail:
	overlay_plan_free(out);
	return -1;
}

/* ---- entering namespaces and applying ---- */

/* One namespace tjd has touched. */
struct overlay_entry {
	char network_id[INV_ID_MAX + 1];
	char netns[OVERLAY_PATH_MAX + 1];
	dev_t dev; /* identity of the namespace the backend was opened in */
	ino_t ino;
	struct backend backend;
	bool open;
	bool enforced;
	size_t rule_count;
	bool wanted; /* scratch: in the plan being applied */
};

struct overlay_state {
	struct overlay_entry *entries;
	size_t count;
};

struct overlay_state *overlay_state_new(void)
{
	return calloc(1, sizeof(struct overlay_state));
}

/* Closes an entry's backend (from any namespace: closing only frees memory and fds). */
static void overlay_entry_close(struct overlay_entry *entry)
{
	if (entry->open)
		entry->backend.ops->close(&entry->backend);
	entry->open = false;
	entry->enforced = false;
}

void overlay_state_free(struct overlay_state *state)
{
	if (state == NULL)
		return;
	for (size_t i = 0; i < state->count; i++)
		overlay_entry_close(&state->entries[i]);
	free(state->entries);
	free(state);
}

/* Finds or adds the entry for a namespace path. */
static struct overlay_entry *overlay_entry(struct overlay_state *state,
					   const struct overlay_target *target)
{
	struct overlay_entry *grown, *entry;

	for (size_t i = 0; i < state->count; i++)
		if (strcmp(state->entries[i].netns, target->netns) == 0)
			return &state->entries[i];
	grown = reallocarray(state->entries, state->count + 1, sizeof(*state->entries));
	if (grown == NULL)
		return NULL;
	state->entries = grown;
	entry = &state->entries[state->count++];
	memset(entry, 0, sizeof(*entry));
	snprintf(entry->netns, sizeof(entry->netns), "%s", target->netns);
	snprintf(entry->network_id, sizeof(entry->network_id), "%s", target->network_id);
	return entry;
}

/*
 * Reads br_netfilter's switches inside the current namespace and turns a 0
 * on (here only: each namespace has its own).  Without them bridged
 * traffic on br0 would never reach FORWARD and the rules would be decoration.
 */
static int overlay_bridge_netfilter(const char *netns, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(overlay_bridge_sysctls) / sizeof(char *); i++) {
		const char *path = overlay_bridge_sysctls[i];
		char value[8] = "";
		ssize_t length;
		int fd = open(path, O_RDWR | O_CLOEXEC);

		if (fd < 0) {
			snprintf(err, errlen, "%s inside %s: %s (is br_netfilter loaded?)", path,
				 netns, strerror(errno));
			return -1;
		}
		length = read(fd, value, sizeof(value) - 1);
		if (length > 0 && value[0] == '1') {
			close(fd);
			continue;
		}
		if (lseek(fd, 0, SEEK_SET) < 0 || write(fd, "1\n", 2) != 2) {
			snprintf(err, errlen, "cannot switch on %s inside %s: %s", path, netns,
				 strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
		log_warnx("%s was 0 inside overlay namespace %s: set it to 1 there (only there), "
			  "or bridged overlay traffic would bypass the firewall",
			  path, netns);
	}
	return 0;
}

/*
 * Identity of the namespace bound at path: 1 found, 0 absent (no local
 * endpoint, or dockerd is deleting it), -1 error.
 */
static int overlay_identify(const char *netns, dev_t *dev, ino_t *ino, char *err, size_t errlen)
{
	struct stat st;

	if (stat(netns, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", netns, strerror(errno));
		return -1;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 1;
}

/*
 * Inside the entry's namespace: opens the backend if needed, then applies
 * `rules`, or clears when rules is NULL.  The thread always comes back.
 */
static int overlay_in_namespace(struct overlay_entry *entry, const struct backend *template,
				const struct ruleset *rules, bool *changed, char *err,
				size_t errlen)
{
	char inner[512] = "";
	dev_t dev = 0;
	ino_t ino = 0;
	int saved = -1, found, ret = -1;

	*changed = false;
	found = overlay_identify(entry->netns, &dev, &ino, err, errlen);
	if (found <= 0) {
		/* Gone: its rules went with it.  A new one will need a new backend. */
		overlay_entry_close(entry);
		return found;
	}
	if (entry->open && (entry->dev != dev || entry->ino != ino)) {
		log_info("overlay namespace %s was re-created by dockerd", entry->netns);
		overlay_entry_close(entry);
	}
	if (netns_enter(entry->netns, &saved, inner, sizeof(inner)) < 0) {
		/* A name without a namespace behind it: dockerd is tearing it down. */
		if (errno == EINVAL || errno == ENOENT) {
			overlay_entry_close(entry);
			return 0;
		}
		snprintf(err, errlen, "%s", inner);
		return -1;
	}
	if (rules != NULL && overlay_bridge_netfilter(entry->netns, inner, sizeof(inner)) < 0)
		goto out;
	if (!entry->open) {
		entry->backend.ops = template->ops;
		memcpy(entry->backend.chain_forward, template->chain_forward,
		       sizeof(entry->backend.chain_forward));
		memcpy(entry->backend.chain_input, template->chain_input,
		       sizeof(entry->backend.chain_input));
		entry->backend.priv = NULL;
		if (entry->backend.ops->open(&entry->backend, inner, sizeof(inner)) < 0)
			goto out;
		entry->open = true;
		entry->dev = dev;
		entry->ino = ino;
	}
	if (rules != NULL) {
		if (entry->backend.ops->apply(&entry->backend, rules, changed, inner,
					      sizeof(inner)) < 0)
			goto out;
	} else {
		if (entry->backend.ops->clear(&entry->backend, inner, sizeof(inner)) < 0)
			goto out;
		*changed = true;
	}
	ret = 1;
out:
	netns_leave(saved, entry->netns);
	if (ret < 0)
		snprintf(err, errlen, "overlay namespace %s: %s", entry->netns, inner);
	return ret;
}

/* Removes entry i, closing its backend. */
static void overlay_entry_remove(struct overlay_state *state, size_t i)
{
	overlay_entry_close(&state->entries[i]);
	state->entries[i] = state->entries[state->count - 1];
	state->count--;
}

int overlay_apply(struct overlay_state *state, const struct backend *template,
		  const struct overlay_plan *plan, bool *changed, char *err, size_t errlen)
{
	char one[512];
	int ret = 0;

	*changed = false;
	for (size_t i = 0; i < state->count; i++)
		state->entries[i].wanted = false;
	for (size_t t = 0; t < plan->count; t++) {
		const struct overlay_target *target = &plan->targets[t];
		struct overlay_entry *entry = overlay_entry(state, target);
		bool entry_changed = false;
		int found;

		if (entry == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		entry->wanted = true;
		snprintf(entry->network_id, sizeof(entry->network_id), "%s", target->network_id);
		found = overlay_in_namespace(entry, template, &target->rules, &entry_changed, one,
					     sizeof(one));
		if (found < 0) {
			entry->enforced = false;
			if (ret == 0)
				snprintf(err, errlen, "%s", one);
			ret = -1;
			continue;
		}
		entry->enforced = found > 0;
		entry->rule_count = found > 0 ? target->rules.count : 0;
		if (entry_changed) {
			*changed = true;
			log_info("overlay %s: %zu rules applied in %s", target->network_name,
				 target->rules.count, entry->netns);
		}
	}
	/* Namespaces no longer protected (network unprotected or gone): take ours out. */
	for (size_t i = state->count; i-- > 0;) {
		struct overlay_entry *entry = &state->entries[i];
		bool entry_changed = false;

		if (entry->wanted)
			continue;
		if (overlay_in_namespace(entry, template, NULL, &entry_changed, one, sizeof(one)) <
		    0) {
			if (ret == 0)
				snprintf(err, errlen, "%s", one);
			ret = -1;
			continue;
		}
		if (entry_changed)
			log_info("overlay namespace %s: no longer protected, rules removed",
				 entry->netns);
		overlay_entry_remove(state, i);
	}
	return ret;
}

int overlay_clear(struct overlay_state *state, char *err, size_t errlen)
{
	char one[512];
	int ret = 0;

	if (state == NULL)
		return 0;
	for (size_t i = state->count; i-- > 0;) {
		struct overlay_entry *entry = &state->entries[i];
		bool changed = false;
		struct backend template = entry->backend;

		if (!entry->open)
			continue; /* never opened here: nothing of ours inside */
		if (overlay_in_namespace(entry, &template, NULL, &changed, one, sizeof(one)) < 0) {
			if (ret == 0)
				snprintf(err, errlen, "%s", one);
			ret = -1;
			continue;
		}
		overlay_entry_remove(state, i);
	}
	return ret;
}

bool overlay_lookup(const struct overlay_state *state, const char *network_id,
		    struct overlay_status *status)
{
	memset(status, 0, sizeof(*status));
	if (state == NULL)
		return false;
	for (size_t i = 0; i < state->count; i++) {
		const struct overlay_entry *entry = &state->entries[i];
		if (strcmp(entry->network_id, network_id) != 0)
			continue;
		snprintf(status->netns, sizeof(status->netns), "%s", entry->netns);
		status->enforced = entry->enforced;
		status->rule_count = entry->rule_count;
		return true;
	}
	return false;
}
