/*
 * test_snapshot.c - the frozen copy of the records (src/view/snapshot.c): taken
 * from an in-memory store with data and stat and unchanged by later writes;
 * the accessors' answers for absent, readable and unreadable records; sorted
 * children, addresses by group, registrations; the small readers and the
 * time formats.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/records.h"
#include "zkswarm/snapshot.h"
#include "zkswarm/util.h"

static void put(struct zks_tree *t, const char *path, const char *data, int64_t owner)
{
	struct zks_stat st = {.owner = owner, .ctime_ms = 1000, .mtime_ms = 2000};

	zks_tree_put(t, path, data, data ? strlen(data) : 0, &st);
}

static void create(struct zks_store *s, const char *path, const char *data, enum zks_node_kind k)
{
	struct zks_error err;

	assert_ok(store_create(s, path, data, strlen(data), k, &err), &err);
}

static void test_take_copies_the_store(void **state)
{
	struct zks_mem_backend *b = zks_mem_backend_new();
	struct zks_store *s = zks_store_mem_new(b);
	struct zks_store_status status;
	struct zks_snapshot snap = {0};
	struct zks_stat st;
	char *data = NULL;
	size_t len = 0;
	int64_t before = zks_wall_ms();
	struct zks_error err;

	(void)state;
	store_status(s, &status);
	create(s, "/nodes/n1", "{\"address\":\"198.18.0.1\"}", ZKS_EPHEMERAL);
	create(s, "/volumes/v1", "{\"options\":{}}", ZKS_PERSISTENT);
	zks_snap_take(&snap, s);
	assert_true(snap.taken_ms >= before && snap.taken_ms <= zks_wall_ms());
	assert_int_equal(zks_snap_get(&snap, "/nodes/n1", &data, &len, &st), 0);
	assert_string_equal(data, "{\"address\":\"198.18.0.1\"}");
	assert_int_equal(len, strlen(data));
	assert_true(st.owner == status.session_id && st.owner != 0);
	free(data);
	/* Frozen: a write after the snapshot shows only in the next one. */
	assert_ok(store_remove(s, "/volumes/v1", -1, &err), &err);
	assert_true(zks_snap_exists(&snap, "/volumes/v1"));
	zks_snap_take(&snap, s);
	assert_false(zks_snap_exists(&snap, "/volumes/v1"));
	assert_true(zks_snap_exists(&snap, "/volumes"));
	zks_snap_clear(&snap);
	assert_null(snap.tree);
	store_destroy(s);
	zks_mem_backend_free(b);
}

static void test_empty_snapshot(void **state)
{
	struct zks_snapshot snap;
	char **names;

	(void)state;
	zks_snap_init(&snap);
	assert_false(zks_snap_exists(&snap, "/volumes"));
	assert_int_equal(zks_snap_children(&snap, "/volumes", &names), 0);
	assert_null(names[0]); /* an empty list, still to free */
	zks_free_strv(names, 0);
	zks_snap_clear(&snap);
}

static void test_objects_and_records(void **state)
{
	struct zks_snapshot snap;
	struct zks_record_lease lease;
	struct zks_error err = {0};
	struct zks_stat st;
	int st_obj = 9;
	cJSON *doc;

	(void)state;
	zks_snap_init(&snap);
	put(snap.tree, "/volumes/v1/leases/n1", "{\"node\":\"n1\",\"mounts\":[\"a\",\"b\"]}", 7);
	put(snap.tree, "/volumes/v1/leases/n2", "[1,2]", 0);
	zks_tree_put(snap.tree, "/volumes/v1/leases/n3", "{}\0x", 4, NULL);

	doc = zks_snap_get_object(&snap, "/volumes/v1/leases/n1", &st, &st_obj);
	assert_int_equal(st_obj, 1);
	assert_int_equal(st.owner, 7);
	assert_string_equal(zks_snap_str(doc, "node"), "n1");
	cJSON_Delete(doc);
	assert_null(zks_snap_get_object(&snap, "/volumes/v1/leases/n2", NULL, &st_obj));
	assert_int_equal(st_obj, -1);
	assert_null(zks_snap_get_object(&snap, "/volumes/v1/leases/n3", NULL, &st_obj));
	assert_int_equal(st_obj, -1); /* a NUL inside is not JSON */
	assert_null(zks_snap_get_object(&snap, "/volumes/v1/leases/n9", NULL, &st_obj));
	assert_int_equal(st_obj, 0);

	assert_int_equal(zks_snap_get_record(&snap, "/volumes/v1/leases/n1", NULL, ZKS_SNAP_LEASE,
					     &lease),
			 1);
	assert_int_equal(lease.nmounts, 2);
	zks_record_lease_clear(&lease);
	assert_int_equal(zks_snap_get_record(&snap, "/volumes/v1/leases/n9", NULL, ZKS_SNAP_LEASE,
					     &lease),
			 0);
	assert_null(lease.node);
	assert_int_equal(zks_snap_get_record_why(&snap, "/volumes/v1/leases/n3", NULL,
						 ZKS_SNAP_LEASE, &lease, &err),
			 -1);
	assert_contains(err.msg, "NUL");
	zks_record_lease_clear(&lease);
	zks_snap_clear(&snap);
}

