/*
 * docker-json on responses recorded from a real dockerd 20.10.24 (API 1.41)
 * in tests/unit/data/, on container answers written by hand in the same
 * shape, and on hostile input.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tjd/docker-json.h"
#include "tjd/docker.h"
#include "tjd/inventory.h"
#include "tjd/ruleset.h"

#define WEB_ID "511f58bb02a1f4a81c12238e2f9c8281569c5f16d823b7059e1bcf20268fd6df"
#define PROXY_ID "d128b5d14c2d2a980f5986885ee41e8a60f45e033f5135e4b293ce28d622320f"
#define APP1_ID "55db9e10bb00b9f61746565b5ba81b9ffaa865c8f30fa39c19b0af8f55060378"
#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Reads tests/unit/data/NAME (from $srcdir, as automake's harness sets it). */
static char *read_data(const char *name, size_t *len)
{
	const char *srcdir = getenv("srcdir");
	char path[4096];
	FILE *f;
	char *buf;
	long size;

	snprintf(path, sizeof(path), "%s/tests/unit/data/%s", srcdir ? srcdir : ".", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s (run from the source tree or set srcdir)", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	ck_assert_int_ge(size, 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	*len = (size_t)size;
	return buf;
}

/* Parses a network document into a fresh inventory; returns the parser's result. */
static int parse_network(const char *json, size_t len, struct inventory *inv,
			 struct inv_network **net, char *err, size_t errlen)
{
	inventory_init(inv);
	*net = inventory_add_network(inv);
	ck_assert_ptr_nonnull(*net);
	err[0] = '\0';
	return docker_json_parse_network(json, len, *net, err, errlen);
}

/* Parses a recorded network file, which must succeed. */
static struct inv_network *parse_network_file(const char *name, struct inventory *inv)
{
	struct inv_network *net;
	char err[256];
	size_t len;
	char *json = read_data(name, &len);
	int ret = parse_network(json, len, inv, &net, err, sizeof(err));

	ck_assert_msg(ret == 0, "%s: %s", name, err);
	free(json);
	return net;
}

/* Expects a hand-written network document to be rejected, with a message containing `what`. */
static void expect_network_error(const char *json, const char *what)
{
	struct inventory inv;
	struct inv_network *net;
	char err[512];

	ck_assert_msg(parse_network(json, strlen(json), &inv, &net, err, sizeof(err)) == -1,
		      "accepted: %.200s", json);
	ck_assert_msg(strstr(err, what) != NULL, "error \"%s\" lacks \"%s\"", err, what);
	inventory_free(&inv);
}

/* Formats a prefix for comparisons. */
static const char *fmt_prefix(const struct prefix *p, char *buf, size_t size)
{
	if (p->family == 0)
		return "none";
	ck_assert_int_eq(prefix_format(p, buf, size), 0);
	return buf;
}

START_TEST(network_dual_stack)
{
	struct inventory inv;
	struct inv_network *net = parse_network_file("network-web.json", &inv);
	struct inv_endpoint *proxy;
	char a[64];

	ck_assert_str_eq(net->name, "web");
	ck_assert_str_eq(net->id, WEB_ID);
	ck_assert_str_eq(net->driver, "bridge");
	ck_assert_str_eq(net->scope, "local");
	ck_assert_str_eq(net->bridge, "br-511f58bb02a1");
	ck_assert(!net->internal);
	ck_assert_uint_eq(net->subnet_count, 2);
	ck_assert_str_eq(fmt_prefix(&net->subnets[0], a, sizeof(a)), "172.30.0.0/24");
	ck_assert_str_eq(fmt_prefix(&net->subnets[1], a, sizeof(a)), "fd00:30::/64");
	ck_assert_uint_eq(net->endpoint_count, 3);

	proxy = inv_network_find_endpoint(net, PROXY_ID);
	ck_assert_ptr_nonnull(proxy);
	ck_assert_str_eq(proxy->name, "proxy");
	ck_assert_str_eq(proxy->mac, "02:42:ac:1e:00:02");
	ck_assert_str_eq(fmt_prefix(&proxy->ipv4, a, sizeof(a)), "172.30.0.2/32");
	ck_assert_str_eq(fmt_prefix(&proxy->ipv6, a, sizeof(a)), "fd00:30::2/128");
	ck_assert(!proxy->allowed);
	ck_assert_str_eq(proxy->bridge_port, "");
	ck_assert_ptr_nonnull(inv_network_find_endpoint(net, APP1_ID));
	inventory_free(&inv);
}
END_TEST

/* A restarting container leaves an "ep-<endpoint id>" entry: skipped, not fatal. */
START_TEST(network_transient_endpoint_skipped)
{
	static const char json[] =
	    "{\"Name\":\"web\",\"Id\":\"" WEB_ID "\",\"Driver\":\"bridge\",\"Scope\":\"local\","
	    "\"Internal\":false,\"IPAM\":{\"Config\":[{\"Subnet\":\"172.30.0.0/24\"}]},"
	    "\"Options\":{},\"Containers\":{"
	    "\"ep-6f894854d0c1e7b38c5bd0fd0b1d11a6b7da0f4a04b9d3b0c3e2f9f1a2b3c4d5\":"
	    "{\"Name\":\"proxy\",\"EndpointID\":\"6f89\",\"MacAddress\":\"\","
	    "\"IPv4Address\":\"172.30.0.9/24\",\"IPv6Address\":\"\"},"
	    "\"" PROXY_ID "\":{\"Name\":\"proxy\",\"EndpointID\":\"aa\","
	    "\"MacAddress\":\"02:42:ac:1e:00:02\",\"IPv4Address\":\"172.30.0.2/24\","
	    "\"IPv6Address\":\"\"}}}";
	struct inventory inv;
	struct inv_network *net;
	char err[256];

	inventory_init(&inv);
	net = inventory_add_network(&inv);
	ck_assert_int_eq(docker_json_parse_network(json, sizeof(json) - 1, net, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(net->endpoint_count, 1);
	ck_assert_ptr_nonnull(inv_network_find_endpoint(net, PROXY_ID));
	inventory_free(&inv);
}
END_TEST

START_TEST(network_default_bridge)
{
	struct inventory inv;
	struct inv_network *net = parse_network_file("network-bridge.json", &inv);
	char a[64];

	ck_assert_str_eq(net->name, "bridge");
	ck_assert_str_eq(net->bridge, "docker0");
	ck_assert_uint_eq(net->subnet_count, 1);
	ck_assert_str_eq(fmt_prefix(&net->subnets[0], a, sizeof(a)), "172.17.0.0/16");
	ck_assert_uint_eq(net->endpoint_count, 1);
	ck_assert_str_eq(net->endpoints[0].name, "lone");
	ck_assert_str_eq(fmt_prefix(&net->endpoints[0].ipv4, a, sizeof(a)), "172.17.0.2/32");
	/* IPv6Address "" means none. */
	ck_assert_int_eq(net->endpoints[0].ipv6.family, 0);
	inventory_free(&inv);
}
END_TEST

START_TEST(network_internal_and_named)
{
	struct inventory inv;
	struct inv_network *net = parse_network_file("network-internal.json", &inv);

	ck_assert(net->internal);
	ck_assert_str_eq(net->bridge, "br-b37f4a16b423");
	ck_assert_uint_eq(net->subnet_count, 1);
	ck_assert_uint_eq(net->endpoint_count, 1);
	inventory_free(&inv);

	net = parse_network_file("network-named.json", &inv);
	ck_assert_str_eq(net->bridge, "tjdbr0");
	ck_assert_uint_eq(net->endpoint_count, 0);
	inventory_free(&inv);
}
END_TEST

START_TEST(network_overlay)
{
	struct inventory inv;
	struct inv_network *net = parse_network_file("network-overlay.json", &inv);
	struct inv_endpoint *lb;
	char a[64];

	/* Swarm networks have 25-character base-36 ids, not hex. */
	ck_assert_str_eq(net->id, "k418cmmodbm5n2cs6o9gb8sns");
	ck_assert_str_eq(net->driver, "overlay");
	ck_assert_str_eq(net->scope, "swarm");
	ck_assert_str_eq(net->bridge, "");
	ck_assert_uint_eq(net->subnet_count, 1);
	ck_assert_uint_eq(net->endpoint_count, 2);
	/* The node's load balancer appears under "lb-<network>". */
	lb = inv_network_find_endpoint(net, "lb-ov");
	ck_assert_ptr_nonnull(lb);
	ck_assert_str_eq(lb->name, "ov-endpoint");
	ck_assert_str_eq(fmt_prefix(&lb->ipv4, a, sizeof(a)), "10.40.0.3/32");
	inventory_free(&inv);

	net = parse_network_file("network-ingress.json", &inv);
	ck_assert_ptr_nonnull(inv_network_find_endpoint(net, "ingress-sbox"));
	inventory_free(&inv);

	net = parse_network_file("network-host.json", &inv);
	ck_assert_str_eq(net->driver, "host");
	ck_assert_str_eq(net->bridge, "");
	ck_assert_uint_eq(net->subnet_count, 0);
	ck_assert_uint_eq(net->endpoint_count, 0);
	inventory_free(&inv);
}
END_TEST

START_TEST(network_list_find)
{
	size_t len;
	char *json = read_data("networks.json", &len);
	char id[INV_ID_MAX + 1], err[256];

	ck_assert_int_eq(
	    docker_json_find_network(json, len, "web", id, sizeof(id), err, sizeof(err)), 0);
	ck_assert_str_eq(id, WEB_ID);
	ck_assert_int_eq(
	    docker_json_find_network(json, len, "ov", id, sizeof(id), err, sizeof(err)), 0);
	ck_assert_str_eq(id, "k418cmmodbm5n2cs6o9gb8sns");
	ck_assert_int_eq(
	    docker_json_find_network(json, len, "nosuch", id, sizeof(id), err, sizeof(err)), 1);
	/* A prefix of a real name is not a match. */
	ck_assert_int_eq(
	    docker_json_find_network(json, len, "we", id, sizeof(id), err, sizeof(err)), 1);
	free(json);
}
END_TEST

START_TEST(network_list_hostile)
{
	static const char ambiguous[] = "[{\"Name\":\"x\",\"Id\":\"" HEX64 "\"},"
					"{\"Name\":\"x\",\"Id\":\"k418cmmodbm5n2cs6o9gb8sns\"}]";
	static const char bad_type[] = "[{\"Name\":1,\"Id\":\"ab\"}]";
	static const char bad_id[] = "[{\"Name\":\"x\",\"Id\":\"AB/..\"}]";
	static const char single[] = "[{\"Name\":\"x\",\"Id\":\"" HEX64 "\"}]";
	char id[INV_ID_MAX + 1], err[256];

	ck_assert_int_eq(docker_json_find_network(ambiguous, strlen(ambiguous), "x", id, sizeof(id),
						  err, sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "ambiguous"));
	ck_assert_int_eq(docker_json_find_network("{}", 2, "x", id, sizeof(id), err, sizeof(err)),
			 -1);
	ck_assert_int_eq(docker_json_find_network(bad_type, strlen(bad_type), "x", id, sizeof(id),
						  err, sizeof(err)),
			 -1);
	ck_assert_int_eq(
	    docker_json_find_network(bad_id, strlen(bad_id), "x", id, sizeof(id), err, sizeof(err)),
	    -1);
	/* The id must fit the caller's buffer, not be cut. */
	ck_assert_int_eq(
	    docker_json_find_network(single, strlen(single), "x", id, 10, err, sizeof(err)), -1);
	ck_assert_int_eq(
	    docker_json_find_network(single, strlen(single), "x", id, sizeof(id), err, sizeof(err)),
	    0);
}
END_TEST

START_TEST(container_list)
{
	size_t len, count, i;
	char *json = read_data("containers.json", &len);
	char **ids;
	char err[256];
	bool proxy = false;

	ck_assert_int_eq(docker_json_container_ids(json, len, &ids, &count, err, sizeof(err)), 0);
	ck_assert_uint_eq(count, 5);
	for (i = 0; i < count; i++) {
		ck_assert_uint_eq(strlen(ids[i]), 64);
		proxy = proxy || strcmp(ids[i], PROXY_ID) == 0;
		free(ids[i]);
	}
	free(ids);
	ck_assert(proxy);
	free(json);

	/* ?all=1 also lists the created-but-never-started container. */
	json = read_data("containers-all.json", &len);
	ck_assert_int_eq(docker_json_container_ids(json, len, &ids, &count, err, sizeof(err)), 0);
	ck_assert_uint_eq(count, 6);
	for (i = 0; i < count; i++)
		free(ids[i]);
	free(ids);
	free(json);

	ck_assert_int_eq(docker_json_container_ids("[]", 2, &ids, &count, err, sizeof(err)), 0);
	ck_assert_uint_eq(count, 0);
	free(ids);
}
END_TEST

START_TEST(container_list_hostile)
{
	static const char *const bad[] = {
	    "{}",
	    "[1]",
	    "[{\"Id\":5}]",
	    "[{}]",
	    "[{\"Id\":\"" HEX64 "0\"}]",
	    "[{\"Id\":\"ABCDEF\"}]",
	    "[{\"Id\":\"../etc\"}]",
	    "[{\"Id\":\"\"}]",
	    "[{\"Id\":\"" HEX64 "\"},{\"Id\":null}]",
	};
	char **ids = (char **)1;
	size_t count = 99;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(docker_json_container_ids(bad[i], strlen(bad[i]), &ids, &count, err,
							sizeof(err)) == -1,
			      "accepted %s", bad[i]);
		ck_assert_ptr_null(ids);
		ck_assert_uint_eq(count, 0);
	}
}
END_TEST

START_TEST(container_sandbox_key)
{
	size_t len;
	char *json = read_data("container-proxy.json", &len);
	char key[256], small[8], err[256];

	ck_assert_int_eq(docker_json_sandbox_key(json, len, key, sizeof(key), err, sizeof(err)), 0);
	ck_assert_str_eq(key, "/tmp/tjdrec/exec/netns/36e2b4b7036e");
	/* Too small a buffer is an error, never a truncated path. */
	ck_assert_int_eq(docker_json_sandbox_key(json, len, small, sizeof(small), err, sizeof(err)),
			 -1);
	ck_assert_str_eq(small, "");
	free(json);

	/* A created-but-never-started container has "SandboxKey": "". */
	json = read_data("container-stopped.json", &len);
	strcpy(key, "junk");
	ck_assert_int_eq(docker_json_sandbox_key(json, len, key, sizeof(key), err, sizeof(err)), 0);
	ck_assert_str_eq(key, "");
	free(json);
}
END_TEST

START_TEST(container_sandbox_hostile)
{
	static const char *const bad[] = {
	    "[]",
	    "{\"NetworkSettings\":[]}",
	    "{\"NetworkSettings\":{\"SandboxKey\":7}}",
	    "{\"NetworkSettings\":{\"SandboxKey\":\"relative/path\"}}",
	    "{\"NetworkSettings\":{\"SandboxKey\":\"/var/run/../../etc/x\"}}",
	    "{\"NetworkSettings\":{\"SandboxKey\":\"/var/run/docker/..\"}}",
	    "{\"NetworkSettings\":{\"SandboxKey\":\"/var/run/\\u0001x\"}}",
	};
	char key[64], err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(docker_json_sandbox_key(bad[i], strlen(bad[i]), key, sizeof(key), err,
						      sizeof(err)) == -1,
			      "accepted %s", bad[i]);
	ck_assert_int_eq(docker_json_sandbox_key("{}", 2, key, sizeof(key), err, sizeof(err)), 0);
	ck_assert_str_eq(key, "");
}
END_TEST

START_TEST(events_recorded)
{
	static const struct {
		const char *type, *action, *id, *name;
	} want[] = {
	    {"image", "tag", "", "box:latest"}, /* "sha256:..." does not fit an id: left empty */
	    {"network", "connect", WEB_ID, "web"},
	    {"container", "start", PROXY_ID, "proxy"},
	    {"node", "update", "tbtetmn0uyvxv04kn6qkpycgn", "vm"},
	    {"network", "create", "k418cmmodbm5n2cs6o9gb8sns", "ov"},
	    {"network", "disconnect",
	     "b37f4a16b423cef0f2e5603e4d079f18209312868de7a916bf2dbbe88ef2a9d0", "back"},
	    {"container", "die", "feb7ca882392689b252fc0fdb6c1fc56bd89a411062bde3a2d2fb6ea7606c68e",
	     "app2"},
	    {"container", "exec_create", APP1_ID, "app1"}, /* ": sh -c echo ..." dropped */
	    {"network", "connect", "k418cmmodbm5n2cs6o9gb8sns", "ov"},
	};
	size_t len, n = 0;
	char *data = read_data("events.jsonl", &len);
	char *line = data, *newline;
	char err[256];

	while ((newline = strchr(line, '\n')) != NULL) {
		struct docker_event event;

		ck_assert_uint_lt(n, sizeof(want) / sizeof(want[0]));
		ck_assert_msg(docker_json_parse_event(line, (size_t)(newline - line), &event, err,
						      sizeof(err)) == 0,
			      "line %zu: %s", n + 1, err);
		ck_assert_str_eq(event.type, want[n].type);
		ck_assert_str_eq(event.action, want[n].action);
		ck_assert_str_eq(event.id, want[n].id);
		ck_assert_str_eq(event.name, want[n].name);
		line = newline + 1;
		n++;
	}
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	free(data);
}
END_TEST

START_TEST(events_hostile)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"Action\":\"start\",\"Actor\":{\"ID\":\"" HEX64 "\"}}",
	    "{\"Type\":\"container\",\"Actor\":{\"ID\":\"" HEX64 "\"}}",
	    "{\"Type\":\"container\",\"Action\":\"start\"}",
	    "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"xyz\"}}",
	    "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"" HEX64 "00\"}}",
	    "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"../../x\"}}",
	    "{\"Type\":\"container\",\"Action\":\"st\\nart\",\"Actor\":{\"ID\":\"" HEX64 "\"}}",
	    "{\"Type\":\"containercontainercontainercontainer\",\"Action\":\"x\"}",
	    "{\"Type\":1,\"Action\":\"x\"}",
	    "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":[]}",
	    "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"" HEX64 "\"}",
	    "{\"Type\":\"x\",\"Action\":\"\"}",
	};
	struct docker_event event;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(
		    docker_json_parse_event(bad[i], strlen(bad[i]), &event, err, sizeof(err)) == -1,
		    "accepted %s", bad[i]);
		ck_assert_msg(err[0] != '\0', "no message for %s", bad[i]);
		ck_assert_str_eq(event.type, "");
	}
	/* An odd Attributes.name is dropped, not fatal: it only narrows the reconcile. */
	{
		static const char *const odd[] = {
		    "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"" HEX64
		    "\",\"Attributes\":{\"name\":\"a\\u0001b\"}}}",
		    "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"" HEX64
		    "\",\"Attributes\":{\"name\":7}}}",
		    "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"" HEX64
		    "\",\"Attributes\":[\"name\"]}}",
		};
		for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
			ck_assert_msg(docker_json_parse_event(odd[i], strlen(odd[i]), &event, err,
							      sizeof(err)) == 0,
				      "%s: %s", odd[i], err);
			ck_assert_str_eq(event.name, "");
			ck_assert_str_eq(event.id, HEX64);
		}
	}
	/* A network event names its container, when it is a container's id; else nothing. */
	{
		static const char *const connect =
		    "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"" HEX64
		    "\",\"Attributes\":{\"container\":\"" HEX64 "\",\"name\":\"apps\"}}}";
		static const char *const odd[] = {
		    "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"" HEX64
		    "\",\"Attributes\":{\"container\":\"abc\"}}}",
		    "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"" HEX64
		    "\",\"Attributes\":{\"container\":\"" HEX64 "0\"}}}",
		    "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"" HEX64
		    "\",\"Attributes\":{\"container\":12}}}",
		};

		ck_assert_int_eq(
		    docker_json_parse_event(connect, strlen(connect), &event, err, sizeof(err)), 0);
		ck_assert_str_eq(event.container, HEX64);
		ck_assert_str_eq(event.name, "apps");
		for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
			ck_assert_msg(docker_json_parse_event(odd[i], strlen(odd[i]), &event, err,
							      sizeof(err)) == 0,
				      "%s: %s", odd[i], err);
			ck_assert_str_eq(event.container, "");
		}
	}
	/* Over-long lines are refused before parsing. */
	ck_assert_int_eq(
	    docker_json_parse_event("{}", DOCKER_MAX_EVENT_LINE + 1, &event, err, sizeof(err)), -1);
}
END_TEST

