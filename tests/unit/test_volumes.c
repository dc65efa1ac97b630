/*
 * test_volumes.c - the volume service (volumes.h) on the in-memory store
 * with a fake filesystem: create/get/list, repeated creates, mount leases
 * across two nodes of one cluster, session expiry and restarts, remove,
 * rollback after a failed bind or data directory, ZooKeeper unreachable,
 * corrupt records, and `leases`, made with a volume's first lease and deleted
 * with its last, also when another writer's change lands between the reads
 * and the commit.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "zkswarm/util.h"
#include "zkswarm/volumes.h"

static void create_ok(struct test_node *n, const char *name, const char *opts)
{
	struct zks_error err = {0};

	assert_ok(test_create(n->v, name, opts, &err), &err);
}

static void mount_ok(struct test_node *n, const char *name, const char *id)
{
	struct zks_error err = {0};
	char *mp = NULL;
	char *want = test_node_mountpoint(n, name);

	assert_ok(zks_volumes_mount(n->v, name, id, &mp, &err), &err);
	assert_non_null(mp);
	assert_string_equal(mp, want);
	free(mp);
	free(want);
}

static void unmount_ok(struct test_node *n, const char *name, const char *id)
{
	struct zks_error err = {0};

	assert_ok(zks_volumes_unmount(n->v, name, id, &err), &err);
}

/* Mount that another node's lease refuses; the message names that node. */
/* n holds name with count mounts: in its own count and in its lease, as Get shows them. */
static void counts_mounts(struct test_node *n, const char *name, size_t count)
{
	struct zks_volume_info *info = test_get(n->v, name);

	assert_int_equal(info->mounted_here, count);
	assert_int_equal(test_info_holder(info, n->id)->mounts, count);
	test_info_free(info);
}

static void mount_conflicts(struct test_node *n, const char *name, const char *id,
			    const char *holder)
{
	struct zks_error err = {0};

	assert_error(test_mount(n->v, name, id, &err), &err, ZKS_ERR_CONFLICT);
	assert_contains(err.msg, holder);
	assert_contains(err.msg, name);
}

static bool is_bound(struct test_node *n, const char *name)
{
	char *mp = test_node_mountpoint(n, name);
	bool r = fake_fs_mounted(&n->fs, mp);

	free(mp);
	return r;
}

static size_t list_count(struct test_node *n)
{
	struct zks_volume_info *infos = NULL;
	struct zks_error err = {0};
	size_t count = 0;

	assert_ok(zks_volumes_list(n->v, &infos, &count, &err), &err);
	zks_volume_info_free_array(infos, count);
	return count;
}

/* ---- create, get, list, path --------------------------------------------------------------- */

static void test_create_then_get(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info;
	char *mp = test_node_mountpoint(&c->a, "db");
	char *dir = test_node_data_dir(&c->a, "db");
	const struct fake_call *prep;
	time_t before = time(NULL), at;
	struct tm tm;
	const char *end;

	create_ok(&c->a, "db", "uid=1000,gid=1001,mode=0700");
	info = test_get(c->a.v, "db");
	assert_string_equal(info->name, "db");
	assert_string_equal(info->mountpoint, mp);
	assert_string_equal(info->created_by, "node-a");
	assert_false(info->corrupt);
	assert_false(info->stale);
	assert_int_equal(info->nholders, 0);
	assert_int_equal(info->mounted_here, 0);
	assert_string_equal(info->zookeeper, "connected");

	/* Effective options: what was asked, plus the defaults. */
	assert_string_equal(test_info_option(info, "uid"), "1000");
	assert_string_equal(test_info_option(info, "gid"), "1001");
	assert_string_equal(test_info_option(info, "mode"), "0700");
	assert_string_equal(test_info_option(info, "access"), "single-node");
	assert_string_equal(test_info_option(info, "readonly"), "false");
	assert_string_equal(test_info_option(info, "on-remove"), "delete");

	/* RFC 3339 in UTC, like 2026-01-02T03:04:05Z, and about now. */
	assert_non_null(info->created_at);
	assert_int_equal(strlen(info->created_at), 20);
	memset(&tm, 0, sizeof(tm));
	end = strptime(info->created_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_non_null(end);
	assert_int_equal(*end, '\0');
	at = timegm(&tm);
	assert_true(at >= before - 1 && at <= time(NULL) + 1);

	/* The data directory was made with the volume's owner and mode. */
	prep = fake_fs_last(&c->a.fs, FAKE_PREPARE_DIR);
	assert_non_null(prep);
	assert_string_equal(prep->path, dir);
	assert_int_equal(prep->uid, 1000);
	assert_int_equal(prep->gid, 1001);
	assert_int_equal(prep->mode, 0700);
	/* Creating mounts nothing. */
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_BIND), 0);

	test_info_free(info);
	free(mp);
	free(dir);
}

static void test_create_is_visible_cluster_wide(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info;
	char *mp = test_node_mountpoint(&c->n2, "shared");
	char *path = NULL;
	struct zks_error err = {0};

	create_ok(&c->a, "shared", "access=multi-node");
	assert_true(test_list_has(c->a.v, "shared"));
	assert_true(test_list_has(c->n2.v, "shared"));
	info = test_get(c->n2.v, "shared");
	assert_string_equal(info->created_by, "node-a");
	assert_string_equal(info->mountpoint, mp);
	assert_string_equal(test_info_option(info, "access"), "multi-node");
	test_info_free(info);

	/* Path is where it would be mounted on the node asking. */
	assert_ok(zks_volumes_path(c->n2.v, "shared", &path, &err), &err);
	assert_string_equal(path, mp);
	free(path);
	free(mp);
}

static void test_list(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *infos = NULL;
	struct zks_error err = {0};
	size_t n = 0;
	bool seen_a = false, seen_b = false;

	assert_int_equal(list_count(&c->a), 0);
	create_ok(&c->a, "vol-a", NULL);
	create_ok(&c->n2, "vol-b", NULL);
	assert_ok(zks_volumes_list(c->a.v, &infos, &n, &err), &err);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		char *mp = test_node_mountpoint(&c->a, infos[i].name);

		seen_a = seen_a || strcmp(infos[i].name, "vol-a") == 0;
		seen_b = seen_b || strcmp(infos[i].name, "vol-b") == 0;
		assert_string_equal(infos[i].mountpoint, mp);
		assert_non_null(infos[i].created_at);
		free(mp);
	}
	assert_true(seen_a && seen_b);
	zks_volume_info_free_array(infos, n);
}

static void test_create_again_same_effective_options(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info;

	create_ok(&c->a, "db", "mode=755");
	create_ok(&c->a, "db", "mode=0755");
	create_ok(&c->a, "db", NULL);
	create_ok(&c->n2, "db", "access=single-node,readonly=no");

	create_ok(&c->a, "plain", NULL);
	create_ok(&c->n2, "plain", "access=single-node");
	create_ok(&c->a, "plain", "uid=0,gid=0,on-remove=delete");

	/* Still one volume each, as first created. */
	assert_int_equal(list_count(&c->a), 2);
	info = test_get(c->a.v, "db");
	assert_string_equal(info->created_by, "node-a");
	test_info_free(info);
}

static void test_create_again_different_options_conflicts(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};
	struct zks_volume_info *info;

	create_ok(&c->a, "db", "mode=0755");
	assert_error(test_create(c->n2.v, "db", "mode=0700", &err), &err, ZKS_ERR_CONFLICT);
	assert_contains(err.msg, "db");
	assert_contains(err.msg, "mode");
	assert_not_contains(err.msg, "access");
	assert_not_contains(err.msg, "uid");

	assert_error(test_create(c->a.v, "db", "access=multi-node", &err), &err, ZKS_ERR_CONFLICT);
	assert_contains(err.msg, "access");
	assert_not_contains(err.msg, "mode");

	/* The record keeps the first options. */
	info = test_get(c->a.v, "db");
	assert_string_equal(test_info_option(info, "mode"), "0755");
	assert_string_equal(test_info_option(info, "access"), "single-node");
	test_info_free(info);
}

static void test_create_invalid_creates_nothing(void **state)
{
	struct test_cluster *c = *state;
	static const char *const bad_names[] = {"", "..", "a/b", "/etc", ".x", "a\nb"};
	struct zks_error err = {0};

	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++) {
		assert_error(test_create(c->a.v, bad_names[i], NULL, &err), &err, ZKS_ERR_INVALID);
		assert_contains(err.msg, "volume");
	}
	assert_error(test_create(c->a.v, "good", "size=10G", &err), &err, ZKS_ERR_INVALID);
	assert_contains(err.msg, "size");
	assert_error(test_create(c->a.v, "good", "mode=0999", &err), &err, ZKS_ERR_INVALID);
	assert_error(test_create(c->a.v, "good", "mode=0700,mode=0700", &err), &err,
		     ZKS_ERR_INVALID);

	assert_int_equal(list_count(&c->a), 0);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_PREPARE_DIR), 0);
}

