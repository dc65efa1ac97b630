/*
 * reaper.c - electing one reaper and reclaiming what dead nodes held.
 *
 * Who holds what is read from the records' layout: endpoints name their
 * node, network members are "<node>:<id>", subnets count references and
 * addresses count holders per node.  A node holding something without a
 * registration is noted with the time it was first seen so; after the grace
 * period the leader asks each service to reclaim it.  Every daemon keeps
 * that clock, leader or not, so a daemon that takes over the leadership
 * reaps when its own clock says so (tests/unit/test_reaper.c); the clock
 * starts when the daemon does, and starts again at every pass that finds the
 * mirror not synced: the reaper errs on the side of waiting.
 *
 * Names (/names/KEY/ENDPOINT) are ephemeral and go with their node's session;
 * the leader only removes a network's empty name set once the network itself
 * is gone (sweep_names).  Other services' housekeeping of that kind (the beats of
 * nodes long gone, heartbeat.h) runs as the leader's sweeps, after reaping.
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zkswarm/log.h"
#include "zkswarm/reaper.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define PERIOD_MS 2000
#define MAX_REAPERS 4

struct gone {
	char *node;
	int64_t since;
};

struct reap_cb {
	zks_reap_fn fn;
	void *ctx;
};

struct sweep_cb {
	zks_sweep_fn fn;
	void *ctx;
};

struct zks_reaper {
	struct zks_store *store;
	char *node_id;
	int64_t grace_ms;
	struct reap_cb cbs[MAX_REAPERS];
	size_t ncbs;
	struct sweep_cb sweeps[MAX_REAPERS];
	size_t nsweeps;
	struct gone *gone;
	size_t ngone;
	bool leader;

	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool wanted;
	bool stopping;
	bool started;
	pthread_t thread;
};

/* ---- who holds something ---------------------------------------------------------------------- */

struct names {
	char **v;
	size_t n;
};

static void names_add(struct names *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == len && !strncmp(s->v[i], name, len))
			return;
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = xstrndup(name, len);
}

static bool names_has(const struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return true;
	return false;
}

static void add_count_nodes(const struct zks_record_counts *c, struct names *out)
{
	for (size_t i = 0; i < c->n; i++)
		names_add(out, c->v[i].node, strlen(c->v[i].node));
}

/* The nodes counted in a subnet's refs (subnet) or an address's holders (!subnet) at path. */
static void add_counted_nodes(struct zks_store *store, const char *path, bool subnet,
			      struct names *out)
{
	cleanup_free char *data = NULL;

	if (store_cached_get(store, path, &data, NULL, NULL) < 0)
		return;
	if (subnet) {
		struct zks_record_subnet rec;

		if (zks_record_subnet_decode(data, &rec, NULL) == 0)
			add_count_nodes(&rec.refs, out);
		zks_record_subnet_clear(&rec);
	} else {
		struct zks_record_address rec;

		if (zks_record_address_decode(data, &rec, NULL) == 0)
			add_count_nodes(&rec.holders, out);
		zks_record_address_clear(&rec);
	}
}

static void add_children(struct zks_store *store, const char *path, char ***v, size_t *n)
{
	if (store_cached_children(store, path, v, n) < 0) {
		*v = NULL;
		*n = 0;
	}
}

static void collect_holders(struct zks_store *store, struct names *out)
{
	char **keys, **subnets;
	size_t nkeys, nsubnets;

	add_children(store, ZKS_NETWORKS, &keys, &nkeys);
	for (size_t i = 0; i < nkeys; i++) {
		cleanup_free char *eps = zks_path_network_endpoints(keys[i]);
		cleanup_free char *members = zks_path_network_members(keys[i]);
		char **v;
		size_t n;

		add_children(store, members, &v, &n);
		for (size_t k = 0; k < n; k++) {
			const char *colon = strchr(v[k], ':');

			if (colon)
				names_add(out, v[k], (size_t)(colon - v[k]));
		}
		zks_free_strv(v, n);
		add_children(store, eps, &v, &n);
		for (size_t k = 0; k < n; k++) {
			cleanup_free char *p = zks_path_network_endpoint(keys[i], v[k]);
			cleanup_free char *data = NULL;
			cJSON *doc, *node;

			if (store_cached_get(store, p, &data, NULL, NULL) < 0)
				continue;
			/* Raw: an endpoint the decoder rejects still names a node in use. */
			doc = cJSON_Parse(data);
			node = cJSON_GetObjectItemCaseSensitive(doc, "node");
			if (cJSON_IsString(node))
				names_add(out, node->valuestring, strlen(node->valuestring));
			cJSON_Delete(doc);
		}
		zks_free_strv(v, n);
	}
	zks_free_strv(keys, nkeys);
	add_children(store, ZKS_SUBNETS, &subnets, &nsubnets);
	for (size_t i = 0; i < nsubnets; i++) {
		cleanup_free char *sp = zks_path_subnet(subnets[i]);
		cleanup_free char *ap = zks_path_subnet_addrs(subnets[i]);
		char **v;
		size_t n;

		add_counted_nodes(store, sp, true, out);
		add_children(store, ap, &v, &n); /* the /24 groups of address records */
		for (size_t k = 0; k < n; k++) {
			cleanup_free char *gp = zks_path_subnet_addr_group(subnets[i], v[k]);
			char **ips;
			size_t nips;

			add_children(store, gp, &ips, &nips);
			for (size_t j = 0; j < nips; j++) {
				cleanup_free char *p = xasprintf("%s/%s", gp, ips[j]);

				add_counted_nodes(store, p, false, out);
			}
			zks_free_strv(ips, nips);
		}
		zks_free_strv(v, n);
	}
	zks_free_strv(subnets, nsubnets);
}

