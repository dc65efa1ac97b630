/*
 * mem.c - the in-memory store: a tree behind a mutex with ZooKeeper's rules
 * (parents must exist, versions checked, ephemerals die with their session,
 * transactions all or nothing).  For unit tests of the core; the daemon
 * always runs on ZooKeeper.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/records.h"
#include "zkswarm/store.h"
#include "zkswarm/util.h"

#define MEM_MAX_WATCHERS 32 /* over all stores of a backend; one more aborts the test */

struct mem_store;

struct mem_watcher {
	zks_change_fn fn;
	void *ctx;
	const char *const *under; /* the subtrees it reads; NULL: all */
	struct mem_store *owner;  /* the store it was registered on: store_stop takes it back */
};

/* lock guards everything here and in its stores but base and session_id. */
struct zks_mem_backend {
	pthread_mutex_t lock;
	pthread_cond_t delivered; /* a store's deliveries in flight went to 0 */
	struct mem_watcher watchers[MEM_MAX_WATCHERS];
	size_t nwatchers;
	struct mem_store *stores; /* alive, so that freeing the backend first can orphan them */
	struct zks_tree *tree;
	int64_t zxid;
	int64_t next_session;
	bool down;
};

struct mem_store {
	struct zks_store base;
	struct zks_mem_backend *backend; /* NULL once the backend is freed */
	struct mem_store *next;
	int64_t session_id;
	size_t delivering; /* calls of this store's watchers under way (outside the lock) */
	bool stopped;
};

struct zks_mem_backend *zks_mem_backend_new(void)
{
	struct zks_mem_backend *b = xcalloc(1, sizeof(*b));

	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->delivered, NULL);
	b->tree = zks_tree_new();
	b->next_session = 0x1000;
	/* Like the ZooKeeper store at each session start: the skeleton exists. */
	for (const char *const *p = zks_skeleton; *p; p++)
		zks_tree_put(b->tree, *p, NULL, 0, NULL);
	return b;
}

