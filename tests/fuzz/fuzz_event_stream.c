/*
 * Fuzz target: the framing of Docker's /events stream (tjd/docker-lines.c)
 * fed chunks of any size, with lines taken out at arbitrary points, checked
 * against a plain model of what it must do: every line it hands out is the
 * next line of the stream, non-empty, NUL-terminated, without a newline and
 * within the bound; a chunk is refused exactly when it would exceed a limit.
 *
 * Input: byte 0 picks the line bound (max_line = 4 * byte, or Docker's own
 * limits for 0xff), byte 1 the backlog bound (max_line + 16 * byte); then
 * records of one header byte (low 7 bits: chunk length; high bit: take the
 * waiting lines out first) followed by the chunk.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tjd/docker-lines.h"
#include "tjd/docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The stream as the model sees it: every byte accepted, and how far lines were taken. */
struct fuzz_model {
	char *accepted;
	size_t len;
	size_t consumed;
	size_t partial; /* bytes since the last newline */
	size_t max_line;
	size_t max_held;
};

/* The model's next line: what docker_lines_next must hand out. */
static bool fuzz_model_next(struct fuzz_model *model, const char **line, size_t *len)
{
	while (model->consumed < model->len) {
		const char *begin = model->accepted + model->consumed;
		const char *newline = memchr(begin, '\n', model->len - model->consumed);
		size_t length;

		if (newline == NULL)
			return false;
		length = (size_t)(newline - begin);
		model->consumed += length + 1;
		if (length > 0 && begin[length - 1] == '\r')
			length--;
		if (length == 0)
			continue;
		*line = begin;
		*len = length;
		return true;
	}
	return false;
}

/* What feeding this chunk must give. */
static enum docker_lines_status fuzz_model_feed(struct fuzz_model *model, const char *chunk,
						size_t len, size_t *partial)
{
	size_t run = model->partial;
	bool too_long = false;

	if (len > model->max_held - (model->len - model->consumed))
		return DOCKER_LINES_TOO_MUCH;
	for (size_t i = 0; i < len; i++) {
		if (chunk[i] == '\n') {
			too_long = too_long || run > model->max_line;
			run = 0;
		} else {
			run++;
		}
	}
	*partial = run;
	return too_long || run > model->max_line ? DOCKER_LINES_TOO_LONG : DOCKER_LINES_OK;
}

/* Takes every waiting line out of both, checking each against the model. */
static void fuzz_take_lines(struct docker_lines *lines, struct fuzz_model *model)
{
	const char *expected;
	size_t expected_len, len;
	char *line;

	while (docker_lines_next(lines, &line, &len)) {
		if (!fuzz_model_next(model, &expected, &expected_len) || len != expected_len ||
		    memcmp(line, expected, len) != 0 || line[len] != '\0' || len == 0 ||
		    len > model->max_line || memchr(line, '\n', len) != NULL)
			abort();
	}
	if (fuzz_model_next(model, &expected, &expected_len) ||
	    docker_lines_pending(lines) != model->len - model->consumed)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_model model = {0};
	struct docker_lines lines;
	size_t at = 2;

	if (size < 2)
		return 0;
	if (data[0] == 0xff) {
		model.max_line = DOCKER_MAX_EVENT_LINE;
		model.max_held = DOCKER_MAX_BODY;
	} else {
		model.max_line = 4 * (size_t)data[0];
		model.max_held = model.max_line + 16 * (size_t)data[1];
	}
	model.accepted = malloc(size);
	if (model.accepted == NULL)
		return 0;
	docker_lines_init(&lines, model.max_line, model.max_held);
	while (at < size) {
		const char *chunk = (const char *)data + at + 1;
		size_t len = data[at] & 0x7f, partial = 0;
		enum docker_lines_status expected, got;

		if (len > size - at - 1)
			len = size - at - 1;
		if (data[at] & 0x80)
			fuzz_take_lines(&lines, &model);
		at += 1 + len;
		expected = fuzz_model_feed(&model, chunk, len, &partial);
		got = docker_lines_feed(&lines, chunk, len);
		if (got == DOCKER_LINES_NO_MEMORY)
			break;
		if (got != expected)
			abort();
		/* A refused chunk ends the stream, as docker.c ends the transfer. */
		if (got != DOCKER_LINES_OK)
			break;
		memcpy(model.accepted + model.len, chunk, len);
		model.len += len;
		model.partial = partial;
	}
	fuzz_take_lines(&lines, &model);
	docker_lines_free(&lines);
	free(model.accepted);
	return 0;
}
