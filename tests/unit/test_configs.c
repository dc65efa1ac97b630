/*
 * test_configs.c - configuration volumes in the store (configs.h, records.h):
 * every change one numbered step, several files in one, removals, the bounded
 * history and its blobs, rollbacks, two writers at once, the limits and the
 * file names refused with nothing changed, binary contents, the records a
 * volume's Create and Remove add, and decoders given hostile records.
 * Everything runs on the in-memory store; a wrapper store plays the other
 * writer in the middle of a change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/configs.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define NAME "app"

struct fixture {
	struct zks_mem_backend *b;
	struct zks_store *s1;
	struct zks_store *s2;
};

static void create_config(struct zks_store *s, const char *name)
{
	struct zks_config_ops o;
	struct zks_error err = {0};

	zks_config_create_ops(name, "tester@host", &o);
	assert_ok(store_multi(s, o.ops, o.n, &err), &err);
	zks_config_ops_free(&o);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->b = zks_mem_backend_new();
	f->s1 = zks_store_mem_new(f->b);
	f->s2 = zks_store_mem_new(f->b);
	create_config(f->s1, NAME);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_destroy(f->s1);
	store_destroy(f->s2);
	zks_mem_backend_free(f->b);
	free(f);
	return 0;
}

/* Put one file (text); the new version. */
static uint64_t put(struct zks_store *s, const char *file, const char *text)
{
	struct zks_config_edit e = {.file = file, .data = text, .len = strlen(text)};
	struct zks_error err = {0};
	uint64_t v = 0;
	bool changed = false;

	assert_ok(zks_config_commit(s, NAME, &e, 1, "tester@host", &v, &changed, &err), &err);
	assert_true(changed);
	return v;
}

/* A file's contents in version (0: current), as a string to free. */
static char *read_text(struct zks_store *s, uint64_t version, const char *file)
{
	struct zks_error err = {0};
	char *data = NULL;
	size_t len = 0;

	assert_ok(zks_config_read(s, NAME, version, file, &data, &len, &err), &err);
	assert_int_equal(strlen(data), len);
	return data;
}

static void assert_file(struct zks_store *s, uint64_t version, const char *file, const char *want)
{
	char *got = read_text(s, version, file);

	assert_string_equal(got, want);
	free(got);
}

static size_t count_children(struct zks_store *s, const char *path)
{
	struct zks_error err = {0};
	char **names = NULL;
	size_t n = 0;

	if (store_children(s, path, &names, &n, &err) < 0)
		return 0;
	zks_free_strv(names, n);
	return n;
}

static size_t count_under(struct zks_store *s, const char *what)
{
	cleanup_free char *path = xasprintf(ZKS_CONFIGS "/" NAME "/%s", what);

	return count_children(s, path);
}

static bool blob_exists(struct zks_store *s, const char *text)
{
	char sha[65];
	cleanup_free char *path = NULL;
	struct zks_error err = {0};

	zks_sha256_hex(text, strlen(text), sha);
	path = zks_path_config_blob(NAME, sha);
	return store_get(s, path, NULL, NULL, NULL, &err) == 0;
}

static uint64_t head_version(struct zks_store *s)
{
	struct zks_config_manifest m;
	struct zks_error err = {0};
	uint64_t v;

	assert_ok(zks_config_head(s, NAME, true, &m, NULL, &err), &err);
	v = m.version;
	zks_config_manifest_clear(&m);
	return v;
}

/* ---- paths and codecs ------------------------------------------------------------------- */

