/*
 * Benchmark: the swarm coordinator's planning and the set-peers push at
 * scale, by simulation.  Generates the Docker API responses a manager of a
 * large swarm gives (GET /nodes, /services, /tasks?filters=running, and a
 * verbose inspect of every protected overlay network, in the shape of the
 * recorded ones in tests/unit/data/swarm/) and every agent's report of its
 * load-balancer addresses, then runs what one coordinator round runs:
 * parse, plan, encode each node's peers message; and what each agent runs:
 * decode it and split it into set-peers requests for its tjd.
 *
 * Prints planning time (median and maximum over the runs, parsing and
 * planning apart), memory (peak resident and the heap the cluster and plan
 * hold), message sizes (the largest set-peers request per node, bytes per
 * round coordinator -> agents and agents -> tjd) and the fan-out (messages
 * per round, per node), for a full round (every set new) and for a round
 * after one allow-listed task started.  Asserts nothing about time; exits
 * non-zero only when something fails or a request would exceed the frame.
 *
 * Defaults: 500 nodes, 50 protected networks, 10,000 allow-listed tasks and
 * 20,000 others (half of them on two networks), 5 runs.
 */
#include "config.h"

#include <getopt.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/frame.h"
#include "swarm/plan.h"
#include "swarm/wire.h"

/* Tasks per service. */
#define BENCH_REPLICAS 100

static struct {
	unsigned nodes, networks, allowed, others, runs;
} bench = {500, 50, 10000, 20000, 5};

/* A growable text buffer. */
struct bench_text {
	char *data;
	size_t length, size;
};

/* Appends formatted text; exits when out of memory. */
static void bench_printf(struct bench_text *text, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void bench_printf(struct bench_text *text, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(text->data + text->length, text->size - text->length, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < text->size - text->length)
			break;
		text->size = text->size ? text->size * 2 : 1 << 20;
		text->data = realloc(text->data, text->size);
		if (text->data == NULL) {
			fprintf(stderr, "bench: out of memory\n");
			exit(1);
		}
	}
	text->length += (size_t)n;
}

/* Drops a trailing comma (the end of a JSON list). */
static void bench_unlist(struct bench_text *text)
{
	if (text->length > 0 && text->data[text->length - 1] == ',')
		text->data[--text->length] = '\0';
}

/* A 25-character base-36 swarm id for (kind, number). */
static void bench_id(char *out, char kind, unsigned number)
{
	snprintf(out, SWARM_ID_MAX + 1, "%c%024u", kind, number);
}

/* Monotonic milliseconds. */
static double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A field of /proc/self/status in kB. */
static long bench_status_kb(const char *field)
{
	char line[256];
	long value = -1;
	FILE *file = fopen("/proc/self/status", "re");

	while (file != NULL && fgets(line, sizeof(line), file) != NULL)
		if (strncmp(line, field, strlen(field)) == 0 && line[strlen(field)] == ':')
			value = strtol(line + strlen(field) + 1, NULL, 10);
	if (file != NULL)
		fclose(file);
	return value;
}

/* Bytes malloc holds. */
static size_t bench_heap(void)
{
	struct mallinfo2 info = mallinfo2();

	return info.uordblks + info.hblkhd;
}

/* qsort comparator for doubles. */
static int bench_compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One service: its tasks' networks and whether they are allow-listed. */
struct bench_service {
	unsigned first_task, task_count;
	unsigned networks[2];
	unsigned network_count;
	bool allowed;
};

/* The generated swarm: what Docker would answer, and what agents report. */
struct bench_swarm {
	char *nodes, *services, *tasks;
	size_t nodes_length, services_length, tasks_length;
	char **network_docs;
	size_t *network_lengths;
	struct swarm_report *reports;
	size_t report_count;
	size_t bytes; /* all documents */
};

/* The node of a service's task in slot t (spread over the nodes like the scheduler would). */
static unsigned bench_task_node(unsigned service, unsigned t)
{
	return (unsigned)(((unsigned long long)service * 131u + (unsigned long long)t * 7919u) %
			  bench.nodes);
}

/* The address of slot `index` on network n (10.<n+1>.0.0/16; .0.1 is the gateway). */
static void bench_address(char *out, size_t size, unsigned n, unsigned index)
{
	snprintf(out, size, "10.%u.%u.%u", n + 1, (index + 2) / 256, (index + 2) % 256);
}

