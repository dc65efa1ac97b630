/*
 * store.h - the coordination store: ZooKeeper in the daemon, memory in unit
 * tests, one interface.
 *
 * Paths are relative to the store's root (ZK_ROOT): "/volumes/db".
 *
 * Writes are linearizable and resolve ZooKeeper's "outcome unknown" cases
 * themselves: after a lost connection a write is verified (read back) or
 * safely retried, so callers see either success, a definite refusal
 * (NOT_FOUND, EXISTS, CONFLICT for a version mismatch, NOT_EMPTY) or
 * UNAVAILABLE, which means the write was not applied.  After a successful
 * write the mirror already reflects it (read-your-writes).
 *
 * Reads come in two kinds: store_get/store_children ask the server (used to
 * decide before writing), store_cached_* answer from the local mirror (the
 * read path of Get/List/Path: no round trip, and still answering while
 * ZooKeeper is away).
 *
 * Shutdown: callbacks (store_on_session, store_on_change) cannot be taken
 * back one by one; store_stop takes them all back at once.  Stop first what
 * uses the store, then store_stop, then free what the callbacks point into,
 * then store_destroy:
 *
 *	zks_http_stop(...); zks_networks_stop(...); zks_reaper_stop(...);
 *	store_stop(store);
 *	zks_reaper_free(...); zks_networks_free(...); ...;
 *	store_destroy(store);
 *
 * store_destroy stops the store first if it was not (the old order, store
 * first, still works).
 */
#ifndef ZKSWARM_STORE_H
#define ZKSWARM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/error.h"
#include "zkswarm/tree.h"

enum zks_node_kind { ZKS_PERSISTENT = 0, ZKS_EPHEMERAL = 1 };

enum zks_op_type { ZKS_OP_CREATE, ZKS_OP_SET, ZKS_OP_DELETE, ZKS_OP_CHECK };

/* The steps one transaction takes: a configuration volume's removal deletes its whole history
 * at once (its bounds in records.h keep it within). */
#define ZKS_STORE_TXN_OPS_MAX 256

/* One step of an all-or-nothing transaction.  version -1 means "any". */
struct zks_op {
	enum zks_op_type type;
	const char *path;
	const char *data;
	size_t len;
	enum zks_node_kind kind;
	int32_t version;
};

enum zks_conn_state { ZKS_CONN_CONNECTING = 0, ZKS_CONN_CONNECTED, ZKS_CONN_EXPIRED };

struct zks_store_status {
	enum zks_conn_state state;
	int64_t session_id;	 /* current session, 0 if none */
	bool mirror_synced;	 /* the mirror has been fully read in this session */
	int64_t disconnected_ms; /* how long we have been cut off, 0 when connected */
	int64_t silent_ms;	 /* since ZooKeeper last answered us */
	bool fenced;		 /* cut off for over 2/3 of the session timeout: ZooKeeper may
			       * already have handed our ephemeral leases to another node */
	uint64_t sessions;	 /* sessions established since start */
	uint64_t connects;	 /* connections established (reconnects included) */
	uint64_t resyncs;	 /* whole-tree reads of the mirror (each new session, ...) */
	uint64_t catchups;	 /* reconnects with the session kept, caught up by its events */
	uint64_t child_reads;	 /* children re-read for child events (watches that fired) */
	uint64_t paced;		 /* child events held back by pacing (mirror_pace_ms) */
	uint64_t moot;		 /* re-reads of own writes skipped: own delete came first */
	uint64_t told;		 /* deletions seen without a read: a set child watch told them */
	uint64_t reads;		 /* the mirror's reads ZooKeeper answered (its resyncs too) */
	size_t mirror_nodes;	 /* znodes in the mirror */
	int64_t probe_rtt_us;	 /* the last probe's round trip (ZooKeeper), -1: none */
};

/* Called on the store's own thread after each new session is established and synced. */
typedef void (*zks_session_fn)(void *ctx, int64_t session_id);

/*
 * Called after the mirror changed; must only take note and return (wake a thread).
 * Callbacks must not call store_stop or store_destroy (those wait for them).
 *
 * A callback names the subtrees it reads (store_on_change's under): it is called after
 * changes under them, never for others.  The count is per top-level subtree ("/volumes/x"
 * is told every change under "/volumes"), so a callback may be called when nothing it
 * reads changed, never missed when something did.  A mirror that becomes synced again
 * (after a reconnect) tells every callback.
 */
typedef void (*zks_change_fn)(void *ctx);

