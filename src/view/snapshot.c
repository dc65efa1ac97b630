/*
 * snapshot.c - a frozen copy of the records (snapshot.h): the tree copied
 * out of a store's mirror, and its accessors.
 *
 * The copy walks the mirror depth first through store_cached_get/children;
 * each call takes the mirror's lock briefly, so the store keeps following
 * ZooKeeper while we copy (a node read twice is as it was then).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zkswarm/records.h"
#include "zkswarm/snapshot.h"
#include "zkswarm/util.h"

static void copy_subtree(struct zks_snapshot *s, struct zks_store *store, const char *path)
{
	cleanup_free char *data = NULL;
	struct zks_stat st;
	char **names = NULL;
	size_t len = 0, n = 0;

	if (store_cached_get(store, path, &data, &len, &st) < 0)
		return;
	zks_tree_put(s->tree, path, data, len, &st);
	if (store_cached_children(store, path, &names, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *child = strcmp(path, "/") == 0
						   ? xasprintf("/%s", names[i])
						   : xasprintf("%s/%s", path, names[i]);

		copy_subtree(s, store, child);
	}
	zks_free_strv(names, n);
}

void zks_snap_init(struct zks_snapshot *s)
{
	s->tree = zks_tree_new();
	s->taken_ms = zks_wall_ms();
}

void zks_snap_take(struct zks_snapshot *s, struct zks_store *store)
{
	zks_tree_free(s->tree);
	s->tree = zks_tree_new();
	copy_subtree(s, store, "/");
	s->taken_ms = zks_wall_ms();
}

void zks_snap_clear(struct zks_snapshot *s)
{
	zks_tree_free(s->tree);
	memset(s, 0, sizeof(*s));
}

int zks_snap_get(const struct zks_snapshot *s, const char *path, char **data, size_t *len,
		 struct zks_stat *st)
{
	return zks_tree_get(s->tree, path, data, len, st);
}

bool zks_snap_exists(const struct zks_snapshot *s, const char *path)
{
	return zks_tree_exists(s->tree, path);
}

cJSON *zks_snap_get_object(const struct zks_snapshot *s, const char *path, struct zks_stat *st,
			   int *state)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	cJSON *doc;

	if (zks_tree_get(s->tree, path, &data, &len, st) < 0) {
		if (state)
			*state = 0;
		return NULL;
	}
	/* A record with a NUL inside is not JSON, whatever its prefix says. */
	doc = data != NULL && strlen(data) == len ? cJSON_ParseWithLength(data, len) : NULL;
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		if (state)
			*state = -1;
		return NULL;
	}
	if (state)
		*state = 1;
	return doc;
}

/* The record's text for a codec: 1, 0 when absent, -1 with a NUL inside (not JSON, whatever
 * its prefix says). */
static int get_text(const struct zks_snapshot *s, const char *path, struct zks_stat *st,
		    char **text)
{
	size_t len = 0;

	*text = NULL;
	if (zks_tree_get(s->tree, path, text, &len, st) < 0)
		return 0;
	return *text != NULL && strlen(*text) == len ? 1 : -1;
}

/* Each kind's struct, by its size: out is emptied before anything else. */
static const size_t record_size[] = {
	[ZKS_SNAP_LEASE] = sizeof(struct zks_record_lease),
	[ZKS_SNAP_VNI] = sizeof(struct zks_record_vni),
	[ZKS_SNAP_SUBNET] = sizeof(struct zks_record_subnet),
	[ZKS_SNAP_ADDRESS] = sizeof(struct zks_record_address),
	[ZKS_SNAP_NODE] = sizeof(struct zks_record_node),
	[ZKS_SNAP_LEADER] = sizeof(struct zks_record_leader),
	[ZKS_SNAP_NAME] = sizeof(struct zks_record_name),
};

static int record_decode(enum zks_snap_record kind, const char *text, void *out,
			 struct zks_error *err)
{
	switch (kind) {
	case ZKS_SNAP_LEASE:
		return zks_record_lease_decode(text, out, err);
	case ZKS_SNAP_VNI:
		return zks_record_vni_decode(text, out, err);
	case ZKS_SNAP_SUBNET:
		return zks_record_subnet_decode(text, out, err);
	case ZKS_SNAP_ADDRESS:
		return zks_record_address_decode(text, out, err);
	case ZKS_SNAP_NODE:
		return zks_record_node_decode(text, out, err);
	case ZKS_SNAP_LEADER:
		return zks_record_leader_decode(text, out, err);
	case ZKS_SNAP_NAME:
		return zks_record_name_decode(text, out, err);
	}
	abort();
}

