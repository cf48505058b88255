/*
 * Writes the generated part of the fuzz seed corpora (tests/fuzz/corpus/):
 * control requests of every command, encoded as tjctl and the swarm agent
 * send them; saved states compiled by the policy compiler from the unit
 * suites' recorded networks; coordinator rounds, agent reports and peers
 * messages from the recorded two-node swarm; and the recorded /events
 * stream framed for fuzz_event_stream; the kernel's answers to table claims
 * and queries framed for fuzz_nft_owner; link dumps as the host-side
 * bridge-port lookup reads them, for fuzz_netns_link.  tests/fuzz/make-corpus.sh runs it
 * and adds the recorded documents themselves.
 * Usage: seeds DATA_DIR OUT_DIR   (DATA_DIR is tests/unit/data)
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/table.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/frame.h"
#include "proto/tjd.pb-c.h"
#include "swarm/plan.h"
#include "swarm/wire.h"
#include "tjd/conf.h"
#include "tjd/docker-json.h"
#include "tjd/netns.h"
#include "tjd/nft-owner.h"
#include "tjd/policy.h"
#include "tjd/state.h"

static const char *data_dir;
static const char *out_dir;

/* Stops with a message: the corpus must not be written half. */
static void seeds_fail(const char *what, const char *detail)
{
	fprintf(stderr, "seeds: %s: %s\n", what, detail);
	exit(1);
}

/* Reads DATA_DIR/name whole (NUL-terminated); the caller frees it. */
static char *seeds_read(const char *name, size_t *len)
{
	char path[4096];
	char *text = NULL;
	size_t capacity = 0;
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	file = fopen(path, "re");
	if (file == NULL)
		seeds_fail(path, "cannot open");
	*len = 0;
	for (;;) {
		size_t n;
		if (capacity - *len < 4097) {
			capacity = capacity ? capacity * 2 : 8192;
			text = realloc(text, capacity);
			if (text == NULL)
				seeds_fail(path, "out of memory");
		}
		n = fread(text + *len, 1, capacity - *len - 1, file);
		if (n == 0)
			break;
		*len += n;
	}
	fclose(file);
	text[*len] = '\0';
	return text;
}

/* Writes one seed as OUT_DIR/target/name. */
static void seeds_write(const char *target, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
	file = fopen(path, "we");
	if (file == NULL || fwrite(data, 1, len, file) != len || fclose(file) != 0)
		seeds_fail(path, "cannot write");
}

/* Packs a request behind fuzz_ctl's caller byte (1: root, 0: uid 1000). */
static void seeds_request(const char *name, const Tjd__V1__Request *request, bool root)
{
	size_t len = tjd__v1__request__get_packed_size(request);
	uint8_t *frame = malloc(len + 1);

	if (frame == NULL)
		seeds_fail(name, "out of memory");
	frame[0] = root ? 1 : 0;
	tjd__v1__request__pack(request, frame + 1);
	seeds_write("fuzz_ctl", name, frame, len + 1);
	free(frame);
}

