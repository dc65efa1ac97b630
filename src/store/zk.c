/*
 * zk.c - the ZooKeeper store: the session, the writes, the authoritative
 * reads, and the worker that keeps the mirror (mirror.c) up to date.
 *
 * Threads (see docs/DESIGN.md):
 *  - libzookeeper_mt's IO and completion threads.  Our watcher runs on the
 *    completion thread and only records state or queues an event.
 *  - one worker thread of ours owns the handle's life (re-creates it after
 *    expiry), keeps the mirror up to date (one-shot watches re-armed on
 *    every read; a full resync with every new session, a catch-up from the
 *    re-sent watches' events when a reconnect keeps it), runs the session
 *    callbacks and saves the mirror to disk.
 *  - request threads send writes asynchronously (zoo_amulti) and wait for
 *    their completion, and make synchronous authoritative reads, holding
 *    handle_lock for reading so that the worker cannot close the handle
 *    under them.
 *
 * What the mirror reads and watches of each node: its data (watched) and its
 * children (watched), except that a leaf's (cfg->leaves: records that never
 * have children) children are neither read nor watched, nor an ephemeral
 * node's once its data said so, and an empty parent (cfg->empty_parents) is
 * read by one call, its children with its stat, with no data watch.  Every
 * watch is sent again by the client on each reconnect, in one request that
 * must fit the servers' jute.maxbuffer (docs/ZOOKEEPER.md §1.9): fewer
 * watches are more volumes a mirror can hold.
 *
 * Events wait in the queue while the connection is down (their reads would
 * fail), and a child event waits at its head while its node's children were
 * re-read for another less than its pace ago (pacing: the one-shot watch
 * gathers a burst's changes meanwhile; docs/DESIGN.md, "Pacing").  The pace is
 * cfg->mirror_pace_ms, doubled at each re-read while the burst goes on, up to
 * cfg->mirror_pace_max_ms.  A deleted named child's re-read waits there, up to the pace, for
 * its record's deletion, which makes it moot (held_for_record_locked).  A
 * read of the worker that fails all the same may leave its node unwatched, so
 * it makes the next sync a full resync (mirror_whole), unless it was the
 * event's first read, which is read again once connected.
 *
 * Every answer ZooKeeper gives on the session, on whichever thread, moves
 * the fencing clock (last_contact) to the answered request's send time.
 *
 * The worker changes the mirror in the order of its reads.  A writer's own
 * acknowledged write goes into the mirror at once (read-your-writes without
 * waiting for the worker), in ZooKeeper's order: writes are sent
 * asynchronously and applied by their completion, which the client's
 * completion thread runs after every watch event that ZooKeeper sent before
 * the reply.  The watcher applies a deletion it is told of at once, so no
 * node deleted before our write is still in the mirror when our write goes
 * in: the mirror never shows our new lease beside another node's old one,
 * a state ZooKeeper never had.
 *
 * Paths a writer wrote, or the watcher removed, are listed; the worker does
 * not apply a read to a listed path in the step it had begun before (that
 * read may be older), and the list is emptied when it begins the next step,
 * whose reads are all newer.  Written nodes, and nodes deleted by others, are
 * then re-read by the worker, which arms their watches and brings their exact
 * stat (and anything newer that a skipped read had seen, such as a node made
 * again).
 *
 * The locks and their order are written down at struct zk_store.
 *
 * Ambiguous writes (ZCONNECTIONLOSS, ZOPERATIONTIMEOUT: docs/ZOOKEEPER.md §1.5)
 * are verified after reconnecting: each step's effect is read back (data
 * equal, ephemeral owned by our session, deleted node gone).  Only when the
 * write was not applied is it sent again.
 */
#include <errno.h>
#include <pthread.h>
#include <search.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include "mirror.h"
#include "zkswarm/log.h"
#include "zkswarm/store.h"
#include "zkswarm/util.h"

#define ZK_MAX_OPS ZKS_STORE_TXN_OPS_MAX
#define ZK_MAX_WRITE (512 * 1024) /* well under jute.maxbuffer, which fails as a lost connection */
#define ZK_MAX_NODE (1024 * 1024)
#define ZK_MAX_CALLBACKS 8 /* of each kind; one more is a bug (abort), never a silent drop */
#define ZK_RESOLVE_DELAY_MS 10000
#define ZK_EVENT_REFRESH (-100)	  /* a re-read of a path written or deleted */
#define ZK_EVENT_CAUGHT_UP (-101) /* a catch-up's marker: every re-sent watch has fired */
#define ZK_COALESCE_SCAN 256	  /* queued events looked at for a later re-read of a parent */
#define ZK_PACE_SLOTS 64	  /* parents whose last re-read of children is remembered */
#define ZK_NOTIFY_GAP_MS 10	  /* change callbacks told at most this often (a burst: once) */

struct zk_event {
	struct zk_event *next;
	int type;
	char *path;	    /* relative to the root */
	uint64_t token;	    /* ZK_EVENT_CAUGHT_UP: the catch-up it ends */
	bool paced;	    /* held back by pacing (counted once) */
	bool own;	    /* ZK_EVENT_REFRESH of our own write: may be in own_rereads */
	bool moot;	    /* ... and our acknowledged delete of its path made it moot */
	bool deleted;	    /* ZK_EVENT_REFRESH of a watched deletion */
	int64_t hold_until; /* a named child's re-read waiting for its record's deletion */
};

struct session_cb {
	zks_session_fn fn;
	void *ctx;
};

struct change_cb {
	zks_change_fn fn;
	void *ctx;
	const char *const *under; /* the subtrees it reads; NULL: all */
	uint64_t seen;		  /* the worker's: their count when it was last told */
};

/*
 * The store's locks, outermost first.  A thread holding one takes only locks below it,
 * never one above; each may be taken alone.
 *
 *  1. handle_lock (rwlock): zh, the handle's life.  Read-held by whoever calls the
 *     client with zh (request threads, the worker's reads, the probe); write-held by
 *     the worker to close or replace the handle.  The client's own threads (the watcher,
 *     every completion) never take it: zookeeper_close joins them while it is held.
 *  2. lock (mutex; cond is its condition variable): the session's state and everything
 *     the watcher records or the worker is woken for, the fields from zh_current to
 *     writing below.  The watcher (completion thread) takes it, so no call that waits
 *     for the client's threads is made under it (open_handle makes the handle under
 *     it, which only starts them).
 *  3. the mirror's lock (struct zks_mirror, mirror.c): the tree, synced, the written
 *     list, the file's state.  Innermost: mirror.c takes nothing while holding it.
 *
 * Per-call locks, a resync batch's (struct resync_batch) and a write's (struct
 * multi_call), are taken under handle_lock at most, never with lock or the mirror's
 * lock held, and nothing is taken under them.  zk_log_callback's lock is a leaf (the
 * client logs under any of them).  last_contact is atomic.  Callbacks (session, change)
 * run on the worker with no lock held: they call the store.
 */
struct zk_store {
	struct zks_store base;
	/* Settings: set before the worker starts, read-only after. */
	char *hosts;
	char *root;
	int timeout_ms;
	int fail_fast_ms;
	char *session_file;
	char *auth;
	const struct ACL_vector *acl; /* creator-only with auth, open without */
	char **skeleton;
	size_t nskeleton;
	char **unmirrored_subtrees; /* cfg->unmirrored_subtrees: never read into the mirror, nor watched */
	size_t nunmirrored;
	char **empty_parents; /* cfg->empty_parents: children and stat read, no data watch */
	size_t nempty;
	char **leaves; /* cfg->leaves: data read, children neither read nor watched */
	size_t nleaves;
	/* cfg->named_children: each one's record's pattern, name, and sibling (or NULL) */
	char **named_parent, **named_name, **named_with;
	size_t nnamed;
	/* cfg->writers, ->writer_keeps_rule: where writers of named children register; NULL:
	 * nobody is known to keep the rule (store.h), nor ever will */
	char *writers;
	bool (*writer_keeps_rule)(const char *data, size_t len);
	int pace_ms;	 /* cfg->mirror_pace_ms */
	int pace_max_ms; /* cfg->mirror_pace_max_ms, at least pace_ms */

	pthread_rwlock_t handle_lock; /* 1 */
	zhandle_t *zh;

	pthread_mutex_t lock; /* 2 */
	pthread_cond_t cond;
	zhandle_t *zh_current; /* the handle whose events count */
	enum zks_conn_state state;
	int64_t session_id;
	int64_t disconnected_since;
	uint64_t sessions;
	uint64_t connects;
	bool need_resync;
	/*
	 * A reconnect with the session kept: ZooKeeper fires every re-sent watch whose node
	 * changed meanwhile (docs/ZOOKEEPER.md §1.7), so reading those events is the catch-up.
	 * Only while mirror_whole: the last resync completed in this session and no read of the
	 * worker failed since (a failed read leaves its node unwatched, so nothing would tell).
	 */
	bool need_catchup;
	/* The rule stopped holding: records without a named child get an exists watch on it. */
	bool need_absent_pass;
	bool mirror_whole;
	uint64_t catchup_token; /* the catch-up whose marker counts; bumped by every resync */
	int64_t catchup_t0;
	uint64_t events_done; /* events the worker read (for the catch-up's log line) */
	uint64_t catchup_events0;
	uint64_t resyncs, catchups;
	uint64_t child_reads, paced_events; /* child events read; held back by pacing */
	int read_again; /* tries of the head event whose read failed with the connection */
	/*
	 * The latest children re-reads for child events (pacing): path, start (ms), and the
	 * pace until the next (pace_ms, doubled by each re-read of an event that waited).
	 */
	struct paced_read {
		char *path;
		int64_t at;
		int pace;
	} paced[ZK_PACE_SLOTS];
	/*
	 * The queued re-reads of our own writes (ev->own), the latest of each path, in a
	 * tsearch(3) tree ordered by path: our acknowledged delete of one makes it moot.
	 */
	void *own_rereads;
	uint64_t moot_rereads; /* of those, the ones so skipped */
	/* Deleted children seen without a read of their own: a set child watch of their
	 * parent told them (kids_watch_set, parent_tells). */
	uint64_t deletions_told;
	bool unmirrored; /* cfg->unmirrored: no resync, no re-reads, nothing put */
	bool stopping;	 /* store_stop began: no new request, the worker ends */
	struct zk_event *head, *tail;
	struct session_cb callbacks[ZK_MAX_CALLBACKS];
	size_t ncallbacks;
	struct change_cb changes[ZK_MAX_CALLBACKS];
	size_t nchanges;
	/*
	 * The change callbacks are told at most every ZK_NOTIFY_GAP_MS (notified_at: when
	 * last); a change made outside the worker (our write, a deletion the watcher applied)
	 * wakes it only if its wait would end later than that (waiting_until: the end of the
	 * worker's current wait, 0 when it is not waiting).  Each wake of the worker, and its
	 * callbacks' of their threads, cost a write two context switches.
	 */
	int64_t notified_at;
	int64_t waiting_until;
	bool fence_logged;
	int64_t last_probe; /* when the worker last sent its own probe */
	int64_t opened_ms;  /* when the current handle was made: its handshakes went out later */
	struct multi_call *writing; /* writes sent and not yet answered */

	/*
	 * The send time (monotonic ms) of the latest request ZooKeeper answered on this
	 * session: it heard from us then at the earliest.  Every answered request counts
	 * (contact_at), whichever thread made it; atomic, read without the lock.
	 */
	_Atomic int64_t last_contact;
	_Atomic int64_t probe_rtt_us;  /* the last answered probe's round trip; -1: none yet */
	_Atomic uint64_t mirror_reads; /* the mirror's reads ZooKeeper answered */
	/*
	 * Every writer registered under writers keeps the rule (store.h): a record read with no
	 * children has none of its named children.  Set by the worker (update_childless_told),
	 * read by the completions and the watcher.
	 */
	_Atomic bool childless_told;

	struct zks_mirror *mirror; /* 3: its own lock */

	/* The worker's own. */
	pthread_t worker;
	uint64_t notify_seen;  /* the mirror's change count the callbacks were last told of */
	uint64_t writers_seen; /* the change count of writers when childless_told was set */
	bool resume_tried;
	/* The store's owner's: store_stop ran (it is not thread-safe against itself). */
	bool stopped;
};

/* ---- paths and small helpers ------------------------------------------------------------- */

static char *abs_path(const struct zk_store *s, const char *rel)
{
	if (strcmp(rel, "/") == 0)
		return xstrdup(s->root);
	return xasprintf("%s%s", s->root, rel);
}

/* The path relative to the root, or NULL if the event is not ours. */
static const char *rel_path(const struct zk_store *s, const char *path)
{
	size_t n = strlen(s->root);

	if (path == NULL || strncmp(path, s->root, n) != 0)
		return NULL;
	if (path[n] == '\0')
		return "/";
	if (path[n] != '/')
		return NULL;
	return path + n;
}

/* rel lies in a subtree the mirror does not hold (cfg->unmirrored_subtrees). */
static bool unmirrored_path(const struct zk_store *s, const char *rel)
{
	for (size_t i = 0; i < s->nunmirrored; i++) {
		size_t n = strlen(s->unmirrored_subtrees[i]);

		if (strncmp(rel, s->unmirrored_subtrees[i], n) == 0 &&
		    (rel[n] == '\0' || rel[n] == '/'))
			return true;
	}
	return false;
}

