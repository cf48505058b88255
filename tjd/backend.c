/* What every backend shares: instance names, the br_netfilter checks, drop tallies. */
#include "config.h"

#include "tjd/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"

/* Instance ids become part of chain names, so keep them short and plain. */
#define BACKEND_INSTANCE_MAX 12
/* The default instance's set prefix; other instances get a stem of their own. */
#define BACKEND_SET_PREFIX_DEFAULT "tjd-"

/*
 * An instance's set prefix: three base-36 characters of the FNV-1a hash of
 * its id, never the default's "tjd", then '-'.  Four bytes cannot name every
 * id apart, so two instances in one namespace share a prefix with odds of
 * 1 in 46655.
 */
static void backend_set_prefix(const char *instance_id, char prefix[BACKEND_SET_PREFIX_MAX + 1])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint32_t hash = 2166136261u;

	for (const char *c = instance_id; *c != '\0'; c++)
		hash = (hash ^ (uint8_t)*c) * 16777619u;
	for (int attempt = 0; attempt < 2; attempt++) {
		uint32_t stem = (hash + (uint32_t)attempt) % (36 * 36 * 36);

		prefix[0] = digits[stem / (36 * 36)];
		prefix[1] = digits[stem / 36 % 36];
		prefix[2] = digits[stem % 36];
		prefix[3] = '-';
		prefix[4] = '\0';
		if (strncmp(prefix, BACKEND_SET_PREFIX_DEFAULT, BACKEND_SET_PREFIX_MAX) != 0)
			break;
	}
}

int backend_init(struct backend *backend, const struct backend_ops *ops, const char *instance_id)
{
	size_t length = instance_id ? strlen(instance_id) : 0;

	memset(backend, 0, sizeof(*backend));
	if (length > BACKEND_INSTANCE_MAX)
		return -1;
	for (size_t i = 0; i < length; i++) {
		char c = instance_id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return -1;
	}
	backend->ops = ops;
	if (length == 0) {
		snprintf(backend->chain_forward, sizeof(backend->chain_forward), "TJD-FORWARD");
		snprintf(backend->chain_input, sizeof(backend->chain_input), "TJD-INPUT");
		snprintf(backend->chain_output, sizeof(backend->chain_output), "TJD-OUTPUT");
		snprintf(backend->set_prefix, sizeof(backend->set_prefix), "%s",
			 BACKEND_SET_PREFIX_DEFAULT);
	} else {
		snprintf(backend->chain_forward, sizeof(backend->chain_forward), "TJD-FORWARD-%s",
			 instance_id);
		snprintf(backend->chain_input, sizeof(backend->chain_input), "TJD-INPUT-%s",
			 instance_id);
		snprintf(backend->chain_output, sizeof(backend->chain_output), "TJD-OUTPUT-%s",
			 instance_id);
		backend_set_prefix(instance_id, backend->set_prefix);
	}
	return 0;
}

void backend_chain_names(const struct backend *backend, const char *names[RULE_HOOK_COUNT])
{
	names[RULE_HOOK_FORWARD] = backend->chain_forward;
	names[RULE_HOOK_INPUT] = backend->chain_input;
	names[RULE_HOOK_OUTPUT] = backend->chain_output;
}

/* Files that say whether bridged traffic reaches iptables/nftables. */
static const char *const backend_bridge_sysctls[] = {
    "/proc/sys/net/bridge/bridge-nf-call-iptables",
    "/proc/sys/net/bridge/bridge-nf-call-ip6tables",
};

int backend_check_bridge_netfilter(char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(backend_bridge_sysctls) / sizeof(char *); i++) {
		FILE *file = fopen(backend_bridge_sysctls[i], "re");
		int value = -1;

		if (file != NULL) {
			if (fscanf(file, "%d", &value) != 1)
				value = -1;
			fclose(file);
		}
		if (value != 1) {
			error_format(
			    err, errlen,
			    "%s is %s: bridged container traffic would bypass the firewall "
			    "(load br_netfilter: `modprobe br_netfilter`, and set "
			    "net.bridge.bridge-nf-call-iptables=1 and "
			    "net.bridge.bridge-nf-call-ip6tables=1)",
			    backend_bridge_sysctls[i], file ? "not 1" : "missing");
			return -1;
		}
	}
	return 0;
}

