/*
 * test_view.c - the dashboard's cluster document (zks_view_cluster,
 * src/view/view_cluster.c) over records written by their encoders into an
 * in-memory store, two nodes with sessions of their own: each node state
 * (connected, cut off, expired, reaped), what records name a node, volumes
 * with type, access, non-default options, holders and the stale and conflict
 * markers, a config volume's head, networks with members and endpoints (and
 * their names), pools with their fill, counts; sorted lists; 200 volumes on 8
 * nodes (the figures at 10,000: bench/viewbuild.c, `make bench`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/feed.h"
#include "zkswarm/records.h"
#include "zkswarm/snapshot.h"
#include "zkswarm/util.h"
#include "zkswarm/view.h"

struct fixture {
	struct zks_mem_backend *b;
	struct zks_store *admin, *n1, *n2;
	struct zks_snapshot snap;
};

/* Write path (its missing ancestors persistent and empty). */
static void put(struct zks_store *s, const char *path, const char *data, enum zks_node_kind kind)
{
	struct zks_error err;

	for (const char *p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		cleanup_free char *parent = xstrndup(path, (size_t)(p - path));

		store_create(s, parent, "", 0, ZKS_PERSISTENT, &err); /* or it exists */
	}
	assert_ok(store_create(s, path, data, strlen(data), kind, &err), &err);
}

/* put, then free data (an encoder's). */
static void put_json(struct zks_store *s, const char *path, char *data, enum zks_node_kind kind)
{
	put(s, path, data, kind);
	free(data);
}

static void put_node(struct zks_store *s, const char *id, const char *address)
{
	struct zks_record_node rec = {.address = (char *)address,
				      .version = "0.1.0",
				      .started_at = "2026-12-05T09:00:00Z",
				      .instance = "i1"};
	cleanup_free char *path = zks_path_node(id);

	put_json(s, path, zks_record_node_encode(&rec), ZKS_EPHEMERAL);
}

static void put_volume(struct zks_store *s, const char *name, const char *opts_kv)
{
	struct zks_kv kv[2];
	size_t n = 0;
	struct zks_record_volume rec = {.name = (char *)name,
					.created_at = "2026-12-05T09:30:00Z",
					.created_by = "n1"};
	cleanup_free char *path = zks_path_volume(name);
	cleanup_free char *copy = opts_kv ? xstrdup(opts_kv) : NULL;
	struct zks_error err;

	/* "key=value" (one option) or NULL: the defaults. */
	if (copy != NULL) {
		char *eq = strchr(copy, '=');

		*eq = '\0';
		kv[n++] = (struct zks_kv){.key = copy, .value = eq + 1};
	}
	assert_ok(zks_volume_options_parse(kv, n, &rec.opts, &err), &err);
	put_json(s, path, zks_record_volume_encode(&rec), ZKS_PERSISTENT);
}

/* node's lease on volume with mounts mount IDs, written by s (its session). */
static void put_lease(struct zks_store *s, const char *volume, const char *node, size_t mounts)
{
	char *ids[4] = {"m1", "m2", "m3", "m4"};
	struct zks_record_lease rec = {.node = (char *)node, .mounts = ids, .nmounts = mounts};
	cleanup_free char *path = zks_path_volume_lease(volume, node);

	put_json(s, path, zks_record_lease_encode(&rec), s ? ZKS_EPHEMERAL : ZKS_PERSISTENT);
}

static void put_holder(struct zks_store *s, const char *volume, const char *node)
{
	struct zks_record_lease rec = {.node = (char *)node};
	cleanup_free char *path = zks_path_volume_holder(volume);

	put_json(s, path, zks_record_lease_encode(&rec), ZKS_EPHEMERAL);
}

static void put_endpoint(struct zks_store *s, const char *key, const char *id, const char *node,
			 const char *addr)
{
	struct zks_record_endpoint rec = {.mac = {2, 0, 0, 0, 0, 1}};
	cleanup_free char *path = zks_path_network_endpoint(key, id);

	snprintf(rec.node, sizeof(rec.node), "%s", node);
	snprintf(rec.address, sizeof(rec.address), "%s", addr);
	put_json(s, path, zks_record_endpoint_encode(&rec), ZKS_PERSISTENT);
}

