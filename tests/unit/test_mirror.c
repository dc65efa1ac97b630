/*
 * test_mirror.c - the ZooKeeper store's mirror (src/store/mirror.c) without a
 * server: the worker's reads put only under a parent the mirror has, reads
 * begun before a write or a watched deletion not applied during that step,
 * acknowledged writes applied at once (or left to the worker when their
 * parent is missing), the children's diff, the child-watch marks, and
 * mirror.json: how often, round trip, and corrupt, truncated or malformed
 * files rejected cleanly.
 *
 * What needs the ZooKeeper client (the session, the watcher's ordering with
 * write completions, fencing, verifying ambiguous writes, the resync) cannot
 * be unit-tested without a server: tests/integration/test_two_nodes.sh,
 * test_session.sh and test_burst.sh cover it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/store/mirror.h"
#include "helpers.h"
#include "zkswarm/store.h"
#include "zkswarm/util.h"

struct fixture {
	struct zks_mirror *m;
	char *dir;
	char *file;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->dir = test_mkdtemp();
	f->file = xasprintf("%s/mirror.json", f->dir);
	f->m = zks_mirror_new(f->file);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	zks_mirror_free(f->m);
	test_rmtree(f->dir);
	free(f->dir);
	free(f->file);
	free(f);
	return 0;
}

/* A read of the worker's, with version v. */
static void put(struct zks_mirror *m, const char *path, const char *data, int32_t v)
{
	struct zks_stat st = {.version = v, .mzxid = 100 + v};

	zks_mirror_put(m, path, data, strlen(data), &st);
}

static bool has(struct zks_mirror *m, const char *path)
{
	return zks_mirror_get(m, path, NULL, NULL, NULL) == 0;
}

static void assert_node(struct zks_mirror *m, const char *path, const char *want, int32_t version)
{
	cleanup_free char *data = NULL;
	struct zks_stat st;

	if (zks_mirror_get(m, path, &data, NULL, &st) < 0)
		print_error("`%s` is not in the mirror\n", path);
	assert_non_null(data);
	assert_string_equal(data, want);
	assert_int_equal(st.version, version);
}

static void write_file(const char *path, const char *text)
{
	struct zks_error err = {0};

	assert_ok(zks_write_file_atomic(path, text, strlen(text), &err), &err);
}

/* ---- the worker's reads -------------------------------------------------------------------- */

static void test_put_needs_the_parent(void **state)
{
	struct fixture *f = *state;

	put(f->m, "/volumes/db", "{}", 0); /* /volumes never read: not made up */
	assert_false(has(f->m, "/volumes"));
	assert_false(has(f->m, "/volumes/db"));
	assert_int_equal(zks_mirror_count(f->m), 1);

	put(f->m, "/volumes", "", 0);
	put(f->m, "/volumes/db", "{}", 3);
	assert_node(f->m, "/volumes/db", "{}", 3);
	assert_int_equal(zks_mirror_count(f->m), 3);
}

static void test_a_read_after_a_write_in_the_same_step_is_dropped(void **state)
{
	struct fixture *f = *state;
	struct zks_op op = {.type = ZKS_OP_SET, .path = "/v/a", .data = "new", .len = 3};
	struct zks_stat set = {.version = 2};
	char **reread;

	put(f->m, "/v", "", 0);
	put(f->m, "/v/a", "old", 1);
	zks_mirror_step_begin(f->m);
	reread = zks_mirror_apply_write(f->m, &op, 1, &set, 7, 1000);
	assert_string_equal(reread[0], "/v/a"); /* the worker reads it again */
	zks_free_strv(reread, 1);
	assert_node(f->m, "/v/a", "new", 2);

	/* The worker's read begun before the write: older, not applied; nor below it. */
	put(f->m, "/v/a", "old", 1);
	assert_node(f->m, "/v/a", "new", 2);
	put(f->m, "/v/a/x", "below", 0);
	assert_false(has(f->m, "/v/a/x"));
	put(f->m, "/v/b", "sibling", 0);
	assert_node(f->m, "/v/b", "sibling", 0);

	/* The next step's reads are newer. */
	zks_mirror_step_begin(f->m);
	put(f->m, "/v/a", "newer", 3);
	assert_node(f->m, "/v/a", "newer", 3);
}

