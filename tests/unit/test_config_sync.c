/*
 * test_config_sync.c - the node's service of config copies (src/core/config_sync.c) on
 * the in-memory store and a real directory: attach writes the current version and
 * reports it; a commit made by another client reaches the disk and the report within a
 * bounded wait; with ZooKeeper down the copy stays, Status says it is not current (and
 * for how long), and a copy on disk can still be attached; a blob that cannot be read
 * leaves the copy as it was until it can; a restart attaches the copies on disk again
 * and brings them current, the report taken over by the new session; an expired
 * session's report is made again; detach removes the copy and the report (the report
 * once ZooKeeper is back, when it was down); a change elsewhere in the cluster makes the
 * pass look at the head's stat, not read and decode it again.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "zkswarm/config_sync.h"
#include "zkswarm/configs.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define WAIT_MS 5000

struct fixture {
	struct zks_mem_backend *b;
	struct zks_store *admin; /* another client: zkswarmctl */
	struct zks_store *store; /* the node's */
	struct zks_config_sync *cs;
	char *tmp;
	char *dir; /* tmp/configs */
};

static struct zks_config_sync *service_new(struct fixture *f)
{
	struct zks_config_sync_config cfg = {.node_id = "n1", .dir = f->dir};
	struct zks_error err;
	struct zks_config_sync *cs = zks_config_sync_new(f->store, &cfg, &err);

	assert_non_null(cs);
	assert_ok(zks_config_sync_start(cs, &err), &err);
	return cs;
}

/* Stop the service and its store, as the daemon's shutdown does. */
static void service_end(struct fixture *f)
{
	zks_config_sync_stop(f->cs);
	store_destroy(f->store);
	zks_config_sync_free(f->cs);
	f->cs = NULL;
	f->store = NULL;
}

static void create_config(struct fixture *f, const char *name)
{
	struct zks_config_ops ops;
	struct zks_error err;

	zks_config_create_ops(name, "tester", &ops);
	assert_ok(store_multi(f->admin, ops.ops, ops.n, &err), &err);
	zks_config_ops_free(&ops);
}

/* One new version: file = text. */
static uint64_t put(struct fixture *f, const char *name, const char *file, const char *text)
{
	struct zks_config_edit e = {file, text, strlen(text)};
	struct zks_error err;
	uint64_t v = 0;
	bool changed;

	assert_ok(zks_config_commit(f->admin, name, &e, 1, "tester", &v, &changed, &err), &err);
	assert_true(changed);
	return v;
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->b = zks_mem_backend_new();
	f->admin = zks_store_mem_new(f->b);
	f->store = zks_store_mem_new(f->b);
	f->tmp = test_mkdtemp();
	f->dir = xasprintf("%s/configs", f->tmp);
	create_config(f, "app");
	put(f, "app", "app.conf", "version 1\n");
	f->cs = service_new(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->cs != NULL)
		service_end(f);
	store_destroy(f->admin);
	zks_mem_backend_free(f->b);
	test_rmtree(f->tmp);
	free(f->dir);
	free(f->tmp);
	free(f);
	return 0;
}

/* ---- what the tests look at ------------------------------------------------------------------- */

static char *file_in(struct fixture *f, const char *name, const char *file)
{
	cleanup_free char *path = xasprintf("%s/%s/%s", f->dir, name, file);
	struct zks_error err;
	char *data = NULL;
	size_t len;

	if (zks_read_file(path, 1 << 20, &data, &len, &err) < 0)
		return NULL;
	return data;
}

/* The version in this node's report of name, -1 if there is none (read from the backend's
 * tree, which the in-memory store's cached reads give even while it is down). */
static long long reported(struct fixture *f, const char *name)
{
	cleanup_free char *path = zks_path_config_node(name, "n1");
	cleanup_free char *data = NULL;
	struct zks_config_node node;
	long long r = -1;

	if (store_cached_get(f->admin, path, &data, NULL, NULL) == 0 &&
	    zks_config_node_decode(data, &node, NULL) == 0) {
		r = (long long)node.version;
		free(node.at);
	}
	return r;
}