static void test_children_addresses_registered(void **state)
{
	struct zks_snapshot snap;
	char **v;
	size_t n;

	(void)state;
	zks_snap_init(&snap);
	put(snap.tree, "/nodes/n2", "{}", 5);
	put(snap.tree, "/nodes/n10", "{}", 6);
	put(snap.tree, "/ipam/subnets/10.0.0.0-16/addrs/10.0.1.0-24/10.0.1.9", "{}", 0);
	put(snap.tree, "/ipam/subnets/10.0.0.0-16/addrs/10.0.0.0-24/10.0.0.3", "{}", 0);
	put(snap.tree, "/ipam/subnets/10.0.0.0-16/addrs/10.0.0.0-24/10.0.0.2", "{}", 0);

	n = zks_snap_children(&snap, "/nodes", &v);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "n10"); /* byte order */
	assert_string_equal(v[1], "n2");
	zks_free_strv(v, n);
	assert_int_equal(zks_snap_child_count(&snap, "/nodes"), 2);
	assert_int_equal(zks_snap_child_count(&snap, "/absent"), 0);

	n = zks_snap_addresses(&snap, "/ipam/subnets/10.0.0.0-16/addrs", &v);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "/ipam/subnets/10.0.0.0-16/addrs/10.0.0.0-24/10.0.0.2");
	assert_string_equal(v[2], "/ipam/subnets/10.0.0.0-16/addrs/10.0.1.0-24/10.0.1.9");
	assert_null(v[3]);
	zks_free_strv(v, n);

	assert_true(zks_snap_registered(&snap, "n2"));
	assert_false(zks_snap_registered(&snap, "n3"));
	assert_false(zks_snap_registered(&snap, NULL));
	assert_false(zks_snap_registered(&snap, ""));
	assert_false(zks_snap_registered(&snap, "n2/x"));
	zks_snap_clear(&snap);
}

static void test_readers_and_formats(void **state)
{
	cJSON *obj = cJSON_Parse("{\"a\":3,\"b\":\"x\",\"c\":-2,\"d\":1e12,\"e\":2.5}");
	char out[32];
	long v = 0;

	(void)state;
	assert_int_equal(zks_snap_count(cJSON_GetObjectItem(obj, "a")), 3);
	assert_int_equal(zks_snap_count(cJSON_GetObjectItem(obj, "b")), 0);
	assert_int_equal(zks_snap_count(cJSON_GetObjectItem(obj, "c")), 0);
	assert_int_equal(zks_snap_count(cJSON_GetObjectItem(obj, "d")), 1000000000L);
	assert_true(zks_snap_int(obj, "a", 0, 10, &v));
	assert_int_equal(v, 3);
	assert_false(zks_snap_int(obj, "d", 0, 10, &v));
	assert_false(zks_snap_int(obj, "b", 0, 10, &v));
	assert_string_equal(zks_snap_str(obj, "b"), "x");
	assert_null(zks_snap_str(obj, "a"));
	assert_null(zks_snap_str(NULL, "a"));
	cJSON_Delete(obj);

	zks_snap_format_age(4999, out);
	assert_string_equal(out, "4s");
	zks_snap_format_age(192000, out);
	assert_string_equal(out, "3m12s");
	zks_snap_format_age((2 * 3600 + 5 * 60) * 1000LL, out);
	assert_string_equal(out, "2h05m");
	zks_snap_format_age((6 * 86400 + 3 * 3600) * 1000LL, out);
	assert_string_equal(out, "6d03h");
	zks_snap_format_time(1764928800123LL, out);
	assert_string_equal(out, "2025-12-05T10:00:00Z");
	zks_snap_format_time_ms(1764928800123LL, out);
	assert_string_equal(out, "2025-12-05T10:00:00.123Z");
	zks_snap_format_time_ms(1764928800007LL, out);
	assert_string_equal(out, "2025-12-05T10:00:00.007Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take_copies_the_store),
		cmocka_unit_test(test_empty_snapshot),
		cmocka_unit_test(test_objects_and_records),
		cmocka_unit_test(test_children_addresses_registered),
		cmocka_unit_test(test_readers_and_formats),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