static void test_remove_spares_a_written_node_and_whatever_holds_one(void **state)
{
	struct fixture *f = *state;
	struct zks_op op = {.type = ZKS_OP_CREATE, .path = "/v/a/lease", .data = "n1", .len = 2};
	char **reread;

	put(f->m, "/v", "", 0);
	put(f->m, "/v/a", "", 0);
	put(f->m, "/v/b", "", 0);
	zks_mirror_step_begin(f->m);
	reread = zks_mirror_apply_write(f->m, &op, 1, NULL, 7, 1000);
	zks_free_strv(reread, 1);

	/* A read begun before found /v/a gone: removing it would take our new lease. */
	zks_mirror_remove(f->m, "/v/a");
	assert_true(has(f->m, "/v/a/lease"));
	zks_mirror_remove(f->m, "/v/a/lease");
	assert_true(has(f->m, "/v/a/lease"));
	zks_mirror_remove(f->m, "/v/b");
	assert_false(has(f->m, "/v/b"));

	zks_mirror_step_begin(f->m);
	zks_mirror_remove(f->m, "/v/a");
	assert_false(has(f->m, "/v/a"));
	assert_false(has(f->m, "/v/a/lease"));
}

static void test_forget_removes_the_subtree_and_drops_older_reads(void **state)
{
	struct fixture *f = *state;

	put(f->m, "/v", "", 0);
	put(f->m, "/v/a", "", 0);
	put(f->m, "/v/a/lease", "n2", 0);
	zks_mirror_step_begin(f->m);
	assert_true(zks_mirror_forget(f->m, "/v/a"));
	assert_false(has(f->m, "/v/a"));
	assert_false(has(f->m, "/v/a/lease"));
	assert_false(zks_mirror_forget(f->m, "/v/a")); /* not had: nothing to re-read */

	/* A read begun before the deletion does not bring it back in this step. */
	put(f->m, "/v/a", "", 0);
	assert_false(has(f->m, "/v/a"));
	zks_mirror_step_begin(f->m);
	put(f->m, "/v/a", "again", 1);
	assert_node(f->m, "/v/a", "again", 1);
}

static void test_a_read_whose_parent_went_is_dropped(void **state)
{
	struct fixture *f = *state;

	put(f->m, "/v", "", 0);
	put(f->m, "/v/a", "", 0);
	zks_mirror_step_begin(f->m);
	zks_mirror_remove(f->m, "/v/a"); /* the parent went meanwhile */
	put(f->m, "/v/a/lease", "n1", 0);
	assert_false(has(f->m, "/v/a"));
	assert_false(has(f->m, "/v/a/lease"));
}

/* ---- writes ---------------------------------------------------------------------------------- */

