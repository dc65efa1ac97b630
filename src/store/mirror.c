/*
 * mirror.c - the ZooKeeper store's mirror: the local copy of the tree that
 * answers cached reads, kept never ahead of ZooKeeper, and saved to disk so a
 * daemon that starts while ZooKeeper is away still answers Get and List.
 * The rules are in mirror.h and docs/DESIGN.md; zk.c feeds it.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mirror.h"
#include "zkswarm/log.h"
#include "zkswarm/util.h"

#define MIRROR_MAX_FILE (256u << 20)
#define MIRROR_TOPS 32 /* top-level subtrees counted apart; changes beyond count for all */

struct zks_mirror {
	/* Everything below; the innermost lock of the store (see mirror.h). */
	pthread_rwlock_t lock;
	struct zks_tree *tree;
	bool synced;
	bool dirty;
	uint64_t changes; /* bumped on every change, for change callbacks */
	/* The same per top-level subtree (its first path component), and for the root itself
	 * or everything at once (all: a subtree's count is all + its own). */
	struct {
		char *name; /* "/volumes" */
		size_t len;
		uint64_t n;
	} tops[MIRROR_TOPS];
	size_t ntops;
	uint64_t all;
	int64_t saved_ms;    /* when the file was last written */
	int64_t save_gap_ms; /* from then until the next may be (zks_mirror_save_interval_ms) */
	char **written; /* paths writers (and the watcher) applied since the worker's step began */
	size_t nwritten, written_cap;
	char *file; /* NULL: not saved */
};

struct zks_mirror *zks_mirror_new(const char *file)
{
	struct zks_mirror *m = xcalloc(1, sizeof(*m));

	pthread_rwlock_init(&m->lock, NULL);
	m->tree = zks_tree_new();
	m->file = file ? xstrdup(file) : NULL;
	m->save_gap_ms = ZKS_MIRROR_SAVE_MS;
	return m;
}

void zks_mirror_free(struct zks_mirror *m)
{
	if (m == NULL)
		return;
	zks_tree_free(m->tree);
	zks_free_strv(m->written, m->nwritten);
	for (size_t i = 0; i < m->ntops; i++)
		free(m->tops[i].name);
	free(m->file);
	pthread_rwlock_destroy(&m->lock);
	free(m);
}

/* ---- the ordering rules -------------------------------------------------------------------- */

/*
 * Was rel or a node above it written since the worker's step began (with below: or a node
 * below it)?  A read of rel begun before then may be older than the write: putting it
 * would undo the write, removing rel would take a newly created node below it.  The
 * writer queued a re-read of what it wrote, so a later step brings the newest.
 */
static bool written_locked(const struct zks_mirror *m, const char *rel, bool below)
{
	for (size_t i = 0; i < m->nwritten; i++)
		if (zks_store_path_within(rel, m->written[i]) ||
		    (below && zks_store_path_within(m->written[i], rel)))
			return true;
	return false;
}

static void written_add_locked(struct zks_mirror *m, const char *rel)
{
	if (m->nwritten == m->written_cap) {
		m->written_cap = m->written_cap ? 2 * m->written_cap : 16;
		m->written = xrealloc(m->written, m->written_cap * sizeof(*m->written));
	}
	m->written[m->nwritten++] = xstrdup(rel);
}

/* rel's top-level subtree: the length of its first component ("/volumes/x": 8); 0 for "/". */
static size_t top_len(const char *rel)
{
	const char *end = strchr(rel + 1, '/');

	return rel[0] != '/' || rel[1] == '\0' ? 0 : end ? (size_t)(end - rel) : strlen(rel);
}

/* The counter of the top-level subtree rel is in, made if new; NULL for the root or if full. */
static uint64_t *top_counter_locked(struct zks_mirror *m, const char *rel, bool make)
{
	size_t n = top_len(rel);

	if (n == 0)
		return NULL;
	for (size_t i = 0; i < m->ntops; i++)
		if (m->tops[i].len == n && memcmp(m->tops[i].name, rel, n) == 0)
			return &m->tops[i].n;
	if (!make || m->ntops == MIRROR_TOPS)
		return NULL;
	m->tops[m->ntops].name = xstrndup(rel, n);
	m->tops[m->ntops].len = n;
	return &m->tops[m->ntops++].n;
}

/* rel changed (NULL: anything may have). */
static void changed_locked(struct zks_mirror *m, const char *rel)
{
	uint64_t *top = rel ? top_counter_locked(m, rel, true) : NULL;

	m->dirty = true;
	m->changes++;
	if (top != NULL)
		(*top)++;
	else
		m->all++; /* the root, or a subtree past the table: every subtree's count moves */
}

