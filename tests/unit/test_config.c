/*
 * test_config.c - the daemon's settings (config.c): every setting's default,
 * its bounds (just outside refused with a message naming the setting, the edge
 * accepted), malformed values, the order flag > environment > default, and
 * the auth file, from its setting and read directly as zkswarmctl does.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "zkswarm/config.h"
#include "zkswarm/util.h"

/* Every setting's variable: cleared before each test, so that the machine's own do not leak in. */
static const char *const env_names[] = {
	"ZK_HOSTS",
	"ZK_ROOT",
	"NODE_ID",
	"ZK_SESSION_TIMEOUT_MS",
	"MIRROR_PACE_MS",
	"MIRROR_PACE_MAX_MS",
	"LOG_LEVEL",
	"SOCKET",
	"DATA_DIR",
	"MOUNT_ROOT",
	"STATE_DIR",
	"ZK_AUTH_FILE",
	"METRICS_ADDR",
	"NETWORK_SCOPE",
	"BOOT_ID_FILE",
	"ADVERTISE_ADDR",
	"DEFAULT_POOL",
	"DEFAULT_POOL_SIZE",
	"VXLAN_PORT",
	"REAPER_GRACE_MS",
	"NAMING",
	"ENGINE_SOCKET",
	"DNS_LISTEN",
	"DNS_DOMAIN",
	"DNS_TTL",
	"DNS_NETWORKS",
	"DASHBOARD_ADDR",
	"DASHBOARD_TOKEN_FILE",
	"DASHBOARD_MAX_STREAMS",
};

static int clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(env_names); i++)
		unsetenv(env_names[i]);
	return 0;
}

/* zks_config_load over "zkswarmd" and the given flags (NULL-terminated). */
static int load_argv(struct zks_config *cfg, struct zks_error *err, const char *const *flags)
{
	char *argv[16] = {"zkswarmd"};
	int argc = 1;

	while (flags != NULL && *flags != NULL && argc < (int)ARRAY_SIZE(argv) - 1)
		argv[argc++] = (char *)*flags++;
	return zks_config_load(cfg, argc, argv, err);
}