static void test_apply_write_puts_creates_sets_and_deletes(void **state)
{
	struct fixture *f = *state;
	struct zks_op ops[] = {
		{.type = ZKS_OP_CHECK, .path = "/v", .version = 0},
		{.type = ZKS_OP_CREATE, .path = "/v/a", .data = "{}", .len = 2},
		{.type = ZKS_OP_CREATE,
		 .path = "/v/a/lease",
		 .data = "n1",
		 .len = 2,
		 .kind = ZKS_EPHEMERAL},
		{.type = ZKS_OP_SET, .path = "/v/b", .data = "set", .len = 3, .version = 0},
		{.type = ZKS_OP_DELETE, .path = "/v/c", .version = -1},
	};
	struct zks_stat stats[5] = {[3] = {.version = 1, .mzxid = 42}};
	struct zks_stat st;
	uint64_t changes;
	char **reread;

	put(f->m, "/v", "", 0);
	put(f->m, "/v/b", "old", 0);
	put(f->m, "/v/c", "", 0);
	changes = zks_mirror_changes(f->m, NULL);
	reread = zks_mirror_apply_write(f->m, ops, 5, stats, 0x77, 1234);
	assert_null(reread[0]);
	assert_string_equal(reread[1], "/v/a");
	assert_string_equal(reread[2], "/v/a/lease");
	assert_string_equal(reread[3], "/v/b");
	assert_null(reread[4]);
	zks_free_strv(reread, 5);
	assert_true(zks_mirror_changes(f->m, NULL) > changes);
	assert_true(zks_mirror_dirty(f->m));

	assert_int_equal(zks_mirror_get(f->m, "/v/a/lease", NULL, NULL, &st), 0);
	assert_int_equal(st.owner, 0x77);
	assert_int_equal(st.ctime_ms, 1234);
	assert_int_equal(zks_mirror_get(f->m, "/v/a", NULL, NULL, &st), 0);
	assert_int_equal(st.owner, 0);
	assert_int_equal(zks_mirror_get(f->m, "/v/b", NULL, NULL, &st), 0);
	assert_int_equal(st.version, 1);
	assert_int_equal(st.mzxid, 42);
	assert_node(f->m, "/v/b", "set", 1);
	assert_false(has(f->m, "/v/c"));
}

static void test_a_write_under_a_missing_parent_is_left_to_the_worker(void **state)
{
	struct fixture *f = *state;
	struct zks_op op = {.type = ZKS_OP_CREATE,
			    .path = "/v/db/leases/n1",
			    .data = "",
			    .len = 0,
			    .kind = ZKS_EPHEMERAL};
	char **reread;

	/* /v/db was made on another node a moment ago; the worker has not read it yet. */
	put(f->m, "/v", "", 0);
	zks_mirror_step_begin(f->m);
	reread = zks_mirror_apply_write(f->m, &op, 1, NULL, 7, 1000);
	assert_string_equal(reread[0], "/v/db"); /* the whole missing subtree is read */
	zks_free_strv(reread, 1);
	assert_false(has(f->m, "/v/db"));
	assert_false(has(f->m, "/v/db/leases"));

	/* Not applied, so not listed: the worker's reads of the subtree go in. */
	put(f->m, "/v/db", "{}", 0);
	put(f->m, "/v/db/leases", "", 0);
	put(f->m, "/v/db/leases/n1", "", 0);
	assert_node(f->m, "/v/db/leases/n1", "", 0);
}

/* ---- children ---------------------------------------------------------------------------------- */

struct visited {
	char names[8][32];
	bool known[8];
	size_t n;
};

static int visit(void *ctx, const char *child, bool known)
{
	struct visited *v = ctx;

	snprintf(v->names[v->n], sizeof(v->names[0]), "%s", child);
	v->known[v->n++] = known;
	return 0;
}

static void test_diff_children_drops_the_gone_and_visits_the_rest(void **state)
{
	struct fixture *f = *state;
	char *kids[] = {xstrdup("d"), xstrdup("b"), xstrdup("c")};
	struct visited v = {0};
	struct zks_op op = {.type = ZKS_OP_CREATE, .path = "/v/e", .data = "", .len = 0};
	char **reread;

	put(f->m, "/v", "", 0);
	put(f->m, "/v/a", "", 0);
	put(f->m, "/v/b", "", 0);
	put(f->m, "/v/e", "", 0);
	zks_mirror_step_begin(f->m);
	reread = zks_mirror_apply_write(f->m, &op, 1, NULL, 7, 1000); /* e: written this step */
	zks_free_strv(reread, 1);

	assert_int_equal(zks_mirror_diff_children(f->m, "/v", kids, 3, visit, &v), 0);
	assert_false(has(f->m, "/v/a")); /* gone from ZooKeeper */
	assert_true(has(f->m, "/v/e"));	 /* a listing older than our create: kept */
	assert_int_equal(v.n, 3);
	assert_string_equal(v.names[0], "/v/b");
	assert_true(v.known[0]);
	assert_string_equal(v.names[1], "/v/c");
	assert_false(v.known[1]);
	assert_string_equal(v.names[2], "/v/d");
	assert_false(v.known[2]);
	for (size_t i = 0; i < 3; i++)
		free(kids[i]);
}