/* Does the mirror have rel's parent (a node put from a read or a write, never made up)? */
static bool parent_cached_locked(const struct zks_mirror *m, const char *rel)
{
	cleanup_free char *parent = zks_tree_parent_path(rel);

	return zks_tree_exists(m->tree, parent); /* the root always is */
}

/*
 * The node under which the mirror lacks rel: rel itself when its parent is there, else
 * its highest ancestor the mirror does not have (never the root, which it always has).
 */
static char *missing_top_locked(const struct zks_mirror *m, const char *rel)
{
	char *top = xstrdup(rel);

	while (!parent_cached_locked(m, top))
		*strrchr(top, '/') = '\0';
	return top;
}

/*
 * A watched deletion, applied at once (the watcher, on the completion thread): rel and
 * everything below it go, and a read the worker began before is not applied.  True if
 * the mirror had it (the caller queues a re-read: it may have been made again since).
 */
bool zks_mirror_forget(struct zks_mirror *m, const char *rel)
{
	bool had;

	pthread_rwlock_wrlock(&m->lock);
	had = zks_tree_remove(m->tree, rel) == 0;
	if (had) {
		written_add_locked(m, rel);
		changed_locked(m, rel);
	}
	pthread_rwlock_unlock(&m->lock);
	return had;
}

void zks_mirror_step_begin(struct zks_mirror *m)
{
	pthread_rwlock_wrlock(&m->lock);
	for (size_t i = 0; i < m->nwritten; i++)
		free(m->written[i]);
	m->nwritten = 0;
	pthread_rwlock_unlock(&m->lock);
}

/*
 * The worker's read of rel, unless a writer wrote rel after the step began, or the
 * mirror no longer has its parent (removed meanwhile: the tree would make it again,
 * empty, and a node the mirror has is one it does not read again).
 */
void zks_mirror_put(struct zks_mirror *m, const char *rel, const char *data, size_t len,
		    const struct zks_stat *st)
{
	pthread_rwlock_wrlock(&m->lock);
	if (!written_locked(m, rel, false) && parent_cached_locked(m, rel)) {
		zks_tree_put(m->tree, rel, data, len, st);
		changed_locked(m, rel);
	}
	pthread_rwlock_unlock(&m->lock);
}

void zks_mirror_remove(struct zks_mirror *m, const char *rel)
{
	pthread_rwlock_wrlock(&m->lock);
	if (!written_locked(m, rel, true) && zks_tree_remove(m->tree, rel) == 0)
		changed_locked(m, rel);
	pthread_rwlock_unlock(&m->lock);
}

