/*
 * config.c - the settings table and its readers: environment, flags, --help.
 *
 * Every setting is one row: its names, default, bounds and parser.  The text
 * of each is gathered first (its flag, else its environment variable, else its
 * default) and parsed once, in table order, so that a row may check itself
 * against one above it (DEFAULT_POOL_SIZE against DEFAULT_POOL).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zkswarm/config.h"
#include "zkswarm/dns.h"
#include "zkswarm/log.h"
#include "zkswarm/names.h"
#include "zkswarm/plugin_name.h"
#include "zkswarm/util.h"

#ifndef ZKSWARM_VERSION
#define ZKSWARM_VERSION "dev"
#endif

enum setting_type { SETTING_STRING, SETTING_INT };

struct setting;
/* Called once the value is stored in its field: refuses it out of bounds, derives what it means. */
typedef int setting_check(const struct setting *s, struct zks_config *cfg, struct zks_error *err);

struct setting {
	const char *env;
	const char *flag;
	const char *fallback; /* NULL: computed (NODE_ID: the host name) */
	const char *description;
	enum setting_type type;
	size_t offset;
	int min, max;		    /* SETTING_INT: the range; check_name, check_path: the length */
	setting_check *check;	    /* NULL: any text */
	const char *const *choices; /* check_choice: the accepted values, NULL-terminated */
	/* Set for a feature the daemon can do without: a bad value is logged with this and the
	 * default taken, rather than refusing to start. */
	const char *when_invalid;
	/* With when_invalid: the feature's off switch (a bool of zks_config, offset + 1; 0: none),
	 * set when this row's value was bad, so that the feature is not run half-configured. */
	size_t disables;
};

static setting_check check_name, check_log_level, check_path, check_choice, check_auth_file,
	check_metrics_addr, check_pool, check_pool_size, check_dns_listen, check_dns_domain,
	check_dashboard_addr, check_dashboard_token_file, check_plugin_name;

#define DASHBOARD_OFF                                                                              \
	.when_invalid = "serving without the dashboard",                                           \
	.disables = offsetof(struct zks_config, dashboard_off) + 1

/* Where a row's value goes: a string (allocated) or an int in [lo, hi]. */
#define STRING(field) .type = SETTING_STRING, .offset = offsetof(struct zks_config, field)
#define INT(field, lo, hi)                                                                         \
	.type = SETTING_INT, .offset = offsetof(struct zks_config, field), .min = (lo), .max = (hi)

