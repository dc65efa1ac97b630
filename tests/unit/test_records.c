/*
 * test_records.c - the layout of the records in ZooKeeper (records.h): each
 * path builder gives the documented path, and every record lies under a
 * node of the skeleton that each store creates at session start; and every
 * record's codec: a round trip, what old or odd records it tolerates, and one
 * case per malformed field that it rejects.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

struct layout {
	char *got;
	const char *want;
	const char *under; /* the skeleton node it lies under */
};

/* A membership's name says whose it is: "<node>:<engine id>", the node's whole name. */
static void test_member_names(void **state)
{
	(void)state;
	assert_string_equal(zks_member_id("n1:abc123", "n1"), "abc123");
	assert_null(zks_member_id("n10:abc123", "n1"));
	assert_null(zks_member_id("n1abc123", "n1"));
	assert_null(zks_member_id("n2:abc123", "n1"));
	assert_string_equal(zks_member_id("n1:", "n1"), "");
	assert_null(zks_member_id("", "n1"));
}

static void test_paths_and_skeleton(void **state)
{
	struct layout l[] = {
		{zks_path_volume("db"), "/volumes/db", ZKS_VOLUMES},
		{zks_path_volume_leases("db"), "/volumes/db/leases", ZKS_VOLUMES},
		{zks_path_volume_lease("db", "n1"), "/volumes/db/leases/n1", ZKS_VOLUMES},
		{zks_path_volume_holder("db"), "/volumes/db/holder", ZKS_VOLUMES},
		{zks_path_network("k"), "/networks/k", ZKS_NETWORKS},
		{zks_path_network_members("k"), "/networks/k/members", ZKS_NETWORKS},
		{zks_path_network_member("k", "n1:", "abc"), "/networks/k/members/n1:abc",
		 ZKS_NETWORKS},
		{zks_path_network_member("k", "", "n1:abc"), "/networks/k/members/n1:abc",
		 ZKS_NETWORKS},
		{zks_path_network_endpoints("k"), "/networks/k/endpoints", ZKS_NETWORKS},
		{zks_path_network_endpoint("k", "e1"), "/networks/k/endpoints/e1", ZKS_NETWORKS},
		{zks_path_vni(4096), "/vnis/4096", ZKS_VNIS},
		{zks_path_vni(16777215ul), "/vnis/16777215", ZKS_VNIS},
		{zks_path_vni_named("4097"), "/vnis/4097", ZKS_VNIS},
		{zks_path_subnet("198.18.0.0-24"), "/ipam/subnets/198.18.0.0-24", ZKS_SUBNETS},
		{zks_path_subnet_addrs("198.18.0.0-24"), "/ipam/subnets/198.18.0.0-24/addrs",
		 ZKS_SUBNETS},
		{zks_path_subnet_addr_group("198.18.0.0-16", "198.18.7.0-24"),
		 "/ipam/subnets/198.18.0.0-16/addrs/198.18.7.0-24", ZKS_SUBNETS},
		{zks_path_node("n1"), "/nodes/n1", ZKS_NODES},
		{zks_path_heartbeat("n1"), "/heartbeats/n1", ZKS_HEARTBEATS},
		{xstrdup(ZKS_REAPER_LEADER), "/reaper/leader", ZKS_REAPER},
		{zks_path_names("k"), "/names/k", ZKS_NAMES},
		{zks_path_name("k", "e1"), "/names/k/e1", ZKS_NAMES},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
		size_t n = strlen(l[i].under);
		bool in_skeleton = false;

		assert_string_equal(l[i].got, l[i].want);
		assert_true(strncmp(l[i].got, l[i].under, n) == 0 && l[i].got[n] == '/');
		for (const char *const *p = zks_skeleton; *p; p++)
			in_skeleton = in_skeleton || strcmp(*p, l[i].under) == 0;
		assert_true(in_skeleton);
		free(l[i].got);
	}
}

