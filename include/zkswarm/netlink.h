/*
 * netlink.h - the kernel side of networks: per network and node a Linux
 * bridge with a VXLAN device on it, a veth pair per endpoint, and on the
 * VXLAN device the forwarding (MAC -> remote tunnel address) and neighbour
 * (IP -> MAC) entries of other nodes' endpoints.  Through libnl-route-3.
 *
 * Every call is idempotent: creating what exists (with the same settings)
 * or deleting what is missing succeeds.  The core calls these through the
 * table so its unit tests can run with a fake.
 */
#ifndef ZKSWARM_NETLINK_H
#define ZKSWARM_NETLINK_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/error.h"

struct zks_net_spec {
	const char *bridge;   /* e.g. "zkbr4096" (at most 15 bytes) */
	const char *vxlan;    /* e.g. "zkvx4096" */
	uint32_t vni;	      /* 1 .. 16777215 */
	int mtu;	      /* of bridge, vxlan and veths */
	struct in_addr local; /* this node's tunnel (underlay) address */
	int underlay_ifindex; /* device carrying the tunnel traffic, 0 = let the kernel route */
	uint16_t port;	      /* UDP port, 4789 */
	/* The bridge's MAC (the same on every node, so containers' ARP entries for the
	 * gateway never go stale); all zero: left as the kernel chose it. */
	uint8_t bridge_mac[6];
	/* The network's gateway: the one IPv4 address of the bridge (any other goes);
	 * gateway_len 0: no address at all. */
	struct in_addr gateway;
	uint8_t gateway_len;
};

/* Another node's endpoint, as programmed on the VXLAN device. */
struct zks_remote_ep {
	struct in_addr ip;
	uint8_t mac[6];
	struct in_addr vtep; /* the remote node's tunnel address */
};

struct zks_net {
	/* Bridge and VXLAN device exist, are up, and the VXLAN device (learning off,
	 * ARP proxy on) is a port of the bridge; a VXLAN device with another VNI,
	 * local address or port is replaced.  The bridge has spec's MAC (if set) and
	 * exactly spec's gateway as its IPv4 addresses. */
	int (*ensure_network)(struct zks_net *n, const struct zks_net_spec *spec,
			      struct zks_error *err);
	/* Remove the VXLAN device and the bridge (and any veth still on it). */
	int (*delete_network)(struct zks_net *n, const char *bridge, const char *vxlan,
			      struct zks_error *err);
	/* A veth pair: host_if is a port of bridge and up; peer_if (left in this
	 * namespace for the engine to move into the container) gets mac. */
	int (*create_veth)(struct zks_net *n, const char *host_if, const char *peer_if,
			   const char *bridge, const uint8_t mac[6], int mtu,
			   struct zks_error *err);
	/* Delete a link (for a veth: the pair). */
	int (*delete_link)(struct zks_net *n, const char *name, struct zks_error *err);
	bool (*link_exists)(struct zks_net *n, const char *name);
	/* Names of the links whose name starts with prefix. */
	int (*list_links)(struct zks_net *n, const char *prefix, char ***names, size_t *count,
			  struct zks_error *err);
	/* Make the permanent FDB and neighbour entries on the VXLAN device exactly eps:
	 * add the missing, replace the changed, delete the others. */
	int (*sync_remote)(struct zks_net *n, const char *vxlan, const struct zks_remote_ep *eps,
			   size_t neps, struct zks_error *err);
};

extern struct zks_net zks_kernel_net;

/* The IPv4 address and device of the default route (the tunnel address by default). */
int zks_net_default_address(struct in_addr *addr, char ifname[IF_NAMESIZE], int *mtu,
			    struct zks_error *err);
/* The device holding addr, its index and MTU. */
int zks_net_address_device(struct in_addr addr, char ifname[IF_NAMESIZE], int *ifindex, int *mtu,
			   struct zks_error *err);

#endif