/* Whether path is top or below it ("/" holds everything). */
bool zks_store_path_within(const char *path, const char *top);
/* Whether path is in, or above, one of under's subtrees (NULL-terminated; NULL: all). */
bool zks_store_path_concerns(const char *const *under, const char *path);

struct zks_store;

struct zks_store_ops {
	/* Every write is a transaction; store_create, _set, _remove are one-step ones. */
	int (*multi)(struct zks_store *s, const struct zks_op *ops, size_t n,
		     struct zks_error *err);
	int (*get)(struct zks_store *s, const char *path, char **data, size_t *len,
		   struct zks_stat *st, struct zks_error *err);
	int (*children)(struct zks_store *s, const char *path, char ***names, size_t *n,
			struct zks_error *err);
	int (*cached_get)(struct zks_store *s, const char *path, char **data, size_t *len,
			  struct zks_stat *st);
	int (*cached_children)(struct zks_store *s, const char *path, char ***names, size_t *n);
	void (*status)(struct zks_store *s, struct zks_store_status *out);
	void (*on_session)(struct zks_store *s, zks_session_fn fn, void *ctx);
	void (*on_change)(struct zks_store *s, const char *const *under, zks_change_fn fn,
			  void *ctx);
	void (*stop)(struct zks_store *s); /* NULL: the store runs no callback of its own */
	void (*destroy)(struct zks_store *s);
};

struct zks_store {
	const struct zks_store_ops *ops;
};

static inline int store_create(struct zks_store *s, const char *path, const void *data, size_t len,
			       enum zks_node_kind kind, struct zks_error *err)
{
	struct zks_op op = {.type = ZKS_OP_CREATE,
			    .path = path,
			    .data = data,
			    .len = len,
			    .kind = kind};

	return s->ops->multi(s, &op, 1, err);
}

static inline int store_set(struct zks_store *s, const char *path, const void *data, size_t len,
			    int32_t version, struct zks_error *err)
{
	struct zks_op op = {.type = ZKS_OP_SET,
			    .path = path,
			    .data = data,
			    .len = len,
			    .version = version};

	return s->ops->multi(s, &op, 1, err);
}

static inline int store_remove(struct zks_store *s, const char *path, int32_t version,
			       struct zks_error *err)
{
	struct zks_op op = {.type = ZKS_OP_DELETE, .path = path, .version = version};

	return s->ops->multi(s, &op, 1, err);
}

static inline int store_multi(struct zks_store *s, const struct zks_op *ops, size_t n,
			      struct zks_error *err)
{
	return s->ops->multi(s, ops, n, err);
}

static inline int store_get(struct zks_store *s, const char *path, char **data, size_t *len,
			    struct zks_stat *st, struct zks_error *err)
{
	return s->ops->get(s, path, data, len, st, err);
}

static inline int store_children(struct zks_store *s, const char *path, char ***names, size_t *n,
				 struct zks_error *err)
{
	return s->ops->children(s, path, names, n, err);
}

/* 0, or -1 when the mirror has no such node. */
static inline int store_cached_get(struct zks_store *s, const char *path, char **data, size_t *len,
				   struct zks_stat *st)
{
	return s->ops->cached_get(s, path, data, len, st);
}

static inline int store_cached_children(struct zks_store *s, const char *path, char ***names,
					size_t *n)
{
	return s->ops->cached_children(s, path, names, n);
}

static inline void store_status(struct zks_store *s, struct zks_store_status *out)
{
	s->ops->status(s, out);
}

static inline void store_on_session(struct zks_store *s, zks_session_fn fn, void *ctx)
{
	s->ops->on_session(s, fn, ctx);
}

/*
 * fn(ctx) after changes under under's subtrees (a NULL-terminated list of paths that
 * outlives the store, a static array; NULL: after every change).
 */
static inline void store_on_change(struct zks_store *s, const char *const *under, zks_change_fn fn,
				   void *ctx)
{
	s->ops->on_change(s, under, fn, ctx);
}

/*
 * No callback of this store runs once it returns, nor ever again; its threads are
 * joined (ZooKeeper: the session is closed, the mirror saved).  Calls made after it
 * fail as UNAVAILABLE, except cached reads.  Idempotent; not thread-safe against itself.
 */
static inline void store_stop(struct zks_store *s)
{
	if (s != NULL && s->ops->stop != NULL)
		s->ops->stop(s);
}

/* Stops the store if it was not, and frees it. */
static inline void store_destroy(struct zks_store *s)
{
	if (s != NULL)
		s->ops->destroy(s);
}

/* Names the state for logs and Status: "connected", "connecting", "expired". */
const char *zks_conn_state_name(enum zks_conn_state state);