static const struct setting settings[] = {
	{"ZK_HOSTS", "zk-hosts", ZKS_DEFAULT_ZK_HOSTS,
	 "ZooKeeper servers, a comma list of host:port", STRING(zk_hosts)},
	{"ZK_ROOT", "zk-root", ZKS_DEFAULT_ZK_ROOT, "ZooKeeper path under which all state lives",
	 STRING(zk_root)},
	{"NODE_ID", "node-id", NULL, "this node's name in the cluster (default: the host name)",
	 STRING(node_id), .max = 64, .check = check_name},
	{"ZK_SESSION_TIMEOUT_MS", "zk-session-timeout-ms", "10000",
	 "ZooKeeper session timeout: how long a dead node keeps its leases",
	 INT(session_timeout_ms, 1000, 600000)},
	{"MIRROR_PACE_MS", "mirror-pace-ms", "100",
	 "a burst of changes under one parent is re-read by this node's mirror at most once per "
	 "this many ms (0: at every change); also the longest a volume's deleted leases waits "
	 "for its record's deletion before it is read again",
	 INT(mirror_pace_ms, 0, 1000)},
	{"MIRROR_PACE_MAX_MS", "mirror-pace-max-ms", "1000",
	 "while a parent's children keep changing, its pace doubles at each re-read up to this "
	 "many ms, the longest a change in a burst waits (at most MIRROR_PACE_MS: it stays)",
	 INT(mirror_pace_max_ms, 0, 10000)},
	{"LOG_LEVEL", "log-level", "info", "error, warn, info or debug", STRING(log_level),
	 .check = check_log_level},
	{"SOCKET", "socket", ZKS_DEFAULT_SOCKET, "unix socket the engine connects to",
	 STRING(socket_path), .max = 108 /* sun_path, with its NUL */, .check = check_path},
	{"DATA_DIR", "data-dir", "/var/lib/zkswarm/volumes",
	 "directory holding each volume's data (shared storage for multi-node volumes)",
	 STRING(data_dir), .check = check_path},
	{"MOUNT_ROOT", "mount-root", "/mnt/volumes",
	 "where volumes are mounted for containers (the plugin's propagated mount)",
	 STRING(mount_root), .check = check_path},
	{"STATE_DIR", "state-dir", "/var/lib/zkswarm/state",
	 "local state: mount IDs held here and the saved mirror of ZooKeeper", STRING(state_dir),
	 .check = check_path},
	{"ZK_AUTH_FILE", "zk-auth-file", "",
	 "file holding `user:password` for ZooKeeper digest auth; records are then readable and "
	 "writable only with it",
	 STRING(zk_auth_file), .check = check_auth_file},
	{"METRICS_ADDR", "metrics-addr", "",
	 "host:port for Prometheus /metrics and /health, e.g. 127.0.0.1:9324 (default: off)",
	 STRING(metrics_addr), .check = check_metrics_addr,
	 .when_invalid = "serving without metrics"},
	{"NETWORK_SCOPE", "network-scope", "local",
	 "local: networks by standalone engines or swarm --config-from; global: swarm networks "
	 "created with docker network create on a manager",
	 STRING(network_scope), .check = check_choice,
	 .choices = (const char *const[]){"local", "global", NULL}},
	{"BOOT_ID_FILE", "boot-id-file", "/proc/sys/kernel/random/boot_id",
	 "where the machine's boot ID is read: mount IDs recorded in an earlier boot are dropped",
	 STRING(boot_id_file)},
	/* Any text: it is looked up at start, and one that fails leaves networks unavailable
	 * (zkswarmd.c, find_tunnel) rather than the daemon stopped. */
	{"ADVERTISE_ADDR", "advertise-addr", "",
	 "this node's VXLAN tunnel address (default: the address of the default route's device)",
	 STRING(advertise_addr)},
	{"DEFAULT_POOL", "default-pool", "10.210.0.0/16",
	 "range from which networks created without --subnet get theirs", STRING(default_pool),
	 .check = check_pool},
	{"DEFAULT_POOL_SIZE", "default-pool-size", "24",
	 "prefix length of the subnets carved from DEFAULT_POOL", INT(default_pool_size, 1, 30),
	 .check = check_pool_size},
	{"VXLAN_PORT", "vxlan-port", "4789",
	 "UDP port of the VXLAN tunnels (the same on every node)", INT(vxlan_port, 1, 65535)},
	{"REAPER_GRACE_MS", "reaper-grace-ms", "60000",
	 "how long a node must be gone before its endpoints and addresses are reclaimed",
	 INT(reaper_grace_ms, 1, INT_MAX)},
	{"NAMING", "naming", "auto",
	 "the name registry (/names): on, off, or auto (on when ENGINE_SOCKET's directory is "
	 "there, i.e. the plugin's `engine` mount)",
	 STRING(naming), .check = check_choice,
	 .choices = (const char *const[]){"auto", "on", "off", NULL}},
	{"PLUGIN_NAME", "plugin-name", "",
	 "the name the plugin is installed under, as users type it (-d NAME, --ipam-driver NAME) "
	 "in the messages that say what to type (default: the engine's name for this plugin, "
	 "learned through ENGINE_SOCKET; zkswarm without it)",
	 STRING(plugin_name), .max = ZKS_PLUGIN_NAME_MAX - 1,
	 /* its NUL */ .check = check_plugin_name},
	{"ENGINE_SOCKET", "engine-socket", "/run/zkswarm-engine/docker.sock",
	 "the engine's API socket, read by the name registry (the plugin mounts the directory of "
	 "the host's, /run by default)",
	 STRING(engine_socket), .max = 108, .check = check_path},
	{"DNS_LISTEN", "dns-listen", "",
	 "loopback ip:port where the DNS server of the cluster's names answers over UDP and TCP, "
	 "e.g. 127.0.0.1:5353 (default: off)",
	 STRING(dns_listen), .check = check_dns_listen, .when_invalid = "serving without DNS"},
	{"DNS_NETWORKS", "dns-networks", "on",
	 "answer DNS on UDP and TCP port 53 of the gateway of every network with a container on "
	 "this node, to that network's containers (use --dns GATEWAY): on or off",
	 STRING(dns_networks), .check = check_choice,
	 .choices = (const char *const[]){"on", "off", NULL}},
	{"DNS_DOMAIN", "dns-domain", ZKS_DNS_DEFAULT_DOMAIN,
	 "the DNS zone of the cluster's names: NAME.NETWORK.DNS_DOMAIN and NAME.DNS_DOMAIN",
	 STRING(dns_domain), .max = 200, .check = check_dns_domain},
	{"DNS_TTL", "dns-ttl", "1", "the TTL of every DNS answer, in seconds",
	 INT(dns_ttl, 0, 3600)},
	{"DASHBOARD_ADDR", "dashboard-addr", "",
	 "host:port (IPv4) of the read-only web dashboard, e.g. 127.0.0.1:9325 (default: off)",
	 STRING(dashboard_addr), .check = check_dashboard_addr, DASHBOARD_OFF},
	/* Below DASHBOARD_ADDR: a listener beyond loopback without a token is warned of. */
	{"DASHBOARD_TOKEN_FILE", "dashboard-token-file", "",
	 "file holding the dashboard's token (16 to 256 printable characters, no spaces): every "
	 "request must then carry it (default: no token)",
	 STRING(dashboard_token_file), .max = ZKS_DASHBOARD_TOKEN_MAX,
	 .check = check_dashboard_token_file, DASHBOARD_OFF},
	{"DASHBOARD_MAX_STREAMS", "dashboard-max-streams", "16",
	 "the dashboard's event-stream clients at once (more are answered 503)",
	 INT(dashboard_max_streams, 1, 256), DASHBOARD_OFF},
};

