/*
 * naming.c - the naming service (naming.h): this node's endpoints' names in
 * ZooKeeper, learnt from the engine's events on threads of its own.
 *
 * Two threads.  The events thread connects to the engine (backing off from
 * 1 s to retry_max_ms while it does not answer), follows its event stream,
 * and queues the IDs of the containers the events name; a (re)started stream
 * queues a full reconcile.  The worker takes the queue, asks the engine about
 * each container and writes the records (zks_naming_apply/forget), and runs
 * zks_naming_check after each mirror change, each new session and each
 * second while something is left to retry.
 *
 * The table of what this node registered belongs to the worker alone (and to
 * tests that drive the steps without threads); the lock guards only the
 * queue and the flags that the other threads and the store's callbacks set.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zkswarm/log.h"
#include "zkswarm/naming.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define QUEUE_MAX 1024
#define RETRY_MS 1000

enum entry_state {
	ENTRY_WRITE,  /* to be written */
	ENTRY_OK,     /* written, and the mirror had it at the last check */
	ENTRY_REMOVE, /* to be removed, then dropped */
};

/* One name record of this node's. */
struct entry {
	char *key, *endpoint, *container;
	char *path;
	char *data; /* the record as last built */
	enum entry_state state;
};

struct zks_naming {
	struct zks_store *store;
	char *node_id;
	char *engine_socket;
	int64_t reconcile_ms, retry_max_ms;
	struct zks_plugin_name *plugin_name; /* the worker learns it; NULL: not asked */
	char *mountinfo;
	bool name_settled; /* the worker's: learned, or not to be learned */

	/* The worker's. */
	struct entry *v;
	size_t n;

	pthread_mutex_t lock; /* a leaf: guards what follows */
	pthread_cond_t wake;
	char *queue[QUEUE_MAX]; /* container IDs, each once */
	size_t nqueue;
	bool reconcile; /* list every container (the stream started, a session began) */
	bool changed;	/* the mirror changed */
	atomic_bool stopping;
	bool started;
	pthread_t events_thread, worker_thread;
};

/* ---- the table -------------------------------------------------------------------------------- */

static void entry_clear(struct entry *e)
{
	free(e->key);
	free(e->endpoint);
	free(e->container);
	free(e->path);
	free(e->data);
}

static struct entry *entry_find(struct zks_naming *n, const char *endpoint)
{
	for (size_t i = 0; i < n->n; i++)
		if (strcmp(n->v[i].endpoint, endpoint) == 0)
			return &n->v[i];
	return NULL;
}

/* Drop the entries in state REMOVE whose record is gone. */
static void entries_compact(struct zks_naming *n, const bool *dropped)
{
	size_t w = 0;

	for (size_t i = 0; i < n->n; i++) {
		if (dropped[i]) {
			entry_clear(&n->v[i]);
			continue;
		}
		n->v[w++] = n->v[i];
	}
	n->n = w;
}

/* ---- writing and removing records ------------------------------------------------------------- */

static bool mirror_has(struct zks_naming *n, const char *path)
{
	cleanup_free char *data = NULL;

	return store_cached_get(n->store, path, &data, NULL, NULL) == 0;
}

/* The record, as ephemeral of this session: created, or set if it is there already. */
static int record_write(struct zks_naming *n, struct entry *e, struct zks_error *err)
{
	cleanup_free char *parent = zks_path_names(e->key);
	size_t len = strlen(e->data);

	for (int attempt = 0; attempt < 2; attempt++) {
		if (store_create(n->store, parent, "", 0, ZKS_PERSISTENT, err) < 0 &&
		    err->code != ZKS_ERR_EXISTS)
			return -1;
		if (store_create(n->store, e->path, e->data, len, ZKS_EPHEMERAL, err) == 0)
			return 0;
		if (err->code == ZKS_ERR_EXISTS)
			return store_set(n->store, e->path, e->data, len, -1, err);
		if (err->code != ZKS_ERR_NOT_FOUND)
			return -1;
		/* The reaper took the empty parent between the two creates: once more. */
	}
	return -1;
}

