/*
 * feed.h - the dashboard's "what changed": items derived by comparing two
 * successive cluster documents (view.h's zks_view_cluster), and a ring that
 * keeps the last ZKS_FEED_RING of them for the event stream.
 *
 * An item: {"id": 231, "at": "2026-12-05T10:00:00.123Z", "kind": "volume.mounted",
 * "subject": "v1", "node": "n2" | null, "text": "v1 mounted on n2 (1 mount)"}.
 * Kinds: volume.created, volume.removed, volume.mounted, volume.unmounted,
 * node.joined, node.cut_off, node.expired, node.reaped, node.back,
 * network.created, network.removed, endpoint.joined, endpoint.left,
 * address.reclaimed, pool.created, pool.removed, config.changed.
 *
 * The ring is thread-safe: one mutex per ring, held only inside these calls
 * and taking no other lock (a leaf in any lock order).
 */
#ifndef ZKSWARM_FEED_H
#define ZKSWARM_FEED_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define ZKS_FEED_RING 200
/* Items one comparison gives at most; beyond, one more item per kind sums up the rest
 * ("and 9900 more volumes created", subject and node null). */
#define ZKS_FEED_DIFF_MAX 100

/*
 * The items (a JSON array, oldest change first, without ids) that tell how new_doc differs
 * from old_doc, stamped at_ms (wall clock, ms since the epoch).  old_doc NULL (the first
 * view): none.  Both documents' lists must be sorted by name/id, as zks_view_cluster makes
 * them.  Bounded by the documents' sizes; never NULL.
 */
cJSON *zks_feed_diff(const cJSON *old_doc, const cJSON *new_doc, int64_t at_ms);

struct zks_feed;

struct zks_feed *zks_feed_new(void);
void zks_feed_free(struct zks_feed *f);

/*
 * Append items (a JSON array, taken: deleted here) to the ring, giving each the next id
 * (1, 2, ...; the oldest fall out beyond ZKS_FEED_RING).  Returns a copy of them with their
 * ids (a JSON array, maybe empty).
 */
cJSON *zks_feed_push(struct zks_feed *f, cJSON *items);

/* The last id given; 0 before the first. */
uint64_t zks_feed_last_id(struct zks_feed *f);

/* Copies of the items kept with an id above id, oldest first (a JSON array). */
cJSON *zks_feed_since(struct zks_feed *f, uint64_t id);

/* Copies of the last k items kept (at most ZKS_FEED_RING), newest first (a JSON array). */
cJSON *zks_feed_newest(struct zks_feed *f, size_t k);

#endif
