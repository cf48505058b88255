/*
 * docker-json on responses recorded from a real dockerd 20.10.24 (API 1.41)
 * in tests/unit/data/, and on hostile input.
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
	ck_assert_int_eq(docker_json_parse_network(json, sizeof(json) - 1, net, err, sizeof(err)), 0);
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
	    {"container", "die",
	     "feb7ca882392689b252fc0fdb6c1fc56bd89a411062bde3a2d2fb6ea7606c68e", "app2"},
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
