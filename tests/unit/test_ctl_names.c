/*
 * test_ctl_names.c - `zkswarmctl names` (src/ctl/show.c) over a snapshot
 * made by hand, without a ZooKeeper: one row per name record with its
 * network, address, node, aliases, service, ports; `stale` when the endpoint
 * record is missing; an unreadable record listed as such with the decoder's
 * reason; the filters; and --json, the document the table is rendered from.
 * And what `zkswarmctl repair` (a dry run) finds among the names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "zkswarm/ctl.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define SESSION 0x1234

static void put(struct zks_tree *t, const char *path, const char *data, int64_t owner)
{
	struct zks_stat st = {.owner = owner};

	zks_tree_put(t, path, data, data ? strlen(data) : 0, &st);
}

/* web (named front on the engine): web-1 on n1 (registered), db-1 on n2 (gone, and its
 * endpoint record too: stale), one unreadable; db: cache-1 on n1. */
static int setup(void **state)
{
	struct ctl_cluster *c = xcalloc(1, sizeof(*c));
	struct zks_tree *t = zks_tree_new();

	put(t, "/nodes/n1", "{\"address\":\"192.0.2.1\"}", SESSION);
	/* Networks as repair wants them: a claimed VNI, a member, endpoints of a live node. */
	put(t, "/networks/web", "{\"subnet\":\"10.2.0.0/24\",\"vni\":4097,\"mtu\":1450}", 0);
	put(t, "/vnis/4097", "{\"network\":\"web\"}", 0);
	put(t, "/networks/web/members/n1:d0", "", 0);
	put(t, "/networks/web/endpoints/e1",
	    "{\"node\":\"n1\",\"address\":\"10.2.0.7/24\",\"mac\":\"02:00:00:00:00:01\"}", 0);
	put(t, "/networks/db", "{\"subnet\":\"10.3.0.0/24\",\"vni\":4098,\"mtu\":1450}", 0);
	put(t, "/vnis/4098", "{\"network\":\"db\"}", 0);
	put(t, "/networks/db/members/n1:d1", "", 0);
	put(t, "/networks/db/endpoints/e4",
	    "{\"node\":\"n1\",\"address\":\"10.3.0.2/24\",\"mac\":\"02:00:00:00:00:02\"}", 0);
	put(t, "/names/web/e1",
	    "{\"name\":\"web-1\",\"aliases\":[\"web\",\"www\"],\"endpoint\":\"e1\",\"node\":\"n1\","
	    "\"address\":\"10.2.0.7/24\",\"network_name\":\"front\",\"service\":\"app_web\","
	    "\"task\":\"app_web.1.x\",\"ports\":[{\"port\":80,\"proto\":\"tcp\"},"
	    "{\"port\":53,\"proto\":\"udp\"}]}",
	    SESSION);
	put(t, "/names/web/e2",
	    "{\"name\":\"db-1\",\"endpoint\":\"e2\",\"node\":\"n2\",\"address\":\"10.2.0.8/24\","
	    "\"network_name\":\"front\"}",
	    0);
	put(t, "/names/web/e3", "{\"name\":\"x\",\"endpoint\":\"e3\",\"node\":\"n1\"}", SESSION);
	put(t, "/names/db/e4",
	    "{\"name\":\"cache-1\",\"endpoint\":\"e4\",\"node\":\"n1\",\"address\":\"10.3.0.2/24\"}",
	    SESSION);
	c->snap.tree = t;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctl_cluster *c = *state;

	zks_tree_free(c->snap.tree);
	free(c);
	return 0;
}

/* What cmd printed on stdout (to free), and its exit code in *rc. */
static char *run_cmd(int (*cmd)(struct ctl_cluster *, const struct ctl_opts *),
		     struct ctl_cluster *c, const struct ctl_opts *o, int *rc)
{
	char path[] = "/tmp/test_ctl_names.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
	char *out = NULL;
	size_t len;
	struct zks_error err = {0};

	assert_true(fd >= 0 && saved >= 0);
	fflush(stdout);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	*rc = cmd(c, o);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	close(fd);
	assert_ok(zks_read_file(path, 1 << 20, &out, &len, &err), &err);
	unlink(path);
	return out;
}

static char *run(struct ctl_cluster *c, const struct ctl_opts *o, int *rc)
{
	return run_cmd(ctl_cmd_names, c, o, rc);
}

