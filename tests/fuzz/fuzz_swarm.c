/*
 * Fuzz target: the swarm coordinator's Docker parsers, its planning and the
 * agent wire messages.  An input without NUL bytes is one document, given
 * to every parser and both wire decoders.  An input of NUL-separated parts
 * is a whole round of the coordinator: GET /nodes, /services, /tasks, the
 * verbose network inspect, then one agent report per node in order; it is
 * planned as the coordinator plans, and every peers message it would send
 * must decode on the agent's side.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/frame.h"
#include "swarm/plan.h"
#include "swarm/wire.h"

/* Documents before the reports in a round. */
#define FUZZ_SWARM_DOCUMENTS 4
/* Agents whose reports one round takes. */
#define FUZZ_SWARM_AGENTS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *const fuzz_swarm_allow[] = {(char *)"label=tjd.allow=true", (char *)"name=^/proxy"};

/* Encodes every node's peers message and checks that the agent accepts it. */
static void fuzz_swarm_send(const struct swarm_cluster *cluster, const struct swarm_plan *plan)
{
	char err[256];

	for (size_t i = 0; i < plan->node_count; i++) {
		char *message =
		    swarm_wire_peers_encode(&plan->nodes[i], i + 1, cluster->nodes[0].id);
		Tjd__V1__SetPeersRequest peers;

		Tjd__V1__SetPeersRequest *parts;
		size_t count;

		if (message == NULL ||
		    swarm_wire_peers_decode(message, &peers, err, sizeof(err)) < 0)
			abort();
		/* The agent's split: every part within the frame (checked inside), or none. */
		count = swarm_wire_peers_split(&peers, FRAME_MAX, &parts, err, sizeof(err));
		if (count == 0)
			abort();
		swarm_wire_parts_free(parts, count);
		swarm_wire_peers_free(&peers);
		free(message);
		if (swarm_plan_changed(plan, plan, plan->nodes[i].node_id))
			abort();
	}
}

/* One coordinator round from NUL-separated parts. */
static void fuzz_swarm_round(char *text, size_t size)
{
	char *parts[FUZZ_SWARM_DOCUMENTS + FUZZ_SWARM_AGENTS];
	size_t lengths[FUZZ_SWARM_DOCUMENTS + FUZZ_SWARM_AGENTS], count = 0, report_count = 0;
	struct swarm_report reports[FUZZ_SWARM_AGENTS * SWARM_MAX_NETWORKS];
	struct swarm_wire_report *wire = malloc(sizeof(*wire));
	struct swarm_cluster cluster;
	struct swarm_plan plan;
	char err[256], *at = text, *end = text + size;

	if (wire == NULL)
		return;
	while (count < sizeof(parts) / sizeof(parts[0]) && at <= end) {
		char *nul = memchr(at, '\0', (size_t)(end - at));
		parts[count] = at;
		lengths[count++] = (size_t)((nul != NULL ? nul : end) - at);
		if (nul == NULL)
			break;
		at = nul + 1;
	}
	swarm_cluster_init(&cluster);
	if (count < FUZZ_SWARM_DOCUMENTS ||
	    swarm_parse_nodes(parts[0], lengths[0], &cluster, err, sizeof(err)) < 0 ||
	    swarm_parse_services(parts[1], lengths[1], &cluster, err, sizeof(err)) < 0 ||
	    swarm_parse_tasks(parts[2], lengths[2], &cluster, err, sizeof(err)) < 0 ||
	    swarm_parse_network(parts[3], lengths[3], fuzz_swarm_allow, 2, &cluster, err,
				sizeof(err)) < 0 ||
	    cluster.node_count == 0)
		goto out;
	/* Agents are known by their certificates: report i speaks for node i. */
	for (size_t a = 0; a + FUZZ_SWARM_DOCUMENTS < count && a < cluster.node_count; a++) {
		if (swarm_wire_report_decode(parts[a + FUZZ_SWARM_DOCUMENTS], wire, err,
					     sizeof(err)) < 0)
			continue;
		for (size_t n = 0; n < wire->network_count; n++) {
			struct swarm_report *report = &reports[report_count++];
			memcpy(report->node_id, cluster.nodes[a].id, sizeof(report->node_id));
			memcpy(report->network_id, wire->networks[n].id,
			       sizeof(report->network_id));
			memcpy(report->lb_ips, wire->networks[n].lb_ips, sizeof(report->lb_ips));
			report->lb_count = wire->networks[n].lb_count;
		}
	}
	if (swarm_plan_compute(&cluster, reports, report_count, &plan, err, sizeof(err)) == 0) {
		fuzz_swarm_send(&cluster, &plan);
		swarm_plan_free(&plan);
	}
out:
	swarm_cluster_free(&cluster);
	free(wire);
}

/* One document given to every parser alone. */
static void fuzz_swarm_document(const char *text, size_t size)
{
	char err[256], id[SWARM_ID_MAX + 1];
	struct swarm_cluster cluster;
	struct swarm_plan plan;
	struct swarm_report report;
	struct swarm_wire_report *wire = malloc(sizeof(*wire));
	Tjd__V1__SetPeersRequest peers;

	if (wire == NULL)
		return;
	swarm_cluster_init(&cluster);
	swarm_parse_nodes(text, size, &cluster, err, sizeof(err));
	swarm_parse_services(text, size, &cluster, err, sizeof(err));
	swarm_parse_tasks(text, size, &cluster, err, sizeof(err));
	swarm_parse_network(text, size, fuzz_swarm_allow, 2, &cluster, err, sizeof(err));
	swarm_find_network(text, size, "web", id, sizeof(id), err, sizeof(err));
	memset(&report, 0, sizeof(report));
	if (cluster.node_count > 0 && cluster.network_count > 0) {
		strcpy(report.node_id, cluster.nodes[0].id);
		strcpy(report.network_id, cluster.networks[0].id);
		strcpy(report.lb_ips[0], "10.0.0.5");
		report.lb_count = 1;
	}
	if (swarm_plan_compute(&cluster, &report, 1, &plan, err, sizeof(err)) == 0)
		swarm_plan_free(&plan);
	swarm_cluster_free(&cluster);
	swarm_wire_report_decode(text, wire, err, sizeof(err));
	if (swarm_wire_peers_decode(text, &peers, err, sizeof(err)) == 0)
		swarm_wire_peers_free(&peers);
	swarm_filter_check(text, err, sizeof(err));
	free(wire);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (memchr(data, '\0', size) == NULL)
		fuzz_swarm_document(text, size);
	else
		fuzz_swarm_round(text, size);
	free(text);
	return 0;
}
