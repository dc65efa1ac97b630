/*
 * test_records.c - the layout of the records in ZooKeeper (records.h): each
 * path builder gives the documented path, and every record lies under a
 * node of the skeleton that each store creates at session start.
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

static void test_paths_and_skeleton(void **state)
{
	struct layout l[] = {
		{zks_path_volume("db"), "/volumes/db", ZKS_VOLUMES},
		{zks_path_volume_leases("db"), "/volumes/db/leases", ZKS_VOLUMES},
		{zks_path_volume_lease("db", "n1"), "/volumes/db/leases/n1", ZKS_VOLUMES},
		{zks_path_volume_holder("db"), "/volumes/db/holder", ZKS_VOLUMES},
		{zks_path_network("k"), "/networks/k", ZKS_NETWORKS},
		{zks_path_network_members("k"), "/networks/k/members", ZKS_NETWORKS},
		{zks_path_network_member("k", "n1:", "abc"), "/networks/k/members/n1:abc", ZKS_NETWORKS},
		{zks_path_network_member("k", "", "n1:abc"), "/networks/k/members/n1:abc", ZKS_NETWORKS},
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
		{xstrdup(ZKS_REAPER_LEADER), "/reaper/leader", ZKS_REAPER},
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
			seen = strlen(*q) == (size_t)(slash - *p) && !strncmp(*q, *p, (size_t)(slash - *p));
		assert_true(seen);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paths_and_skeleton),
	    cmocka_unit_test(test_skeleton_parents_first),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