/* name, a child of rel as listed, begins an unmirrored subtree. */
static bool unmirrored_child(const struct zk_store *s, const char *rel, const char *name)
{
	for (size_t i = 0; i < s->nunmirrored; i++) {
		const char *u = s->unmirrored_subtrees[i], *base = strrchr(u, '/');
		size_t plen = (size_t)(base - u);

		if (strcmp(base + 1, name) == 0 &&
		    (plen == 0 ? strcmp(rel, "/") == 0
			       : strncmp(rel, u, plen) == 0 && rel[plen] == '\0'))
			return true;
	}
	return false;
}

/* rel matches pattern, in which `*` stands for one whole segment. */
static bool path_matches(const char *pattern, const char *rel)
{
	while (*pattern != '\0' && *rel != '\0') {
		if (*pattern == '*') {
			if (*rel == '/')
				return false;
			while (*rel != '\0' && *rel != '/')
				rel++;
			pattern++;
		} else if (*pattern++ != *rel++) {
			return false;
		}
	}
	return *pattern == '\0' && *rel == '\0';
}

static bool matches_any(char *const *patterns, size_t n, const char *rel)
{
	for (size_t i = 0; i < n; i++)
		if (path_matches(patterns[i], rel))
			return true;
	return false;
}

/* rel is a parent whose data is empty for life (cfg->empty_parents). */
static bool empty_parent(const struct zk_store *s, const char *rel)
{
	return matches_any(s->empty_parents, s->nempty, rel);
}

/* rel never has children (cfg->leaves). */
static bool is_leaf(const struct zk_store *s, const char *rel)
{
	return matches_any(s->leaves, s->nleaves, rel);
}

/* rel's children are named by the layout (cfg->named_children): neither listed nor watched. */
static bool unlisted(const struct zk_store *s, const char *rel)
{
	return matches_any(s->named_parent, s->nnamed, rel);
}

/*
 * Each named child of rel that goes with its sibling `with` (NULL: each made with rel):
 * add(ctx, its path).
 */
static void named_children_of(const struct zk_store *s, const char *rel, const char *with,
			      void (*add)(void *ctx, const char *path), void *ctx)
{
	for (size_t i = 0; i < s->nnamed; i++) {
		const char *w = s->named_with[i];

		if ((w == NULL) == (with == NULL) && (w == NULL || strcmp(w, with) == 0) &&
		    path_matches(s->named_parent[i], rel)) {
			cleanup_free char *child = xasprintf("%s/%s", rel, s->named_name[i]);

			add(ctx, child);
		}
	}
}

/*
 * rel's parent, to free, and (name not NULL) rel's last component; NULL for a child of the
 * root, or a path with no slash (a config's pattern).
 */
static char *parent_of(const char *rel, const char **name)
{
	const char *slash = strrchr(rel, '/');

	if (name != NULL)
		*name = slash ? slash + 1 : rel;
	return slash == NULL || slash == rel ? NULL : xstrndup(rel, (size_t)(slash - rel));
}

/* Each named child that goes with rel, a sibling (a volume's `leases`): add(ctx, its path). */
static void companions_of(const struct zk_store *s, const char *rel,
			  void (*add)(void *ctx, const char *path), void *ctx)
{
	const char *name;
	cleanup_free char *parent = s->nnamed ? parent_of(rel, &name) : NULL;

	if (parent != NULL)
		named_children_of(s, parent, name, add, ctx);
}

#define NAMED_NOT 0    /* listed with its parent's children, as any node */
#define NAMED_ALWAYS 1 /* made with its record, or with its data set (a volume's `leases`) */
#define NAMED_WITH 2   /* goes with a sibling's children (a volume's `holder`) */

/*
 * Whether rel is a named child of its record, and which kind (NAMED_*); with record not
 * NULL, a named child's record path in it, to free.
 */
static int named_kind(const struct zk_store *s, const char *rel, char **record)
{
	const char *name;
	cleanup_free char *parent = s->nnamed ? parent_of(rel, &name) : NULL;

	for (size_t i = 0; parent != NULL && i < s->nnamed; i++)
		if (strcmp(s->named_name[i], name) == 0 &&
		    path_matches(s->named_parent[i], parent)) {
			if (record != NULL)
				*record = steal_pointer(&parent);
			return s->named_with[i] ? NAMED_WITH : NAMED_ALWAYS;
		}
	return NAMED_NOT;
}

/*
 * rel is a named child whose record the mirror no longer has (deleted since the event was
 * queued): reading it is moot, the record's own re-read reads it if the record is back.
 */
static bool named_moot(const struct zk_store *s, const char *rel)
{
	cleanup_free char *record = NULL;

	return named_kind(s, rel, &record) != NAMED_NOT && !zks_mirror_has(s->mirror, record);
}

/*
 * A deleted named child needs no re-read of its own: one that goes with a sibling's children
 * (their watch tells if it comes back), or, while the rule holds, one made with its record
 * (the transaction that makes it again sets the record's data, whose watch tells).
 */
static bool named_told_otherwise(const struct zk_store *s, const char *rel)
{
	int kind = named_kind(s, rel, NULL);

	return kind == NAMED_WITH || (kind == NAMED_ALWAYS && atomic_load(&s->childless_told));
}

/*
 * Child watches (marks in the mirror's nodes).  While a listed parent's child watch is set, the
 * deletion of one of its children fires it too, after the child's own event (ZooKeeper's
 * order): the parent's re-read then comes after the watcher applied the deletion, and
 * reads the child if it was made again (the mirror lacks it), so the child needs no read
 * of its own.  A watch that fired, its re-read maybe in flight, may have shown the child
 * made again while the mirror still had it (known, not read, unwatched): the child is
 * read (ZK_EVENT_REFRESH).  Marks are per session (a new one's watches are its own), on
 * the parent's node in the mirror: a parent not (yet) there is left unmarked, and its
 * children's deletions are read as before.
 * A mark is set by the answer of the read that set the watch, handled on the client's
 * completion thread, where the watcher runs too, in ZooKeeper's order: so the mark is set
 * exactly while the watch is, for every event the watcher is told (every children read is
 * asynchronous for this: refresh_children).
 */
static void kids_watch_set(struct zk_store *s, zhandle_t *zh, const char *rel)
{
	zks_mirror_mark(s->mirror, rel, zoo_client_id(zh)->client_id);
}

/*
 * rel's child watch fired.  A deleted rel needs no call: its node, forgotten next, takes
 * its mark with it (a child of the root's deletion is never told: parent_of).
 */
static void kids_watch_fired(struct zk_store *s, const char *rel)
{
	zks_mirror_mark(s->mirror, rel, 0);
}

/* rel, deleted, is told by its parent's child watch, set in zh's session. */
static bool parent_tells(const struct zk_store *s, zhandle_t *zh, const char *rel)
{
	cleanup_free char *parent = parent_of(rel, NULL);
	int64_t session = parent ? zks_mirror_marked(s->mirror, parent) : 0;

	return session != 0 && session == zoo_client_id(zh)->client_id;
}

static void stat_from_zk(struct zks_stat *out, const struct Stat *st)
{
	out->czxid = st->czxid;
	out->mzxid = st->mzxid;
	out->ctime_ms = st->ctime;
	out->mtime_ms = st->mtime;
	out->owner = st->ephemeralOwner;
	out->version = st->version;
	out->cversion = st->cversion;
	out->num_children = st->numChildren;
}

/* The store's condition variable waits on the monotonic clock. */
static void deadline_after(struct timespec *ts, int64_t ms)
{
	zks_deadline_after(ts, CLOCK_MONOTONIC, ms);
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool is_ambiguous(int rc)
{
	return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED ||
	       rc == ZINVALIDSTATE || rc == ZCLOSING || rc == ZSESSIONMOVED;
}

/* Did ZooKeeper answer the request on our session (an answer, not a lost connection)? */
static bool answered(int rc)
{
	switch (rc) {
	case ZOK:
	case ZNONODE:
	case ZNODEEXISTS:
	case ZBADVERSION:
	case ZNOTEMPTY:
	case ZNOCHILDRENFOREPHEMERALS:
	case ZRUNTIMEINCONSISTENCY:
	case ZNOAUTH:
	case ZINVALIDACL:
	case ZTHROTTLEDOP:
		return true;
	default:
		return false;
	}
}

/* ZooKeeper heard from us at sent_ms at the earliest: the fencing clock moves there. */
static void contact_at(struct zk_store *s, int64_t sent_ms)
{
	int64_t cur = atomic_load(&s->last_contact);

	while (cur < sent_ms && !atomic_compare_exchange_weak(&s->last_contact, &cur, sent_ms))
		;
}

/* A request sent at sent_ms came back with rc: if ZooKeeper answered it, that is contact. */
static void heard(struct zk_store *s, int rc, int64_t sent_ms)
{
	if (answered(rc))
		contact_at(s, sent_ms);
}

/* heard(), for a read the mirror sent (data, children, an exists watch): counted. */
static void heard_read(struct zk_store *s, int rc, int64_t sent_ms)
{
	heard(s, rc, sent_ms);
	if (answered(rc))
		atomic_fetch_add(&s->mirror_reads, 1);
}

static int error_from_rc(struct zks_error *err, int rc, const char *path)
{
	switch (rc) {
	case ZNONODE:
		return zks_error_set(err, ZKS_ERR_NOT_FOUND, "znode `%s` does not exist", path);
	case ZNODEEXISTS:
		return zks_error_set(err, ZKS_ERR_EXISTS, "znode `%s` exists", path);
	case ZBADVERSION:
		return zks_error_set(err, ZKS_ERR_CONFLICT, "znode `%s` was changed concurrently",
				     path);
	case ZNOTEMPTY:
		return zks_error_set(err, ZKS_ERR_NOT_EMPTY, "znode `%s` has children", path);
	case ZNOAUTH:
	case ZINVALIDACL:
	case ZAUTHFAILED:
		return zks_error_set(err, ZKS_ERR_SYSTEM, "ZooKeeper refused access to `%s`: %s",
				     path, zerror(rc));
	default:
		if (is_ambiguous(rc))
			return zks_error_set(err, ZKS_ERR_UNAVAILABLE,
					     "ZooKeeper is unreachable (%s)", zerror(rc));
		return zks_error_set(err, ZKS_ERR_INTERNAL, "ZooKeeper: `%s`: %s", path,
				     zerror(rc));
	}
}

/* ---- ZooKeeper's own log, through ours ----------------------------------------------------- */

static void zk_log_callback(const char *message)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static int64_t last_ms;
	static unsigned suppressed;
	int64_t now = zks_now_ms();
	bool emit;

	/* While ZooKeeper is down the client complains about every attempt: keep one in 10 s. */
	pthread_mutex_lock(&lock);
	emit = last_ms == 0 || now - last_ms >= 10000;
	if (emit) {
		last_ms = now;
		if (suppressed)
			log_info("zookeeper client: (%u similar messages suppressed)", suppressed);
		suppressed = 0;
	} else {
		suppressed++;
	}
	pthread_mutex_unlock(&lock);
	if (emit)
		log_info("zookeeper client: %s", message);
}

static void session_save(struct zk_store *s, const clientid_t *id);
static bool deleting_locked(const struct zk_store *s, const char *rel);

/* ---- the watcher (completion thread: record and queue, never block) ---------------------- */

/*
 * ev may let the worker drop the head event it waits on (covered_later_locked): the same
 * node's children, or the head's parent's.  Over-approximated: a wake too many is harmless.
 */
static bool may_cover_head_locked(const struct zk_store *s, const struct zk_event *ev)
{
	const char *head = s->head->path, *slash = strrchr(head, '/');

	return strcmp(ev->path, head) == 0 ||
	       (slash != NULL && strlen(ev->path) == (size_t)(slash - head) &&
		strncmp(ev->path, head, (size_t)(slash - head)) == 0);
}

/*
 * Queued behind others, an event wakes the worker only if it may cover the head: the
 * worker is then busy, or waits on the head (paced, or for the connection) and would
 * only wait again.
 */
static struct zk_event *queue_event_locked(struct zk_store *s, int type, const char *path)
{
	struct zk_event *ev = xcalloc(1, sizeof(*ev));

	ev->type = type;
	ev->path = xstrdup(path);
	if (s->head == NULL || may_cover_head_locked(s, ev))
		pthread_cond_broadcast(&s->cond);
	if (s->tail)
		s->tail->next = ev;
	else
		s->head = ev;
	s->tail = ev;
	return ev;
}

/* When the change callbacks may next be told: ZK_NOTIFY_GAP_MS after they last were. */
static int64_t notify_due_at_locked(const struct zk_store *s)
{
	return s->notified_at + ZK_NOTIFY_GAP_MS;
}

/* The mirror changed outside the worker: wake it unless it wakes in time to tell the callbacks. */
static void changed_outside_worker_locked(struct zk_store *s)
{
	if (s->waiting_until == 0 || s->waiting_until > notify_due_at_locked(s))
		pthread_cond_broadcast(&s->cond);
}

/*
 * ---- re-reads of our own writes made moot by our own delete ----
 * A node we made (or set) is re-read by the worker for its watches and exact stat.  When the
 * worker is behind (a paced event at the head, a burst), our acknowledged delete of that node
 * often comes first: ZooKeeper applied the delete after the write, so the node is gone, and
 * the re-read would cost a request answered "no node".  It is skipped.  A node made there
 * again since is read all the same: through its parent's child watch (armed, so it fires;
 * or fired, and the parent's re-read is still to come) or through its own re-read.
 */
static int event_path_cmp(const void *a, const void *b)
{
	return strcmp(((const struct zk_event *)a)->path, ((const struct zk_event *)b)->path);
}

/* ev, just queued for our own write, is the latest re-read of its path. */
static void own_reread_add_locked(struct zk_store *s, struct zk_event *ev)
{
	struct zk_event **slot = tsearch(ev, &s->own_rereads, event_path_cmp);

	if (slot == NULL)
		return; /* no memory for the node: the re-read is simply made */
	*slot = ev;	/* replaces an older one of the path, which is then read */
	ev->own = true;
}

