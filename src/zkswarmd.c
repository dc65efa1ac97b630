/*
 * zkswarmd - the zkswarm plugin daemon.
 *
 * Start-up order matters to the engine: it gives a managed plugin about ten
 * seconds to accept on its socket (docs/PROTOCOL.md §1.5), so the socket comes
 * first and nothing here waits for ZooKeeper.  Reads answer from the mirror
 * (loaded from disk, stale until ZooKeeper answers) from the first request.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "zkswarm/api.h"
#include "zkswarm/cidr.h"
#include "zkswarm/config.h"
#include "zkswarm/config_sync.h"
#include "zkswarm/dashboard.h"
#include "zkswarm/dns.h"
#include "zkswarm/fs.h"
#include "zkswarm/heartbeat.h"
#include "zkswarm/http.h"
#include "zkswarm/log.h"
#include "zkswarm/metrics.h"
#include "zkswarm/naming.h"
#include "zkswarm/netlink.h"
#include "zkswarm/reaper.h"
#include "zkswarm/records.h"
#include "zkswarm/store.h"
#include "zkswarm/util.h"
#include "zkswarm/volume_snapshots.h"
#include "zkswarm/volumes.h"

/*
 * The tunnel address: ADVERTISE_ADDR, or the default route's.  Without one the
 * daemon still serves volumes; network requests then say why they cannot work.
 */
static void find_tunnel(const struct zks_config *cfg, struct zks_networks_config *nc, char *why,
			size_t whylen)
{
	char ifname[IF_NAMESIZE];
	struct zks_error err;
	struct in_addr addr = {0};
	int ifindex = 0, mtu = 1500;

	if (cfg->advertise_addr[0] != '\0') {
		uint32_t ip;

		if (zks_ip_parse(cfg->advertise_addr, &ip, &err) < 0 ||
		    (addr.s_addr = htonl(ip),
		     zks_net_address_device(addr, ifname, &ifindex, &mtu, &err) < 0)) {
			snprintf(why, whylen, "ADVERTISE_ADDR: %s", err.msg);
			return;
		}
	} else if (zks_net_default_address(&addr, ifname, &mtu, &err) < 0 ||
		   zks_net_address_device(addr, ifname, &ifindex, &mtu, &err) < 0) {
		snprintf(why, whylen, "%s", err.msg);
		return;
	}
	nc->tunnel = addr;
	nc->underlay_ifindex = ifindex;
	nc->underlay_mtu = mtu;
	log_info("networks: tunnel address %s on %s (MTU %d)", inet_ntoa(addr), ifname, mtu);
}

/*
 * One daemon per state directory: a second one would fight the first over the
 * saved ZooKeeper session (each resume steals it) and over mounts.json.
 */
static int lock_state_dir(const char *dir, struct zks_error *err)
{
	cleanup_free char *path = xasprintf("%s/lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return zks_error_errno(err, errno, "open `%s`", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return zks_error_set(
			err, ZKS_ERR_CONFLICT,
			"another zkswarmd uses STATE_DIR `%s`; each daemon needs its own", dir);
	}
	return fd; /* held until the process exits */
}

/* Everything main starts, for the functions that start and stop it. */
struct daemon {
	struct zks_config cfg;
	int fd; /* the plugin socket */
	struct zks_store *store;
	struct zks_app app;
	struct zks_reaper *reaper;
	struct zks_http *http;
	struct zks_metrics_server *metrics;
	struct zks_naming *naming;	     /* NULL: naming off */
	struct zks_plugin_name *plugin_name; /* set, learned by naming, or the default */
	struct zks_config_sync *configs;
	struct zks_dns *dns;
	struct zks_heartbeat *beat;
	struct zks_dashboard *dashboard; /* NULL: off */
};

