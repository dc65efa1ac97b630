/*
 * view.c - the JSON documents of the records, built from a snapshot
 * (snapshot.h): a volume with its holders, a network with its members and
 * endpoints, a pool with its addresses, a name, the nodes with what they
 * hold, the reaper, the counts.  zkswarmctl prints them (`--json`) and renders
 * its tables from them; the dashboard's document (view_cluster.c) reads the
 * same records the same way.  Records are untrusted: a field of the wrong type
 * is shown as missing (null), a record that is not JSON is listed with
 * "valid": false and never stops a listing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/cidr.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"
#include "zkswarm/view.h"

#include "view_json.h"

char *zks_view_session_hex(int64_t id)
{
	return xasprintf("0x%llx", (unsigned long long)id);
}

/* A record's per-node counts as {"n1": 2, ...}, with the positive ones only. */
static cJSON *per_node_json(const struct zks_record_counts *counts)
{
	cJSON *out = cJSON_CreateObject();

	for (size_t i = 0; i < counts->n; i++)
		if (zks_snap_record_count(&counts->v[i]) > 0)
			cJSON_AddNumberToObject(out, counts->v[i].node,
						(double)zks_snap_record_count(&counts->v[i]));
	return out;
}

static void counter_bump(cJSON *map, const char *node, const char *what)
{
	cJSON *entry = cJSON_GetObjectItemCaseSensitive(map, node), *n;

	if (entry == NULL)
		entry = cJSON_AddObjectToObject(map, node);
	n = cJSON_GetObjectItemCaseSensitive(entry, what);
	if (n == NULL)
		cJSON_AddNumberToObject(entry, what, 1);
	else
		cJSON_SetNumberValue(n, n->valuedouble + 1);
}

cJSON *zks_view_volume(const struct zks_snapshot *s, const char *name, bool detail)
{
	cleanup_free char *path = zks_path_volume(name);
	cleanup_free char *leases = zks_path_volume_leases(name);
	cleanup_free char *holder_path = zks_path_volume_holder(name);
	cJSON *obj = cJSON_CreateObject(), *doc, *holders, *opts;
	struct zks_record_lease holder;
	struct zks_stat st;
	char **nodes;
	size_t n;
	int state;
	const char *exclusive = NULL;

	doc = zks_snap_get_object(s, path, &st, &state);
	cJSON_AddStringToObject(obj, "name", name);
	cJSON_AddBoolToObject(obj, "valid", doc != NULL);
	if (doc == NULL)
		cJSON_AddStringToObject(obj, "error", "the record is not a JSON object");
	opts = cJSON_GetObjectItemCaseSensitive(doc, "options");
	view_add_str(obj, "access", zks_snap_str(opts, "access"));
	cJSON_AddItemToObject(obj, "options",
			      cJSON_IsObject(opts) ? cJSON_Duplicate(opts, true)
						   : cJSON_CreateObject());
	view_add_str(obj, "created_by", zks_snap_str(doc, "created_by"));
	view_add_str(obj, "created_at", zks_snap_str(doc, "created_at"));

	zks_snap_get_record(s, holder_path, NULL, ZKS_SNAP_LEASE, &holder);
	exclusive = holder.node;
	holders = cJSON_AddArrayToObject(obj, "holders");
	n = zks_snap_children(s, leases, &nodes);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *lp = xasprintf("%s/%s", leases, nodes[i]);
		cJSON *ldoc = zks_snap_get_object(s, lp, &st, NULL), *h = cJSON_CreateObject();
		const cJSON *mounts = cJSON_GetObjectItemCaseSensitive(ldoc, "mounts");

		cJSON_AddStringToObject(h, "node", nodes[i]);
		cJSON_AddNumberToObject(h, "mounts",
					cJSON_IsArray(mounts) ? cJSON_GetArraySize(mounts) : 0);
		cJSON_AddBoolToObject(h, "exclusive",
				      exclusive != NULL && !strcmp(exclusive, nodes[i]));
		cJSON_AddBoolToObject(h, "registered", zks_snap_registered(s, nodes[i]));
		if (detail) {
			cleanup_free char *sess = zks_view_session_hex(st.owner);

			cJSON_AddItemToObject(h, "mount_ids",
					      cJSON_IsArray(mounts) ? cJSON_Duplicate(mounts, true)
								    : cJSON_CreateArray());
			view_add_str(h, "updated_at", zks_snap_str(ldoc, "updated_at"));
			cJSON_AddBoolToObject(h, "ephemeral", st.owner != 0);
			view_add_str(h, "session", st.owner != 0 ? sess : NULL);
			cJSON_AddBoolToObject(h, "valid", ldoc != NULL);
		}
		cJSON_AddItemToArray(holders, h);
		cJSON_Delete(ldoc);
	}
	zks_free_strv(nodes, n);
	view_add_str(obj, "exclusive_holder", exclusive);
	zks_record_lease_clear(&holder);
	cJSON_Delete(doc);
	return obj;
}