/* ev leaves the queue (read now, or dropped): it can no longer be made moot. */
static void own_reread_forget_locked(struct zk_store *s, struct zk_event *ev)
{
	struct zk_event **slot;

	if (!ev->own)
		return;
	ev->own = false;
	slot = tfind(ev, &s->own_rereads, event_path_cmp);
	if (slot != NULL && *slot == ev)
		tdelete(ev, &s->own_rereads, event_path_cmp);
}

/* Our delete of rel was acknowledged: its queued re-read, if any, is moot. */
static void own_reread_moot_locked(struct zk_store *s, const char *rel)
{
	struct zk_event key = {.path = (char *)rel}, **slot, *ev;

	slot = tfind(&key, &s->own_rereads, event_path_cmp);
	if (slot == NULL)
		return;
	ev = *slot;
	ev->moot = true;
	ev->own = false;
	tdelete(ev, &s->own_rereads, event_path_cmp);
}

static void no_free(void *node)
{
	(void)node;
}

/* The session's state changed (the watcher, lock held). */
static void session_event_locked(struct zk_store *s, zhandle_t *zh, int state)
{
	if (state == ZOO_CONNECTED_STATE) {
		const clientid_t *id = zoo_client_id(zh);

		if (id->client_id != s->session_id) {
			s->sessions++;
			s->session_id = id->client_id;
			s->mirror_whole = false;
			session_save(s, id);
			log_info("zookeeper: session 0x%llx established (timeout %d ms)",
				 (unsigned long long)id->client_id, zoo_recv_timeout(zh));
		} else {
			log_info("zookeeper: reconnected, session 0x%llx kept",
				 (unsigned long long)id->client_id);
		}
		s->state = ZKS_CONN_CONNECTED;
		s->connects++;
		s->disconnected_since = 0;
		/*
		 * The handshake's answer, but its send time is unknown, and this event may come
		 * late (the completion thread's queue): count only the handle's making, which was
		 * before.  After a reconnect the resync's first answers count.
		 */
		contact_at(s, s->opened_ms);
		if (s->mirror_whole && !s->unmirrored)
			s->need_catchup = true;
		else
			s->need_resync = true;
	} else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
		if (s->session_id == 0 && state == ZOO_EXPIRED_SESSION_STATE)
			log_info("zookeeper: the session from before the restart has expired; "
				 "starting a new one");
		else
			log_warn("zookeeper: session 0x%llx %s; starting a new one",
				 (unsigned long long)s->session_id,
				 state == ZOO_EXPIRED_SESSION_STATE ? "expired"
								    : "failed authentication");
		s->state = ZKS_CONN_EXPIRED;
		if (s->disconnected_since == 0)
			s->disconnected_since = zks_now_ms();
	} else {
		if (s->state == ZKS_CONN_CONNECTED)
			log_warn("zookeeper: connection lost; reconnecting");
		s->state = ZKS_CONN_CONNECTING;
		if (s->disconnected_since == 0)
			s->disconnected_since = zks_now_ms();
	}
	if (s->state != ZKS_CONN_CONNECTED)
		zks_mirror_set_synced(s->mirror, false);
	pthread_cond_broadcast(&s->cond);
}

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct zk_store *s = ctx;
	const char *rel;

	pthread_mutex_lock(&s->lock);
	if (zh != s->zh_current) {
		pthread_mutex_unlock(&s->lock);
		return; /* an event of a handle we have replaced */
	}
	if (type == ZOO_SESSION_EVENT) {
		session_event_locked(s, zh, state);
	} else if ((rel = rel_path(s, path)) != NULL) {
		if (type == ZOO_CHILD_EVENT)
			kids_watch_fired(s, rel);
		/*
		 * A deleted node may have been made again since: it is read again, unless a
		 * write of ours in flight deletes it (its completion re-reads it if that write
		 * failed, and a node made after our delete is told by its parent's child watch),
		 * or its parent's child watch, set, tells it (kids_watch_set), or it goes with
		 * a sibling's children (a holder: their watch tells if it comes back), or it was
		 * made with its record while the rule holds (the record's data watch tells).
		 */
		if (type != ZOO_DELETED_EVENT) {
			queue_event_locked(s, type, rel);
		} else if (zks_mirror_forget(s->mirror, rel)) {
			changed_outside_worker_locked(s);
			if (parent_tells(s, zh, rel))
				s->deletions_told++;
			else if (!deleting_locked(s, rel) && !named_told_otherwise(s, rel))
				queue_event_locked(s, ZK_EVENT_REFRESH, rel)->deleted = true;
			/* The head's re-read may wait for this deletion (held_for_record_locked). */
			if (s->head != NULL && s->head->hold_until != 0)
				pthread_cond_broadcast(&s->cond);
		}
	}
	pthread_mutex_unlock(&s->lock);
}

/* ---- handle access for request threads ----------------------------------------------------- */

/* Wait up to wait_ms for a connected session; on success handle_lock is read-held. */
static zhandle_t *handle_acquire(struct zk_store *s, int64_t wait_ms, struct zks_error *err)
{
	struct timespec deadline;
	zhandle_t *zh;

	deadline_after(&deadline, wait_ms);
	pthread_mutex_lock(&s->lock);
	while (s->state != ZKS_CONN_CONNECTED && !s->stopping)
		if (pthread_cond_timedwait(&s->cond, &s->lock, &deadline) == ETIMEDOUT)
			break;
	if (s->state != ZKS_CONN_CONNECTED || s->stopping) {
		pthread_mutex_unlock(&s->lock);
		return zks_error_set(err, ZKS_ERR_UNAVAILABLE, "ZooKeeper is unreachable (%s): %s",
				     s->hosts, s->stopping ? "shutting down" : "not connected"),
		       NULL;
	}
	pthread_mutex_unlock(&s->lock);
	pthread_rwlock_rdlock(&s->handle_lock);
	zh = s->zh;
	if (zh == NULL) {
		pthread_rwlock_unlock(&s->handle_lock);
		zks_error_set(err, ZKS_ERR_UNAVAILABLE, "ZooKeeper is unreachable (%s): no session",
			      s->hosts);
	}
	return zh;
}

static void handle_release(struct zk_store *s)
{
	pthread_rwlock_unlock(&s->handle_lock);
}

static int64_t current_session(struct zk_store *s)
{
	int64_t id;

	pthread_mutex_lock(&s->lock);
	id = s->session_id;
	pthread_mutex_unlock(&s->lock);
	return id;
}

/* get_full's first buffer: a node larger takes a second read. */
#define GET_FIRST_CAP 4096

/*
 * zoo_get into a buffer that grows to the node's size; *data is NUL-terminated.  *reads (if
 * not NULL) is set to how many of its reads ZooKeeper answered: 2 or more for a large node.
 */
static int get_full(zhandle_t *zh, const char *path, watcher_fn w, void *wctx, char **data,
		    size_t *len, struct Stat *st, unsigned *reads)
{
	int cap = GET_FIRST_CAP;

	if (reads)
		*reads = 0;
	for (;;) {
		char *buf = xmalloc((size_t)cap + 1);
		int blen = cap;
		int rc = w ? zoo_wget(zh, path, w, wctx, buf, &blen, st)
			   : zoo_get(zh, path, 0, buf, &blen, st);

		if (reads && answered(rc))
			(*reads)++;
		if (rc != ZOK) {
			free(buf);
			return rc;
		}
		/* zoo_get truncates silently: compare with the real size. */
		if (st->dataLength > cap && cap < ZK_MAX_NODE) {
			free(buf);
			cap = st->dataLength > ZK_MAX_NODE ? ZK_MAX_NODE : st->dataLength;
			continue;
		}
		if (blen < 0)
			blen = 0;
		buf[blen] = '\0';
		*data = buf;
		*len = (size_t)blen;
		return ZOK;
	}
}

/* ---- the mirror: fed with the worker's reads (its rules are in mirror.c) ------------------ */

static void mirror_put(struct zk_store *s, const char *rel, const char *data, size_t len,
		       const struct Stat *zst)
{
	struct zks_stat st;

	stat_from_zk(&st, zst);
	zks_mirror_put(s->mirror, rel, data, len, &st);
}

static int refresh_node(struct zk_store *s, zhandle_t *zh, const char *rel);

/*
 * What the worker's reads of one event came to.  READ_AGAIN: its own first read failed with
 * the connection, nothing was changed, and no watch was set: it is read again once
 * connected (the read then sees whatever happened meanwhile, and sets the watch).
 * READ_LOST: a read below it failed, so a node may be in the mirror unwatched.
 */
#define READ_DONE 0
#define READ_GONE 1 /* refresh_data: the node is gone */
#define READ_LOST (-1)
#define READ_AGAIN (-2)
#define READ_AGAIN_MAX 20 /* tries of one event while the session says connected */

static int read_failed(int rc)
{
	return is_ambiguous(rc) ? READ_AGAIN : READ_LOST;
}

/* rel's children are now kids: the mirror drops the gone and visit sees each of kids. */
static int diff_children(struct zk_store *s, const char *rel, const struct String_vector *kids,
			 int (*visit)(void *ctx, const char *child, bool known), void *ctx)
{
	size_t n = kids->count > 0 ? (size_t)kids->count : 0, kept = 0;
	cleanup_free char **names = xcalloc(n + 1, sizeof(*names));
	int r;

	/* An unmirrored subtree (the heartbeats) is neither listed nor read, so never watched. */
	for (size_t i = 0; i < n; i++)
		if (!unmirrored_child(s, rel, kids->data[i]))
			names[kept++] = kids->data[i];
	r = zks_mirror_diff_children(s->mirror, rel, names, kept, visit, ctx);
	return r;
}

struct path_list {
	char **paths;
	size_t n, cap;
};

static void path_list_add(struct path_list *l, const char *path)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->paths = xrealloc(l->paths, l->cap * sizeof(*l->paths));
	}
	l->paths[l->n++] = xstrdup(path);
}

static int read_tree(struct zk_store *s, zhandle_t *zh, const char *under, char **level,
		     size_t nlevel, bool only_new);
static int refresh_children(struct zk_store *s, zhandle_t *zh, const char *rel);

/* ---- named children (cfg->named_children) -------------------------------------------------- */

struct absent_call {
	struct zk_store *s;
	char *rel;
	int64_t sent;
};

static void absent_done(int rc, const struct Stat *st, const void *data)
{
	struct absent_call *ac = (struct absent_call *)data;
	struct zk_store *s = ac->s;

	(void)st;
	heard_read(s, rc, ac->sent);
	pthread_mutex_lock(&s->lock);
	if (rc == ZOK)
		queue_event_locked(s, ZK_EVENT_REFRESH, ac->rel); /* made meanwhile: read it */
	else if (rc != ZNONODE)
		s->mirror_whole = false; /* maybe unwatched: the next sync reads everything */
	pthread_mutex_unlock(&s->lock);
	free(ac->rel);
	free(ac);
}

/*
 * A named child made with its record was not there (a record made by hand, or by a version
 * before that child): its record's children are not watched, so its own creation is, by an
 * exists watch (ZooKeeper sets one on a missing node, unlike a read's).
 */
static void watch_absent(struct zk_store *s, zhandle_t *zh, const char *rel)
{
	struct absent_call *ac = xcalloc(1, sizeof(*ac));
	cleanup_free char *path = abs_path(s, rel);
	int rc;

	ac->s = s;
	ac->rel = xstrdup(rel);
	ac->sent = zks_now_ms();
	rc = zoo_awexists(zh, path, watcher, s, absent_done, ac);
	if (rc != ZOK)
		absent_done(rc, NULL, ac);
}

/*
 * rel, a named child made with its record (a volume's `leases`), was found missing: watched
 * for its creation if the mirror has the record (made by hand or by an old version), unless
 * the rule holds (childless_told: the transaction that makes it sets the record's data,
 * whose watch tells).  A record deleted with it was told before the answer (ZooKeeper's
 * order): no watch is left behind on a path that may never come back.
 */
static void watch_if_lacking(struct zk_store *s, zhandle_t *zh, const char *rel)
{
	cleanup_free char *record = NULL;

	if (!atomic_load(&s->childless_told) && named_kind(s, rel, &record) == NAMED_ALWAYS &&
	    zks_mirror_has(s->mirror, record))
		watch_absent(s, zh, rel);
}

/*
 * Each record of the mirror that lacks the named child i (made with its record) gets an
 * exists watch on it; how many.  Its record's pattern is a parent without `*`, then one `*`
 * segment (checked when the store is made: set_writers).
 */
static size_t watch_missing_named(struct zk_store *s, zhandle_t *zh, size_t i)
{
	cleanup_free char *parent = parent_of(s->named_parent[i], NULL);
	char **names = NULL;
	size_t n = 0, watched = 0;

	if (zks_mirror_children(s->mirror, parent, &names, &n) < 0)
		return 0;
	for (size_t k = 0; k < n; k++) {
		cleanup_free char *child =
			xasprintf("%s/%s/%s", parent, names[k], s->named_name[i]);

		if (!zks_mirror_has(s->mirror, child)) {
			watch_absent(s, zh, child);
			watched++;
		}
	}
	zks_free_strv(names, n);
	return watched;
}

/*
 * The rule stopped holding (a writer of an earlier version registered): the records read
 * while it held, without children, get the exists watch their named children would have had
 * (one made meanwhile is read: absent_done).  Reads after this one follow the rule's absence.
 */
