/*
 * configs.c - the operations on configuration volumes (configs.h): the records a
 * volume's Create and Remove add to their transactions, and the changes,
 * rollbacks and reads that zkswarmctl and the nodes make over any store.
 *
 * A change reads the head (with its znode version), works out the new
 * manifest and the step, uploads the blobs it lacks (one create each; a blob
 * that exists already is the same bytes, being named by them), and commits in
 * one transaction: the head set at the version read, the step created, every
 * blob of the new version checked, the steps beyond the history's bound and
 * the blobs no kept step lists deleted.  A lost race is retried from the new
 * head, a bounded number of times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zkswarm/configs.h"
#include "zkswarm/util.h"

/* Tries of a change against other writers, with a random pause of up to 5 << try ms between. */
#define COMMIT_ATTEMPTS 12
#define COMMIT_PAUSE_MAX_MS 100
/* The store's transactions' steps; the history's bounds keep a config within. */
#define TXN_OPS_MAX ZKS_STORE_TXN_OPS_MAX
/* The ops of one Remove, to which the volume's Remove adds 2. */
#define REMOVE_OPS_MAX (TXN_OPS_MAX - 2)

/* ---- the ops of Create and Remove ------------------------------------------------------- */

/* Add one op; path and data (may be NULL) become o's. */
static void ops_add(struct zks_config_ops *o, enum zks_op_type type, char *path, char *data,
		    size_t len, int32_t version)
{
	o->ops = xrealloc(o->ops, (o->n + 1) * sizeof(*o->ops));
	o->strings = xrealloc(o->strings, (o->nstrings + 2) * sizeof(*o->strings));
	o->strings[o->nstrings++] = path;
	if (data != NULL)
		o->strings[o->nstrings++] = data;
	o->ops[o->n++] = (struct zks_op){.type = type,
					 .path = path,
					 .data = data,
					 .len = len,
					 .version = version};
}

void zks_config_create_ops(const char *name, const char *by, struct zks_config_ops *out)
{
	char at[32];
	struct zks_config_manifest head = {.version = 0, .at = at, .by = (char *)by};
	char *json;

	memset(out, 0, sizeof(*out));
	zks_rfc3339_now(at);
	json = zks_config_manifest_encode(&head);
	ops_add(out, ZKS_OP_CREATE, zks_path_config(name), json, strlen(json), -1);
	ops_add(out, ZKS_OP_CREATE, zks_path_config_versions(name), NULL, 0, -1);
	ops_add(out, ZKS_OP_CREATE, zks_path_config_blobs(name), NULL, 0, -1);
	ops_add(out, ZKS_OP_CREATE, zks_path_config_nodes(name), NULL, 0, -1);
}

/* Delete every child of dir, then dir; nothing if dir is absent. */
static int remove_dir_ops(struct zks_store *s, char *dir, struct zks_config_ops *out,
			  struct zks_error *err)
{
	char **names = NULL;
	size_t n = 0;

	if (store_children(s, dir, &names, &n, err) < 0) {
		if (err && err->code == ZKS_ERR_NOT_FOUND) {
			free(dir);
			return 0;
		}
		free(dir);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		ops_add(out, ZKS_OP_DELETE, xasprintf("%s/%s", dir, names[i]), NULL, 0, -1);
	ops_add(out, ZKS_OP_DELETE, dir, NULL, 0, -1);
	zks_free_strv(names, n);
	return 0;
}

int zks_config_remove_ops(struct zks_store *s, const char *name, struct zks_config_ops *out,
			  struct zks_error *err)
{
	cleanup_free char *head = zks_path_config(name);
	struct zks_error local;

