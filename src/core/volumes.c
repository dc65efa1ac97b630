/*
 * volumes.c - volumes and their mount leases, cluster-wide.
 *
 * Decisions are made by writes, never by reads: the mirror only proposes
 * (which version to replace, whether a lease looks free) and the store's
 * transaction, with its version checks and create-if-absent, decides.  A
 * refusal that names another node is always confirmed by an authoritative
 * read first, so a stale mirror can delay a mount but never wrongly deny it.
 *
 * Operations on one volume from this node are serialised by a striped lock;
 * different volumes proceed in parallel.
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/config_sync.h"
#include "zkswarm/configs.h"
#include "zkswarm/fence.h"
#include "zkswarm/log.h"
#include "zkswarm/names.h"
#include "zkswarm/records.h"
#include "zkswarm/txn.h"
#include "zkswarm/util.h"
#include "zkswarm/volumes.h"

#define STRIPES 64
#define LEASE_ATTEMPTS 6
#define MOUNT_ID_MAX 128
/*
 * Mounts one node counts per volume.  Every Mount is one, also one that repeats an ID:
 * the engine mounts a running container's volume again under the container's ID for
 * `docker cp` and sends one Unmount per Mount (moby's MountPoint.Setup and Cleanup).
 */
#define MOUNTS_MAX 256

struct local_mount {
	char *name;
	char **ids; /* one entry per Mount not yet unmounted: an ID may repeat */
	size_t nids;
};

struct zks_volumes {
	struct zks_store *store;
	struct zks_fs *fs;
	struct zks_config_sync *configs; /* NULL: configuration volumes cannot be mounted here */
	struct zks_fence *fence;	 /* image volumes mounted here (fence.h) */
	char *node_id;
	char *data_dir;
	char *mount_root;
	char *state_file;
	char *boot_id;
	pthread_mutex_t stripes[STRIPES];
	pthread_mutex_t local_lock; /* the table below and its file */
	struct local_mount *local;
	size_t nlocal;
	/* The sweep's (the reaper's thread): where the next pass starts, when the last ran. */
	size_t sweep_at;
	int64_t swept_ms;
	uint64_t swept;	    /* empty `leases` deleted since the sweep last found none left */
	size_t sweep_quiet; /* volumes looked at since the last delete */
};

/* A volume's record as read, and the version it was read at. */
struct volume_record {
	struct zks_record_volume r;
	int32_t version;
};

static int remove_records(struct zks_volumes *v, const char *name, int32_t version, bool config,
			  bool authoritative, struct zks_error *err);

/* ---- names, paths, locks ------------------------------------------------------------------- */

static int check_name(const char *name, struct zks_error *err)
{
	return zks_validate_name("volume", name, 1, ZKS_VOLUME_NAME_MAX, err);
}

static int check_mount_id(const char *id, struct zks_error *err)
{
	size_t n = strlen(id);

	if (n == 0 || n > MOUNT_ID_MAX)
		return zks_error_set(err, ZKS_ERR_INVALID, "mount ID must be 1 to %d characters",
				     MOUNT_ID_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':'))
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "mount ID contains `%c`, which is not allowed",
					     c >= 0x20 && c < 0x7f ? c : '?');
	}
	return 0;
}

static pthread_mutex_t *stripe_of(struct zks_volumes *v, const char *name)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return &v->stripes[h % STRIPES];
}

static char *mountpoint_of(const struct zks_volumes *v, const char *name)
{
	return xasprintf("%s/%s", v->mount_root, name);
}

/* ---- records (data read from ZooKeeper is untrusted) ---------------------------------------- */

static void record_clear(struct volume_record *rec)
{
	zks_record_volume_clear(&rec->r);
	rec->version = 0;
}

/* A new volume's record, created now by this node. */
static char *volume_text(const struct zks_volumes *v, const char *name,
			 const struct zks_volume_options *opts)
{
	char at[32], token[17];

	zks_rfc3339_now(at);
	zks_random_hex(token);
	return zks_record_volume_encode(&(struct zks_record_volume){.name = (char *)name,
								    .opts = *opts,
								    .created_at = at,
								    .created_by = v->node_id,
								    .token = token});
}

/* This node's lease (or, without IDs, holder) record, stamped now. */
static char *lease_text(const struct zks_volumes *v, char *const *ids, size_t n)
{
	char at[32];

	zks_rfc3339_now(at);
	return zks_record_lease_encode(&(struct zks_record_lease){.node = v->node_id,
								  .mounts = (char **)ids,
								  .nmounts = n,
								  .updated_at = at});
}

/* The node and mount count of a lease or holder record; -1 if malformed. */
static int lease_summary(const char *data, char **node, size_t *mounts)
{
	struct zks_record_lease rec;

	if (zks_record_lease_decode(data, &rec, NULL) < 0 || rec.node == NULL) {
		zks_record_lease_clear(&rec);
		return -1;
	}
	*node = steal_pointer(&rec.node);
	if (mounts)
		*mounts = rec.nmounts;
	zks_record_lease_clear(&rec);
	return 0;
}

/*
 * Read a node from the mirror or from ZooKeeper (len: NULL, or its data's length).
 * 0: found; 1: absent; -1: could not tell (err set).
 */
static int read_node(struct zks_volumes *v, bool authoritative, const char *path, char **data,
		     size_t *len, struct zks_stat *st, struct zks_error *err)
{
	struct zks_error e;

	if (!authoritative)
		return store_cached_get(v->store, path, data, len, st) == 0 ? 0 : 1;
	if (store_get(v->store, path, data, len, st, &e) == 0)
		return 0;
	if (e.code == ZKS_ERR_NOT_FOUND)
		return 1;
	*err = e;
	return -1;
}

/* A node's children, as read_node reads its data: 0: found; 1: absent; -1 (err set). */
static int read_children(struct zks_volumes *v, bool authoritative, const char *path, char ***names,
			 size_t *n, struct zks_error *err)
{
	struct zks_error e;

	*names = NULL;
	*n = 0;
	if (!authoritative)
		return store_cached_children(v->store, path, names, n) == 0 ? 0 : 1;
	if (store_children(v->store, path, names, n, &e) == 0)
		return 0;
	if (e.code == ZKS_ERR_NOT_FOUND)
		return 1;
	*err = e;
	return -1;
}

/* The volume's record: from the mirror, or from ZooKeeper when the mirror has none. */
static int load_record(struct zks_volumes *v, const char *name, bool authoritative,
		       struct volume_record *rec, struct zks_error *err)
{
	cleanup_free char *path = zks_path_volume(name);
	cleanup_free char *data = NULL;
	struct zks_stat st;
	int r = read_node(v, authoritative, path, &data, NULL, &st, err);

	if (r == 1 && !authoritative) {
		free(data);
		data = NULL;
		r = read_node(v, true, path, &data, NULL, &st, err);
	}
	if (r < 0)
		return -1;
	if (r == 1)
		return zks_error_set(err, ZKS_ERR_NOT_FOUND, "no such volume: %s", name);
	memset(rec, 0, sizeof(*rec));
	if (zks_record_volume_decode(name, data, &rec->r, err) < 0)
		return -1;
	rec->version = st.version;
	return 0;
}

/* ---- local mount table (this node's truth about its mount IDs) ------------------------------ */

static struct local_mount *local_find(struct zks_volumes *v, const char *name)
{
	for (size_t i = 0; i < v->nlocal; i++)
		if (!strcmp(v->local[i].name, name))
			return &v->local[i];
	return NULL;
}

/* A copy of the IDs held here for name. */
static char **local_ids(struct zks_volumes *v, const char *name, size_t *n)
{
	struct local_mount *m;
	char **ids = NULL;

	pthread_mutex_lock(&v->local_lock);
	m = local_find(v, name);
	*n = m ? m->nids : 0;
	ids = xcalloc(*n + 1, sizeof(*ids));
	for (size_t i = 0; i < *n; i++)
		ids[i] = xstrdup(m->ids[i]);
	pthread_mutex_unlock(&v->local_lock);
	return ids;
}

static int local_save_locked(struct zks_volumes *v, struct zks_error *err)
{
	cJSON *doc = cJSON_CreateObject(), *mounts = cJSON_AddObjectToObject(doc, "mounts");
	char *text;
	int r;

	cJSON_AddNumberToObject(doc, "format", 1);
	cJSON_AddStringToObject(doc, "node", v->node_id);
	if (v->boot_id)
		cJSON_AddStringToObject(doc, "boot_id", v->boot_id);
	for (size_t i = 0; i < v->nlocal; i++) {
		cJSON *arr = cJSON_AddArrayToObject(mounts, v->local[i].name);

		for (size_t k = 0; k < v->local[i].nids; k++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(v->local[i].ids[k]));
	}
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (text == NULL)
		abort();
	r = zks_write_file_atomic(v->state_file, text, strlen(text), err);
	free(text);
	return r;
}

/* Replace the IDs held for name (an empty set forgets the volume) and save the table. */
static int local_set(struct zks_volumes *v, const char *name, char *const *ids, size_t n,
		     struct zks_error *err)
{
	struct local_mount *m;
	int r;

