/*
 * test_fence.c - image volumes (type=image) in the volume service, and their hard fencing
 * (fence.h), with the fake filesystem and the in-memory store: the image made at Create and
 * mounted at the first Mount, its fence record, freezing when cut off, thawing when the same
 * session is back, shutting down when it is not (or the record changed hands), refusing
 * mounts until the last Unmount, and what a restart keeps; the fencing thread, asleep while
 * nothing is fenced, wakes for a volume taken later.
 */
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "zkswarm/fence.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define IMG "type=image,size=64M"
#define ID(n) ("000000000000000000000000000000000000000000000000000000000000000" #n)

static char *image_path(const struct test_node *n, const char *name)
{
	return xasprintf("%s/%s/disk.img", n->data_dir, name);
}

static char *record_path(const struct test_node *n, const char *name)
{
	return xasprintf("%s/%s/fence.json", n->data_dir, name);
}

/* A field of the volume's fence record, as the fake filesystem holds it. */
static char *record_field(const struct test_node *n, const char *name, const char *key)
{
	cleanup_free char *path = record_path(n, name);
	const char *text = fake_fs_file(&n->fs, path);
	cJSON *doc = text ? cJSON_Parse(text) : NULL;
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, key);
	char *v = cJSON_IsString(o) ? xstrdup(o->valuestring) : NULL;

	cJSON_Delete(doc);
	return v;
}

static const char *fences(const struct test_node *n, const char *name)
{
	cleanup_free char *target = test_node_mountpoint(n, name);

	return fake_fs_fences(&n->fs, target);
}

static char *fence_state(struct test_node *n, const char *name)
{
	struct zks_volume_info *info = test_get(n->v, name);
	char *s = info->fence ? xstrdup(info->fence) : NULL;

	test_info_free(info);
	return s;
}

static void assert_state(struct test_node *n, const char *name, const char *want)
{
	cleanup_free char *s = fence_state(n, name);

	if (want == NULL)
		assert_null(s);
	else
		assert_string_equal(s, want);
}

static void mount_ok(struct test_node *n, const char *name, const char *id)
{
	struct zks_error err = {0};

	assert_ok(test_mount(n->v, name, id, &err), &err);
}

static int64_t holder_czxid(struct test_node *n, const char *name)
{
	cleanup_free char *holder = zks_path_volume_holder(name);
	struct zks_stat st;
	struct zks_error err = {0};

	assert_ok(store_get(n->store, holder, NULL, NULL, &st, &err), &err);
	return st.czxid;
}

static void cut(struct test_node *n, bool fenced, enum zks_conn_state state)
{
	n->cut.on = true;
	n->cut.fenced = fenced;
	n->cut.state = state;
	zks_volumes_fence_tick(n->v);
}

static void uncut(struct test_node *n)
{
	n->cut.on = false;
	zks_volumes_fence_tick(n->v);
}

/* ---- the image ------------------------------------------------------------------------------ */

static void test_create_makes_the_image(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};
	cleanup_free char *img = image_path(&c->a, "db");
	const struct fake_call *call;

	assert_ok(test_create(c->a.v, "db", IMG ",uid=7,gid=8,mode=0700", &err), &err);
	call = fake_fs_last(&c->a.fs, FAKE_IMAGE_CREATE);
	assert_non_null(call);
	assert_string_equal(call->path, img);
	assert_int_equal(call->size, 64ULL << 20);
	assert_int_equal(call->uid, 7);
	assert_int_equal(call->gid, 8);
	assert_int_equal(call->mode, 0700);
	/* Its directory is the plugin's alone: root's, 0700. */
	call = fake_fs_last(&c->a.fs, FAKE_PREPARE_DIR);
	assert_int_equal(call->uid, 0);
	assert_int_equal(call->mode, 0700);
	/* Created again, on another node too: the image there is kept. */
	assert_ok(test_create(c->a.v, "db", IMG ",uid=7,gid=8,mode=0700", &err), &err);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_IMAGE_CREATE), 2);
	assert_true(fake_fs_has_image(&c->a.fs, img));
	/* Not mounted: its size from the image file. */
	{
		struct zks_volume_info *info = test_get(c->n2.v, "db");

		assert_true(info->image);
		assert_string_equal(test_info_option(info, "size"), "64M");
		assert_null(info->fence);
		test_info_free(info);
	}
}