static void test_paths(void **state)
{
	struct {
		char *got;
		const char *want;
	} l[] = {
		{zks_path_config("app"), "/configs/app"},
		{zks_path_config_versions("app"), "/configs/app/versions"},
		{zks_path_config_version("app", 7), "/configs/app/versions/0000000007"},
		{zks_path_config_version("app", 9999999999ull), "/configs/app/versions/9999999999"},
		{zks_path_config_blobs("app"), "/configs/app/blobs"},
		{zks_path_config_blob("app", "ab"), "/configs/app/blobs/ab"},
		{zks_path_config_nodes("app"), "/configs/app/nodes"},
		{zks_path_config_node("app", "n1"), "/configs/app/nodes/n1"},
	};
	char sha[65];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(l); i++) {
		assert_string_equal(l[i].got, l[i].want);
		free(l[i].got);
	}
	zks_sha256_hex("abc", 3, sha);
	assert_string_equal(sha,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	zks_sha256_hex(NULL, 0, sha);
	assert_string_equal(sha,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_codec_round_trip(void **state)
{
	struct zks_config_file files[] = {
		{.name = "a.conf", .size = 3},
		{.name = "b.conf", .size = 0},
	};
	struct zks_config_change changes[] = {
		{.file = "a.conf", .op = ZKS_CONFIG_PUT, .size = 3},
		{.file = "old", .op = ZKS_CONFIG_RM},
	};
	struct zks_config_step st = {
		.m = {.version = 12,
		      .files = files,
		      .nfiles = 2,
		      .at = "2026-01-01T00:00:00Z",
		      .by = "me@h"},
		.changes = changes,
		.nchanges = 2,
		.rollback_of = 4,
	};
	struct zks_config_step out;
	struct zks_config_node node;
	struct zks_error err = {0};
	char *text;

	(void)state;
	zks_sha256_hex("abc", 3, files[0].sha256);
	zks_sha256_hex("", 0, files[1].sha256);
	memcpy(changes[0].sha256, files[0].sha256, 65);
	text = zks_config_step_encode(&st);
	assert_ok(zks_config_step_decode(text, &out, &err), &err);
	free(text);
	assert_int_equal(out.m.version, 12);
	assert_int_equal(out.m.nfiles, 2);
	assert_string_equal(out.m.files[1].name, "b.conf");
	assert_string_equal(out.m.files[0].sha256, files[0].sha256);
	assert_int_equal(out.m.files[0].size, 3);
	assert_string_equal(out.m.by, "me@h");
	assert_string_equal(out.m.at, "2026-01-01T00:00:00Z");
	assert_int_equal(out.nchanges, 2);
	assert_int_equal(out.changes[1].op, ZKS_CONFIG_RM);
	assert_string_equal(out.changes[1].sha256, "");
	assert_int_equal(out.rollback_of, 4);
	assert_non_null(zks_config_manifest_find(&out.m, "a.conf"));
	assert_null(zks_config_manifest_find(&out.m, "c.conf"));
	zks_config_step_clear(&out);

	text = zks_config_node_encode(7, "2026-01-01T00:00:00Z");
	assert_ok(zks_config_node_decode(text, &node, &err), &err);
	assert_int_equal(node.version, 7);
	assert_string_equal(node.at, "2026-01-01T00:00:00Z");
	free(node.at);
	free(text);
}

/* ---- versions, files, removals ------------------------------------------------------------ */

static void test_new_config_is_version_0(void **state)
{
	struct fixture *f = *state;
	struct zks_config_manifest m;
	struct zks_config_step *steps;
	struct zks_error err = {0};
	size_t n;

	assert_ok(zks_config_head(f->s2, NAME, false, &m, NULL, &err), &err);
	assert_int_equal(m.version, 0);
	assert_int_equal(m.nfiles, 0);
	assert_string_equal(m.by, "tester@host");
	zks_config_manifest_clear(&m);
	assert_ok(zks_config_history(f->s1, NAME, &steps, &n, &err), &err);
	assert_int_equal(n, 0);
	zks_config_steps_free(steps, n);
	assert_error(zks_config_head(f->s1, "nope", true, &m, NULL, &err), &err, ZKS_ERR_NOT_FOUND);
	assert_contains(err.msg, "nope");
}

static void test_versions_count_up(void **state)
{
	struct fixture *f = *state;
	struct zks_config_edit both[] = {
		{.file = "b.conf", .data = "b2", .len = 2},
		{.file = "a.conf", .data = "a2", .len = 2},
	};
	struct zks_config_step *steps;
	struct zks_error err = {0};
	uint64_t v = 0;
	bool changed = false;
	size_t n;

	assert_int_equal(put(f->s1, "a.conf", "a1"), 1);
	assert_int_equal(put(f->s2, "b.conf", "b1"), 2);
	assert_ok(zks_config_commit(f->s1, NAME, both, 2, "x@y", &v, &changed, &err), &err);
	assert_int_equal(v, 3);
	assert_true(changed);
	assert_file(f->s2, 0, "a.conf", "a2");
	assert_file(f->s2, 0, "b.conf", "b2");
	assert_file(f->s2, 1, "a.conf", "a1");
	assert_file(f->s2, 2, "b.conf", "b1");
	assert_error(zks_config_read(f->s1, NAME, 1, "b.conf", &(char *){NULL}, &n, &err), &err,
		     ZKS_ERR_NOT_FOUND);

	assert_ok(zks_config_history(f->s1, NAME, &steps, &n, &err), &err);
	assert_int_equal(n, 3);
	assert_int_equal(steps[0].m.version, 3);
	assert_int_equal(steps[1].m.version, 2);
	assert_int_equal(steps[2].m.version, 1);
	/* One step for both files, each change named, sorted. */
	assert_int_equal(steps[0].nchanges, 2);
	assert_string_equal(steps[0].changes[0].file, "a.conf");
	assert_string_equal(steps[0].changes[1].file, "b.conf");
	assert_int_equal(steps[0].changes[0].size, 2);
	assert_string_equal(steps[0].m.by, "x@y");
	assert_non_null(steps[0].m.at);
	assert_int_equal(steps[2].m.nfiles, 1);
	zks_config_steps_free(steps, n);
	assert_int_equal(head_version(f->s1), 3);
}

static void test_unchanged_is_no_version(void **state)
{
	struct fixture *f = *state;
	struct zks_config_edit same = {.file = "a.conf", .data = "a1", .len = 2};
	struct zks_error err = {0};
	uint64_t v = 0;
	bool changed = true;

	put(f->s1, "a.conf", "a1");
	assert_ok(zks_config_commit(f->s1, NAME, &same, 1, "x", &v, &changed, &err), &err);
	assert_false(changed);
	assert_int_equal(v, 1);
	changed = true;
	assert_ok(zks_config_commit(f->s1, NAME, NULL, 0, "x", &v, &changed, &err), &err);
	assert_false(changed);
	assert_int_equal(v, 1);
	assert_int_equal(count_under(f->s1, "versions"), 1);
}

static void test_rm(void **state)
{
	struct fixture *f = *state;
	struct zks_config_edit rm = {.file = "a.conf"};
	struct zks_config_step *steps;
	struct zks_error err = {0};
	char *data = NULL;
	size_t len, n;
	uint64_t v = 0;

	put(f->s1, "a.conf", "a1");
	put(f->s1, "b.conf", "b1");
	assert_ok(zks_config_commit(f->s1, NAME, &rm, 1, "x", &v, NULL, &err), &err);
	assert_int_equal(v, 3);
	assert_error(zks_config_read(f->s1, NAME, 0, "a.conf", &data, &len, &err), &err,
		     ZKS_ERR_NOT_FOUND);
	assert_file(f->s1, 0, "b.conf", "b1");
	assert_file(f->s1, 2, "a.conf", "a1"); /* still in the history */
	assert_ok(zks_config_history(f->s1, NAME, &steps, &n, &err), &err);
	assert_int_equal(steps[0].nchanges, 1);
	assert_int_equal(steps[0].changes[0].op, ZKS_CONFIG_RM);
	assert_string_equal(steps[0].changes[0].file, "a.conf");
	zks_config_steps_free(steps, n);
	/* Removing what is not there: NOT_FOUND, nothing changed. */
	assert_error(zks_config_commit(f->s1, NAME, &rm, 1, "x", &v, NULL, &err), &err,
		     ZKS_ERR_NOT_FOUND);
	assert_contains(err.msg, "a.conf");
	assert_int_equal(head_version(f->s1), 3);
}

/* The whole config fits one Remove (the store's 256 steps, 2 of them the volume's). */
static void assert_removable(struct zks_store *s)
{
	struct zks_config_ops o;
	struct zks_error err = {0};

	assert_ok(zks_config_remove_ops(s, NAME, &o, &err), &err);
	assert_true(o.n + 2 <= 256);
	zks_config_ops_free(&o);
}

/* Files with the same contents share one blob; it stays while a version lists it. */
static void test_shared_contents(void **state)
{
	struct fixture *f = *state;
	struct zks_config_edit same[] = {{.file = "a", .data = "same", .len = 4},
					 {.file = "b", .data = "same", .len = 4}};
	struct zks_config_edit rm = {.file = "a"};
	struct zks_error err = {0};

	assert_ok(zks_config_commit(f->s1, NAME, same, 2, "x", NULL, NULL, &err), &err);
	assert_int_equal(count_under(f->s1, "blobs"), 1);
	assert_ok(zks_config_commit(f->s1, NAME, &rm, 1, "x", NULL, NULL, &err), &err);
	assert_true(blob_exists(f->s1, "same"));
	assert_file(f->s2, 0, "b", "same");
	assert_file(f->s2, 1, "a", "same");
}

/* ---- the history's bound ------------------------------------------------------------------ */

static void test_history_bound(void **state)
{
	struct fixture *f = *state;
	const int total = ZKS_CONFIG_HISTORY + 10;
	struct zks_config_step *steps;
	struct zks_error err = {0};
	char *data = NULL;
	size_t len, n;

	put(f->s1, "keep.conf", "unchanged since version 1");
	for (int i = 2; i <= total; i++) {
		char text[32];

		snprintf(text, sizeof(text), "value %d", i);
		assert_int_equal(put(i % 2 ? f->s1 : f->s2, "a.conf", text), (uint64_t)i);
	}
	assert_int_equal(count_under(f->s1, "versions"), ZKS_CONFIG_HISTORY);
	assert_ok(zks_config_history(f->s1, NAME, &steps, &n, &err), &err);
	assert_int_equal(n, ZKS_CONFIG_HISTORY);
	assert_int_equal(steps[0].m.version, total);
	assert_int_equal(steps[n - 1].m.version, total - ZKS_CONFIG_HISTORY + 1);
	for (size_t i = 1; i < n; i++)
		assert_true(steps[i - 1].m.version > steps[i].m.version);
	zks_config_steps_free(steps, n);
	/* The oldest steps' blobs are gone, the kept steps' blobs and the shared one stay. */
	assert_false(blob_exists(f->s1, "value 2"));
	assert_false(blob_exists(f->s1, "value 10"));
	assert_true(blob_exists(f->s1, "value 11"));
	assert_true(blob_exists(f->s1, "unchanged since version 1"));
	assert_int_equal(count_under(f->s1, "blobs"), ZKS_CONFIG_HISTORY + 1);
	assert_error(zks_config_read(f->s1, NAME, 10, "a.conf", &data, &len, &err), &err,
		     ZKS_ERR_NOT_FOUND);
	assert_file(f->s1, 11, "a.conf", "value 11");
	assert_file(f->s1, 0, "keep.conf", "unchanged since version 1");
	/* A version no longer kept cannot come back; the message says what is kept. */
	assert_error(zks_config_rollback(f->s1, NAME, 5, "x", NULL, &err), &err, ZKS_ERR_NOT_FOUND);
	assert_contains(err.msg, "versions 11 to 60");
	assert_int_equal(head_version(f->s1), total);
	assert_removable(f->s1);
}

/* Fewer steps while the kept ones list more than ZKS_CONFIG_BLOBS_MAX blobs. */
static void test_history_bound_blobs(void **state)
{
	struct fixture *f = *state;
	struct zks_config_edit e[10];
	char names[10][8], texts[10][32];
	struct zks_error err = {0};
	const size_t per = ARRAY_SIZE(e), kept = ZKS_CONFIG_BLOBS_MAX / ARRAY_SIZE(e);
	uint64_t v = 0;

	for (int round = 1; round <= 20; round++) {
		for (size_t i = 0; i < per; i++) {
			snprintf(names[i], sizeof(names[i]), "f%zu", i);
			snprintf(texts[i], sizeof(texts[i]), "round %d file %zu", round, i);
			e[i] = (struct zks_config_edit){.file = names[i],
							.data = texts[i],
							.len = strlen(texts[i])};
		}
		assert_ok(zks_config_commit(f->s1, NAME, e, per, "x", &v, NULL, &err), &err);
		assert_int_equal(v, round);
	}
	assert_int_equal(count_under(f->s1, "versions"), kept);
	assert_int_equal(count_under(f->s1, "blobs"), kept * per);
	assert_false(blob_exists(f->s1, "round 8 file 0"));
	assert_true(blob_exists(f->s1, "round 9 file 0"));
	assert_file(f->s1, 20 - kept + 1, "f3", "round 9 file 3");
	assert_removable(f->s1);
}

/* Fewer steps while the kept ones list more than ZKS_CONFIG_KEPT_MAX bytes. */
static void test_history_bound_bytes(void **state)
{
	struct fixture *f = *state;
	const size_t size = 500000, kept = ZKS_CONFIG_KEPT_MAX / 500000;
	char *data = xcalloc(1, size);
	struct zks_config_edit e = {.file = "big", .data = data, .len = size};
	struct zks_error err = {0};

	assert_true(size <= ZKS_CONFIG_FILE_MAX);
	for (int i = 1; i <= 40; i++) {
		snprintf(data, 16, "%d", i);
		assert_ok(zks_config_commit(f->s1, NAME, &e, 1, "x", NULL, NULL, &err), &err);
	}
	assert_int_equal(count_under(f->s1, "versions"), kept);
	assert_int_equal(count_under(f->s1, "blobs"), kept);
	assert_int_equal(head_version(f->s1), 40);
	assert_removable(f->s1);
	free(data);
}

/* ---- rollback --------------------------------------------------------------------------- */

static void test_rollback(void **state)
{
	struct fixture *f = *state;
	struct zks_config_step *steps;
	struct zks_error err = {0};
	char *data = NULL;
	size_t len, n;
	uint64_t v = 0;

	put(f->s1, "a.conf", "one");
	put(f->s1, "a.conf", "two");
	put(f->s1, "b.conf", "bee");
	assert_ok(zks_config_rollback(f->s2, NAME, 1, "admin@h", &v, &err), &err);
	assert_int_equal(v, 4);
	assert_file(f->s1, 0, "a.conf", "one");
	assert_error(zks_config_read(f->s1, NAME, 0, "b.conf", &data, &len, &err), &err,
		     ZKS_ERR_NOT_FOUND);
	assert_ok(zks_config_history(f->s1, NAME, &steps, &n, &err), &err);
	assert_int_equal(n, 4);
	assert_int_equal(steps[0].m.version, 4);
	assert_int_equal(steps[0].rollback_of, 1);
	assert_string_equal(steps[0].m.by, "admin@h");
	assert_int_equal(steps[0].m.nfiles, steps[3].m.nfiles);
	assert_string_equal(steps[0].m.files[0].sha256, steps[3].m.files[0].sha256);
	assert_int_equal(steps[0].nchanges, 2); /* a.conf back, b.conf gone */
	assert_int_equal(steps[1].rollback_of, 0);
	zks_config_steps_free(steps, n);
	/* Forward again to a version that is kept. */
	assert_ok(zks_config_rollback(f->s1, NAME, 3, "admin@h", &v, &err), &err);
	assert_int_equal(v, 5);
	assert_file(f->s2, 0, "a.conf", "two");
	assert_file(f->s2, 0, "b.conf", "bee");
	assert_error(zks_config_rollback(f->s1, NAME, 99, "x", NULL, &err), &err,
		     ZKS_ERR_NOT_FOUND);
	assert_contains(err.msg, "versions 1 to 5");
}

/* ---- two writers -------------------------------------------------------------------------- */

/*
 * A store that forwards to another, and once, just before the first transaction that sets a
 * head (a change's commit, after its read and its uploads), lets the other writer commit.
 */
struct race_store {
	struct zks_store base;
	struct zks_store *inner;
	struct zks_store *other;
	const char *other_file, *other_text;
	int fired;
	int multis;
	size_t max_ops; /* the largest transaction seen */
};

static int race_multi(struct zks_store *s, const struct zks_op *ops, size_t n,
		      struct zks_error *err)
{
	struct race_store *r = (struct race_store *)s;

	r->multis++;
	if (n > r->max_ops)
		r->max_ops = n;
	if (!r->fired && n > 1 && ops[0].type == ZKS_OP_SET) {
		r->fired = 1;
		put(r->other, r->other_file, r->other_text);
	}
	return store_multi(r->inner, ops, n, err);
}

static int race_get(struct zks_store *s, const char *path, char **data, size_t *len,
		    struct zks_stat *st, struct zks_error *err)
{
	return store_get(((struct race_store *)s)->inner, path, data, len, st, err);
}

static int race_children(struct zks_store *s, const char *path, char ***names, size_t *n,
			 struct zks_error *err)
{
	return store_children(((struct race_store *)s)->inner, path, names, n, err);
}

static int race_cached_get(struct zks_store *s, const char *path, char **data, size_t *len,
			   struct zks_stat *st)
{
	return store_cached_get(((struct race_store *)s)->inner, path, data, len, st);
}

static int race_cached_children(struct zks_store *s, const char *path, char ***names, size_t *n)
{
	return store_cached_children(((struct race_store *)s)->inner, path, names, n);
}

static void race_destroy(struct zks_store *s)
{
	(void)s;
}

static const struct zks_store_ops race_ops = {
	.multi = race_multi,
	.get = race_get,
	.children = race_children,
	.cached_get = race_cached_get,
	.cached_children = race_cached_children,
	.destroy = race_destroy,
};

static void test_race_both_land(void **state)
{
	struct fixture *f = *state;
	struct race_store r = {.base.ops = &race_ops,
			       .inner = f->s1,
			       .other = f->s2,
			       .other_file = "b.conf",
			       .other_text = "from writer 2"};
	struct zks_config_step *steps;
	struct zks_error err = {0};
	size_t n;

	/* Writer 1 read version 0; writer 2 commits version 1 before writer 1's commit. */
	assert_int_equal(put(&r.base, "a.conf", "from writer 1"), 2);
	assert_int_equal(r.fired, 1);
	/*
	 * Upload, commit (lost; writer 2's change deleted the blob, which no step listed), upload
	 * again, commit.
	 */
	assert_int_equal(r.multis, 4);
	assert_file(f->s1, 0, "a.conf", "from writer 1");
	assert_file(f->s1, 0, "b.conf", "from writer 2");
	assert_ok(zks_config_history(f->s1, NAME, &steps, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_int_equal(steps[0].nchanges, 1);
	assert_string_equal(steps[0].changes[0].file, "a.conf");
	assert_int_equal(steps[1].nchanges, 1);
	assert_string_equal(steps[1].changes[0].file, "b.conf");
	zks_config_steps_free(steps, n);
}

/*
 * Writer 1 puts contents that the oldest step has (so it uploads nothing); writer 2's change
 * meanwhile drops that step and its blob.  Writer 1's retry uploads the blob again.
 */
static void test_race_blob_deleted_under_writer(void **state)
{
	struct fixture *f = *state;
	struct race_store r = {.base.ops = &race_ops,
			       .inner = f->s1,
			       .other = f->s2,
			       .other_file = "b.conf",
			       .other_text = "writer 2"};
	uint64_t v;

	put(f->s1, "a.conf", "old contents");
	for (int i = 2; i <= ZKS_CONFIG_HISTORY; i++) {
		char text[32];

		snprintf(text, sizeof(text), "value %d", i);
		put(f->s1, "a.conf", text);
	}
	assert_true(blob_exists(f->s1, "old contents"));
	v = put(&r.base, "a.conf", "old contents");
	assert_int_equal(r.fired, 1);
	/* Commit (lost: the blob was deleted), upload, commit again. */
	assert_int_equal(r.multis, 3);
	assert_int_equal(v, ZKS_CONFIG_HISTORY + 2);
	assert_true(blob_exists(f->s1, "old contents"));
	assert_file(f->s2, 0, "a.conf", "old contents");
	assert_file(f->s2, 0, "b.conf", "writer 2");
	assert_int_equal(count_under(f->s1, "versions"), ZKS_CONFIG_HISTORY);
}

/* A blob no step lists (its writer gave up after uploading it) goes with the next change. */
static void test_orphan_blobs(void **state)
{
	struct fixture *f = *state;
	struct zks_error err = {0};
	char sha[65];
	cleanup_free char *path = NULL;

	zks_sha256_hex("orphan", 6, sha);
	path = zks_path_config_blob(NAME, sha);
	assert_ok(store_create(f->s1, path, "orphan", 6, ZKS_PERSISTENT, &err), &err);
	put(f->s1, "a", "1");
	assert_false(blob_exists(f->s1, "orphan"));
	put(f->s1, "a", "2");
	/* The old version's blob is still listed by its step: it stays. */
	assert_true(blob_exists(f->s1, "1"));
}

/* However many orphans there are, a change stays within the store's 256 steps. */
static void test_many_orphans(void **state)
{
	struct fixture *f = *state;
	struct race_store r = {.base.ops = &race_ops, .inner = f->s1, .fired = 1};
	struct zks_error err = {0};

	for (int i = 0; i < 300; i++) {
		char text[16], sha[65];
		cleanup_free char *path = NULL;

		snprintf(text, sizeof(text), "orphan %d", i);
		zks_sha256_hex(text, strlen(text), sha);
		path = zks_path_config_blob(NAME, sha);
		assert_ok(store_create(f->s1, path, text, strlen(text), ZKS_PERSISTENT, &err),
			  &err);
	}
	put(&r.base, "a", "1");
	assert_true(r.max_ops <= 256);
	assert_true(count_under(f->s1, "blobs") > 1);
	put(&r.base, "a", "2");
	assert_true(r.max_ops <= 256);
	assert_int_equal(count_under(f->s1, "blobs"), 2); /* versions 1 and 2 */
	assert_removable(f->s1);
}

/* Sequential conflicting changes of one file from two stores: two versions. */
static void test_two_writers_sequential(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(put(f->s1, "a.conf", "w1"), 1);
	assert_int_equal(put(f->s2, "a.conf", "w2"), 2);
	assert_file(f->s1, 0, "a.conf", "w2");
	assert_file(f->s1, 1, "a.conf", "w1");
}

/* ---- refusals ----------------------------------------------------------------------------- */

static void assert_nothing_changed(struct fixture *f)
{
	assert_int_equal(head_version(f->s1), 1);
	assert_int_equal(count_under(f->s1, "versions"), 1);
	assert_int_equal(count_under(f->s1, "blobs"), 1);
}

static void test_limits(void **state)
{
	struct fixture *f = *state;
	size_t big = ZKS_CONFIG_FILE_MAX + 1;
	char *data = xcalloc(1, big);
	struct zks_config_edit e = {.file = "big.bin", .data = data, .len = big};
	struct zks_config_edit many[ZKS_CONFIG_TOTAL_MAX / ZKS_CONFIG_FILE_MAX + 1];
	struct zks_config_edit *files = xcalloc(ZKS_CONFIG_FILES_MAX + 1, sizeof(*files));
	char(*names)[16] = xcalloc(ZKS_CONFIG_FILES_MAX + 1, sizeof(*names));
	struct zks_error err = {0};
	char text[64];
	uint64_t v;

	put(f->s1, "small", "s");
	assert_error(zks_config_commit(f->s1, NAME, &e, 1, "x", &v, NULL, &err), &err,
		     ZKS_ERR_INVALID);
	assert_contains(err.msg, "big.bin");
	snprintf(text, sizeof(text), "%d bytes", ZKS_CONFIG_FILE_MAX + 1);
	assert_contains(err.msg, text);
	snprintf(text, sizeof(text), "limit of %d", ZKS_CONFIG_FILE_MAX);
	assert_contains(err.msg, text);
	assert_nothing_changed(f);
	/* The whole: each file within its limit, the version over its. */
	for (size_t i = 0; i < ARRAY_SIZE(many); i++) {
		char *contents = xcalloc(1, ZKS_CONFIG_FILE_MAX);

		snprintf(names[i], sizeof(names[i]), "f%zu", i);
		contents[0] = (char)(i + 1); /* different contents */
		many[i] = (struct zks_config_edit){.file = names[i],
						   .data = contents,
						   .len = ZKS_CONFIG_FILE_MAX};
	}
	assert_error(zks_config_commit(f->s1, NAME, many, ARRAY_SIZE(many), "x", &v, NULL, &err),
		     &err, ZKS_ERR_INVALID);
	snprintf(text, sizeof(text), "limit of %d", ZKS_CONFIG_TOTAL_MAX);
	assert_contains(err.msg, text);
	assert_nothing_changed(f);
	for (size_t i = 0; i < ARRAY_SIZE(many); i++)
		free((void *)many[i].data);
	/* Files: one more than the limit (with the one there). */
	for (size_t i = 0; i < ZKS_CONFIG_FILES_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "g%zu", i);
		files[i] = (struct zks_config_edit){.file = names[i], .data = "x", .len = 1};
	}
	assert_error(zks_config_commit(f->s1, NAME, files, ZKS_CONFIG_FILES_MAX, "x", &v, NULL,
				       &err),
		     &err, ZKS_ERR_INVALID);
	snprintf(text, sizeof(text), "%d files", ZKS_CONFIG_FILES_MAX + 1);
	assert_contains(err.msg, text);
	assert_nothing_changed(f);
	/* Exactly the limits: accepted. */
	e.len = ZKS_CONFIG_FILE_MAX;
	assert_ok(zks_config_commit(f->s1, NAME, &e, 1, "x", &v, NULL, &err), &err);
	assert_ok(zks_config_commit(f->s1, NAME, files, ZKS_CONFIG_FILES_MAX - 2, "x", &v, NULL,
				    &err),
		  &err);
	assert_int_equal(v, 3);
	free(names);
	free(files);
	free(data);
}

static void test_bad_file_names(void **state)
{
	struct fixture *f = *state;
	char long_name[ZKS_CONFIG_FILE_NAME_MAX + 2];
	const char *bad[] = {
		"",	".hidden", "..data",	  "..v3",  ".",	   "..", "a/b",
		"/etc", "a b",	   "caf\xc3\xa9", "tab\t", "a\\b", "x*", long_name,
	};
	struct zks_error err = {0};
	uint64_t v;

	put(f->s1, "ok", "x");
	memset(long_name, 'n', sizeof(long_name));
	long_name[ZKS_CONFIG_FILE_NAME_MAX + 1] = '\0'; /* 129 characters */
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct zks_config_edit e = {.file = bad[i], .data = "y", .len = 1};

		assert_error(zks_config_commit(f->s1, NAME, &e, 1, "x", &v, NULL, &err), &err,
			     ZKS_ERR_INVALID);
		assert_error(zks_config_check_file_name(bad[i], &err), &err, ZKS_ERR_INVALID);
	}
	assert_nothing_changed(f);
	/* NULL is refused too; 128 characters, dots inside and the other characters are not. */
	assert_error(zks_config_check_file_name(NULL, &err), &err, ZKS_ERR_INVALID);
	long_name[ZKS_CONFIG_FILE_NAME_MAX] = '\0';
	assert_ok(zks_config_check_file_name(long_name, &err), &err);
	assert_ok(zks_config_check_file_name("app.conf.d_1-2", &err), &err);
	assert_ok(zks_config_check_file_name("A..b", &err), &err);
	/* The same file twice in one change, an author too long. */
	{
		struct zks_config_edit twice[] = {{.file = "a", .data = "1", .len = 1},
						  {.file = "a", .data = "2", .len = 1}};
		char by[ZKS_CONFIG_BY_MAX + 2];

		assert_error(zks_config_commit(f->s1, NAME, twice, 2, "x", &v, NULL, &err), &err,
			     ZKS_ERR_INVALID);
		memset(by, 'u', sizeof(by));
		by[sizeof(by) - 1] = '\0';
		assert_error(zks_config_commit(f->s1, NAME, twice, 1, by, &v, NULL, &err), &err,
			     ZKS_ERR_INVALID);
	}
	assert_nothing_changed(f);
}

/* ---- hostile records --------------------------------------------------------------------- */

#define SHA_A "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_B "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define FILE_A "{\"name\":\"a\",\"sha256\":\"" SHA_A "\",\"size\":3}"
#define FILE_B "{\"name\":\"b\",\"sha256\":\"" SHA_B "\",\"size\":0}"

static void assert_manifest_refused(const char *data)
{
	struct zks_config_manifest m;
	struct zks_config_step st;
	struct zks_error err = {0};

	if (zks_config_manifest_decode(data, &m, &err) == 0) {
		print_error("accepted as a head: %.200s\n", data ? data : "(null)");
		fail();
	}
	assert_int_equal(err.code, ZKS_ERR_INTERNAL);
	assert_null(m.files);
	assert_int_equal(zks_config_step_decode(data, &st, &err), -1);
	assert_null(st.changes);
}

static void test_hostile_heads(void **state)
{
	const char *bad[] = {
		NULL,
		"",
		"null",
		"[]",
		"\"x\"",
		"{",
		"{}",
		"{\"files\":[]}",
		"{\"version\":-1,\"files\":[]}",
		"{\"version\":1.5,\"files\":[]}",
		"{\"version\":1e20,\"files\":[]}",
		"{\"version\":\"1\",\"files\":[]}",
		"{\"version\":1}",
		"{\"version\":1,\"files\":{}}",
		"{\"version\":1,\"files\":[1]}",
		"{\"version\":1,\"files\":[" FILE_B "," FILE_A "]}",
		"{\"version\":1,\"files\":[" FILE_A "," FILE_A "]}",
		"{\"version\":1,\"files\":[{\"name\":\"a\",\"sha256\":\"" SHA_A "\"}]}",
		"{\"version\":1,\"files\":[{\"name\":\"a\",\"sha256\":\"" SHA_A "\",\"size\":-1}]}",
		"{\"version\":1,\"files\":[{\"name\":\"a\",\"sha256\":\"" SHA_A
		"\",\"size\":512001}]}",
		"{\"version\":1,\"files\":[{\"name\":\"a\",\"sha256\":\"ABC\",\"size\":1}]}",
		"{\"version\":1,\"files\":[{\"name\":\"a\",\"sha256\":"
		"\"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\",\"size\":1}]}",
		"{\"version\":1,\"files\":[{\"name\":\"a\",\"sha256\":\"" SHA_A "0\",\"size\":1}]}",
		"{\"version\":1,\"files\":[{\"name\":\"../x\",\"sha256\":\"" SHA_A
		"\",\"size\":1}]}",
		"{\"version\":1,\"files\":[{\"name\":\"..data\",\"sha256\":\"" SHA_A
		"\",\"size\":1}]}",
		"{\"version\":1,\"files\":[{\"name\":\"\",\"sha256\":\"" SHA_A "\",\"size\":1}]}",
		"{\"version\":1,\"files\":[{\"name\":7,\"sha256\":\"" SHA_A "\",\"size\":1}]}",
		"{\"version\":1,\"files\":[],\"by\":\"" /* 129+ characters */
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
	};
	struct zks_config_manifest m;
	struct zks_error err = {0};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_manifest_refused(bad[i]);
	/* The same, well formed, is taken. */
	assert_ok(zks_config_manifest_decode("{\"version\":1,\"files\":[" FILE_A "," FILE_B "]}",
					     &m, &err),
		  &err);
	assert_int_equal(m.nfiles, 2);
	zks_config_manifest_clear(&m);
}

/* Too many files, and a total over the limit, each file within its own. */
static void test_hostile_huge(void **state)
{
	size_t cap = 300 * 200 + 64;
	char *doc = xmalloc(cap);
	size_t len = 0;

	(void)state;
	len += (size_t)snprintf(doc + len, cap - len, "{\"version\":1,\"files\":[");
	for (int i = 0; i < ZKS_CONFIG_FILES_MAX + 1; i++)
		len += (size_t)snprintf(doc + len, cap - len,
					"%s{\"name\":\"f%03d\",\"sha256\":\"" SHA_A
					"\",\"size\":1}",
					i ? "," : "", i);
	snprintf(doc + len, cap - len, "]}");
	assert_manifest_refused(doc);
	len = (size_t)snprintf(doc, cap, "{\"version\":1,\"files\":[");
	for (int i = 0; i < 9; i++)
		len += (size_t)snprintf(doc + len, cap - len,
					"%s{\"name\":\"f%d\",\"sha256\":\"" SHA_A "\",\"size\":%d}",
					i ? "," : "", i, ZKS_CONFIG_FILE_MAX);
	snprintf(doc + len, cap - len, "]}");
	assert_manifest_refused(doc);
	free(doc);
}

/* Every prefix of a good step is refused (and none crashes or leaks: valgrind). */
static void test_hostile_truncated(void **state)
{
	struct zks_config_file files[] = {{.name = "a", .size = 3}};
	struct zks_config_change changes[] = {{.file = "a", .op = ZKS_CONFIG_PUT, .size = 3},
					      {.file = "b", .op = ZKS_CONFIG_RM}};
	struct zks_config_step st = {.m = {.version = 3, .files = files, .nfiles = 1, .by = "me"},
				     .changes = changes,
				     .nchanges = 2,
				     .rollback_of = 1};
	struct zks_config_step out;
	struct zks_config_node node;
	struct zks_error err = {0};
	char *text;
	size_t len;

	(void)state;
	memcpy(files[0].sha256, SHA_A, 65);
	memcpy(changes[0].sha256, SHA_A, 65);
	text = zks_config_step_encode(&st);
	len = strlen(text);
	assert_ok(zks_config_step_decode(text, &out, &err), &err);
	zks_config_step_clear(&out);
	for (size_t i = 0; i < len; i++) {
		char *prefix = xstrndup(text, i);

		assert_int_equal(zks_config_step_decode(prefix, &out, &err), -1);
		assert_int_equal(zks_config_node_decode(prefix, &node, &err), -1);
		free(prefix);
	}
	free(text);
}

static void test_hostile_steps(void **state)
{
	const char *head = "\"version\":3,\"files\":[" FILE_A "]";
	const char *bad[] = {
		"{%s}",						     /* no changes */
		"{%s,\"changes\":{}}",				     /* not an array */
		"{%s,\"changes\":[{\"file\":\"a\",\"op\":\"mv\"}]}", /* no such op */
		/* a put of contents the version does not have */
		"{%s,\"changes\":[{\"file\":\"a\",\"op\":\"put\",\"size\":0,\"sha256\":\"" SHA_B
		"\"}]}",
		/* a put of a file the version lacks */
		"{%s,\"changes\":[{\"file\":\"b\",\"op\":\"put\",\"size\":0,\"sha256\":\"" SHA_B
		"\"}]}",
		/* a removal of a file the version has */
		"{%s,\"changes\":[{\"file\":\"a\",\"op\":\"rm\"}]}",
		/* unsorted, repeated */
		"{%s,\"changes\":[{\"file\":\"c\",\"op\":\"rm\"},{\"file\":\"b\",\"op\":\"rm\"}]}",
		"{%s,\"changes\":[{\"file\":\"b\",\"op\":\"rm\"},{\"file\":\"b\",\"op\":\"rm\"}]}",
		"{%s,\"changes\":[{\"file\":\".b\",\"op\":\"rm\"}]}",
		"{%s,\"changes\":[],\"rollback_of\":3}", /* not earlier */
		"{%s,\"changes\":[],\"rollback_of\":0}",
		"{%s,\"changes\":[],\"rollback_of\":\"1\"}",
	};
	struct zks_config_step st;
	struct zks_error err = {0};
	char *text;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		text = xasprintf(bad[i], head);
		if (zks_config_step_decode(text, &st, &err) == 0) {
			print_error("accepted as a step: %s\n", text);
			fail();
		}
		assert_int_equal(err.code, ZKS_ERR_INTERNAL);
		free(text);
	}
	text = xasprintf("{%s,\"changes\":[{\"file\":\"b\",\"op\":\"rm\"}],\"rollback_of\":2}",
			 head);
	assert_ok(zks_config_step_decode(text, &st, &err), &err);
	assert_int_equal(st.rollback_of, 2);
	zks_config_step_clear(&st);
	free(text);
}

static void test_hostile_nodes(void **state)
{
	const char *bad[] = {NULL,
			     "",
			     "[]",
			     "{}",
			     "{\"version\":-3}",
			     "{\"version\":\"7\"}",
			     "{\"version\":1e30}",
			     "{\"version\":2.5}"};
	struct zks_config_node node;
	struct zks_error err = {0};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(zks_config_node_decode(bad[i], &node, &err), -1);
		assert_int_equal(err.code, ZKS_ERR_INTERNAL);
		assert_null(node.at);
	}
}

