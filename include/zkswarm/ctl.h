/*
 * ctl.h - zkswarmctl, the operator's command-line tool: its options, exit
 * codes and commands.
 *
 * Every command reads one snapshot of the cluster's records (ctl_cluster.h)
 * and builds its answer as one JSON document; `--json` prints that document,
 * otherwise it is rendered as tables (ctl_table.h), so the two never
 * disagree.  show.c has the read-only commands, repair.c finds and removes
 * orphaned records, config.c reads and changes configuration volumes.
 */
#ifndef ZKSWARM_CTL_H
#define ZKSWARM_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include "zkswarm/ctl_cluster.h"

/* Exit codes, documented in `zkswarmctl --help`. */
enum {
	CTL_EXIT_OK = 0,	  /* done, nothing wrong */
	CTL_EXIT_PROBLEM = 1,	  /* a problem was found, or the operation failed */
	CTL_EXIT_USAGE = 2,	  /* bad command line */
	CTL_EXIT_UNREACHABLE = 3, /* ZooKeeper could not be reached */
};

struct ctl_opts {
	const char *zk_hosts;
	const char *zk_root;
	const char *zk_auth_file; /* "" or NULL: none */
	const char *socket;	  /* the local daemon's socket; NULL: not asked */
	int timeout_ms;		  /* for connecting to ZooKeeper, the daemon and srvr */
	bool json;
	bool yes;     /* repair: remove without asking */
	bool dry_run; /* repair: only report */
	/* names: only those of this network (key or name), service, node; NULL: all */
	const char *network, *service, *node;
	const char *type; /* resolve: A, SRV or PTR (any case); NULL: from the name */
	const char *from; /* config put: --from PATH (`-`: stdin); NULL: not given */
	uint64_t version; /* config get: --version N; 0: not given (the current version) */
};

/* Commands.  c is NULL for status when ZooKeeper is unreachable (unreachable_msg says why). */
int ctl_cmd_status(struct ctl_cluster *c, const struct ctl_opts *o, const char *unreachable_msg);
int ctl_cmd_volumes(struct ctl_cluster *c, const struct ctl_opts *o);
int ctl_cmd_volume(struct ctl_cluster *c, const struct ctl_opts *o, const char *name);
int ctl_cmd_networks(struct ctl_cluster *c, const struct ctl_opts *o);
int ctl_cmd_network(struct ctl_cluster *c, const struct ctl_opts *o, const char *key);
int ctl_cmd_pools(struct ctl_cluster *c, const struct ctl_opts *o);
int ctl_cmd_pool(struct ctl_cluster *c, const struct ctl_opts *o, const char *subnet);
int ctl_cmd_names(struct ctl_cluster *c, const struct ctl_opts *o);
/* resolve.c: what the DNS server answers for name (with o->network: within that network). */
int ctl_cmd_resolve(struct ctl_cluster *c, const struct ctl_opts *o, const char *name);
int ctl_cmd_repair(struct ctl_cluster *c, const struct ctl_opts *o);

/*
 * config.c: `config SUB NAME [ARG...]`, argv being the words after `config`.  check judges
 * them when parsing (no server, no file read): 0, or -1 with the usage error in err.
 * ctl_cmd_config runs them: it reads what it puts first, then connects (ctl_connect).
 */
int ctl_config_check(int argc, char **argv, const struct ctl_opts *o, struct zks_error *err);
int ctl_cmd_config(const struct ctl_opts *o, int argc, char **argv);

/*
 * snapshots.c: `volume NAME` (ctl_cmd_volume) or `volume snapshot|snapshots|rm-snapshot NAME
 * ...`, argv being the words after `volume`, checked and run as config's are.
 */
int ctl_volume_check(int argc, char **argv, const struct ctl_opts *o, struct zks_error *err);
int ctl_cmd_volume_words(const struct ctl_opts *o, int argc, char **argv);

/*
 * cli.c: connect to ZooKeeper and (snapshot) take the snapshot, as every command of one
 * word does: CTL_EXIT_OK, or the exit code (CTL_EXIT_UNREACHABLE, CTL_EXIT_USAGE for bad
 * settings) with the reason printed on stderr.
 */
int ctl_connect(const struct ctl_opts *o, bool snapshot, struct ctl_cluster *c);

/* Print doc as indented JSON on stdout. */
void ctl_print_json(const cJSON *doc);

#endif