static void test_failed_mkfs_leaves_nothing(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};
	struct zks_volume_info *info = NULL;

	c->a.fs.fail_next_image_create = true;
	assert_error(test_create(c->a.v, "db", IMG, &err), &err, ZKS_ERR_SYSTEM);
	assert_contains(err.msg, "mkfs");
	assert_error(zks_volumes_get(c->n2.v, "db", &info, &err), &err, ZKS_ERR_NOT_FOUND);
	assert_ok(test_create(c->a.v, "db", IMG, &err), &err);
}

static void test_mount_and_unmount(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};
	cleanup_free char *target = test_node_mountpoint(&c->a, "db");
	cleanup_free char *img = image_path(&c->a, "db");
	cleanup_free char *node = NULL;
	cleanup_free char *token = NULL;
	const struct fake_call *call;

	assert_ok(test_create(c->a.v, "db", IMG, &err), &err);
	mount_ok(&c->a, "db", ID(1));
	call = fake_fs_last(&c->a.fs, FAKE_IMAGE_MOUNT);
	assert_non_null(call);
	assert_string_equal(call->path, img);
	assert_string_equal(call->target, target);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_BIND), 0);
	/* The fence record: this node, its session, the holder's creation zxid. */
	node = record_field(&c->a, "db", "node");
	token = record_field(&c->a, "db", "token");
	assert_string_equal(node, "node-a");
	assert_int_equal(strtoll(token, NULL, 16), holder_czxid(&c->a, "db"));
	assert_state(&c->a, "db", "live");
	/* A second mount here: no second filesystem. */
	mount_ok(&c->a, "db", ID(2));
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_IMAGE_MOUNT), 1);
	assert_ok(zks_volumes_unmount(c->a.v, "db", ID(1), &err), &err);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_IMAGE_UNMOUNT), 0);
	assert_ok(zks_volumes_unmount(c->a.v, "db", ID(2), &err), &err);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_IMAGE_UNMOUNT), 1);
	assert_false(fake_fs_mounted(&c->a.fs, target));
	assert_state(&c->a, "db", NULL);
	/* Removed: its directory goes, image and all. */
	assert_ok(zks_volumes_remove(c->a.v, "db", &err), &err);
	assert_false(fake_fs_has_image(&c->a.fs, img));
}

static void test_mount_refused_over_a_later_token(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};
	cleanup_free char *rec = record_path(&c->a, "db");
	static const char later[] =
		"{\"node\":\"node-z\",\"session\":\"0x1\",\"token\":\"0x7fffffff\"}";

	assert_ok(test_create(c->a.v, "db", IMG, &err), &err);
	assert_ok(c->a.fs.base.write_file(&c->a.fs.base, rec, later, strlen(later), &err), &err);
	assert_error(test_mount(c->a.v, "db", ID(1), &err), &err, ZKS_ERR_CONFLICT);
	assert_contains(err.msg, "later lease");
	assert_contains(err.msg, "node-z");
	/* Nothing held, nothing mounted, the record untouched. */
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_IMAGE_MOUNT), 0);
	assert_false(test_store_exists(c->a.store, "/volumes/db/holder"));
	assert_string_equal(fake_fs_file(&c->a.fs, rec), later);
}

/* ---- fencing ------------------------------------------------------------------------------- */

