/*
 * tjd/nft-owner.c without the kernel's help: the readers of its replies
 * take only what answers the request, from the right port and sequence,
 * and the search for libnftables' socket refuses whatever is ambiguous.
 * (Claiming tables in the kernel is check_backend_nft's.)
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tjd/nft-owner.h"

#define CHECK_OWNER_PORT 4242u
#define CHECK_OWNER_SEQ 1000u

static char check_owner_buffer[8192];
static size_t check_owner_length;

/* Starts an empty datagram. */
static void check_owner_reset(void)
{
	memset(check_owner_buffer, 0, sizeof(check_owner_buffer));
	check_owner_length = 0;
}

/* Appends an NLMSG_ERROR (error 0: an acknowledgement) answering `seq`, addressed to `port`. */
static struct nlmsghdr *check_owner_error(uint32_t port, uint32_t seq, int error)
{
	struct nlmsghdr *message = mnl_nlmsg_put_header(check_owner_buffer + check_owner_length);
	struct nlmsgerr *body;

	message->nlmsg_type = NLMSG_ERROR;
	message->nlmsg_pid = port;
	message->nlmsg_seq = seq;
	body = mnl_nlmsg_put_extra_header(message, sizeof(*body));
	body->error = error;
	body->msg.nlmsg_seq = seq;
	body->msg.nlmsg_pid = port;
	check_owner_length += message->nlmsg_len;
	return message;
}

/* Appends a NEWTABLE answer for `name` of `family` with flags and, if owner, an owner. */
static void check_owner_table(uint32_t seq, uint8_t family, const char *name, uint32_t flags,
			      uint32_t owner)
{
	struct nftnl_table *table = nftnl_table_alloc();
	struct nlmsghdr *message;

	ck_assert_ptr_nonnull(table);
	nftnl_table_set_str(table, NFTNL_TABLE_NAME, name);
	nftnl_table_set_u32(table, NFTNL_TABLE_FLAGS, flags);
	message = nftnl_table_nlmsg_build_hdr(check_owner_buffer + check_owner_length,
					      NFT_MSG_NEWTABLE, family, 0, seq);
	nftnl_table_nlmsg_build_payload(message, table);
	if (owner != 0)
		mnl_attr_put_u32(message, NFTA_TABLE_OWNER, htonl(owner));
	message->nlmsg_pid = CHECK_OWNER_PORT;
	check_owner_length += message->nlmsg_len;
	nftnl_table_free(table);
}

/* Feeds the datagram to a reader of replies to `count` requests. */
static struct nft_owner_replies check_owner_read(uint32_t first, uint32_t count)
{
	struct nft_owner_replies replies;

	nft_owner_replies_init(&replies, CHECK_OWNER_PORT, first, count);
	nft_owner_replies_read(&replies, check_owner_buffer, check_owner_length);
	return replies;
}

START_TEST(test_acknowledged_batch_is_done)
{
	struct nft_owner_replies replies;

	check_owner_reset();
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 1, 0);
	replies = check_owner_read(CHECK_OWNER_SEQ, 2);
	ck_assert(!nft_owner_replies_done(&replies));
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 2, 0);
	replies = check_owner_read(CHECK_OWNER_SEQ, 2);
	ck_assert(nft_owner_replies_done(&replies));
	ck_assert_int_eq(replies.error, 0);
	ck_assert(!replies.refused);
}
END_TEST

START_TEST(test_first_error_is_kept)
{
	struct nft_owner_replies replies;

	check_owner_reset();
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 1, -EPERM);
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 2, -EOPNOTSUPP);
	replies = check_owner_read(CHECK_OWNER_SEQ, 2);
	ck_assert(nft_owner_replies_done(&replies));
	ck_assert_int_eq(replies.error, EPERM);
}
END_TEST

