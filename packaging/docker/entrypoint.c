/*
 * tjd-entrypoint: the entrypoint of tjd's container image, which has no
 * shell.  It picks the container's role from its arguments and environment:
 *
 *   IMAGE tjd ARGS...          tjd ARGS
 *   IMAGE tjctl ARGS...        tjctl ARGS (e.g. `tjctl status`)
 *   IMAGE -ARGS...             tjd -f -ARGS (e.g. `--clear`)
 *   IMAGE                      tjd -f, TrafficJam's environment, unless
 *     SWARM_DAEMON=true        the swarm controller: `tjctl swarm deploy`
 *     TJD_SWARM_ROLE=node      one node of a deployment: tjd -f and
 *                              `tjctl swarm agent` side by side, supervised
 *     TJD_SWARM_ROLE=clear     `tjd --clear` (the deployment being removed)
 *
 * The node role runs both programs as its children: when either ends, it
 * stops the other and exits non-zero, so that Swarm restarts the task;
 * SIGTERM and SIGINT are passed on to both.  tjd leaves its rules in place
 * when it stops (fail closed); only the clear role removes them.
 * TJD_SWARM_* variables are set by the controller (swarm/deploy.c).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define ENTRYPOINT_TJD "/usr/sbin/tjd"
#define ENTRYPOINT_TJCTL "/usr/bin/tjctl"
#define ENTRYPOINT_EXIT_USAGE 2
/* Longest argument vector the entrypoint builds itself. */
#define ENTRYPOINT_MAX_ARGS 16

/* The last SIGTERM/SIGINT the node role received, 0 for none. */
static volatile sig_atomic_t entrypoint_stop_signal;

/* Prints a message naming the entrypoint. */
static void entrypoint_error(const char *what, const char *detail)
{
	fprintf(stderr, "tjd-entrypoint: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
}

/* Replaces the process with program and argv; returns only on failure (exit 127). */
static int entrypoint_exec(const char *program, char **argv)
{
	execv(program, argv);
	entrypoint_error(program, strerror(errno));
	return 127;
}

/* Execs program with the extra arguments first, then argv[0..argc). */
static int entrypoint_exec_with(const char *program, const char *const *extra, int argc,
				char **argv)
{
	size_t count = 0;
	char **args;

	while (extra[count] != NULL)
		count++;
	args = calloc(count + (size_t)argc + 1, sizeof(*args));
	if (args == NULL) {
		entrypoint_error("out of memory", NULL);
		return 1;
	}
	for (size_t i = 0; i < count; i++)
		args[i] = (char *)extra[i];
	for (int i = 0; i < argc; i++)
		args[count + (size_t)i] = argv[i];
	return entrypoint_exec(program, args);
}

/* The value of an environment variable, NULL when unset or empty. */
static const char *entrypoint_env(const char *name)
{
	const char *value = getenv(name);

	return value != NULL && value[0] != '\0' ? value : NULL;
}

/* Adds "--option value" to args when the variable name is set. */
static void entrypoint_add_env_option(const char **args, size_t *count, const char *option,
				      const char *name)
{
	const char *value = entrypoint_env(name);

	if (value != NULL && *count + 2 < ENTRYPOINT_MAX_ARGS) {
		args[(*count)++] = option;
		args[(*count)++] = value;
	}
}

/* Records SIGTERM/SIGINT for the node role's loop. */
static void entrypoint_on_signal(int signo)
{
	entrypoint_stop_signal = signo;
}

/* Wakes the node role's loop when a child ends. */
static void entrypoint_on_child(int signo)
{
	(void)signo;
}

/* Starts program with args in a child; its pid, or -1. */
static pid_t entrypoint_spawn(const char *program, const char **args)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		execv(program, (char **)args);
		entrypoint_error(program, strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		entrypoint_error("fork", strerror(errno));
	return pid;
}

/* Describes how a child ended, for the log. */
static void entrypoint_report(const char *name, int status)
{
	if (WIFEXITED(status))
		fprintf(stderr, "tjd-entrypoint: %s exited with status %d\n", name,
			WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, "tjd-entrypoint: %s ended by signal %d\n", name, WTERMSIG(status));
}

/*
 * Docker mounts /proc/sys read-only in a container, and a service cannot
 * ask otherwise.  tjd switches br_netfilter back on inside an overlay
 * namespace where it was turned off (net.bridge.*), so the node role makes
 * /proc/sys/net, and nothing else, writable again: a bind of it over
 * itself, remounted read-write (CAP_SYS_ADMIN, which the node service has
 * for entering namespaces anyway).  Best effort: where a security profile
 * forbids it (AppArmor's docker-default does), tjd still enforces wherever
 * the setting is on, as it is in every new namespace, and says so where not.
 */
static void entrypoint_writable_net_sysctls(void)
{
	if (mount("/proc/sys/net", "/proc/sys/net", NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, "/proc/sys/net", NULL, MS_REMOUNT | MS_BIND, NULL) < 0)
		fprintf(stderr,
			"tjd-entrypoint: /proc/sys/net stays read-only (%s): tjd cannot switch "
			"br_netfilter back on inside a namespace where it was turned off\n",
			strerror(errno));
}

/*
 * The node role: tjd and the swarm agent, supervised.  Exits 0 after a
 * SIGTERM/SIGINT it passed on, 1 when a child ended on its own.
 */
static int entrypoint_node(void)
{
	const char *tjd_args[ENTRYPOINT_MAX_ARGS] = {"tjd", "-f"};
	const char *agent_args[ENTRYPOINT_MAX_ARGS] = {"tjctl", "swarm", "agent"};
	size_t tjd_count = 2, agent_count = 3;
	struct sigaction action;
	sigset_t blocked, waiting;
	pid_t pids[2];
	const char *names[2] = {"tjd", "the swarm agent"};
	bool alive[2] = {true, true};
	int status, stopped_by = 0;

	entrypoint_writable_net_sysctls();
	entrypoint_add_env_option(tjd_args, &tjd_count, "--state-file", "TJD_STATE_FILE");
	entrypoint_add_env_option(agent_args, &agent_count, "--coordinator",
				  "TJD_SWARM_COORDINATOR");
	entrypoint_add_env_option(agent_args, &agent_count, "--certs", "TJD_SWARM_CERTS");
	entrypoint_add_env_option(agent_args, &agent_count, "--interval", "TJD_SWARM_INTERVAL");
	/* Blocked but while waiting, so that no signal slips between check and wait. */
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGCHLD);
	sigprocmask(SIG_BLOCK, &blocked, &waiting);
	sigdelset(&waiting, SIGTERM);
	sigdelset(&waiting, SIGINT);
	sigdelset(&waiting, SIGCHLD);
	memset(&action, 0, sizeof(action));
	sigemptyset(&action.sa_mask);
	action.sa_handler = entrypoint_on_signal;
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	action.sa_handler = entrypoint_on_child;
	sigaction(SIGCHLD, &action, NULL);
	pids[0] = entrypoint_spawn(ENTRYPOINT_TJD, tjd_args);
	if (pids[0] < 0)
		return 1;
	pids[1] = entrypoint_spawn(ENTRYPOINT_TJCTL, agent_args);
	if (pids[1] < 0) {
		kill(pids[0], SIGTERM);
		waitpid(pids[0], &status, 0);
		return 1;
	}
	fprintf(stderr, "tjd-entrypoint: node role: tjd (pid %ld) and the swarm agent (pid %ld)\n",
		(long)pids[0], (long)pids[1]);
	while (alive[0] || alive[1]) {
		pid_t pid;

		if (entrypoint_stop_signal != 0 && stopped_by == 0) {
			stopped_by = entrypoint_stop_signal;
			fprintf(stderr,
				"tjd-entrypoint: signal %d: stopping tjd (its rules stay) and the "
				"agent\n",
				stopped_by);
			for (int i = 0; i < 2; i++)
				if (alive[i])
					kill(pids[i], SIGTERM);
		}
		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno != EINTR)
			break;
		if (pid <= 0) {
			sigsuspend(&waiting);
			continue;
		}
		for (int i = 0; i < 2; i++) {
			if (pid != pids[i] || !alive[i])
				continue;
			alive[i] = false;
			entrypoint_report(names[i], status);
			if (stopped_by == 0) {
				/* one ended on its own: stop the other, let Swarm restart the task
				 */
				stopped_by = -1;
				if (alive[1 - i])
					kill(pids[1 - i], SIGTERM);
			}
		}
	}
	return stopped_by > 0 ? 0 : 1;
}