int zks_snap_get_record_why(const struct zks_snapshot *s, const char *path, struct zks_stat *st,
			    enum zks_snap_record kind, void *out, struct zks_error *err)
{
	cleanup_free char *text = NULL;
	int state = get_text(s, path, st, &text);

	memset(out, 0, record_size[kind]);
	if (state < 0)
		zks_error_set(err, ZKS_ERR_INTERNAL, "the record has a NUL byte inside");
	if (state > 0 && record_decode(kind, text, out, err) < 0)
		state = -1;
	return state;
}

int zks_snap_get_record(const struct zks_snapshot *s, const char *path, struct zks_stat *st,
			enum zks_snap_record kind, void *out)
{
	return zks_snap_get_record_why(s, path, st, kind, out, NULL);
}

long zks_snap_record_count(const struct zks_record_count *e)
{
	return e->n >= 1 ? e->n : 0;
}

size_t zks_snap_children(const struct zks_snapshot *s, const char *path, char ***names)
{
	size_t n = 0;

	if (zks_tree_children(s->tree, path, names, &n) < 0) {
		*names = xcalloc(1, sizeof(char *));
		return 0;
	}
	return n;
}

size_t zks_snap_addresses(const struct zks_snapshot *s, const char *addrs, char ***paths)
{
	char **groups, **v = xcalloc(1, sizeof(char *));
	size_t ngroups = zks_snap_children(s, addrs, &groups), n = 0;

	for (size_t i = 0; i < ngroups; i++) {
		cleanup_free char *gp = xasprintf("%s/%s", addrs, groups[i]);
		char **ips;
		size_t nips = zks_snap_children(s, gp, &ips);

		v = xrealloc(v, (n + nips + 1) * sizeof(*v));
		for (size_t k = 0; k < nips; k++)
			v[n++] = xasprintf("%s/%s", gp, ips[k]);
		v[n] = NULL;
		zks_free_strv(ips, nips);
	}
	zks_free_strv(groups, ngroups);
	*paths = v;
	return n;
}

size_t zks_snap_child_count(const struct zks_snapshot *s, const char *path)
{
	char **v;
	size_t n = zks_snap_children(s, path, &v);

	zks_free_strv(v, n);
	return n;
}

bool zks_snap_registered(const struct zks_snapshot *s, const char *node)
{
	cleanup_free char *path = NULL;

	if (node == NULL || node[0] == '\0' || strchr(node, '/') != NULL)
		return false;
	path = zks_path_node(node);
	return zks_tree_exists(s->tree, path);
}

long zks_snap_count(const cJSON *v)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1))
		return 0;
	return v->valuedouble > 1e9 ? 1000000000L : (long)v->valuedouble;
}

bool zks_snap_int(const cJSON *obj, const char *key, long min, long max, long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	/* Range first: casting a double outside long's range is undefined. */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)min && v->valuedouble <= (double)max))
		return false;
	*out = (long)v->valuedouble;
	return true;
}

const char *zks_snap_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void zks_snap_format_age(int64_t ms, char out[32])
{
	int64_t s = ms < 0 ? 0 : ms / 1000;

	if (s < 60)
		snprintf(out, 32, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, 32, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		snprintf(out, 32, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
	else
		snprintf(out, 32, "%lldd%02lldh", (long long)(s / 86400),
			 (long long)(s % 86400 / 3600));
}

void zks_snap_format_time(int64_t epoch_ms, char out[32])
{
	time_t t = (time_t)(epoch_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void zks_snap_format_time_ms(int64_t epoch_ms, char out[32])
{
	char secs[32];

	zks_snap_format_time(epoch_ms, secs);
	/* "...:SSZ" -> "...:SS.mmmZ"; epochs before 1970 do not occur (ZooKeeper's or ours). */
	snprintf(out, 32, "%.*s.%03dZ", (int)strlen(secs) - 1, secs,
		 (int)((epoch_ms % 1000 + 1000) % 1000));
}
