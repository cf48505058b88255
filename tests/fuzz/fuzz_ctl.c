/* Fuzz target: control frames through the real dispatcher and handlers. */
#include "config.h"

#include <event2/event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tjd/ctl.h"
#include "tjd/daemon.h"
#include "tjd/reconcile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tjd tjd;

/* Checks that every reply decodes. */
static void fuzz_ctl_send(void *arg, const uint8_t *reply, size_t len)
{
	Tjd__V1__Response *response = tjd__v1__response__unpack(NULL, len, reply);

	if (response == NULL)
		abort();
	tjd__v1__response__free_unpacked(response, NULL);
}

/* A daemon with the fake backend and an empty configuration. */
static void fuzz_ctl_init(void)
{
	char err[256];

	tjd.conf = conf_load(NULL, false, NULL, err, sizeof(err));
	tjd.base = event_base_new();
	tjd.reconcile = reconcile_new(&tjd);
	if (tjd.conf == NULL || tjd.reconcile == NULL ||
	    backend_init(&tjd.backend, &backend_fake_ops, "") < 0 ||
	    tjd.backend.ops->open(&tjd.backend, err, sizeof(err)) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (tjd.base == NULL)
		fuzz_ctl_init();
	tjd.stopping = false;
	/* The first byte picks the caller: root or not. */
	ctl_dispatch(&tjd, size ? data + 1 : data, size ? size - 1 : 0, false,
		     size && (data[0] & 1) ? 0 : 1000, fuzz_ctl_send, NULL);
	return 0;
}