static void worker_absent_pass_locked(struct zk_store *s)
{
	size_t watched = 0;

	s->need_absent_pass = false;
	pthread_mutex_unlock(&s->lock);
	pthread_rwlock_rdlock(&s->handle_lock);
	for (size_t i = 0; s->zh != NULL && i < s->nnamed; i++)
		if (s->named_with[i] == NULL)
			watched += watch_missing_named(s, s->zh, i);
	pthread_rwlock_unlock(&s->handle_lock);
	log_info("mirror: %zu named children watched for their creation", watched);
	pthread_mutex_lock(&s->lock);
}

/*
 * Whether every writer registered under writers keeps the rule, as the mirror shows them
 * now.  One listed but not read yet counts as keeping it until its data is read (then the
 * count of changes moves, and this runs again).
 */
static bool writers_keep_rule(struct zk_store *s)
{
	char **names = NULL;
	size_t n = 0;
	bool keep = true;

	if (zks_mirror_children(s->mirror, s->writers, &names, &n) < 0)
		return true; /* none registered yet */
	for (size_t i = 0; i < n && keep; i++) {
		cleanup_free char *rel = xasprintf("%s/%s", s->writers, names[i]);
		cleanup_free char *data = NULL;
		size_t len = 0;

		if (zks_mirror_get(s->mirror, rel, &data, &len, NULL) == 0)
			keep = s->writer_keeps_rule(data, len);
	}
	zks_free_strv(names, n);
	return keep;
}

/*
 * On the worker, no lock held: childless_told again after the writers' registrations
 * changed; when it stops holding, the absent pass is due.
 */