/* Every command, as root and not, plus the requests tjd must refuse. */
static void seeds_ctl(void)
{
	static const uint8_t unknown_command[] = {1, 0x08, 0x01, 0x7a, 0x00};
	static char *web_lb[] = {(char *)"10.231.0.6"};
	static char *web_allowed[] = {(char *)"10.231.0.9", (char *)"fd00:231::9"};
	static char *bad_allowed[] = {(char *)"10.231.0.0/24"};
	Tjd__V1__Request request = TJD__V1__REQUEST__INIT;
	Tjd__V1__StatusRequest status = TJD__V1__STATUS_REQUEST__INIT;
	Tjd__V1__ClearRequest clear = TJD__V1__CLEAR_REQUEST__INIT;
	Tjd__V1__ReloadRequest reload = TJD__V1__RELOAD_REQUEST__INIT;
	Tjd__V1__RulesRequest rules = TJD__V1__RULES_REQUEST__INIT;
	Tjd__V1__SetPeersRequest peers = TJD__V1__SET_PEERS_REQUEST__INIT;
	Tjd__V1__NetworkPeers web = TJD__V1__NETWORK_PEERS__INIT;
	Tjd__V1__NetworkPeers *networks[] = {&web};

	request.version = TJD_PROTOCOL_VERSION;
	request.command_case = TJD__V1__REQUEST__COMMAND_STATUS;
	request.status = &status;
	seeds_request("status-root", &request, true);
	seeds_request("status-user", &request, false);
	request.version = TJD_PROTOCOL_VERSION + 1;
	seeds_request("status-version-2", &request, true);
	request.version = TJD_PROTOCOL_VERSION;
	request.command_case = TJD__V1__REQUEST__COMMAND_CLEAR;
	request.clear = &clear;
	seeds_request("clear-root", &request, true);
	seeds_request("clear-user", &request, false);
	request.command_case = TJD__V1__REQUEST__COMMAND_RELOAD;
	request.reload = &reload;
	seeds_request("reload-root", &request, true);
	request.command_case = TJD__V1__REQUEST__COMMAND_RULES;
	request.rules = &rules;
	seeds_request("rules-user", &request, false);
	request.command_case = TJD__V1__REQUEST__COMMAND__NOT_SET;
	seeds_request("no-command", &request, true);
	seeds_write("fuzz_ctl", "unknown-command", unknown_command, sizeof(unknown_command));

	web.network_id = (char *)"pdjhre727w9ivsy0282l6llvk";
	web.network_name = (char *)"web";
	web.lb_ips = web_lb;
	web.n_lb_ips = 1;
	web.allowed_ips = web_allowed;
	web.n_allowed_ips = 2;
	peers.coordinator = (char *)"swarm coordinator on sthjie69it85cvsvytguf1eac";
	peers.generation = 7;
	peers.networks = networks;
	peers.n_networks = 1;
	request.command_case = TJD__V1__REQUEST__COMMAND_SET_PEERS;
	request.set_peers = &peers;
	seeds_request("set-peers-root", &request, true);
	seeds_request("set-peers-user", &request, false);
	web.allowed_ips = bad_allowed;
	web.n_allowed_ips = 1;
	seeds_request("set-peers-prefix", &request, true);
	peers.n_networks = 0;
	seeds_request("set-peers-empty", &request, true);
}

