/*
 * set-peers: the swarm coordinator pushes, per overlay network, the other
 * nodes' load-balancer IPs and the allow-listed task IPs cluster-wide.  The
 * whole set is validated first and replaces the old one only if valid.  A
 * set too large for one frame comes in parts, held aside until the last.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ident.h"
#include "tjd/ctl.h"
#include "tjd/daemon.h"

/* Appends a list of host addresses to *out, at most PEERS_MAX_ADDRESSES in all; -1 names the bad
 * one. */
static int ctl_set_peers_addresses(char **texts, size_t count, struct prefix **out,
				   size_t *out_count, char *err, size_t errlen)
{
	struct prefix *grown;

	if (count == 0)
		return 0;
	if (count > PEERS_MAX_ADDRESSES - *out_count) {
		snprintf(err, errlen, "more than %d addresses", PEERS_MAX_ADDRESSES);
		return -1;
	}
	grown = realloc(*out, (*out_count + count) * sizeof(*grown));
	if (grown == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*out = grown;
	for (size_t i = 0; i < count; i++) {
		if (prefix_parse_address(texts[i], &grown[*out_count + i]) < 0) {
			snprintf(err, errlen, "\"%.64s\" is not an IP address", texts[i]);
			return -1;
		}
	}
	*out_count += count;
	return 0;
}

/* Checks a network's id and name; -1 with err. */
static int ctl_set_peers_network(const Tjd__V1__NetworkPeers *np, size_t index, char *err,
				 size_t errlen)
{
	if (np == NULL || !ident_valid_id(np->network_id, strlen(np->network_id)) ||
	    strlen(np->network_name) > INV_NAME_MAX) {
		snprintf(err, errlen, "network %zu: invalid id or name", index);
		return -1;
	}
	return 0;
}

/* Discards a push in parts that has not been completed. */
static void ctl_set_peers_discard(struct tjd *tjd)
{
	peer_parts_free(tjd->peer_parts);
	tjd->peer_parts = NULL;
}

/* Adds one part's networks to those held aside; a network seen before gets its lists extended. */
static int ctl_set_peers_merge(struct peer_parts *parts, const Tjd__V1__SetPeersRequest *push,
			       time_t now, char *err, size_t errlen)
{
	for (size_t n = 0; n < push->n_networks; n++) {
		const Tjd__V1__NetworkPeers *np = push->networks[n];
		struct peer_set *p = NULL;

		if (ctl_set_peers_network(np, n, err, errlen) < 0)
			return -1;
		for (size_t i = 0; i < parts->set_count && p == NULL; i++)
			if (strcmp(parts->sets[i].network_id, np->network_id) == 0)
				p = &parts->sets[i];
		if (p != NULL && strcmp(p->network_name, np->network_name) != 0) {
			snprintf(err, errlen, "network %s: two names", np->network_id);
			return -1;
		}
		if (p == NULL) {
			if (parts->set_count >= PEERS_MAX_NETWORKS) {
				snprintf(err, errlen, "more than %d networks", PEERS_MAX_NETWORKS);
				return -1;
			}
			p = &parts->sets[parts->set_count++];
			snprintf(p->network_id, sizeof(p->network_id), "%s", np->network_id);
			snprintf(p->network_name, sizeof(p->network_name), "%s", np->network_name);
			p->updated = now;
		}
		if (ctl_set_peers_addresses(np->lb_ips, np->n_lb_ips, &p->lb_ips, &p->lb_count, err,
					    errlen) < 0 ||
		    ctl_set_peers_addresses(np->allowed_ips, np->n_allowed_ips, &p->allowed_ips,
					    &p->allowed_count, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/*
 * One part of a push too large for a frame: held aside, checked as it
 * comes, and swapped in whole with the last part.  Anything out of order
 * or invalid discards the parts; the peers in force never change before
 * the last part, so a push cut short leaves them as they were.
 */
static int ctl_set_peers_part(struct ctl_context *ctx, const Tjd__V1__SetPeersRequest *push,
			      Tjd__V1__Response *reply)
{
	struct tjd *tjd = ctx->tjd;
	struct peer_parts *parts = tjd->peer_parts;
	char err[256];

	if (push->part_count > PEERS_MAX_PARTS || push->part >= push->part_count) {
		ctl_set_peers_discard(tjd);
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "set-peers: part %u of %u (at most %d parts)", push->part,
				 push->part_count, PEERS_MAX_PARTS);
	}
	if (push->part == 0) {
		ctl_set_peers_discard(tjd);
		parts = calloc(1, sizeof(*parts));
		if (parts != NULL)
			parts->sets = calloc(PEERS_MAX_NETWORKS, sizeof(*parts->sets));
		if (parts == NULL || parts->sets == NULL) {
			free(parts);
			return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_FAILED,
					 "out of memory");
		}
		snprintf(parts->coordinator, sizeof(parts->coordinator), "%s", push->coordinator);
		parts->generation = push->generation;
		parts->count = push->part_count;
		tjd->peer_parts = parts;
	} else if (parts == NULL || parts->next != push->part || parts->count != push->part_count ||
		   parts->generation != push->generation ||
		   strcmp(parts->coordinator, push->coordinator) != 0) {
		ctl_set_peers_discard(tjd);
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "set-peers: part %u of %u of generation %llu does not follow the "
				 "parts received; none is applied",
				 push->part, push->part_count,
				 (unsigned long long)push->generation);
	}
	if (ctl_set_peers_merge(parts, push, time(NULL), err, sizeof(err)) < 0) {
		ctl_set_peers_discard(tjd);
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "set-peers: part %u of %u: %s; none is applied", push->part,
				 push->part_count, err);
	}
	if (++parts->next < parts->count)
		return 0;
	for (size_t i = 0; i < parts->set_count; i++)
		parts->sets[i].updated = time(NULL);
	daemon_set_peers(tjd, parts->sets, parts->set_count, push->coordinator);
	parts->sets = NULL;
	parts->set_count = 0;
	ctl_set_peers_discard(tjd);
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
	if (strlen(push->coordinator) >= sizeof(tjd->last_peer_push_from))
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "coordinator name too long");
	if (push->part_count > 1 || push->part > 0)
		return ctl_set_peers_part(ctx, push, reply);
	/* A whole set supersedes a push in parts not yet complete. */
	ctl_set_peers_discard(tjd);
	if (push->n_networks > PEERS_MAX_NETWORKS)
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "more than %d networks", PEERS_MAX_NETWORKS);
	if (push->n_networks > 0) {
		peers = calloc(push->n_networks, sizeof(*peers));
		if (peers == NULL)
			return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_FAILED,
					 "out of memory");
	}
	for (count = 0; count < push->n_networks; count++) {
		const Tjd__V1__NetworkPeers *np = push->networks[count];
		struct peer_set *p = &peers[count];

		if (ctl_set_peers_network(np, count, err, sizeof(err)) < 0)
			goto invalid;
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
