/*
 * The conntrack purge: the pure decision across every kind of entry, then
 * the purge against the real kernel.  The binary first moves into a
 * throw-away network namespace, and every kernel case takes a fresh one
 * of its own (each has its own conntrack table), so the host's
 * connections are never touched.  Needs root: without it the run FAILS,
 * loudly.
 *
 * Entries are made and read back with the conntrack command, an
 * independent writer and reader of the table.  The cost case prints what
 * a purge of tens of thousands of entries takes.  The traffic cases send
 * real TCP between "containers" (namespaces on veth ports of a bridge)
 * and the host: established flows pass a firewall that drops every NEW
 * packet until the purge, and the purged ones stop there, which is the
 * point of the whole module; the last case shows how the kernel picks a
 * purged flow up again when the allowed end speaks first.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>

#include "check-util.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tjd/conntrack.h"

#define CHECK_CT_MAX_ADDRESSES 8

/* Runs a shell command that must succeed. */
#define CHECK_CT_MUST(...) ck_assert_int_eq(check_util_run(__VA_ARGS__), 0)

/* A network of the fixture, as text. */
struct check_ct_network_text {
	const char *subnets[CHECK_CT_MAX_ADDRESSES];
	const char *link_local[CHECK_CT_MAX_ADDRESSES];
	const char *allowed[CHECK_CT_MAX_ADDRESSES];
	bool host_closed;
};

/* A network of the fixture, parsed. */
struct check_ct_network {
	struct prefix subnets[CHECK_CT_MAX_ADDRESSES];
	struct prefix link_local[CHECK_CT_MAX_ADDRESSES];
	struct prefix allowed[CHECK_CT_MAX_ADDRESSES];
};

/*
 * "web" is closed to the host; "open" lets its containers reach the host.
 * 172.31.0.0/16 is a network tjd does not protect.
 */
static const struct check_ct_network_text check_ct_fixture[] = {
    {
	.subnets = {"172.30.0.0/16", "fd30::/64"},
	.link_local = {"fe80::42:acff:fe1e:2", "fe80::42:acff:fe1e:3", "fe80::42:acff:fe1e:4"},
	.allowed = {"172.30.0.2", "fd30::2"},
	.host_closed = true,
    },
    {
	.subnets = {"172.32.0.0/16", "fd32::/64"},
	.allowed = {"172.32.0.2"},
	.host_closed = false,
    },
};
#define CHECK_CT_FIXTURE_COUNT (sizeof(check_ct_fixture) / sizeof(check_ct_fixture[0]))

/* The host's addresses: the gateways, a public one, the bridge's link-local one, loopback. */
static const char *const check_ct_host_text[] = {
    "172.30.0.1", "fd30::1", "172.32.0.1", "fd32::1", "172.31.0.1",
    "192.0.2.10", "fe80::1", "127.0.0.1",  "::1",
};
#define CHECK_CT_HOST_COUNT (sizeof(check_ct_host_text) / sizeof(check_ct_host_text[0]))

static struct check_ct_network check_ct_parsed[CHECK_CT_FIXTURE_COUNT];
static struct conntrack_network check_ct_networks[CHECK_CT_FIXTURE_COUNT];
static struct prefix check_ct_host[CHECK_CT_HOST_COUNT];

/* Parses a prefix or address that must be valid. */
static struct prefix check_ct_prefix(const char *text)
{
	struct prefix p;

	ck_assert_msg(prefix_parse(text, &p) == 0, "bad prefix %s", text);
	return p;
}

/* Parses a NULL-ended list of texts into out; returns how many. */
static size_t check_ct_parse_list(const char *const *texts, struct prefix *out)
{
	size_t count = 0;

	while (count < CHECK_CT_MAX_ADDRESSES && texts[count] != NULL) {
		out[count] = check_ct_prefix(texts[count]);
		count++;
	}
	return count;
}

/* Turns a text network into a conntrack_network backed by parsed storage. */
static void check_ct_build(const struct check_ct_network_text *text,
			   struct check_ct_network *parsed, struct conntrack_network *network)
{
	memset(network, 0, sizeof(*network));
	network->subnets = parsed->subnets;
	network->subnet_count = check_ct_parse_list(text->subnets, parsed->subnets);
	network->link_local = parsed->link_local;
	network->link_local_count = check_ct_parse_list(text->link_local, parsed->link_local);
	network->allowed = parsed->allowed;
	network->allowed_count = check_ct_parse_list(text->allowed, parsed->allowed);
	network->host_closed = text->host_closed;
}

/* Builds the fixture's networks and host addresses. */
static void check_ct_fixture_setup(void)
{
	for (size_t i = 0; i < CHECK_CT_FIXTURE_COUNT; i++)
		check_ct_build(&check_ct_fixture[i], &check_ct_parsed[i], &check_ct_networks[i]);
	for (size_t i = 0; i < CHECK_CT_HOST_COUNT; i++)
		check_ct_host[i] = check_ct_prefix(check_ct_host_text[i]);
}

/* One entry for the decision: addresses as text (NULL: absent) and the verdict. */
struct check_ct_case {
	const char *what;
	const char *orig_src;
	const char *orig_dst;
	const char *reply_src;
	bool delete;
};

