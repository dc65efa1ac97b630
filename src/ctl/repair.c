/*
 * repair.c - finding orphaned records and removing them.
 *
 * What counts as an orphan follows the records' layout (docs/DESIGN.md).
 * "Registered" means a live registration: an ephemeral /nodes/<node>.
 *
 *  registration  a persistent /nodes/<node>: no session owns it, so the node
 *                looks alive forever and the reaper never reclaims it
 *  reaper        a persistent /reaper/leader: no daemon could ever lead
 *  lease/holder  of a node that is not registered (they are ephemeral and
 *                should have gone with its session), or persistent ones
 *  member,       of a node that is not registered: the reaper's job once its
 *  endpoint      leader has seen the node gone for REAPER_GRACE_MS
 *  network       no member and no endpoint left (after the above): the record,
 *                its parents and its VNI claim go, as the daemons do it
 *  vni           a claim whose network record is gone (or not JSON, or going,
 *                or uses another VNI)
 *  vni-missing   a network whose claim is missing: the claim is made again
 *                (a create; removing a network in use would cut it off)
 *  address       no holder left, or held only by unregistered nodes, and no
 *                endpoint (that stays) uses it
 *  subnet        no references from registered nodes; removed when none of
 *                its addresses stays and no network that stays uses it
 *  invalid       a record that is not a JSON object: removed with the records
 *                below it, unless one of those is ephemeral (a live session's)
 *  name          a name whose endpoint record is missing (the DNS server does
 *                not answer it), or a persistent one; an ephemeral one younger
 *                than a minute is only reported (its writer may be removing it)
 *  name-set      an empty /names/<key> whose network is gone: the reaper's job
 *  config        a /configs/<name> without /volumes/<name> (only a hand edit leaves
 *                one: Create and Remove make and delete both in one transaction):
 *                its whole subtree goes in one transaction (a history is bounded
 *                to fit), unless a node still reports a copy of it (an ephemeral
 *                of a live session, gone at that node's last Unmount)
 *
 * Findings are listed in an order where each removal comes after what it
 * depends on (endpoints before the addresses they used, addresses before
 * their subnet).  Each is carried out as one transaction of versioned deletes
 * at the versions that were judged, after checking again that the nodes it
 * assumed gone are still unregistered: a record that changed meanwhile is
 * left alone (ZooKeeper refuses the delete) and reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zkswarm/cidr.h"
#include "zkswarm/ctl.h"
#include "zkswarm/ctl_table.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

/* The steps of one fix; a config's removal takes what the store's transactions take. */
#define MAX_OPS 64
#define CONFIG_OPS_MAX ZKS_STORE_TXN_OPS_MAX

struct finding {
	char *kind;
	char *path; /* relative to the root */
	char *reason;
	char *action; /* what --yes does, or why nothing */
	int64_t age_ms;
	bool fixable;
	bool reaper;	    /* what the reaper would also reclaim, in time */
	struct zks_op *ops; /* at most CONFIG_OPS_MAX */
	size_t nops;
	char **gone; /* nodes that must still be unregistered when acting */
	size_t ngone;
	char *result;
};

struct repair {
	struct ctl_cluster *c;
	struct finding *f;
	size_t n;
	char **doomed; /* paths that findings remove (with their subtrees) */
	size_t ndoomed;
	const char *leader;
};

/* ---- bookkeeping ----------------------------------------------------------------------------- */

static struct finding *add(struct repair *r, const char *kind, const char *path, int64_t ctime_ms,
			   char *reason)
{
	struct finding *f;

	r->f = xrealloc(r->f, (r->n + 1) * sizeof(*r->f));
	f = &r->f[r->n++];
	memset(f, 0, sizeof(*f));
	f->kind = xstrdup(kind);
	f->path = xstrdup(path);
	f->reason = reason;
	f->age_ms = ctime_ms > 0 ? r->c->snap.taken_ms - ctime_ms : 0;
	return f;
}

static void doom(struct repair *r, const char *path)
{
	r->doomed = xrealloc(r->doomed, (r->ndoomed + 1) * sizeof(char *));
	r->doomed[r->ndoomed++] = xstrdup(path);
}

