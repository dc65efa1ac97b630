/*
 * show.c - zkswarmctl's read-only commands: status, volumes, volume,
 * networks, network, pools, pool, names.
 *
 * Each builds one JSON document from the snapshot (the `--json` output) and
 * renders the tables from that document.  Records are untrusted: a field of
 * the wrong type is shown as missing, a record that is not JSON is listed
 * with "valid": false and never stops the listing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/cidr.h"
#include "zkswarm/ctl.h"
#include "zkswarm/ctl_probe.h"
#include "zkswarm/ctl_table.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"
#include "zkswarm/volume_options.h"

#define SHORT_ID 12

void ctl_print_json(const cJSON *doc)
{
	char *text = cJSON_Print(doc);

	if (text == NULL)
		abort();
	printf("%s\n", text);
	free(text);
}

/* ---- small helpers --------------------------------------------------------------------------- */

static char *session_hex(int64_t id)
{
	return xasprintf("0x%llx", (unsigned long long)id);
}

/* Append fmt's text to *text, after sep unless *text is empty. */
static void __attribute__((format(printf, 3, 4)))
appendf(char **text, const char *sep, const char *fmt, ...)
{
	char *add, *next;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&add, fmt, ap) < 0)
		abort();
	va_end(ap);
	next = xasprintf("%s%s%s", *text, (*text)[0] ? sep : "", add);
	free(add);
	free(*text);
	*text = next;
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

/* "n1:2 n2:1" from a counter; "" when empty. */
static char *counter_text(const cJSON *map)
{
	char *text = xstrdup("");
	const cJSON *e;

	cJSON_ArrayForEach(e, map)
	{
		if (e->string != NULL && cJSON_IsNumber(e))
			appendf(&text, " ", "%s:%ld", e->string, zks_snap_count(e));
	}
	return text;
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

static void add_str(cJSON *obj, const char *key, const char *value)
{
	if (value != NULL)
		cJSON_AddStringToObject(obj, key, value);
	else
		cJSON_AddNullToObject(obj, key);
}

static const char *jstr(const cJSON *obj, const char *key)
{
	return zks_snap_str(obj, key);
}

static char *short_id(const char *id)
{
	return xstrndup(id ? id : "", SHORT_ID);
}

static const char *yes_no(bool v)
{
	return v ? "yes" : "no";
}

static bool is_true(const cJSON *obj, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static const char *num_text(const cJSON *obj, const char *key, char buf[24])
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v))
		return NULL;
	snprintf(buf, 24, "%.0f", v->valuedouble);
	return buf;
}

/* A listing: a document per child of parent, printed as a JSON array or a table of rows. */
struct list_cmd {
	const char *parent;
	cJSON *(*item)(struct ctl_cluster *c, const char *name);
	const char *const *headers;
	size_t nheaders;
	void (*row)(struct ctl_table *t, const cJSON *item);
};

static int run_list(struct ctl_cluster *c, const struct ctl_opts *o, const struct list_cmd *cmd)
{
	cJSON *arr = cJSON_CreateArray();
	const cJSON *v;
	char **names;
	size_t n = zks_snap_children(&c->snap, cmd->parent, &names);

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cmd->item(c, names[i]));
	zks_free_strv(names, n);
	if (o->json) {
		ctl_print_json(arr);
	} else {
		struct ctl_table *t = ctl_table_new(cmd->nheaders, cmd->headers);

		cJSON_ArrayForEach(v, arr) cmd->row(t, v);
		ctl_table_print(t, stdout);
		ctl_table_free(t);
	}
	cJSON_Delete(arr);
	return CTL_EXIT_OK;
}

/* ---- volumes --------------------------------------------------------------------------------- */

static cJSON *volume_json(struct ctl_cluster *c, const char *name, bool detail)
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

	doc = zks_snap_get_object(&c->snap, path, &st, &state);
	cJSON_AddStringToObject(obj, "name", name);
	cJSON_AddBoolToObject(obj, "valid", doc != NULL);
	if (doc == NULL)
		cJSON_AddStringToObject(obj, "error", "the record is not a JSON object");
	opts = cJSON_GetObjectItemCaseSensitive(doc, "options");
	add_str(obj, "access", jstr(opts, "access"));
	cJSON_AddItemToObject(obj, "options",
			      cJSON_IsObject(opts) ? cJSON_Duplicate(opts, true)
						   : cJSON_CreateObject());
	add_str(obj, "created_by", jstr(doc, "created_by"));
	add_str(obj, "created_at", jstr(doc, "created_at"));

	zks_snap_get_record(&c->snap, holder_path, NULL, ZKS_SNAP_LEASE, &holder);
	exclusive = holder.node;
	holders = cJSON_AddArrayToObject(obj, "holders");
	n = zks_snap_children(&c->snap, leases, &nodes);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *lp = xasprintf("%s/%s", leases, nodes[i]);
		cJSON *ldoc = zks_snap_get_object(&c->snap, lp, &st, NULL),
		      *h = cJSON_CreateObject();
		const cJSON *mounts = cJSON_GetObjectItemCaseSensitive(ldoc, "mounts");

		cJSON_AddStringToObject(h, "node", nodes[i]);
		cJSON_AddNumberToObject(h, "mounts",
					cJSON_IsArray(mounts) ? cJSON_GetArraySize(mounts) : 0);
		cJSON_AddBoolToObject(h, "exclusive",
				      exclusive != NULL && !strcmp(exclusive, nodes[i]));
		cJSON_AddBoolToObject(h, "registered", zks_snap_registered(&c->snap, nodes[i]));
		if (detail) {
			cleanup_free char *sess = session_hex(st.owner);

			cJSON_AddItemToObject(h, "mount_ids",
					      cJSON_IsArray(mounts) ? cJSON_Duplicate(mounts, true)
								    : cJSON_CreateArray());
			add_str(h, "updated_at", jstr(ldoc, "updated_at"));
			cJSON_AddBoolToObject(h, "ephemeral", st.owner != 0);
			add_str(h, "session", st.owner != 0 ? sess : NULL);
			cJSON_AddBoolToObject(h, "valid", ldoc != NULL);
		}
		cJSON_AddItemToArray(holders, h);
		cJSON_Delete(ldoc);
	}
	zks_free_strv(nodes, n);
	add_str(obj, "exclusive_holder", exclusive);
	zks_record_lease_clear(&holder);
	cJSON_Delete(doc);
	return obj;
}

