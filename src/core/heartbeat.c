/*
 * heartbeat.c - this node's beat in ZooKeeper and the ages of every node's
 * (heartbeat.h).  One lock, hb->lock, a leaf: no store call is made under it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/heartbeat.h"
#include "zkswarm/log.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define BEATS_MAX 4096 /* nodes read at most: a bound on one read's work */

struct zks_heartbeat {
	struct zks_store *store;
	char *node;
	char *path;
	int64_t every_ms;

	pthread_mutex_t lock; /* the fields below */
	pthread_cond_t cond;  /* monotonic: wakes the writer to stop */
	bool running, stopping;
	pthread_t thread;
	int64_t own_mtime_ms;	 /* our last beat's mtime (the leader's clock), 0: none yet */
	int64_t own_answered_ms; /* when that write was answered (monotonic) */
	struct zks_beats read;	 /* the last read: ages as of read_ms */
	int64_t read_ms;	 /* monotonic; 0: never read */
	bool reading;		 /* a read is under way (others take the last one) */
	int64_t swept_ms;	 /* monotonic: the last zks_heartbeat_sweep that forgot; 0: none */
};

void zks_beats_clear(struct zks_beats *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].node);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

const struct zks_beat *zks_beats_find(const struct zks_beats *b, const char *node)
{
	for (size_t i = 0; b != NULL && i < b->n; i++)
		if (strcmp(b->v[i].node, node) == 0)
			return &b->v[i];
	return NULL;
}

int64_t zks_beat_age(int64_t own_mtime_ms, int64_t own_answered_ms, int64_t now_ms,
		     int64_t their_mtime_ms)
{
	int64_t age;

	if (own_mtime_ms <= 0)
		return -1;
	age = own_mtime_ms + (now_ms - own_answered_ms) - their_mtime_ms;
	return age < 0 ? 0 : age;
}

struct zks_heartbeat *zks_heartbeat_new(struct zks_store *store, const char *node, int64_t every_ms)
{
	struct zks_heartbeat *hb = xcalloc(1, sizeof(*hb));
	hb->store = store;
	hb->node = xstrdup(node);
	hb->path = zks_path_heartbeat(node);
	hb->every_ms = every_ms > 0 ? every_ms : 1000;
	pthread_mutex_init(&hb->lock, NULL);
	zks_cond_init_monotonic(&hb->cond);
	return hb;
}

/* Set (or create) our beat, then read its mtime back: the reference of every age. */
int zks_heartbeat_beat(struct zks_heartbeat *hb, struct zks_error *err)
{
	char at[32];
	struct zks_record_heartbeat rec = {.at = at, .every_ms = hb->every_ms};
	cleanup_free char *json = NULL;
	struct zks_stat st;
	int64_t answered;
	int r;

	zks_rfc3339_now(at);
	json = zks_record_heartbeat_encode(&rec);
	r = store_set(hb->store, hb->path, json, strlen(json), -1, err);
	if (r < 0 && err->code == ZKS_ERR_NOT_FOUND) {
		zks_error_clear(err);
		r = store_create(hb->store, hb->path, json, strlen(json), ZKS_PERSISTENT, err);
	}
	if (r < 0)
		return -1;
	answered = zks_now_ms();
	if (store_get(hb->store, hb->path, NULL, NULL, &st, err) < 0)
		return -1;
	pthread_mutex_lock(&hb->lock);
	hb->own_mtime_ms = st.mtime_ms;
	hb->own_answered_ms = answered;
	pthread_mutex_unlock(&hb->lock);
	return 0;
}

static void *beat_main(void *arg)
{
	struct zks_heartbeat *hb = arg;
	struct zks_error err = {0};
	bool failing = false;

	pthread_mutex_lock(&hb->lock);
	while (!hb->stopping) {
		struct timespec deadline;

		pthread_mutex_unlock(&hb->lock);
		if (zks_heartbeat_beat(hb, &err) < 0) {
			if (!failing)
				log_warn("heartbeat: cannot write %s: %s", hb->path, err.msg);
			failing = true;
		} else if (failing) {
			log_info("heartbeat: %s written again", hb->path);
			failing = false;
		}
		zks_error_clear(&err);
		pthread_mutex_lock(&hb->lock);
		zks_deadline_after(&deadline, CLOCK_MONOTONIC, hb->every_ms);
		while (!hb->stopping &&
		       pthread_cond_timedwait(&hb->cond, &hb->lock, &deadline) == 0)
			;
	}
	pthread_mutex_unlock(&hb->lock);
	return NULL;
}

