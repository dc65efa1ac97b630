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
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "zkswarm/api.h"
#include "zkswarm/cidr.h"
#include "zkswarm/config.h"
#include "zkswarm/fs.h"
#include "zkswarm/http.h"
#include "zkswarm/log.h"
#include "zkswarm/records.h"
#include "zkswarm/metrics.h"
#include "zkswarm/netlink.h"
#include "zkswarm/reaper.h"
#include "zkswarm/store.h"
#include "zkswarm/util.h"
#include "zkswarm/volumes.h"

/*
 * The tunnel address: ADVERTISE_ADDR, or the default route's.  Without one the
 * daemon still serves volumes; network requests then say why they cannot work.
 */
static void find_tunnel(const struct zks_config *cfg, struct zks_networks_config *nc,
			char *why, size_t whylen)
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
		return zks_error_set(err, ZKS_ERR_CONFLICT,
				     "another zkswarmd uses STATE_DIR `%s`; each daemon needs its own", dir);
	}
	return fd; /* held until the process exits */
}

/* The digest credentials, from a file so that they never show in `docker plugin inspect`. */
static char *read_auth(const char *path, struct zks_error *err)
{
	char *text = NULL;
	size_t len;

	if (path[0] == '\0')
		return NULL;
	if (zks_read_file(path, 1024, &text, &len, err) < 0)
		return NULL;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (strchr(text, ':') == NULL || text[0] == ':') {
		free(text);
		zks_error_set(err, ZKS_ERR_INVALID, "ZK_AUTH_FILE `%s` must hold user:password", path);
		return NULL;
	}
	return text;
}