	if (err == NULL)
		err = &local;
	memset(out, 0, sizeof(*out));
	if (store_get(s, head, NULL, NULL, NULL, err) < 0)
		return err->code == ZKS_ERR_NOT_FOUND ? 0 : -1;
	if (remove_dir_ops(s, zks_path_config_versions(name), out, err) < 0 ||
	    remove_dir_ops(s, zks_path_config_blobs(name), out, err) < 0 ||
	    remove_dir_ops(s, zks_path_config_nodes(name), out, err) < 0) {
		zks_config_ops_free(out);
		return -1;
	}
	if (out->n + 1 > REMOVE_OPS_MAX) {
		zks_error_set(err, ZKS_ERR_CONFLICT,
			      "config \"%s\" has %zu records, more than one transaction can "
			      "remove (%d)",
			      name, out->n + 1, REMOVE_OPS_MAX);
		zks_config_ops_free(out);
		return -1;
	}
	ops_add(out, ZKS_OP_DELETE, steal_pointer(&head), NULL, 0, -1);
	return 0;
}

void zks_config_ops_free(struct zks_config_ops *o)
{
	zks_free_strv(o->strings, o->nstrings);
	free(o->ops);
	memset(o, 0, sizeof(*o));
}

/* ---- reading ------------------------------------------------------------------------------ */

/* The head and its znode's stat. */
static int head_read(struct zks_store *s, const char *name, bool authoritative,
		     struct zks_config_manifest *out, struct zks_stat *stp, struct zks_error *err)
{
	cleanup_free char *path = zks_path_config(name);
	cleanup_free char *data = NULL;
	struct zks_stat st;
	int r;

	memset(out, 0, sizeof(*out));
	if (authoritative)
		r = store_get(s, path, &data, NULL, &st, err);
	else if ((r = store_cached_get(s, path, &data, NULL, &st)) < 0)
		zks_error_set(err, ZKS_ERR_NOT_FOUND, "znode `%s` does not exist", path);
	if (r < 0) {
		if (err && err->code == ZKS_ERR_NOT_FOUND)
			zks_error_set(err, ZKS_ERR_NOT_FOUND,
				      "volume \"%s\" has no configuration (not a config volume, "
				      "or removed)",
				      name);
		return -1;
	}
	if (zks_config_manifest_decode(data, out, err) < 0)
		return zks_error_prefix(err, "config \"%s\"", name);
	if (stp)
		*stp = st;
	return 0;
}

int zks_config_head(struct zks_store *s, const char *name, bool authoritative,
		    struct zks_config_manifest *out, int32_t *stat_version, struct zks_error *err)
{
	struct zks_stat st;

