/*
 * test_feed.c - "what changed" (src/view/feed.c): each kind of item from two
 * cluster documents written by hand, the first view giving none, a large
 * change summed up; one change through the real view (a mount on the second
 * node); the ring's bounds and ids, its "since" and "newest" answers, and
 * pushes from several threads at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/feed.h"
#include "zkswarm/snapshot.h"
#include "zkswarm/util.h"
#include "zkswarm/view.h"

#define AT_MS 1764928800123LL /* 2025-12-05T10:00:00.123Z */

/* A document from JSON written with ' for " (easier to read here). */
static cJSON *doc_of(const char *text)
{
	char *json = xstrdup(text);
	cJSON *doc;

	for (char *p = json; *p; p++)
		if (*p == '\'')
			*p = '"';
	doc = cJSON_Parse(json);
	assert_non_null(doc);
	free(json);
	return doc;
}

/* The items from old to new as "kind subject node: text" lines (to free). */
static char *diff_text(const char *old_text, const char *new_text)
{
	cJSON *old_doc = doc_of(old_text), *new_doc = doc_of(new_text);
	cJSON *items = zks_feed_diff(old_doc, new_doc, AT_MS);
	char *text = xstrdup("");
	const cJSON *it;

	cJSON_ArrayForEach(it, items)
	{
		const char *subject = zks_snap_str(it, "subject"), *node = zks_snap_str(it, "node");
		char *next;

		assert_string_equal(zks_snap_str(it, "at"), "2025-12-05T10:00:00.123Z");
		assert_null(cJSON_GetObjectItem(it, "id"));
		next = xasprintf("%s%s %s %s: %s\n", text, zks_snap_str(it, "kind"),
				 subject ? subject : "-", node ? node : "-",
				 zks_snap_str(it, "text"));
		free(text);
		text = next;
	}
	cJSON_Delete(items);
	cJSON_Delete(old_doc);
	cJSON_Delete(new_doc);
	return text;
}

static void expect(const char *old_text, const char *new_text, const char *want)
{
	char *got = diff_text(old_text, new_text);

	assert_string_equal(got, want);
	free(got);
}

static void test_first_view_has_no_items(void **state)
{
	cJSON *doc = doc_of("{'volumes':[{'name':'v1'}]}");
	cJSON *items = zks_feed_diff(NULL, doc, AT_MS);

	(void)state;
	assert_int_equal(cJSON_GetArraySize(items), 0);
	cJSON_Delete(items);
	items = zks_feed_diff(doc, doc, AT_MS);
	assert_int_equal(cJSON_GetArraySize(items), 0);
	cJSON_Delete(items);
	cJSON_Delete(doc);
}

static void test_volume_items(void **state)
{
	(void)state;
	expect("{'volumes':[{'name':'a'},{'name':'c'}]}",
	       "{'volumes':[{'name':'a'},{'name':'b','type':'dir','access':'single-node',"
	       "'created_by':'n1','holders':[{'node':'n2','mounts':1}]}]}",
	       "volume.created b n1: b created (dir, single-node)\n"
	       "volume.mounted b n2: b mounted on n2 (1 mount)\n"
	       "volume.removed c -: c removed\n");
	expect("{'volumes':[{'name':'v1','holders':[{'node':'n1','mounts':1},"
	       "{'node':'n2','mounts':3},{'node':'n3','mounts':1}]}]}",
	       "{'volumes':[{'name':'v1','holders':[{'node':'n1','mounts':2},"
	       "{'node':'n2','mounts':1}]}]}",
	       "volume.mounted v1 n1: v1 mounted on n1 (2 mounts)\n"
	       "volume.unmounted v1 n2: v1 unmounted on n2 (1 mount left)\n"
	       "volume.unmounted v1 n3: v1 unmounted on n3 (no mounts left)\n");
	expect("{'volumes':[{'name':'c1','type':'config','config':{'version':3}}]}",
	       "{'volumes':[{'name':'c1','type':'config','config':{'version':4,'by':'n2'}}]}",
	       "config.changed c1 -: config c1: version 4 by n2\n");
}

static const char *node_doc(const char *state, int addresses)
{
	static char buf[256];

	snprintf(buf, sizeof(buf),
		 "{'nodes':[{'id':'n2','state':'%s','address':'198.18.0.2','last_heard_ms':25000,"
		 "'holds':{'addresses':%d}}]}",
		 state, addresses);
	return buf;
}

static void node_step(const char *from, int from_addr, const char *to, int to_addr,
		      const char *want)
{
	char *old_text = xstrdup(node_doc(from, from_addr));

	expect(old_text, node_doc(to, to_addr), want);
	free(old_text);
}