static bool file_is(struct fixture *f, const char *name, const char *file, const char *want)
{
	cleanup_free char *got = file_in(f, name, file);

	return got != NULL && strcmp(got, want) == 0;
}

/* Poll cond (an expression) until true or WAIT_MS passed; the time it took in *ms. */
#define WAIT_FOR(cond, ms)                                                                         \
	({                                                                                         \
		int64_t t0_ = zks_now_ms(), dl_ = t0_ + WAIT_MS;                                   \
		bool ok_;                                                                          \
		while (!(ok_ = (cond)) && zks_now_ms() < dl_)                                      \
			usleep(2000);                                                              \
		*(ms) = zks_now_ms() - t0_;                                                        \
		ok_;                                                                               \
	})

static struct zks_config_local local(struct fixture *f, const char *name)
{
	struct zks_config_local l;

	zks_config_sync_local(f->cs, name, &l);
	return l;
}

static void attach(struct fixture *f, const char *name)
{
	cleanup_free char *dir = NULL;
	cleanup_free char *want = xasprintf("%s/%s", f->dir, name);
	struct zks_error err;

	assert_ok(zks_config_sync_attach(f->cs, name, 0, 0, &dir, &err), &err);
	assert_string_equal(dir, want);
}

/*
 * A counting store: the node's store with its cached reads of /configs/app counted, the
 * looks (any read) and the reads of its data (what is read to be decoded).
 */
static const struct zks_store_ops *counted_inner;
static struct zks_store_ops counted_ops;
static atomic_long head_looks, head_reads;

static int counted_cached_get(struct zks_store *s, const char *path, char **data, size_t *len,
			      struct zks_stat *st)
{
	if (strcmp(path, "/configs/app") == 0) {
		atomic_fetch_add(&head_looks, 1);
		if (data != NULL)
			atomic_fetch_add(&head_reads, 1);
	}
	return counted_inner->cached_get(s, path, data, len, st);
}

/* Count the node's head reads from now on (before the service starts). */
static void count_head_reads(struct fixture *f)
{
	counted_inner = f->store->ops;
	counted_ops = *counted_inner;
	counted_ops.cached_get = counted_cached_get;
	f->store->ops = &counted_ops;
	atomic_store(&head_looks, 0);
	atomic_store(&head_reads, 0);
}

/* Wait (bounded) for two passes to look at the head since now: one whole pass after now. */
static void wait_two_passes(void)
{
	long from = atomic_load(&head_looks);
	int64_t ms;

	assert_true(WAIT_FOR(atomic_load(&head_looks) >= from + 2, &ms));
}

/* ---- the tests -------------------------------------------------------------------------------- */

static void test_attach_writes_current_version(void **state)
{
	struct fixture *f = *state;
	struct zks_config_local l;
	int64_t ms;

	l = local(f, "app");
	assert_false(l.attached);
	assert_int_equal(l.latest, 1);
	attach(f, "app");
	assert_true(file_is(f, "app", "app.conf", "version 1\n"));
	assert_int_equal(reported(f, "app"), 1);
	l = local(f, "app");
	assert_true(l.attached);
	assert_int_equal(l.version, 1);
	assert_int_equal(l.latest, 1);
	assert_true(l.current);
	assert_int_equal(l.behind_ms, 0);
	assert_string_equal(l.error, "");
	/* Attached twice (a second container on the node): the same copy. */
	attach(f, "app");
	assert_true(WAIT_FOR(local(f, "app").current, &ms));
}

static void test_attach_refuses_what_is_not_a_config(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *dir = NULL;
	struct zks_error err;

	assert_error(zks_config_sync_attach(f->cs, "ghost", 0, 0, &dir, &err), &err,
		     ZKS_ERR_NOT_FOUND);
	assert_contains(err.msg, "ghost");
	assert_null(dir);
	assert_error(zks_config_sync_attach(f->cs, "../etc", 0, 0, &dir, &err), &err,
		     ZKS_ERR_INVALID);
}

