/*
 * config.h - the daemon's settings.
 *
 * One table (config.c) names each setting's environment variable, flag,
 * default, bounds and parser; it serves the environment (how the managed
 * plugin is configured: `docker plugin set zkswarm ZK_HOSTS=...`), the flags
 * (how a developer runs zkswarmd by hand) and --help.  A value outside its
 * bounds is refused there, with a message naming the setting, so the rest of
 * the daemon takes the settings as given.
 */
#ifndef ZKSWARM_CONFIG_H
#define ZKSWARM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "zkswarm/cidr.h"
#include "zkswarm/error.h"

/* Defaults zkswarmctl shares with the daemon, where its option is the same setting. */
#define ZKS_DEFAULT_ZK_HOSTS "127.0.0.1:2181"
#define ZKS_DEFAULT_ZK_ROOT "/zkswarm"
#define ZKS_DEFAULT_SOCKET "/run/docker/plugins/zkswarm.sock"

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
	char *naming;	     /* "auto", "on" or "off" */
	char *engine_socket; /* the engine's API socket, for naming */
	char *plugin_name;   /* "" = learned from the engine (plugin_name.h) */
	int default_pool_size;
	int vxlan_port;
	int reaper_grace_ms;
	int session_timeout_ms;
	int mirror_pace_ms;
	int mirror_pace_max_ms;
	char *dns_listen;	    /* "" = no DNS listener; else a loopback "ip:port" */
	char *dns_networks;	    /* "on" or "off": DNS on the local networks' gateways */
	char *dns_domain;	    /* the zone the DNS server answers, "zkswarm." */
	int dns_ttl;		    /* seconds */
	char *dashboard_addr;	    /* "" = no dashboard; else IPv4 "host:port" */
	char *dashboard_token_file; /* "" = no token */
	int dashboard_max_streams;  /* event-stream clients at once */

	/* What the parsers made of the text above. */
	char *zk_auth;	      /* ZK_AUTH_FILE's "user:password"; NULL: none */
	struct zks_cidr pool; /* DEFAULT_POOL */
	uint32_t metrics_ip;  /* METRICS_ADDR, when set: host byte order */
	uint16_t metrics_port;
	uint32_t dashboard_ip; /* DASHBOARD_ADDR, when set: host byte order */
	uint16_t dashboard_port;
	char *dashboard_token; /* DASHBOARD_TOKEN_FILE's token; NULL: none */
	bool dashboard_off;    /* a DASHBOARD_* setting was bad: no dashboard (it was logged) */
};

/*
 * Defaults, then the environment, then flags.  Returns 0 when the daemon
 * should run, 1 when --help or --version was answered, -1 on a bad setting.
 * zks_config_free is needed in every case.
 */
int zks_config_load(struct zks_config *cfg, int argc, char **argv, struct zks_error *err);
void zks_config_usage(FILE *out);
void zks_config_free(struct zks_config *cfg);

/* Wipe and forget the credentials once the store has its own copy. */
void zks_config_drop_auth(struct zks_config *cfg);

/*
 * The digest credentials from an auth file (ZK_AUTH_FILE, zkswarmctl's
 * --zk-auth-file): one line "user:password", a trailing newline is fine; kept
 * out of the settings so that they never show in `docker plugin inspect`.
 * Every failure is ZKS_ERR_INVALID, its message naming ZK_AUTH_FILE.
 */
char *zks_auth_file_read(const char *path, struct zks_error *err);

/*
 * The dashboard's token from DASHBOARD_TOKEN_FILE: one line of ZKS_DASHBOARD_TOKEN_MIN to max
 * printable ASCII characters without spaces, a trailing newline ignored.  ZKS_ERR_INVALID
 * naming the setting, never the file's contents.
 */
#define ZKS_DASHBOARD_TOKEN_MIN 16
#define ZKS_DASHBOARD_TOKEN_MAX 256
char *zks_dashboard_token_read(const char *path, size_t max, struct zks_error *err);
void zks_config_drop_dashboard_token(struct zks_config *cfg);

#endif
