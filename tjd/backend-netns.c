/* A backend opened inside one network namespace; see backend-netns.h. */
#include "config.h"

#include "tjd/backend-netns.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "tjd/netns.h"

int backend_netns_init(struct backend_netns *bn, const struct backend *template, const char *path)
{
	memset(bn, 0, sizeof(*bn));
	if (strlen(path) > BACKEND_NETNS_PATH_MAX)
		return -1;
	memcpy(bn->path, path, strlen(path) + 1);
	bn->backend.ops = template->ops;
	bn->backend.unowned_tables = template->unowned_tables;
	memcpy(bn->backend.chain_forward, template->chain_forward,
	       sizeof(bn->backend.chain_forward));
	memcpy(bn->backend.chain_input, template->chain_input, sizeof(bn->backend.chain_input));
	memcpy(bn->backend.chain_output, template->chain_output, sizeof(bn->backend.chain_output));
	memcpy(bn->backend.set_prefix, template->set_prefix, sizeof(bn->backend.set_prefix));
	return 0;
}

void backend_netns_close(struct backend_netns *bn)
{
	if (bn->open)
		bn->backend.ops->close(&bn->backend);
	bn->open = false;
	bn->backend.priv = NULL;
}

/*
 * Identity of the namespace bound at path: 1 found, 0 absent (no local
 * endpoint, or dockerd is deleting it), -1 error.
 */
static int backend_netns_identify(const char *path, dev_t *dev, ino_t *ino, char *err,
				  size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 1;
}

int backend_netns_run(struct backend_netns *bn, bool enforcing, backend_netns_fn fn, void *arg,
		      char *err, size_t errlen)
{
	char inner[512] = "";
	dev_t dev = 0;
	ino_t ino = 0;
	int saved = -1, found, ret = -1;

	bn->fresh = false;
	if (bn->path[0] == '\0') {
		if (!bn->open) {
			snprintf(err, errlen, "backend is not open");
			return -1;
		}
		return fn(&bn->backend, arg, err, errlen) < 0 ? -1 : 1;
	}
	found = backend_netns_identify(bn->path, &dev, &ino, err, errlen);
	if (found <= 0) {
		/* Gone: its rules went with it.  A new one will need a new backend. */
		backend_netns_close(bn);
		return found;
	}
	if (bn->open && (bn->dev != dev || bn->ino != ino)) {
		log_info("network namespace %s was re-created", bn->path);
		backend_netns_close(bn);
	}
	if (netns_enter(bn->path, &saved, inner, sizeof(inner)) < 0) {
		/* A name without a namespace behind it: dockerd is tearing it down. */
		if (errno == EINVAL || errno == ENOENT) {
			backend_netns_close(bn);
			return 0;
		}
		snprintf(err, errlen, "%s", inner);
		return -1;
	}
	if (enforcing && backend_enable_bridge_netfilter(bn->path, inner, sizeof(inner)) < 0)
		goto out;
	if (!bn->open) {
		bn->backend.priv = NULL;
		bn->backend.clear_only = !enforcing;
		if (bn->backend.ops->open(&bn->backend, inner, sizeof(inner)) < 0)
			goto out;
		bn->open = true;
		bn->fresh = true;
		bn->dev = dev;
		bn->ino = ino;
	}
	if (fn(&bn->backend, arg, inner, sizeof(inner)) < 0)
		goto out;
	ret = 1;
out:
	netns_leave(saved, bn->path);
	if (ret < 0)
		snprintf(err, errlen, "network namespace %s: %s", bn->path, inner);
	return ret;
}