static void test_commit_reaches_the_disk(void **state)
{
	struct fixture *f = *state;
	int64_t ms, ms2;

	attach(f, "app");
	for (uint64_t k = 2; k <= 4; k++) {
		cleanup_free char *text = xasprintf("version %llu\n", (unsigned long long)k);

		assert_int_equal(put(f, "app", "app.conf", text), k);
		assert_true(WAIT_FOR(file_is(f, "app", "app.conf", text), &ms));
		assert_true(WAIT_FOR(reported(f, "app") == (long long)k, &ms2));
		print_message("version %llu on disk after %lld ms, reported after %lld ms more\n",
			      (unsigned long long)k, (long long)ms, (long long)ms2);
	}
	assert_true(WAIT_FOR(local(f, "app").current, &ms));
	assert_int_equal(local(f, "app").version, 4);
}

/* Empty and binary files (NUL bytes, a file near the limit) reach the disk byte for byte. */
static void test_empty_and_binary_files(void **state)
{
	struct fixture *f = *state;
	size_t big_len = ZKS_CONFIG_FILE_MAX - 1000;
	cleanup_free char *big = xmalloc(big_len);
	cleanup_free char *path = xasprintf("%s/app/blob.bin", f->dir);
	cleanup_free char *got = NULL;
	const char bin[] = {'a', 0, 'b', 0, 0, '\n'};
	struct zks_config_edit edits[] = {{"empty", "", 0},
					  {"bin", bin, sizeof(bin)},
					  {"blob.bin", big, big_len}};
	struct zks_error err;
	uint64_t v;
	bool changed;
	size_t len;
	int64_t ms;

	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)(i * 7 + i / 255);
	attach(f, "app");
	assert_ok(zks_config_commit(f->admin, "app", edits, 3, "tester", &v, &changed, &err), &err);
	assert_true(WAIT_FOR(local(f, "app").version == v, &ms));
	assert_true(file_is(f, "app", "empty", ""));
	assert_ok(zks_read_file(path, 2 * big_len, &got, &len, &err), &err);
	assert_int_equal(len, big_len);
	assert_memory_equal(got, big, big_len);
	free(steal_pointer(&got));
	free(path);
	path = xasprintf("%s/app/bin", f->dir);
	assert_ok(zks_read_file(path, 100, &got, &len, &err), &err);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(got, bin, sizeof(bin));
}

static void test_backend_down_keeps_the_copy(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *dir = NULL;
	struct zks_config_local l;
	struct zks_error err;
	int64_t ms;

	attach(f, "app");
	zks_mem_backend_set_down(f->b, true);
	/* Not current while cut off, for a time that grows; the copy is still there. */
	assert_true(WAIT_FOR(local(f, "app").behind_ms > 0, &ms));
	l = local(f, "app");
	assert_false(l.current);
	assert_int_equal(l.version, 1);
	assert_true(file_is(f, "app", "app.conf", "version 1\n"));
	/* Attach again while down: the copy on disk. */
	attach(f, "app");
	assert_true(file_is(f, "app", "app.conf", "version 1\n"));
	/* No copy and no ZooKeeper: a clear refusal. */
	assert_error(zks_config_sync_attach(f->cs, "ghost", 0, 0, &dir, &err), &err,
		     ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, "no copy on this node");
	zks_mem_backend_set_down(f->b, false);
	put(f, "app", "app.conf", "version 2\n");
	assert_true(WAIT_FOR(local(f, "app").current, &ms));
	assert_true(file_is(f, "app", "app.conf", "version 2\n"));
	assert_int_equal(local(f, "app").behind_ms, 0);
}