/* The setting's flag: its variable in lower case, '-' for '_' (the table's convention). */
static char *flag_of(const char *env, const char *value)
{
	char *flag = xasprintf("--%s=%s", env, value);

	for (char *p = flag + 2; *p != '='; p++)
		*p = *p == '_' ? '-' : (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	return flag;
}

/* Load with env=value, once from the environment and once as a flag: both must agree. */
static int load_one(const char *env, const char *value, struct zks_config *cfg,
		    struct zks_error *err)
{
	cleanup_free char *flag = flag_of(env, value);
	const char *flags[] = {flag, NULL};
	struct zks_error flag_err = {0};
	int r_env = 0, r_flag;

	/* An empty variable counts as unset: only the flag can say "". */
	if (value[0] != '\0') {
		setenv(env, value, 1);
		r_env = zks_config_load(cfg, 1, (char *[]){"zkswarmd", NULL}, err);
		unsetenv(env);
		zks_config_free(cfg);
	}
	r_flag = load_argv(cfg, &flag_err, flags);
	if (value[0] == '\0')
		*err = flag_err;
	else
		assert_int_equal(r_env, r_flag);
	return r_flag;
}

static void accept_value(const char *env, const char *value)
{
	struct zks_config cfg;
	struct zks_error err = {0};

	assert_ok(load_one(env, value, &cfg, &err), &err);
	zks_config_free(&cfg);
}

/* Refused, with a message that names the setting and contains want (NULL: the value). */
static void refuse_value(const char *env, const char *value, const char *want)
{
	struct zks_config cfg;
	struct zks_error err = {0};
	int rc = load_one(env, value, &cfg, &err);

	if (rc == 0)
		print_error("%s=`%s` was accepted\n", env, value);
	assert_error(rc, &err, ZKS_ERR_INVALID);
	assert_contains(err.msg, env);
	assert_contains(err.msg, want != NULL ? want : value);
	zks_config_free(&cfg);
}

static void test_defaults(void **state)
{
	struct zks_config cfg;
	struct zks_error err = {0};

	(void)state;
	assert_ok(load_argv(&cfg, &err, NULL), &err);
	assert_string_equal(cfg.zk_hosts, "127.0.0.1:2181");
	assert_string_equal(cfg.zk_hosts, ZKS_DEFAULT_ZK_HOSTS);
	assert_string_equal(cfg.zk_root, "/zkswarm");
	assert_string_equal(cfg.zk_root, ZKS_DEFAULT_ZK_ROOT);
	assert_int_equal(cfg.session_timeout_ms, 10000);
	assert_int_equal(cfg.mirror_pace_ms, 100);
	assert_int_equal(cfg.mirror_pace_max_ms, 1000);
	assert_string_equal(cfg.log_level, "info");
	assert_string_equal(cfg.socket_path, "/run/docker/plugins/zkswarm.sock");
	assert_string_equal(cfg.socket_path, ZKS_DEFAULT_SOCKET);
	assert_string_equal(cfg.data_dir, "/var/lib/zkswarm/volumes");
	assert_string_equal(cfg.mount_root, "/mnt/volumes");
	assert_string_equal(cfg.state_dir, "/var/lib/zkswarm/state");
	assert_string_equal(cfg.zk_auth_file, "");
	assert_null(cfg.zk_auth);
	assert_string_equal(cfg.metrics_addr, "");
	assert_string_equal(cfg.network_scope, "local");
	assert_string_equal(cfg.boot_id_file, "/proc/sys/kernel/random/boot_id");
	assert_string_equal(cfg.advertise_addr, "");
	assert_string_equal(cfg.default_pool, "10.210.0.0/16");
	assert_int_equal(cfg.pool.addr, 0x0ad20000);
	assert_int_equal(cfg.pool.len, 16);
	assert_int_equal(cfg.default_pool_size, 24);
	assert_int_equal(cfg.vxlan_port, 4789);
	assert_int_equal(cfg.reaper_grace_ms, 60000);
	assert_string_equal(cfg.naming, "auto");
	assert_string_equal(cfg.engine_socket, "/run/zkswarm-engine/docker.sock");
	assert_string_equal(cfg.dns_listen, "");
	assert_string_equal(cfg.dns_domain, "zkswarm.");
	assert_int_equal(cfg.dns_ttl, 1);
	assert_string_equal(cfg.dashboard_addr, "");
	assert_string_equal(cfg.dashboard_token_file, "");
	assert_null(cfg.dashboard_token);
	assert_int_equal(cfg.dashboard_max_streams, 16);
	assert_false(cfg.dashboard_off);
	zks_config_free(&cfg);
	zks_config_free(&cfg); /* twice is harmless */
}

static void test_node_id_defaults_to_the_host_name(void **state)
{
	struct zks_config cfg;
	struct zks_error err = {0};
	char host[256];

	(void)state;
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	assert_ok(load_argv(&cfg, &err, NULL), &err);
	assert_string_equal(cfg.node_id, host);
	zks_config_free(&cfg);
}

static void test_numbers_at_their_bounds(void **state)
{
	static const struct {
		const char *env, *below, *min, *max, *above, *range;
	} ints[] = {
		{"ZK_SESSION_TIMEOUT_MS", "999", "1000", "600000", "600001", "from 1000 to 600000"},
		{"VXLAN_PORT", "0", "1", "65535", "65536", "from 1 to 65535"},
		{"REAPER_GRACE_MS", "0", "1", "2147483647", "2147483648", "from 1 to 2147483647"},
		{"DEFAULT_POOL_SIZE", "15", "16", "30", "31", "to 30"},
		{"DNS_TTL", "-1", "0", "3600", "3601", "from 0 to 3600"},
		{"MIRROR_PACE_MS", "-1", "0", "1000", "1001", "from 0 to 1000"},
		{"MIRROR_PACE_MAX_MS", "-1", "0", "10000", "10001", "from 0 to 10000"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++) {
		refuse_value(ints[i].env, ints[i].below, ints[i].range);
		accept_value(ints[i].env, ints[i].min);
		accept_value(ints[i].env, ints[i].max);
		refuse_value(ints[i].env, ints[i].above, ints[i].range);
	}
}

static void test_malformed_numbers(void **state)
{
	static const char *const envs[] = {"ZK_SESSION_TIMEOUT_MS", "VXLAN_PORT", "REAPER_GRACE_MS",
					   "DEFAULT_POOL_SIZE"};
	static const char *const bad[] = {"",	 "24a",	  "0x18", " 24", "+24",
					  "-24", "2.4e1", "24 ",  "ten", "99999999999999999999"};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(envs); i++)
		for (size_t j = 0; j < ARRAY_SIZE(bad); j++)
			refuse_value(envs[i], bad[j], "must be an integer");
}

static void test_pool_size_follows_the_pool(void **state)
{
	struct zks_config cfg;
	struct zks_error err = {0};

	(void)state;
	setenv("DEFAULT_POOL", "198.18.160.0/19", 1);
	refuse_value("DEFAULT_POOL_SIZE", "18", "from 19 (DEFAULT_POOL's) to 30");
	accept_value("DEFAULT_POOL_SIZE", "19");
	unsetenv("DEFAULT_POOL");
	setenv("DEFAULT_POOL_SIZE", "26", 1);
	assert_ok(load_argv(&cfg, &err, (const char *[]){"--default-pool=198.18.160.0/19", NULL}),
		  &err);
	assert_int_equal(cfg.pool.len, 19);
	assert_int_equal(cfg.default_pool_size, 26);
	zks_config_free(&cfg);
}

static void test_default_pool(void **state)
{
	(void)state;
	accept_value("DEFAULT_POOL", "198.18.0.0/15");
	accept_value("DEFAULT_POOL", "10.0.0.0/16");
	refuse_value("DEFAULT_POOL", "", "DEFAULT_POOL: ");
	refuse_value("DEFAULT_POOL", "10.210.0.1/16", "DEFAULT_POOL: "); /* host bits */
	refuse_value("DEFAULT_POOL", "127.0.0.0/16", "DEFAULT_POOL: ");	 /* loopback */
	refuse_value("DEFAULT_POOL", "224.0.0.0/16", "DEFAULT_POOL: ");	 /* multicast */
	refuse_value("DEFAULT_POOL", "10.210.0.0", "DEFAULT_POOL: ");	 /* no length */
	refuse_value("DEFAULT_POOL", "10.210.0.0/33", "DEFAULT_POOL: ");
	refuse_value("DEFAULT_POOL", "pool", "DEFAULT_POOL: ");
}

static void test_paths(void **state)
{
	static const char *const dirs[] = {"DATA_DIR", "MOUNT_ROOT", "STATE_DIR"};
	char sock[120] = "/";

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		accept_value(dirs[i], "/");
		accept_value(dirs[i], "/srv/zkswarm");
		refuse_value(dirs[i], "srv/zkswarm", "must be an absolute path");
		refuse_value(dirs[i], "", "must be an absolute path");
	}
	refuse_value("SOCKET", "zkswarm.sock", "must be an absolute path shorter than 108 bytes");
	refuse_value("SOCKET", "", "must be an absolute path");
	/* sun_path holds 108 bytes with the NUL: 107 is the longest path. */
	memset(sock + 1, 's', 106);
	sock[107] = '\0';
	accept_value("SOCKET", sock);
	sock[107] = 's';
	sock[108] = '\0';
	refuse_value("SOCKET", sock, "shorter than 108 bytes");
}