/* ---- name sets ------------------------------------------------------------------------------- */

/*
 * Remove /names/KEY when it is empty and /networks/KEY is gone.  The mirror proposes, ZooKeeper
 * decides: the network's absence is read from ZooKeeper (a mirror behind it may not show a
 * network made a moment ago), and the delete is at the version the mirror showed, refused by
 * ZooKeeper if a name appeared meanwhile.  Returns how many sets were removed.
 */
static int sweep_names(struct zks_reaper *r)
{
	char **keys;
	size_t nkeys;
	int removed = 0;

	add_children(r->store, ZKS_NAMES, &keys, &nkeys);
	for (size_t i = 0; i < nkeys; i++) {
		cleanup_free char *np = zks_path_network(keys[i]);
		cleanup_free char *sp = zks_path_names(keys[i]);
		struct zks_error err = {0};
		struct zks_stat st;
		char **v;
		size_t n;

		if (store_cached_get(r->store, np, NULL, NULL, NULL) == 0 ||
		    store_cached_get(r->store, sp, NULL, NULL, &st) < 0)
			continue;
		add_children(r->store, sp, &v, &n);
		zks_free_strv(v, n);
		if (n > 0)
			continue;
		if (store_get(r->store, np, NULL, NULL, NULL, &err) == 0 ||
		    err.code != ZKS_ERR_NOT_FOUND)
			continue;
		if (store_remove(r->store, sp, st.version, &err) == 0) {
			log_info(
				"reaper: removed the empty name set of network `%s`, which is gone",
				keys[i]);
			removed++;
		} else if (err.code != ZKS_ERR_NOT_EMPTY && err.code != ZKS_ERR_CONFLICT &&
			   err.code != ZKS_ERR_NOT_FOUND) {
			log_warn("reaper: removing the name set of network `%s`: %s", keys[i],
				 err.msg);
		}
	}
	zks_free_strv(keys, nkeys);
	return removed;
}

/* ---- passes ------------------------------------------------------------------------------------ */

static bool take_leadership(struct zks_reaper *r, int64_t session)
{
	struct zks_stat st;
	struct zks_error err;
	cleanup_free char *text = NULL;

	if (store_cached_get(r->store, ZKS_REAPER_LEADER, NULL, NULL, &st) == 0)
		return st.owner == session;
	text = zks_record_leader_encode(&(struct zks_record_leader){.node = r->node_id});
	if (store_create(r->store, ZKS_REAPER_LEADER, text, strlen(text), ZKS_EPHEMERAL, &err) < 0)
		return false;
	log_info("reaper: this node now reclaims what dead nodes held");
	return true;
}