static void test_unknown_volume_is_not_found(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info = NULL;
	struct zks_error err = {0};
	char *mp = NULL;

	assert_error(zks_volumes_get(c->a.v, "ghost", &info, &err), &err, ZKS_ERR_NOT_FOUND);
	assert_contains(err.msg, "ghost");
	assert_null(info);
	/* A name that cannot exist is simply unknown too. */
	assert_error(zks_volumes_get(c->a.v, "../etc", &info, &err), &err, ZKS_ERR_NOT_FOUND);
	assert_error(zks_volumes_path(c->a.v, "ghost", &mp, &err), &err, ZKS_ERR_NOT_FOUND);
	assert_null(mp);
	assert_error(zks_volumes_mount(c->a.v, "ghost", "c1", &mp, &err), &err, ZKS_ERR_NOT_FOUND);
	assert_null(mp);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_BIND), 0);
}

/* ---- mount and unmount on one node --------------------------------------------------------- */

static void test_mount_binds_data_dir(void **state)
{
	struct test_cluster *c = *state;
	char *dir = test_node_data_dir(&c->a, "db");
	char *mp = test_node_mountpoint(&c->a, "db");
	const struct fake_call *bind;
	struct zks_volume_info *info;

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	bind = fake_fs_last(&c->a.fs, FAKE_BIND);
	assert_non_null(bind);
	assert_string_equal(bind->path, dir);
	assert_string_equal(bind->target, mp);
	assert_false(bind->readonly);
	assert_true(fake_fs_mounted(&c->a.fs, mp));
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 1);

	info = test_get(c->a.v, "db");
	assert_int_equal(info->mounted_here, 1);
	assert_int_equal(info->nholders, 1);
	assert_string_equal(info->holders[0].node, "node-a");
	assert_int_equal(info->holders[0].mounts, 1);
	assert_true(info->holders[0].exclusive);
	test_info_free(info);

	/* The other node sees the lease too. */
	info = test_get(c->n2.v, "db");
	assert_non_null(test_info_holder(info, "node-a"));
	assert_int_equal(info->mounted_here, 0);
	test_info_free(info);

	free(dir);
	free(mp);
}

static void test_mount_readonly_binds_readonly(void **state)
{
	struct test_cluster *c = *state;
	const struct fake_call *bind;

	create_ok(&c->a, "ro", "readonly=true");
	mount_ok(&c->a, "ro", "c1");
	bind = fake_fs_last(&c->a.fs, FAKE_BIND);
	assert_non_null(bind);
	assert_true(bind->readonly);
}

/*
 * Two Mounts, of IDs first and second (the same ID twice, as `docker cp` on a running
 * container sends it: moby's TestExternalVolumeDriverUnmountOnCp), then their Unmounts:
 * the volume is bound once, stays held by this node until the last Unmount, and goes then.
 */
static void mount_twice_unmount_twice(struct test_cluster *c, const char *first, const char *second)
{
	struct zks_volume_info *info;

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", first);
	mount_ok(&c->a, "db", second);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_BIND), 1);
	counts_mounts(&c->a, "db", 2);

	/* One Unmount (the copy's, or one container's): the other mount stays, and the lease. */
	unmount_ok(&c->a, "db", first);
	assert_true(is_bound(&c->a, "db"));
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_UNBIND), 0);
	counts_mounts(&c->a, "db", 1);
	mount_conflicts(&c->n2, "db", "x1", "node-a");

	unmount_ok(&c->a, "db", second);
	assert_false(is_bound(&c->a, "db"));
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_UNBIND), 1);
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 0);
	info = test_get(c->a.v, "db");
	assert_int_equal(info->mounted_here, 0);
	assert_int_equal(info->nholders, 0);
	test_info_free(info);
}

static void test_mount_same_id_twice_needs_two_unmounts(void **state)
{
	struct test_cluster *c = *state;

	mount_twice_unmount_twice(c, "c1", "c1");
	unmount_ok(&c->a, "db", "c1"); /* one more is harmless */
	mount_ok(&c->n2, "db", "x1");
}

/* A repeated ID's count survives a restart of the plugin (mounts.json). */
static void test_restart_keeps_repeated_id_count(void **state)
{
	struct test_cluster *c = *state;

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	mount_ok(&c->a, "db", "c2");
	mount_ok(&c->a, "db", "c1");
	test_node_restart(&c->a, c->b, true);
	counts_mounts(&c->a, "db", 3);
	unmount_ok(&c->a, "db", "c1");
	unmount_ok(&c->a, "db", "c2");
	assert_true(is_bound(&c->a, "db"));
	mount_conflicts(&c->n2, "db", "x1", "node-a");
	unmount_ok(&c->a, "db", "c1");
	assert_false(is_bound(&c->a, "db"));
	mount_ok(&c->n2, "db", "x1");
}

/* Mounts are counted up to a bound; one more is refused, clearly, and changes nothing. */
static void test_mount_count_bounded(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info;
	struct zks_error err = {0};
	char *mp = NULL;

	create_ok(&c->a, "db", NULL);
	for (int i = 0; i < 256; i++)
		mount_ok(&c->a, "db", "c1");
	assert_error(zks_volumes_mount(c->a.v, "db", "c1", &mp, &err), &err, ZKS_ERR_CONFLICT);
	assert_non_null(strstr(err.msg, "256 times"));
	assert_null(mp);
	info = test_get(c->a.v, "db");
	assert_int_equal(info->mounted_here, 256);
	test_info_free(info);
	for (int i = 0; i < 256; i++)
		unmount_ok(&c->a, "db", "c1");
	assert_false(is_bound(&c->a, "db"));
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 0);
}

static void test_two_ids_unmount_last_unbinds(void **state)
{
	mount_twice_unmount_twice(*state, "c1", "c2");
}

static void test_unmount_unknown_id_is_fine(void **state)
{
	struct test_cluster *c = *state;

	create_ok(&c->a, "db", NULL);
	unmount_ok(&c->a, "db", "never-mounted");
	unmount_ok(&c->a, "no-such-volume", "c1");
	mount_ok(&c->a, "db", "c1");
	unmount_ok(&c->a, "db", "other");
	assert_true(is_bound(&c->a, "db"));
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_UNBIND), 0);
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 1);
}

static void test_mount_id_validated(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};
	char long_id[200];

	create_ok(&c->a, "db", NULL);
	assert_error(test_mount(c->a.v, "db", "", &err), &err, ZKS_ERR_INVALID);
	assert_error(test_mount(c->a.v, "db", "../x", &err), &err, ZKS_ERR_INVALID);
	assert_error(test_mount(c->a.v, "db", "a\nb", &err), &err, ZKS_ERR_INVALID);
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_error(test_mount(c->a.v, "db", long_id, &err), &err, ZKS_ERR_INVALID);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_BIND), 0);
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 0);
}

/* ---- leases between nodes ------------------------------------------------------------------- */

static void test_single_node_excludes_other_node(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info;

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	mount_conflicts(&c->n2, "db", "c9", "node-a");
	assert_int_equal(fake_fs_count(&c->n2.fs, FAKE_BIND), 0);
	assert_int_equal(zks_volumes_mounted_count(c->n2.v), 0);
	/* The refused node took no lease. */
	info = test_get(c->n2.v, "db");
	assert_int_equal(info->nholders, 1);
	assert_null(test_info_holder(info, "node-b"));
	test_info_free(info);

	unmount_ok(&c->a, "db", "c1");
	mount_ok(&c->n2, "db", "c9");
	assert_true(is_bound(&c->n2, "db"));
	mount_conflicts(&c->a, "db", "c1", "node-b");
	info = test_get(c->a.v, "db");
	assert_int_equal(info->nholders, 1);
	assert_true(test_info_holder(info, "node-b")->exclusive);
	test_info_free(info);
}

static void test_multi_node_both_mount(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info;
	const struct zks_volume_holder *ha, *hb;

	create_ok(&c->a, "shared", "access=multi-node");
	mount_ok(&c->a, "shared", "c1");
	mount_ok(&c->n2, "shared", "c2");
	mount_ok(&c->n2, "shared", "c3");
	info = test_get(c->a.v, "shared");
	assert_int_equal(info->nholders, 2);
	ha = test_info_holder(info, "node-a");
	hb = test_info_holder(info, "node-b");
	assert_non_null(ha);
	assert_non_null(hb);
	assert_int_equal(ha->mounts, 1);
	assert_int_equal(hb->mounts, 2);
	assert_false(ha->exclusive);
	assert_false(hb->exclusive);
	test_info_free(info);
}