/*
 * In-memory store.  Several stores made from one backend act as clients of
 * one server, each with its own session, so unit tests can play two nodes
 * and expire one of them.
 */
struct zks_mem_backend;

struct zks_mem_backend *zks_mem_backend_new(void);
/* It may be freed before its stores, with their change callbacks; they can then only be
 * destroyed. */
void zks_mem_backend_free(struct zks_mem_backend *b);
/* Delete every ephemeral node of the session, as ZooKeeper does when it expires. */
void zks_mem_backend_expire(struct zks_mem_backend *b, int64_t session_id);
/* While down, every call fails with UNAVAILABLE (cached reads still answer). */
void zks_mem_backend_set_down(struct zks_mem_backend *b, bool down);

struct zks_store *zks_store_mem_new(struct zks_mem_backend *b);

/*
 * A child a record has by name (zks_zk_config.named_children).  with NULL: it is made in the
 * record's own transaction, or (zks_zk_config.writers) later by a transaction that also sets
 * the record's data when the record had no child.  Otherwise with names a sibling
 * whose children change in every transaction that makes this child: the mirror reads the child
 * when it reads that sibling's children and finds some (and the mirror lacks the child), and
 * does not read it again when it is deleted (the sibling's child watch tells it if it comes
 * back).
 */
struct zks_named_child {
	const char *path; /* a pattern as above: the child's path (its record's, then its name) */
	const char *with; /* NULL, or the sibling's name */
};

/* ZooKeeper store; connects in the background, never blocks here. */
struct zks_zk_config {
	const char *hosts; /* "h1:p1,h2:p2" */
	const char *root;  /* "/zkswarm" */
	int session_timeout_ms;
	const char *mirror_file; /* where the mirror is saved; NULL: not saved */
	const char
		*session_file; /* session id and password, to resume after a restart; NULL: don't */
	const char *auth; /* "user:password" for digest auth and creator-only ACLs; NULL: none */
	const char *const *skeleton; /* persistent paths created under root, NULL-terminated */
	/*
	 * Subtrees ("/heartbeats", NULL-terminated; NULL: none) the mirror never holds: not
	 * listed, read nor watched, and writes into them are not put.  A subtree whose nodes
	 * change every few seconds on every node would make every mirror re-read them all.
	 * Their parent must be mirrored ("/a/b" needs "/a"); store_get/children still read them.
	 */
	const char *const *unmirrored_subtrees;
	/*
	 * Patterns of nodes whose data is empty and never set (a `*` segment stands for any one
	 * name; NULL-terminated; NULL: none): the mirror reads their children and stat in one
	 * call and sets no data watch on them (their deletion is told by their child watch).
	 */
	const char *const *empty_parents;
	/* Patterns, as above, of nodes that never have children: their data alone is read. */
	const char *const *leaves;
	/*
	 * Children that records have by name (terminated by one with a NULL path; NULL: none):
	 * the mirror reads them with their record and neither lists nor watches the record's
	 * children (struct zks_named_child).
	 */
	const struct zks_named_child *named_children;
	/*
	 * Where the writers of named children register (a parent whose children are the live
	 * writers, "/nodes"; NULL: none is known to keep the rule below), and whether one's
	 * registration (its data) says it keeps the rule: a transaction that gives a childless
	 * record its first child also sets the record's data (its own bytes, at its version).
	 * While every registered writer keeps it, a record read with no children has none of
	 * its named children: one read, one watch (its data watch tells when one is made).
	 * While one does not, a named child made with its record that is missing is watched for
	 * by an exists watch, as one of a record made by hand.
	 */
	const char *writers;
	bool (*writer_keeps_rule)(const char *data, size_t len);
	/*
	 * A node's children, re-read for a child event, are not re-read again for
	 * mirror_pace_ms (0: at once): a burst of changes under one parent costs each mirror
	 * one read per pace instead of one per change (docs/DESIGN.md, "Pacing").  While the
	 * burst goes on, the pace doubles at each re-read, up to mirror_pace_max_ms (not
	 * above mirror_pace_ms: it stays); a change after a quiet pace sets it back.
	 */
	int mirror_pace_ms;
	int mirror_pace_max_ms;
	/*
	 * No mirror: the store reads and watches nothing by itself, cached reads find nothing
	 * and the mirror never says synced.  For a short-lived client that decides by
	 * authoritative reads (zkswarmctl config), so that it does not read the whole tree.
	 */
	bool unmirrored;
};

struct zks_store *zks_store_zk_new(const struct zks_zk_config *cfg, struct zks_error *err);

#endif
