/*
 * ctl_cluster.h - zkswarmctl's view of ZooKeeper: a connection through the
 * store (store.h) and a snapshot of every record under ZK_ROOT.
 *
 * The snapshot is a copy of the store's mirror taken once it is synced, so a
 * command works on one frozen view while the mirror keeps following
 * ZooKeeper.  Writes (repair) go through the store: versioned, and verified
 * after a lost connection like the daemon's.
 */
#ifndef ZKSWARM_CTL_CLUSTER_H
#define ZKSWARM_CTL_CLUSTER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/error.h"
#include "zkswarm/records.h"
#include "zkswarm/store.h"
#include "zkswarm/tree.h"

struct ctl_cluster {
	struct zks_store *store;
	struct zks_tree *snap; /* every znode under the root, paths relative to it */
	char *hosts;
	char *root;
	int64_t session_id; /* our own session */
	int64_t taken_ms;   /* wall clock (ms since the epoch) when the snapshot was taken */
};

/*
 * Connect (waiting at most timeout_ms for a session and a full read) and take
 * the snapshot; without snapshot, only connect (no mirror: the snapshot is
 * empty, and the command asks ZooKeeper itself through c->store).  auth_file:
 * "user:password" for digest auth, or NULL/"".
 * -1 with err: UNAVAILABLE when ZooKeeper cannot be reached, INVALID for bad
 * settings, others (access refused) as they come.
 */
int ctl_cluster_open(struct ctl_cluster *c, const char *hosts, const char *root,
		     const char *auth_file, int timeout_ms, bool snapshot, struct zks_error *err);
void ctl_cluster_close(struct ctl_cluster *c);

/* Take the snapshot again (after writes). */
void ctl_cluster_resnap(struct ctl_cluster *c);

/* A record of the snapshot: 0 and its data (NUL-terminated) and stat, -1 if absent. */
int ctl_get(const struct ctl_cluster *c, const char *path, char **data, size_t *len,
	    struct zks_stat *st);
bool ctl_exists(const struct ctl_cluster *c, const char *path);

/*
 * The record as a JSON object; NULL if absent or not a JSON object.  *state
 * (if not NULL) is 0 when absent, 1 when present and an object, -1 when
 * present but not a JSON object.
 */
cJSON *ctl_get_object(const struct ctl_cluster *c, const char *path, struct zks_stat *st,
		      int *state);

/* The records read by their codecs (records.h); out points to the kind's struct. */
enum ctl_record {
	CTL_LEASE,   /* struct zks_record_lease */
	CTL_VNI,     /* struct zks_record_vni */
	CTL_SUBNET,  /* struct zks_record_subnet */
	CTL_ADDRESS, /* struct zks_record_address */
	CTL_NODE,    /* struct zks_record_node */
	CTL_LEADER,  /* struct zks_record_leader */
	CTL_NAME,    /* struct zks_record_name */
};

/*
 * A record of the snapshot read by its codec: 1 when present and decoded, 0
 * when absent, -1 when present but unreadable (not a JSON object, or a NUL
 * inside) - the states of ctl_get_object().  out is empty unless 1; clear it
 * (zks_record_X_clear) in any case.
 */
int ctl_get_record(const struct ctl_cluster *c, const char *path, struct zks_stat *st,
		   enum ctl_record kind, void *out);
/* The same, with why a present record is unreadable in err (when -1 and err is not NULL). */
int ctl_get_record_why(const struct ctl_cluster *c, const char *path, struct zks_stat *st,
		       enum ctl_record kind, void *out, struct zks_error *err);

/* A per-node count as zkswarmctl counts it: 0 unless at least 1 (ctl_count()'s rule). */
long ctl_record_count(const struct zks_record_count *e);

/* Sorted child names; an absent node has none.  Free with zks_free_strv(). */
size_t ctl_children(const struct ctl_cluster *c, const char *path, char ***names);

/*
 * The address records under a subnet's addrs (given), grouped there by /24: their
 * paths, group by group.  Free with zks_free_strv().
 */
size_t ctl_addresses(const struct ctl_cluster *c, const char *addrs, char ***paths);

/* /nodes/<node> exists. */
bool ctl_registered(const struct ctl_cluster *c, const char *node);

/* A per-node count from a record: 0 unless a positive number; huge ones capped at 1e9. */
long ctl_count(const cJSON *v);

/* The integer member key of obj within [min, max]: true and *out, else false. */
bool ctl_int(const cJSON *obj, const char *key, long min, long max, long *out);

/* A string member of obj, or NULL. */
const char *ctl_str(const cJSON *obj, const char *key);

/* "4s", "3m12s", "2h05m", "6d03h" */
void ctl_format_age(int64_t ms, char out[32]);

/* A ZooKeeper ctime/mtime (ms since the epoch) as RFC 3339, UTC. */
void ctl_format_time(int64_t epoch_ms, char out[32]);

#endif