/* ---- state ------------------------------------------------------------------------------------ */

static void test_synced_flag_and_change_counter(void **state)
{
	struct fixture *f = *state;
	uint64_t c0 = zks_mirror_changes(f->m, NULL);

	assert_false(zks_mirror_synced(f->m));
	zks_mirror_set_synced(f->m, true); /* becoming synced counts for all */
	assert_true(zks_mirror_synced(f->m));
	assert_int_equal(zks_mirror_changes(f->m, NULL), c0 + 1);
	zks_mirror_set_synced(f->m, true); /* already: no change */
	put(f->m, "/v", "", 0);
	assert_int_equal(zks_mirror_changes(f->m, NULL), c0 + 2);
	put(f->m, "/x/y", "", 0); /* not put: no change */
	assert_int_equal(zks_mirror_changes(f->m, NULL), c0 + 2);
}

/* Each subtree's count moves with changes under it, and with the root's or a resync's. */
static void test_change_counts_per_subtree(void **state)
{
	static const char *const vols[] = {"/v/a/leases", NULL}, *const nets[] = {"/n", NULL};
	static const char *const both[] = {"/n", "/v", NULL}, *const root[] = {"/", NULL};
	struct fixture *f = *state;
	uint64_t v0, n0, b0, r0;

	put(f->m, "/v", "", 0);
	put(f->m, "/n", "", 0);
	v0 = zks_mirror_changes(f->m, vols), n0 = zks_mirror_changes(f->m, nets);
	b0 = zks_mirror_changes(f->m, both), r0 = zks_mirror_changes(f->m, root);
	put(f->m, "/v/a", "", 0); /* counted per top-level subtree: /v/a/leases hears /v/a */
	put(f->m, "/v/b", "", 0);
	assert_int_equal(zks_mirror_changes(f->m, vols), v0 + 2);
	assert_int_equal(zks_mirror_changes(f->m, nets), n0);
	assert_int_equal(zks_mirror_changes(f->m, both), b0 + 2);
	assert_int_equal(zks_mirror_changes(f->m, root), r0 + 2);
	put(f->m, "/nx", "", 0); /* a sibling whose name starts the same */
	assert_int_equal(zks_mirror_changes(f->m, nets), n0);
	zks_mirror_remove(f->m, "/v/b");
	assert_int_equal(zks_mirror_changes(f->m, vols), v0 + 3);
	assert_int_equal(zks_mirror_changes(f->m, nets), n0);
	/* A write counts for each subtree it touches. */
	zks_free_strv(zks_mirror_apply_write(f->m,
					     (struct zks_op[]){{.type = ZKS_OP_CREATE,
								.path = "/n/x",
								.data = ""}},
					     1, NULL, 0, 1),
		      1);
	assert_int_equal(zks_mirror_changes(f->m, nets), n0 + 1);
	assert_int_equal(zks_mirror_changes(f->m, vols), v0 + 3);
	/* The root's own change, and becoming synced, count for every subtree. */
	put(f->m, "/", "", 0);
	assert_int_equal(zks_mirror_changes(f->m, nets), n0 + 2);
	assert_int_equal(zks_mirror_changes(f->m, vols), v0 + 4);
	zks_mirror_set_synced(f->m, true);
	assert_int_equal(zks_mirror_changes(f->m, nets), n0 + 3);
	assert_int_equal(zks_mirror_changes(f->m, vols), v0 + 5);
}

/* Past 32 top-level subtrees, changes count for all: never a missed one. */
static void test_change_counts_beyond_the_table_count_for_all(void **state)
{
	static const char *const nets[] = {"/n", NULL};
	struct fixture *f = *state;
	uint64_t n0;

	put(f->m, "/n", "", 0);
	for (int i = 0; i < 40; i++) {
		char path[16];

		snprintf(path, sizeof(path), "/t%d", i);
		put(f->m, path, "", 0);
	}
	n0 = zks_mirror_changes(f->m, nets);
	put(f->m, "/t39", "x", 1); /* past the table */
	assert_int_equal(zks_mirror_changes(f->m, nets), n0 + 1);
	put(f->m, "/t0", "x", 1); /* in it */
	assert_int_equal(zks_mirror_changes(f->m, nets), n0 + 1);
}