	pthread_mutex_lock(&v->local_lock);
	m = local_find(v, name);
	if (m == NULL && n > 0) {
		v->local = xrealloc(v->local, (v->nlocal + 1) * sizeof(*v->local));
		m = &v->local[v->nlocal++];
		memset(m, 0, sizeof(*m));
		m->name = xstrdup(name);
	}
	if (m != NULL) {
		zks_free_strv(m->ids, m->nids);
		m->ids = xcalloc(n + 1, sizeof(*m->ids));
		for (size_t i = 0; i < n; i++)
			m->ids[i] = xstrdup(ids[i]);
		m->nids = n;
		if (n == 0) {
			free(m->name);
			free(m->ids);
			*m = v->local[--v->nlocal];
		}
	}
	r = local_save_locked(v, err);
	pthread_mutex_unlock(&v->local_lock);
	return r;
}

static void local_load(struct zks_volumes *v)
{
	cleanup_free char *text = NULL;
	struct zks_error err;
	cJSON *doc, *mounts, *m;

	if (zks_read_file(v->state_file, 64u << 20, &text, NULL, &err) < 0)
		return; /* first start */
	doc = cJSON_Parse(text);
	mounts = cJSON_GetObjectItemCaseSensitive(doc, "mounts");
	if (!cJSON_IsObject(mounts)) {
		log_warn("volumes: `%s` is malformed; starting with no local mounts",
			 v->state_file);
		cJSON_Delete(doc);
		return;
	}
	{
		/* No container survives a reboot, and the engine never unmounts what died with it. */
		const cJSON *boot = cJSON_GetObjectItemCaseSensitive(doc, "boot_id");

		if (v->boot_id && cJSON_IsString(boot) &&
		    strcmp(boot->valuestring, v->boot_id) != 0) {
			log_info(
				"volumes: the machine has restarted since `%s` was written; its %d "
				"volume(s)' mount IDs are dropped with their containers",
				v->state_file, cJSON_GetArraySize(mounts));
			cJSON_Delete(doc);
			return;
		}
	}
	cJSON_ArrayForEach(m, mounts)
	{
		char *ids[MOUNTS_MAX];
		size_t n = 0;
		cJSON *id;

		if (check_name(m->string, &err) < 0 || !cJSON_IsArray(m)) {
			log_warn("volumes: skipping malformed entry in `%s`", v->state_file);
			continue;
		}
		/* An ID listed twice was mounted twice (see MOUNTS_MAX). */
		cJSON_ArrayForEach(id, m)
		{
			if (n == ARRAY_SIZE(ids) || !cJSON_IsString(id) ||
			    check_mount_id(id->valuestring, &err) < 0)
				continue;
			ids[n++] = id->valuestring;
		}
		if (n == 0)
			continue;
		v->local = xrealloc(v->local, (v->nlocal + 1) * sizeof(*v->local));
		v->local[v->nlocal].name = xstrdup(m->string);
		v->local[v->nlocal].ids = xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			v->local[v->nlocal].ids[i] = xstrdup(ids[i]);
		v->local[v->nlocal].nids = n;
		v->nlocal++;
	}
	cJSON_Delete(doc);
	if (v->nlocal)
		log_info("volumes: %zu volume(s) mounted here before the restart", v->nlocal);
}

/* ---- leases ------------------------------------------------------------------------------- */

/*
 * What a lease change is built on.  `leases` is made with a volume's first lease and deleted
 * with its last, so an unmounted volume's record has no child (docs/DESIGN.md, "Records in
 * ZooKeeper"); while it is missing, the record is read too, for the touch that makes it.
 */
struct lease_view {
	bool holder_exists;
	char *holder_node;
	struct zks_stat holder_st;
	bool lease_exists;
	struct zks_stat lease_st;
	char *lease_data;
	bool leases_exists;
	size_t others;	    /* leases of other nodes under `leases` */
	bool record_exists; /* read only while `leases` is missing */
	char *record_data;
	size_t record_len;
	struct zks_stat record_st;
};

static void lease_view_clear(struct lease_view *lv)
{
	free(lv->holder_node);
	free(lv->lease_data);
	free(lv->record_data);
	memset(lv, 0, sizeof(*lv));
}

static int lease_view_read(struct zks_volumes *v, const char *name, bool authoritative,
			   struct lease_view *lv, struct zks_error *err)
{
	cleanup_free char *holder = zks_path_volume_holder(name);
	cleanup_free char *lease = zks_path_volume_lease(name, v->node_id);
	cleanup_free char *leases = zks_path_volume_leases(name);
	cleanup_free char *record = zks_path_volume(name);
	cleanup_free char *hdata = NULL;
	char **nodes;
	size_t n;
	int r;

	memset(lv, 0, sizeof(*lv));
	r = read_node(v, authoritative, holder, &hdata, NULL, &lv->holder_st, err);
	if (r < 0)
		return -1;
	if (r == 0) {
		lv->holder_exists = true;
		if (lease_summary(hdata, &lv->holder_node, NULL) < 0)
			lv->holder_node = xstrdup("(unreadable)");
	}
	r = read_node(v, authoritative, lease, &lv->lease_data, NULL, &lv->lease_st, err);
	if (r < 0)
		goto fail;
	lv->lease_exists = r == 0;
	r = read_children(v, authoritative, leases, &nodes, &n, err);
	if (r < 0)
		goto fail;
	lv->leases_exists = r == 0;
	for (size_t i = 0; i < n; i++)
		lv->others += strcmp(nodes[i], v->node_id) != 0;
	zks_free_strv(nodes, n);
	if (lv->leases_exists)
		return 0;
	r = read_node(v, authoritative, record, &lv->record_data, &lv->record_len, &lv->record_st,
		      err);
	if (r < 0)
		goto fail;
	lv->record_exists = r == 0;
	return 0;
fail:
	lease_view_clear(lv);
	return -1;
}

/* One lease_write: what it changes and the paths and texts its steps point to. */
struct lease_change {
	struct zks_volumes *v;
	const char *name;
	enum zks_access access;
	size_t n; /* IDs to hold; 0: release */
	const char *record, *leases, *holder, *lease;
	const char *data, *hdata; /* the lease's and the holder's text */
};

/*
 * `leases` made where it is missing, with the record set to its own data at the version read
 * (a touch): a record gets its first child only with its data set, so that every mirror's
 * watch on the record fires.  Both lost races (EXISTS, CONFLICT) are read and built again.
 */
static void leases_make_ops(const struct lease_change *c, struct lease_view *lv, struct zks_txn *t)
{
	if (lv->leases_exists)
		return;
	zks_txn_add(t, (struct zks_op){.type = ZKS_OP_SET,
				       .path = c->record,
				       .data = zks_txn_keep(t, steal_pointer(&lv->record_data)),
				       .len = lv->record_len,
				       .version = lv->record_st.version});
	zks_txn_add(t, (struct zks_op){.type = ZKS_OP_CREATE, .path = c->leases});
}

/*
 * The steps that take (or keep) the lease, and for a single-node volume the holder.  A holder
 * is made only with the lease made (or made again): every mirror reads the holder when the
 * volume's leases change (records.h, zks_named_children).
 */
static void lease_take_ops(const struct lease_change *c, struct lease_view *lv, int64_t session,
			   struct zks_txn *t)
{
	bool new_holder = c->access == ZKS_ACCESS_SINGLE_NODE &&
			  (!lv->holder_exists || lv->holder_st.owner != session);

	leases_make_ops(c, lv, t);
	if (new_holder) {
		if (lv->holder_exists)
			zks_txn_add(t, (struct zks_op){.type = ZKS_OP_DELETE,
						       .path = c->holder,
						       .version = lv->holder_st.version});
		zks_txn_add(t, (struct zks_op){.type = ZKS_OP_CREATE,
					       .path = c->holder,
					       .data = c->hdata,
					       .len = strlen(c->hdata),
					       .kind = ZKS_EPHEMERAL});
	}
	if (lv->lease_exists && lv->lease_st.owner == session && !new_holder) {
		zks_txn_add(t, (struct zks_op){.type = ZKS_OP_SET,
					       .path = c->lease,
					       .data = c->data,
					       .len = strlen(c->data),
					       .version = lv->lease_st.version});
		return;
	}
	/* A lease of an earlier session of ours is replaced, not trusted; so is this session's
	 * when a holder is made with it. */
	if (lv->lease_exists)
		zks_txn_add(t, (struct zks_op){.type = ZKS_OP_DELETE,
					       .path = c->lease,
					       .version = lv->lease_st.version});
	zks_txn_add(t, (struct zks_op){.type = ZKS_OP_CREATE,
				       .path = c->lease,
				       .data = c->data,
				       .len = strlen(c->data),
				       .kind = ZKS_EPHEMERAL});
}

/*
 * The steps that give the lease up, with the holder if ours, and `leases` if the view has no
 * other node's lease under it: one made since refuses that delete (NOT_EMPTY, lease_failed).
 */
static void lease_release_ops(const struct lease_change *c, const struct lease_view *lv,
			      struct zks_txn *t)
{
	if (lv->lease_exists)
		zks_txn_add(t, (struct zks_op){.type = ZKS_OP_DELETE,
					       .path = c->lease,
					       .version = lv->lease_st.version});
	if (lv->holder_exists && strcmp(lv->holder_node, c->v->node_id) == 0)
		zks_txn_add(t, (struct zks_op){.type = ZKS_OP_DELETE,
					       .path = c->holder,
					       .version = lv->holder_st.version});
	if (lv->leases_exists && lv->others == 0)
		zks_txn_add(t, (struct zks_op){.type = ZKS_OP_DELETE,
					       .path = c->leases,
					       .version = -1});
}

