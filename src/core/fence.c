/*
 * fence.c - hard fencing of this node's image volumes (fence.h): their fence records, and
 * freezing, thawing and shutting down their filesystems as the ZooKeeper session goes.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zkswarm/fence.h"
#include "zkswarm/log.h"
#include "zkswarm/util.h"

enum fence_state { FENCE_LIVE = 0, FENCE_FROZEN, FENCE_SHUT };

struct fenced {
	char *name;
	char *record; /* its fence record's path */
	char *target; /* where its filesystem is mounted */
	int64_t token;
	int64_t session; /* the session its lease was taken in */
	enum fence_state state;
	int64_t frozen_at_ms;
};

struct zks_fence {
	struct zks_store *store;
	struct zks_fs *fs;
	char *node_id;
	zks_fence_status_fn status;
	void *status_ctx;
	pthread_mutex_t lock; /* a leaf: the table below */
	struct fenced *v;
	size_t n;
	pthread_t thread;
	pthread_cond_t cond;
	bool running, stopping;
};

/* ---- the fence record ---------------------------------------------------------------------- */

struct fence_record {
	char node[256];
	int64_t session;
	int64_t token;
};

static char *record_text(const char *node, int64_t session, int64_t token)
{
	cJSON *doc = cJSON_CreateObject();
	char buf[32], at[32];
	char *text;

	cJSON_AddStringToObject(doc, "node", node);
	snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)session);
	cJSON_AddStringToObject(doc, "session", buf);
	snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)token);
	cJSON_AddStringToObject(doc, "token", buf);
	zks_rfc3339_now(at);
	cJSON_AddStringToObject(doc, "at", at);
	text = cJSON_Print(doc);
	cJSON_Delete(doc);
	return text;
}

static bool hex_field(const cJSON *doc, const char *key, int64_t *out)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, key);
	char *end;
	unsigned long long n;

	if (!cJSON_IsString(o) || strncmp(o->valuestring, "0x", 2) != 0)
		return false;
	n = strtoull(o->valuestring + 2, &end, 16);
	if (*end != '\0' || end == o->valuestring + 2 || n > INT64_MAX)
		return false;
	*out = (int64_t)n;
	return true;
}

/* 0: read; NOT_FOUND: none yet; INTERNAL: unreadable. */
static int record_read(struct zks_fence *f, const char *path, struct fence_record *out,
		       struct zks_error *err)
{
	cleanup_free char *data = NULL;
	cJSON *doc;
	const cJSON *node;
	bool ok;

	memset(out, 0, sizeof(*out));
	if (f->fs->read_file(f->fs, path, &data, err) < 0)
		return -1;
	doc = cJSON_Parse(data);
	node = cJSON_GetObjectItemCaseSensitive(doc, "node");
	ok = cJSON_IsString(node) && strlen(node->valuestring) < sizeof(out->node) &&
	     hex_field(doc, "session", &out->session) && hex_field(doc, "token", &out->token);
	if (ok)
		snprintf(out->node, sizeof(out->node), "%s", node->valuestring);
	cJSON_Delete(doc);
	if (!ok)
		return zks_error_set(err, ZKS_ERR_INTERNAL, "fence record `%s` is unreadable",
				     path);
	return 0;
}

static bool record_is(struct zks_fence *f, const struct fenced *e)
{
	struct fence_record rec;
	struct zks_error err;

	return record_read(f, e->record, &rec, &err) == 0 && !strcmp(rec.node, f->node_id) &&
	       rec.session == e->session && rec.token == e->token;
}

/* ---- the table ------------------------------------------------------------------------------ */

static struct fenced *find(struct zks_fence *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].name, name))
			return &f->v[i];
	return NULL;
}

static struct fenced *add(struct zks_fence *f, const char *name, const char *record,
			  const char *target)
{
	struct fenced *e = find(f, name);

	if (e == NULL) {
		f->v = xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
		e = &f->v[f->n++];
		memset(e, 0, sizeof(*e));
		e->name = xstrdup(name);
		e->record = xstrdup(record);
		e->target = xstrdup(target);
		pthread_cond_signal(&f->cond); /* the thread may sleep while there was none */
	}
	return e;
}

static void fence_op(struct zks_fence *f, struct fenced *e, enum zks_fence_op op)
{
	struct zks_error err;

	if (f->fs->fence(f->fs, e->target, op, &err) < 0)
		log_error("fence: `%s`: %s", e->name, err.msg);
}

/* Writers get errors from now on; those blocked by a freeze wake up to them. */
static void shut_down(struct zks_fence *f, struct fenced *e, const char *why)
{
	if (e->state == FENCE_SHUT)
		return;
	fence_op(f, e, ZKS_FENCE_SHUTDOWN);
	fence_op(f, e, ZKS_FENCE_THAW);
	e->state = FENCE_SHUT;
	log_error("fence: shut down the filesystem of `%s` (%s): its writers get errors now; "
		  "stop the containers using it, then start them again",
		  e->name, why);
}

