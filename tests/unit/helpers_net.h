/*
 * helpers_net.h - fixtures of the network side's unit tests (implemented in
 * helpers.c): network nodes (an IPAM and a networks service on their own
 * session of a shared in-memory backend, with the fake kernel network of
 * tests/fakes/fakes_net.h).
 */
#ifndef ZKSWARM_TEST_HELPERS_NET_H
#define ZKSWARM_TEST_HELPERS_NET_H

#include "fakes_net.h"
#include "helpers.h"
#include "zkswarm/ipam.h"
#include "zkswarm/netlink.h"
#include "zkswarm/networks.h"

/* ---- fake kernel networking (tests/fakes/fakes_net.h) --------------------------------------- */

/* Whether the last sync_remote of vxlan holds an entry for ip ("a.b.c.d"), and its VTEP/MAC. */
bool fake_net_remote_has(struct fake_net *fn, const char *vxlan, const char *ip,
			 struct zks_remote_ep *out);

/* ---- network nodes: IPAM and networks service on their own session -------------------------- */

#define TEST_ZK_ROOT "/zkswarm"
#define TEST_UNDERLAY_MTU 1500
#define TEST_DEFAULT_POOL "10.200.0.0/16"
#define TEST_DEFAULT_SIZE 24

struct test_net_node {
	char *id;
	char tunnel[16]; /* "" when networking is unavailable */
	struct zks_store *store;
	struct fake_net net;
	struct zks_ipam *ipam;
	struct zks_networks *nw;
	char tag[4]; /* of link names */
};

/* tunnel: this node's VXLAN address, or NULL for a node without one. */
void test_net_node_init(struct test_net_node *n, struct zks_mem_backend *b, const char *id,
			const char *tunnel);
/* Stop the reconciler: call for every node before the backend is freed. */
void test_net_node_stop(struct test_net_node *n);
/* After the backend is freed (the backend's change callbacks point into the service). */
void test_net_node_fini(struct test_net_node *n);
int64_t test_net_node_session(struct test_net_node *n);
/* Link names of this node for vni / endpoint id (IF_NAMESIZE bytes each). */
void test_net_bridge(const struct test_net_node *n, uint32_t vni, char out[16]);
void test_net_vxlan(const struct test_net_node *n, uint32_t vni, char out[16]);
void test_net_veth(const struct test_net_node *n, const char *endpoint_id, char host[16],
		   char peer[16]);

/* An IPAM with a default range given as text. */
struct zks_ipam *test_ipam_new(struct zks_store *s, const char *node, const char *default_pool,
			       uint8_t default_size);
/* RequestPool of subnet that must succeed; returns the pool ID (free it). */
char *test_claim_pool(struct test_net_node *n, const char *subnet);
/* Create with options written "k=v,k=v" (NULL or "": none). */
int test_net_create(struct test_net_node *n, const char *docker_id, const char *opts,
		    const char *pool, struct zks_error *err);
/* The VNI in the record of network key (fails the test if there is none). */
uint32_t test_net_vni(struct zks_store *s, const char *key);

#endif