int zks_reaper_pass(struct zks_reaper *r, int64_t now_ms)
{
	struct zks_store_status status;
	struct names holders = {0};
	char **alive = NULL;
	size_t nalive = 0;
	int reaped = 0;
	bool leader;

	store_status(r->store, &status);
	if (!status.mirror_synced) {
		/* An incomplete view proves nothing about who is gone. */
		for (size_t i = 0; i < r->ngone; i++)
			r->gone[i].since = now_ms;
		return 0;
	}
	leader = take_leadership(r, status.session_id);
	if (leader != r->leader && !leader)
		log_info("reaper: another node reclaims now");
	r->leader = leader;
	collect_holders(r->store, &holders);
	add_children(r->store, ZKS_NODES, &alive, &nalive);

	/* Forget who came back or holds nothing any more; note the newly gone. */
	for (size_t i = 0; i < r->ngone;) {
		bool still = names_has(&holders, r->gone[i].node);

		for (size_t k = 0; k < nalive && still; k++)
			still = strcmp(alive[k], r->gone[i].node) != 0;
		if (still) {
			i++;
			continue;
		}
		free(r->gone[i].node);
		r->gone[i] = r->gone[--r->ngone];
	}
	for (size_t i = 0; i < holders.n; i++) {
		bool known = false, up = false;

		for (size_t k = 0; k < nalive && !up; k++)
			up = !strcmp(alive[k], holders.v[i]);
		for (size_t k = 0; k < r->ngone && !known; k++)
			known = !strcmp(r->gone[k].node, holders.v[i]);
		if (up || known)
			continue;
		r->gone = xrealloc(r->gone, (r->ngone + 1) * sizeof(*r->gone));
		r->gone[r->ngone].node = xstrdup(holders.v[i]);
		r->gone[r->ngone++].since = now_ms;
		log_info("reaper: node `%s` holds records but is not registered", holders.v[i]);
	}
	for (size_t i = 0; leader && i < r->ngone; i++) {
		bool ok = true;

		if (now_ms - r->gone[i].since < r->grace_ms)
			continue;
		log_info("reaper: node `%s` has been gone for %lld s; reclaiming what it held",
			 r->gone[i].node, (long long)((now_ms - r->gone[i].since) / 1000));
		for (size_t k = 0; k < r->ncbs; k++) {
			struct zks_error err;

			if (r->cbs[k].fn(r->cbs[k].ctx, r->gone[i].node, &err) < 0) {
				log_warn("reaper: reclaiming from `%s`: %s", r->gone[i].node,
					 err.msg);
				ok = false;
			}
		}
		if (ok)
			reaped++;
	}
	if (leader) {
		sweep_names(r);
		for (size_t k = 0; k < r->nsweeps; k++)
			r->sweeps[k].fn(r->sweeps[k].ctx, now_ms);
	}
	zks_free_strv(holders.v, holders.n);
	zks_free_strv(alive, nalive);
	return reaped;
}

bool zks_reaper_is_leader(struct zks_reaper *r)
{
	return r->leader;
}

/* ---- thread ------------------------------------------------------------------------------------ */

static void wake(void *ctx)
{
	struct zks_reaper *r = ctx;

	pthread_mutex_lock(&r->lock);
	r->wanted = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

static void *reaper_main(void *arg)
{
	struct zks_reaper *r = arg;

	pthread_mutex_lock(&r->lock);
	while (!r->stopping) {
		struct timespec deadline;

		zks_deadline_after(&deadline, CLOCK_REALTIME, PERIOD_MS);
		while (!r->wanted && !r->stopping)
			if (pthread_cond_timedwait(&r->wake, &r->lock, &deadline) != 0)
				break;
		if (r->stopping)
			break;
		r->wanted = false;
		pthread_mutex_unlock(&r->lock);
		zks_reaper_pass(r, zks_now_ms());
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct zks_reaper *zks_reaper_new(struct zks_store *store, const char *node_id, int64_t grace_ms)
{
	struct zks_reaper *r = xcalloc(1, sizeof(*r));

	r->store = store;
	r->node_id = xstrdup(node_id);
	r->grace_ms = grace_ms;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	return r;
}

void zks_reaper_add(struct zks_reaper *r, zks_reap_fn fn, void *ctx)
{
	if (r->ncbs < MAX_REAPERS)
		r->cbs[r->ncbs++] = (struct reap_cb){fn, ctx};
}

void zks_reaper_add_sweep(struct zks_reaper *r, zks_sweep_fn fn, void *ctx)
{
	if (r->nsweeps < MAX_REAPERS)
		r->sweeps[r->nsweeps++] = (struct sweep_cb){fn, ctx};
}

/*
 * A pass reads who lives, who leads, and what dead nodes can hold: not volumes (a lease goes
 * with its session).
 */
static const char *const reaper_reads[] = {ZKS_NODES, ZKS_REAPER, ZKS_NETWORKS,
					   ZKS_IPAM,  ZKS_NAMES,  NULL};

void zks_reaper_start(struct zks_reaper *r)
{
	if (pthread_create(&r->thread, NULL, reaper_main, r) != 0)
		abort();
	r->started = true;
	store_on_change(r->store, reaper_reads, wake, r);
}

void zks_reaper_stop(struct zks_reaper *r)
{
	if (r == NULL || !r->started)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	r->started = false;
}

void zks_reaper_free(struct zks_reaper *r)
{
	if (r == NULL)
		return;
	zks_reaper_stop(r);
	for (size_t i = 0; i < r->ngone; i++)
		free(r->gone[i].node);
	free(r->gone);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r->node_id);
	free(r);
}