static char *child_rel(const char *rel, const char *name)
{
	return strcmp(rel, "/") == 0 ? xasprintf("/%s", name) : xasprintf("%s/%s", rel, name);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Both lists sorted and merged: /volumes can have 10,000s of children, listed again on
 * every Create and Remove.
 */
int zks_mirror_diff_children(struct zks_mirror *m, const char *rel, char **kids, size_t nkids,
			     int (*visit)(void *ctx, const char *child, bool known), void *ctx)
{
	char **cached = NULL; /* sorted: the tree keeps children in strcmp order */
	size_t ncached = 0, i = 0, k = 0;
	int r = 0;

	qsort(kids, nkids, sizeof(*kids), compare_names);
	pthread_rwlock_rdlock(&m->lock);
	if (zks_tree_children(m->tree, rel, &cached, &ncached) < 0)
		ncached = 0;
	pthread_rwlock_unlock(&m->lock);
	while (r == 0 && (i < ncached || k < nkids)) {
		int c = i == ncached ? 1 : k == nkids ? -1 : strcmp(cached[i], kids[k]);

		if (c < 0) { /* cached, gone from ZooKeeper */
			cleanup_free char *child = child_rel(rel, cached[i++]);

			zks_mirror_remove(m, child);
		} else {
			cleanup_free char *child = child_rel(rel, kids[k++]);

			if (c == 0)
				i++;
			r = visit(ctx, child, c == 0);
		}
	}
	zks_free_strv(cached, ncached);
	return r;
}

/* One step of an acknowledged write; false if it was not applied (and so is not listed). */
static bool apply_op_locked(struct zks_mirror *m, const struct zks_op *op,
			    const struct zks_stat *set_stat, int64_t session, int64_t now_ms)
{
	struct zks_stat st = {0};

	switch (op->type) {
	case ZKS_OP_CREATE:
		st.ctime_ms = st.mtime_ms = now_ms;
		st.owner = op->kind == ZKS_EPHEMERAL ? session : 0;
		zks_tree_put(m->tree, op->path, op->data, op->data ? op->len : 0, &st);
		return true;
	case ZKS_OP_SET:
		zks_tree_put(m->tree, op->path, op->data, op->data ? op->len : 0,
			     set_stat ? set_stat : &st);
		return true;
	case ZKS_OP_DELETE:
		zks_tree_remove(m->tree, op->path);
		return true;
	case ZKS_OP_CHECK:
		break;
	}
	return false;
}

/*
 * An acknowledged write goes into the mirror at once, called by its completion after the
 * events ZooKeeper sent before it (see the top of zk.c); the worker re-reads what it
 * created or changed, for the watches and the exact stat.  A node whose parent the mirror
 * does not have yet (made elsewhere; the worker has not read it) is not put: the tree
 * would make the missing ancestors empty, and the worker, finding them known, would never
 * read their data and watches.  The worker reads the whole missing subtree instead.
 */
char **zks_mirror_apply_write(struct zks_mirror *m, const struct zks_op *ops, size_t n,
			      const struct zks_stat *set_stats, int64_t session, int64_t now_ms)
{
	char **reread = xcalloc(n + 1, sizeof(*reread));

	pthread_rwlock_wrlock(&m->lock);
	for (size_t i = 0; i < n; i++) {
		if (ops[i].type == ZKS_OP_CREATE || ops[i].type == ZKS_OP_SET) {
			reread[i] = missing_top_locked(m, ops[i].path);
			if (strcmp(reread[i], ops[i].path) != 0)
				continue; /* not applied, so not listed: the worker reads it */
		}
		if (apply_op_locked(m, &ops[i], set_stats ? &set_stats[i] : NULL, session,
				    now_ms)) {
			written_add_locked(m, ops[i].path);
			changed_locked(m, ops[i].path);
		}
	}
	pthread_rwlock_unlock(&m->lock);
	return reread;
}

/* ---- reads and state --------------------------------------------------------------------- */

int zks_mirror_get(struct zks_mirror *m, const char *rel, char **data, size_t *len,
		   struct zks_stat *st)
{
	int r;

	pthread_rwlock_rdlock(&m->lock);
	r = zks_tree_get(m->tree, rel, data, len, st);
	pthread_rwlock_unlock(&m->lock);
	return r;
}

bool zks_mirror_mark(struct zks_mirror *m, const char *rel, int64_t mark)
{
	int r;

	pthread_rwlock_wrlock(&m->lock);
	r = zks_tree_tag_set(m->tree, rel, mark);
	pthread_rwlock_unlock(&m->lock);
	return r == 0;
}

int64_t zks_mirror_marked(struct zks_mirror *m, const char *rel)
{
	int64_t r;

	pthread_rwlock_rdlock(&m->lock);
	r = zks_tree_tag(m->tree, rel);
	pthread_rwlock_unlock(&m->lock);
	return r;
}

void zks_mirror_marks_clear(struct zks_mirror *m)
{
	pthread_rwlock_wrlock(&m->lock);
	zks_tree_tags_clear(m->tree);
	pthread_rwlock_unlock(&m->lock);
}

bool zks_mirror_has(struct zks_mirror *m, const char *rel)
{
	bool r;

	pthread_rwlock_rdlock(&m->lock);
	r = zks_tree_exists(m->tree, rel);
	pthread_rwlock_unlock(&m->lock);
	return r;
}

int zks_mirror_children(struct zks_mirror *m, const char *rel, char ***names, size_t *n)
{
	int r;

	pthread_rwlock_rdlock(&m->lock);
	r = zks_tree_children(m->tree, rel, names, n);
	pthread_rwlock_unlock(&m->lock);
	return r;
}

size_t zks_mirror_count(struct zks_mirror *m)
{
	size_t n;

	pthread_rwlock_rdlock(&m->lock);
	n = zks_tree_count(m->tree);
	pthread_rwlock_unlock(&m->lock);
	return n;
}

bool zks_mirror_synced(struct zks_mirror *m)
{
	bool synced;

	pthread_rwlock_rdlock(&m->lock);
	synced = m->synced;
	pthread_rwlock_unlock(&m->lock);
	return synced;
}

void zks_mirror_set_synced(struct zks_mirror *m, bool synced)
{
	pthread_rwlock_wrlock(&m->lock);
	/* Complete now: what was held back until then (stale local state) may go, anywhere. */
	if (synced && !m->synced) {
		m->changes++;
		m->all++;
	}
	m->synced = synced;
	pthread_rwlock_unlock(&m->lock);
}

uint64_t zks_mirror_changes(struct zks_mirror *m, const char *const *under)
{
	uint64_t n;

	pthread_rwlock_rdlock(&m->lock);
	if (under == NULL) {
		n = m->changes;
	} else {
		n = m->all;
		for (size_t i = 0; i < m->ntops; i++)
			for (const char *const *u = under; *u; u++) {
				size_t len = top_len(*u);

				if (len == 0 || (len == m->tops[i].len &&
						 memcmp(*u, m->tops[i].name, len) == 0)) {
					n += m->tops[i].n;
					break;
				}
			}
	}
	pthread_rwlock_unlock(&m->lock);
	return n;
}

/* ---- the file ------------------------------------------------------------------------------ */

bool zks_mirror_dirty(struct zks_mirror *m)
{
	bool dirty;

	pthread_rwlock_rdlock(&m->lock);
	dirty = m->dirty;
	pthread_rwlock_unlock(&m->lock);
	return dirty;
}

int64_t zks_mirror_save_in_ms(struct zks_mirror *m)
{
	int64_t ms = -1;

	/* Without a file there is nothing to save: never due (the worker would spin on it). */
	pthread_rwlock_rdlock(&m->lock);
	if (m->file != NULL && m->dirty) {
		ms = m->saved_ms + m->save_gap_ms - zks_now_ms();
		if (ms < 0)
			ms = 0;
	}
	pthread_rwlock_unlock(&m->lock);
	return ms;
}

int64_t zks_mirror_save_interval_ms(int64_t cost_ms)
{
	int64_t ms = cost_ms * ZKS_MIRROR_SAVE_SHARE;

	return ms < ZKS_MIRROR_SAVE_MS	     ? ZKS_MIRROR_SAVE_MS
	       : ms > ZKS_MIRROR_SAVE_MAX_MS ? ZKS_MIRROR_SAVE_MAX_MS
					     : ms;
}

/*
 * A node's data: a JSON string, or, when it has NUL bytes (a configuration file's, say),
 * base64 in "data_b64" (a JSON string cannot hold them).
 */
static void save_data(cJSON *n, const char *data, size_t len)
{
	cleanup_free char *copy = NULL;

	if (len == 0 || memchr(data, '\0', len) == NULL) {
		copy = xstrndup(data, len);
		cJSON_AddStringToObject(n, "data", copy);
		return;
	}
	copy = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)copy, (const unsigned char *)data, (int)len);
	cJSON_AddStringToObject(n, "data", "");
	cJSON_AddStringToObject(n, "data_b64", copy);
}

