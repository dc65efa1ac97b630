/*
 * test_ctl_repair.c - what `zkswarmctl repair` (src/ctl/repair.c) does with configuration
 * records left without their volume (only a hand edit leaves one), on the in-memory store
 * and a snapshot copied from it: the dry run lists each (exit 1, nothing changed); --yes
 * deletes an orphan's whole subtree in one transaction, also one whose history holds more
 * records than other fixes take; one a node still reports a copy of stays, needing a
 * person; a config with its volume is not mentioned; one that changed, or lost a part,
 * between the snapshot and the fix is skipped with "run repair again".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "zkswarm/configs.h"
#include "zkswarm/ctl.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

/* Versions of the big orphan: 60 commits (the history keeps 50), each a new file. */
#define BIG_COMMITS 60

struct fixture {
	struct zks_mem_backend *b;
	struct zks_store *admin;  /* zkswarmctl's */
	struct zks_store *holder; /* a node that reports a copy of `busy` */
	struct ctl_cluster c;
};

static void create_config(struct zks_store *s, const char *name)
{
	struct zks_config_ops ops;
	struct zks_error err = {0};

	zks_config_create_ops(name, "tester", &ops);
	assert_ok(store_multi(s, ops.ops, ops.n, &err), &err);
	zks_config_ops_free(&ops);
}

static void put(struct zks_store *s, const char *name, const char *file, const char *text)
{
	struct zks_config_edit e = {file, text, strlen(text)};
	struct zks_error err = {0};
	bool changed;

	assert_ok(zks_config_commit(s, name, &e, 1, "tester", NULL, &changed, &err), &err);
}

static void resnap(struct fixture *f)
{
	zks_snap_take(&f->c.snap, f->admin);
}

static bool exists(struct fixture *f, const char *path)
{
	return store_cached_get(f->admin, path, NULL, NULL, NULL) == 0;
}

/*
 * `kept`: a config volume as Create makes it.  `orphan`: a config whose volume record was
 * deleted by hand, with a long history.  `busy`: the same, with a node's report of its copy.
 */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	cleanup_free char *report = zks_path_config_node("busy", "n1");
	cleanup_free char *vol = zks_path_volume("kept");
	struct zks_error err = {0};

	f->b = test_backend_new();
	f->admin = zks_store_mem_new(f->b);
	f->holder = zks_store_mem_new(f->b);
	assert_ok(store_create(f->admin, vol, "{}", 2, ZKS_PERSISTENT, &err), &err);
	create_config(f->admin, "kept");
	put(f->admin, "kept", "a.conf", "a\n");
	create_config(f->admin, "orphan");
	for (int i = 0; i < BIG_COMMITS; i++) {
		cleanup_free char *file = xasprintf("f%d.conf", i);
		cleanup_free char *text = xasprintf("%d\n", i);

		put(f->admin, "orphan", file, text);
	}
	create_config(f->admin, "busy");
	put(f->admin, "busy", "b.conf", "b\n");
	assert_ok(store_create(f->holder, report, "{}", 2, ZKS_EPHEMERAL, &err), &err);
	f->c.store = f->admin;
	f->c.root = "/zkswarm";
	resnap(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	zks_snap_clear(&f->c.snap);
	store_destroy(f->holder);
	store_destroy(f->admin);
	zks_mem_backend_free(f->b);
	free(f);
	return 0;
}

/* What repair printed on stdout (to free), and its exit code in *rc. */
static char *run(struct fixture *f, const struct ctl_opts *o, int *rc)
{
	char path[] = "/tmp/test_ctl_repair.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
	char *out = NULL;
	struct zks_error err = {0};

	assert_true(fd >= 0 && saved >= 0);
	fflush(stdout);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	*rc = ctl_cmd_repair(&f->c, o);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	close(fd);
	assert_ok(zks_read_file(path, 1 << 20, &out, NULL, &err), &err);
	unlink(path);
	return out;
}

static const char *str(const cJSON *v, const char *key)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, key);

	return cJSON_IsString(s) ? s->valuestring : "";
}

/* "kind path fix|keep;" for each finding of the --json document. */
static char *findings(const char *text)
{
	cJSON *doc = cJSON_Parse(text);
	char *found = xstrdup("");
	const cJSON *v;

	assert_non_null(doc);
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(doc, "found"))
	{
		char *next =
			xasprintf("%s%s %s %s;", found, str(v, "kind"), str(v, "path"),
				  cJSON_IsTrue(cJSON_GetObjectItem(v, "fixable")) ? "fix" : "keep");

		free(found);
		found = next;
	}
	cJSON_Delete(doc);
	return found;
}