void zks_mem_backend_free(struct zks_mem_backend *b)
{
	if (b == NULL)
		return;
	for (struct mem_store *ms = b->stores; ms != NULL; ms = ms->next)
		ms->backend = NULL;
	zks_tree_free(b->tree);
	pthread_cond_destroy(&b->delivered);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

struct expire_ctx {
	int64_t session;
	char **paths;
	size_t n;
};

static int collect_ephemeral(const char *path, const char *data, size_t len,
			     const struct zks_stat *st, void *ctx)
{
	struct expire_ctx *e = ctx;

	(void)data;
	(void)len;
	if (st->owner == e->session) {
		e->paths = xrealloc(e->paths, (e->n + 1) * sizeof(*e->paths));
		e->paths[e->n++] = xstrdup(path);
	}
	return 0;
}

void zks_mem_backend_expire(struct zks_mem_backend *b, int64_t session_id)
{
	struct expire_ctx e = {.session = session_id};

	if (session_id == 0)
		return; /* persistent nodes have owner 0 */
	pthread_mutex_lock(&b->lock);
	zks_tree_walk(b->tree, collect_ephemeral, &e);
	for (size_t i = 0; i < e.n; i++)
		zks_tree_remove(b->tree, e.paths[i]);
	pthread_mutex_unlock(&b->lock);
	zks_free_strv(e.paths, e.n);
}

void zks_mem_backend_set_down(struct zks_mem_backend *b, bool down)
{
	pthread_mutex_lock(&b->lock);
	b->down = down;
	pthread_mutex_unlock(&b->lock);
}

static void bump_cversion(struct zks_tree *tree, const char *path)
{
	cleanup_free char *parent = zks_tree_parent_path(path);
	cleanup_free char *data = NULL;
	struct zks_stat st;
	size_t len;

	if (zks_tree_get(tree, parent, &data, &len, &st) == 0) {
		st.cversion++;
		zks_tree_put(tree, parent, data, len, &st);
	}
}

/* Undo record: the node's previous state (existed=false: it did not exist). */
struct undo {
	char *path;
	bool existed;
	char *data;
	size_t len;
	struct zks_stat st;
};

static void undo_save(struct zks_tree *tree, const char *path, struct undo *u)
{
	u->path = xstrdup(path);
	u->existed = zks_tree_get(tree, path, &u->data, &u->len, &u->st) == 0;
}

static int apply_op(struct zks_mem_backend *b, struct mem_store *ms, const struct zks_op *op,
		    struct zks_error *err)
{
	struct zks_tree *tree = b->tree;
	struct zks_stat st;

	if (!zks_tree_path_valid(op->path) || strcmp(op->path, "/") == 0)
		return zks_error_set(err, ZKS_ERR_INVALID, "invalid znode path `%s`", op->path);
	switch (op->type) {
	case ZKS_OP_CREATE: {
		cleanup_free char *parent = zks_tree_parent_path(op->path);
		struct zks_stat pst;
		int64_t now = zks_wall_ms();

		if (zks_tree_exists(tree, op->path))
			return zks_error_set(err, ZKS_ERR_EXISTS, "znode `%s` exists", op->path);
		if (zks_tree_get(tree, parent, NULL, NULL, &pst) < 0)
			return zks_error_set(err, ZKS_ERR_NOT_FOUND,
					     "parent of `%s` does not exist", op->path);
		if (pst.owner != 0)
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "ephemeral `%s` cannot have children", parent);
		memset(&st, 0, sizeof(st));
		st.czxid = st.mzxid = ++b->zxid;
		st.ctime_ms = st.mtime_ms = now;
		st.owner = op->kind == ZKS_EPHEMERAL ? ms->session_id : 0;
		zks_tree_put(tree, op->path, op->data, op->len, &st);
		bump_cversion(tree, op->path);
		return 0;
	}
	case ZKS_OP_SET:
	case ZKS_OP_CHECK:
	case ZKS_OP_DELETE:
		if (zks_tree_get(tree, op->path, NULL, NULL, &st) < 0)
			return zks_error_set(err, ZKS_ERR_NOT_FOUND, "znode `%s` does not exist",
					     op->path);
		if (op->version != -1 && op->version != st.version)
			return zks_error_set(err, ZKS_ERR_CONFLICT,
					     "znode `%s` changed (version %d, expected %d)",
					     op->path, st.version, op->version);
		if (op->type == ZKS_OP_SET) {
			st.version++;
			st.mzxid = ++b->zxid;
			st.mtime_ms = zks_wall_ms();
			zks_tree_put(tree, op->path, op->data, op->len, &st);
		} else if (op->type == ZKS_OP_DELETE) {
			if (st.num_children > 0)
				return zks_error_set(err, ZKS_ERR_NOT_EMPTY,
						     "znode `%s` has children", op->path);
			zks_tree_remove(tree, op->path);
			bump_cversion(tree, op->path);
		}
		return 0;
	}
	return zks_error_set(err, ZKS_ERR_INTERNAL, "unknown operation %d", (int)op->type);
}

static void undo_restore(struct zks_tree *tree, struct undo *u)
{
	if (u->existed)
		zks_tree_put(tree, u->path, u->data, u->len, &u->st);
	else
		zks_tree_remove(tree, u->path);
}

/* Whether a step of ops is under one of w's subtrees. */
static bool concerns(const struct mem_watcher *w, const struct zks_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i].type != ZKS_OP_CHECK && zks_store_path_concerns(w->under, ops[i].path))
			return true;
	return false;
}

/*
 * Tell every watcher of the change (the ops) under its subtrees, entered with the lock
 * held and returning without it; the calls are made unlocked (a watcher may call the
 * store), counted per owner so that store_stop can wait for them.
 */
