/*
 * test_config_volumes.c - configuration volumes through the volume service
 * (volumes.h with config_sync.h): two nodes on one in-memory cluster, each
 * with its own copies' service on a real directory and a fake filesystem for
 * the binds.  Create makes the config's records in the same transaction as
 * the volume's, the options are forced and checked, a Mount binds this
 * node's copy read-only, a change reaches every mounting node, the last
 * Unmount removes the copy, Remove deletes the whole history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "zkswarm/config_sync.h"
#include "zkswarm/configs.h"
#include "zkswarm/util.h"
#include "zkswarm/volumes.h"

#define WAIT_MS 5000

struct cnode {
	char *id;
	char *dir;
	char *configs; /* STATE_DIR/configs */
	struct zks_mem_backend *b;
	struct zks_store *store; /* a new one (a new session) at each start */
	struct fake_fs fs;
	struct zks_config_sync *cs;
	struct zks_volumes *v;
};

struct cluster {
	struct zks_mem_backend *b;
	struct cnode a, n2;
};

/* The node's services over its store and directories (again after a restart). */
static void cnode_start(struct cnode *n)
{
	struct zks_error err = {0};
	cleanup_free char *data = xasprintf("%s/data", n->dir);
	cleanup_free char *mnt = xasprintf("%s/mnt", n->dir);
	cleanup_free char *state = xasprintf("%s/state", n->dir);
	struct zks_config_sync_config cc = {.node_id = n->id, .dir = n->configs};
	struct zks_volumes_config vc = {.node_id = n->id,
					.data_dir = data,
					.mount_root = mnt,
					.state_dir = state};

	n->store = zks_store_mem_new(n->b);
	n->cs = zks_config_sync_new(n->store, &cc, &err);
	assert_non_null(n->cs);
	assert_ok(zks_config_sync_start(n->cs, &err), &err);
	vc.configs = n->cs;
	n->v = zks_volumes_new(n->store, &n->fs.base, &vc, &err);
	assert_non_null(n->v);
}

/* The daemon stops, in zkswarmd's order (its old session lingers; the kernel's mounts stay). */
static void cnode_stop(struct cnode *n)
{
	zks_config_sync_stop(n->cs);
	store_stop(n->store);
	zks_volumes_free(n->v);
	zks_config_sync_free(n->cs);
	store_destroy(n->store);
	n->v = NULL;
	n->cs = NULL;
	n->store = NULL;
}

static void cnode_init(struct cnode *n, struct zks_mem_backend *b, const char *id)
{
	memset(n, 0, sizeof(*n));
	n->id = xstrdup(id);
	n->dir = test_mkdtemp();
	n->configs = xasprintf("%s/state/configs", n->dir);
	n->b = b;
	fake_fs_init(&n->fs); /* no path checks: the copies live in the state directory */
	cnode_start(n);
}

static void cnode_fini(struct cnode *n)
{
	cnode_stop(n);
	fake_fs_fini(&n->fs);
	test_rmtree(n->dir);
	free(n->dir);
	free(n->configs);
	free(n->id);
}

static int setup(void **state)
{
	struct cluster *c = xcalloc(1, sizeof(*c));

	c->b = test_backend_new();
	cnode_init(&c->a, c->b, "node-a");
	cnode_init(&c->n2, c->b, "node-b");
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct cluster *c = *state;

	cnode_fini(&c->a);
	cnode_fini(&c->n2);
	zks_mem_backend_free(c->b);
	free(c);
	return 0;
}

static void put_ok(struct cnode *n, const char *name, const char *file, const char *text,
		   uint64_t want_version)
{
	struct zks_config_edit e = {.file = file, .data = text, .len = strlen(text)};
	struct zks_error err = {0};
	uint64_t version = 0;
	bool changed = false;

	assert_ok(zks_config_commit(n->store, name, &e, 1, "tester@host", &version, &changed, &err),
		  &err);
	assert_true(changed);
	assert_int_equal(version, want_version);
}

static char *copy_file(struct cnode *n, const char *name, const char *file)
{
	cleanup_free char *path = xasprintf("%s/%s/%s", n->configs, name, file);
	char *data = NULL;

	if (zks_read_file(path, 1 << 20, &data, NULL, NULL) < 0)
		return NULL;
	return data;
}

/* Wait (bounded) until n's copy of name/file reads text. */
static void wait_copy(struct cnode *n, const char *name, const char *file, const char *text)
{
	int64_t deadline = zks_now_ms() + WAIT_MS;

	for (;;) {
		cleanup_free char *got = copy_file(n, name, file);

		if (got != NULL && strcmp(got, text) == 0)
			return;
		if (zks_now_ms() > deadline)
			fail_msg("%s: %s/%s reads `%s` after %d ms, want `%s`", n->id, name, file,
				 got ? got : "(nothing)", WAIT_MS, text);
		nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
	}
}