static void test_expired_session_frees_single_node_volume(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info;

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	mount_conflicts(&c->n2, "db", "c9", "node-a");

	/* node-a dies: ZooKeeper drops its session and with it its ephemeral lease. */
	zks_mem_backend_expire(c->b, test_node_session(&c->a));
	mount_ok(&c->n2, "db", "c9");
	info = test_get(c->n2.v, "db");
	assert_int_equal(info->nholders, 1);
	assert_true(test_info_holder(info, "node-b")->exclusive);
	test_info_free(info);
}

static void test_new_session_reestablishes_lease(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info;

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	zks_mem_backend_expire(c->b, test_node_session(&c->a));

	/* node-a comes back on a new session before anyone else takes the volume. */
	test_node_restart(&c->a, c->b, true);
	info = test_get(c->n2.v, "db");
	assert_int_equal(info->nholders, 1);
	assert_true(test_info_holder(info, "node-a")->exclusive);
	assert_int_equal(test_info_holder(info, "node-a")->mounts, 1);
	test_info_free(info);
	mount_conflicts(&c->n2, "db", "c9", "node-a");
}

/*
 * node-a's session expires while a container there still uses the volume,
 * and node-b mounts it (legitimately: the lease was gone).  When node-a
 * comes back, its reconcile must not take the lease from node-b: the
 * lease stays node-b's, node-a still knows its own mount (its container
 * still runs) and reports it, and node-a's Unmount later leaves node-b's
 * lease alone.  Once node-b lets go, node-a's next reconcile takes it back.
 */
static void test_reconcile_yields_to_other_holder(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info;

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	zks_mem_backend_expire(c->b, test_node_session(&c->a));
	mount_ok(&c->n2, "db", "c9");

	test_node_restart(&c->a, c->b, true); /* reconciles; must not crash */
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 1);
	info = test_get(c->a.v, "db");
	assert_int_equal(info->mounted_here, 1);
	assert_int_equal(info->nholders, 1);
	assert_null(test_info_holder(info, "node-a"));
	assert_true(test_info_holder(info, "node-b")->exclusive);
	test_info_free(info);

	/* A new mount on node-a is refused, naming the holder. */
	mount_conflicts(&c->a, "db", "c2", "node-b");

	/* node-b lets go; node-a's next reconcile re-establishes its lease. */
	unmount_ok(&c->n2, "db", "c9");
	zks_volumes_reconcile(c->a.v);
	info = test_get(c->n2.v, "db");
	assert_non_null(test_info_holder(info, "node-a"));
	assert_true(test_info_holder(info, "node-a")->exclusive);
	test_info_free(info);
	mount_conflicts(&c->n2, "db", "c9", "node-a");
}

static void test_unmount_after_losing_lease_leaves_holder_alone(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info;

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	zks_mem_backend_expire(c->b, test_node_session(&c->a));
	mount_ok(&c->n2, "db", "c9");
	test_node_restart(&c->a, c->b, true);

	unmount_ok(&c->a, "db", "c1");
	assert_false(is_bound(&c->a, "db"));
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 0);
	info = test_get(c->a.v, "db");
	assert_int_equal(info->nholders, 1);
	assert_true(test_info_holder(info, "node-b")->exclusive);
	test_info_free(info);
	mount_conflicts(&c->a, "db", "c2", "node-b");
}

struct racer {
	struct test_node *node;
	const char *id;
	pthread_barrier_t *start;
	int rc;
	struct zks_error err;
};

static void *race_mount(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->start);
	r->rc = test_mount(r->node->v, "db", r->id, &r->err);
	return NULL;
}

/* Two nodes mount one single-node volume at the same moment: exactly one gets it. */
static void test_concurrent_mounts_one_winner(void **state)
{
	struct test_cluster *c = *state;

	create_ok(&c->a, "db", NULL);
	for (int round = 0; round < 20; round++) {
		pthread_barrier_t start;
		struct racer r[2] = {{.node = &c->a, .id = "ca"}, {.node = &c->n2, .id = "cb"}};
		pthread_t t[2];
		struct racer *win, *lose;
		struct zks_volume_info *info;

		pthread_barrier_init(&start, NULL, 2);
		for (int i = 0; i < 2; i++) {
			r[i].start = &start;
			assert_int_equal(pthread_create(&t[i], NULL, race_mount, &r[i]), 0);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&start);

		if ((r[0].rc == 0) == (r[1].rc == 0))
			print_error("round %d: rc %d [%s] and %d [%s]\n", round, r[0].rc,
				    r[0].err.msg, r[1].rc, r[1].err.msg);
		assert_int_not_equal(r[0].rc == 0, r[1].rc == 0);
		win = r[0].rc == 0 ? &r[0] : &r[1];
		lose = r[0].rc == 0 ? &r[1] : &r[0];
		assert_error(lose->rc, &lose->err, ZKS_ERR_CONFLICT);
		assert_contains(lose->err.msg, win->node->id);
		assert_true(is_bound(win->node, "db"));
		assert_false(is_bound(lose->node, "db"));
		assert_int_equal(zks_volumes_mounted_count(lose->node->v), 0);
		info = test_get(c->a.v, "db");
		assert_int_equal(info->nholders, 1);
		assert_true(test_info_holder(info, win->node->id)->exclusive);
		test_info_free(info);
		unmount_ok(win->node, "db", win->id);
	}
}

/* ---- restarts -------------------------------------------------------------------------------- */

static void test_restart_keeps_mount_ids(void **state)
{
	struct test_cluster *c = *state;
	int64_t old_session = test_node_session(&c->a);

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	mount_ok(&c->a, "db", "c2");

	/* The plugin restarts; its old session lingers until it times out. */
	test_node_restart(&c->a, c->b, true);
	assert_int_not_equal(test_node_session(&c->a), old_session);
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 1);
	counts_mounts(&c->a, "db", 2);

	/* The lease moved to the new session: the old one expiring changes nothing. */
	zks_mem_backend_expire(c->b, old_session);
	mount_conflicts(&c->n2, "db", "x", "node-a");

	/* The IDs from before the restart unmount normally and release the lease. */
	unmount_ok(&c->a, "db", "c1");
	assert_true(is_bound(&c->a, "db"));
	unmount_ok(&c->a, "db", "c2");
	assert_false(is_bound(&c->a, "db"));
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 0);
	mount_ok(&c->n2, "db", "x");
}

/*
 * Killed between the bind and recording the mount (fault test, scenario 4): the lease went
 * with the reconcile, but the bind stayed, and the kernel showed the volume mounted on two
 * nodes once another took it.  A restart unbinds what no recorded mount explains, and
 * leaves the binds of recorded mounts alone.
 */
static void test_restart_unbinds_unrecorded_binds(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};
	char *orphan = test_node_mountpoint(&c->a, "cut");
	char *data = test_node_data_dir(&c->a, "cut");

	create_ok(&c->a, "db", NULL);
	create_ok(&c->a, "cut", NULL);
	mount_ok(&c->a, "db", "c1");
	assert_ok(c->a.fs.base.bind(&c->a.fs.base, data, orphan, false, &err), &err);
	test_node_restart(&c->a, c->b, true);
	assert_false(is_bound(&c->a, "cut"));
	assert_true(is_bound(&c->a, "db"));
	counts_mounts(&c->a, "db", 1);
	mount_ok(&c->n2, "cut", "x1");
	free(orphan);
	free(data);
}

static void test_restart_same_session(void **state)
{
	struct test_cluster *c = *state;

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	test_node_restart(&c->a, c->b, false);
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 1);
	mount_conflicts(&c->n2, "db", "x", "node-a");
	unmount_ok(&c->a, "db", "c1");
	assert_false(is_bound(&c->a, "db"));
	mount_ok(&c->n2, "db", "x");
}

static void write_state(struct test_node *n, const char *text)
{
	char *path = xasprintf("%s/mounts.json", n->state_dir);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void test_restart_with_malformed_state_file(void **state)
{
	struct test_cluster *c = *state;
	static const char *const bad[] = {
		"not json",
		"[]",
		"{\"mounts\": 5}",
		"{\"mounts\": {\"../etc\": [\"c1\"], \"db\": \"c1\", \"ok\": [5, \"bad id!\"]}}",
	};

	create_ok(&c->a, "db", NULL);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		write_state(&c->a, bad[i]);
		test_node_restart(&c->a, c->b, false);
		assert_int_equal(zks_volumes_mounted_count(c->a.v), 0);
	}
	/* And it still works. */
	mount_ok(&c->a, "db", "c1");
	test_node_restart(&c->a, c->b, false);
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 1);
}

/*
 * BUG (src/core/volumes.c, local_load and zks_volumes_unmount): local_load
 * keeps duplicate IDs from mounts.json; unmounting that ID then compacts the
 * array but frees n entries of it, and the slots past the new end still
 * hold pointers already freed or moved: a double free.  Run in a child so
 * the crash fails this test only.
 */