/* One more for node in a flat per-node count ({"n1": 2}). */
static void count_node(cJSON *per_node, const char *node)
{
	cJSON *cnt = cJSON_GetObjectItemCaseSensitive(per_node, node);

	if (cnt)
		cJSON_SetNumberValue(cnt, cnt->valuedouble + 1);
	else
		cJSON_AddNumberToObject(per_node, node, 1);
}

/* The network record's fields, and whether its VNI's claim names it. */
static void network_record_json(const struct zks_snapshot *s, const char *key, cJSON *obj)
{
	cleanup_free char *path = zks_path_network(key);
	/* Raw, not zks_record_network_decode: it shows a record the daemon rejects. */
	cJSON *doc = zks_snap_get_object(s, path, NULL, NULL);
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(doc, "options");
	long vni, mtu;

	cJSON_AddBoolToObject(obj, "valid", doc != NULL);
	if (doc == NULL)
		cJSON_AddStringToObject(obj, "error", "the record is not a JSON object");
	view_add_str(obj, "subnet", zks_snap_str(doc, "subnet"));
	view_add_str(obj, "gateway", zks_snap_str(doc, "gateway"));
	if (zks_snap_int(doc, "vni", 1, 16777215, &vni)) {
		cleanup_free char *claim_path = zks_path_vni((unsigned long)vni);
		struct zks_record_vni claim;

		zks_snap_get_record(s, claim_path, NULL, ZKS_SNAP_VNI, &claim);
		cJSON_AddNumberToObject(obj, "vni", (double)vni);
		cJSON_AddBoolToObject(obj, "vni_claimed",
				      claim.network != NULL && !strcmp(claim.network, key));
		zks_record_vni_clear(&claim);
	} else {
		cJSON_AddNullToObject(obj, "vni");
		cJSON_AddBoolToObject(obj, "vni_claimed", false);
	}
	if (zks_snap_int(doc, "mtu", 0, 65535, &mtu))
		cJSON_AddNumberToObject(obj, "mtu", (double)mtu);
	else
		cJSON_AddNullToObject(obj, "mtu");
	cJSON_AddItemToObject(obj, "options",
			      cJSON_IsObject(opts) ? cJSON_Duplicate(opts, true)
						   : cJSON_CreateObject());
	view_add_str(obj, "created_by", zks_snap_str(doc, "created_by"));
	view_add_str(obj, "created_at", zks_snap_str(doc, "created_at"));
	cJSON_Delete(doc);
}