void zks_heartbeat_start(struct zks_heartbeat *hb)
{
	pthread_mutex_lock(&hb->lock);
	if (!hb->running && pthread_create(&hb->thread, NULL, beat_main, hb) == 0)
		hb->running = true;
	pthread_mutex_unlock(&hb->lock);
}

void zks_heartbeat_stop(struct zks_heartbeat *hb)
{
	bool join;

	if (hb == NULL)
		return;
	pthread_mutex_lock(&hb->lock);
	hb->stopping = true;
	join = hb->running;
	hb->running = false;
	pthread_cond_broadcast(&hb->cond);
	pthread_mutex_unlock(&hb->lock);
	if (join)
		pthread_join(hb->thread, NULL);
}

void zks_heartbeat_free(struct zks_heartbeat *hb)
{
	if (hb == NULL)
		return;
	zks_heartbeat_stop(hb);
	zks_beats_clear(&hb->read);
	pthread_cond_destroy(&hb->cond);
	pthread_mutex_destroy(&hb->lock);
	free(hb->path);
	free(hb->node);
	free(hb);
}

/* Read every beat from ZooKeeper into out, aged as of now (monotonic); no lock held. */
static int read_beats(struct zks_heartbeat *hb, struct zks_beats *out, int64_t own_mtime,
		      int64_t own_answered, struct zks_error *err)
{
	char **names = NULL;
	size_t n = 0;

	if (store_children(hb->store, ZKS_HEARTBEATS, &names, &n, err) < 0)
		return -1;
	out->v = xcalloc(n ? n : 1, sizeof(*out->v));
	for (size_t i = 0; i < n && i < BEATS_MAX; i++) {
		cleanup_free char *path = zks_path_heartbeat(names[i]);
		cleanup_free char *data = NULL;
		struct zks_record_heartbeat rec;
		struct zks_error e = {0};
		struct zks_stat st;

		if (store_get(hb->store, path, &data, NULL, &st, &e) < 0)
			continue; /* gone since the listing (the reaper), or ZooKeeper away */
		if (zks_record_heartbeat_decode(data, &rec, &e) < 0)
			rec.every_ms = 0; /* unreadable: its age is still known */
		out->v[out->n++] = (struct zks_beat){
			.node = xstrdup(names[i]),
			.age_ms = zks_beat_age(own_mtime, own_answered, zks_now_ms(), st.mtime_ms),
			.every_ms = rec.every_ms,
		};
		zks_record_heartbeat_clear(&rec);
	}
	zks_free_strv(names, n);
	return 0;
}

/* A copy of b, each known age grown by since_ms. */
static void copy_aged(const struct zks_beats *b, int64_t since_ms, struct zks_beats *out)
{
	out->v = xcalloc(b->n ? b->n : 1, sizeof(*out->v));
	out->n = b->n;
	for (size_t i = 0; i < b->n; i++) {
		out->v[i] = b->v[i];
		out->v[i].node = xstrdup(b->v[i].node);
		if (out->v[i].age_ms >= 0)
			out->v[i].age_ms += since_ms;
	}
}

/* The last read does for now: young enough, and no beat of it late only by ageing. */
static bool read_will_do(const struct zks_heartbeat *hb, int64_t now)
{
	int64_t since = now - hb->read_ms;

	if (hb->read_ms == 0 || since >= ZKS_BEATS_READ_MS)
		return false;
	for (size_t i = 0; since >= ZKS_BEATS_CONFIRM_MS && i < hb->read.n; i++) {
		const struct zks_beat *b = &hb->read.v[i];

		if (b->age_ms >= 0 && !zks_beat_late(b->age_ms, b->every_ms) &&
		    zks_beat_late(b->age_ms + since, b->every_ms))
			return false;
	}
	return true;
}