	if (head_read(s, name, authoritative, out, &st, err) < 0)
		return -1;
	if (stat_version)
		*stat_version = st.version;
	return 0;
}

/* "0000000007" -> 7; false for any other name. */
static bool version_name_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	for (; i < 10; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return s[10] == '\0';
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The versions the history keeps, ascending (names that are not versions are skipped). */
static int list_versions(struct zks_store *s, const char *name, uint64_t **out, size_t *n,
			 struct zks_error *err)
{
	cleanup_free char *dir = zks_path_config_versions(name);
	char **names = NULL;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	if (store_children(s, dir, &names, &count, err) < 0)
		return -1;
	*out = xcalloc(count ? count : 1, sizeof(**out));
	for (size_t i = 0; i < count; i++)
		if (version_name_parse(names[i], &(*out)[*n]))
			(*n)++;
	zks_free_strv(names, count);
	qsort(*out, *n, sizeof(**out), cmp_u64);
	return 0;
}

/* One step; NOT_FOUND if the history no longer keeps it. */
static int read_step(struct zks_store *s, const char *name, uint64_t version,
		     struct zks_config_step *out, struct zks_error *err)
{
	cleanup_free char *path = zks_path_config_version(name, version);
	cleanup_free char *data = NULL;

	memset(out, 0, sizeof(*out));
	if (store_get(s, path, &data, NULL, NULL, err) < 0)
		return -1;
	if (zks_config_step_decode(data, out, err) < 0)
		return zks_error_prefix(err, "config \"%s\" version %llu", name,
					(unsigned long long)version);
	return 0;
}

int zks_config_history(struct zks_store *s, const char *name, struct zks_config_step **steps,
		       size_t *n, struct zks_error *err)
{
	cleanup_free uint64_t *versions = NULL;
	size_t nv = 0;

	*steps = NULL;
	*n = 0;
	if (list_versions(s, name, &versions, &nv, err) < 0)
		return zks_error_prefix(err, "history of config \"%s\"", name);
	*steps = xcalloc(nv ? nv : 1, sizeof(**steps));
	for (size_t i = nv; i-- > 0;) {
		if (read_step(s, name, versions[i], &(*steps)[*n], err) == 0) {
			(*n)++;
		} else if (err == NULL || err->code != ZKS_ERR_NOT_FOUND) {
			/* (a step deleted since the listing is merely skipped) */
			zks_config_steps_free(*steps, *n);
			*steps = NULL;
			*n = 0;
			return -1;
		}
	}
	return 0;
}

/* data (len bytes) is f's contents: its size and its hash. */
static bool blob_matches(const struct zks_config_file *f, const char *data, size_t len)
{
	char sha[65];

	if (len != f->size)
		return false;
	zks_sha256_hex(data, len, sha);
	return strcmp(sha, f->sha256) == 0;
}

int zks_config_read_blob(struct zks_store *s, const char *name, const struct zks_config_file *f,
			 char **data, size_t *len, struct zks_error *err)
{
	cleanup_free char *path = zks_path_config_blob(name, f->sha256);
	cleanup_free char *buf = NULL;
	size_t blen = 0;

	*data = NULL;
	*len = 0;
	if (store_cached_get(s, path, &buf, &blen, NULL) == 0 && blob_matches(f, buf, blen)) {
		*data = steal_pointer(&buf);
		*len = blen;
		return 0;
	}
	free(steal_pointer(&buf));
	if (store_get(s, path, &buf, &blen, NULL, err) < 0)
		return zks_error_prefix(err, "config \"%s\" file \"%s\"", name, f->name);
	if (!blob_matches(f, buf, blen))
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "config \"%s\" file \"%s\": the contents in ZooKeeper (%zu "
				     "bytes) do not match their SHA-256 %.12s... (%zu bytes)",
				     name, f->name, blen, f->sha256, f->size);
	*data = steal_pointer(&buf);
	*len = blen;
	return 0;
}

int zks_config_read(struct zks_store *s, const char *name, uint64_t version, const char *file,
		    char **data, size_t *len, struct zks_error *err)
{
	struct zks_config_step step = {0};
	const struct zks_config_file *f;
	int r;

	*data = NULL;
	*len = 0;
	if (version == 0)
		r = zks_config_head(s, name, true, &step.m, NULL, err);
	else if ((r = read_step(s, name, version, &step, err)) < 0 && err &&
		 err->code == ZKS_ERR_NOT_FOUND)
		zks_error_set(err, ZKS_ERR_NOT_FOUND,
			      "config \"%s\" has no version %llu (not kept, or never made)", name,
			      (unsigned long long)version);
	if (r < 0)
		return -1;
	f = zks_config_manifest_find(&step.m, file);
	if (f == NULL)
		r = zks_error_set(err, ZKS_ERR_NOT_FOUND,
				  "config \"%s\" version %llu has no file \"%s\"", name,
				  (unsigned long long)step.m.version, file);
	else
		r = zks_config_read_blob(s, name, f, data, len, err);
	zks_config_step_clear(&step);
	return r;
}

static int cmp_node(const void *a, const void *b)
{
	return strcmp(((const struct zks_config_node *)a)->node,
		      ((const struct zks_config_node *)b)->node);
}

int zks_config_nodes(struct zks_store *s, const char *name, struct zks_config_node **nodes,
		     size_t *n)
{
	cleanup_free char *dir = zks_path_config_nodes(name);
	char **names = NULL;
	size_t count = 0;

	*nodes = NULL;
	*n = 0;
	if (store_cached_children(s, dir, &names, &count) < 0)
		return -1;
	*nodes = xcalloc(count ? count : 1, sizeof(**nodes));
	for (size_t i = 0; i < count; i++) {
		cleanup_free char *path = xasprintf("%s/%s", dir, names[i]);
		cleanup_free char *data = NULL;
		struct zks_config_node *node = &(*nodes)[*n];

		/* A report gone since the listing, or unreadable, is left out. */
		if (store_cached_get(s, path, &data, NULL, NULL) < 0 ||
		    zks_config_node_decode(data, node, NULL) < 0)
			continue;
		node->node = xstrdup(names[i]);
		(*n)++;
	}
	zks_free_strv(names, count);
	qsort(*nodes, *n, sizeof(**nodes), cmp_node);
	return 0;
}

/* ---- changing --------------------------------------------------------------------------- */

/* What a change asks: edits (with their contents' hashes), or a rollback's manifest. */
struct commit_req {
	const char *name;
	const struct zks_config_edit *edits;
	size_t n;
	char (*hashes)[65];
	const struct zks_config_manifest *target; /* a rollback: the manifest made current */
	uint64_t rollback_of;
	const char *by;
};

/* What one try works out from the head it read. */
struct commit_plan {
	struct zks_config_manifest head;
	int32_t head_stat;
	int64_t head_czxid; /* steps made since: the mirror's copies of them can be trusted */
	struct zks_config_step step; /* the new one: its manifest and changes */
	uint64_t *versions;	     /* the steps kept now, ascending */
	size_t nversions;
	size_t drop_versions; /* the oldest that go */
	char **blobs;	      /* the blobs there now */
	size_t nblobs;
	bool *drop_blobs; /* by blobs: no kept step lists it */
};

static void plan_clear(struct commit_plan *p)
{
	zks_config_manifest_clear(&p->head);
	zks_config_step_clear(&p->step);
	free(p->versions);
	zks_free_strv(p->blobs, p->nblobs);
	free(p->drop_blobs);
	memset(p, 0, sizeof(*p));
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct zks_config_file *)a)->name,
		      ((const struct zks_config_file *)b)->name);
}