/* Builds every document; `extra` adds one allow-listed task to the last allowed service. */
static void bench_generate(struct bench_swarm *swarm, bool extra)
{
	unsigned services = (bench.allowed + bench.others + BENCH_REPLICAS - 1) / BENCH_REPLICAS;
	unsigned tasks = 0, *next_address = calloc(bench.networks, sizeof(unsigned));
	struct bench_service *service = calloc(services, sizeof(*service));
	unsigned *task_address = NULL;
	bool *lb = calloc((size_t)bench.nodes * bench.networks, sizeof(bool));
	unsigned *lb_address = calloc((size_t)bench.nodes * bench.networks, sizeof(unsigned));
	struct bench_text text = {0};
	char id[SWARM_ID_MAX + 1], node[SWARM_ID_MAX + 1], net[SWARM_ID_MAX + 1];
	char address[SWARM_ADDRESS_MAX];

	memset(swarm, 0, sizeof(*swarm));
	if (next_address == NULL || service == NULL || lb == NULL || lb_address == NULL)
		exit(1);
	/* services: allow-listed ones first, each on one network; the others on one or two */
	for (unsigned s = 0; s < services; s++) {
		unsigned want = s * BENCH_REPLICAS < bench.allowed
				    ? bench.allowed - s * BENCH_REPLICAS
				    : bench.allowed + bench.others - s * BENCH_REPLICAS;
		service[s].allowed = s * BENCH_REPLICAS < bench.allowed;
		service[s].task_count = want < BENCH_REPLICAS ? want : BENCH_REPLICAS;
		if (extra && service[s].allowed && (s + 1) * BENCH_REPLICAS >= bench.allowed)
			service[s].task_count++;
		service[s].first_task = tasks;
		tasks += service[s].task_count;
		service[s].networks[0] = s % bench.networks;
		service[s].network_count = 1;
		if (!service[s].allowed && s % 2 == 0 && bench.networks > 1) {
			service[s].networks[1] = (s + 1) % bench.networks;
			service[s].network_count = 2;
		}
	}
	task_address = calloc((size_t)tasks * 2 + 1, sizeof(unsigned));
	if (task_address == NULL)
		exit(1);
	/* addresses in order; the extra task's last, so that no other address moves */
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned s = 0; s < services; s++)
			for (unsigned t = 0; t < service[s].task_count; t++) {
				bool last = extra && service[s].allowed &&
					    (s + 1) * BENCH_REPLICAS >= bench.allowed &&
					    t + 1 == service[s].task_count;
				if (last != (pass == 1))
					continue;
				for (unsigned a = 0; a < service[s].network_count; a++) {
					unsigned n = service[s].networks[a];
					unsigned task = service[s].first_task + t;
					task_address[task * 2 + a] = next_address[n]++;
					lb[(size_t)bench_task_node(s, t) * bench.networks + n] =
					    true;
				}
			}
	/* every node with a task on a network has its load balancer there (from .200.0 up) */
	for (unsigned k = 0; k < bench.nodes; k++)
		for (unsigned n = 0; n < bench.networks; n++)
			if (lb[(size_t)k * bench.networks + n])
				lb_address[(size_t)k * bench.networks + n] = 200 * 256 + k;

	/* GET /nodes */
	bench_printf(&text, "[");
	for (unsigned k = 0; k < bench.nodes; k++) {
		bench_id(node, 'n', k);
		bench_printf(
		    &text,
		    "{\"ID\":\"%s\",\"Version\":{\"Index\":%u},\"CreatedAt\":\"2026-11-23T14:"
		    "40:00.000000000Z\",\"Spec\":{\"Labels\":{},\"Role\":\"%s\","
		    "\"Availability\":\"active\"},\"Description\":{\"Hostname\":\"node%u\","
		    "\"Platform\":{\"Architecture\":\"x86_64\",\"OS\":\"linux\"},"
		    "\"Resources\":{\"NanoCPUs\":8000000000,\"MemoryBytes\":33554432000},"
		    "\"Engine\":{\"EngineVersion\":\"27.3.1\"}},\"Status\":{\"State\":"
		    "\"ready\",\"Addr\":\"192.168.%u.%u\"}},",
		    node, 10 + k, k < 3 ? "manager" : "worker", k, k / 250, k % 250 + 1);
	}
	bench_unlist(&text);
	bench_printf(&text, "]");
	swarm->nodes = text.data;
	swarm->nodes_length = text.length;
	memset(&text, 0, sizeof(text));

	/* GET /services */
	bench_printf(&text, "[");
	for (unsigned s = 0; s < services; s++) {
		bench_id(id, 's', s);
		bench_printf(
		    &text,
		    "{\"ID\":\"%s\",\"Version\":{\"Index\":%u},\"Spec\":{\"Name\":\"svc%u\","
		    "\"Labels\":{},\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":"
		    "\"registry.example.com/app%u:1.%u\"}},\"Mode\":{\"Replicated\":{"
		    "\"Replicas\":%u}}},\"Endpoint\":{\"Spec\":{\"Mode\":\"vip\"}}},",
		    id, 100 + s, s, s, s % 7, service[s].task_count);
	}
	bench_unlist(&text);
	bench_printf(&text, "]");
	swarm->services = text.data;
	swarm->services_length = text.length;
	memset(&text, 0, sizeof(text));

	/* GET /tasks?filters={"desired-state":["running"]}, with the attachments Docker sends */
	bench_printf(&text, "[");
	for (unsigned s = 0; s < services; s++)
		for (unsigned t = 0; t < service[s].task_count; t++) {
			unsigned task = service[s].first_task + t;
			char service_id[SWARM_ID_MAX + 1];
			bench_id(id, 't', task);
			bench_id(service_id, 's', s);
			bench_id(node, 'n', bench_task_node(s, t));
			bench_printf(
			    &text,
			    "{\"ID\":\"%s\",\"Version\":{\"Index\":%u},\"CreatedAt\":\"2026-"
			    "11-23T14:47:47.733577937Z\",\"UpdatedAt\":\"2026-11-23T14:47:49."
			    "31012516Z\",\"Labels\":{},\"Spec\":{\"ContainerSpec\":{\"Image\":"
			    "\"registry.example.com/app%u:1.%u@sha256:"
			    "4b1e6d7f9a2c3e5d7f9a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e\","
			    "\"Labels\":{%s},\"Init\":false,\"StopGracePeriod\":10000000000,"
			    "\"DNSConfig\":{},\"Isolation\":\"default\"},\"Resources\":{"
			    "\"Limits\":{},\"Reservations\":{}},\"Placement\":{},\"Networks\":["
			    "{\"Target\":\"%s\"}],\"ForceUpdate\":0},\"ServiceID\":\"%s\","
			    "\"Slot\":%u,\"NodeID\":\"%s\",\"Status\":{\"Timestamp\":\"2026-11-"
			    "23T14:47:49.230871857Z\",\"State\":\"running\",\"Message\":"
			    "\"started\",\"ContainerStatus\":{\"ContainerID\":\"%056u%08x\","
			    "\"PID\":%u,\"ExitCode\":0},\"PortStatus\":{}},\"DesiredState\":"
			    "\"running\",\"NetworksAttachments\":[",
			    id, 1000 + task, s, s % 7,
			    service[s].allowed ? "\"tjd.allow\":\"true\"" : "",
			    (bench_id(net, 'w', service[s].networks[0]), net), service_id, t + 1,
			    node, task, task, 1000 + task);
			for (unsigned a = 0; a < service[s].network_count; a++) {
				unsigned n = service[s].networks[a];
				bench_id(net, 'w', n);
				bench_address(address, sizeof(address), n,
					      task_address[task * 2 + a]);
				bench_printf(
				    &text,
				    "{\"Network\":{\"ID\":\"%s\",\"Version\":{\"Index\":17},"
				    "\"CreatedAt\":\"2026-11-23T14:47:47.660475422Z\","
				    "\"UpdatedAt\":"
				    "\"2026-11-23T14:47:47.661179778Z\",\"Spec\":{\"Name\":\"net%"
				    "02u\","
				    "\"Labels\":{},\"DriverConfiguration\":{\"Name\":\"overlay\"},"
				    "\"IPAMOptions\":{\"Driver\":{\"Name\":\"default\"},"
				    "\"Configs\":[{"
				    "\"Subnet\":\"10.%u.0.0/"
				    "16\",\"Gateway\":\"10.%u.0.1\"}]},\"Scope\":"
				    "\"swarm\"},\"DriverState\":{\"Name\":\"overlay\",\"Options\":{"
				    "\"com.docker.network.driver.overlay.vxlanid_list\":\"%u\"}},"
				    "\"IPAMOptions\":{\"Driver\":{\"Name\":\"default\"},"
				    "\"Configs\":[{"
				    "\"Subnet\":\"10.%u.0.0/16\",\"Gateway\":\"10.%u.0.1\"}]}},"
				    "\"Addresses\":[\"%s/16\"]},",
				    net, n, n + 1, n + 1, 4097 + n, n + 1, n + 1, address);
			}
			bench_unlist(&text);
			bench_printf(&text, "]},");
		}
	bench_unlist(&text);
	bench_printf(&text, "]");
	swarm->tasks = text.data;
	swarm->tasks_length = text.length;
	memset(&text, 0, sizeof(text));

	/* GET /networks/{id}?verbose=true for each protected network */
	swarm->network_docs = calloc(bench.networks, sizeof(char *));
	swarm->network_lengths = calloc(bench.networks, sizeof(size_t));
	for (unsigned n = 0; n < bench.networks; n++) {
		bool first_service = true;
		bench_id(net, 'w', n);
		bench_printf(
		    &text,
		    "{\"Name\":\"net%02u\",\"Id\":\"%s\",\"Created\":\"2026-11-23T14:47:47."
		    "898056431Z\",\"Scope\":\"swarm\",\"Driver\":\"overlay\",\"EnableIPv6\":"
		    "false,\"IPAM\":{\"Driver\":\"default\",\"Options\":null,\"Config\":[{"
		    "\"Subnet\":\"10.%u.0.0/16\",\"Gateway\":\"10.%u.0.1\"}]},\"Internal\":"
		    "false,\"Attachable\":false,\"Ingress\":false,\"Containers\":{",
		    n, net, n + 1, n + 1);
		/* the manager's (node 0's) own endpoints, its load balancer among them */
		for (unsigned s = 0; s < services; s++)
			for (unsigned a = 0; a < service[s].network_count; a++) {
				if (service[s].networks[a] != n)
					continue;
				for (unsigned t = 0; t < service[s].task_count; t++) {
					unsigned task = service[s].first_task + t;
					if (bench_task_node(s, t) != 0)
						continue;
					bench_address(address, sizeof(address), n,
						      task_address[task * 2 + a]);
					bench_printf(
					    &text,
					    "\"%056u%08x\":{\"Name\":\"svc%u.%u.t%024u\","
					    "\"EndpointID\":\"%064u\",\"MacAddress\":\"02:42:"
					    "0a:00:00:02\",\"IPv4Address\":\"%s/16\","
					    "\"IPv6Address\":\"\"},",
					    task, task, s, t + 1, task, task, address);
				}
			}
		if (lb[n]) {
			bench_address(address, sizeof(address), n, lb_address[n]);
			bench_printf(
			    &text,
			    "\"lb-net%02u\":{\"Name\":\"net%02u-endpoint\",\"EndpointID\":"
			    "\"%064u\",\"MacAddress\":\"02:42:0a:00:00:05\",\"IPv4Address\":"
			    "\"%s/16\",\"IPv6Address\":\"\"},",
			    n, n, n, address);
		}
		bench_unlist(&text);
		bench_printf(&text,
			     "},\"Options\":{\"com.docker.network.driver.overlay.vxlanid_list\":"
			     "\"%u\"},\"Labels\":{},\"Peers\":[",
			     4097 + n);
		for (unsigned k = 0; k < bench.nodes; k++)
			if (lb[(size_t)k * bench.networks + n])
				bench_printf(&text,
					     "{\"Name\":\"%012x\",\"IP\":\"192.168.%u.%u\"},", k,
					     k / 250, k % 250 + 1);
		bench_unlist(&text);
		bench_printf(&text, "],\"Services\":{");
		/* every task cluster-wide, by service */
		for (unsigned s = 0; s < services; s++)
			for (unsigned a = 0; a < service[s].network_count; a++) {
				if (service[s].networks[a] != n)
					continue;
				bench_printf(&text,
					     "%s\"svc%u\":{\"VIP\":\"10.%u.255.%u\",\"Ports\":[],"
					     "\"LocalLBIndex\":%u,\"Tasks\":[",
					     first_service ? "" : ",", s, n + 1, s % 250 + 1,
					     257 + s);
				first_service = false;
				for (unsigned t = 0; t < service[s].task_count; t++) {
					unsigned task = service[s].first_task + t;
					unsigned k = bench_task_node(s, t);
					bench_address(address, sizeof(address), n,
						      task_address[task * 2 + a]);
					bench_printf(&text,
						     "{\"Name\":\"svc%u.%u.t%024u\",\"EndpointID\":"
						     "\"%064u\",\"EndpointIP\":\"%s\",\"Info\":{"
						     "\"Host IP\":\"192.168.%u.%u\"}},",
						     s, t + 1, task, task, address, k / 250,
						     k % 250 + 1);
				}
				bench_unlist(&text);
				bench_printf(&text, "]}");
			}
		bench_printf(&text, "}}");
		swarm->network_docs[n] = text.data;
		swarm->network_lengths[n] = text.length;
		swarm->bytes += text.length;
		memset(&text, 0, sizeof(text));
	}
	swarm->bytes += swarm->nodes_length + swarm->services_length + swarm->tasks_length;

	/* every agent's report: its load-balancer address on each network it is on */
	swarm->reports = calloc((size_t)bench.nodes * bench.networks + 1, sizeof(*swarm->reports));
	for (unsigned k = 0; k < bench.nodes; k++)
		for (unsigned n = 0; n < bench.networks; n++) {
			struct swarm_report *report;
			if (!lb[(size_t)k * bench.networks + n])
				continue;
			report = &swarm->reports[swarm->report_count++];
			bench_id(report->node_id, 'n', k);
			bench_id(report->network_id, 'w', n);
			bench_address(report->lb_ips[0], sizeof(report->lb_ips[0]), n,
				      lb_address[(size_t)k * bench.networks + n]);
			report->lb_count = 1;
		}
	free(next_address);
	free(service);
	free(task_address);
	free(lb);
	free(lb_address);
}

