/*
 * census.h - how many records of each kind the cluster holds, as this node's
 * mirror last heard (no round trip to ZooKeeper): for the metrics, which
 * should not need to know where records live.
 */
#ifndef ZKSWARM_CENSUS_H
#define ZKSWARM_CENSUS_H

#include <stddef.h>

#include "zkswarm/store.h"

struct zks_census {
	size_t volumes;
	size_t networks;
	size_t subnets; /* the IPAM's pools */
	size_t nodes;	/* registered nodes */
};

/* A kind whose parent is missing from the mirror counts 0. */
void zks_census_take(struct zks_store *store, struct zks_census *out);

#endif
