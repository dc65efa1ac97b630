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
#include "zkswarm/snapshot.h"
#include "zkswarm/store.h"
#include "zkswarm/tree.h"

struct ctl_cluster {
	struct zks_store *store;
	struct zks_snapshot snap; /* the records (snapshot.h's accessors read them) */
	char *hosts;
	char *root;
	int64_t session_id; /* our own session */
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

#endif