/* First from the mirror, then (after a miss or a lost race) from ZooKeeper. */
static enum zks_txn_next lease_build(void *ctx, struct zks_txn *t, struct zks_error *err)
{
	struct lease_change *c = ctx;
	struct zks_volumes *v = c->v;
	bool authoritative = t->attempt > 0;
	struct zks_store_status status;
	struct lease_view lv;
	bool ours, recheck;

	store_status(v->store, &status);
	if (lease_view_read(v, c->name, authoritative, &lv, err) < 0)
		return ZKS_TXN_FAIL;
	if (c->n > 0 && !lv.leases_exists && !lv.record_exists) {
		/* No record to touch: gone, or not in the mirror yet (ask ZooKeeper). */
		if (authoritative)
			zks_error_set(err, ZKS_ERR_NOT_FOUND, "no such volume: %s", c->name);
		lease_view_clear(&lv);
		return authoritative ? ZKS_TXN_FAIL : ZKS_TXN_RETRY;
	}
	ours = lv.holder_exists && strcmp(lv.holder_node, v->node_id) == 0;
	if (c->n > 0 && c->access == ZKS_ACCESS_SINGLE_NODE && lv.holder_exists && !ours) {
		if (authoritative)
			zks_error_set(err, ZKS_ERR_CONFLICT,
				      "volume `%s` is single-node and is mounted on node `%s`; "
				      "unmount it there first (or create it with -o "
				      "access=multi-node)",
				      c->name, lv.holder_node);
		lease_view_clear(&lv);
		/* Or the mirror may be behind: ask ZooKeeper. */
		return authoritative ? ZKS_TXN_FAIL : ZKS_TXN_RETRY;
	}
	if (c->n > 0)
		lease_take_ops(c, &lv, status.session_id, t);
	else
		lease_release_ops(c, &lv, t);
	/*
	 * Nothing to change, as far as the mirror knows, or a release of a single-node
	 * volume whose mirror shows our lease without our holder (read at another
	 * moment): make sure with ZooKeeper, or the holder could stay behind.
	 */
	recheck = t->nops == 0 ||
		  (c->n == 0 && c->access == ZKS_ACCESS_SINGLE_NODE && lv.lease_exists && !ours);
	lease_view_clear(&lv);
	return !authoritative && recheck ? ZKS_TXN_RETRY : ZKS_TXN_COMMIT;
}

/*
 * A refused commit.  NOT_FOUND: the volume is gone, or its `leases` (the last lease released
 * meanwhile), or a node we replace vanished; NOT_EMPTY: another node's lease came under the
 * `leases` we delete.  The next attempt reads ZooKeeper: it makes a missing `leases` with the
 * record's touch, never bare, and keeps one with another node's lease.
 */
static enum zks_txn_next lease_failed(void *ctx, struct zks_txn *t, struct zks_error *err)
{
	struct lease_change *c = ctx;
	struct volume_record rec;

	(void)t;
	if (err->code == ZKS_ERR_NOT_EMPTY)
		return ZKS_TXN_RETRY;
	if (err->code != ZKS_ERR_NOT_FOUND)
		return zks_txn_lost_race(err) ? ZKS_TXN_RETRY : ZKS_TXN_FAIL;
	if (load_record(c->v, c->name, true, &rec, err) < 0)
		return ZKS_TXN_FAIL;
	record_clear(&rec);
	return ZKS_TXN_RETRY;
}

/*
 * Make this node's lease on the volume hold exactly ids (none: release it).
 * For a single-node volume taking the first ID also takes the holder node,
 * which another node's holder refuses.  The volume's first lease makes its
 * `leases`, and its last deletes it.
 */
static int lease_write(struct zks_volumes *v, const char *name, enum zks_access access,
		       char *const *ids, size_t n, struct zks_error *err)
{
	static const struct zks_txn_spec spec = {.attempts = LEASE_ATTEMPTS,
						 .build = lease_build,
						 .failed = lease_failed};
	cleanup_free char *record = zks_path_volume(name);
	cleanup_free char *leases = zks_path_volume_leases(name);
	cleanup_free char *holder = zks_path_volume_holder(name);
	cleanup_free char *lease = zks_path_volume_lease(name, v->node_id);
	cleanup_free char *data = lease_text(v, ids, n);
	cleanup_free char *hdata = lease_text(v, NULL, 0);
	struct lease_change c = {.v = v,
				 .name = name,
				 .access = access,
				 .n = n,
				 .record = record,
				 .leases = leases,
				 .holder = holder,
				 .lease = lease,
				 .data = data,
				 .hdata = hdata};

	return zks_txn_run(v->store, &spec, &c, err,
			   "volume `%s`: the lease kept changing under us; try again", name);
}

/* ---- empty `leases`: the reaper leader's sweep ---------------------------------------------- */

/*
 * A volume's `leases` left empty: made by the Create of a daemon of layout 1, or kept by a
 * node whose session ended while it held the volume's last lease.  Each costs every mirror a
 * read and a watch more at a cold start (docs/DESIGN.md, "A record without children").  The
 * sweep deletes SWEEP_DELETES of them every SWEEP_MS at most, looking at SWEEP_LOOKS volumes
 * of the mirror per pass, from where the last pass stopped.
 */
#define SWEEP_MS 2000
#define SWEEP_DELETES 50
#define SWEEP_LOOKS 2000

/*
 * Only while every registered node keeps layout 2: a node of layout 1 makes a missing
 * `leases` without touching the record, and the other mirrors would not be told.  The
 * store asks the same of the same registrations (zk.c, writers_keep_rule) with the other
 * stance: there one listed but not yet read counts as keeping the rule, since the absent
 * pass makes up for a wrong guess; here it does not, since a delete is not undone.
 */
static bool nodes_keep_layout(struct zks_volumes *v)
{
	char **nodes;
	size_t n;
	bool keep = true;

	if (store_cached_children(v->store, ZKS_NODES, &nodes, &n) < 0)
		return false;
	for (size_t i = 0; i < n && keep; i++) {
		cleanup_free char *path = zks_path_node(nodes[i]);
		cleanup_free char *data = NULL;
		size_t len = 0;

		keep = store_cached_get(v->store, path, &data, &len, NULL) == 0 &&
		       zks_record_node_keeps_layout(data, len);
	}
	zks_free_strv(nodes, n);
	return keep;
}

/* A record this daemon cannot read is left whole to `zkswarmctl repair`, which deletes it. */
static bool record_readable(struct zks_volumes *v, const char *name)
{
	cleanup_free char *path = zks_path_volume(name);
	cleanup_free char *data = NULL;
	struct zks_record_volume rec;
	struct zks_error err;

	if (store_cached_get(v->store, path, &data, NULL, NULL) < 0 ||
	    zks_record_volume_decode(name, data, &rec, &err) < 0)
		return false;
	zks_record_volume_clear(&rec);
	return true;
}

/*
 * Delete the volume's `leases` if the mirror shows it empty, no holder and a readable record:
 * 1 if deleted.
 * ZooKeeper decides: a lease made since refuses the delete (NOT_EMPTY), and a Mount whose
 * lease finds `leases` gone makes it again with the record's touch (lease_failed).  A volume
 * this node is changing is left for a later pass.
 */
static int sweep_one(struct zks_volumes *v, const char *name, struct zks_error *err)
{
	cleanup_free char *leases = zks_path_volume_leases(name);
	cleanup_free char *holder = zks_path_volume_holder(name);
	pthread_mutex_t *lock = stripe_of(v, name);
	char **held;
	size_t n;
	int r;

	if (store_cached_children(v->store, leases, &held, &n) < 0)
		return 0;
	zks_free_strv(held, n);
	if (n > 0 || store_cached_get(v->store, holder, NULL, NULL, NULL) == 0 ||
	    !record_readable(v, name) || pthread_mutex_trylock(lock) != 0)
		return 0;
	r = store_remove(v->store, leases, -1, err);
	pthread_mutex_unlock(lock);
	if (r == 0)
		return 1;
	return err->code == ZKS_ERR_NOT_EMPTY || err->code == ZKS_ERR_NOT_FOUND ? 0 : -1;
}

void zks_volumes_sweep(void *ctx, int64_t now_ms)
{
	struct zks_volumes *v = ctx;
	struct zks_error err = {0};
	char **names;
	size_t n, looked = 0, deleted = 0;

	if ((v->swept_ms != 0 && now_ms - v->swept_ms < SWEEP_MS) || !nodes_keep_layout(v))
		return;
	v->swept_ms = now_ms;
	if (store_cached_children(v->store, ZKS_VOLUMES, &names, &n) < 0)
		return;
	for (; looked < n && looked < SWEEP_LOOKS && deleted < SWEEP_DELETES; looked++) {
		int r = sweep_one(v, names[(v->sweep_at + looked) % n], &err);

		if (r < 0) {
			log_warn("volumes: deleting an empty `leases`: %s", err.msg);
			break;
		}
		deleted += (size_t)r;
		v->sweep_quiet = r > 0 ? 0 : v->sweep_quiet + 1;
	}
	v->sweep_at = n ? (v->sweep_at + looked) % n : 0;
	zks_free_strv(names, n);
	if (deleted > 0 && v->swept == 0)
		log_info("volumes: deleting the empty `leases` of volumes nothing mounts (left by "
			 "an earlier version, or by a node that died), %d every %d s at most",
			 SWEEP_DELETES, SWEEP_MS / 1000);
	v->swept += deleted;
	/* A whole round of the volumes without one to delete. */
	if (v->swept > 0 && v->sweep_quiet >= n) {
		log_info("volumes: %llu empty `leases` deleted; none left",
			 (unsigned long long)v->swept);
		v->swept = 0;
	}
}

