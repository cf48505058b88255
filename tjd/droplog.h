/*
 * The drop log: a packet a closing drop rule sampled (tjd/pktlog.h),
 * resolved against the inventory into the user's words.
 *
 * The RULE_LOG twin of each network's closing drop carries the prefix
 * "tjd NETWORK isolate" (between containers) or "tjd NETWORK no-host"
 * (a container to the host), a network's LAN egress drop "tjd NETWORK
 * lan-egress", and the [published] policy's drop "tjd published policy"
 * (network "published"); droplog_resolve names both ends from the
 * inventory (container name and address, or "host") and says why the
 * packet was dropped:
 *
 *   web app1 (172.30.0.11) -> app2 (172.30.0.12) tcp/80 blocked: app1 is not allow-listed
 *
 * Pure: the event and the inventory in, the description out.
 */
#ifndef TJD_DROPLOG_H
#define TJD_DROPLOG_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tjd/inventory.h"
#include "tjd/pktlog.h"

enum droplog_kind {
	DROPLOG_ISOLATION,  /* between two ports of a protected network */
	DROPLOG_NO_HOST,    /* from a container to the host */
	DROPLOG_PUBLISHED,  /* to a published port, refused by the [published] policy */
	DROPLOG_LAN_EGRESS, /* from a container to a private range outside Docker */
};

/* One end of a blocked connection. */
struct droplog_party {
	char name[INV_NAME_MAX + 1]; /* the container's, "host", or "" when unknown */
	char address[INET6_ADDRSTRLEN];
	bool allowed; /* an allow-listed container */
};

struct droplog_event {
	enum droplog_kind kind;
	char network[INV_NAME_MAX + 1];
	struct droplog_party src, dst;
	uint8_t protocol;
	bool has_port;
	uint16_t port; /* the destination port */
	char reason[INV_NAME_MAX + 96];
};

/* "isolation", "no-host", "published" or "lan-egress". */
const char *droplog_kind_name(enum droplog_kind kind);
/*
 * Resolves a logged packet; 0, or -1 when it is not from one of tjd's
 * closing drop rules (another prefix).
 */
int droplog_resolve(const struct inventory *inv, const struct pktlog_event *packet,
		    struct droplog_event *out);
/* The line: "NETWORK SRC (ADDR) -> DST (ADDR) PROTO/PORT blocked: REASON". */
void droplog_format(const struct droplog_event *event, char *buf, size_t size);

#endif
