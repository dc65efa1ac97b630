/*
 * ctl_cli.h - zkswarmctl's command line (src/ctl/cli.c): parsing it into a
 * command and options, then running that command.  Parsing touches nothing
 * but the two streams given, so tests can check every usage error and help
 * text without a ZooKeeper.
 */
#ifndef ZKSWARM_CTL_CLI_H
#define ZKSWARM_CTL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "zkswarm/ctl.h"

/* ctl_cli_parse: the command line is fine, run the command. */
#define CTL_CLI_RUN (-1)

struct ctl_command;

struct ctl_cli {
	FILE *out; /* help and --version (stdout) */
	FILE *err; /* usage errors (stderr) */
	/* Filled by ctl_cli_parse; the strings point into argv and the environment. */
	struct ctl_opts opts;
	const struct ctl_command *cmd;
	const char *arg; /* the command's argument, NULL if it takes none */
	/* A command of several words (config): the words after its name; else 0 and NULL. */
	int argc;
	char **argv;
	int verbose; /* -v given this many times */
	bool help;
};

/* Defaults, the environment (ZK_HOSTS, ZK_ROOT, ZK_AUTH_FILE), then argv.  Returns CTL_CLI_RUN,
 * or the exit code when nothing is left to do (help, --version, a usage error: CTL_EXIT_*). */
int ctl_cli_parse(struct ctl_cli *cli, int argc, char **argv);
const char *ctl_cli_command_name(const struct ctl_cli *cli);

/*
 * Connect, take the snapshot and run the command parsed; its exit code.  A command of
 * several words (config) connects itself, once it has read its input.
 */
int ctl_cli_run(const struct ctl_cli *cli);

#endif