/* Flags' getopt values: above every character option. */
#define FLAG_BASE 256

void zks_config_usage(FILE *out)
{
	fprintf(out,
		"Usage: zkswarmd [OPTION]...\n"
		"Docker volume plugin keeping a Swarm's volumes and mount leases in ZooKeeper.\n"
		"\n"
		"Each setting comes from its flag, else its environment variable, else the default.\n"
		"\n");
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		const struct setting *s = &settings[i];
		char left[64];

		snprintf(left, sizeof(left), "--%s=%s", s->flag,
			 s->type == SETTING_INT ? "N" : "VALUE");
		fprintf(out, "  %-32s %s\n  %-32s   env %s, default %s\n", left, s->description, "",
			s->env, s->fallback && s->fallback[0] ? s->fallback : "(computed)");
	}
	fprintf(out, "  %-32s %s\n  %-32s %s\n", "--help", "show this help and exit", "--version",
		"show the version and exit");
}

static char **string_at(struct zks_config *cfg, const struct setting *s)
{
	return (char **)((char *)cfg + s->offset);
}

static int *int_at(struct zks_config *cfg, const struct setting *s)
{
	return (int *)((char *)cfg + s->offset);
}

/* ---- the checks ------------------------------------------------------------------------------ */

static int check_name(const struct setting *s, struct zks_config *cfg, struct zks_error *err)
{
	return zks_validate_name(s->env, *string_at(cfg, s), 1, (size_t)s->max, err);
}