static void update_childless_told(struct zk_store *s)
{
	const char *const under[] = {s->writers, NULL};
	uint64_t now;
	bool told, was;

	if (s->writers == NULL || (now = zks_mirror_changes(s->mirror, under)) == s->writers_seen)
		return;
	s->writers_seen = now;
	told = writers_keep_rule(s);
	was = atomic_exchange(&s->childless_told, told);
	if (was == told)
		return;
	if (told) {
		log_info("mirror: every writer under %s keeps the layout rule: a record read "
			 "without children is read once",
			 s->writers);
		return;
	}
	log_warn("mirror: a writer under %s does not keep the layout rule (an earlier "
		 "version): records without children are watched for their named children",
		 s->writers);
	pthread_mutex_lock(&s->lock);
	s->need_absent_pass = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

struct lacking {
	struct zk_store *s;
	struct path_list *list;
	size_t had; /* paths the mirror has */
};

/* Add path to the list if the mirror lacks it. */
static void add_if_lacking(void *ctx, const char *path)
{
	struct lacking *l = ctx;

	if (!zks_mirror_has(l->s->mirror, path))
		path_list_add(l->list, path);
	else
		l->had++;
}

/* Out of the mirror: a named child whose sibling has no children cannot be there. */
static void drop_from_mirror(void *ctx, const char *path)
{
	struct zk_store *s = ctx;

	zks_mirror_remove(s->mirror, path);
}

/* Out of the mirror: a named child made with its record, and those that go with it. */
static void drop_with_companions(void *ctx, const char *path)
{
	struct zk_store *s = ctx;

	companions_of(s, path, drop_from_mirror, s);
	zks_mirror_remove(s->mirror, path);
}

/*
 * A record with named children was read (st): with no children while the rule holds, it
 * has none of them (out of the mirror), and nothing more is read for it: true.
 */
static bool childless_record(struct zk_store *s, const char *rel, const struct Stat *st)
{
	if (st->numChildren > 0 || !atomic_load(&s->childless_told))
		return false;
	named_children_of(s, rel, NULL, drop_with_companions, s);
	return true;
}

/*
 * Whether a change of rel's data is most likely the touch that comes with its first named
 * child (refresh_touched): rel is a record with named children, the mirror has it and none
 * of them, and every writer keeps the layout rule.  If so, named holds them (to free).
 */
static bool touch_likely(struct zk_store *s, const char *rel, struct path_list *named)
{
	struct lacking l = {s, named, 0};

	if (!unlisted(s, rel) || !atomic_load(&s->childless_told) ||
	    !zks_mirror_has(s->mirror, rel))
		return false;
	named_children_of(s, rel, NULL, add_if_lacking, &l);
	if (l.had == 0 && named->n > 0)
		return true;
	zks_free_strv(named->paths, named->n);
	*named = (struct path_list){0};
	return false;
}

/*
 * rel's children were read (kids of them): the named children that go with them are read
 * (add: a full resync's, or those the mirror lacks) while there are some, and gone while
 * there are none (a mirror loaded from its file may still show one).
 */
static void companions_after_read(struct zk_store *s, const char *rel, int32_t kids,
				  void (*add)(void *ctx, const char *path), void *ctx)
{
	if (kids > 0)
		companions_of(s, rel, add, ctx);
	else
		companions_of(s, rel, drop_from_mirror, s);
}

/* Re-read a node's data (re-arming the watch); READ_GONE if it is gone.  *out: its stat. */
static int refresh_data(struct zk_store *s, zhandle_t *zh, const char *rel, struct Stat *out)
{
	cleanup_free char *path = abs_path(s, rel);
	cleanup_free char *data = NULL;
	struct Stat st;
	size_t len;
	int64_t sent = zks_now_ms();
	unsigned reads;
	int rc;

	rc = get_full(zh, path, watcher, s, &data, &len, &st, &reads);
	heard(s, rc, sent);
	atomic_fetch_add(&s->mirror_reads, reads);
	if (rc == ZNONODE) {
		zks_mirror_remove(s->mirror, rel);
		return READ_GONE;
	}
	if (rc != ZOK)
		return read_failed(rc);
	mirror_put(s, rel, data, len, &st);
	if (out != NULL)
		*out = st;
	return READ_DONE;
}

/*
 * Re-read a node and what it has gained below.  A leaf's or an ephemeral node's children
 * are neither read nor watched; an empty parent's data is not read (nor watched); a record
 * with named children has those read that the mirror lacks (made again since it was read),
 * unless it has none (childless_record).
 */
static int refresh_node(struct zk_store *s, zhandle_t *zh, const char *rel)
{
	struct Stat st = {0};
	struct path_list named = {0};
	int r;

	if (empty_parent(s, rel))
		return refresh_children(s, zh, rel);
	r = refresh_data(s, zh, rel, &st);
	if (r != READ_DONE)
		return r == READ_GONE ? READ_DONE : r;
	if (unlisted(s, rel)) {
		if (childless_record(s, rel, &st))
			return READ_DONE;
		named_children_of(s, rel, NULL, add_if_lacking, &(struct lacking){s, &named, 0});
		if (named.n == 0)
			return READ_DONE;
		/* New, with all below them (the mirror has nothing under a node it lacks). */
		return read_tree(s, zh, rel, named.paths, named.n, true) == ZOK ? READ_DONE
										: READ_LOST;
	}
	/* Again from the data if the children fail: reading the data twice is harmless. */
	return st.ephemeralOwner != 0 || is_leaf(s, rel) ? READ_DONE : refresh_children(s, zh, rel);
}

/*
 * ---- subtrees read level by level, RESYNC_INFLIGHT reads in flight ----
 * (the full resync, and the new nodes a change reveals: one synchronous read after
 * another took 3.3 s for 10,000 volumes; the completions run on the client's
 * completion thread and only touch the mirror and this batch)
 */
#define RESYNC_INFLIGHT 512

struct resync_batch {
	struct zk_store *s;
	zhandle_t *zh;	 /* handle_lock read-held by the issuer until the batch ends */
	bool only_new;	 /* below the first level, read only children the mirror lacks */
	bool named_sent; /* a record's named children are in its level (refresh_touched) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t inflight;       /* reads sent, not yet answered */
	int64_t slowest;       /* the longest wait for an answer, ms (for the log) */
	_Atomic size_t nread;  /* nodes whose data was read */
	int failed_rc;	       /* ZOK, or the first error */
	struct path_list next; /* the level below, to read next */
};

struct resync_read {
	struct resync_batch *b;
	char *rel;
	int64_t sent;
};

static void batch_init(struct resync_batch *b, struct zk_store *s, zhandle_t *zh, bool only_new)
{
	*b = (struct resync_batch){.s = s, .zh = zh, .only_new = only_new, .failed_rc = ZOK};
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
}

/* Wait until every read sent is answered. */
static void batch_drain(struct resync_batch *b)
{
	pthread_mutex_lock(&b->lock);
	while (b->inflight > 0)
		pthread_cond_wait(&b->cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
}

static void batch_destroy(struct resync_batch *b)
{
	zks_free_strv(b->next.paths, b->next.n);
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
}

static struct resync_read *resync_read_new(struct resync_batch *b, const char *rel)
{
	struct resync_read *rd = xcalloc(1, sizeof(*rd));

	rd->b = b;
	rd->rel = xstrdup(rel);
	rd->sent = zks_now_ms();
	return rd;
}

static void resync_read_done(struct resync_read *rd, int rc)
{
	struct resync_batch *b = rd->b;
	int64_t now = zks_now_ms();

	heard_read(b->s, rc, rd->sent);
	pthread_mutex_lock(&b->lock);
	if (rc != ZOK && rc != ZNONODE && b->failed_rc == ZOK)
		b->failed_rc = rc;
	if (now - rd->sent > b->slowest)
		b->slowest = now - rd->sent;
	b->inflight--;
	/* The issuer waits for room down to half, or for the level's end: not every reply. */
	if (b->inflight == 0 || b->inflight == RESYNC_INFLIGHT / 2)
		pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	free(rd->rel);
	free(rd);
}

static int resync_queue_child(void *ctx, const char *child, bool known)
{
	struct resync_batch *b = ctx;

	if (known && b->only_new)
		return 0;
	pthread_mutex_lock(&b->lock);
	path_list_add(&b->next, child);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

/*
 * A named child of a node read: queued for the level below, as a listed child would be
 * (whether the mirror has it matters only to a read of what is new).
 */
static void resync_queue_named(void *ctx, const char *path)
{
	struct resync_batch *b = ctx;

	resync_queue_child(b, path, b->only_new && zks_mirror_has(b->s->mirror, path));
}

static void resync_children_done(int rc, const struct String_vector *kids, const struct Stat *st,
				 const void *data)
{
	struct resync_read *rd = (struct resync_read *)data;
	struct zk_store *s = rd->b->s;

	if (rc == ZOK) {
		/* An empty parent is read by this call alone: its stat comes with it. */
		if (empty_parent(s, rd->rel)) {
			mirror_put(s, rd->rel, "", 0, st);
			atomic_fetch_add(&rd->b->nread, 1);
		}
		kids_watch_set(s, rd->b->zh, rd->rel);
		diff_children(s, rd->rel, kids, resync_queue_child, rd->b);
		companions_after_read(s, rd->rel, kids->count, resync_queue_named, rd->b);
	} else if (rc == ZNONODE) {
		zks_mirror_remove(s->mirror, rd->rel); /* gone (an empty parent: its only read) */
	}
	if (rc == ZNONODE)
		watch_if_lacking(s, rd->b->zh, rd->rel);
	resync_read_done(rd, rc);
}

/* Send the (watched) read of rel's children; its slot is reserved (b->inflight). */
static void resync_send_children(struct resync_batch *b, const char *path, const char *rel)
{
	struct resync_read *rd = resync_read_new(b, rel);
	int rc = zoo_awget_children2(b->zh, path, watcher, b->s, resync_children_done, rd);

	if (rc != ZOK)
		resync_read_done(rd, rc);
}

static void resync_data_done(int rc, const char *value, int value_len, const struct Stat *st,
			     const void *data)
{
	struct resync_read *rd = (struct resync_read *)data;

	if (rc == ZOK) {
		mirror_put(rd->b->s, rd->rel, value ? value : "",
			   value_len > 0 ? (size_t)value_len : 0, st);
		atomic_fetch_add(&rd->b->nread, 1);
		/* Its named children (it has no children read): in the level below, unless sent
		 * with it (refresh_touched). */
		if (unlisted(rd->b->s, rd->rel) && !childless_record(rd->b->s, rd->rel, st) &&
		    !rd->b->named_sent)
			named_children_of(rd->b->s, rd->rel, NULL, resync_queue_named, rd->b);
	} else if (rc == ZNONODE) {
		zks_mirror_remove(rd->b->s->mirror, rd->rel);
	}
	resync_read_done(rd, rc);
}

/*
 * Issue the reads of rel, waiting for room: its data and its children (both watched, sent
 * together: one round trip per level); a leaf's data alone, as a record's with named
 * children (they are read in the level below); an empty parent's children and stat in one
 * read.
 */
static void resync_issue(struct resync_batch *b, const char *rel)
{
	bool data = !empty_parent(b->s, rel),
	     children = !is_leaf(b->s, rel) && !unlisted(b->s, rel);
	size_t slots = (size_t)data + (size_t)children;
	cleanup_free char *path = abs_path(b->s, rel);

	pthread_mutex_lock(&b->lock);
	while (b->inflight + slots > RESYNC_INFLIGHT)
		pthread_cond_wait(&b->cond, &b->lock);
	b->inflight += slots;
	pthread_mutex_unlock(&b->lock);
	if (data) {
		struct resync_read *rd = resync_read_new(b, rel);
		int rc = zoo_awget(b->zh, path, watcher, b->s, resync_data_done, rd);

		if (rc != ZOK)
			resync_read_done(rd, rc);
	}
	if (children)
		resync_send_children(b, path, rel);
}

/* The first few of paths, space separated, into out (cut at its size); how many. */
static size_t name_some(char *out, size_t cap, char *const *paths, size_t n)
{
	size_t at = 0, i;

	for (i = 0; i < n && i < 3 && at + 1 < cap; i++) {
		int w = snprintf(out + at, cap - at, "%s%s", i ? " " : "", paths[i]);

		at = w < 0 || (size_t)w >= cap - at ? cap - 1 : at + (size_t)w;
	}
	return i;
}

/*
 * Read the nodes of level (taken: freed here) and everything below them into the
 * mirror, level by level: every child (the resync) or, with only_new, the children the
 * mirror lacks.  0 or a ZooKeeper error code.
 */
static int read_tree(struct zk_store *s, zhandle_t *zh, const char *under, char **level,
		     size_t nlevel, bool only_new)
{
	int64_t t0 = zks_now_ms();
	struct resync_batch b;
	/* what a change revealed, named in the debug line (bench/scale_probe.py times it) */
	char named[512] = "";
	size_t nnamed = 0, nlevel0 = nlevel;
	int rc;

	if (only_new && zks_log_enabled(ZKS_LOG_DEBUG))
		nnamed = name_some(named, sizeof(named), level, nlevel);

	batch_init(&b, s, zh, only_new);
	while (nlevel > 0) {
		for (size_t i = 0; i < nlevel && b.failed_rc == ZOK; i++)
			resync_issue(&b, level[i]);
		batch_drain(&b);
		zks_free_strv(level, nlevel);
		level = b.next.paths, nlevel = b.next.n;
		memset(&b.next, 0, sizeof(b.next));
		if (b.failed_rc != ZOK)
			break;
	}
	zks_free_strv(level, nlevel);
	rc = b.failed_rc;
	if (nnamed > 0)
		log_debug(
			"mirror: %zu new nodes under %s read in %lld ms (slowest answer %lld ms)%s: "
			"%s%s",
			atomic_load(&b.nread), under, (long long)(zks_now_ms() - t0),
			(long long)b.slowest, rc == ZOK ? "" : " (cut short)", named,
			nlevel0 > nnamed ? " and more" : "");
	else
		log_debug("mirror: %zu nodes under %s read in %lld ms (slowest answer %lld ms)%s",
			  atomic_load(&b.nread), under, (long long)(zks_now_ms() - t0),
			  (long long)b.slowest, rc == ZOK ? "" : " (cut short)");
	batch_destroy(&b);
	return rc;
}

/*
 * The first level's reads sent (batch b, for rel): wait for them, then read what they found
 * new below (and the named children that go with it); destroys b.  READ_*: READ_AGAIN or
 * READ_LOST as the first level failed (it changed nothing a retry would not read again).
 */
static int batch_finish(struct resync_batch *b, const char *rel)
{
	int zrc, result;

	batch_drain(b);
	zrc = b->failed_rc;
	if (zrc == ZOK && b->next.n > 0) {
		result = read_tree(b->s, b->zh, rel, b->next.paths, b->next.n, true) == ZOK
				 ? READ_DONE
				 : READ_LOST;
		memset(&b->next, 0, sizeof(b->next)); /* read_tree took it */
	} else {
		result = zrc == ZOK ? READ_DONE : read_failed(zrc);
	}
	batch_destroy(b);
	return result;
}

/*
 * Re-read a node's children (re-arming the watch), drop the gone, fetch the new with
 * everything below them, pipelined (a change may reveal thousands of new volumes).
 *
 * The worker waits for the read, but sends it asynchronously: its answer is then handled
 * on the client's completion thread (resync_children_done) after every event ZooKeeper
 * sent before it, so the diff sees their deletions applied, and the mark (kids_watch_set)
 * is set in its place among the events.  A synchronous read's answer is handed over by the
 * IO thread, ahead of events still queued (docs/ZOOKEEPER.md §1.3): a child deleted and
 * made again before the read was still in the mirror, so not read, and its deletion, told
 * after the mark, was taken as told by the watch this read had set: the mirror lacked the
 * new child until its parent's next change (test_two_nodes, one transaction).
 */
static int refresh_children(struct zk_store *s, zhandle_t *zh, const char *rel)
{
	cleanup_free char *path = abs_path(s, rel);
	struct resync_batch b;

	batch_init(&b, s, zh, true);
	b.inflight = 1;
	resync_send_children(&b, path, rel);
	return batch_finish(&b, rel);
}

/*
 * A record changed that the mirror holds none of the named children of (made with it), while
 * every writer keeps the layout rule: most likely touched as its first child was made (a
 * volume's first lease).  Those children (named: taken) are read together with it: the lease
 * comes in two round trips, not three (the record, `leases`, the lease).  A change that was
 * no touch costs each of them a read answered "no node", which leaves no watch.
 */
static int refresh_touched(struct zk_store *s, zhandle_t *zh, const char *rel,
			   struct path_list *named)
{
	struct resync_batch b;

	batch_init(&b, s, zh, true);
	b.named_sent = true;
	resync_issue(&b, rel);
	for (size_t i = 0; i < named->n; i++)
		resync_issue(&b, named->paths[i]);
	zks_free_strv(named->paths, named->n);
	return batch_finish(&b, rel);
}

/* Read the whole tree under the root into the mirror; 0 or a ZooKeeper error code. */
static int resync_tree(struct zk_store *s, zhandle_t *zh)
{
	char **root = xcalloc(2, sizeof(*root));

	root[0] = xstrdup("/");
	return read_tree(s, zh, "/", root, 1, false);
}

/* One event's reads: READ_DONE, READ_AGAIN or READ_LOST. */
static int process_event(struct zk_store *s, const struct zk_event *ev)
{
	zhandle_t *zh;
	int r = READ_DONE;

	/*
	 * Deletions were applied by the watcher, which queued a re-read (ZK_EVENT_REFRESH):
	 * the node may have been made again since, and the re-read of its parent, queued
	 * before, may already have seen it there (known, so not read, so no watch left on it).
	 */
	pthread_rwlock_rdlock(&s->handle_lock);
	zh = s->zh;
	if (zh == NULL) {
		r = READ_AGAIN; /* a new handle is a new session: its resync drops the queue */
	} else if (named_moot(s, ev->path)) {
		r = READ_DONE;
	} else if (ev->type == ZOO_CHILD_EVENT) {
		r = refresh_children(s, zh, ev->path);
	} else if (ev->type == ZK_EVENT_REFRESH) {
		r = refresh_node(s, zh, ev->path);
	} else if (ev->type == ZOO_CHANGED_EVENT || ev->type == ZOO_CREATED_EVENT) {
		/*
		 * Read whole: an empty parent (not data-watched; a created one), and a record with
		 * named children (its first one comes with its data set: childless_record).
		 */
		struct path_list named = {0};

		if (ev->type == ZOO_CHANGED_EVENT && touch_likely(s, ev->path, &named))
			r = refresh_touched(s, zh, ev->path, &named);
		else if (empty_parent(s, ev->path) || unlisted(s, ev->path))
			r = refresh_node(s, zh, ev->path);
		else if ((r = refresh_data(s, zh, ev->path, NULL)) == READ_GONE)
			r = READ_DONE;
	}
	pthread_rwlock_unlock(&s->handle_lock);
	return r;
}

/* ---- the session on disk: a restart within the timeout keeps it, and with it our leases ---- */

static void session_save(struct zk_store *s, const clientid_t *id)
{
	char text[128], hex[33];
	struct zks_error err;

	if (s->session_file == NULL)
		return;
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)id->passwd[i]);
	snprintf(text, sizeof(text), "%llx %s\n", (unsigned long long)id->client_id, hex);
	if (zks_write_file_atomic(s->session_file, text, strlen(text), &err) < 0)
		log_warn("zookeeper: cannot save the session: %s", err.msg);
}

static bool session_load(struct zk_store *s, clientid_t *id)
{
	cleanup_free char *text = NULL;
	unsigned long long sid;
	char hex[33];

	if (s->session_file == NULL || zks_read_file(s->session_file, 256, &text, NULL, NULL) < 0)
		return false;
	if (sscanf(text, "%llx %32s", &sid, hex) != 2 || strlen(hex) != 32)
		return false;
	memset(id, 0, sizeof(*id));
	id->client_id = (int64_t)sid;
	for (int i = 0; i < 16; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return false;
		id->passwd[i] = (char)v;
	}
	return true;
}

/* ---- our own clock of contact with ZooKeeper (for self-fencing) -------------------------- */

struct probe_call {
	struct zk_store *s;
	int64_t sent;
	int64_t sent_us; /* for the round trip's figure (zks_store_status.probe_rtt_us) */
};

static void probe_done(int rc, const struct Stat *st, const void *data)
{
	struct probe_call *pc = (struct probe_call *)data;

	(void)st;
	heard(pc->s, rc, pc->sent);
	if (answered(rc))
		atomic_store(&pc->s->probe_rtt_us, zks_now_us() - pc->sent_us);
	free(pc);
}

/*
 * Every third of the session timeout, between the worker's steps, a round trip.
 * ZooKeeper expires our session no earlier than a timeout after it last heard from us,
 * which is no earlier than the send time of the latest request it answered (every
 * reply counts, on any thread); counting on our leases only until two thirds of a
 * timeout after that keeps a third of it as margin.
 */
static void probe(struct zk_store *s)
{
	int64_t now = zks_now_ms();
	struct probe_call *pc;

	pthread_mutex_lock(&s->lock);
	if (s->state != ZKS_CONN_CONNECTED || now - s->last_probe < s->timeout_ms / 3) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	s->last_probe = now;
	pthread_mutex_unlock(&s->lock);
	pc = xcalloc(1, sizeof(*pc));
	pc->s = s;
	pc->sent = now;
	pc->sent_us = zks_now_us();
	pthread_rwlock_rdlock(&s->handle_lock);
	if (s->zh == NULL || zoo_aexists(s->zh, s->root, 0, probe_done, pc) != ZOK)
		free(pc);
	pthread_rwlock_unlock(&s->handle_lock);
}

static bool fenced_locked(const struct zk_store *s, int64_t now)
{
	return now - atomic_load(&s->last_contact) > s->timeout_ms * 2 / 3;
}

/* ---- the worker ---------------------------------------------------------------------------- */

static void close_handle(struct zk_store *s)
{
	zhandle_t *old;

	pthread_rwlock_wrlock(&s->handle_lock);
	pthread_mutex_lock(&s->lock);
	old = s->zh;
	s->zh = NULL;
	s->zh_current = NULL;
	pthread_mutex_unlock(&s->lock);
	if (old != NULL)
		zookeeper_close(old);
	pthread_rwlock_unlock(&s->handle_lock);
}

static void open_handle(struct zk_store *s)
{
	clientid_t saved;
	bool resume;
	zhandle_t *zh;

	close_handle(s);
	/* Only the first handle tries the saved session: after an expiry we start afresh. */
	resume = !s->resume_tried && session_load(s, &saved);
	s->resume_tried = true;
	if (resume)
		log_info("zookeeper: resuming session 0x%llx from before the restart",
			 (unsigned long long)saved.client_id);
	pthread_rwlock_wrlock(&s->handle_lock);
	/* Hold the lock across init so the first session event sees zh_current set. */
	pthread_mutex_lock(&s->lock);
	s->opened_ms = zks_now_ms();
	zh = zookeeper_init2(s->hosts, watcher, s->timeout_ms, resume ? &saved : NULL, s,
			     ZOO_NO_LOG_CLIENTENV, zk_log_callback);
	if (zh == NULL) {
		log_error("zookeeper: cannot start a client for `%s`: %s", s->hosts,
			  strerror(errno));
	} else {
		if (s->auth != NULL &&
		    zoo_add_auth(zh, "digest", s->auth, (int)strlen(s->auth), NULL, NULL) != ZOK)
			log_error("zookeeper: cannot add the digest credentials");
		/*
		 * By default the client resolves ZK_HOSTS again every time it polls its socket
		 * (a getaddrinfo, with a netlink dump of the addresses, per reply): profiled as
		 * the IO thread's largest cost.  Changes in DNS are still seen within this
		 * window, and a lost connection resolves at once.
		 */
		zoo_set_servers_resolution_delay(zh, ZK_RESOLVE_DELAY_MS);
		s->zh = zh;
		s->zh_current = zh;
		s->state = ZKS_CONN_CONNECTING;
		if (s->disconnected_since == 0)
			s->disconnected_since = zks_now_ms();
	}
	pthread_mutex_unlock(&s->lock);
	pthread_rwlock_unlock(&s->handle_lock);
}

/* Create the root's ancestors, the root and the skeleton; existing nodes are fine. */
static int bootstrap(struct zk_store *s, zhandle_t *zh)
{
	cleanup_free char *root = xstrdup(s->root);
	int rc;

	for (char *p = root + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;

			*p = '\0';
			rc = zoo_create(zh, root, NULL, -1, s->acl, 0, NULL, 0);
			if (rc != ZOK && rc != ZNODEEXISTS)
				goto fail;
			*p = saved;
			if (saved == '\0')
				break;
		}
	}
	for (size_t i = 0; i < s->nskeleton; i++) {
		cleanup_free char *path = abs_path(s, s->skeleton[i]);

		rc = zoo_create(zh, path, NULL, -1, s->acl, 0, NULL, 0);
		if (rc != ZOK && rc != ZNODEEXISTS)
			goto fail;
	}
	return 0;
fail:
	log_warn("zookeeper: cannot create `%s`: %s", s->root, zerror(rc));
	return -1;
}