START_TEST(network_truncated)
{
	size_t len, cut;
	char *json = read_data("network-web.json", &len);

	/* Every proper prefix of a real document is rejected cleanly. */
	for (cut = 0; cut + 1 < len; cut++) {
		struct inventory inv;
		struct inv_network *net;
		char err[256];
		char *copy = malloc(cut + 1);

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, json, cut);
		copy[cut] = '\0';
		ck_assert_msg(parse_network(copy, cut, &inv, &net, err, sizeof(err)) == -1,
			      "accepted %zu-byte prefix", cut);
		inventory_free(&inv);
		free(copy);
	}
	free(json);
}
END_TEST

/* A minimal network document with a substituted endpoint body. */
#define NET_HEAD "{\"Name\":\"n\",\"Id\":\"" HEX64 "\",\"Driver\":\"bridge\",\"Scope\":\"local\","
#define ENDPOINT(body) NET_HEAD "\"Containers\":{\"" HEX64 "\":{" body "}}}"

START_TEST(network_wrong_types)
{
	struct inventory inv;
	struct inv_network *net;
	char err[256];

	/* The minimal document itself is fine. */
	ck_assert_int_eq(parse_network(ENDPOINT("\"Name\":\"a\""),
				       strlen(ENDPOINT("\"Name\":\"a\"")), &inv, &net, err,
				       sizeof(err)),
			 0);
	ck_assert_str_eq(net->bridge, "br-0123456789ab");
	inventory_free(&inv);

	expect_network_error("[]", "not an object");
	{
		/* What Docker sends with a 404 is no network. */
		size_t len;
		char *json = read_data("error-404.json", &len);
		ck_assert_int_eq(parse_network(json, len, &inv, &net, err, sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "missing \"Name\""));
		inventory_free(&inv);
		free(json);
	}
	expect_network_error("{\"Name\":7,\"Id\":\"" HEX64 "\",\"Driver\":\"bridge\"}", "Name");
	expect_network_error("{\"Name\":\"n\",\"Driver\":\"bridge\"}", "Id");
	expect_network_error("{\"Name\":\"n\",\"Id\":[],\"Driver\":\"bridge\"}", "Id");
	expect_network_error(NET_HEAD "\"Internal\":\"yes\"}", "Internal");
	expect_network_error(NET_HEAD "\"IPAM\":[]}", "IPAM");
	expect_network_error(NET_HEAD "\"IPAM\":{\"Config\":{}}}", "Config");
	expect_network_error(NET_HEAD "\"IPAM\":{\"Config\":[\"10.0.0.0/8\"]}}", "Config[0]");
	expect_network_error(NET_HEAD "\"IPAM\":{\"Config\":[{\"Subnet\":10}]}}", "Subnet");
	expect_network_error(NET_HEAD "\"Containers\":[]}", "Containers");
	expect_network_error(NET_HEAD "\"Options\":\"x\"}", "Options");
	expect_network_error(NET_HEAD "\"Options\":{\"com.docker.network.bridge.name\":1}}",
			     "bridge.name");
	expect_network_error(ENDPOINT("\"Name\":[]"), "Name");
	expect_network_error(ENDPOINT("\"IPv4Address\":17"), "IPv4Address");
	expect_network_error(NET_HEAD "\"Containers\":{\"" HEX64 "\":\"x\"}}", "not an object");
	/* Duplicate keys could make two readers disagree: refused. */
	expect_network_error("{\"Name\":\"n\",\"Name\":\"m\",\"Id\":\"" HEX64
			     "\",\"Driver\":\"bridge\"}",
			     "duplicate");
	/* Overstated length with a short buffer: refused before reading. */
	ck_assert_int_eq(parse_network("{}", DOCKER_MAX_BODY + 1, &inv, &net, err, sizeof(err)),
			 -1);
	inventory_free(&inv);
}
END_TEST

