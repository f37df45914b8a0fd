/*
 * main.c - the command line: run the daemon, or one of the commands
 * (check-config, and those the modules add to the table below).
 *
 * This is the only file where the process may exit early: usage errors exit 2
 * with a one-line hint; an invalid configuration makes a command exit 1 and
 * the daemon exit 78 (EX_CONFIG), the status its unit will not restart on.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alerter/alerter.h"
#include "alerter/delivery.h"
#include "checks/checks.h"
#include "collector/collector.h"
#include "core/cli.h"
#include "core/config.h"
#include "core/daemon.h"
#include "core/log.h"
#include "core/offload.h"
#include "core/util.h"
#include "analyzer/analyzer.h"
#include "history/history.h"
#include "launcher/launcher.h"
#include "logscan/logscan.h"

static int command_check_config(int argc, char **argv);
static const struct command *find_command(const char *name);

/* One line each; --help and the man page generator read synopsis and summary. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;
	const char *summary;
} commands[] = {
	{ "check-config", command_check_config,
	  "check-config [-c FILE] [--print]",
	  "validate the configuration (--print: and show it in effect)" },
	{ "once", collector_command_once, "once [-c FILE] [--interval SECS] [--json]",
	  "collect twice one interval apart and print every metric" },
	{ "replay", analyzer_command_replay, "replay [-c FILE] FILE.csv",
	  "score a timestamp,value CSV offline" },
	{ "logscan", logscan_command,
	  "logscan [-c FILE] [--rules-only] [--json] FILE...|-",
	  "run the log rules over files or stdin" },
	{ "test-alert", command_test_alert,
	  "test-alert [-c FILE] [--channel NAME] [--severity info]",
	  "send a test message, labelled test=\"true\", through each channel" },
	{ "history", history_command_history,
	  "history [-c FILE] [--state-dir DIR] [--metric GLOB] [--since 6h] "
	  "[--json]",
	  "min/avg/max and a sparkline per series from the history database" },
	{ "alerts", history_command_alerts,
	  "alerts [-c FILE] [--state-dir DIR] [--since 24h] [--json]",
	  "alert history: state, duration, delivery, why held back" },
	{ "export", history_command_export,
	  "export [-c FILE] [--state-dir DIR] --prometheus FILE",
	  "newest minute of every series in Prometheus text format" },
};

static void print_usage(FILE *stream)
{
	fprintf(stream,
		"usage: sysops-agent [-c FILE] [-f] [-v|-q]\n"
		"       sysops-agent [-c FILE] COMMAND [OPTIONS]\n"
		"       sysops-agent --version | --help\n\n"
		"Anomaly-detection alerting daemon for Linux servers.\n\n"
		"  -c, --config FILE  configuration (default %s,\n"
		"                     or $SYSOPS_AGENT_CONFIG); before or after\n"
		"                     a command\n"
		"  -f, --foreground   stay in the foreground and log to stderr\n"
		"  -v, --verbose      log debug messages\n"
		"  -q, --quiet        log warnings and errors only (-qq: errors)\n\n"
		"commands:\n",
		CONFIG_DEFAULT_PATH);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		/* Three spaces at least: man/generate splits on them. */
		fprintf(stream, "  %-40s   %s\n", commands[i].synopsis,
			commands[i].summary);
	fprintf(stream, "\nSee sysops-agent(8) and sysops-agent.toml(5).\n");
}

static int usage_error(const char *message, const char *argument)
{
	fprintf(stderr, "sysops-agent: %s%s%s%s\nTry 'sysops-agent --help'.\n",
		message, argument ? " '" : "", argument ? argument : "",
		argument ? "'" : "");
	return 2;
}

static int command_check_config(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "print", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *shown;
	struct config *config;
	bool print = false;
	int c;

	while ((c = getopt_long(argc, argv, "c:p", options, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 'p')
			print = true;
		else
			return cli_usage_error("check-config",
					       "unknown option");
	}
	if (optind != argc)
		return cli_usage_error("check-config", "unexpected argument");
	/* The errors and warnings are logged while it loads. */
	if (cli_load_config(path, &config) < 0) {
		bool must_exist;

		shown = config_resolve_path(path, &must_exist);
		fprintf(stderr, "sysops-agent: configuration %s is invalid\n",
			shown ? shown : "(built-in defaults)");
		return 1;
	}
	if (print)
		config_print(config, stdout);
	fprintf(stderr, "sysops-agent: configuration %s is valid\n",
		config->path ? config->path : "(built-in defaults)");
	config_free(config);
	return 0;
}

/* Where the records of a detached daemon go, for the terminal it leaves. */
static const char *detached_log_hint(void)
{
	if (access("/run/systemd/journal/socket", F_OK) == 0)
		return "it logs to the journal: journalctl -t sysops-agent -f";
	return "there is no journal here, so its messages are lost: run it "
	       "with -f to see them";
}

/*
 * Started from a terminal without -f, the daemon detaches like any classic
 * daemon; under systemd (Type=notify) it stays the main process. Before the
 * prompt comes back the terminal learns the daemon's PID and where it logs:
 * the first process waits for that PID on a pipe.
 */
static int detach(void)
{
	pid_t pid, daemon_pid = 0;
	int fds[2], null_fd;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(fds[0]);
		close(fds[1]);
		return r;
	}
	if (pid > 0) {
		close(fds[1]);
		do
			n = read(fds[0], &daemon_pid, sizeof(daemon_pid));
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof(daemon_pid)) {
			fprintf(stderr, "sysops-agent: error: the background "
					"process did not start\n");
			_exit(1);
		}
		fprintf(stderr,
			"sysops-agent: running in the background as "
			"PID %d; %s\n",
			(int)daemon_pid, detached_log_hint());
		_exit(0);
	}
	close(fds[0]);
	if (setsid() < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	daemon_pid = getpid();
	if (write(fds[1], &daemon_pid, sizeof(daemon_pid)) < 0)
		return -errno;
	close(fds[1]);
	if (chdir("/") < 0)
		return -errno;
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return -errno;
	dup2(null_fd, STDIN_FILENO);
	dup2(null_fd, STDOUT_FILENO);
	dup2(null_fd, STDERR_FILENO);
	close(null_fd);
	return 0;
}

