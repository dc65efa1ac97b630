/*
 * test_reaper.c - the dead-node reaper (reaper.h) driven pass by pass with
 * zks_reaper_pass on the in-memory store: a node dies when its session is
 * expired (zks_mem_backend_expire), and the passes are given the time.
 * What a dead node held is reclaimed after the grace and not before, a live
 * node's records stay, one reaper leads, the clock restarts when the mirror is
 * out of sync or the node comes back, and volume leases need no reaper.
 * The leader also removes the empty name sets of networks that are gone, and
 * only those.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers_net.h"
#include "zkswarm/reaper.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define NETA "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0"
#define NETB "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
#define EPA "eaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaea"
#define EPB "ebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebeb"
#define SUBNET "10.1.0.0-24"
#define ADDR_A "/ipam/subnets/" SUBNET "/addrs/10.1.0.0-24/10.1.0.5"
#define ADDR_B "/ipam/subnets/" SUBNET "/addrs/10.1.0.0-24/10.1.0.7"
#define GRACE 30000

/* node-a and node-c live; node-b holds a share of the network "shared" and dies. */
struct cluster {
	struct zks_mem_backend *b;
	struct test_net_node a, n2, c;
	struct zks_reaper *ra, *rc; /* on node-a's and node-c's sessions */
};

/* A zks_reap_fn that only notes whom it was asked to reclaim (and fails on demand). */
struct reap_log {
	char nodes[8][32];
	size_t n;
	bool fail_next;
};

static int log_reap(void *ctx, const char *node, struct zks_error *err)
{
	struct reap_log *l = ctx;

	if (l->n < ARRAY_SIZE(l->nodes))
		snprintf(l->nodes[l->n++], sizeof(l->nodes[0]), "%s", node);
	if (l->fail_next) {
		l->fail_next = false;
		return zks_error_set(err, ZKS_ERR_SYSTEM, "reap log: made to fail");
	}
	return 0;
}

static void claim_create_endpoint(struct test_net_node *n, const char *net, const char *ep,
				  const char *ip)
{
	struct zks_error err = {0};
	char *addr = NULL, *mac = NULL, *cidr = xasprintf("%s/24", ip);
	char *pool = test_claim_pool(n, "10.1.0.0/24");

	assert_ok(test_net_create(n, net, "cluster-name=shared", "10.1.0.0/24", &err), &err);
	assert_ok(zks_ipam_request_address(n->ipam, pool, ip, false, false, &addr, &err), &err);
	assert_ok(zks_networks_create_endpoint(n->nw, net, ep, cidr, "", &mac, &err), &err);
	free(mac);
	free(addr);
	free(pool);
	free(cidr);
}

static int setup(void **state)
{
	struct cluster *c = xcalloc(1, sizeof(*c));

	c->b = test_backend_new();
	test_net_node_init(&c->a, c->b, "node-a", "192.0.2.1");
	test_net_node_init(&c->n2, c->b, "node-b", "192.0.2.2");
	test_net_node_init(&c->c, c->b, "node-c", "192.0.2.3");
	claim_create_endpoint(&c->a, NETA, EPA, "10.1.0.5");
	claim_create_endpoint(&c->n2, NETB, EPB, "10.1.0.7");
	c->ra = zks_reaper_new(c->a.store, "node-a", GRACE);
	c->rc = zks_reaper_new(c->c.store, "node-c", GRACE);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct cluster *c = *state;
	struct test_net_node *nodes[] = {&c->a, &c->n2, &c->c};

	zks_reaper_free(c->ra);
	zks_reaper_free(c->rc);
	/* Reconcilers first; the services after the backend, whose callbacks point into them. */
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
		test_net_node_stop(nodes[i]);
	zks_mem_backend_free(c->b);
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
		test_net_node_fini(nodes[i]);
	free(c);
	return 0;
}

/* ---- helpers -------------------------------------------------------------------------------- */

static void kill_node(struct cluster *c, struct test_net_node *n)
{
	char *reg = xasprintf("/nodes/%s", n->id);

	test_net_node_stop(n);
	zks_mem_backend_expire(c->b, test_net_node_session(n));
	assert_false(test_store_exists(c->a.store, reg));
	free(reg);
}

/* The reaper reclaims with the services of node-a, as the daemon does with its own. */
static void add_services(struct cluster *c, struct zks_reaper *r)
{
	zks_reaper_add(r, zks_networks_reap_node, c->a.nw);
	zks_reaper_add(r, zks_ipam_reap_node, c->a.ipam);
}

