/*
 * fakes_net.h - the fake kernel network (implemented in fakes.c), kept apart
 * from fakes.h because its system headers declare names like accept().
 */
#ifndef ZKSWARM_TEST_FAKES_NET_H
#define ZKSWARM_TEST_FAKES_NET_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>

#include "fakes.h"
#include "zkswarm/netlink.h"

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
	uint8_t mac[6];		/* veth's peer MAC; ensure's bridge MAC */
	struct in_addr gateway; /* ensure's */
	uint8_t gateway_len;
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
	struct in_addr addr; /* a bridge's one IPv4 address (addr_len 0: none) */
	uint8_t addr_len;
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
	bool forget_calls; /* set after init: keep the last call only (as struct fake_fs's) */
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
/* Report name unless the kernel would take it as a link name (see fake_violation). */
void fake_net_check_ifname(const char *name);

#endif