static void regression_duplicate_ids_in_state_file_unmount_cleanly(void **state)
{
	struct test_cluster *c = *state;
	pid_t pid;
	int status = 0;

	create_ok(&c->a, "db", NULL);
	write_state(
		&c->a,
		"{\"format\":1,\"node\":\"node-a\",\"mounts\":{\"db\":[\"c1\",\"c1\",\"c2\"]}}");
	test_node_restart(&c->a, c->b, false);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct zks_error err = {0};
		int rc = zks_volumes_unmount(c->a.v, "db", "c1", &err);

		_exit(rc == 0 ? 0 : 3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		print_error("unmount crashed with signal %d\n", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- remove ---------------------------------------------------------------------------------- */

static void test_remove_refused_while_mounted_here(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	assert_error(zks_volumes_remove(c->a.v, "db", &err), &err, ZKS_ERR_NOT_EMPTY);
	assert_contains(err.msg, "in use");
	assert_contains(err.msg, "db");
	assert_true(test_list_has(c->a.v, "db"));
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_REMOVE_DIR), 0);

	/* Even with its lease gone (session expired), a container here still uses it. */
	zks_mem_backend_expire(c->b, test_node_session(&c->a));
	assert_error(zks_volumes_remove(c->a.v, "db", &err), &err, ZKS_ERR_NOT_EMPTY);
	assert_contains(err.msg, "in use");
	assert_true(test_list_has(c->a.v, "db"));
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_REMOVE_DIR), 0);
}

static void test_remove_refused_while_other_node_holds(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};

	create_ok(&c->a, "shared", "access=multi-node");
	mount_ok(&c->n2, "shared", "c1");
	assert_error(zks_volumes_remove(c->a.v, "shared", &err), &err, ZKS_ERR_NOT_EMPTY);
	assert_contains(err.msg, "node-b");
	assert_contains(err.msg, "in use");
	assert_true(test_list_has(c->a.v, "shared"));
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_REMOVE_DIR), 0);

	unmount_ok(&c->n2, "shared", "c1");
	assert_ok(zks_volumes_remove(c->a.v, "shared", &err), &err);
}

static void test_remove_deletes_record_and_data(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};
	struct zks_volume_info *info = NULL;
	char *dir = test_node_data_dir(&c->a, "db");
	const struct fake_call *rm;

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	unmount_ok(&c->a, "db", "c1");
	assert_ok(zks_volumes_remove(c->a.v, "db", &err), &err);
	assert_error(zks_volumes_get(c->a.v, "db", &info, &err), &err, ZKS_ERR_NOT_FOUND);
	assert_error(zks_volumes_get(c->n2.v, "db", &info, &err), &err, ZKS_ERR_NOT_FOUND);
	assert_false(test_list_has(c->n2.v, "db"));
	rm = fake_fs_last(&c->a.fs, FAKE_REMOVE_DIR);
	assert_non_null(rm);
	assert_string_equal(rm->path, dir);

	/* Twice is fine, and so is never-existed. */
	assert_ok(zks_volumes_remove(c->a.v, "db", &err), &err);
	assert_ok(zks_volumes_remove(c->n2.v, "never", &err), &err);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_REMOVE_DIR), 1);

	/* The name can be used again, with new options. */
	create_ok(&c->n2, "db", "mode=0700");
	info = test_get(c->a.v, "db");
	assert_string_equal(info->created_by, "node-b");
	assert_string_equal(test_info_option(info, "mode"), "0700");
	test_info_free(info);
	free(dir);
}

static void test_remove_retain_keeps_data(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};

	create_ok(&c->a, "keep", "on-remove=retain");
	assert_ok(zks_volumes_remove(c->a.v, "keep", &err), &err);
	assert_false(test_list_has(c->a.v, "keep"));
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_REMOVE_DIR), 0);
}

static void test_remove_invalid_name(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};

	assert_error(zks_volumes_remove(c->a.v, "../etc", &err), &err, ZKS_ERR_INVALID);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_REMOVE_DIR), 0);
}

/* ---- failures roll back --------------------------------------------------------------------- */

static void test_failed_bind_releases_lease(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};
	struct zks_volume_info *info;

	create_ok(&c->a, "db", NULL);
	c->a.fs.fail_next_bind = true;
	assert_int_equal(test_mount(c->a.v, "db", "c1", &err), -1);
	assert_int_not_equal(err.code, ZKS_ERR_NONE);
	assert_contains(err.msg, "db");
	assert_contains(err.msg, "fake: bind");
	assert_false(is_bound(&c->a, "db"));
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 0);

	info = test_get(c->a.v, "db");
	assert_int_equal(info->nholders, 0);
	assert_int_equal(info->mounted_here, 0);
	test_info_free(info);
	mount_ok(&c->n2, "db", "c9");
}

static void test_failed_bind_keeps_earlier_mounts(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	/* Already bound here, so a second ID needs no bind; fail the data dir instead. */
	c->a.fs.fail_next_prepare_dir = true;
	assert_int_equal(test_mount(c->a.v, "db", "c2", &err), -1);
	assert_true(is_bound(&c->a, "db"));
	counts_mounts(&c->a, "db", 1);
	mount_conflicts(&c->n2, "db", "c9", "node-a");
}

static void test_failed_prepare_dir_on_create_leaves_nothing(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};
	struct zks_volume_info *info = NULL;

	c->a.fs.fail_next_prepare_dir = true;
	assert_int_equal(test_create(c->a.v, "db", NULL, &err), -1);
	assert_int_not_equal(err.code, ZKS_ERR_NONE);
	assert_contains(err.msg, "fake: create data directory");
	assert_error(zks_volumes_get(c->a.v, "db", &info, &err), &err, ZKS_ERR_NOT_FOUND);
	assert_error(zks_volumes_get(c->n2.v, "db", &info, &err), &err, ZKS_ERR_NOT_FOUND);
	assert_int_equal(list_count(&c->n2), 0);

	/* Nothing half-made stands in the way of the next try, with any options. */
	create_ok(&c->a, "db", "mode=0700");
}

static void test_failed_unbind_keeps_mount_id(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	c->a.fs.fail_next_unbind = true;
	assert_int_equal(zks_volumes_unmount(c->a.v, "db", "c1", &err), -1);
	assert_contains(err.msg, "db");
	/* Still mounted, still held, so a retry can finish the job. */
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 1);
	mount_conflicts(&c->n2, "db", "c9", "node-a");
	unmount_ok(&c->a, "db", "c1");
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 0);
	mount_ok(&c->n2, "db", "c9");
}

/* ---- ZooKeeper unreachable ------------------------------------------------------------------- */

static void test_store_down_reads_from_cache_writes_fail(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info = NULL;
	struct zks_error err = {0};
	char *mp = NULL;

	create_ok(&c->a, "db", "mode=0700");
	create_ok(&c->a, "other", NULL);
	zks_mem_backend_set_down(c->b, true);

	info = test_get(c->n2.v, "db");
	assert_string_equal(test_info_option(info, "mode"), "0700");
	assert_true(info->stale);
	assert_string_not_equal(info->zookeeper, "connected");
	test_info_free(info);
	assert_int_equal(list_count(&c->n2), 2);
	assert_ok(zks_volumes_path(c->n2.v, "db", &mp, &err), &err);
	free(mp);

	assert_error(test_create(c->a.v, "new", NULL, &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_error(test_mount(c->a.v, "db", "c1", &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, "db");
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_BIND), 0);
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 0);

	/* Back: nothing of the failed calls remains, everything works. */
	zks_mem_backend_set_down(c->b, false);
	assert_false(test_list_has(c->a.v, "new"));
	mount_ok(&c->a, "db", "c1");
	create_ok(&c->a, "new", NULL);
}

static void test_unmount_while_down_releases_later(void **state)
{
	struct test_cluster *c = *state;

	create_ok(&c->a, "db", NULL);
	mount_ok(&c->a, "db", "c1");
	zks_mem_backend_set_down(c->b, true);
	/* The kernel mount goes now; the lease stays held (the safe side). */
	unmount_ok(&c->a, "db", "c1");
	assert_false(is_bound(&c->a, "db"));
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 0);
	zks_mem_backend_set_down(c->b, false);
	mount_conflicts(&c->n2, "db", "c9", "node-a");
	/* The next reconcile gives it back. */
	zks_volumes_reconcile(c->a.v);
	mount_ok(&c->n2, "db", "c9");
}

/* ---- corrupt records ------------------------------------------------------------------------- */

static void corrupt_volume(struct test_cluster *c, const char *data)
{
	test_store_put(c->a.store, "/volumes/bad", data);
	test_store_put(c->a.store, "/volumes/bad/leases", NULL);
}

