/*
 * feed.c - "what changed" (feed.h): two cluster documents compared list by
 * list, and the ring of the last items.
 *
 * Every list of a cluster document is sorted by its key, so each comparison
 * is one walk down both lists side by side (linear in their lengths): an
 * entry only in the old one was removed, only in the new one created, in
 * both compared field by field.  The texts are short and for people; the
 * kind, subject and node are for the page's filters.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/feed.h"
#include "zkswarm/snapshot.h"
#include "zkswarm/util.h"

/* The kinds, and how a sum of many reads ("and 9900 more volumes created"). */
static const struct {
	const char *kind, *many;
} kinds[] = {
	{"volume.created", "volumes created"},
	{"volume.removed", "volumes removed"},
	{"volume.mounted", "mounts"},
	{"volume.unmounted", "unmounts"},
	{"node.joined", "nodes joined"},
	{"node.cut_off", "nodes cut off"},
	{"node.expired", "nodes expired"},
	{"node.reaped", "nodes reaped"},
	{"node.back", "nodes back"},
	{"network.created", "networks created"},
	{"network.removed", "networks removed"},
	{"endpoint.joined", "endpoints joined"},
	{"endpoint.left", "endpoints left"},
	{"address.reclaimed", "reclaims"},
	{"pool.created", "pools created"},
	{"pool.removed", "pools removed"},
	{"config.changed", "config changes"},
};

enum kind {
	VOLUME_CREATED,
	VOLUME_REMOVED,
	VOLUME_MOUNTED,
	VOLUME_UNMOUNTED,
	NODE_JOINED,
	NODE_CUT_OFF,
	NODE_EXPIRED,
	NODE_REAPED,
	NODE_BACK,
	NETWORK_CREATED,
	NETWORK_REMOVED,
	ENDPOINT_JOINED,
	ENDPOINT_LEFT,
	ADDRESS_RECLAIMED,
	POOL_CREATED,
	POOL_REMOVED,
	CONFIG_CHANGED,
	NKINDS
};

_Static_assert(ARRAY_SIZE(kinds) == NKINDS, "a row per kind");

struct diff {
	cJSON *items;
	int n;
	long more[NKINDS]; /* items beyond ZKS_FEED_DIFF_MAX, per kind */
	char at[32];
};