/* Bad records in the store: refused with a message, never used. */
static void test_hostile_store(void **state)
{
	struct fixture *f = *state;
	struct zks_config_edit e = {.file = "b", .data = "b", .len = 1};
	struct zks_error err = {0};
	char *data = NULL;
	size_t len;
	char sha[65];
	cleanup_free char *blob = NULL;

	put(f->s1, "a", "the real contents");
	/* A blob whose bytes are not its hash's. */
	zks_sha256_hex("the real contents", 17, sha);
	blob = zks_path_config_blob(NAME, sha);
	assert_ok(store_set(f->s1, blob, "forged contents!!", 17, -1, &err), &err);
	assert_error(zks_config_read(f->s1, NAME, 0, "a", &data, &len, &err), &err,
		     ZKS_ERR_INTERNAL);
	assert_null(data);
	/* A head that is garbage: reads and changes refuse it. */
	assert_ok(store_set(f->s1, ZKS_CONFIGS "/" NAME, "{\"version\":", 11, -1, &err), &err);
	assert_error(zks_config_read(f->s1, NAME, 0, "a", &data, &len, &err), &err,
		     ZKS_ERR_INTERNAL);
	assert_contains(err.msg, NAME);
	assert_error(zks_config_commit(f->s1, NAME, &e, 1, "x", NULL, NULL, &err), &err,
		     ZKS_ERR_INTERNAL);
	/* A step that is garbage: the history says so. */
	assert_ok(store_set(f->s1, ZKS_CONFIGS "/" NAME "/versions/0000000001", "[]", 2, -1, &err),
		  &err);
	assert_error(zks_config_history(f->s1, NAME, &(struct zks_config_step *){NULL}, &len, &err),
		     &err, ZKS_ERR_INTERNAL);
}