static int check_plugin_name(const struct setting *s, struct zks_config *cfg, struct zks_error *err)
{
	const char *v = *string_at(cfg, s);

	if (strlen(v) > (size_t)s->max)
		return zks_error_set(err, ZKS_ERR_INVALID, "%s is longer than %d characters",
				     s->env, s->max);
	for (const char *p = v; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p))
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "%s must be printable and without spaces", s->env);
	return 0;
}

static int check_log_level(const struct setting *s, struct zks_config *cfg, struct zks_error *err)
{
	const char *v = *string_at(cfg, s);

	if (zks_log_parse_level(v) < 0)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "%s `%s` is not one of error, warn, info, debug", s->env, v);
	return 0;
}

static int check_path(const struct setting *s, struct zks_config *cfg, struct zks_error *err)
{
	const char *v = *string_at(cfg, s);

	if (s->max > 0 && (v[0] != '/' || strlen(v) >= (size_t)s->max))
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "%s `%s` must be an absolute path shorter than %d bytes",
				     s->env, v, s->max);
	if (v[0] != '/')
		return zks_error_set(err, ZKS_ERR_INVALID, "%s `%s` must be an absolute path",
				     s->env, v);
	return 0;
}

static int check_choice(const struct setting *s, struct zks_config *cfg, struct zks_error *err)
{
	const char *v = *string_at(cfg, s);
	char list[256] = "";
	size_t used = 0;

	for (const char *const *c = s->choices; *c != NULL; c++) {
		if (!strcmp(v, *c))
			return 0;
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
					 c == s->choices ? ""
					 : c[1] == NULL	 ? " or "
							 : ", ",
					 *c);
	}
	return zks_error_set(err, ZKS_ERR_INVALID, "%s must be %s, not `%s`", s->env, list, v);
}

static int check_auth_file(const struct setting *s, struct zks_config *cfg, struct zks_error *err)
{
	const char *path = *string_at(cfg, s);

	zks_config_drop_auth(cfg);
	if (path[0] == '\0')
		return 0;
	cfg->zk_auth = zks_auth_file_read(path, err);
	return cfg->zk_auth != NULL ? 0 : -1;
}

/* An IPv4 host:port ("" is off) into *ip (host byte order) and *port. */
static int parse_host_port(const struct setting *s, const char *addr, uint32_t *ip, uint16_t *port,
			   struct zks_error *err)
{
	const char *colon = strrchr(addr, ':');
	struct in_addr in;
	char host[64];
	char *end;
	unsigned long p;

	if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
		return zks_error_set(err, ZKS_ERR_INVALID, "%s `%s` must be host:port", s->env,
				     addr);
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	p = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || p == 0 || p > 65535 || colon[1] < '0' || colon[1] > '9' ||
	    inet_pton(AF_INET, host, &in) != 1)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "%s `%s` must be an IPv4 address and a port", s->env, addr);
	*ip = ntohl(in.s_addr);
	*port = (uint16_t)p;
	return 0;
}

static int check_metrics_addr(const struct setting *s, struct zks_config *cfg,
			      struct zks_error *err)
{
	const char *addr = *string_at(cfg, s);

	if (addr[0] == '\0')
		return 0; /* off */
	return parse_host_port(s, addr, &cfg->metrics_ip, &cfg->metrics_port, err);
}

static int check_dashboard_addr(const struct setting *s, struct zks_config *cfg,
				struct zks_error *err)
{
	const char *addr = *string_at(cfg, s);

	if (addr[0] == '\0')
		return 0; /* off */
	return parse_host_port(s, addr, &cfg->dashboard_ip, &cfg->dashboard_port, err);
}

/*
 * The token, read now (zks_dashboard_token_read); below DASHBOARD_ADDR, so a listener beyond
 * loopback without one is said once.  A bad file turns the dashboard off (the row's
 * DASHBOARD_OFF), never on without its token.
 */
static int check_dashboard_token_file(const struct setting *s, struct zks_config *cfg,
				      struct zks_error *err)
{
	const char *path = *string_at(cfg, s);

