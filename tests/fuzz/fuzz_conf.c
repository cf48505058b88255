/* Fuzz target: the configuration parser on arbitrary file contents. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tjd/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512];
	struct conf *conf;
	int fd = memfd_create("tjd-conf", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		conf = conf_load(path, true, NULL, err, sizeof(err));
		conf_free(conf);
		/* what tjd --clear reads of the same file */
		conf = conf_load_for_clear(path, NULL, err, sizeof(err));
		conf_free(conf);
	}
	close(fd);
	return 0;
}