/* The members (node:id) as "members" and "members_per_node". */
static void network_members_json(const struct zks_snapshot *s, const char *key, cJSON *obj)
{
	cleanup_free char *members = zks_path_network_members(key);
	cJSON *arr = cJSON_AddArrayToObject(obj, "members");
	cJSON *per_node = cJSON_AddObjectToObject(obj, "members_per_node");
	char **names;
	size_t n = zks_snap_children(s, members, &names);

	for (size_t i = 0; i < n; i++) {
		const char *colon = strchr(names[i], ':');
		cleanup_free char *node =
			colon ? xstrndup(names[i], (size_t)(colon - names[i])) : xstrdup(names[i]);
		cJSON *m = cJSON_CreateObject();

		cJSON_AddStringToObject(m, "node", node);
		view_add_str(m, "network_id", colon ? colon + 1 : NULL);
		cJSON_AddBoolToObject(m, "registered", zks_snap_registered(s, node));
		cJSON_AddItemToArray(arr, m);
		count_node(per_node, node);
	}
	zks_free_strv(names, n);
}

/* The endpoint records as "endpoints" and "endpoints_per_node". */
static void network_endpoints_json(const struct zks_snapshot *s, const char *key, cJSON *obj)
{
	cleanup_free char *endpoints = zks_path_network_endpoints(key);
	cJSON *arr = cJSON_AddArrayToObject(obj, "endpoints");
	cJSON *per_node = cJSON_AddObjectToObject(obj, "endpoints_per_node");
	char **names;
	size_t n = zks_snap_children(s, endpoints, &names);

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *ep = xasprintf("%s/%s", endpoints, names[i]);
		/* Raw, not zks_record_endpoint_decode: it shows an endpoint the daemon rejects. */
		cJSON *edoc = zks_snap_get_object(s, ep, NULL, NULL), *e = cJSON_CreateObject();
		const char *node = zks_snap_str(edoc, "node");

		cJSON_AddStringToObject(e, "id", names[i]);
		cJSON_AddBoolToObject(e, "valid", edoc != NULL && node != NULL);
		view_add_str(e, "node", node);
		view_add_str(e, "address", zks_snap_str(edoc, "address"));
		view_add_str(e, "mac", zks_snap_str(edoc, "mac"));
		view_add_str(e, "network_id", zks_snap_str(edoc, "network"));
		cJSON_AddBoolToObject(e, "registered", zks_snap_registered(s, node));
		cJSON_AddItemToArray(arr, e);
		if (node != NULL)
			count_node(per_node, node);
		cJSON_Delete(edoc);
	}
	zks_free_strv(names, n);
}

cJSON *zks_view_network(const struct zks_snapshot *s, const char *key)
{
	cJSON *obj = cJSON_CreateObject();

	cJSON_AddStringToObject(obj, "key", key);
	network_record_json(s, key, obj);
	network_members_json(s, key, obj);
	network_endpoints_json(s, key, obj);
	return obj;
}

/* Which endpoint (of any network) has address ip; a new object or NULL. */
static cJSON *endpoint_of(const struct zks_snapshot *s, const char *ip)
{
	char **keys;
	size_t nk = zks_snap_children(s, ZKS_NETWORKS, &keys);
	cJSON *found = NULL;

	for (size_t i = 0; i < nk && found == NULL; i++) {
		cleanup_free char *eps = zks_path_network_endpoints(keys[i]);
		char **ids;
		size_t ne = zks_snap_children(s, eps, &ids);

		for (size_t k = 0; k < ne && found == NULL; k++) {
			cleanup_free char *p = xasprintf("%s/%s", eps, ids[k]);
			/* Raw: an endpoint the daemon rejects still names its address's user. */
			cJSON *doc = zks_snap_get_object(s, p, NULL, NULL);
			const char *a = zks_snap_str(doc, "address");
			size_t iplen = strlen(ip);

			if (a != NULL && !strncmp(a, ip, iplen) &&
			    (a[iplen] == '/' || a[iplen] == '\0')) {
				found = cJSON_CreateObject();
				cJSON_AddStringToObject(found, "network", keys[i]);
				cJSON_AddStringToObject(found, "id", ids[k]);
				view_add_str(found, "node", zks_snap_str(doc, "node"));
			}
			cJSON_Delete(doc);
		}
		zks_free_strv(ids, ne);
	}
	zks_free_strv(keys, nk);
	return found;
}

