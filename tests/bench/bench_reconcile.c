/*
 * Benchmark: tjd's reconcile at scale against a simulated Docker API
 * (tests/unit/docker-sim.h over the HTTP fixture, on a unix socket,
 * answered by other threads of this process), applied through the
 * enforcement layer to the real nftables backend in a throw-away network
 * namespace (or the fake backend with --fake).
 *
 * Prints, for N networks x M containers (K allow-listed per network):
 * a cold full reconcile (first start: every allow-listed container is
 * inspected, as every poll did before ports were remembered), a warm full
 * reconcile (a poll), and event -> kernel transaction (a container starts:
 * Docker's connect and start events to the commit), each with wall time,
 * the reconciling thread's CPU time and the Docker API calls it made; and
 * the memory the inventory and rules add per 1,000 containers.  The
 * "before" column of the event row is a full run, which is what every
 * event cost before events were scoped.  Asserts nothing about time.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "docker-sim.h"
#include "http-fixture.h"
#include "tjd/backend.h"
#include "tjd/conf.h"
#include "tjd/docker.h"
#include "tjd/enforce.h"
#include "tjd/reconcile.h"

#define BENCH_EVENT_ROUNDS 21

static struct {
	struct event_base *base;
	struct http_fixture *http;
	struct docker_sim *sim;
	struct docker_client *docker;
	struct conf *conf;
	struct enforce *enforce;
	struct reconcile *reconcile;
	unsigned runs;
	bool failed;
	char error[512];
	size_t rules;
} bench;

/* Monotonic milliseconds. */
static double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* This thread's CPU milliseconds (user + system). */
static double bench_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
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

/* Every allow-listed container's port: "v" and its network and container numbers. */
static int bench_port(const char *sandbox_key, const char *mac, const char *bridge,
		      struct netns_peers *host_side, char *port, size_t portlen, char *err,
		      size_t errlen)
{
	snprintf(port, portlen, "v%.2s%.2s%.2s", mac + 9, mac + 12, mac + 15);
	return 0;
}

/* Overlay networks are not part of this benchmark. */
static int bench_overlay_port(const char *sandbox_key, const char *mac, const char *overlay_netns,
			      const char *bridge, char *port, size_t portlen, char *err,
			      size_t errlen)
{
	snprintf(err, errlen, "no overlays here");
	return -1;
}

/* A bridge's ports: one per container, as bench_port names them. */
static int bench_members(const struct inv_network *net, char (*ports)[TJD_IFNAMSIZ], size_t max,
			 size_t *count, char *err, size_t errlen)
{
	*count = 0;
	for (size_t e = 0; e < net->endpoint_count && *count < max; e++)
		bench_port(NULL, net->endpoints[e].mac, NULL, NULL, ports[(*count)++], TJD_IFNAMSIZ,
			   err, errlen);
	return 0;
}

static const struct reconcile_ports bench_ports = {
    .bridge_port = bench_port,
    .overlay_port = bench_overlay_port,
    .bridge_members = bench_members,
};

/* The daemon's part: each run goes to the enforcement layer. */
static int bench_done(void *arg, const struct reconcile_result *result)
{
	char err[512];

	bench.runs++;
	if (result->inventory == NULL) {
		bench.failed = true;
		snprintf(bench.error, sizeof(bench.error), "%s", result->error);
		return -1;
	}
	if (enforce_apply(bench.enforce, bench.conf, result->inventory, NULL, 0, err, sizeof(err)) <
	    0) {
		bench.failed = true;
		snprintf(bench.error, sizeof(bench.error), "%s", err);
		return -1;
	}
	bench.rules = enforce_installed(bench.enforce)->count;
	return 0;
}

/* Docker's stream went away: a benchmark has no use for that. */
static void bench_lost(void *arg, const char *message)
{
	fprintf(stderr, "bench: %s\n", message);
}

/* Runs the loop until `runs` runs have finished; exits on failure or after 60 s. */
static void bench_wait_runs(unsigned runs)
{
	double deadline = bench_now_ms() + 60000;

	while (bench.runs < runs && !bench.failed && bench_now_ms() < deadline)
		event_base_loop(bench.base, EVLOOP_ONCE);
	if (bench.failed || bench.runs < runs) {
		fprintf(stderr, "bench: reconcile %s\n", bench.failed ? bench.error : "timed out");
		exit(1);
	}
}

