#include "config.h"

#include "tjd/backend.h"

#include <stdio.h>

#include "common/error.h"
#include <string.h>

/* Instance ids become part of chain names, so keep them short and plain. */
#define BACKEND_INSTANCE_MAX 12

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
	} else {
		snprintf(backend->chain_forward, sizeof(backend->chain_forward), "TJD-FORWARD-%s",
			 instance_id);
		snprintf(backend->chain_input, sizeof(backend->chain_input), "TJD-INPUT-%s",
			 instance_id);
	}
	return 0;
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
			error_format(err, errlen,
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