/* A skeleton node's parent comes before it (stores create them in order). */
static void test_skeleton_parents_first(void **state)
{
	(void)state;
	for (const char *const *p = zks_skeleton; *p; p++) {
		const char *slash = strrchr(*p, '/');
		bool seen = slash == *p; /* top level */

		for (const char *const *q = zks_skeleton; q < p && !seen; q++)
			seen = strlen(*q) == (size_t)(slash - *p) &&
			       !strncmp(*q, *p, (size_t)(slash - *p));
		assert_true(seen);
	}
}

/* ---- codecs -------------------------------------------------------------------------------- */

static void test_volume_round_trip(void **state)
{
	struct zks_record_volume in = {
		.name = "db",
		.created_at = "2026-01-02T03:04:05Z",
		.created_by = "n1",
		.token = "t0",
		.opts = {.access = ZKS_ACCESS_MULTI_NODE,
			 .uid = 7,
			 .gid = 8,
			 .mode = 0750,
			 .readonly = true,
			 .on_remove = ZKS_ON_REMOVE_RETAIN},
	};
	struct zks_record_volume out;
	struct zks_error err;
	char *text = zks_record_volume_encode(&in);

	(void)state;
	assert_ok(zks_record_volume_decode("db", text, &out, &err), &err);
	assert_string_equal(out.name, "db");
	assert_string_equal(out.created_at, in.created_at);
	assert_string_equal(out.created_by, "n1");
	assert_string_equal(out.token, "t0");
	/* Field by field: the struct's padding is not part of the value. */
	assert_int_equal(out.opts.access, in.opts.access);
	assert_int_equal(out.opts.uid, in.opts.uid);
	assert_int_equal(out.opts.gid, in.opts.gid);
	assert_int_equal(out.opts.mode, in.opts.mode);
	assert_int_equal(out.opts.readonly, in.opts.readonly);
	assert_int_equal(out.opts.on_remove, in.opts.on_remove);
	zks_record_volume_clear(&out);
	free(text);
}

/* An old record: no name, creator or token; options given as a Create gives them. */
static void test_volume_old_format(void **state)
{
	struct zks_record_volume out;
	struct zks_error err;

	(void)state;
	assert_ok(zks_record_volume_decode("db",
					   "{\"options\":{\"access\":\"multi-node\"},"
					   "\"created_at\":5}",
					   &out, &err),
		  &err);
	assert_null(out.name);
	assert_null(out.created_at);
	assert_null(out.created_by);
	assert_int_equal(out.opts.access, ZKS_ACCESS_MULTI_NODE);
	zks_record_volume_clear(&out);
}

static void test_volume_malformed(void **state)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{}",
		"{\"options\":[]}",
		"{\"options\":\"x\"}",
		"{\"options\":{\"uid\":7}}",	       /* an option that is not a string */
		"{\"options\":{\"access\":\"some\"}}", /* an invalid value */
		"{\"options\":{\"colour\":\"red\"}}",  /* an unknown option */
		"{\"options\":{\"uid\":\"-1\"}}",      /* out of range */
		"{\"options\":{\"a1\":\"\",\"a2\":\"\",\"a3\":\"\",\"a4\":\"\",\"a5\":\"\",\"a6\":\"\","
		"\"a7\":\"\",\"a8\":\"\",\"a9\":\"\",\"b1\":\"\",\"b2\":\"\",\"b3\":\"\",\"b4\":\"\","
		"\"b5\":\"\",\"b6\":\"\",\"b7\":\"\",\"b8\":\"\"}}", /* more than 16 */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct zks_record_volume out;
		struct zks_error err = {0};

		assert_error(zks_record_volume_decode("db", bad[i], &out, &err), &err,
			     ZKS_ERR_INTERNAL);
		assert_contains(err.msg, "volume `db`");
		zks_record_volume_clear(&out);
	}
}