static void check_corrupt_volume_reported(struct test_cluster *c)
{
	struct zks_volume_info *info = NULL;
	struct zks_error err = {0};
	char *mp = NULL;

	info = test_get(c->a.v, "bad");
	assert_string_equal(info->name, "bad");
	assert_true(info->corrupt);
	test_info_free(info);
	assert_true(test_list_has(c->a.v, "bad"));

	/* Refused as corrupt data ("a bug or corrupt data"), saying which record. */
	assert_error(zks_volumes_mount(c->a.v, "bad", "c1", &mp, &err), &err, ZKS_ERR_INTERNAL);
	assert_null(mp);
	assert_contains(err.msg, "bad");
	assert_contains(err.msg, "record");
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_BIND), 0);
	assert_int_equal(zks_volumes_mounted_count(c->a.v), 0);
}

static void test_corrupt_record_not_json(void **state)
{
	struct test_cluster *c = *state;

	create_ok(&c->a, "good", NULL);
	corrupt_volume(c, "not json");
	check_corrupt_volume_reported(c);
	assert_true(test_list_has(c->a.v, "good"));
}

static void test_corrupt_record_options_not_object(void **state)
{
	struct test_cluster *c = *state;

	corrupt_volume(c, "{\"options\":5}");
	check_corrupt_volume_reported(c);
}

static void test_corrupt_record_empty(void **state)
{
	struct test_cluster *c = *state;

	corrupt_volume(c, NULL);
	check_corrupt_volume_reported(c);
}

static void test_corrupt_record_option_not_string(void **state)
{
	struct test_cluster *c = *state;

	corrupt_volume(c, "{\"options\":{\"mode\":493}}");
	check_corrupt_volume_reported(c);
}

/*
 * BUG (src/core/volumes.c, record_parse): a record whose options are all
 * strings but do not parse (a value out of range, or a key a newer version
 * added) fails with the parser's ZKS_ERR_INVALID instead of
 * ZKS_ERR_INTERNAL, so fill_info does not treat it as corrupt: Get fails
 * (HTTP 400) and List silently drops the volume, the very "make the engine
 * forget it" fill_info means to avoid.
 */
static void regression_record_with_unparsable_options_reported_corrupt(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info = NULL;
	struct zks_error err = {0};
	int rc;

	corrupt_volume(c, "{\"name\":\"bad\",\"options\":{\"mode\":\"0999\",\"size\":\"1G\"}}");
	assert_true(test_list_has(c->a.v, "bad"));
	rc = zks_volumes_get(c->a.v, "bad", &info, &err);
	assert_ok(rc, &err);
	assert_true(info->corrupt);
	test_info_free(info);
}

static void test_corrupt_leases_do_not_crash(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_info *info;

	create_ok(&c->a, "db", NULL);
	/* `leases` comes with a first lease (none yet here): made as a Mount would. */
	test_store_put(c->a.store, "/volumes/db/leases", NULL);
	test_store_put(c->a.store, "/volumes/db/leases/ghost", "garbage");
	test_store_put(c->a.store, "/volumes/db/holder", "{\"node\":7}");
	info = test_get(c->a.v, "db");
	assert_non_null(test_info_holder(info, "ghost"));
	test_info_free(info);
	/* Someone holds it, even if we cannot read who: refuse rather than share. */
	assert_int_equal(test_mount(c->a.v, "db", "c1", &(struct zks_error){0}), -1);
	assert_false(is_bound(&c->a, "db"));
}

/* ---- `leases`: made with a volume's first lease, deleted with its last ----------------------- */

/* What ZooKeeper has of a volume's record: its version and child count, and its data. */
struct record_state {
	int32_t version;
	int32_t children;
	char *data;
};

static struct record_state record_state(struct zks_store *s, const char *name)
{
	char *path = xasprintf("/volumes/%s", name);
	struct record_state rs = {0};
	struct zks_error err = {0};
	struct zks_stat st;

	assert_ok(store_get(s, path, &rs.data, NULL, &st, &err), &err);
	rs.version = st.version;
	rs.children = st.num_children;
	free(path);
	return rs;
}

/* name's record in ZooKeeper has version and data as in before (its data unchanged). */
static void record_is(struct zks_store *s, const char *name, const struct record_state *before,
		      int32_t version)
{
	struct record_state now = record_state(s, name);

	assert_int_equal(now.version, version);
	assert_string_equal(now.data, before->data);
	free(now.data);
}

/* The nodes with a lease under name's `leases`, "a,b" (sorted); "-" without `leases`. */
static char *lease_nodes(struct zks_store *s, const char *name)
{
	char *path = xasprintf("/volumes/%s/leases", name);
	struct zks_error err = {0};
	char **nodes = NULL;
	size_t n = 0;
	char *out;

	if (store_children(s, path, &nodes, &n, &err) < 0) {
		assert_int_equal(err.code, ZKS_ERR_NOT_FOUND);
		free(path);
		return xstrdup("-");
	}
	out = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%s", out, i ? "," : "", nodes[i]);

		free(out);
		out = next;
	}
	zks_free_strv(nodes, n);
	free(path);
	return out;
}

static void leases_are(struct zks_store *s, const char *name, const char *want)
{
	char *have = lease_nodes(s, name);

	assert_string_equal(have, want);
	free(have);
}

/* A Create makes the record alone: an unmounted volume's record has no child. */
static void test_create_makes_record_without_children(void **state)
{
	struct test_cluster *c = *state;
	struct record_state rs;

	create_ok(&c->a, "db", NULL);
	create_ok(&c->a, "shared", "access=multi-node");
	rs = record_state(c->a.store, "db");
	assert_int_equal(rs.children, 0);
	assert_int_equal(rs.version, 0);
	free(rs.data);
	rs = record_state(c->a.store, "shared");
	assert_int_equal(rs.children, 0);
	free(rs.data);
	assert_false(test_store_exists(c->a.store, "/volumes/db/leases"));
	/* A Create repeated changes nothing. */
	create_ok(&c->n2, "db", NULL);
	assert_false(test_store_exists(c->a.store, "/volumes/db/leases"));
}

/*
 * The first Mount makes `leases` with its lease and sets the record to its own data (one
 * version up, every mirror's watch on it fires); later Mounts, here and on other nodes, find
 * `leases` and leave the record alone.
 */
static void test_first_mount_makes_leases_and_touches_record(void **state)
{
	struct test_cluster *c = *state;
	struct record_state before;

	create_ok(&c->a, "shared", "access=multi-node");
	before = record_state(c->a.store, "shared");
	mount_ok(&c->a, "shared", "c1");
	leases_are(c->a.store, "shared", "node-a");
	record_is(c->a.store, "shared", &before, before.version + 1);
	mount_ok(&c->a, "shared", "c2"); /* the lease's set */
	mount_ok(&c->n2, "shared", "c3");
	leases_are(c->a.store, "shared", "node-a,node-b");
	record_is(c->a.store, "shared", &before, before.version + 1);
	assert_false(test_store_exists(c->a.store, "/volumes/shared/holder"));
	free(before.data);
}

/*
 * The last Unmount deletes `leases`, and the record is childless again without a change of
 * its own; an Unmount while another node holds a lease keeps `leases`.
 */
static void test_last_unmount_deletes_leases(void **state)
{
	struct test_cluster *c = *state;
	struct record_state before, now;

	create_ok(&c->a, "shared", "access=multi-node");
	mount_ok(&c->a, "shared", "c1");
	mount_ok(&c->n2, "shared", "c2");
	before = record_state(c->a.store, "shared");
	unmount_ok(&c->a, "shared", "c1");
	leases_are(c->a.store, "shared", "node-b");
	unmount_ok(&c->n2, "shared", "c2");
	leases_are(c->a.store, "shared", "-");
	now = record_state(c->a.store, "shared");
	assert_int_equal(now.children, 0);
	free(now.data);
	record_is(c->a.store, "shared", &before, before.version);

	/* Mounted again: made again, with a touch. */
	mount_ok(&c->n2, "shared", "c3");
	leases_are(c->a.store, "shared", "node-b");
	record_is(c->a.store, "shared", &before, before.version + 1);
	free(before.data);
}

/* A single-node volume: the holder comes with the lease and `leases`, and goes with them. */
static void test_single_node_release_deletes_lease_holder_and_leases(void **state)
{
	struct test_cluster *c = *state;
	struct record_state before, now;

	create_ok(&c->a, "db", NULL);
	before = record_state(c->a.store, "db");
	mount_ok(&c->a, "db", "c1");
	leases_are(c->a.store, "db", "node-a");
	assert_true(test_store_exists(c->a.store, "/volumes/db/holder"));
	record_is(c->a.store, "db", &before, before.version + 1);

	unmount_ok(&c->a, "db", "c1");
	assert_false(test_store_exists(c->a.store, "/volumes/db/holder"));
	leases_are(c->a.store, "db", "-");
	now = record_state(c->a.store, "db");
	assert_int_equal(now.children, 0);
	free(now.data);
	record_is(c->a.store, "db", &before, before.version + 1);
	free(before.data);
}