int main(int argc, char **argv)
{
	struct zks_config cfg;
	struct zks_error err = {0};
	struct zks_app app = {0};
	struct zks_store *store = NULL;
	struct zks_reaper *reaper = NULL;
	struct zks_metrics_server *metrics = NULL;
	struct zks_http *http = NULL;
	sigset_t signals;
	int fd, sig = 0, r;

	/* Signals are taken by sigwait below; no other thread may see them. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = zks_config_load(&cfg, argc, argv, &err);
	if (r != 0) {
		if (r < 0)
			fprintf(stderr, "zkswarmd: %s\n", err.msg);
		zks_config_free(&cfg);
		return r < 0 ? 2 : 0;
	}
	zks_log_set_level((enum zks_log_level)zks_log_parse_level(cfg.log_level));

	fd = zks_http_listen_unix(cfg.socket_path, &err);
	if (fd < 0)
		goto fail;
	{
		cleanup_free char *mirror = xasprintf("%s/mirror.json", cfg.state_dir);
		cleanup_free char *session = xasprintf("%s/session", cfg.state_dir);
		cleanup_free char *auth = NULL;
		struct zks_zk_config zk = {
			.hosts = cfg.zk_hosts,
			.root = cfg.zk_root,
			.session_timeout_ms = cfg.session_timeout_ms,
			.mirror_file = mirror,
			.session_file = session,
			.skeleton = zks_skeleton,
		};
		cleanup_free char *boot_id = NULL;
		struct zks_volumes_config vc = {
			.node_id = cfg.node_id,
			.data_dir = cfg.data_dir,
			.mount_root = cfg.mount_root,
			.state_dir = cfg.state_dir,
		};

		struct zks_ipam_config ic = {.node_id = cfg.node_id};
		struct zks_networks_config nc = {
			.node_id = cfg.node_id,
			.vxlan_port = (uint16_t)cfg.vxlan_port,
			.zk_root = cfg.zk_root,
		};
		char why[ZKS_ERROR_MSG_MAX] = "";

		if (zks_cidr_parse(cfg.default_pool, &ic.default_pool, &err) < 0 ||
		    zks_cidr_check_pool(&ic.default_pool, &err) < 0) {
			zks_error_prefix(&err, "DEFAULT_POOL");
			goto fail_socket;
		}
		if (cfg.default_pool_size < ic.default_pool.len || cfg.default_pool_size > 30) {
			zks_error_set(&err, ZKS_ERR_INVALID,
				      "DEFAULT_POOL_SIZE must be from %u (DEFAULT_POOL's) to 30",
				      ic.default_pool.len);
			goto fail_socket;
		}
		ic.default_size = (uint8_t)cfg.default_pool_size;
		find_tunnel(&cfg, &nc, why, sizeof(why));
		if (why[0]) {
			nc.unavailable = why;
			log_warn("networks: unavailable on this node: %s", why);
		}
		if (zks_mkdir_p(cfg.state_dir, 0700, &err) < 0 || lock_state_dir(cfg.state_dir, &err) < 0)
			goto fail_socket;
		if (zks_read_file(cfg.boot_id_file, 128, &boot_id, NULL, NULL) == 0) {
			boot_id[strcspn(boot_id, "\n")] = '\0';
			vc.boot_id = boot_id;
		}
		auth = read_auth(cfg.zk_auth_file, &err);
		if (auth == NULL && cfg.zk_auth_file[0] != '\0')
			goto fail_socket;
		zk.auth = auth;
		store = zks_store_zk_new(&zk, &err);
		if (auth != NULL)
			explicit_bzero(auth, strlen(auth));
		if (store == NULL)
			goto fail_socket;
		/* Networks first: its session callback registers the node, and leases should
		 * never be re-established by a node that is not registered. */
		app.swarm_networks = strcmp(cfg.network_scope, "global") == 0;
		app.ipam = zks_ipam_new(store, &ic);
		app.networks = zks_networks_new(store, &zks_kernel_net, &nc);
		app.volumes = zks_volumes_new(store, &zks_kernel_fs, &vc, &err);
		if (app.volumes == NULL) {
			zks_networks_stop(app.networks);
			goto fail_store;
		}
		reaper = zks_reaper_new(store, cfg.node_id, cfg.reaper_grace_ms);
		zks_reaper_add(reaper, zks_networks_reap_node, app.networks);
		zks_reaper_add(reaper, zks_ipam_reap_node, app.ipam);
		zks_reaper_start(reaper);
	}
	http = zks_http_start(fd, zks_routes, zks_nroutes, &app, &err);
	if (http == NULL)
		goto fail_volumes;
	if (cfg.metrics_addr[0] != '\0') {
		metrics = zks_metrics_start(cfg.metrics_addr, store, &err);
		/* Metrics are for watching the daemon, not a reason to stop serving. */
		if (metrics == NULL)
			log_error("zkswarmd: %s; serving without metrics", err.msg);
		else
			log_info("zkswarmd: metrics on http://%s/metrics", cfg.metrics_addr);
	}
	log_info("zkswarmd: serving on %s as node `%s`; ZooKeeper %s%s, session timeout %d ms",
		 cfg.socket_path, cfg.node_id, cfg.zk_hosts, cfg.zk_root, cfg.session_timeout_ms);

	while (sigwait(&signals, &sig) == 0 && sig == SIGHUP)
		log_info("zkswarmd: SIGHUP ignored (settings change through a restart)");
	log_info("zkswarmd: %s received; finishing requests in flight", strsignal(sig));
	zks_http_stop(http);
	zks_metrics_stop(metrics);
	unlink(cfg.socket_path);
	zks_networks_stop(app.networks);
	zks_reaper_stop(reaper);
	if (zks_volumes_mounted_count(app.volumes) > 0) {
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
	/* The store first: its callbacks point into the services. */
	store_destroy(store);
	zks_reaper_free(reaper);
	zks_networks_free(app.networks);
	zks_ipam_free(app.ipam);
	zks_volumes_free(app.volumes);
	log_info("zkswarmd: stopped");
	zks_config_free(&cfg);
	return 0;

fail_volumes:
	zks_networks_stop(app.networks);
	zks_reaper_stop(reaper);
fail_store:
	store_destroy(store);
	zks_reaper_free(reaper);
	zks_networks_free(app.networks);
	zks_ipam_free(app.ipam);
	zks_volumes_free(app.volumes);
fail_socket:
	close(fd);
	unlink(cfg.socket_path);
fail:
	log_error("zkswarmd: %s", err.msg);
	zks_config_free(&cfg);
	return 1;
}
