/*
 * show.c - zkswarmctl's read-only commands: status, volumes, volume,
 * networks, network, pools, pool, names.
 *
 * Each builds one JSON document from the snapshot with view.h's builders
 * (the `--json` output) and renders the tables from that document.  Records
 * are untrusted: a field of the wrong type is shown as missing, a record that
 * is not JSON is listed with "valid": false and never stops the listing.
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
#include "zkswarm/view.h"
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
	return zks_view_volume(&c->snap, name, false);
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
	v = zks_view_volume(&c->snap, name, true);
	if (o->json)
		ctl_print_json(v);
	else
		print_volume(v, name);
	cJSON_Delete(v);
	return CTL_EXIT_OK;
}

/* ---- networks -------------------------------------------------------------------------------- */

static cJSON *network_item(struct ctl_cluster *c, const char *key)
{
	return zks_view_network(&c->snap, key);
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
	static const struct list_cmd cmd = {ZKS_NETWORKS, network_item, headers,
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
	v = zks_view_network(&c->snap, key);
	if (o->json)
		ctl_print_json(v);
	else
		print_network(v, key);
	cJSON_Delete(v);
	return CTL_EXIT_OK;
}

/* ---- pools ----------------------------------------------------------------------------------- */

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
	return zks_view_pool(&c->snap, name, false);
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
	v = zks_view_pool(&c->snap, name, true);
	if (o->json)
		ctl_print_json(v);
	else
		print_pool(v);
	cJSON_Delete(v);
	return CTL_EXIT_OK;
}

/* ---- names ----------------------------------------------------------------------------------- */

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
			cJSON *v = zks_view_name(&c->snap, keys[i], eps[k]);

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

static cJSON *zookeeper_json(struct ctl_cluster *c, const struct ctl_opts *o,
			     const char *unreachable)
{
	cJSON *zk = cJSON_CreateObject();

	cJSON_AddStringToObject(zk, "hosts", o->zk_hosts);
	cJSON_AddStringToObject(zk, "root", o->zk_root);
	cJSON_AddBoolToObject(zk, "reachable", c != NULL);
	if (c != NULL) {
		cleanup_free char *sess = zks_view_session_hex(c->session_id);

		cJSON_AddStringToObject(zk, "session", sess);
	} else {
		cJSON_AddStringToObject(zk, "error", unreachable);
	}
	cJSON_AddItemToObject(zk, "servers", ctl_probe_servers(o->zk_hosts, o->timeout_ms));
	return zk;
}

static cJSON *status_json(struct ctl_cluster *c, const struct ctl_opts *o, const char *unreachable)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddItemToObject(doc, "zookeeper", zookeeper_json(c, o, unreachable));
	if (c != NULL) {
		cJSON_AddItemToObject(doc, "nodes", zks_view_nodes(&c->snap));
		cJSON_AddItemToObject(doc, "reaper", zks_view_reaper(&c->snap));
		cJSON_AddItemToObject(doc, "counts", zks_view_record_counts(&c->snap));
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