/* A head naming a blob that is not there: the copy stays until the blob comes. */
static void test_unreadable_blob_is_retried(void **state)
{
	struct fixture *f = *state;
	const char *text = "version 9\n";
	struct zks_config_file file = {.name = "app.conf", .size = strlen(text)};
	struct zks_config_manifest m = {.version = 9, .files = &file, .nfiles = 1};
	cleanup_free char *head = NULL;
	cleanup_free char *hpath = zks_path_config("app");
	cleanup_free char *bpath = NULL;
	struct zks_error err;
	int64_t ms;

	attach(f, "app");
	zks_sha256_hex(text, strlen(text), file.sha256);
	head = zks_config_manifest_encode(&m);
	assert_ok(store_set(f->admin, hpath, head, strlen(head), -1, &err), &err);
	assert_true(WAIT_FOR(local(f, "app").error[0] != '\0', &ms));
	assert_true(file_is(f, "app", "app.conf", "version 1\n"));
	assert_false(local(f, "app").current);
	assert_int_equal(local(f, "app").latest, 9);
	assert_int_equal(reported(f, "app"), 1);
	bpath = zks_path_config_blob("app", file.sha256);
	assert_ok(store_create(f->admin, bpath, text, strlen(text), ZKS_PERSISTENT, &err), &err);
	assert_true(WAIT_FOR(file_is(f, "app", "app.conf", text), &ms));
	assert_true(WAIT_FOR(local(f, "app").current && reported(f, "app") == 9, &ms));
	assert_string_equal(local(f, "app").error, "");
}

/* The session of the report of name's, 0 if there is none. */
static int64_t report_owner(struct fixture *f, const char *name)
{
	cleanup_free char *path = zks_path_config_node(name, "n1");
	struct zks_stat st;

	if (store_get(f->admin, path, NULL, NULL, &st, NULL) < 0)
		return 0;
	return st.owner;
}

static void test_restart_attaches_again(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *dir = NULL;
	struct zks_store_status old, now;
	struct zks_error err;
	int64_t ms;

	attach(f, "app");
	store_status(f->store, &old);
	assert_int_equal(report_owner(f, "app"), old.session_id);
	service_end(f); /* the daemon stops; its old session lingers a while */
	put(f, "app", "app.conf", "version 2\n");
	assert_true(file_is(f, "app", "app.conf", "version 1\n"));
	/* Started again on the same directory, while ZooKeeper is down. */
	zks_mem_backend_set_down(f->b, true);
	f->store = zks_store_mem_new(f->b);
	f->cs = service_new(f);
	assert_true(local(f, "app").attached);
	assert_ok(zks_config_sync_attach(f->cs, "app", 0, 0, &dir, &err), &err);
	/* The in-memory store's mirror is the backend itself: it may have version 2 already. */
	assert_true(file_is(f, "app", "app.conf", "version 1\n") ||
		    file_is(f, "app", "app.conf", "version 2\n"));
	assert_false(local(f, "app").current);
	zks_mem_backend_set_down(f->b, false);
	assert_true(WAIT_FOR(file_is(f, "app", "app.conf", "version 2\n"), &ms));
	/* The report is this session's now: the old one's end does not take it away. */
	store_status(f->store, &now);
	assert_true(
		WAIT_FOR(reported(f, "app") == 2 && report_owner(f, "app") == now.session_id, &ms));
	assert_true(local(f, "app").current);
	zks_mem_backend_expire(f->b, old.session_id);
	assert_int_equal(reported(f, "app"), 2);
}

/* Attached before the thread starts: start finds the copy on disk and keeps one entry. */
static void test_attach_before_start(void **state)
{
	struct fixture *f = *state;
	struct zks_config_sync_config cfg = {.node_id = "n1", .dir = f->dir};
	struct zks_error err;

	service_end(f);
	f->store = zks_store_mem_new(f->b);
	f->cs = zks_config_sync_new(f->store, &cfg, &err);
	assert_non_null(f->cs);
	attach(f, "app");
	assert_ok(zks_config_sync_start(f->cs, &err), &err);
	zks_config_sync_detach(f->cs, "app");
	assert_false(local(f, "app").attached);
	assert_false(file_is(f, "app", "app.conf", "version 1\n"));
}

