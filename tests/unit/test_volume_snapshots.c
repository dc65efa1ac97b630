/*
 * test_volume_snapshots.c - snapshots and clones of image volumes (volume_snapshots.h) on two
 * nodes of the in-memory store with the fake filesystem: a request made on one node is taken
 * by the node that has the volume mounted (frozen meanwhile), or by the requesting node when
 * none has it; the outcome comes back through the record; refusals change nothing; clones,
 * removal, a failed copy, a request nobody takes, and hostile records.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"
#include "zkswarm/volume_snapshots.h"

#define IMG "type=image,size=64M"
#define ID(n) ("000000000000000000000000000000000000000000000000000000000000000" #n)

/* A node's snapshots service, its thread's passes run by the test's own thread (no callback
 * left registered in the store after the test). */
struct runner {
	struct zks_volume_snapshots *s;
	pthread_t thread;
	pthread_mutex_t lock;
	bool stop;
};

static void *run(void *arg)
{
	struct runner *r = arg;

	for (int i = 0; i < 100000; i++) {
		struct timespec ts = {0, 5 * 1000 * 1000};
		bool stop;

		pthread_mutex_lock(&r->lock);
		stop = r->stop;
		pthread_mutex_unlock(&r->lock);
		if (stop)
			break;
		zks_volume_snapshots_pass(r->s);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void runner_start(struct runner *r, struct zks_volume_snapshots *s)
{
	r->s = s;
	r->stop = false;
	pthread_mutex_init(&r->lock, NULL);
	assert_int_equal(pthread_create(&r->thread, NULL, run, r), 0);
}

static void runner_stop(struct runner *r)
{
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->lock);
}

static struct zks_volume_snapshots *service(struct test_node *n, int wait_ms)
{
	return zks_volume_snapshots_new(n->store, n->v, n->id, wait_ms);
}

static char *snap_file(const struct test_node *n, const char *volume, const char *snap)
{
	return xasprintf("%s/%s/snapshots/%s.img", n->data_dir, volume, snap);
}

static bool record_exists(struct test_node *n, const char *volume, const char *snap)
{
	cleanup_free char *path = zks_path_snapshot(volume, snap);
	struct zks_error err = {0};
	struct zks_stat st;

	return store_get(n->store, path, NULL, NULL, &st, &err) == 0;
}

static void create_ok(struct test_node *n, const char *name, const char *opts)
{
	struct zks_error err = {0};

	assert_ok(test_create(n->v, name, opts, &err), &err);
}

static void mount_ok(struct test_node *n, const char *name, const char *id)
{
	struct zks_error err = {0};

	assert_ok(test_mount(n->v, name, id, &err), &err);
}

static const char *fences(const struct test_node *n, const char *name)
{
	cleanup_free char *target = test_node_mountpoint(n, name);

	return fake_fs_fences(&n->fs, target);
}

/* Asked on node b, the volume mounted on a: a takes it, frozen meanwhile. */
static void test_taken_where_mounted(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_snapshots *sa = service(&c->a, 0), *sb = service(&c->n2, 0);
	struct zks_record_snapshot rec;
	struct zks_error err = {0};
	cleanup_free char *file = snap_file(&c->a, "img", "s1");
	struct zks_volume_info *info;
	struct runner ra;

	create_ok(&c->a, "img", IMG);
	mount_ok(&c->a, "img", ID(1));
	runner_start(&ra, sa);
	assert_ok(zks_volume_snapshots_take(sb, "img", "s1", 10000, &rec, &err), &err);
	runner_stop(&ra);
	assert_int_equal(rec.state, ZKS_SNAPSHOT_DONE);
	assert_string_equal(rec.by, "node-a");
	assert_string_equal(rec.requested_by, "node-b");
	assert_string_equal(rec.method, "copy");
	assert_int_equal(rec.size, 64ULL << 20);
	assert_non_null(rec.taken_at);
	zks_record_snapshot_clear(&rec);
	assert_true(fake_fs_has_image(&c->a.fs, file));
	assert_false(fake_fs_has_image(&c->n2.fs, file));
	/* Frozen while copied, thawed after, and still live. */
	assert_string_equal(fences(&c->a, "img"), "freeze,thaw");
	info = test_get(c->a.v, "img");
	assert_string_equal(info->fence, "live");
	assert_int_equal(info->snapshots, 1);
	test_info_free(info);
	/* The same name again is refused, changing nothing. */
	assert_error(zks_volume_snapshots_take(sb, "img", "s1", 10000, &rec, &err), &err,
		     ZKS_ERR_EXISTS);
	assert_contains(err.msg, "already exists");
	zks_volume_snapshots_free(sa);
	zks_volume_snapshots_free(sb);
}

/* Mounted nowhere: the node asked takes it, holding the lease meanwhile, then lets it go. */
static void test_taken_by_the_requester(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_snapshots *sb = service(&c->n2, 0);
	struct zks_record_snapshot rec;
	struct zks_error err = {0};
	cleanup_free char *holder = zks_path_volume_holder("img");
	cleanup_free char *file = snap_file(&c->n2, "img", "s2");
	const struct fake_call *copy;

	create_ok(&c->a, "img", IMG);
	create_ok(&c->n2, "img", IMG); /* its image in node-b's (fake) data directory too */
	assert_ok(zks_volume_snapshots_take(sb, "img", "s2", 10000, &rec, &err), &err);
	assert_string_equal(rec.by, "node-b");
	zks_record_snapshot_clear(&rec);
	assert_true(fake_fs_has_image(&c->n2.fs, file));
	copy = fake_fs_last(&c->n2.fs, FAKE_IMAGE_COPY);
	assert_non_null(copy);
	assert_string_equal(copy->target, file);
	/* No freeze (nothing mounted), and the lease is gone again. */
	assert_int_equal(fake_fs_count(&c->n2.fs, FAKE_FENCE), 0);
	assert_error(store_get(c->a.store, holder, NULL, NULL, NULL, &err), &err,
		     ZKS_ERR_NOT_FOUND);
	mount_ok(&c->a, "img", ID(2)); /* another node mounts it afterwards */
	zks_volume_snapshots_free(sb);
}

static void test_refusals_change_nothing(void **state)
{
	static const char *const bad_names[] = {"../x",
						"a@b",
						"-a",
						"a/b",
						"a b",
						"01234567890123456789012345678901234567890123456789"
						"012345678901234"};
	struct test_cluster *c = *state;
	struct zks_volume_snapshots *sa = service(&c->a, 200);
	struct zks_record_snapshot rec;
	struct zks_error err = {0};
	char **names = NULL;
	size_t n = 0;

	/* Which listed children of /snapshots are a volume's. */
	assert_string_equal(zks_snapshot_of("img@s1", "img"), "s1");
	assert_null(zks_snapshot_of("img2@s1", "img"));
	assert_null(zks_snapshot_of("im@s1", "img"));
	assert_null(zks_snapshot_of("img", "img"));
	assert_string_equal(zks_snapshot_of("img@", "img"), "");

	create_ok(&c->a, "dir", NULL);
	create_ok(&c->a, "img", IMG);
	assert_error(zks_volume_snapshots_take(sa, "dir", "s", 0, &rec, &err), &err,
		     ZKS_ERR_INVALID);
	assert_contains(err.msg, "image volumes only");
	assert_error(zks_volume_snapshots_take(sa, "nope", "s", 0, &rec, &err), &err,
		     ZKS_ERR_NOT_FOUND);
	assert_contains(err.msg, "no such volume");
	assert_error(zks_volume_snapshots_take(sa, "../img", "s", 0, &rec, &err), &err,
		     ZKS_ERR_INVALID);
	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++) {
		assert_error(zks_volume_snapshots_take(sa, "img", bad_names[i], 0, &rec, &err),
			     &err, ZKS_ERR_INVALID);
		assert_contains(err.msg, "snapshot name");
		assert_error(zks_volume_snapshots_remove(sa, "img", bad_names[i], &err), &err,
			     ZKS_ERR_INVALID);
	}
	assert_error(zks_volume_snapshots_remove(sa, "img", "none", &err), &err, ZKS_ERR_NOT_FOUND);
	assert_contains(err.msg, "no snapshot `img@none`");
	assert_ok(store_children(c->a.store, ZKS_SNAPSHOTS, &names, &n, &err), &err);
	assert_int_equal(n, 0);
	zks_free_strv(names, n);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_IMAGE_COPY), 0);
	zks_volume_snapshots_free(sa);
}

