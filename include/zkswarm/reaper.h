/*
 * reaper.h - reclaiming what dead nodes held.
 *
 * A node's registration (/nodes/<node>) is ephemeral: it goes with the
 * node's ZooKeeper session.  Once a node that still holds endpoints,
 * network memberships, pool references or addresses has been unregistered
 * for the grace period, one daemon of the cluster removes what it held, so
 * that `docker network rm` and address reuse are never blocked by a node
 * that will not come back; it also removes the empty name sets
 * (/names/<key>) of networks that are gone.  That daemon is elected through ZooKeeper: the
 * one whose session holds the ephemeral /reaper/leader.  Volume leases need
 * no reaper: they are ephemeral themselves.
 *
 * A node that comes back after being reaped finds its endpoints gone: the
 * grace period must be longer than any partition its containers should
 * survive.
 */
#ifndef ZKSWARM_REAPER_H
#define ZKSWARM_REAPER_H

#include <stdbool.h>
#include <stdint.h>

#include "zkswarm/store.h"

#include "zkswarm/error.h"

struct zks_reaper;

/* Reclaim what node held in one service's records. */
typedef int (*zks_reap_fn)(void *ctx, const char *node, struct zks_error *err);

struct zks_reaper *zks_reaper_new(struct zks_store *store, const char *node_id, int64_t grace_ms);
/* Add a service's reap function (before the first pass). */
void zks_reaper_add(struct zks_reaper *r, zks_reap_fn fn, void *ctx);

/* Housekeeping that only the leader does, at each of its passes (mirror synced), after reaping;
 * it paces itself (now_ms monotonic) and reports its own errors. */
typedef void (*zks_sweep_fn)(void *ctx, int64_t now_ms);
/* Add one (before the first pass). */
void zks_reaper_add_sweep(struct zks_reaper *r, zks_sweep_fn fn, void *ctx);
/* Start the thread: a pass on every mirror change and every few seconds. */
void zks_reaper_start(struct zks_reaper *r);
/* Stop its thread (before the store goes); free after the store is destroyed. */
void zks_reaper_stop(struct zks_reaper *r);
void zks_reaper_free(struct zks_reaper *r);

/* One pass at time now_ms (monotonic): take the leadership if free, and if
 * leader, reap the nodes gone for the grace period.  Returns how many nodes
 * were reaped (every service's reap function succeeded; after a failure,
 * the next pass tries again while the node still holds something).  The thread calls this; tests/unit/test_reaper.c
 * calls it directly. */
int zks_reaper_pass(struct zks_reaper *r, int64_t now_ms);
bool zks_reaper_is_leader(struct zks_reaper *r);

#endif