static void __attribute__((format(printf, 5, 6)))
item(struct diff *d, enum kind kind, const char *subject, const char *node, const char *fmt, ...)
{
	cJSON *it;
	char *text;
	va_list ap;

	if (d->n >= ZKS_FEED_DIFF_MAX) {
		d->more[kind]++;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		abort();
	va_end(ap);
	it = cJSON_CreateObject();
	cJSON_AddStringToObject(it, "at", d->at);
	cJSON_AddStringToObject(it, "kind", kinds[kind].kind);
	if (subject != NULL)
		cJSON_AddStringToObject(it, "subject", subject);
	else
		cJSON_AddNullToObject(it, "subject");
	if (node != NULL)
		cJSON_AddStringToObject(it, "node", node);
	else
		cJSON_AddNullToObject(it, "node");
	cJSON_AddStringToObject(it, "text", text);
	cJSON_AddItemToArray(d->items, it);
	d->n++;
	free(text);
}

static const char *str(const cJSON *obj, const char *key)
{
	return zks_snap_str(obj, key);
}

static long num(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
}

static const cJSON *list(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	return cJSON_IsArray(v) ? v : NULL;
}

typedef void (*pair_fn)(struct diff *d, const cJSON *old, const cJSON *new, const void *ctx);

/* Walk two lists sorted by key side by side: fn(old, new), either NULL when only in one. */
static void walk(struct diff *d, const cJSON *olds, const cJSON *news, const char *key, pair_fn fn,
		 const void *ctx)
{
	const cJSON *a = olds ? olds->child : NULL, *b = news ? news->child : NULL;

	while (a != NULL || b != NULL) {
		const char *ka = a ? str(a, key) : NULL, *kb = b ? str(b, key) : NULL;
		int c = a == NULL ? 1 : b == NULL ? -1 : strcmp(ka ? ka : "", kb ? kb : "");

		fn(d, c <= 0 ? a : NULL, c >= 0 ? b : NULL, ctx);
		if (c <= 0)
			a = a->next;
		if (c >= 0)
			b = b->next;
	}
}

/* ---- volumes --------------------------------------------------------------------------------- */

static const char *plural(long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void holder_pair(struct diff *d, const cJSON *old, const cJSON *new, const void *ctx)
{
	const char *volume = ctx, *node = str(new ? new : old, "node");
	long was = num(old, "mounts"), now = num(new, "mounts");

	if (now > was)
		item(d, VOLUME_MOUNTED, volume, node, "%s mounted on %s (%ld %s)", volume, node,
		     now, plural(now, "mount", "mounts"));
	else if (now < was && now > 0)
		item(d, VOLUME_UNMOUNTED, volume, node, "%s unmounted on %s (%ld %s left)", volume,
		     node, now, plural(now, "mount", "mounts"));
	else if (now < was)
		item(d, VOLUME_UNMOUNTED, volume, node, "%s unmounted on %s (no mounts left)",
		     volume, node);
}

static void config_pair(struct diff *d, const char *volume, const cJSON *old, const cJSON *new)
{
	long was = num(old, "version"), now = num(new, "version");
	const char *by = str(new, "by");

	if (!cJSON_IsObject(new) || now == was)
		return;
	if (by != NULL)
		item(d, CONFIG_CHANGED, volume, NULL, "config %s: version %ld by %s", volume, now,
		     by);
	else
		item(d, CONFIG_CHANGED, volume, NULL, "config %s: version %ld", volume, now);
}

static void volume_pair(struct diff *d, const cJSON *old, const cJSON *new, const void *ctx)
{
	const char *name = str(new ? new : old, "name");

	(void)ctx;
	if (name == NULL)
		return;
	if (old == NULL)
		item(d, VOLUME_CREATED, name, str(new, "created_by"), "%s created (%s%s%s)", name,
		     str(new, "type") ? str(new, "type") : "dir", str(new, "access") ? ", " : "",
		     str(new, "access") ? str(new, "access") : "");
	else if (new == NULL)
		item(d, VOLUME_REMOVED, name, NULL, "%s removed", name);
	walk(d, list(old, "holders"), list(new, "holders"), "node", holder_pair, name);
	if (old != NULL && new != NULL)
		config_pair(d, name, cJSON_GetObjectItemCaseSensitive(old, "config"),
			    cJSON_GetObjectItemCaseSensitive(new, "config"));
}

/* ---- nodes ----------------------------------------------------------------------------------- */

static bool is(const char *state, const char *want)
{
	return state != NULL && !strcmp(state, want);
}

static bool live(const char *state)
{
	return is(state, "connected") || is(state, "cut off");
}

/* A node that was not live (absent, expired, reaped) and is now. */
static void node_arrived(struct diff *d, const char *id, const char *was, const cJSON *new)
{
	const char *addr = str(new, "address");

	if (addr != NULL && addr[0] != '\0')
		item(d, NODE_JOINED, id, id, "%s joined%s (%s)", id, was ? " again" : "", addr);
	else
		item(d, NODE_JOINED, id, id, "%s joined%s", id, was ? " again" : "");
}

static void node_state_change(struct diff *d, const char *id, const char *was, const char *now,
			      const cJSON *new)
{
	if (live(now) && !live(was))
		node_arrived(d, id, was, new);
	else if (is(was, "connected") && is(now, "cut off"))
		item(d, NODE_CUT_OFF, id, id, "%s cut off (last heard %lds ago)", id,
		     num(new, "last_heard_ms") / 1000);
	else if (is(was, "cut off") && is(now, "connected"))
		item(d, NODE_BACK, id, id, "%s is back", id);
	else if (is(now, "expired"))
		item(d, NODE_EXPIRED, id, id, "%s expired: its records wait for the reaper", id);
	else if ((now == NULL || is(now, "reaped")) && is(was, "expired"))
		item(d, NODE_REAPED, id, id, "%s reaped: nothing names it any more", id);
	else if ((now == NULL || is(now, "reaped")) && live(was))
		item(d, NODE_REAPED, id, id, "%s left: nothing names it any more", id);
}

static void node_pair(struct diff *d, const cJSON *old, const cJSON *new, const void *ctx)
{
	const char *id = str(new ? new : old, "id");
	const char *was = str(old, "state"), *now = str(new, "state");
	const cJSON *oh = cJSON_GetObjectItemCaseSensitive(old, "holds");
	const cJSON *nh = cJSON_GetObjectItemCaseSensitive(new, "holds");
	long freed = num(oh, "addresses") - num(nh, "addresses");

	(void)ctx;
	if (id == NULL)
		return;
	if (now == NULL || was == NULL || strcmp(was, now) != 0)
		node_state_change(d, id, was, now, new);
	/* The reaper (or the node's own leaving) gave back addresses of a node not registered. */
	if (old != NULL && !live(now) && freed > 0)
		item(d, ADDRESS_RECLAIMED, id, id, "%ld %s of %s reclaimed", freed,
		     plural(freed, "address", "addresses"), id);
}

/* ---- networks and pools ---------------------------------------------------------------------- */

/* A network's name for texts: its name, else its key (shortened). */
static char *network_label(const cJSON *net)
{
	const char *name = str(net, "name"), *key = str(net, "key");

	return name != NULL ? xstrdup(name) : xstrndup(key ? key : "?", 12);
}

static void endpoint_pair(struct diff *d, const cJSON *old, const cJSON *new, const void *ctx)
{
	const cJSON *e = new ? new : old;
	const char *net = ctx, *node = str(e, "node"), *addr = str(e, "address");
	cleanup_free char *who = str(e, "name") ? xstrdup(str(e, "name"))
						: xstrndup(str(e, "id") ? str(e, "id") : "?", 12);

	if (old == NULL)
		item(d, ENDPOINT_JOINED, who, node, "%s joined %s on %s (%s)", who, net,
		     node ? node : "?", addr ? addr : "no address");
	else if (new == NULL)
		item(d, ENDPOINT_LEFT, who, node, "%s left %s on %s", who, net, node ? node : "?");
}

static void network_pair(struct diff *d, const cJSON *old, const cJSON *new, const void *ctx)
{
	const cJSON *n = new ? new : old;
	cleanup_free char *label = network_label(n);
	const char *subnet = str(n, "subnet");

	(void)ctx;
	if (old == NULL)
		item(d, NETWORK_CREATED, label, NULL, "network %s created (%s)", label,
		     subnet ? subnet : "no subnet");
	else if (new == NULL)
		item(d, NETWORK_REMOVED, label, NULL, "network %s removed", label);
	walk(d, list(old, "endpoints"), list(new, "endpoints"), "id", endpoint_pair, label);
}

static void pool_pair(struct diff *d, const cJSON *old, const cJSON *new, const void *ctx)
{
	const char *subnet = str(new ? new : old, "subnet");

	(void)ctx;
	if (subnet == NULL)
		return;
	if (old == NULL)
		item(d, POOL_CREATED, subnet, NULL, "pool %s created (%ld addresses)", subnet,
		     num(new, "size"));
	else if (new == NULL)
		item(d, POOL_REMOVED, subnet, NULL, "pool %s removed", subnet);
}

cJSON *zks_feed_diff(const cJSON *old_doc, const cJSON *new_doc, int64_t at_ms)
{
	struct diff d = {.items = cJSON_CreateArray()};

	if (old_doc == NULL || new_doc == NULL)
		return d.items;
	zks_snap_format_time_ms(at_ms, d.at);
	/* Nodes first: a node lost explains what its records do next. */
	walk(&d, list(old_doc, "nodes"), list(new_doc, "nodes"), "id", node_pair, NULL);
	walk(&d, list(old_doc, "pools"), list(new_doc, "pools"), "subnet", pool_pair, NULL);
	walk(&d, list(old_doc, "networks"), list(new_doc, "networks"), "key", network_pair, NULL);
	walk(&d, list(old_doc, "volumes"), list(new_doc, "volumes"), "name", volume_pair, NULL);
	for (int k = 0; k < NKINDS; k++) {
		if (d.more[k] == 0)
			continue;
		d.n = 0; /* the sums always go in */
		item(&d, (enum kind)k, NULL, NULL, "and %ld more %s", d.more[k], kinds[k].many);
	}
	return d.items;
}

/* ---- the ring -------------------------------------------------------------------------------- */

struct zks_feed {
	pthread_mutex_t lock; /* guards everything below; a leaf: no other lock taken inside */
	cJSON *ring[ZKS_FEED_RING];
	size_t head;  /* where the next item goes */
	size_t count; /* items kept, at most ZKS_FEED_RING */
	uint64_t last_id;
};

struct zks_feed *zks_feed_new(void)
{
	struct zks_feed *f = xcalloc(1, sizeof(*f));

	pthread_mutex_init(&f->lock, NULL);
	return f;
}

void zks_feed_free(struct zks_feed *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < ZKS_FEED_RING; i++)
		cJSON_Delete(f->ring[i]);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* The item with "id" first, as the contract shows it; from is deleted. */
static cJSON *with_id(cJSON *from, uint64_t id)
{
	cJSON *it = cJSON_CreateObject();

	cJSON_DeleteItemFromObjectCaseSensitive(from, "id");
	cJSON_AddNumberToObject(it, "id", (double)id);
	while (from->child != NULL) {
		cJSON *field = cJSON_DetachItemViaPointer(from, from->child);

		cJSON_AddItemToObject(it, field->string, field);
	}
	cJSON_Delete(from);
	return it;
}

cJSON *zks_feed_push(struct zks_feed *f, cJSON *items)
{
	cJSON *added = cJSON_CreateArray(), *it;

	pthread_mutex_lock(&f->lock);
	while (items->child != NULL) {
		cJSON *from = cJSON_DetachItemViaPointer(items, items->child);

		it = with_id(from, ++f->last_id);
		cJSON_Delete(f->ring[f->head]);
		f->ring[f->head] = it;
		f->head = (f->head + 1) % ZKS_FEED_RING;
		f->count += f->count < ZKS_FEED_RING;
		cJSON_AddItemToArray(added, cJSON_Duplicate(it, true));
	}
	pthread_mutex_unlock(&f->lock);
	cJSON_Delete(items);
	return added;
}

uint64_t zks_feed_last_id(struct zks_feed *f)
{
	uint64_t id;

	pthread_mutex_lock(&f->lock);
	id = f->last_id;
	pthread_mutex_unlock(&f->lock);
	return id;
}

/* The i-th newest item kept (0: the newest); the lock held. */
static const cJSON *nth_newest(const struct zks_feed *f, size_t i)
{
	return f->ring[(f->head + ZKS_FEED_RING - 1 - i) % ZKS_FEED_RING];
}

cJSON *zks_feed_since(struct zks_feed *f, uint64_t id)
{
	cJSON *arr = cJSON_CreateArray();
	size_t n;

	pthread_mutex_lock(&f->lock);
	/* Ids are consecutive: the newest kept is last_id, so those above id are the newest n. */
	n = f->last_id <= id		 ? 0
	    : f->last_id - id < f->count ? (size_t)(f->last_id - id)
					 : f->count;
	for (size_t i = n; i > 0; i--)
		cJSON_AddItemToArray(arr, cJSON_Duplicate(nth_newest(f, i - 1), true));
	pthread_mutex_unlock(&f->lock);
	return arr;
}

cJSON *zks_feed_newest(struct zks_feed *f, size_t k)
{
	cJSON *arr = cJSON_CreateArray();

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < k && i < f->count; i++)
		cJSON_AddItemToArray(arr, cJSON_Duplicate(nth_newest(f, i), true));
	pthread_mutex_unlock(&f->lock);
	return arr;
}