/* A clone: a copy of the snapshot, its size; a volume with snapshots stays until they go. */
static void test_clone_and_remove(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_snapshots *sa = service(&c->a, 0);
	struct zks_record_snapshot rec;
	struct zks_error err = {0};
	cleanup_free char *file = snap_file(&c->a, "img", "s1");
	cleanup_free char *clone = xasprintf("%s/c1/disk.img", c->a.data_dir);
	cleanup_free char *c2 = zks_path_volume("c2");
	struct zks_volume_info *info;

	create_ok(&c->a, "img", IMG);
	assert_ok(zks_volume_snapshots_take(sa, "img", "s1", 0, &rec, &err), &err);
	zks_record_snapshot_clear(&rec);
	create_ok(&c->a, "c1", "type=image,from=img@s1");
	assert_true(fake_fs_has_image(&c->a.fs, clone));
	assert_string_equal(fake_fs_last(&c->a.fs, FAKE_IMAGE_COPY)->path, file);
	info = test_get(c->a.v, "c1");
	assert_string_equal(test_info_option(info, "from"), "img@s1");
	assert_string_equal(test_info_option(info, "size"), "64M");
	test_info_free(info);
	create_ok(&c->a, "c1", "type=image,from=img@s1,size=64M"); /* the same volume */
	assert_error(test_create(c->a.v, "c2", "type=image,from=img@s1,size=128M", &err), &err,
		     ZKS_ERR_INVALID);
	assert_contains(err.msg, "its snapshot's size");
	assert_error(test_create(c->a.v, "c2", "type=image,from=img@nope", &err), &err,
		     ZKS_ERR_INVALID);
	assert_contains(err.msg, "no snapshot `img@nope`");
	assert_error(store_get(c->a.store, c2, NULL, NULL, NULL, &err), &err, ZKS_ERR_NOT_FOUND);

	assert_error(zks_volumes_remove(c->a.v, "img", &err), &err, ZKS_ERR_NOT_EMPTY);
	assert_contains(err.msg, "has snapshots");
	assert_ok(zks_volume_snapshots_remove(sa, "img", "s1", &err), &err);
	assert_false(record_exists(&c->a, "img", "s1"));
	assert_false(fake_fs_has_image(&c->a.fs, file));
	assert_ok(zks_volumes_remove(c->a.v, "img", &err), &err);
	assert_true(fake_fs_has_image(&c->a.fs, clone)); /* a clone is a volume of its own */
	/* Its Create repeated, its snapshot gone: the same volume, still fine. */
	create_ok(&c->a, "c1", "type=image,from=img@s1");
	zks_volume_snapshots_free(sa);
}