int zks_heartbeat_ages(struct zks_heartbeat *hb, struct zks_beats *out, struct zks_error *err)
{
	struct zks_beats fresh = {0};
	int64_t now = zks_now_ms(), own_mtime, own_answered;
	int r;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&hb->lock);
	if (hb->reading || read_will_do(hb, now)) {
		r = hb->read_ms != 0 ? 0
				     : zks_error_set(err, ZKS_ERR_UNAVAILABLE,
						     "the heartbeats are being read");
		if (r == 0)
			copy_aged(&hb->read, now - hb->read_ms, out);
		pthread_mutex_unlock(&hb->lock);
		return r;
	}
	hb->reading = true;
	own_mtime = hb->own_mtime_ms;
	own_answered = hb->own_answered_ms;
	pthread_mutex_unlock(&hb->lock);
	r = read_beats(hb, &fresh, own_mtime, own_answered, err);
	pthread_mutex_lock(&hb->lock);
	hb->reading = false;
	if (r == 0) {
		zks_beats_clear(&hb->read);
		hb->read = fresh;
		hb->read_ms = zks_now_ms();
	}
	if (hb->read_ms != 0) {
		copy_aged(&hb->read, zks_now_ms() - hb->read_ms, out);
		zks_error_clear(err);
		r = 0;
	}
	pthread_mutex_unlock(&hb->lock);
	return r;
}

/* ---- forgetting the beats of nodes long gone ------------------------------------------------ */

/* Forget node's beat if it is older than older_ms: 1 if deleted, 0 if kept, -1 on error. */
static int forget_one(struct zks_heartbeat *hb, const char *node, int64_t own_mtime,
		      int64_t own_answered, int64_t older_ms, struct zks_error *err)
{
	cleanup_free char *reg = zks_path_node(node);
	cleanup_free char *path = zks_path_heartbeat(node);
	struct zks_stat st;
	int64_t age;

	if (strcmp(node, hb->node) == 0 || store_cached_get(hb->store, reg, NULL, NULL, NULL) == 0)
		return 0;
	if (store_get(hb->store, path, NULL, NULL, &st, err) < 0)
		return err->code == ZKS_ERR_NOT_FOUND ? 0 : -1;
	age = zks_beat_age(own_mtime, own_answered, zks_now_ms(), st.mtime_ms);
	if (age <= older_ms)
		return 0;
	if (store_remove(hb->store, path, st.version, err) < 0)
		return err->code == ZKS_ERR_NOT_FOUND || err->code == ZKS_ERR_CONFLICT ? 0 : -1;
	log_info("heartbeat: forgot the beat of node `%s`, not registered and silent for %lld min",
		 node, (long long)(age / 60000));
	return 1;
}

int zks_heartbeat_forget(struct zks_heartbeat *hb, int64_t older_ms, struct zks_error *err)
{
	char **names = NULL;
	size_t n = 0;
	int64_t own_mtime, own_answered;
	int forgot = 0;

	pthread_mutex_lock(&hb->lock);
	own_mtime = hb->own_mtime_ms;
	own_answered = hb->own_answered_ms;
	pthread_mutex_unlock(&hb->lock);
	if (own_mtime <= 0)
		return zks_error_set(err, ZKS_ERR_UNAVAILABLE,
				     "this node's beat is not written yet");
	if (store_children(hb->store, ZKS_HEARTBEATS, &names, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && i < BEATS_MAX; i++) {
		struct zks_error e = {0};
		int r = forget_one(hb, names[i], own_mtime, own_answered, older_ms, &e);

		if (r < 0)
			log_warn("heartbeat: forgetting the beat of `%s`: %s", names[i], e.msg);
		else
			forgot += r;
	}
	zks_free_strv(names, n);
	return forgot;
}

void zks_heartbeat_sweep(void *ctx, int64_t now_ms)
{
	struct zks_heartbeat *hb = ctx;
	struct zks_error err = {0};

	pthread_mutex_lock(&hb->lock);
	if (hb->swept_ms != 0 && now_ms - hb->swept_ms < ZKS_BEATS_SWEEP_MS) {
		pthread_mutex_unlock(&hb->lock);
		return;
	}
	pthread_mutex_unlock(&hb->lock);
	if (zks_heartbeat_forget(hb, ZKS_BEATS_FORGET_MS, &err) < 0) {
		zks_error_clear(&err); /* tried again at the next pass */
		return;
	}
	pthread_mutex_lock(&hb->lock);
	hb->swept_ms = now_ms;
	pthread_mutex_unlock(&hb->lock);
}