static void test_node_items(void **state)
{
	(void)state;
	expect("{'nodes':[]}", node_doc("connected", 0),
	       "node.joined n2 n2: n2 joined (198.18.0.2)\n");
	node_step("connected", 0, "cut off", 0,
		  "node.cut_off n2 n2: n2 cut off (last heard 25s ago)\n");
	node_step("cut off", 0, "connected", 0, "node.back n2 n2: n2 is back\n");
	node_step("cut off", 3, "expired", 3,
		  "node.expired n2 n2: n2 expired: its records wait for the reaper\n");
	node_step("expired", 3, "expired", 1,
		  "address.reclaimed n2 n2: 2 addresses of n2 reclaimed\n");
	node_step("expired", 1, "reaped", 0,
		  "node.reaped n2 n2: n2 reaped: nothing names it any more\n"
		  "address.reclaimed n2 n2: 1 address of n2 reclaimed\n");
	node_step("connected", 0, "reaped", 0,
		  "node.reaped n2 n2: n2 left: nothing names it any more\n");
	node_step("reaped", 0, "connected", 0, "node.joined n2 n2: n2 joined again (198.18.0.2)\n");
	/* A registered node giving back its own addresses is no reclaim. */
	node_step("connected", 2, "connected", 1, "");
	expect(node_doc("expired", 1), "{'nodes':[]}",
	       "node.reaped n2 n2: n2 reaped: nothing names it any more\n"
	       "address.reclaimed n2 n2: 1 address of n2 reclaimed\n");
	expect(node_doc("reaped", 0), "{'nodes':[]}", "");
}

static void test_network_and_pool_items(void **state)
{
	(void)state;
	expect("{'networks':[{'key':'old1234567890abcdef','endpoints':[{'id':'e9','node':'n1'}]}],"
	       "'pools':[{'subnet':'10.9.0.0/24'}]}",
	       "{'networks':[{'key':'k1','name':'web','subnet':'10.2.0.0/24','endpoints':["
	       "{'id':'e1','node':'n1','address':'10.2.0.2/24','name':'web.1'}]}],"
	       "'pools':[{'subnet':'10.2.0.0/24','size':254}]}",
	       "pool.created 10.2.0.0/24 -: pool 10.2.0.0/24 created (254 addresses)\n"
	       "pool.removed 10.9.0.0/24 -: pool 10.9.0.0/24 removed\n"
	       "network.created web -: network web created (10.2.0.0/24)\n"
	       "endpoint.joined web.1 n1: web.1 joined web on n1 (10.2.0.2/24)\n"
	       "network.removed old123456789 -: network old123456789 removed\n"
	       "endpoint.left e9 n1: e9 left old123456789 on n1\n");
	expect("{'networks':[{'key':'k1','name':'web','endpoints':[{'id':'e1','node':'n1'},"
	       "{'id':'e2','node':'n2'}]}]}",
	       "{'networks':[{'key':'k1','name':'web','endpoints':[{'id':'e2','node':'n2'},"
	       "{'id':'e3','node':'n2','address':'10.2.0.4/24'}]}]}",
	       "endpoint.left e1 n1: e1 left web on n1\n"
	       "endpoint.joined e3 n2: e3 joined web on n2 (10.2.0.4/24)\n");
}

/* 150 volumes at once: ZKS_FEED_DIFF_MAX items, then one that sums up the rest. */
static void test_large_change_is_summed_up(void **state)
{
	cJSON *old_doc = doc_of("{'volumes':[]}"), *new_doc = doc_of("{'volumes':[]}");
	cJSON *vols = cJSON_GetObjectItem(new_doc, "volumes"), *items;
	const cJSON *last;

	(void)state;
	for (int i = 0; i < 150; i++) {
		char name[16];
		cJSON *v = cJSON_CreateObject();

		snprintf(name, sizeof(name), "v%03d", i);
		cJSON_AddStringToObject(v, "name", name);
		cJSON_AddItemToArray(vols, v);
	}
	items = zks_feed_diff(old_doc, new_doc, AT_MS);
	assert_int_equal(cJSON_GetArraySize(items), ZKS_FEED_DIFF_MAX + 1);
	last = cJSON_GetArrayItem(items, ZKS_FEED_DIFF_MAX);
	assert_string_equal(zks_snap_str(last, "kind"), "volume.created");
	assert_string_equal(zks_snap_str(last, "text"), "and 50 more volumes created");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(last, "subject")));
	cJSON_Delete(items);
	cJSON_Delete(old_doc);
	cJSON_Delete(new_doc);
}

/* Through the real view: n2 mounts v1 (records in a snapshot). */
static void test_mount_through_the_view(void **state)
{
	struct zks_snapshot s;
	cJSON *before, *after, *items;
	struct zks_stat st = {.owner = 7};
	const char *node = "{\"address\":\"198.18.0.2\"}", *vol = "{\"options\":{}}";
	const char *lease = "{\"node\":\"n2\",\"mounts\":[\"m1\"]}";

	(void)state;
	zks_snap_init(&s);
	zks_tree_put(s.tree, "/nodes/n2", node, strlen(node), &st);
	zks_tree_put(s.tree, "/volumes/v1", vol, strlen(vol), NULL);
	before = zks_view_cluster(&s, NULL);
	zks_tree_put(s.tree, "/volumes/v1/leases/n2", lease, strlen(lease), &st);
	after = zks_view_cluster(&s, NULL);
	items = zks_feed_diff(before, after, AT_MS);
	assert_int_equal(cJSON_GetArraySize(items), 1);
	assert_string_equal(zks_snap_str(cJSON_GetArrayItem(items, 0), "text"),
			    "v1 mounted on n2 (1 mount)");
	cJSON_Delete(items);
	cJSON_Delete(before);
	cJSON_Delete(after);
	zks_snap_clear(&s);
}