static void deliver_unlock(struct zks_mem_backend *b, const struct zks_op *ops, size_t n)
{
	struct mem_watcher watchers[MEM_MAX_WATCHERS];
	size_t nw = 0;

	for (size_t i = 0; i < b->nwatchers; i++)
		if (concerns(&b->watchers[i], ops, n))
			watchers[nw++] = b->watchers[i];
	for (size_t i = 0; i < nw; i++)
		watchers[i].owner->delivering++;
	pthread_mutex_unlock(&b->lock);
	for (size_t i = 0; i < nw; i++)
		watchers[i].fn(watchers[i].ctx);
	pthread_mutex_lock(&b->lock);
	for (size_t i = 0; i < nw; i++)
		if (--watchers[i].owner->delivering == 0)
			pthread_cond_broadcast(&b->delivered);
	pthread_mutex_unlock(&b->lock);
}

static int mem_multi(struct zks_store *s, const struct zks_op *ops, size_t n, struct zks_error *err)
{
	struct mem_store *ms = (struct mem_store *)s;
	struct zks_mem_backend *b = ms->backend;
	struct undo *undo = xcalloc(2 * n, sizeof(*undo));
	size_t done = 0;
	int r = 0;

	pthread_mutex_lock(&b->lock);
	if (b->down || ms->stopped) {
		r = zks_error_set(err, ZKS_ERR_UNAVAILABLE, "ZooKeeper is unreachable%s",
				  ms->stopped ? ": the store is stopped" : "");
		goto out;
	}
	for (; done < n; done++) {
		/* The step's node and its parent (whose cversion the step changes). */
		undo_save(b->tree, ops[done].path, &undo[2 * done]);
		if (zks_tree_path_valid(ops[done].path) && strcmp(ops[done].path, "/") != 0) {
			cleanup_free char *parent = zks_tree_parent_path(ops[done].path);

			undo_save(b->tree, parent, &undo[2 * done + 1]);
		}
		if (apply_op(b, ms, &ops[done], err) < 0) {
			r = -1;
			break;
		}
	}
	if (r < 0) {
		/* All or nothing: put back what the earlier steps changed, last first. */
		for (size_t i = 2 * (done + 1); i-- > 0;)
			if (undo[i].path != NULL)
				undo_restore(b->tree, &undo[i]);
	}
out:
	if (r == 0)
		deliver_unlock(b, ops, n); /* every client's mirror is the backend: all see it */
	else
		pthread_mutex_unlock(&b->lock);
	for (size_t i = 0; i < 2 * n; i++) {
		free(undo[i].path);
		free(undo[i].data);
	}
	free(undo);
	return r;
}

static int mem_read(struct mem_store *ms, bool cached, const char *path, char **data, size_t *len,
		    struct zks_stat *st, char ***names, size_t *n, struct zks_error *err)
{
	struct zks_mem_backend *b = ms->backend;
	int r;

	pthread_mutex_lock(&b->lock);
	if ((b->down || ms->stopped) && !cached) {
		pthread_mutex_unlock(&b->lock);
		return zks_error_set(err, ZKS_ERR_UNAVAILABLE, "ZooKeeper is unreachable");
	}
	if (names)
		r = zks_tree_children(b->tree, path, names, n);
	else
		r = zks_tree_get(b->tree, path, data, len, st);
	pthread_mutex_unlock(&b->lock);
	if (r < 0)
		return zks_error_set(err, ZKS_ERR_NOT_FOUND, "znode `%s` does not exist", path);
	return 0;
}

static int mem_get(struct zks_store *s, const char *path, char **data, size_t *len,
		   struct zks_stat *st, struct zks_error *err)
{
	return mem_read((struct mem_store *)s, false, path, data, len, st, NULL, NULL, err);
}

static int mem_children(struct zks_store *s, const char *path, char ***names, size_t *n,
			struct zks_error *err)
{
	return mem_read((struct mem_store *)s, false, path, NULL, NULL, NULL, names, n, err);
}

static int mem_cached_get(struct zks_store *s, const char *path, char **data, size_t *len,
			  struct zks_stat *st)
{
	return mem_read((struct mem_store *)s, true, path, data, len, st, NULL, NULL, NULL);
}