/* An address record: what it says, who holds it, and the endpoint that uses it. */
static cJSON *address_json(const struct zks_snapshot *s, const char *ap)
{
	const char *ip = strrchr(ap, '/') + 1; /* a path: .../group/ip */
	struct zks_record_address rec;
	struct zks_stat st;
	cJSON *a = cJSON_CreateObject(), *ep;
	char at[32];
	bool valid = zks_snap_get_record(s, ap, &st, ZKS_SNAP_ADDRESS, &rec) > 0;

	zks_snap_format_time(st.ctime_ms, at);
	cJSON_AddStringToObject(a, "address", ip);
	cJSON_AddBoolToObject(a, "valid", valid);
	view_add_str(a, "kind", rec.kind);
	cJSON_AddBoolToObject(a, "swarm", rec.swarm);
	cJSON_AddItemToObject(a, "holders", per_node_json(&rec.holders));
	cJSON_AddStringToObject(a, "claimed_at", at);
	ep = endpoint_of(s, ip);
	if (ep)
		cJSON_AddItemToObject(a, "endpoint", ep);
	else
		cJSON_AddNullToObject(a, "endpoint");
	zks_record_address_clear(&rec);
	return a;
}

/* The keys of the networks whose record names the subnet text. */
static cJSON *subnet_networks(const struct zks_snapshot *s, const char *text)
{
	cJSON *nets = cJSON_CreateArray();
	char **keys;
	size_t nk = zks_snap_children(s, ZKS_NETWORKS, &keys);

	for (size_t i = 0; i < nk; i++) {
		cleanup_free char *np = zks_path_network(keys[i]);
		/* Raw: the subnet's text as written, also of a record the daemon rejects. */
		cJSON *ndoc = zks_snap_get_object(s, np, NULL, NULL);
		const char *sub = zks_snap_str(ndoc, "subnet");

		if (sub != NULL && text != NULL && !strcmp(sub, text))
			cJSON_AddItemToArray(nets, cJSON_CreateString(keys[i]));
		cJSON_Delete(ndoc);
	}
	zks_free_strv(keys, nk);
	return nets;
}

cJSON *zks_view_pool(const struct zks_snapshot *s, const char *name, bool detail)
{
	cleanup_free char *path = zks_path_subnet(name);
	cleanup_free char *addrs = zks_path_subnet_addrs(name);
	cJSON *obj = cJSON_CreateObject(), *arr;
	struct zks_record_subnet rec;
	struct zks_cidr cidr;
	bool named = zks_cidr_from_name(name, &cidr) == 0;
	bool valid = zks_snap_get_record(s, path, NULL, ZKS_SNAP_SUBNET, &rec) > 0;
	char text[ZKS_CIDR_STR], **names;
	size_t n;

	if (named)
		zks_cidr_format(&cidr, text);
	cJSON_AddStringToObject(obj, "subnet", named ? text : (rec.cidr ? rec.cidr : name));
	cJSON_AddStringToObject(obj, "name", name);
	cJSON_AddBoolToObject(obj, "valid", valid);
	if (!valid)
		cJSON_AddStringToObject(obj, "error", "the record is not a JSON object");
	cJSON_AddItemToObject(obj, "refs", per_node_json(&rec.refs));
	view_add_str(obj, "gateway", rec.gateway);
	view_add_str(obj, "created_by", rec.created_by);
	view_add_str(obj, "created_at", rec.created_at);
	zks_record_subnet_clear(&rec);
	n = zks_snap_addresses(s, addrs, &names);
	cJSON_AddNumberToObject(obj, "addresses_used", (double)n);
	if (named)
		cJSON_AddNumberToObject(obj, "usable_hosts", (double)zks_cidr_host_count(&cidr));
	else
		cJSON_AddNullToObject(obj, "usable_hosts");
	cJSON_AddItemToObject(obj, "networks", subnet_networks(s, named ? text : NULL));
	if (detail) {
		arr = cJSON_AddArrayToObject(obj, "addresses");
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, address_json(s, names[i]));
	}
	zks_free_strv(names, n);
	return obj;
}

