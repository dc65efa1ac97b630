/*
 * zkswarmd - the zkswarm plugin daemon.
 *
 * Start-up order matters to the engine: it gives a managed plugin about ten
 * seconds to accept on its socket (PROTOCOL.md §1.5), so the socket comes
 * first and nothing here waits for ZooKeeper.  Reads answer from the mirror
 * (loaded from disk, stale until ZooKeeper answers) from the first request.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zkswarm/api.h"
#include "zkswarm/config.h"
#include "zkswarm/fs.h"
#include "zkswarm/http.h"
#include "zkswarm/log.h"
#include "zkswarm/store.h"
#include "zkswarm/util.h"
#include "zkswarm/volumes.h"

static const char *const skeleton[] = {"/volumes", NULL};

int main(int argc, char **argv)
{
	struct zks_config cfg;
	struct zks_error err = {0};
	struct zks_app app = {0};
	struct zks_store *store = NULL;
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
		struct zks_zk_config zk = {
			.hosts = cfg.zk_hosts,
			.root = cfg.zk_root,
			.session_timeout_ms = cfg.session_timeout_ms,
			.mirror_file = mirror,
			.skeleton = skeleton,
		};
		struct zks_volumes_config vc = {
			.node_id = cfg.node_id,
			.data_dir = cfg.data_dir,
			.mount_root = cfg.mount_root,
			.state_dir = cfg.state_dir,
		};

		if (zks_mkdir_p(cfg.state_dir, 0700, &err) < 0)
			goto fail_socket;
		store = zks_store_zk_new(&zk, &err);
		if (store == NULL)
			goto fail_socket;
		app.volumes = zks_volumes_new(store, &zks_kernel_fs, &vc, &err);
		if (app.volumes == NULL)
			goto fail_store;
	}
	http = zks_http_start(fd, zks_routes, zks_nroutes, &app, &err);
	if (http == NULL)
		goto fail_volumes;
	log_info("zkswarmd: serving on %s as node `%s`; ZooKeeper %s%s, session timeout %d ms",
		 cfg.socket_path, cfg.node_id, cfg.zk_hosts, cfg.zk_root, cfg.session_timeout_ms);

	while (sigwait(&signals, &sig) == 0 && sig == SIGHUP)
		log_info("zkswarmd: SIGHUP ignored (settings change through a restart)");
	log_info("zkswarmd: %s received; finishing requests in flight", strsignal(sig));
	zks_http_stop(http);
	unlink(cfg.socket_path);
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
	zks_volumes_free(app.volumes);
	store_destroy(store);
	log_info("zkswarmd: stopped");
	zks_config_free(&cfg);
	return 0;

fail_volumes:
	zks_volumes_free(app.volumes);
fail_store:
	store_destroy(store);
fail_socket:
	close(fd);
	unlink(cfg.socket_path);
fail:
	log_error("zkswarmd: %s", err.msg);
	zks_config_free(&cfg);
	return 1;
}