static bool resync(struct zk_store *s)
{
	bool ok = false;
	int64_t t0 = zks_now_ms();
	size_t count;

	pthread_rwlock_rdlock(&s->handle_lock);
	if (s->zh != NULL && bootstrap(s, s->zh) == 0)
		ok = s->unmirrored || resync_tree(s, s->zh) == ZOK;
	pthread_rwlock_unlock(&s->handle_lock);
	if (!ok || s->unmirrored)
		return ok;
	zks_mirror_set_synced(s->mirror, true);
	count = zks_mirror_count(s->mirror);
	log_info("mirror: synced %zu nodes from ZooKeeper in %lld ms", count,
		 (long long)(zks_now_ms() - t0));
	return true;
}

/*
 * Tell each change callback if its subtrees changed since it was last told (a volume's
 * lease need not wake the network reconciler, whose pass lists the kernel's links); false
 * if nothing changed at all.
 */
static bool notify_changes(struct zk_store *s)
{
	struct change_cb cbs[ZK_MAX_CALLBACKS];
	bool due[ZK_MAX_CALLBACKS];
	uint64_t now = zks_mirror_changes(s->mirror, NULL);
	size_t n;

	if (now == s->notify_seen)
		return false;
	s->notify_seen = now;
	pthread_mutex_lock(&s->lock);
	n = s->nchanges;
	memcpy(cbs, s->changes, n * sizeof(*cbs));
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		now = zks_mirror_changes(s->mirror, cbs[i].under);
		due[i] = now != cbs[i].seen;
		cbs[i].seen = now;
	}
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < n; i++)
		s->changes[i].seen = cbs[i].seen;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n; i++)
		if (due[i])
			cbs[i].fn(cbs[i].ctx);
	return true;
}

/*
 * The worker waits on the condition for up to ms, less if the change callbacks fall due
 * sooner (the mirror changed since they were last told).
 */
static void worker_wait_locked(struct zk_store *s, int64_t ms)
{
	struct timespec deadline;
	int64_t now = zks_now_ms();

	if (zks_mirror_changes(s->mirror, NULL) != s->notify_seen &&
	    notify_due_at_locked(s) - now < ms)
		ms = notify_due_at_locked(s) - now;
	if (ms <= 0)
		return;
	s->waiting_until = now + ms;
	deadline_after(&deadline, ms);
	pthread_cond_timedwait(&s->cond, &s->lock, &deadline);
	s->waiting_until = 0;
}

/* Our own clock: a cut-off client learns of its expiry only when it reconnects. */
static void fence_log_locked(struct zk_store *s)
{
	if (fenced_locked(s, zks_now_ms())) {
		if (!s->fence_logged)
			log_warn(
				"zookeeper: cut off for over 2/3 of the session timeout; this node no "
				"longer counts on its single-node leases and refuses new mounts");
		s->fence_logged = true;
	} else if (s->fence_logged) {
		log_info("zookeeper: connected again; leases are being re-established");
		s->fence_logged = false;
	}
}

/* Run the session callbacks (lock held; released while they run). */
static void run_session_callbacks_locked(struct zk_store *s)
{
	int64_t session = s->session_id;
	struct session_cb cbs[ZK_MAX_CALLBACKS];
	size_t ncbs = s->ncallbacks;

	memcpy(cbs, s->callbacks, sizeof(cbs));
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < ncbs; i++)
		cbs[i].fn(cbs[i].ctx, session);
	pthread_mutex_lock(&s->lock);
}

static void drop_events_locked(struct zk_store *s)
{
	s->read_again = 0;
	tdestroy(s->own_rereads, no_free);
	s->own_rereads = NULL;
	while (s->head != NULL) {
		struct zk_event *ev = s->head;

		s->head = ev->next;
		free(ev->path);
		free(ev);
	}
	s->tail = NULL;
}

/*
 * A new session, a reconnect after a failed read, or a new callback: read the whole tree,
 * then run the session callbacks.  The events queued so far are older than its reads.
 */
static void worker_resync_locked(struct zk_store *s)
{
	bool ok;

	s->need_resync = false;
	s->need_catchup = false;
	s->mirror_whole = false;
	s->catchup_token++; /* a catch-up's marker still to come counts for nothing */
	drop_events_locked(s);
	zks_mirror_marks_clear(s->mirror); /* the resync marks the child watches it sets */
	pthread_mutex_unlock(&s->lock);
	zks_mirror_step_begin(s->mirror);
	ok = resync(s);
	if (!ok)
		sleep_ms(500);
	pthread_mutex_lock(&s->lock);
	if (ok) {
		s->resyncs++;
		/* A read of an event queued meanwhile may have failed: it said so (need_resync). */
		s->mirror_whole = !s->need_resync;
		run_session_callbacks_locked(s);
	} else if (s->state == ZKS_CONN_CONNECTED) {
		s->need_resync = true;
	}
}

struct catchup_call {
	struct zk_store *s;
	uint64_t token;
	int64_t sent;
};

/*
 * The catch-up's read answered (completion thread).  ZooKeeper answered the re-sent
 * watches first, and the client delivered their events before this: all are queued.
 */
static void catchup_done(int rc, const struct Stat *st, const void *data)
{
	struct catchup_call *cc = (struct catchup_call *)data;
	struct zk_store *s = cc->s;

	(void)st;
	heard_read(s, rc, cc->sent);
	pthread_mutex_lock(&s->lock);
	if (cc->token == s->catchup_token) {
		if (rc == ZOK) {
			queue_event_locked(s, ZK_EVENT_CAUGHT_UP, "/");
			s->tail->token = cc->token;
		} else if (!is_ambiguous(rc) && rc != ZCLOSING && rc != ZINVALIDSTATE) {
			/* The root itself is gone, or worse: read it all again. */
			s->mirror_whole = false;
			s->need_resync = true;
			pthread_cond_broadcast(&s->cond);
		}
		/* A connection lost again: the next reconnect begins another catch-up. */
	}
	pthread_mutex_unlock(&s->lock);
	free(cc);
}

/*
 * A reconnect with the session kept and the mirror whole: one read of the root, queued
 * behind the client's SetWatches; its answer queues the marker after the events of every
 * watched node that changed since the last zxid seen (docs/ZOOKEEPER.md §1.7).  When the
 * worker reaches the marker, having read those events, the mirror is synced again.
 */
static void worker_catchup_locked(struct zk_store *s)
{
	struct catchup_call *cc = xcalloc(1, sizeof(*cc));
	int rc = ZINVALIDSTATE;

	s->need_catchup = false;
	cc->s = s;
	cc->token = ++s->catchup_token;
	cc->sent = zks_now_ms();
	s->catchup_t0 = cc->sent;
	s->catchup_events0 = s->events_done;
	pthread_mutex_unlock(&s->lock);
	pthread_rwlock_rdlock(&s->handle_lock);
	if (s->zh != NULL)
		rc = zoo_aexists(s->zh, s->root, 0, catchup_done, cc); /* a setting: fixed */
	pthread_rwlock_unlock(&s->handle_lock);
	pthread_mutex_lock(&s->lock);
	if (rc != ZOK) {
		free(cc);
		s->mirror_whole = false;
		if (s->state == ZKS_CONN_CONNECTED)
			s->need_resync = true;
	}
}

/* The catch-up's marker: the mirror is synced again, as after a resync. */
static void worker_caught_up_locked(struct zk_store *s, uint64_t token)
{
	if (token != s->catchup_token || s->state != ZKS_CONN_CONNECTED || !s->mirror_whole ||
	    s->need_resync)
		return;
	zks_mirror_set_synced(s->mirror, true);
	s->catchups++;
	log_info("mirror: caught up after reconnecting: %llu changes read in %lld ms (session "
		 "0x%llx kept)",
		 (unsigned long long)(s->events_done - s->catchup_events0),
		 (long long)(zks_now_ms() - s->catchup_t0), (unsigned long long)s->session_id);
	run_session_callbacks_locked(s);
}

/*
 * A re-read of a deleted node (ZK_EVENT_REFRESH, the node no longer in the mirror) or of a
 * node's children is covered by a later event that re-reads its parent's children, or the
 * same children: those reads see whatever is there by then, and read a node made again (the
 * mirror lacks it) with its watches.  Only the next ZK_COALESCE_SCAN events are looked at.
 */
static bool covered_later_locked(const struct zk_store *s, const struct zk_event *ev)
{
	cleanup_free char *parent = NULL;
	const char *want = ev->path;
	size_t seen = 0;

	if (ev->type == ZK_EVENT_REFRESH) {
		if (zks_mirror_has(s->mirror, ev->path) ||
		    (parent = parent_of(ev->path, NULL)) == NULL)
			return false;
		want = parent;
	} else if (ev->type != ZOO_CHILD_EVENT) {
		return false;
	}
	for (const struct zk_event *e = ev->next; e != NULL && seen < ZK_COALESCE_SCAN;
	     e = e->next, seen++)
		if ((e->type == ZOO_CHILD_EVENT || e->type == ZK_EVENT_REFRESH) &&
		    strcmp(e->path, want) == 0)
			return true;
	return false;
}

/*
 * Pacing: rel's slot, or a new one (taking that of the parent read longest ago) that lets
 * the read start at once.  ZooKeeper's watches fire once, so while a read waits its turn
 * the changes of a burst gather into the one event (or into later ones, which
 * covered_later_locked skips).
 */
static struct paced_read *paced_slot_locked(struct zk_store *s, const char *rel)
{
	struct paced_read *pick = &s->paced[0];

	for (size_t i = 0; i < ZK_PACE_SLOTS; i++) {
		struct paced_read *p = &s->paced[i];

		if (p->path != NULL && strcmp(p->path, rel) == 0)
			return p;
		if (p->path == NULL) {
			pick = p;
			break;
		}
		if (p->at < pick->at)
			pick = p;
	}
	free(pick->path);
	*pick = (struct paced_read){.path = xstrdup(rel), .at = 0, .pace = s->pace_ms};
	return pick;
}

/*
 * rel's children are read again now.  An event that waited came within the pace: the
 * burst goes on, and the pace doubles up to pace_max_ms; one that did not came after a
 * quiet pace, which sets it back.
 */
static void paced_read_now(struct zk_store *s, struct paced_read *p, bool waited, int64_t now)
{
	p->pace =
		waited ? (p->pace > s->pace_max_ms / 2 ? s->pace_max_ms : p->pace * 2) : s->pace_ms;
	p->at = now;
}

/*
 * A watched deletion of a named child made with its record (a volume's `leases`) is re-read
 * while the mirror still has the record (it may have been made again).  Most often the
 * record goes in the same transaction, and its deletion is told next: the child's re-read
 * is then moot (named_moot).  So the re-read waits at the head for that, up to pace_ms:
 * the watcher wakes the worker as it applies a deletion.  True while it waits.
 */
static bool held_for_record_locked(struct zk_store *s, struct zk_event *ev)
{
	cleanup_free char *record = NULL;
	int64_t now;

	if (!ev->deleted || s->pace_ms == 0 || named_kind(s, ev->path, &record) != NAMED_ALWAYS ||
	    !zks_mirror_has(s->mirror, record))
		return false;
	now = zks_now_ms();
	if (ev->hold_until == 0)
		ev->hold_until = now + s->pace_ms;
	if (ev->hold_until <= now)
		return false;
	worker_wait_locked(s, ev->hold_until - now);
	return true;
}

/* The oldest queued event, as one step of the mirror. */
static void worker_event_locked(struct zk_store *s)
{
	struct zk_event *ev = s->head;
	bool read = false;
	int r = READ_DONE;

	own_reread_forget_locked(s, ev);
	if (ev->type == ZK_EVENT_CAUGHT_UP) {
		worker_caught_up_locked(s, ev->token);
	} else if (ev->moot) {
		s->moot_rereads++;
	} else if (held_for_record_locked(s, ev)) {
		return; /* kept at the head */
	} else if (!covered_later_locked(s, ev)) {
		if (ev->type == ZOO_CHILD_EVENT && s->pace_ms > 0) {
			struct paced_read *p = paced_slot_locked(s, ev->path);
			int64_t now = zks_now_ms(), until = p->at + p->pace;

			if (until > now) { /* kept at the head; a later event may cover it */
				s->paced_events += !ev->paced;
				ev->paced = true;
				worker_wait_locked(s, until - now);
				return;
			}
			paced_read_now(s, p, ev->paced, now);
		}
		if (ev->type == ZOO_CHILD_EVENT)
			s->child_reads++;
		pthread_mutex_unlock(&s->lock);
		zks_mirror_step_begin(s->mirror);
		r = process_event(s, ev);
		pthread_mutex_lock(&s->lock);
		read = true;
	}
	if (r == READ_AGAIN && ++s->read_again < READ_AGAIN_MAX) {
		/* Kept at the head until connected again (the session event wakes us). */
		worker_wait_locked(s, 50);
		return;
	}
	s->read_again = 0;
	if (read)
		s->events_done++;
	/* Taken off only now: what was queued meanwhile went behind it. */
	s->head = ev->next;
	if (s->head == NULL)
		s->tail = NULL;
	if (r != READ_DONE) {
		if (s->mirror_whole)
			log_info("mirror: a read failed; the whole tree will be read again");
		s->mirror_whole = false;
		s->need_resync = true;
	}
	free(ev->path);
	free(ev);
}