/* path, or an ancestor of it, is removed by a finding. */
static bool doomed(const struct repair *r, const char *path)
{
	for (size_t i = 0; i < r->ndoomed; i++) {
		size_t n = strlen(r->doomed[i]);

		if (!strncmp(path, r->doomed[i], n) && (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

/* Room for one more op in f; false when it has CONFIG_OPS_MAX. */
static bool op_room(struct finding *f)
{
	if (f->nops >= CONFIG_OPS_MAX)
		return false;
	f->ops = xrealloc(f->ops, (f->nops + 1) * sizeof(*f->ops));
	return true;
}

static void op_delete(struct finding *f, const char *path, int32_t version)
{
	if (op_room(f))
		f->ops[f->nops++] = (struct zks_op){.type = ZKS_OP_DELETE,
						    .path = xstrdup(path),
						    .version = version};
}

static void op_create(struct finding *f, const char *path, const char *data)
{
	if (op_room(f))
		f->ops[f->nops++] = (struct zks_op){.type = ZKS_OP_CREATE,
						    .path = xstrdup(path),
						    .data = xstrdup(data),
						    .len = strlen(data),
						    .kind = ZKS_PERSISTENT};
}

static void need_gone(struct finding *f, const char *node)
{
	for (size_t i = 0; i < f->ngone; i++)
		if (!strcmp(f->gone[i], node))
			return;
	f->gone = xrealloc(f->gone, (f->ngone + 1) * sizeof(char *));
	f->gone[f->ngone++] = xstrdup(node);
}

/* A plain versioned delete of one record. */
static void delete_one(struct repair *r, struct finding *f, const struct zks_stat *st)
{
	f->fixable = true;
	f->action = xstrdup("delete");
	op_delete(f, f->path, st->version);
	doom(r, f->path);
}

/*
 * Append the subtree below path, children first; false if one is ephemeral or there are
 * too many for one transaction of max steps with path's own delete.
 */
static bool add_subtree(struct repair *r, struct finding *f, const char *path, size_t max,
			size_t *count, bool *ephemeral)
{
	char **names;
	size_t n = zks_snap_children(&r->c->snap, path, &names);
	bool ok = true;

	for (size_t i = 0; i < n && ok; i++) {
		cleanup_free char *child = xasprintf("%s/%s", path, names[i]);
		struct zks_stat st;

		if (zks_snap_get(&r->c->snap, child, NULL, NULL, &st) < 0)
			continue;
		ok = add_subtree(r, f, child, max, count, ephemeral);
		if (st.owner != 0) {
			*ephemeral = true;
			ok = false;
		}
		(*count)++;
		op_delete(f, child, st.version);
	}
	zks_free_strv(names, n);
	return ok && *count < max;
}

/* Drop the ops of f: it is not fixable after all. */
static void drop_ops(struct finding *f)
{
	for (size_t i = 0; i < f->nops; i++)
		free((char *)f->ops[i].path);
	f->nops = 0;
}

/* The record at path is not a JSON object: remove it with what is below it, if that is safe. */
static struct finding *invalid(struct repair *r, const char *path, const struct zks_stat *st,
			       const char *what)
{
	struct finding *f = add(r, "invalid", path, st->ctime_ms,
				xasprintf("the %s record is not a JSON object", what));
	size_t below = 0;
	bool ephemeral = false;

	if (st->owner != 0) {
		f->action =
			xstrdup("none: it is ephemeral, so a live session owns it; it goes with "
				"that session");
		return f;
	}
	if (!add_subtree(r, f, path, MAX_OPS, &below, &ephemeral)) {
		f->action = ephemeral ? xstrdup("none: records below it belong to a live session; "
						"remove it by hand once they are gone")
				      : xasprintf("none: %zu records below it, too many for one "
						  "transaction; remove it by hand",
						  below);
		drop_ops(f);
		return f;
	}
	op_delete(f, path, st->version);
	f->fixable = true;
	f->action = below ? xasprintf("delete, with the %zu record%s below it", below,
				      below == 1 ? "" : "s")
			  : xstrdup("delete");
	doom(r, path);
	return f;
}

static char *reaper_note(const struct repair *r)
{
	return r->leader ? xasprintf("the reaper (leader `%s`) reclaims it REAPER_GRACE_MS after "
				     "noticing",
				     r->leader)
			 : xstrdup("no reaper runs (no /reaper/leader)");
}

/* ---- the checks ------------------------------------------------------------------------------ */

static void check_nodes(struct repair *r)
{
	char **names;
	size_t n = zks_snap_children(&r->c->snap, ZKS_NODES, &names);
	struct zks_stat st;

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = zks_path_node(names[i]);
		struct zks_record_node rec;
		int state = zks_snap_get_record(&r->c->snap, p, &st, ZKS_SNAP_NODE, &rec);

		if (st.owner == 0) {
			struct finding *f = add(
				r, "registration", p, st.ctime_ms,
				xasprintf(
					"node `%s` is registered by a persistent record: no session "
					"owns it, so the node looks alive forever",
					names[i]));

			delete_one(r, f, &st);
		} else if (state < 0) {
			invalid(r, p, &st, "node registration");
		}
		zks_record_node_clear(&rec);
	}
	zks_free_strv(names, n);
	if (zks_snap_get(&r->c->snap, ZKS_REAPER_LEADER, NULL, NULL, &st) == 0) {
		if (st.owner == 0) {
			struct finding *f =
				add(r, "reaper", ZKS_REAPER_LEADER, st.ctime_ms,
				    xstrdup("the reaper's leadership is a persistent record: "
					    "no daemon can ever take it"));

			delete_one(r, f, &st);
		}
	}
}

/* A registration that counts: ephemeral, and not being removed. */
static bool alive(const struct repair *r, const char *node)
{
	cleanup_free char *p = NULL;
	struct zks_stat st;

	if (node == NULL || node[0] == '\0' || strchr(node, '/'))
		return false;
	p = zks_path_node(node);
	return zks_snap_get(&r->c->snap, p, NULL, NULL, &st) == 0 && st.owner != 0 && !doomed(r, p);
}

/*
 * An ephemeral lease or holder without its node's registration belongs to a
 * live session: a daemon re-establishing its leases after a new session
 * registers its node a moment later.  Only one older than a minute is an
 * orphan; removing a live one could let two nodes mount a single-node volume.
 */
#define LIVE_LEASE_AGE_MS 60000

static void fix_lease(struct repair *r, struct finding *f, const struct zks_stat *st)
{
	if (st->owner != 0 && f->ngone > 0 && f->age_ms < LIVE_LEASE_AGE_MS) {
		f->action =
			xstrdup("none yet: a live session made it less than a minute ago and its "
				"node may be registering; run repair again");
		return;
	}
	delete_one(r, f, st);
}

/* The leases of volume vol: unreadable, of unregistered nodes, or persistent. */
static void check_leases(struct repair *r, const char *vol)
{
	cleanup_free char *lp = zks_path_volume_leases(vol);
	char **leases;
	size_t nl = zks_snap_children(&r->c->snap, lp, &leases);

	for (size_t k = 0; k < nl; k++) {
		cleanup_free char *p = xasprintf("%s/%s", lp, leases[k]);
		struct finding *f = NULL;
		struct zks_record_lease lease;
		struct zks_stat st;
		int state = zks_snap_get_record(&r->c->snap, p, &st, ZKS_SNAP_LEASE, &lease);

		zks_record_lease_clear(&lease);
		if (state < 0) {
			/* Corrupt: mounts through it cannot be told; it only blocks. */
			f = add(r, "invalid", p, st.ctime_ms,
				xasprintf("the lease record of node `%s` is not a JSON object",
					  leases[k]));
		} else if (!alive(r, leases[k])) {
			f = add(r, "lease", p, st.ctime_ms,
				xasprintf("lease of node `%s`, which is not registered%s",
					  leases[k],
					  st.owner == 0 ? "; the lease is persistent"
							: " (an ephemeral of a session that "
							  "lives on without its registration)"));
			need_gone(f, leases[k]);
		} else if (st.owner == 0) {
			f = add(r, "lease", p, st.ctime_ms,
				xasprintf("the lease of node `%s` is persistent: it would never be "
					  "released",
					  leases[k]));
		}
		if (f)
			fix_lease(r, f, &st);
	}
	zks_free_strv(leases, nl);
}

/* The holder of volume vol: naming no node, an unregistered one, or persistent. */
static void check_holder(struct repair *r, const char *vol)
{
	cleanup_free char *hp = zks_path_volume_holder(vol);
	struct zks_record_lease holder;
	struct zks_stat st;
	struct finding *f = NULL;
	const char *node;

	if (zks_snap_get_record(&r->c->snap, hp, &st, ZKS_SNAP_LEASE, &holder) == 0)
		return;
	node = holder.node;
	if (node == NULL) {
		f = add(r, "invalid", hp, st.ctime_ms,
			xstrdup("the holder record of the volume names no node"));
	} else if (!alive(r, node)) {
		f = add(r, "holder", hp, st.ctime_ms,
			xasprintf("volume `%s` is held by node `%s`, which is not registered%s",
				  vol, node, st.owner == 0 ? "; the record is persistent" : ""));
		need_gone(f, node);
	} else if (st.owner == 0) {
		f = add(r, "holder", hp, st.ctime_ms,
			xasprintf("the holder record of node `%s` is persistent: the volume "
				  "would never be free",
				  node));
	}
	if (f)
		fix_lease(r, f, &st);
	zks_record_lease_clear(&holder);
}

static void check_volumes(struct repair *r)
{
	char **vols;
	size_t nv = zks_snap_children(&r->c->snap, ZKS_VOLUMES, &vols);

	for (size_t i = 0; i < nv; i++) {
		cleanup_free char *vp = zks_path_volume(vols[i]);
		struct zks_stat st;
		int state;
		cJSON *doc = zks_snap_get_object(&r->c->snap, vp, &st, &state);

		cJSON_Delete(doc);
		if (state < 0) {
			invalid(r, vp, &st, "volume");
			continue;
		}
		check_leases(r, vols[i]);
		check_holder(r, vols[i]);
	}
	zks_free_strv(vols, nv);
}

/* The network's record: vni (0 if none) and whether it is a JSON object. */
static int network_vni(struct repair *r, const char *key, uint32_t *vni)
{
	cleanup_free char *p = zks_path_network(key);
	int state;
	/* Raw: the VNI of a record the daemon rejects (a bad MTU, say) still keeps its claim. */
	cJSON *doc = zks_snap_get_object(&r->c->snap, p, NULL, &state);
	long v = 0;

	*vni = zks_snap_int(doc, "vni", 1, 16777215, &v) ? (uint32_t)v : 0;
	cJSON_Delete(doc);
	return state;
}

/* Absolute paths in messages, as zkCli.sh takes them. */
static const char *c_root(const struct repair *r)
{
	return r->c->root;
}

/* The members of network key: malformed names and unregistered nodes.  Returns those left. */
static size_t check_members(struct repair *r, const char *key)
{
	cleanup_free char *mp = zks_path_network_members(key);
	char **names;
	size_t n = zks_snap_children(&r->c->snap, mp, &names), left = 0;

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = xasprintf("%s/%s", mp, names[i]);
		const char *colon = strchr(names[i], ':');
		cleanup_free char *node =
			colon ? xstrndup(names[i], (size_t)(colon - names[i])) : NULL;
		struct zks_stat st;
		struct finding *f;

		zks_snap_get(&r->c->snap, p, NULL, NULL, &st);
		if (node == NULL) {
			f = add(r, "invalid", p, st.ctime_ms,
				xstrdup("a member's name must be <node>:<docker network id>"));
		} else if (!alive(r, node)) {
			cleanup_free char *note = reaper_note(r);

			f = add(r, "member", p, st.ctime_ms,
				xasprintf("member of unregistered node `%s`; %s", node, note));
			f->reaper = true;
			need_gone(f, node);
		} else {
			left++;
			continue;
		}
		delete_one(r, f, &st);
	}
	zks_free_strv(names, n);
	return left;
}

/* The endpoints of network key: unreadable, naming no node or an unregistered one.  Returns
 * those left. */
static size_t check_endpoints(struct repair *r, const char *key)
{
	cleanup_free char *ep = zks_path_network_endpoints(key);
	char **names;
	size_t n = zks_snap_children(&r->c->snap, ep, &names), left = 0;

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = xasprintf("%s/%s", ep, names[i]);
		struct zks_stat st;
		int state;
		/* Raw: an endpoint the daemon rejects stays while the node it names is alive. */
		cJSON *doc = zks_snap_get_object(&r->c->snap, p, &st, &state);
		const char *node = zks_snap_str(doc, "node");

		if (state < 0) {
			invalid(r, p, &st, "endpoint");
		} else if (node == NULL) {
			delete_one(r,
				   add(r, "invalid", p, st.ctime_ms,
				       xstrdup("the endpoint record names no node")),
				   &st);
		} else if (!alive(r, node)) {
			cleanup_free char *note = reaper_note(r);
			const char *addr = zks_snap_str(doc, "address");
			struct finding *f =
				add(r, "endpoint", p, st.ctime_ms,
				    xasprintf("endpoint%s%s of unregistered node `%s`; %s",
					      addr ? " " : "", addr ? addr : "", node, note));

			f->reaper = true;
			need_gone(f, node);
			delete_one(r, f, &st);
		} else {
			left++;
		}
		cJSON_Delete(doc);
	}
	zks_free_strv(names, n);
	return left;
}

/* A network without members or endpoints goes, as the daemons do it: everything of it. */
static void remove_network(struct repair *r, const char *key, const struct zks_stat *nst,
			   uint32_t vni)
{
	cleanup_free char *np = zks_path_network(key);
	cleanup_free char *mp = zks_path_network_members(key);
	cleanup_free char *ep = zks_path_network_endpoints(key);
	cleanup_free char *vp = vni ? zks_path_vni(vni) : NULL;
	struct finding *f =
		add(r, "network", np, nst->ctime_ms, xstrdup("no member and no endpoint left"));
	struct zks_record_vni claim = {0};
	struct zks_stat st;

	f->fixable = true;
	if (zks_snap_get(&r->c->snap, mp, NULL, NULL, &st) == 0)
		op_delete(f, mp, st.version);
	if (zks_snap_get(&r->c->snap, ep, NULL, NULL, &st) == 0)
		op_delete(f, ep, st.version);
	op_delete(f, np, nst->version);
	if (vp)
		zks_snap_get_record(&r->c->snap, vp, &st, ZKS_SNAP_VNI, &claim);
	if (claim.network && !strcmp(claim.network, key)) {
		op_delete(f, vp, st.version);
		doom(r, vp);
		f->action = xasprintf("delete, with its members and endpoints parents and its "
				      "claim of VNI %u",
				      vni);
	} else {
		f->action = xstrdup("delete, with its members and endpoints parents");
	}
	zks_record_vni_clear(&claim);
	doom(r, np);
}

/* A claim of VNI vni naming network key, to create. */
static void op_create_claim(struct finding *f, const char *vp, const char *key)
{
	cleanup_free char *text =
		zks_record_vni_encode(&(struct zks_record_vni){.network = (char *)key});

	op_create(f, vp, text);
}

/* The claim of the VNI that network key (in use) uses: missing, or another network's. */
static void check_claim(struct repair *r, const char *key, const struct zks_stat *nst, uint32_t vni)
{
	cleanup_free char *np = zks_path_network(key);
	cleanup_free char *vp = zks_path_vni(vni);
	struct zks_record_vni claim;
	struct zks_stat st;
	int state = zks_snap_get_record(&r->c->snap, vp, &st, ZKS_SNAP_VNI, &claim);
	const char *owner = claim.network;
	uint32_t other_vni = 0;
	struct finding *f;

	if (state == 0) {
		f = add(r, "vni-missing", np, nst->ctime_ms,
			xasprintf("network in use but its claim of VNI %u (%s) is "
				  "missing: another network could take the VNI",
				  vni, vp));
		f->fixable = true;
		f->action = xasprintf("create %s%s naming it", c_root(r), vp);
		op_create_claim(f, vp, key);
	} else if (state > 0 && owner != NULL && strcmp(owner, key) != 0 &&
		   (network_vni(r, owner, &other_vni) <= 0 || other_vni != vni)) {
		/* The claim names a network that is gone or uses another VNI: take it over. */
		f = add(r, "vni-missing", np, nst->ctime_ms,
			xasprintf("network in use but its VNI %u is claimed for `%s`, which %s",
				  vni, owner, other_vni ? "uses another VNI" : "does not exist"));
		f->fixable = true;
		f->action = xasprintf("replace the claim %s%s with one naming it", c_root(r), vp);
		op_delete(f, vp, st.version);
		op_create_claim(f, vp, key);
		doom(r, vp); /* judged here: the VNI check below leaves it alone */
	} else if (state > 0 && owner != NULL && strcmp(owner, key) != 0) {
		f = add(r, "vni-conflict", np, nst->ctime_ms,
			xasprintf("network uses VNI %u, which is claimed by network "
				  "`%s` (also using it): their traffic mixes",
				  vni, owner));
		f->action = xstrdup("none: recreate one of the networks");
	}
	zks_record_vni_clear(&claim);
}

static void check_network(struct repair *r, const char *key)
{
	cleanup_free char *np = zks_path_network(key);
	struct zks_stat nst;
	size_t members_left, endpoints_left;
	uint32_t vni;
	int state;

	state = network_vni(r, key, &vni);
	zks_snap_get(&r->c->snap, np, NULL, NULL, &nst);
	if (state < 0) {
		invalid(r, np, &nst, "network");
		return;
	}
	members_left = check_members(r, key);
	endpoints_left = check_endpoints(r, key);
	if (members_left == 0 && endpoints_left == 0)
		remove_network(r, key, &nst, vni);
	else if (vni != 0)
		check_claim(r, key, &nst, vni);
}

static void check_networks(struct repair *r)
{
	char **keys;
	size_t n = zks_snap_children(&r->c->snap, ZKS_NETWORKS, &keys);

	for (size_t i = 0; i < n; i++)
		check_network(r, keys[i]);
	zks_free_strv(keys, n);
}

static void check_vnis(struct repair *r)
{
	char **names;
	size_t n = zks_snap_children(&r->c->snap, ZKS_VNIS, &names);

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = zks_path_vni_named(names[i]);
		struct zks_stat st;
		struct zks_record_vni claim;
		int state;
		const char *key;
		char *why = NULL;

		if (doomed(r, p))
			continue;
		state = zks_snap_get_record(&r->c->snap, p, &st, ZKS_SNAP_VNI, &claim);
		key = claim.network;
		if (state < 0) {
			invalid(r, p, &st, "VNI claim");
		} else if (key == NULL || strchr(key, '/') != NULL || key[0] == '\0') {
			why = xstrdup("the VNI claim names no network");
		} else {
			cleanup_free char *np = zks_path_network(key);
			uint32_t vni = 0;
			int nstate = network_vni(r, key, &vni);

			if (nstate == 0)
				why = xasprintf("claim for network `%s`, which does not exist",
						key);
			else if (doomed(r, np))
				why = xasprintf("claim for network `%s`, which is removed too",
						key);
			else if (nstate > 0 && vni != 0 &&
				 (unsigned long)vni != strtoul(names[i], NULL, 10))
				why = xasprintf("claim for network `%s`, which uses VNI %u", key,
						vni);
		}
		if (why != NULL)
			delete_one(r, add(r, "vni", p, st.ctime_ms, why), &st);
		zks_record_vni_clear(&claim);
	}
	zks_free_strv(names, n);
}