/* Write or remove what e's state asks; returns whether it is done (false: retry). */
static bool entry_settle(struct zks_naming *n, struct entry *e, bool *dropped)
{
	struct zks_error err = {0};

	*dropped = false;
	if (e->state == ENTRY_OK)
		return true;
	if (e->state == ENTRY_WRITE) {
		if (record_write(n, e, &err) < 0) {
			log_warn("naming: cannot register the name of endpoint %.12s: %s",
				 e->endpoint, err.msg);
			return false;
		}
		log_debug("naming: registered %s", e->path);
		e->state = ENTRY_OK;
		return true;
	}
	if (store_remove(n->store, e->path, -1, &err) < 0 && err.code != ZKS_ERR_NOT_FOUND) {
		log_warn("naming: cannot remove %s: %s", e->path, err.msg);
		return false;
	}
	log_debug("naming: removed %s", e->path);
	*dropped = true;
	return true;
}

/* Settle every entry; the number left to retry. */
static int entries_settle(struct zks_naming *n)
{
	cleanup_free bool *dropped = xcalloc(n->n + 1, sizeof(*dropped));
	int left = 0;

	for (size_t i = 0; i < n->n; i++)
		if (!entry_settle(n, &n->v[i], &dropped[i]))
			left++;
	entries_compact(n, dropped);
	return left;
}

/* ---- what inspect says, as records ------------------------------------------------------------ */

/*
 * The key of the zkswarm network that endpoint belongs to, if its record is there and names
 * this node; its address is copied.  NULL for another driver's endpoint.
 */
static char *endpoint_key(struct zks_naming *n, const char *endpoint, char address[ZKS_CIDR_STR])
{
	char **keys = NULL;
	size_t nkeys = 0;
	char *found = NULL;

	if (store_cached_children(n->store, ZKS_NETWORKS, &keys, &nkeys) < 0)
		return NULL;
	for (size_t i = 0; i < nkeys && found == NULL; i++) {
		cleanup_free char *path = zks_path_network_endpoint(keys[i], endpoint);
		cleanup_free char *data = NULL;
		struct zks_record_endpoint ep;

		if (store_cached_get(n->store, path, &data, NULL, NULL) < 0 ||
		    zks_record_endpoint_decode(data, &ep, NULL) < 0 || strcmp(ep.node, n->node_id))
			continue;
		memcpy(address, ep.address, ZKS_CIDR_STR);
		found = xstrdup(keys[i]);
	}
	zks_free_strv(keys, nkeys);
	return found;
}

static char *record_build(struct zks_naming *n, const struct zks_engine_container *c,
			  const struct zks_engine_attachment *a, char *address)
{
	char now[32];
	struct zks_record_name rec = {
		.name = c->name,
		.aliases = a->aliases,
		.naliases = a->naliases,
		.hostname = c->hostname,
		.container = c->id,
		.endpoint = a->endpoint_id,
		.network = a->network_id,
		.network_name = a->network,
		.address = address,
		.node = n->node_id,
		.service = c->service,
		.service_id = c->service_id,
		.task = c->task,
		.ports = c->ports,
		.nports = c->nports,
		.updated_at = now,
	};

	zks_rfc3339_now(now);
	return zks_record_name_encode(&rec);
}

/* Whether two records differ in more than the time they were built. */
static bool record_differs(const char *a, const char *b)
{
	struct zks_record_name ra, rb;
	char *ta, *tb;
	bool differs = true;

	if (zks_record_name_decode(a, &ra, NULL) < 0)
		return true;
	if (zks_record_name_decode(b, &rb, NULL) == 0) {
		free(ra.updated_at);
		free(rb.updated_at);
		ra.updated_at = rb.updated_at = NULL;
		ta = zks_record_name_encode(&ra);
		tb = zks_record_name_encode(&rb);
		differs = strcmp(ta, tb) != 0;
		free(ta);
		free(tb);
		zks_record_name_clear(&rb);
	}
	zks_record_name_clear(&ra);
	return differs;
}