static int mem_cached_children(struct zks_store *s, const char *path, char ***names, size_t *n)
{
	return mem_read((struct mem_store *)s, true, path, NULL, NULL, NULL, names, n, NULL);
}

static void mem_status(struct zks_store *s, struct zks_store_status *out)
{
	struct mem_store *ms = (struct mem_store *)s;

	pthread_mutex_lock(&ms->backend->lock);
	memset(out, 0, sizeof(*out));
	out->state = ms->backend->down ? ZKS_CONN_CONNECTING : ZKS_CONN_CONNECTED;
	out->session_id = ms->session_id;
	out->mirror_synced = !ms->backend->down;
	out->sessions = 1;
	out->connects = 1;
	out->mirror_nodes = zks_tree_count(ms->backend->tree);
	out->probe_rtt_us = -1; /* no probe: every call is answered in memory */
	pthread_mutex_unlock(&ms->backend->lock);
}

/* The session is up from the start: the callback runs at once, on the caller's thread. */
static void mem_on_session(struct zks_store *s, zks_session_fn fn, void *ctx)
{
	struct mem_store *ms = (struct mem_store *)s;
	bool stopped;

	pthread_mutex_lock(&ms->backend->lock);
	stopped = ms->stopped;
	pthread_mutex_unlock(&ms->backend->lock);
	if (!stopped)
		fn(ctx, ms->session_id);
}

static void mem_on_change(struct zks_store *s, const char *const *under, zks_change_fn fn,
			  void *ctx)
{
	struct mem_store *ms = (struct mem_store *)s;
	struct zks_mem_backend *b = ms->backend;

	pthread_mutex_lock(&b->lock);
	if (b->nwatchers == MEM_MAX_WATCHERS)
		abort(); /* a dropped watcher would hide a service's missed changes */
	if (!ms->stopped)
		b->watchers[b->nwatchers++] = (struct mem_watcher){fn, ctx, under, ms};
	pthread_mutex_unlock(&b->lock);
}

/* The store's watchers are taken back, and the calls of them under way waited for. */
static void mem_stop(struct zks_store *s)
{
	struct mem_store *ms = (struct mem_store *)s;
	struct zks_mem_backend *b = ms->backend;
	size_t kept = 0;

	if (b == NULL)
		return; /* the backend is gone, and its watchers with it */
	pthread_mutex_lock(&b->lock);
	ms->stopped = true;
	for (size_t i = 0; i < b->nwatchers; i++)
		if (b->watchers[i].owner != ms)
			b->watchers[kept++] = b->watchers[i];
	b->nwatchers = kept;
	while (ms->delivering > 0)
		pthread_cond_wait(&b->delivered, &b->lock);
	pthread_mutex_unlock(&b->lock);
}

static void mem_destroy(struct zks_store *s)
{
	struct mem_store *ms = (struct mem_store *)s;
	struct zks_mem_backend *b = ms->backend;

	mem_stop(s);
	if (b != NULL) {
		pthread_mutex_lock(&b->lock);
		for (struct mem_store **p = &b->stores; *p != NULL; p = &(*p)->next)
			if (*p == ms) {
				*p = ms->next;
				break;
			}
		pthread_mutex_unlock(&b->lock);
	}
	free(ms);
}

static const struct zks_store_ops mem_ops = {
	.multi = mem_multi,
	.get = mem_get,
	.children = mem_children,
	.cached_get = mem_cached_get,
	.cached_children = mem_cached_children,
	.status = mem_status,
	.on_session = mem_on_session,
	.on_change = mem_on_change,
	.stop = mem_stop,
	.destroy = mem_destroy,
};

struct zks_store *zks_store_mem_new(struct zks_mem_backend *b)
{
	struct mem_store *ms = xcalloc(1, sizeof(*ms));

	ms->base.ops = &mem_ops;
	ms->backend = b;
	pthread_mutex_lock(&b->lock);
	ms->session_id = b->next_session++;
	ms->next = b->stores;
	b->stores = ms;
	pthread_mutex_unlock(&b->lock);
	return &ms->base;
}