/* An endpoint that stays uses ip. */
static bool address_in_use(struct repair *r, const char *ip)
{
	char **keys;
	size_t nk = zks_snap_children(&r->c->snap, ZKS_NETWORKS, &keys);
	bool used = false;

	for (size_t i = 0; i < nk && !used; i++) {
		cleanup_free char *eps = zks_path_network_endpoints(keys[i]);
		char **ids;
		size_t ne = zks_snap_children(&r->c->snap, eps, &ids);

		for (size_t k = 0; k < ne && !used; k++) {
			cleanup_free char *p = xasprintf("%s/%s", eps, ids[k]);
			cJSON *doc;
			const char *a;
			size_t len = strlen(ip);

			if (doomed(r, p))
				continue;
			/* Raw: an endpoint the daemon rejects still uses its address. */
			doc = zks_snap_get_object(&r->c->snap, p, NULL, NULL);
			a = zks_snap_str(doc, "address");
			used = a != NULL && !strncmp(a, ip, len) &&
			       (a[len] == '/' || a[len] == '\0');
			cJSON_Delete(doc);
		}
		zks_free_strv(ids, ne);
	}
	zks_free_strv(keys, nk);
	return used;
}

/* A network that stays names this subnet. */
static const char *subnet_user(struct repair *r, const char *cidr, char **keys, size_t nk)
{
	for (size_t i = 0; i < nk; i++) {
		cleanup_free char *np = zks_path_network(keys[i]);
		cJSON *doc;
		bool match;

		if (doomed(r, np))
			continue;
		/* Raw: a record the daemon rejects still names its subnet, as written. */
		doc = zks_snap_get_object(&r->c->snap, np, NULL, NULL);
		match = zks_snap_str(doc, "subnet") && !strcmp(zks_snap_str(doc, "subnet"), cidr);
		cJSON_Delete(doc);
		if (match)
			return keys[i];
	}
	return NULL;
}