static const struct check_ct_case check_ct_cases[] = {
    {"allow-listed source to a sibling", "172.30.0.2", "172.30.0.3", "172.30.0.3", false},
    {"backend to a sibling", "172.30.0.3", "172.30.0.4", "172.30.0.4", true},
    {"backend to a sibling, no reply tuple", "172.30.0.3", "172.30.0.4", NULL, true},
    {"backend to a sibling through a published port (DNAT)", "172.30.0.3", "192.0.2.10",
     "172.30.0.4", true},
    {"proxy to a sibling through a published port (DNAT)", "172.30.0.2", "192.0.2.10", "172.30.0.4",
     false},
    {"backend to its gateway, host closed", "172.30.0.3", "172.30.0.1", "172.30.0.1", true},
    {"backend to the host's public address, host closed", "172.30.0.3", "192.0.2.10", "192.0.2.10",
     true},
    {"proxy to the host, host closed", "172.30.0.2", "172.30.0.1", "172.30.0.1", true},
    {"backend redirected to the host, host closed", "172.30.0.3", "203.0.113.9", "172.30.0.1",
     true},
    {"backend to its gateway, host open", "172.32.0.3", "172.32.0.1", "172.32.0.1", false},
    {"backend to the host's public address, host open", "172.32.0.3", "192.0.2.10", NULL, false},
    {"backend to a sibling, host open", "172.32.0.3", "172.32.0.4", "172.32.0.4", true},
    {"proxy to a sibling, host open", "172.32.0.2", "172.32.0.4", "172.32.0.4", false},
    {"backend to the outside world", "172.30.0.3", "8.8.8.8", "8.8.8.8", false},
    {"outside world to a published port", "198.51.100.7", "192.0.2.10", "172.30.0.3", false},
    {"host (gateway) to a container", "172.30.0.1", "172.30.0.3", "172.30.0.3", false},
    {"host (public address) to a container", "192.0.2.10", "172.30.0.3", NULL, false},
    {"unprotected network, siblings", "172.31.0.3", "172.31.0.4", "172.31.0.4", false},
    {"unprotected network to the host", "172.31.0.3", "172.31.0.1", NULL, false},
    {"protected network to another network", "172.30.0.3", "172.32.0.3", "172.32.0.3", false},
    {"IPv6: backend to a sibling", "fd30::3", "fd30::4", "fd30::4", true},
    {"IPv6: proxy to a sibling", "fd30::2", "fd30::3", "fd30::3", false},
    {"IPv6: backend to its gateway, host closed", "fd30::3", "fd30::1", "fd30::1", true},
    {"IPv6: backend to its gateway, host open", "fd32::3", "fd32::1", NULL, false},
    {"IPv6: backend to the outside world", "fd30::3", "2001:db8::1", "2001:db8::1", false},
    {"IPv6: host to a container", "fd30::1", "fd30::3", NULL, false},
    {"link-local: backend to a sibling", "fe80::42:acff:fe1e:3", "fe80::42:acff:fe1e:4",
     "fe80::42:acff:fe1e:4", true},
    {"link-local: proxy to a sibling (the policy allows no link-local source)",
     "fe80::42:acff:fe1e:2", "fe80::42:acff:fe1e:3", NULL, true},
    {"link-local: backend to the host, host closed", "fe80::42:acff:fe1e:3", "fe80::1", NULL, true},
    {"link-local: host to a container", "fe80::1", "fe80::42:acff:fe1e:3", NULL, false},
    {"link-local: unknown address to a container", "fe80::99", "fe80::42:acff:fe1e:3", NULL, false},
    {"link-local: container to an unknown address", "fe80::42:acff:fe1e:3", "fe80::99", NULL,
     false},
    {"link-local: two unknown addresses", "fe80::99", "fe80::98", NULL, false},
    {"link-local: unknown address to the host", "fe80::99", "fe80::1", NULL, false},
    {"address with a length: judged as the address", "172.30.0.3/16", "172.30.0.4/24", NULL, true},
    {"reply source of another family: the original destination decides", "172.30.0.3", "172.30.0.4",
     "fd30::4", true},
    {"reply source of another family, original destination outside", "172.30.0.3", "8.8.8.8",
     "fd30::4", false},
    {"destination of another family", "172.30.0.3", "fd30::4", NULL, false},
    {"no destination at all", "172.30.0.3", NULL, NULL, false},
    {"no original destination, a reply source", "172.30.0.3", NULL, "172.30.0.4", true},
};
#define CHECK_CT_CASE_COUNT (sizeof(check_ct_cases) / sizeof(check_ct_cases[0]))

/* Decides a case against the given networks and the fixture's host. */
static bool check_ct_decide_with(const struct conntrack_network *networks, size_t count,
				 const char *orig_src, const char *orig_dst, const char *reply_src)
{
	struct prefix src = check_ct_prefix(orig_src), dst, reply;

	if (orig_dst != NULL)
		dst = check_ct_prefix(orig_dst);
	if (reply_src != NULL)
		reply = check_ct_prefix(reply_src);
	return conntrack_should_delete(networks, count, check_ct_host, CHECK_CT_HOST_COUNT, &src,
				       orig_dst ? &dst : NULL, reply_src ? &reply : NULL);
}

START_TEST(test_decide)
{
	const struct check_ct_case *c = &check_ct_cases[_i];

	check_ct_fixture_setup();
	ck_assert_msg(check_ct_decide_with(check_ct_networks, CHECK_CT_FIXTURE_COUNT, c->orig_src,
					   c->orig_dst, c->reply_src) == c->delete,
		      "%s: expected %s", c->what, c->delete ? "delete" : "keep");
}
END_TEST

START_TEST(test_decide_odd_input)
{
	struct prefix unset = {0}, src = check_ct_prefix("172.30.0.3"),
		      dst = check_ct_prefix("172.30.0.4");

	check_ct_fixture_setup();
	/* no source, an unset one, no networks, no host addresses */
	ck_assert(!conntrack_should_delete(check_ct_networks, CHECK_CT_FIXTURE_COUNT, check_ct_host,
					   CHECK_CT_HOST_COUNT, NULL, &dst, &dst));
	ck_assert(!conntrack_should_delete(check_ct_networks, CHECK_CT_FIXTURE_COUNT, check_ct_host,
					   CHECK_CT_HOST_COUNT, &unset, &dst, &dst));
	ck_assert(!conntrack_should_delete(check_ct_networks, CHECK_CT_FIXTURE_COUNT, check_ct_host,
					   CHECK_CT_HOST_COUNT, &src, &unset, &unset));
	ck_assert(!conntrack_should_delete(NULL, 0, check_ct_host, CHECK_CT_HOST_COUNT, &src, &dst,
					   &dst));
	ck_assert(conntrack_should_delete(check_ct_networks, CHECK_CT_FIXTURE_COUNT, NULL, 0, &src,
					  &dst, &dst));
}
END_TEST