/* The --json document, parsed. */
static cJSON *run_json(struct ctl_cluster *c, struct ctl_opts o)
{
	int rc;
	char *text;
	cJSON *doc;

	o.json = true;
	text = run(c, &o, &rc);
	assert_int_equal(rc, CTL_EXIT_OK);
	doc = cJSON_Parse(text);
	assert_true(cJSON_IsArray(doc));
	free(text);
	return doc;
}

static const cJSON *item(const cJSON *arr, const char *endpoint)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, arr)
	{
		if (!strcmp(cJSON_GetObjectItem(v, "endpoint")->valuestring, endpoint))
			return v;
	}
	return NULL;
}

static const char *str(const cJSON *v, const char *key)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, key);

	return cJSON_IsString(s) ? s->valuestring : NULL;
}

static bool flag(const cJSON *v, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, key));
}

/* The endpoints listed, in order: "e1 e2 e3". */
static char *listed(const cJSON *arr)
{
	char *text = xstrdup("");
	const cJSON *v;

	cJSON_ArrayForEach(v, arr)
	{
		char *next = xasprintf("%s%s%s", text, text[0] ? " " : "", str(v, "endpoint"));

		free(text);
		text = next;
	}
	return text;
}

static void test_json(void **state)
{
	cJSON *doc = run_json(*state, (struct ctl_opts){0});
	const cJSON *e1 = item(doc, "e1"), *e2 = item(doc, "e2"), *e3 = item(doc, "e3");
	char *order = listed(doc);
	char *ports;

	(void)state;
	assert_string_equal(order, "e4 e1 e2 e3"); /* by network key, then endpoint */
	assert_string_equal(str(e1, "key"), "web");
	assert_string_equal(str(e1, "name"), "web-1");
	assert_string_equal(str(e1, "network_name"), "front");
	assert_string_equal(str(e1, "address"), "10.2.0.7/24");
	assert_string_equal(str(e1, "node"), "n1");
	assert_string_equal(str(e1, "service"), "app_web");
	assert_string_equal(str(e1, "task"), "app_web.1.x");
	assert_string_equal(str(e1, "session"), "0x1234");
	assert_true(flag(e1, "valid"));
	assert_true(flag(e1, "registered"));
	assert_false(flag(e1, "stale"));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(e1, "error")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(e1, "aliases")), 2);
	ports = cJSON_PrintUnformatted(cJSON_GetObjectItem(e1, "ports"));
	assert_string_equal(ports,
			    "[{\"port\":80,\"proto\":\"tcp\"},{\"port\":53,\"proto\":\"udp\"}]");
	/* Its endpoint record is gone, and its node: stale, unregistered, not ephemeral. */
	assert_true(flag(e2, "valid"));
	assert_true(flag(e2, "stale"));
	assert_false(flag(e2, "registered"));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(e2, "session")));
	/* Listed, with the decoder's reason, and nothing of what it says. */
	assert_false(flag(e3, "valid"));
	assert_contains(str(e3, "error"), "`address`");
	assert_null(str(e3, "name"));
	assert_null(str(e3, "node"));
	free(ports);
	free(order);
	cJSON_Delete(doc);
}