START_TEST(test_refused_batch_is_done)
{
	struct nft_owner_replies replies;

	/* an error for the batch's begin (or end) answers everything */
	check_owner_reset();
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ, -EINVAL);
	replies = check_owner_read(CHECK_OWNER_SEQ, 3);
	ck_assert(nft_owner_replies_done(&replies));
	ck_assert(replies.refused);
	ck_assert_int_eq(replies.error, EINVAL);
	check_owner_reset();
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 4, -ENOMEM);
	replies = check_owner_read(CHECK_OWNER_SEQ, 3);
	ck_assert(replies.refused);
	/* an acknowledgement of begin or end means nothing */
	check_owner_reset();
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ, 0);
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 4, 0);
	replies = check_owner_read(CHECK_OWNER_SEQ, 3);
	ck_assert(!nft_owner_replies_done(&replies));
	ck_assert_uint_eq(replies.answered, 0);
}
END_TEST

START_TEST(test_foreign_replies_are_ignored)
{
	struct nft_owner_replies replies;
	struct nlmsghdr *message;

	check_owner_reset();
	/* another port, a sequence number before or after the batch */
	check_owner_error(CHECK_OWNER_PORT + 1, CHECK_OWNER_SEQ + 1, -EPERM);
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ - 1, -EPERM);
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 3, -EPERM);
	/* an error that is no errno, in either direction */
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 1, 5);
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 1, -5000);
	/* a header that does not repeat the request answered */
	message = check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 1, -EPERM);
	((struct nlmsgerr *)mnl_nlmsg_get_payload(message))->msg.nlmsg_seq = 77;
	/* not an error message at all */
	message = check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 1, -EPERM);
	message->nlmsg_type = NLMSG_DONE;
	replies = check_owner_read(CHECK_OWNER_SEQ, 1);
	ck_assert(!nft_owner_replies_done(&replies));
	ck_assert_int_eq(replies.error, 0);
	ck_assert_uint_eq(replies.answered, 0);
}
END_TEST

START_TEST(test_cut_datagrams_are_ignored)
{
	struct nft_owner_replies replies;

	check_owner_reset();
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 1, -EPERM);
	/* every cut of a whole message is refused whole */
	for (size_t length = 0; length < check_owner_length; length++) {
		nft_owner_replies_init(&replies, CHECK_OWNER_PORT, CHECK_OWNER_SEQ, 1);
		nft_owner_replies_read(&replies, check_owner_buffer, length);
		ck_assert_msg(replies.answered == 0 && replies.error == 0, "cut at %zu taken",
			      length);
	}
	/* a length that runs past the datagram */
	((struct nlmsghdr *)check_owner_buffer)->nlmsg_len = (uint32_t)check_owner_length + 8;
	replies = check_owner_read(CHECK_OWNER_SEQ, 1);
	ck_assert_uint_eq(replies.answered, 0);
	/* a length of 2 GiB or more, which libmnl's own check takes for negative */
	check_owner_reset();
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 1, -EPERM);
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 1, -EPERM);
	((struct nlmsghdr *)check_owner_buffer)->nlmsg_len = 0x80000010u;
	replies = check_owner_read(CHECK_OWNER_SEQ, 1);
	ck_assert_uint_eq(replies.answered, 0);
	/* an error message too short to hold its header */
	check_owner_reset();
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ + 1, -EPERM);
	((struct nlmsghdr *)check_owner_buffer)->nlmsg_len = NLMSG_HDRLEN + 4;
	check_owner_length = NLMSG_HDRLEN + 4;
	replies = check_owner_read(CHECK_OWNER_SEQ, 1);
	ck_assert_uint_eq(replies.answered, 0);
}
END_TEST

START_TEST(test_sequence_numbers_wrap)
{
	struct nft_owner_replies replies;

	check_owner_reset();
	check_owner_error(CHECK_OWNER_PORT, 0, 0); /* UINT32_MAX + 1 */
	check_owner_error(CHECK_OWNER_PORT, 1, 0);
	replies = check_owner_read(UINT32_MAX, 2);
	ck_assert(nft_owner_replies_done(&replies));
	ck_assert_int_eq(replies.error, 0);
}
END_TEST