static void test_choices(void **state)
{
	static const char *const levels[] = {"error", "warn", "info", "debug", "DEBUG", "warning"};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
		accept_value("LOG_LEVEL", levels[i]);
	refuse_value("LOG_LEVEL", "verbose", "is not one of error, warn, info, debug");
	refuse_value("LOG_LEVEL", "", "is not one of");
	accept_value("NETWORK_SCOPE", "local");
	accept_value("NETWORK_SCOPE", "global");
	refuse_value("NETWORK_SCOPE", "Global", "must be local or global, not `Global`");
	refuse_value("NETWORK_SCOPE", "swarm", "must be local or global");
	refuse_value("NETWORK_SCOPE", "", "must be local or global");
	accept_value("NAMING", "on");
	accept_value("NAMING", "off");
	refuse_value("NAMING", "yes", "must be auto, on or off, not `yes`");
	accept_value("DNS_NETWORKS", "on");
	accept_value("DNS_NETWORKS", "off");
	refuse_value("DNS_NETWORKS", "1", "must be on or off, not `1`");
	accept_value("ENGINE_SOCKET", "/run/docker.sock");
	refuse_value("ENGINE_SOCKET", "docker.sock", "absolute path");
}

static void test_node_id(void **state)
{
	char name[70];

	(void)state;
	accept_value("NODE_ID", "node-1");
	accept_value("NODE_ID", "n");
	memset(name, 'n', 64);
	name[64] = '\0';
	accept_value("NODE_ID", name);
	name[64] = 'n';
	name[65] = '\0';
	refuse_value("NODE_ID", name, "1 to 64 characters");
	refuse_value("NODE_ID", "a/b", "is invalid");
	refuse_value("NODE_ID", "-node", "is invalid");
	refuse_value("NODE_ID", "", "name is empty");
}

