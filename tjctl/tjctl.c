/* tjctl: global options, the table of commands, and dispatch. */
#include "config.h"

#include "tjctl/tjctl.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/frame.h"

/* Longest --timeout accepted, in seconds: a day is already absurd. */
#define TJCTL_TIMEOUT_MAX_SECONDS 86400.0
/* Most options one command may have, and where their getopt values start. */
#define TJCTL_MAX_OPTIONS 32
#define TJCTL_OPTION_BASE 256

/* The grammar: every verb tjctl knows, in the order --help lists them. */
static const struct cmd_entry *const tjctl_commands[] = {
    &cmd_status_entry, &cmd_clear_entry,   &cmd_reload_entry, &cmd_rules_entry, &cmd_metrics_entry,
    &cmd_log_entry,    &cmd_explain_entry, &cmd_diff_entry,   &cmd_swarm_entry,
};

#define TJCTL_NCOMMANDS (sizeof(tjctl_commands) / sizeof(tjctl_commands[0]))

static const char tjctl_synopsis[] =
    "usage: tjctl [--socket PATH] [--timeout SECONDS] COMMAND [ARGS]\n";

/* Prints "tjctl: " and a message to stderr. */
void tjctl_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("tjctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Prints the short usage (one command's, or the global one) to stream. */
static void tjctl_short_usage(FILE *stream, const struct cmd_entry *entry)
{
	size_t i;

	if (entry != NULL) {
		fprintf(stream, "usage: tjctl [global options] %s%s%s\n", entry->name,
			entry->usage[0] != '\0' ? " " : "", entry->usage);
		return;
	}
	fputs(tjctl_synopsis, stream);
	fputs("commands:", stream);
	for (i = 0; i < TJCTL_NCOMMANDS; i++)
		fprintf(stream, "%s %s", i == 0 ? "" : ",", tjctl_commands[i]->name);
	fputs("\nTry 'tjctl --help' for more information.\n", stream);
}

/* Reports a usage error with a short usage on stderr; returns TJCTL_EXIT_USAGE. */
int tjctl_usage_error(const struct cmd_entry *entry, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("tjctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	tjctl_short_usage(stderr, entry);
	return TJCTL_EXIT_USAGE;
}

/* Refuses any argument after a command that takes none. */
int tjctl_no_arguments(const struct tjctl_context *context, int argc, char **argv)
{
	if (argc > 1)
		return tjctl_usage_error(context->entry, "%s takes no arguments (got \"%s\")",
					 context->entry->name, argv[1]);
	return TJCTL_EXIT_OK;
}

/* Reads a command's options with its table; see tjctl.h. */
int tjctl_parse_options(const struct tjctl_context *context, const struct cmd_entry *command,
			int argc, char **argv, const char **values)
{
	struct option long_options[TJCTL_MAX_OPTIONS + 1];
	char name[64];
	size_t count;
	int option;

	memset(long_options, 0, sizeof(long_options));
	for (count = 0; command->options != NULL && command->options[count].name != NULL; count++) {
		if (count >= TJCTL_MAX_OPTIONS)
			abort(); /* a table, not input: fix the table */
		long_options[count].name = command->options[count].name;
		long_options[count].has_arg =
		    command->options[count].argument != NULL ? required_argument : no_argument;
		long_options[count].val = TJCTL_OPTION_BASE + (int)count;
		values[count] = NULL;
	}
	if (context->entry != NULL && context->entry != command)
		snprintf(name, sizeof(name), "%s %s", context->entry->name, command->name);
	else
		snprintf(name, sizeof(name), "%s", command->name);
	optind = 0; /* a new argument vector: glibc re-initialises getopt */
	while ((option = getopt_long(argc, argv, "+", long_options, NULL)) != -1) {
		if (option < TJCTL_OPTION_BASE || option >= TJCTL_OPTION_BASE + (int)count)
			return tjctl_usage_error(context->entry, "unknown option for %s", name);
		option -= TJCTL_OPTION_BASE;
		values[option] = command->options[option].argument != NULL ? optarg : "";
	}
	if (optind < argc)
		return tjctl_usage_error(context->entry, "unexpected argument \"%s\"",
					 argv[optind]);
	return TJCTL_EXIT_OK;
}

/*
 * Flushes stdout and turns a write error (full disk, closed pipe) into a
 * failure, so a script never mistakes truncated output for success.
 */
int tjctl_finish_output(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		tjctl_error("cannot write output: %s", strerror(errno));
		if (status == TJCTL_EXIT_OK)
			status = TJCTL_EXIT_ERROR;
	}
	return status;
}

/* Prints the full help to stdout. */
static void tjctl_help(void)
{
	char left[64];
	size_t i;

	fputs(tjctl_synopsis, stdout);
	fputs("\nTalk to the tjd firewall daemon through its control socket.\n\nCommands:\n",
	      stdout);
	for (i = 0; i < TJCTL_NCOMMANDS; i++) {
		const struct cmd_entry *entry = tjctl_commands[i];

		snprintf(left, sizeof(left), "%s%s%s", entry->name,
			 entry->usage[0] != '\0' ? " " : "", entry->usage);
		printf("  %-22s %s%s\n", left, entry->summary,
		       (entry->flags & CMD_MUTATES) ? " (root only)" : "");
	}
	printf("\nOptions:\n"
	       "  -s, --socket PATH       control socket (default: $TJD_SOCKET, else %s)\n"
	       "  -t, --timeout SECONDS   give up on the daemon after SECONDS (default %d)\n"
	       "  -h, --help              show this help and exit\n"
	       "      --version           show the version and exit\n"
	       "\nExit status:\n"
	       "  0  success\n"
	       "  1  the daemon refused the command or reported an error,\n"
	       "     or permission to use the socket was denied\n"
	       "  2  usage error\n"
	       "  3  the daemon is unreachable: no socket, connection refused,\n"
	       "     no reply in time, or a garbled reply\n"
	       "  4  status only: tjd answers but has not installed a ruleset yet\n",
	       TJD_DEFAULT_SOCKET, TJCTL_DEFAULT_TIMEOUT_MS / 1000);
}

/* Parses a --timeout value (seconds, fractions allowed) into milliseconds. */
static bool tjctl_parse_timeout(const char *text, int *timeout_ms)
{
	char *end;
	double seconds;

	errno = 0;
	seconds = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !isfinite(seconds) || seconds < 0.001 ||
	    seconds > TJCTL_TIMEOUT_MAX_SECONDS)
		return false;
	*timeout_ms = (int)(seconds * 1000.0 + 0.5);
	return true;
}

