/*
 * test_tree.c - the in-memory znode tree (zks_tree): path validation, put and
 * get of data and stat, implicit ancestors, sorted children, subtree removal,
 * node count and pre-order walk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/tree.h"
#include "zkswarm/util.h"

static int setup(void **state)
{
	*state = zks_tree_new();
	return *state == NULL;
}

static int teardown(void **state)
{
	zks_tree_free(*state);
	return 0;
}

static void put_str(struct zks_tree *t, const char *path, const char *data)
{
	zks_tree_put(t, path, data, strlen(data), NULL);
}

/* The data at path as a string, or NULL when the node is absent; free the result. */
static char *get_str(struct zks_tree *t, const char *path)
{
	char *data = NULL;
	size_t len = 0;

	if (zks_tree_get(t, path, &data, &len, NULL) < 0)
		return NULL;
	assert_int_equal(strlen(data), len);
	return data;
}

/* The children of path joined with ",", or NULL when it is absent; free the result. */
static char *children_str(struct zks_tree *t, const char *path)
{
	char **names = NULL;
	size_t n = 0, used = 0, cap = 1;
	char *out;

	if (zks_tree_children(t, path, &names, &n) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		cap += strlen(names[i]) + 1;
	out = xcalloc(1, cap);
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "," : "", names[i]);
	zks_free_strv(names, n);
	return out;
}