static void test_metrics_addr(void **state)
{
	static const char *const bad[] = {"127.0.0.1",	     "localhost:9324", "127.0.0.1:0",
					  "127.0.0.1:65536", "127.0.0.1:93x",  ":9324",
					  "[::1]:9324",	     "127.0.0.1:-1"};
	struct zks_config cfg;
	struct zks_error err = {0};

	(void)state;
	assert_ok(load_argv(&cfg, &err, (const char *[]){"--metrics-addr=127.0.0.2:9324", NULL}),
		  &err);
	assert_string_equal(cfg.metrics_addr, "127.0.0.2:9324");
	assert_int_equal(cfg.metrics_ip, 0x7f000002);
	assert_int_equal(cfg.metrics_port, 9324);
	zks_config_free(&cfg);
	accept_value("METRICS_ADDR", "0.0.0.0:65535");
	/* Metrics are not a reason to stop: a bad address is logged and metrics stay off. */
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		setenv("METRICS_ADDR", bad[i], 1);
		assert_ok(load_argv(&cfg, &err, NULL), &err);
		assert_string_equal(cfg.metrics_addr, "");
		zks_config_free(&cfg);
	}
}

static void test_dns_settings(void **state)
{
	static const char *const bad_listen[] = {"10.0.0.1:5353", "0.0.0.0:53",	     "127.0.0.1",
						 "127.0.0.1:0",	  "127.0.0.1:65536", "localhost:53",
						 "[::1]:53"};
	static const char *const bad_domain[] = {"", ".", "a..b", "a b.", "-\x01.", "x/y."};
	struct zks_config cfg;
	struct zks_error err = {0};

	(void)state;
	accept_value("DNS_LISTEN", "127.0.0.1:5353");
	accept_value("DNS_LISTEN", "127.1.2.3:53");
	accept_value("DNS_DOMAIN", "cluster.example");
	accept_value("DNS_DOMAIN", "zk-swarm.internal.");
	/* DNS is not a reason to stop: a bad or non-loopback address is logged and DNS stays off. */
	for (size_t i = 0; i < ARRAY_SIZE(bad_listen); i++) {
		setenv("DNS_LISTEN", bad_listen[i], 1);
		assert_ok(load_argv(&cfg, &err, NULL), &err);
		assert_string_equal(cfg.dns_listen, "");
		zks_config_free(&cfg);
	}
	unsetenv("DNS_LISTEN");
	for (size_t i = 0; i < ARRAY_SIZE(bad_domain); i++)
		if (bad_domain[i][0] != '\0')
			refuse_value("DNS_DOMAIN", bad_domain[i], "DNS_DOMAIN");
}

static void test_other_text_settings_take_any_value(void **state)
{
	struct zks_config cfg;
	struct zks_error err = {0};

	(void)state;
	setenv("ZK_HOSTS", "zk1:2181,zk2:2181", 1);
	setenv("ZK_ROOT", "/other", 1);
	setenv("BOOT_ID_FILE", "/tmp/boot_id", 1);
	setenv("ADVERTISE_ADDR", "not looked up here", 1);
	assert_ok(load_argv(&cfg, &err, NULL), &err);
	assert_string_equal(cfg.zk_hosts, "zk1:2181,zk2:2181");
	assert_string_equal(cfg.zk_root, "/other");
	assert_string_equal(cfg.boot_id_file, "/tmp/boot_id");
	assert_string_equal(cfg.advertise_addr, "not looked up here");
	zks_config_free(&cfg);
}

static void test_flag_over_environment_over_default(void **state)
{
	struct zks_config cfg;
	struct zks_error err = {0};

	(void)state;
	setenv("VXLAN_PORT", "5000", 1);
	setenv("LOG_LEVEL", "debug", 1);
	assert_ok(load_argv(&cfg, &err, (const char *[]){"--vxlan-port=6000", NULL}), &err);
	assert_int_equal(cfg.vxlan_port, 6000);
	assert_string_equal(cfg.log_level, "debug");
	zks_config_free(&cfg);
	/* A flag replaces the variable's text before it is read: a bad variable under it is moot. */
	setenv("VXLAN_PORT", "none", 1);
	assert_ok(load_argv(&cfg, &err, (const char *[]){"--vxlan-port", "6001", NULL}), &err);
	assert_int_equal(cfg.vxlan_port, 6001);
	zks_config_free(&cfg);
	/* An empty variable is unset. */
	setenv("VXLAN_PORT", "", 1);
	assert_ok(load_argv(&cfg, &err, NULL), &err);
	assert_int_equal(cfg.vxlan_port, 4789);
	zks_config_free(&cfg);
}

