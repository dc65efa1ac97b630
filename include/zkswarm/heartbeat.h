/*
 * heartbeat.h - each daemon's beat in ZooKeeper (/heartbeats/NODE, records.h)
 * and the age of every node's beat, as the dashboard shows it.
 *
 * The writer sets its beat every every_ms (session timeout / 4): a plain set,
 * creating the node when missing.  The subtree is not mirrored (the store's
 * unmirrored_subtrees), so a beat makes no other daemon read anything; the
 * reader asks ZooKeeper (children + get), at most once a second.
 *
 * Ages never compare this machine's clock with ZooKeeper's: every beat's mtime
 * comes from the ensemble leader's clock, so a beat's age is
 *   (our own last beat's mtime + monotonic time since that write was answered)
 *   - its mtime
 * (zks_beat_age), clamped at 0.
 */
#ifndef ZKSWARM_HEARTBEAT_H
#define ZKSWARM_HEARTBEAT_H

#include <stdbool.h>
#include <stdint.h>

#include "zkswarm/error.h"
#include "zkswarm/store.h"

#define ZKS_BEATS_READ_MS 1000 /* the reader asks ZooKeeper at most this often */
/*
 * ... unless a beat of the last read, aged since, is now late and that read is at least this
 * old: then it asks again before telling (a beat read just before its next write would
 * otherwise look late until the next read: between two reads a beat ages by up to
 * ZKS_BEATS_READ_MS, as much as a whole period at a 4 s session).
 */
#define ZKS_BEATS_CONFIRM_MS 200
/* A beat older than this many of its periods is late: its node is "cut off" (view.h). */
#define ZKS_BEAT_LATE_PERIODS 2
/*
 * The beat of a node not registered (/nodes/NODE) for this long is forgotten: the reaper's
 * leader deletes it (zks_heartbeat_sweep), checking at most every ZKS_BEATS_SWEEP_MS.  Until
 * then the dashboard shows that node "reaped" (view.h); a node that comes back writes its beat
 * anew.
 */
#define ZKS_BEATS_FORGET_MS (60LL * 60 * 1000)
#define ZKS_BEATS_SWEEP_MS (60LL * 1000)

struct zks_beat {
	char *node;
	int64_t age_ms;	  /* -1: unknown (our own beat not written yet) */
	int64_t every_ms; /* the writer's period, 0 if its record does not say */
};

struct zks_beats {
	struct zks_beat *v; /* sorted by node */
	size_t n;
};

void zks_beats_clear(struct zks_beats *b);
/* The beat of node, or NULL. */
const struct zks_beat *zks_beats_find(const struct zks_beats *b, const char *node);

/* A beat age_ms old (-1: unknown) of a writer beating every every_ms (0: unknown) is late. */
static inline bool zks_beat_late(int64_t age_ms, int64_t every_ms)
{
	return age_ms >= 0 && every_ms > 0 && age_ms > ZKS_BEAT_LATE_PERIODS * every_ms;
}

/* The rule above: -1 if our own beat is not known yet (own_mtime_ms 0). */
int64_t zks_beat_age(int64_t own_mtime_ms, int64_t own_answered_ms, int64_t now_ms,
		     int64_t their_mtime_ms);

struct zks_heartbeat;

/* The store must outlive it; every_ms > 0. */
struct zks_heartbeat *zks_heartbeat_new(struct zks_store *store, const char *node,
					int64_t every_ms);
/* The writer's thread: a beat at once, then every every_ms; stop joins it (idempotent). */
void zks_heartbeat_start(struct zks_heartbeat *hb);
void zks_heartbeat_stop(struct zks_heartbeat *hb);
void zks_heartbeat_free(struct zks_heartbeat *hb); /* stops it first; NULL is fine */

/* One beat now (the thread's step; tests call it). */
int zks_heartbeat_beat(struct zks_heartbeat *hb, struct zks_error *err);

/*
 * Every node's beat and its age now (a copy in out, to clear): read from ZooKeeper when the
 * last read is over ZKS_BEATS_READ_MS old (or over ZKS_BEATS_CONFIRM_MS and a beat of it
 * would now be late), else the last read's beats aged by the time since.
 * -1 if ZooKeeper cannot be read and nothing was read before.
 */
int zks_heartbeat_ages(struct zks_heartbeat *hb, struct zks_beats *out, struct zks_error *err);

/*
 * Delete every beat older than older_ms (the age rule above) whose node is not registered in
 * the mirror, never our own: each is read from ZooKeeper and deleted at the version read, so a
 * beat written meanwhile stays.  Returns how many went; -1 if ZooKeeper could not be listed or
 * our own beat is not known yet (no age can be told).
 */
int zks_heartbeat_forget(struct zks_heartbeat *hb, int64_t older_ms, struct zks_error *err);
/* The reaper's sweep (reaper.h): zks_heartbeat_forget(ctx, ZKS_BEATS_FORGET_MS) when the
 * last such call is ZKS_BEATS_SWEEP_MS old (now_ms monotonic). */
void zks_heartbeat_sweep(void *ctx, int64_t now_ms);

#endif