/* ---- operations ------------------------------------------------------------------------------ */

/*
 * Delete the record at version, with its `leases` if it has one (which must be empty) and, for
 * a configuration volume (config, or the mirror has its records), every record of its files
 * and history, in one transaction.  Whether it has `leases` is the mirror's word, or with
 * authoritative ZooKeeper's: the mirror's, if wrong, makes the transaction fail.
 */
static int remove_records(struct zks_volumes *v, const char *name, int32_t version, bool config,
			  bool authoritative, struct zks_error *err)
{
	cleanup_free char *path = zks_path_volume(name);
	cleanup_free char *leases = zks_path_volume_leases(name);
	cleanup_free char *head = zks_path_config(name);
	struct zks_op base[] = {
		{.type = ZKS_OP_DELETE, .path = leases, .version = -1},
		{.type = ZKS_OP_DELETE, .path = path, .version = version},
	};
	/* `leases` goes with a volume's last lease; a record of an earlier version keeps it. */
	bool has_leases = authoritative ? store_get(v->store, leases, NULL, NULL, NULL, NULL) == 0
					: store_cached_get(v->store, leases, NULL, NULL, NULL) == 0;
	struct zks_config_ops cfg = {0};
	cleanup_free struct zks_op *ops = NULL;
	size_t n;
	int r;

	if ((config || store_cached_get(v->store, head, NULL, NULL, NULL) == 0) &&
	    zks_config_remove_ops(v->store, name, &cfg, err) < 0)
		return -1;
	ops = xcalloc(cfg.n + 2, sizeof(*ops));
	if (cfg.n)
		memcpy(ops, cfg.ops, cfg.n * sizeof(*ops));
	n = cfg.n;
	if (has_leases)
		ops[n++] = base[0];
	ops[n++] = base[1];
	r = store_multi(v->store, ops, n, err);
	/*
	 * Changed since it was read: a lease under `leases` (NOT_EMPTY), the volume's first lease,
	 * whose touch changes the record, or a snapshot asked (CONFLICT), or its last lease
	 * released, which took `leases` (NOT_FOUND).
	 */
	if (r < 0 && (err->code == ZKS_ERR_NOT_EMPTY || err->code == ZKS_ERR_CONFLICT ||
		      err->code == ZKS_ERR_NOT_FOUND))
		zks_error_set(err, ZKS_ERR_NOT_EMPTY,
			      "volume `%s` was mounted or changed while being removed; try again",
			      name);
	zks_config_ops_free(&cfg);
	return r;
}

static char *data_dir_of(const struct zks_volumes *v, const char *name)
{
	return xasprintf("%s/%s", v->data_dir, name);
}

/* An image volume's directory holds its image and its fence record (nothing a container sees). */
#define IMAGE_FILE "disk.img"
#define FENCE_FILE "fence.json"
#define IMAGE_DIR_MODE 0700

static char *image_of(const struct zks_volumes *v, const char *name)
{
	return xasprintf("%s/%s/" IMAGE_FILE, v->data_dir, name);
}

static char *fence_record_of(const struct zks_volumes *v, const char *name)
{
	return xasprintf("%s/%s/" FENCE_FILE, v->data_dir, name);
}

/* <data>/<name>/snapshots/<snap>.img: its snapshots live beside the image. */
static char *snapshot_file_of(const struct zks_volumes *v, const char *name, const char *snap)
{
	return xasprintf("%s/%s/snapshots/%s.img", v->data_dir, name, snap);
}

/*
 * An image volume's first mount here, its lease just taken: its token (the creation zxid of
 * our holder node, read from ZooKeeper) goes into its fence record before its filesystem is
 * mounted (fence.h).
 */
static int fence_take(struct zks_volumes *v, const char *name, const char *target,
		      struct zks_error *err)
{
	cleanup_free char *holder = zks_path_volume_holder(name);
	cleanup_free char *record = fence_record_of(v, name);
	struct zks_store_status status;
	struct zks_stat st;

	if (store_get(v->store, holder, NULL, NULL, &st, err) < 0)
		return zks_error_prefix(err, "read the lease just taken");
	store_status(v->store, &status);
	if (st.owner != status.session_id)
		return zks_error_set(err, ZKS_ERR_CONFLICT,
				     "the lease just taken belongs to another session; try again");
	return zks_fence_take(v->fence, name, record, target, st.czxid, err);
}

static int compare_existing(struct zks_volumes *v, const char *name,
			    const struct zks_volume_options *want, struct zks_error *err)
{
	struct volume_record rec;
	char diff[384];
	int r;

	if (load_record(v, name, true, &rec, err) < 0)
		return -1;
	r = zks_volume_options_diff(&rec.r.opts, want, diff, sizeof(diff));
	record_clear(&rec);
	if (r)
		return zks_error_set(err, ZKS_ERR_CONFLICT,
				     "volume `%s` already exists with other options: %s", name,
				     diff);
	return 0;
}

/*
 * The volume's record, alone (its `leases` comes with its first lease); a configuration
 * volume's records (configs.h) are made in the same transaction.
 */
static int create_records(struct zks_volumes *v, const char *name, const char *path,
			  const char *record, const struct zks_volume_options *o,
			  struct zks_error *err)
{
	struct zks_op base[] = {
		{.type = ZKS_OP_CREATE, .path = path, .data = record, .len = strlen(record)},
	};
	struct zks_config_ops cfg = {0};
	cleanup_free struct zks_op *ops = NULL;
	size_t n = ARRAY_SIZE(base);
	int r;

	if (o->type == ZKS_VOLUME_CONFIG)
		zks_config_create_ops(name, v->node_id, &cfg);
	ops = xcalloc(n + cfg.n, sizeof(*ops));
	memcpy(ops, base, sizeof(base));
	if (cfg.n)
		memcpy(ops + n, cfg.ops, cfg.n * sizeof(*ops));
	r = store_multi(v->store, ops, n + cfg.n, err);
	zks_config_ops_free(&cfg);
	return r;
}

/*
 * A directory volume's data directory; an image volume's directory and its formatted image
 * (one there already, from a Create repeated or a volume removed with on-remove=retain, is
 * kept); a configuration volume has none (config_sync.h).
 */
static int prepare_data(struct zks_volumes *v, const char *name, const char *dir,
			const struct zks_volume_options *o, struct zks_error *err)
{
	cleanup_free char *image = NULL;

	if (o->type == ZKS_VOLUME_CONFIG)
		return 0;
	if (o->type == ZKS_VOLUME_DIR)
		return v->fs->prepare_dir(v->fs, dir, o->uid, o->gid, o->mode, err);
	if (v->fs->prepare_dir(v->fs, dir, 0, 0, IMAGE_DIR_MODE, err) < 0)
		return -1;
	image = image_of(v, name);
	if (o->from[0]) {
		char volume[ZKS_SNAPSHOT_REF_MAX], snap[ZKS_SNAPSHOT_REF_MAX];
		cleanup_free char *src = NULL;
		const char *method;

		if (zks_snapshot_ref_parse(o->from, volume, snap, err) < 0)
			return -1;
		src = snapshot_file_of(v, volume, snap);
		if (v->fs->image_copy(v->fs, src, image, &method, err) < 0) {
			if (err->code == ZKS_ERR_EXISTS)
				return 0;
			return zks_error_prefix(err, "clone snapshot `%s`", o->from);
		}
		log_info("volumes: cloned `%s` from snapshot `%s` (%s)", name, o->from, method);
		return 0;
	}
	if (v->fs->image_create(v->fs, image, o->size, o->uid, o->gid, o->mode, err) < 0 &&
	    err->code != ZKS_ERR_EXISTS)
		return -1;
	return 0;
}

/*
 * A clone (option from=VOLUME@SNAP): the snapshot must be done, and the clone has its size (a
 * size asked that differs is refused).
 */
static int resolve_from(struct zks_volumes *v, const char *name, struct zks_volume_options *o,
			struct zks_error *err)
{
	char volume[ZKS_SNAPSHOT_REF_MAX], snap[ZKS_SNAPSHOT_REF_MAX];
	cleanup_free char *path = NULL;
	cleanup_free char *data = NULL;
	struct zks_record_snapshot rec;
	struct volume_record existing;
	struct zks_error e2;
	int r;