static void test_command_line_errors(void **state)
{
	struct zks_config cfg;
	struct zks_error err = {0};

	(void)state;
	assert_error(load_argv(&cfg, &err, (const char *[]){"--no-such-flag=1", NULL}), &err,
		     ZKS_ERR_INVALID);
	assert_contains(err.msg, "unknown option");
	zks_config_free(&cfg);
	assert_error(load_argv(&cfg, &err, (const char *[]){"serve", NULL}), &err, ZKS_ERR_INVALID);
	assert_contains(err.msg, "unexpected argument `serve`");
	zks_config_free(&cfg);
	assert_int_equal(load_argv(&cfg, &err, (const char *[]){"--version", NULL}), 1);
	zks_config_free(&cfg);
}

/* An auth file under a fresh directory; free the result (the directory goes with teardown). */
static char *auth_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_auth_file(void **state)
{
	cleanup_free char *dir = test_mkdtemp();
	cleanup_free char *good = auth_file(dir, "good", "ops:s3cret\n");
	cleanup_free char *crlf = auth_file(dir, "crlf", "ops:pa:ss\r\n");
	cleanup_free char *no_colon = auth_file(dir, "no-colon", "opsuser\n");
	cleanup_free char *no_user = auth_file(dir, "no-user", ":s3cret\n");
	cleanup_free char *empty = auth_file(dir, "empty", "");
	cleanup_free char *missing = xasprintf("%s/missing", dir);
	struct zks_config cfg;
	struct zks_error err = {0};
	char *auth;

	(void)state;
	/* From the setting: read once, kept until the store has its copy. */
	assert_ok(load_argv(&cfg, &err, (const char *[]){"--zk-auth-file", good, NULL}), &err);
	assert_string_equal(cfg.zk_auth_file, good);
	assert_string_equal(cfg.zk_auth, "ops:s3cret");
	zks_config_drop_auth(&cfg);
	assert_null(cfg.zk_auth);
	zks_config_free(&cfg);
	accept_value("ZK_AUTH_FILE", crlf);
	refuse_value("ZK_AUTH_FILE", no_colon, "must hold user:password");
	refuse_value("ZK_AUTH_FILE", no_user, "must hold user:password");
	refuse_value("ZK_AUTH_FILE", empty, "must hold user:password");
	refuse_value("ZK_AUTH_FILE", missing, missing);
	refuse_value("ZK_AUTH_FILE", dir, dir);

	/* Read directly, as zkswarmctl does for --zk-auth-file. */
	auth = zks_auth_file_read(crlf, &err);
	assert_non_null(auth);
	assert_string_equal(auth, "ops:pa:ss");
	free(auth);
	assert_null(zks_auth_file_read(missing, &err));
	assert_int_equal(err.code, ZKS_ERR_INVALID);
	assert_contains(err.msg, "ZK_AUTH_FILE: ");
	assert_null(zks_auth_file_read(no_colon, &err));
	assert_int_equal(err.code, ZKS_ERR_INVALID);
	assert_contains(err.msg, "must hold user:password");
	assert_not_contains(err.msg, "opsuser");
	test_rmtree(dir);
}