/* The data saved_data wrote into *out (to free); false if "data_b64" is not base64. */
static bool load_data(const cJSON *n, const cJSON *data, char **out, size_t *len)
{
	const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(n, "data_b64");
	size_t in, pad = 0;
	int got;

	if (!cJSON_IsString(b64)) {
		*len = strlen(data->valuestring);
		*out = xstrndup(data->valuestring, *len);
		return true;
	}
	in = strlen(b64->valuestring);
	if (in % 4 != 0 || in > INT32_MAX)
		return false;
	*out = xmalloc(in / 4 * 3 + 1);
	got = EVP_DecodeBlock((unsigned char *)*out, (const unsigned char *)b64->valuestring,
			      (int)in);
	for (size_t i = in; i > 0 && pad < 2 && b64->valuestring[i - 1] == '='; i--)
		pad++;
	if (got < 0 || (size_t)got < pad) {
		free(*out);
		return false;
	}
	*len = (size_t)got - pad; /* EVP_DecodeBlock counts the padding as zero bytes */
	return true;
}

/*
 * A 64-bit integer as a JSON number.  cJSON prints a double that is not an int by
 * sprintf("%1.15g") and reads it back with sscanf: for the three such numbers of every node
 * that was a sixth of a 10,000-volume save (perf; the save took 73-76 ms, now 61).  Read back
 * as before (a double: exact up to 2^53, beyond any time in ms or any zxid of an epoch under
 * 2^21).
 */
static void add_int64(cJSON *n, const char *key, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	cJSON_AddRawToObject(n, key, buf);
}

static int save_visit(const char *path, const char *data, size_t len, const struct zks_stat *st,
		      void *ctx)
{
	cJSON *nodes = ctx, *n = cJSON_CreateObject();

	cJSON_AddStringToObject(n, "path", path);
	save_data(n, data, len);
	cJSON_AddNumberToObject(n, "version", st->version);
	add_int64(n, "ctime_ms", st->ctime_ms);
	add_int64(n, "mtime_ms", st->mtime_ms);
	add_int64(n, "mzxid", st->mzxid);
	cJSON_AddBoolToObject(n, "ephemeral", st->owner != 0);
	cJSON_AddItemToArray(nodes, n);
	return 0;
}