static void test_cut_off_freezes_then_thaws(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};

	assert_ok(test_create(c->a.v, "db", IMG, &err), &err);
	assert_ok(test_create(c->a.v, "plain", NULL, &err), &err);
	mount_ok(&c->a, "db", ID(1));
	mount_ok(&c->a, "plain", ID(2));
	cut(&c->a, false, ZKS_CONN_CONNECTING); /* cut off, not yet for 2/3 of the timeout */
	assert_string_equal(fences(&c->a, "db"), "");
	cut(&c->a, true, ZKS_CONN_CONNECTING);
	assert_string_equal(fences(&c->a, "db"), "freeze");
	assert_string_equal(fences(&c->a, "plain"), ""); /* a directory cannot be fenced */
	assert_state(&c->a, "db", "frozen");
	cut(&c->a, true, ZKS_CONN_CONNECTING); /* once */
	assert_string_equal(fences(&c->a, "db"), "freeze");
	/* Its filesystem cannot be unmounted while frozen: the ID stays. */
	assert_error(zks_volumes_unmount(c->a.v, "db", ID(1), &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, "frozen");
	/* Connected again but not yet heard from (the resync's answers): still frozen. */
	cut(&c->a, true, ZKS_CONN_CONNECTED);
	assert_string_equal(fences(&c->a, "db"), "freeze");
	uncut(&c->a);
	assert_string_equal(fences(&c->a, "db"), "freeze,thaw");
	assert_state(&c->a, "db", "live");
	assert_ok(zks_volumes_unmount(c->a.v, "db", ID(1), &err), &err);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_IMAGE_UNMOUNT), 1);
}

static void session_gone(struct test_cluster *c)
{
	cut(&c->a, true, ZKS_CONN_CONNECTING);
	assert_string_equal(fences(&c->a, "db"), "freeze");
	zks_mem_backend_expire(c->b, test_node_session(&c->a));
	cut(&c->a, true, ZKS_CONN_EXPIRED);
}

static void test_expired_session_shuts_down(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};
	cleanup_free char *node = NULL;

	assert_ok(test_create(c->a.v, "db", IMG, &err), &err);
	mount_ok(&c->a, "db", ID(1));
	session_gone(c);
	/* Shut down, then thawed so that blocked writers see the error. */
	assert_string_equal(fences(&c->a, "db"), "freeze,shutdown,thaw");
	assert_state(&c->a, "db", "shut down");
	uncut(&c->a);
	assert_string_equal(fences(&c->a, "db"), "freeze,shutdown,thaw");
	assert_error(test_mount(c->a.v, "db", ID(2), &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, "was shut down on this node");
	/* The other node takes it, with a later token (its data directory is its own here:
	 * Create there makes its image, where a real cluster shares one). */
	assert_ok(test_create(c->n2.v, "db", IMG, &err), &err);
	mount_ok(&c->n2, "db", ID(3));
	node = record_field(&c->n2, "db", "node");
	assert_string_equal(node, "node-b");
	/* The container here stops: its Unmount goes through and clears the fence. */
	assert_ok(zks_volumes_unmount(c->a.v, "db", ID(1), &err), &err);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_IMAGE_UNMOUNT), 1);
	assert_state(&c->a, "db", NULL);
	assert_error(test_mount(c->a.v, "db", ID(4), &err), &err, ZKS_ERR_CONFLICT);
	assert_contains(err.msg, "node-b");
}

static void test_new_session_without_freeze_shuts_down(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};

	/* The process was paused past the timeout: the session went without a freeze. */
	assert_ok(test_create(c->a.v, "db", IMG, &err), &err);
	mount_ok(&c->a, "db", ID(1));
	zks_mem_backend_expire(c->b, test_node_session(&c->a));
	test_node_restart(&c->a, c->b, true); /* a new session; reconciles */
	assert_state(&c->a, "db", "shut down");
	assert_string_equal(fences(&c->a, "db"), "shutdown,thaw");
	/* Its lease is not taken again: the other node may have it. */
	assert_ok(test_create(c->n2.v, "db", IMG, &err), &err);
	mount_ok(&c->n2, "db", ID(2));
}

static void test_record_taken_over_shuts_down(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};
	cleanup_free char *rec = record_path(&c->a, "db");
	static const char other[] = "{\"node\":\"node-b\",\"session\":\"0x2\",\"token\":\"0x99\"}";

	assert_ok(test_create(c->a.v, "db", IMG, &err), &err);
	mount_ok(&c->a, "db", ID(1));
	cut(&c->a, true, ZKS_CONN_CONNECTING);
	assert_ok(c->a.fs.base.write_file(&c->a.fs.base, rec, other, strlen(other), &err), &err);
	uncut(&c->a); /* the same session, but the record is another node's now */
	assert_string_equal(fences(&c->a, "db"), "freeze,shutdown,thaw");
	assert_state(&c->a, "db", "shut down");
}

