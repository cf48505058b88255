/*
 * pktlog_decode and pktlog_describe: log-group messages built byte by byte
 * as the kernel sends them, and the malformed ones a reader must refuse.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "tjd/pktlog.h"

static uint8_t message_buffer[4096];

/* A packet message of `family` with an optional prefix and the payload given. */
static struct nlmsghdr *message(uint8_t family, const char *prefix, const uint8_t *payload,
				size_t length)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *gen;
	struct nfulnl_msg_packet_hdr hdr = {.hw_protocol = htons(0x0800), .hook = 1};

	memset(message_buffer, 0, sizeof(message_buffer));
	nlh = mnl_nlmsg_put_header(message_buffer);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	gen = mnl_nlmsg_put_extra_header(nlh, sizeof(*gen));
	gen->nfgen_family = family;
	gen->version = NFNETLINK_V0;
	gen->res_id = htons(7480);
	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(hdr), &hdr);
	if (prefix != NULL)
		mnl_attr_put_strz(nlh, NFULA_PREFIX, prefix);
	mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(7));
	if (payload != NULL)
		mnl_attr_put(nlh, NFULA_PAYLOAD, length, payload);
	return nlh;
}

/* An IPv4 header (20 bytes) for protocol, 10.1.0.5 -> 10.1.0.2, fragment offset given. */
static size_t ipv4(uint8_t *out, uint8_t protocol, uint16_t fragment_offset)
{
	static const uint8_t src[4] = {10, 1, 0, 5}, dst[4] = {10, 1, 0, 2};

	memset(out, 0, 20);
	out[0] = 0x45;
	out[6] = (uint8_t)(fragment_offset >> 8);
	out[7] = (uint8_t)fragment_offset;
	out[8] = 64;
	out[9] = protocol;
	memcpy(out + 12, src, 4);
	memcpy(out + 16, dst, 4);
	return 20;
}

/* An IPv6 header (40 bytes), fd00::5 -> fd00::2, next header given. */
static size_t ipv6(uint8_t *out, uint8_t next)
{
	memset(out, 0, 40);
	out[0] = 0x60;
	out[6] = next;
	out[7] = 64;
	out[8] = 0xfd;
	out[23] = 5;
	out[24] = 0xfd;
	out[39] = 2;
	return 40;
}

/* Ports (4 bytes, big-endian) at out. */
static size_t ports(uint8_t *out, uint16_t sport, uint16_t dport)
{
	out[0] = (uint8_t)(sport >> 8);
	out[1] = (uint8_t)sport;
	out[2] = (uint8_t)(dport >> 8);
	out[3] = (uint8_t)dport;
	return 4;
}

START_TEST(test_ipv4_tcp)
{
	uint8_t packet[64];
	size_t n = ipv4(packet, IPPROTO_TCP, 0);
	struct pktlog_event event;
	struct nlmsghdr *nlh;
	char line[160];

	n += ports(packet + n, 41234, 80);
	memset(packet + n, 0, 16);
	n += 16;
	nlh = message(NFPROTO_IPV4, "dcfw.input.rule.1: Allow HTTP", packet, n);
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), 0);
	ck_assert_int_eq(event.family, AF_INET);
	ck_assert_int_eq(event.protocol, IPPROTO_TCP);
	ck_assert(event.has_ports);
	ck_assert_uint_eq(event.sport, 41234);
	ck_assert_uint_eq(event.dport, 80);
	ck_assert_uint_eq(event.indev, 7);
	ck_assert_str_eq(event.prefix, "dcfw.input.rule.1: Allow HTTP");
	pktlog_describe(&event, line, sizeof(line));
	ck_assert_str_eq(line, "tcp 10.1.0.5:41234 -> 10.1.0.2:80");
}
END_TEST

START_TEST(test_ipv6_udp_behind_extension_headers)
{
	uint8_t packet[128];
	size_t n = ipv6(packet, IPPROTO_HOPOPTS);
	struct pktlog_event event;
	struct nlmsghdr *nlh;
	char line[160];

	/* hop-by-hop (8 bytes), destination options (16 bytes), then UDP */
	memset(packet + n, 0, 24);
	packet[n] = IPPROTO_DSTOPTS;
	packet[n + 8] = IPPROTO_UDP;
	packet[n + 9] = 1;
	n += 24;
	n += ports(packet + n, 5353, 53);
	nlh = message(NFPROTO_IPV6, "tjd.output.rule.2", packet, n);
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), 0);
	ck_assert_int_eq(event.family, AF_INET6);
	ck_assert_int_eq(event.protocol, IPPROTO_UDP);
	ck_assert(event.has_ports);
	ck_assert_uint_eq(event.dport, 53);
	pktlog_describe(&event, line, sizeof(line));
	ck_assert_str_eq(line, "udp [fd00::5]:5353 -> [fd00::2]:53");
}
END_TEST