static cJSON *name_ports_json(const struct zks_record_name *rec)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < rec->nports; i++) {
		cJSON *p = cJSON_CreateObject();

		cJSON_AddNumberToObject(p, "port", rec->ports[i].port);
		cJSON_AddStringToObject(p, "proto", rec->ports[i].proto);
		cJSON_AddItemToArray(arr, p);
	}
	return arr;
}

/* What the record says; every field null (lists empty) when it is unreadable. */
static void name_fields_json(const struct zks_record_name *rec, cJSON *obj)
{
	cJSON *aliases = cJSON_CreateArray();

	for (size_t i = 0; i < rec->naliases; i++)
		cJSON_AddItemToArray(aliases, cJSON_CreateString(rec->aliases[i]));
	view_add_str(obj, "name", rec->name);
	cJSON_AddItemToObject(obj, "aliases", aliases);
	view_add_str(obj, "hostname", rec->hostname);
	view_add_str(obj, "container", rec->container);
	view_add_str(obj, "network", rec->network);
	view_add_str(obj, "network_name", rec->network_name);
	view_add_str(obj, "address", rec->address);
	view_add_str(obj, "node", rec->node);
	view_add_str(obj, "service", rec->service);
	view_add_str(obj, "service_id", rec->service_id);
	view_add_str(obj, "task", rec->task);
	cJSON_AddItemToObject(obj, "ports", name_ports_json(rec));
	view_add_str(obj, "updated_at", rec->updated_at);
}

/* The name record of endpoint ep in network key, joined to its endpoint record and node. */
cJSON *zks_view_name(const struct zks_snapshot *s, const char *key, const char *ep)
{
	cleanup_free char *path = zks_path_name(key, ep);
	cleanup_free char *ep_path = zks_path_network_endpoint(key, ep);
	cleanup_free char *sess = NULL;
	struct zks_record_name rec;
	struct zks_error err = {0};
	struct zks_stat st = {0};
	bool valid = zks_snap_get_record_why(s, path, &st, ZKS_SNAP_NAME, &rec, &err) > 0;
	cJSON *obj = cJSON_CreateObject();

	sess = zks_view_session_hex(st.owner);
	cJSON_AddStringToObject(obj, "key", key);
	cJSON_AddStringToObject(obj, "endpoint", ep);
	cJSON_AddBoolToObject(obj, "valid", valid);
	view_add_str(obj, "error", valid ? NULL : err.msg);
	name_fields_json(&rec, obj);
	view_add_str(obj, "session", st.owner != 0 ? sess : NULL);
	cJSON_AddBoolToObject(obj, "registered", zks_snap_registered(s, rec.node));
	cJSON_AddBoolToObject(obj, "stale", !zks_snap_exists(s, ep_path));
	zks_record_name_clear(&rec);
	return obj;
}

/* Count one `what` for every node with a positive count. */
static void counts_bump(cJSON *map, const struct zks_record_counts *counts, const char *what)
{
	for (size_t i = 0; i < counts->n; i++)
		if (counts->v[i].number && counts->v[i].n > 0)
			counter_bump(map, counts->v[i].node, what);
}

