/*
 * mirror.h - the ZooKeeper store's mirror (private to src/store): the local
 * copy of the tree under ZK_ROOT that answers cached reads, the rules that
 * keep it never ahead of ZooKeeper, and its file on disk (mirror.json).
 *
 * It knows nothing of the ZooKeeper client: zk.c reads, writes and watches,
 * and hands the results here (stats already converted), so the rules are
 * unit-tested without a server (tests/unit/test_mirror.c).
 *
 * Locking: one rwlock of its own, the innermost lock of the store (the order
 * is written down in zk.c).  Every function here takes it itself and calls
 * nothing outside this file and the tree while holding it (diff_children's
 * visit runs without it), so a caller may hold any of the store's locks.
 *
 * The ordering rules (docs/DESIGN.md, "Decisions are writes"):
 *  - The worker changes the mirror in the order of its reads, one step (an
 *    event, a resync) at a time.  A writer's acknowledged write and a watched
 *    deletion are applied at once and their paths listed; during the step
 *    begun before, the worker's read of a listed path (or one below it) is
 *    not put, nor a node above or below one removed: that read may be older.
 *    The list is emptied when the worker begins its next step.
 *  - A node is put only under a parent the mirror has: the tree would make
 *    the missing ancestors up, empty, and a known node is never read again.
 */
#ifndef ZKSWARM_STORE_MIRROR_H
#define ZKSWARM_STORE_MIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/store.h"
#include "zkswarm/tree.h"

/*
 * The file is written at most every 5 s, and at most 1/ZKS_MIRROR_SAVE_SHARE of the time:
 * after a save that took t ms the next waits ZKS_MIRROR_SAVE_SHARE * t ms (a save of 10,000
 * volumes takes 60-120 ms of the worker, which reads no event meanwhile), up to
 * ZKS_MIRROR_SAVE_MAX_MS.  Saved once a second, the file took a third of what following a
 * change cost each mirroring daemon at N = 50 (BENCHMARKS.md, *The mirror's file saved less
 * often*).
 */
#define ZKS_MIRROR_SAVE_MS 5000
#define ZKS_MIRROR_SAVE_SHARE 20
#define ZKS_MIRROR_SAVE_MAX_MS 30000

struct zks_mirror;

/* An empty mirror; file: where it is saved and loaded from (NULL: never). */
struct zks_mirror *zks_mirror_new(const char *file);
void zks_mirror_free(struct zks_mirror *m);

/* ---- the worker's reads ---- */

/* The worker begins a step: every read it makes from now on is newer than any write so far. */
void zks_mirror_step_begin(struct zks_mirror *m);

/* The worker read rel: put unless listed since the step began or its parent is missing. */
void zks_mirror_put(struct zks_mirror *m, const char *rel, const char *data, size_t len,
		    const struct zks_stat *st);

/* The worker found rel gone: removed (with its subtree) unless it or a node below is listed. */
void zks_mirror_remove(struct zks_mirror *m, const char *rel);

/*
 * rel's children are now kids (any order; sorted here, in place): drop the gone from the
 * mirror (as zks_mirror_remove) and call visit(ctx, child, known) for each of kids, with
 * no lock held.  visit's non-zero return stops the walk and is returned.
 */
int zks_mirror_diff_children(struct zks_mirror *m, const char *rel, char **kids, size_t nkids,
			     int (*visit)(void *ctx, const char *child, bool known), void *ctx);

/* ---- writes and watched deletions, applied at once ---- */

/*
 * A watched deletion (the watcher, on the client's completion thread): rel and its subtree
 * go and rel is listed.  True if the mirror had it (the caller re-reads it: it may have
 * been made again since).
 */
bool zks_mirror_forget(struct zks_mirror *m, const char *rel);

/*
 * An acknowledged transaction: created and set nodes put, deleted ones removed, each
 * applied path listed.  set_stats[i] is the stat ZooKeeper returned for a SET step
 * (ignored for the others; set_stats may be NULL without one); a created node gets ctime/mtime now_ms and, if ephemeral,
 * owner session.  A created or set node whose parent the mirror lacks is not put nor
 * listed.  Returns n entries (free with zks_free_strv(r, n)): for each CREATE or SET,
 * the path the worker must read again (the node itself, or the highest ancestor the
 * mirror lacks), NULL for the other steps.
 */
char **zks_mirror_apply_write(struct zks_mirror *m, const struct zks_op *ops, size_t n,
			      const struct zks_stat *set_stats, int64_t session, int64_t now_ms);

/*
 * A mark per node the mirror has, for zk.c (the session whose child watch on the node is
 * set): kept when the node is put again, gone with it, 0 unset.  Setting one on a node the
 * mirror lacks does nothing and returns false.
 */
bool zks_mirror_mark(struct zks_mirror *m, const char *rel, int64_t mark);
int64_t zks_mirror_marked(struct zks_mirror *m, const char *rel);
void zks_mirror_marks_clear(struct zks_mirror *m);

/* ---- reads, state ---- */

int zks_mirror_get(struct zks_mirror *m, const char *rel, char **data, size_t *len,
		   struct zks_stat *st);
bool zks_mirror_has(struct zks_mirror *m, const char *rel);
int zks_mirror_children(struct zks_mirror *m, const char *rel, char ***names, size_t *n);
size_t zks_mirror_count(struct zks_mirror *m);
/*
 * Fully read in this session (the store clears it when the connection goes).  Becoming
 * synced counts as a change of every subtree (zks_mirror_changes).
 */
bool zks_mirror_synced(struct zks_mirror *m);
void zks_mirror_set_synced(struct zks_mirror *m, bool synced);
/*
 * A count that moves whenever a node under one of under's subtrees (NULL-terminated
 * paths; NULL: anywhere) changes: the worker tells each change callback when its count
 * moved.  Counted per top-level subtree, so "/volumes/x" counts every change under
 * "/volumes"; a change of the root counts for all (as do changes under more than 32
 * top-level subtrees).
 */
uint64_t zks_mirror_changes(struct zks_mirror *m, const char *const *under);

/* ---- the file ---- */

/* Changed since the last save (whether or not there is a file). */
bool zks_mirror_dirty(struct zks_mirror *m);
/*
 * How long until the file is due to be saved: changed since the last save, and that save at
 * least zks_mirror_save_interval_ms(its cost) ago.  0: due now; -1: not changed, or no file.
 */
int64_t zks_mirror_save_in_ms(struct zks_mirror *m);
/* How long after a save that took cost_ms the next may be (ZKS_MIRROR_SAVE_SHARE, above). */
int64_t zks_mirror_save_interval_ms(int64_t cost_ms);
/*
 * Write the file, atomically replaced but not synced (a cache, checked when loaded; a warning
 * in the log if it cannot be); marks it clean unless it changed meanwhile.
 */
void zks_mirror_save(struct zks_mirror *m);
/*
 * Load the last saved file into the (empty) mirror: every entry is checked, malformed ones
 * skipped; a file that is not a saved mirror (corrupt, truncated) is ignored whole.  The
 * number of nodes loaded, or -1 if there is no file or it was rejected.
 */
long zks_mirror_load(struct zks_mirror *m);

#endif