static void test_lease_round_trip(void **state)
{
	char *ids[] = {"c1", "c2", "c1"};
	struct zks_record_lease in = {.node = "n2",
				      .mounts = ids,
				      .nmounts = 3,
				      .updated_at = "at"};
	struct zks_record_lease out;
	struct zks_error err;
	char *text = zks_record_lease_encode(&in);

	(void)state;
	assert_ok(zks_record_lease_decode(text, &out, &err), &err);
	assert_string_equal(out.node, "n2");
	assert_int_equal(out.nmounts, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(out.mounts[i], ids[i]);
	assert_string_equal(out.updated_at, "at");
	zks_record_lease_clear(&out);
	free(text);
}

/* A holder ({"node"} only), mounts that are not an array, and entries that are not strings. */
static void test_lease_tolerated(void **state)
{
	struct zks_record_lease out;
	struct zks_error err;

	(void)state;
	assert_ok(zks_record_lease_decode("{\"node\":\"n1\"}", &out, &err), &err);
	assert_int_equal(out.nmounts, 0);
	assert_null(out.updated_at);
	zks_record_lease_clear(&out);
	assert_ok(zks_record_lease_decode("{\"node\":\"n1\",\"mounts\":7}", &out, &err), &err);
	assert_int_equal(out.nmounts, 0);
	zks_record_lease_clear(&out);
	assert_ok(zks_record_lease_decode("{\"node\":\"n1\",\"mounts\":[1,\"a\"]}", &out, &err),
		  &err);
	assert_int_equal(out.nmounts, 2);
	assert_null(out.mounts[0]);
	assert_string_equal(out.mounts[1], "a");
	zks_record_lease_clear(&out);
	/* No node (or not a string): read as none; the daemon then takes it as unreadable. */
	assert_ok(zks_record_lease_decode("{\"node\":1,\"mounts\":[]}", &out, &err), &err);
	assert_null(out.node);
	zks_record_lease_clear(&out);
}

static void test_lease_malformed(void **state)
{
	static const char *const bad[] = {"", "not json", "[]", "\"n1\"", "null", "{\"node\":"};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct zks_record_lease out;
		struct zks_error err = {0};

		assert_error(zks_record_lease_decode(bad[i], &out, &err), &err, ZKS_ERR_INTERNAL);
		zks_record_lease_clear(&out);
	}
}

static void test_vni(void **state)
{
	static const char *const bad[] = {"x", "", "4", "[\"network\"]"};
	struct zks_record_vni out;
	struct zks_error err;
	char *text = zks_record_vni_encode(&(struct zks_record_vni){.network = "k1"});

	(void)state;
	assert_ok(zks_record_vni_decode(text, &out, &err), &err);
	assert_string_equal(out.network, "k1");
	assert_null(out.token);
	zks_record_vni_clear(&out);
	free(text);
	/* The daemon's claim, as it always wrote it: network, then the network record's token. */
	text = zks_record_vni_encode(&(struct zks_record_vni){.network = "k1", .token = "0a1b"});
	assert_string_equal(text, "{\"network\":\"k1\",\"token\":\"0a1b\"}");
	assert_ok(zks_record_vni_decode(text, &out, &err), &err);
	assert_string_equal(out.network, "k1");
	assert_string_equal(out.token, "0a1b");
	zks_record_vni_clear(&out);
	free(text);
	assert_ok(zks_record_vni_decode("{\"network\":4,\"token\":[]}", &out, &err), &err);
	assert_null(out.network);
	assert_null(out.token);
	zks_record_vni_clear(&out);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_error(zks_record_vni_decode(bad[i], &out, &err), &err, ZKS_ERR_INTERNAL);
		zks_record_vni_clear(&out);
	}
}

