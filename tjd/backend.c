#include "config.h"

#include "tjd/backend.h"

#include <stdio.h>
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