void zks_mirror_save(struct zks_mirror *m)
{
	cJSON *doc, *nodes;
	char *text;
	struct zks_error err;
	uint64_t changes;
	int64_t t0 = zks_now_ms(), cost, gap;
	size_t count, len;

	if (m->file == NULL)
		return;
	doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "format", 1);
	nodes = cJSON_AddArrayToObject(doc, "nodes");
	/* Read-held: Get and List go on meanwhile; a change meanwhile leaves it dirty. */
	pthread_rwlock_rdlock(&m->lock);
	zks_tree_walk(m->tree, save_visit, nodes);
	changes = m->changes;
	count = zks_tree_count(m->tree);
	pthread_rwlock_unlock(&m->lock);
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (text == NULL)
		return;
	/* A cache, checked when loaded: no fsync (it cost 50 mirrors a disk flush each second). */
	len = strlen(text);
	if (zks_write_file_replace(m->file, text, len, &err) < 0)
		log_warn("mirror: cannot save: %s", err.msg);
	free(text);
	pthread_rwlock_wrlock(&m->lock);
	if (m->changes == changes)
		m->dirty = false;
	m->saved_ms = zks_now_ms();
	cost = m->saved_ms - t0;
	m->save_gap_ms = gap = zks_mirror_save_interval_ms(cost);
	pthread_rwlock_unlock(&m->lock);
	log_debug("mirror: saved %zu nodes (%zu bytes) in %lld ms; the next save in %lld ms at the "
		  "soonest",
		  count, len, (long long)cost, (long long)gap);
}

/* One saved node into the tree; false if the entry is malformed. */
static bool load_node_locked(struct zks_mirror *m, const cJSON *n)
{
	cJSON *path = cJSON_GetObjectItemCaseSensitive(n, "path");
	cJSON *data = cJSON_GetObjectItemCaseSensitive(n, "data");
	cJSON *version = cJSON_GetObjectItemCaseSensitive(n, "version");
	cJSON *ctime = cJSON_GetObjectItemCaseSensitive(n, "ctime_ms");
	cJSON *mtime = cJSON_GetObjectItemCaseSensitive(n, "mtime_ms");
	cJSON *eph = cJSON_GetObjectItemCaseSensitive(n, "ephemeral");
	struct zks_stat st = {0};
	cleanup_free char *bytes = NULL;
	size_t len;

	if (!cJSON_IsString(path) || !cJSON_IsString(data) || !cJSON_IsNumber(version) ||
	    !zks_tree_path_valid(path->valuestring) || !load_data(n, data, &bytes, &len))
		return false;
	st.version = (int32_t)version->valuedouble;
	st.ctime_ms = cJSON_IsNumber(ctime) ? (int64_t)ctime->valuedouble : 0;
	st.mtime_ms = cJSON_IsNumber(mtime) ? (int64_t)mtime->valuedouble : 0;
	st.owner = cJSON_IsTrue(eph) ? -1 : 0; /* an ephemeral of some past session */
	zks_tree_put(m->tree, path->valuestring, bytes, len, &st);
	return true;
}

/* Load the last saved mirror; every entry is checked, bad ones are skipped. */
long zks_mirror_load(struct zks_mirror *m)
{
	cleanup_free char *text = NULL;
	struct zks_error err;
	cJSON *doc, *nodes, *n;
	long loaded = 0;
	size_t skipped = 0;

	if (m->file == NULL)
		return -1;
	if (zks_read_file(m->file, MIRROR_MAX_FILE, &text, NULL, &err) < 0) {
		if (err.code != ZKS_ERR_NOT_FOUND)
			log_warn("mirror: cannot load: %s", err.msg);
		return -1;
	}
	doc = cJSON_Parse(text);
	nodes = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
	if (!cJSON_IsArray(nodes)) {
		log_warn("mirror: `%s` is not a saved mirror; ignored", m->file);
		cJSON_Delete(doc);
		return -1;
	}
	pthread_rwlock_wrlock(&m->lock);
	cJSON_ArrayForEach(n, nodes)
	{
		if (load_node_locked(m, n))
			loaded++;
		else
			skipped++;
	}
	pthread_rwlock_unlock(&m->lock);
	cJSON_Delete(doc);
	log_info("mirror: loaded %ld nodes from `%s` (stale until ZooKeeper answers)%s", loaded,
		 m->file, skipped ? "; skipped malformed entries" : "");
	return loaded;
}