/*
 * A record made by an earlier version has an empty `leases`, and so has one whose last lease
 * went with its session: a Mount uses it as it is (no touch), and the next last Unmount
 * deletes it.
 */
static void test_empty_leases_kept_until_next_last_unmount(void **state)
{
	struct test_cluster *c = *state;
	struct record_state before;

	create_ok(&c->a, "db", NULL);
	test_store_put(c->a.store, "/volumes/db/leases", NULL);
	before = record_state(c->a.store, "db");
	mount_ok(&c->a, "db", "c1");
	leases_are(c->a.store, "db", "node-a");
	record_is(c->a.store, "db", &before, before.version);
	unmount_ok(&c->a, "db", "c1");
	leases_are(c->a.store, "db", "-");

	mount_ok(&c->a, "db", "c1");
	zks_mem_backend_expire(c->b, test_node_session(&c->a));
	assert_false(test_store_exists(c->a.store, "/volumes/db/holder"));
	leases_are(c->a.store, "db", "");
	mount_ok(&c->n2, "db", "c2");
	record_is(c->a.store, "db", &before, before.version + 1);
	unmount_ok(&c->n2, "db", "c2");
	leases_are(c->a.store, "db", "-");
	free(before.data);
}

/* ---- the reaper leader's sweep of empty `leases` ---------------------------------------------- */

/* A node's registration: with "layout": 2, or (layout 1) as an earlier version writes it. */
static void registered(struct test_cluster *c, const char *node, int layout)
{
	char *path = xasprintf("/nodes/%s", node);
	char *data =
		xasprintf(layout > 1 ? "{\"address\":\"\",\"layout\":%d}" : "{\"address\":\"\"}",
			  layout);

	if (!test_store_exists(c->a.store, "/nodes"))
		test_store_put(c->a.store, "/nodes", NULL);
	test_store_put(c->a.store, path, data);
	free(data);
	free(path);
}

/* A volume as an earlier version's Create leaves it: the record with an empty `leases`. */
static void created_by_layout1(struct test_cluster *c, const char *name)
{
	char *leases = xasprintf("/volumes/%s/leases", name);

	create_ok(&c->a, name, "access=multi-node");
	test_store_put(c->a.store, leases, NULL);
	free(leases);
}

/*
 * The sweep deletes an empty `leases` (the record's data and version untouched), keeps one
 * with a lease and one of a record it cannot read, and a later Mount makes it again with the
 * touch.
 */
static void test_sweep_deletes_empty_leases(void **state)
{
	struct test_cluster *c = *state;
	struct record_state before, now;

	registered(c, "node-a", 2);
	registered(c, "node-b", 2);
	created_by_layout1(c, "old");
	created_by_layout1(c, "busy");
	mount_ok(&c->n2, "busy", "c1");
	create_ok(&c->a, "new", NULL);
	test_store_put(c->a.store, "/volumes/junk", "not json");
	test_store_put(c->a.store, "/volumes/junk/leases", NULL);
	before = record_state(c->a.store, "old");

	zks_volumes_sweep(c->a.v, 1);
	leases_are(c->a.store, "old", "-");
	leases_are(c->a.store, "busy", "node-b");
	leases_are(c->a.store, "new", "-");
	leases_are(c->a.store, "junk", ""); /* left whole to `zkswarmctl repair` */
	now = record_state(c->a.store, "old");
	assert_int_equal(now.children, 0);
	free(now.data);
	record_is(c->a.store, "old", &before, before.version);

	mount_ok(&c->n2, "old", "c2");
	leases_are(c->a.store, "old", "node-b");
	record_is(c->a.store, "old", &before, before.version + 1);
	free(before.data);
}

/*
 * While a registered node keeps layout 1 (it makes a missing `leases` without the touch), the
 * sweep deletes nothing; once it has gone, the next pass does.
 */
static void test_sweep_waits_for_every_node_to_keep_layout_2(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};

	registered(c, "node-a", 2);
	registered(c, "old-node", 1);
	created_by_layout1(c, "old");
	zks_volumes_sweep(c->a.v, 1);
	leases_are(c->a.store, "old", "");
	zks_volumes_sweep(c->a.v, 100000);
	leases_are(c->a.store, "old", "");

	assert_ok(store_remove(c->a.store, "/nodes/old-node", -1, &err), &err);
	zks_volumes_sweep(c->a.v, 200000);
	leases_are(c->a.store, "old", "-");
}

/* How many of the volumes v000.. v<n-1> still have `leases`. */
static size_t leases_left(struct test_cluster *c, int n)
{
	char path[64];
	size_t left = 0;

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/volumes/v%03d/leases", i);
		left += test_store_exists(c->a.store, path);
	}
	return left;
}

/* Paced: at most 50 deletes per pass, and one pass per 2 s whatever calls it. */
static void test_sweep_is_paced(void **state)
{
	struct test_cluster *c = *state;
	char name[32];

	registered(c, "node-a", 2);
	for (int i = 0; i < 120; i++) {
		snprintf(name, sizeof(name), "v%03d", i);
		created_by_layout1(c, name);
	}
	zks_volumes_sweep(c->a.v, 10000);
	assert_int_equal(leases_left(c, 120), 70);
	zks_volumes_sweep(c->a.v, 11999); /* within 2 s: nothing */
	zks_volumes_sweep(c->a.v, 10500);
	assert_int_equal(leases_left(c, 120), 70);
	zks_volumes_sweep(c->a.v, 12000);
	assert_int_equal(leases_left(c, 120), 20);
	zks_volumes_sweep(c->a.v, 14000);
	assert_int_equal(leases_left(c, 120), 0);
}

/* ---- races between a read and its commit ------------------------------------------------------ */

/*
 * A store that forwards to a node's own and, just before the first transaction with a step of
 * type on path (the commit of a change built on what was read), lets another writer's change
 * land (race): ZooKeeper applying someone's write between our reads and our transaction.
 * ghost: a path its mirror shows though ZooKeeper has none (NULL: none), a mirror behind.
 */
struct racing_store {
	struct zks_store base;
	struct zks_store *real;
	enum zks_op_type type;
	const char *path;
	const char *ghost;
	void (*race)(struct test_cluster *c);
	struct test_cluster *c;
	bool raced;
	int multis; /* transactions sent */
};

#define RACING(s) ((struct racing_store *)(s))

static int racing_multi(struct zks_store *s, const struct zks_op *ops, size_t n,
			struct zks_error *err)
{
	struct racing_store *r = RACING(s);

	for (size_t i = 0; i < n && r->race != NULL && !r->raced; i++)
		if (ops[i].type == r->type && strcmp(ops[i].path, r->path) == 0) {
			r->raced = true;
			r->race(r->c);
		}
	r->multis++;
	return store_multi(r->real, ops, n, err);
}

static int racing_get(struct zks_store *s, const char *path, char **data, size_t *len,
		      struct zks_stat *st, struct zks_error *err)
{
	return store_get(RACING(s)->real, path, data, len, st, err);
}

static int racing_children(struct zks_store *s, const char *path, char ***names, size_t *n,
			   struct zks_error *err)
{
	return store_children(RACING(s)->real, path, names, n, err);
}

static int racing_cached_get(struct zks_store *s, const char *path, char **data, size_t *len,
			     struct zks_stat *st)
{
	const char *ghost = RACING(s)->ghost;

	if (ghost != NULL && strcmp(path, ghost) == 0) {
		if (data)
			*data = NULL;
		if (len)
			*len = 0;
		if (st)
			memset(st, 0, sizeof(*st));
		return 0;
	}
	return store_cached_get(RACING(s)->real, path, data, len, st);
}

static int racing_cached_children(struct zks_store *s, const char *path, char ***names, size_t *n)
{
	const char *ghost = RACING(s)->ghost;

	if (ghost != NULL && strcmp(path, ghost) == 0) {
		*names = xcalloc(1, sizeof(char *));
		*n = 0;
		return 0;
	}
	return store_cached_children(RACING(s)->real, path, names, n);
}

static void racing_status(struct zks_store *s, struct zks_store_status *out)
{
	store_status(RACING(s)->real, out);
}

static void racing_on_session(struct zks_store *s, zks_session_fn fn, void *ctx)
{
	store_on_session(RACING(s)->real, fn, ctx);
}

static void racing_on_change(struct zks_store *s, const char *const *under, zks_change_fn fn,
			     void *ctx)
{
	store_on_change(RACING(s)->real, under, fn, ctx);
}