/* ---- contents ---------------------------------------------------------------------------- */

static void test_binary_contents(void **state)
{
	struct fixture *f = *state;
	const char bytes[] = {'\0', 'a', '\0', '\xff', '\n', '\0', '\x80', 'z', '\0'};
	struct zks_config_edit e = {.file = "blob.bin", .data = bytes, .len = sizeof(bytes)};
	struct zks_config_edit empty = {.file = "empty", .data = "", .len = 0};
	struct zks_config_manifest m;
	struct zks_error err = {0};
	char *data = NULL;
	size_t len = 0;

	assert_ok(zks_config_commit(f->s1, NAME, &e, 1, "x", NULL, NULL, &err), &err);
	assert_ok(zks_config_read(f->s2, NAME, 0, "blob.bin", &data, &len, &err), &err);
	assert_int_equal(len, sizeof(bytes));
	assert_memory_equal(data, bytes, sizeof(bytes));
	free(data);
	assert_ok(zks_config_head(f->s2, NAME, false, &m, NULL, &err), &err);
	assert_int_equal(m.files[0].size, sizeof(bytes));
	assert_ok(zks_config_read_blob(f->s2, NAME, &m.files[0], &data, &len, &err), &err);
	assert_memory_equal(data, bytes, sizeof(bytes));
	free(data);
	zks_config_manifest_clear(&m);
	/* An empty file is a file. */
	assert_ok(zks_config_commit(f->s1, NAME, &empty, 1, "x", NULL, NULL, &err), &err);
	assert_ok(zks_config_read(f->s2, NAME, 0, "empty", &data, &len, &err), &err);
	assert_int_equal(len, 0);
	free(data);
}

