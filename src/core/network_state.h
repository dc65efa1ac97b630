/*
 * network_state.h - what the network service's files share (private to
 * src/core): the service's state, a network as loaded from its record, the
 * names of its kernel devices and the look-ups every request starts with.
 *
 * The files above it: networks.c (create, delete, the service's life),
 * endpoints.c (endpoints, Join, Leave), reconcile.c (the reconciler thread
 * and the reaping of a dead node's records) and nodes.c (this node's
 * registration).  They call down into network_state.c and not across,
 * except networks.c, which starts the reconciler and hands the store the
 * node's registration (the last two declarations below).
 */
#ifndef ZKSWARM_NETWORK_STATE_H
#define ZKSWARM_NETWORK_STATE_H

#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>

#include "zkswarm/cidr.h"
#include "zkswarm/networks.h"
#include "zkswarm/records.h"

#define VNI_MIN 4096u
#define VNI_MAX ZKS_VNI_MAX /* the record's bound is the option's */
#define VXLAN_OVERHEAD 50

struct zks_networks {
	struct zks_store *store;
	struct zks_net *net;
	char *node_id;
	char *member_prefix; /* "<node>:" */
	struct in_addr tunnel;
	int underlay_ifindex;
	int underlay_mtu;
	uint16_t vxlan_port;
	char *unavailable;
	struct zks_plugin_name *plugin_name; /* the daemon's: in messages of what to type */
	char instance[17];
	char tag[4]; /* in link names: which cluster's links they are */

	pthread_mutex_t lock; /* serialises requests that change this node's networks */

	pthread_mutex_t wake_lock;
	pthread_cond_t wake;
	bool wanted;
	bool stopping;
	pthread_t reconciler;
};

/* A network as the service uses it: its record's kernel settings and version. */
struct network_record {
	char key[256];
	struct zks_cidr subnet;
	uint32_t vni;
	int mtu;
	uint32_t gateway; /* host byte order; gateway_len 0: the record has none */
	uint8_t gateway_len;
	int32_t version;
};

/* Docker's network and endpoint IDs: 1 to 128 letters and digits. */
int network_check_id(const char *what, const char *id, struct zks_error *err);

/* UNAVAILABLE when this node has no tunnel address (ADVERTISE_ADDR unset or unusable). */
int network_need_dataplane(const struct zks_networks *n, struct zks_error *err);

/* "zk<tag>b<vni>" bridge and "zk<tag>v<vni>" VXLAN device of a network. */
void network_link_names(const struct zks_networks *n, uint32_t vni, char bridge[IF_NAMESIZE],
			char vxlan[IF_NAMESIZE]);
/* "zk<tag>h<id>" host end and "zk<tag>c<id>" container end of an endpoint's veth. */
void network_veth_names(const struct zks_networks *n, const char *endpoint_id,
			char host[IF_NAMESIZE], char peer[IF_NAMESIZE]);

/* Load network key, from ZooKeeper (authoritative) or the mirror. */
int network_load(struct zks_networks *n, const char *key, bool authoritative,
		 struct network_record *rec, struct zks_error *err);

/* The cluster key of Docker network docker_id on this node (*key to free). */
int network_find_key(struct zks_networks *n, const char *docker_id, char **key,
		     struct zks_error *err);

/* The bridge's MAC of a network: locally administered, 02:7a:6b and the VNI's 3 bytes, the
 * same on every node. */
void network_bridge_mac(uint32_t vni, uint8_t mac[6]);

/* The network's bridge (with its MAC and the gateway) and VXLAN device on this node, made if
 * missing. */
int network_ensure_kernel(struct zks_networks *n, const struct network_record *rec,
			  struct zks_error *err);

/* Drop the network's records if nothing refers to it any more (then or meanwhile: 0). */
int network_delete_if_unused(struct zks_networks *n, const struct network_record *rec,
			     struct zks_error *err);

/* Ask the reconciler for a pass (a zks_change_fn). */
void network_wake(void *ctx);

/* reconcile.c: start the reconciler thread; stopping is zks_networks_stop's. */
void network_reconciler_start(struct zks_networks *n);

/* nodes.c: register this node in a new session (a zks_session_fn; ctx is the service). */
void network_register_node(void *ctx, int64_t session_id);

#endif