	if (!o->from[0])
		return 0;
	/* A Create repeated (other nodes, the engine): the clone made, its snapshot maybe gone. */
	if (load_record(v, name, true, &existing, &e2) == 0) {
		bool same = !strcmp(existing.r.opts.from, o->from);

		if (same && o->size == 0)
			o->size = existing.r.opts.size;
		record_clear(&existing);
		if (same)
			return 0;
	}
	if (zks_snapshot_ref_parse(o->from, volume, snap, err) < 0)
		return -1;
	path = zks_path_snapshot(volume, snap);
	if (store_get(v->store, path, &data, NULL, NULL, err) < 0) {
		if (err->code == ZKS_ERR_NOT_FOUND)
			zks_error_set(err, ZKS_ERR_INVALID,
				      "option from: there is no snapshot `%s`; `zkswarmctl volume "
				      "snapshots %s` lists them",
				      o->from, volume);
		return -1;
	}
	if (zks_record_snapshot_decode(data, &rec, err) < 0)
		return -1;
	r = 0;
	if (rec.state != ZKS_SNAPSHOT_DONE || rec.size == 0)
		r = zks_error_set(err, ZKS_ERR_INVALID,
				  "option from: snapshot `%s` is not taken (it is %s)", o->from,
				  zks_snapshot_state_name(rec.state));
	else if (o->size != 0 && o->size != rec.size) {
		cleanup_free char *has = zks_size_format(rec.size);
		cleanup_free char *asked = zks_size_format(o->size);

		r = zks_error_set(err, ZKS_ERR_INVALID,
				  "a clone has its snapshot's size: `%s` is %s, asked %s", o->from,
				  has, asked);
	} else
		o->size = rec.size;
	zks_record_snapshot_clear(&rec);
	return r;
}

int zks_volumes_create(struct zks_volumes *v, const char *name, const struct zks_kv *opts,
		       size_t nopts, struct zks_error *err)
{
	struct zks_volume_options o;
	cleanup_free char *path = NULL;
	cleanup_free char *record = NULL;
	cleanup_free char *dir = NULL;
	pthread_mutex_t *lock;
	int r = -1;

	if (check_name(name, err) < 0 || zks_volume_options_parse(opts, nopts, &o, err) < 0 ||
	    resolve_from(v, name, &o, err) < 0)
		return -1;
	path = zks_path_volume(name);
	record = volume_text(v, name, &o);
	dir = data_dir_of(v, name);
	lock = stripe_of(v, name);
	pthread_mutex_lock(lock);
	if (create_records(v, name, path, record, &o, err) < 0) {
		/* It exists: the same volume is fine (the engine and other nodes repeat Create). */
		if (err->code == ZKS_ERR_EXISTS)
			r = compare_existing(v, name, &o, err);
		else
			zks_error_prefix(err, "create volume `%s`", name);
		if (r == 0)
			r = prepare_data(v, name, dir, &o, err);
		goto out;
	}
	r = prepare_data(v, name, dir, &o, err);
	if (r < 0) {
		/* Leave nothing half-made: the record goes again. */
		struct zks_error e2;

		if (remove_records(v, name, -1, o.type == ZKS_VOLUME_CONFIG, true, &e2) < 0)
			log_warn("volumes: could not roll back `%s` after a failed create: %s",
				 name, e2.msg);
		goto out;
	}
	log_info("volumes: created `%s`", name);
out:
	pthread_mutex_unlock(lock);
	return r;
}

/* "n2 (1 mount), n3 (2 mounts)" for the nodes holding leases; "" if none. */
static int describe_holders(struct zks_volumes *v, const char *name, char *out, size_t outlen,
			    size_t *count, struct zks_error *err)
{
	cleanup_free char *leases = zks_path_volume_leases(name);
	char **nodes = NULL;
	size_t n = 0, used = 0;

	out[0] = '\0';
	*count = 0;
	if (store_children(v->store, leases, &nodes, &n, err) < 0) {
		if (err->code == ZKS_ERR_NOT_FOUND)
			return 0;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = zks_path_volume_lease(name, nodes[i]);
		cleanup_free char *data = NULL;
		cleanup_free char *node = NULL;
		size_t mounts = 0;

		if (store_get(v->store, p, &data, NULL, NULL, err) == 0)
			lease_summary(data, &node, &mounts);
		if (used < outlen)
			used += (size_t)snprintf(out + used, outlen - used, "%s`%s` (%zu mount%s)",
						 i ? ", " : "", nodes[i], mounts,
						 mounts == 1 ? "" : "s");
	}
	*count = n;
	zks_free_strv(nodes, n);
	return 0;
}

/* A volume mounted on this node stays: its containers are still using it. */
static int refuse_local_mounts(struct zks_volumes *v, const char *name, struct zks_error *err)
{
	size_t nlocal;
	char **held = local_ids(v, name, &nlocal);

	zks_free_strv(held, nlocal);
	if (nlocal == 0)
		return 0;
	return zks_error_set(
		err, ZKS_ERR_NOT_EMPTY,
		"volume `%s` is in use on this node (%zu mount%s); stop the containers "
		"using it first",
		name, nlocal, nlocal == 1 ? "" : "s");
}

/*
 * No Remove of a volume with snapshots (their files are in its directory).  Asked of ZooKeeper
 * after the record's version is read: a snapshot made after this changes that version
 * (volume_snapshots.c), so the Remove's delete fails rather than orphan it.
 */
static int refuse_snapshots(struct zks_volumes *v, const char *name, struct zks_error *err)
{
	char **names = NULL;
	size_t n = 0, count = 0;
	char first[ZKS_SNAPSHOT_REF_MAX] = "";

	if (store_children(v->store, ZKS_SNAPSHOTS, &names, &n, err) < 0)
		return zks_error_prefix(err, "remove volume `%s`: list its snapshots", name);
	for (size_t i = 0; i < n; i++) {
		const char *snap = zks_snapshot_of(names[i], name);

		if (snap != NULL && count++ == 0)
			snprintf(first, sizeof(first), "%s", snap);
	}
	zks_free_strv(names, n);
	if (count > 0)
		return zks_error_set(err, ZKS_ERR_NOT_EMPTY,
				     "volume `%s` has snapshots (%zu, `%s` first); remove them "
				     "first: zkswarmctl volume rm-snapshot %s SNAPSHOT",
				     name, count, first, name);
	return 0;
}

/* The volume is gone either way; its data left behind is only worth a log line. */
static void remove_data(struct zks_volumes *v, const char *name)
{
	cleanup_free char *dir = data_dir_of(v, name);
	struct zks_error e2;

	if (v->fs->remove_dir(v->fs, dir, &e2) < 0)
		log_error("volumes: removed `%s` but not its data: %s", name, e2.msg);
}

int zks_volumes_remove(struct zks_volumes *v, const char *name, struct zks_error *err)
{
	cleanup_free char *path = NULL;
	pthread_mutex_t *lock;
	struct volume_record rec = {0};
	char holders[256];
	size_t nholders;
	int r = -1;

	if (check_name(name, err) < 0)
		return -1;
	path = zks_path_volume(name);
	lock = stripe_of(v, name);
	pthread_mutex_lock(lock);
	if (refuse_local_mounts(v, name, err) < 0)
		goto out;
	/*
	 * First with the mirror's record and version, in one round trip: the transaction's
	 * checks decide (a lease under `leases` fails its delete; a volume's first lease, made
	 * since, changed the record's version).  If it fails, the careful way below reads
	 * ZooKeeper to say why or to retry with the current version.
	 */
	if (load_record(v, name, false, &rec, err) < 0) {
		if (err->code == ZKS_ERR_NOT_FOUND) {
			r = 0; /* the mirror and ZooKeeper have none: removing twice is harmless */
			goto out;
		}
	} else {
		if (rec.r.opts.type == ZKS_VOLUME_IMAGE && refuse_snapshots(v, name, err) < 0)
			goto out;
		r = remove_records(v, name, rec.version, rec.r.opts.type == ZKS_VOLUME_CONFIG,
				   false, err);
		if (r == 0 || err->code == ZKS_ERR_UNAVAILABLE)
			goto removed;
		record_clear(&rec);
	}
	if (load_record(v, name, true, &rec, err) < 0) {
		struct zks_stat st;

		if (err->code == ZKS_ERR_NOT_FOUND) {
			r = 0; /* already gone: removing twice is harmless */
			goto out;
		}
		if (err->code != ZKS_ERR_INTERNAL ||
		    store_get(v->store, path, NULL, NULL, &st, err) < 0)
			goto out;
		/* A corrupt record can still be removed; its data is kept, its options being unknown. */
		rec.version = st.version;
		rec.r.opts.on_remove = ZKS_ON_REMOVE_RETAIN;
	}
	if (describe_holders(v, name, holders, sizeof(holders), &nholders, err) < 0)
		goto out;
	if (nholders > 0) {
		zks_error_set(err, ZKS_ERR_NOT_EMPTY, "volume `%s` is in use on node%s %s", name,
			      nholders == 1 ? "" : "s", holders);
		goto out;
	}
	if (rec.r.opts.type == ZKS_VOLUME_IMAGE && refuse_snapshots(v, name, err) < 0)
		goto out;
	r = remove_records(v, name, rec.version, rec.r.opts.type == ZKS_VOLUME_CONFIG, true, err);
removed:
	if (r < 0) {
		if (err->code != ZKS_ERR_NOT_EMPTY)
			zks_error_prefix(err, "remove volume `%s`", name);
		goto out;
	}
	if (rec.r.opts.on_remove == ZKS_ON_REMOVE_DELETE && rec.r.opts.type != ZKS_VOLUME_CONFIG)
		remove_data(v, name);
	log_info("volumes: removed `%s`", name);
out:
	record_clear(&rec);
	pthread_mutex_unlock(lock);
	return r;
}

static bool ids_contain(char *const *ids, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ids[i], id))
			return true;
	return false;
}

/*
 * What the mount binds: a directory volume's data directory (made if missing), or the copy
 * of a configuration volume's files on this node, kept current from now on (config_sync.h).
 */