/* One step of the worker, entered and left with lock held; false if there was none to do. */
static bool worker_step_locked(struct zk_store *s)
{
	if (s->zh_current == NULL || s->state == ZKS_CONN_EXPIRED) {
		/* No tight loop when the client cannot even be created (no handle after a try). */
		bool init_failed = s->zh_current == NULL && s->resume_tried;

		pthread_mutex_unlock(&s->lock);
		if (init_failed)
			sleep_ms(1000);
		open_handle(s);
		pthread_mutex_lock(&s->lock);
		return true;
	}
	if (s->state != ZKS_CONN_CONNECTED)
		goto idle; /* events wait for the connection: their reads would fail */
	if (s->need_resync) {
		worker_resync_locked(s);
		return true;
	}
	if (s->need_catchup) {
		worker_catchup_locked(s);
		return true;
	}
	if (s->need_absent_pass) {
		worker_absent_pass_locked(s);
		return true;
	}
	if (s->head != NULL) {
		worker_event_locked(s);
		return true;
	}
idle:
	if (zks_mirror_save_in_ms(s->mirror) == 0) {
		pthread_mutex_unlock(&s->lock);
		zks_mirror_save(s->mirror);
		pthread_mutex_lock(&s->lock);
		return true;
	}
	return false;
}

static void *worker_main(void *arg)
{
	struct zk_store *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		int64_t idle_ms = s->timeout_ms / 6 < 1000 ? s->timeout_ms / 6 : 1000, save_ms;
		int64_t now = zks_now_ms();
		bool tell = now >= notify_due_at_locked(s), told;

		pthread_mutex_unlock(&s->lock);
		told = tell && notify_changes(s);
		update_childless_told(s);
		probe(s);
		pthread_mutex_lock(&s->lock);
		if (told)
			s->notified_at = now;
		if (s->stopping)
			break;
		fence_log_locked(s);
		if (worker_step_locked(s))
			continue;
		/* Idle: wake to probe, or when the mirror's file is due to be saved. */
		save_ms = zks_mirror_save_in_ms(s->mirror);
		worker_wait_locked(s, save_ms >= 0 && save_ms < idle_ms ? save_ms : idle_ms);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/*
 * An acknowledged write goes into the mirror at once (zks_mirror_apply_write: a node whose
 * parent the mirror lacks is not put), called by its completion after the events ZooKeeper
 * sent before it (see the top of this file); the worker re-reads what it created or
 * changed, for the watches and the exact stat, or the whole subtree the mirror lacks,
 * unless a delete of ours makes that re-read moot first (own_reread_moot_locked).
 */
static void apply_write(struct zk_store *s, const struct zks_op *ops, size_t n,
			const struct Stat *stats)
{
	struct zks_stat set_stats[ZK_MAX_OPS] = {0};
	struct zks_op kept[ZK_MAX_OPS];
	char **reread;
	size_t nkept = 0;

	if (s->unmirrored)
		return;
	/* A write into an unmirrored subtree (a beat) is neither put nor read again. */
	for (size_t i = 0; i < n; i++) {
		if (unmirrored_path(s, ops[i].path))
			continue;
		if (ops[i].type == ZKS_OP_SET)
			stat_from_zk(&set_stats[nkept], &stats[i]);
		kept[nkept++] = ops[i];
	}
	if (nkept == 0)
		return;
	n = nkept;
	reread = zks_mirror_apply_write(s->mirror, kept, n, set_stats, current_session(s),
					zks_wall_ms());
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		if (reread[i] != NULL)
			own_reread_add_locked(s,
					      queue_event_locked(s, ZK_EVENT_REFRESH, reread[i]));
		else if (kept[i].type == ZKS_OP_DELETE)
			own_reread_moot_locked(s, kept[i].path);
	}
	changed_outside_worker_locked(s); /* the worker tells the change callbacks */
	pthread_mutex_unlock(&s->lock);
	zks_free_strv(reread, n);
}

/*
 * A write verified by reading back after a lost connection: those reads are not ordered
 * with the watch events, so nothing is put; the worker reads every written path again.
 */
static void reread_write(struct zk_store *s, const struct zks_op *ops, size_t n)
{
	if (s->unmirrored)
		return;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < n; i++)
		if (ops[i].type != ZKS_OP_CHECK && !unmirrored_path(s, ops[i].path))
			queue_event_locked(s, ZK_EVENT_REFRESH, ops[i].path);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* ---- writes ---------------------------------------------------------------------------------- */

/* 1: every step's effect is visible; 0: the write was not applied; -1: cannot tell now. */
static int verify_applied(struct zk_store *s, zhandle_t *zh, const struct zks_op *ops, size_t n)
{
	int64_t session = current_session(s);

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *path = abs_path(s, ops[i].path);
		cleanup_free char *data = NULL;
		struct Stat st;
		size_t len;
		int rc;

		if (ops[i].type == ZKS_OP_CHECK)
			continue;
		rc = get_full(zh, path, NULL, NULL, &data, &len, &st, NULL);
		if (is_ambiguous(rc))
			return -1;
		if (ops[i].type == ZKS_OP_DELETE) {
			if (rc != ZNONODE)
				return 0;
			continue;
		}
		if (rc != ZOK)
			return 0;
		if (len != ops[i].len || (len && memcmp(data, ops[i].data, len) != 0))
			return 0;
		if (ops[i].type == ZKS_OP_CREATE && ops[i].kind == ZKS_EPHEMERAL &&
		    st.ephemeralOwner != session)
			return 0;
	}
	return 1;
}

/*
 * One transaction sent asynchronously: its completion runs on the client's completion
 * thread after every watch event ZooKeeper sent before the reply, and applies an
 * acknowledged write to the mirror there, in that order (see the top of this file).
 */
struct multi_call {
	struct multi_call *next; /* in zk_store.writing */
	int64_t sent;
	struct zk_store *s;
	const struct zks_op *ops;
	size_t n;
	const struct Stat *stats;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int rc;
};

/* Does a write in flight delete rel? */
static bool deleting_locked(const struct zk_store *s, const char *rel)
{
	for (const struct multi_call *mc = s->writing; mc != NULL; mc = mc->next)
		for (size_t i = 0; i < mc->n; i++)
			if (mc->ops[i].type == ZKS_OP_DELETE && !strcmp(mc->ops[i].path, rel))
				return true;
	return false;
}

/* The write is answered (rc): no longer in flight; if it failed, what it would have
 * deleted is read again (the watcher may have skipped a deletion by another client). */
static void multi_settle(struct multi_call *mc, int rc)
{
	struct zk_store *s = mc->s;

	pthread_mutex_lock(&s->lock);
	for (struct multi_call **p = &s->writing; *p != NULL; p = &(*p)->next)
		if (*p == mc) {
			*p = mc->next;
			break;
		}
	for (size_t i = 0; rc != ZOK && i < mc->n; i++)
		if (mc->ops[i].type == ZKS_OP_DELETE)
			queue_event_locked(s, ZK_EVENT_REFRESH, mc->ops[i].path);
	pthread_mutex_unlock(&s->lock);
}

static void multi_done(int rc, const void *data)
{
	struct multi_call *mc = (struct multi_call *)data;

	heard(mc->s, rc, mc->sent);
	multi_settle(mc, rc);
	if (rc == ZOK)
		apply_write(mc->s, mc->ops, mc->n, mc->stats);
	pthread_mutex_lock(&mc->lock);
	mc->rc = rc;
	mc->done = true;
	pthread_cond_signal(&mc->cond);
	pthread_mutex_unlock(&mc->lock);
}

/* zoo_multi, with the completion above; results are filled as zoo_multi fills them. */
static int multi_ordered(struct zk_store *s, zhandle_t *zh, const struct zks_op *ops, size_t n,
			 const zoo_op_t *zops, zoo_op_result_t *results, const struct Stat *stats)
{
	struct multi_call mc = {.s = s, .ops = ops, .n = n, .stats = stats};
	int rc;

	pthread_mutex_init(&mc.lock, NULL);
	pthread_cond_init(&mc.cond, NULL);
	pthread_mutex_lock(&s->lock);
	mc.next = s->writing;
	s->writing = &mc;
	pthread_mutex_unlock(&s->lock);
	mc.sent = zks_now_ms();
	rc = zoo_amulti(zh, (int)n, zops, results, multi_done, &mc);
	if (rc != ZOK) {
		multi_settle(&mc, rc); /* not sent: no completion will come */
	} else {
		/* The client answers every request it took, at the latest when the connection is lost. */
		pthread_mutex_lock(&mc.lock);
		while (!mc.done)
			pthread_cond_wait(&mc.cond, &mc.lock);
		rc = mc.rc;
		pthread_mutex_unlock(&mc.lock);
	}
	pthread_cond_destroy(&mc.cond);
	pthread_mutex_destroy(&mc.lock);
	return rc;
}

/* A transaction in the client's terms: its steps (paths made absolute) and their results. */
struct zk_txn {
	const struct zks_op *ops;
	size_t n;
	bool ambiguous; /* the last try lost its answer: verify it before sending again */
	zoo_op_t zops[ZK_MAX_OPS];
	zoo_op_result_t results[ZK_MAX_OPS];
	struct Stat stats[ZK_MAX_OPS];
	char *paths[ZK_MAX_OPS];
};

static int txn_check(const struct zks_op *ops, size_t n, struct zks_error *err)
{
	size_t total = 0;

	if (n > ZK_MAX_OPS)
		return zks_error_set(err, ZKS_ERR_INTERNAL, "transaction of %zu steps is too large",
				     n);
	for (size_t i = 0; i < n; i++)
		total += ops[i].len + strlen(ops[i].path) + 64;
	if (total > ZK_MAX_WRITE)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "record of %zu bytes is too large for ZooKeeper", total);
	return 0;
}

static void txn_init(struct zk_store *s, struct zk_txn *t, const struct zks_op *ops, size_t n)
{
	t->ops = ops;
	t->n = n;
	t->ambiguous = false;
	for (size_t i = 0; i < n; i++) {
		const struct zks_op *op = &ops[i];
		int len = op->data ? (int)op->len : -1;

		t->paths[i] = abs_path(s, op->path);
		switch (op->type) {
		case ZKS_OP_CREATE:
			zoo_create_op_init(&t->zops[i], t->paths[i], op->data, len, s->acl,
					   op->kind == ZKS_EPHEMERAL ? ZOO_EPHEMERAL : 0, NULL, 0);
			break;
		case ZKS_OP_SET:
			zoo_set_op_init(&t->zops[i], t->paths[i], op->data, len, op->version,
					&t->stats[i]);
			break;
		case ZKS_OP_DELETE:
			zoo_delete_op_init(&t->zops[i], t->paths[i], op->version);
			break;
		case ZKS_OP_CHECK:
			zoo_check_op_init(&t->zops[i], t->paths[i], op->version);
			break;
		}
	}
}

static void txn_fini(struct zk_txn *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->paths[i]);
}

/* A definite refusal: name the step that failed. */
static int txn_refused(const struct zk_txn *t, int rc, struct zks_error *err)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->results[i].err != ZOK && t->results[i].err != ZRUNTIMEINCONSISTENCY)
			return error_from_rc(err, t->results[i].err, t->ops[i].path);
	return error_from_rc(err, rc, t->ops[0].path);
}

enum txn_outcome { TXN_APPLIED, TXN_VERIFIED, TXN_AGAIN, TXN_FAILED };

/*
 * One try: after a lost answer, first read back whether the last try was applied; else
 * send it.  TXN_VERIFIED: applied, seen by reading back (not ordered with the events).
 */
static enum txn_outcome txn_try(struct zk_store *s, struct zk_txn *t, int attempt, int64_t wait_ms,
				struct zks_error *err)
{
	zhandle_t *zh = handle_acquire(s, t->ambiguous ? wait_ms : s->fail_fast_ms, err);
	int rc;

	if (zh == NULL)
		return t->ambiguous ? TXN_AGAIN : TXN_FAILED; /* the caller's deadline reports it */
	if (t->ambiguous) {
		int v = verify_applied(s, zh, t->ops, t->n);

		if (v != 0) {
			handle_release(s);
			if (v > 0) {
				log_debug("zookeeper: an interrupted write was applied after all");
				return TXN_VERIFIED;
			}
			sleep_ms(50);
			return TXN_AGAIN;
		}
		t->ambiguous = false; /* not applied: safe to send again */
	}
	memset(t->results, 0, sizeof(t->results));
	rc = multi_ordered(s, zh, t->ops, t->n, t->zops, t->results, t->stats);
	handle_release(s);
	if (rc == ZOK)
		return TXN_APPLIED;
	if (is_ambiguous(rc)) {
		log_info("zookeeper: write interrupted (%s); verifying it", zerror(rc));
		t->ambiguous = true;
		return TXN_AGAIN;
	}
	if (rc == ZTHROTTLEDOP) {
		sleep_ms(20 << (attempt < 5 ? attempt : 5));
		return TXN_AGAIN;
	}
	txn_refused(t, rc, err);
	return TXN_FAILED;
}

static int zk_multi(struct zks_store *base, const struct zks_op *ops, size_t n,
		    struct zks_error *err)
{
	struct zk_store *s = (struct zk_store *)base;
	cleanup_free struct zk_txn *t = NULL;
	int64_t deadline = zks_now_ms() + s->timeout_ms + s->fail_fast_ms;
	enum txn_outcome out = TXN_FAILED;

	if (n == 0)
		return 0;
	if (txn_check(ops, n, err) < 0)
		return -1;
	t = xcalloc(1, sizeof(*t)); /* ZK_MAX_OPS of each array: too big for a stack */
	txn_init(s, t, ops, n);
	for (int attempt = 0;; attempt++) {
		int64_t now = zks_now_ms();

		if (attempt > 0 && now >= deadline) {
			if (t->ambiguous)
				zks_error_set(
					err, ZKS_ERR_UNAVAILABLE,
					"lost the connection to ZooKeeper during the change and could "
					"not reconnect in %d ms; the change may or may not have been "
					"applied, retry it",
					s->timeout_ms);
			else
				zks_error_set(err, ZKS_ERR_UNAVAILABLE,
					      "ZooKeeper did not accept the change in %d ms",
					      s->timeout_ms);
			out = TXN_FAILED;
			break;
		}
		out = txn_try(s, t, attempt, deadline - now, err);
		if (out != TXN_AGAIN)
			break;
	}
	txn_fini(t);
	if (out == TXN_VERIFIED)
		reread_write(s, ops, n);
	return out == TXN_APPLIED || out == TXN_VERIFIED ? 0 : -1;
}

