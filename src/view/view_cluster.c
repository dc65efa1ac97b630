/*
 * view_cluster.c - the dashboard's cluster document (view.h): nodes with
 * their state and what they hold, volumes with holders and markers, networks
 * with endpoints per node, pools with their fill, counts.
 *
 * One pass over each kind of record: volumes (and their leases), networks
 * (members, endpoints, their names), pools (addresses); each pass tallies what
 * the nodes hold in a map, and the nodes come last, from that map, the
 * registrations and the beats the caller knows.  Every list follows the
 * snapshot's sorted children, so the document is sorted by name/id and two
 * documents can be compared by walking them side by side (feed.c).
 */
#include <stdlib.h>
#include <string.h>

#include "zkswarm/cidr.h"
#include "zkswarm/heartbeat.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"
#include "zkswarm/view.h"

#include "view_json.h"
#include "zkswarm/volume_options.h"

/* What a node holds, the keys of "holds", in the document's order. */
static const char *const holds_keys[] = {"leases", "mounts", "endpoints", "addresses", "members"};

struct build {
	const struct zks_snapshot *s;
	cJSON *held;	      /* {node: {leases, mounts, ...}} */
	cJSON *pool_networks; /* {subnet text: [network keys]} */
	struct zks_kv *defaults;
	size_t ndefaults;
};

/* The holds object of node (every key at 0 when new). */
static cJSON *holds_of(cJSON *held, const char *node)
{
	cJSON *h = cJSON_GetObjectItemCaseSensitive(held, node);

	if (h == NULL) {
		h = cJSON_AddObjectToObject(held, node);
		for (size_t i = 0; i < ARRAY_SIZE(holds_keys); i++)
			cJSON_AddNumberToObject(h, holds_keys[i], 0);
	}
	return h;
}

static void holds_add(cJSON *held, const char *node, const char *what, long n)
{
	cJSON *v;

	if (node == NULL || node[0] == '\0')
		return;
	v = cJSON_GetObjectItemCaseSensitive(holds_of(held, node), what);
	cJSON_SetNumberValue(v, v->valuedouble + (double)n);
}

/* ---- volumes --------------------------------------------------------------------------------- */

/* The options that differ from the defaults (access and type have their own fields too). */
static cJSON *nondefault_options(const struct build *b, const cJSON *opts)
{
	cJSON *out = cJSON_CreateObject();
	const cJSON *e;

	cJSON_ArrayForEach(e, opts)
	{
		bool is_default = false;

		if (e->string == NULL || !cJSON_IsString(e))
			continue;
		for (size_t i = 0; i < b->ndefaults; i++)
			if (!strcmp(b->defaults[i].key, e->string) &&
			    !strcmp(b->defaults[i].value, e->valuestring))
				is_default = true;
		if (!is_default)
			cJSON_AddStringToObject(out, e->string, e->valuestring);
	}
	return out;
}

/* The holders (one per lease), counting leases and mounts for their nodes; *stale when one's
 * node is not registered.  Returns how many. */
static int volume_holders(struct build *b, const char *name, cJSON *arr, bool *stale)
{
	cleanup_free char *leases = zks_path_volume_leases(name);
	cleanup_free char *holder_path = zks_path_volume_holder(name);
	struct zks_record_lease holder;
	char **nodes;
	size_t n = zks_snap_children(b->s, leases, &nodes);

	zks_snap_get_record(b->s, holder_path, NULL, ZKS_SNAP_LEASE, &holder);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *lp = xasprintf("%s/%s", leases, nodes[i]);
		struct zks_record_lease lease;
		cJSON *h = cJSON_CreateObject();
		bool registered = zks_snap_registered(b->s, nodes[i]);

		zks_snap_get_record(b->s, lp, NULL, ZKS_SNAP_LEASE, &lease);
		cJSON_AddStringToObject(h, "node", nodes[i]);
		cJSON_AddNumberToObject(h, "mounts", (double)lease.nmounts);
		cJSON_AddBoolToObject(h, "exclusive",
				      holder.node != NULL && !strcmp(holder.node, nodes[i]));
		cJSON_AddBoolToObject(h, "registered", registered);
		cJSON_AddItemToArray(arr, h);
		*stale = *stale || !registered;
		holds_add(b->held, nodes[i], "leases", 1);
		holds_add(b->held, nodes[i], "mounts", (long)lease.nmounts);
		zks_record_lease_clear(&lease);
	}
	zks_record_lease_clear(&holder);
	zks_free_strv(nodes, n);
	return (int)n;
}