static void racing_destroy(struct zks_store *s)
{
	store_destroy(RACING(s)->real);
	free(s);
}

static const struct zks_store_ops racing_ops = {
	.multi = racing_multi,
	.get = racing_get,
	.children = racing_children,
	.cached_get = racing_cached_get,
	.cached_children = racing_cached_children,
	.status = racing_status,
	.on_session = racing_on_session,
	.on_change = racing_on_change,
	.destroy = racing_destroy,
};

/* node-a's service, restarted on a racing store (its session kept); the node owns it. */
static struct racing_store *racing_node_a(struct test_cluster *c)
{
	struct racing_store *r = xcalloc(1, sizeof(*r));

	r->base.ops = &racing_ops;
	r->real = c->a.store;
	r->c = c;
	c->a.store = &r->base;
	test_node_restart(&c->a, c->b, false);
	return r;
}

/* From now: race before the first transaction with a step of type on path; count anew. */
static void racing_arm(struct racing_store *r, enum zks_op_type type, const char *path,
		       void (*race)(struct test_cluster *c))
{
	r->type = type;
	r->path = path;
	r->race = race;
	r->raced = false;
	r->multis = 0;
}

/* Another writer makes `leases` bare, as a hand or a buggy client would. */
static void leases_made_bare(struct test_cluster *c)
{
	test_store_put(c->n2.store, "/volumes/shared/leases", NULL);
}

static void node_b_mounts(struct test_cluster *c)
{
	mount_ok(&c->n2, "shared", "cb");
}

static void node_b_unmounts(struct test_cluster *c)
{
	unmount_ok(&c->n2, "shared", "cb");
}

/*
 * Another node's Mount lands between the sweep's look at the mirror and its delete: ZooKeeper
 * refuses the delete (NOT_EMPTY), and the lease and `leases` stay.
 */
static void test_sweep_refused_by_a_lease_made_meanwhile(void **state)
{
	struct test_cluster *c = *state;
	struct racing_store *r;

	registered(c, "node-a", 2);
	registered(c, "node-b", 2);
	created_by_layout1(c, "shared");
	r = racing_node_a(c);
	racing_arm(r, ZKS_OP_DELETE, "/volumes/shared/leases", node_b_mounts);
	zks_volumes_sweep(c->a.v, 1);
	assert_true(r->raced);
	leases_are(c->a.store, "shared", "node-b");
	unmount_ok(&c->n2, "shared", "cb");
	leases_are(c->a.store, "shared", "-");
}

/* `leases` made by someone else between node-a's reads and its commit: the Mount goes on. */
static void test_mount_when_leases_made_meanwhile(void **state)
{
	struct test_cluster *c = *state;
	struct racing_store *r = racing_node_a(c);
	struct record_state before;

	create_ok(&c->a, "shared", "access=multi-node");
	before = record_state(c->a.store, "shared");
	racing_arm(r, ZKS_OP_CREATE, "/volumes/shared/leases", leases_made_bare);
	mount_ok(&c->a, "shared", "c1");
	assert_true(r->raced);
	assert_int_equal(r->multis, 2); /* refused (EXISTS), then built on ZooKeeper's reads */
	leases_are(c->a.store, "shared", "node-a");
	/* Found there the second time: no touch of ours (the bare create made none either). */
	record_is(c->a.store, "shared", &before, before.version);
	free(before.data);
}

/* node-b's first Mount between node-a's reads and its commit: one touch, both leases. */
static void test_mount_when_another_node_mounted_meanwhile(void **state)
{
	struct test_cluster *c = *state;
	struct racing_store *r = racing_node_a(c);
	struct record_state before;

	create_ok(&c->a, "shared", "access=multi-node");
	before = record_state(c->a.store, "shared");
	racing_arm(r, ZKS_OP_CREATE, "/volumes/shared/leases", node_b_mounts);
	mount_ok(&c->a, "shared", "c1");
	assert_true(r->raced);
	assert_int_equal(r->multis, 2); /* refused (CONFLICT: node-b's touch), then again */
	leases_are(c->a.store, "shared", "node-a,node-b");
	record_is(c->a.store, "shared", &before, before.version + 1);
	free(before.data);
}

/*
 * node-a's view has `leases` (node-b's lease under it); node-b's last Unmount deletes it before
 * node-a commits.  node-a's lease finds no parent (NOT_FOUND); the next attempt makes `leases`
 * again, with its touch.
 */
static void test_mount_when_leases_deleted_meanwhile(void **state)
{
	struct test_cluster *c = *state;
	struct racing_store *r = racing_node_a(c);
	struct record_state before;

	create_ok(&c->a, "shared", "access=multi-node");
	node_b_mounts(c);
	before = record_state(c->a.store, "shared");
	racing_arm(r, ZKS_OP_CREATE, "/volumes/shared/leases/node-a", node_b_unmounts);
	mount_ok(&c->a, "shared", "c1");
	assert_true(r->raced);
	assert_int_equal(r->multis, 2);
	leases_are(c->a.store, "shared", "node-a");
	record_is(c->a.store, "shared", &before, before.version + 1);
	free(before.data);
}

/*
 * node-b's lease comes under `leases` between node-a's reads for its last Unmount and its
 * commit: the delete of `leases` is refused (NOT_EMPTY), and the next attempt releases node-a's
 * lease alone.
 */
static void test_last_unmount_when_another_node_mounted_meanwhile(void **state)
{
	struct test_cluster *c = *state;
	struct racing_store *r = racing_node_a(c);
	struct record_state before;

	create_ok(&c->a, "shared", "access=multi-node");
	mount_ok(&c->a, "shared", "c1");
	before = record_state(c->a.store, "shared");
	racing_arm(r, ZKS_OP_DELETE, "/volumes/shared/leases", node_b_mounts);
	unmount_ok(&c->a, "shared", "c1");
	assert_true(r->raced);
	assert_int_equal(r->multis, 2);
	leases_are(c->a.store, "shared", "node-b");
	record_is(c->a.store, "shared", &before, before.version);
	free(before.data);
}

/*
 * node-b's first Mount between node-a's reads for a Remove and its commit: its touch refuses
 * the record's delete, and the Remove says who uses the volume.
 */
static void test_remove_when_first_mounted_meanwhile(void **state)
{
	struct test_cluster *c = *state;
	struct racing_store *r = racing_node_a(c);
	struct zks_error err = {0};

	create_ok(&c->a, "shared", "access=multi-node");
	racing_arm(r, ZKS_OP_DELETE, "/volumes/shared", node_b_mounts);
	assert_error(zks_volumes_remove(c->a.v, "shared", &err), &err, ZKS_ERR_NOT_EMPTY);
	assert_true(r->raced);
	assert_contains(err.msg, "in use");
	assert_contains(err.msg, "node-b");
	assert_true(test_list_has(c->a.v, "shared"));
	leases_are(c->a.store, "shared", "node-b");
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_REMOVE_DIR), 0);
}

/* A mirror that still shows a `leases` ZooKeeper has deleted: the Remove still removes. */
static void test_remove_with_leases_gone_from_zookeeper(void **state)
{
	struct test_cluster *c = *state;
	struct racing_store *r = racing_node_a(c);
	struct zks_error err = {0};

	create_ok(&c->a, "shared", "access=multi-node");
	r->ghost = "/volumes/shared/leases";
	racing_arm(r, ZKS_OP_DELETE, "/volumes/shared", NULL);
	assert_ok(zks_volumes_remove(c->a.v, "shared", &err), &err);
	assert_int_equal(r->multis, 2); /* the mirror's try (NOT_FOUND), then ZooKeeper's */
	assert_false(test_store_exists(c->a.store, "/volumes/shared"));
}

/* The reaper leader's sweep deletes shared's empty `leases` (on another node). */
static void leases_swept(struct test_cluster *c)
{
	struct zks_error err = {0};

	assert_ok(store_remove(c->n2.store, "/volumes/shared/leases", -1, &err), &err);
}

/*
 * The sweep deletes an empty `leases` between a Remove's reads and its commit: the commit is
 * refused (NOT_FOUND), and the Remove reads ZooKeeper and removes.
 */
static void test_remove_when_leases_swept_meanwhile(void **state)
{
	struct test_cluster *c = *state;
	struct racing_store *r = racing_node_a(c);
	struct zks_error err = {0};

	created_by_layout1(c, "shared");
	racing_arm(r, ZKS_OP_DELETE, "/volumes/shared/leases", leases_swept);
	assert_ok(zks_volumes_remove(c->a.v, "shared", &err), &err);
	assert_true(r->raced);
	assert_int_equal(r->multis, 2); /* the mirror's try (NOT_FOUND), then ZooKeeper's */
	assert_false(test_store_exists(c->a.store, "/volumes/shared"));
}