START_TEST(test_decide_odd_prefixes)
{
	static const struct check_ct_network_text texts[] = {
	    /* a zero-length "subnet" claims nothing */
	    {.subnets = {"0.0.0.0/0", "::/0"}, .host_closed = true},
	    /* host bits set: the network they lie in */
	    {.subnets = {"10.20.0.5/16"}},
	    /* overlapping: the wider allows 10.10.1.5, the narrower does not */
	    {.subnets = {"10.10.0.0/16"}, .allowed = {"10.10.1.5"}},
	    {.subnets = {"10.10.1.0/24"}},
	    /* an allowed address given with a length allows that address only */
	    {.subnets = {"10.30.0.0/16"}, .allowed = {"10.30.0.2/16"}},
	    /* a host-length subnet */
	    {.subnets = {"10.40.0.7/32"}},
	};
	struct check_ct_network parsed[sizeof(texts) / sizeof(texts[0])];
	struct conntrack_network networks[sizeof(texts) / sizeof(texts[0])];

	check_ct_fixture_setup();
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		check_ct_build(&texts[i], &parsed[i], &networks[i]);
	ck_assert(!check_ct_decide_with(&networks[0], 1, "198.51.100.1", "198.51.100.2", NULL));
	ck_assert(!check_ct_decide_with(&networks[0], 1, "198.51.100.1", "192.0.2.10", NULL));
	ck_assert(!check_ct_decide_with(&networks[0], 1, "2001:db8::1", "2001:db8::2", NULL));
	ck_assert(check_ct_decide_with(&networks[1], 1, "10.20.9.1", "10.20.0.2", NULL));
	ck_assert(!check_ct_decide_with(&networks[1], 1, "10.21.0.1", "10.20.0.2", NULL));
	/* with overlapping networks the entry goes when any of them says so */
	ck_assert(check_ct_decide_with(&networks[2], 2, "10.10.1.5", "10.10.1.6", NULL));
	ck_assert(!check_ct_decide_with(&networks[2], 1, "10.10.1.5", "10.10.1.6", NULL));
	ck_assert(check_ct_decide_with(&networks[2], 2, "10.10.2.5", "10.10.2.6", NULL));
	ck_assert(!check_ct_decide_with(&networks[2], 2, "10.10.1.5", "10.10.2.6", NULL));
	ck_assert(!check_ct_decide_with(&networks[4], 1, "10.30.0.2", "10.30.0.3", NULL));
	ck_assert(check_ct_decide_with(&networks[4], 1, "10.30.0.3", "10.30.0.4", NULL));
	ck_assert(check_ct_decide_with(&networks[5], 1, "10.40.0.7", "10.40.0.7", NULL));
	ck_assert(!check_ct_decide_with(&networks[5], 1, "10.40.0.7", "10.40.0.8", NULL));
}
END_TEST