/* ---- the interface ------------------------------------------------------------------------ */

static void store_status_of(void *ctx, struct zks_store_status *out)
{
	store_status(ctx, out);
}

struct zks_fence *zks_fence_new(struct zks_store *store, struct zks_fs *fs, const char *node_id,
				zks_fence_status_fn status, void *status_ctx)
{
	struct zks_fence *f = xcalloc(1, sizeof(*f));

	f->store = store;
	f->fs = fs;
	f->node_id = xstrdup(node_id);
	f->status = status ? status : store_status_of;
	f->status_ctx = status ? status_ctx : store;
	pthread_mutex_init(&f->lock, NULL);
	zks_cond_init_monotonic(&f->cond); /* the thread's waits are on the monotonic clock */
	return f;
}

void zks_fence_free(struct zks_fence *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	f->stopping = true;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	if (f->running)
		pthread_join(f->thread, NULL);
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].record);
		free(f->v[i].target);
	}
	free(f->v);
	free(f->node_id);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static void *fence_main(void *arg)
{
	struct zks_fence *f = arg;

	pthread_mutex_lock(&f->lock);
	while (!f->stopping) {
		struct timespec deadline;

		pthread_mutex_unlock(&f->lock);
		zks_fence_tick(f);
		pthread_mutex_lock(&f->lock);
		/* Nothing fenced here (no image volume mounted): no tick until one is. */
		while (!f->stopping && f->n == 0)
			pthread_cond_wait(&f->cond, &f->lock);
		zks_deadline_after(&deadline, CLOCK_MONOTONIC, ZKS_FENCE_TICK_MS);
		while (!f->stopping && pthread_cond_timedwait(&f->cond, &f->lock, &deadline) == 0)
			;
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

int zks_fence_start(struct zks_fence *f, struct zks_error *err)
{
	int r = pthread_create(&f->thread, NULL, fence_main, f);

	if (r != 0)
		return zks_error_errno(err, r, "start the fencing thread");
	f->running = true;
	return 0;
}

int zks_fence_take(struct zks_fence *f, const char *name, const char *record_path,
		   const char *target, int64_t token, struct zks_error *err)
{
	struct zks_store_status st;
	struct fence_record old;
	struct zks_error e2;
	cleanup_free char *text = NULL;
	struct fenced *e;
	int r = -1;

	f->status(f->status_ctx, &st);
	pthread_mutex_lock(&f->lock);
	if (record_read(f, record_path, &old, &e2) == 0 && old.token > token) {
		zks_error_set(err, ZKS_ERR_CONFLICT,
			      "volume `%s`: its fence record holds a later lease (node `%s`, "
			      "token 0x%" PRIx64 ") than ours (0x%" PRIx64
			      "); refusing to mount it",
			      name, old.node, (uint64_t)old.token, (uint64_t)token);
		goto out;
	}
	if (e2.code == ZKS_ERR_INTERNAL)
		log_warn("fence: %s; writing ours over it", e2.msg);
	text = record_text(f->node_id, st.session_id, token);
	if (f->fs->write_file(f->fs, record_path, text, strlen(text), err) < 0) {
		zks_error_prefix(err, "volume `%s`: record its fence", name);
		goto out;
	}
	e = add(f, name, record_path, target);
	e->token = token;
	e->session = st.session_id;
	e->state = FENCE_LIVE;
	r = 0;
out:
	pthread_mutex_unlock(&f->lock);
	return r;
}

void zks_fence_forget(struct zks_fence *f, const char *name)
{
	struct fenced *e;

	pthread_mutex_lock(&f->lock);
	e = find(f, name);
	if (e != NULL) {
		free(e->name);
		free(e->record);
		free(e->target);
		*e = f->v[--f->n];
	}
	pthread_mutex_unlock(&f->lock);
}

int zks_fence_check_mount(struct zks_fence *f, const char *name, struct zks_error *err)
{
	struct fenced *e;
	int r = 0;

	pthread_mutex_lock(&f->lock);
	e = find(f, name);
	if (e != NULL && e->state == FENCE_SHUT)
		r = zks_error_set(err, ZKS_ERR_UNAVAILABLE,
				  "volume `%s` was shut down on this node when its lease was lost; "
				  "stop the containers using it here, then mount it again",
				  name);
	pthread_mutex_unlock(&f->lock);
	return r;
}

/* Back in touch: thaw if nothing changed hands, else shut down. */
static void settle(struct zks_fence *f, struct fenced *e, const struct zks_store_status *st)
{
	if (st->session_id != e->session) {
		shut_down(f, e, "its lease went with an expired ZooKeeper session");
		return;
	}
	if (!record_is(f, e)) {
		shut_down(f, e, "its fence record is no longer this node's");
		return;
	}
	if (e->state == FENCE_FROZEN) {
		fence_op(f, e, ZKS_FENCE_THAW);
		log_info("fence: thawed `%s` after %" PRId64 " ms frozen: the session is back",
			 e->name, zks_now_ms() - e->frozen_at_ms);
	}
	e->state = FENCE_LIVE;
}

bool zks_fence_keeps(struct zks_fence *f, const char *name, const char *record_path,
		     const char *target)
{
	struct zks_store_status st;
	struct fence_record rec;
	struct zks_error err;
	struct fenced *e;
	bool keeps;

	f->status(f->status_ctx, &st);
	pthread_mutex_lock(&f->lock);
	e = find(f, name);
	if (e == NULL) {
		/* Mounted before this process started: the record says whose it is. */
		e = add(f, name, record_path, target);
		e->state = FENCE_FROZEN; /* a process before us may have frozen it */
		e->frozen_at_ms = zks_now_ms();
		if (record_read(f, record_path, &rec, &err) == 0 && !strcmp(rec.node, f->node_id)) {
			e->session = rec.session;
			e->token = rec.token;
		}
	}
	if (e->state != FENCE_SHUT)
		settle(f, e, &st);
	keeps = e->state == FENCE_LIVE;
	pthread_mutex_unlock(&f->lock);
	return keeps;
}

int zks_fence_snapshot(struct zks_fence *f, const char *name,
		       int (*copy)(void *ctx, struct zks_error *err), void *ctx, int64_t *frozen_ms,
		       struct zks_error *err)
{
	static const char *const why[] = {"", "frozen", "shut down"};
	struct zks_store_status st;
	struct fenced *e;
	int64_t t0;
	int r = -1;

	*frozen_ms = 0;
	f->status(f->status_ctx, &st);
	pthread_mutex_lock(&f->lock);
	e = find(f, name);
	if (e == NULL) {
		zks_error_set(err, ZKS_ERR_NOT_FOUND, "volume `%s` is not mounted on this node",
			      name);
		goto out;
	}
	if (e->state != FENCE_LIVE || st.fenced || st.session_id != e->session) {
		zks_error_set(err, ZKS_ERR_UNAVAILABLE, "volume `%s` cannot be snapshotted now: %s",
			      name,
			      e->state != FENCE_LIVE ? why[e->state]
						     : "this node is cut off from ZooKeeper");
		goto out;
	}
	t0 = zks_now_ms();
	if (f->fs->fence(f->fs, e->target, ZKS_FENCE_FREEZE, err) < 0) {
		zks_error_prefix(err, "volume `%s`", name);
		goto out;
	}
	r = copy(ctx, err);
	f->status(f->status_ctx, &st);
	if (st.fenced) {
		/* Cut off while copying: it stays frozen, the thread settles it (zks_fence_tick). */
		e->state = FENCE_FROZEN;
		e->frozen_at_ms = zks_now_ms();
		log_warn("fence: `%s` stays frozen after its snapshot: cut off from ZooKeeper "
			 "%" PRId64 " ms ago",
			 name, st.silent_ms);
	} else {
		fence_op(f, e, ZKS_FENCE_THAW);
	}
	*frozen_ms = zks_now_ms() - t0;
out:
	pthread_mutex_unlock(&f->lock);
	return r;
}

void zks_fence_tick(struct zks_fence *f)
{
	struct zks_store_status st;

	f->status(f->status_ctx, &st);
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->n; i++) {
		struct fenced *e = &f->v[i];

		if (e->state == FENCE_LIVE && st.fenced) {
			int64_t t0 = zks_now_ms();

			fence_op(f, e, ZKS_FENCE_FREEZE);
			e->state = FENCE_FROZEN;
			e->frozen_at_ms = zks_now_ms();
			/* The freeze's own time counts against the margin (DESIGN.md). */
			log_warn("fence: froze `%s` in %" PRId64 " ms, %" PRId64
				 " ms after ZooKeeper's last answer (writers wait)",
				 e->name, e->frozen_at_ms - t0,
				 st.silent_ms + e->frozen_at_ms - t0);
		} else if (e->state == FENCE_FROZEN && st.state == ZKS_CONN_EXPIRED) {
			shut_down(f, e, "its ZooKeeper session expired");
		} else if (e->state != FENCE_SHUT && st.state == ZKS_CONN_CONNECTED && !st.fenced &&
			   (e->state == FENCE_FROZEN || st.session_id != e->session)) {
			settle(f, e, &st);
		}
	}
	pthread_mutex_unlock(&f->lock);
}

const char *zks_fence_state(struct zks_fence *f, const char *name)
{
	static const char *const names[] = {"live", "frozen", "shut down"};
	const char *s = NULL;
	struct fenced *e;

	pthread_mutex_lock(&f->lock);
	e = find(f, name);
	if (e != NULL)
		s = names[e->state];
	pthread_mutex_unlock(&f->lock);
	return s;
}