static void assert_children(struct zks_tree *t, const char *path, const char *want)
{
	char *got = children_str(t, path);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_path_validation(void **state)
{
	(void)state;
	assert_true(zks_tree_path_valid("/"));
	assert_true(zks_tree_path_valid("/a"));
	assert_true(zks_tree_path_valid("/a/b"));
	assert_true(zks_tree_path_valid("/volumes/db/leases/node-1"));
	assert_false(zks_tree_path_valid(""));
	assert_false(zks_tree_path_valid("a"));
	assert_false(zks_tree_path_valid("a/b"));
	assert_false(zks_tree_path_valid("/a/"));
	assert_false(zks_tree_path_valid("//a"));
	assert_false(zks_tree_path_valid("/a//b"));
	assert_false(zks_tree_path_valid("//"));
	assert_false(zks_tree_path_valid(NULL));
}

static void check_parent(const char *path, const char *want)
{
	char *parent = zks_tree_parent_path(path);

	assert_string_equal(parent, want);
	free(parent);
}

static void test_parent_path(void **state)
{
	(void)state;
	check_parent("/", "/");
	check_parent("/volumes", "/");
	check_parent("/volumes/db", "/volumes");
	check_parent("/volumes/db/leases/n1", "/volumes/db/leases");
}

static void test_new_tree_has_only_root(void **state)
{
	struct zks_tree *t = *state;
	char *data = NULL;

	assert_true(zks_tree_exists(t, "/"));
	assert_int_equal(zks_tree_count(t), 1);
	assert_children(t, "/", "");
	assert_int_equal(zks_tree_get(t, "/", &data, NULL, NULL), 0);
	assert_string_equal(data, "");
	free(data);
	assert_false(zks_tree_exists(t, "/a"));
	assert_int_equal(zks_tree_get(t, "/a", NULL, NULL, NULL), -1);
}

static void test_put_get_roundtrip(void **state)
{
	struct zks_tree *t = *state;
	struct zks_stat in = {.czxid = 7,
			      .mzxid = 9,
			      .ctime_ms = 1000,
			      .mtime_ms = 2000,
			      .owner = 0x1234,
			      .version = 3,
			      .cversion = 5};
	struct zks_stat out;
	const char bin[] = {'a', '\0', 'b'};
	char *data = NULL;
	size_t len = 0;

	zks_tree_put(t, "/n", "hello", 5, &in);
	assert_int_equal(zks_tree_get(t, "/n", &data, &len, &out), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "hello", 6); /* NUL-terminated copy */
	free(data);
	assert_int_equal(out.czxid, in.czxid);
	assert_int_equal(out.mzxid, in.mzxid);
	assert_int_equal(out.ctime_ms, in.ctime_ms);
	assert_int_equal(out.mtime_ms, in.mtime_ms);
	assert_int_equal(out.owner, in.owner);
	assert_int_equal(out.version, in.version);
	assert_int_equal(out.cversion, in.cversion);
	assert_int_equal(out.num_children, 0);

	/* Binary data with an embedded NUL keeps its length. */
	zks_tree_put(t, "/bin", bin, sizeof(bin), NULL);
	assert_int_equal(zks_tree_get(t, "/bin", &data, &len, NULL), 0);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(data, bin, sizeof(bin));
	assert_int_equal(data[len], '\0');
	free(data);

	/* Empty data reads back as "". */
	zks_tree_put(t, "/empty", NULL, 0, NULL);
	assert_int_equal(zks_tree_get(t, "/empty", &data, &len, NULL), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);

	/* Out pointers may all be NULL. */
	assert_int_equal(zks_tree_get(t, "/n", NULL, NULL, NULL), 0);
}

static void test_put_replaces_data_and_keeps_children(void **state)
{
	struct zks_tree *t = *state;
	struct zks_stat st = {.version = 1};
	struct zks_stat out;
	char *data;
	size_t before;

	put_str(t, "/p", "old");
	put_str(t, "/p/c", "child");
	before = zks_tree_count(t);
	zks_tree_put(t, "/p", "new data", 8, &st);
	assert_int_equal(zks_tree_count(t), before);
	data = get_str(t, "/p");
	assert_string_equal(data, "new data");
	free(data);
	assert_int_equal(zks_tree_get(t, "/p", NULL, NULL, &out), 0);
	assert_int_equal(out.version, 1);
	/* num_children is the tree's truth, whatever the stat handed in says. */
	assert_int_equal(out.num_children, 1);
	assert_children(t, "/p", "c");
}

static void test_put_creates_missing_ancestors_empty(void **state)
{
	struct zks_tree *t = *state;
	struct zks_stat st;
	char *data;

	put_str(t, "/a/b/c", "leaf");
	assert_int_equal(zks_tree_count(t), 4); /* root, a, b, c */
	assert_true(zks_tree_exists(t, "/a"));
	assert_true(zks_tree_exists(t, "/a/b"));
	data = get_str(t, "/a");
	assert_string_equal(data, "");
	free(data);
	data = get_str(t, "/a/b/c");
	assert_string_equal(data, "leaf");
	free(data);
	assert_int_equal(zks_tree_get(t, "/a/b", NULL, NULL, &st), 0);
	assert_int_equal(st.num_children, 1);
	assert_int_equal(st.owner, 0);
	assert_children(t, "/", "a");
	assert_children(t, "/a", "b");
}

static void test_put_invalid_path_changes_nothing(void **state)
{
	struct zks_tree *t = *state;
	static const char *const bad[] = {"", "a", "/a/", "//a", "/a//b"};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		put_str(t, bad[i], "x");
	assert_int_equal(zks_tree_count(t), 1);
	assert_children(t, "/", "");
	assert_int_equal(zks_tree_get(t, "a", NULL, NULL, NULL), -1);
	assert_int_equal(zks_tree_children(t, "/a/", &(char **){NULL}, &(size_t){0}), -1);
}

static void test_children_sorted(void **state)
{
	struct zks_tree *t = *state;
	static const char *const names[] = {"m", "b", "zz", "a", "ab", "B", "a-1", "z", "aa"};
	struct zks_stat st;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = xasprintf("/dir/%s", names[i]);

		put_str(t, p, names[i]);
		free(p);
	}
	/* Byte order, like ZooKeeper's sorted listings: uppercase before lowercase. */
	assert_children(t, "/dir", "B,a,a-1,aa,ab,b,m,z,zz");
	assert_int_equal(zks_tree_get(t, "/dir", NULL, NULL, &st), 0);
	assert_int_equal(st.num_children, ARRAY_SIZE(names));
	/* Each name finds its own node (prefixes of each other are different nodes). */
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = xasprintf("/dir/%s", names[i]);
		char *data = get_str(t, p);

		assert_non_null(data);
		assert_string_equal(data, names[i]);
		free(data);
		free(p);
	}
	assert_false(zks_tree_exists(t, "/dir/a-"));
	assert_false(zks_tree_exists(t, "/dir/zzz"));
	assert_null(children_str(t, "/nope"));
}

static void test_children_of_leaf_is_empty_list(void **state)
{
	struct zks_tree *t = *state;
	char **names = NULL;
	size_t n = 99;

	put_str(t, "/leaf", "x");
	assert_int_equal(zks_tree_children(t, "/leaf", &names, &n), 0);
	assert_int_equal(n, 0);
	assert_non_null(names);
	assert_null(names[0]);
	zks_free_strv(names, n);
}