/* A copy that fails: reported to the node asked, the record gone, the volume thawed. */
static void test_failed_copy(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_snapshots *sa = service(&c->a, 0), *sb = service(&c->n2, 0);
	struct zks_record_snapshot rec;
	struct zks_error err = {0};
	struct runner ra;

	create_ok(&c->a, "img", IMG);
	mount_ok(&c->a, "img", ID(1));
	c->a.fs.fail_next_image_copy = true;
	runner_start(&ra, sa);
	assert_error(zks_volume_snapshots_take(sb, "img", "s1", 10000, &rec, &err), &err,
		     ZKS_ERR_SYSTEM);
	runner_stop(&ra);
	assert_contains(err.msg, "failed on node `node-a`");
	assert_contains(err.msg, "fake: copy");
	assert_false(record_exists(&c->a, "img", "s1"));
	assert_string_equal(fences(&c->a, "img"), "freeze,thaw");
	zks_volume_snapshots_free(sa);
	zks_volume_snapshots_free(sb);
}

/* The node with the volume mounted does not answer: the request is withdrawn in time. */
static void test_nobody_takes_it(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_snapshots *sa = service(&c->a, 0), *sb = service(&c->n2, 300);
	struct zks_record_snapshot rec;
	struct zks_error err = {0};

	create_ok(&c->a, "img", IMG);
	mount_ok(&c->a, "img", ID(1));
	assert_error(zks_volume_snapshots_take(sb, "img", "s1", 0, &rec, &err), &err,
		     ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, "no node took it");
	assert_false(record_exists(&c->a, "img", "s1"));
	/* Withdrawn: node-a's pass later finds nothing to do. */
	zks_volume_snapshots_pass(sa);
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_IMAGE_COPY), 0);
	zks_volume_snapshots_free(sa);
	zks_volume_snapshots_free(sb);
}