static void test_dry_run_lists_orphans(void **state)
{
	struct fixture *f = *state;
	struct ctl_opts o = {.json = true, .dry_run = true};
	int rc;
	char *text = run(f, &o, &rc), *found = findings(text);
	cJSON *doc = cJSON_Parse(text);
	const cJSON *v;

	assert_int_equal(rc, CTL_EXIT_PROBLEM);
	assert_string_equal(found, "config /zkswarm/configs/busy keep;"
				   "config /zkswarm/configs/orphan fix;");
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(doc, "found"))
	{
		assert_contains(str(v, "reason"), "has no volume record (/zkswarm/volumes/");
		if (strstr(str(v, "path"), "orphan"))
			assert_contains(str(v, "action"), "delete, with the ");
		else
			assert_contains(str(v, "action"), "a node reports a copy of it");
	}
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "dry_run")));
	assert_true(exists(f, "/configs/orphan"));
	free(found);
	free(text);
	cJSON_Delete(doc);
	/* The table says the same, and how to fix. */
	o.json = false;
	text = run(f, &o, &rc);
	assert_int_equal(rc, CTL_EXIT_PROBLEM);
	assert_contains(text, "Found 2 problems under /zkswarm:");
	assert_contains(text, "/zkswarm/configs/orphan");
	assert_contains(text, "Dry run: nothing changed. Run `zkswarmctl repair --yes` to fix the "
			      "1 fixable one.");
	free(text);
}

/* --yes: the orphan goes whole (more records than one fix of another kind takes). */
static void test_yes_deletes_the_orphan(void **state)
{
	struct fixture *f = *state;
	struct ctl_opts o = {.yes = true};
	char **names = NULL;
	size_t n = 0;
	int rc;
	char *text;

	assert_int_equal(store_cached_children(f->admin, "/configs/orphan/versions", &names, &n),
			 0);
	zks_free_strv(names, n);
	assert_int_equal(n, ZKS_CONFIG_HISTORY);
	assert_int_equal(store_cached_children(f->admin, "/configs/orphan/blobs", &names, &n), 0);
	zks_free_strv(names, n);
	assert_int_equal(n, BIG_COMMITS);
	text = run(f, &o, &rc);
	assert_int_equal(rc, CTL_EXIT_PROBLEM); /* busy needs a person */
	assert_contains(text, "removed");
	assert_contains(text, "Fixed 1 of 2; 0 failed or skipped; 1 need a person.");
	free(text);
	assert_false(exists(f, "/configs/orphan"));
	assert_true(exists(f, "/configs/busy/nodes/n1"));
	assert_true(exists(f, "/configs/kept/versions/0000000001"));
	assert_true(exists(f, "/volumes/kept"));
	/* Once the node's copy goes (its last Unmount), busy goes too: nothing left wrong. */
	store_destroy(f->holder);
	f->holder = zks_store_mem_new(f->b);
	assert_int_equal(store_remove(f->admin, "/configs/busy/nodes/n1", -1, NULL), 0);
	resnap(f);
	text = run(f, &o, &rc);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_contains(text, "Fixed 1 of 1; 0 failed or skipped; 0 need a person.");
	free(text);
	assert_false(exists(f, "/configs/busy"));
	assert_true(exists(f, "/configs/kept"));
	resnap(f);
	text = run(f, &o, &rc);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_contains(text, "No problems found under /zkswarm.");
	free(text);
}

/* Changed between the snapshot and the fix: left alone and said so. */
static void test_changed_meanwhile_is_skipped(void **state)
{
	struct fixture *f = *state;
	struct ctl_opts o = {.yes = true, .json = true};
	int rc;
	char *text;

	put(f->admin, "orphan", "late.conf", "late\n");
	text = run(f, &o, &rc);
	assert_int_equal(rc, CTL_EXIT_PROBLEM);
	assert_contains(text, "skipped: it changed meanwhile");
	free(text);
	assert_true(exists(f, "/configs/orphan"));
}

/*
 * A part of the fix went between the snapshot and the fix (here a file of the history; a
 * lease that goes with its node's unmount is the same case): the record is still wrong, so
 * repair says to run it again, rather than that the record is gone.
 */
static void test_part_gone_meanwhile_says_run_again(void **state)
{
	struct fixture *f = *state;
	struct ctl_opts o = {.yes = true};
	char **names = NULL;
	size_t n = 0;
	int rc;
	char *text;

	assert_int_equal(store_cached_children(f->admin, "/configs/orphan/blobs", &names, &n), 0);
	assert_true(n > 0);
	{
		cleanup_free char *blob = xasprintf("/configs/orphan/blobs/%s", names[0]);

		assert_int_equal(store_remove(f->admin, blob, -1, NULL), 0);
	}
	zks_free_strv(names, n);
	text = run(f, &o, &rc);
	assert_int_equal(rc, CTL_EXIT_PROBLEM);
	assert_contains(text, "skipped: it changed meanwhile");
	assert_contains(text, "run repair again");
	assert_null(strstr(text, "already gone"));
	free(text);
	assert_true(exists(f, "/configs/orphan"));
	/* The run it asks for finds the orphan again and removes it. */
	resnap(f);
	text = run(f, &o, &rc);
	assert_contains(text, "removed");
	free(text);
	assert_false(exists(f, "/configs/orphan"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dry_run_lists_orphans),
		T(test_yes_deletes_the_orphan),
		T(test_changed_meanwhile_is_skipped),
		T(test_part_gone_meanwhile_says_run_again),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