static int mount_source(struct zks_volumes *v, const char *name, const struct zks_volume_options *o,
			char **dir, struct zks_error *err)
{
	if (o->type == ZKS_VOLUME_CONFIG)
		return zks_config_sync_attach(v->configs, name, o->uid, o->gid, dir, err);
	*dir = data_dir_of(v, name);
	return v->fs->prepare_dir(v->fs, *dir, o->uid, o->gid, o->mode, err);
}

/* Show the volume at target: an image's filesystem mounted, anything else bound. */
static int mount_data(struct zks_volumes *v, const char *name, const struct zks_volume_options *o,
		      const char *target, struct zks_error *err)
{
	cleanup_free char *src = NULL;

	if (o->type == ZKS_VOLUME_IMAGE) {
		if (v->fs->is_mounted(v->fs, target))
			return 0;
		src = image_of(v, name);
		return v->fs->image_mount(v->fs, src, target, o->readonly, err);
	}
	/* Every Mount: a configuration volume's copy counts its users (config_sync.h). */
	if (mount_source(v, name, o, &src, err) < 0)
		return -1;
	if (v->fs->is_mounted(v->fs, target))
		return 0;
	return v->fs->bind(v->fs, src, target, o->readonly, err);
}

/* Take it away from target; an image's filesystem for good (its writes in the image). */
static int unmount_data(struct zks_volumes *v, enum zks_volume_type type, const char *target,
			struct zks_error *err)
{
	if (type == ZKS_VOLUME_IMAGE)
		return v->fs->image_unmount(v->fs, target, err);
	return v->fs->unbind(v->fs, target, err);
}

/* No new mount while this node may no longer count on its leases. */
static int refuse_fenced(struct zks_volumes *v, const char *name, struct zks_error *err)
{
	struct zks_store_status status;

	store_status(v->store, &status);
	if (!status.fenced)
		return 0;
	return zks_error_set(err, ZKS_ERR_UNAVAILABLE,
			     "mount volume `%s`: cut off from ZooKeeper for %lld s, longer than "
			     "this node may count on its leases; mounts resume once it is back",
			     name, (long long)(status.silent_ms / 1000));
}

int zks_volumes_mount(struct zks_volumes *v, const char *name, const char *id, char **mountpoint,
		      struct zks_error *err)
{
	cleanup_free char *target = NULL;
	struct volume_record rec = {0};
	const struct zks_volume_options *opts = &rec.r.opts;
	pthread_mutex_t *lock;
	char **ids = NULL;
	size_t n = 0;
	int r = -1;

	if (check_name(name, err) < 0 || check_mount_id(id, err) < 0 ||
	    refuse_fenced(v, name, err) < 0)
		return -1;
	target = mountpoint_of(v, name);
	lock = stripe_of(v, name);
	pthread_mutex_lock(lock);
	if (load_record(v, name, false, &rec, err) < 0 ||
	    zks_fence_check_mount(v->fence, name, err) < 0)
		goto out;
	if (opts->type == ZKS_VOLUME_CONFIG && v->configs == NULL) {
		zks_error_set(
			err, ZKS_ERR_INTERNAL,
			"mount volume `%s`: configuration volumes are not served by this daemon",
			name);
		goto out;
	}
	ids = local_ids(v, name, &n);
	if (n >= MOUNTS_MAX) {
		zks_error_set(
			err, ZKS_ERR_CONFLICT,
			"mount volume `%s`: it is mounted %zu times on this node, the most this "
			"plugin counts; unmount it first",
			name, n);
		goto out;
	}
	/* Every Mount counts, also one that repeats an ID: each gets its own Unmount. */
	ids = xrealloc(ids, (n + 2) * sizeof(*ids));
	ids[n++] = xstrdup(id);
	ids[n] = NULL;
	if (lease_write(v, name, opts->access, ids, n, err) < 0) {
		zks_error_prefix(err, "mount volume `%s`", name);
		goto out;
	}
	if ((opts->type == ZKS_VOLUME_IMAGE && n == 1 && fence_take(v, name, target, err) < 0) ||
	    mount_data(v, name, opts, target, err) < 0 || local_set(v, name, ids, n, err) < 0) {
		size_t nold;
		char **old = local_ids(v, name, &nold);
		struct zks_error e2;

		/* Give back what this call took. */
		if (nold == 0) {
			unmount_data(v, opts->type, target, &e2);
			zks_fence_forget(v->fence, name);
			if (opts->type == ZKS_VOLUME_CONFIG && v->configs != NULL)
				zks_config_sync_detach(v->configs, name);
		}
		if (lease_write(v, name, opts->access, old, nold, &e2) < 0)
			log_warn("volumes: could not release the lease on `%s`: %s", name, e2.msg);
		zks_free_strv(old, nold);
		zks_error_prefix(err, "mount volume `%s`", name);
		goto out;
	}
	*mountpoint = steal_pointer(&target);
	log_info("volumes: mounted `%s` for %.12s (%zu mount%s on this node)", name, id, n,
		 n == 1 ? "" : "s");
	r = 0;
out:
	zks_free_strv(ids, n);
	record_clear(&rec);
	pthread_mutex_unlock(lock);
	return r;
}

/* A frozen filesystem cannot be unmounted: its writers wait for ZooKeeper, and so does this. */
static int refuse_frozen(struct zks_volumes *v, const char *name, struct zks_error *err)
{
	const char *state = zks_fence_state(v->fence, name);

	if (state == NULL || strcmp(state, "frozen") != 0)
		return 0;
	return zks_error_set(err, ZKS_ERR_UNAVAILABLE,
			     "unmount volume `%s`: its filesystem is frozen while this node is cut "
			     "off from ZooKeeper; try again once it is back",
			     name);
}

int zks_volumes_unmount(struct zks_volumes *v, const char *name, const char *id,
			struct zks_error *err)
{
	cleanup_free char *target = NULL;
	struct volume_record rec = {0};
	enum zks_access access = ZKS_ACCESS_SINGLE_NODE;
	enum zks_volume_type type = ZKS_VOLUME_DIR;
	pthread_mutex_t *lock;
	char **ids;
	size_t n, k = 0;
	struct zks_error e2;
	bool known;
	int r = -1;

	if (check_name(name, err) < 0 || check_mount_id(id, err) < 0)
		return -1;
	target = mountpoint_of(v, name);
	lock = stripe_of(v, name);
	pthread_mutex_lock(lock);
	ids = local_ids(v, name, &n);
	if (!ids_contain(ids, n, id)) {
		r = 0; /* not ours, or unmounted already: nothing to do */
		goto out;
	}
	known = load_record(v, name, false, &rec, &e2) == 0;
	if (known) {
		access = rec.r.opts.access;
		type = rec.r.opts.type;
	}
	/* One Unmount ends one Mount: the first entry of the ID goes. */
	for (size_t i = 0; i < n; i++)
		if (k < i || strcmp(ids[i], id) != 0)
			ids[k++] = ids[i];
		else
			free(ids[i]);
	for (size_t i = k; i <= n; i++)
		ids[i] = NULL; /* moved or freed: the array below k owns the rest */
	if (k == 0 && type == ZKS_VOLUME_IMAGE && refuse_frozen(v, name, err) < 0) {
		ids[k++] = xstrdup(id);
		goto out;
	}
	if (k == 0 && unmount_data(v, type, target, err) < 0) {
		/* Still mounted: keep the ID so a later Unmount can finish the job. */
		ids[k++] = xstrdup(id);
		zks_error_prefix(err, "unmount volume `%s`", name);
		goto out;
	}
	if (k == 0)
		zks_fence_forget(v->fence, name);
	/* A configuration volume's copy goes with its last mount (also when its record did). */
	if (k == 0 && v->configs != NULL && (!known || rec.r.opts.type == ZKS_VOLUME_CONFIG))
		zks_config_sync_detach(v->configs, name);
	if (local_set(v, name, ids, k, err) < 0)
		goto out;
	r = 0;
	/*
	 * The kernel and the local table say it is released; ZooKeeper follows.
	 * If it cannot now, the lease stays held a little longer (the safe side)
	 * and the next reconnect's reconcile releases it.
	 */
	if (lease_write(v, name, access, ids, k, &e2) < 0)
		log_warn(
			"volumes: `%s` unmounted here, but its lease in ZooKeeper is not updated yet: %s",
			name, e2.msg);
	log_info("volumes: unmounted `%s` for %.12s (%zu mount%s left on this node)", name, id, k,
		 k == 1 ? "" : "s");
out:
	zks_free_strv(ids, n);
	record_clear(&rec);
	pthread_mutex_unlock(lock);
	return r;
}

int zks_volumes_path(struct zks_volumes *v, const char *name, char **mountpoint,
		     struct zks_error *err)
{
	struct volume_record rec;

	if (check_name(name, err) < 0 || load_record(v, name, false, &rec, err) < 0)
		return -1;
	record_clear(&rec);
	*mountpoint = mountpoint_of(v, name);
	return 0;
}

void zks_volume_info_free(struct zks_volume_info *info)
{
	if (info == NULL)
		return;
	free(info->name);
	free(info->mountpoint);
	free(info->created_at);
	free(info->created_by);
	zks_volume_options_free_kv(info->options, info->noptions);
	for (size_t i = 0; i < info->nholders; i++)
		free(info->holders[i].node);
	free(info->holders);
	zks_config_nodes_free(info->config_nodes, info->nconfig_nodes);
	memset(info, 0, sizeof(*info));
}