	zks_config_drop_dashboard_token(cfg);
	if (path[0] == '\0') {
		if (!cfg->dashboard_off && cfg->dashboard_addr[0] != '\0' &&
		    cfg->dashboard_ip >> 24 != 127)
			log_warn("zkswarmd: DASHBOARD_ADDR `%s` is beyond loopback and no "
				 "DASHBOARD_TOKEN_FILE is set: anyone who reaches it sees the "
				 "cluster",
				 cfg->dashboard_addr);
		return 0;
	}
	cfg->dashboard_token = zks_dashboard_token_read(path, (size_t)s->max, err);
	return cfg->dashboard_token != NULL ? 0 : -1;
}

static int check_dns_listen(const struct setting *s, struct zks_config *cfg, struct zks_error *err)
{
	const char *v = *string_at(cfg, s);
	uint32_t ip;
	uint16_t port;

	if (v[0] == '\0')
		return 0; /* off */
	if (zks_dns_listen_parse(v, &ip, &port, err) < 0)
		return -1;
	if (port == 0)
		return zks_error_set(err, ZKS_ERR_INVALID, "DNS_LISTEN `%s` needs a port", v);
	return 0;
}

static int check_dns_domain(const struct setting *s, struct zks_config *cfg, struct zks_error *err)
{
	return zks_dns_domain_check(*string_at(cfg, s), (size_t)s->max, err);
}

static int check_pool(const struct setting *s, struct zks_config *cfg, struct zks_error *err)
{
	if (zks_cidr_parse(*string_at(cfg, s), &cfg->pool, err) < 0 ||
	    zks_cidr_check_pool(&cfg->pool, err) < 0)
		return zks_error_prefix(err, "%s", s->env);
	return 0;
}

/* The subnets are carved from DEFAULT_POOL (parsed above): none may be larger than the pool. */
static int check_pool_size(const struct setting *s, struct zks_config *cfg, struct zks_error *err)
{
	if (*int_at(cfg, s) < cfg->pool.len)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "%s must be from %u (DEFAULT_POOL's) to %d", s->env,
				     cfg->pool.len, s->max);
	return 0;
}

/* ---- reading them ---------------------------------------------------------------------------- */

static int parse_int(const struct setting *s, const char *text, int *out, struct zks_error *err)
{
	char *end;
	long v;

	/* strtol would skip blanks and take a sign: only digits are numbers here. */
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || text[0] < '0' || text[0] > '9' || *end != '\0' || v < s->min || v > s->max)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "%s must be an integer from %d to %d, not `%s`", s->env,
				     s->min, s->max, text);
	*out = (int)v;
	return 0;
}

static int parse_setting(struct zks_config *cfg, const struct setting *s, const char *text,
			 struct zks_error *err)
{
	if (s->type == SETTING_INT) {
		if (parse_int(s, text, int_at(cfg, s), err) < 0)
			return -1;
	} else {
		free(*string_at(cfg, s));
		*string_at(cfg, s) = xstrdup(text);
	}
	return s->check != NULL ? s->check(s, cfg, err) : 0;
}

static int parse_all(struct zks_config *cfg, const char *const *text, struct zks_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		const struct setting *s = &settings[i];

		if (parse_setting(cfg, s, text[i], err) == 0)
			continue;
		if (s->when_invalid == NULL)
			return -1;
		log_error("zkswarmd: %s; %s", err->msg, s->when_invalid);
		zks_error_clear(err);
		if (s->disables != 0)
			*(bool *)((char *)cfg + s->disables - 1) = true;
		if (parse_setting(cfg, s, s->fallback, err) < 0)
			return -1;
	}
	return 0;
}

/* Each setting's text from the environment, else its default; host holds the computed one. */
static void read_env(const char **text, char *host, size_t hostlen)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		const struct setting *s = &settings[i];
		const char *env = getenv(s->env);

		if (env != NULL && env[0] != '\0') {
			text[i] = env;
		} else if (s->fallback != NULL) {
			text[i] = s->fallback;
		} else {
			if (gethostname(host, hostlen) < 0)
				snprintf(host, hostlen, "node");
			host[hostlen - 1] = '\0';
			text[i] = host;
		}
	}
}

