/*
 * Control-socket framing shared by tjd and its clients: a unix
 * SOCK_SEQPACKET socket, one protobuf message per datagram, at most
 * FRAME_MAX bytes.  A larger datagram is detected (MSG_TRUNC) and refused.
 */
#ifndef TJD_COMMON_FRAME_H
#define TJD_COMMON_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TJD_PROTOCOL_VERSION 1
#define FRAME_MAX 65536
#define TJD_DEFAULT_SOCKET "/run/tjd/tjd.sock"

/*
 * Receives one datagram into buf (size >= FRAME_MAX).  Returns its length,
 * 0 on orderly close, -1 on error (errno set).  *truncated is set when the
 * datagram was longer than size (its tail is discarded by the kernel).
 */
ssize_t frame_recv(int fd, uint8_t *buf, size_t size, bool *truncated);
/* Sends one datagram; -1 with errno on failure (EMSGSIZE past FRAME_MAX). */
int frame_send(int fd, const uint8_t *buf, size_t len);

/* Connects to a control socket; -1 with errno set. */
int frame_connect(const char *path);

#endif