/* Nodes of a record's counts: the live total, and the dead ones named into *dead ("a, b"). */
static long live_count(struct repair *r, const struct zks_record_counts *counts, char **dead,
		       struct finding *f)
{
	long live = 0;

	*dead = xstrdup("");
	for (size_t i = 0; i < counts->n; i++) {
		const char *node = counts->v[i].node;
		long n = zks_snap_record_count(&counts->v[i]);
		char *next;

		if (n == 0)
			continue;
		if (alive(r, node)) {
			live += n;
			continue;
		}
		next = xasprintf("%s%s`%s`", *dead, (*dead)[0] ? ", " : "", node);
		free(*dead);
		*dead = next;
		if (f)
			need_gone(f, node);
	}
	return live;
}

/* The /24 groups of address records under ap go with it (their records went before). */
static void delete_groups(struct repair *r, struct finding *f, const char *ap)
{
	char **groups;
	size_t n = zks_snap_children(&r->c->snap, ap, &groups);

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *gp = xasprintf("%s/%s", ap, groups[i]);
		struct zks_stat st;

		if (zks_snap_get(&r->c->snap, gp, NULL, NULL, &st) == 0)
			op_delete(f, gp, st.version);
	}
	zks_free_strv(groups, n);
}

/* How many of a subnet's addresses live nodes hold or endpoints use. */
static size_t addresses_in_use(struct repair *r, char **addrs, size_t na)
{
	size_t held = 0;

	for (size_t i = 0; i < na; i++) {
		cleanup_free char *d = NULL;
		struct zks_record_address rec;

		zks_snap_get_record(&r->c->snap, addrs[i], NULL, ZKS_SNAP_ADDRESS, &rec);
		if (live_count(r, &rec.holders, &d, NULL) > 0 ||
		    address_in_use(r, strrchr(addrs[i], '/') + 1))
			held++;
		zks_record_address_clear(&rec);
	}
	return held;
}