/* A config volume's head (/configs/<name>): {version, files, at, by}, or null. */
static cJSON *config_head(const struct zks_snapshot *s, const char *name)
{
	cleanup_free char *path = zks_path_config(name);
	cleanup_free char *data = NULL;
	struct zks_config_manifest m = {0};
	cJSON *obj;

	if (zks_snap_get(s, path, &data, NULL, NULL) < 0 || data == NULL ||
	    zks_config_manifest_decode(data, &m, NULL) < 0)
		return cJSON_CreateNull();
	obj = cJSON_CreateObject();
	cJSON_AddNumberToObject(obj, "version", (double)m.version);
	cJSON_AddNumberToObject(obj, "files", (double)m.nfiles);
	view_add_str(obj, "at", m.at);
	view_add_str(obj, "by", m.by);
	zks_config_manifest_clear(&m);
	return obj;
}

static cJSON *cluster_volume(struct build *b, const char *name)
{
	cleanup_free char *path = zks_path_volume(name);
	cJSON *doc = zks_snap_get_object(b->s, path, NULL, NULL);
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(doc, "options");
	const char *type = zks_snap_str(opts, "type") ? zks_snap_str(opts, "type") : "dir";
	const char *access = zks_snap_str(opts, "access");
	cJSON *obj = cJSON_CreateObject();
	bool stale = false;
	int holders;

	cJSON_AddStringToObject(obj, "name", name);
	cJSON_AddBoolToObject(obj, "valid", doc != NULL);
	cJSON_AddStringToObject(obj, "type", type);
	view_add_str(obj, "access", access);
	cJSON_AddItemToObject(obj, "options", nondefault_options(b, opts));
	view_add_str(obj, "created_at", zks_snap_str(doc, "created_at"));
	view_add_str(obj, "created_by", zks_snap_str(doc, "created_by"));
	holders = volume_holders(b, name, cJSON_AddArrayToObject(obj, "holders"), &stale);
	cJSON_AddBoolToObject(obj, "stale", stale);
	cJSON_AddBoolToObject(obj, "conflict",
			      access != NULL && !strcmp(access, "single-node") && holders > 1);
	if (!strcmp(type, "config"))
		cJSON_AddItemToObject(obj, "config", config_head(b->s, name));
	cJSON_Delete(doc);
	return obj;
}

/* ---- networks -------------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The member nodes, sorted and each once ("n1:abc" is node n1's engine's membership). */
static cJSON *network_members(struct build *b, const char *key)
{
	cleanup_free char *members = zks_path_network_members(key);
	cJSON *arr = cJSON_CreateArray();
	char **names;
	size_t n = zks_snap_children(b->s, members, &names);

	for (size_t i = 0; i < n; i++)
		names[i][strcspn(names[i], ":")] = '\0';
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		holds_add(b->held, names[i], "members", 1);
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			cJSON_AddItemToArray(arr, cJSON_CreateString(names[i]));
	}
	zks_free_strv(names, n);
	return arr;
}

/* An endpoint's name record's name and network name (raw: also a record the daemon rejects). */
static cJSON *endpoint_name(struct build *b, const char *key, const char *id, cJSON *e,
			    char **network_name)
{
	cleanup_free char *path = zks_path_name(key, id);
	cJSON *doc = zks_snap_get_object(b->s, path, NULL, NULL);

	view_add_str(e, "name", zks_snap_str(doc, "name"));
	if (*network_name == NULL && zks_snap_str(doc, "network_name") != NULL)
		*network_name = xstrdup(zks_snap_str(doc, "network_name"));
	cJSON_Delete(doc);
	return e;
}

/* The endpoints, by id, counted for their nodes; the network's name from their names. */
static cJSON *network_endpoints(struct build *b, const char *key, char **network_name)
{
	cleanup_free char *endpoints = zks_path_network_endpoints(key);
	cJSON *arr = cJSON_CreateArray();
	char **ids;
	size_t n = zks_snap_children(b->s, endpoints, &ids);

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = xasprintf("%s/%s", endpoints, ids[i]);
		cJSON *doc = zks_snap_get_object(b->s, p, NULL, NULL), *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "id", ids[i]);
		view_add_str(e, "node", zks_snap_str(doc, "node"));
		view_add_str(e, "address", zks_snap_str(doc, "address"));
		holds_add(b->held, zks_snap_str(doc, "node"), "endpoints", 1);
		cJSON_AddItemToArray(arr, endpoint_name(b, key, ids[i], e, network_name));
		cJSON_Delete(doc);
	}
	zks_free_strv(ids, n);
	return arr;
}

/* Remember that the network key uses the subnet text, for the pools. */
static void pool_network(struct build *b, const char *subnet, const char *key)
{
	cJSON *keys = cJSON_GetObjectItemCaseSensitive(b->pool_networks, subnet);

	if (keys == NULL)
		keys = cJSON_AddArrayToObject(b->pool_networks, subnet);
	cJSON_AddItemToArray(keys, cJSON_CreateString(key));
}