/* The options that differ from the defaults, "k=v,k=v" (access has its own column). */
static char *options_text(const cJSON *opts, bool all)
{
	struct zks_volume_options defaults;
	struct zks_kv *kv = NULL;
	size_t n = 0;
	char *text = xstrdup("");
	const cJSON *e;

	if (!all && zks_volume_options_parse(NULL, 0, &defaults, NULL) == 0)
		n = zks_volume_options_format(&defaults, &kv);
	cJSON_ArrayForEach(e, opts)
	{
		bool is_default = false;

		if (e->string == NULL || !cJSON_IsString(e) ||
		    (!all && !strcmp(e->string, "access")))
			continue;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(kv[i].key, e->string) && !strcmp(kv[i].value, e->valuestring))
				is_default = true;
		if (!is_default)
			appendf(&text, ",", "%s=%s", e->string, e->valuestring);
	}
	zks_volume_options_free_kv(kv, n);
	return text;
}

static char *holders_text(const cJSON *holders)
{
	char *text = xstrdup("");
	const cJSON *h;

	cJSON_ArrayForEach(h, holders)
	{
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(h, "mounts");

		appendf(&text, " ", "%s:%d", jstr(h, "node"),
			cJSON_IsNumber(m) ? (int)m->valuedouble : 0);
	}
	return text;
}

static cJSON *volume_item(struct ctl_cluster *c, const char *name)
{
	return volume_json(c, name, false);
}

static void volume_row(struct ctl_table *t, const cJSON *v)
{
	cleanup_free char *opts =
		options_text(cJSON_GetObjectItemCaseSensitive(v, "options"), false);
	cleanup_free char *holders = holders_text(cJSON_GetObjectItemCaseSensitive(v, "holders"));

	ctl_table_add(t, jstr(v, "name"),
		      is_true(v, "valid") ? jstr(v, "access") : "(unreadable record)", opts,
		      jstr(v, "created_at"), jstr(v, "created_by"), holders,
		      jstr(v, "exclusive_holder"));
}

int ctl_cmd_volumes(struct ctl_cluster *c, const struct ctl_opts *o)
{
	static const char *const headers[] = {"NAME", "ACCESS",	 "OPTIONS",  "CREATED",
					      "BY",   "HOLDERS", "EXCLUSIVE"};
	static const struct list_cmd cmd = {ZKS_VOLUMES, volume_item, headers, ARRAY_SIZE(headers),
					    volume_row};

	return run_list(c, o, &cmd);
}

/* The detail of one volume: its record, then a table of its holders. */
static void print_volume(const cJSON *v, const char *name)
{
	static const char *const headers[] = {"HOLDER",	 "MOUNTS",  "EXCLUSIVE", "REGISTERED",
					      "SESSION", "UPDATED", "MOUNT IDS"};
	struct ctl_table *t = ctl_table_new(ARRAY_SIZE(headers), headers);
	cleanup_free char *opts =
		options_text(cJSON_GetObjectItemCaseSensitive(v, "options"), true);
	const cJSON *h;

	printf("Volume %s\n", name);
	if (!is_true(v, "valid"))
		printf("  error     the record is not a JSON object\n");
	printf("  access    %s\n", jstr(v, "access") ? jstr(v, "access") : "-");
	printf("  options   %s\n", opts[0] ? opts : "-");
	printf("  created   %s by %s\n", jstr(v, "created_at") ? jstr(v, "created_at") : "-",
	       jstr(v, "created_by") ? jstr(v, "created_by") : "-");
	printf("  exclusive %s\n\n",
	       jstr(v, "exclusive_holder") ? jstr(v, "exclusive_holder") : "-");
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(v, "holders"))
	{
		char mounts[16];
		cleanup_free char *ids = xstrdup("");
		const cJSON *id;

		snprintf(mounts, sizeof(mounts), "%d",
			 (int)cJSON_GetObjectItemCaseSensitive(h, "mounts")->valuedouble);
		cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(h, "mount_ids"))
		{
			if (cJSON_IsString(id))
				appendf(&ids, ",", "%.*s", SHORT_ID, id->valuestring);
		}
		ctl_table_add(t, jstr(h, "node"), mounts, yes_no(is_true(h, "exclusive")),
			      yes_no(is_true(h, "registered")),
			      jstr(h, "session") ? jstr(h, "session") : "persistent!",
			      jstr(h, "updated_at"), ids);
	}
	if (ctl_table_rows(t) > 0)
		ctl_table_print(t, stdout);
	else
		printf("No node holds it.\n");
	ctl_table_free(t);
}