static void test_counts(void **state)
{
	struct zks_record_counts c = {0};

	(void)state;
	assert_string_equal(zks_record_counts_first(&c), "unknown");
	assert_int_equal(zks_record_counts_add(&c, "n1", 2), 2);
	assert_int_equal(zks_record_counts_add(&c, "n2", 1), 3);
	assert_int_equal(zks_record_counts_add(&c, "n1", 0), 3);
	assert_int_equal(zks_record_counts_get(&c, "n1"), 2);
	assert_int_equal(zks_record_counts_get(&c, "n3"), 0);
	/* A changed node's count moves last; a count down to zero removes the node. */
	assert_int_equal(zks_record_counts_add(&c, "n1", -1), 2);
	assert_string_equal(zks_record_counts_first(&c), "n2");
	assert_int_equal(zks_record_counts_add(&c, "n2", -1), 1);
	assert_int_equal(c.n, 1);
	assert_int_equal(zks_record_counts_add(&c, "n1", -5), 0);
	assert_int_equal(c.n, 0);
	zks_record_counts_clear(&c);
}

static void test_subnet_round_trip(void **state)
{
	struct zks_record_subnet in = {.cidr = "10.1.0.0/24",
				       .gateway = "10.1.0.1",
				       .created_by = "n1",
				       .created_at = "at",
				       .token = "t"};
	struct zks_record_subnet out;
	struct zks_error err;
	char *text;

	(void)state;
	zks_record_counts_add(&in.refs, "n1", 2);
	zks_record_counts_add(&in.refs, "n2", 1);
	text = zks_record_subnet_encode(&in);
	assert_ok(zks_record_subnet_decode(text, &out, &err), &err);
	assert_string_equal(out.cidr, in.cidr);
	assert_string_equal(out.gateway, in.gateway);
	assert_string_equal(out.created_by, "n1");
	assert_string_equal(out.created_at, "at");
	assert_string_equal(out.token, "t");
	assert_int_equal(out.refs.n, 2);
	assert_int_equal(zks_record_counts_get(&out.refs, "n1"), 2);
	assert_int_equal(zks_record_counts_get(&out.refs, "n2"), 1);
	zks_record_counts_clear(&in.refs);
	zks_record_subnet_clear(&out);
	free(text);
}

/* Any object is a subnet: odd fields read as absent, odd counts as 0 (their node still named). */
static void test_subnet_tolerated(void **state)
{
	struct zks_record_subnet out;
	struct zks_error err;

	(void)state;
	assert_ok(zks_record_subnet_decode("{}", &out, &err), &err);
	assert_null(out.cidr);
	assert_int_equal(out.refs.n, 0);
	zks_record_subnet_clear(&out);
	assert_ok(zks_record_subnet_decode("{\"refs\":[1],\"gateway\":5}", &out, &err), &err);
	assert_int_equal(out.refs.n, 0);
	assert_null(out.gateway);
	zks_record_subnet_clear(&out);
	assert_ok(zks_record_subnet_decode("{\"refs\":{\"n1\":\"x\",\"n2\":1.5}}", &out, &err),
		  &err);
	assert_int_equal(out.refs.n, 2);
	assert_string_equal(zks_record_counts_first(&out.refs), "n1");
	assert_int_equal(zks_record_counts_get(&out.refs, "n1"), 0);
	assert_int_equal(zks_record_counts_get(&out.refs, "n2"), 1);
	zks_record_subnet_clear(&out);
	/* Numbers beyond +-1e9 are held there (a cast out of range would be undefined). */
	assert_ok(zks_record_subnet_decode("{\"refs\":{\"a\":1e300,\"b\":-1e300}}", &out, &err),
		  &err);
	assert_int_equal(zks_record_counts_get(&out.refs, "a"), 1000000000L);
	assert_int_equal(zks_record_counts_get(&out.refs, "b"), -1000000000L);
	zks_record_subnet_clear(&out);
}

/* What was not a number is not written back; numbers are. */
static void test_counts_encode(void **state)
{
	struct zks_record_address rec;
	struct zks_error err;
	char *text;

	(void)state;
	assert_ok(zks_record_address_decode("{\"holders\":{\"x\":\"y\",\"n1\":2}}", &rec, &err),
		  &err);
	assert_int_equal(rec.holders.n, 2);
	assert_false(rec.holders.v[0].number);
	text = zks_record_address_encode(&rec);
	assert_contains(text, "\"holders\":{\"n1\":2}");
	free(text);
	zks_record_address_clear(&rec);
}