/* Wait (bounded) until Get on n says its copy of name has version. */
static void wait_status_version(struct cnode *n, const char *name, uint64_t version)
{
	int64_t deadline = zks_now_ms() + WAIT_MS;

	for (;;) {
		struct zks_volume_info *info = test_get(n->v, name);
		uint64_t have = info->config_here.version;

		test_info_free(info);
		if (have == version)
			return;
		if (zks_now_ms() > deadline)
			fail_msg("%s: Status says version %llu after %d ms, want %llu", n->id,
				 (unsigned long long)have, WAIT_MS, (unsigned long long)version);
		nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
	}
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void mount_ok(struct cnode *n, const char *name, const char *id)
{
	struct zks_error err = {0};
	char *mp = NULL;

	assert_ok(zks_volumes_mount(n->v, name, id, &mp, &err), &err);
	free(mp);
}

/* ---- tests ------------------------------------------------------------------------------------- */

static void test_create_makes_head_and_forces_options(void **state)
{
	struct cluster *c = *state;
	struct zks_config_manifest head;
	struct zks_volume_info *info;
	struct zks_error err = {0};

	assert_ok(test_create(c->a.v, "app", "type=config", &err), &err);
	assert_ok(zks_config_head(c->a.store, "app", true, &head, NULL, &err), &err);
	assert_int_equal(head.version, 0);
	assert_int_equal(head.nfiles, 0);
	zks_config_manifest_clear(&head);
	info = test_get(c->n2.v, "app");
	assert_string_equal(test_info_option(info, "type"), "config");
	assert_string_equal(test_info_option(info, "access"), "multi-node");
	assert_string_equal(test_info_option(info, "readonly"), "true");
	assert_true(info->config);
	assert_false(info->config_here.attached);
	test_info_free(info);
	/* A node with no copy still tells the head's version (its mirror's). */
	put_ok(&c->a, "app", "app.conf", "one\n", 1);
	info = test_get(c->n2.v, "app");
	assert_false(info->config_here.attached);
	assert_int_equal(info->config_here.latest, 1);
	test_info_free(info);
	/* The same Create again is fine; as a directory volume it is not. */
	assert_ok(test_create(c->n2.v, "app", "type=config", &err), &err);
	assert_error(test_create(c->n2.v, "app", "", &err), &err, ZKS_ERR_CONFLICT);
	assert_contains(err.msg, "type");
}

static void test_create_refuses_contrary_options(void **state)
{
	struct cluster *c = *state;
	struct zks_config_manifest head;
	struct zks_error err = {0};
	const char *bad[] = {"type=config,access=single-node", "type=config,readonly=false",
			     "type=config,on-remove=retain", "type=image"};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_error(test_create(c->a.v, "app", bad[i], &err), &err, ZKS_ERR_INVALID);
		assert_contains(err.msg, "type");
	}
	assert_error(zks_config_head(c->a.store, "app", true, &head, NULL, &err), &err,
		     ZKS_ERR_NOT_FOUND);
	assert_false(test_list_has(c->a.v, "app"));
}

static void test_mount_binds_copy_and_changes_reach_every_node(void **state)
{
	struct cluster *c = *state;
	struct zks_error err = {0};
	struct zks_volume_info *info;
	const struct fake_call *bind;
	cleanup_free char *copy = xasprintf("%s/app", c->a.configs);

	assert_ok(test_create(c->a.v, "app", "type=config", &err), &err);
	put_ok(&c->a, "app", "app.conf", "version 1\n", 1);
	mount_ok(&c->a, "app", "c1");
	mount_ok(&c->n2, "app", "c2");
	/* The copy is on disk when Mount returns, and the bind is read-only. */
	{
		cleanup_free char *got = copy_file(&c->a, "app", "app.conf");

		assert_non_null(got);
		assert_string_equal(got, "version 1\n");
	}
	bind = fake_fs_last(&c->a.fs, FAKE_BIND);
	assert_non_null(bind);
	assert_string_equal(bind->path, copy);
	assert_true(bind->readonly);
	put_ok(&c->n2, "app", "app.conf", "version 2\n", 2);
	wait_copy(&c->a, "app", "app.conf", "version 2\n");
	wait_copy(&c->n2, "app", "app.conf", "version 2\n");
	/* Status follows the swap (the service notes the version once the files are in). */
	wait_status_version(&c->a, "app", 2);
	info = test_get(c->a.v, "app");
	assert_true(info->config_here.attached);
	assert_int_equal(info->config_here.latest, 2);
	assert_true(info->config_here.current);
	test_info_free(info);
}

