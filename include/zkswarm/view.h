/*
 * view.h - the records as JSON documents, built from a snapshot (snapshot.h).
 *
 * view.c: the documents of zkswarmctl's commands (its `--json` output, from
 * which it renders its tables): a volume, a network, a pool, a name, the
 * nodes, the reaper, the counts.  view_cluster.c: the dashboard's cluster
 * document (docs: the dashboard contract), minus what only the serving daemon
 * knows (self, ensemble, seq, generated_at).  Every builder returns a new
 * document to cJSON_Delete; none keeps a pointer into the snapshot.
 */
#ifndef ZKSWARM_VIEW_H
#define ZKSWARM_VIEW_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/snapshot.h"

/* "0x1a2b": a ZooKeeper session id as zkswarmctl and the dashboard show it (to free). */
char *zks_view_session_hex(int64_t id);

/*
 * A volume: its record's fields (access, options, created_by/at), "valid", its holders
 * ({node, mounts, exclusive, registered}; with detail also mount_ids, updated_at,
 * ephemeral, session, valid) and exclusive_holder.
 */
cJSON *zks_view_volume(const struct zks_snapshot *s, const char *name, bool detail);

/* A network: its record (subnet, gateway, vni, vni_claimed, mtu, options, created_*), its
 * members (and members_per_node), its endpoints (and endpoints_per_node). */
cJSON *zks_view_network(const struct zks_snapshot *s, const char *key);

/* A pool (name: the record's, "a.b.c.d-len"): subnet, refs, gateway, addresses_used,
 * usable_hosts, the keys of the networks on it; with detail, every address record. */
cJSON *zks_view_pool(const struct zks_snapshot *s, const char *name, bool detail);

/* The name record of endpoint ep in network key, with registered and stale. */
cJSON *zks_view_name(const struct zks_snapshot *s, const char *key, const char *ep);

/* What nodes hold, by the records' layout (as the reaper reads it): {node: {what: count}},
 * what being members, endpoints, addresses, pool_refs, leases; positive counts only. */
cJSON *zks_view_holdings(const struct zks_snapshot *s);

/* The registered nodes (state "registered", or "persistent" for a registration without a
 * session), then the unregistered ones that hold records (state "gone"). */
cJSON *zks_view_nodes(const struct zks_snapshot *s);

/* {leader, session, leader_registered} of /reaper/leader. */
cJSON *zks_view_reaper(const struct zks_snapshot *s);

/* {nodes, volumes, leases, networks, endpoints, pools, addresses, vnis}: records counted. */
cJSON *zks_view_record_counts(const struct zks_snapshot *s);

/* ---- the dashboard's cluster document (view_cluster.c) --------------------------------------- */

/* What the serving daemon knows of a node's heartbeat (/heartbeats/<node>, not mirrored). */
struct zks_view_beat {
	const char *node;
	int64_t age_ms;	  /* how old its last beat is; -1: never heard */
	int64_t every_ms; /* how often it beats (the beat's own every_ms) */
};

struct zks_view_liveness {
	const struct zks_view_beat *beats; /* in any order; a node named twice: the first counts */
	size_t n;
};

/*
 * The cluster document: {"nodes", "volumes", "networks", "pools", "counts"} as the dashboard
 * contract describes them, lists sorted by id/name.  A node's state:
 *   connected  registered (/nodes/<id>), and its beat at most 2 x every_ms old, or no beat
 *              known (live NULL or not listing it: the registration's session is alive);
 *   cut off    registered, and its beat older than that;
 *   expired    not registered, but records still name it (leases, endpoints, addresses,
 *              members);
 *   reaped     not registered, nothing names it, only its beat is left.
 * live may be NULL (no beats known: last_heard_ms null everywhere).  Config volumes carry
 * "config": {version, files, at, by} of their head record (/configs/<name>).
 */
cJSON *zks_view_cluster(const struct zks_snapshot *s, const struct zks_view_liveness *live);

#endif