static void test_filters(void **state)
{
	static const struct {
		struct ctl_opts o;
		const char *want;
	} cases[] = {
		{{.network = "web"}, "e1 e2 e3"},
		{{.network = "front"}, "e1 e2"}, /* the engine's name: the records that say it */
		{{.network = "db"}, "e4"},
		{{.network = "nope"}, ""},
		{{.service = "app_web"}, "e1 e3"}, /* the unreadable one may be of it */
		{{.node = "n2"}, "e2 e3"},
		{{.node = "n1", .network = "db"}, "e4"},
		{{.node = "n1", .service = "app_web", .network = "web"}, "e1 e3"},
		{{.service = "other"}, "e3"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		cJSON *doc = run_json(*state, cases[i].o);
		char *got = listed(doc);

		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: listed `%s`, wanted `%s`", i, got, cases[i].want);
		free(got);
		cJSON_Delete(doc);
	}
}

/* The line of the table that starts with prefix. */
static char *line_of(const char *table, const char *prefix)
{
	for (const char *p = table; *p;) {
		size_t n = strcspn(p, "\n");

		if (!strncmp(p, prefix, strlen(prefix)))
			return xstrndup(p, n);
		p += n + (p[n] == '\n');
	}
	fail_msg("no line starting with `%s` in:\n%s", prefix, table);
	return NULL;
}

static void test_table(void **state)
{
	struct ctl_opts o = {0};
	int rc;
	char *out = run(*state, &o, &rc), *l;

	assert_int_equal(rc, CTL_EXIT_OK);
	l = line_of(out, "NAME ");
	assert_contains(l, "NETWORK");
	assert_contains(l, "PORTS");
	assert_contains(l, "STATE");
	free(l);
	l = line_of(out, "web-1 ");
	assert_contains(l, " front (web) ");
	assert_contains(l, " 10.2.0.7/24 ");
	assert_contains(l, " web,www ");
	assert_contains(l, " app_web/app_web.1.x ");
	assert_contains(l, " 80/tcp,53/udp ");
	assert_true(strlen(l) > 2 && !strcmp(l + strlen(l) - 2, "ok"));
	free(l);
	l = line_of(out, "db-1 ");
	assert_contains(l, " n2 ");
	assert_true(strlen(l) > 5 && !strcmp(l + strlen(l) - 5, "stale"));
	free(l);
	l = line_of(out, "cache-1 ");
	assert_contains(l, " db ");
	assert_not_contains(l, "(");
	free(l);
	l = line_of(out, "(unreadable record) ");
	assert_contains(l, " e3 ");
	assert_true(strlen(l) > 10 && !strcmp(l + strlen(l) - 10, "unreadable"));
	free(l);
	free(out);
}

/* An old cluster without /names, or one without names: an empty listing. */
static void test_no_names(void **state)
{
	struct ctl_cluster *c = *state;
	cJSON *doc;

	zks_tree_remove(c->snap.tree, "/names");
	doc = run_json(c, (struct ctl_opts){0});
	assert_int_equal(cJSON_GetArraySize(doc), 0);
	cJSON_Delete(doc);
}

static void put_stale(struct zks_tree *t, const char *path, int64_t ctime_ms)
{
	static const char rec[] = "{\"name\":\"s\",\"endpoint\":\"e\",\"node\":\"n1\","
				  "\"address\":\"10.3.0.9/24\"}";
	struct zks_stat st = {.owner = SESSION, .ctime_ms = ctime_ms};

	zks_tree_put(t, path, rec, strlen(rec), &st);
}

/*
 * repair (a dry run): e2 has no endpoint record and is persistent, so it goes; e3 is unreadable
 * but ephemeral, so it stays for its session; an empty set of a network that is gone goes.  The
 * healthy e1 and e4 are not mentioned; nor is the set of web, which exists.
 */
static void test_repair_finds(void **state)
{
	struct ctl_cluster *c = *state;
	struct ctl_opts o = {.json = true, .dry_run = true};
	struct zks_stat st = {.ctime_ms = 1};
	char *text, *found = xstrdup("");
	cJSON *doc;
	const cJSON *f;
	int rc;

	zks_tree_put(c->snap.tree, "/names/gone", NULL, 0, &st);
	/* Stale and ephemeral: a young one may be on its way out, an old one is left behind. */
	put_stale(c->snap.tree, "/names/db/e5", 10 * 60 * 1000 - 1000);
	put_stale(c->snap.tree, "/names/db/e6", 1);
	c->root = "/zkswarm";
	c->snap.taken_ms = 10 * 60 * 1000;
	text = run_cmd(ctl_cmd_repair, c, &o, &rc);
	assert_int_equal(rc, CTL_EXIT_PROBLEM);
	doc = cJSON_Parse(text);
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(doc, "found"))
	{
		char *next;

		if (strncmp(str(f, "path"), "/zkswarm/names", 14) != 0)
			continue;
		next = xasprintf("%s%s %s %s;", found, str(f, "kind"), str(f, "path"),
				 flag(f, "fixable") ? "fix" : "keep");
		free(found);
		found = next;
		if (!strcmp(str(f, "path"), "/zkswarm/names/web/e2"))
			assert_contains(
				str(f, "reason"),
				"has no endpoint record (/zkswarm/networks/web/endpoints/e2)");
		if (!strcmp(str(f, "kind"), "invalid"))
			assert_contains(str(f, "reason"),
					"unreadable: a name record needs `address`");
	}
	assert_string_equal(found,
			    "name /zkswarm/names/db/e5 keep;name /zkswarm/names/db/e6 fix;"
			    "name-set /zkswarm/names/gone fix;"
			    "name /zkswarm/names/web/e2 fix;invalid /zkswarm/names/web/e3 keep;");
	c->root = NULL;
	free(found);
	free(text);
	cJSON_Delete(doc);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_json),	  T(test_filters),	T(test_table),
		T(test_no_names), T(test_repair_finds),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