static void put_name(struct zks_store *s, const char *key, const char *id, const char *name,
		     const char *node, const char *addr)
{
	struct zks_record_name rec = {.name = (char *)name,
				      .endpoint = (char *)id,
				      .node = (char *)node,
				      .address = (char *)addr,
				      .network_name = "front"};
	cleanup_free char *path = zks_path_name(key, id);

	put_json(s, path, zks_record_name_encode(&rec), ZKS_EPHEMERAL);
}

/* An address of pool 10.2.0.0/24 held by node. */
static void put_address(struct zks_store *s, const char *ip, const char *node)
{
	struct zks_record_address rec = {.kind = "address"};
	cleanup_free char *path =
		xasprintf("%s/10.2.0.0-24/%s", ZKS_SUBNETS "/10.2.0.0-24/addrs", ip);

	zks_record_counts_add(&rec.holders, node, 1);
	put_json(s, path, zks_record_address_encode(&rec), ZKS_PERSISTENT);
	zks_record_counts_clear(&rec.holders);
}

static void put_network(struct zks_store *s)
{
	struct zks_record_network rec = {.key = "web", .vni = 4097, .mtu = 1450};
	struct zks_record_subnet pool = {.cidr = "10.2.0.0/24", .gateway = "10.2.0.1"};
	cleanup_free char *pool_path = zks_path_subnet("10.2.0.0-24");

	assert_int_equal(zks_cidr_parse("10.2.0.0/24", &rec.subnet, NULL), 0);
	rec.gateway = "10.2.0.1/24";
	put_json(s, "/networks/web", zks_record_network_encode(&rec), ZKS_PERSISTENT);
	put(s, "/networks/web/members/n1:d1", "", ZKS_PERSISTENT);
	put(s, "/networks/web/members/n2:d2", "", ZKS_PERSISTENT);
	put(s, "/networks/web/members/n1:d3", "", ZKS_PERSISTENT);
	zks_record_counts_add(&pool.refs, "n1", 1);
	put_json(s, pool_path, zks_record_subnet_encode(&pool), ZKS_PERSISTENT);
	zks_record_counts_clear(&pool.refs);
}

/*
 * n1 and n2 registered (n2's beat is old: cut off); n3 gone, still named by an endpoint,
 * an address and a lease (expired); n4 gone, named by nothing, its beat left (reaped).
 * v1 single-node on n1 (2 mounts, exclusive); v2 multi-node on n1 and n2; v3 single-node
 * on n1 and n3: conflict and stale; v4 with mode 0700; c1 a config volume.
 */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct zks_config_file file = {.name = "app.conf", .size = 3};
	struct zks_config_manifest m = {.version = 3, .files = &file, .nfiles = 1, .by = "n1"};

	zks_sha256_hex("abc", 3, file.sha256);
	f->b = zks_mem_backend_new();
	f->admin = zks_store_mem_new(f->b);
	f->n1 = zks_store_mem_new(f->b);
	f->n2 = zks_store_mem_new(f->b);
	put_node(f->n1, "n1", "198.18.0.1");
	put_node(f->n2, "n2", "198.18.0.2");
	put_volume(f->admin, "v1", NULL);
	put_lease(f->n1, "v1", "n1", 2);
	put_holder(f->n1, "v1", "n1");
	put_volume(f->admin, "v2", "access=multi-node");
	put_lease(f->n1, "v2", "n1", 1);
	put_lease(f->n2, "v2", "n2", 1);
	put_volume(f->admin, "v3", NULL);
	put_lease(f->n1, "v3", "n1", 1);
	put_lease(f->admin, "v3", "n3", 1); /* left behind by n3 */
	put_volume(f->admin, "v4", "mode=0700");
	put_volume(f->admin, "c1", "type=config");
	put_json(f->admin, "/configs/c1", zks_config_manifest_encode(&m), ZKS_PERSISTENT);
	put_network(f->admin);
	put_endpoint(f->admin, "web", "e1", "n1", "10.2.0.2/24");
	put_name(f->n1, "web", "e1", "web.1", "n1", "10.2.0.2/24");
	put_endpoint(f->admin, "web", "e2", "n3", "10.2.0.3/24");
	put_address(f->admin, "10.2.0.2", "n1");
	put_address(f->admin, "10.2.0.3", "n3");
	zks_snap_take(&f->snap, f->admin);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	zks_snap_clear(&f->snap);
	store_destroy(f->n1);
	store_destroy(f->n2);
	store_destroy(f->admin);
	zks_mem_backend_free(f->b);
	free(f);
	return 0;
}

