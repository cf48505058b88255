#include "config.h"

#include "tjd/control.h"

#include <errno.h>
#include <event2/event.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/frame.h"
#include "common/log.h"
#include "tjd/ctl.h"
#include "tjd/daemon.h"

struct control_client {
	struct control *control;
	struct control_client *next;
	int fd;
	uid_t uid;
	struct event *event;
};

struct control {
	struct tjd *tjd;
	char *path;
	int fd;
	struct event *accept_event;
	struct control_client *clients;
	unsigned client_count;
	uint8_t *buffer;  /* FRAME_MAX, shared: requests are handled one at a time */
};

/* Closes and forgets one client. */
static void control_client_close(struct control_client *client)
{
	struct control *control = client->control;
	struct control_client **link;

	for (link = &control->clients; *link != NULL; link = &(*link)->next) {
		if (*link == client) {
			*link = client->next;
			break;
		}
	}
	control->client_count--;
	event_free(client->event);
	close(client->fd);
	free(client);
}

/* Sends a reply datagram to the client being served. */
static void control_client_send(void *arg, const uint8_t *reply, size_t len)
{
	struct control_client *client = arg;

	if (frame_send(client->fd, reply, len) < 0)
		log_debug("control: reply to uid %u lost: %s", (unsigned)client->uid,
			  strerror(errno));
}

/* Reads one request (or the close) from a client. */
static void control_client_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_client *client = arg;
	struct control *control = client->control;
	bool truncated;
	ssize_t n;

	if (what & EV_TIMEOUT) {
		log_debug("control: closing idle client uid %u", (unsigned)client->uid);
		control_client_close(client);
		return;
	}
	n = frame_recv(fd, control->buffer, FRAME_MAX, &truncated);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		control_client_close(client);
		return;
	}
	ctl_dispatch(control->tjd, control->buffer, (size_t)n, truncated, client->uid,
		     control_client_send, client);
}

/*
 * Decides whether a new client fits.  Others share all but the reserved
 * slots; root always gets in, if need be by closing the oldest client,
 * preferring one that is not root (the list is newest first).
 */
static bool control_admit(struct control *control, uid_t uid)
{
	struct control_client *client, *oldest = NULL, *oldest_other = NULL;
	unsigned others = 0;

	for (client = control->clients; client != NULL; client = client->next) {
		oldest = client;
		if (client->uid != 0) {
			others++;
			oldest_other = client;
		}
	}
	if (uid != 0)
		return others < CONTROL_MAX_CLIENTS - CONTROL_ROOT_RESERVED &&
		       control->client_count < CONTROL_MAX_CLIENTS;
	if (control->client_count < CONTROL_MAX_CLIENTS)
		return true;
	if (oldest_other != NULL)
		oldest = oldest_other;
	log_warnx("control: full; closing the oldest client (uid %u) to admit root",
		  (unsigned)oldest->uid);
	control_client_close(oldest);
	return true;
}

/* Accepts a client, capped at CONTROL_MAX_CLIENTS, and learns its uid. */
static void control_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *control = arg;
	struct timeval idle = {.tv_sec = CONTROL_IDLE_TIMEOUT_SEC};
	struct control_client *client;
	struct ucred cred;
	socklen_t cred_length = sizeof(cred);
	int client_fd;

	client_fd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (client_fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	if (getsockopt(client_fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_length) < 0) {
		log_warn("control: SO_PEERCRED");
		close(client_fd);
		return;
	}
	if (!control_admit(control, cred.uid)) {
		log_warnx("control: too many clients, refusing uid %u", (unsigned)cred.uid);
		close(client_fd);
		return;
	}
	client = calloc(1, sizeof(*client));
	if (client == NULL) {
		close(client_fd);
		return;
	}
	client->control = control;
	client->fd = client_fd;
	client->uid = cred.uid;
	client->event = event_new(control->tjd->base, client_fd, EV_READ | EV_PERSIST,
				  control_client_cb, client);
	if (client->event == NULL || event_add(client->event, &idle) < 0) {
		if (client->event)
			event_free(client->event);
		close(client_fd);
		free(client);
		return;
	}
	client->next = control->clients;
	control->clients = client;
	control->client_count++;
}

/* Refuses to steal a live socket; removes a stale one. */
static int control_claim_path(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int probe;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", path,
						       strerror(errno)), -1);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -1;
	}
	probe = frame_connect(path);
	if (probe >= 0) {
		close(probe);
		snprintf(err, errlen, "%s: another tjd is already listening there", path);
		return -1;
	}
	if (unlink(path) < 0) {
		snprintf(err, errlen, "removing stale %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Creates the socket's directory (0755) if it is missing. */
static int control_make_directory(const char *path, char *err, size_t errlen)
{
	char directory[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(directory, sizeof(directory), "%s", path);
	slash = strrchr(directory, '/');
	if (slash == NULL || slash == directory)
		return 0;
	*slash = '\0';
	if (mkdir(directory, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "creating %s: %s", directory, strerror(errno));
		return -1;
	}
	return 0;
}

struct control *control_new(struct tjd *tjd, const char *path, char *err, size_t errlen)
{
	struct control *control = NULL;
	struct sockaddr_un addr;
	struct group *group;
	mode_t old_umask;
	int rc;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return NULL;
	}
	strcpy(addr.sun_path, path);
	if (control_make_directory(path, err, errlen) < 0 ||
	    control_claim_path(path, err, errlen) < 0)
		return NULL;
	control = calloc(1, sizeof(*control));
	if (control == NULL)
		goto oom;
	control->tjd = tjd;
	control->fd = -1;
	control->path = strdup(path);
	control->buffer = malloc(FRAME_MAX);
	if (control->path == NULL || control->buffer == NULL)
		goto oom;
	control->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (control->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	/* Never world-accessible, not even for the instant before chmod. */
	old_umask = umask(0177);
	rc = bind(control->fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (rc < 0) {
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		goto fail;
	}
	group = getgrnam(CONTROL_GROUP);
	if (group != NULL && chown(path, 0, group->gr_gid) < 0)
		log_warn("control: chown %s to group %s", path, CONTROL_GROUP);
	if (chmod(path, group != NULL ? 0660 : 0600) < 0) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		goto fail;
	}
	if (listen(control->fd, 16) < 0) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		goto fail;
	}
	control->accept_event = event_new(tjd->base, control->fd, EV_READ | EV_PERSIST,
					  control_accept_cb, control);
	if (control->accept_event == NULL || event_add(control->accept_event, NULL) < 0)
		goto oom;
	return control;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	control_free(control);
	return NULL;
}

void control_free(struct control *control)
{
	if (control == NULL)
		return;
	while (control->clients != NULL)
		control_client_close(control->clients);
	if (control->accept_event != NULL)
		event_free(control->accept_event);
	if (control->fd >= 0) {
		close(control->fd);
		unlink(control->path);
	}
	free(control->path);
	free(control->buffer);
	free(control);
}