/* A subnet record that is not a JSON object: its addresses may be in use, and removing it
 * would let them be given again. */
static void check_invalid_subnet(struct repair *r, const char *sp, const struct zks_stat *sst,
				 char **addrs, size_t na)
{
	size_t live_held = addresses_in_use(r, addrs, na);

	if (live_held > 0) {
		struct finding *f = add(r, "invalid", sp, sst->ctime_ms,
					xstrdup("the subnet record is not a JSON object"));

		f->action = xasprintf("none: %zu of its addresses are in use; remove it by hand",
				      live_held);
	} else {
		invalid(r, sp, sst, "subnet");
	}
}

/* The address records (paths .../addrs/<group>/<ip>): unreadable, or held by nobody alive and
 * used by no endpoint.  Returns how many stay. */
static size_t check_addresses(struct repair *r, char **addrs, size_t na)
{
	size_t kept = 0;

	for (size_t i = 0; i < na; i++) {
		const char *p = addrs[i], *ip = strrchr(p, '/') + 1;
		cleanup_free char *d = NULL;
		struct zks_record_address rec;
		struct zks_stat st;
		struct finding probe = {0};
		long live;

		if (zks_snap_get_record(&r->c->snap, p, &st, ZKS_SNAP_ADDRESS, &rec) < 0) {
			invalid(r, p, &st, "address");
			zks_record_address_clear(&rec);
			continue;
		}
		live = live_count(r, &rec.holders, &d, &probe);
		zks_record_address_clear(&rec);
		if (live == 0 && !address_in_use(r, ip)) {
			struct finding *f = add(
				r, "address", p, st.ctime_ms,
				d[0] ? xasprintf(
					       "address %s is held only by unregistered %s and no "
					       "remaining endpoint uses it",
					       ip, d)
				     : xasprintf("address %s has no holder left", ip));

			f->reaper = d[0] != '\0';
			f->gone = steal_pointer(&probe.gone);
			f->ngone = probe.ngone;
			probe.ngone = 0;
			delete_one(r, f, &st);
		} else {
			kept++;
		}
		zks_free_strv(probe.gone, probe.ngone);
	}
	return kept;
}