/* Finds a command by its exact name; abbreviations are not accepted. */
static const struct cmd_entry *tjctl_find_command(const char *name)
{
	size_t i;

	for (i = 0; i < TJCTL_NCOMMANDS; i++) {
		if (strcmp(tjctl_commands[i]->name, name) == 0)
			return tjctl_commands[i];
	}
	return NULL;
}

/* Tells whether a command's arguments ask for its help. */
static bool tjctl_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

/* Parses global options, then runs the command named by the first operand. */
int main(int argc, char **argv)
{
	enum { OPTION_VERSION = 256 };
	static const struct option long_options[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPTION_VERSION},
	    {NULL, 0, NULL, 0},
	};
	struct tjctl_context context;
	const char *socket_env = getenv("TJD_SOCKET");
	int option;
	int status;

	context.socket_path = TJD_DEFAULT_SOCKET;
	if (socket_env != NULL && socket_env[0] != '\0')
		context.socket_path = socket_env;
	context.timeout_ms = TJCTL_DEFAULT_TIMEOUT_MS;
	context.entry = NULL;

	/* '+': stop at the command so its own options are left to it. */
	opterr = 0;
	while ((option = getopt_long(argc, argv, "+:s:t:h", long_options, NULL)) != -1) {
		switch (option) {
		case 's':
			context.socket_path = optarg;
			break;
		case 't':
			if (!tjctl_parse_timeout(optarg, &context.timeout_ms))
				return tjctl_usage_error(NULL,
							 "invalid timeout \"%s\" (seconds, "
							 "more than 0, at most %.0f)",
							 optarg, TJCTL_TIMEOUT_MAX_SECONDS);
			break;
		case 'h':
			tjctl_help();
			return tjctl_finish_output(TJCTL_EXIT_OK);
		case OPTION_VERSION:
			printf("tjctl (%s) %s, control protocol %d\n", PACKAGE_NAME,
			       PACKAGE_VERSION, TJD_PROTOCOL_VERSION);
			return tjctl_finish_output(TJCTL_EXIT_OK);
		case ':':
			return tjctl_usage_error(NULL, "option %s needs an argument",
						 argv[optind - 1]);
		default:
			if (optopt != 0)
				return tjctl_usage_error(NULL, "unknown option -%c", optopt);
			return tjctl_usage_error(NULL, "unknown option %s", argv[optind - 1]);
		}
	}

	if (context.socket_path[0] == '\0')
		return tjctl_usage_error(NULL, "empty socket path");
	if (strlen(context.socket_path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return tjctl_usage_error(NULL, "socket path too long (at most %zu bytes): %s",
					 sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1,
					 context.socket_path);
	if (optind >= argc)
		return tjctl_usage_error(NULL, "no command given");

	context.entry = tjctl_find_command(argv[optind]);
	if (context.entry == NULL)
		return tjctl_usage_error(NULL, "unknown command \"%s\"", argv[optind]);

	if (tjctl_wants_help(argc - optind, argv + optind)) {
		tjctl_short_usage(stdout, context.entry);
		printf("%s%s.\n", context.entry->summary,
		       (context.entry->flags & CMD_MUTATES) ? " (root only)" : "");
		return tjctl_finish_output(TJCTL_EXIT_OK);
	}

	status = context.entry->exec(&context, argc - optind, argv + optind);
	return tjctl_finish_output(status);
}
