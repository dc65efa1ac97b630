/*
 * config.h - the daemon's settings.
 *
 * One table (config.c) names each setting's environment variable, flag,
 * default and meaning; it serves the environment (how the managed plugin
 * is configured: `docker plugin set zkswarm ZK_HOSTS=...`), the flags (how
 * a developer runs zkswarmd by hand) and --help.
 */
#ifndef ZKSWARM_CONFIG_H
#define ZKSWARM_CONFIG_H

#include <stdio.h>

#include "zkswarm/error.h"

struct zks_config {
	char *socket_path;
	char *zk_hosts;
	char *zk_root;
	char *node_id;
	char *log_level;
	char *data_dir;
	char *mount_root;
	char *state_dir;
	char *zk_auth_file;   /* "" = no credentials */
	char *metrics_addr;   /* "" = no metrics listener */
	char *network_scope;  /* "local" or "global" */
	char *boot_id_file;   /* the kernel's boot ID: mount IDs of an earlier boot are dropped */
	char *advertise_addr; /* "" = the address of the default route's device */
	char *default_pool;
	int default_pool_size;
	int vxlan_port;
	int reaper_grace_ms;
	int session_timeout_ms;
};

/*
 * Defaults, then the environment, then flags.  Returns 0 when the daemon
 * should run, 1 when --help or --version was answered, -1 on a bad setting.
 */
int zks_config_load(struct zks_config *cfg, int argc, char **argv, struct zks_error *err);
void zks_config_usage(FILE *out);
void zks_config_free(struct zks_config *cfg);

/* Node ids and volume names share Docker's rule: [A-Za-z0-9][A-Za-z0-9_.-]*, at most max bytes. */
int zks_validate_name(const char *what, const char *name, size_t min, size_t max,
		      struct zks_error *err);

#endif