/* Take the record of one attachment into the table (to write if new or changed). */
static void want(struct zks_naming *n, const struct zks_engine_container *c,
		 const struct zks_engine_attachment *a, const char *key, char *address)
{
	struct entry *e = entry_find(n, a->endpoint_id);
	char *data = record_build(n, c, a, address);

	if (e != NULL && e->state != ENTRY_REMOVE && !record_differs(e->data, data)) {
		free(data);
		return;
	}
	if (e == NULL) {
		n->v = xrealloc(n->v, (n->n + 1) * sizeof(*n->v));
		e = &n->v[n->n++];
		*e = (struct entry){
			.key = xstrdup(key),
			.endpoint = xstrdup(a->endpoint_id),
			.container = xstrdup(c->id),
			.path = zks_path_name(key, a->endpoint_id),
		};
	}
	free(e->data);
	e->data = data;
	e->state = ENTRY_WRITE;
}

static bool attached(const struct zks_engine_container *c, const char *endpoint)
{
	if (!c->running)
		return false;
	for (size_t i = 0; i < c->nnets; i++)
		if (strcmp(c->nets[i].endpoint_id, endpoint) == 0)
			return true;
	return false;
}

int zks_naming_apply(struct zks_naming *n, const struct zks_engine_container *c)
{
	for (size_t i = 0; i < n->n; i++)
		if (strcmp(n->v[i].container, c->id) == 0 && !attached(c, n->v[i].endpoint))
			n->v[i].state = ENTRY_REMOVE;
	for (size_t i = 0; c->running && i < c->nnets; i++) {
		const struct zks_engine_attachment *a = &c->nets[i];
		char address[ZKS_CIDR_STR];
		cleanup_free char *key = NULL;

		if (a->endpoint_id == NULL || a->endpoint_id[0] == '\0')
			continue;
		key = endpoint_key(n, a->endpoint_id, address);
		if (key != NULL)
			want(n, c, a, key, address);
	}
	return entries_settle(n);
}

int zks_naming_forget(struct zks_naming *n, const char *container_id)
{
	for (size_t i = 0; i < n->n; i++)
		if (strcmp(n->v[i].container, container_id) == 0)
			n->v[i].state = ENTRY_REMOVE;
	return entries_settle(n);
}

int zks_naming_check(struct zks_naming *n)
{
	for (size_t i = 0; i < n->n; i++) {
		struct entry *e = &n->v[i];
		cleanup_free char *ep = zks_path_network_endpoint(e->key, e->endpoint);

		if (e->state == ENTRY_REMOVE)
			continue;
		if (!mirror_has(n, ep))
			e->state = ENTRY_REMOVE; /* DeleteEndpoint, or the reaper */
		else if (e->state == ENTRY_OK && !mirror_has(n, e->path))
			e->state = ENTRY_WRITE; /* the session that held it is gone */
	}
	return entries_settle(n);
}

static bool listed(char *const *ids, size_t nids, const char *id)
{
	for (size_t i = 0; i < nids; i++)
		if (strcmp(ids[i], id) == 0)
			return true;
	return false;
}

/* Records of this node under /names/key that the table does not have: REMOVE entries. */
static void sweep_network(struct zks_naming *n, const char *key)
{
	cleanup_free char *parent = zks_path_names(key);
	char **eps = NULL;
	size_t neps = 0;

	if (store_cached_children(n->store, parent, &eps, &neps) < 0)
		return;
	for (size_t i = 0; i < neps; i++) {
		cleanup_free char *path = zks_path_name(key, eps[i]);
		cleanup_free char *data = NULL;
		struct zks_record_name rec;
		bool ours;

		if (entry_find(n, eps[i]) != NULL ||
		    store_cached_get(n->store, path, &data, NULL, NULL) < 0)
			continue;
		if (zks_record_name_decode(data, &rec, NULL) < 0)
			continue; /* not ours to judge: zkswarmctl repair reports it */
		ours = strcmp(rec.node, n->node_id) == 0;
		if (ours) {
			n->v = xrealloc(n->v, (n->n + 1) * sizeof(*n->v));
			n->v[n->n++] = (struct entry){
				.key = xstrdup(key),
				.endpoint = xstrdup(eps[i]),
				.container = xstrdup(rec.container ? rec.container : ""),
				.path = steal_pointer(&path),
				.data = steal_pointer(&data),
				.state = ENTRY_REMOVE,
			};
		}
		zks_record_name_clear(&rec);
	}
	zks_free_strv(eps, neps);
}