/* Whether node's key is in the counter under key ("refs", "holders") of the record at path. */
static bool counted(struct zks_store *s, const char *path, const char *key, const char *node)
{
	cJSON *doc = test_store_json(s, path);
	bool r = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, key),
						  node) != NULL;

	cJSON_Delete(doc);
	return r;
}

/* Whether everything node holds in the setup's network is still recorded. */
static void assert_holds(struct zks_store *s, const char *node, const char *net, const char *ep,
			 const char *addr, bool want)
{
	char *member = xasprintf("/networks/shared/members/%s:%s", node, net);
	char *endpoint = xasprintf("/networks/shared/endpoints/%s", ep);

	assert_int_equal(test_store_exists(s, member), want);
	assert_int_equal(test_store_exists(s, endpoint), want);
	assert_int_equal(counted(s, "/ipam/subnets/" SUBNET, "refs", node), want);
	assert_int_equal(counted(s, addr, "holders", node), want);
	free(member);
	free(endpoint);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_dead_node_reclaimed_after_grace(void **state)
{
	struct cluster *c = *state;

	add_services(c, c->ra);
	kill_node(c, &c->n2);
	assert_int_equal(zks_reaper_pass(c->ra, 0), 0);
	assert_true(zks_reaper_is_leader(c->ra));
	assert_int_equal(zks_reaper_pass(c->ra, GRACE - 1), 0);
	assert_holds(c->a.store, "node-b", NETB, EPB, ADDR_B, true);
	/* Its membership, endpoint, pool reference and address go; node-a's stay. */
	assert_int_equal(zks_reaper_pass(c->ra, GRACE), 1);
	assert_holds(c->a.store, "node-b", NETB, EPB, ADDR_B, false);
	assert_holds(c->a.store, "node-a", NETA, EPA, ADDR_A, true);
	assert_true(test_store_exists(c->a.store, "/networks/shared"));
	/* Nothing is left to reclaim. */
	assert_int_equal(zks_reaper_pass(c->ra, 10 * GRACE), 0);
}

static void test_live_nodes_kept(void **state)
{
	struct cluster *c = *state;

	add_services(c, c->ra);
	assert_int_equal(zks_reaper_pass(c->ra, 0), 0);
	assert_int_equal(zks_reaper_pass(c->ra, 10 * GRACE), 0);
	assert_holds(c->a.store, "node-a", NETA, EPA, ADDR_A, true);
	assert_holds(c->a.store, "node-b", NETB, EPB, ADDR_B, true);
}

static void test_one_leader(void **state)
{
	struct cluster *c = *state;
	struct reap_log la = {0}, lc = {0};
	struct zks_error err = {0};
	struct zks_stat st;

	zks_reaper_add(c->ra, log_reap, &la);
	zks_reaper_add(c->rc, log_reap, &lc);
	kill_node(c, &c->n2);
	assert_int_equal(zks_reaper_pass(c->ra, 0), 0);
	assert_int_equal(zks_reaper_pass(c->rc, 0), 0);
	assert_true(zks_reaper_is_leader(c->ra));
	assert_false(zks_reaper_is_leader(c->rc));
	assert_ok(store_get(c->c.store, ZKS_REAPER_LEADER, NULL, NULL, &st, &err), &err);
	assert_int_equal(st.owner, test_net_node_session(&c->a));
	/* Both see node-b gone; only the leader reclaims. */
	assert_int_equal(zks_reaper_pass(c->rc, GRACE), 0);
	assert_int_equal(lc.n, 0);
	assert_int_equal(zks_reaper_pass(c->ra, GRACE), 1);
	assert_int_equal(la.n, 1);
	assert_string_equal(la.nodes[0], "node-b");
}

static void test_leadership_moves_when_leader_dies(void **state)
{
	struct cluster *c = *state;
	struct reap_log lc = {0};

	zks_reaper_add(c->rc, log_reap, &lc);
	kill_node(c, &c->n2);
	assert_int_equal(zks_reaper_pass(c->ra, 0), 0);
	assert_int_equal(zks_reaper_pass(c->rc, 0), 0);
	assert_false(zks_reaper_is_leader(c->rc));
	/* The leader's session goes with /reaper/leader: node-c takes over at its next pass. */
	kill_node(c, &c->a);
	assert_false(test_store_exists(c->c.store, ZKS_REAPER_LEADER));
	assert_int_equal(zks_reaper_pass(c->rc, 1), 0);
	assert_true(zks_reaper_is_leader(c->rc));
	/* Each reaper keeps its own clock, led or not: node-b's wait counts from node-c's pass
	 * at 0, node-a's from the pass at 1 that first saw it gone. */
	assert_int_equal(zks_reaper_pass(c->rc, GRACE), 1);
	assert_int_equal(lc.n, 1);
	assert_string_equal(lc.nodes[0], "node-b");
	/* node-a, and node-b again: this callback leaves the records where they were. */
	assert_int_equal(zks_reaper_pass(c->rc, GRACE + 1), 2);
	assert_int_equal(lc.n, 3);
	assert_true(!strcmp(lc.nodes[1], "node-a") || !strcmp(lc.nodes[2], "node-a"));
}

static void test_clock_restarts_while_mirror_unsynced(void **state)
{
	struct cluster *c = *state;
	struct reap_log la = {0};

	zks_reaper_add(c->ra, log_reap, &la);
	kill_node(c, &c->n2);
	assert_int_equal(zks_reaper_pass(c->ra, 0), 0);
	/* An incomplete view proves nothing: the wait starts again at the last such pass. */
	zks_mem_backend_set_down(c->b, true);
	assert_int_equal(zks_reaper_pass(c->ra, GRACE), 0);
	zks_mem_backend_set_down(c->b, false);
	assert_int_equal(zks_reaper_pass(c->ra, 2 * GRACE - 1), 0);
	assert_int_equal(la.n, 0);
	assert_int_equal(zks_reaper_pass(c->ra, 2 * GRACE), 1);
	assert_string_equal(la.nodes[0], "node-b");
}

static void test_node_that_comes_back_is_not_reaped(void **state)
{
	struct cluster *c = *state;
	struct zks_store *back = zks_store_mem_new(c->b);
	struct zks_store_status st;
	struct reap_log la = {0};
	struct zks_error err = {0};

	zks_reaper_add(c->ra, log_reap, &la);
	kill_node(c, &c->n2);
	assert_int_equal(zks_reaper_pass(c->ra, 0), 0);
	/* node-b registers again on a new session before the grace is over. */
	assert_ok(store_create(back, "/nodes/node-b", "{}", 2, ZKS_EPHEMERAL, &err), &err);
	assert_int_equal(zks_reaper_pass(c->ra, GRACE), 0);
	/* And goes again: a new wait, from the pass that sees it gone. */
	store_status(back, &st);
	zks_mem_backend_expire(c->b, st.session_id);
	assert_int_equal(zks_reaper_pass(c->ra, 2 * GRACE), 0);
	assert_int_equal(zks_reaper_pass(c->ra, 3 * GRACE - 1), 0);
	assert_int_equal(la.n, 0);
	assert_int_equal(zks_reaper_pass(c->ra, 3 * GRACE), 1);
	store_destroy(back);
}

static void test_failed_reclaim_is_retried(void **state)
{
	struct cluster *c = *state;
	struct reap_log la = {.fail_next = true};

	zks_reaper_add(c->ra, log_reap, &la);
	kill_node(c, &c->n2);
	assert_int_equal(zks_reaper_pass(c->ra, 0), 0);
	/* A failure does not count; the node still holds its records: the next pass asks again. */
	assert_int_equal(zks_reaper_pass(c->ra, GRACE), 0);
	assert_int_equal(la.n, 1);
	assert_int_equal(zks_reaper_pass(c->ra, GRACE + 1), 1);
	assert_int_equal(la.n, 2);
	assert_string_equal(la.nodes[1], "node-b");
}

/* Volume leases are ephemeral: they go with the session, without a reaper. */
static void test_volume_leases_need_no_reaper(void **state)
{
	struct cluster *c = *state;
	char *lease = zks_path_volume_lease("data", "node-b");
	struct test_node v;
	struct zks_error err = {0};

	test_node_init(&v, c->b, "node-b");
	assert_ok(test_create(v.v, "data", NULL, &err), &err);
	assert_ok(test_mount(v.v, "data", "m1", &err), &err);
	assert_true(test_store_exists(c->a.store, lease));
	zks_mem_backend_expire(c->b, test_node_session(&v));
	assert_false(test_store_exists(c->a.store, lease));
	test_node_fini(&v);
	free(lease);
}

static void put(struct zks_store *s, const char *path, enum zks_node_kind kind)
{
	struct zks_error err = {0};

	assert_ok(store_create(s, path, "{}", 2, kind, &err), &err);
}

/*
 * Name sets: /names/gone (its network is gone, empty) goes; /names/shared (its network is
 * there) and /names/held (a name left in it) stay until the name goes with its session.  Only
 * the leader removes, and nothing while the mirror is not synced.
 */
static void test_empty_name_sets_of_gone_networks(void **state)
{
	struct cluster *c = *state;
	char *name = zks_path_name("held", EPB);

	put(c->a.store, "/names/gone", ZKS_PERSISTENT);
	put(c->a.store, "/names/shared", ZKS_PERSISTENT);
	put(c->a.store, "/names/held", ZKS_PERSISTENT);
	put(c->n2.store, name, ZKS_EPHEMERAL);
	/* node-a leads: node-c's passes remove nothing. */
	assert_int_equal(zks_reaper_pass(c->ra, 0), 0);
	put(c->a.store, "/names/later", ZKS_PERSISTENT);
	assert_int_equal(zks_reaper_pass(c->rc, 0), 0);
	assert_false(zks_reaper_is_leader(c->rc));
	assert_true(test_store_exists(c->a.store, "/names/later"));
	/* Nor does the leader while its view is incomplete. */
	zks_mem_backend_set_down(c->b, true);
	assert_int_equal(zks_reaper_pass(c->ra, 1), 0);
	zks_mem_backend_set_down(c->b, false);
	assert_true(test_store_exists(c->a.store, "/names/later"));
	assert_int_equal(zks_reaper_pass(c->ra, 2), 0);
	assert_false(test_store_exists(c->a.store, "/names/gone"));
	assert_false(test_store_exists(c->a.store, "/names/later"));
	assert_true(test_store_exists(c->a.store, "/names/shared"));
	assert_true(test_store_exists(c->a.store, "/names/held"));
	assert_true(test_store_exists(c->a.store, name));
	assert_true(test_store_exists(c->a.store, ZKS_NAMES));
	/* The name goes with node-b's session (no grace: it is ephemeral), then its set. */
	kill_node(c, &c->n2);
	assert_false(test_store_exists(c->a.store, name));
	assert_true(test_store_exists(c->a.store, "/names/held"));
	assert_int_equal(zks_reaper_pass(c->ra, 3), 0);
	assert_false(test_store_exists(c->a.store, "/names/held"));
	assert_true(test_store_exists(c->a.store, "/names/shared"));
	free(name);
}

struct sweep_log {
	int n;
	int64_t last_ms;
};

static void log_sweep(void *ctx, int64_t now_ms)
{
	struct sweep_log *l = ctx;

	l->n++;
	l->last_ms = now_ms;
}

/* Sweeps run at the leader's passes only, with the pass's time; a follower's never. */
static void test_sweeps_run_on_the_leader(void **state)
{
	struct cluster *c = *state;
	struct sweep_log la = {0}, lc = {0};

	zks_reaper_add_sweep(c->ra, log_sweep, &la);
	zks_reaper_add_sweep(c->rc, log_sweep, &lc);
	assert_int_equal(zks_reaper_pass(c->ra, 5), 0);
	assert_int_equal(zks_reaper_pass(c->rc, 6), 0);
	assert_int_equal(zks_reaper_pass(c->ra, 7), 0);
	assert_true(zks_reaper_is_leader(c->ra));
	assert_int_equal(la.n, 2);
	assert_int_equal(la.last_ms, 7);
	assert_int_equal(lc.n, 0);
	/* The leader gone, node-c's next pass leads and sweeps. */
	kill_node(c, &c->a);
	assert_int_equal(zks_reaper_pass(c->rc, 8), 0);
	assert_int_equal(lc.n, 1);
	assert_int_equal(lc.last_ms, 8);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dead_node_reclaimed_after_grace),
		T(test_live_nodes_kept),
		T(test_one_leader),
		T(test_leadership_moves_when_leader_dies),
		T(test_clock_restarts_while_mirror_unsynced),
		T(test_node_that_comes_back_is_not_reaped),
		T(test_failed_reclaim_is_retried),
		T(test_volume_leases_need_no_reaper),
		T(test_empty_name_sets_of_gone_networks),
		T(test_sweeps_run_on_the_leader),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