/* Networks: a member per node:id, an endpoint per record naming its node. */
static void network_holdings(const struct zks_snapshot *s, const char *key, cJSON *map)
{
	cleanup_free char *members = zks_path_network_members(key);
	cleanup_free char *eps = zks_path_network_endpoints(key);
	char **v;
	size_t n = zks_snap_children(s, members, &v);

	for (size_t k = 0; k < n; k++) {
		char *colon = strchr(v[k], ':');

		if (colon) {
			*colon = '\0';
			counter_bump(map, v[k], "members");
		}
	}
	zks_free_strv(v, n);
	n = zks_snap_children(s, eps, &v);
	for (size_t k = 0; k < n; k++) {
		cleanup_free char *p = xasprintf("%s/%s", eps, v[k]);
		/* Raw: an endpoint the daemon rejects still counts for the node it names. */
		cJSON *doc = zks_snap_get_object(s, p, NULL, NULL);

		if (zks_snap_str(doc, "node"))
			counter_bump(map, zks_snap_str(doc, "node"), "endpoints");
		cJSON_Delete(doc);
	}
	zks_free_strv(v, n);
}

/* Pools: the subnet's references and its addresses' holders. */
static void pool_holdings(const struct zks_snapshot *s, const char *name, cJSON *map)
{
	cleanup_free char *sp = zks_path_subnet(name);
	cleanup_free char *ap = zks_path_subnet_addrs(name);
	struct zks_record_subnet subnet;
	char **v;
	size_t n;

	zks_snap_get_record(s, sp, NULL, ZKS_SNAP_SUBNET, &subnet);
	counts_bump(map, &subnet.refs, "pool_refs");
	zks_record_subnet_clear(&subnet);
	n = zks_snap_addresses(s, ap, &v);
	for (size_t k = 0; k < n; k++) {
		struct zks_record_address addr;

		zks_snap_get_record(s, v[k], NULL, ZKS_SNAP_ADDRESS, &addr);
		counts_bump(map, &addr.holders, "addresses");
		zks_record_address_clear(&addr);
	}
	zks_free_strv(v, n);
}

/* What nodes hold, by the records' layout (as the reaper reads it): {node: {what: count}}. */
cJSON *zks_view_holdings(const struct zks_snapshot *s)
{
	cJSON *map = cJSON_CreateObject();
	char **keys, **subnets, **vols;
	size_t nk = zks_snap_children(s, ZKS_NETWORKS, &keys);
	size_t ns = zks_snap_children(s, ZKS_SUBNETS, &subnets);
	size_t nv = zks_snap_children(s, ZKS_VOLUMES, &vols);

	for (size_t i = 0; i < nk; i++)
		network_holdings(s, keys[i], map);
	for (size_t i = 0; i < ns; i++)
		pool_holdings(s, subnets[i], map);
	for (size_t i = 0; i < nv; i++) {
		cleanup_free char *lp = zks_path_volume_leases(vols[i]);
		char **v;
		size_t n = zks_snap_children(s, lp, &v);

		for (size_t k = 0; k < n; k++)
			counter_bump(map, v[k], "leases");
		zks_free_strv(v, n);
	}
	zks_free_strv(keys, nk);
	zks_free_strv(subnets, ns);
	zks_free_strv(vols, nv);
	return map;
}

static size_t count_addresses(const struct zks_snapshot *s, const char *addrs)
{
	char **v;
	size_t n = zks_snap_addresses(s, addrs, &v);

	zks_free_strv(v, n);
	return n;
}

/* The sum of count(parent/<each child>/sub). */
static size_t sum_under(const struct zks_snapshot *s, const char *parent, const char *sub,
			size_t (*count)(const struct zks_snapshot *, const char *))
{
	char **names;
	size_t n = zks_snap_children(s, parent, &names), total = 0;

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = xasprintf("%s/%s/%s", parent, names[i], sub);

		total += count(s, p);
	}
	zks_free_strv(names, n);
	return total;
}