int backend_enable_bridge_netfilter(const char *where, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(backend_bridge_sysctls) / sizeof(char *); i++) {
		const char *path = backend_bridge_sysctls[i];
		char value[8] = "";
		ssize_t length;
		/* read-only first: a container's /proc/sys may be, and 1 needs no write */
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			error_format(err, errlen, "%s inside %s: %s (is br_netfilter loaded?)",
				     path, where, strerror(errno));
			return -1;
		}
		length = read(fd, value, sizeof(value) - 1);
		close(fd);
		if (length > 0 && value[0] == '1')
			continue;
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "1\n", 2) != 2) {
			error_format(err, errlen, "cannot switch on %s inside %s: %s", path, where,
				     strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
		log_warnx("%s was 0 inside network namespace %s: set it to 1 there (only there), "
			  "or bridged traffic would bypass the firewall",
			  path, where);
	}
	return 0;
}

int backend_tally_add(struct backend_tallies *tallies, const char *iface, int kind,
		      uint64_t packets, uint64_t bytes)
{
	struct backend_tally *tally = NULL;

	for (size_t i = 0; i < tallies->count && tally == NULL; i++)
		if (strncmp(tallies->items[i].iface, iface, TJD_IFNAMSIZ) == 0)
			tally = &tallies->items[i];
	if (tally == NULL) {
		if (tallies->count == tallies->capacity) {
			size_t capacity = tallies->capacity ? tallies->capacity * 2 : 8;
			struct backend_tally *items =
			    reallocarray(tallies->items, capacity, sizeof(*items));

			if (items == NULL)
				return -1;
			tallies->items = items;
			tallies->capacity = capacity;
		}
		tally = &tallies->items[tallies->count++];
		memset(tally, 0, sizeof(*tally));
		snprintf(tally->iface, sizeof(tally->iface), "%.*s", TJD_IFNAMSIZ - 1, iface);
	}
	tally->packets += packets;
	tally->bytes += bytes;
	if (kind >= 0 && kind < BACKEND_DROP_KINDS) {
		tally->kind_packets[kind] += packets;
		tally->kind_bytes[kind] += bytes;
	}
	return 0;
}

int backend_tallies_merge(struct backend_tallies *to, const struct backend_tallies *from)
{
	for (size_t i = 0; i < from->count; i++) {
		const struct backend_tally *tally = &from->items[i];
		uint64_t packets = tally->packets, bytes = tally->bytes;

		for (int k = 0; k < BACKEND_DROP_KINDS; k++) {
			if (backend_tally_add(to, tally->iface, k, tally->kind_packets[k],
					      tally->kind_bytes[k]) < 0)
				return -1;
			packets -= tally->kind_packets[k];
			bytes -= tally->kind_bytes[k];
		}
		if (backend_tally_add(to, tally->iface, -1, packets, bytes) < 0)
			return -1;
	}
	return 0;
}

void backend_tallies_sum(const struct backend_tallies *const *lists, size_t list_count,
			 struct backend_counter *counters, size_t count)
{
	for (size_t c = 0; c < count; c++) {
		const char *bridge = counters[c].bridge;

		memset(&counters[c], 0, sizeof(counters[c]));
		counters[c].bridge = bridge;
	}
	for (size_t l = 0; l < list_count; l++)
		for (size_t i = 0; i < lists[l]->count; i++) {
			const struct backend_tally *tally = &lists[l]->items[i];

			for (size_t c = 0; c < count; c++) {
				if (counters[c].bridge != NULL &&
				    strncmp(tally->iface, counters[c].bridge, TJD_IFNAMSIZ) != 0)
					continue;
				counters[c].packets += tally->packets;
				counters[c].bytes += tally->bytes;
				for (int k = 0; k < BACKEND_DROP_KINDS; k++) {
					counters[c].kind_packets[k] += tally->kind_packets[k];
					counters[c].kind_bytes[k] += tally->kind_bytes[k];
				}
			}
		}
}