int ctl_cmd_volume(struct ctl_cluster *c, const struct ctl_opts *o, const char *name)
{
	cleanup_free char *path = NULL;
	cJSON *v;

	if (strchr(name, '/') != NULL || name[0] == '\0' || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return fprintf(stderr, "zkswarmctl: `%s` is not a volume name\n", name),
		       CTL_EXIT_USAGE;
	path = zks_path_volume(name);
	if (!zks_snap_exists(&c->snap, path)) {
		fprintf(stderr, "zkswarmctl: no such volume `%s`\n", name);
		return CTL_EXIT_PROBLEM;
	}
	v = volume_json(c, name, true);
	if (o->json)
		ctl_print_json(v);
	else
		print_volume(v, name);
	cJSON_Delete(v);
	return CTL_EXIT_OK;
}

/* ---- networks -------------------------------------------------------------------------------- */

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
static void network_record_json(struct ctl_cluster *c, const char *key, cJSON *obj)
{
	cleanup_free char *path = zks_path_network(key);
	/* Raw, not zks_record_network_decode: it shows a record the daemon rejects. */
	cJSON *doc = zks_snap_get_object(&c->snap, path, NULL, NULL);
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(doc, "options");
	long vni, mtu;

	cJSON_AddBoolToObject(obj, "valid", doc != NULL);
	if (doc == NULL)
		cJSON_AddStringToObject(obj, "error", "the record is not a JSON object");
	add_str(obj, "subnet", jstr(doc, "subnet"));
	add_str(obj, "gateway", jstr(doc, "gateway"));
	if (zks_snap_int(doc, "vni", 1, 16777215, &vni)) {
		cleanup_free char *claim_path = zks_path_vni((unsigned long)vni);
		struct zks_record_vni claim;

		zks_snap_get_record(&c->snap, claim_path, NULL, ZKS_SNAP_VNI, &claim);
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
	add_str(obj, "created_by", jstr(doc, "created_by"));
	add_str(obj, "created_at", jstr(doc, "created_at"));
	cJSON_Delete(doc);
}

/* The members (node:id) as "members" and "members_per_node". */
static void network_members_json(struct ctl_cluster *c, const char *key, cJSON *obj)
{
	cleanup_free char *members = zks_path_network_members(key);
	cJSON *arr = cJSON_AddArrayToObject(obj, "members");
	cJSON *per_node = cJSON_AddObjectToObject(obj, "members_per_node");
	char **names;
	size_t n = zks_snap_children(&c->snap, members, &names);

	for (size_t i = 0; i < n; i++) {
		const char *colon = strchr(names[i], ':');
		cleanup_free char *node =
			colon ? xstrndup(names[i], (size_t)(colon - names[i])) : xstrdup(names[i]);
		cJSON *m = cJSON_CreateObject();

		cJSON_AddStringToObject(m, "node", node);
		add_str(m, "network_id", colon ? colon + 1 : NULL);
		cJSON_AddBoolToObject(m, "registered", zks_snap_registered(&c->snap, node));
		cJSON_AddItemToArray(arr, m);
		count_node(per_node, node);
	}
	zks_free_strv(names, n);
}

/* The endpoint records as "endpoints" and "endpoints_per_node". */
static void network_endpoints_json(struct ctl_cluster *c, const char *key, cJSON *obj)
{
	cleanup_free char *endpoints = zks_path_network_endpoints(key);
	cJSON *arr = cJSON_AddArrayToObject(obj, "endpoints");
	cJSON *per_node = cJSON_AddObjectToObject(obj, "endpoints_per_node");
	char **names;
	size_t n = zks_snap_children(&c->snap, endpoints, &names);

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *ep = xasprintf("%s/%s", endpoints, names[i]);
		/* Raw, not zks_record_endpoint_decode: it shows an endpoint the daemon rejects. */
		cJSON *edoc = zks_snap_get_object(&c->snap, ep, NULL, NULL),
		      *e = cJSON_CreateObject();
		const char *node = jstr(edoc, "node");

		cJSON_AddStringToObject(e, "id", names[i]);
		cJSON_AddBoolToObject(e, "valid", edoc != NULL && node != NULL);
		add_str(e, "node", node);
		add_str(e, "address", jstr(edoc, "address"));
		add_str(e, "mac", jstr(edoc, "mac"));
		add_str(e, "network_id", jstr(edoc, "network"));
		cJSON_AddBoolToObject(e, "registered", zks_snap_registered(&c->snap, node));
		cJSON_AddItemToArray(arr, e);
		if (node != NULL)
			count_node(per_node, node);
		cJSON_Delete(edoc);
	}
	zks_free_strv(names, n);
}

static cJSON *network_json(struct ctl_cluster *c, const char *key)
{
	cJSON *obj = cJSON_CreateObject();

	cJSON_AddStringToObject(obj, "key", key);
	network_record_json(c, key, obj);
	network_members_json(c, key, obj);
	network_endpoints_json(c, key, obj);
	return obj;
}

static void network_row(struct ctl_table *t, const cJSON *v)
{
	cleanup_free char *members =
		counter_text(cJSON_GetObjectItemCaseSensitive(v, "members_per_node"));
	cleanup_free char *eps =
		counter_text(cJSON_GetObjectItemCaseSensitive(v, "endpoints_per_node"));
	cleanup_free char *vni = NULL;
	char b1[24], b2[24];

	if (num_text(v, "vni", b1) != NULL)
		vni = xasprintf("%s%s", b1, is_true(v, "vni_claimed") ? "" : " (unclaimed!)");
	ctl_table_add(t, jstr(v, "key"),
		      is_true(v, "valid") ? jstr(v, "subnet") : "(unreadable record)", vni,
		      num_text(v, "mtu", b2), members, eps);
}

int ctl_cmd_networks(struct ctl_cluster *c, const struct ctl_opts *o)
{
	static const char *const headers[] = {"KEY", "SUBNET",	"VNI",
					      "MTU", "MEMBERS", "ENDPOINTS"};
	static const struct list_cmd cmd = {ZKS_NETWORKS, network_json, headers,
					    ARRAY_SIZE(headers), network_row};

	return run_list(c, o, &cmd);
}

/* The detail of one network: its record, then tables of its members and endpoints. */
static void print_network(const cJSON *v, const char *key)
{
	static const char *const mh[] = {"MEMBER NODE", "DOCKER NETWORK ID", "REGISTERED"};
	static const char *const eh[] = {"ENDPOINT", "NODE", "ADDRESS", "MAC", "REGISTERED"};
	struct ctl_table *mt = ctl_table_new(ARRAY_SIZE(mh), mh);
	struct ctl_table *et = ctl_table_new(ARRAY_SIZE(eh), eh);
	cleanup_free char *opts =
		options_text(cJSON_GetObjectItemCaseSensitive(v, "options"), true);
	char b[24];
	const cJSON *e;

	printf("Network %s\n", key);
	if (!is_true(v, "valid"))
		printf("  error    the record is not a JSON object\n");
	printf("  subnet   %s", jstr(v, "subnet") ? jstr(v, "subnet") : "-");
	if (jstr(v, "gateway"))
		printf(" (gateway %s)", jstr(v, "gateway"));
	printf("\n  vni      %s%s\n", num_text(v, "vni", b) ? b : "-",
	       is_true(v, "vni_claimed")
		       ? ""
		       : " (its claim in /vnis is missing or names another network)");
	printf("  mtu      %s\n", num_text(v, "mtu", b) ? b : "-");
	printf("  options  %s\n", opts[0] ? opts : "-");
	printf("  created  %s by %s\n\n", jstr(v, "created_at") ? jstr(v, "created_at") : "-",
	       jstr(v, "created_by") ? jstr(v, "created_by") : "-");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(v, "members"))
	{
		cleanup_free char *id = short_id(jstr(e, "network_id"));

		ctl_table_add(mt, jstr(e, "node"), id, yes_no(is_true(e, "registered")));
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(v, "endpoints"))
	{
		cleanup_free char *id = short_id(jstr(e, "id"));
		bool valid = is_true(e, "valid");

		ctl_table_add(et, id, valid ? jstr(e, "node") : "(unreadable record)",
			      jstr(e, "address"), jstr(e, "mac"), yes_no(is_true(e, "registered")));
	}
	ctl_table_print(mt, stdout);
	printf("\n");
	if (ctl_table_rows(et) > 0)
		ctl_table_print(et, stdout);
	else
		printf("No endpoints.\n");
	ctl_table_free(mt);
	ctl_table_free(et);
}

int ctl_cmd_network(struct ctl_cluster *c, const struct ctl_opts *o, const char *key)
{
	cleanup_free char *path = NULL;
	cJSON *v;

	if (strchr(key, '/') != NULL || key[0] == '\0' || !strcmp(key, ".") || !strcmp(key, ".."))
		return fprintf(stderr, "zkswarmctl: `%s` is not a network key\n", key),
		       CTL_EXIT_USAGE;
	path = zks_path_network(key);
	if (!zks_snap_exists(&c->snap, path)) {
		fprintf(stderr,
			"zkswarmctl: no such network `%s` (keys are Docker network IDs or "
			"cluster names; see `zkswarmctl networks`)\n",
			key);
		return CTL_EXIT_PROBLEM;
	}
	v = network_json(c, key);
	if (o->json)
		ctl_print_json(v);
	else
		print_network(v, key);
	cJSON_Delete(v);
	return CTL_EXIT_OK;
}

