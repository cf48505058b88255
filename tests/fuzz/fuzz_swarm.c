/* Fuzz target: the swarm coordinator's Docker parsers and the agent wire messages. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swarm/plan.h"
#include "swarm/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const allow[] = {(char *)"label=tjd.allow=true", (char *)"name=^/proxy"};
	char *text = malloc(size + 1);
	char err[256], id[SWARM_ID_MAX + 1];
	struct swarm_cluster cluster;
	struct swarm_plan plan;
	struct swarm_report report;
	struct swarm_wire_report *wire = malloc(sizeof(*wire));
	Tjd__V1__SetPeersRequest peers;

	if (text == NULL || wire == NULL) {
		free(text);
		free(wire);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	swarm_cluster_init(&cluster);
	swarm_parse_nodes(text, size, &cluster, err, sizeof(err));
	swarm_parse_services(text, size, &cluster, err, sizeof(err));
	swarm_parse_tasks(text, size, &cluster, err, sizeof(err));
	swarm_parse_network(text, size, allow, 2, &cluster, err, sizeof(err));
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
	if (memchr(data, '\0', size) == NULL) {
		swarm_wire_report_decode(text, wire, err, sizeof(err));
		if (swarm_wire_peers_decode(text, &peers, err, sizeof(err)) == 0)
			swarm_wire_peers_free(&peers);
	}
	swarm_filter_check(text, err, sizeof(err));
	free(wire);
	free(text);
	return 0;
}
