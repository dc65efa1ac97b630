/*
 * config.c - the settings table and its three readers: environment, flags, --help.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zkswarm/config.h"
#include "zkswarm/log.h"
#include "zkswarm/util.h"

#ifndef ZKSWARM_VERSION
#define ZKSWARM_VERSION "dev"
#endif

enum setting_type { SETTING_STRING, SETTING_INT };

struct setting {
	const char *env;
	const char *flag;
	const char *fallback; /* NULL: computed (NODE_ID: the host name) */
	const char *description;
	enum setting_type type;
	size_t offset;
};

static const struct setting settings[] = {
	{"ZK_HOSTS", "zk-hosts", "127.0.0.1:2181", "ZooKeeper servers, a comma list of host:port",
	 SETTING_STRING, offsetof(struct zks_config, zk_hosts)},
	{"ZK_ROOT", "zk-root", "/zkswarm", "ZooKeeper path under which all state lives",
	 SETTING_STRING, offsetof(struct zks_config, zk_root)},
	{"NODE_ID", "node-id", NULL, "this node's name in the cluster (default: the host name)",
	 SETTING_STRING, offsetof(struct zks_config, node_id)},
	{"ZK_SESSION_TIMEOUT_MS", "zk-session-timeout-ms", "10000",
	 "ZooKeeper session timeout: how long a dead node keeps its leases", SETTING_INT,
	 offsetof(struct zks_config, session_timeout_ms)},
	{"LOG_LEVEL", "log-level", "info", "error, warn, info or debug", SETTING_STRING,
	 offsetof(struct zks_config, log_level)},
	{"SOCKET", "socket", "/run/docker/plugins/zkswarm.sock", "unix socket the engine connects to",
	 SETTING_STRING, offsetof(struct zks_config, socket_path)},
	{"DATA_DIR", "data-dir", "/var/lib/zkswarm/volumes",
	 "directory holding each volume's data (shared storage for multi-node volumes)",
	 SETTING_STRING, offsetof(struct zks_config, data_dir)},
	{"MOUNT_ROOT", "mount-root", "/mnt/volumes",
	 "where volumes are mounted for containers (the plugin's propagated mount)", SETTING_STRING,
	 offsetof(struct zks_config, mount_root)},
	{"STATE_DIR", "state-dir", "/var/lib/zkswarm/state",
	 "local state: mount IDs held here and the saved mirror of ZooKeeper", SETTING_STRING,
	 offsetof(struct zks_config, state_dir)},
	{"ZK_AUTH_FILE", "zk-auth-file", "",
	 "file holding `user:password` for ZooKeeper digest auth; records are then readable and "
	 "writable only with it",
	 SETTING_STRING, offsetof(struct zks_config, zk_auth_file)},
	{"METRICS_ADDR", "metrics-addr", "",
	 "host:port for Prometheus /metrics and /health, e.g. 127.0.0.1:9324 (default: off)",
	 SETTING_STRING, offsetof(struct zks_config, metrics_addr)},
	{"NETWORK_SCOPE", "network-scope", "local",
	 "local: networks by standalone engines or swarm --config-from; global: swarm networks "
	 "created with docker network create on a manager",
	 SETTING_STRING, offsetof(struct zks_config, network_scope)},
	{"BOOT_ID_FILE", "boot-id-file", "/proc/sys/kernel/random/boot_id",
	 "where the machine's boot ID is read: mount IDs recorded in an earlier boot are dropped",
	 SETTING_STRING, offsetof(struct zks_config, boot_id_file)},
	{"ADVERTISE_ADDR", "advertise-addr", "",
	 "this node's VXLAN tunnel address (default: the address of the default route's device)",
	 SETTING_STRING, offsetof(struct zks_config, advertise_addr)},
	{"DEFAULT_POOL", "default-pool", "10.210.0.0/16",
	 "range from which networks created without --subnet get theirs", SETTING_STRING,
	 offsetof(struct zks_config, default_pool)},
	{"DEFAULT_POOL_SIZE", "default-pool-size", "24",
	 "prefix length of the subnets carved from DEFAULT_POOL", SETTING_INT,
	 offsetof(struct zks_config, default_pool_size)},
	{"VXLAN_PORT", "vxlan-port", "4789", "UDP port of the VXLAN tunnels (the same on every node)",
	 SETTING_INT, offsetof(struct zks_config, vxlan_port)},
	{"REAPER_GRACE_MS", "reaper-grace-ms", "60000",
	 "how long a node must be gone before its endpoints and addresses are reclaimed",
	 SETTING_INT, offsetof(struct zks_config, reaper_grace_ms)},
};

void zks_config_usage(FILE *out)
{
	fprintf(out, "Usage: zkswarmd [OPTION]...\n"
		     "Docker volume plugin keeping a Swarm's volumes and mount leases in ZooKeeper.\n"
		     "\n"
		     "Each setting comes from its flag, else its environment variable, else the default.\n"
		     "\n");
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		const struct setting *s = &settings[i];
		char left[64];

		snprintf(left, sizeof(left), "--%s=%s", s->flag, s->type == SETTING_INT ? "N" : "VALUE");
		fprintf(out, "  %-32s %s\n  %-32s   env %s, default %s\n", left, s->description, "",
			s->env, s->fallback && s->fallback[0] ? s->fallback : "(computed)");
	}
	fprintf(out, "  %-32s %s\n  %-32s %s\n", "--help", "show this help and exit", "--version",
		"show the version and exit");
}