START_TEST(test_link_local_from_mac)
{
	static const char *const bad[] = {
	    "",
	    "02:42:ac:11:00",
	    "02-42-ac-11-00-02",
	    "02:42:ac:11:00:0g",
	    "02:42:ac:11:00:02:",
	    "02:42:ac:11:00:2",
	    "2:42:ac:11:00:02x",
	    " 2:42:ac:11:00:02",
	};
	struct prefix out;
	char text[PREFIX_TEXT_MAX];

	ck_assert_int_eq(conntrack_link_local("02:42:ac:11:00:02", &out), 0);
	ck_assert_int_eq(prefix_format(&out, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "fe80::42:acff:fe11:2/128");
	/* the universal/local bit is flipped both ways; either case is read */
	ck_assert_int_eq(conntrack_link_local("00:1A:2b:3c:4d:5e", &out), 0);
	ck_assert_int_eq(prefix_format(&out, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "fe80::21a:2bff:fe3c:4d5e/128");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(conntrack_link_local(bad[i], &out) < 0, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(out.family, 0);
	}
	ck_assert_int_lt(conntrack_link_local(NULL, &out), 0);
}
END_TEST

/* Returns a command's standard output (malloc'd); the command must succeed. */
static char *check_ct_capture(const char *format, ...) __attribute__((format(printf, 1, 2)));
static char *check_ct_capture(const char *format, ...)
{
	char command[2048];
	va_list args;
	FILE *stream;
	size_t length = 0, capacity = 4096;
	char *text = malloc(capacity);
	size_t got;

	va_start(args, format);
	vsnprintf(command, sizeof(command), format, args);
	va_end(args);
	ck_assert_ptr_nonnull(text);
	stream = popen(command, "r");
	ck_assert_ptr_nonnull(stream);
	while ((got = fread(text + length, 1, capacity - length - 1, stream)) > 0) {
		length += got;
		if (capacity - length < 2) {
			capacity *= 2;
			text = realloc(text, capacity);
			ck_assert_ptr_nonnull(text);
		}
	}
	text[length] = '\0';
	ck_assert_int_eq(pclose(stream), 0);
	return text;
}

/* The conntrack table of the case's namespace, both families, as the conntrack command lists it. */
static char *check_ct_list(void)
{
	return check_ct_capture("conntrack -L 2>/dev/null");
}

/* Number of entries in the case's table. */
static long check_ct_count(void)
{
	char *text = check_ct_capture("conntrack -C");
	long count = strtol(text, NULL, 10);

	free(text);
	return count;
}

/* Every kernel case: a network namespace of its own, with its own conntrack table. */
static void check_ct_kernel_setup(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	CHECK_CT_MUST("ip link set lo up");
	check_ct_fixture_setup();
}

/* The fixture's host addresses, given to the case's namespace on an interface of its own. */
static void check_ct_host_interface(void)
{
	CHECK_CT_MUST(
	    "ip link add host0 type bridge && ip link set host0 up && "
	    "ip addr add 172.30.0.1/16 dev host0 && ip addr add 172.32.0.1/16 dev host0 && "
	    "ip addr add 172.31.0.1/16 dev host0 && ip addr add 192.0.2.10/24 dev host0 && "
	    "ip -6 addr add fd30::1/64 dev host0 nodad && "
	    "ip -6 addr add fd32::1/64 dev host0 nodad && "
	    "ip -6 addr add fe80::1/64 dev host0 nodad");
}

/* One entry made with conntrack -I, found again in the listing by `token`. */
struct check_ct_entry {
	const char *insert; /* conntrack -I arguments */
	const char *token;  /* in its line of conntrack -L, and no other */
	bool deleted;
};

#define CHECK_CT_TCP "-p tcp --state ESTABLISHED -t 300"
static const struct check_ct_entry check_ct_entries[] = {
    {"-s 172.30.0.2 -d 172.30.0.3 " CHECK_CT_TCP " --sport 40001 --dport 80", "sport=40001 ",
     false},
    {"-s 172.30.0.3 -d 172.30.0.4 " CHECK_CT_TCP " --sport 40002 --dport 80", "sport=40002 ", true},
    /* a backend reaching a sibling through a port the host publishes */
    {"-s 172.30.0.3 -d 192.0.2.10 -r 172.30.0.4 -q 172.30.0.3 " CHECK_CT_TCP
     " --sport 40003 --dport 8080 --reply-port-src 80 --reply-port-dst 40003",
     "sport=40003 ", true},
    {"-s 172.30.0.3 -d 172.30.0.1 " CHECK_CT_TCP " --sport 40004 --dport 22", "sport=40004 ", true},
    /* to the outside world, masqueraded */
    {"-s 172.30.0.3 -d 8.8.8.8 -r 8.8.8.8 -q 192.0.2.10 -p udp --sport 40005 --dport 53 "
     "--reply-port-src 53 --reply-port-dst 50005 -t 300",
     "sport=40005 ", false},
    {"-s 172.30.0.1 -d 172.30.0.3 " CHECK_CT_TCP " --sport 40006 --dport 80", "sport=40006 ",
     false},
    {"-s 172.31.0.3 -d 172.31.0.4 " CHECK_CT_TCP " --sport 40007 --dport 80", "sport=40007 ",
     false},
    {"-s fd30::3 -d fd30::4 " CHECK_CT_TCP " --sport 40008 --dport 80", "sport=40008 ", true},
    {"-s fd30::2 -d fd30::3 " CHECK_CT_TCP " --sport 40009 --dport 80", "sport=40009 ", false},
    {"-s 172.30.0.3 -d 172.30.0.4 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 40010 -t 300",
     "id=40010 ", true},
    {"-s fd30::3 -d fd30::4 -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 40011 "
     "-t 300",
     "id=40011 ", true},
    {"-s fe80::42:acff:fe1e:3 -d fe80::42:acff:fe1e:4 " CHECK_CT_TCP " --sport 40012 --dport 80",
     "sport=40012 ", true},
    {"-s fe80::99 -d fe80::98 " CHECK_CT_TCP " --sport 40013 --dport 80", "sport=40013 ", false},
    /* in a conntrack zone: the delete must name it */
    {"-s 172.30.0.3 -d 172.30.0.4 -p udp --sport 40014 --dport 53 -w 7 -t 300", "sport=40014 ",
     true},
    /* other protocols: GRE's keys, and one conntrack only knows generically */
    {"-s 172.30.0.3 -d 172.30.0.4 -p gre --srckey 40015 --dstkey 7 -t 300", "srckey=0x9c4f ", true},
    {"-s 172.30.0.3 -d 172.30.0.5 -p 99 -t 300", "src=172.30.0.3 dst=172.30.0.5 ", true},
    {"-s 172.32.0.3 -d 172.32.0.1 " CHECK_CT_TCP " --sport 40017 --dport 22", "sport=40017 ",
     false},
    {"-s 172.32.0.3 -d 172.32.0.4 " CHECK_CT_TCP " --sport 40018 --dport 80", "sport=40018 ", true},
    {"-s 198.51.100.7 -d 192.0.2.10 -r 172.30.0.3 -q 198.51.100.7 " CHECK_CT_TCP
     " --sport 40019 --dport 8080 --reply-port-src 80 --reply-port-dst 40019",
     "sport=40019 ", false},
    {"-s fe80::1 -d fe80::42:acff:fe1e:3 " CHECK_CT_TCP " --sport 40020 --dport 80", "sport=40020 ",
     false},
};
#define CHECK_CT_ENTRY_COUNT (sizeof(check_ct_entries) / sizeof(check_ct_entries[0]))

START_TEST(test_purge_deletes_exactly)
{
	struct conntrack_purge_stats stats;
	char err[512] = "";
	size_t expected = 0;
	char *listing;

	check_ct_host_interface();
	for (size_t i = 0; i < CHECK_CT_ENTRY_COUNT; i++) {
		CHECK_CT_MUST("conntrack -I %s 2>/dev/null", check_ct_entries[i].insert);
		expected += check_ct_entries[i].deleted;
	}
	ck_assert_int_eq(check_ct_count(), CHECK_CT_ENTRY_COUNT);
	ck_assert_msg(conntrack_purge(check_ct_networks, CHECK_CT_FIXTURE_COUNT, 0, &stats, err,
				      sizeof(err)) == 0,
		      "purge: %s", err);
	ck_assert_uint_eq(stats.examined, CHECK_CT_ENTRY_COUNT);
	ck_assert_uint_eq(stats.deleted, expected);
	listing = check_ct_list();
	for (size_t i = 0; i < CHECK_CT_ENTRY_COUNT; i++) {
		const struct check_ct_entry *entry = &check_ct_entries[i];

		ck_assert_msg((strstr(listing, entry->token) == NULL) == entry->deleted,
			      "entry \"%s\" should have been %s; the table:\n%s", entry->insert,
			      entry->deleted ? "deleted" : "kept", listing);
	}
	free(listing);
	/* a second purge finds nothing more to do */
	ck_assert_int_eq(
	    conntrack_purge(check_ct_networks, CHECK_CT_FIXTURE_COUNT, 0, &stats, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(stats.examined, CHECK_CT_ENTRY_COUNT - expected);
	ck_assert_uint_eq(stats.deleted, 0);
}
END_TEST

START_TEST(test_purge_empty_and_unprotected)
{
	struct conntrack_purge_stats stats = {.examined = 99, .deleted = 99};
	char err[512] = "";

	check_ct_host_interface();
	ck_assert_int_eq(
	    conntrack_purge(check_ct_networks, CHECK_CT_FIXTURE_COUNT, 0, &stats, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(stats.examined, 0);
	ck_assert_uint_eq(stats.deleted, 0);
	/* with no network protected, nothing goes */
	for (size_t i = 0; i < CHECK_CT_ENTRY_COUNT; i++)
		CHECK_CT_MUST("conntrack -I %s 2>/dev/null", check_ct_entries[i].insert);
	ck_assert_int_eq(conntrack_purge(NULL, 0, 0, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(check_ct_count(), CHECK_CT_ENTRY_COUNT);
}
END_TEST

START_TEST(test_purge_without_host_addresses_keeps_the_gateways_flows)
{
	struct conntrack_purge_stats stats;
	char err[512] = "";
	char *listing;

	/* the gateway is in the subnet: only knowing it is the host's keeps its flows */
	CHECK_CT_MUST("conntrack -I -s 172.30.0.1 -d 172.30.0.3 " CHECK_CT_TCP
		      " --sport 40101 --dport 80 2>/dev/null");
	ck_assert_int_eq(
	    conntrack_purge(check_ct_networks, CHECK_CT_FIXTURE_COUNT, 0, &stats, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(stats.deleted, 1); /* here 172.30.0.1 is no address of the host's */
	CHECK_CT_MUST("ip link add host0 type bridge && ip link set host0 up && "
		      "ip addr add 172.30.0.1/16 dev host0");
	CHECK_CT_MUST("conntrack -I -s 172.30.0.1 -d 172.30.0.3 " CHECK_CT_TCP
		      " --sport 40101 --dport 80 2>/dev/null");
	ck_assert_int_eq(
	    conntrack_purge(check_ct_networks, CHECK_CT_FIXTURE_COUNT, 0, &stats, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(stats.deleted, 0);
	listing = check_ct_list();
	ck_assert_ptr_nonnull(strstr(listing, "sport=40101 "));
	free(listing);
}
END_TEST

START_TEST(test_purge_needs_the_privilege)
{
	struct conntrack_purge_stats stats;
	char err[512] = "";
	pid_t child;
	int status;

	check_ct_host_interface();
	CHECK_CT_MUST("conntrack -I -s 172.30.0.3 -d 172.30.0.4 " CHECK_CT_TCP
		      " --sport 40201 --dport 80 2>/dev/null");
	/* without CAP_NET_ADMIN the kernel refuses the dump: an error, nothing deleted */
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		if (conntrack_purge(check_ct_networks, CHECK_CT_FIXTURE_COUNT, 0, &stats, err,
				    sizeof(err)) != -1 ||
		    strstr(err, "conntrack dump: Operation not permitted") == NULL ||
		    stats.examined != 0 || stats.deleted != 0) {
			fprintf(stderr, "unprivileged purge: \"%s\"\n", err);
			_exit(1);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(check_ct_count(), 1);
}
END_TEST

/* Writes a conntrack -R file of `count` entries; every `keep_every`-th one kept, the rest deleted.
 */
static void check_ct_load(size_t count, size_t keep_every, size_t *deleted)
{
	char path[] = "/tmp/check_conntrack.XXXXXX";
	int fd = mkstemp(path);
	FILE *file;

	ck_assert_int_ge(fd, 0);
	file = fdopen(fd, "w");
	ck_assert_ptr_nonnull(file);
	*deleted = 0;
	for (size_t i = 0; i < count; i++) {
		unsigned port = 1024 + (unsigned)(i % 60000);
		unsigned block = (unsigned)(i / 60000);

		if (keep_every != 0 && i % keep_every == 0) {
			/* from the outside world: never touched */
			fprintf(file,
				"-I -s 198.51.%u.%u -d 172.30.0.3 " CHECK_CT_TCP
				" --sport %u --dport 80\n",
				block, 1 + (unsigned)(i % 200), port);
		} else if (i % 4 == 1) {
			fprintf(file,
				"-I -s fd30::%x:%x -d fd30::4 " CHECK_CT_TCP
				" --sport %u --dport 80\n",
				block + 16, 16 + (unsigned)(i % 200), port);
			++*deleted;
		} else {
			fprintf(file,
				"-I -s 172.30.%u.%u -d 172.30.0.4 " CHECK_CT_TCP
				" --sport %u --dport 80\n",
				16 + block, 16 + (unsigned)(i % 200), port);
			++*deleted;
		}
	}
	ck_assert_int_eq(fclose(file), 0);
	CHECK_CT_MUST("conntrack -R %s 2>/dev/null", path);
	unlink(path);
	ck_assert_int_eq(check_ct_count(), (long)count);
}

START_TEST(test_purge_is_bounded)
{
	struct conntrack_purge_stats stats;
	char err[512] = "";
	size_t deleted;

	check_ct_host_interface();
	check_ct_load(50, 0, &deleted);
	ck_assert_uint_eq(deleted, 50);
	ck_assert_int_eq(conntrack_purge(check_ct_networks, CHECK_CT_FIXTURE_COUNT, 10, &stats, err,
					 sizeof(err)),
			 -1);
	ck_assert_msg(strstr(err, "more than 10 entries") != NULL, "error: %s", err);
	ck_assert_uint_eq(stats.examined, 10);
	/* what it did read, it judged and deleted */
	ck_assert_uint_eq(stats.deleted, 10);
	ck_assert_int_eq(check_ct_count(), 40);
	/* exactly at the limit is within it */
	ck_assert_int_eq(conntrack_purge(check_ct_networks, CHECK_CT_FIXTURE_COUNT, 40, &stats, err,
					 sizeof(err)),
			 0);
	ck_assert_uint_eq(stats.deleted, 40);
	ck_assert_int_eq(check_ct_count(), 0);
}
END_TEST

/* Milliseconds on the monotonic clock. */
static double check_ct_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

START_TEST(test_purge_cost)
{
	const size_t count = 60000;
	struct conntrack_purge_stats stats;
	char err[512] = "";
	size_t deleted;
	double started, purge_ms, dump_ms;

	check_ct_host_interface();
	/* one in three kept, a quarter of the rest IPv6 */
	check_ct_load(count, 3, &deleted);
	started = check_ct_now_ms();
	ck_assert_msg(conntrack_purge(check_ct_networks, CHECK_CT_FIXTURE_COUNT, 0, &stats, err,
				      sizeof(err)) == 0,
		      "purge: %s", err);
	purge_ms = check_ct_now_ms() - started;
	ck_assert_uint_eq(stats.examined, count);
	ck_assert_uint_eq(stats.deleted, deleted);
	ck_assert_int_eq(check_ct_count(), (long)(count - deleted));
	started = check_ct_now_ms();
	ck_assert_int_eq(
	    conntrack_purge(check_ct_networks, CHECK_CT_FIXTURE_COUNT, 0, &stats, err, sizeof(err)),
	    0);
	dump_ms = check_ct_now_ms() - started;
	ck_assert_uint_eq(stats.deleted, 0);
	printf("conntrack purge: %zu entries read, %zu deleted in %.1f ms (%.0f entries/ms); "
	       "a purge of %zu entries deleting none: %.1f ms (%.0f entries/ms)\n",
	       count, deleted, purge_ms, (double)count / purge_ms, count - deleted, dump_ms,
	       (double)(count - deleted) / dump_ms);
	fflush(stdout);
}
END_TEST

/* A namespace standing in for a container: a child that unshared and waits. */
struct check_ct_container {
	pid_t pid;
	int ns; /* its network namespace, open */
	const char *ipv4;
	const char *ipv6;
	char mac[18];
};

/* Starts a child in its own network namespace, plugged into br0 through `port`. */
static void check_ct_container_start(struct check_ct_container *container, const char *port,
				     const char *ipv4, const char *ipv6)
{
	char path[64];
	int ready[2];
	char byte;
	char *text;

	ck_assert_int_eq(pipe(ready), 0);
	container->pid = fork();
	ck_assert_int_ge(container->pid, 0);
	if (container->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWNET) != 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	container->ipv4 = ipv4;
	container->ipv6 = ipv6;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)container->pid);
	container->ns = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(container->ns, 0);
	CHECK_CT_MUST("ip link add %s type veth peer name eth0 netns %d && "
		      "ip link set %s master br0 up",
		      port, (int)container->pid, port);
	CHECK_CT_MUST("nsenter --net=/proc/%d/ns/net sh -c 'ip link set lo up && "
		      "ip link set eth0 up && ip addr add %s/24 dev eth0 && "
		      "ip -6 addr add %s/64 dev eth0 nodad'",
		      (int)container->pid, ipv4, ipv6);
	text = check_ct_capture("nsenter --net=/proc/%d/ns/net ip -o link show eth0",
				(int)container->pid);
	ck_assert_ptr_nonnull(strstr(text, "link/ether "));
	ck_assert_int_eq(sscanf(strstr(text, "link/ether "), "link/ether %17s", container->mac), 1);
	free(text);
}

/* Opens a socket inside a namespace (it stays there); the thread comes back. */
static int check_ct_socket_in(int ns, int family)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int fd;

	ck_assert_int_ge(self, 0);
	if (ns >= 0)
		ck_assert_int_eq(setns(ns, CLONE_NEWNET), 0);
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(setns(self, CLONE_NEWNET), 0);
	close(self);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* Fills a socket address for text:port. */
static socklen_t check_ct_address(const char *text, unsigned port, struct sockaddr_storage *out)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	struct sockaddr_in *in = (struct sockaddr_in *)out;

	memset(out, 0, sizeof(*out));
	if (strchr(text, ':') != NULL) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
		return sizeof(*in6);
	}
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET, text, &in->sin_addr), 1);
	return sizeof(*in);
}

/* One TCP connection between two namespaces (ns -1: the case's own, the host). */
struct check_ct_flow {
	const char *what;
	int client;
	int server;
};

/* Opens a flow from namespace `from` to to_address:port, listened on in namespace `to`. */
static void check_ct_flow_open(struct check_ct_flow *flow, const char *what, int from, int to,
			       const char *to_address, unsigned port)
{
	struct sockaddr_storage address;
	socklen_t length = check_ct_address(to_address, port, &address);
	int family = address.ss_family, listener, on = 1;

	flow->what = what;
	listener = check_ct_socket_in(to, family);
	ck_assert_int_eq(setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)), 0);
	ck_assert_msg(bind(listener, (struct sockaddr *)&address, length) == 0, "%s: bind: %s",
		      what, strerror(errno));
	ck_assert_int_eq(listen(listener, 1), 0);
	flow->client = check_ct_socket_in(from, family);
	ck_assert_msg(connect(flow->client, (struct sockaddr *)&address, length) == 0,
		      "%s: connect: %s", what, strerror(errno));
	flow->server = accept(listener, NULL, NULL);
	ck_assert_int_ge(flow->server, 0);
	close(listener);
}

/* Sends one byte from the client; true if the server gets it within ms. */
static bool check_ct_flow_passes(const struct check_ct_flow *flow, int ms)
{
	struct pollfd ready = {.fd = flow->server, .events = POLLIN};
	char byte = 'x';

	ck_assert_int_eq(send(flow->client, &byte, 1, MSG_NOSIGNAL), 1);
	if (poll(&ready, 1, ms) != 1)
		return false;
	ck_assert_int_eq(recv(flow->server, &byte, 1, 0), 1);
	return true;
}

/* Packets a counter of the case's table has counted. */
static long check_ct_counter(const char *name)
{
	char *text = check_ct_capture("nft list counter inet check_ct %s", name);
	char *packets = strstr(text, "packets ");
	long count;

	ck_assert_ptr_nonnull(packets);
	count = strtol(packets + strlen("packets "), NULL, 10);
	free(text);
	return count;
}

START_TEST(test_purged_flow_meets_the_rules_again)
{
	struct check_ct_container proxy, backend, sibling;
	struct check_ct_flow flows[4];
	struct prefix subnets[2], allowed[2], link_local[3];
	struct conntrack_network network = {
	    .subnets = subnets,
	    .subnet_count = 2,
	    .link_local = link_local,
	    .link_local_count = 3,
	    .allowed = allowed,
	    .allowed_count = 2,
	    .host_closed = true,
	};
	struct conntrack_purge_stats stats;
	char err[512] = "";
	bool passes[4];
	char *text;

	/*
	 * The host: a bridge, bridged traffic through the IP hooks, and a
	 * firewall that lets established flows pass (which also turns
	 * conntrack on in the namespace).  The drops for NEW packets come
	 * once the flows are open, standing in for tjd's rules arriving late.
	 */
	CHECK_CT_MUST("echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables && "
		      "echo 1 >/proc/sys/net/bridge/bridge-nf-call-ip6tables");
	CHECK_CT_MUST(
	    "ip link add br0 type bridge && ip link set br0 up && "
	    "ip addr add 10.78.0.1/24 dev br0 && ip -6 addr add fd78::1/64 dev br0 nodad");
	CHECK_CT_MUST("nft -f - <<'EOF'\n"
		      "table inet check_ct {\n"
		      "  counter forward_new {}\n"
		      "  counter input_new {}\n"
		      "  chain forward { type filter hook forward priority 0; "
		      "ct state established,related accept; }\n"
		      "  chain input { type filter hook input priority 0; "
		      "ct state established,related accept; }\n"
		      "}\n"
		      "EOF");
	check_ct_container_start(&proxy, "vethproxy", "10.78.0.2", "fd78::2");
	check_ct_container_start(&backend, "vethbackend", "10.78.0.3", "fd78::3");
	check_ct_container_start(&sibling, "vethsibling", "10.78.0.4", "fd78::4");
	subnets[0] = check_ct_prefix("10.78.0.0/24");
	subnets[1] = check_ct_prefix("fd78::/64");
	allowed[0] = check_ct_prefix(proxy.ipv4);
	allowed[1] = check_ct_prefix(proxy.ipv6);
	ck_assert_int_eq(conntrack_link_local(proxy.mac, &link_local[0]), 0);
	ck_assert_int_eq(conntrack_link_local(backend.mac, &link_local[1]), 0);
	ck_assert_int_eq(conntrack_link_local(sibling.mac, &link_local[2]), 0);
	/* the kernel gave the backend the link-local address its MAC makes */
	{
		char expected[PREFIX_TEXT_MAX];

		ck_assert_int_eq(prefix_format_address(&link_local[1], expected, sizeof(expected)),
				 0);
		text = check_ct_capture("nsenter --net=/proc/%d/ns/net ip -6 -o addr show dev "
					"eth0 scope link",
					(int)backend.pid);
		ck_assert_msg(strstr(text, expected) != NULL, "%s not in %s", expected, text);
		free(text);
	}

	check_ct_flow_open(&flows[0], "backend to sibling (IPv4)", backend.ns, sibling.ns,
			   sibling.ipv4, 8080);
	check_ct_flow_open(&flows[1], "backend to sibling (IPv6)", backend.ns, sibling.ns,
			   sibling.ipv6, 8081);
	check_ct_flow_open(&flows[2], "backend to the host", backend.ns, -1, "10.78.0.1", 2222);
	check_ct_flow_open(&flows[3], "proxy to sibling", proxy.ns, sibling.ns, sibling.ipv4, 8082);
	for (size_t i = 0; i < 4; i++)
		ck_assert_msg(check_ct_flow_passes(&flows[i], 1000), "%s: no traffic",
			      flows[i].what);

	/* the rules arrive: every NEW packet is dropped, yet the open flows go on */
	CHECK_CT_MUST("nft add rule inet check_ct forward ct state new counter name forward_new "
		      "drop && nft add rule inet check_ct input iifname br0 ct state new "
		      "counter name input_new drop");
	for (size_t i = 0; i < 4; i++)
		ck_assert_msg(check_ct_flow_passes(&flows[i], 1000),
			      "%s: the established flow was stopped before the purge",
			      flows[i].what);
	ck_assert_int_eq(check_ct_counter("forward_new"), 0);
	ck_assert_int_eq(check_ct_counter("input_new"), 0);

	ck_assert_msg(conntrack_purge(&network, 1, 0, &stats, err, sizeof(err)) == 0, "purge: %s",
		      err);
	ck_assert_uint_ge(stats.deleted, 3);
	for (size_t i = 0; i < 4; i++)
		passes[i] = check_ct_flow_passes(&flows[i], 1000);
	/* the purged flows' next packets were NEW, and dropped; the proxy's flow goes on */
	ck_assert_msg(!passes[0], "%s still flows", flows[0].what);
	ck_assert_msg(!passes[1], "%s still flows", flows[1].what);
	ck_assert_msg(!passes[2], "%s still flows", flows[2].what);
	ck_assert_msg(passes[3], "%s was stopped", flows[3].what);
	ck_assert_int_ge(check_ct_counter("forward_new"), 2);
	ck_assert_int_ge(check_ct_counter("input_new"), 1);
	printf("conntrack purge: %zu entries deleted; the purged flows' next packets were NEW "
	       "(%ld forwarded and %ld to the host dropped), the proxy's flow went on\n",
	       stats.deleted, check_ct_counter("forward_new"), check_ct_counter("input_new"));
	fflush(stdout);
	for (size_t i = 0; i < 4; i++) {
		close(flows[i].client);
		close(flows[i].server);
	}
	kill(proxy.pid, SIGKILL);
	kill(backend.pid, SIGKILL);
	kill(sibling.pid, SIGKILL);
}
END_TEST

/*
 * A backend's connections to the proxy, purged: the kernel picks TCP up
 * mid-stream from whichever end sends next.  If it is the proxy, whose
 * NEW packets the policy admits, the flow carries on the other way round
 * (and is from then on the proxy's, which no purge can tell apart);
 * dropping NEW TCP packets without SYN keeps it closed.
 */
START_TEST(test_purged_flow_and_the_allowed_end)
{
	struct check_ct_container proxy, backend;
	struct check_ct_flow flows[3], turned;
	struct prefix subnets[1], allowed[1];
	struct conntrack_network network = {
	    .subnets = subnets,
	    .subnet_count = 1,
	    .allowed = allowed,
	    .allowed_count = 1,
	    .host_closed = true,
	};
	struct conntrack_purge_stats stats;
	char err[512] = "";

	CHECK_CT_MUST("echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables");
	CHECK_CT_MUST("ip link add br0 type bridge && ip link set br0 up && "
		      "ip addr add 10.78.0.1/24 dev br0");
	CHECK_CT_MUST("nft add table inet check_ct && nft add chain inet check_ct forward "
		      "'{ type filter hook forward priority 0; }' && nft add rule inet check_ct "
		      "forward ct state established,related accept");
	check_ct_container_start(&proxy, "vethproxy", "10.78.0.2", "fd78::2");
	check_ct_container_start(&backend, "vethbackend", "10.78.0.3", "fd78::3");
	subnets[0] = check_ct_prefix("10.78.0.0/24");
	allowed[0] = check_ct_prefix(proxy.ipv4);
	/* opened before the rules: the backend reached the proxy's ports */
	for (unsigned i = 0; i < 3; i++)
		check_ct_flow_open(&flows[i], "backend to proxy", backend.ns, proxy.ns, proxy.ipv4,
				   8080 + i);
	/* tjd's policy in short: NEW packets only from the proxy */
	CHECK_CT_MUST("nft add rule inet check_ct forward ct state new ip saddr != 10.78.0.2 drop");
	for (unsigned i = 0; i < 3; i++)
		ck_assert(check_ct_flow_passes(&flows[i], 1000));
	ck_assert_msg(conntrack_purge(&network, 1, 0, &stats, err, sizeof(err)) == 0, "purge: %s",
		      err);
	ck_assert_uint_eq(stats.deleted, 3);

	/* the backend speaks first: its NEW packet is dropped */
	ck_assert(!check_ct_flow_passes(&flows[0], 1000));
	/* the proxy speaks first: admitted, and the backend's packets are replies from then on */
	turned = (struct check_ct_flow){
	    .what = "proxy answering", .client = flows[1].server, .server = flows[1].client};
	ck_assert(check_ct_flow_passes(&turned, 1000));
	ck_assert_msg(check_ct_flow_passes(&flows[1], 1000),
		      "the flow did not carry on: the kernel no longer picks TCP up mid-stream");
	ck_assert_int_eq(conntrack_purge(&network, 1, 0, &stats, err, sizeof(err)), 0);
	ck_assert_uint_eq(stats.deleted, 0);

	/* with NEW TCP packets without SYN dropped, neither end brings a purged flow back */
	CHECK_CT_MUST("nft insert rule inet check_ct forward ct state new tcp flags \\& "
		      "\\(fin\\|syn\\|rst\\|ack\\) != syn drop");
	turned = (struct check_ct_flow){
	    .what = "proxy answering", .client = flows[2].server, .server = flows[2].client};
	ck_assert(!check_ct_flow_passes(&turned, 1000));
	ck_assert(!check_ct_flow_passes(&flows[2], 1000));
	for (unsigned i = 0; i < 3; i++) {
		close(flows[i].client);
		close(flows[i].server);
	}
	kill(proxy.pid, SIGKILL);
	kill(backend.pid, SIGKILL);
}
END_TEST

/* The suite. */
static Suite *check_ct_suite(void)
{
	Suite *suite = suite_create("conntrack");
	TCase *decide = tcase_create("decide");
	TCase *kernel = tcase_create("kernel");

	tcase_add_loop_test(decide, test_decide, 0, CHECK_CT_CASE_COUNT);
	tcase_add_test(decide, test_decide_odd_input);
	tcase_add_test(decide, test_decide_odd_prefixes);
	tcase_add_test(decide, test_link_local_from_mac);
	suite_add_tcase(suite, decide);

	tcase_add_checked_fixture(kernel, check_ct_kernel_setup, NULL);
	tcase_set_timeout(kernel, 120);
	tcase_add_test(kernel, test_purge_deletes_exactly);
	tcase_add_test(kernel, test_purge_empty_and_unprotected);
	tcase_add_test(kernel, test_purge_without_host_addresses_keeps_the_gateways_flows);
	tcase_add_test(kernel, test_purge_needs_the_privilege);
	tcase_add_test(kernel, test_purge_is_bounded);
	tcase_add_test(kernel, test_purge_cost);
	tcase_add_test(kernel, test_purged_flow_meets_the_rules_again);
	tcase_add_test(kernel, test_purged_flow_and_the_allowed_end);
	suite_add_tcase(suite, kernel);
	return suite;
}

int main(void)
{
	SRunner *runner;
	int failed;

	if (geteuid() != 0) {
		fprintf(stderr,
			"check_conntrack: must run as root (network namespaces, conntrack); "
			"this is a FAILURE, not a skip\n");
		return 99;
	}
	/* never touch the host's connections, even before the first case forks */
	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "check_conntrack: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 99;
	}
	runner = srunner_create(check_ct_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
