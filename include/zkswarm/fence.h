/*
 * fence.h - hard fencing of the image volumes mounted on this node.
 *
 * A single-node lease is an ephemeral node: it goes with this node's ZooKeeper session, and
 * then another node may mount the volume.  A directory volume cannot stop the containers
 * already writing to it here; an image volume can, because its filesystem is this node's:
 *
 *   - cut off from ZooKeeper for 2/3 of the session timeout (the store says `fenced`), every
 *     image volume mounted here is frozen (FIFREEZE: writers block, nothing written is lost);
 *   - back with the same session and the volume's fence record still ours: thawed;
 *   - the session is gone (a new one, or it expired): shut down (writers get errors), then
 *     thawed so that blocked writers see the error.  Mounts of it are refused until the
 *     containers using it are stopped (its last Unmount forgets the fence).
 *
 * The fence record, <data>/<name>/fence.json beside the image, is written by every node that
 * takes the volume before it mounts the filesystem: the node, its session, and its token,
 * the creation zxid of the holder node its lease made (zxids only grow: a later lease has a
 * larger token).  A node refuses to mount over a record with a larger token, and a frozen
 * node thaws only if the record is still its own.  After a restart, a volume still mounted
 * here is kept only if the record names this node's current (resumed) session.
 *
 * The timing argument is in docs/DESIGN.md ("Hard fencing").
 *
 * Locks: one, a leaf (volumes.c calls in holding a volume's stripe lock; nothing here calls
 * out to the volume service).
 */
#ifndef ZKSWARM_FENCE_H
#define ZKSWARM_FENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "zkswarm/error.h"
#include "zkswarm/fs.h"
#include "zkswarm/store.h"

/* How often the fencing thread reads the store's status. */
#define ZKS_FENCE_TICK_MS 100

struct zks_fence;

/* The store's status, as the fence reads it; tests give their own. */
typedef void (*zks_fence_status_fn)(void *ctx, struct zks_store_status *out);

/* status NULL: store_status(store). */
struct zks_fence *zks_fence_new(struct zks_store *store, struct zks_fs *fs, const char *node_id,
				zks_fence_status_fn status, void *status_ctx);
void zks_fence_free(struct zks_fence *f);

/*
 * A thread that calls zks_fence_tick every ZKS_FENCE_TICK_MS until zks_fence_free, while any
 * volume is fenced (it sleeps while none is: an idle node is not woken ten times a second).
 */
int zks_fence_start(struct zks_fence *f, struct zks_error *err);

/*
 * A volume is about to be mounted here, its lease taken with token in the current session:
 * refuses (CONFLICT) if record_path holds a larger token, else records ours there and fences
 * the filesystem that will be at target from now on.
 */
int zks_fence_take(struct zks_fence *f, const char *name, const char *record_path,
		   const char *target, int64_t token, struct zks_error *err);

/* Its last Unmount here: no longer fenced, and mounts of it are no longer refused. */
void zks_fence_forget(struct zks_fence *f, const char *name);

/* Refuses (UNAVAILABLE) a mount of a volume this node shut down. */
int zks_fence_check_mount(struct zks_fence *f, const char *name, struct zks_error *err);

/*
 * After a (re)connect, for a volume mounted here: true if this node may keep its lease (its
 * fence record names this node and the current session); false if it was shut down.
 */
bool zks_fence_keeps(struct zks_fence *f, const char *name, const char *record_path,
		     const char *target);

/*
 * Run copy(ctx) with the filesystem of volume name, mounted and fenced here, frozen: the image
 * then holds a consistent filesystem (a snapshot).  Refused (UNAVAILABLE) while this node is
 * cut off or the fence has the volume frozen or shut down; NOT_FOUND if it is not fenced here.
 * Thawed afterwards, unless the node was cut off meanwhile: then it stays frozen, as the
 * fencing thread would have left it.  The fence's lock is held throughout (the thread waits;
 * the filesystem is frozen all the while), so copy must take no lock.  *frozen_ms: how long.
 */
int zks_fence_snapshot(struct zks_fence *f, const char *name,
		       int (*copy)(void *ctx, struct zks_error *err), void *ctx, int64_t *frozen_ms,
		       struct zks_error *err);
/* Freeze, thaw or shut down as the store's status says; the thread's step. */
void zks_fence_tick(struct zks_fence *f);

/* "live", "frozen", "shut down", or NULL if the volume is not fenced here. */
const char *zks_fence_state(struct zks_fence *f, const char *name);

#endif