/* ---- pools ----------------------------------------------------------------------------------- */

/* Which endpoint (of any network) has address ip; a new object or NULL. */
static cJSON *endpoint_of(struct ctl_cluster *c, const char *ip)
{
	char **keys;
	size_t nk = zks_snap_children(&c->snap, ZKS_NETWORKS, &keys);
	cJSON *found = NULL;

	for (size_t i = 0; i < nk && found == NULL; i++) {
		cleanup_free char *eps = zks_path_network_endpoints(keys[i]);
		char **ids;
		size_t ne = zks_snap_children(&c->snap, eps, &ids);

		for (size_t k = 0; k < ne && found == NULL; k++) {
			cleanup_free char *p = xasprintf("%s/%s", eps, ids[k]);
			/* Raw: an endpoint the daemon rejects still names its address's user. */
			cJSON *doc = zks_snap_get_object(&c->snap, p, NULL, NULL);
			const char *a = jstr(doc, "address");
			size_t iplen = strlen(ip);

			if (a != NULL && !strncmp(a, ip, iplen) &&
			    (a[iplen] == '/' || a[iplen] == '\0')) {
				found = cJSON_CreateObject();
				cJSON_AddStringToObject(found, "network", keys[i]);
				cJSON_AddStringToObject(found, "id", ids[k]);
				add_str(found, "node", jstr(doc, "node"));
			}
			cJSON_Delete(doc);
		}
		zks_free_strv(ids, ne);
	}
	zks_free_strv(keys, nk);
	return found;
}

/* An address record: what it says, who holds it, and the endpoint that uses it. */
static cJSON *address_json(struct ctl_cluster *c, const char *ap)
{
	const char *ip = strrchr(ap, '/') + 1; /* a path: .../group/ip */
	struct zks_record_address rec;
	struct zks_stat st;
	cJSON *a = cJSON_CreateObject(), *ep;
	char at[32];
	bool valid = zks_snap_get_record(&c->snap, ap, &st, ZKS_SNAP_ADDRESS, &rec) > 0;

	zks_snap_format_time(st.ctime_ms, at);
	cJSON_AddStringToObject(a, "address", ip);
	cJSON_AddBoolToObject(a, "valid", valid);
	add_str(a, "kind", rec.kind);
	cJSON_AddBoolToObject(a, "swarm", rec.swarm);
	cJSON_AddItemToObject(a, "holders", per_node_json(&rec.holders));
	cJSON_AddStringToObject(a, "claimed_at", at);
	ep = endpoint_of(c, ip);
	if (ep)
		cJSON_AddItemToObject(a, "endpoint", ep);
	else
		cJSON_AddNullToObject(a, "endpoint");
	zks_record_address_clear(&rec);
	return a;
}

/* The keys of the networks whose record names the subnet text. */
static cJSON *subnet_networks(struct ctl_cluster *c, const char *text)
{
	cJSON *nets = cJSON_CreateArray();
	char **keys;
	size_t nk = zks_snap_children(&c->snap, ZKS_NETWORKS, &keys);

	for (size_t i = 0; i < nk; i++) {
		cleanup_free char *np = zks_path_network(keys[i]);
		/* Raw: the subnet's text as written, also of a record the daemon rejects. */
		cJSON *ndoc = zks_snap_get_object(&c->snap, np, NULL, NULL);
		const char *s = jstr(ndoc, "subnet");

		if (s != NULL && text != NULL && !strcmp(s, text))
			cJSON_AddItemToArray(nets, cJSON_CreateString(keys[i]));
		cJSON_Delete(ndoc);
	}
	zks_free_strv(keys, nk);
	return nets;
}

static cJSON *pool_json(struct ctl_cluster *c, const char *name, bool detail)
{
	cleanup_free char *path = zks_path_subnet(name);
	cleanup_free char *addrs = zks_path_subnet_addrs(name);
	cJSON *obj = cJSON_CreateObject(), *arr;
	struct zks_record_subnet rec;
	struct zks_cidr cidr;
	bool named = zks_cidr_from_name(name, &cidr) == 0;
	bool valid = zks_snap_get_record(&c->snap, path, NULL, ZKS_SNAP_SUBNET, &rec) > 0;
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
	add_str(obj, "gateway", rec.gateway);
	add_str(obj, "created_by", rec.created_by);
	add_str(obj, "created_at", rec.created_at);
	zks_record_subnet_clear(&rec);
	n = zks_snap_addresses(&c->snap, addrs, &names);
	cJSON_AddNumberToObject(obj, "addresses_used", (double)n);
	if (named)
		cJSON_AddNumberToObject(obj, "usable_hosts", (double)zks_cidr_host_count(&cidr));
	else
		cJSON_AddNullToObject(obj, "usable_hosts");
	cJSON_AddItemToObject(obj, "networks", subnet_networks(c, named ? text : NULL));
	if (detail) {
		arr = cJSON_AddArrayToObject(obj, "addresses");
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, address_json(c, names[i]));
	}
	zks_free_strv(names, n);
	return obj;
}

static char *networks_text(const cJSON *nets)
{
	char *text = xstrdup("");
	const cJSON *e;

	cJSON_ArrayForEach(e, nets)
	{
		if (cJSON_IsString(e))
			appendf(&text, " ", "%.*s", 24, e->valuestring);
	}
	return text;
}

static cJSON *pool_item(struct ctl_cluster *c, const char *name)
{
	return pool_json(c, name, false);
}

static void pool_row(struct ctl_table *t, const cJSON *v)
{
	cleanup_free char *refs = counter_text(cJSON_GetObjectItemCaseSensitive(v, "refs"));
	cleanup_free char *nets = networks_text(cJSON_GetObjectItemCaseSensitive(v, "networks"));
	cleanup_free char *used = NULL;
	char b1[24], b2[24];

	used = xasprintf("%s/%s", num_text(v, "addresses_used", b1),
			 num_text(v, "usable_hosts", b2) ? b2 : "?");
	ctl_table_add(t, jstr(v, "subnet"), is_true(v, "valid") ? refs : "(unreadable record)",
		      used, jstr(v, "gateway"), nets);
}

int ctl_cmd_pools(struct ctl_cluster *c, const struct ctl_opts *o)
{
	static const char *const headers[] = {"SUBNET", "REFS", "USED", "GATEWAY", "NETWORKS"};
	static const struct list_cmd cmd = {ZKS_SUBNETS, pool_item, headers, ARRAY_SIZE(headers),
					    pool_row};

	return run_list(c, o, &cmd);
}

