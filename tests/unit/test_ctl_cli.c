/*
 * test_ctl_cli.c - zkswarmctl's command line (src/ctl/cli.c) without a
 * server: each command and its argument, the options and their defaults
 * (shared with the daemon's settings), every usage error with its exit code
 * and message, and the help texts.  `config` takes several words (SUB NAME
 * [ARG...]): its good and bad command lines are judged here too, no file read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/config.h"
#include "zkswarm/ctl_cli.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

static const char *const command_names[] = {"status",  "volumes", "volume", "networks",
					    "network", "pools",	  "pool",   "names",
					    "resolve", "repair",  "config"};

struct parsed {
	struct ctl_cli cli;
	int rc;
	char *out, *err; /* what went to stdout and stderr */
	char *argv_copy[16];
};

/* Parse "zkswarmctl" + words (NULL-terminated); free with done(). */
static struct parsed *parse(const char *const *words)
{
	struct parsed *p = xcalloc(1, sizeof(*p));
	size_t outlen, errlen;
	int argc = 0;

	p->argv_copy[argc++] = xstrdup("zkswarmctl");
	while (*words != NULL && argc < (int)ARRAY_SIZE(p->argv_copy) - 1)
		p->argv_copy[argc++] = xstrdup(*words++);
	p->cli.out = open_memstream(&p->out, &outlen);
	p->cli.err = open_memstream(&p->err, &errlen);
	assert_non_null(p->cli.out);
	assert_non_null(p->cli.err);
	p->rc = ctl_cli_parse(&p->cli, argc, p->argv_copy);
	fclose(p->cli.out);
	fclose(p->cli.err);
	return p;
}

static void done(struct parsed *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(p->argv_copy); i++)
		free(p->argv_copy[i]);
	free(p->out);
	free(p->err);
	free(p);
}

#define PARSE(...) parse((const char *const[]){__VA_ARGS__, NULL})

/* A usage error: exit 2, the message on stderr, nothing on stdout. */
static void refused(struct parsed *p, const char *message)
{
	if (p->rc != CTL_EXIT_USAGE)
		print_error("rc %d, stderr: %s\n", p->rc, p->err);
	assert_int_equal(p->rc, CTL_EXIT_USAGE);
	assert_contains(p->err, message);
	assert_string_equal(p->out, "");
	done(p);
}

static int clear_env(void **state)
{
	(void)state;
	unsetenv("ZK_HOSTS");
	unsetenv("ZK_ROOT");
	unsetenv("ZK_AUTH_FILE");
	return 0;
}

/* A command of one argument or none: with it, without it, with one too many. */
static void check_one_command(const char *name)
{
	bool takes_arg = !strcmp(name, "volume") || !strcmp(name, "network") ||
			 !strcmp(name, "pool") || !strcmp(name, "resolve");
	struct parsed *p = takes_arg ? PARSE(name, "x") : PARSE(name);

	assert_int_equal(p->rc, CTL_CLI_RUN);
	assert_string_equal(ctl_cli_command_name(&p->cli), name);
	if (takes_arg)
		assert_string_equal(p->cli.arg, "x");
	else
		assert_null(p->cli.arg);
	assert_int_equal(p->cli.argc, 0);
	assert_null(p->cli.argv);
	assert_string_equal(p->out, "");
	assert_string_equal(p->err, "");
	done(p);
	if (takes_arg) {
		p = PARSE(name);
		assert_int_equal(p->rc, CTL_EXIT_USAGE);
		assert_contains(p->err, "usage: zkswarmctl ");
		assert_contains(p->err, name);
		done(p);
		p = PARSE(name, "x", "y");
		assert_int_equal(p->rc, CTL_EXIT_USAGE);
		done(p);
	} else {
		refused(PARSE(name, "x"), "takes no argument");
	}
}

static void test_commands_and_their_argument(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(command_names); i++)
		/* several words: test_config_words, test_volume_words */
		if (strcmp(command_names[i], "config") != 0 &&
		    strcmp(command_names[i], "volume") != 0)
			check_one_command(command_names[i]);
}