static const struct zks_view_beat beats[] = {
	{.node = "n1", .age_ms = 1000, .every_ms = 2500},
	{.node = "n2", .age_ms = 25000, .every_ms = 2500},
	{.node = "n4", .age_ms = 600000, .every_ms = 2500},
};
static const struct zks_view_liveness live = {.beats = beats, .n = ARRAY_SIZE(beats)};

static const cJSON *find(const cJSON *doc, const char *list, const char *key, const char *value)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, list))
	{
		if (zks_snap_str(e, key) && !strcmp(zks_snap_str(e, key), value))
			return e;
	}
	return NULL;
}

static const char *str(const cJSON *obj, const char *key)
{
	return zks_snap_str(obj, key);
}

static double num(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static bool flag(const cJSON *obj, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* The values of key along list, space-separated (to free). */
static char *listed(const cJSON *doc, const char *list, const char *key)
{
	char *text = xstrdup("");
	const cJSON *e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, list))
	{
		const cJSON *v = key ? cJSON_GetObjectItemCaseSensitive(e, key) : e;
		char *next = xasprintf("%s%s%s", text, text[0] ? " " : "",
				       cJSON_IsString(v) ? v->valuestring : "?");

		free(text);
		text = next;
	}
	return text;
}

static void test_node_states(void **state)
{
	struct fixture *f = *state;
	cJSON *doc = zks_view_cluster(&f->snap, &live);
	const cJSON *n1 = find(doc, "nodes", "id", "n1"), *n2 = find(doc, "nodes", "id", "n2");
	const cJSON *n3 = find(doc, "nodes", "id", "n3"), *n4 = find(doc, "nodes", "id", "n4");
	const cJSON *h1 = cJSON_GetObjectItem(n1, "holds"), *h3 = cJSON_GetObjectItem(n3, "holds");
	char *ids = listed(doc, "nodes", "id");

	assert_string_equal(ids, "n1 n2 n3 n4");
	assert_string_equal(str(n1, "state"), "connected");
	assert_int_equal(num(n1, "last_heard_ms"), 1000);
	assert_string_equal(str(n1, "address"), "198.18.0.1");
	assert_string_equal(str(n1, "version"), "0.1.0");
	assert_string_equal(str(n1, "started_at"), "2026-12-05T09:00:00Z");
	assert_non_null(str(n1, "session"));
	assert_string_equal(str(n2, "state"), "cut off"); /* 25 s > 2 x 2.5 s */
	assert_string_equal(str(n3, "state"), "expired");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(n3, "last_heard_ms"))); /* no beat known */
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(n3, "session")));
	assert_string_equal(str(n4, "state"), "reaped");
	assert_int_equal(num(n4, "last_heard_ms"), 600000);
	/* n1: leases on v1, v2, v3 (4 mounts), e1, 10.2.0.2, two memberships. */
	assert_int_equal(num(h1, "leases"), 3);
	assert_int_equal(num(h1, "mounts"), 4);
	assert_int_equal(num(h1, "endpoints"), 1);
	assert_int_equal(num(h1, "addresses"), 1);
	assert_int_equal(num(h1, "members"), 2);
	assert_int_equal(num(h3, "leases"), 1);
	assert_int_equal(num(h3, "endpoints"), 1);
	assert_int_equal(num(h3, "addresses"), 1);
	assert_int_equal(num(h3, "members"), 0);
	free(ids);
	cJSON_Delete(doc);
}