/* Flags over the environment: 0, 1 when --help or --version was answered, -1 on a bad one. */
static int read_flags(const char **text, int argc, char **argv, struct zks_error *err)
{
	struct option longopts[ARRAY_SIZE(settings) + 3];
	size_t i;
	int c;

	for (i = 0; i < ARRAY_SIZE(settings); i++)
		longopts[i] = (struct option){settings[i].flag, required_argument, NULL,
					      FLAG_BASE + (int)i};
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
		if (c < FLAG_BASE || (size_t)(c - FLAG_BASE) >= ARRAY_SIZE(settings))
			return zks_error_set(err, ZKS_ERR_INVALID, "unknown option; see --help");
		text[c - FLAG_BASE] = optarg;
	}
	if (optind < argc)
		return zks_error_set(err, ZKS_ERR_INVALID, "unexpected argument `%s`; see --help",
				     argv[optind]);
	return 0;
}

int zks_config_load(struct zks_config *cfg, int argc, char **argv, struct zks_error *err)
{
	const char *text[ARRAY_SIZE(settings)];
	char host[256];
	int r;

	memset(cfg, 0, sizeof(*cfg));
	read_env(text, host, sizeof(host));
	r = read_flags(text, argc, argv, err);
	if (r != 0)
		return r;
	return parse_all(cfg, text, err);
}

void zks_config_drop_auth(struct zks_config *cfg)
{
	if (cfg->zk_auth != NULL)
		explicit_bzero(cfg->zk_auth, strlen(cfg->zk_auth));
	free(cfg->zk_auth);
	cfg->zk_auth = NULL;
}

void zks_config_free(struct zks_config *cfg)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
		if (settings[i].type == SETTING_STRING) {
			free(*string_at(cfg, &settings[i]));
			*string_at(cfg, &settings[i]) = NULL;
		}
	zks_config_drop_auth(cfg);
	zks_config_drop_dashboard_token(cfg);
}

void zks_config_drop_dashboard_token(struct zks_config *cfg)
{
	if (cfg->dashboard_token != NULL)
		explicit_bzero(cfg->dashboard_token, strlen(cfg->dashboard_token));
	free(cfg->dashboard_token);
	cfg->dashboard_token = NULL;
}

char *zks_dashboard_token_read(const char *path, size_t max, struct zks_error *err)
{
	char *text = NULL;
	size_t len;

	if (zks_read_file(path, max + 2, &text, &len, err) < 0) {
		err->code = ZKS_ERR_INVALID;
		zks_error_prefix(err, "DASHBOARD_TOKEN_FILE");
		return NULL;
	}
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (text[i] <= ' ' || text[i] > '~')
			len = 0; /* a space, a control or a byte beyond ASCII: refused below */
	if (len < ZKS_DASHBOARD_TOKEN_MIN || len > max) {
		explicit_bzero(text, strlen(text));
		free(text);
		zks_error_set(
			err, ZKS_ERR_INVALID,
			"DASHBOARD_TOKEN_FILE `%s` must hold one token of %d to %zu printable "
			"ASCII characters without spaces",
			path, ZKS_DASHBOARD_TOKEN_MIN, max);
		return NULL;
	}
	return text;
}

char *zks_auth_file_read(const char *path, struct zks_error *err)
{
	char *text = NULL;
	size_t len;

	if (zks_read_file(path, 1024, &text, &len, err) < 0) {
		err->code = ZKS_ERR_INVALID;
		zks_error_prefix(err, "ZK_AUTH_FILE");
		return NULL;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (strchr(text, ':') == NULL || text[0] == ':') {
		explicit_bzero(text, len);
		free(text);
		zks_error_set(err, ZKS_ERR_INVALID, "ZK_AUTH_FILE `%s` must hold user:password",
			      path);
		return NULL;
	}
	return text;
}