static void file_copy(struct zks_config_file *dst, const struct zks_config_file *src)
{
	dst->name = xstrdup(src->name);
	memcpy(dst->sha256, src->sha256, sizeof(dst->sha256));
	dst->size = src->size;
}

/* Apply one edit to m (files with room for one more); NOT_FOUND: removing a file it lacks. */
static int edit_apply(const struct commit_req *req, size_t i, struct zks_config_manifest *m,
		      struct zks_error *err)
{
	const struct zks_config_edit *e = &req->edits[i];
	size_t at = 0;

	while (at < m->nfiles && strcmp(m->files[at].name, e->file) != 0)
		at++;
	if (e->data == NULL) {
		if (at == m->nfiles)
			return zks_error_set(err, ZKS_ERR_NOT_FOUND,
					     "config \"%s\" has no file \"%s\" to remove",
					     req->name, e->file);
		free(m->files[at].name);
		m->files[at] = m->files[--m->nfiles];
		return 0;
	}
	if (at == m->nfiles)
		m->files[m->nfiles++].name = xstrdup(e->file);
	memcpy(m->files[at].sha256, req->hashes[i], 65);
	m->files[at].size = e->len;
	return 0;
}

/* The new manifest: the head with the edits applied, or the rollback's; within the limits. */
static int new_manifest(const struct commit_req *req, const struct zks_config_manifest *head,
			struct zks_config_manifest *m, struct zks_error *err)
{
	const struct zks_config_manifest *from = req->target ? req->target : head;
	size_t total = 0;

	m->files = xcalloc(from->nfiles + req->n + 1, sizeof(*m->files));
	for (size_t i = 0; i < from->nfiles; i++)
		file_copy(&m->files[m->nfiles++], &from->files[i]);
	for (size_t i = 0; i < req->n; i++)
		if (edit_apply(req, i, m, err) < 0)
			return -1;
	qsort(m->files, m->nfiles, sizeof(*m->files), cmp_file);
	for (size_t i = 0; i < m->nfiles; i++)
		total += m->files[i].size;
	if (m->nfiles > ZKS_CONFIG_FILES_MAX)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "config \"%s\" would have %zu files, over the limit of %d",
				     req->name, m->nfiles, ZKS_CONFIG_FILES_MAX);
	if (total > ZKS_CONFIG_TOTAL_MAX)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "config \"%s\" would hold %zu bytes in its files, over the "
				     "limit of %d",
				     req->name, total, ZKS_CONFIG_TOTAL_MAX);
	return 0;
}

