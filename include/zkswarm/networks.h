/*
 * networks.h - cluster-wide networks: their records, endpoints, VXLAN
 * identifiers, node registrations, and this node's kernel state for them.
 *
 * Records in the store:
 *   /networks/<key>                      {"key","subnet","gateway","vni","mtu","options",...}
 *   /networks/<key>/members/<node>:<id>  persistent: Docker network <id> on <node> is this network
 *   /networks/<key>/endpoints/<id>       persistent: {"node","address","mac","network"}
 *   /vnis/<n>                            persistent: {"network": key}: VXLAN identifier n is taken
 *   /nodes/<node>                        ephemeral: {"address": tunnel address, ...}
 *
 * <key> is Docker's network ID, or the cluster-wide name given with
 * `-o cluster-name=NAME`, so that networks created on several standalone
 * engines are one network.
 *
 * The kernel side on each node (bridge + VXLAN device per network with
 * local members, a veth per local endpoint, forwarding and neighbour
 * entries for other nodes' endpoints) is derived from these records by a
 * reconciler thread, woken by every change of the mirror and every 10 s.
 */
#ifndef ZKSWARM_NETWORKS_H
#define ZKSWARM_NETWORKS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/error.h"
#include "zkswarm/kv.h"
#include "zkswarm/netlink.h"
#include "zkswarm/plugin_name.h"
#include "zkswarm/store.h"

struct zks_networks;

struct zks_networks_config {
	const char *node_id;
	struct in_addr tunnel; /* this node's VXLAN endpoint; 0.0.0.0: networking unavailable */
	int underlay_ifindex;  /* 0: any */
	int underlay_mtu;      /* MTU of the underlay device (default MTU is this - 50) */
	uint16_t vxlan_port;
	const char *unavailable; /* why tunnel is unset, for the error message */
	const char *zk_root;	 /* names this cluster's links apart from another's on the host */
	struct zks_plugin_name *plugin_name; /* for messages (plugin_name.h); NULL: the default */
};

struct zks_endpoint_info {
	char *address;
	char *mac;
	char *node;
	char *network;
};

struct zks_networks *zks_networks_new(struct zks_store *store, struct zks_net *net,
				      const struct zks_networks_config *cfg);
/* Stop the reconciler (before the store goes); free after the store is destroyed,
 * since the store's callbacks point here. */
void zks_networks_stop(struct zks_networks *n);
void zks_networks_free(struct zks_networks *n);

/* options: the -o values (com.docker.network.generic); pool and gateway in CIDR form. */
int zks_networks_create(struct zks_networks *n, const char *docker_id, const struct zks_kv *options,
			size_t noptions, const char *pool, const char *gateway,
			struct zks_error *err);
int zks_networks_delete(struct zks_networks *n, const char *docker_id, struct zks_error *err);

/* mac may be NULL or ""; then one is generated and returned in *mac_out. */
int zks_networks_create_endpoint(struct zks_networks *n, const char *docker_id,
				 const char *endpoint_id, const char *address, const char *mac,
				 char **mac_out, struct zks_error *err);
int zks_networks_delete_endpoint(struct zks_networks *n, const char *docker_id,
				 const char *endpoint_id, struct zks_error *err);
/* Plumb the endpoint: *ifname is the interface the engine moves into the container. */
int zks_networks_join(struct zks_networks *n, const char *docker_id, const char *endpoint_id,
		      char **ifname, struct zks_error *err);
int zks_networks_leave(struct zks_networks *n, const char *docker_id, const char *endpoint_id,
		       struct zks_error *err);
int zks_networks_endpoint_info(struct zks_networks *n, const char *docker_id,
			       const char *endpoint_id, struct zks_endpoint_info *out,
			       struct zks_error *err);
void zks_endpoint_info_clear(struct zks_endpoint_info *info);

/* Remove a dead node's endpoints and memberships (a zks_reap_fn; ctx is the service). */
int zks_networks_reap_node(void *ctx, const char *node, struct zks_error *err);

/* Make this node's kernel state match the records now (the reconciler does it by itself too). */
int zks_networks_reconcile(struct zks_networks *n, struct zks_error *err);

/* The 3-character tag of this cluster's link names ("zk<tag>b<vni>", ...). */
void zks_networks_link_tag(const char *zk_root, char tag[4]);

/* The accepted -o options of a network, for messages and docs. */
const char *zks_network_options_accepted(void);

#endif
