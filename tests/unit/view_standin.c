/*
 * view_standin.c - a weak, test-only stand-in for the view module of branch
 * dash-view (src/api/dashboard_view.h: zks_view_cluster and the feed) until
 * that branch is merged: the real ones replace these at link time.  It knows
 * only what the server's tests look at: the nodes (registered, beat age,
 * state by the contract's rule; expired = not registered but its beat left)
 * and the volumes' names, with a feed of volume.created/removed and node
 * state changes.  Linked into the unit tests, the fuzz target and
 * build/tests/zkswarmd_standin (the integration test's daemon).
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/api/dashboard_view.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define RING 200

static const char *node_state(bool registered, const struct zks_beat *b)
{
	if (registered)
		return b != NULL && b->age_ms >= 0 && b->every_ms > 0 && b->age_ms > 2 * b->every_ms
			       ? "cut off"
			       : "connected";
	return "expired";
}

static void add_node(cJSON *nodes, const char *id, bool registered, const struct zks_beat *b)
{
	cJSON *n = cJSON_CreateObject();

	cJSON_AddStringToObject(n, "id", id);
	cJSON_AddStringToObject(n, "state", node_state(registered, b));
	if (b != NULL && b->age_ms >= 0)
		cJSON_AddNumberToObject(n, "last_heard_ms", (double)b->age_ms);
	else
		cJSON_AddNullToObject(n, "last_heard_ms");
	cJSON_AddItemToArray(nodes, n);
}

__attribute__((weak)) cJSON *zks_view_cluster(struct zks_store *store,
					      const struct zks_beats *beats)
{
	cJSON *doc = cJSON_CreateObject(), *nodes = cJSON_AddArrayToObject(doc, "nodes");
	cJSON *vols = cJSON_AddArrayToObject(doc, "volumes");
	char **names = NULL;
	size_t n = 0;

	if (store_cached_children(store, ZKS_NODES, &names, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			add_node(nodes, names[i], true, zks_beats_find(beats, names[i]));
		for (size_t i = 0; beats != NULL && i < beats->n; i++) {
			bool reg = false;

			for (size_t j = 0; j < n; j++)
				reg = reg || strcmp(names[j], beats->v[i].node) == 0;
			if (!reg)
				add_node(nodes, beats->v[i].node, false, &beats->v[i]);
		}
		zks_free_strv(names, n);
	}
	if (store_cached_children(store, ZKS_VOLUMES, &names, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			cJSON *v = cJSON_CreateObject();

			cJSON_AddStringToObject(v, "name", names[i]);
			cJSON_AddItemToArray(vols, v);
		}
		zks_free_strv(names, n);
	}
	return doc;
}

struct zks_feed {
	cJSON *items[RING];
	size_t n, head; /* head: the oldest */
	uint64_t last_id;
};

__attribute__((weak)) struct zks_feed *zks_feed_new(void)
{
	return xcalloc(1, sizeof(struct zks_feed));
}

__attribute__((weak)) void zks_feed_free(struct zks_feed *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++)
		cJSON_Delete(f->items[(f->head + i) % RING]);
	free(f);
}

static void push(struct zks_feed *f, cJSON *out, const char *kind, const char *subject)
{
	cJSON *it = cJSON_CreateObject();
	char at[32];

	zks_rfc3339_now(at);
	cJSON_AddNumberToObject(it, "id", (double)++f->last_id);
	cJSON_AddStringToObject(it, "at", at);
	cJSON_AddStringToObject(it, "kind", kind);
	cJSON_AddStringToObject(it, "subject", subject);
	cJSON_AddItemToArray(out, cJSON_Duplicate(it, true));
	if (f->n == RING) {
		cJSON_Delete(f->items[f->head]);
		f->items[f->head] = it;
		f->head = (f->head + 1) % RING;
	} else {
		f->items[(f->head + f->n++) % RING] = it;
	}
}

static const cJSON *find_named(const cJSON *arr, const char *key, const char *name)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, arr)
	{
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(e, key));

		if (v != NULL && strcmp(v, name) == 0)
			return e;
	}
	return NULL;
}

static void diff_list(struct zks_feed *f, cJSON *out, const cJSON *old, const cJSON *new,
		      const char *list, const char *key, const char *created, const char *removed)
{
	const cJSON *e, *o = cJSON_GetObjectItem(old, list), *n = cJSON_GetObjectItem(new, list);

	cJSON_ArrayForEach(e, n)
	{
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(e, key));
		const cJSON *before = find_named(o, key, name);

		if (before == NULL && created != NULL)
			push(f, out, created, name);
		else if (before != NULL && strcmp(list, "nodes") == 0 &&
			 strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(before, "state")),
				cJSON_GetStringValue(cJSON_GetObjectItem(e, "state"))) != 0)
			push(f, out,
			     !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "state")),
				     "cut off")
				     ? "node.cut_off"
				     : "node.expired",
			     name);
	}
	cJSON_ArrayForEach(e, o)
	{
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(e, key));

		if (find_named(n, key, name) == NULL && removed != NULL)
			push(f, out, removed, name);
	}
}

__attribute__((weak)) cJSON *zks_feed_diff(struct zks_feed *f, const cJSON *old_view,
					   const cJSON *new_view)
{
	cJSON *out = cJSON_CreateArray();

	if (old_view == NULL)
		return out;
	diff_list(f, out, old_view, new_view, "volumes", "name", "volume.created",
		  "volume.removed");
	diff_list(f, out, old_view, new_view, "nodes", "id", "node.joined", "node.reaped");
	return out;
}

__attribute__((weak)) cJSON *zks_feed_recent(const struct zks_feed *f, size_t max)
{
	cJSON *out = cJSON_CreateArray();

	for (size_t i = 0; i < f->n && i < max; i++)
		cJSON_AddItemToArray(out, cJSON_Duplicate(f->items[(f->head + f->n - 1 - i) % RING],
							  true));
	return out;
}

__attribute__((weak)) uint64_t zks_feed_last_id(const struct zks_feed *f)
{
	return f->last_id;
}