START_TEST(test_icmp_and_fragments)
{
	uint8_t packet[128];
	size_t n = ipv4(packet, IPPROTO_ICMP, 0);
	struct pktlog_event event;
	struct nlmsghdr *nlh;
	char line[160];

	packet[n] = 8;
	packet[n + 1] = 0;
	nlh = message(NFPROTO_IPV4, NULL, packet, n + 8);
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), 0);
	ck_assert(event.has_icmp && !event.has_ports);
	ck_assert_uint_eq(event.icmp_type, 8);
	ck_assert_str_eq(event.prefix, "");
	pktlog_describe(&event, line, sizeof(line));
	ck_assert_str_eq(line, "icmp type 8 code 0 10.1.0.5 -> 10.1.0.2");

	/* a later IPv4 fragment: its first bytes are data, not ports */
	n = ipv4(packet, IPPROTO_TCP, 185);
	n += ports(packet + n, 1, 2);
	nlh = message(NFPROTO_IPV4, NULL, packet, n);
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), 0);
	ck_assert(event.fragment && !event.has_ports);
	pktlog_describe(&event, line, sizeof(line));
	ck_assert_str_eq(line, "tcp 10.1.0.5 -> 10.1.0.2 (fragment)");

	/* a later IPv6 fragment */
	n = ipv6(packet, IPPROTO_FRAGMENT);
	memset(packet + n, 0, 8);
	packet[n] = IPPROTO_TCP;
	packet[n + 3] = 0x08; /* offset 1 (in 8-byte units) */
	n += 8;
	n += ports(packet + n, 1, 2);
	nlh = message(NFPROTO_IPV6, NULL, packet, n);
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), 0);
	ck_assert(event.fragment && !event.has_ports);
	ck_assert_int_eq(event.protocol, IPPROTO_TCP);
}
END_TEST

/* A prefix with bytes outside printable ASCII is kept, those bytes as '?'. */
START_TEST(test_prefix_sanitized)
{
	uint8_t packet[64];
	size_t n = ipv4(packet, IPPROTO_UDP, 0);
	struct pktlog_event event;
	struct nlmsghdr *nlh;

	n += ports(packet + n, 1, 2);
	nlh = message(NFPROTO_IPV4, "a\nb\x1b[31mc\xff", packet, n);
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), 0);
	ck_assert_str_eq(event.prefix, "a?b?[31mc?");
}
END_TEST

/* What a reader must refuse, never reading past the message. */
START_TEST(test_malformed_refused)
{
	uint8_t packet[64];
	size_t n = ipv4(packet, IPPROTO_TCP, 0);
	struct pktlog_event event;
	struct nlmsghdr *nlh;

	n += ports(packet + n, 1, 2);
	/* no payload */
	nlh = message(NFPROTO_IPV4, "x", NULL, 0);
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), -1);
	/* a payload too short for an IPv4 header */
	nlh = message(NFPROTO_IPV4, "x", packet, 12);
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), -1);
	/* an IHL past the payload */
	packet[0] = 0x4f;
	nlh = message(NFPROTO_IPV4, "x", packet, n);
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), -1);
	packet[0] = 0x45;
	/* IPv4 bytes in a message that says IPv6, and another family */
	nlh = message(NFPROTO_IPV6, "x", packet, n);
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), -1);
	nlh = message(NFPROTO_ARP, "x", packet, n);
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), -1);
	/* another message type */
	nlh = message(NFPROTO_IPV4, "x", packet, n);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), -1);
	/* a message longer than what was received */
	nlh = message(NFPROTO_IPV4, "x", packet, n);
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len - 1, &event), -1);
	ck_assert_int_eq(pktlog_decode(nlh, 8, &event), -1);
	/* an attribute running past the message */
	nlh = message(NFPROTO_IPV4, "x", packet, n);
	nlh->nlmsg_len -= 4;
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), -1);
}
END_TEST

/* IPv6 extension headers that run past the payload leave no ports read. */
START_TEST(test_ipv6_truncated_headers)
{
	uint8_t packet[64];
	size_t n = ipv6(packet, IPPROTO_ROUTING);
	struct pktlog_event event;
	struct nlmsghdr *nlh;

	packet[n] = IPPROTO_TCP;
	packet[n + 1] = 200; /* 1608 bytes claimed */
	n += 8;
	nlh = message(NFPROTO_IPV6, NULL, packet, n);
	ck_assert_int_eq(pktlog_decode(nlh, nlh->nlmsg_len, &event), 0);
	ck_assert(!event.has_ports && !event.has_icmp);
}
END_TEST

static Suite *pktlog_suite(void)
{
	Suite *suite = suite_create("pktlog");
	TCase *tcase = tcase_create("decode");

	tcase_add_test(tcase, test_ipv4_tcp);
	tcase_add_test(tcase, test_ipv6_udp_behind_extension_headers);
	tcase_add_test(tcase, test_icmp_and_fragments);
	tcase_add_test(tcase, test_prefix_sanitized);
	tcase_add_test(tcase, test_malformed_refused);
	tcase_add_test(tcase, test_ipv6_truncated_headers);
	suite_add_tcase(suite, tcase);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(pktlog_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? 0 : 1;
}
