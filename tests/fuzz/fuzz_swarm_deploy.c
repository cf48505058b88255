/*
 * Fuzz target: the swarm deployment controller's parsers of the manager's
 * Docker API (swarm/deploy.h): its own container, its image, nodes,
 * services, tasks, and the container id found in /proc/self/mountinfo.
 * Every input is given to each; what they accept must keep their promises.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swarm/deploy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A copied string must be bounded and hold no control character. */
static void fuzz_deploy_text(const char *text, size_t size)
{
	size_t length = strnlen(text, size);

	if (length == size)
		abort();
	for (size_t i = 0; i < length; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct swarm_deploy_service services[SWARM_DEPLOY_MAX_SERVICES];
	struct swarm_deploy_self self;
	struct swarm_deploy_node node, *nodes = NULL;
	struct swarm_deploy_task *tasks = NULL;
	char *text = malloc(size + 1), err[256], digest[256], id[65];
	size_t count = 0;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (swarm_deploy_parse_self(text, size, &self, err, sizeof(err)) == 0 &&
	    (!swarm_deploy_valid_image(self.image_ref, strlen(self.image_ref)) ||
	     strlen(self.container_id) != 64 || self.service_name[0] == '\0' ||
	     strchr(self.service_name, ',') != NULL || self.node_id[0] == '\0'))
		abort();
	if (swarm_deploy_parse_image(text, size, digest, sizeof(digest), err, sizeof(err)) == 0 &&
	    digest[0] != '\0' && strstr(digest, "@sha256:") == NULL)
		abort();
	if (swarm_deploy_parse_node(text, size, &node, err, sizeof(err)) == 0)
		fuzz_deploy_text(node.address, sizeof(node.address));
	if (swarm_deploy_parse_nodes(text, size, &nodes, &count, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < count; i++)
			fuzz_deploy_text(nodes[i].address, sizeof(nodes[i].address));
		free(nodes);
	}
	if (swarm_deploy_parse_services(text, size, services, &count, err, sizeof(err)) == 0) {
		if (count > SWARM_DEPLOY_MAX_SERVICES)
			abort();
		for (size_t i = 0; i < count; i++) {
			fuzz_deploy_text(services[i].spec, sizeof(services[i].spec));
			fuzz_deploy_text(services[i].role, sizeof(services[i].role));
		}
	}
	if (swarm_deploy_parse_tasks(text, size, &tasks, &count, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < count; i++)
			if (tasks[i].exit_code < -1 || tasks[i].exit_code > 255)
				abort();
		free(tasks);
	}
	if (swarm_deploy_container_id(text, size, id, sizeof(id)) == 0 && strlen(id) != 64)
		abort();
	free(text);
	return 0;
}