static void change_add(struct zks_config_step *st, const char *file,
		       const struct zks_config_file *f)
{
	struct zks_config_change *c = &st->changes[st->nchanges++];

	c->file = xstrdup(file);
	c->op = f ? ZKS_CONFIG_PUT : ZKS_CONFIG_RM;
	c->size = f ? f->size : 0;
	memcpy(c->sha256, f ? f->sha256 : "", f ? 65 : 1);
}

/* The step's changes from old to its manifest, sorted by file (both lists are). */
static void diff_changes(const struct zks_config_manifest *old, struct zks_config_step *st)
{
	const struct zks_config_manifest *m = &st->m;
	size_t i = 0, j = 0;

	st->changes = xcalloc(old->nfiles + m->nfiles + 1, sizeof(*st->changes));
	while (i < old->nfiles || j < m->nfiles) {
		int c = i == old->nfiles ? 1
			: j == m->nfiles ? -1
					 : strcmp(old->files[i].name, m->files[j].name);

		if (c < 0) {
			change_add(st, old->files[i++].name, NULL);
		} else if (c > 0) {
			change_add(st, m->files[j].name, &m->files[j]);
			j++;
		} else {
			if (strcmp(old->files[i].sha256, m->files[j].sha256) != 0)
				change_add(st, m->files[j].name, &m->files[j]);
			i++;
			j++;
		}
	}
}

static bool hash_listed(char *const *v, size_t n, const char *sha)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] != NULL && strcmp(v[i], sha) == 0)
			return true;
	return false;
}

/* The distinct blobs some versions list, and their bytes. */
struct blob_set {
	char **sha;
	size_t n;
	size_t bytes;
};

/* Add m's blobs to set, unless the set would then be over the bounds (false). */
static bool blob_set_add(struct blob_set *set, const struct zks_config_manifest *m)
{
	size_t n = set->n, bytes = set->bytes;

	set->sha = xrealloc(set->sha, (set->n + m->nfiles + 1) * sizeof(*set->sha));
	for (size_t i = 0; i < m->nfiles; i++)
		if (!hash_listed(set->sha, n, m->files[i].sha256)) {
			set->sha[n++] = m->files[i].sha256; /* borrowed from m */
			bytes += m->files[i].size;
		}
	if (n > ZKS_CONFIG_BLOBS_MAX || bytes > ZKS_CONFIG_KEPT_MAX)
		return false;
	set->n = n;
	set->bytes = bytes;
	return true;
}

/*
 * A step of the history, from the mirror if it has it as this config made it: steps never
 * change, and one created after the head was is this config's, not a namesake's removed
 * since (the mirror's copy of a step it has not read back yet has no czxid).  Else from
 * ZooKeeper.
 */
static int read_kept_step(struct zks_store *s, const char *name, const struct commit_plan *p,
			  uint64_t version, struct zks_config_step *out, struct zks_error *err)
{
	cleanup_free char *path = zks_path_config_version(name, version);
	cleanup_free char *data = NULL;
	struct zks_stat st;

	if (store_cached_get(s, path, &data, NULL, &st) == 0 && st.czxid > p->head_czxid &&
	    zks_config_step_decode(data, out, NULL) == 0 && out->m.version == version)
		return 0;
	zks_config_step_clear(out);
	return read_step(s, name, version, out, err);
}

/*
 * Which steps stay: the newest, as long as they are at most ZKS_CONFIG_HISTORY with the new
 * one and list at most ZKS_CONFIG_BLOBS_MAX blobs and ZKS_CONFIG_KEPT_MAX bytes together;
 * the older go.  Their blobs into set (the steps read are kept in kept, which owns them).  A
 * kept step that is unreadable (corrupt) counts, and *unsure says its blobs are unknown.
 */
static int plan_steps(struct zks_store *s, const char *name, struct commit_plan *p,
		      struct zks_config_step *kept, struct blob_set *set, bool *unsure,
		      struct zks_error *err)
{
	size_t i = p->nversions, nkept = 1;