/* A registration, with what the node holds (held: zks_view_holdings()). */
static cJSON *node_json(const struct zks_snapshot *s, const char *id, const cJSON *held)
{
	cleanup_free char *p = zks_path_node(id);
	cleanup_free char *sess = NULL;
	struct zks_record_node rec;
	struct zks_stat st;
	bool valid = zks_snap_get_record(s, p, &st, ZKS_SNAP_NODE, &rec) > 0;
	cJSON *node = cJSON_CreateObject();
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(held, id);

	sess = zks_view_session_hex(st.owner);
	cJSON_AddStringToObject(node, "id", id);
	cJSON_AddStringToObject(node, "state", st.owner != 0 ? "registered" : "persistent");
	view_add_str(node, "session", st.owner != 0 ? sess : NULL);
	cJSON_AddBoolToObject(node, "valid", valid);
	view_add_str(node, "address", rec.address);
	view_add_str(node, "started_at", rec.started_at);
	view_add_str(node, "version", rec.version);
	view_add_str(node, "instance", rec.instance);
	cJSON_AddItemToObject(node, "holds", h ? cJSON_Duplicate(h, true) : cJSON_CreateObject());
	zks_record_node_clear(&rec);
	return node;
}

/* The registered nodes, then those that hold records but are not: the reaper's to reclaim. */
cJSON *zks_view_nodes(const struct zks_snapshot *s)
{
	cJSON *nodes = cJSON_CreateArray(), *held = zks_view_holdings(s);
	const cJSON *e;
	char **names;
	size_t n = zks_snap_children(s, ZKS_NODES, &names);

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(nodes, node_json(s, names[i], held));
	zks_free_strv(names, n);
	cJSON_ArrayForEach(e, held)
	{
		cJSON *node;

		if (e->string == NULL || zks_snap_registered(s, e->string))
			continue;
		node = cJSON_CreateObject();
		cJSON_AddStringToObject(node, "id", e->string);
		cJSON_AddStringToObject(node, "state", "gone");
		cJSON_AddNullToObject(node, "session");
		cJSON_AddItemToObject(node, "holds", cJSON_Duplicate(e, true));
		cJSON_AddItemToArray(nodes, node);
	}
	cJSON_Delete(held);
	return nodes;
}

cJSON *zks_view_reaper(const struct zks_snapshot *s)
{
	cJSON *reaper = cJSON_CreateObject();
	struct zks_record_leader rec;
	struct zks_stat st = {0};
	bool present = zks_snap_get_record(s, ZKS_REAPER_LEADER, &st, ZKS_SNAP_LEADER, &rec) > 0;
	cleanup_free char *sess = zks_view_session_hex(st.owner);

	view_add_str(reaper, "leader", rec.node);
	view_add_str(reaper, "session", present ? sess : NULL);
	cJSON_AddBoolToObject(reaper, "leader_registered", zks_snap_registered(s, rec.node));
	zks_record_leader_clear(&rec);
	return reaper;
}

cJSON *zks_view_record_counts(const struct zks_snapshot *s)
{
	cJSON *counts = cJSON_CreateObject();

	cJSON_AddNumberToObject(counts, "nodes", (double)zks_snap_child_count(s, ZKS_NODES));
	cJSON_AddNumberToObject(counts, "volumes", (double)zks_snap_child_count(s, ZKS_VOLUMES));
	cJSON_AddNumberToObject(counts, "leases",
				(double)sum_under(s, ZKS_VOLUMES, "leases", zks_snap_child_count));
	cJSON_AddNumberToObject(counts, "networks", (double)zks_snap_child_count(s, ZKS_NETWORKS));
	cJSON_AddNumberToObject(counts, "endpoints",
				(double)sum_under(s, ZKS_NETWORKS, "endpoints",
						  zks_snap_child_count));
	cJSON_AddNumberToObject(counts, "pools", (double)zks_snap_child_count(s, ZKS_SUBNETS));
	cJSON_AddNumberToObject(counts, "addresses",
				(double)sum_under(s, ZKS_SUBNETS, "addrs", count_addresses));
	cJSON_AddNumberToObject(counts, "vnis", (double)zks_snap_child_count(s, ZKS_VNIS));
	return counts;
}
