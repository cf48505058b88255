/* Blocking requests against the Docker Engine API for the swarm code; see docker.h. */
#include "config.h"

#include "swarm/docker.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarm/plan.h"

#define SWARM_DOCKER_TIMEOUT_MS 10000
/* The API version tjd's swarm support was written against (Docker 20.10). */
#define SWARM_DOCKER_API "/v1.41"

/* The body received so far. */
struct swarm_docker_body {
	char *data;
	size_t length;
	size_t size; /* allocated, doubling: a 50 MB task list comes in 16 kB pieces */
	bool too_large;
};

/* libcurl write callback: appends, refusing past SWARM_MAX_DOCUMENT. */
static size_t swarm_docker_write(char *data, size_t size, size_t count, void *arg)
{
	struct swarm_docker_body *body = arg;
	size_t add = size * count;
	char *grown;

	if (body->length + add > SWARM_MAX_DOCUMENT) {
		body->too_large = true;
		return 0;
	}
	if (body->length + add + 1 > body->size) {
		size_t room = body->size ? body->size : 65536;
		while (room < body->length + add + 1)
			room *= 2;
		grown = realloc(body->data, room);
		if (grown == NULL)
			return 0;
		body->data = grown;
		body->size = room;
	}
	memcpy(body->data + body->length, data, add);
	body->length += add;
	body->data[body->length] = '\0';
	return add;
}

/* One request with a time limit and a bounded body; see docker.h. */
int swarm_docker_request(const char *docker_host, const char *method, const char *path,
			 const char *request_body, long *status_out, char **out, size_t *len,
			 char *err, size_t errlen)
{
	struct swarm_docker_body body = {0};
	struct curl_slist *headers = NULL;
	char url[2048];
	CURL *curl = curl_easy_init();
	CURLcode code;
	long status = 0;
	int ret = -1;

	*out = NULL;
	*len = 0;
	*status_out = 0;
	if (curl == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (strncmp(docker_host, "unix://", 7) == 0) {
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, docker_host + 7);
		snprintf(url, sizeof(url), "http://docker%s%s", SWARM_DOCKER_API, path);
	} else if (strncmp(docker_host, "tcp://", 6) == 0) {
		snprintf(url, sizeof(url), "http://%s%s%s", docker_host + 6, SWARM_DOCKER_API,
			 path);
	} else {
		snprintf(err, errlen, "unsupported Docker host \"%.64s\" (unix:// or tcp://)",
			 docker_host);
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)SWARM_DOCKER_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, swarm_docker_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (request_body != NULL) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		if (headers == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request_body);
	}
	code = curl_easy_perform(curl);
	if (code != CURLE_OK) {
		snprintf(err, errlen, "Docker %s %s: %s", method, path,
			 body.too_large ? "response too large" : curl_easy_strerror(code));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	*status_out = status;
	*out = body.data;
	*len = body.length;
	body.data = NULL;
	ret = 0;
out:
	free(body.data);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return ret;
}

/* One GET that must answer 200 with a body; see docker.h. */
int swarm_docker_get(const char *docker_host, const char *path, char **out, size_t *len, char *err,
		     size_t errlen)
{
	long status = 0;

	if (swarm_docker_request(docker_host, "GET", path, NULL, &status, out, len, err, errlen) <
	    0)
		return -1;
	if (status != 200) {
		snprintf(err, errlen, "Docker GET %s: HTTP %ld%s", path, status,
			 status == 503 ? " (is this node a swarm manager?)" : "");
	} else if (*out == NULL) {
		snprintf(err, errlen, "Docker GET %s: empty response", path);
	} else {
		return 0;
	}
	free(*out);
	*out = NULL;
	*len = 0;
	return -1;
}