static char **slot(struct zks_config *cfg, const struct setting *s)
{
	return (char **)((char *)cfg + s->offset);
}

static int apply(struct zks_config *cfg, const struct setting *s, const char *value,
		 struct zks_error *err)
{
	if (s->type == SETTING_INT) {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end != '\0' || v <= 0 || v > INT_MAX)
			return zks_error_set(err, ZKS_ERR_INVALID, "%s must be a positive integer, not `%s`",
					     s->env, value);
		*(int *)((char *)cfg + s->offset) = (int)v;
		return 0;
	}
	free(*slot(cfg, s));
	*slot(cfg, s) = xstrdup(value);
	return 0;
}

int zks_validate_name(const char *what, const char *name, size_t min, size_t max,
		      struct zks_error *err)
{
	size_t n = strlen(name);

	if (n == 0)
		return zks_error_set(err, ZKS_ERR_INVALID, "%s name is empty", what);
	if (n < min || n > max)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "%s name `%.64s%s` must be %zu to %zu characters long", what, name,
				     n > 64 ? "..." : "", min, max);
	/* Control bytes first: a message must never quote them into someone's terminal. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "%s name contains a control character (byte 0x%02x)", what,
					     (unsigned char)name[i]);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (alnum || (i > 0 && (c == '_' || c == '.' || c == '-')))
			continue;
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "%s name `%.64s` is invalid: only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
				     "allowed",
				     what, name);
	}
	return 0;
}

static int validate(struct zks_config *cfg, struct zks_error *err)
{
	if (zks_log_parse_level(cfg->log_level) < 0)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "LOG_LEVEL `%s` is not one of error, warn, info, debug",
				     cfg->log_level);
	if (zks_validate_name("NODE_ID", cfg->node_id, 1, 64, err) < 0)
		return -1;
	if (cfg->socket_path[0] != '/' || strlen(cfg->socket_path) >= 108)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "SOCKET `%s` must be an absolute path shorter than 108 bytes",
				     cfg->socket_path);
	if (cfg->data_dir[0] != '/' || cfg->mount_root[0] != '/' || cfg->state_dir[0] != '/')
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "DATA_DIR, MOUNT_ROOT and STATE_DIR must be absolute paths");
	if (strcmp(cfg->network_scope, "local") != 0 && strcmp(cfg->network_scope, "global") != 0)
		return zks_error_set(err, ZKS_ERR_INVALID, "NETWORK_SCOPE must be local or global, not `%s`",
				     cfg->network_scope);
	if (cfg->vxlan_port < 1 || cfg->vxlan_port > 65535)
		return zks_error_set(err, ZKS_ERR_INVALID, "VXLAN_PORT must be from 1 to 65535");
	if (cfg->session_timeout_ms < 1000 || cfg->session_timeout_ms > 600000)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "ZK_SESSION_TIMEOUT_MS must be between 1000 and 600000, not %d",
				     cfg->session_timeout_ms);
	return 0;
}

int zks_config_load(struct zks_config *cfg, int argc, char **argv, struct zks_error *err)
{
	struct option longopts[ARRAY_SIZE(settings) + 3];
	size_t i;
	int c;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < ARRAY_SIZE(settings); i++) {
		const struct setting *s = &settings[i];
		const char *env = getenv(s->env);
		char host[256];

		if (env != NULL && env[0] != '\0') {
			if (apply(cfg, s, env, err) < 0)
				return -1;
		} else if (s->fallback != NULL) {
			apply(cfg, s, s->fallback, err);
		} else if (gethostname(host, sizeof(host)) == 0) {
			host[sizeof(host) - 1] = '\0';
			apply(cfg, s, host, err);
		} else {
			apply(cfg, s, "node", err);
		}
		longopts[i] = (struct option){s->flag, required_argument, NULL, (int)i};
	}
	longopts[i++] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[i++] = (struct option){"version", no_argument, NULL, 'V'};
	longopts[i] = (struct option){NULL, 0, NULL, 0};
	optind = 1;
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		if (c == 'h') {
			zks_config_usage(stdout);
			return 1;
		}
		if (c == 'V') {
			printf("zkswarmd %s\n", ZKSWARM_VERSION);
			return 1;
		}
		if (c < 0 || (size_t)c >= ARRAY_SIZE(settings))
			return zks_error_set(err, ZKS_ERR_INVALID, "unknown option; see --help");
		if (apply(cfg, &settings[c], optarg, err) < 0)
			return -1;
	}
	if (optind < argc)
		return zks_error_set(err, ZKS_ERR_INVALID, "unexpected argument `%s`; see --help",
				     argv[optind]);
	return validate(cfg, err);
}

void zks_config_free(struct zks_config *cfg)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
		if (settings[i].type == SETTING_STRING) {
			free(*slot(cfg, &settings[i]));
			*slot(cfg, &settings[i]) = NULL;
		}
}