/* A subnet no live node references goes, with its addrs parent, unless something uses it. */
static void check_refs(struct repair *r, const char *name, const char *text,
		       const struct zks_record_subnet *rec, const struct zks_stat *sst, size_t kept,
		       char **keys, size_t nk)
{
	cleanup_free char *sp = zks_path_subnet(name);
	cleanup_free char *ap = zks_path_subnet_addrs(name);
	cleanup_free char *dead = NULL;
	struct finding probe = {0}, *f;
	const char *user;
	struct zks_stat st;

	if (live_count(r, &rec->refs, &dead, &probe) != 0) {
		zks_free_strv(probe.gone, probe.ngone);
		return;
	}
	f = add(r, "subnet", sp, sst->ctime_ms,
		dead[0] ? xasprintf("subnet %s is referenced only by unregistered %s", text, dead)
			: xasprintf("subnet %s has no references left", text));
	f->gone = steal_pointer(&probe.gone);
	f->ngone = probe.ngone;
	f->reaper = dead[0] != '\0';
	user = subnet_user(r, text, keys, nk);
	if (kept > 0) {
		f->action = xasprintf("none: %zu of its addresses are still held or in use", kept);
	} else if (user != NULL) {
		f->action = xasprintf("none: network `%s` uses it", user);
	} else {
		f->fixable = true;
		f->action = xstrdup("delete, with its addrs parent");
		delete_groups(r, f, ap);
		if (zks_snap_get(&r->c->snap, ap, NULL, NULL, &st) == 0)
			op_delete(f, ap, st.version);
		op_delete(f, sp, sst->version);
		doom(r, sp);
	}
}

static void check_subnet(struct repair *r, const char *name, char **keys, size_t nk)
{
	cleanup_free char *sp = zks_path_subnet(name);
	cleanup_free char *ap = zks_path_subnet_addrs(name);
	struct zks_record_subnet rec;
	struct zks_cidr cidr;
	char text[ZKS_CIDR_STR] = "";
	struct zks_stat sst;
	char **addrs;
	size_t na;
	int state = zks_snap_get_record(&r->c->snap, sp, &sst, ZKS_SNAP_SUBNET, &rec);

	if (zks_cidr_from_name(name, &cidr) == 0)
		zks_cidr_format(&cidr, text);
	else if (rec.cidr)
		snprintf(text, sizeof(text), "%s", rec.cidr);
	na = zks_snap_addresses(&r->c->snap, ap, &addrs); /* paths: .../addrs/<group>/<ip> */
	if (state < 0)
		check_invalid_subnet(r, sp, &sst, addrs, na);
	else
		check_refs(r, name, text, &rec, &sst, check_addresses(r, addrs, na), keys, nk);
	zks_free_strv(addrs, na);
	zks_record_subnet_clear(&rec);
}

static void check_subnets(struct repair *r)
{
	char **names, **keys;
	size_t n = zks_snap_children(&r->c->snap, ZKS_SUBNETS, &names);
	size_t nk = zks_snap_children(&r->c->snap, ZKS_NETWORKS, &keys);

	for (size_t i = 0; i < n; i++)
		check_subnet(r, names[i], keys, nk);
	zks_free_strv(names, n);
	zks_free_strv(keys, nk);
}

/* ---- names ------------------------------------------------------------------------------------ */

/* The name record at p (endpoint ep of network key): unreadable, stale or persistent. */
static void check_name(struct repair *r, const char *key, const char *ep, const char *p)
{
	cleanup_free char *epp = zks_path_network_endpoint(key, ep);
	struct zks_record_name rec;
	struct zks_error err = {0};
	struct zks_stat st;
	struct finding *f = NULL;
	int state = zks_snap_get_record_why(&r->c->snap, p, &st, ZKS_SNAP_NAME, &rec, &err);

	if (state < 0)
		f = add(r, "invalid", p, st.ctime_ms,
			xasprintf("the name record is unreadable: %s", err.msg));
	else if (!zks_snap_exists(&r->c->snap, epp) || doomed(r, epp))
		f = add(r, "name", p, st.ctime_ms,
			xasprintf("name `%s` of node `%s` has no endpoint record (%s%s): the DNS "
				  "server does not answer it",
				  rec.name, rec.node, c_root(r), epp));
	else if (st.owner == 0)
		f = add(r, "name", p, st.ctime_ms,
			xasprintf("name `%s` is persistent: it would outlive its node's session",
				  rec.name));
	zks_record_name_clear(&rec);
	if (f == NULL)
		return;
	if (st.owner != 0 && state < 0)
		f->action = xstrdup("none: it is ephemeral, so a live session owns it; it goes "
				    "with that session");
	else if (st.owner != 0 && f->age_ms < LIVE_LEASE_AGE_MS)
		f->action = xstrdup("none yet: a live session wrote it less than a minute ago and "
				    "may be removing it; run repair again");
	else
		delete_one(r, f, &st);
}