/* Runs the loop until the event stream is open. */
static void bench_wait_stream(void)
{
	double deadline = bench_now_ms() + 10000;

	while (http_fixture_stream_count(bench.http) == 0 && bench_now_ms() < deadline)
		event_base_loop(bench.base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(1000);
	if (http_fixture_stream_count(bench.http) == 0) {
		fprintf(stderr, "bench: the event stream did not open\n");
		exit(1);
	}
}

/* A MAC for container c of network n. */
static void bench_mac(char *mac, size_t size, int n, int c)
{
	snprintf(mac, size, "02:42:%02x:%02x:%02x:%02x", (n >> 8) & 0xff, n & 0xff, (c >> 8) & 0xff,
		 c & 0xff);
}

/* Builds the world and the configuration that protects every network. */
static void bench_world(int networks, int per_network, int allowed)
{
	char path[] = "/tmp/tjd-bench-reconcile-XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *file = fdopen(fd, "w");

	bench.sim = docker_sim_new();
	for (int n = 0; n < networks; n++) {
		char name[32], subnet[32];
		size_t net;

		snprintf(name, sizeof(name), "net%d", n);
		snprintf(subnet, sizeof(subnet), "10.%d.0.0/16", n);
		net = docker_sim_add_network(bench.sim, name, "bridge", subnet, NULL);
		fprintf(file, "[network %s]\nallow = label=proxy=1\n", name);
		for (int c = 0; c < per_network; c++) {
			char cname[32], address[32], mac[18];
			size_t container;

			snprintf(cname, sizeof(cname), "c%d-%d", n, c);
			container = docker_sim_add_container(bench.sim, cname,
							     c < allowed ? "proxy=1" : "app=1");
			snprintf(address, sizeof(address), "10.%d.%d.%d", n, c / 250, c % 250 + 2);
			bench_mac(mac, sizeof(mac), n, c);
			docker_sim_connect(bench.sim, container, net, address, NULL, mac);
		}
	}
	fclose(file);
	bench.conf = conf_load(path, true, NULL, err, sizeof(err));
	unlink(path);
	if (bench.conf == NULL) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
}

/* Prints one row of figures. */
static void bench_row(const char *what, double wall, double cpu, size_t calls)
{
	printf("%-44s %10.2f %10.2f %8zu\n", what, wall, cpu, calls);
}

/* One measured full run (reconcile_request, like the poll). */
static void bench_full(const char *what)
{
	double wall, cpu;
	size_t calls;

	http_fixture_reset_requests(bench.http);
	wall = bench_now_ms();
	cpu = bench_cpu_ms();
	reconcile_request(bench.reconcile, "bench");
	bench_wait_runs(bench.runs + 1);
	bench_row(what, bench_now_ms() - wall, bench_cpu_ms() - cpu,
		  http_fixture_requests(bench.http, NULL));
	(void)calls;
}

/* Sorts doubles. */
static int bench_compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A proxy starts on network n: Docker's connect and start events, measured to the commit. */
static void bench_events(int networks, int per_network)
{
	double wall[BENCH_EVENT_ROUNDS], cpu[BENCH_EVENT_ROUNDS];
	size_t calls = 0;

	for (int round = 0; round < BENCH_EVENT_ROUNDS; round++) {
		int n = (round * 7) % networks, c = per_network + round;
		char name[32], address[32], mac[18], line[512];
		size_t container;
		double start, start_cpu;

		snprintf(name, sizeof(name), "late%d", round);
		container = docker_sim_add_container(bench.sim, name, "proxy=1");
		snprintf(address, sizeof(address), "10.%d.%d.%d", n, c / 250, c % 250 + 2);
		bench_mac(mac, sizeof(mac), n, c);
		docker_sim_connect(bench.sim, container, (size_t)n, address, NULL, mac);
		http_fixture_reset_requests(bench.http);
		start = bench_now_ms();
		start_cpu = bench_cpu_ms();
		snprintf(
		    line, sizeof(line),
		    "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"%s\","
		    "\"Attributes\":{\"name\":\"net%d\"}}}\n"
		    "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"%s\"}}\n",
		    docker_sim_network_id(bench.sim, (size_t)n), n,
		    docker_sim_container_id(bench.sim, container));
		http_fixture_stream_send(bench.http, line);
		bench_wait_runs(bench.runs + 1);
		wall[round] = bench_now_ms() - start;
		cpu[round] = bench_cpu_ms() - start_cpu;
		calls = http_fixture_requests(bench.http, NULL);
	}
	qsort(wall, BENCH_EVENT_ROUNDS, sizeof(double), bench_compare);
	qsort(cpu, BENCH_EVENT_ROUNDS, sizeof(double), bench_compare);
	printf("%-44s %10.2f %10.2f %8zu   (median of %d; min %.2f, max %.2f ms)\n",
	       "event -> kernel transaction (a proxy starts)", wall[BENCH_EVENT_ROUNDS / 2],
	       cpu[BENCH_EVENT_ROUNDS / 2], calls, BENCH_EVENT_ROUNDS, wall[0],
	       wall[BENCH_EVENT_ROUNDS - 1]);
}

/* Enters a fresh network namespace with br_netfilter switched on there. */
static void bench_namespace(void)
{
	static const char *const sysctls[] = {
	    "/proc/sys/net/bridge/bridge-nf-call-iptables",
	    "/proc/sys/net/bridge/bridge-nf-call-ip6tables",
	};

	if (system("modprobe br_netfilter 2>/dev/null") != 0) {
		/* built in, or absent: the check below says which */
	}
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "bench: unshare(CLONE_NEWNET): %s (run as root)\n",
			strerror(errno));
		exit(1);
	}
	for (size_t i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		FILE *file = fopen(sysctls[i], "we");
		if (file == NULL || fputs("1\n", file) < 0 || fclose(file) != 0) {
			fprintf(stderr, "bench: cannot switch on %s\n", sysctls[i]);
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"networks", required_argument, NULL, 'n'},
	    {"containers", required_argument, NULL, 'c'},
	    {"allowed", required_argument, NULL, 'a'},
	    {"fake", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	static const struct reconcile_hooks hooks = {.done = bench_done, .docker_lost = bench_lost};
	struct enforce_options enforce_options = {.instance_id = "", .backend = "nftables"};
	int networks = 50, per_network = 100, allowed = 10, option;
	long anon_before, rss_before;
	char host[256], err[256];

	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (option) {
		case 'n':
			networks = atoi(optarg);
			break;
		case 'c':
			per_network = atoi(optarg);
			break;
		case 'a':
			allowed = atoi(optarg);
			break;
		case 'f':
			enforce_options.ops = &backend_fake_ops;
			break;
		default:
			fprintf(stderr, "usage: bench_reconcile [--networks N] [--containers M] "
					"[--allowed K] [--fake]\n");
			return 2;
		}
	}
	if (networks < 1 || networks > 64 || per_network < 1 || per_network > 4000 || allowed < 0 ||
	    allowed > per_network) {
		fprintf(stderr, "bench: --networks 1..64, --containers 1..4000, --allowed "
				"0..containers\n");
		return 2;
	}
	if (enforce_options.ops == NULL)
		bench_namespace();
	bench_world(networks, per_network, allowed);
	bench.http = http_fixture_start(NULL, 0, false);
	http_fixture_set_handler(bench.http, docker_sim_handler, bench.sim);
	http_fixture_set_stream(bench.http, "/events");
	bench.base = event_base_new();
	http_fixture_host(bench.http, host, sizeof(host));
	bench.docker = docker_client_new(bench.base, host, err, sizeof(err));
	bench.enforce = enforce_new(&enforce_options, err, sizeof(err));
	if (bench.docker == NULL || bench.enforce == NULL) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	if (enforce_watch(bench.enforce, bench.base) < 0) {
		fprintf(stderr, "bench: cannot watch the firewall\n");
		return 1;
	}
	bench.reconcile =
	    reconcile_new(bench.base, bench.docker, bench.conf, &bench_ports, &hooks, NULL);
	printf("reconcile at scale: %d networks x %d containers = %d containers, %d allow-listed; "
	       "backend %s%s\n",
	       networks, per_network, networks * per_network, networks * allowed,
	       enforce_backend_name(bench.enforce),
	       enforce_options.ops == NULL ? " (throw-away network namespace)" : "");
	printf("%-44s %10s %10s %8s\n", "", "wall ms", "cpu ms", "calls");
	anon_before = bench_status_kb("RssAnon");
	rss_before = bench_status_kb("VmRSS");
	{
		double wall = bench_now_ms(), cpu = bench_cpu_ms();
		reconcile_start(bench.reconcile, true);
		bench_wait_runs(1);
		bench_row("cold full reconcile (start; ports unknown)", bench_now_ms() - wall,
			  bench_cpu_ms() - cpu, http_fixture_requests(bench.http, NULL));
	}
	bench_wait_stream();
	bench_full("warm full reconcile (the poll)");
	bench_full("warm full reconcile (again)");
	bench_events(networks, per_network);
	printf("rules installed: %zu\n", bench.rules);
	printf("memory held between runs: reconciler %zu kB (inventory, remembered ports, kept "
	       "answers), rules %zu kB: %.0f kB per 1,000 containers\n",
	       reconcile_memory(bench.reconcile) / 1024,
	       enforce_installed(bench.enforce)->capacity * sizeof(struct rule) / 1024,
	       (double)(reconcile_memory(bench.reconcile) +
			enforce_installed(bench.enforce)->capacity * sizeof(struct rule)) /
		   1024.0 * 1000.0 / (networks * per_network));
	printf("process: RSS %ld kB -> %ld kB, anonymous %ld kB -> %ld kB (this process also "
	       "runs the simulated Docker's threads)\n",
	       rss_before, bench_status_kb("VmRSS"), anon_before, bench_status_kb("RssAnon"));
	reconcile_free(bench.reconcile);
	docker_client_free(bench.docker);
	enforce_free(bench.enforce);
	http_fixture_stop(bench.http);
	docker_sim_free(bench.sim);
	conf_free(bench.conf);
	event_base_free(bench.base);
	return 0;
}