/* Without beats: registered is connected, the unregistered named ones expired, no reaped. */
static void test_node_states_without_beats(void **state)
{
	struct fixture *f = *state;
	cJSON *doc = zks_view_cluster(&f->snap, NULL);
	char *ids = listed(doc, "nodes", "id"), *states = listed(doc, "nodes", "state");

	assert_string_equal(ids, "n1 n2 n3");
	assert_string_equal(states, "connected connected expired");
	free(ids);
	free(states);
	cJSON_Delete(doc);
	/* A beat exactly 2 x every_ms old still counts as connected; one ms more does not. */
	{
		struct zks_view_beat b[] = {{.node = "n1", .age_ms = 5000, .every_ms = 2500},
					    {.node = "n2", .age_ms = 5001, .every_ms = 2500}};
		struct zks_view_liveness l = {.beats = b, .n = 2};

		doc = zks_view_cluster(&f->snap, &l);
		states = listed(doc, "nodes", "state");
		assert_string_equal(states, "connected cut off expired");
		free(states);
		cJSON_Delete(doc);
	}
}

/* n1's session expires: its registration, leases and names go; what is persistent stays. */
static void test_node_expires(void **state)
{
	struct fixture *f = *state;
	struct zks_store_status st;
	cJSON *doc;
	const cJSON *n1;

	store_status(f->n1, &st);
	zks_mem_backend_expire(f->b, st.session_id);
	zks_snap_take(&f->snap, f->admin);
	doc = zks_view_cluster(&f->snap, &live);
	n1 = find(doc, "nodes", "id", "n1");
	assert_string_equal(str(n1, "state"), "expired"); /* its endpoint and address remain */
	assert_int_equal(num(cJSON_GetObjectItem(n1, "holds"), "leases"), 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(n1, "address")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(find(doc, "volumes", "name", "v1"),
								"holders")),
			 0);
	cJSON_Delete(doc);
}

static void test_volumes(void **state)
{
	struct fixture *f = *state;
	cJSON *doc = zks_view_cluster(&f->snap, &live);
	const cJSON *v1 = find(doc, "volumes", "name", "v1"),
		    *v2 = find(doc, "volumes", "name", "v2");
	const cJSON *v3 = find(doc, "volumes", "name", "v3"),
		    *v4 = find(doc, "volumes", "name", "v4");
	const cJSON *c1 = find(doc, "volumes", "name", "c1");
	const cJSON *h = cJSON_GetArrayItem(cJSON_GetObjectItem(v1, "holders"), 0);
	cJSON *opts = cJSON_GetObjectItem(v4, "options");
	char *names = listed(doc, "volumes", "name");
	char *text = cJSON_PrintUnformatted(opts);

	assert_string_equal(names, "c1 v1 v2 v3 v4");
	assert_string_equal(str(v1, "type"), "dir");
	assert_string_equal(str(v1, "access"), "single-node");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(v1, "options")), 0);
	assert_string_equal(str(v1, "created_by"), "n1");
	assert_string_equal(str(v1, "created_at"), "2026-12-05T09:30:00Z");
	assert_string_equal(str(h, "node"), "n1");
	assert_int_equal(num(h, "mounts"), 2);
	assert_true(flag(h, "exclusive"));
	assert_true(flag(h, "registered"));
	assert_false(flag(v1, "stale"));
	assert_false(flag(v1, "conflict"));
	/* Multi-node on two nodes: fine. */
	assert_string_equal(str(v2, "access"), "multi-node");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(v2, "holders")), 2);
	assert_false(flag(v2, "conflict"));
	assert_false(flag(v2, "stale"));
	/* Single-node on two nodes, one of them gone. */
	assert_true(flag(v3, "conflict"));
	assert_true(flag(v3, "stale"));
	assert_false(flag(cJSON_GetArrayItem(cJSON_GetObjectItem(v3, "holders"), 1), "registered"));
	assert_string_equal(text, "{\"mode\":\"0700\"}");
	assert_string_equal(str(c1, "type"), "config");
	assert_int_equal(num(cJSON_GetObjectItem(c1, "config"), "version"), 3);
	assert_int_equal(num(cJSON_GetObjectItem(c1, "config"), "files"), 1);
	assert_null(cJSON_GetObjectItem(v1, "config"));
	free(text);
	free(names);
	cJSON_Delete(doc);
}