START_TEST(test_table_answer)
{
	struct nft_owner_table table;
	int error = -1;

	check_owner_reset();
	check_owner_table(CHECK_OWNER_SEQ, NFPROTO_INET, "tjd", NFT_OWNER_FLAGS, 1234);
	ck_assert_int_eq(nft_owner_table_read(check_owner_buffer, check_owner_length,
					      CHECK_OWNER_PORT, CHECK_OWNER_SEQ, NFPROTO_INET,
					      "tjd", &table, &error),
			 1);
	ck_assert_int_eq(error, 0);
	ck_assert(table.exists);
	ck_assert_uint_eq(table.flags, NFT_OWNER_FLAGS);
	ck_assert(table.has_owner);
	ck_assert_uint_eq(table.owner, 1234);
	/* an orphan: persist without an owner */
	check_owner_reset();
	check_owner_table(CHECK_OWNER_SEQ, NFPROTO_BRIDGE, "tjd", NFT_OWNER_FLAG_PERSIST, 0);
	ck_assert_int_eq(nft_owner_table_read(check_owner_buffer, check_owner_length,
					      CHECK_OWNER_PORT, CHECK_OWNER_SEQ, NFPROTO_BRIDGE,
					      "tjd", &table, &error),
			 1);
	ck_assert(table.exists && !table.has_owner);
	/* the owner flag without its attribute says no owner */
	check_owner_reset();
	check_owner_table(CHECK_OWNER_SEQ, NFPROTO_INET, "tjd", NFT_OWNER_FLAG_OWNER, 0);
	ck_assert_int_eq(nft_owner_table_read(check_owner_buffer, check_owner_length,
					      CHECK_OWNER_PORT, CHECK_OWNER_SEQ, NFPROTO_INET,
					      "tjd", &table, &error),
			 1);
	ck_assert(!table.has_owner);
}
END_TEST

START_TEST(test_table_answer_must_match)
{
	struct nft_owner_table table;
	int error = -1;

	check_owner_reset();
	check_owner_table(CHECK_OWNER_SEQ, NFPROTO_INET, "other", NFT_OWNER_FLAGS, 1);
	check_owner_table(CHECK_OWNER_SEQ, NFPROTO_BRIDGE, "tjd", NFT_OWNER_FLAGS, 1);
	check_owner_table(CHECK_OWNER_SEQ + 1, NFPROTO_INET, "tjd", NFT_OWNER_FLAGS, 1);
	ck_assert_int_eq(nft_owner_table_read(check_owner_buffer, check_owner_length,
					      CHECK_OWNER_PORT, CHECK_OWNER_SEQ, NFPROTO_INET,
					      "tjd", &table, &error),
			 0);
	ck_assert_int_eq(nft_owner_table_read(check_owner_buffer, check_owner_length,
					      CHECK_OWNER_PORT + 1, CHECK_OWNER_SEQ + 1,
					      NFPROTO_INET, "tjd", &table, &error),
			 0);
	/* a malformed attribute (a flags word cut to three bytes) makes it no answer */
	check_owner_reset();
	check_owner_table(CHECK_OWNER_SEQ, NFPROTO_INET, "tjd", NFT_OWNER_FLAGS, 1);
	{
		struct nlmsghdr *message = (struct nlmsghdr *)check_owner_buffer;
		struct nlattr *attribute;

		mnl_attr_for_each(attribute, message,
				  sizeof(struct nfgenmsg)) if (mnl_attr_get_type(attribute) ==
							       NFTA_TABLE_FLAGS)
		    attribute->nla_len = 7;
	}
	ck_assert_int_eq(nft_owner_table_read(check_owner_buffer, check_owner_length,
					      CHECK_OWNER_PORT, CHECK_OWNER_SEQ, NFPROTO_INET,
					      "tjd", &table, &error),
			 0);
	/* the error the kernel gives when there is no such table */
	check_owner_reset();
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ, -ENOENT);
	ck_assert_int_eq(nft_owner_table_read(check_owner_buffer, check_owner_length,
					      CHECK_OWNER_PORT, CHECK_OWNER_SEQ, NFPROTO_INET,
					      "tjd", &table, &error),
			 1);
	ck_assert_int_eq(error, ENOENT);
	ck_assert(!table.exists);
	/* an acknowledgement is no answer */
	check_owner_reset();
	check_owner_error(CHECK_OWNER_PORT, CHECK_OWNER_SEQ, 0);
	ck_assert_int_eq(nft_owner_table_read(check_owner_buffer, check_owner_length,
					      CHECK_OWNER_PORT, CHECK_OWNER_SEQ, NFPROTO_INET,
					      "tjd", &table, &error),
			 0);
}
END_TEST