	blob_set_add(set, &p->step.m); /* the new version alone is within the bounds */
	for (; i > 0 && nkept < ZKS_CONFIG_HISTORY; i--, nkept++) {
		struct zks_config_step *st = &kept[p->nversions - i];

		if (read_kept_step(s, name, p, p->versions[i - 1], st, err) < 0) {
			if (err->code != ZKS_ERR_INTERNAL)
				return -1; /* gone under us (a race), or ZooKeeper away */
			*unsure = true;
			continue;
		}
		if (!blob_set_add(set, &st->m))
			break;
	}
	p->drop_versions = i;
	return 0;
}

/*
 * The change within one transaction of the store (2 + a check per file + deletions): what
 * does not fit waits for the next change.  Steps that should go and stay keep every blob.
 */
static void plan_cap(struct commit_plan *p)
{
	size_t room = TXN_OPS_MAX - 2 - p->step.m.nfiles;

	if (p->drop_versions > room) {
		p->drop_versions = room;
		memset(p->drop_blobs, 0, p->nblobs * sizeof(*p->drop_blobs));
	}
	room -= p->drop_versions;
	for (size_t i = 0; i < p->nblobs; i++) {
		if (!p->drop_blobs[i])
			continue;
		if (room == 0)
			p->drop_blobs[i] = false;
		else
			room--;
	}
}

/*
 * The blobs that go: listed under blobs/, named as a hash, in no kept step.  2: a step or
 * the blobs went under us (another writer): try again.
 */
static int plan_gc(struct zks_store *s, const char *name, struct commit_plan *p,
		   struct zks_error *err)
{
	cleanup_free char *dir = zks_path_config_blobs(name);
	struct zks_config_step *kept = xcalloc(p->nversions + 1, sizeof(*kept));
	struct blob_set set = {0};
	bool unsure = false;
	int r = plan_steps(s, name, p, kept, &set, &unsure, err);

	if (r == 0)
		r = store_children(s, dir, &p->blobs, &p->nblobs, err);
	if (r == 0) {
		p->drop_blobs = xcalloc(p->nblobs + 1, sizeof(*p->drop_blobs));
		for (size_t i = 0; i < p->nblobs && !unsure; i++)
			p->drop_blobs[i] = strlen(p->blobs[i]) == 64 &&
					   !hash_listed(set.sha, set.n, p->blobs[i]);
		plan_cap(p);
	}
	free(set.sha);
	zks_config_steps_free(kept, p->nversions + 1);
	return r < 0 && err->code == ZKS_ERR_NOT_FOUND ? 2 : r;
}

/*
 * One try's plan from the head read now.  1: nothing to change (the head already is the
 * new version); 0: a plan; 2: another writer changed the history meanwhile; -1: refused or
 * failed (err).
 */
static int plan_make(struct zks_store *s, const struct commit_req *req, struct commit_plan *p,
		     struct zks_error *err)
{
	uint64_t last;
	char at[32];
	struct zks_stat st;

	if (head_read(s, req->name, true, &p->head, &st, err) < 0)
		return -1;
	p->head_stat = st.version;
	p->head_czxid = st.czxid;
	if (new_manifest(req, &p->head, &p->step.m, err) < 0)
		return -1;
	diff_changes(&p->head, &p->step);
	if (p->step.nchanges == 0)
		return 1;
	if (list_versions(s, req->name, &p->versions, &p->nversions, err) < 0)
		return err->code == ZKS_ERR_NOT_FOUND ? 2 : -1;
	last = p->nversions ? p->versions[p->nversions - 1] : 0;
	p->step.m.version = (last > p->head.version ? last : p->head.version) + 1;
	p->step.rollback_of = req->rollback_of;
	zks_rfc3339_now(at);
	p->step.m.at = xstrdup(at);
	p->step.m.by = req->by ? xstrdup(req->by) : NULL;
	return plan_gc(s, req->name, p, err);
}

/* The edit whose contents hash to sha, or NULL. */
static const struct zks_config_edit *edit_with(const struct commit_req *req, const char *sha)
{
	for (size_t i = 0; i < req->n; i++)
		if (req->edits[i].data != NULL && strcmp(req->hashes[i], sha) == 0)
			return &req->edits[i];
	return NULL;
}