START_TEST(network_bad_ids_and_names)
{
	char name[INV_NAME_MAX + 2];
	char doc[1024];
	struct inventory inv;
	struct inv_network *net;
	char err[256];

	/* Network id: 65 characters, upper case, punctuation. */
	expect_network_error("{\"Name\":\"n\",\"Id\":\"" HEX64 "a\",\"Driver\":\"bridge\"}",
			     "Id too long");
	expect_network_error("{\"Name\":\"n\",\"Id\":\"ABC\",\"Driver\":\"bridge\"}", "invalid Id");
	expect_network_error("{\"Name\":\"n\",\"Id\":\"ab/cd\",\"Driver\":\"bridge\"}",
			     "invalid Id");
	/* Container keys: too long, not hex, lb- for another network. */
	expect_network_error(NET_HEAD "\"Containers\":{\"" HEX64 "0\":{}}}", "too long");
	expect_network_error(NET_HEAD "\"Containers\":{\"zz" HEX64 "\":{}}}", "too long");
	expect_network_error(NET_HEAD "\"Containers\":{\"0123zz\":{}}}", "invalid container id");
	expect_network_error(NET_HEAD "\"Containers\":{\"lb-other\":{}}}", "invalid container id");
	/* A driver name longer than the field. */
	expect_network_error("{\"Name\":\"n\",\"Id\":\"ab\",\"Driver\":\"" HEX64 "\"}",
			     "Driver too long");
	/* Control characters in a name. */
	expect_network_error(ENDPOINT("\"Name\":\"a\\u0007b\""), "control");
	/* Bridge option that is no interface name. */
	expect_network_error(NET_HEAD "\"Options\":{\"com.docker.network.bridge.name\":"
				      "\"waytoolongbridgename\"}}",
			     "invalid bridge name");
	expect_network_error(NET_HEAD "\"Options\":{\"com.docker.network.bridge.name\":\"a/b\"}}",
			     "invalid bridge name");

	/* Names: 255 bytes fit, 256 do not. */
	memset(name, 'n', sizeof(name));
	name[INV_NAME_MAX] = '\0';
	snprintf(doc, sizeof(doc), "{\"Name\":\"%s\",\"Id\":\"ab\",\"Driver\":\"null\"}", name);
	ck_assert_int_eq(parse_network(doc, strlen(doc), &inv, &net, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(net->name), INV_NAME_MAX);
	inventory_free(&inv);
	name[INV_NAME_MAX] = 'n';
	name[INV_NAME_MAX + 1] = '\0';
	snprintf(doc, sizeof(doc), "{\"Name\":\"%s\",\"Id\":\"ab\",\"Driver\":\"null\"}", name);
	expect_network_error(doc, "Name too long");
	snprintf(doc, sizeof(doc), ENDPOINT("\"Name\":\"/%s\""), name);
	expect_network_error(doc, "Name too long");
}
END_TEST

START_TEST(network_bad_addresses)
{
	expect_network_error(ENDPOINT("\"IPv4Address\":\"300.1.1.1/24\""), "IPv4Address");
	expect_network_error(ENDPOINT("\"IPv4Address\":\"fd00::2/64\""), "IPv4Address");
	expect_network_error(ENDPOINT("\"IPv4Address\":\"10.0.0.2/33\""), "IPv4Address");
	expect_network_error(ENDPOINT("\"IPv6Address\":\"fd00::zz/64\""), "IPv6Address");
	expect_network_error(ENDPOINT("\"IPv6Address\":\"10.0.0.2/24\""), "IPv6Address");
	expect_network_error(ENDPOINT("\"IPv6Address\":\"fd00::2/64 junk\""), "IPv6Address");
	expect_network_error(ENDPOINT("\"MacAddress\":\"02:42:ac:11:00\""), "MacAddress");
	expect_network_error(ENDPOINT("\"MacAddress\":\"02:42:ac:11:00:0g\""), "MacAddress");
	expect_network_error(ENDPOINT("\"MacAddress\":\"02-42-ac-11-00-02\""), "MacAddress");
	expect_network_error(NET_HEAD "\"IPAM\":{\"Config\":[{\"Subnet\":\"banana\"}]}}",
			     "invalid Subnet");
	expect_network_error(NET_HEAD "\"IPAM\":{\"Config\":[{\"Subnet\":\"10.0.0.0/99\"}]}}",
			     "invalid Subnet");
}
END_TEST

START_TEST(network_too_many_endpoints)
{
	/* Builds a Containers map of `count` endpoints and parses it. */
	for (int round = 0; round < 2; round++) {
		size_t count = round == 0 ? INV_MAX_ENDPOINTS : INV_MAX_ENDPOINTS + 1;
		size_t cap = count * 128 + 256, used;
		char *doc = malloc(cap);
		struct inventory inv;
		struct inv_network *net;
		char err[256];
		int ret;

		ck_assert_ptr_nonnull(doc);
		used = (size_t)snprintf(doc, cap, NET_HEAD "\"Containers\":{");
		for (size_t i = 0; i < count; i++)
			used += (size_t)snprintf(doc + used, cap - used,
						 "%s\"%064zx\":{\"Name\":\"c%zu\"}", i ? "," : "",
						 i, i);
		used += (size_t)snprintf(doc + used, cap - used, "}}");
		ck_assert_uint_lt(used, cap);
		ret = parse_network(doc, used, &inv, &net, err, sizeof(err));
		if (round == 0) {
			ck_assert_msg(ret == 0, "%s", err);
			ck_assert_uint_eq(net->endpoint_count, INV_MAX_ENDPOINTS);
		} else {
			ck_assert_int_eq(ret, -1);
			ck_assert_ptr_nonnull(strstr(err, "endpoints"));
			ck_assert_uint_eq(net->endpoint_count, 0);
		}
		inventory_free(&inv);
		free(doc);
	}
}
END_TEST

START_TEST(network_too_many_subnets)
{
	char doc[4096];
	size_t used = (size_t)snprintf(doc, sizeof(doc), NET_HEAD "\"IPAM\":{\"Config\":[");

	for (int i = 0; i <= INV_MAX_SUBNETS; i++)
		used += (size_t)snprintf(doc + used, sizeof(doc) - used,
					 "%s{\"Subnet\":\"10.%d.0.0/16\"}", i ? "," : "", i);
	snprintf(doc + used, sizeof(doc) - used, "]}}");
	expect_network_error(doc, "subnets");
}
END_TEST

/* Runs docker_filters_json and checks the result (NULL want = must fail, err containing need). */
static void expect_filters(const char *expression, const char *network, const char *want,
			   const char *need)
{
	char err[256] = "";
	char *got = docker_filters_json(expression, network, err, sizeof(err));

	if (want == NULL) {
		ck_assert_msg(got == NULL, "\"%s\" gave %s", expression, got);
		ck_assert_msg(strstr(err, need) != NULL, "\"%s\": error \"%s\" lacks \"%s\"",
			      expression, err, need);
		return;
	}
	ck_assert_msg(got != NULL, "\"%s\": %s", expression, err);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(filters_valid)
{
	expect_filters("ancestor=traefik:v3", "web",
		       "{\"ancestor\":[\"traefik:v3\"],\"network\":[\"web\"]}", NULL);
	/* Split at the first '=': the label value keeps its own '='. */
	expect_filters("label=tjd.allow=true", NULL, "{\"label\":[\"tjd.allow=true\"]}", NULL);
	/* Same key twice: both values (Docker ORs them); different keys AND. */
	expect_filters("  name=a\tname=b   label=x ", NULL,
		       "{\"label\":[\"x\"],\"name\":[\"a\",\"b\"]}", NULL);
	expect_filters(NULL, "web", "{\"network\":[\"web\"]}", NULL);
	/* An explicit network term is not widened by the protected network. */
	expect_filters("network=front", "web", "{\"network\":[\"front\"]}", NULL);
	expect_filters("status=running health=healthy is-task=false exited=0", NULL,
		       "{\"exited\":[\"0\"],\"health\":[\"healthy\"],\"is-task\":[\"false\"],"
		       "\"status\":[\"running\"]}",
		       NULL);
	expect_filters("label=caf\xc3\xa9=1", NULL, "{\"label\":[\"caf\xc3\xa9=1\"]}", NULL);
}
END_TEST

START_TEST(filters_invalid)
{
	char longexpr[DOCKER_MAX_EVENT_LINE];

	expect_filters("alow=traefik", NULL, NULL, "alow=traefik");
	expect_filters("name=proxy colour=blue", NULL, NULL, "colour=blue");
	expect_filters("traefik", NULL, NULL, "expected key=value");
	expect_filters("name=", NULL, NULL, "empty value");
	expect_filters("=proxy", NULL, NULL, "unknown key");
	expect_filters("name=a\x01"
		       "b",
		       NULL, NULL, "a?b");
	expect_filters("name=a\nname=b", NULL, NULL, "control");
	expect_filters("", "web", NULL, "empty");
	expect_filters(" \t ", NULL, NULL, "empty");
	expect_filters("status=sleeping", NULL, NULL, "status=sleeping");
	expect_filters("health=fine", NULL, NULL, "health");
	expect_filters("exited=-1", NULL, NULL, "exited");
	expect_filters("name=\xff\xfe", NULL, NULL, "UTF-8");
	expect_filters("name=a", "bad\nnet", NULL, "network");
	memset(longexpr, 'a', sizeof(longexpr) - 1);
	memcpy(longexpr, "name=", 5);
	longexpr[sizeof(longexpr) - 1] = '\0';
	expect_filters(longexpr, NULL, NULL, "too long");
	longexpr[5 + 1025] = '\0';
	expect_filters(longexpr, NULL, NULL, "too long");
}
END_TEST

/*
 * The container parsers.  containers-policy.json, container-policy.json and
 * container-host.json are written by hand in the shape Engine API v1.41
 * documents (a dcfw policy, host and container: network modes, a legacy
 * link alias, dual-stack addresses); the others are recorded.
 */
#define FW_ID "3f6c1b1f0c7b4a6e9d2a8b5c4e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f"
#define HOSTNET_ID "9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
#define BACK_ID "b37f4a16b423cef0f2e5603e4d079f18209312868de7a916bf2dbbe88ef2a9d0"

/* The value of label key, NULL when the container has none. */
static const char *label_value(const struct docker_container *c, const char *key)
{
	for (size_t i = 0; i < c->label_count; i++)
		if (strcmp(c->labels[i].key, key) == 0)
			return c->labels[i].value;
	return NULL;
}

/* The address on network, which must be there. */
static const struct docker_container_address *address_on(const struct docker_container *c,
							 const char *network)
{
	for (size_t i = 0; i < c->address_count; i++)
		if (strcmp(c->addresses[i].network, network) == 0)
			return &c->addresses[i];
	ck_abort_msg("%s: no address on %s", c->name, network);
	return NULL;
}

/* Frees a list from docker_json_container_list. */
static void free_containers(struct docker_container *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		docker_container_free(&list[i]);
	free(list);
}

/* Parses a data file as a container list, which must succeed. */
static struct docker_container *list_file(const char *name, size_t *count)
{
	struct docker_container *list;
	char err[256];
	size_t len;
	char *json = read_data(name, &len);

	ck_assert_msg(docker_json_container_list(json, len, &list, count, err, sizeof(err)) == 0,
		      "%s: %s", name, err);
	free(json);
	return list;
}

/* Parses a data file as an inspected container, which must succeed. */
static void inspect_file(const char *name, struct docker_container *c)
{
	char err[256];
	size_t len;
	char *json = read_data(name, &len);

	ck_assert_msg(docker_json_container_inspect(json, len, c, err, sizeof(err)) == 0, "%s: %s",
		      name, err);
	free(json);
}

/* The dcfw policy of the hand-written fw container, as the labels parser reads it. */
static void check_fw_container(const struct docker_container *fw)
{
	const struct docker_container_address *web, *back;
	struct rulespec_policy policy;
	struct rulespec_error rerr;
	char a[64];

	ck_assert_str_eq(fw->id, FW_ID);
	ck_assert_str_eq(fw->name, "shop-fw-1");
	ck_assert_str_eq(fw->network_mode, "web");
	ck_assert_uint_eq(fw->label_count, 9);
	/* Docker's order is kept. */
	ck_assert_str_eq(fw->labels[0].key, "com.docker.compose.project");
	ck_assert_str_eq(fw->labels[0].value, "shop");
	ck_assert_str_eq(label_value(fw, "dcfw.enable"), "true");
	ck_assert_str_eq(label_value(fw, "dcfw.output.rule.1"),
			 "allow proto tcp to 172.18.0.3 port 5432 comment \"Allow access to "
			 "PostgreSQL\"");
	/* UTF-8 and line breaks are a value's own business. */
	ck_assert_str_eq(label_value(fw, "org.opencontainers.image.description"),
			 "caf\xc3\xa9 \xe2\x98\x95\nsecond line");
	ck_assert_int_eq(rulespec_parse_labels(fw->labels, fw->label_count, &policy, &rerr), 1);
	ck_assert_str_eq(policy.source, "dcfw");
	ck_assert_uint_eq(policy.input.count, 2);
	ck_assert_uint_eq(policy.output.count, 1);
	rulespec_policy_free(&policy);

	ck_assert_uint_eq(fw->address_count, 2);
	web = address_on(fw, "web");
	ck_assert_str_eq(web->network_id, WEB_ID);
	ck_assert_str_eq(fmt_prefix(&web->ipv4, a, sizeof(a)), "172.30.0.5/32");
	ck_assert_str_eq(fmt_prefix(&web->ipv6, a, sizeof(a)), "fd00:30::5/128");
	ck_assert_str_eq(web->mac, "02:42:ac:1e:00:05");
	back = address_on(fw, "back");
	ck_assert_str_eq(back->network_id, BACK_ID);
	ck_assert_str_eq(fmt_prefix(&back->ipv4, a, sizeof(a)), "172.18.0.4/32");
	ck_assert_int_eq(back->ipv6.family, 0);
}

START_TEST(container_list_policy)
{
	struct docker_container *list;
	size_t count;
	const struct docker_container_address *host;

	list = list_file("containers-policy.json", &count);
	ck_assert_uint_eq(count, 5);
	check_fw_container(&list[0]);
	ck_assert_str_eq(list[0].sandbox_key, "");
	ck_assert_int_eq(list[0].pid, 0);
	/* a list says its State in a word */
	ck_assert_str_eq(list[0].state, "running");
	ck_assert(list[0].running);
	{
		static const char *const bad[] = {
		    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/a\"],\"State\":\"Running\"}]",
		    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/a\"],\"State\":7}]",
		    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/a\"],\"State\":\"\"}]",
		    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/a\"],\"State\":\"runningrunningrun\"}]",
		};
		struct docker_container *none;
		size_t n;
		char err[256];

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			ck_assert_msg(docker_json_container_list(bad[i], strlen(bad[i]), &none, &n,
								 err, sizeof(err)) == -1,
				      "accepted %s", bad[i]);
	}

	/* Host networking: one "host" member without addresses. */
	ck_assert_str_eq(list[1].id, HOSTNET_ID);
	ck_assert_str_eq(list[1].name, "hostnet");
	ck_assert_str_eq(list[1].network_mode, "host");
	ck_assert_str_eq(label_value(&list[1], "tjd.enable"), "yes");
	ck_assert_uint_eq(list[1].address_count, 1);
	host = address_on(&list[1], "host");
	ck_assert_int_eq(host->ipv4.family, 0);
	ck_assert_int_eq(host->ipv6.family, 0);
	ck_assert_str_eq(host->mac, "");

	/* Sharing another container's namespace: no networks of its own. */
	ck_assert_str_eq(list[2].name, "sidecar");
	ck_assert_str_eq(list[2].network_mode, "container:" FW_ID);
	ck_assert_uint_eq(list[2].address_count, 0);
	ck_assert_ptr_null(list[2].addresses);
	ck_assert_str_eq(label_value(&list[2], "dcfw.enable"), "false");

	/* A legacy link alias ("/app/zdb") sorted first is not the name. */
	ck_assert_str_eq(list[3].name, "zdb");
	ck_assert_uint_eq(list[3].label_count, 0);
	ck_assert_ptr_null(list[3].labels);

	ck_assert_str_eq(list[4].name, "isolated");
	ck_assert_str_eq(list[4].network_mode, "none");
	ck_assert_str_eq(address_on(&list[4], "none")->mac, "");
	free_containers(list, count);
}
END_TEST

START_TEST(container_list_recorded)
{
	struct docker_container *list;
	size_t count;
	bool proxy = false, app1 = false, ovc = false, lone = false;
	char err[256];
	char a[64];

	list = list_file("containers.json", &count);
	ck_assert_uint_eq(count, 5);
	for (size_t i = 0; i < count; i++) {
		const struct docker_container *c = &list[i];

		ck_assert_uint_eq(strlen(c->id), 64);
		if (strcmp(c->name, "proxy") == 0) {
			proxy = true;
			ck_assert_str_eq(c->id, PROXY_ID);
			ck_assert_uint_eq(c->label_count, 1);
			ck_assert_str_eq(label_value(c, "tjd.allow"), "true");
			ck_assert_str_eq(fmt_prefix(&address_on(c, "web")->ipv6, a, sizeof(a)),
					 "fd00:30::2/128");
		} else if (strcmp(c->name, "app1") == 0) {
			app1 = true;
			ck_assert_str_eq(c->network_mode, "web");
			ck_assert_uint_eq(c->address_count, 2);
			ck_assert_str_eq(fmt_prefix(&address_on(c, "back")->ipv4, a, sizeof(a)),
					 "172.18.0.2/32");
		} else if (strcmp(c->name, "ovc") == 0) {
			ovc = true;
			/* swarm-scoped networks have 25-character ids */
			ck_assert_str_eq(address_on(c, "ov")->network_id,
					 "k418cmmodbm5n2cs6o9gb8sns");
		} else if (strcmp(c->name, "lone") == 0) {
			lone = true;
			ck_assert_str_eq(c->network_mode, "default");
			ck_assert_str_eq(address_on(c, "bridge")->mac, "02:42:ac:11:00:02");
		}
	}
	ck_assert(proxy && app1 && ovc && lone);
	free_containers(list, count);

	list = list_file("containers-all.json", &count);
	ck_assert_uint_eq(count, 6);
	free_containers(list, count);

	ck_assert_int_eq(docker_json_container_list("[]", 2, &list, &count, err, sizeof(err)), 0);
	ck_assert_uint_eq(count, 0);
	free(list);
}
END_TEST

START_TEST(container_inspect_recorded)
{
	struct docker_container c;
	const struct docker_container_address *host;

	inspect_file("container-policy.json", &c);
	check_fw_container(&c);
	ck_assert_int_eq(c.pid, 41873);
	ck_assert(c.running);
	ck_assert_str_eq(c.sandbox_key, "/var/run/docker/netns/8a1b2c3d4e5f");
	docker_container_free(&c);
	/* Freeing twice is fine: free empties. */
	docker_container_free(&c);

	inspect_file("container-host.json", &c);
	ck_assert_str_eq(c.name, "hostnet");
	ck_assert_str_eq(c.network_mode, "host");
	ck_assert_str_eq(c.sandbox_key, "/var/run/docker/netns/default");
	ck_assert_int_eq(c.pid, 2210);
	host = address_on(&c, "host");
	ck_assert_int_eq(host->ipv4.family, 0);
	ck_assert_uint_eq(c.label_count, 3);
	docker_container_free(&c);

	inspect_file("container-proxy.json", &c);
	ck_assert_str_eq(c.id, PROXY_ID);
	ck_assert_str_eq(c.name, "proxy");
	ck_assert_int_eq(c.pid, 3853);
	ck_assert(c.running);
	ck_assert_str_eq(c.sandbox_key, "/tmp/tjdrec/exec/netns/36e2b4b7036e");
	ck_assert_str_eq(label_value(&c, "tjd.allow"), "true");
	ck_assert_str_eq(address_on(&c, "web")->mac, "02:42:ac:1e:00:02");
	docker_container_free(&c);

	/* Created, never started: no pid, no sandbox, an endpoint without anything yet. */
	inspect_file("container-stopped.json", &c);
	ck_assert_str_eq(c.name, "stopped");
	ck_assert_int_eq(c.pid, 0);
	ck_assert(!c.running);
	ck_assert_str_eq(c.sandbox_key, "");
	ck_assert_uint_eq(c.label_count, 0);
	ck_assert_str_eq(address_on(&c, "web")->network_id, "");
	ck_assert_int_eq(address_on(&c, "web")->ipv4.family, 0);
	docker_container_free(&c);
}
END_TEST

/* A list item with the given Labels, NetworkMode and Networks members (JSON text). */
#define LIST_ITEM(id, names, labels, mode, networks)                                               \
	"{\"Id\":\"" id "\",\"Names\":" names ",\"Labels\":" labels                                \
	",\"HostConfig\":{\"NetworkMode\":" mode "},\"NetworkSettings\":{\"Networks\":" networks   \
	"}}"
#define GOOD_ITEM LIST_ITEM(HEX64, "[\"/a\"]", "{}", "\"web\"", "{}")
/* A second item with one member of Networks, web, holding body. */
#define NET_ITEM(body)                                                                             \
	"[" GOOD_ITEM "," LIST_ITEM(HEX64, "[\"/b\"]", "{}", "\"web\"", "{\"web\":{" body "}}") "]"
/* A second item with Labels labels. */
#define LABEL_ITEM(labels)                                                                         \
	"[" GOOD_ITEM "," LIST_ITEM(HEX64, "[\"/b\"]", labels, "\"web\"", "{}") "]"

START_TEST(container_list_lenient)
{
	static const char *const good[] = {
	    /* Labels and Networks absent or null are none; unknown members are ignored. */
	    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/a\"],\"SizeRw\":12,\"Future\":{\"x\":[1]}}]",
	    "[" LIST_ITEM(HEX64, "[\"/a\"]", "null", "\"host\"", "null") "]",
	    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/a\"],\"HostConfig\":{},\"NetworkSettings\":{}}]",
	    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/a\"],\"HostConfig\":null,\"Labels\":null}]",
	    /* Empty addresses mean none; a MAC in capitals is stored in lower case. */
	    NET_ITEM("\"IPAddress\":\"\",\"GlobalIPv6Address\":\"\",\"MacAddress\":\"02:42:AC:1E:"
		     "00:0A\","
		     "\"NetworkID\":\"\""),
	    /* An empty label value is a value. */
	    LABEL_ITEM("{\"dcfw.enable\":\"\"}"),
	};
	struct docker_container *list;
	size_t count;
	char err[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(docker_json_container_list(good[i], strlen(good[i]), &list, &count,
							 err, sizeof(err)) == 0,
			      "%s: %s", good[i], err);
		ck_assert_uint_ge(count, 1);
		if (i == 4)
			ck_assert_str_eq(list[1].addresses[0].mac, "02:42:ac:1e:00:0a");
		if (i == 5)
			ck_assert_str_eq(label_value(&list[1], "dcfw.enable"), "");
		free_containers(list, count);
	}
}
END_TEST

/* Expects a container list to be refused, err containing what, the out params empty. */
static void expect_list_error(const char *json, size_t len, const char *what)
{
	struct docker_container *list = (struct docker_container *)1;
	size_t count = 99;
	char err[512] = "";

	ck_assert_msg(docker_json_container_list(json, len, &list, &count, err, sizeof(err)) == -1,
		      "accepted %.300s", json);
	ck_assert_ptr_null(list);
	ck_assert_uint_eq(count, 0);
	ck_assert_msg(strstr(err, what) != NULL, "%.200s: error \"%s\" lacks \"%s\"", json, err,
		      what);
}

START_TEST(container_list_refused)
{
	static const struct {
		const char *json, *what;
	} bad[] = {
	    {"{}", "not an array"},
	    {"[1]", "item 0: not an object"},
	    {"[" GOOD_ITEM ",[]]", "item 1: not an object"},
	    /* ids: exactly 64 lowercase hex digits, the item named */
	    {"[" GOOD_ITEM ",{\"Names\":[\"/b\"]}]", "item 1: missing \"Id\""},
	    {"[" GOOD_ITEM "," LIST_ITEM("0123456789ab", "[\"/b\"]", "{}", "\"web\"", "{}") "]",
	     "item 1: invalid Id"},
	    {"[" LIST_ITEM(HEX64 "0", "[\"/b\"]", "{}", "\"web\"", "{}") "]", "item 0: invalid Id"},
	    {"[" LIST_ITEM("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
			   "[\"/b\"]", "{}", "\"web\"", "{}") "]",
	     "invalid Id"},
	    {"[{\"Id\":7,\"Names\":[\"/b\"]}]", "\"Id\" is not a string"},
	    /* names */
	    {"[{\"Id\":\"" HEX64 "\"}]", "missing \"Names\""},
	    {"[{\"Id\":\"" HEX64 "\",\"Names\":\"/a\"}]", "\"Names\" is not an array"},
	    {"[{\"Id\":\"" HEX64 "\",\"Names\":[]}]", "no container name"},
	    {"[{\"Id\":\"" HEX64 "\",\"Names\":[\"/p/alias\"]}]", "no container name"},
	    {"[{\"Id\":\"" HEX64 "\",\"Names\":[5]}]", "Names[0] is not a string"},
	    {"[" GOOD_ITEM "," LIST_ITEM(HEX64, "[\"/-b\"]", "{}", "\"web\"", "{}") "]",
	     "item 1: invalid container name \"-b\""},
	    {"[" LIST_ITEM(HEX64, "[\"/a b\"]", "{}", "\"web\"", "{}") "]",
	     "invalid container name"},
	    {"[" LIST_ITEM(HEX64, "[\"/\"]", "{}", "\"web\"", "{}") "]", "invalid container name"},
	    /* NUL in a string value: the loader refuses it (no JSON_ALLOW_NUL) */
	    {"[" LIST_ITEM(HEX64, "[\"/a\\u0000b\"]", "{}", "\"web\"", "{}") "]", "is not allowed"},
	    {"[" LIST_ITEM(HEX64, "[\"/caf\\u00e9\"]", "{}", "\"web\"", "{}") "]",
	     "invalid container name"},
	    /* labels */
	    {LABEL_ITEM("[]"), "item 1: \"Labels\" is not an object"},
	    {LABEL_ITEM("{\"dcfw.enable\":true}"), "label \"dcfw.enable\" is not a string"},
	    {LABEL_ITEM("{\"dcfw.enable\":null}"), "is not a string"},
	    {LABEL_ITEM("{\"dcfw.enable\":\"true\\u0000false\"}"), "is not allowed"},
	    /* and NUL in a key: refused, never cut at it */
	    {LABEL_ITEM("{\"dcfw.enable\\u0000x\":\"true\"}"), "NUL byte in object key"},
	    {LABEL_ITEM("{\"\":\"x\"}"), "invalid label key"},
	    {LABEL_ITEM("{\"a\\nb\":\"x\"}"), "invalid label key"},
	    /* network mode */
	    {"[{\"Id\":\"" HEX64 "\",\"Names\":[\"/a\"],\"HostConfig\":\"host\"}]",
	     "\"HostConfig\" is not an object"},
	    {"[" LIST_ITEM(HEX64, "[\"/a\"]", "{}", "7", "{}") "]",
	     "\"NetworkMode\" is not a string"},
	    {"[" LIST_ITEM(HEX64, "[\"/a\"]", "{}", "\"we\\u0001b\"", "{}") "]",
	     "NetworkMode contains control characters"},
	    /* networks and addresses */
	    {"[" LIST_ITEM(HEX64, "[\"/a\"]", "{}", "\"web\"", "[]") "]",
	     "\"Networks\" is not an object"},
	    {"[{\"Id\":\"" HEX64 "\",\"Names\":[\"/a\"],\"NetworkSettings\":[]}]",
	     "\"NetworkSettings\" is not an object"},
	    {"[" LIST_ITEM(HEX64, "[\"/a\"]", "{}", "\"web\"", "{\"web\":\"x\"}") "]",
	     "network web: not an object"},
	    {"[" LIST_ITEM(HEX64, "[\"/a\"]", "{}", "\"web\"", "{\"\":{}}") "]",
	     "invalid network name"},
	    {"[" LIST_ITEM(HEX64, "[\"/a\"]", "{}", "\"web\"", "{\"we\\u0000b\":{}}") "]",
	     "NUL byte in object key"},
	    {NET_ITEM("\"IPAddress\":\"fd00:30::5\""),
	     "item 1: network web: invalid IPAddress \"fd00:30::5\""},
	    {NET_ITEM("\"IPAddress\":\"172.30.0.5/24\""), "invalid IPAddress"},
	    {NET_ITEM("\"IPAddress\":\"172.30.0.256\""), "invalid IPAddress"},
	    {NET_ITEM("\"IPAddress\":\"172.30.0.5 \""), "invalid IPAddress"},
	    {NET_ITEM("\"IPAddress\":\"172.30.0.5\\u0000\""), "is not allowed"},
	    {NET_ITEM("\"IPAddress\":5"), "\"IPAddress\" is not a string"},
	    {NET_ITEM("\"GlobalIPv6Address\":\"172.30.0.5\""), "invalid GlobalIPv6Address"},
	    {NET_ITEM("\"GlobalIPv6Address\":\"::ffff:172.30.0.5/128\""),
	     "invalid GlobalIPv6Address"},
	    {NET_ITEM("\"GlobalIPv6Address\":\"fe80::1%eth0\""), "invalid GlobalIPv6Address"},
	    {NET_ITEM("\"MacAddress\":\"02:42:ac:1e:00\""), "invalid MacAddress"},
	    {NET_ITEM("\"MacAddress\":\"02-42-ac-1e-00-05\""), "invalid MacAddress"},
	    {NET_ITEM("\"NetworkID\":\"../x\""), "invalid NetworkID"},
	    {NET_ITEM("\"NetworkID\":[]"), "\"NetworkID\" is not a string"},
	    /* duplicate members could make two readers disagree */
	    {"[{\"Id\":\"" HEX64 "\",\"Id\":\"" HEX64 "\",\"Names\":[\"/a\"]}]", "duplicate"},
	    {LABEL_ITEM("{\"dcfw.enable\":\"false\",\"dcfw.enable\":\"true\"}"), "duplicate"},
	    {"[" GOOD_ITEM, "invalid JSON"},
	    {"", "invalid JSON"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_list_error(bad[i].json, strlen(bad[i].json), bad[i].what);
	/* Overstated length: refused before reading. */
	expect_list_error("[]", DOCKER_MAX_BODY + 1, "too large");
}
END_TEST

/* Builds one list item with count labels, the last with a key and value of the given sizes. */
static char *labels_document(size_t count, size_t key_len, size_t value_len, size_t *len)
{
	size_t cap = count * 48 + key_len + value_len + 512, used;
	char *doc = malloc(cap);

	ck_assert_ptr_nonnull(doc);
	used = (size_t)snprintf(doc, cap, "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/a\"],\"Labels\":{");
	for (size_t i = 0; i + 1 < count; i++)
		used += (size_t)snprintf(doc + used, cap - used,
					 "\"dcfw.input.rule.%zu\":\"allow\",", i + 1);
	doc[used++] = '"';
	memset(doc + used, 'k', key_len);
	used += key_len;
	used += (size_t)snprintf(doc + used, cap - used, "\":\"");
	memset(doc + used, 'v', value_len);
	used += value_len;
	used += (size_t)snprintf(doc + used, cap - used, "\"}}]");
	ck_assert_uint_lt(used, cap);
	*len = used;
	return doc;
}

START_TEST(container_list_ports)
{
	static const char good[] =
	    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/web\"],\"State\":\"running\","
	    "\"Ports\":[{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,\"PublicPort\":8000,\"Type\":"
	    "\"tcp\"},"
	    "{\"IP\":\"::\",\"PrivatePort\":80,\"PublicPort\":8000,\"Type\":\"tcp\"},"
	    "{\"IP\":\"::\",\"PrivatePort\":80,\"PublicPort\":8000,\"Type\":\"tcp\"},"
	    "{\"PrivatePort\":443,\"Type\":\"tcp\"},"
	    "{\"IP\":\"127.0.0.1\",\"PrivatePort\":53,\"PublicPort\":5353,\"Type\":\"udp\"}]}]";
	static const char *const bad[] = {
	    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/w\"],\"Ports\":[{\"PrivatePort\":80,"
	    "\"PublicPort\":70000,\"Type\":\"tcp\"}]}]",
	    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/w\"],\"Ports\":[{\"PrivatePort\":0,"
	    "\"PublicPort\":80,\"Type\":\"tcp\"}]}]",
	    "[{\"Id\":\"" HEX64
	    "\",\"Names\":[\"/w\"],\"Ports\":[{\"PublicPort\":80,\"Type\":\"tcp\"}]}]",
	    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/w\"],\"Ports\":[{\"PrivatePort\":80,"
	    "\"PublicPort\":80,\"Type\":\"icmp\"}]}]",
	    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/w\"],\"Ports\":[{\"IP\":\"example.com\","
	    "\"PrivatePort\":80,\"PublicPort\":80,\"Type\":\"tcp\"}]}]",
	    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/w\"],\"Ports\":[{\"PrivatePort\":\"80\","
	    "\"PublicPort\":80,\"Type\":\"tcp\"}]}]",
	    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/w\"],\"Ports\":{}}]",
	    "[{\"Id\":\"" HEX64 "\",\"Names\":[\"/w\"],\"Ports\":[7]}]",
	};
	struct docker_container *list = NULL;
	size_t count = 0;
	char err[256], ip[64];

	ck_assert_msg(
	    docker_json_container_list(good, strlen(good), &list, &count, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(count, 1);
	/* published ones only, each once */
	ck_assert_uint_eq(list[0].binding_count, 3);
	ck_assert_uint_eq(list[0].bindings[0].protocol, IPPROTO_TCP);
	ck_assert_uint_eq(list[0].bindings[0].host_port, 8000);
	ck_assert_uint_eq(list[0].bindings[0].container_port, 80);
	ck_assert_int_eq(list[0].bindings[0].host_ip.family, AF_INET);
	ck_assert_int_eq(list[0].bindings[1].host_ip.family, AF_INET6);
	ck_assert_uint_eq(list[0].bindings[2].protocol, IPPROTO_UDP);
	ck_assert_uint_eq(list[0].bindings[2].host_port, 5353);
	ck_assert_int_eq(prefix_format_address(&list[0].bindings[2].host_ip, ip, sizeof(ip)), 0);
	ck_assert_str_eq(ip, "127.0.0.1");
	docker_container_free(&list[0]);
	free(list);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		list = NULL;
		ck_assert_msg(docker_json_container_list(bad[i], strlen(bad[i]), &list, &count, err,
							 sizeof(err)) == -1,
			      "accepted %s", bad[i]);
		ck_assert_ptr_null(list);
	}
}
END_TEST

START_TEST(container_list_bounds)
{
	struct docker_container *list;
	size_t count, len;
	char err[256];
	char *doc;

	/* At the bounds: accepted. */
	doc =
	    labels_document(DOCKER_LABELS_MAX, DOCKER_LABEL_KEY_MAX, DOCKER_LABEL_VALUE_MAX, &len);
	ck_assert_msg(docker_json_container_list(doc, len, &list, &count, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(list[0].label_count, DOCKER_LABELS_MAX);
	ck_assert_uint_eq(strlen(list[0].labels[DOCKER_LABELS_MAX - 1].key), DOCKER_LABEL_KEY_MAX);
	ck_assert_uint_eq(strlen(list[0].labels[DOCKER_LABELS_MAX - 1].value),
			  DOCKER_LABEL_VALUE_MAX);
	free_containers(list, count);
	free(doc);
	/* One past each: refused. */
	doc = labels_document(DOCKER_LABELS_MAX + 1, 1, 1, &len);
	expect_list_error(doc, len, "513 labels, at most 512");
	free(doc);
	doc = labels_document(1, DOCKER_LABEL_KEY_MAX + 1, 1, &len);
	expect_list_error(doc, len, "invalid label key");
	free(doc);
	doc = labels_document(1, 1, DOCKER_LABEL_VALUE_MAX + 1, &len);
	expect_list_error(doc, len, "too long");
	free(doc);

	/* Networks per container. */
	for (int round = 0; round < 2; round++) {
		size_t networks = DOCKER_CONTAINER_NETWORKS_MAX + (size_t)round;
		size_t cap = networks * 64 + 256, used;

		doc = malloc(cap);
		ck_assert_ptr_nonnull(doc);
		used = (size_t)snprintf(doc, cap,
					"[{\"Id\":\"" HEX64 "\",\"Names\":[\"/a\"],"
					"\"NetworkSettings\":{\"Networks\":{");
		for (size_t i = 0; i < networks; i++)
			used += (size_t)snprintf(doc + used, cap - used,
						 "%s\"n%zu\":{\"IPAddress\":\"10.0.%zu.2\"}",
						 i ? "," : "", i, i);
		used += (size_t)snprintf(doc + used, cap - used, "}}}]");
		ck_assert_uint_lt(used, cap);
		if (round == 0) {
			ck_assert_msg(docker_json_container_list(doc, used, &list, &count, err,
								 sizeof(err)) == 0,
				      "%s", err);
			ck_assert_uint_eq(list[0].address_count, DOCKER_CONTAINER_NETWORKS_MAX);
			free_containers(list, count);
		} else {
			expect_list_error(doc, used, "65 networks, at most 64");
		}
		free(doc);
	}

	/* Containers per list: refused before any item is read. */
	{
		size_t items = DOCKER_CONTAINERS_MAX + 1, used = 0;

		doc = malloc(items * 3 + 2);
		ck_assert_ptr_nonnull(doc);
		doc[used++] = '[';
		for (size_t i = 0; i < items; i++) {
			memcpy(doc + used, i ? ",{}" : "{}", i ? 3 : 2);
			used += i ? 3 : 2;
		}
		doc[used++] = ']';
		expect_list_error(doc, used, "16385 containers, at most 16384");
		free(doc);
	}
}
END_TEST

/* An inspect document with the given State, Name, Config and NetworkSettings members. */
#define INSPECT(state, name, config, settings)                                                     \
	"{\"Id\":\"" HEX64 "\",\"Name\":" name ",\"State\":" state                                 \
	",\"HostConfig\":{\"NetworkMode\":\"container:" HEX64 "\"},\"Config\":" config             \
	",\"NetworkSettings\":" settings "}"
#define STATE_OK "{\"Running\":true,\"Pid\":12}"
#define SETTINGS_OK "{\"SandboxKey\":\"\",\"Networks\":{}}"
#define INSPECT_SANDBOX(key) INSPECT(STATE_OK, "\"/a\"", "{}", "{\"SandboxKey\":" key "}")

START_TEST(container_inspect_lenient)
{
	static const char doc[] = INSPECT(STATE_OK, "\"/a\"", "{\"Labels\":null}", SETTINGS_OK);
	static const char bare[] = "{\"Id\":\"" HEX64 "\",\"Name\":\"/b\",\"State\":{\"Pid\":"
				   "2147483647,\"Running\":false}}";
	struct docker_container c;
	char err[256];

	/* Another container's namespace: no sandbox, no networks of its own. */
	ck_assert_msg(docker_json_container_inspect(doc, strlen(doc), &c, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_str_eq(c.name, "a");
	ck_assert_str_eq(c.network_mode, "container:" HEX64);
	ck_assert_str_eq(c.sandbox_key, "");
	ck_assert_int_eq(c.pid, 12);
	ck_assert(c.running);
	ck_assert_uint_eq(c.label_count, 0);
	ck_assert_uint_eq(c.address_count, 0);
	docker_container_free(&c);

	/* Only Id, Name and State are required; the largest pid fits. */
	ck_assert_msg(docker_json_container_inspect(bare, strlen(bare), &c, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(c.pid, 2147483647);
	ck_assert_str_eq(c.network_mode, "");
	docker_container_free(&c);
}
END_TEST

/* Expects an inspect document to be refused, err containing what, *out empty. */
static void expect_inspect_error(const char *json, size_t len, const char *what)
{
	struct docker_container c;
	char err[512] = "";

	memset(&c, 0x5a, sizeof(c));
	ck_assert_msg(docker_json_container_inspect(json, len, &c, err, sizeof(err)) == -1,
		      "accepted %.300s", json);
	ck_assert_str_eq(c.id, "");
	ck_assert_str_eq(c.name, "");
	ck_assert_str_eq(c.sandbox_key, "");
	ck_assert_ptr_null(c.labels);
	ck_assert_ptr_null(c.label_text);
	ck_assert_ptr_null(c.addresses);
	ck_assert_uint_eq(c.label_count + c.address_count, 0);
	ck_assert_msg(strstr(err, what) != NULL, "%.200s: error \"%s\" lacks \"%s\"", json, err,
		      what);
}

START_TEST(container_inspect_refused)
{
	static const struct {
		const char *json, *what;
	} bad[] = {
	    {"[]", "container: not an object"},
	    {"{\"Name\":\"/a\",\"State\":" STATE_OK "}", "missing \"Id\""},
	    {"{\"Id\":\"" HEX64 "x\",\"Name\":\"/a\",\"State\":" STATE_OK "}", "invalid Id"},
	    {"{\"Id\":\"" HEX64 "\",\"State\":" STATE_OK "}", "missing \"Name\""},
	    {INSPECT(STATE_OK, "[\"/a\"]", "{}", SETTINGS_OK), "\"Name\" is not a string"},
	    {INSPECT(STATE_OK, "\"/a/b\"", "{}", SETTINGS_OK), "invalid container name"},
	    {INSPECT(STATE_OK, "\"/.a\"", "{}", SETTINGS_OK), "invalid container name"},
	    /* State.Pid: an integer in [0, INT32_MAX]; Running a boolean */
	    {"{\"Id\":\"" HEX64 "\",\"Name\":\"/a\"}", "missing \"State\""},
	    {INSPECT("[]", "\"/a\"", "{}", SETTINGS_OK), "\"State\" is not an object"},
	    {INSPECT("{\"Running\":true}", "\"/a\"", "{}", SETTINGS_OK), "\"Pid\" missing"},
	    {INSPECT("{\"Running\":true,\"Pid\":-1}", "\"/a\"", "{}", SETTINGS_OK),
	     "Pid -1 out of range"},
	    {INSPECT("{\"Running\":true,\"Pid\":2147483648}", "\"/a\"", "{}", SETTINGS_OK),
	     "Pid 2147483648 out of range"},
	    {INSPECT("{\"Running\":true,\"Pid\":99999999999999999999}", "\"/a\"", "{}",
		     SETTINGS_OK),
	     "invalid JSON"},
	    {INSPECT("{\"Running\":true,\"Pid\":12.0}", "\"/a\"", "{}", SETTINGS_OK),
	     "not an integer"},
	    {INSPECT("{\"Running\":true,\"Pid\":\"12\"}", "\"/a\"", "{}", SETTINGS_OK),
	     "not an integer"},
	    {INSPECT("{\"Running\":true,\"Pid\":null}", "\"/a\"", "{}", SETTINGS_OK),
	     "not an integer"},
	    {INSPECT("{\"Pid\":12}", "\"/a\"", "{}", SETTINGS_OK), "\"Running\" missing"},
	    {INSPECT("{\"Pid\":12,\"Running\":\"true\"}", "\"/a\"", "{}", SETTINGS_OK),
	     "not a boolean"},
	    /* SandboxKey: "" or a plain absolute path */
	    {INSPECT_SANDBOX("\"var/run/docker/netns/x\""), "not a plain absolute path"},
	    {INSPECT_SANDBOX("\"/var/run/../../etc/x\""), "not a plain absolute path"},
	    {INSPECT_SANDBOX("\"/var/run/docker/..\""), "not a plain absolute path"},
	    {INSPECT_SANDBOX("\"/var/run/\\u0001x\""), "not a plain absolute path"},
	    {INSPECT_SANDBOX("\"/var/run/x\\u0000/../y\""), "is not allowed"},
	    {INSPECT_SANDBOX("7"), "\"SandboxKey\" is not a string"},
	    /* Config.Labels and the rest, as in a list */
	    {INSPECT(STATE_OK, "\"/a\"", "[]", SETTINGS_OK), "\"Config\" is not an object"},
	    {INSPECT(STATE_OK, "\"/a\"", "{\"Labels\":[]}", SETTINGS_OK),
	     "\"Labels\" is not an object"},
	    {INSPECT(STATE_OK, "\"/a\"", "{\"Labels\":{\"dcfw.enable\":\"tr\\u0000ue\"}}",
		     SETTINGS_OK),
	     "is not allowed"},
	    {INSPECT(STATE_OK, "\"/a\"", "{}", "\"x\""), "\"NetworkSettings\" is not an object"},
	    {INSPECT(STATE_OK, "\"/a\"", "{}",
		     "{\"Networks\":{\"web\":{\"IPAddress\":\"fd00::5\"}}}"),
	     "container: network web: invalid IPAddress"},
	    {"{\"Id\":\"" HEX64 "\",\"Name\":\"/a\",\"State\":" STATE_OK
	     ",\"HostConfig\":{\"NetworkMode\":\"a\\tb\"}}",
	     "NetworkMode contains control characters"},
	    {"{\"Id\":\"" HEX64 "\"", "invalid JSON"},
	};
	char *doc;
	size_t used;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_inspect_error(bad[i].json, strlen(bad[i].json), bad[i].what);

	/* A SandboxKey of DOCKER_SANDBOX_KEY_MAX + 1 bytes, labels allocated before it. */
	doc = malloc(DOCKER_SANDBOX_KEY_MAX + 512);
	ck_assert_ptr_nonnull(doc);
	used = (size_t)snprintf(doc, 512,
				"{\"Id\":\"" HEX64 "\",\"Name\":\"/a\",\"State\":" STATE_OK
				",\"Config\":{\"Labels\":{\"a\":\"b\"}},"
				"\"NetworkSettings\":{\"SandboxKey\":\"/");
	memset(doc + used, 'x', DOCKER_SANDBOX_KEY_MAX);
	used += DOCKER_SANDBOX_KEY_MAX;
	used += (size_t)snprintf(doc + used, 16, "\"}}");
	expect_inspect_error(doc, used, "SandboxKey too long");
	/* One byte less fits. */
	{
		struct docker_container c;
		char err[256];

		memmove(doc + used - 4, doc + used - 3, 4);
		ck_assert_msg(docker_json_container_inspect(doc, used - 1, &c, err, sizeof(err)) ==
				  0,
			      "%s", err);
		ck_assert_uint_eq(strlen(c.sandbox_key), DOCKER_SANDBOX_KEY_MAX);
		docker_container_free(&c);
	}
	free(doc);
}
END_TEST

START_TEST(container_truncated)
{
	static const char *const files[] = {"containers-policy.json", "container-policy.json"};

	/* Every proper prefix of a document is refused cleanly, by both parsers. */
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *json = read_data(files[f], &len);

		for (size_t cut = 0; cut + 1 < len; cut++) {
			struct docker_container *list = (struct docker_container *)1, c;
			size_t count = 1;
			char err[256];

			ck_assert_msg(docker_json_container_list(json, cut, &list, &count, err,
								 sizeof(err)) == -1,
				      "%s: accepted %zu-byte prefix", files[f], cut);
			ck_assert_ptr_null(list);
			ck_assert_msg(
			    docker_json_container_inspect(json, cut, &c, err, sizeof(err)) == -1,
			    "%s: accepted %zu-byte prefix", files[f], cut);
			ck_assert_ptr_null(c.labels);
		}
		free(json);
	}
}
END_TEST

/* Builds the suite. */
static Suite *docker_json_suite(void)
{
	Suite *s = suite_create("docker_json");
	TCase *recorded = tcase_create("recorded");
	TCase *hostile = tcase_create("hostile");
	TCase *filters = tcase_create("filters");

	tcase_add_test(recorded, network_dual_stack);
	tcase_add_test(recorded, network_default_bridge);
	tcase_add_test(recorded, network_internal_and_named);
	tcase_add_test(recorded, network_overlay);
	tcase_add_test(recorded, network_list_find);
	tcase_add_test(recorded, network_transient_endpoint_skipped);
	tcase_add_test(recorded, container_list);
	tcase_add_test(recorded, container_sandbox_key);
	tcase_add_test(recorded, events_recorded);
	tcase_add_test(recorded, container_list_policy);
	tcase_add_test(recorded, container_list_recorded);
	tcase_add_test(recorded, container_inspect_recorded);
	suite_add_tcase(s, recorded);

	tcase_set_timeout(hostile, 60);
	tcase_add_test(hostile, network_list_hostile);
	tcase_add_test(hostile, container_list_hostile);
	tcase_add_test(hostile, container_sandbox_hostile);
	tcase_add_test(hostile, events_hostile);
	tcase_add_test(hostile, network_truncated);
	tcase_add_test(hostile, network_wrong_types);
	tcase_add_test(hostile, network_bad_ids_and_names);
	tcase_add_test(hostile, network_bad_addresses);
	tcase_add_test(hostile, network_too_many_endpoints);
	tcase_add_test(hostile, network_too_many_subnets);
	tcase_add_test(hostile, container_list_lenient);
	tcase_add_test(hostile, container_list_refused);
	tcase_add_test(hostile, container_list_bounds);
	tcase_add_test(hostile, container_list_ports);
	tcase_add_test(hostile, container_inspect_lenient);
	tcase_add_test(hostile, container_inspect_refused);
	tcase_add_test(hostile, container_truncated);
	suite_add_tcase(s, hostile);

	tcase_add_test(filters, filters_valid);
	tcase_add_test(filters, filters_invalid);
	suite_add_tcase(s, filters);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(docker_json_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