/* ---- the file --------------------------------------------------------------------------------- */

/* A save that took long spaces the next: 20 times its cost, from every 5 s to 30 s. */
static void test_save_interval_grows_with_its_cost(void **state)
{
	(void)state;
	assert_int_equal(zks_mirror_save_interval_ms(0), ZKS_MIRROR_SAVE_MS);
	assert_int_equal(zks_mirror_save_interval_ms(250), 5000);
	assert_int_equal(zks_mirror_save_interval_ms(251), 5020);
	assert_int_equal(zks_mirror_save_interval_ms(600), 12000);
	assert_int_equal(zks_mirror_save_interval_ms(1500), 30000);
	assert_int_equal(zks_mirror_save_interval_ms(60000), ZKS_MIRROR_SAVE_MAX_MS);
}

static void test_save_and_load_round_trip(void **state)
{
	struct fixture *f = *state;
	struct zks_stat st = {.version = 4,
			      .ctime_ms = 1700000000123,
			      .mtime_ms = 1700000000456,
			      .owner = 0x1234};
	struct zks_mirror *again;
	struct zks_stat got;
	const char bin[] = {'\0', 'a', '\0', '\xff', '\0'};
	char *data = NULL;
	size_t len = 0;
	int64_t t0, due, waited;

	put(f->m, "/configs", "", 0);
	zks_mirror_put(f->m, "/configs/b1", bin, 1, &(struct zks_stat){.version = 1});
	zks_mirror_put(f->m, "/configs/b2", bin, 2, &(struct zks_stat){.version = 1});
	zks_mirror_put(f->m, "/configs/b5", bin, 5, &(struct zks_stat){.version = 1});
	put(f->m, "/volumes", "", 0);
	put(f->m, "/volumes/db", "{\"scope\":\"single\",\"q\":\"\\\"x\\\"\"}", 2);
	zks_mirror_put(f->m, "/volumes/db/holder", "n1", 2, &st);
	assert_true(zks_mirror_dirty(f->m));
	assert_int_equal(zks_mirror_save_in_ms(f->m), 0); /* never saved yet: due now */
	t0 = zks_now_ms();
	zks_mirror_save(f->m);
	assert_false(zks_mirror_dirty(f->m));
	assert_int_equal(zks_mirror_save_in_ms(f->m), -1); /* saved, unchanged: never due */
	put(f->m, "/volumes/other", "", 0);
	/* Changed right after a save: due once the save's gap (5 s at least) has passed. */
	due = zks_mirror_save_in_ms(f->m);
	waited = zks_now_ms() - t0;
	assert_in_range(due, waited < ZKS_MIRROR_SAVE_MS ? ZKS_MIRROR_SAVE_MS - waited : 0,
			ZKS_MIRROR_SAVE_MAX_MS);
	zks_mirror_remove(f->m, "/volumes/other");

	again = zks_mirror_new(f->file);
	assert_int_equal(zks_mirror_load(again), 8);
	assert_int_equal(zks_mirror_count(again), 8);
	/* Binary data with NUL bytes comes back whole (base64 in the file). */
	for (size_t n = 1; n <= 5; n += n < 2 ? 1 : 3) {
		char path[16];

		snprintf(path, sizeof(path), "/configs/b%zu", n);
		assert_int_equal(zks_mirror_get(again, path, &data, &len, NULL), 0);
		assert_int_equal(len, n);
		assert_memory_equal(data, bin, n);
		free(data);
	}
	assert_false(zks_mirror_synced(again)); /* stale until ZooKeeper answers */
	assert_node(again, "/volumes/db", "{\"scope\":\"single\",\"q\":\"\\\"x\\\"\"}", 2);
	assert_int_equal(zks_mirror_get(again, "/volumes/db/holder", NULL, NULL, &got), 0);
	assert_int_equal(got.version, 4);
	assert_int_equal(got.ctime_ms, st.ctime_ms);
	assert_int_equal(got.mtime_ms, st.mtime_ms);
	assert_int_equal(got.owner, -1); /* an ephemeral of some past session */
	assert_int_equal(zks_mirror_get(again, "/volumes/db", NULL, NULL, &got), 0);
	assert_int_equal(got.owner, 0);
	zks_mirror_free(again);
}