static void add_int(cJSON *obj, const char *key, const cJSON *doc, long min, long max)
{
	long v;

	if (zks_snap_int(doc, key, min, max, &v))
		cJSON_AddNumberToObject(obj, key, (double)v);
	else
		cJSON_AddNullToObject(obj, key);
}

static cJSON *cluster_network(struct build *b, const char *key)
{
	cleanup_free char *path = zks_path_network(key);
	cleanup_free char *network_name = NULL;
	/* Raw, not zks_record_network_decode: it shows a record the daemon rejects. */
	cJSON *doc = zks_snap_get_object(b->s, path, NULL, NULL), *obj = cJSON_CreateObject(), *eps;
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(doc, "options");

	cJSON_AddStringToObject(obj, "key", key);
	cJSON_AddBoolToObject(obj, "valid", doc != NULL);
	view_add_str(obj, "subnet", zks_snap_str(doc, "subnet"));
	view_add_str(obj, "gateway", zks_snap_str(doc, "gateway"));
	add_int(obj, "vni", doc, 1, ZKS_VNI_MAX);
	add_int(obj, "mtu", doc, 0, 65535);
	cJSON_AddItemToObject(obj, "members", network_members(b, key));
	eps = network_endpoints(b, key, &network_name);
	/* The cluster-wide name it was created with, else the engines' name for it. */
	if (zks_snap_str(opts, "cluster-name") != NULL) {
		free(network_name);
		network_name = xstrdup(zks_snap_str(opts, "cluster-name"));
	}
	view_add_str(obj, "name", network_name);
	cJSON_AddItemToObject(obj, "endpoints", eps);
	if (zks_snap_str(doc, "subnet") != NULL)
		pool_network(b, zks_snap_str(doc, "subnet"), key);
	cJSON_Delete(doc);
	return obj;
}

/* ---- pools ----------------------------------------------------------------------------------- */

/* The address records under addrs: how many, each holder counted for its node. */
static size_t pool_addresses(struct build *b, const char *addrs)
{
	char **paths;
	size_t n = zks_snap_addresses(b->s, addrs, &paths);

	for (size_t i = 0; i < n; i++) {
		struct zks_record_address rec;

		zks_snap_get_record(b->s, paths[i], NULL, ZKS_SNAP_ADDRESS, &rec);
		for (size_t k = 0; k < rec.holders.n; k++)
			if (rec.holders.v[k].number && rec.holders.v[k].n > 0)
				holds_add(b->held, rec.holders.v[k].node, "addresses", 1);
		zks_record_address_clear(&rec);
	}
	zks_free_strv(paths, n);
	return n;
}

static cJSON *cluster_pool(struct build *b, const char *name)
{
	cleanup_free char *addrs = zks_path_subnet_addrs(name);
	cJSON *obj = cJSON_CreateObject();
	const cJSON *nets;
	struct zks_cidr cidr;
	char text[ZKS_CIDR_STR];
	bool named = zks_cidr_from_name(name, &cidr) == 0;

	if (named)
		zks_cidr_format(&cidr, text);
	cJSON_AddStringToObject(obj, "subnet", named ? text : name);
	if (named)
		cJSON_AddNumberToObject(obj, "size", (double)zks_cidr_host_count(&cidr));
	else
		cJSON_AddNullToObject(obj, "size");
	cJSON_AddNumberToObject(obj, "used", (double)pool_addresses(b, addrs));
	nets = named ? cJSON_GetObjectItemCaseSensitive(b->pool_networks, text) : NULL;
	cJSON_AddItemToObject(obj, "networks",
			      nets ? cJSON_Duplicate(nets, true) : cJSON_CreateArray());
	return obj;
}

/* ---- nodes ----------------------------------------------------------------------------------- */

static const struct zks_view_beat *beat_of(const struct zks_view_liveness *live, const char *node)
{
	for (size_t i = 0; live != NULL && i < live->n; i++)
		if (live->beats[i].node != NULL && !strcmp(live->beats[i].node, node))
			return &live->beats[i];
	return NULL;
}

/* Whether any record names the node (a mount always comes with its lease). */
static bool holds_any(const cJSON *holds)
{
	static const char *const naming[] = {"leases", "endpoints", "addresses", "members"};

	for (size_t i = 0; i < ARRAY_SIZE(naming); i++)
		if (cJSON_GetObjectItemCaseSensitive(holds, naming[i])->valuedouble > 0)
			return true;
	return false;
}

/* The node's state (view.h), or NULL when nothing shows it any more. */
static const char *node_state(bool registered, const cJSON *holds, const struct zks_view_beat *b)
{
	if (registered)
		return b != NULL && zks_beat_late(b->age_ms, b->every_ms) ? "cut off" : "connected";
	if (holds_any(holds))
		return "expired";
	return b != NULL ? "reaped" : NULL;
}