/* The names, then the name sets left empty whose network is gone. */
static void check_names(struct repair *r)
{
	char **keys;
	size_t nk = zks_snap_children(&r->c->snap, ZKS_NAMES, &keys);

	for (size_t i = 0; i < nk; i++) {
		cleanup_free char *sp = zks_path_names(keys[i]);
		cleanup_free char *np = zks_path_network(keys[i]);
		char **eps;
		size_t ne = zks_snap_children(&r->c->snap, sp, &eps), left = 0;
		struct zks_stat st;

		for (size_t k = 0; k < ne; k++) {
			cleanup_free char *p = xasprintf("%s/%s", sp, eps[k]);

			check_name(r, keys[i], eps[k], p);
			left += !doomed(r, p);
		}
		zks_free_strv(eps, ne);
		if (left == 0 && (!zks_snap_exists(&r->c->snap, np) || doomed(r, np)) &&
		    zks_snap_get(&r->c->snap, sp, NULL, NULL, &st) == 0) {
			cleanup_free char *note = reaper_note(r);
			struct finding *f =
				add(r, "name-set", sp, st.ctime_ms,
				    xasprintf("the names of network `%s`, which is gone; %s",
					      keys[i], note));

			f->reaper = true;
			delete_one(r, f, &st);
		}
	}
	zks_free_strv(keys, nk);
}

/* A config without its volume: deleted whole, unless a node still reports a copy of it. */
static void check_config(struct repair *r, const char *name, const char *cp,
			 const struct zks_stat *st)
{
	cleanup_free char *vp = zks_path_volume(name);
	struct finding *f =
		add(r, "config", cp, st->ctime_ms,
		    xasprintf("configuration `%s` has no volume record (%s%s%s): no daemon serves "
			      "or removes it",
			      name, c_root(r), vp, doomed(r, vp) ? ", which repair removes" : ""));
	size_t below = 0;
	bool ephemeral = false;

	if (!add_subtree(r, f, cp, CONFIG_OPS_MAX, &below, &ephemeral)) {
		f->action = ephemeral ? xstrdup("none: a node reports a copy of it (a live "
						"session's); it goes at that node's last Unmount, "
						"then run repair again")
				      : xasprintf("none: %zu records below it, too many for one "
						  "transaction; remove it by hand",
						  below);
		drop_ops(f);
		return;
	}
	op_delete(f, cp, st->version);
	f->fixable = true;
	f->action = xasprintf("delete, with the %zu record%s below it (history, files, reports)",
			      below, below == 1 ? "" : "s");
	doom(r, cp);
}

/* The configs whose volume record is missing (or removed by a finding before). */
static void check_configs(struct repair *r)
{
	char **names;
	size_t n = zks_snap_children(&r->c->snap, ZKS_CONFIGS, &names);

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *cp = zks_path_config(names[i]);
		cleanup_free char *vp = zks_path_volume(names[i]);
		struct zks_stat st;

		if ((zks_snap_exists(&r->c->snap, vp) && !doomed(r, vp)) ||
		    zks_snap_get(&r->c->snap, cp, NULL, NULL, &st) < 0)
			continue;
		check_config(r, names[i], cp, &st);
	}
	zks_free_strv(names, n);
}

/* ---- acting ---------------------------------------------------------------------------------- */

/*
 * After a NOT_FOUND: whether the finding's own record is still there.  Then only a part of
 * what the fix would delete went meanwhile (a lease, a file of a history), the record is as
 * wrong as it was, and another run finds it again.
 */
static bool still_there(struct repair *r, const struct finding *f)
{
	struct zks_error err = {0};

	return store_get(r->c->store, f->path, NULL, NULL, NULL, &err) == 0;
}

static void act(struct repair *r, struct finding *f)
{
	struct zks_error err = {0};

	for (size_t i = 0; i < f->ngone; i++) {
		cleanup_free char *p = zks_path_node(f->gone[i]);
		struct zks_stat st;

		if (store_get(r->c->store, p, NULL, NULL, &st, &err) == 0 && st.owner != 0) {
			f->result =
				xasprintf("skipped: node `%s` registered meanwhile", f->gone[i]);
			return;
		}
		if (err.code == ZKS_ERR_UNAVAILABLE) {
			f->result = xasprintf("failed: %s", err.msg);
			return;
		}
	}
	if (store_multi(r->c->store, f->ops, f->nops, &err) == 0)
		f->result =
			xstrdup(f->ops[f->nops - 1].type == ZKS_OP_CREATE ? "created" : "removed");
	else if (err.code == ZKS_ERR_CONFLICT || err.code == ZKS_ERR_NOT_EMPTY ||
		 err.code == ZKS_ERR_EXISTS || (err.code == ZKS_ERR_NOT_FOUND && still_there(r, f)))
		f->result =
			xasprintf("skipped: it changed meanwhile (%s); run repair again", err.msg);
	else if (err.code == ZKS_ERR_NOT_FOUND)
		f->result = xasprintf("skipped: already gone (%s)", err.msg);
	else
		f->result = xasprintf("failed: %s", err.msg);
}

