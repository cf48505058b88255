#include "config.h"

#include "tjd/ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/frame.h"
#include "common/log.h"

/* Every command the daemon understands. */
static const struct ctl_command *const ctl_commands[] = {
    &ctl_status_command, &ctl_clear_command,	 &ctl_reload_command,
    &ctl_rules_command,	 &ctl_set_peers_command, &ctl_metrics_command,
    &ctl_log_command,	 &ctl_explain_command,	 &ctl_diff_command,
};

/* A chunk list: simple, and nothing a handler allocates can leak. */
struct ctl_arena {
	struct ctl_arena_chunk *chunks;
	bool failed;
};

struct ctl_arena_chunk {
	struct ctl_arena_chunk *next;
	max_align_t data[];
};

void *ctl_alloc(struct ctl_context *ctx, size_t size)
{
	struct ctl_arena_chunk *chunk;

	if (size > FRAME_MAX * 16 || ctx->arena->failed)
		goto fail;
	chunk = calloc(1, sizeof(*chunk) + size);
	if (chunk == NULL)
		goto fail;
	chunk->next = ctx->arena->chunks;
	ctx->arena->chunks = chunk;
	return chunk->data;
fail:
	ctx->arena->failed = true;
	return NULL;
}

char *ctl_strdup(struct ctl_context *ctx, const char *s)
{
	size_t length = strlen(s);
	char *copy = ctl_alloc(ctx, length + 1);

	if (copy != NULL)
		memcpy(copy, s, length + 1);
	return copy;
}

int ctl_error(struct ctl_context *ctx, Tjd__V1__Response *reply, Tjd__V1__ErrorCode code,
	      const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	reply->ok = 0;
	reply->code = code;
	reply->error = ctl_strdup(ctx, message);
	if (reply->error == NULL)
		reply->error = (char *)"out of memory";
	reply->result_case = TJD__V1__RESPONSE__RESULT__NOT_SET;
	return -1;
}

/* Frees everything a handler allocated. */
static void ctl_arena_free(struct ctl_arena *arena)
{
	struct ctl_arena_chunk *chunk, *next;

	for (chunk = arena->chunks; chunk != NULL; chunk = next) {
		next = chunk->next;
		free(chunk);
	}
	arena->chunks = NULL;
}

/* Finds the handler for a decoded command. */
static const struct ctl_command *ctl_find(Tjd__V1__Request__CommandCase command)
{
	for (size_t i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++)
		if (ctl_commands[i]->command == command)
			return ctl_commands[i];
	return NULL;
}

/* Packs and sends a reply; an oversize reply becomes an error reply. */
static void ctl_send_reply(Tjd__V1__Response *reply, ctl_send_fn send, void *send_arg)
{
	Tjd__V1__Response fallback = TJD__V1__RESPONSE__INIT;
	uint8_t *buffer;
	size_t size = tjd__v1__response__get_packed_size(reply);

	if (size > FRAME_MAX) {
		fallback.ok = 0;
		fallback.code = TJD__V1__ERROR_CODE__ERROR_FAILED;
		fallback.error = (char *)"reply would exceed the frame limit";
		reply = &fallback;
		size = tjd__v1__response__get_packed_size(reply);
	}
	buffer = malloc(size ? size : 1);
	if (buffer == NULL) {
		log_warnx("control: out of memory packing a reply");
		return;
	}
	tjd__v1__response__pack(reply, buffer);
	send(send_arg, buffer, size);
	free(buffer);
}

void ctl_dispatch(struct tjd *tjd, const uint8_t *frame, size_t len, bool truncated, uid_t uid,
		  ctl_send_fn send, void *send_arg)
{
	Tjd__V1__Response reply = TJD__V1__RESPONSE__INIT;
	Tjd__V1__Request *request = NULL;
	struct ctl_arena arena = {0};
	struct ctl_context ctx = {.tjd = tjd, .uid = uid, .arena = &arena};
	const struct ctl_command *command;

	if (truncated || len > FRAME_MAX) {
		ctl_error(&ctx, &reply, TJD__V1__ERROR_CODE__ERROR_TOO_LARGE,
			  "request exceeds %d bytes", FRAME_MAX);
		goto send;
	}
	request = tjd__v1__request__unpack(NULL, len, frame);
	if (request == NULL) {
		ctl_error(&ctx, &reply, TJD__V1__ERROR_CODE__ERROR_MALFORMED, "malformed request");
		goto send;
	}
	if (request->version != TJD_PROTOCOL_VERSION) {
		ctl_error(&ctx, &reply, TJD__V1__ERROR_CODE__ERROR_VERSION,
			  "protocol version %u not supported (this tjd speaks %d)",
			  request->version, TJD_PROTOCOL_VERSION);
		goto send;
	}
	command = ctl_find(request->command_case);
	if (command == NULL) {
		ctl_error(&ctx, &reply, TJD__V1__ERROR_CODE__ERROR_UNKNOWN_COMMAND,
			  "unknown command");
		goto send;
	}
	if ((command->flags & CTL_MUTATES) && uid != 0) {
		log_warnx("control: refused %s from uid %u", command->name, (unsigned)uid);
		ctl_error(&ctx, &reply, TJD__V1__ERROR_CODE__ERROR_PERMISSION, "%s requires root",
			  command->name);
		goto send;
	}
	log_debug("control: %s from uid %u", command->name, (unsigned)uid);
	reply.ok = 1;
	if (command->exec(&ctx, request, &reply) == 0 && arena.failed)
		ctl_error(&ctx, &reply, TJD__V1__ERROR_CODE__ERROR_FAILED, "out of memory");
send:
	ctl_send_reply(&reply, send, send_arg);
	if (request != NULL)
		tjd__v1__request__free_unpacked(request, NULL);
	ctl_arena_free(&arena);
	if (ctx.after_reply != NULL)
		ctx.after_reply(tjd);
}