static void test_networks_pools_counts(void **state)
{
	struct fixture *f = *state;
	cJSON *doc = zks_view_cluster(&f->snap, &live);
	const cJSON *web = find(doc, "networks", "key", "web");
	const cJSON *e1 = find(web, "endpoints", "id", "e1"),
		    *e2 = find(web, "endpoints", "id", "e2");
	const cJSON *pool = find(doc, "pools", "subnet", "10.2.0.0/24");
	const cJSON *counts = cJSON_GetObjectItem(doc, "counts");
	char *members = listed(web, "members", NULL), *nets = listed(pool, "networks", NULL);

	assert_string_equal(str(web, "name"), "front"); /* the engines' name, from its names */
	assert_string_equal(str(web, "subnet"), "10.2.0.0/24");
	assert_string_equal(str(web, "gateway"), "10.2.0.1/24");
	assert_int_equal(num(web, "vni"), 4097);
	assert_int_equal(num(web, "mtu"), 1450);
	assert_string_equal(members, "n1 n2");
	assert_string_equal(str(e1, "node"), "n1");
	assert_string_equal(str(e1, "address"), "10.2.0.2/24");
	assert_string_equal(str(e1, "name"), "web.1");
	assert_string_equal(str(e2, "node"), "n3");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(e2, "name")));
	assert_int_equal(num(pool, "size"), 254);
	assert_int_equal(num(pool, "used"), 2);
	assert_string_equal(nets, "web");
	assert_int_equal(num(counts, "nodes"), 2);
	assert_int_equal(num(counts, "volumes"), 5);
	assert_int_equal(num(counts, "leases"), 5);
	assert_int_equal(num(counts, "networks"), 1);
	assert_int_equal(num(counts, "endpoints"), 2);
	assert_int_equal(num(counts, "pools"), 1);
	assert_int_equal(num(counts, "addresses"), 2);
	free(members);
	free(nets);
	cJSON_Delete(doc);
}

/* Unreadable records are listed, never stop the document. */
static void test_unreadable_records(void **state)
{
	struct fixture *f = *state;
	cJSON *doc;
	const cJSON *v;

	zks_tree_put(f->snap.tree, "/volumes/bad", "not json", 8, NULL);
	zks_tree_put(f->snap.tree, "/networks/junk", "[]", 2, NULL);
	zks_tree_put(f->snap.tree, "/networks/junk/endpoints/x", "{}", 2, NULL);
	doc = zks_view_cluster(&f->snap, &live);
	v = find(doc, "volumes", "name", "bad");
	assert_non_null(v);
	assert_false(flag(v, "valid"));
	assert_string_equal(str(v, "type"), "dir");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(v, "access")));
	v = find(doc, "networks", "key", "junk");
	assert_false(flag(v, "valid"));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(find(v, "endpoints", "id", "x"), "node")));
	cJSON_Delete(doc);
}

/* ---- many volumes and nodes (small here; bench/viewbuild.c measures 10,000) ------------------- */

/* Put data at path (persistent), both allocated (and freed here). */
static void tput(struct zks_store *s, char *path, char *data)
{
	put(s, path, data, ZKS_PERSISTENT);
	free(path);
	free(data);
}

/* n nodes, registered, each with a membership, an endpoint with its name and an address in
 * network web; nvolumes volumes each leased by one node (1 mount), every 10th by two. */