/* Releases the documents. */
static void bench_swarm_free(struct bench_swarm *swarm)
{
	free(swarm->nodes);
	free(swarm->services);
	free(swarm->tasks);
	for (unsigned n = 0; swarm->network_docs != NULL && n < bench.networks; n++)
		free(swarm->network_docs[n]);
	free(swarm->network_docs);
	free(swarm->network_lengths);
	free(swarm->reports);
}

/* Parses every document into a cluster, as coordinator_read_cluster does; exits on error. */
static void bench_parse(const struct bench_swarm *swarm, struct swarm_cluster *cluster)
{
	char *const allow[] = {(char *)"label=tjd.allow=true"};
	char err[512] = "";

	swarm_cluster_init(cluster);
	if (swarm_parse_nodes(swarm->nodes, swarm->nodes_length, cluster, err, sizeof(err)) < 0 ||
	    swarm_parse_services(swarm->services, swarm->services_length, cluster, err,
				 sizeof(err)) < 0 ||
	    swarm_parse_tasks(swarm->tasks, swarm->tasks_length, cluster, err, sizeof(err)) < 0)
		goto fail;
	for (unsigned n = 0; n < bench.networks; n++)
		if (swarm_parse_network(swarm->network_docs[n], swarm->network_lengths[n], allow, 1,
					cluster, err, sizeof(err)) < 0)
			goto fail;
	return;
fail:
	fprintf(stderr, "bench: %s\n", err);
	exit(1);
}