int zks_naming_sweep(struct zks_naming *n, char *const *ids, size_t nids)
{
	struct zks_store_status st;
	char **keys = NULL;
	size_t nkeys = 0;

	for (size_t i = 0; i < n->n; i++)
		if (!listed(ids, nids, n->v[i].container))
			n->v[i].state = ENTRY_REMOVE;
	store_status(n->store, &st);
	if (st.mirror_synced && store_cached_children(n->store, ZKS_NAMES, &keys, &nkeys) == 0) {
		for (size_t i = 0; i < nkeys; i++)
			sweep_network(n, keys[i]);
		zks_free_strv(keys, nkeys);
	}
	return entries_settle(n);
}

size_t zks_naming_count(struct zks_naming *n)
{
	size_t k = 0;

	for (size_t i = 0; i < n->n; i++)
		k += n->v[i].state == ENTRY_OK;
	return k;
}

/* ---- the queue -------------------------------------------------------------------------------- */

/* Queue a container's ID (under the lock); a full queue turns into a full reconcile. */
static void enqueue(struct zks_naming *n, const char *id)
{
	for (size_t i = 0; i < n->nqueue; i++)
		if (strcmp(n->queue[i], id) == 0)
			return;
	if (n->nqueue == QUEUE_MAX) {
		for (size_t i = 0; i < n->nqueue; i++)
			free(n->queue[i]);
		n->nqueue = 0;
		n->reconcile = true;
		return;
	}
	n->queue[n->nqueue++] = xstrdup(id);
}

static int on_event(void *ctx, const struct zks_engine_event *ev)
{
	static const char *const container_actions[] = {"start", "die", "destroy", "rename"};
	struct zks_naming *n = ctx;
	const char *id = NULL;

	if (strcmp(ev->type, "network") == 0 &&
	    (!strcmp(ev->action, "connect") || !strcmp(ev->action, "disconnect")))
		id = ev->container;
	for (size_t i = 0; strcmp(ev->type, "container") == 0 && i < ARRAY_SIZE(container_actions);
	     i++)
		if (strcmp(ev->action, container_actions[i]) == 0)
			id = ev->id;
	if (id == NULL || id[0] == '\0')
		return 0;
	pthread_mutex_lock(&n->lock);
	enqueue(n, id);
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->lock);
	return 0;
}

static void on_subscribed(void *ctx)
{
	struct zks_naming *n = ctx;

	pthread_mutex_lock(&n->lock);
	n->reconcile = true;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->lock);
}

static void on_change(void *ctx)
{
	struct zks_naming *n = ctx;

	pthread_mutex_lock(&n->lock);
	n->changed = true;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->lock);
}

static void on_session(void *ctx, int64_t session_id)
{
	(void)session_id;
	on_subscribed(ctx); /* what the engine says, written again under the new session */
}

/* Sleep up to ms unless stopping (under the lock).  Returns whether stopping. */
static bool wait_ms(struct zks_naming *n, int64_t ms)
{
	struct timespec ts;

	zks_deadline_after(&ts, CLOCK_REALTIME, ms);
	if (!atomic_load(&n->stopping))
		pthread_cond_timedwait(&n->wake, &n->lock, &ts);
	return atomic_load(&n->stopping);
}

/* ---- the events thread ------------------------------------------------------------------------ */

static void *events_main(void *arg)
{
	struct zks_naming *n = arg;
	struct zks_engine *e = zks_engine_new(n->engine_socket);
	int64_t backoff = 1000;
	bool quiet = false; /* the engine's absence was logged */

	while (!atomic_load(&n->stopping)) {
		struct zks_error err = {0};
		bool stop;

		if (zks_engine_connect(e, &err) == 0) {
			log_info("naming: following the engine at %s (API %s)", n->engine_socket,
				 zks_engine_api_version(e));
			quiet = false;
			backoff = 1000;
			if (zks_engine_events(e, on_event, on_subscribed, n, &n->stopping, &err) ==
			    0)
				break;
		}
		if (!quiet)
			log_warn("naming: the engine at %s: %s; names wait for it (retrying)",
				 n->engine_socket, err.msg);
		quiet = true;
		pthread_mutex_lock(&n->lock);
		stop = wait_ms(n, backoff);
		pthread_mutex_unlock(&n->lock);
		if (stop)
			break;
		backoff = backoff * 2 > n->retry_max_ms ? n->retry_max_ms : backoff * 2;
	}
	zks_engine_free(e);
	return NULL;
}

