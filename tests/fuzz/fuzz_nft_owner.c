/*
 * Fuzz target: what tjd/nft-owner.c reads from the kernel, the replies to
 * a batch of table claims and the answer to a table query, with their
 * promises checked.  Input: a byte of request count, the port and first
 * sequence number (4 bytes each, little-endian), then datagrams, each a
 * 2-byte little-endian length and its bytes.
 */
#include "config.h"

#include <linux/netfilter.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tjd/nft-owner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads a little-endian number of `bytes` bytes. */
static uint32_t fuzz_owner_number(const uint8_t *data, size_t bytes)
{
	uint32_t value = 0;

	for (size_t i = bytes; i-- > 0;)
		value = value << 8 | data[i];
	return value;
}

/* The reader's promises after any datagram. */
static void fuzz_owner_check(const struct nft_owner_replies *replies, uint32_t count)
{
	uint32_t all = (1u << count) - 1;

	if ((replies->answered & ~all) != 0 || replies->error < 0 || replies->error > 4095 ||
	    (replies->refused && replies->error == 0))
		abort();
	if (nft_owner_replies_done(replies) != (replies->refused || replies->answered == all))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nft_owner_replies replies;
	uint32_t count, port, first;
	static uint8_t datagram[65536];

	if (size < 9)
		return 0;
	count = data[0] % (NFT_OWNER_BATCH_MAX + 1);
	port = fuzz_owner_number(data + 1, 4);
	first = fuzz_owner_number(data + 5, 4);
	nft_owner_replies_init(&replies, port, first, count);
	data += 9;
	size -= 9;
	while (size >= 2) {
		size_t length = fuzz_owner_number(data, 2);
		struct nft_owner_table table;
		int error = -1, answered;

		data += 2;
		size -= 2;
		if (length > size)
			length = size;
		/* an aligned copy, as a receive buffer is */
		memcpy(datagram, data, length);
		nft_owner_replies_read(&replies, datagram, length);
		fuzz_owner_check(&replies, count);
		answered = nft_owner_table_read(datagram, length, port, first,
						(first & 1) ? NFPROTO_BRIDGE : NFPROTO_INET, "tjd",
						&table, &error);
		if (answered != 0 && answered != 1)
			abort();
		if (answered == 1 && (error < 0 || error > 4095 || table.exists != (error == 0) ||
				      (table.has_owner && !(table.flags & NFT_OWNER_FLAG_OWNER))))
			abort();
		data += length;
		size -= length;
	}
	return 0;
}