static cJSON *cluster_node(struct build *b, const char *id, const struct zks_view_liveness *live)
{
	cleanup_free char *path = zks_path_node(id);
	const struct zks_view_beat *beat = beat_of(live, id);
	struct zks_record_node rec;
	struct zks_stat st = {0};
	bool registered = zks_snap_get_record(b->s, path, &st, ZKS_SNAP_NODE, &rec) != 0;
	cJSON *holds = holds_of(b->held, id), *obj = NULL;
	const char *state = node_state(registered, holds, beat);

	if (state != NULL) {
		cleanup_free char *sess = zks_view_session_hex(st.owner);

		obj = cJSON_CreateObject();
		cJSON_AddStringToObject(obj, "id", id);
		cJSON_AddStringToObject(obj, "state", state);
		if (beat != NULL && beat->age_ms >= 0)
			cJSON_AddNumberToObject(obj, "last_heard_ms", (double)beat->age_ms);
		else
			cJSON_AddNullToObject(obj, "last_heard_ms");
		view_add_str(obj, "address", rec.address);
		view_add_str(obj, "version", rec.version);
		view_add_str(obj, "started_at", rec.started_at);
		view_add_str(obj, "session", registered && st.owner != 0 ? sess : NULL);
		cJSON_AddItemToObject(obj, "holds", cJSON_Duplicate(holds, true));
	}
	zks_record_node_clear(&rec);
	return obj;
}

/* Every node id shown: registered, named by records, or with a beat; sorted, each once. */
static size_t node_ids(struct build *b, const struct zks_view_liveness *live, char ***ids)
{
	char **v;
	size_t n = zks_snap_children(b->s, ZKS_NODES, &v), k = 0;
	const cJSON *e;

	v = xrealloc(v, (n + (size_t)cJSON_GetArraySize(b->held) + (live ? live->n : 0) + 1) *
				sizeof(*v));
	cJSON_ArrayForEach(e, b->held) v[n++] = xstrdup(e->string);
	for (size_t i = 0; live != NULL && i < live->n; i++)
		if (live->beats[i].node != NULL && live->beats[i].node[0] != '\0')
			v[n++] = xstrdup(live->beats[i].node);
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && !strcmp(v[i], v[k - 1]))
			free(v[i]);
		else
			v[k++] = v[i];
	}
	v[k] = NULL;
	*ids = v;
	return k;
}

static cJSON *cluster_nodes(struct build *b, const struct zks_view_liveness *live)
{
	cJSON *arr = cJSON_CreateArray();
	char **ids;
	size_t n = node_ids(b, live, &ids);

	for (size_t i = 0; i < n; i++) {
		cJSON *node = cluster_node(b, ids[i], live);

		if (node != NULL)
			cJSON_AddItemToArray(arr, node);
	}
	zks_free_strv(ids, n);
	return arr;
}

/* ---- the document ---------------------------------------------------------------------------- */

/* A list of item(child) for every child of parent. */
static cJSON *list_of(struct build *b, const char *parent,
		      cJSON *(*item)(struct build *b, const char *name))
{
	cJSON *arr = cJSON_CreateArray();
	char **names;
	size_t n = zks_snap_children(b->s, parent, &names);

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, item(b, names[i]));
	zks_free_strv(names, n);
	return arr;
}

cJSON *zks_view_cluster(const struct zks_snapshot *s, const struct zks_view_liveness *live)
{
	struct build b = {.s = s,
			  .held = cJSON_CreateObject(),
			  .pool_networks = cJSON_CreateObject()};
	struct zks_volume_options defaults;
	cJSON *doc = cJSON_CreateObject(), *volumes, *networks, *pools;

	if (zks_volume_options_parse(NULL, 0, &defaults, NULL) == 0)
		b.ndefaults = zks_volume_options_format(&defaults, &b.defaults);
	/* Nodes come first in the document but last in the making: they need the tallies. */
	volumes = list_of(&b, ZKS_VOLUMES, cluster_volume);
	networks = list_of(&b, ZKS_NETWORKS, cluster_network);
	pools = list_of(&b, ZKS_SUBNETS, cluster_pool);
	cJSON_AddItemToObject(doc, "nodes", cluster_nodes(&b, live));
	cJSON_AddItemToObject(doc, "volumes", volumes);
	cJSON_AddItemToObject(doc, "networks", networks);
	cJSON_AddItemToObject(doc, "pools", pools);
	cJSON_AddItemToObject(doc, "counts", zks_view_record_counts(s));
	zks_volume_options_free_kv(b.defaults, b.ndefaults);
	cJSON_Delete(b.held);
	cJSON_Delete(b.pool_networks);
	return doc;
}