static void test_remove_subtree(void **state)
{
	struct zks_tree *t = *state;
	struct zks_stat st;

	put_str(t, "/a/x/1", "");
	put_str(t, "/a/x/2", "");
	put_str(t, "/a/y", "");
	put_str(t, "/b", "");
	assert_int_equal(zks_tree_count(t), 7);

	assert_int_equal(zks_tree_remove(t, "/a/x"), 0);
	assert_false(zks_tree_exists(t, "/a/x"));
	assert_false(zks_tree_exists(t, "/a/x/1"));
	assert_false(zks_tree_exists(t, "/a/x/2"));
	assert_true(zks_tree_exists(t, "/a/y"));
	assert_int_equal(zks_tree_count(t), 4);
	assert_children(t, "/a", "y");
	assert_int_equal(zks_tree_get(t, "/a", NULL, NULL, &st), 0);
	assert_int_equal(st.num_children, 1);

	/* Absent nodes and the root cannot be removed. */
	assert_int_equal(zks_tree_remove(t, "/a/x"), -1);
	assert_int_equal(zks_tree_remove(t, "/nope/deeper"), -1);
	assert_int_equal(zks_tree_remove(t, "/"), -1);
	assert_int_equal(zks_tree_remove(t, "a"), -1);
	assert_int_equal(zks_tree_count(t), 4);

	/* Removing a middle sibling keeps the others findable and sorted. */
	put_str(t, "/s/a", "");
	put_str(t, "/s/b", "");
	put_str(t, "/s/c", "");
	assert_int_equal(zks_tree_remove(t, "/s/b"), 0);
	assert_children(t, "/s", "a,c");
	assert_true(zks_tree_exists(t, "/s/c"));

	/* And a removed path can be created again. */
	put_str(t, "/a/x", "again");
	assert_children(t, "/a", "x,y");
}

struct walk_log {
	char *paths[32];
	size_t n;
	size_t stop_after; /* 0: never stop */
};

static int log_visit(const char *path, const char *data, size_t len, const struct zks_stat *st,
		     void *ctx)
{
	struct walk_log *w = ctx;

	(void)st;
	(void)data; /* len bytes, not necessarily NUL-terminated */
	(void)len;
	assert_true(w->n < ARRAY_SIZE(w->paths));
	w->paths[w->n++] = xstrdup(path);
	if (w->stop_after && w->n == w->stop_after)
		return 42;
	return 0;
}

static void walk_log_free(struct walk_log *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->paths[i]);
}

static void test_walk_preorder_sorted(void **state)
{
	struct zks_tree *t = *state;
	static const char *const want[] = {"/", "/a", "/a/b", "/a/b/c", "/a/d", "/b", "/c", "/c/a"};
	struct walk_log w = {0};

	/* Inserted out of order on purpose. */
	put_str(t, "/c/a", "ca");
	put_str(t, "/a/d", "ad");
	put_str(t, "/b", "b");
	put_str(t, "/a/b/c", "abc");
	assert_int_equal(zks_tree_walk(t, log_visit, &w), 0);
	assert_int_equal(w.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < w.n && i < ARRAY_SIZE(want); i++)
		assert_string_equal(w.paths[i], want[i]);
	assert_int_equal(w.n, zks_tree_count(t));
	walk_log_free(&w);
}

static void test_walk_stops_on_nonzero(void **state)
{
	struct zks_tree *t = *state;
	struct walk_log w = {.stop_after = 3};

	put_str(t, "/a", "");
	put_str(t, "/b", "");
	put_str(t, "/c", "");
	assert_int_equal(zks_tree_walk(t, log_visit, &w), 42);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.paths[2], "/b");
	walk_log_free(&w);
}

struct seen {
	char *data;
	size_t len;
	struct zks_stat st;
};

static int find_e(const char *path, const char *data, size_t len, const struct zks_stat *st,
		  void *ctx)
{
	struct seen *s = ctx;

	if (strcmp(path, "/e") == 0) {
		s->data = xstrndup(data, len);
		s->len = len;
		s->st = *st;
	}
	return 0;
}

static void test_walk_passes_data_and_stat(void **state)
{
	struct zks_tree *t = *state;
	struct zks_stat st = {.owner = 77, .version = 4};
	struct seen s = {0};

	zks_tree_put(t, "/e", "payload", 7, &st);
	assert_int_equal(zks_tree_walk(t, find_e, &s), 0);
	assert_non_null(s.data);
	assert_int_equal(s.len, 7);
	assert_string_equal(s.data, "payload");
	assert_int_equal(s.st.owner, 77);
	assert_int_equal(s.st.version, 4);
	free(s.data);
}

static void test_count_tracks_many_nodes(void **state)
{
	struct zks_tree *t = *state;
	size_t expect = 1;

	/* Enough siblings to grow the child array several times. */
	for (int i = 0; i < 200; i++) {
		char *p = xasprintf("/many/%03d/leaf", 199 - i);

		put_str(t, p, "");
		free(p);
		expect += 2;
	}
	expect += 1; /* /many */
	assert_int_equal(zks_tree_count(t), expect);
	assert_int_equal(zks_tree_remove(t, "/many"), 0);
	assert_int_equal(zks_tree_count(t), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_validation),
		cmocka_unit_test(test_parent_path),
		cmocka_unit_test_setup_teardown(test_new_tree_has_only_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_get_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_replaces_data_and_keeps_children, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_put_creates_missing_ancestors_empty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_put_invalid_path_changes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_children_sorted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_children_of_leaf_is_empty_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remove_subtree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_preorder_sorted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_stops_on_nonzero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_passes_data_and_stat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_tracks_many_nodes, setup, teardown),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