static bool confirm(size_t n)
{
	char line[64];

	if (n == 1)
		fprintf(stderr, "Fix this record? [y/N] ");
	else
		fprintf(stderr, "Fix these %zu records? [y/N] ", n);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

static cJSON *finding_json(const struct repair *r, const struct finding *f)
{
	cJSON *o = cJSON_CreateObject();
	cleanup_free char *abs = xasprintf("%s%s", r->c->root, f->path);

	cJSON_AddStringToObject(o, "kind", f->kind);
	cJSON_AddStringToObject(o, "path", abs);
	cJSON_AddStringToObject(o, "reason", f->reason);
	cJSON_AddNumberToObject(o, "age_ms", (double)f->age_ms);
	cJSON_AddBoolToObject(o, "fixable", f->fixable);
	cJSON_AddStringToObject(o, "action", f->action ? f->action : "none");
	cJSON_AddBoolToObject(o, "reaper", f->reaper);
	if (f->result)
		cJSON_AddStringToObject(o, "result", f->result);
	else
		cJSON_AddNullToObject(o, "result");
	return o;
}

static void print_findings(const struct repair *r, bool with_result)
{
	static const char *const h1[] = {"KIND", "PATH", "AGE", "REASON", "ACTION"};
	static const char *const h2[] = {"KIND", "PATH", "AGE", "REASON", "RESULT"};
	struct ctl_table *t = ctl_table_new(ARRAY_SIZE(h1), with_result ? h2 : h1);

	for (size_t i = 0; i < r->n; i++) {
		const struct finding *f = &r->f[i];
		cleanup_free char *abs = xasprintf("%s%s", r->c->root, f->path);
		char age[32];

		zks_snap_format_age(f->age_ms, age);
		ctl_table_add(t, f->kind, abs, age, f->reason,
			      with_result && f->result ? f->result : f->action);
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
}

static void repair_free(struct repair *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct finding *f = &r->f[i];

		for (size_t k = 0; k < f->nops; k++) {
			free((char *)f->ops[k].path);
			free((char *)f->ops[k].data);
		}
		free(f->ops);
		zks_free_strv(f->gone, f->ngone);
		free(f->kind);
		free(f->path);
		free(f->reason);
		free(f->action);
		free(f->result);
	}
	free(r->f);
	zks_free_strv(r->doomed, r->ndoomed);
}

/* Carry out every fixable finding: *done succeeded, *failed did not. */
static void act_all(struct repair *r, size_t *done, size_t *failed)
{
	for (size_t i = 0; i < r->n; i++) {
		if (!r->f[i].fixable)
			continue;
		act(r, &r->f[i]);
		if (!strcmp(r->f[i].result, "removed") || !strcmp(r->f[i].result, "created"))
			(*done)++;
		else
			(*failed)++;
	}
}

static void print_json(const struct repair *r, bool dry_run, size_t done, size_t failed,
		       size_t unfixable)
{
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "found");

	cJSON_AddStringToObject(doc, "root", r->c->root);
	cJSON_AddBoolToObject(doc, "dry_run", dry_run);
	for (size_t i = 0; i < r->n; i++)
		cJSON_AddItemToArray(arr, finding_json(r, &r->f[i]));
	cJSON_AddNumberToObject(doc, "fixed", (double)done);
	cJSON_AddNumberToObject(doc, "failed", (double)failed);
	cJSON_AddNumberToObject(doc, "unfixable", (double)unfixable);
	ctl_print_json(doc);
	cJSON_Delete(doc);
}

int ctl_cmd_repair(struct ctl_cluster *c, const struct ctl_opts *o)
{
	struct repair r = {.c = c};
	struct zks_record_leader leader;
	size_t fixable = 0, done = 0, failed = 0;
	bool interactive = !o->yes && !o->dry_run && isatty(STDIN_FILENO) && !o->json;
	bool apply;
	int rc;

	zks_snap_get_record(&c->snap, ZKS_REAPER_LEADER, NULL, ZKS_SNAP_LEADER, &leader);
	r.leader = leader.node;
	check_nodes(&r);
	check_volumes(&r);
	check_configs(&r);
	check_networks(&r);
	check_vnis(&r);
	check_subnets(&r);
	check_names(&r);
	for (size_t i = 0; i < r.n; i++)
		fixable += r.f[i].fixable;

	apply = o->yes && !o->dry_run;
	if (r.n > 0 && !o->json && !apply) {
		printf("Found %zu problem%s under %s:\n", r.n, r.n == 1 ? "" : "s", c->root);
		print_findings(&r, false);
	}
	if (interactive && fixable > 0)
		apply = confirm(fixable);
	if (apply)
		act_all(&r, &done, &failed);
	if (o->json) {
		print_json(&r, !apply, done, failed, r.n - fixable);
	} else if (r.n == 0) {
		printf("No problems found under %s.\n", c->root);
	} else if (apply) {
		if (interactive)
			printf("\n");
		else
			printf("Found %zu problem%s under %s:\n", r.n, r.n == 1 ? "" : "s",
			       c->root);
		print_findings(&r, true);
		printf("\nFixed %zu of %zu; %zu failed or skipped; %zu need a person.\n", done, r.n,
		       failed, r.n - fixable);
	} else if (fixable > 0) {
		printf("\n%s: nothing changed. Run `zkswarmctl repair --yes` to fix the %zu fixable "
		       "one%s.\n",
		       interactive ? "Not confirmed" : "Dry run", fixable, fixable == 1 ? "" : "s");
	}
	/* 0 only when nothing is left wrong. */
	rc = r.n == 0 || (apply && done == r.n) ? CTL_EXIT_OK : CTL_EXIT_PROBLEM;
	repair_free(&r);
	zks_record_leader_clear(&leader);
	return rc;
}
