/*
 * volume_snapshots.h - snapshots of image volumes, asked on any node, taken on the right one.
 *
 * A snapshot is a copy of an image volume's image, taken with its filesystem frozen, kept as
 * <data>/<volume>/snapshots/<snap>.img beside the image (volumes.h) and recorded in ZooKeeper
 * as /snapshots/<volume>@<snap> (records.h).  The record is also the request:
 *
 *   1. the node asked (zks_volume_snapshots_take, from `zkswarmctl volume snapshot`) makes it
 *      "requested", in one transaction with a version bump of the volume's record (so that a
 *      Remove of the volume racing it fails, and one after it sees the snapshot);
 *   2. every node's thread looks at the requests in its mirror; the node that has the volume
 *      mounted, or the requesting node when no node holds it, claims the request by setting it
 *      "taking" at the version it read (one claim wins), and takes the snapshot
 *      (zks_volumes_snapshot_take: frozen if mounted; its lease held meanwhile if not);
 *   3. the same node sets it "done" (size, method, when) or "failed" (why);
 *   4. the requesting node, waiting on its mirror, answers with the outcome; it removes a
 *      failed record, and one no node claimed within its wait.
 *
 * A clone is a Create with option from=VOLUME@SNAP (volumes.c): any node copies the snapshot's
 * file, which every node sees on the data mount.
 *
 * Locks: one (the thread's wake-up and the waiters' condition), a leaf: volumes.c and the store
 * are called without it.
 */
#ifndef ZKSWARM_VOLUME_SNAPSHOTS_H
#define ZKSWARM_VOLUME_SNAPSHOTS_H

#include "zkswarm/error.h"
#include "zkswarm/records.h"
#include "zkswarm/store.h"
#include "zkswarm/volumes.h"

/* How long a request waits for its outcome unless told otherwise. */
#define ZKS_SNAPSHOT_WAIT_MS 120000
#define ZKS_SNAPSHOT_WAIT_MAX_MS 3600000

struct zks_volume_snapshots;

/* store and volumes must outlive it; wait_ms: how long a request waits (0: the default). */
struct zks_volume_snapshots *zks_volume_snapshots_new(struct zks_store *store,
						      struct zks_volumes *volumes,
						      const char *node_id, int wait_ms);
/*
 * Carry out requests from now on: a thread, woken by every change of the mirror (a callback of
 * the store's that cannot be taken back: free this only after store_stop).  Without it a
 * request still waits for its outcome (reading the mirror every 200 ms).
 */
int zks_volume_snapshots_start(struct zks_volume_snapshots *s, struct zks_error *err);
/* Stops the thread (before store_stop). */
void zks_volume_snapshots_stop(struct zks_volume_snapshots *s);
void zks_volume_snapshots_free(struct zks_volume_snapshots *s);

/*
 * Ask for snapshot snap (NULL or "": snap-YYYYMMDDTHHMMSSZ, UTC) of volume and wait up to
 * wait_ms (0: as made) for it; if it is this node's to take, it is taken on this thread.
 * 0 with the done record in *out (clear it), or -1: refused (INVALID: not an image volume or
 * a bad name; NOT_FOUND: no such volume; EXISTS), failed on the node that took it, or not
 * done in time (UNAVAILABLE).
 */
int zks_volume_snapshots_take(struct zks_volume_snapshots *s, const char *volume, const char *snap,
			      int wait_ms, struct zks_record_snapshot *out, struct zks_error *err);
/* Remove a snapshot's record, then its file (NOT_FOUND: none; CONFLICT: being taken). */
int zks_volume_snapshots_remove(struct zks_volume_snapshots *s, const char *volume,
				const char *snap, struct zks_error *err);
/* One look at the requests in the mirror, carrying out this node's (the thread's step). */
void zks_volume_snapshots_pass(struct zks_volume_snapshots *s);

#endif
