/*
 * tjctl: the command-line client for tjd's control socket.
 *
 * tjctl.c parses the global options and looks the command up in a const
 * table of verbs; each cmd-*.c holds one verb's table entry and handler;
 * a verb with subcommands (swarm) looks them up in its own table of the
 * same entries.  An entry carries its options as data, which
 * tjctl_parse_options() reads the command line with.  client.c performs
 * the single request/response exchange with the daemon; output.c is the
 * one printer every view writes through.  The swarm coordinator and agent
 * themselves are the library in swarm/.
 */
#ifndef TJD_TJCTL_TJCTL_H
#define TJD_TJCTL_TJCTL_H

#include <stdbool.h>

#include "proto/tjd.pb-c.h"

/* Exit statuses; documented in --help and tjctl(8). */
enum tjctl_exit {
	TJCTL_EXIT_OK = 0,
	TJCTL_EXIT_ERROR = 1,	    /* the daemon said no, or the socket refused us */
	TJCTL_EXIT_USAGE = 2,	    /* bad command line */
	TJCTL_EXIT_UNREACHABLE = 3, /* no daemon, timeout, or a garbled reply */
	TJCTL_EXIT_NOT_READY = 4,   /* status: tjd answers but has applied nothing yet */
};

#define TJCTL_DEFAULT_TIMEOUT_MS 10000

/* What every command needs from the command line. */
struct tjctl_context {
	const char *socket_path;
	int timeout_ms;
	const struct cmd_entry *entry; /* the command being run */
};

/* Command flags. */
#define CMD_MUTATES 0x1 /* changes the daemon's state; the daemon requires uid 0 */

/* One --option of a command; a table of them ends with a NULL name. */
struct cmd_option {
	const char *name;     /* without the leading "--" */
	const char *argument; /* what its value is, e.g. "PATH"; NULL for a flag */
};

/* One verb (or subcommand) of the grammar; each cmd-*.c defines exactly one. */
struct cmd_entry {
	const char *name;
	const char *usage;   /* arguments after the name, "" when none */
	const char *summary; /* one line for --help */
	int flags;
	const struct cmd_option
	    *options; /* for tjctl_parse_options(); NULL when it parses its own */
	/* argv[0] is the command name; returns an enum tjctl_exit value. */
	int (*exec)(const struct tjctl_context *context, int argc, char **argv);
};

extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_clear_entry;
extern const struct cmd_entry cmd_reload_entry;
extern const struct cmd_entry cmd_rules_entry;
extern const struct cmd_entry cmd_metrics_entry;
extern const struct cmd_entry cmd_log_entry;
extern const struct cmd_entry cmd_explain_entry;
extern const struct cmd_entry cmd_diff_entry;
extern const struct cmd_entry cmd_swarm_entry;
/* swarm's subcommands */
extern const struct cmd_entry cmd_swarm_coordinate_entry;
extern const struct cmd_entry cmd_swarm_agent_entry;
extern const struct cmd_entry cmd_swarm_status_entry;
extern const struct cmd_entry cmd_swarm_deploy_entry;

/* tjctl.c */
void tjctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tjctl_usage_error(const struct cmd_entry *entry, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int tjctl_no_arguments(const struct tjctl_context *context, int argc, char **argv);
int tjctl_finish_output(int status);
/*
 * Reads argv[1..] with command->options (long options only, each may be
 * abbreviated, the last one given wins): values[i] is the argument of
 * options[i], "" for a flag given, NULL when absent.  Any other option or
 * any operand is a usage error (reported; the status returned).
 */
int tjctl_parse_options(const struct tjctl_context *context, const struct cmd_entry *command,
			int argc, char **argv, const char **values);

/* cmd-swarm.c: the node's tjd, for the swarm library, through client_call(). */
struct swarm_tjd;
void cmd_swarm_tjd(const struct tjctl_context *context, struct swarm_tjd *tjd);

/*
 * client.c: sends request (its version is filled in) and waits for the
 * reply.  Returns TJCTL_EXIT_OK with *response set only when the daemon
 * answered ok; every failure has already been reported on stderr.  The
 * caller releases *response with client_response_free().
 */
int client_call(const struct tjctl_context *context, Tjd__V1__Request *request,
		Tjd__V1__Response **response);
void client_response_free(Tjd__V1__Response *response);
/*
 * Runs a command that takes no arguments and whose reply carries no result
 * (clear, reload); prints `done` on success.  Returns an exit status.
 */
int client_call_simple(const struct tjctl_context *context, int argc, char **argv,
		       Tjd__V1__Request__CommandCase command, const char *done);
int client_garbled(const struct tjctl_context *context, const char *what);

#endif
