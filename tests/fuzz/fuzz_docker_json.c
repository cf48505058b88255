/* Fuzz target: every Docker JSON parser and the allow-filter builder. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tjd/docker-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char err[256], id[INV_ID_MAX + 1], sandbox[4096], **ids = NULL;
	struct inventory inv;
	struct inv_network *net;
	struct docker_event event;
	size_t count = 0;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	docker_json_find_network(text, size, "web", id, sizeof(id), err, sizeof(err));
	inventory_init(&inv);
	net = inventory_add_network(&inv);
	if (net != NULL)
		docker_json_parse_network(text, size, net, err, sizeof(err));
	inventory_free(&inv);
	if (docker_json_container_ids(text, size, &ids, &count, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < count; i++)
			free(ids[i]);
		free(ids);
	}
	docker_json_sandbox_key(text, size, sandbox, sizeof(sandbox), err, sizeof(err));
	docker_json_parse_event(text, size, &event, err, sizeof(err));
	free(docker_filters_json(text, size % 2 ? "web" : NULL, err, sizeof(err)));
	free(text);
	return 0;
}
