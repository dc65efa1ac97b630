/*
 * ipam.h - cluster-wide IPv4 address management.
 *
 * Records in the store:
 *   /ipam/subnets                       persistent; its version serialises subnet claims
 *   /ipam/subnets/<a.b.c.d-len>         a claimed subnet: {"cidr","refs":{node:n},"gateway",...}
 *   /ipam/subnets/<a.b.c.d-len>/addrs/<ip>   an allocated address:
 *                                       {"holders":{node:n},"kind":"address"|"gateway","swarm":bool}
 *
 * A pool is a claimed subnet (optionally with a sub-range for dynamic
 * addresses); requesting the same subnet again shares it (counted per node),
 * an overlapping one is refused, naming its holder.  An address is claimed
 * by creating its record: two nodes racing for one address cannot both win.
 * Addresses handed out by a swarm manager (`serial` requests) and gateways
 * can be requested again by value from other nodes and are released once
 * per request (Swarm's pattern, PROTOCOL-TRACES.md).
 */
#ifndef ZKSWARM_IPAM_H
#define ZKSWARM_IPAM_H

#include <stdbool.h>

#include "zkswarm/cidr.h"
#include "zkswarm/error.h"
#include "zkswarm/store.h"

#define ZKS_ADDRESS_SPACE_LOCAL "zkswarm-local"
#define ZKS_ADDRESS_SPACE_GLOBAL "zkswarm-global"

struct zks_ipam;

struct zks_ipam_config {
	const char *node_id;
	struct zks_cidr default_pool; /* subnets without an explicit --subnet come from here */
	uint8_t default_size;	      /* their prefix length */
};

struct zks_ipam *zks_ipam_new(struct zks_store *store, const struct zks_ipam_config *cfg);
void zks_ipam_free(struct zks_ipam *ipam);

/* pool: CIDR or NULL/"" (carve one from the default range); subpool: CIDR inside pool or NULL.
 * Fills *pool_id and *cidr (both allocated). */
int zks_ipam_request_pool(struct zks_ipam *ipam, const char *pool, const char *subpool, bool v6,
			  char **pool_id, char **cidr, struct zks_error *err);
int zks_ipam_release_pool(struct zks_ipam *ipam, const char *pool_id, struct zks_error *err);

/* address: a.b.c.d or NULL/"" for any free one.  *out is "a.b.c.d/len". */
int zks_ipam_request_address(struct zks_ipam *ipam, const char *pool_id, const char *address,
			     bool gateway, bool serial, char **out, struct zks_error *err);
int zks_ipam_release_address(struct zks_ipam *ipam, const char *pool_id, const char *address,
			     struct zks_error *err);

/* Remove a dead node's references and holds (a zks_reap_fn; ctx is the ipam). */
int zks_ipam_reap_node(void *ctx, const char *node, struct zks_error *err);

/* The subnet a pool ID names (for the network driver's checks). */
int zks_ipam_pool_subnet(const char *pool_id, struct zks_cidr *subnet, struct zks_error *err);

/* Whether subnet is one the IPAM claimed: 0, or NOT_FOUND (or the store's error).  Asks
 * ZooKeeper, not the mirror; for the network driver, which has no zks_ipam of its own. */
int zks_ipam_subnet_claimed(struct zks_store *store, const struct zks_cidr *subnet,
			    struct zks_error *err);

#endif
