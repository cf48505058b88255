/* Fuzz target: every Docker JSON parser and the allow-filter builder. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tjd/docker-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a parsed container promises: bounded, NUL-terminated text, host prefixes. */
static void docker_fuzz_check_container(const struct docker_container *c)
{
	if (strlen(c->id) != INV_ID_MAX || c->name[0] == '\0' || c->pid < 0 ||
	    c->label_count > DOCKER_LABELS_MAX ||
	    c->address_count > DOCKER_CONTAINER_NETWORKS_MAX ||
	    (c->sandbox_key[0] != '\0' && c->sandbox_key[0] != '/'))
		abort();
	for (size_t i = 0; i < c->label_count; i++)
		if (strlen(c->labels[i].key) > DOCKER_LABEL_KEY_MAX ||
		    strlen(c->labels[i].value) > DOCKER_LABEL_VALUE_MAX)
			abort();
	for (size_t i = 0; i < c->address_count; i++) {
		const struct docker_container_address *a = &c->addresses[i];
		if (a->network[0] == '\0' ||
		    (a->ipv4.family != 0 && (a->ipv4.family != AF_INET || a->ipv4.length != 32)) ||
		    (a->ipv6.family != 0 && (a->ipv6.family != AF_INET6 || a->ipv6.length != 128)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char err[256], id[INV_ID_MAX + 1], sandbox[4096], **ids = NULL;
	struct inventory inv;
	struct inv_network *net;
	struct docker_event event;
	struct docker_container container, *containers = NULL;
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
	if (docker_json_container_list(text, size, &containers, &count, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < count; i++) {
			docker_fuzz_check_container(&containers[i]);
			docker_container_free(&containers[i]);
		}
		free(containers);
	}
	if (docker_json_container_inspect(text, size, &container, err, sizeof(err)) == 0)
		docker_fuzz_check_container(&container);
	docker_container_free(&container);
	docker_json_parse_event(text, size, &event, err, sizeof(err));
	free(docker_filters_json(text, size % 2 ? "web" : NULL, err, sizeof(err)));
	free(text);
	return 0;
}