/* n items with texts "t<first>".."t<first+n-1>". */
static cJSON *some_items(int first, int n)
{
	cJSON *arr = cJSON_CreateArray();

	for (int i = first; i < first + n; i++) {
		cJSON *it = cJSON_CreateObject();
		char text[16];

		snprintf(text, sizeof(text), "t%d", i);
		cJSON_AddStringToObject(it, "kind", "volume.created");
		cJSON_AddStringToObject(it, "text", text);
		cJSON_AddItemToArray(arr, it);
	}
	return arr;
}

static long id_at(const cJSON *arr, int i)
{
	return (long)cJSON_GetObjectItem(cJSON_GetArrayItem(arr, i), "id")->valuedouble;
}

static void test_ring(void **state)
{
	struct zks_feed *f = zks_feed_new();
	cJSON *added, *arr;

	(void)state;
	assert_int_equal(zks_feed_last_id(f), 0);
	arr = zks_feed_newest(f, 10);
	assert_int_equal(cJSON_GetArraySize(arr), 0);
	cJSON_Delete(arr);
	added = zks_feed_push(f, some_items(1, 3));
	assert_int_equal(cJSON_GetArraySize(added), 3);
	assert_int_equal(id_at(added, 0), 1);
	assert_int_equal(id_at(added, 2), 3);
	assert_string_equal(cJSON_GetArrayItem(added, 0)->child->string, "id"); /* first */
	assert_string_equal(zks_snap_str(cJSON_GetArrayItem(added, 2), "text"), "t3");
	cJSON_Delete(added);
	cJSON_Delete(zks_feed_push(f, cJSON_CreateArray())); /* nothing: no id used */
	assert_int_equal(zks_feed_last_id(f), 3);
	cJSON_Delete(zks_feed_push(f, some_items(4, 247)));
	assert_int_equal(zks_feed_last_id(f), 250);
	/* The last 200 are kept: 51..250. */
	arr = zks_feed_newest(f, 1000);
	assert_int_equal(cJSON_GetArraySize(arr), ZKS_FEED_RING);
	assert_int_equal(id_at(arr, 0), 250);
	assert_int_equal(id_at(arr, ZKS_FEED_RING - 1), 51);
	assert_string_equal(zks_snap_str(cJSON_GetArrayItem(arr, 0), "text"), "t250");
	cJSON_Delete(arr);
	arr = zks_feed_newest(f, 2);
	assert_int_equal(cJSON_GetArraySize(arr), 2);
	assert_int_equal(id_at(arr, 1), 249);
	cJSON_Delete(arr);
	arr = zks_feed_since(f, 240);
	assert_int_equal(cJSON_GetArraySize(arr), 10);
	assert_int_equal(id_at(arr, 0), 241); /* oldest first */
	assert_int_equal(id_at(arr, 9), 250);
	cJSON_Delete(arr);
	arr = zks_feed_since(f, 0); /* more than kept: what is kept */
	assert_int_equal(cJSON_GetArraySize(arr), ZKS_FEED_RING);
	assert_int_equal(id_at(arr, 0), 51);
	cJSON_Delete(arr);
	arr = zks_feed_since(f, 250);
	assert_int_equal(cJSON_GetArraySize(arr), 0);
	cJSON_Delete(arr);
	arr = zks_feed_since(f, 9999);
	assert_int_equal(cJSON_GetArraySize(arr), 0);
	cJSON_Delete(arr);
	zks_feed_free(f);
}

static void *pusher(void *arg)
{
	for (int i = 0; i < 50; i++)
		cJSON_Delete(zks_feed_push(arg, some_items(i, 2)));
	return NULL;
}

static void test_ring_from_threads(void **state)
{
	struct zks_feed *f = zks_feed_new();
	pthread_t t[4];
	cJSON *arr;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, pusher, f), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(zks_feed_last_id(f), 400);
	arr = zks_feed_newest(f, ZKS_FEED_RING);
	for (int i = 0; i < ZKS_FEED_RING; i++)
		assert_int_equal(id_at(arr, i), 400 - i);
	cJSON_Delete(arr);
	zks_feed_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_view_has_no_items),
		cmocka_unit_test(test_volume_items),
		cmocka_unit_test(test_node_items),
		cmocka_unit_test(test_network_and_pool_items),
		cmocka_unit_test(test_large_change_is_summed_up),
		cmocka_unit_test(test_mount_through_the_view),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_ring_from_threads),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