/* A report that could not be deleted at detach (ZooKeeper down) is deleted when it is back. */
static void test_detach_while_down(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *copy = xasprintf("%s/app", f->dir);
	struct stat st;
	int64_t ms;

	attach(f, "app");
	zks_mem_backend_set_down(f->b, true);
	zks_config_sync_detach(f->cs, "app");
	assert_int_equal(lstat(copy, &st), -1);
	assert_int_equal(reported(f, "app"), 1);
	zks_mem_backend_set_down(f->b, false);
	assert_true(WAIT_FOR(reported(f, "app") == -1, &ms));
}

/* The report is an ephemeral: when the session that wrote it ends, it is made again. */
static void test_report_made_again_after_expiry(void **state)
{
	struct fixture *f = *state;
	struct zks_store_status st;
	int64_t ms;

	attach(f, "app");
	assert_int_equal(reported(f, "app"), 1);
	store_status(f->store, &st);
	zks_mem_backend_expire(f->b, st.session_id);
	assert_int_equal(reported(f, "app"), -1);
	assert_true(WAIT_FOR(reported(f, "app") == 1, &ms));
	print_message("report made again after %lld ms\n", (long long)ms);
}

static void test_detach_removes_copy_and_report(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *copy = xasprintf("%s/app", f->dir);
	struct stat st;
	int64_t ms;

	create_config(f, "web");
	put(f, "web", "index.html", "v1\n");
	attach(f, "app");
	attach(f, "web");
	zks_config_sync_detach(f->cs, "app");
	assert_int_equal(lstat(copy, &st), -1);
	assert_int_equal(reported(f, "app"), -1);
	assert_false(local(f, "app").attached);
	/* It stays detached: once a later version of web is written, app has no copy. */
	put(f, "app", "app.conf", "version 2\n");
	put(f, "web", "index.html", "v2\n");
	assert_true(WAIT_FOR(file_is(f, "web", "index.html", "v2\n"), &ms));
	assert_int_equal(lstat(copy, &st), -1);
	assert_int_equal(reported(f, "app"), -1);
	zks_config_sync_detach(f->cs, "app"); /* twice: nothing */
	assert_int_equal(reported(f, "web"), 2);
}

/* A change elsewhere (another volume's config) does not make the pass decode app's head. */
static void test_unrelated_change_decodes_nothing(void **state)
{
	struct fixture *f = *state;
	long reads;
	int64_t ms;

	service_end(f);
	f->store = zks_store_mem_new(f->b);
	count_head_reads(f);
	f->cs = service_new(f);
	attach(f, "app");
	wait_two_passes(); /* the first pass after attach decodes it once */
	reads = atomic_load(&head_reads);
	for (int i = 0; i < 5; i++) {
		cleanup_free char *other = xasprintf("other%d", i);

		create_config(f, other);
		put(f, other, "x.conf", "x\n");
		wait_two_passes();
	}
	print_message("%ld looks at the head, %ld reads of it in all\n", atomic_load(&head_looks),
		      atomic_load(&head_reads));
	assert_int_equal(atomic_load(&head_reads), reads);
	/* A change of app itself is read, decoded and written. */
	assert_int_equal(put(f, "app", "app.conf", "version 2\n"), 2);
	assert_true(WAIT_FOR(file_is(f, "app", "app.conf", "version 2\n"), &ms));
	assert_true(WAIT_FOR(reported(f, "app") == 2, &ms));
	assert_true(atomic_load(&head_reads) > reads);
	assert_true(WAIT_FOR(local(f, "app").current, &ms));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach_writes_current_version, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach_refuses_what_is_not_a_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_commit_reaches_the_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_binary_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_down_keeps_the_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_blob_is_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_attaches_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_made_again_after_expiry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_detach_removes_copy_and_report, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_detach_while_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_before_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unrelated_change_decodes_nothing, setup,
						teardown),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