/* Signals are taken by sigwait in main; no other thread may see them. */
static void block_signals(sigset_t *signals)
{
	sigemptyset(signals);
	sigaddset(signals, SIGTERM);
	sigaddset(signals, SIGINT);
	sigaddset(signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, signals, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The store, after taking STATE_DIR: its mirror and saved session live there. */
static int start_store(struct daemon *d, struct zks_error *err)
{
	const struct zks_config *cfg = &d->cfg;
	cleanup_free char *mirror = xasprintf("%s/mirror.json", cfg->state_dir);
	cleanup_free char *session = xasprintf("%s/session", cfg->state_dir);
	struct zks_zk_config zk = {
		.hosts = cfg->zk_hosts,
		.root = cfg->zk_root,
		.session_timeout_ms = cfg->session_timeout_ms,
		.mirror_file = mirror,
		.session_file = session,
		.auth = cfg->zk_auth,
		.skeleton = zks_skeleton,
		.unmirrored_subtrees = zks_unmirrored,
		.empty_parents = zks_empty_parents,
		.leaves = zks_leaves,
		.named_children = zks_named_children,
		.writers = ZKS_NODES,
		.writer_keeps_rule = zks_record_node_keeps_layout,
		.mirror_pace_ms = cfg->mirror_pace_ms,
		.mirror_pace_max_ms = cfg->mirror_pace_max_ms,
	};

	if (zks_mkdir_p(cfg->state_dir, 0700, err) < 0 || lock_state_dir(cfg->state_dir, err) < 0)
		return -1;
	d->store = zks_store_zk_new(&zk, err);
	/* The store keeps its own copy of the credentials. */
	zks_config_drop_auth(&d->cfg);
	return d->store != NULL ? 0 : -1;
}

/*
 * The services over the store, and the reaper.  Networks first: its session
 * callback registers the node, and leases should never be re-established by a
 * node that is not registered.
 */
static int start_services(struct daemon *d, const struct zks_networks_config *nc,
			  struct zks_error *err)
{
	const struct zks_config *cfg = &d->cfg;
	cleanup_free char *boot_id = NULL;
	cleanup_free char *configs_dir = xasprintf("%s/configs", cfg->state_dir);
	struct zks_config_sync_config cc = {.node_id = cfg->node_id, .dir = configs_dir};
	struct zks_volumes_config vc = {
		.node_id = cfg->node_id,
		.data_dir = cfg->data_dir,
		.mount_root = cfg->mount_root,
		.state_dir = cfg->state_dir,
	};
	struct zks_ipam_config ic = {
		.node_id = cfg->node_id,
		.default_pool = cfg->pool,
		.default_size = (uint8_t)cfg->default_pool_size,
	};

	if (zks_read_file(cfg->boot_id_file, 128, &boot_id, NULL, NULL) == 0) {
		boot_id[strcspn(boot_id, "\n")] = '\0';
		vc.boot_id = boot_id;
	}
	d->app.swarm_networks = strcmp(cfg->network_scope, "global") == 0;
	d->app.ipam = zks_ipam_new(d->store, &ic);
	d->app.networks = zks_networks_new(d->store, &zks_kernel_net, nc);
	/* Configuration volumes' copies live in the state mount: they outlive a restart. */
	d->configs = zks_config_sync_new(d->store, &cc, err);
	if (d->configs == NULL || zks_config_sync_start(d->configs, err) < 0)
		return -1;
	vc.configs = d->configs;
	d->app.volumes = zks_volumes_new(d->store, &zks_kernel_fs, &vc, err);
	if (d->app.volumes == NULL || zks_volumes_start_fencing(d->app.volumes, err) < 0)
		return -1;
	d->app.snapshots = zks_volume_snapshots_new(d->store, d->app.volumes, cfg->node_id, 0);
	if (zks_volume_snapshots_start(d->app.snapshots, err) < 0)
		return -1;
	d->reaper = zks_reaper_new(d->store, cfg->node_id, cfg->reaper_grace_ms);
	zks_reaper_add(d->reaper, zks_networks_reap_node, d->app.networks);
	zks_reaper_add(d->reaper, zks_ipam_reap_node, d->app.ipam);
	/* Our beat, every session timeout / 4: the dashboards of every node read it.  The reaper's
	 * leader forgets the beats of nodes long gone. */
	d->beat = zks_heartbeat_new(d->store, cfg->node_id, cfg->session_timeout_ms / 4);
	zks_reaper_add_sweep(d->reaper, zks_heartbeat_sweep, d->beat);
	/* And the empty `leases` that cost every mirror a read (layout 2). */
	zks_reaper_add_sweep(d->reaper, zks_volumes_sweep, d->app.volumes);
	zks_reaper_start(d->reaper);
	zks_heartbeat_start(d->beat);
	return 0;
}

/* Metrics are for watching the daemon, not a reason to stop serving. */
static void start_metrics(struct daemon *d)
{
	struct zks_error err = {0};

	if (d->cfg.metrics_addr[0] == '\0')
		return;
	d->metrics = zks_metrics_start(d->cfg.metrics_ip, d->cfg.metrics_port, d->cfg.metrics_addr,
				       d->store, d->http, d->configs, &err);
	if (d->metrics == NULL)
		log_error("zkswarmd: %s; serving without metrics", err.msg);
	else
		log_info("zkswarmd: metrics on http://%s/metrics", d->cfg.metrics_addr);
}

/*
 * Nor is the dashboard: after the store (it reads the mirror and the beats), stopped before it.
 * A bad DASHBOARD_* setting was logged by config.c; the daemon serves without it.
 */
static void start_dashboard(struct daemon *d)
{
	const struct zks_config *cfg = &d->cfg;
	struct zks_dashboard_config dc = {
		.node_id = cfg->node_id,
		.version = ZKSWARM_VERSION,
		.zk_hosts = cfg->zk_hosts,
		.zk_root = cfg->zk_root,
		.session_timeout_ms = cfg->session_timeout_ms,
		.token = cfg->dashboard_token,
		.max_streams = cfg->dashboard_max_streams,
		.ensemble = true,
	};
	struct zks_error err = {0};
	bool token = cfg->dashboard_token != NULL;

	if (cfg->dashboard_addr[0] == '\0' || cfg->dashboard_off)
		return;
	d->dashboard = zks_dashboard_new(d->store, d->beat, &dc);
	zks_config_drop_dashboard_token(&d->cfg); /* the dashboard keeps its own copy */
	if (zks_dashboard_start(d->dashboard, cfg->dashboard_ip, cfg->dashboard_port,
				cfg->dashboard_addr, &err) < 0) {
		log_error("zkswarmd: %s; serving without the dashboard", err.msg);
		zks_dashboard_free(d->dashboard); /* its callback was not registered */
		d->dashboard = NULL;
		return;
	}
	log_info("zkswarmd: dashboard on http://%s/%s", cfg->dashboard_addr,
		 token ? " (token required)" : "");
}

/*
 * The name registry, unless NAMING says off, or auto finds no directory for ENGINE_SOCKET
 * (the plugin's `engine` mount was left out): said once, here.  An engine that does not
 * answer yet is waited for by the service itself.
 */
static void start_naming(struct daemon *d)
{
	const struct zks_config *cfg = &d->cfg;
	size_t dirlen = (size_t)(strrchr(cfg->engine_socket, '/') - cfg->engine_socket);
	cleanup_free char *dir = xstrndup(cfg->engine_socket, dirlen ? dirlen : 1);
	struct zks_naming_config nc = {.node_id = cfg->node_id,
				       .engine_socket = cfg->engine_socket,
				       .plugin_name = d->plugin_name};
	struct stat st;

	if (strcmp(cfg->naming, "off") == 0) {
		log_info("naming: off (NAMING=off): no names of this node's containers");
		return;
	}
	if (strcmp(cfg->naming, "auto") == 0 && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
		log_info("naming: off: no directory %s for ENGINE_SOCKET (the plugin's `engine` "
			 "mount); no names of this node's containers",
			 dir);
		return;
	}
	d->naming = zks_naming_new(d->store, &nc);
	zks_naming_start(d->naming);
}

/*
 * Nor is DNS (DNS_LISTEN, DNS_NETWORKS): it answers from the mirror, so it may start before
 * ZooKeeper does.
 */
static void start_dns(struct daemon *d)
{
	struct zks_dns_config dc = {
		.listen = d->cfg.dns_listen,
		.domain = d->cfg.dns_domain,
		.ttl = (uint32_t)d->cfg.dns_ttl,
		.networks = !strcmp(d->cfg.dns_networks, "on"),
		.node = d->cfg.node_id,
		.network_port = 53,
	};
	struct zks_error err = {0};

	if (d->cfg.dns_listen[0] == '\0' && !dc.networks)
		return;
	d->dns = zks_dns_start(d->store, &dc, &err);
	if (d->dns == NULL)
		log_error("zkswarmd: %s; serving without DNS", err.msg);
	else
		log_info("zkswarmd: DNS for %s on %s%s (UDP and TCP), TTL %d s", d->cfg.dns_domain,
			 d->cfg.dns_listen[0] != '\0' ? d->cfg.dns_listen : "-",
			 dc.networks ? " and port 53 of the local networks' gateways" : "",
			 d->cfg.dns_ttl);
}

/* Everything, in start-up order; on failure what was started is stopped again. */
/*
 * The store stops first: after store_stop no callback of it runs (and the
 * session is closed, the mirror saved), so the services it called can go,
 * then the store itself.
 */
static void release(struct daemon *d)
{
	zks_dns_stop(d->dns);
	zks_config_sync_stop(d->configs);
	zks_heartbeat_stop(d->beat);
	zks_dashboard_stop(d->dashboard);
	zks_volume_snapshots_stop(d->app.snapshots);
	store_stop(d->store);
	zks_dashboard_free(d->dashboard);
	zks_naming_free(d->naming);
	zks_dns_free(d->dns);
	zks_reaper_free(d->reaper);
	zks_networks_free(d->app.networks);
	zks_ipam_free(d->app.ipam);
	zks_volume_snapshots_free(d->app.snapshots);
	zks_volumes_free(d->app.volumes);
	zks_config_sync_free(d->configs);
	zks_heartbeat_free(d->beat);
	store_destroy(d->store);
	zks_plugin_name_free(d->plugin_name);
}

static int start(struct daemon *d, struct zks_error *err)
{
	struct zks_networks_config nc = {
		.node_id = d->cfg.node_id,
		.vxlan_port = (uint16_t)d->cfg.vxlan_port,
		.zk_root = d->cfg.zk_root,
	};
	char why[ZKS_ERROR_MSG_MAX] = "";

	d->plugin_name = zks_plugin_name_new(d->cfg.plugin_name);
	nc.plugin_name = d->plugin_name;

	d->fd = zks_http_listen_unix(d->cfg.socket_path, err);
	if (d->fd < 0)
		return -1;
	find_tunnel(&d->cfg, &nc, why, sizeof(why));
	if (why[0]) {
		nc.unavailable = why;
		log_warn("networks: unavailable on this node: %s", why);
	}
	if (start_store(d, err) < 0)
		goto fail_socket;
	if (start_services(d, &nc, err) < 0) {
		zks_networks_stop(d->app.networks);
		goto fail_store;
	}
	d->http = zks_http_start(d->fd, zks_routes, zks_nroutes, &d->app, err);
	if (d->http == NULL)
		goto fail_services;
	start_metrics(d);
	start_dashboard(d);
	start_naming(d);
	start_dns(d);
	return 0;

fail_services:
	zks_networks_stop(d->app.networks);
	zks_reaper_stop(d->reaper);
fail_store:
	release(d);
fail_socket:
	close(d->fd);
	unlink(d->cfg.socket_path);
	return -1;
}

/* After SIGTERM or SIGINT; does not return while volumes stay mounted here (see below). */
static void stop(struct daemon *d)
{
	zks_http_stop(d->http);
	zks_metrics_stop(d->metrics);
	zks_dashboard_stop(d->dashboard);
	zks_dns_stop(d->dns);
	unlink(d->cfg.socket_path);
	zks_naming_stop(d->naming);
	zks_networks_stop(d->app.networks);
	zks_reaper_stop(d->reaper);
	zks_config_sync_stop(d->configs);
	zks_heartbeat_stop(d->beat);
	if (zks_volumes_mounted_count(d->app.volumes) > 0) {
		/*
		 * Containers here still use volumes.  Closing the session would drop
		 * their leases at once and let another node take a single-node volume
		 * under them; leaving it to time out keeps them held across a quick
		 * plugin restart, which re-establishes them from STATE_DIR.
		 */
		log_info("zkswarmd: volumes are mounted here; leaving the ZooKeeper session to "
			 "expire rather than releasing their leases");
		_exit(0);
	}
	release(d);
	log_info("zkswarmd: stopped");
}

int main(int argc, char **argv)
{
	struct daemon d = {.fd = -1};
	struct zks_error err = {0};
	sigset_t signals;
	int sig = 0, r;

	block_signals(&signals);
	r = zks_config_load(&d.cfg, argc, argv, &err);
	if (r != 0) {
		if (r < 0)
			fprintf(stderr, "zkswarmd: %s\n", err.msg);
		zks_config_free(&d.cfg);
		return r < 0 ? 2 : 0;
	}
	zks_log_set_level((enum zks_log_level)zks_log_parse_level(d.cfg.log_level));
	zks_log_split(true); /* the engine files stdout at level info, stderr at level error */
	if (start(&d, &err) < 0) {
		log_error("zkswarmd: %s", err.msg);
		zks_config_free(&d.cfg);
		return 1;
	}
	log_info("zkswarmd: serving on %s as node `%s`; ZooKeeper %s%s, session timeout %d ms",
		 d.cfg.socket_path, d.cfg.node_id, d.cfg.zk_hosts, d.cfg.zk_root,
		 d.cfg.session_timeout_ms);

	while (sigwait(&signals, &sig) == 0 && sig == SIGHUP)
		log_info("zkswarmd: SIGHUP ignored (settings change through a restart)");
	log_info("zkswarmd: %s received; finishing requests in flight", strsignal(sig));
	stop(&d);
	zks_config_free(&d.cfg);
	return 0;
}
