/* The ring of recent blocked and logged connections; see events.h. */
#include "config.h"

#include "tjd/events.h"

#include <stdlib.h>
#include <string.h>

struct events {
	struct events_entry entries[EVENTS_CAPACITY];
	uint64_t last; /* entries hold seqs last-count+1 .. last */
	size_t count;
};

struct events *events_new(void)
{
	return calloc(1, sizeof(struct events));
}

void events_free(struct events *events)
{
	free(events);
}

uint64_t events_add(struct events *events, const struct events_entry *entry)
{
	struct events_entry *slot;

	events->last++;
	slot = &events->entries[events->last % EVENTS_CAPACITY];
	*slot = *entry;
	slot->seq = events->last;
	if (events->count < EVENTS_CAPACITY)
		events->count++;
	return events->last;
}

const struct events_entry *events_after(const struct events *events, uint64_t after)
{
	uint64_t first = events->last - events->count + 1;
	uint64_t want = after + 1 > first ? after + 1 : first;

	if (events->count == 0 || want > events->last)
		return NULL;
	return &events->entries[want % EVENTS_CAPACITY];
}

uint64_t events_last(const struct events *events)
{
	return events->last;
}