static void test_subnet_malformed(void **state)
{
	static const char *const bad[] = {"", "x", "[]", "\"s\"", "3", "null"};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct zks_record_subnet out;
		struct zks_error err = {0};

		assert_error(zks_record_subnet_decode(bad[i], &out, &err), &err, ZKS_ERR_INTERNAL);
		zks_record_subnet_clear(&out);
	}
	{
		struct zks_record_subnet out;

		assert_int_equal(zks_record_subnet_decode(NULL, &out, NULL), -1);
	}
}

static void test_address(void **state)
{
	static const char *const bad[] = {"", "x", "[]", "true"};
	struct zks_record_address in = {.kind = "gateway", .swarm = true, .token = "t"};
	struct zks_record_address out;
	struct zks_error err;
	char *text;

	(void)state;
	zks_record_counts_add(&in.holders, "n3", 1);
	text = zks_record_address_encode(&in);
	assert_ok(zks_record_address_decode(text, &out, &err), &err);
	assert_string_equal(out.kind, "gateway");
	assert_true(out.swarm);
	assert_string_equal(out.token, "t");
	assert_int_equal(zks_record_counts_get(&out.holders, "n3"), 1);
	zks_record_address_clear(&out);
	zks_record_counts_clear(&in.holders);
	free(text);
	/* Only a JSON true is swarm; a kind that is not a string is none. */
	assert_ok(zks_record_address_decode("{\"swarm\":1,\"kind\":2}", &out, &err), &err);
	assert_false(out.swarm);
	assert_null(out.kind);
	zks_record_address_clear(&out);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_error(zks_record_address_decode(bad[i], &out, &err), &err, ZKS_ERR_INTERNAL);
		zks_record_address_clear(&out);
	}
}

static void test_node(void **state)
{
	static const char *const bad[] = {"", "x", "[{}]", "\"192.0.2.1\""};
	struct zks_record_node in = {.address = "192.0.2.1",
				     .instance = "i1",
				     .started_at = "at",
				     .version = "v1"};
	struct zks_record_node out;
	struct zks_error err;
	char *text = zks_record_node_encode(&in);

	(void)state;
	assert_ok(zks_record_node_decode(text, &out, &err), &err);
	assert_string_equal(out.address, "192.0.2.1");
	assert_string_equal(out.instance, "i1");
	assert_string_equal(out.started_at, "at");
	assert_string_equal(out.version, "v1");
	zks_record_node_clear(&out);
	free(text);
	/* No tunnel address: "" (the registration of a node without one). */
	text = zks_record_node_encode(&(struct zks_record_node){0});
	assert_ok(zks_record_node_decode(text, &out, &err), &err);
	assert_string_equal(out.address, "");
	assert_null(out.instance);
	zks_record_node_clear(&out);
	free(text);
	assert_ok(zks_record_node_decode("{\"address\":1,\"version\":[]}", &out, &err), &err);
	assert_null(out.address);
	assert_null(out.version);
	zks_record_node_clear(&out);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_error(zks_record_node_decode(bad[i], &out, &err), &err, ZKS_ERR_INTERNAL);
		zks_record_node_clear(&out);
	}
}

