/*
 * snapshot.h - a frozen copy of the records: every znode under ZK_ROOT
 * copied out of a store's mirror, and the accessors that read it.
 *
 * zkswarmctl takes one per command; the dashboard's daemon takes one per
 * view it builds (view.h).  A snapshot is never changed by the store behind
 * it, so a document built from it is one consistent picture, while the mirror
 * keeps following ZooKeeper.  It does no locking: one thread reads it, or
 * many read it and none writes.  Records are untrusted: the accessors say
 * when one is absent or unreadable, and never stop on it.
 */
#ifndef ZKSWARM_SNAPSHOT_H
#define ZKSWARM_SNAPSHOT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/error.h"
#include "zkswarm/records.h"
#include "zkswarm/store.h"
#include "zkswarm/tree.h"

struct zks_snapshot {
	struct zks_tree *tree; /* every znode under the root, paths relative to it */
	int64_t taken_ms;      /* wall clock (ms since the epoch) when it was taken */
};

/* An empty snapshot (no records), taken now. */
void zks_snap_init(struct zks_snapshot *s);

/*
 * Copy the store's mirror (store_cached_*) into s, replacing what s held (s is empty or
 * taken before).  Bounded by the mirror's size; the mirror may change meanwhile (each
 * node is read once, as it is then).
 */
void zks_snap_take(struct zks_snapshot *s, struct zks_store *store);

/* Free the tree; s is empty again (all zero). */
void zks_snap_clear(struct zks_snapshot *s);

/* A record: 0 and its data (NUL-terminated) and stat, -1 if absent. */
int zks_snap_get(const struct zks_snapshot *s, const char *path, char **data, size_t *len,
		 struct zks_stat *st);
bool zks_snap_exists(const struct zks_snapshot *s, const char *path);

/*
 * The record as a JSON object; NULL if absent or not a JSON object.  *state
 * (if not NULL) is 0 when absent, 1 when present and an object, -1 when
 * present but not a JSON object.
 */
cJSON *zks_snap_get_object(const struct zks_snapshot *s, const char *path, struct zks_stat *st,
			   int *state);

/* The records read by their codecs (records.h); out points to the kind's struct. */
enum zks_snap_record {
	ZKS_SNAP_LEASE,	  /* struct zks_record_lease */
	ZKS_SNAP_VNI,	  /* struct zks_record_vni */
	ZKS_SNAP_SUBNET,  /* struct zks_record_subnet */
	ZKS_SNAP_ADDRESS, /* struct zks_record_address */
	ZKS_SNAP_NODE,	  /* struct zks_record_node */
	ZKS_SNAP_LEADER,  /* struct zks_record_leader */
	ZKS_SNAP_NAME,	  /* struct zks_record_name */
};

/*
 * A record read by its codec: 1 when present and decoded, 0 when absent, -1 when present but
 * unreadable (not a JSON object, or a NUL inside) - the states of zks_snap_get_object().  out
 * is empty unless 1; clear it (zks_record_X_clear) in any case.
 */
int zks_snap_get_record(const struct zks_snapshot *s, const char *path, struct zks_stat *st,
			enum zks_snap_record kind, void *out);
/* The same, with why a present record is unreadable in err (when -1 and err is not NULL). */
int zks_snap_get_record_why(const struct zks_snapshot *s, const char *path, struct zks_stat *st,
			    enum zks_snap_record kind, void *out, struct zks_error *err);

/* A per-node count as zkswarmctl counts it: 0 unless at least 1 (zks_snap_count()'s rule). */
long zks_snap_record_count(const struct zks_record_count *e);

/* Sorted child names; an absent node has none.  Free with zks_free_strv(). */
size_t zks_snap_children(const struct zks_snapshot *s, const char *path, char ***names);

/* How many children path has (0 if absent). */
size_t zks_snap_child_count(const struct zks_snapshot *s, const char *path);

/*
 * The address records under a subnet's addrs (given), grouped there by /24: their
 * paths, group by group.  Free with zks_free_strv().
 */
size_t zks_snap_addresses(const struct zks_snapshot *s, const char *addrs, char ***paths);

/* /nodes/<node> exists (false for NULL, "" or a name with a slash). */
bool zks_snap_registered(const struct zks_snapshot *s, const char *node);

/* A per-node count from a record: 0 unless a positive number; huge ones capped at 1e9. */
long zks_snap_count(const cJSON *v);

/* The integer member key of obj within [min, max]: true and *out, else false. */
bool zks_snap_int(const cJSON *obj, const char *key, long min, long max, long *out);

/* A string member of obj, or NULL. */
const char *zks_snap_str(const cJSON *obj, const char *key);

/* "4s", "3m12s", "2h05m", "6d03h" */
void zks_snap_format_age(int64_t ms, char out[32]);

/* A ZooKeeper ctime/mtime (ms since the epoch) as RFC 3339, UTC. */
void zks_snap_format_time(int64_t epoch_ms, char out[32]);

/* The same with milliseconds: "2026-12-05T10:00:00.123Z" (the dashboard's times). */
void zks_snap_format_time_ms(int64_t epoch_ms, char out[32]);

#endif