/* The mirror answers while ZooKeeper is away; a mirror copy that does not match is passed by. */
static void test_read_blob_mirror_first(void **state)
{
	struct fixture *f = *state;
	struct zks_config_manifest m;
	struct zks_error err = {0};
	struct zks_config_file wrong;
	char *data = NULL;
	size_t len = 0;

	put(f->s1, "a", "contents");
	assert_ok(zks_config_head(f->s1, NAME, false, &m, NULL, &err), &err);
	zks_mem_backend_set_down(f->b, true);
	assert_ok(zks_config_read_blob(f->s2, NAME, &m.files[0], &data, &len, &err), &err);
	assert_int_equal(len, 8);
	assert_memory_equal(data, "contents", 8);
	free(data);
	/* Expecting other contents: the mirror's do not match, and ZooKeeper is away. */
	wrong = m.files[0];
	wrong.size = 9;
	assert_error(zks_config_read_blob(f->s2, NAME, &wrong, &data, &len, &err), &err,
		     ZKS_ERR_UNAVAILABLE);
	zks_mem_backend_set_down(f->b, false);
	assert_error(zks_config_read_blob(f->s2, NAME, &wrong, &data, &len, &err), &err,
		     ZKS_ERR_INTERNAL);
	zks_config_manifest_clear(&m);
}