/* A netfilter netlink socket bound to a port of its own. */
static int check_owner_socket(uint32_t *port)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	struct sockaddr_nl address = {.nl_family = AF_NETLINK};
	socklen_t length = sizeof(address);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&address, sizeof(address)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&address, &length), 0);
	*port = address.nl_pid;
	return fd;
}

START_TEST(test_find_takes_exactly_one_new_socket)
{
	struct nft_owner_sockets before;
	struct nft_owner owner;
	char err[256];
	uint32_t port, other_port;
	int fd, other, copy, route;

	ck_assert_int_eq(nft_owner_sockets_list(&before, err, sizeof(err)), 0);
	/* nothing new: nothing to take */
	ck_assert_int_eq(nft_owner_find(&owner, &before, 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "0 netfilter sockets"));
	fd = check_owner_socket(&port);
	/* sockets of other netlink families do not count */
	route = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	ck_assert_int_ge(route, 0);
	/* the same socket twice is one socket */
	copy = dup(fd);
	ck_assert_int_eq(nft_owner_find(&owner, &before, port, err, sizeof(err)), 0);
	ck_assert(owner.fd == fd || owner.fd == copy);
	ck_assert_uint_eq(owner.port, port);
	ck_assert(fcntl(owner.fd, F_GETFD) & FD_CLOEXEC);
	/* the port it was seen committing from must be this socket's */
	ck_assert_int_eq(nft_owner_find(&owner, &before, port + 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "has port"));
	ck_assert_int_eq(nft_owner_find(&owner, &before, 0, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not known"));
	/* two new ones: ambiguous */
	other = check_owner_socket(&other_port);
	ck_assert_int_eq(nft_owner_find(&owner, &before, port, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "2 netfilter sockets"));
	close(other);
	close(copy);
	close(route);
	close(fd);
	nft_owner_sockets_free(&before);
}
END_TEST

START_TEST(test_pid_of_a_socket)
{
	char comm[32], own[32] = "";
	uint32_t port;
	int fd = check_owner_socket(&port);
	FILE *file = fopen("/proc/self/comm", "r");

	/* this process's name, whatever runs it (valgrind's, under valgrind) */
	ck_assert_ptr_nonnull(file);
	ck_assert_ptr_nonnull(fgets(own, sizeof(own), file));
	fclose(file);
	own[strcspn(own, "\n")] = '\0';
	ck_assert_int_eq(nft_owner_pid(port, comm, sizeof(comm)), getpid());
	ck_assert_str_eq(comm, own);
	close(fd);
	ck_assert_int_eq(nft_owner_pid(port, comm, sizeof(comm)), -1);
	ck_assert_str_eq(comm, "");
}
END_TEST

/* The suite. */
static Suite *check_owner_suite(void)
{
	Suite *suite = suite_create("nft_owner");
	TCase *tcase = tcase_create("replies");

	tcase_add_test(tcase, test_acknowledged_batch_is_done);
	tcase_add_test(tcase, test_first_error_is_kept);
	tcase_add_test(tcase, test_refused_batch_is_done);
	tcase_add_test(tcase, test_foreign_replies_are_ignored);
	tcase_add_test(tcase, test_cut_datagrams_are_ignored);
	tcase_add_test(tcase, test_sequence_numbers_wrap);
	tcase_add_test(tcase, test_table_answer);
	tcase_add_test(tcase, test_table_answer_must_match);
	suite_add_tcase(suite, tcase);
	tcase = tcase_create("sockets");
	tcase_add_test(tcase, test_find_takes_exactly_one_new_socket);
	tcase_add_test(tcase, test_pid_of_a_socket);
	suite_add_tcase(suite, tcase);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(check_owner_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