void zks_volume_info_free_array(struct zks_volume_info *infos, size_t n)
{
	if (infos == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		zks_volume_info_free(&infos[i]);
	free(infos);
}

/* A configuration volume's versions: this node's copy, the head it knows, every node's. */
static void fill_config(struct zks_volumes *v, const char *name, struct zks_volume_info *info)
{
	struct zks_config_manifest head;

	info->config = true;
	/* The copies' service gives the head's version whether a copy is attached or not. */
	if (v->configs != NULL)
		zks_config_sync_local(v->configs, name, &info->config_here);
	else if (zks_config_head(v->store, name, false, &head, NULL, &(struct zks_error){0}) == 0) {
		info->config_here.latest = head.version;
		zks_config_manifest_clear(&head);
	}
	zks_config_nodes(v->store, name, &info->config_nodes, &info->nconfig_nodes);
}

/*
 * The names under leases: from ZooKeeper if *authoritative (false after it if the read
 * fails), else the mirror's.
 */
static void lease_names(struct zks_volumes *v, const char *leases, bool *authoritative,
			char ***nodes, size_t *n)
{
	struct zks_error err;

	*nodes = NULL;
	*n = 0;
	if (*authoritative && store_children(v->store, leases, nodes, n, &err) < 0 &&
	    err.code != ZKS_ERR_NOT_FOUND)
		*authoritative = false;
	if (!*authoritative && store_cached_children(v->store, leases, nodes, n) < 0)
		*n = 0;
}

/*
 * The volume's holders.  From the mirror, unless it is catching up while ZooKeeper answers
 * (authoritative): a mirror being resynced holds nodes of an earlier time (its saved file,
 * or before a lost connection) beside our own writes since, and could show our new lease
 * beside one another node released meanwhile, a state ZooKeeper never had.  A synced mirror
 * can show that too, for a moment: our own lease is put at once, while the worker's re-read
 * of the other's release waits its turn (a paced burst ahead of it).  Two holders of a
 * single-node volume is such a state (a lease is taken only while no other node holds one),
 * so ZooKeeper is asked then (single_node: the volume is, and ZooKeeper is connected).  A
 * read that fails falls back to the mirror (the answer is marked stale either way).
 */
static void fill_holders(struct zks_volumes *v, const char *name, bool authoritative,
			 bool single_node, struct zks_volume_info *info)
{
	cleanup_free char *leases = zks_path_volume_leases(name);
	cleanup_free char *holder_path = zks_path_volume_holder(name);
	cleanup_free char *hdata = NULL;
	cleanup_free char *holder = NULL;
	struct zks_error err;
	char **nodes = NULL;
	size_t n = 0;

	lease_names(v, leases, &authoritative, &nodes, &n);
	if (!authoritative && single_node && n > 1) {
		zks_free_strv(nodes, n);
		authoritative = true;
		lease_names(v, leases, &authoritative, &nodes, &n);
	}
	if (read_node(v, authoritative, holder_path, &hdata, NULL, NULL, &err) == 0)
		lease_summary(hdata, &holder, NULL);
	info->holders = n ? xcalloc(n, sizeof(*info->holders)) : NULL;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = zks_path_volume_lease(name, nodes[i]);
		cleanup_free char *data = NULL;
		cleanup_free char *node = NULL;
		size_t mounts = 0;

		/* Gone since the children were read: not a holder any more. */
		if (read_node(v, authoritative, p, &data, NULL, NULL, &err) == 1 && authoritative)
			continue;
		if (data != NULL)
			lease_summary(data, &node, &mounts);
		info->holders[info->nholders].node = xstrdup(nodes[i]);
		info->holders[info->nholders].mounts = mounts;
		info->holders[info->nholders].exclusive = holder && !strcmp(holder, nodes[i]);
		info->nholders++;
	}
	zks_free_strv(nodes, n);
}