/* ---- a mirror being resynced ----------------------------------------------------------------- */

/*
 * A store whose mirror is catching up while ZooKeeper answers (after a restart from the saved
 * file, or a reconnect): cached reads answer from an earlier state (old), everything else
 * from the real store, and the status says connected but not synced.  Lagging: a synced
 * mirror behind on others' changes (a paced burst ahead of their re-reads): cached reads
 * answer from both, the real store's (our own writes, put at once) first.
 */
struct resyncing_store {
	struct zks_store base;
	struct zks_store *real, *old;
	bool lagging;
};

#define RS(s) ((struct resyncing_store *)(s))

static int rs_multi(struct zks_store *s, const struct zks_op *ops, size_t n, struct zks_error *err)
{
	return store_multi(RS(s)->real, ops, n, err);
}

static int rs_get(struct zks_store *s, const char *path, char **data, size_t *len,
		  struct zks_stat *st, struct zks_error *err)
{
	return store_get(RS(s)->real, path, data, len, st, err);
}

static int rs_children(struct zks_store *s, const char *path, char ***names, size_t *n,
		       struct zks_error *err)
{
	return store_children(RS(s)->real, path, names, n, err);
}

static int rs_cached_get(struct zks_store *s, const char *path, char **data, size_t *len,
			 struct zks_stat *st)
{
	if (RS(s)->lagging && store_cached_get(RS(s)->real, path, data, len, st) == 0)
		return 0;
	return store_cached_get(RS(s)->old, path, data, len, st);
}

static int rs_cached_children(struct zks_store *s, const char *path, char ***names, size_t *n)
{
	char **mine = NULL;
	size_t nmine = 0;
	int r = store_cached_children(RS(s)->old, path, names, n);

	if (!RS(s)->lagging || store_cached_children(RS(s)->real, path, &mine, &nmine) < 0)
		return r;
	if (r < 0) {
		*names = mine;
		*n = nmine;
		return 0;
	}
	for (size_t i = 0; i < nmine; i++) {
		bool known = false;

		for (size_t j = 0; j < *n && !known; j++)
			known = strcmp((*names)[j], mine[i]) == 0;
		if (!known) {
			*names = xrealloc(*names, (*n + 2) * sizeof(char *));
			(*names)[(*n)++] = xstrdup(mine[i]);
			(*names)[*n] = NULL;
		}
	}
	zks_free_strv(mine, nmine);
	return 0;
}

static void rs_status(struct zks_store *s, struct zks_store_status *out)
{
	store_status(RS(s)->real, out);
	out->mirror_synced = RS(s)->lagging;
}

static void rs_on_session(struct zks_store *s, zks_session_fn fn, void *ctx)
{
	store_on_session(RS(s)->real, fn, ctx);
}

static void rs_on_change(struct zks_store *s, const char *const *under, zks_change_fn fn, void *ctx)
{
	store_on_change(RS(s)->real, under, fn, ctx);
}

static void rs_destroy(struct zks_store *s)
{
	store_destroy(RS(s)->real);
	store_destroy(RS(s)->old);
	free(s);
}

static const struct zks_store_ops rs_ops = {
	.multi = rs_multi,
	.get = rs_get,
	.children = rs_children,
	.cached_get = rs_cached_get,
	.cached_children = rs_cached_children,
	.status = rs_status,
	.on_session = rs_on_session,
	.on_change = rs_on_change,
	.destroy = rs_destroy,
};

/*
 * Node C's mirror still shows node B holding single-node db; B has released it since, and C
 * mounts it: C's Get shows C alone, as ZooKeeper has it, never C beside B.  lagging: C's
 * mirror is synced and behind (else: resyncing, from its saved file).
 */
static void get_shows_zookeepers_holders(struct test_cluster *c, bool lagging)
{
	struct zks_mem_backend *ob = test_backend_new();
	struct test_node old_b, nc;
	struct resyncing_store *rs = xcalloc(1, sizeof(*rs));
	struct zks_volume_info *info;

	test_node_init(&old_b, ob, "node-b");
	create_ok(&old_b, "db", NULL);
	mount_ok(&old_b, "db", "c1");
	create_ok(&c->n2, "db", NULL);
	test_node_init(&nc, c->b, "node-c");
	rs->base.ops = &rs_ops;
	rs->real = nc.store;
	rs->old = zks_store_mem_new(ob);
	rs->lagging = lagging;
	nc.store = &rs->base;
	test_node_restart(&nc, c->b, false);
	/* The old state, as the mirror has it. */
	info = test_get(old_b.v, "db");
	assert_non_null(test_info_holder(info, "node-b"));
	test_info_free(info);

	mount_ok(&nc, "db", "c2");
	info = test_get(nc.v, "db");
	assert_int_equal(info->stale, !lagging);
	assert_int_equal(info->nholders, 1);
	assert_non_null(test_info_holder(info, "node-c"));
	assert_true(test_info_holder(info, "node-c")->exclusive);
	assert_null(test_info_holder(info, "node-b"));
	test_info_free(info);
	test_node_fini(&nc);
	test_node_fini(&old_b);
	zks_mem_backend_free(ob);
}

static void test_get_while_resyncing_shows_zookeepers_holders(void **state)
{
	get_shows_zookeepers_holders(*state, false);
}

/* A Get of a synced mirror that shows two holders of a single-node volume asks ZooKeeper. */
static void test_get_of_a_lagging_mirror_shows_zookeepers_holders(void **state)
{
	get_shows_zookeepers_holders(*state, true);
}

/* A test with the file's fixture around it. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, test_cluster_setup, test_cluster_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_then_get),
		T(test_get_while_resyncing_shows_zookeepers_holders),
		T(test_get_of_a_lagging_mirror_shows_zookeepers_holders),
		T(test_create_is_visible_cluster_wide),
		T(test_list),
		T(test_create_again_same_effective_options),
		T(test_create_again_different_options_conflicts),
		T(test_create_invalid_creates_nothing),
		T(test_unknown_volume_is_not_found),
		T(test_mount_binds_data_dir),
		T(test_mount_readonly_binds_readonly),
		T(test_mount_same_id_twice_needs_two_unmounts),
		T(test_restart_keeps_repeated_id_count),
		T(test_mount_count_bounded),
		T(test_two_ids_unmount_last_unbinds),
		T(test_unmount_unknown_id_is_fine),
		T(test_mount_id_validated),
		T(test_single_node_excludes_other_node),
		T(test_multi_node_both_mount),
		T(test_expired_session_frees_single_node_volume),
		T(test_new_session_reestablishes_lease),
		T(test_reconcile_yields_to_other_holder),
		T(test_unmount_after_losing_lease_leaves_holder_alone),
		T(test_concurrent_mounts_one_winner),
		T(test_restart_keeps_mount_ids),
		T(test_restart_unbinds_unrecorded_binds),
		T(test_restart_same_session),
		T(test_restart_with_malformed_state_file),
		T(regression_duplicate_ids_in_state_file_unmount_cleanly),
		T(test_remove_refused_while_mounted_here),
		T(test_remove_refused_while_other_node_holds),
		T(test_remove_deletes_record_and_data),
		T(test_remove_retain_keeps_data),
		T(test_remove_invalid_name),
		T(test_failed_bind_releases_lease),
		T(test_failed_bind_keeps_earlier_mounts),
		T(test_failed_prepare_dir_on_create_leaves_nothing),
		T(test_failed_unbind_keeps_mount_id),
		T(test_store_down_reads_from_cache_writes_fail),
		T(test_unmount_while_down_releases_later),
		T(test_corrupt_record_not_json),
		T(test_corrupt_record_options_not_object),
		T(test_corrupt_record_empty),
		T(test_corrupt_record_option_not_string),
		T(regression_record_with_unparsable_options_reported_corrupt),
		T(test_corrupt_leases_do_not_crash),
		T(test_create_makes_record_without_children),
		T(test_first_mount_makes_leases_and_touches_record),
		T(test_last_unmount_deletes_leases),
		T(test_single_node_release_deletes_lease_holder_and_leases),
		T(test_empty_leases_kept_until_next_last_unmount),
		T(test_sweep_deletes_empty_leases),
		T(test_sweep_waits_for_every_node_to_keep_layout_2),
		T(test_sweep_is_paced),
		T(test_sweep_refused_by_a_lease_made_meanwhile),
		T(test_remove_when_leases_swept_meanwhile),
		T(test_mount_when_leases_made_meanwhile),
		T(test_mount_when_another_node_mounted_meanwhile),
		T(test_mount_when_leases_deleted_meanwhile),
		T(test_last_unmount_when_another_node_mounted_meanwhile),
		T(test_remove_when_first_mounted_meanwhile),
		T(test_remove_with_leases_gone_from_zookeeper),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
