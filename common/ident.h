/*
 * The shapes of the identifiers tjd and the swarm code accept from Docker,
 * from the swarm coordinator and from the state file.  An identifier that
 * passes is safe to put in a path, a URL, a rule or a log line.
 */
#ifndef TJD_COMMON_IDENT_H
#define TJD_COMMON_IDENT_H

#include <stdbool.h>
#include <stddef.h>

/* Longest Docker id: 64 hex digits. */
#define IDENT_ID_MAX 64
/* IFNAMSIZ: a Linux interface name is at most 15 bytes and a NUL. */
#define IDENT_IFNAMSIZ 16
/* Longest container name tjd takes from Docker (Docker itself sets no bound). */
#define IDENT_NAME_MAX 255

/*
 * A Docker object id: 1 to IDENT_ID_MAX lowercase letters and digits.
 * Local networks have 64 hex digits; swarm-scoped networks, nodes,
 * services and tasks 25 base-36 characters ("k418cmmodbm5n2cs6o9gb8sns").
 */
bool ident_valid_id(const char *s, size_t len);
/* A container id: 1 to IDENT_ID_MAX lowercase hex digits (64 in practice). */
bool ident_valid_container_id(const char *s, size_t len);
/*
 * A container name as Docker allows it, without the leading '/':
 * [a-zA-Z0-9][a-zA-Z0-9_.-]*, 1 to IDENT_NAME_MAX bytes.
 */
bool ident_valid_container_name(const char *s, size_t len);
/*
 * A Linux interface name as the kernel takes it (1 to 15 bytes, not "."
 * or "..", no '/', ':' or white space), and printable ASCII.
 */
bool ident_valid_ifname(const char *s, size_t len);

#endif