/* Loads a configuration from text (through a memfd, as conf_load reads a path). */
static struct conf *seeds_conf(const char *text)
{
	char path[64], err[512];
	struct conf *conf;
	int fd = memfd_create("seeds-conf", MFD_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		seeds_fail("configuration", "cannot write a memfd");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	conf = conf_load(path, true, NULL, err, sizeof(err));
	close(fd);
	if (conf == NULL)
		seeds_fail("configuration", err);
	return conf;
}

/* Adds a recorded network to the inventory; `allowed` names the allow-listed container. */
static void seeds_network(struct inventory *inv, const char *file, const char *allowed)
{
	struct inv_network *net = inventory_add_network(inv);
	char err[256];
	size_t len;
	char *json = seeds_read(file, &len);

	if (net == NULL || docker_json_parse_network(json, len, net, err, sizeof(err)) < 0)
		seeds_fail(file, net == NULL ? "out of memory" : err);
	for (size_t i = 0; i < net->endpoint_count; i++) {
		struct inv_endpoint *endpoint = &net->endpoints[i];
		snprintf(endpoint->bridge_port, sizeof(endpoint->bridge_port), "veth%.7s",
			 endpoint->container_id);
		endpoint->allowed = allowed != NULL && strcmp(endpoint->name, allowed) == 0;
	}
	free(json);
}

/* Writes the state tjd would save for a compiled ruleset (and overlay namespaces). */
static void seeds_state_write_with(const char *name, const struct ruleset *set,
				   const struct state_netns *ns)
{
	char *text = state_format_with(set, ns), *line;
	size_t len;

	if (text == NULL)
		seeds_fail(name, "out of memory");
	/* As state_save writes it: the JSON and a newline. */
	len = strlen(text);
	line = malloc(len + 1);
	if (line == NULL)
		seeds_fail(name, "out of memory");
	memcpy(line, text, len);
	line[len] = '\n';
	seeds_write("fuzz_state", name, line, len + 1);
	free(line);
	free(text);
}

static void seeds_state_write(const char *name, const struct ruleset *set)
{
	seeds_state_write_with(name, set, NULL);
}

/* Saved states: what the policy compiler makes of the recorded networks. */
static void seeds_state(void)
{
	static const struct {
		const char *name, *file, *allowed;
	} networks[] = {
	    {"web", "network-web.json", "proxy"},
	    {"back", "network-internal.json", "app1"},
	    {"named", "network-named.json", NULL},
	    {"bridge", "network-bridge.json", NULL},
	};
	struct conf *conf = seeds_conf("[network web]\nallow = name=proxy\n"
				       "[network back]\nallow = label=tjd.allow=true\n"
				       "allow_host_traffic = yes\n"
				       "[network named]\nallow = ancestor=traefik:v3\n"
				       "[network bridge]\nallow = name=lone\n"
				       "[set office]\nmembers = 192.168.122.193, 2001:db8::/64\n"
				       "[published]\npolicy = deny\n"
				       "rule = allow from @office proto tcp to any port 8000\n");
	struct inventory all;
	struct ruleset set;
	char err[256], name[64];

	ruleset_init(&set);
	seeds_state_write("empty", &set);
	inventory_init(&all);
	for (size_t i = 0; i < sizeof(networks) / sizeof(networks[0]); i++) {
		struct inventory one;

		inventory_init(&one);
		seeds_network(&one, networks[i].file, networks[i].allowed);
		seeds_network(&all, networks[i].file, networks[i].allowed);
		if (policy_compile(conf, &one, &set, NULL, err, sizeof(err)) < 0)
			seeds_fail(networks[i].name, err);
		snprintf(name, sizeof(name), "network-%s", networks[i].name);
		seeds_state_write(name, &set);
		inventory_free(&one);
	}
	if (policy_compile(conf, &all, &set, NULL, err, sizeof(err)) < 0)
		seeds_fail("all networks", err);
	seeds_state_write("networks-all", &set);
	{
		struct state_netns ns = {0};
		if (state_netns_add(&ns, "/var/run/docker/netns/1-abcdef0123") < 0 ||
		    state_netns_add(&ns, "/run/docker/netns/1-0123456789") < 0)
			seeds_fail("namespaces", "out of memory");
		seeds_state_write_with("networks-all-overlays", &set, &ns);
		state_netns_free(&ns);
	}
	inventory_free(&all);
	ruleset_free(&set);
	conf_free(conf);
}

/* Parses one recorded swarm document into the cluster; aborts the run if it fails. */
static void seeds_swarm_parse(const char *file, struct swarm_cluster *cluster,
			      int (*parse)(const char *, size_t, struct swarm_cluster *, char *,
					   size_t))
{
	char err[256];
	size_t len;
	char *json = seeds_read(file, &len);

	if (parse(json, len, cluster, err, sizeof(err)) < 0)
		seeds_fail(file, err);
	free(json);
}

/* Appends `len` bytes to a growing buffer; `separate` puts a NUL first. */
static void seeds_append(char **buf, size_t *used, const char *data, size_t len, bool separate)
{
	*buf = realloc(*buf, *used + len + 1);
	if (*buf == NULL)
		seeds_fail("swarm round", "out of memory");
	if (separate)
		(*buf)[(*used)++] = '\0';
	memcpy(*buf + *used, data, len);
	*used += len;
}

/* The load-balancer address each recorded node's agent reports on "web". */
static const char *seeds_swarm_lb(const struct swarm_node *node)
{
	return strcmp(node->hostname, "swnode1") == 0 ? "10.231.0.5" : "10.231.0.6";
}

/* A coordinator round, agent reports and peers messages from one recorded scenario. */
static void seeds_swarm(bool moved)
{
	static char *const allow[] = {(char *)"label=tjd.allow=true", (char *)"name=^/proxy"};
	const char *documents[] = {
	    "swarm/nodes.json", moved ? "swarm/services-moved.json" : "swarm/services.json",
	    moved ? "swarm/tasks-moved.json" : "swarm/tasks.json",
	    moved ? "swarm/network-web-verbose-moved.json" : "swarm/network-web-verbose.json"};
	const char *suffix = moved ? "-moved" : "";
	struct swarm_report reports[2];
	struct swarm_cluster cluster;
	struct swarm_plan plan;
	char *round = NULL, *json, err[256], name[64];
	size_t used = 0, len;

	swarm_cluster_init(&cluster);
	seeds_swarm_parse(documents[0], &cluster, swarm_parse_nodes);
	seeds_swarm_parse(documents[1], &cluster, swarm_parse_services);
	seeds_swarm_parse(documents[2], &cluster, swarm_parse_tasks);
	json = seeds_read(documents[3], &len);
	if (swarm_parse_network(json, len, allow, 2, &cluster, err, sizeof(err)) < 0)
		seeds_fail(documents[3], err);
	free(json);
	if (cluster.node_count != 2 || cluster.network_count != 1)
		seeds_fail("swarm", "the recorded swarm has two nodes and one network");
	for (size_t d = 0; d < sizeof(documents) / sizeof(documents[0]); d++) {
		json = seeds_read(documents[d], &len);
		seeds_append(&round, &used, json, len, d > 0);
		free(json);
	}
	for (size_t n = 0; n < cluster.node_count; n++) {
		struct swarm_wire_report wire;
		char *message;

		memset(&wire, 0, sizeof(wire));
		wire.tjd_ready = true;
		wire.network_count = 1;
		snprintf(wire.networks[0].id, sizeof(wire.networks[0].id), "%s",
			 cluster.networks[0].id);
		snprintf(wire.networks[0].name, sizeof(wire.networks[0].name), "%s",
			 cluster.networks[0].name);
		snprintf(wire.networks[0].lb_ips[0], sizeof(wire.networks[0].lb_ips[0]), "%s",
			 seeds_swarm_lb(&cluster.nodes[n]));
		wire.networks[0].lb_count = 1;
		wire.networks[0].peer_count = 3;
		wire.networks[0].peers_updated_unix = 1795443213;
		wire.networks[0].enforced = true;
		wire.networks[0].rule_count = 9;
		message = swarm_wire_report_encode(&wire);
		if (message == NULL)
			seeds_fail("report", "out of memory");
		snprintf(name, sizeof(name), "report-%.32s%s", cluster.nodes[n].hostname, suffix);
		seeds_write("fuzz_swarm", name, message, strlen(message));
		seeds_append(&round, &used, message, strlen(message), true);
		free(message);
		memset(&reports[n], 0, sizeof(reports[n]));
		memcpy(reports[n].node_id, cluster.nodes[n].id, sizeof(reports[n].node_id));
		memcpy(reports[n].network_id, cluster.networks[0].id,
		       sizeof(reports[n].network_id));
		memcpy(reports[n].lb_ips, wire.networks[0].lb_ips, sizeof(reports[n].lb_ips));
		reports[n].lb_count = 1;
	}
	snprintf(name, sizeof(name), "round%s", suffix);
	seeds_write("fuzz_swarm", name, round, used);
	free(round);
	if (swarm_plan_compute(&cluster, reports, 2, &plan, err, sizeof(err)) < 0)
		seeds_fail("plan", err);
	for (size_t n = 0; n < plan.node_count; n++) {
		char *message = swarm_wire_peers_encode(&plan.nodes[n], 3 + n, cluster.nodes[0].id);

		if (message == NULL)
			seeds_fail("peers", "out of memory");
		snprintf(name, sizeof(name), "peers-%.12s%s", plan.nodes[n].node_id, suffix);
		seeds_write("fuzz_swarm", name, message, strlen(message));
		free(message);
	}
	swarm_plan_free(&plan);
	swarm_cluster_free(&cluster);
}

/* The recorded stream framed for fuzz_event_stream: bounds, then chunk records. */
static void seeds_stream(const char *name, uint8_t line_bound, uint8_t held_bound, size_t chunk,
			 unsigned take_every, bool crlf)
{
	size_t len, used = 0, records = 0;
	char *events = seeds_read("events.jsonl", &len), *body = malloc(2 * len + 1);
	uint8_t *framed;

	if (body == NULL)
		seeds_fail(name, "out of memory");
	for (size_t i = 0; i < len; i++) {
		if (crlf && events[i] == '\n')
			body[used++] = '\r';
		body[used++] = events[i];
	}
	framed = malloc(2 + used + used / chunk + 1);
	if (framed == NULL)
		seeds_fail(name, "out of memory");
	framed[0] = line_bound;
	framed[1] = held_bound;
	len = 2;
	for (size_t at = 0; at < used; at += chunk, records++) {
		size_t n = used - at < chunk ? used - at : chunk;
		framed[len++] = (uint8_t)(n | (take_every && records % take_every == 0 ? 0x80 : 0));
		memcpy(framed + len, body + at, n);
		len += n;
	}
	seeds_write("fuzz_event_stream", name, framed, len);
	free(framed);
	free(body);
	free(events);
}

/* Stream seeds: Docker's own limits, and bounds the recorded lines meet and pass. */
static void seeds_streams(void)
{
	seeds_stream("events-docker-limits", 0xff, 0, 127, 4, false);
	seeds_stream("events-crlf-small-chunks", 0xff, 0, 7, 1, true);
	seeds_stream("events-lines-up-to-512", 128, 0, 127, 2, false);
	seeds_stream("events-some-lines-too-long", 80, 40, 100, 1, false);
	seeds_stream("events-backlog-too-large", 160, 20, 127, 0, false);
}

/* A fuzz_nft_owner input being built: header, then length-prefixed datagrams. */
struct seeds_owner {
	uint8_t data[4096];
	size_t used;
};

/* Starts an input: `count` requests sent from port 4242, the batch beginning at `first`. */
static void seeds_owner_start(struct seeds_owner *input, uint8_t count, uint32_t first)
{
	const uint32_t port = 4242;

	memset(input, 0, sizeof(*input));
	input->data[0] = count;
	for (size_t i = 0; i < 4; i++) {
		input->data[1 + i] = (uint8_t)(port >> (8 * i));
		input->data[5 + i] = (uint8_t)(first >> (8 * i));
	}
	input->used = 9;
}

/* Appends one netlink message as a datagram of its own. */
static void seeds_owner_datagram(struct seeds_owner *input, const struct nlmsghdr *message)
{
	if (input->used + 2 + message->nlmsg_len > sizeof(input->data))
		seeds_fail("fuzz_nft_owner", "seed too large");
	input->data[input->used++] = (uint8_t)message->nlmsg_len;
	input->data[input->used++] = (uint8_t)(message->nlmsg_len >> 8);
	memcpy(input->data + input->used, message, message->nlmsg_len);
	input->used += message->nlmsg_len;
}

/* Appends the kernel's NLMSG_ERROR (0: acknowledgement) answering `seq`. */
static void seeds_owner_error(struct seeds_owner *input, uint32_t seq, int error)
{
	char buffer[256] = {0};
	struct nlmsghdr *message = mnl_nlmsg_put_header(buffer);
	struct nlmsgerr *body;

	message->nlmsg_type = NLMSG_ERROR;
	message->nlmsg_pid = 4242;
	message->nlmsg_seq = seq;
	body = mnl_nlmsg_put_extra_header(message, sizeof(*body));
	body->error = error;
	body->msg.nlmsg_seq = seq;
	body->msg.nlmsg_pid = 4242;
	seeds_owner_datagram(input, message);
}

/* Appends the kernel's answer to GETTABLE: table tjd of `family` with flags and owner. */
static void seeds_owner_table(struct seeds_owner *input, uint32_t seq, uint8_t family,
			      uint32_t flags, uint32_t owner)
{
	char buffer[512] = {0};
	struct nftnl_table *table = nftnl_table_alloc();
	struct nlmsghdr *message;

	if (table == NULL)
		seeds_fail("fuzz_nft_owner", "out of memory");
	nftnl_table_set_str(table, NFTNL_TABLE_NAME, "tjd");
	nftnl_table_set_u32(table, NFTNL_TABLE_FLAGS, flags);
	message = nftnl_table_nlmsg_build_hdr(buffer, NFT_MSG_NEWTABLE, family, 0, seq);
	nftnl_table_nlmsg_build_payload(message, table);
	mnl_attr_put_u32(message, NFTA_TABLE_USE, htonl(5));
	if (owner != 0)
		mnl_attr_put_u32(message, NFTA_TABLE_OWNER, htonl(owner));
	message->nlmsg_pid = 4242;
	nftnl_table_free(table);
	seeds_owner_datagram(input, message);
}

/* A fuzz_netns_link input being built: the MAC looked for, then one datagram. */
struct seeds_links {
	uint8_t data[4096] __attribute__((aligned(4)));
	size_t used;
};

/* Appends one RTM_NEWLINK to the datagram: name, kind, MAC, and the links it names. */
static void seeds_links_add(struct seeds_links *input, int index, const char *name,
			    const char *kind, uint8_t last, int master, int peer, int nsid,
			    int target)
{
	const uint8_t mac[6] = {0x02, 0x42, 0xac, 0x11, 0x00, last};
	struct nlmsghdr *message;
	struct ifinfomsg *ifi;
	struct nlattr *nest;

	if (input->used + 512 > sizeof(input->data))
		seeds_fail("fuzz_netns_link", "seed too large");
	message = mnl_nlmsg_put_header(input->data + input->used);
	message->nlmsg_type = RTM_NEWLINK;
	message->nlmsg_flags = NLM_F_MULTI;
	message->nlmsg_seq = 7;
	ifi = mnl_nlmsg_put_extra_header(message, sizeof(*ifi));
	ifi->ifi_index = index;
	mnl_attr_put_strz(message, IFLA_IFNAME, name);
	mnl_attr_put(message, IFLA_ADDRESS, sizeof(mac), mac);
	if (master > 0)
		mnl_attr_put_u32(message, IFLA_MASTER, (uint32_t)master);
	if (peer > 0)
		mnl_attr_put_u32(message, IFLA_LINK, (uint32_t)peer);
	if (nsid >= 0)
		mnl_attr_put_u32(message, IFLA_LINK_NETNSID, (uint32_t)nsid);
	if (target >= 0)
		mnl_attr_put_u32(message, IFLA_TARGET_NETNSID, (uint32_t)target);
	nest = mnl_attr_nest_start(message, IFLA_LINKINFO);
	mnl_attr_put_strz(message, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(message, nest);
	input->used += NLMSG_ALIGN(message->nlmsg_len);
}

/* Ends the datagram as a dump ends, with NLMSG_DONE. */
static void seeds_links_done(struct seeds_links *input)
{
	struct nlmsghdr *message = mnl_nlmsg_put_header(input->data + input->used);

	message->nlmsg_type = NLMSG_DONE;
	message->nlmsg_flags = NLM_F_MULTI;
	message->nlmsg_seq = 7;
	mnl_nlmsg_put_extra_header(message, sizeof(int));
	input->used += message->nlmsg_len;
}

/* Starts an input looking for MAC 02:42:ac:11:00:<last>. */
static void seeds_links_start(struct seeds_links *input, uint8_t last)
{
	const uint8_t mac[6] = {0x02, 0x42, 0xac, 0x11, 0x00, last};

	memset(input, 0, sizeof(*input));
	memcpy(input->data, mac, sizeof(mac));
	input->used = 8; /* the datagram starts aligned */
}

/* Writes an input, the datagram right after the MAC. */
static void seeds_links_write(struct seeds_links *input, const char *name)
{
	memmove(input->data + 6, input->data + 8, input->used - 8);
	seeds_write("fuzz_netns_link", name, input->data, input->used - 2);
}

/* Link dumps: tjd's namespace with a bridge and its ports, a container's other end. */
static void seeds_netns_link(void)
{
	struct seeds_links input;

	seeds_links_start(&input, 2);
	seeds_links_add(&input, 1, "lo", "", 0, 0, 0, -1, -1);
	seeds_links_add(&input, 3, "br-0123456789ab", "bridge", 1, 0, 0, -1, -1);
	seeds_links_add(&input, 5, "veth1a2b3c4", "veth", 0x10, 3, 2, 0, -1);
	seeds_links_add(&input, 7, "veth5d6e7f8", "veth", 0x11, 3, 2, 1, -1);
	seeds_links_done(&input);
	seeds_links_write(&input, "host-dump");
	seeds_links_start(&input, 2);
	seeds_links_add(&input, 2, "eth0", "veth", 2, 0, 5, 4, 0);
	seeds_links_write(&input, "peer-answer");
	seeds_links_start(&input, 3);
	seeds_links_add(&input, 2, "eth0", "veth", 3, 0, 5, 4, 0);
	seeds_links_add(&input, 2, "eth0", "veth", 3, 0, 7, 4, 1);
	seeds_links_add(&input, 9, "eth1", "veth", 2, 0, 8, 4, 2);
	seeds_links_done(&input);
	seeds_links_write(&input, "mac-twice");
}

/* The replies tjd/nft-owner.c reads: to claims (a batch) and to table queries. */
static void seeds_nft_owner(void)
{
	struct seeds_owner input;

	seeds_owner_start(&input, 2, 1000);
	seeds_owner_error(&input, 1001, 0);
	seeds_owner_error(&input, 1002, 0);
	seeds_write("fuzz_nft_owner", "claim-acknowledged", input.data, input.used);
	seeds_owner_start(&input, 2, 1000);
	seeds_owner_error(&input, 1001, -EPERM);
	seeds_owner_error(&input, 1002, -EOPNOTSUPP);
	seeds_write("fuzz_nft_owner", "claim-refused", input.data, input.used);
	seeds_owner_start(&input, 4, 1000);
	seeds_owner_error(&input, 1000, -EINVAL);
	seeds_write("fuzz_nft_owner", "batch-refused", input.data, input.used);
	seeds_owner_start(&input, 1, UINT32_MAX);
	seeds_owner_error(&input, 0, 0);
	seeds_write("fuzz_nft_owner", "sequence-wraps", input.data, input.used);
	seeds_owner_start(&input, 0, 2000);
	seeds_owner_table(&input, 2000, NFPROTO_INET, NFT_OWNER_FLAGS, 77);
	seeds_write("fuzz_nft_owner", "query-owned", input.data, input.used);
	seeds_owner_start(&input, 0, 2001);
	seeds_owner_table(&input, 2001, NFPROTO_BRIDGE, NFT_OWNER_FLAG_PERSIST, 0);
	seeds_write("fuzz_nft_owner", "query-orphan", input.data, input.used);
	seeds_owner_start(&input, 0, 2000);
	seeds_owner_error(&input, 2000, -ENOENT);
	seeds_write("fuzz_nft_owner", "query-missing", input.data, input.used);
}

int main(int argc, char **argv)
{
	static const char *const targets[] = {
	    "fuzz_ctl",	      "fuzz_event_stream", "fuzz_netns_link",
	    "fuzz_nft_owner", "fuzz_state",	   "fuzz_swarm",
	};
	char path[4096];

	if (argc != 3) {
		fprintf(stderr, "usage: %s DATA_DIR OUT_DIR\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	out_dir = argv[2];
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", out_dir, targets[i]);
		if (access(path, W_OK) < 0)
			seeds_fail(path, "missing directory");
	}
	seeds_ctl();
	seeds_state();
	seeds_swarm(false);
	seeds_swarm(true);
	seeds_streams();
	seeds_nft_owner();
	seeds_netns_link();
	return 0;
}