/* The detail of one pool: its record, then a table of its addresses. */
static void print_pool(const cJSON *v)
{
	static const char *const headers[] = {"ADDRESS",  "KIND",	   "HOLDERS", "SWARM",
					      "ENDPOINT", "ENDPOINT NODE", "CLAIMED"};
	struct ctl_table *t = ctl_table_new(ARRAY_SIZE(headers), headers);
	cleanup_free char *refs = counter_text(cJSON_GetObjectItemCaseSensitive(v, "refs"));
	cleanup_free char *nets = networks_text(cJSON_GetObjectItemCaseSensitive(v, "networks"));
	char b1[24], b2[24];
	const cJSON *a;

	printf("Pool %s\n", jstr(v, "subnet"));
	if (!is_true(v, "valid"))
		printf("  error     the record is not a JSON object\n");
	printf("  refs      %s\n", refs[0] ? refs : "-");
	printf("  gateway   %s\n", jstr(v, "gateway") ? jstr(v, "gateway") : "-");
	printf("  used      %s of %s usable addresses\n", num_text(v, "addresses_used", b1),
	       num_text(v, "usable_hosts", b2) ? b2 : "?");
	printf("  networks  %s\n", nets[0] ? nets : "-");
	printf("  created   %s by %s\n\n", jstr(v, "created_at") ? jstr(v, "created_at") : "-",
	       jstr(v, "created_by") ? jstr(v, "created_by") : "-");
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(v, "addresses"))
	{
		cleanup_free char *holders =
			counter_text(cJSON_GetObjectItemCaseSensitive(a, "holders"));
		const cJSON *ep = cJSON_GetObjectItemCaseSensitive(a, "endpoint");
		cleanup_free char *where = NULL;
		cleanup_free char *id = NULL;
		bool valid = is_true(a, "valid");

		if (cJSON_IsObject(ep)) {
			id = short_id(jstr(ep, "id"));
			where = xasprintf("%.24s/%s", jstr(ep, "network"), id);
		}
		ctl_table_add(t, jstr(a, "address"),
			      valid ? jstr(a, "kind") : "(unreadable record)", holders,
			      yes_no(is_true(a, "swarm")), where,
			      cJSON_IsObject(ep) ? jstr(ep, "node") : NULL, jstr(a, "claimed_at"));
	}
	if (ctl_table_rows(t) > 0)
		ctl_table_print(t, stdout);
	else
		printf("No addresses claimed.\n");
	ctl_table_free(t);
}

int ctl_cmd_pool(struct ctl_cluster *c, const struct ctl_opts *o, const char *subnet)
{
	struct zks_cidr cidr;
	char name[ZKS_CIDR_STR];
	cleanup_free char *path = NULL;
	struct zks_error err;
	cJSON *v;

	/* "198.18.0.0/24" as users write it, or the record's name "198.18.0.0-24". */
	if (zks_cidr_parse(subnet, &cidr, &err) == 0) {
		zks_cidr_to_name(&cidr, name);
	} else if (zks_cidr_from_name(subnet, &cidr) == 0) {
		snprintf(name, sizeof(name), "%s", subnet);
	} else {
		fprintf(stderr, "zkswarmctl: `%s` is not a subnet (a.b.c.d/len): %s\n", subnet,
			err.msg);
		return CTL_EXIT_USAGE;
	}
	path = zks_path_subnet(name);
	if (!zks_snap_exists(&c->snap, path)) {
		fprintf(stderr, "zkswarmctl: no pool %s (see `zkswarmctl pools`)\n", subnet);
		return CTL_EXIT_PROBLEM;
	}
	v = pool_json(c, name, true);
	if (o->json)
		ctl_print_json(v);
	else
		print_pool(v);
	cJSON_Delete(v);
	return CTL_EXIT_OK;
}

/* ---- names ----------------------------------------------------------------------------------- */

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
	add_str(obj, "name", rec->name);
	cJSON_AddItemToObject(obj, "aliases", aliases);
	add_str(obj, "hostname", rec->hostname);
	add_str(obj, "container", rec->container);
	add_str(obj, "network", rec->network);
	add_str(obj, "network_name", rec->network_name);
	add_str(obj, "address", rec->address);
	add_str(obj, "node", rec->node);
	add_str(obj, "service", rec->service);
	add_str(obj, "service_id", rec->service_id);
	add_str(obj, "task", rec->task);
	cJSON_AddItemToObject(obj, "ports", name_ports_json(rec));
	add_str(obj, "updated_at", rec->updated_at);
}

/* The name record of endpoint ep in network key, joined to its endpoint record and node. */
static cJSON *name_json(struct ctl_cluster *c, const char *key, const char *ep)
{
	cleanup_free char *path = zks_path_name(key, ep);
	cleanup_free char *ep_path = zks_path_network_endpoint(key, ep);
	cleanup_free char *sess = NULL;
	struct zks_record_name rec;
	struct zks_error err = {0};
	struct zks_stat st = {0};
	bool valid = zks_snap_get_record_why(&c->snap, path, &st, ZKS_SNAP_NAME, &rec, &err) > 0;
	cJSON *obj = cJSON_CreateObject();

	sess = session_hex(st.owner);
	cJSON_AddStringToObject(obj, "key", key);
	cJSON_AddStringToObject(obj, "endpoint", ep);
	cJSON_AddBoolToObject(obj, "valid", valid);
	add_str(obj, "error", valid ? NULL : err.msg);
	name_fields_json(&rec, obj);
	add_str(obj, "session", st.owner != 0 ? sess : NULL);
	cJSON_AddBoolToObject(obj, "registered", zks_snap_registered(&c->snap, rec.node));
	cJSON_AddBoolToObject(obj, "stale", !zks_snap_exists(&c->snap, ep_path));
	zks_record_name_clear(&rec);
	return obj;
}

/* Whether --network, --service and --node let the name through (unreadable ones pass the last
 * two: nothing says they do not match). */
static bool name_wanted(const struct ctl_opts *o, const cJSON *v)
{
	const char *net = jstr(v, "network_name");

	if (o->network != NULL && strcmp(o->network, jstr(v, "key")) != 0 &&
	    (net == NULL || strcmp(o->network, net) != 0))
		return false;
	if (!is_true(v, "valid"))
		return true;
	if (o->service != NULL &&
	    (jstr(v, "service") == NULL || strcmp(o->service, jstr(v, "service")) != 0))
		return false;
	return o->node == NULL || strcmp(o->node, jstr(v, "node")) == 0;
}

/* "a,b" of the strings in arr, or "80/tcp,53/udp" of the ports in it. */
static char *name_list_text(const cJSON *arr, bool ports)
{
	char *text = xstrdup("");
	const cJSON *e;
	char b[24];

	cJSON_ArrayForEach(e, arr)
	{
		if (ports)
			appendf(&text, ",", "%s/%s", num_text(e, "port", b), jstr(e, "proto"));
		else if (cJSON_IsString(e))
			appendf(&text, ",", "%s", e->valuestring);
	}
	return text;
}