/* ---- nodes, Create and Remove ------------------------------------------------------------ */

static void report(struct zks_store *s, const char *node, const char *data)
{
	cleanup_free char *path = zks_path_config_node(NAME, node);
	struct zks_error err = {0};

	assert_ok(store_create(s, path, data, strlen(data), ZKS_EPHEMERAL, &err), &err);
}

static void test_nodes(void **state)
{
	struct fixture *f = *state;
	struct zks_config_node *nodes;
	cleanup_free char *r2 = zks_config_node_encode(2, "2026-01-01T00:00:00Z");
	cleanup_free char *r1 = zks_config_node_encode(1, NULL);
	size_t n;

	report(f->s2, "n2", r2);
	report(f->s1, "n1", r1);
	report(f->s1, "n3", "not json");
	assert_int_equal(zks_config_nodes(f->s1, NAME, &nodes, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(nodes[0].node, "n1");
	assert_int_equal(nodes[0].version, 1);
	assert_null(nodes[0].at);
	assert_string_equal(nodes[1].node, "n2");
	assert_int_equal(nodes[1].version, 2);
	assert_string_equal(nodes[1].at, "2026-01-01T00:00:00Z");
	zks_config_nodes_free(nodes, n);
	/* A node's session ends: its report goes. */
	{
		struct zks_store_status st;

		store_status(f->s2, &st);
		zks_mem_backend_expire(f->b, st.session_id);
	}
	assert_int_equal(zks_config_nodes(f->s1, NAME, &nodes, &n), 0);
	assert_int_equal(n, 1);
	zks_config_nodes_free(nodes, n);
	assert_int_equal(zks_config_nodes(f->s1, "nope", &nodes, &n), -1);
	assert_int_equal(n, 0);
}

static void test_create_then_remove(void **state)
{
	struct fixture *f = *state;
	struct zks_config_edit two[] = {{.file = "a", .data = "1", .len = 1},
					{.file = "b", .data = "2", .len = 1}};
	struct zks_config_ops o;
	struct zks_error err = {0};
	cleanup_free char *r = zks_config_node_encode(1, NULL);

	assert_ok(zks_config_commit(f->s1, NAME, two, 2, "x", NULL, NULL, &err), &err);
	put(f->s1, "a", "3");
	report(f->s2, "n2", r);
	/* Create twice: the second transaction fails as a whole. */
	zks_config_create_ops(NAME, "x", &o);
	assert_error(store_multi(f->s1, o.ops, o.n, &err), &err, ZKS_ERR_EXISTS);
	zks_config_ops_free(&o);

	assert_ok(zks_config_remove_ops(f->s1, NAME, &o, &err), &err);
	assert_ok(store_multi(f->s1, o.ops, o.n, &err), &err);
	zks_config_ops_free(&o);
	assert_false(store_get(f->s1, ZKS_CONFIGS "/" NAME, NULL, NULL, NULL, &err) == 0);
	assert_int_equal(count_children(f->s1, ZKS_CONFIGS), 0);
	/* Nothing to remove: no ops. */
	assert_ok(zks_config_remove_ops(f->s1, NAME, &o, &err), &err);
	assert_int_equal(o.n, 0);
	zks_config_ops_free(&o);
	/* And made again from scratch: version 0, then 1. */
	create_config(f->s1, NAME);
	assert_int_equal(head_version(f->s1), 0);
	assert_int_equal(put(f->s1, "a", "again"), 1);
	assert_error(zks_config_commit(f->s1, "nope", two, 1, "x", NULL, NULL, &err), &err,
		     ZKS_ERR_NOT_FOUND);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_codec_round_trip),
		T(test_new_config_is_version_0),
		T(test_versions_count_up),
		T(test_unchanged_is_no_version),
		T(test_rm),
		T(test_shared_contents),
		T(test_history_bound),
		T(test_history_bound_blobs),
		T(test_history_bound_bytes),
		T(test_rollback),
		T(test_race_both_land),
		T(test_race_blob_deleted_under_writer),
		T(test_orphan_blobs),
		T(test_many_orphans),
		T(test_two_writers_sequential),
		T(test_limits),
		T(test_bad_file_names),
		cmocka_unit_test(test_hostile_heads),
		cmocka_unit_test(test_hostile_huge),
		cmocka_unit_test(test_hostile_truncated),
		cmocka_unit_test(test_hostile_steps),
		cmocka_unit_test(test_hostile_nodes),
		T(test_hostile_store),
		T(test_binary_contents),
		T(test_read_blob_mirror_first),
		T(test_nodes),
		T(test_create_then_remove),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