/* The snapshots of volume name that are taken, as the mirror has them. */
static size_t count_snapshots(struct zks_volumes *v, const char *name)
{
	char **names = NULL;
	size_t n = 0, count = 0;

	if (store_cached_children(v->store, ZKS_SNAPSHOTS, &names, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const char *snap = zks_snapshot_of(names[i], name);
		cleanup_free char *path = NULL;
		cleanup_free char *data = NULL;
		struct zks_record_snapshot rec;
		struct zks_error err;

		if (snap == NULL)
			continue;
		path = zks_path_snapshot(name, snap);
		if (store_cached_get(v->store, path, &data, NULL, NULL) == 0 &&
		    zks_record_snapshot_decode(data, &rec, &err) == 0) {
			count += rec.state == ZKS_SNAPSHOT_DONE;
			zks_record_snapshot_clear(&rec);
		}
	}
	zks_free_strv(names, n);
	return count;
}

/* An image's size and use: its filesystem's if mounted here, else the image file's. */
static void fill_usage(struct zks_volumes *v, const char *name, bool mounted_here,
		       struct zks_volume_info *info)
{
	cleanup_free char *image = image_of(v, name);
	struct zks_error err;

	info->image = true;
	info->fence = zks_fence_state(v->fence, name);
	info->snapshots = count_snapshots(v, name);
	if (v->fs->image_usage(v->fs, image, mounted_here ? info->mountpoint : NULL, &info->usage,
			       &err) == 0)
		info->usage_known = true;
	else
		log_debug("volumes: the use of `%s`: %s", name, err.msg);
}

static int fill_info(struct zks_volumes *v, const char *name, bool with_status,
		     struct zks_volume_info *info, struct zks_error *err)
{
	struct zks_store_status status;
	struct volume_record rec;
	struct zks_error rec_err;
	size_t nids;

	memset(info, 0, sizeof(*info));
	if (load_record(v, name, false, &rec, &rec_err) < 0) {
		if (rec_err.code != ZKS_ERR_INTERNAL) {
			*err = rec_err;
			return -1;
		}
		/* Exists but unreadable: report it rather than make the engine forget it. */
		log_warn("volumes: %s", rec_err.msg);
		memset(&rec, 0, sizeof(rec));
		info->corrupt = true;
	}
	store_status(v->store, &status);
	info->name = xstrdup(name);
	info->mountpoint = mountpoint_of(v, name);
	info->created_at = steal_pointer(&rec.r.created_at);
	info->created_by = steal_pointer(&rec.r.created_by);
	info->stale = !status.mirror_synced;
	info->fenced = status.fenced;
	info->zookeeper = zks_conn_state_name(status.state);
	if (with_status) {
		if (!info->corrupt)
			info->noptions = zks_volume_options_format(&rec.r.opts, &info->options);
		fill_holders(v, name, !status.mirror_synced && status.state == ZKS_CONN_CONNECTED,
			     !info->corrupt && rec.r.opts.access == ZKS_ACCESS_SINGLE_NODE &&
				     status.state == ZKS_CONN_CONNECTED,
			     info);
		{
			char **held = local_ids(v, name, &nids);

			zks_free_strv(held, nids);
		}
		info->mounted_here = nids;
		if (rec.r.opts.type == ZKS_VOLUME_CONFIG)
			fill_config(v, name, info);
		if (rec.r.opts.type == ZKS_VOLUME_IMAGE)
			fill_usage(v, name, nids > 0, info);
	}
	record_clear(&rec);
	return 0;
}

int zks_volumes_get(struct zks_volumes *v, const char *name, struct zks_volume_info **out,
		    struct zks_error *err)
{
	struct zks_volume_info *info;

	if (check_name(name, err) < 0) {
		/* No such name can exist, and a Get error only tells the engine "unknown". */
		zks_error_prefix(err, "no such volume");
		err->code = ZKS_ERR_NOT_FOUND;
		return -1;
	}
	info = xcalloc(1, sizeof(*info));
	if (fill_info(v, name, true, info, err) < 0) {
		free(info);
		return -1;
	}
	*out = info;
	return 0;
}

int zks_volumes_list(struct zks_volumes *v, struct zks_volume_info **out, size_t *n,
		     struct zks_error *err)
{
	char **names = NULL;
	size_t count = 0, k = 0;
	struct zks_volume_info *infos;

	if (store_cached_children(v->store, ZKS_VOLUMES, &names, &count) < 0)
		count = 0; /* nothing known yet */
	infos = xcalloc(count + 1, sizeof(*infos));
	for (size_t i = 0; i < count; i++) {
		struct zks_error e;

		if (check_name(names[i], &e) < 0) {
			log_warn("volumes: skipping a record with an invalid name in ZooKeeper");
			continue;
		}
		if (fill_info(v, names[i], false, &infos[k], &e) == 0)
			k++;
	}
	zks_free_strv(names, count);
	(void)err;
	*out = infos;
	*n = k;
	return 0;
}

/* ---- reconciling leases with the local table --------------------------------------------------- */

/* An image volume mounted here keeps its lease only if it is still this node's (fence.h). */
static bool fence_keeps(struct zks_volumes *v, const char *name)
{
	cleanup_free char *record = fence_record_of(v, name);
	cleanup_free char *target = mountpoint_of(v, name);

	return zks_fence_keeps(v->fence, name, record, target);
}

void zks_volumes_reconcile(struct zks_volumes *v)
{
	char **names = NULL;
	size_t count = 0;
	size_t ok = 0, failed = 0;

	/* Every volume we hold here, and every volume with a lease of ours in ZooKeeper. */
	pthread_mutex_lock(&v->local_lock);
	for (size_t i = 0; i < v->nlocal; i++) {
		names = xrealloc(names, (count + 1) * sizeof(*names));
		names[count++] = xstrdup(v->local[i].name);
	}
	pthread_mutex_unlock(&v->local_lock);
	{
		char **all = NULL;
		size_t nall = 0;

		if (store_cached_children(v->store, ZKS_VOLUMES, &all, &nall) == 0) {
			for (size_t i = 0; i < nall; i++) {
				cleanup_free char *lease =
					zks_path_volume_lease(all[i], v->node_id);
				bool listed = false;

				for (size_t k = 0; k < count && !listed; k++)
					listed = !strcmp(names[k], all[i]);
				if (!listed &&
				    store_cached_get(v->store, lease, NULL, NULL, NULL) == 0) {
					names = xrealloc(names, (count + 1) * sizeof(*names));
					names[count++] = xstrdup(all[i]);
				}
			}
		}
		zks_free_strv(all, nall);
	}
	for (size_t i = 0; i < count; i++) {
		pthread_mutex_t *lock = stripe_of(v, names[i]);
		struct volume_record rec;
		struct zks_error err;
		char **ids;
		size_t n;

		pthread_mutex_lock(lock);
		ids = local_ids(v, names[i], &n);
		if (load_record(v, names[i], true, &rec, &err) < 0) {
			if (err.code == ZKS_ERR_NOT_FOUND && n > 0)
				log_warn(
					"volumes: `%s` is mounted here but no longer exists in ZooKeeper",
					names[i]);
		} else if (n > 0 && rec.r.opts.type == ZKS_VOLUME_IMAGE &&
			   !fence_keeps(v, names[i])) {
			failed++;
			record_clear(&rec);
		} else {
			if (lease_write(v, names[i], rec.r.opts.access, ids, n, &err) == 0) {
				ok++;
			} else {
				failed++;
				log_error("volumes: cannot re-establish the lease on `%s`: %s",
					  names[i], err.msg);
			}
			record_clear(&rec);
		}
		zks_free_strv(ids, n);
		pthread_mutex_unlock(lock);
	}
	if (count)
		log_info("volumes: reconciled leases of %zu volume(s) with ZooKeeper (%zu failed)",
			 ok, failed);
	zks_free_strv(names, count);
}

/* ---- snapshots: what this node does for volume_snapshots.c --------------------------------- */

struct snapshot_copy {
	struct zks_volumes *v;
	const char *src, *dst, *method;
};

static int snapshot_copy(void *ctx, struct zks_error *err)
{
	struct snapshot_copy *c = ctx;

	return c->v->fs->image_copy(c->v->fs, c->src, c->dst, &c->method, err);
}

/* The lease a snapshot takes while it copies a volume mounted nowhere (not a container's). */
#define SNAPSHOT_MOUNT_ID "zkswarm-snapshot"

int zks_volumes_snapshot_take(struct zks_volumes *v, const char *name, const char *snap,
			      bool may_lease, struct zks_snapshot_taken *out, struct zks_error *err)
{
	cleanup_free char *src = image_of(v, name);
	cleanup_free char *dst = snapshot_file_of(v, name, snap);
	struct snapshot_copy c = {.v = v, .src = src, .dst = dst};
	pthread_mutex_t *lock = stripe_of(v, name);
	struct volume_record rec = {0};
	char *ids[] = {SNAPSHOT_MOUNT_ID, NULL};
	int r = -1;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(lock);
	if (load_record(v, name, true, &rec, err) < 0)
		goto out;
	if (rec.r.opts.type != ZKS_VOLUME_IMAGE) {
		zks_error_set(err, ZKS_ERR_INVALID, "volume `%s` is not an image volume", name);
		goto out;
	}
	if (zks_volumes_mounted_here(v, name)) {
		/* Mounted here: frozen while it is copied (fence.h). */
		r = zks_fence_snapshot(v->fence, name, snapshot_copy, &c, &out->frozen_ms, err);
	} else if (!may_lease) {
		zks_error_set(err, ZKS_ERR_NOT_FOUND, "volume `%s` is not mounted on this node",
			      name);
	} else if (lease_write(v, name, rec.r.opts.access, ids, 1, err) == 0) {
		/* Mounted nowhere: its lease keeps it so while the image is copied. */
		struct zks_error e2;

		r = snapshot_copy(&c, err);
		if (lease_write(v, name, rec.r.opts.access, NULL, 0, &e2) < 0)
			log_warn("volumes: could not release `%s` after its snapshot: %s", name,
				 e2.msg);
	}
	if (r == 0) {
		out->method = c.method;
		out->size = rec.r.opts.size;
	} else {
		zks_error_prefix(err, "snapshot `%s@%s`", name, snap);
	}
out:
	record_clear(&rec);
	pthread_mutex_unlock(lock);
	return r;
}

int zks_volumes_snapshot_remove_file(struct zks_volumes *v, const char *name, const char *snap,
				     struct zks_error *err)
{
	cleanup_free char *path = snapshot_file_of(v, name, snap);

	return v->fs->remove_file(v->fs, path, err);
}

bool zks_volumes_mounted_here(struct zks_volumes *v, const char *name)
{
	size_t n;
	char **ids = local_ids(v, name, &n);

	zks_free_strv(ids, n);
	return n > 0;
}

int zks_volumes_start_fencing(struct zks_volumes *v, struct zks_error *err)
{
	return zks_fence_start(v->fence, err);
}

void zks_volumes_fence_tick(struct zks_volumes *v)
{
	zks_fence_tick(v->fence);
}

size_t zks_volumes_mounted_count(struct zks_volumes *v)
{
	size_t n;

	pthread_mutex_lock(&v->local_lock);
	n = v->nlocal;
	pthread_mutex_unlock(&v->local_lock);
	return n;
}

/*
 * A bind under the mount root with no mount recorded here was made by a process killed
 * between the bind and recording it (the engine had no answer, so no container has it),
 * and its lease goes at the next reconcile: it goes too, before any request is served,
 * or the kernel would show the volume mounted here while another node holds it.
 */
static void unbind_unrecorded(struct zks_volumes *v)
{
	char **names = NULL;
	size_t n = 0;
	struct zks_error err;

	if (v->fs->mounted_entries(v->fs, v->mount_root, &names, &n, &err) < 0) {
		log_warn("volumes: cannot list the mounts under `%s`: %s", v->mount_root, err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *target = NULL;

		if (local_find(v, names[i]) != NULL)
			continue;
		target = mountpoint_of(v, names[i]);
		if (v->fs->unbind(v->fs, target, &err) < 0)
			log_warn(
				"volumes: `%s` is bound here with no mount recorded; cannot unbind it: %s",
				names[i], err.msg);
		else
			log_info(
				"volumes: `%s` was bound here with no mount recorded (a Mount cut short); "
				"unbound",
				names[i]);
	}
	zks_free_strv(names, n);
}

/* The copies of configuration volumes that the local table has no mount of go. */
static void keep_mounted_configs(struct zks_volumes *v)
{
	char **names;

	if (v->configs == NULL)
		return;
	names = xcalloc(v->nlocal + 1, sizeof(*names));
	for (size_t i = 0; i < v->nlocal; i++)
		names[i] = v->local[i].name;
	zks_config_sync_keep_only(v->configs, names, v->nlocal);
	free(names);
}

static void on_session(void *ctx, int64_t session_id)
{
	(void)session_id;
	zks_volumes_reconcile(ctx);
}

struct zks_volumes *zks_volumes_new(struct zks_store *store, struct zks_fs *fs,
				    const struct zks_volumes_config *cfg, struct zks_error *err)
{
	struct zks_volumes *v;

	if (zks_mkdir_p(cfg->state_dir, 0700, err) < 0 ||
	    zks_mkdir_p(cfg->data_dir, 0755, err) < 0 ||
	    zks_mkdir_p(cfg->mount_root, 0755, err) < 0)
		return NULL;
	v = xcalloc(1, sizeof(*v));
	v->store = store;
	v->fs = fs;
	v->node_id = xstrdup(cfg->node_id);
	v->data_dir = xstrdup(cfg->data_dir);
	v->mount_root = xstrdup(cfg->mount_root);
	v->state_file = xasprintf("%s/mounts.json", cfg->state_dir);
	v->boot_id = cfg->boot_id ? xstrdup(cfg->boot_id) : NULL;
	v->configs = cfg->configs;
	v->fence = zks_fence_new(store, fs, cfg->node_id, cfg->fence_status, cfg->fence_status_ctx);
	for (size_t i = 0; i < STRIPES; i++)
		pthread_mutex_init(&v->stripes[i], NULL);
	pthread_mutex_init(&v->local_lock, NULL);
	local_load(v);
	unbind_unrecorded(v);
	keep_mounted_configs(v);
	store_on_session(store, on_session, v);
	return v;
}

void zks_volumes_free(struct zks_volumes *v)
{
	if (v == NULL)
		return;
	zks_fence_free(v->fence);
	for (size_t i = 0; i < v->nlocal; i++)
		zks_free_strv(v->local[i].ids, v->local[i].nids), free(v->local[i].name);
	free(v->local);
	for (size_t i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&v->stripes[i]);
	pthread_mutex_destroy(&v->local_lock);
	free(v->node_id);
	free(v->data_dir);
	free(v->mount_root);
	free(v->state_file);
	free(v->boot_id);
	free(v);
}
