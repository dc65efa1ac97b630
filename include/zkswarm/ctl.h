/*
 * ctl.h - zkswarmctl, the operator's command-line tool: its options, exit
 * codes and commands.
 *
 * Every command reads one snapshot of the cluster's records (ctl_cluster.h)
 * and builds its answer as one JSON document; `--json` prints that document,
 * otherwise it is rendered as tables (ctl_table.h), so the two never
 * disagree.  show.c has the read-only commands, repair.c finds and removes
 * orphaned records.
 */
#ifndef ZKSWARM_CTL_H
#define ZKSWARM_CTL_H

#include <stdbool.h>

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

/* Print doc as indented JSON on stdout. */
void ctl_print_json(const cJSON *doc);

#endif