static void assert_rejected(struct fixture *f, const char *text)
{
	struct zks_mirror *m;

	write_file(f->file, text);
	m = zks_mirror_new(f->file);
	assert_int_equal(zks_mirror_load(m), -1);
	assert_int_equal(zks_mirror_count(m), 1); /* the root only */
	zks_mirror_free(m);
}

static void test_corrupt_or_truncated_file_is_rejected(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *good = NULL;
	struct zks_error err = {0};
	size_t len = 0;

	put(f->m, "/volumes", "", 0);
	put(f->m, "/volumes/db", "{}", 0);
	zks_mirror_save(f->m);
	assert_ok(zks_read_file(f->file, 1 << 20, &good, &len, &err), &err);
	assert_true(len > 10);

	good[len / 2] = '\0'; /* cut off mid-write */
	assert_rejected(f, good);
	assert_rejected(f, "");
	assert_rejected(f, "not json at all");
	assert_rejected(f, "{\"format\":1,\"nodes\":{\"path\":\"/a\"}}");
	assert_rejected(f, "[1,2,3]");
}

static void test_malformed_entries_are_skipped(void **state)
{
	struct fixture *f = *state;
	struct zks_mirror *m;

	write_file(f->file, "{\"format\":1,\"nodes\":["
			    "{\"path\":\"/\",\"data\":\"\",\"version\":0},"
			    "{\"path\":\"/a\",\"data\":\"ok\",\"version\":1},"
			    "{\"path\":\"b\",\"data\":\"relative\",\"version\":0},"
			    "{\"path\":\"/c/\",\"data\":\"trailing\",\"version\":0},"
			    "{\"path\":\"/d\",\"version\":0},"
			    "{\"path\":\"/e\",\"data\":5,\"version\":0},"
			    "{\"path\":\"/f\",\"data\":\"\",\"version\":\"1\"},"
			    "7]}");
	m = zks_mirror_new(f->file);
	assert_int_equal(zks_mirror_load(m), 2);
	assert_node(m, "/a", "ok", 1);
	assert_int_equal(zks_mirror_count(m), 2);
	zks_mirror_free(m);
}

static void test_no_file(void **state)
{
	struct fixture *f = *state;
	struct zks_mirror *m = zks_mirror_new(NULL);

	assert_int_equal(zks_mirror_load(f->m), -1); /* not written yet */
	assert_int_equal(zks_mirror_load(m), -1);
	put(m, "/a", "", 0);
	assert_true(zks_mirror_dirty(m));
	assert_int_equal(zks_mirror_save_in_ms(m), -1); /* nowhere to save: never due */
	zks_mirror_save(m);
	zks_mirror_free(m);
}

/* ---- the ZooKeeper store with no server to reach ------------------------------------------ */

/*
 * A daemon that starts while ZooKeeper is away answers cached reads from the saved mirror;
 * store_stop then ends the worker at once and later requests are refused.  (The client
 * only fails to connect here: everything past a session needs a server, see the top.)
 */
