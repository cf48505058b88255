/*
 * set-peers: the swarm coordinator pushes, per overlay network, the other
 * nodes' load-balancer IPs and the allow-listed task IPs cluster-wide.  The
 * whole set is validated first and replaces the old one only if valid.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ident.h"
#include "tjd/ctl.h"
#include "tjd/daemon.h"

/* Parses a list of host addresses; -1 names the bad one in err. */
static int ctl_set_peers_addresses(char **texts, size_t count, struct prefix **out,
				   size_t *out_count, char *err, size_t errlen)
{
	struct prefix *addresses;

	*out = NULL;
	*out_count = 0;
	if (count == 0)
		return 0;
	if (count > PEERS_MAX_ADDRESSES) {
		snprintf(err, errlen, "more than %d addresses", PEERS_MAX_ADDRESSES);
		return -1;
	}
	addresses = calloc(count, sizeof(*addresses));
	if (addresses == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		if (prefix_parse_address(texts[i], &addresses[i]) < 0) {
			snprintf(err, errlen, "\"%.64s\" is not an IP address", texts[i]);
			free(addresses);
			return -1;
		}
	}
	*out = addresses;
	*out_count = count;
	return 0;
}

/* Validates the whole push, then swaps it in. */
static int ctl_set_peers_exec(struct ctl_context *ctx, const Tjd__V1__Request *request,
			      Tjd__V1__Response *reply)
{
	const Tjd__V1__SetPeersRequest *push = request->set_peers;
	struct tjd *tjd = ctx->tjd;
	struct peer_set *peers = NULL;
	size_t count = 0;
	char err[256];
	time_t now = time(NULL);

	if (push == NULL)
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID, "empty set-peers");
	if (push->n_networks > PEERS_MAX_NETWORKS)
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "more than %d networks", PEERS_MAX_NETWORKS);
	if (strlen(push->coordinator) >= sizeof(tjd->last_peer_push_from))
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "coordinator name too long");
	if (push->n_networks > 0) {
		peers = calloc(push->n_networks, sizeof(*peers));
		if (peers == NULL)
			return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_FAILED,
					 "out of memory");
	}
	for (count = 0; count < push->n_networks; count++) {
		const Tjd__V1__NetworkPeers *np = push->networks[count];
		struct peer_set *p = &peers[count];

		if (np == NULL || !ident_valid_id(np->network_id, strlen(np->network_id)) ||
		    strlen(np->network_name) > INV_NAME_MAX) {
			snprintf(err, sizeof(err), "network %zu: invalid id or name", count);
			goto invalid;
		}
		snprintf(p->network_id, sizeof(p->network_id), "%s", np->network_id);
		snprintf(p->network_name, sizeof(p->network_name), "%s", np->network_name);
		p->updated = now;
		if (ctl_set_peers_addresses(np->lb_ips, np->n_lb_ips, &p->lb_ips, &p->lb_count, err,
					    sizeof(err)) < 0 ||
		    ctl_set_peers_addresses(np->allowed_ips, np->n_allowed_ips, &p->allowed_ips,
					    &p->allowed_count, err, sizeof(err)) < 0)
			goto invalid;
	}
	daemon_set_peers(tjd, peers, count, push->coordinator);
	return 0;
invalid:
	peer_sets_free(peers, push->n_networks);
	return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID, "set-peers: %s", err);
}

const struct ctl_command ctl_set_peers_command = {
    .name = "set-peers",
    .command = TJD__V1__REQUEST__COMMAND_SET_PEERS,
    .flags = CTL_MUTATES,
    .exec = ctl_set_peers_exec,
};