static void test_last_unmount_removes_copy(void **state)
{
	struct cluster *c = *state;
	struct zks_error err = {0};
	cleanup_free char *copy = xasprintf("%s/app", c->a.configs);

	assert_ok(test_create(c->a.v, "app", "type=config", &err), &err);
	put_ok(&c->a, "app", "a", "1", 1);
	mount_ok(&c->a, "app", "c1");
	mount_ok(&c->a, "app", "c2");
	assert_ok(zks_volumes_unmount(c->a.v, "app", "c1", &err), &err);
	assert_true(exists(copy));
	assert_ok(zks_volumes_unmount(c->a.v, "app", "c2", &err), &err);
	assert_false(exists(copy));
}

static void test_remove_deletes_the_history(void **state)
{
	struct cluster *c = *state;
	struct zks_error err = {0};
	char text[32];

	assert_ok(test_create(c->a.v, "app", "type=config", &err), &err);
	/* More steps than the history keeps: the removal still takes everything at once. */
	for (unsigned i = 1; i <= ZKS_CONFIG_HISTORY + 5; i++) {
		snprintf(text, sizeof(text), "v%u", i);
		put_ok(&c->a, "app", i % 2 ? "a" : "b", text, i);
	}
	mount_ok(&c->n2, "app", "c1");
	assert_error(zks_volumes_remove(c->a.v, "app", &err), &err, ZKS_ERR_NOT_EMPTY);
	assert_ok(zks_volumes_unmount(c->n2.v, "app", "c1", &err), &err);
	assert_ok(zks_volumes_remove(c->a.v, "app", &err), &err);
	{
		cleanup_free char *head = zks_path_config("app");

		assert_error(store_get(c->a.store, head, NULL, NULL, NULL, &err), &err,
			     ZKS_ERR_NOT_FOUND);
	}
	/* Made again, it starts from version 0. */
	assert_ok(test_create(c->a.v, "app", "type=config", &err), &err);
	put_ok(&c->a, "app", "a", "again", 1);
}

static void test_restart_keeps_copies_of_mounted_volumes_only(void **state)
{
	struct cluster *c = *state;
	struct zks_error err = {0};
	cleanup_free char *copy = xasprintf("%s/app", c->a.configs);
	cleanup_free char *mounts = xasprintf("%s/state/mounts.json", c->a.dir);
	struct zks_volume_info *info;

	assert_ok(test_create(c->a.v, "app", "type=config", &err), &err);
	put_ok(&c->a, "app", "app.conf", "one", 1);
	mount_ok(&c->a, "app", "c1");
	/* A restart of the daemon: still mounted, the copy stays and is kept current. */
	cnode_stop(&c->a);
	cnode_start(&c->a);
	assert_true(exists(copy));
	put_ok(&c->n2, "app", "app.conf", "two", 2);
	wait_copy(&c->a, "app", "app.conf", "two");
	info = test_get(c->a.v, "app");
	assert_true(info->config_here.attached);
	test_info_free(info);
	/* A reboot: no mount survives it (here: the table of mounts is gone), nor the copy. */
	cnode_stop(&c->a);
	assert_int_equal(unlink(mounts), 0);
	cnode_start(&c->a);
	assert_false(exists(copy));
	info = test_get(c->a.v, "app");
	assert_false(info->config_here.attached);
	test_info_free(info);
}

static void test_directory_volume_untouched(void **state)
{
	struct cluster *c = *state;
	struct zks_error err = {0};
	struct zks_volume_info *info;

	assert_ok(test_create(c->a.v, "plain", "", &err), &err);
	info = test_get(c->a.v, "plain");
	assert_string_equal(test_info_option(info, "type"), "dir");
	assert_false(info->config);
	test_info_free(info);
	mount_ok(&c->a, "plain", "c1");
	/* Its data directory is bound, and it has no records under /configs. */
	assert_string_equal(fake_fs_last(&c->a.fs, FAKE_BIND)->path,
			    fake_fs_last(&c->a.fs, FAKE_PREPARE_DIR)->path);
	{
		cleanup_free char *head = zks_path_config("plain");

		assert_false(test_store_exists(c->a.store, head));
	}
	assert_ok(zks_volumes_unmount(c->a.v, "plain", "c1", &err), &err);
	assert_ok(zks_volumes_remove(c->n2.v, "plain", &err), &err);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_create_makes_head_and_forces_options),
		T(test_create_refuses_contrary_options),
		T(test_mount_binds_copy_and_changes_reach_every_node),
		T(test_last_unmount_removes_copy),
		T(test_remove_deletes_the_history),
		T(test_restart_keeps_copies_of_mounted_volumes_only),
		T(test_directory_volume_untouched),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
