/* tjd: firewall daemon isolating containers on shared Docker networks. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/frame.h"
#include "tjd/conf.h"
#include "tjd/daemon.h"
#include "tjd/state.h"

/* Prints how to run tjd. */
static void usage(FILE *out)
{
	fprintf(out,
		"Usage: tjd [OPTIONS]\n"
		"Isolate containers on shared Docker networks: on each protected network only\n"
		"allow-listed containers may open connections to the others or to the host.\n"
		"\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"  -f, --foreground      stay in the foreground and log to stderr\n"
		"  -s, --socket PATH     control socket (default %s)\n"
		"  -b, --backend NAME    firewall backend: auto, nftables or iptables\n"
		"                        (default: the configuration's, else auto)\n"
		"  -n, --check-config    check the configuration and exit\n"
		"      --dry-run         print the ruleset tjd would install, touch nothing\n"
		"      --clear           remove every rule tjd installed and exit\n"
		"      --state-file PATH last applied ruleset, restored at start before\n"
		"                        Docker is reachable (default %s)\n"
		"  -d, --debug           log debug messages\n"
		"  -h, --help            show this help and exit\n"
		"  -V, --version         show the version and exit\n"
		"\n"
		"TrafficJam's environment variables are honoured: NETWORK, WHITELIST_FILTER,\n"
		"POLL_INTERVAL, ALLOW_HOST_TRAFFIC, DEBUG, INSTANCE_ID, DOCKER_HOST.\n"
		"Signals: TERM/INT stop and leave the rules in place; HUP reloads the\n"
		"configuration; USR1 removes every rule and exits.\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n",
		CONF_DEFAULT_PATH, TJD_DEFAULT_SOCKET, STATE_DEFAULT_PATH);
}

int main(int argc, char **argv)
{
	enum { OPTION_DRY_RUN = 256, OPTION_CLEAR, OPTION_STATE_FILE };
	static const struct option long_options[] = {
		{"config", required_argument, NULL, 'c'},
		{"foreground", no_argument, NULL, 'f'},
		{"socket", required_argument, NULL, 's'},
		{"backend", required_argument, NULL, 'b'},
		{"check-config", no_argument, NULL, 'n'},
		{"dry-run", no_argument, NULL, OPTION_DRY_RUN},
		{"clear", no_argument, NULL, OPTION_CLEAR},
		{"state-file", required_argument, NULL, OPTION_STATE_FILE},
		{"debug", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct daemon_options options = {
		.conf_path = CONF_DEFAULT_PATH,
		.socket_path = TJD_DEFAULT_SOCKET,
		.state_file = STATE_DEFAULT_PATH,
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:fs:b:ndhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'c':
			options.conf_path = optarg;
			options.conf_required = true;
			break;
		case 'f':
			options.foreground = true;
			break;
		case 's':
			options.socket_path = optarg;
			break;
		case 'b':
			options.backend = optarg;
			break;
		case 'n':
			options.check_config = true;
			break;
		case OPTION_DRY_RUN:
			options.dry_run = true;
			break;
		case OPTION_CLEAR:
			options.clear = true;
			break;
		case OPTION_STATE_FILE:
			options.state_file = optarg;
			break;
		case 'd':
			options.debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("tjd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tjd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return daemon_main(&options);
}
