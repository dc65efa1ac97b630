/*
 * cluster.c - zkswarmctl's connection to ZooKeeper and its snapshot of the
 * records (snapshot.h).
 *
 * The store (store/zk.c) connects in the background and reads the whole tree
 * into its mirror after every (re)connect; we wait for that, bounded, and
 * copy the mirror into a snapshot of our own.  Nothing here writes, except what
 * the store itself does on connecting (it creates ZK_ROOT if it is missing).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zkswarm/config.h"
#include "zkswarm/ctl_cluster.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define POLL_MS 20

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void ctl_cluster_resnap(struct ctl_cluster *c)
{
	zks_snap_take(&c->snap, c->store);
}

int ctl_cluster_open(struct ctl_cluster *c, const char *hosts, const char *root,
		     const char *auth_file, int timeout_ms, bool snapshot, struct zks_error *err)
{
	cleanup_free char *auth = NULL;
	struct zks_store_status status = {0};
	struct zks_zk_config cfg = {
		.hosts = hosts,
		.root = root,
		.session_timeout_ms = 10000,
		.unmirrored = !snapshot,
		/* The beats are the dashboard's (records.h): a snapshot does not read them. */
		.unmirrored_subtrees = zks_unmirrored,
		/*
		 * No empty_parents nor leaves: a one-time snapshot watches nothing for long, and
		 * reads everything there is (repair looks for what the layout does not expect).
		 */
	};
	int64_t deadline = zks_now_ms() + timeout_ms;

	memset(c, 0, sizeof(*c));
	if (auth_file != NULL && auth_file[0] != '\0') {
		auth = zks_auth_file_read(auth_file, err);
		if (auth == NULL)
			return -1;
		cfg.auth = auth;
	}
	c->store = zks_store_zk_new(&cfg, err);
	if (auth != NULL)
		explicit_bzero(auth, strlen(auth));
	if (c->store == NULL)
		return -1;
	c->hosts = xstrdup(hosts);
	c->root = xstrdup(root);
	for (int64_t next_probe = 0;;) {
		int64_t now = zks_now_ms();

		store_status(c->store, &status);
		if (status.state == ZKS_CONN_CONNECTED && (status.mirror_synced || !snapshot))
			break;
		if (now >= deadline)
			break;
		/* Connected but not reading: refused access (ACLs) fails fast, not at the deadline.
		 */
		if (status.state == ZKS_CONN_CONNECTED && now >= next_probe) {
			if (next_probe != 0 &&
			    store_get(c->store, "/", NULL, NULL, NULL, err) < 0 &&
			    err->code == ZKS_ERR_SYSTEM) {
				zks_error_prefix(err, "reading `%s` (check ZK_AUTH_FILE)", root);
				goto fail;
			}
			next_probe = now + 300;
		}
		sleep_ms(POLL_MS);
	}
	if (status.state != ZKS_CONN_CONNECTED) {
		zks_error_set(err, ZKS_ERR_UNAVAILABLE,
			      "ZooKeeper is unreachable (%s): no session within %d.%d s", hosts,
			      timeout_ms / 1000, timeout_ms % 1000 / 100);
		goto fail;
	}
	if (!snapshot) {
		c->session_id = status.session_id;
		zks_snap_init(&c->snap); /* empty: such a command reads ZooKeeper itself */
		return 0;
	}
	if (!status.mirror_synced) {
		/* Connected but the tree could not be read: ask once more, for the reason. */
		if (store_get(c->store, "/", NULL, NULL, NULL, err) == 0)
			zks_error_set(
				err, ZKS_ERR_UNAVAILABLE,
				"ZooKeeper (%s) answered but the records under `%s` could not be "
				"read within %d.%d s",
				hosts, root, timeout_ms / 1000, timeout_ms % 1000 / 100);
		else if (err->code == ZKS_ERR_SYSTEM)
			zks_error_prefix(err, "reading `%s` (check ZK_AUTH_FILE)", root);
		goto fail;
	}
	c->session_id = status.session_id;
	ctl_cluster_resnap(c);
	return 0;
fail:
	ctl_cluster_close(c);
	return -1;
}

void ctl_cluster_close(struct ctl_cluster *c)
{
	store_destroy(c->store);
	zks_snap_clear(&c->snap);
	free(c->hosts);
	free(c->root);
	memset(c, 0, sizeof(*c));
}