/* volume NAME, or volume snapshot|snapshots|rm-snapshot NAME [SNAPSHOT]. */
static void test_volume_words(void **state)
{
	static const char *const good[][4] = {
		{"db"},
		{"snapshots"}, /* one word is a volume's name */
		{"snapshot"},
		{"snapshot", "db"},
		{"snapshot", "db", "monday"},
		{"snapshots", "db"},
		{"rm-snapshot", "db", "monday"},
	};
	struct parsed *p;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		const char *w[6] = {"volume"};
		int k = 0;

		while (k < 4 && good[i][k] != NULL) {
			w[k + 1] = good[i][k];
			k++;
		}
		p = parse(w);
		assert_int_equal(p->rc, CTL_CLI_RUN);
		assert_int_equal(p->cli.argc, k);
		assert_string_equal(p->cli.argv[0], good[i][0]);
		assert_string_equal(p->err, "");
		done(p);
	}
	p = PARSE("volume", "snapshot", "db", "s", "--socket", "/run/x.sock");
	assert_int_equal(p->rc, CTL_CLI_RUN);
	assert_string_equal(p->cli.opts.socket, "/run/x.sock");
	done(p);
	refused(PARSE("volume"), "usage");
	refused(PARSE("volume", "db", "x"), "usage: zkswarmctl volume NAME");
	refused(PARSE("volume", "snapshot", "db", "s", "t"), "usage: zkswarmctl volume snapshot");
	refused(PARSE("volume", "rm-snapshot", "db"), "usage: zkswarmctl volume rm-snapshot");
	refused(PARSE("volume", "snapshots", "db", "x"), "usage: zkswarmctl volume snapshots");
	refused(PARSE("volume", "snapshot", "../db"), "volume name");
	refused(PARSE("volume", "snapshot", "db", "a@b"), "snapshot name");
	refused(PARSE("volume", "rm-snapshot", "db", "../s"), "snapshot name");
	refused(PARSE("volume", "db", "--socket", "/x"), "--socket is for volume snapshot");
	refused(PARSE("volume", "snapshots", "db", "--socket", "/x"),
		"--socket is for volume snapshot");
	refused(PARSE("volume", "snapshot", "db", "--yes"), "--yes is an option of `repair` only");
}

/* A good config command line: RUN, and the words after `config` (NULL-terminated want). */
static struct parsed *config_ok(struct parsed *p, const char *const *want)
{
	int n = 0;