static void test_restart_in_the_same_session_keeps_it(void **state)
{
	struct test_cluster *c = *state;
	struct zks_error err = {0};

	assert_ok(test_create(c->a.v, "db", IMG, &err), &err);
	mount_ok(&c->a, "db", ID(1));
	test_node_restart(&c->a, c->b, false);
	zks_volumes_reconcile(c->a.v);
	/* Ours and the same session: kept, and thawed in case the process before froze it. */
	assert_state(&c->a, "db", "live");
	assert_string_equal(fences(&c->a, "db"), "thaw");
	assert_error(test_mount(c->n2.v, "db", ID(2), &err), &err, ZKS_ERR_CONFLICT);
	mount_ok(&c->a, "db", ID(3));
}

/* ---- the fencing thread ---------------------------------------------------------------------- */

static _Atomic bool thread_cut; /* what thread_status says: cut off */

static void thread_status(void *ctx, struct zks_store_status *out)
{
	store_status(ctx, out);
	if (atomic_load(&thread_cut)) {
		out->fenced = true;
		out->silent_ms = 99999;
	}
}

/* Every thread of this process but the caller sleeps (state S): bounded, false if not. */
static bool others_asleep(void)
{
	for (int i = 0; i < 2000; i++) {
		struct timespec ts = {0, 1000 * 1000};
		DIR *d = opendir("/proc/self/task");
		struct dirent *e;
		bool all = true;

		assert_non_null(d);
		while ((e = readdir(d)) != NULL) {
			char path[64], buf[512], *paren;
			FILE *fp;

			if (e->d_name[0] == '.' || atoi(e->d_name) == gettid())
				continue;
			snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
			fp = fopen(path, "r");
			if (fp == NULL)
				continue;
			if (fgets(buf, sizeof(buf), fp) && (paren = strrchr(buf, ')')) &&
			    paren[2] != 'S')
				all = false;
			fclose(fp);
		}
		closedir(d);
		if (all)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/*
 * The thread sleeps while nothing is fenced; a volume taken after it fell asleep wakes it,
 * and once the node is cut off the thread freezes it (without the wake it never would).
 */
static void test_thread_wakes_for_a_volume_taken_later(void **state)
{
	struct test_cluster *c = *state;
	struct zks_fence *f =
		zks_fence_new(c->a.store, &c->a.fs.base, c->a.id, thread_status, c->a.store);
	cleanup_free char *record = record_path(&c->a, "late");
	cleanup_free char *target = test_node_mountpoint(&c->a, "late");
	struct zks_error err = {0};
	const char *st = NULL;

	atomic_store(&thread_cut, false);
	assert_ok(zks_fence_start(f, &err), &err);
	assert_true(others_asleep()); /* the fencing thread, with nothing fenced */
	assert_ok(zks_fence_take(f, "late", record, target, 1, &err), &err);
	assert_string_equal(zks_fence_state(f, "late"), "live");
	atomic_store(&thread_cut, true);
	/* Bounded: 2000 looks 5 ms apart (the thread ticks every ZKS_FENCE_TICK_MS). */
	for (int i = 0; i < 2000; i++) {
		struct timespec ts = {0, 5 * 1000 * 1000};

		st = zks_fence_state(f, "late");
		if (strcmp(st, "frozen") == 0)
			break;
		nanosleep(&ts, NULL);
	}
	assert_string_equal(st, "frozen");
	zks_fence_free(f);
	atomic_store(&thread_cut, false);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, test_cluster_setup, test_cluster_teardown)
	const struct CMUnitTest tests[] = {
		T(test_create_makes_the_image),
		T(test_failed_mkfs_leaves_nothing),
		T(test_mount_and_unmount),
		T(test_mount_refused_over_a_later_token),
		T(test_cut_off_freezes_then_thaws),
		T(test_expired_session_shuts_down),
		T(test_new_session_without_freeze_shuts_down),
		T(test_record_taken_over_shuts_down),
		T(test_restart_in_the_same_session_keeps_it),
		T(test_thread_wakes_for_a_volume_taken_later),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
