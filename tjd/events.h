/*
 * Recent blocked and logged connections, for `tjctl log`: a ring of fixed
 * size, so memory stays bounded whatever the rate (the kernel already
 * limits it: see tjd/pktlog.h).  Each entry gets a sequence number; a
 * reader asks for what came after the last one it saw.
 */
#ifndef TJD_EVENTS_H
#define TJD_EVENTS_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tjd/inventory.h"
#include "tjd/pktlog.h"

/* Entries kept; the oldest go first. */
#define EVENTS_CAPACITY 1024

struct events_entry {
	uint64_t seq; /* 1, 2, ... */
	time_t time;
	char kind[24]; /* "isolation", "no-host", "container-policy", "container" (a log rule) */
	char network[INV_NAME_MAX + 1];	  /* "" for a container's own rules */
	char container[INV_NAME_MAX + 1]; /* whose rules logged it ("" for a network's) */
	char rule[PKTLOG_PREFIX_MAX];	  /* the rule's prefix */
	char src_name[INV_NAME_MAX + 1], src_address[INET6_ADDRSTRLEN];
	char dst_name[INV_NAME_MAX + 1], dst_address[INET6_ADDRSTRLEN];
	char protocol[16];
	uint16_t port; /* destination port, 0 when none */
	char reason[INV_NAME_MAX + 96];
};

struct events;

struct events *events_new(void);
void events_free(struct events *events);
/* Appends a copy (its seq assigned here) and returns that seq. */
uint64_t events_add(struct events *events, const struct events_entry *entry);
/*
 * The oldest entry with a seq above `after`, or NULL; iterate by passing
 * the returned entry's seq back.
 */
const struct events_entry *events_after(const struct events *events, uint64_t after);
/* The newest seq handed out (0 before the first). */
uint64_t events_last(const struct events *events);

#endif