	if (p->rc != CTL_CLI_RUN)
		print_error("rc %d, stderr: %s\n", p->rc, p->err);
	assert_int_equal(p->rc, CTL_CLI_RUN);
	assert_string_equal(ctl_cli_command_name(&p->cli), "config");
	assert_null(p->cli.arg);
	for (; want[n] != NULL; n++)
		assert_string_equal(p->cli.argv[n], want[n]);
	assert_int_equal(p->cli.argc, n);
	assert_string_equal(p->out, "");
	assert_string_equal(p->err, "");
	return p;
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_config_words(void **state)
{
	struct parsed *p;

	(void)state;
	done(config_ok(PARSE("config", "put", "app", "a.conf"), WORDS("put", "app", "a.conf")));
	/* Options anywhere, the words in their order. */
	p = config_ok(PARSE("--json", "config", "put", "app", "a.conf=/tmp/x", "--timeout=1",
			    "b_2.yml=-", "c-3"),
		      WORDS("put", "app", "a.conf=/tmp/x", "b_2.yml=-", "c-3"));
	assert_true(p->cli.opts.json);
	assert_null(p->cli.opts.from);
	assert_int_equal(p->cli.opts.version, 0);
	done(p);
	p = config_ok(PARSE("config", "put", "app", "a.conf", "--from", "-"),
		      WORDS("put", "app", "a.conf"));
	assert_string_equal(p->cli.opts.from, "-");
	done(p);
	p = config_ok(PARSE("--from=/etc/app.conf", "config", "put", "app", "app.conf"),
		      WORDS("put", "app", "app.conf"));
	assert_string_equal(p->cli.opts.from, "/etc/app.conf");
	done(p);
	/* --version N is get's; the number may be the next word or after `=`. */
	p = config_ok(PARSE("config", "get", "app", "a.conf", "--version", "3"),
		      WORDS("get", "app", "a.conf"));
	assert_int_equal(p->cli.opts.version, 3);
	done(p);
	p = config_ok(PARSE("config", "get", "--version=12", "app", "a.conf"),
		      WORDS("get", "app", "a.conf"));
	assert_int_equal(p->cli.opts.version, 12);
	done(p);
	p = config_ok(PARSE("config", "--version", "7", "get", "app", "a.conf"),
		      WORDS("get", "app", "a.conf"));
	assert_int_equal(p->cli.opts.version, 7);
	done(p);
	done(config_ok(PARSE("config", "ls", "app"), WORDS("ls", "app")));
	done(config_ok(PARSE("config", "rm", "app", "a", "b"), WORDS("rm", "app", "a", "b")));
	done(config_ok(PARSE("config", "history", "app"), WORDS("history", "app")));
	done(config_ok(PARSE("config", "history", "app", "a.conf"),
		       WORDS("history", "app", "a.conf")));
	done(config_ok(PARSE("config", "rollback", "app", "4"), WORDS("rollback", "app", "4")));
	/* After `--`, a word starting with `-` is a word (here a file name, refused later). */
	done(config_ok(PARSE("config", "rm", "app", "--", "-x"), WORDS("rm", "app", "-x")));
	/* --version alone is still the program's, except with config. */
	p = PARSE("status", "--version");
	assert_int_equal(p->rc, CTL_EXIT_OK);
	assert_contains(p->out, "zkswarmctl ");
	done(p);
}

/* A bad config command line: exit 2, the message, and where to read more. */
static void config_refused(struct parsed *p, const char *message)
{
	assert_contains(p->err, "Try `zkswarmctl");
	refused(p, message);
}

static void test_config_usage_errors(void **state)
{
	(void)state;
	config_refused(PARSE("config"), "usage: zkswarmctl config SUB NAME [ARG...]");
	config_refused(PARSE("config", "frob", "app"), "no `config` subcommand `frob`");
	config_refused(PARSE("config", "put"), "usage: zkswarmctl config put NAME FILE[=PATH]...");
	config_refused(PARSE("config", "put", "app"), "usage: zkswarmctl config put NAME");
	config_refused(PARSE("config", "get", "app"), "usage: zkswarmctl config get NAME FILE");
	config_refused(PARSE("config", "get", "app", "a", "b"), "usage: zkswarmctl config get");
	config_refused(PARSE("config", "ls"), "usage: zkswarmctl config ls NAME");
	config_refused(PARSE("config", "ls", "app", "a"), "usage: zkswarmctl config ls NAME");
	config_refused(PARSE("config", "rm", "app"), "usage: zkswarmctl config rm NAME FILE...");
	config_refused(PARSE("config", "history", "app", "a", "b"), "config history NAME [FILE]");
	config_refused(PARSE("config", "rollback", "app"), "config rollback NAME VERSION");
	config_refused(PARSE("config", "rollback", "app", "x"), "not `x`");
	config_refused(PARSE("config", "rollback", "app", "0"), "not `0`");
	config_refused(PARSE("config", "rollback", "app", "3x"), "not `3x`");
	config_refused(PARSE("config", "rollback", "app", "99999999999999999999999"),
		       "not `99999999999999999999999`");
	/* Names: the volume's, then the files'. */
	config_refused(PARSE("config", "ls", "bad/name"), "volume name `bad/name` is invalid");
	config_refused(PARSE("config", "put", "app", ".hidden"), "`.hidden`");
	config_refused(PARSE("config", "put", "app", "a b=/tmp/x"), "a b");
	config_refused(PARSE("config", "put", "app", "sub/dir=/tmp/x"), "sub/dir");
	config_refused(PARSE("config", "put", "app", "=/tmp/x"), "config file name");
	config_refused(PARSE("config", "rm", "app", "-x"), "-x");
	config_refused(PARSE("config", "get", "app", "../etc"), "../etc");
	config_refused(PARSE("config", "history", "app", ".."), "..");
	/* put's paths. */
	config_refused(PARSE("config", "put", "app", "a="), "`a=` wants a path after `=`");
	config_refused(PARSE("config", "put", "app", "a=-", "b=-"),
		       "standard input (`-`) can be the contents of one file only");
	config_refused(PARSE("config", "put", "app", "a=-", "--from", "-"), "--from PATH goes");
	config_refused(PARSE("config", "put", "app", "a", "a=/tmp/x"), "file `a` named twice");
	config_refused(PARSE("config", "rm", "app", "a", "b", "a"), "file `a` named twice");
	/* --from and --version: whose they are. */
	config_refused(PARSE("config", "put", "app", "a", "b", "--from", "/x"),
		       "--from PATH goes with one FILE alone");
	config_refused(PARSE("config", "put", "app", "a=/y", "--from", "/x"), "not FILE=PATH");
	refused(PARSE("config", "put", "app", "a", "--from="), "--from wants a path");
	refused(PARSE("config", "put", "app", "a", "--from"), "--from needs an argument");
	config_refused(PARSE("config", "get", "app", "a", "--from", "/x"),
		       "--from is an option of `config put` only");
	config_refused(PARSE("config", "put", "app", "a", "--version", "2"),
		       "--version N is an option of `config get` only");
	config_refused(PARSE("config", "rollback", "app", "2", "--version", "2"),
		       "--version N is an option of `config get` only");
	refused(PARSE("config", "get", "app", "a", "--version", "0"), "not `0`");
	refused(PARSE("config", "get", "app", "a", "--version=x"), "not `x`");
	refused(PARSE("config", "get", "app", "a", "--version", "x"),
		"--version wants a version number");
	refused(PARSE("config", "get", "app", "a", "--version"),
		"--version wants a version number");
	refused(PARSE("status", "--from", "/x"), "--from is an option of `config` only");
	refused(PARSE("volumes", "--version", "3"), "--version N is an option of `config` only");
	refused(PARSE("config", "ls", "app", "--socket", "/s"),
		"--socket is an option of `status`");
	refused(PARSE("config", "ls", "app", "--yes"), "--yes is an option of `repair` only");
}

/* config --help: every subcommand, and the limits as records.h has them. */
static void test_config_help(void **state)
{
	char want[5][128];
	struct parsed *p;

	(void)state;
	snprintf(want[0], sizeof(want[0]), "at most %d bytes", ZKS_CONFIG_FILE_MAX);
	snprintf(want[1], sizeof(want[1]), "a version at most %d files and %d bytes",
		 ZKS_CONFIG_FILES_MAX, ZKS_CONFIG_TOTAL_MAX);
	snprintf(
		want[2], sizeof(want[2]),
		"keeps the last %d steps (fewer while they hold\n  more than %d distinct contents or %d MB)",
		ZKS_CONFIG_HISTORY, ZKS_CONFIG_BLOBS_MAX, ZKS_CONFIG_KEPT_MAX / 1000000);
	snprintf(want[3], sizeof(want[3]), "1 to %d of", ZKS_CONFIG_FILE_NAME_MAX);
	snprintf(want[4], sizeof(want[4]), "config rollback NAME VERSION");
	p = PARSE("help", "config");
	assert_int_equal(p->rc, CTL_EXIT_OK);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_contains(p->out, want[i]);
	assert_contains(p->out, "config put NAME FILE --from PATH");
	assert_contains(p->out, "config get NAME FILE [--version N]");
	assert_contains(p->out, "JSON");
	done(p);
	p = PARSE("--help");
	assert_contains(p->out, "config SUB NAME [ARG...]\n");
	assert_contains(p->out, "--from PATH           config put: ");
	assert_contains(p->out, "--version N           config get: ");
	done(p);
}

static void test_defaults_are_the_daemons(void **state)
{
	struct parsed *p;

	(void)state;
	p = PARSE("volumes");
	assert_int_equal(p->rc, CTL_CLI_RUN);
	assert_string_equal(p->cli.opts.zk_hosts, ZKS_DEFAULT_ZK_HOSTS);
	assert_string_equal(p->cli.opts.zk_root, ZKS_DEFAULT_ZK_ROOT);
	assert_null(p->cli.opts.zk_auth_file);
	assert_null(p->cli.opts.socket);
	assert_int_equal(p->cli.opts.timeout_ms, 5000);
	assert_false(p->cli.opts.json);
	assert_false(p->cli.opts.yes);
	assert_false(p->cli.opts.dry_run);
	assert_null(p->cli.opts.network);
	assert_null(p->cli.opts.service);
	assert_null(p->cli.opts.node);
	assert_int_equal(p->cli.verbose, 0);
	done(p);

	/* The daemon's variables, then the flags over them. */
	setenv("ZK_HOSTS", "zk1:2181", 1);
	setenv("ZK_ROOT", "/env-root", 1);
	setenv("ZK_AUTH_FILE", "/env-auth", 1);
	p = PARSE("volumes");
	assert_string_equal(p->cli.opts.zk_hosts, "zk1:2181");
	assert_string_equal(p->cli.opts.zk_root, "/env-root");
	assert_string_equal(p->cli.opts.zk_auth_file, "/env-auth");
	done(p);
	p = PARSE("-H", "zk2:2181", "--zk-root=/flag-root", "-a", "/flag-auth", "volumes");
	assert_string_equal(p->cli.opts.zk_hosts, "zk2:2181");
	assert_string_equal(p->cli.opts.zk_root, "/flag-root");
	assert_string_equal(p->cli.opts.zk_auth_file, "/flag-auth");
	done(p);
	/* Empty variables count as unset. */
	setenv("ZK_HOSTS", "", 1);
	p = PARSE("volumes");
	assert_string_equal(p->cli.opts.zk_hosts, ZKS_DEFAULT_ZK_HOSTS);
	done(p);
}

static void test_options_anywhere(void **state)
{
	struct parsed *p;

	(void)state;
	p = PARSE("status", "--json", "-v", "--socket", "/run/s.sock", "-v", "--timeout=2.5");
	assert_int_equal(p->rc, CTL_CLI_RUN);
	assert_string_equal(ctl_cli_command_name(&p->cli), "status");
	assert_true(p->cli.opts.json);
	assert_int_equal(p->cli.verbose, 2);
	assert_string_equal(p->cli.opts.socket, "/run/s.sock");
	assert_int_equal(p->cli.opts.timeout_ms, 2500);
	done(p);
	p = PARSE("-y", "repair");
	assert_int_equal(p->rc, CTL_CLI_RUN);
	assert_true(p->cli.opts.yes);
	done(p);
	p = PARSE("repair", "--dry-run");
	assert_int_equal(p->rc, CTL_CLI_RUN);
	assert_true(p->cli.opts.dry_run);
	done(p);
	/* The shortest timeout is a millisecond. */
	p = PARSE("-t", "0.0001", "pools");
	assert_int_equal(p->rc, CTL_CLI_RUN);
	assert_int_equal(p->cli.opts.timeout_ms, 1);
	done(p);
	p = PARSE("-t", "3600", "pools");
	assert_int_equal(p->cli.opts.timeout_ms, 3600000);
	done(p);
	/* names' filters, before and after the command, one or all. */
	p = PARSE("--network", "web", "names", "--service=app_web", "--json", "--node", "n2");
	assert_int_equal(p->rc, CTL_CLI_RUN);
	assert_string_equal(ctl_cli_command_name(&p->cli), "names");
	assert_string_equal(p->cli.opts.network, "web");
	assert_string_equal(p->cli.opts.service, "app_web");
	assert_string_equal(p->cli.opts.node, "n2");
	assert_true(p->cli.opts.json);
	assert_null(p->cli.arg);
	done(p);
	/* resolve's type and network. */
	p = PARSE("resolve", "--type", "srv", "_80._tcp.web", "--network=front");
	assert_int_equal(p->rc, CTL_CLI_RUN);
	assert_string_equal(p->cli.arg, "_80._tcp.web");
	assert_string_equal(p->cli.opts.type, "srv");
	assert_string_equal(p->cli.opts.network, "front");
	done(p);
	p = PARSE("names", "--node=n1");
	assert_int_equal(p->rc, CTL_CLI_RUN);
	assert_null(p->cli.opts.network);
	assert_null(p->cli.opts.service);
	assert_string_equal(p->cli.opts.node, "n1");
	done(p);
}

static void test_usage_errors(void **state)
{
	(void)state;
	refused(PARSE("frobnicate"), "no command `frobnicate`");
	refused(PARSE("help", "frobnicate"), "no command `frobnicate`");
	refused(PARSE("status", "--frob"), "unknown option `--frob`");
	refused(PARSE("status", "--zk-hosts"), "--zk-hosts needs an argument");
	refused(PARSE("status", "--timeout", "soon"),
		"--timeout wants seconds (0 to 3600), not `soon`");
	refused(PARSE("status", "--timeout", "0"), "not `0`");
	refused(PARSE("status", "--timeout", "3601"), "not `3601`");
	refused(PARSE("status", "--timeout", "-1"), "not `-1`");
	refused(PARSE("status", "--timeout", "nan"), "not `nan`");
	refused(PARSE("volumes", "--yes"), "--yes is an option of `repair` only");
	refused(PARSE("volumes", "--dry-run"), "--dry-run is an option of `repair` only");
	refused(PARSE("volumes", "--yes", "--dry-run"), "--yes is an option of `repair` only");
	refused(PARSE("repair", "--yes", "--dry-run"), "--yes and --dry-run contradict each other");
	refused(PARSE("repair", "--yes", "--dry-run", "--socket", "/s"), "contradict each other");
	refused(PARSE("repair", "--socket", "/s"),
		"--socket is an option of `status` or `volume` only");
	refused(PARSE("status", "--yes", "--socket", "/s"), "--yes is an option of `repair` only");
	refused(PARSE("networks", "--network", "web"),
		"--network is an option of `names` or `resolve` only");
	refused(PARSE("volumes", "--type", "A"), "--type is an option of `resolve` only");
	refused(PARSE("resolve", "web", "--type", "AAAA"),
		"--type wants A, SRV or PTR, not `AAAA`");
	refused(PARSE("volumes", "--service", "s"), "--service is an option of `names` only");
	refused(PARSE("repair", "--node", "n1"), "--node is an option of `names` only");
	refused(PARSE("names", "--network"), "--network needs an argument");
	refused(PARSE("names", "--node", ""), "--node wants a value, not an empty string");
	refused(PARSE("names", "--service="), "--service wants a value");
	refused(PARSE("names", "web"), "`names` takes no argument");
	refused(PARSE("names", "--yes"), "--yes is an option of `repair` only");
}

static void test_help_texts(void **state)
{
	struct parsed *p;

	(void)state;
	/* No command: the usage, on stderr and as an error; with --help, on stdout. */
	p = parse((const char *const[]){NULL});
	assert_int_equal(p->rc, CTL_EXIT_USAGE);
	assert_contains(p->err, "Usage: zkswarmctl");
	assert_string_equal(p->out, "");
	done(p);
	p = PARSE("--help");
	assert_int_equal(p->rc, CTL_EXIT_OK);
	assert_contains(p->out, "Usage: zkswarmctl");
	assert_contains(p->out, "Exit status");
	assert_contains(p->out, "(env ZK_HOSTS, default " ZKS_DEFAULT_ZK_HOSTS ")");
	assert_contains(p->out, "default " ZKS_DEFAULT_ZK_ROOT ")");
	for (size_t i = 0; i < ARRAY_SIZE(command_names); i++)
		assert_contains(p->out, command_names[i]);
	assert_contains(p->out, "--network KEY         names: ");
	assert_contains(p->out, "--service S           names: ");
	assert_contains(p->out, "--node N              names: ");
	done(p);
	p = PARSE("names", "--help");
	assert_contains(p->out, "zkswarmctl names [--network KEY] [--service S] [--node N]");
	assert_contains(p->out, "stale");
	done(p);
	p = PARSE("help");
	assert_int_equal(p->rc, CTL_EXIT_OK);
	assert_contains(p->out, "Usage: zkswarmctl");
	done(p);
	for (size_t i = 0; i < ARRAY_SIZE(command_names); i++) {
		struct parsed *both[] = {PARSE(command_names[i], "--help"),
					 PARSE("help", command_names[i]),
					 PARSE("-h", command_names[i], "extra", "words")};

		for (size_t k = 0; k < ARRAY_SIZE(both); k++) {
			assert_int_equal(both[k]->rc, CTL_EXIT_OK);
			assert_contains(both[k]->out, "SYNOPSIS");
			assert_contains(both[k]->out, "EXIT STATUS");
			assert_contains(both[k]->out, "Connection options");
			assert_string_equal(both[k]->out, both[0]->out);
			assert_string_equal(both[k]->err, "");
		}
		for (size_t k = 0; k < ARRAY_SIZE(both); k++)
			done(both[k]);
	}
	p = PARSE("--version", "frobnicate");
	assert_int_equal(p->rc, CTL_EXIT_OK);
	assert_contains(p->out, "zkswarmctl ");
	done(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_commands_and_their_argument, clear_env),
		cmocka_unit_test_setup(test_volume_words, clear_env),
		cmocka_unit_test_setup(test_defaults_are_the_daemons, clear_env),
		cmocka_unit_test_setup(test_options_anywhere, clear_env),
		cmocka_unit_test_setup(test_usage_errors, clear_env),
		cmocka_unit_test_setup(test_help_texts, clear_env),
		cmocka_unit_test_setup(test_config_words, clear_env),
		cmocka_unit_test_setup(test_config_usage_errors, clear_env),
		cmocka_unit_test_setup(test_config_help, clear_env),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
