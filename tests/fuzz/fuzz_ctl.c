/*
 * Fuzz target: control frames through the real dispatcher and handlers,
 * against a daemon that protects a network with an allow-listed container
 * (so status, rules and set-peers have something to walk), the
 * enforcement layer over the fake backend.
 */
#include "config.h"

#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tjd/ctl.h"
#include "tjd/daemon.h"
#include "tjd/enforce.h"
#include "tjd/reconcile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tjd tjd;
static struct inventory inventory;

/* Checks that every reply decodes. */
static void fuzz_ctl_send(void *arg, const uint8_t *reply, size_t len)
{
	Tjd__V1__Response *response = tjd__v1__response__unpack(NULL, len, reply);

	if (response == NULL)
		abort();
	tjd__v1__response__free_unpacked(response, NULL);
}

/* The reconciler is never run here. */
static int fuzz_ctl_done(void *arg, const struct reconcile_result *result)
{
	return -1;
}

/* See fuzz_ctl_done. */
static void fuzz_ctl_lost(void *arg, const char *message)
{
}

/* The protected network "web" with an allow-listed proxy and a backend. */
static void fuzz_ctl_inventory(void)
{
	struct inv_network *net;
	struct inv_endpoint *endpoint;

	inventory_init(&inventory);
	net = inventory_add_network(&inventory);
	if (net == NULL)
		abort();
	strcpy(net->name, "web");
	strcpy(net->id, "511f58bb02a1f4a81c12238e2f9c8281569c5f16d823b7059e1bcf20268fd6df");
	strcpy(net->driver, "bridge");
	strcpy(net->bridge, "br-511f58bb02a1");
	prefix_parse("172.30.0.0/24", &net->subnets[net->subnet_count++]);
	prefix_parse("fd00:30::/64", &net->subnets[net->subnet_count++]);
	endpoint = inv_network_add_endpoint(net);
	strcpy(endpoint->name, "proxy");
	memset(endpoint->container_id, 'a', 64);
	prefix_parse("172.30.0.2", &endpoint->ipv4);
	prefix_parse("fd00:30::2", &endpoint->ipv6);
	strcpy(endpoint->bridge_port, "veth0");
	endpoint->allowed = true;
	endpoint = inv_network_add_endpoint(net);
	strcpy(endpoint->name, "b1");
	memset(endpoint->container_id, 'b', 64);
	prefix_parse("172.30.0.3", &endpoint->ipv4);
	tjd.inventory = &inventory;
}

/* A daemon as daemon_main builds one, with the fake backend. */
static void fuzz_ctl_init(void)
{
	static const char text[] = "[network web]\nallow = label=tjd.allow=true\n"
				   "[network ovl]\nallow = name=proxy\n";
	static const struct reconcile_hooks hooks = {.done = fuzz_ctl_done,
						     .docker_lost = fuzz_ctl_lost};
	static char path[] = "/tmp/fuzz_ctl_XXXXXX";
	const struct enforce_options options = {.instance_id = "", .dry_run = true};
	char err[256];
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1)
		abort();
	close(fd);
	tjd.conf_path = path;
	tjd.conf = conf_load(path, true, NULL, err, sizeof(err));
	tjd.base = event_base_new();
	if (tjd.conf == NULL || tjd.base == NULL)
		abort();
	tjd.reconcile =
	    reconcile_new(tjd.base, NULL, tjd.conf, &reconcile_netns_ports, &hooks, &tjd);
	tjd.enforce = enforce_new(&options, err, sizeof(err));
	if (tjd.reconcile == NULL || tjd.enforce == NULL)
		abort();
	fuzz_ctl_inventory();
	if (enforce_apply(tjd.enforce, tjd.conf, tjd.inventory, NULL, 0, err, sizeof(err)) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (tjd.base == NULL)
		fuzz_ctl_init();
	tjd.stopping = false;
	/* The first byte picks the caller: root or not. */
	ctl_dispatch(&tjd, size ? data + 1 : data, size ? size - 1 : 0, false,
		     size && (data[0] & 1) ? 0 : 1000, fuzz_ctl_send, NULL);
	return 0;
}