/* Upload each blob of the new version that is not there, one create each. */
static int upload_blobs(struct zks_store *s, const struct commit_req *req,
			const struct commit_plan *p, struct zks_error *err)
{
	const struct zks_config_manifest *m = &p->step.m;

	for (size_t i = 0; i < m->nfiles; i++) {
		const struct zks_config_edit *e;
		cleanup_free char *path = NULL;

		if (hash_listed(p->blobs, p->nblobs, m->files[i].sha256))
			continue;
		e = edit_with(req, m->files[i].sha256);
		if (e == NULL)
			return zks_error_set(
				err, ZKS_ERR_INTERNAL,
				"config \"%s\": the contents of file \"%s\" (%.12s...) "
				"are missing from ZooKeeper",
				req->name, m->files[i].name, m->files[i].sha256);
		path = zks_path_config_blob(req->name, m->files[i].sha256);
		if (store_create(s, path, e->data, e->len, ZKS_PERSISTENT, err) < 0 &&
		    err->code != ZKS_ERR_EXISTS)
			return -1;
	}
	return 0;
}

/* The transaction: head, step, checks, deletions. */
static int commit_txn(struct zks_store *s, const struct commit_req *req,
		      const struct commit_plan *p, struct zks_error *err)
{
	const struct zks_config_manifest *m = &p->step.m;
	struct zks_config_ops o = {0};
	char *head = zks_config_manifest_encode(m);
	char *step = zks_config_step_encode(&p->step);
	int r;

	ops_add(&o, ZKS_OP_SET, zks_path_config(req->name), head, strlen(head), p->head_stat);
	ops_add(&o, ZKS_OP_CREATE, zks_path_config_version(req->name, m->version), step,
		strlen(step), -1);
	for (size_t i = 0; i < m->nfiles; i++) {
		bool again = false;

		for (size_t j = 0; j < i && !again; j++)
			again = strcmp(m->files[j].sha256, m->files[i].sha256) == 0;
		if (!again)
			ops_add(&o, ZKS_OP_CHECK,
				zks_path_config_blob(req->name, m->files[i].sha256), NULL, 0, -1);
	}
	for (size_t i = 0; i < p->drop_versions; i++)
		ops_add(&o, ZKS_OP_DELETE, zks_path_config_version(req->name, p->versions[i]), NULL,
			0, -1);
	for (size_t i = 0; i < p->nblobs; i++)
		if (p->drop_blobs[i])
			ops_add(&o, ZKS_OP_DELETE, zks_path_config_blob(req->name, p->blobs[i]),
				NULL, 0, -1);
	r = store_multi(s, o.ops, o.n, err);
	zks_config_ops_free(&o);
	return r;
}

/* Does a failed try call for another, from the new head? */
static bool lost_race(const struct zks_error *err)
{
	return err->code == ZKS_ERR_CONFLICT || err->code == ZKS_ERR_NOT_FOUND ||
	       err->code == ZKS_ERR_EXISTS || err->code == ZKS_ERR_NOT_EMPTY;
}

/* Before try `attempt` (1...), a random pause: two writers that collided part ways. */
static void backoff(int attempt)
{
	long max = 5L << (attempt < 10 ? attempt : 10);
	char hex[17];
	long ms;
	struct timespec ts;

	zks_random_hex(hex);
	hex[8] = '\0';
	ms = (long)(strtoul(hex, NULL, 16) %
		    (unsigned long)(max < COMMIT_PAUSE_MAX_MS ? max : COMMIT_PAUSE_MAX_MS)) +
	     1;
	ts = (struct timespec){.tv_sec = 0, .tv_nsec = ms * 1000000L};
	nanosleep(&ts, NULL);
}

/* Plan, upload, commit; retried when another writer got there first. */
static int commit_run(struct zks_store *s, const struct commit_req *req, uint64_t *version,
		      bool *changed, struct zks_error *err)
{
	for (int attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
		struct commit_plan p = {0};
		int r;

		if (attempt > 0)
			backoff(attempt);
		r = plan_make(s, req, &p, err);

		if (r == 1) {
			*version = p.head.version;
			*changed = false;
		} else if (r == 0 &&
			   (upload_blobs(s, req, &p, err) < 0 || commit_txn(s, req, &p, err) < 0)) {
			r = lost_race(err) ? 2 : -1;
		} else if (r == 0) {
			*version = p.step.m.version;
			*changed = true;
		}
		plan_clear(&p);
		if (r != 2)
			return r < 0 ? -1 : 0;
	}
	return zks_error_set(err, ZKS_ERR_CONFLICT,
			     "config \"%s\" kept changing under %d tries to change it; try again",
			     req->name, COMMIT_ATTEMPTS);
}