static void many(struct zks_store *s, int nvolumes, int nnodes)
{
	struct zks_record_volume vol = {.created_at = "2026-12-05T09:30:00Z", .created_by = "n1"};
	char *ids[1] = {"0123456789abcdef0123456789abcdef"};

	tput(s, xstrdup("/networks/web"),
	     xstrdup("{\"key\":\"web\",\"subnet\":\"10.2.0.0/24\",\"vni\":4097,\"mtu\":1450}"));
	tput(s, xstrdup(ZKS_SUBNETS "/10.2.0.0-24"), xstrdup("{\"cidr\":\"10.2.0.0/24\"}"));
	for (int i = 0; i < nnodes; i++) {
		char id[16], addr[32], ep[16];
		struct zks_record_node node = {.address = addr, .version = "0.1.0"};
		struct zks_record_endpoint e = {.mac = {2, 0, 0, 0, 0, 1}};
		struct zks_record_name name = {.name = ep, .endpoint = ep, .node = id};
		struct zks_record_address a = {.kind = "address"};

		snprintf(id, sizeof(id), "node%02d", i);
		snprintf(addr, sizeof(addr), "198.18.0.%d", i + 1);
		snprintf(ep, sizeof(ep), "ep%02d", i);
		tput(s, xasprintf("/nodes/%s", id), zks_record_node_encode(&node));
		snprintf(e.node, sizeof(e.node), "%s", id);
		snprintf(e.address, sizeof(e.address), "10.2.0.%d/24", i + 2);
		name.address = e.address;
		tput(s, xasprintf("/networks/web/endpoints/%s", ep),
		     zks_record_endpoint_encode(&e));
		tput(s, xasprintf("/names/web/%s", ep), zks_record_name_encode(&name));
		tput(s, xasprintf("/networks/web/members/%s:d", id), xstrdup(""));
		zks_record_counts_add(&a.holders, id, 1);
		tput(s, xasprintf(ZKS_SUBNETS "/10.2.0.0-24/addrs/10.2.0.0-24/10.2.0.%d", i + 2),
		     zks_record_address_encode(&a));
		zks_record_counts_clear(&a.holders);
	}
	assert_int_equal(zks_volume_options_parse(NULL, 0, &vol.opts, NULL), 0);
	for (int i = 0; i < nvolumes; i++) {
		char node[16];
		struct zks_record_lease lease = {.node = node, .mounts = ids, .nmounts = 1};

		snprintf(node, sizeof(node), "node%02d", i % nnodes);
		tput(s, xasprintf("/volumes/vol%05d", i), zks_record_volume_encode(&vol));
		tput(s, xasprintf("/volumes/vol%05d/leases/%s", i, node),
		     zks_record_lease_encode(&lease));
		if (i % 10 == 0) {
			snprintf(node, sizeof(node), "node%02d", (i + 1) % nnodes);
			tput(s, xasprintf("/volumes/vol%05d/leases/%s", i, node),
			     zks_record_lease_encode(&lease));
		}
	}
}

/* 200 volumes, 8 nodes: every one listed, what each node holds tallied, and one more mount
 * found by walking two such documents (one item). */
static void test_many_volumes_and_nodes(void **state)
{
	struct zks_mem_backend *mb = zks_mem_backend_new();
	struct zks_store *store = zks_store_mem_new(mb);
	struct zks_snapshot s = {0};
	const char *lease = "{\"node\":\"node00\",\"mounts\":[\"a\",\"b\"]}";
	cJSON *doc, *prev, *items;
	const cJSON *node;
	struct zks_error err;

	(void)state;
	many(store, 200, 8);
	zks_snap_take(&s, store);
	prev = zks_view_cluster(&s, NULL);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(prev, "volumes")), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(prev, "nodes")), 8);
	node = find(prev, "nodes", "id", "node00");
	/* node00 leases the volumes i % 8 == 0 (25); a second lease goes to (i + 1) % 8, odd. */
	assert_int_equal(
		cJSON_GetObjectItem(cJSON_GetObjectItem(node, "holds"), "leases")->valueint, 25);
	assert_int_equal(
		cJSON_GetObjectItem(cJSON_GetObjectItem(node, "holds"), "endpoints")->valueint, 1);
	assert_ok(store_set(store, "/volumes/vol00100/leases/node04", lease, strlen(lease), -1,
			    &err),
		  &err);
	zks_snap_take(&s, store);
	doc = zks_view_cluster(&s, NULL);
	items = zks_feed_diff(prev, doc, 0);
	assert_int_equal(cJSON_GetArraySize(items), 1);
	assert_string_equal(zks_snap_str(cJSON_GetArrayItem(items, 0), "text"),
			    "vol00100 mounted on node04 (2 mounts)");
	cJSON_Delete(items);
	cJSON_Delete(prev);
	cJSON_Delete(doc);
	zks_snap_clear(&s);
	store_destroy(store);
	zks_mem_backend_free(mb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_node_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_states_without_beats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_networks_pools_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_records, setup, teardown),
		cmocka_unit_test(test_many_volumes_and_nodes),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