static bool started_by_systemd(void)
{
	return getenv("INVOCATION_ID") != NULL || getenv("NOTIFY_SOCKET") != NULL;
}

/*
 * The daemon's heap stays small and flat: one arena (its threads, libcurl's
 * resolver and the like, allocate little), freed memory given back above
 * 128 KiB, and a fixed mmap threshold so that big tables freed once do not
 * raise it and come back from the heap, where they would stay resident.
 */
static void tune_malloc(void)
{
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

static int run_daemon(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path_option = NULL, *path;
	bool foreground = false, must_exist;
	int verbosity = 0, level_override = -1, c, status;
	struct config *config;
	struct daemon daemon;

	while ((c = getopt_long(argc, argv, "c:fvqhV", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			path_option = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'v':
			verbosity++;
			break;
		case 'q':
			verbosity--;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		case 'V':
			printf("sysops-agent %s (sqlite history: %s)\n",
			       SYSOPS_VERSION, WITH_SQLITE ? "yes" : "no");
			return 0;
		default:
			return usage_error("unknown option", NULL);
		}
	}
	if (optind != argc && find_command(argv[optind]) != NULL)
		return usage_error("only -c FILE may come before the command",
				   argv[optind]);
	if (optind != argc)
		return usage_error("unexpected argument", argv[optind]);
	if (verbosity > 0)
		level_override = LOG_DEBUG;
	else if (verbosity == -1)
		level_override = LOG_WARNING;
	else if (verbosity < -1)
		level_override = LOG_ERR;

	log_open(foreground ? LOG_TARGET_STDERR : LOG_TARGET_AUTO);
	if (level_override >= 0)
		log_set_level(level_override);
	path = config_resolve_path(path_option, &must_exist);
	if (config_load(path, must_exist, &config) < 0)
		return EX_CONFIG; /* the unit's RestartPreventExitStatus= */
	daemon_apply_log_level(config, level_override);
	if (!foreground && !started_by_systemd()) {
		if (detach() < 0) {
			log_error_errno(errno, "cannot detach");
			config_free(config);
			return 1;
		}
		log_open(LOG_TARGET_JOURNAL);
	}
	if (daemon_init(&daemon, config, path, must_exist, level_override) < 0) {
		daemon_free(&daemon);
		return 1;
	}
	status = daemon_run(&daemon);
	daemon_free(&daemon);
	return status;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[ARRAY_SIZE(commands)];
	const char *suggestion;

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		names[i] = commands[i].name;
	suggestion = config_suggest(name, names, ARRAY_SIZE(commands));
	fprintf(stderr, "sysops-agent: unknown command '%s'", name);
	if (suggestion != NULL)
		fprintf(stderr, " (did you mean '%s'?)", suggestion);
	fprintf(stderr, "\nTry 'sysops-agent --help'.\n");
	return 2;
}

/*
 * "-c FILE" (or --config FILE, --config=FILE, -cFILE) before a command, as
 * in `sysops-agent -c F check-config`: *first is where the command is, or
 * argc when none follows; *config what was given (NULL if nothing).
 */
static int global_options(int argc, char **argv, int *first,
			  const char **config)
{
	int i = 1;

	*config = NULL;
	while (i < argc) {
		const char *arg = argv[i];

		if (strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0) {
			if (i + 1 >= argc)
				return -EINVAL;
			*config = argv[i + 1];
			i += 2;
		} else if (strncmp(arg, "--config=", 9) == 0) {
			*config = arg + 9;
			i++;
		} else if (strncmp(arg, "-c", 2) == 0) {
			*config = arg + 2;
			i++;
		} else {
			break;
		}
	}
	*first = i;
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *command;
	const char *config = NULL;
	char **args;
	int first, n = 0, status;

	/* Not commands for people: the daemon starts its launcher (delivery.h)
	 * and the launcher its delivery processes, which also hold the network
	 * checks' conversations. */
	if (argc >= 2 && strcmp(argv[1], DELIVERY_LAUNCHER_COMMAND) == 0)
		return delivery_launcher_command(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], LAUNCHER_DELIVERY_COMMAND) == 0) {
		offload_set_server(&checks_probe_server);
		return delivery_process_command(argc - 1, argv + 1);
	}
	if (global_options(argc, argv, &first, &config) < 0 || first >= argc ||
	    argv[first][0] == '-') {
		tune_malloc();
		return run_daemon(argc, argv);
	}
	command = find_command(argv[first]);
	if (command == NULL)
		return unknown_command(argv[first]);
	log_open(LOG_TARGET_PLAIN);
	/* The command's own getopt sees its name as argv[0], then -c. */
	args = calloc((size_t)argc + 2, sizeof(*args));
	if (args == NULL) {
		fprintf(stderr, "sysops-agent: error: out of memory\n");
		return 1;
	}
	args[n++] = argv[first];
	if (config != NULL) {
		args[n++] = (char *)"-c";
		args[n++] = (char *)config;
	}
	for (int i = first + 1; i < argc; i++)
		args[n++] = argv[i];
	status = command->run(n, args);
	free(args);
	return status;
}