/* The edits are well formed and within the limits; their contents' hashes into req. */
static int edits_check(struct commit_req *req, struct zks_error *err)
{
	if (req->n > 2 * ZKS_CONFIG_FILES_MAX)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "%zu changes at once to config \"%s\"; at most %d", req->n,
				     req->name, 2 * ZKS_CONFIG_FILES_MAX);
	if (req->by && strlen(req->by) > ZKS_CONFIG_BY_MAX)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "the author of a change is longer than %d characters",
				     ZKS_CONFIG_BY_MAX);
	for (size_t i = 0; i < req->n; i++) {
		const struct zks_config_edit *e = &req->edits[i];

		if (zks_config_check_file_name(e->file, err) < 0)
			return zks_error_prefix(err, "config \"%s\"", req->name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(req->edits[j].file, e->file) == 0)
				return zks_error_set(err, ZKS_ERR_INVALID,
						     "config \"%s\": file \"%s\" is changed twice "
						     "in one version",
						     req->name, e->file);
		if (e->data != NULL && e->len > ZKS_CONFIG_FILE_MAX)
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "config \"%s\": file \"%s\" has %zu bytes, over the "
					     "limit of %d bytes per file",
					     req->name, e->file, e->len, ZKS_CONFIG_FILE_MAX);
		if (e->data != NULL)
			zks_sha256_hex(e->data, e->len, req->hashes[i]);
	}
	return 0;
}

int zks_config_commit(struct zks_store *s, const char *name, const struct zks_config_edit *edits,
		      size_t n, const char *by, uint64_t *version, bool *changed,
		      struct zks_error *err)
{
	struct commit_req req = {.name = name, .edits = edits, .n = n, .by = by};
	struct zks_error local;
	uint64_t v = 0;
	bool c = false;
	int r;

	if (err == NULL)
		err = &local;
	req.hashes = xcalloc(n + 1, sizeof(*req.hashes));
	r = edits_check(&req, err);
	if (r == 0)
		r = commit_run(s, &req, &v, &c, err);
	free(req.hashes);
	if (r == 0 && version)
		*version = v;
	if (r == 0 && changed)
		*changed = c;
	return r;
}

/* "versions 3 to 52", "version 1", "no version": what the history keeps. */
static void kept_versions(struct zks_store *s, const char *name, char *out, size_t size)
{
	cleanup_free uint64_t *v = NULL;
	size_t n = 0;
	struct zks_error ignored;

	if (list_versions(s, name, &v, &n, &ignored) < 0 || n == 0)
		snprintf(out, size, "no version");
	else if (n == 1)
		snprintf(out, size, "version %llu", (unsigned long long)v[0]);
	else
		snprintf(out, size, "versions %llu to %llu", (unsigned long long)v[0],
			 (unsigned long long)v[n - 1]);
}

int zks_config_rollback(struct zks_store *s, const char *name, uint64_t to, const char *by,
			uint64_t *version, struct zks_error *err)
{
	struct commit_req req = {.name = name, .rollback_of = to, .by = by};
	struct zks_config_step step;
	uint64_t v = 0;
	bool changed;
	char kept[64];
	struct zks_error local;
	int r;

	if (err == NULL)
		err = &local;
	if (read_step(s, name, to, &step, err) < 0) {
		if (err->code != ZKS_ERR_NOT_FOUND)
			return -1;
		kept_versions(s, name, kept, sizeof(kept));
		return zks_error_set(err, ZKS_ERR_NOT_FOUND,
				     "config \"%s\" has no version %llu to roll back to: the "
				     "history keeps %s",
				     name, (unsigned long long)to, kept);
	}
	req.target = &step.m;
	r = commit_run(s, &req, &v, &changed, err);
	zks_config_step_clear(&step);
	if (r == 0 && version)
		*version = v;
	return r;
}