/* The clear role: every rule tjd installed on this node goes. */
static int entrypoint_clear(void)
{
	const char *args[ENTRYPOINT_MAX_ARGS] = {"tjd", "--clear"};
	size_t count = 2;

	entrypoint_add_env_option(args, &count, "--state-file", "TJD_STATE_FILE");
	fprintf(stderr, "tjd-entrypoint: clear role: removing every rule tjd installed here\n");
	return entrypoint_exec(ENTRYPOINT_TJD, (char **)args);
}

/* The role when the container has no arguments. */
static int entrypoint_default(void)
{
	static const char *const deploy[] = {"tjctl", "swarm", "deploy", NULL};
	static const char *const foreground[] = {"tjd", "-f", NULL};
	const char *swarm_daemon = entrypoint_env("SWARM_DAEMON");
	const char *role = entrypoint_env("TJD_SWARM_ROLE");

	if (role != NULL) {
		if (strcmp(role, "node") == 0)
			return entrypoint_node();
		if (strcmp(role, "clear") == 0)
			return entrypoint_clear();
		entrypoint_error("unknown TJD_SWARM_ROLE (node or clear)", role);
		return ENTRYPOINT_EXIT_USAGE;
	}
	if (swarm_daemon != NULL && strcmp(swarm_daemon, "true") == 0)
		return entrypoint_exec_with(ENTRYPOINT_TJCTL, deploy, 0, NULL);
	if (swarm_daemon != NULL && strcmp(swarm_daemon, "false") != 0) {
		entrypoint_error("SWARM_DAEMON must be true or false", swarm_daemon);
		return ENTRYPOINT_EXIT_USAGE;
	}
	return entrypoint_exec_with(ENTRYPOINT_TJD, foreground, 0, NULL);
}

int main(int argc, char **argv)
{
	static const char *const tjd[] = {"tjd", NULL};
	static const char *const tjctl[] = {"tjctl", NULL};
	static const char *const foreground[] = {"tjd", "-f", NULL};

	if (argc < 2)
		return entrypoint_default();
	if (strcmp(argv[1], "tjd") == 0)
		return entrypoint_exec_with(ENTRYPOINT_TJD, tjd, argc - 2, argv + 2);
	if (strcmp(argv[1], "tjctl") == 0)
		return entrypoint_exec_with(ENTRYPOINT_TJCTL, tjctl, argc - 2, argv + 2);
	if (argv[1][0] == '-')
		return entrypoint_exec_with(ENTRYPOINT_TJD, foreground, argc - 1, argv + 1);
	fprintf(stderr,
		"tjd-entrypoint: unknown role \"%.64s\": the image runs tjd ARGS, tjctl ARGS, "
		"options for tjd (-...), or nothing (tjd -f; SWARM_DAEMON=true for the swarm "
		"controller)\n",
		argv[1]);
	return ENTRYPOINT_EXIT_USAGE;
}