static void name_row(struct ctl_table *t, const cJSON *v)
{
	const char *key = jstr(v, "key"), *net = jstr(v, "network_name");
	const char *svc = jstr(v, "service"), *task = jstr(v, "task");
	cleanup_free char *network = net != NULL && strcmp(net, key) != 0
					     ? xasprintf("%s (%s)", net, key)
					     : xstrdup(key);
	cleanup_free char *aliases =
		name_list_text(cJSON_GetObjectItemCaseSensitive(v, "aliases"), false);
	cleanup_free char *ports =
		name_list_text(cJSON_GetObjectItemCaseSensitive(v, "ports"), true);
	cleanup_free char *service =
		svc && task ? xasprintf("%s/%s", svc, task) : xstrdup(svc ? svc : "");
	cleanup_free char *ep = short_id(jstr(v, "endpoint"));
	bool valid = is_true(v, "valid");

	ctl_table_add(t, valid ? jstr(v, "name") : "(unreadable record)", network,
		      jstr(v, "address"), jstr(v, "node"), aliases, service, ports, ep,
		      !valid		    ? "unreadable"
		      : is_true(v, "stale") ? "stale"
					    : "ok");
}

int ctl_cmd_names(struct ctl_cluster *c, const struct ctl_opts *o)
{
	static const char *const headers[] = {"NAME",	 "NETWORK", "ADDRESS",	"NODE", "ALIASES",
					      "SERVICE", "PORTS",   "ENDPOINT", "STATE"};
	cJSON *arr = cJSON_CreateArray();
	char **keys;
	size_t nk = zks_snap_children(&c->snap, ZKS_NAMES, &keys);

	for (size_t i = 0; i < nk; i++) {
		cleanup_free char *set = zks_path_names(keys[i]);
		char **eps;
		size_t ne = zks_snap_children(&c->snap, set, &eps);

		for (size_t k = 0; k < ne; k++) {
			cJSON *v = name_json(c, keys[i], eps[k]);

			if (name_wanted(o, v))
				cJSON_AddItemToArray(arr, v);
			else
				cJSON_Delete(v);
		}
		zks_free_strv(eps, ne);
	}
	zks_free_strv(keys, nk);
	if (o->json) {
		ctl_print_json(arr);
	} else {
		struct ctl_table *t = ctl_table_new(ARRAY_SIZE(headers), headers);
		const cJSON *v;

		cJSON_ArrayForEach(v, arr) name_row(t, v);
		ctl_table_print(t, stdout);
		ctl_table_free(t);
	}
	cJSON_Delete(arr);
	return CTL_EXIT_OK;
}

/* ---- status ---------------------------------------------------------------------------------- */

/* Count one `what` for every node with a positive count. */
static void counts_bump(cJSON *map, const struct zks_record_counts *counts, const char *what)
{
	for (size_t i = 0; i < counts->n; i++)
		if (counts->v[i].number && counts->v[i].n > 0)
			counter_bump(map, counts->v[i].node, what);
}

/* Networks: a member per node:id, an endpoint per record naming its node. */
static void network_holdings(struct ctl_cluster *c, const char *key, cJSON *map)
{
	cleanup_free char *members = zks_path_network_members(key);
	cleanup_free char *eps = zks_path_network_endpoints(key);
	char **v;
	size_t n = zks_snap_children(&c->snap, members, &v);

	for (size_t k = 0; k < n; k++) {
		char *colon = strchr(v[k], ':');

		if (colon) {
			*colon = '\0';
			counter_bump(map, v[k], "members");
		}
	}
	zks_free_strv(v, n);
	n = zks_snap_children(&c->snap, eps, &v);
	for (size_t k = 0; k < n; k++) {
		cleanup_free char *p = xasprintf("%s/%s", eps, v[k]);
		/* Raw: an endpoint the daemon rejects still counts for the node it names. */
		cJSON *doc = zks_snap_get_object(&c->snap, p, NULL, NULL);

		if (jstr(doc, "node"))
			counter_bump(map, jstr(doc, "node"), "endpoints");
		cJSON_Delete(doc);
	}
	zks_free_strv(v, n);
}

/* Pools: the subnet's references and its addresses' holders. */
static void pool_holdings(struct ctl_cluster *c, const char *name, cJSON *map)
{
	cleanup_free char *sp = zks_path_subnet(name);
	cleanup_free char *ap = zks_path_subnet_addrs(name);
	struct zks_record_subnet subnet;
	char **v;
	size_t n;

	zks_snap_get_record(&c->snap, sp, NULL, ZKS_SNAP_SUBNET, &subnet);
	counts_bump(map, &subnet.refs, "pool_refs");
	zks_record_subnet_clear(&subnet);
	n = zks_snap_addresses(&c->snap, ap, &v);
	for (size_t k = 0; k < n; k++) {
		struct zks_record_address addr;

		zks_snap_get_record(&c->snap, v[k], NULL, ZKS_SNAP_ADDRESS, &addr);
		counts_bump(map, &addr.holders, "addresses");
		zks_record_address_clear(&addr);
	}
	zks_free_strv(v, n);
}

/* What nodes hold, by the records' layout (as the reaper reads it): {node: {what: count}}. */
static cJSON *holdings(struct ctl_cluster *c)
{
	cJSON *map = cJSON_CreateObject();
	char **keys, **subnets, **vols;
	size_t nk = zks_snap_children(&c->snap, ZKS_NETWORKS, &keys);
	size_t ns = zks_snap_children(&c->snap, ZKS_SUBNETS, &subnets);
	size_t nv = zks_snap_children(&c->snap, ZKS_VOLUMES, &vols);

	for (size_t i = 0; i < nk; i++)
		network_holdings(c, keys[i], map);
	for (size_t i = 0; i < ns; i++)
		pool_holdings(c, subnets[i], map);
	for (size_t i = 0; i < nv; i++) {
		cleanup_free char *lp = zks_path_volume_leases(vols[i]);
		char **v;
		size_t n = zks_snap_children(&c->snap, lp, &v);

		for (size_t k = 0; k < n; k++)
			counter_bump(map, v[k], "leases");
		zks_free_strv(v, n);
	}
	zks_free_strv(keys, nk);
	zks_free_strv(subnets, ns);
	zks_free_strv(vols, nv);
	return map;
}

static size_t count_addresses(struct ctl_cluster *c, const char *addrs)
{
	char **v;
	size_t n = zks_snap_addresses(&c->snap, addrs, &v);

	zks_free_strv(v, n);
	return n;
}