/* What one round sends: per node, the peers message and the set-peers requests. */
struct bench_round {
	size_t pushes;	      /* nodes whose set changed */
	size_t wire_bytes;    /* coordinator -> agents */
	size_t wire_max;      /* the largest peers message */
	size_t requests;      /* agents -> tjd */
	size_t request_bytes; /* agents -> tjd */
	size_t request_max;   /* the largest set-peers request of any node */
	size_t parts_min, parts_max;
	size_t addresses_max; /* peer addresses of one node */
	size_t oversize;      /* requests past FRAME_MAX (must be 0) */
};

/* Encodes, decodes and splits the set of every node that changed since `old` (NULL: all). */
static void bench_push(const struct swarm_plan *old, const struct swarm_plan *plan,
		       struct bench_round *round)
{
	memset(round, 0, sizeof(*round));
	round->parts_min = SIZE_MAX;
	for (size_t i = 0; i < plan->node_count; i++) {
		const struct swarm_node_plan *node = &plan->nodes[i];
		Tjd__V1__SetPeersRequest peers, *parts;
		size_t count, length, addresses = 0;
		char err[256], *message;

		if (old != NULL && !swarm_plan_changed(old, plan, node->node_id))
			continue;
		if (swarm_wire_peers_fit(node, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench: node %s: %s\n", node->node_id, err);
			exit(1);
		}
		message = swarm_wire_peers_encode(node, i + 1, plan->nodes[0].node_id);
		if (message == NULL ||
		    swarm_wire_peers_decode(message, &peers, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench: peers message: %s\n", message ? err : "no memory");
			exit(1);
		}
		length = strlen(message) + 1;
		count = swarm_wire_peers_split(&peers, FRAME_MAX, &parts, err, sizeof(err));
		if (count == 0) {
			fprintf(stderr, "bench: split: %s\n", err);
			exit(1);
		}
		round->pushes++;
		round->wire_bytes += length;
		if (length > round->wire_max)
			round->wire_max = length;
		for (size_t p = 0; p < count; p++) {
			Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
			size_t packed;
			request.version = TJD_PROTOCOL_VERSION;
			request.command_case = TJD__V1__REQUEST__COMMAND_SET_PEERS;
			request.set_peers = &parts[p];
			packed = tjd__v1__request__get_packed_size(&request);
			round->requests++;
			round->request_bytes += packed;
			if (packed > round->request_max)
				round->request_max = packed;
			if (packed > FRAME_MAX)
				round->oversize++;
		}
		for (size_t n = 0; n < node->network_count; n++)
			addresses += node->networks[n].lb_count + node->networks[n].allowed_count;
		if (addresses > round->addresses_max)
			round->addresses_max = addresses;
		if (count < round->parts_min)
			round->parts_min = count;
		if (count > round->parts_max)
			round->parts_max = count;
		swarm_wire_parts_free(parts, count);
		swarm_wire_peers_free(&peers);
		free(message);
	}
	if (round->pushes == 0)
		round->parts_min = 0;
}

/* Prints one round's messages. */
static void bench_print_round(const char *what, const struct bench_round *round)
{
	printf("%s\n", what);
	printf("  nodes pushed                      %zu\n", round->pushes);
	printf("  coordinator -> agents             %zu messages, %.1f MB; largest %.0f kB\n",
	       round->pushes, (double)round->wire_bytes / 1e6, (double)round->wire_max / 1e3);
	printf("  agents -> tjd (set-peers)         %zu requests, %.1f MB; largest %zu bytes "
	       "(frame %d)\n",
	       round->requests, (double)round->request_bytes / 1e6, round->request_max, FRAME_MAX);
	printf("  fan-out per node                  1 peers message, %zu to %zu set-peers "
	       "request(s)\n",
	       round->parts_min, round->parts_max);
	printf("  peer addresses of one node (max)  %zu\n", round->addresses_max);
}

/* Reads the options. */
static void bench_options(int argc, char **argv)
{
	static const struct option options[] = {
	    {"nodes", required_argument, NULL, 'n'},   {"networks", required_argument, NULL, 'w'},
	    {"allowed", required_argument, NULL, 'a'}, {"others", required_argument, NULL, 'o'},
	    {"runs", required_argument, NULL, 'r'},    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		unsigned long value = optarg != NULL ? strtoul(optarg, NULL, 10) : 0;
		switch (c) {
		case 'n':
			bench.nodes = (unsigned)value;
			break;
		case 'w':
			bench.networks = (unsigned)value;
			break;
		case 'a':
			bench.allowed = (unsigned)value;
			break;
		case 'o':
			bench.others = (unsigned)value;
			break;
		case 'r':
			bench.runs = (unsigned)value;
			break;
		default:
			fprintf(stderr,
				"usage: bench_swarm [--nodes N] [--networks N] [--allowed N] "
				"[--others N] [--runs N]\n");
			exit(2);
		}
	}
	if (bench.nodes < 2 || bench.nodes > SWARM_MAX_NODES || bench.networks < 1 ||
	    bench.networks > SWARM_MAX_NETWORKS || bench.runs < 1 ||
	    bench.allowed + bench.others > SWARM_MAX_TASKS - BENCH_REPLICAS) {
		fprintf(stderr, "bench_swarm: nodes 2..%d, networks 1..%d, tasks < %d, runs >= 1\n",
			SWARM_MAX_NODES, SWARM_MAX_NETWORKS, SWARM_MAX_TASKS - BENCH_REPLICAS);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct bench_swarm swarm, moved;
	struct swarm_cluster cluster;
	struct swarm_plan plan, next;
	struct bench_round full, one;
	double *parse_ms, *plan_ms;
	size_t heap_before, heap_cluster = 0, heap_plan = 0;
	long rss_before;
	char err[512];

	bench_options(argc, argv);
	parse_ms = calloc(bench.runs, sizeof(double));
	plan_ms = calloc(bench.runs, sizeof(double));
	bench_generate(&swarm, false);
	rss_before = bench_status_kb("VmHWM");
	printf("swarm coordinator at scale: %u nodes, %u protected networks, %u allow-listed "
	       "tasks, %u others\n",
	       bench.nodes, bench.networks, bench.allowed, bench.others);
	printf("Docker API documents per round        %.1f MB (tasks %.1f MB, %u network "
	       "inspects)\n",
	       (double)swarm.bytes / 1e6, (double)swarm.tasks_length / 1e6, bench.networks);
	printf("agents' reports                       %zu load-balancer addresses\n\n",
	       swarm.report_count);
	for (unsigned r = 0; r < bench.runs; r++) {
		double start = bench_now_ms(), parsed;

		heap_before = bench_heap();
		bench_parse(&swarm, &cluster);
		parsed = bench_now_ms();
		heap_cluster = bench_heap() - heap_before;
		if (swarm_plan_compute(&cluster, swarm.reports, swarm.report_count, &plan, err,
				       sizeof(err)) < 0) {
			fprintf(stderr, "bench: %s\n", err);
			return 1;
		}
		plan_ms[r] = bench_now_ms() - parsed;
		parse_ms[r] = parsed - start;
		heap_plan = bench_heap() - heap_before - heap_cluster;
		if (r + 1 < bench.runs) {
			swarm_plan_free(&plan);
			swarm_cluster_free(&cluster);
		}
	}
	qsort(parse_ms, bench.runs, sizeof(double), bench_compare);
	qsort(plan_ms, bench.runs, sizeof(double), bench_compare);
	printf("one round, %u runs                     median      max\n", bench.runs);
	printf("  parse the documents               %8.1f ms %8.1f ms\n", parse_ms[bench.runs / 2],
	       parse_ms[bench.runs - 1]);
	printf("  plan every node's peer set        %8.1f ms %8.1f ms\n", plan_ms[bench.runs / 2],
	       plan_ms[bench.runs - 1]);
	printf("memory\n");
	printf("  peak resident                     %.1f MB (documents alone %.1f MB)\n",
	       (double)bench_status_kb("VmHWM") / 1e3, (double)rss_before / 1e3);
	printf("  heap held: cluster %.1f MB, plan %.1f MB\n\n", (double)heap_cluster / 1e6,
	       (double)heap_plan / 1e6);

	bench_push(NULL, &plan, &full);
	bench_print_round("full round (every node's set is new)", &full);
	/* One allow-listed task starts: every other node's set changes. */
	bench_generate(&moved, true);
	{
		struct swarm_cluster after;
		bench_parse(&moved, &after);
		if (swarm_plan_compute(&after, moved.reports, moved.report_count, &next, err,
				       sizeof(err)) < 0) {
			fprintf(stderr, "bench: %s\n", err);
			return 1;
		}
		bench_push(&plan, &next, &one);
		swarm_cluster_free(&after);
	}
	printf("\n");
	bench_print_round("one allow-listed task starts", &one);
	swarm_plan_free(&next);
	swarm_plan_free(&plan);
	swarm_cluster_free(&cluster);
	bench_swarm_free(&moved);
	bench_swarm_free(&swarm);
	free(parse_ms);
	free(plan_ms);
	if (full.oversize + one.oversize > 0) {
		fprintf(stderr, "bench: %zu request(s) past the frame limit\n",
			full.oversize + one.oversize);
		return 1;
	}
	return 0;
}
