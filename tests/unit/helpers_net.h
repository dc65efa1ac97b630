/*
 * helpers_net.h - fixtures of the network side's unit tests (implemented in
 * helpers.c): a fake kernel network that records what the core asks of it,
 * and network nodes (an IPAM and a networks service on their own session
 * of a shared in-memory backend).
 */
#ifndef ZKSWARM_TEST_HELPERS_NET_H
#define ZKSWARM_TEST_HELPERS_NET_H

#include <netinet/in.h>
#include <pthread.h>

#include "helpers.h"
#include "zkswarm/ipam.h"
#include "zkswarm/netlink.h"
#include "zkswarm/networks.h"

/* ---- fake kernel networking ------------------------------------------------------------------ */

/*
 * A struct zks_net that keeps links in memory and records every call.  The
 * networks service calls it from the request thread and from its reconciler
 * thread at once, so everything here is behind a lock and the accessors
 * copy.  Like the kernel, create_veth needs the bridge and sync_remote the
 * VXLAN device; every call is idempotent.
 */
enum fake_net_op {
	FNET_ENSURE_NETWORK,
	FNET_DELETE_NETWORK,
	FNET_CREATE_VETH,
	FNET_DELETE_LINK,
	FNET_LINK_EXISTS,
	FNET_LIST_LINKS,
	FNET_SYNC_REMOTE,
	FNET_NOPS
};

struct fake_net_call {
	enum fake_net_op op;
	char name[32];	 /* bridge (ensure, delete_network), host_if (veth), link (delete_link,
			    link_exists), prefix (list_links), vxlan (sync_remote) */
	char name2[32];	 /* vxlan (ensure, delete_network), peer_if (veth) */
	char bridge[32]; /* veth's bridge */
	uint32_t vni;
	int mtu;
	struct in_addr local;
	int underlay_ifindex;
	uint16_t port;
	uint8_t mac[6];
	size_t neps;
	bool failed;
};

struct fake_link {
	char *name;
	char *master; /* bridge it is a port of, NULL if none */
	char *peer;   /* the other end of a veth, NULL if none */
	uint32_t vni; /* of a VXLAN device */
	uint8_t mac[6];
	int mtu;
};

struct fake_remote {
	char *vxlan;
	struct zks_remote_ep *eps;
	size_t neps;
};

struct fake_net {
	struct zks_net base; /* first: the core sees only this */
	pthread_mutex_t lock;
	struct fake_net_call *calls;
	size_t ncalls;
	struct fake_link *links;
	size_t nlinks;
	struct fake_remote *remotes; /* the last sync_remote per VXLAN device */
	size_t nremotes;
	bool fail_next[FNET_NOPS];
	pthread_t fail_thread[FNET_NOPS];
};

void fake_net_init(struct fake_net *fn);
void fake_net_fini(struct fake_net *fn);
/*
 * Make the next call of op fail with ZKS_ERR_SYSTEM (one shot), but only a
 * call made by the calling thread, so the service's reconciler thread
 * cannot take the failure meant for the test's own request.
 */
void fake_net_fail_next(struct fake_net *fn, enum fake_net_op op);
size_t fake_net_count(struct fake_net *fn, enum fake_net_op op);
/* The last call of op (about name, if not NULL) into *out; false if none. */
bool fake_net_last(struct fake_net *fn, enum fake_net_op op, const char *name,
		   struct fake_net_call *out);
bool fake_net_has_link(struct fake_net *fn, const char *name);
/* A copy of the link (free with fake_link_clear); false if absent. */
bool fake_net_link(struct fake_net *fn, const char *name, struct fake_link *out);
void fake_link_clear(struct fake_link *l);
/* Add a link as if someone (an earlier run, another tool) had left it there. */
void fake_net_add_link(struct fake_net *fn, const char *name, const char *master);
size_t fake_net_nlinks(struct fake_net *fn);
/* A copy of the last sync_remote of vxlan (free *eps); false if never synced. */
bool fake_net_remote(struct fake_net *fn, const char *vxlan, struct zks_remote_ep **eps,
		     size_t *neps);
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