/* The dashboard's address and limit: a bad one is logged and the dashboard stays off. */
static void test_dashboard_settings(void **state)
{
	static const char *const bad_addr[] = {"127.0.0.1",	  "localhost:9325", "127.0.0.1:0",
					       "127.0.0.1:65536", "[::1]:9325",	    "127.0.0.1:+9"};
	static const char *const bad_streams[] = {"0", "257", "-1", "16x", ""};
	struct zks_config cfg;
	struct zks_error err = {0};

	(void)state;
	assert_ok(load_argv(&cfg, &err,
			    (const char *[]){"--dashboard-addr=127.0.0.3:9325",
					     "--dashboard-max-streams=256", NULL}),
		  &err);
	assert_int_equal(cfg.dashboard_ip, 0x7f000003);
	assert_int_equal(cfg.dashboard_port, 9325);
	assert_int_equal(cfg.dashboard_max_streams, 256);
	assert_false(cfg.dashboard_off);
	zks_config_free(&cfg);
	accept_value("DASHBOARD_ADDR", "0.0.0.0:1");
	accept_value("DASHBOARD_MAX_STREAMS", "1");
	for (size_t i = 0; i < ARRAY_SIZE(bad_addr); i++) {
		assert_ok(load_argv(&cfg, &err,
				    (const char *[]){"--dashboard-addr", bad_addr[i], NULL}),
			  &err);
		assert_string_equal(cfg.dashboard_addr, "");
		assert_true(cfg.dashboard_off);
		zks_config_free(&cfg);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_streams); i++) {
		assert_ok(load_argv(&cfg, &err,
				    (const char *[]){"--dashboard-addr=127.0.0.1:9325",
						     "--dashboard-max-streams", bad_streams[i],
						     NULL}),
			  &err);
		assert_true(cfg.dashboard_off);
		assert_int_equal(cfg.dashboard_max_streams, 16);
		zks_config_free(&cfg);
	}
}

/* The token file: read at start; a bad one turns the dashboard off, never on without it. */
static void test_dashboard_token_file(void **state)
{
	cleanup_free char *dir = test_mkdtemp();
	cleanup_free char *good = auth_file(dir, "good", "0123456789abcdef~!\n");
	cleanup_free char *longest = xasprintf("%s/longest", dir);
	cleanup_free char *too_long = xasprintf("%s/too-long", dir);
	cleanup_free char *short_ = auth_file(dir, "short", "0123456789abcde\n");
	cleanup_free char *spaced = auth_file(dir, "spaced", "0123456789 abcdef\n");
	cleanup_free char *two = auth_file(dir, "two", "0123456789abcdef\n\n");
	cleanup_free char *utf8 = auth_file(dir, "utf8", "0123456789abcdef\xc3\xa9\n");
	cleanup_free char *missing = xasprintf("%s/missing", dir);
	const char *bad[] = {too_long, short_, spaced, two, utf8, missing};
	char text[260];
	struct zks_config cfg;
	struct zks_error err = {0};
	char *tok;
	FILE *f;

	(void)state;
	memset(text, 'x', sizeof(text));
	text[256] = '\0';
	f = fopen(longest, "w");
	fputs(text, f);
	fclose(f);
	text[256] = 'x';
	text[257] = '\0';
	f = fopen(too_long, "w");
	fputs(text, f);
	fclose(f);
	assert_ok(load_argv(&cfg, &err,
			    (const char *[]){"--dashboard-addr=127.0.0.1:9325",
					     "--dashboard-token-file", good, NULL}),
		  &err);
	assert_string_equal(cfg.dashboard_token, "0123456789abcdef~!");
	assert_false(cfg.dashboard_off);
	zks_config_free(&cfg);
	assert_null(cfg.dashboard_token);
	tok = zks_dashboard_token_read(longest, ZKS_DASHBOARD_TOKEN_MAX, &err);
	assert_non_null(tok);
	assert_int_equal(strlen(tok), 256);
	free(tok);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_null(zks_dashboard_token_read(bad[i], ZKS_DASHBOARD_TOKEN_MAX, &err));
		assert_int_equal(err.code, ZKS_ERR_INVALID);
		assert_contains(err.msg, "DASHBOARD_TOKEN_FILE");
		assert_not_contains(err.msg, "0123456789");
		assert_ok(load_argv(&cfg, &err,
				    (const char *[]){"--dashboard-addr=127.0.0.1:9325",
						     "--dashboard-token-file", bad[i], NULL}),
			  &err);
		assert_true(cfg.dashboard_off);
		assert_null(cfg.dashboard_token);
		zks_config_free(&cfg);
	}
	test_rmtree(dir);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, clear_env)
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_node_id_defaults_to_the_host_name),
		T(test_numbers_at_their_bounds),
		T(test_malformed_numbers),
		T(test_pool_size_follows_the_pool),
		T(test_default_pool),
		T(test_paths),
		T(test_choices),
		T(test_node_id),
		T(test_metrics_addr),
		T(test_dashboard_settings),
		T(test_dashboard_token_file),
		T(test_dns_settings),
		T(test_other_text_settings_take_any_value),
		T(test_flag_over_environment_over_default),
		T(test_command_line_errors),
		T(test_auth_file),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
