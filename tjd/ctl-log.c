/* log: the recent blocked and logged connections (tjd/events.h), oldest first. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "common/frame.h"
#include "common/text.h"

#include "tjd/ctl.h"
#include "tjd/daemon.h"
#include "tjd/events.h"

/* Bytes of entries one reply carries at most, leaving room for the framing. */
#define CTL_LOG_BUDGET (FRAME_MAX - 4096)

/* Whether an entry passes the request's filters. */
static bool ctl_log_wanted(const struct events_entry *entry, const char *network,
			   const char *container)
{
	if (network != NULL && strcmp(entry->network, network) != 0)
		return false;
	if (container != NULL && strcmp(entry->container, container) != 0 &&
	    strcmp(entry->src_name, container) != 0 && strcmp(entry->dst_name, container) != 0)
		return false;
	return true;
}

/* An upper bound of one entry's packed size. */
static size_t ctl_log_size(const struct events_entry *entry)
{
	return 64 + strlen(entry->kind) + strlen(entry->network) + strlen(entry->container) +
	       strlen(entry->rule) + strlen(entry->src_name) + strlen(entry->src_address) +
	       strlen(entry->dst_name) + strlen(entry->dst_address) + strlen(entry->protocol) +
	       strlen(entry->reason);
}

/* One entry of the reply; NULL on OOM. */
static Tjd__V1__LogEntry *ctl_log_entry(struct ctl_context *ctx, const struct events_entry *entry)
{
	Tjd__V1__LogEntry *out = ctl_alloc(ctx, sizeof(*out));

	if (out == NULL)
		return NULL;
	tjd__v1__log_entry__init(out);
	out->seq = entry->seq;
	out->time_unix = (int64_t)entry->time;
	out->port = entry->port;
	out->kind = ctl_strdup(ctx, entry->kind);
	out->network = ctl_strdup(ctx, entry->network);
	out->container = ctl_strdup(ctx, entry->container);
	out->rule = ctl_strdup(ctx, entry->rule);
	out->src_name = ctl_strdup(ctx, entry->src_name);
	out->src_address = ctl_strdup(ctx, entry->src_address);
	out->dst_name = ctl_strdup(ctx, entry->dst_name);
	out->dst_address = ctl_strdup(ctx, entry->dst_address);
	out->protocol = ctl_strdup(ctx, entry->protocol);
	out->reason = ctl_strdup(ctx, entry->reason);
	if (out->kind == NULL || out->network == NULL || out->container == NULL ||
	    out->rule == NULL || out->src_name == NULL || out->src_address == NULL ||
	    out->dst_name == NULL || out->dst_address == NULL || out->protocol == NULL ||
	    out->reason == NULL)
		return NULL;
	return out;
}

/* Whether a name from the request is usable as a filter (NULL: none). */
static bool ctl_log_filter_ok(const char *name)
{
	return name == NULL || (strlen(name) <= 255 && !text_has_control(name, strlen(name)));
}

/* Fills the reply with the entries after the request's seq, within one frame. */
static int ctl_log_exec(struct ctl_context *ctx, const Tjd__V1__Request *request,
			Tjd__V1__Response *reply)
{
	const struct events *events = ctx->tjd->events;
	const Tjd__V1__LogRequest *asked = request->log;
	const char *network =
	    asked != NULL && asked->network && asked->network[0] ? asked->network : NULL;
	const char *container =
	    asked != NULL && asked->container && asked->container[0] ? asked->container : NULL;
	uint64_t after = asked != NULL ? asked->after : 0;
	Tjd__V1__LogResponse *log;
	const struct events_entry *entry;
	size_t used = 0, capacity = 0;

	if (!ctl_log_filter_ok(network) || !ctl_log_filter_ok(container))
		return ctl_error(ctx, reply, TJD__V1__ERROR_CODE__ERROR_INVALID,
				 "a network or container is named by 1 to 255 bytes without "
				 "control characters");
	log = ctl_alloc(ctx, sizeof(*log));
	if (log == NULL)
		return 0;
	tjd__v1__log_response__init(log);
	log->last = after;
	for (entry = events ? events_after(events, after) : NULL; entry != NULL;
	     entry = events_after(events, entry->seq)) {
		Tjd__V1__LogEntry **grown;

		if (!ctl_log_wanted(entry, network, container)) {
			log->last = entry->seq;
			continue;
		}
		if (used + ctl_log_size(entry) > CTL_LOG_BUDGET) {
			log->more = true;
			break;
		}
		if (log->n_entries == capacity) {
			capacity = capacity ? capacity * 2 : 64;
			grown = ctl_alloc(ctx, capacity * sizeof(*grown));
			if (grown == NULL)
				return 0;
			if (log->n_entries > 0)
				memcpy(grown, log->entries, log->n_entries * sizeof(*grown));
			log->entries = grown;
		}
		log->entries[log->n_entries] = ctl_log_entry(ctx, entry);
		if (log->entries[log->n_entries] == NULL)
			return 0;
		log->n_entries++;
		used += ctl_log_size(entry);
		log->last = entry->seq;
	}
	reply->result_case = TJD__V1__RESPONSE__RESULT_LOG;
	reply->log = log;
	return 0;
}

const struct ctl_command ctl_log_command = {
    .name = "log",
    .command = TJD__V1__REQUEST__COMMAND_LOG,
    .flags = 0,
    .exec = ctl_log_exec,
};