/* The sum of count(parent/<each child>/sub). */
static size_t sum_under(struct ctl_cluster *c, const char *parent, const char *sub,
			size_t (*count)(struct ctl_cluster *, const char *))
{
	char **names;
	size_t n = zks_snap_children(&c->snap, parent, &names), total = 0;

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = xasprintf("%s/%s/%s", parent, names[i], sub);

		total += count(c, p);
	}
	zks_free_strv(names, n);
	return total;
}

static size_t count_children(struct ctl_cluster *c, const char *path)
{
	char **v;
	size_t n = zks_snap_children(&c->snap, path, &v);

	zks_free_strv(v, n);
	return n;
}

static cJSON *zookeeper_json(struct ctl_cluster *c, const struct ctl_opts *o,
			     const char *unreachable)
{
	cJSON *zk = cJSON_CreateObject();

	cJSON_AddStringToObject(zk, "hosts", o->zk_hosts);
	cJSON_AddStringToObject(zk, "root", o->zk_root);
	cJSON_AddBoolToObject(zk, "reachable", c != NULL);
	if (c != NULL) {
		cleanup_free char *sess = session_hex(c->session_id);

		cJSON_AddStringToObject(zk, "session", sess);
	} else {
		cJSON_AddStringToObject(zk, "error", unreachable);
	}
	cJSON_AddItemToObject(zk, "servers", ctl_probe_servers(o->zk_hosts, o->timeout_ms));
	return zk;
}

/* A registration, with what the node holds (held: holdings()). */
static cJSON *node_json(struct ctl_cluster *c, const char *id, const cJSON *held)
{
	cleanup_free char *p = zks_path_node(id);
	cleanup_free char *sess = NULL;
	struct zks_record_node rec;
	struct zks_stat st;
	bool valid = zks_snap_get_record(&c->snap, p, &st, ZKS_SNAP_NODE, &rec) > 0;
	cJSON *node = cJSON_CreateObject();
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(held, id);

	sess = session_hex(st.owner);
	cJSON_AddStringToObject(node, "id", id);
	cJSON_AddStringToObject(node, "state", st.owner != 0 ? "registered" : "persistent");
	add_str(node, "session", st.owner != 0 ? sess : NULL);
	cJSON_AddBoolToObject(node, "valid", valid);
	add_str(node, "address", rec.address);
	add_str(node, "started_at", rec.started_at);
	add_str(node, "version", rec.version);
	add_str(node, "instance", rec.instance);
	cJSON_AddItemToObject(node, "holds", h ? cJSON_Duplicate(h, true) : cJSON_CreateObject());
	zks_record_node_clear(&rec);
	return node;
}

