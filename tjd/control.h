/*
 * The control socket: a unix SOCK_SEQPACKET listener (0660, group tjd if
 * that group exists).  Each datagram is one request handed to ctl_dispatch
 * with the peer's uid from SO_PEERCRED.
 */
#ifndef TJD_CONTROL_H
#define TJD_CONTROL_H

#include <stddef.h>

struct tjd;
struct control;

#define CONTROL_MAX_CLIENTS 32
/* Slots only root may use, so group members cannot lock root out. */
#define CONTROL_ROOT_RESERVED 4
#define CONTROL_IDLE_TIMEOUT_SEC 10
#define CONTROL_GROUP "tjd"

/*
 * Creates the socket.  A live socket at `path` (another tjd answers) is an
 * error; a stale one is replaced.  Returns NULL with err set.
 */
struct control *control_new(struct tjd *tjd, const char *path, char *err, size_t errlen);
/* Closes every client and the listener, and unlinks the socket. */
void control_free(struct control *control);

#endif