/* Which layout a registration says its node keeps: an earlier version's says none (1). */
static void test_node_layout(void **state)
{
	static const char *const not_two[] = {"{}",
					      "{\"layout\":1}",
					      "{\"layout\":\"2\"}",
					      "{\"layout\":2.5}",
					      "{\"layout\":0}",
					      "{\"layout\":-2}",
					      "{\"layout\":1e300}",
					      "[2]",
					      "",
					      "{\"layout\":"};
	struct zks_record_node in = {.address = "", .layout = ZKS_LAYOUT}, out;
	struct zks_error err;
	char *text = zks_record_node_encode(&in);

	(void)state;
	assert_ok(zks_record_node_decode(text, &out, &err), &err);
	assert_int_equal(out.layout, ZKS_LAYOUT);
	zks_record_node_clear(&out);
	assert_true(zks_record_node_keeps_layout(text, strlen(text)));
	/* Only the bytes given count: the same text cut before its layout keeps none. */
	assert_false(zks_record_node_keeps_layout(text, strlen("{\"address\":\"\"")));
	free(text);
	assert_true(zks_record_node_keeps_layout("{\"layout\":3}", strlen("{\"layout\":3}")));
	for (size_t i = 0; i < ARRAY_SIZE(not_two); i++)
		assert_false(zks_record_node_keeps_layout(not_two[i], strlen(not_two[i])));
	/* A registration without the field: layout 1, and none written for it. */
	text = zks_record_node_encode(&(struct zks_record_node){.layout = 1});
	assert_null(strstr(text, "layout"));
	free(text);
}

static void test_heartbeat(void **state)
{
	static const char *const bad[] = {"", "x", "[]", "\"at\""};
	static const char *const no_period[] = {"{\"every_ms\":0}",	   "{\"every_ms\":-5}",
						"{\"every_ms\":2.5}",	   "{\"every_ms\":\"9\"}",
						"{\"every_ms\":86400001}", "{\"every_ms\":1e300}"};
	struct zks_record_heartbeat in = {.at = "2026-12-05T10:00:00.123Z", .every_ms = 2500};
	struct zks_record_heartbeat out;
	struct zks_error err;
	char *text = zks_record_heartbeat_encode(&in);

	(void)state;
	assert_ok(zks_record_heartbeat_decode(text, &out, &err), &err);
	assert_string_equal(out.at, in.at);
	assert_int_equal(out.every_ms, 2500);
	zks_record_heartbeat_clear(&out);
	free(text);
	for (size_t i = 0; i < ARRAY_SIZE(no_period); i++) {
		assert_ok(zks_record_heartbeat_decode(no_period[i], &out, &err), &err);
		assert_int_equal(out.every_ms, 0);
		assert_null(out.at);
		zks_record_heartbeat_clear(&out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_error(zks_record_heartbeat_decode(bad[i], &out, &err), &err,
			     ZKS_ERR_INTERNAL);
		zks_record_heartbeat_clear(&out);
	}
}

static void test_leader(void **state)
{
	static const char *const bad[] = {"", "x", "[]", "\"n1\""};
	struct zks_record_leader out;
	struct zks_error err;
	char *text = zks_record_leader_encode(&(struct zks_record_leader){.node = "n\"1"});

	(void)state;
	assert_ok(zks_record_leader_decode(text, &out, &err), &err);
	assert_string_equal(out.node, "n\"1");
	zks_record_leader_clear(&out);
	free(text);
	assert_ok(zks_record_leader_decode("{\"node\":[]}", &out, &err), &err);
	assert_null(out.node);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_error(zks_record_leader_decode(bad[i], &out, &err), &err, ZKS_ERR_INTERNAL);
		zks_record_leader_clear(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_names),
		cmocka_unit_test(test_paths_and_skeleton),
		cmocka_unit_test(test_skeleton_parents_first),
		cmocka_unit_test(test_volume_round_trip),
		cmocka_unit_test(test_volume_old_format),
		cmocka_unit_test(test_volume_malformed),
		cmocka_unit_test(test_lease_round_trip),
		cmocka_unit_test(test_lease_tolerated),
		cmocka_unit_test(test_lease_malformed),
		cmocka_unit_test(test_vni),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_subnet_round_trip),
		cmocka_unit_test(test_subnet_tolerated),
		cmocka_unit_test(test_subnet_malformed),
		cmocka_unit_test(test_counts_encode),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_node),
		cmocka_unit_test(test_node_layout),
		cmocka_unit_test(test_heartbeat),
		cmocka_unit_test(test_leader),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