/* ---- the worker ------------------------------------------------------------------------------- */

/* Ask the engine about one container and apply it. */
static int refresh(struct zks_naming *n, struct zks_engine *e, const char *id)
{
	struct zks_engine_container c = {0};
	struct zks_error err = {0};
	int left;

	if (zks_engine_inspect(e, id, &c, &err) < 0) {
		if (err.code == ZKS_ERR_NOT_FOUND)
			return zks_naming_forget(n, id);
		log_warn("naming: cannot inspect container %.12s: %s", id, err.msg);
		return 1;
	}
	left = zks_naming_apply(n, &c);
	zks_engine_container_clear(&c);
	return left;
}

/* Every running container, then the sweep; -1 when the engine did not answer. */
static int reconcile(struct zks_naming *n, struct zks_engine *e)
{
	struct zks_error err = {0};
	char **ids = NULL;
	size_t nids = 0;
	int left = 0;

	if (zks_engine_list(e, &ids, &nids, &err) < 0) {
		log_warn("naming: cannot list the engine's containers: %s", err.msg);
		return -1;
	}
	for (size_t i = 0; i < nids && !atomic_load(&n->stopping); i++)
		left += refresh(n, e, ids[i]);
	left += zks_naming_sweep(n, ids, nids);
	zks_free_strv(ids, nids);
	return left;
}

/* What the worker takes from the queue in one go. */
struct work {
	char *ids[QUEUE_MAX];
	size_t nids;
	bool reconcile, changed;
};

/* Wait for work (or the retry/reconcile deadline); false when stopping. */
static bool take_work(struct zks_naming *n, int64_t wait, struct work *w)
{
	pthread_mutex_lock(&n->lock);
	if (n->nqueue == 0 && !n->reconcile && !n->changed)
		wait_ms(n, wait);
	memcpy(w->ids, n->queue, n->nqueue * sizeof(*n->queue));
	w->nids = n->nqueue;
	w->reconcile = n->reconcile;
	w->changed = n->changed;
	n->nqueue = 0;
	n->reconcile = n->changed = false;
	pthread_mutex_unlock(&n->lock);
	return !atomic_load(&n->stopping);
}

/*
 * The name this plugin is installed under (plugin_name.h), asked of the engine after a
 * reconcile it answered.  Settled when learned, or when there is nothing to learn (not a
 * managed plugin, or not listed); else asked again after the next reconcile.
 */
static void learn_plugin_name(struct zks_naming *n, struct zks_engine *e)
{
	cleanup_free char *text = NULL, *name = NULL;
	char id[ZKS_PLUGIN_ID_LEN + 1];
	struct zks_error err = {0};

	if (n->plugin_name == NULL || n->name_settled || !zks_plugin_name_wanted(n->plugin_name))
		return;
	if (zks_read_file(n->mountinfo, 1u << 20, &text, NULL, &err) < 0 ||
	    zks_plugin_id_from_mountinfo(text, id) < 0) {
		log_info("naming: not a managed plugin (%s shows no plugin ID): messages name it "
			 "`%s` (PLUGIN_NAME to say otherwise)",
			 n->mountinfo, ZKS_PLUGIN_NAME_DEFAULT);
		n->name_settled = true;
		return;
	}
	if (zks_engine_plugin_name(e, id, &name, &err) < 0) {
		log_info("naming: the name this plugin is installed under: %s", err.msg);
		n->name_settled = err.code == ZKS_ERR_NOT_FOUND;
		return;
	}
	n->name_settled = true;
	if (zks_plugin_name_learn(n->plugin_name, name))
		log_info("naming: this plugin is installed as `%s`", name);
	else
		log_warn("naming: the engine lists this plugin as `%.64s`, which is not a usable "
			 "name: messages name it `%s`",
			 name, ZKS_PLUGIN_NAME_DEFAULT);
}