/* ---- authoritative reads --------------------------------------------------------------------- */

static int zk_read(struct zk_store *s, const char *rel, char **data, size_t *len,
		   struct zks_stat *st, char ***names, size_t *n, struct zks_error *err)
{
	cleanup_free char *path = abs_path(s, rel);

	for (int attempt = 0; attempt < 3; attempt++) {
		zhandle_t *zh = handle_acquire(s, attempt ? s->timeout_ms : s->fail_fast_ms, err);
		int64_t sent = zks_now_ms();
		int rc;

		if (zh == NULL)
			return -1;
		if (names) {
			struct String_vector kids = {0};

			rc = zoo_get_children(zh, path, 0, &kids);
			if (rc == ZOK) {
				*names = xcalloc((size_t)kids.count + 1, sizeof(char *));
				for (int32_t i = 0; i < kids.count; i++)
					(*names)[i] = xstrdup(kids.data[i]);
				*n = (size_t)kids.count;
				deallocate_String_vector(&kids);
			}
		} else {
			char *buf = NULL;
			size_t blen = 0;
			struct Stat zst;

			rc = get_full(zh, path, NULL, NULL, &buf, &blen, &zst, NULL);
			if (rc == ZOK) {
				if (st)
					stat_from_zk(st, &zst);
				if (len)
					*len = blen;
				if (data)
					*data = buf;
				else
					free(buf);
			}
		}
		handle_release(s);
		heard(s, rc, sent);
		if (rc == ZOK)
			return 0;
		if (!is_ambiguous(rc))
			return error_from_rc(err, rc, rel);
	}
	return zks_error_set(err, ZKS_ERR_UNAVAILABLE, "ZooKeeper is unreachable (%s)", s->hosts);
}

static int zk_get(struct zks_store *s, const char *path, char **data, size_t *len,
		  struct zks_stat *st, struct zks_error *err)
{
	return zk_read((struct zk_store *)s, path, data, len, st, NULL, NULL, err);
}

static int zk_children(struct zks_store *s, const char *path, char ***names, size_t *n,
		       struct zks_error *err)
{
	return zk_read((struct zk_store *)s, path, NULL, NULL, NULL, names, n, err);
}

static int zk_cached_get(struct zks_store *base, const char *path, char **data, size_t *len,
			 struct zks_stat *st)
{
	struct zk_store *s = (struct zk_store *)base;

	return zks_mirror_get(s->mirror, path, data, len, st);
}

static int zk_cached_children(struct zks_store *base, const char *path, char ***names, size_t *n)
{
	struct zk_store *s = (struct zk_store *)base;

	return zks_mirror_children(s->mirror, path, names, n);
}

static void zk_status(struct zks_store *base, struct zks_store_status *out)
{
	struct zk_store *s = (struct zk_store *)base;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	out->state = s->state;
	out->session_id = s->state == ZKS_CONN_CONNECTED ? s->session_id : 0;
	out->disconnected_ms = s->disconnected_since ? zks_now_ms() - s->disconnected_since : 0;
	out->silent_ms = zks_now_ms() - atomic_load(&s->last_contact);
	out->probe_rtt_us = atomic_load(&s->probe_rtt_us);
	out->fenced = fenced_locked(s, zks_now_ms());
	out->sessions = s->sessions;
	out->connects = s->connects;
	out->resyncs = s->resyncs;
	out->catchups = s->catchups;
	out->child_reads = s->child_reads;
	out->moot = s->moot_rereads;
	out->told = s->deletions_told;
	out->reads = atomic_load(&s->mirror_reads);
	out->paced = s->paced_events;
	pthread_mutex_unlock(&s->lock);
	out->mirror_synced = zks_mirror_synced(s->mirror);
	out->mirror_nodes = zks_mirror_count(s->mirror);
}

/*
 * A service whose callback were dropped would never hear of a change (the DNS server's did
 * once, when a fifth service came): the table grows with the services, or this says so.
 */
static _Noreturn void too_many_callbacks(const char *kind)
{
	log_error("store: more than %d %s callbacks; raise ZK_MAX_CALLBACKS", ZK_MAX_CALLBACKS,
		  kind);
	abort();
}

static void zk_on_session(struct zks_store *base, zks_session_fn fn, void *ctx)
{
	struct zk_store *s = (struct zk_store *)base;

	pthread_mutex_lock(&s->lock);
	if (s->ncallbacks == ZK_MAX_CALLBACKS)
		too_many_callbacks("session");
	s->callbacks[s->ncallbacks].fn = fn;
	s->callbacks[s->ncallbacks].ctx = ctx;
	s->ncallbacks++;
	/* A session that is already up gets the new callback through one more resync. */
	if (s->state == ZKS_CONN_CONNECTED)
		s->need_resync = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void zk_on_change(struct zks_store *base, const char *const *under, zks_change_fn fn,
			 void *ctx)
{
	struct zk_store *s = (struct zk_store *)base;

	pthread_mutex_lock(&s->lock);
	if (s->nchanges == ZK_MAX_CALLBACKS)
		too_many_callbacks("change");
	s->changes[s->nchanges] = (struct change_cb){.fn = fn, .ctx = ctx, .under = under};
	s->nchanges++;
	pthread_mutex_unlock(&s->lock);
}

static void free_store(struct zk_store *s);

/*
 * After it, no callback runs: the worker (which runs them all) is joined, and the client's
 * threads too (zookeeper_close joins them), so the services the callbacks point into may
 * be freed.  Requests fail as UNAVAILABLE from the moment it begins; cached reads answer.
 */
static void zk_stop(struct zks_store *base)
{
	struct zk_store *s = (struct zk_store *)base;

	if (s->stopped)
		return;
	s->stopped = true;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->worker, NULL);
	/* A clean close ends the session: our ephemerals go at once, and nothing is to resume. */
	close_handle(s);
	if (s->session_file != NULL)
		unlink(s->session_file);
	if (zks_mirror_dirty(s->mirror))
		zks_mirror_save(s->mirror);
}

static void zk_destroy(struct zks_store *base)
{
	zk_stop(base);
	free_store((struct zk_store *)base);
}

/* Free what zks_store_zk_new allocated; the worker and the handle are gone by now. */
static void free_store(struct zk_store *s)
{
	drop_events_locked(s); /* alone now: no lock needed */
	zks_mirror_free(s->mirror);
	zks_free_strv(s->skeleton, s->nskeleton);
	zks_free_strv(s->unmirrored_subtrees, s->nunmirrored);
	zks_free_strv(s->empty_parents, s->nempty);
	zks_free_strv(s->leaves, s->nleaves);
	zks_free_strv(s->named_with, s->nnamed); /* NULL entries too */
	free(s->writers);
	zks_free_strv(s->named_parent, s->nnamed);
	zks_free_strv(s->named_name, s->nnamed);
	for (size_t i = 0; i < ZK_PACE_SLOTS; i++)
		free(s->paced[i].path);
	free(s->session_file);
	if (s->auth != NULL)
		explicit_bzero(s->auth, strlen(s->auth));
	free(s->auth);
	free(s->root);
	free(s->hosts);
	pthread_rwlock_destroy(&s->handle_lock);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

static const struct zks_store_ops zk_ops = {
	.multi = zk_multi,
	.get = zk_get,
	.children = zk_children,
	.cached_get = zk_cached_get,
	.cached_children = zk_cached_children,
	.status = zk_status,
	.on_session = zk_on_session,
	.on_change = zk_on_change,
	.stop = zk_stop,
	.destroy = zk_destroy,
};

/*
 * cfg->writers, if the records of every named child made with its record have a pattern the
 * absent pass can list (a parent without `*`, then one `*` segment).  The rule is taken to
 * hold until the worker has read the writers' registrations from the mirror (loaded from its
 * file, or as the resync brings them: update_childless_told; a pass makes up if not).
 */
static void set_writers(struct zk_store *s, const struct zks_zk_config *cfg)
{
	if (cfg->writers == NULL || cfg->writer_keeps_rule == NULL)
		return;
	for (size_t i = 0; i < s->nnamed; i++) {
		const char *last;
		cleanup_free char *parent = parent_of(s->named_parent[i], &last);

		if (s->named_with[i] == NULL &&
		    (parent == NULL || strchr(parent, '*') != NULL || strcmp(last, "*") != 0)) {
			log_warn("zookeeper: named children of `%s` cannot be listed: the layout "
				 "rule is not relied on",
				 s->named_parent[i]);
			return;
		}
	}
	s->writers = xstrdup(cfg->writers);
	s->writer_keeps_rule = cfg->writer_keeps_rule;
	s->writers_seen = UINT64_MAX; /* the worker's first turn reads them */
	atomic_store(&s->childless_told, true);
}

struct zks_store *zks_store_zk_new(const struct zks_zk_config *cfg, struct zks_error *err)
{
	struct zk_store *s;
	if (cfg->root == NULL || !zks_tree_path_valid(cfg->root) || strcmp(cfg->root, "/") == 0)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "ZK_ROOT `%s` must be an absolute path such as /zkswarm",
				     cfg->root ? cfg->root : ""),
		       NULL;
	if (cfg->hosts == NULL || cfg->hosts[0] == '\0' || strchr(cfg->hosts, '/') != NULL)
		return zks_error_set(
			       err, ZKS_ERR_INVALID,
			       "ZK_HOSTS `%s` must be a comma list of host:port (use ZK_ROOT for "
			       "the path)",
			       cfg->hosts ? cfg->hosts : ""),
		       NULL;
	s = xcalloc(1, sizeof(*s));
	s->base.ops = &zk_ops;
	s->hosts = xstrdup(cfg->hosts);
	s->root = xstrdup(cfg->root);
	s->timeout_ms = cfg->session_timeout_ms > 0 ? cfg->session_timeout_ms : 10000;
	s->fail_fast_ms = s->timeout_ms / 4 < 1000 ? s->timeout_ms / 4 : 1000;
	s->session_file = cfg->session_file ? xstrdup(cfg->session_file) : NULL;
	s->auth = cfg->auth ? xstrdup(cfg->auth) : NULL;
	s->acl = s->auth ? &ZOO_CREATOR_ALL_ACL : &ZOO_OPEN_ACL_UNSAFE;
	s->unmirrored = cfg->unmirrored;
	s->pace_ms = cfg->mirror_pace_ms > 0 ? cfg->mirror_pace_ms : 0;
	s->pace_max_ms =
		cfg->mirror_pace_max_ms > s->pace_ms ? cfg->mirror_pace_max_ms : s->pace_ms;
	for (const char *const *p = cfg->skeleton; p && *p; p++) {
		s->skeleton = xrealloc(s->skeleton, (s->nskeleton + 1) * sizeof(char *));
		s->skeleton[s->nskeleton++] = xstrdup(*p);
	}
	for (const char *const *p = cfg->unmirrored_subtrees; p && *p; p++) {
		s->unmirrored_subtrees =
			xrealloc(s->unmirrored_subtrees, (s->nunmirrored + 1) * sizeof(char *));
		s->unmirrored_subtrees[s->nunmirrored++] = xstrdup(*p);
	}
	for (const char *const *p = cfg->empty_parents; p && *p; p++) {
		s->empty_parents = xrealloc(s->empty_parents, (s->nempty + 1) * sizeof(char *));
		s->empty_parents[s->nempty++] = xstrdup(*p);
	}
	for (const char *const *p = cfg->leaves; p && *p; p++) {
		s->leaves = xrealloc(s->leaves, (s->nleaves + 1) * sizeof(char *));
		s->leaves[s->nleaves++] = xstrdup(*p);
	}
	for (const struct zks_named_child *c = cfg->named_children; c && c->path; c++) {
		const char *name;
		char *parent = parent_of(c->path, &name);
		size_t n = s->nnamed + 1;

		if (parent == NULL)
			continue; /* a child of the root is listed like any */
		s->named_parent = xrealloc(s->named_parent, n * sizeof(char *));
		s->named_name = xrealloc(s->named_name, n * sizeof(char *));
		s->named_with = xrealloc(s->named_with, n * sizeof(char *));
		s->named_parent[s->nnamed] = parent;
		s->named_name[s->nnamed] = xstrdup(name);
		s->named_with[s->nnamed] = c->with ? xstrdup(c->with) : NULL;
		s->nnamed++;
	}
	set_writers(s, cfg);
	pthread_rwlock_init(&s->handle_lock, NULL);
	pthread_mutex_init(&s->lock, NULL);
	zks_cond_init_monotonic(&s->cond);
	s->mirror = zks_mirror_new(cfg->mirror_file);
	s->state = ZKS_CONN_CONNECTING;
	s->disconnected_since = zks_now_ms();
	atomic_init(&s->probe_rtt_us, -1);
	atomic_init(&s->last_contact,
		    s->disconnected_since); /* no lease before the first session */
	zks_mirror_load(s->mirror);
	zoo_set_debug_level(zks_log_enabled(ZKS_LOG_DEBUG) ? ZOO_LOG_LEVEL_INFO
							   : ZOO_LOG_LEVEL_WARN);
	if (pthread_create(&s->worker, NULL, worker_main, s) != 0) {
		free_store(s);
		return zks_error_set(err, ZKS_ERR_SYSTEM, "cannot start the ZooKeeper thread"),
		       NULL;
	}
	return &s->base;
}
