/*
 * dashboard_view.h - what the dashboard's server takes from the view module
 * (src/view/view.c, feed.c of branch dash-view; view.h and feed.h there).
 * Until that branch is merged these are the server's assumptions, stood in
 * for by tests/unit/view_standin.c (weak, linked into tests only).
 */
#ifndef ZKSWARM_DASHBOARD_VIEW_H
#define ZKSWARM_DASHBOARD_VIEW_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "zkswarm/heartbeat.h"
#include "zkswarm/store.h"

/*
 * The cluster document minus self, ensemble, seq and generated_at, from a snapshot of the
 * store's mirror and the beats' ages (nodes' state and last_heard_ms); NULL on failure.
 */
cJSON *zks_view_cluster(struct zks_store *store, const struct zks_beats *beats);

/* The feed: items derived by diffing successive views, a ring of 200. */
struct zks_feed;
struct zks_feed *zks_feed_new(void);
void zks_feed_free(struct zks_feed *f);
/* The items old -> new made (old NULL: the first view, none), appended; a JSON array. */
cJSON *zks_feed_diff(struct zks_feed *f, const cJSON *old_view, const cJSON *new_view);
/* The last max items, newest first; a JSON array. */
cJSON *zks_feed_recent(const struct zks_feed *f, size_t max);
/* The last item's id, 0 if none. */
uint64_t zks_feed_last_id(const struct zks_feed *f);

#endif