/*
 * Do one go of work; the number of records left to retry.  A reconcile the engine could not
 * answer stays owed (w->reconcile remains true), and is tried again a second later.
 */
static int work_do(struct zks_naming *n, struct zks_engine *e, struct work *w)
{
	struct zks_error err = {0};
	int left = 0;

	if ((w->reconcile || w->nids) && zks_engine_api_version(e)[0] == '\0' &&
	    zks_engine_connect(e, &err) < 0) {
		/* The events thread says why, and queues a reconcile when the engine is back. */
		w->reconcile = true;
		return zks_naming_check(n);
	}
	for (size_t i = 0; i < w->nids && !w->reconcile; i++)
		left += refresh(n, e, w->ids[i]);
	if (w->reconcile && reconcile(n, e) == 0) {
		w->reconcile = false;
		learn_plugin_name(n, e);
	}
	return left + zks_naming_check(n);
}

static void *worker_main(void *arg)
{
	struct zks_naming *n = arg;
	struct zks_engine *e = zks_engine_new(n->engine_socket);
	int64_t next_reconcile = zks_now_ms() + n->reconcile_ms;
	bool owed = false; /* a reconcile the engine did not answer */
	int left = 0;

	for (;;) {
		struct work w;
		int64_t wait = left || owed ? RETRY_MS : next_reconcile - zks_now_ms();
		bool go = take_work(n, wait < 0 ? 0 : wait, &w);

		if (go) {
			w.reconcile |= owed || zks_now_ms() >= next_reconcile;
			if (w.reconcile)
				next_reconcile = zks_now_ms() + n->reconcile_ms;
			left = work_do(n, e, &w);
			owed = w.reconcile;
		}
		for (size_t i = 0; i < w.nids; i++)
			free(w.ids[i]);
		if (!go)
			break;
	}
	zks_engine_free(e);
	return NULL;
}

/* ---- life cycle ------------------------------------------------------------------------------- */

struct zks_naming *zks_naming_new(struct zks_store *store, const struct zks_naming_config *cfg)
{
	struct zks_naming *n = xcalloc(1, sizeof(*n));

	n->store = store;
	n->node_id = xstrdup(cfg->node_id);
	n->engine_socket = xstrdup(cfg->engine_socket ? cfg->engine_socket : "");
	n->reconcile_ms = cfg->reconcile_ms > 0 ? cfg->reconcile_ms : 60000;
	n->retry_max_ms = cfg->retry_max_ms > 0 ? cfg->retry_max_ms : 30000;
	n->plugin_name = cfg->plugin_name;
	n->mountinfo = xstrdup(cfg->mountinfo ? cfg->mountinfo : "/proc/self/mountinfo");
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->wake, NULL);
	return n;
}

/* The registry and the endpoints it names. */
static const char *const naming_reads[] = {ZKS_NAMES, ZKS_NETWORKS, NULL};

void zks_naming_start(struct zks_naming *n)
{
	if (pthread_create(&n->worker_thread, NULL, worker_main, n) != 0 ||
	    pthread_create(&n->events_thread, NULL, events_main, n) != 0)
		abort();
	n->started = true;
	store_on_change(n->store, naming_reads, on_change, n);
	store_on_session(n->store, on_session, n);
}

void zks_naming_stop(struct zks_naming *n)
{
	if (n == NULL || !n->started)
		return;
	pthread_mutex_lock(&n->lock);
	atomic_store(&n->stopping, true);
	pthread_cond_broadcast(&n->wake);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->events_thread, NULL);
	pthread_join(n->worker_thread, NULL);
	n->started = false;
}

void zks_naming_free(struct zks_naming *n)
{
	if (n == NULL)
		return;
	zks_naming_stop(n);
	for (size_t i = 0; i < n->n; i++)
		entry_clear(&n->v[i]);
	free(n->v);
	for (size_t i = 0; i < n->nqueue; i++)
		free(n->queue[i]);
	pthread_mutex_destroy(&n->lock);
	pthread_cond_destroy(&n->wake);
	free(n->node_id);
	free(n->engine_socket);
	free(n->mountinfo);
	free(n);
}