/* The registered nodes, then those that hold records but are not: the reaper's to reclaim. */
static cJSON *nodes_json(struct ctl_cluster *c)
{
	cJSON *nodes = cJSON_CreateArray(), *held = holdings(c);
	const cJSON *e;
	char **names;
	size_t n = zks_snap_children(&c->snap, ZKS_NODES, &names);

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(nodes, node_json(c, names[i], held));
	zks_free_strv(names, n);
	cJSON_ArrayForEach(e, held)
	{
		cJSON *node;

		if (e->string == NULL || zks_snap_registered(&c->snap, e->string))
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

static cJSON *reaper_json(struct ctl_cluster *c)
{
	cJSON *reaper = cJSON_CreateObject();
	struct zks_record_leader rec;
	struct zks_stat st = {0};
	bool present =
		zks_snap_get_record(&c->snap, ZKS_REAPER_LEADER, &st, ZKS_SNAP_LEADER, &rec) > 0;
	cleanup_free char *sess = session_hex(st.owner);

	add_str(reaper, "leader", rec.node);
	add_str(reaper, "session", present ? sess : NULL);
	cJSON_AddBoolToObject(reaper, "leader_registered", zks_snap_registered(&c->snap, rec.node));
	zks_record_leader_clear(&rec);
	return reaper;
}

static cJSON *record_counts_json(struct ctl_cluster *c)
{
	cJSON *counts = cJSON_CreateObject();

	cJSON_AddNumberToObject(counts, "nodes", (double)count_children(c, ZKS_NODES));
	cJSON_AddNumberToObject(counts, "volumes", (double)count_children(c, ZKS_VOLUMES));
	cJSON_AddNumberToObject(counts, "leases",
				(double)sum_under(c, ZKS_VOLUMES, "leases", count_children));
	cJSON_AddNumberToObject(counts, "networks", (double)count_children(c, ZKS_NETWORKS));
	cJSON_AddNumberToObject(counts, "endpoints",
				(double)sum_under(c, ZKS_NETWORKS, "endpoints", count_children));
	cJSON_AddNumberToObject(counts, "pools", (double)count_children(c, ZKS_SUBNETS));
	cJSON_AddNumberToObject(counts, "addresses",
				(double)sum_under(c, ZKS_SUBNETS, "addrs", count_addresses));
	cJSON_AddNumberToObject(counts, "vnis", (double)count_children(c, ZKS_VNIS));
	return counts;
}

static cJSON *status_json(struct ctl_cluster *c, const struct ctl_opts *o, const char *unreachable)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddItemToObject(doc, "zookeeper", zookeeper_json(c, o, unreachable));
	if (c != NULL) {
		cJSON_AddItemToObject(doc, "nodes", nodes_json(c));
		cJSON_AddItemToObject(doc, "reaper", reaper_json(c));
		cJSON_AddItemToObject(doc, "counts", record_counts_json(c));
	}
	if (o->socket != NULL)
		cJSON_AddItemToObject(doc, "daemon", ctl_probe_daemon(o->socket, o->timeout_ms));
	return doc;
}

static char *holds_text(const cJSON *holds)
{
	static const char *const labels[][3] = {
		{"members", "member", "members"},      {"endpoints", "endpoint", "endpoints"},
		{"addresses", "address", "addresses"}, {"pool_refs", "pool ref", "pool refs"},
		{"leases", "lease", "leases"},
	};
	char *text = xstrdup("");
	const cJSON *e;

	cJSON_ArrayForEach(e, holds)
	{
		const char *label = e->string;
		int count;

		if (!cJSON_IsNumber(e) || e->string == NULL)
			continue;
		count = (int)e->valuedouble;
		for (size_t i = 0; i < ARRAY_SIZE(labels); i++)
			if (!strcmp(labels[i][0], e->string))
				label = labels[i][count == 1 ? 1 : 2];
		appendf(&text, ", ", "%d %s", count, label);
	}
	return text;
}

/* The MODE column of a server that did not answer srvr: why. */
static char *server_mode(const cJSON *e)
{
	const char *error = jstr(e, "error");

	if (error && strstr(error, "whitelist"))
		return xstrdup("? (srvr not in its 4lw whitelist)");
	if (is_true(e, "reachable"))
		return xasprintf("? (srvr: %s)", error ? error : "no answer");
	return xasprintf("(%s)", error ? error : "no answer");
}

static void print_zookeeper(const cJSON *zk)
{
	static const char *const sh[] = {"SERVER",  "REACHABLE", "MODE",
					 "VERSION", "ZNODES",	 "LATENCY MIN/AVG/MAX"};
	struct ctl_table *t = ctl_table_new(ARRAY_SIZE(sh), sh);
	const cJSON *e;

	if (is_true(zk, "reachable"))
		printf("ZooKeeper %s, root %s: connected (session %s)\n", jstr(zk, "hosts"),
		       jstr(zk, "root"), jstr(zk, "session"));
	else
		printf("ZooKeeper %s, root %s: UNREACHABLE: %s\n", jstr(zk, "hosts"),
		       jstr(zk, "root"), jstr(zk, "error"));
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(zk, "servers"))
	{
		bool srvr = is_true(e, "srvr");
		char b[24];
		const char *ver = jstr(e, "version");
		cleanup_free char *short_ver = ver ? xstrndup(ver, strcspn(ver, "-")) : NULL;
		cleanup_free char *mode = srvr ? NULL : server_mode(e);

		ctl_table_add(t, jstr(e, "server"), yes_no(is_true(e, "reachable")),
			      srvr ? jstr(e, "mode") : mode, short_ver,
			      num_text(e, "node_count", b), jstr(e, "latency"));
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
}

static void print_nodes(const cJSON *nodes, const cJSON *reaper)
{
	static const char *const nh[] = {"NODE",    "STATE",   "ADDRESS", "SESSION",
					 "STARTED", "VERSION", "HOLDS"};
	const char *leader = jstr(reaper, "leader");
	struct ctl_table *t = ctl_table_new(ARRAY_SIZE(nh), nh);
	const cJSON *e;

	cJSON_ArrayForEach(e, nodes)
	{
		cleanup_free char *holds = holds_text(cJSON_GetObjectItemCaseSensitive(e, "holds"));
		const char *state = jstr(e, "state");
		cleanup_free char *st = NULL;

		if (!strcmp(state, "persistent"))
			st = xstrdup("persistent!");
		else if (!strcmp(state, "gone"))
			st = xstrdup("gone");
		else
			st = xasprintf("%s%s", state,
				       leader && !strcmp(leader, jstr(e, "id")) ? ", reaper" : "");
		ctl_table_add(t, jstr(e, "id"), st, jstr(e, "address"), jstr(e, "session"),
			      jstr(e, "started_at"), jstr(e, "version"), holds);
	}
	printf("\n");
	if (ctl_table_rows(t) > 0)
		ctl_table_print(t, stdout);
	else
		printf("No nodes registered.\n");
	ctl_table_free(t);
	printf("\nReaper leader: %s%s\n", leader ? leader : "none",
	       leader && !is_true(reaper, "leader_registered") ? " (not registered!)" : "");
}

static void print_counts(const cJSON *counts)
{
	static const char *const what[][3] = {
		{"volumes", "volume", "volumes"},
		{"leases", "lease", "leases"},
		{"networks", "network", "networks"},
		{"endpoints", "endpoint", "endpoints"},
		{"pools", "pool", "pools"},
		{"addresses", "address", "addresses"},
		{"vnis", "VNI", "VNIs"},
		{"nodes", "node", "nodes"},
	};
	char w[ARRAY_SIZE(what)][40];

	for (size_t i = 0; i < ARRAY_SIZE(what); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(counts, what[i][0]);
		int k = cJSON_IsNumber(v) ? (int)v->valuedouble : 0;

		snprintf(w[i], sizeof(w[i]), "%d %s", k, what[i][k == 1 ? 1 : 2]);
	}
	printf("Records: %s (%s), %s (%s), %s (%s), %s, %s\n", w[0], w[1], w[2], w[3], w[4], w[5],
	       w[6], w[7]);
}

/* "its view: ..." of a daemon that answered. */
static void print_daemon_view(const cJSON *daemon)
{
	char b[24];

	if (num_text(daemon, "volumes", b))
		printf("  its view: %s volumes", b);
	if (jstr(daemon, "zookeeper"))
		printf("; ZooKeeper %s%s%s", jstr(daemon, "zookeeper"),
		       is_true(daemon, "stale") ? ", answering from a stale mirror" : "",
		       is_true(daemon, "fenced") ? ", cut off: its leases are considered lost"
						 : "");
	else if (num_text(daemon, "volumes", b))
		printf("; its ZooKeeper state shows only in a volume's status");
	if (jstr(daemon, "error"))
		printf("\n  error: %s", jstr(daemon, "error"));
	printf("\n");
}

static void print_daemon(const cJSON *daemon)
{
	cleanup_free char *impl = xstrdup("");
	const cJSON *s;

	printf("\nLocal daemon %s: ", jstr(daemon, "socket"));
	if (!is_true(daemon, "answered")) {
		printf("NO ANSWER: %s\n", jstr(daemon, "error"));
		return;
	}
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(daemon, "implements"))
	{
		if (cJSON_IsString(s))
			appendf(&impl, ", ", "%s", s->valuestring);
	}
	printf("answered in %.1f ms; implements %s\n",
	       cJSON_GetObjectItemCaseSensitive(daemon, "round_trip_ms")->valuedouble,
	       impl[0] ? impl : "nothing");
	print_daemon_view(daemon);
}

static void print_status(const cJSON *doc)
{
	const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(doc, "counts");
	const cJSON *daemon = cJSON_GetObjectItemCaseSensitive(doc, "daemon");

	print_zookeeper(cJSON_GetObjectItemCaseSensitive(doc, "zookeeper"));
	if (cJSON_IsArray(nodes))
		print_nodes(nodes, cJSON_GetObjectItemCaseSensitive(doc, "reaper"));
	if (cJSON_IsObject(counts))
		print_counts(counts);
	if (cJSON_IsObject(daemon))
		print_daemon(daemon);
}

int ctl_cmd_status(struct ctl_cluster *c, const struct ctl_opts *o, const char *unreachable_msg)
{
	cJSON *doc = status_json(c, o, unreachable_msg);
	const cJSON *daemon = cJSON_GetObjectItemCaseSensitive(doc, "daemon");
	int rc = CTL_EXIT_OK;

	if (o->json)
		ctl_print_json(doc);
	else
		print_status(doc);
	if (daemon != NULL &&
	    (!is_true(daemon, "answered") || jstr(daemon, "error") != NULL ||
	     (jstr(daemon, "zookeeper") && strcmp(jstr(daemon, "zookeeper"), "connected") != 0)))
		rc = CTL_EXIT_PROBLEM;
	if (c == NULL)
		rc = CTL_EXIT_UNREACHABLE;
	cJSON_Delete(doc);
	return rc;
}