static void test_zk_store_without_a_server_answers_from_its_file_and_stops(void **state)
{
	struct fixture *f = *state;
	struct zks_zk_config cfg = {
		.hosts = "127.0.0.1:1",
		.root = "/zkswarm",
		.session_timeout_ms = 4000,
		.mirror_file = f->file,
	};
	struct zks_error err = {0};
	struct zks_store_status st;
	struct zks_store *s;
	char *data = NULL;
	int64_t t0;

	put(f->m, "/volumes", "", 0);
	put(f->m, "/volumes/db", "{}", 2);
	zks_mirror_save(f->m);
	s = zks_store_zk_new(&cfg, &err);
	assert_non_null(s);
	assert_int_equal(store_cached_get(s, "/volumes/db", &data, NULL, NULL), 0);
	assert_string_equal(data, "{}");
	free(data);
	store_status(s, &st);
	assert_int_not_equal(st.state, ZKS_CONN_CONNECTED);
	assert_false(st.mirror_synced);
	assert_int_equal(st.mirror_nodes, 3);

	store_stop(s);
	t0 = zks_now_ms();
	assert_int_equal(store_create(s, "/volumes/x", "", 0, ZKS_PERSISTENT, &err), -1);
	assert_int_equal(err.code, ZKS_ERR_UNAVAILABLE);
	assert_true(zks_now_ms() - t0 < 500); /* stopped: no wait for a session */
	data = NULL;
	assert_int_equal(store_cached_get(s, "/volumes/db", &data, NULL, NULL), 0);
	free(data);
	store_destroy(s); /* stops only once */
}

/* zk.c's child-watch marks: on nodes the mirror has, kept by a put, gone with the node. */
static void test_marks_live_and_die_with_their_node(void **state)
{
	struct fixture *f = *state;

	assert_false(zks_mirror_mark(f->m, "/volumes", 7)); /* not in the mirror: not marked */
	assert_int_equal(zks_mirror_marked(f->m, "/volumes"), 0);
	put(f->m, "/volumes", "", 1);
	put(f->m, "/volumes/a", "", 1);
	put(f->m, "/volumes/a/leases", "", 1);
	assert_true(zks_mirror_mark(f->m, "/volumes", 7));
	assert_true(zks_mirror_mark(f->m, "/volumes/a/leases", 8));
	assert_int_equal(zks_mirror_marked(f->m, "/volumes/a"), 0);
	zks_mirror_step_begin(f->m);
	put(f->m, "/volumes", "x", 2); /* read again: the mark stays */
	assert_node(f->m, "/volumes", "x", 2);
	assert_int_equal(zks_mirror_marked(f->m, "/volumes"), 7);
	assert_true(zks_mirror_forget(f->m, "/volumes/a")); /* the subtree goes, marks too */
	zks_mirror_step_begin(f->m);
	put(f->m, "/volumes/a", "", 1);
	put(f->m, "/volumes/a/leases", "", 1);
	assert_int_equal(zks_mirror_marked(f->m, "/volumes/a/leases"), 0);
	assert_true(zks_mirror_mark(f->m, "/volumes/a/leases", 9));
	zks_mirror_marks_clear(f->m);
	assert_int_equal(zks_mirror_marked(f->m, "/volumes"), 0);
	assert_int_equal(zks_mirror_marked(f->m, "/volumes/a/leases"), 0);
	assert_node(f->m, "/volumes", "x", 2); /* clearing marks changes no data */
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_put_needs_the_parent),
		T(test_a_read_after_a_write_in_the_same_step_is_dropped),
		T(test_remove_spares_a_written_node_and_whatever_holds_one),
		T(test_forget_removes_the_subtree_and_drops_older_reads),
		T(test_a_read_whose_parent_went_is_dropped),
		T(test_apply_write_puts_creates_sets_and_deletes),
		T(test_a_write_under_a_missing_parent_is_left_to_the_worker),
		T(test_diff_children_drops_the_gone_and_visits_the_rest),
		T(test_marks_live_and_die_with_their_node),
		T(test_synced_flag_and_change_counter),
		T(test_change_counts_per_subtree),
		T(test_change_counts_beyond_the_table_count_for_all),
		T(test_save_interval_grows_with_its_cost),
		T(test_save_and_load_round_trip),
		T(test_corrupt_or_truncated_file_is_rejected),
		T(test_malformed_entries_are_skipped),
		T(test_no_file),
		T(test_zk_store_without_a_server_answers_from_its_file_and_stops),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
