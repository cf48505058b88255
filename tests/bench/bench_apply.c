/*
 * Benchmark: how long tjd takes to compile and install a ruleset of a given
 * size, against the reference ways of installing the same rules in the same
 * run: one iptables-legacy-restore, and one iptables-legacy call per rule
 * (the shell approach).  Runs in a throw-away network namespace.  Prints
 * figures; asserts nothing about time.
 */
#include "config.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tjd/backend.h"
#include "tjd/conf.h"
#include "tjd/policy.h"

/* Monotonic milliseconds. */
static double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* An inventory of `networks` bridges with `allowed` proxies and 10 backends each. */
static void bench_inventory(struct inventory *inv, int networks, int allowed)
{
	inventory_init(inv);
	for (int n = 0; n < networks; n++) {
		struct inv_network *net = inventory_add_network(inv);
		snprintf(net->name, sizeof(net->name), "net%d", n);
		snprintf(net->id, sizeof(net->id), "%064x", n);
		snprintf(net->bridge, sizeof(net->bridge), "br-bench%d", n);
		strcpy(net->driver, "bridge");
		for (int e = 0; e < allowed + 10; e++) {
			struct inv_endpoint *ep = inv_network_add_endpoint(net);
			char address[64];
			snprintf(ep->container_id, sizeof(ep->container_id), "%064x", e);
			snprintf(ep->name, sizeof(ep->name), "c%d", e);
			snprintf(address, sizeof(address), "10.%d.%d.%d", n, e / 250, e % 250 + 2);
			prefix_parse(address, &ep->ipv4);
			snprintf(address, sizeof(address), "fd00:%x::%x", n, e + 2);
			prefix_parse(address, &ep->ipv6);
			snprintf(ep->bridge_port, sizeof(ep->bridge_port), "veth%u",
				 (unsigned)(n * 10000 + e));
			ep->allowed = e < allowed;
		}
	}
}

/* Writes a config protecting net0..net{n-1}. */
static struct conf *bench_conf(int networks)
{
	char path[] = "/tmp/tjd-bench-XXXXXX", err[256];
	FILE *file;
	struct conf *conf;
	int fd = mkstemp(path);

	file = fdopen(fd, "w");
	for (int n = 0; n < networks; n++)
		fprintf(file, "[network net%d]\nallow = label=proxy=1\n", n);
	fclose(file);
	conf = conf_load(path, true, NULL, err, sizeof(err));
	unlink(path);
	if (conf == NULL) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	return conf;
}

/* Runs a shell command, failing the benchmark if it fails. */
static void bench_system(const char *command)
{
	if (system(command) != 0) {
		fprintf(stderr, "bench: failed: %s\n", command);
		exit(1);
	}
}

/* Times the reference installs of the IPv4 half of `text`. */
static void bench_reference(const struct ruleset *rules, const char *chain_forward,
			    const char *chain_input, double *restore_ms, double *per_rule_ms)
{
	const char *chains[RULE_HOOK_COUNT] = {chain_forward, chain_input, "TJD-OUTPUT"};
	char *text = ruleset_format(rules, chains);
	char *ipv6 = strstr(text, "# IPv6");
	char line[700];
	FILE *file;
	bool per_rule = rules->count <= 2500;
	double start;
	size_t count = 0;

	*ipv6 = '\0';
	file = fopen("/tmp/tjd-bench.rules", "w");
	fputs(text, file);
	fclose(file);
	start = bench_now_ms();
	bench_system("iptables-legacy-restore --noflush < /tmp/tjd-bench.rules");
	*restore_ms = bench_now_ms() - start;
	bench_system("iptables-legacy -w -F TJD-FORWARD && iptables-legacy -w -F TJD-INPUT");
	start = bench_now_ms();
	for (size_t i = 0; per_rule && i < rules->count; i++) {
		const struct rule *r = &rules->rules[i];
		char args[600];
		if (r->family != AF_INET)
			continue;
		rule_format(r, args, sizeof(args));
		snprintf(line, sizeof(line), "iptables-legacy -w -A %s %s", chains[r->hook], args);
		bench_system(line);
		count++;
	}
	*per_rule_ms = per_rule ? bench_now_ms() - start : -1;
	bench_system("iptables-legacy -w -F TJD-FORWARD && iptables-legacy -w -F TJD-INPUT && "
		     "iptables-legacy -w -X TJD-FORWARD && iptables-legacy -w -X TJD-INPUT");
	unlink("/tmp/tjd-bench.rules");
	free(text);
	(void)count;
}

int main(int argc, char **argv)
{
	static const int sizes[][2] = {{1, 1}, {4, 8}, {16, 32}, {32, 100}};
	char err[512];

	if (unshare(CLONE_NEWNET) < 0) {
		perror("bench: unshare(CLONE_NEWNET) (run as root)");
		return 1;
	}
	bench_system("echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables; "
		     "echo 1 > /proc/sys/net/bridge/bridge-nf-call-ip6tables");
	printf("%-9s %-8s %6s %10s %10s %10s %10s %12s %14s\n", "networks", "allowed", "rules",
	       "compile", "apply", "re-apply", "clear", "v4 restore", "v4 per-rule");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct inventory inv;
		struct ruleset rules;
		struct backend backend;
		struct conf *conf = bench_conf(sizes[s][0]);
		double t0, compile, apply, reapply, clear, restore, per_rule;
		bool changed;

		bench_inventory(&inv, sizes[s][0], sizes[s][1]);
		ruleset_init(&rules);
		t0 = bench_now_ms();
		for (int i = 0; i < 100; i++)
			policy_compile(conf, &inv, &rules, NULL, err, sizeof(err));
		compile = (bench_now_ms() - t0) / 100;
		backend_init(&backend, &backend_iptc_ops, "");
		if (backend.ops->open(&backend, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench: %s\n", err);
			return 1;
		}
		t0 = bench_now_ms();
		backend.ops->apply(&backend, &rules, &changed, err, sizeof(err));
		apply = bench_now_ms() - t0;
		t0 = bench_now_ms();
		backend.ops->apply(&backend, &rules, &changed, err, sizeof(err));
		reapply = bench_now_ms() - t0;
		t0 = bench_now_ms();
		backend.ops->clear(&backend, err, sizeof(err));
		clear = bench_now_ms() - t0;
		backend.ops->close(&backend);
		bench_reference(&rules, backend.chain_forward, backend.chain_input, &restore,
				&per_rule);
		printf("%-9d %-8d %6zu %8.3fms %8.2fms %8.2fms %8.2fms %10.2fms ", sizes[s][0],
		       sizes[s][1], rules.count, compile, apply, reapply, clear, restore);
		if (per_rule < 0)
			printf("%14s\n", "(too slow)");
		else
			printf("%12.1fms\n", per_rule);
		ruleset_free(&rules);
		inventory_free(&inv);
		conf_free(conf);
	}
	printf("apply/re-apply/clear: tjd's libiptc backend, both families, one commit per table;\n"
	       "re-apply finds the kernel already right and commits nothing.\n"
	       "v4 restore: iptables-legacy-restore of the IPv4 half; v4 per-rule: one\n"
	       "iptables-legacy call per IPv4 rule, as a shell loop would do.\n");
	(void)argc;
	(void)argv;
	return 0;
}