/* Cut off from ZooKeeper: no freeze for a snapshot (the fence decides); it fails, it says why. */
static void test_refused_while_cut_off(void **state)
{
	struct test_cluster *c = *state;
	struct zks_volume_snapshots *sa = service(&c->a, 0);
	struct zks_record_snapshot rec;
	struct zks_error err = {0};

	create_ok(&c->a, "img", IMG);
	mount_ok(&c->a, "img", ID(1));
	c->a.cut.on = true;
	c->a.cut.fenced = true;
	c->a.cut.state = ZKS_CONN_CONNECTED;
	assert_error(zks_volume_snapshots_take(sa, "img", "s1", 0, &rec, &err), &err,
		     ZKS_ERR_SYSTEM);
	assert_contains(err.msg, "cut off from ZooKeeper");
	assert_string_equal(fences(&c->a, "img"), "");
	c->a.cut.on = false;
	zks_volume_snapshots_free(sa);
}

/* Records nobody made right: skipped, never taken, never a crash. */
static void test_hostile_records(void **state)
{
	static const struct {
		const char *name, *data;
	} bad[] = {
		{"img@s1", "not json"},
		{"img@s2", "{}"},
		{"img@s3", "{\"state\":\"requested\"}"},
		{"img@s4", "{\"state\":\"requested\",\"volume\":\"other\",\"snapshot\":\"s4\"}"},
		{"img@s5", "{\"state\":\"requested\",\"volume\":\"img\",\"snapshot\":\"../../x\"}"},
		{"img@s6",
		 "{\"state\":\"done\",\"volume\":\"img\",\"snapshot\":\"s6\",\"size\":-1}"},
		{"noat", "{\"state\":\"requested\",\"volume\":\"noat\",\"snapshot\":\"\"}"},
		{"img@s7", "{\"state\":\"requested\",\"volume\":\"img\",\"snapshot\":\"s7\","
			   "\"requested_by\":7}"},
	};
	struct test_cluster *c = *state;
	struct zks_volume_snapshots *sa = service(&c->a, 0);
	struct zks_error err = {0};
	struct zks_volume_info *info;

	create_ok(&c->a, "img", IMG);
	mount_ok(&c->a, "img", ID(1));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cleanup_free char *path = xasprintf(ZKS_SNAPSHOTS "/%s", bad[i].name);

		assert_ok(store_create(c->a.store, path, bad[i].data, strlen(bad[i].data),
				       ZKS_PERSISTENT, &err),
			  &err);
	}
	zks_volume_snapshots_pass(sa);
	/* Only s7, a request whose asker is unreadable but whose volume is mounted here. */
	assert_int_equal(fake_fs_count(&c->a.fs, FAKE_IMAGE_COPY), 1);
	{
		cleanup_free char *s7 = snap_file(&c->a, "img", "s7");

		assert_string_equal(fake_fs_last(&c->a.fs, FAKE_IMAGE_COPY)->target, s7);
	}
	info = test_get(c->a.v, "img");
	assert_int_equal(info->snapshots, 2); /* s6 (done, its size unknown) and s7 */
	test_info_free(info);
	/* A clone of one with no size is refused. */
	assert_error(test_create(c->a.v, "c6", "type=image,from=img@s6", &err), &err,
		     ZKS_ERR_INVALID);
	zks_volume_snapshots_free(sa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_taken_where_mounted, test_cluster_setup,
						test_cluster_teardown),
		cmocka_unit_test_setup_teardown(test_taken_by_the_requester, test_cluster_setup,
						test_cluster_teardown),
		cmocka_unit_test_setup_teardown(test_refusals_change_nothing, test_cluster_setup,
						test_cluster_teardown),
		cmocka_unit_test_setup_teardown(test_clone_and_remove, test_cluster_setup,
						test_cluster_teardown),
		cmocka_unit_test_setup_teardown(test_failed_copy, test_cluster_setup,
						test_cluster_teardown),
		cmocka_unit_test_setup_teardown(test_nobody_takes_it, test_cluster_setup,
						test_cluster_teardown),
		cmocka_unit_test_setup_teardown(test_refused_while_cut_off, test_cluster_setup,
						test_cluster_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_records, test_cluster_setup,
						test_cluster_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
