/*
 * volume_snapshots.c - snapshot requests of image volumes: made on the node asked, carried out
 * by the node that has the volume mounted (or the one asked), answered through the record
 * (volume_snapshots.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zkswarm/log.h"
#include "zkswarm/names.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"
#include "zkswarm/volume_snapshots.h"

/* A pass at least this often, should a change be missed (a request left by a restart). */
#define PASS_EVERY_MS 5000
/* Attempts of the request's transaction when the volume's record changes meanwhile. */
#define REQUEST_ATTEMPTS 5

struct zks_volume_snapshots {
	struct zks_store *store;
	struct zks_volumes *volumes;
	char *node_id;
	int wait_ms;		/* how long a request waits for its outcome */
	pthread_mutex_t lock;	/* a leaf: the fields below */
	pthread_cond_t wake;	/* the thread: a change, or stopping */
	pthread_cond_t changed; /* the waiting requests: the mirror changed */
	bool wanted, stopping, started;
	pthread_t thread;
};

/* ---- a record ------------------------------------------------------------------------------ */

/* The record in the mirror (authoritative: in ZooKeeper): 0, 1 if there is none, -1. */
static int read_record(struct zks_volume_snapshots *s, const char *path, bool authoritative,
		       struct zks_record_snapshot *rec, int32_t *version, struct zks_error *err)
{
	cleanup_free char *data = NULL;
	struct zks_stat st;

	if (authoritative) {
		if (store_get(s->store, path, &data, NULL, &st, err) < 0)
			return err->code == ZKS_ERR_NOT_FOUND ? 1 : -1;
	} else if (store_cached_get(s->store, path, &data, NULL, &st) < 0) {
		return 1;
	}
	if (zks_record_snapshot_decode(data, rec, err) < 0)
		return -1;
	if (version != NULL)
		*version = st.version;
	return 0;
}

static int write_record(struct zks_volume_snapshots *s, const char *path,
			const struct zks_record_snapshot *rec, int32_t version,
			struct zks_error *err)
{
	cleanup_free char *text = zks_record_snapshot_encode(rec);

	return store_set(s->store, path, text, strlen(text), version, err);
}

/* ---- the requesting node ------------------------------------------------------------------- */

/*
 * The request, made "requested" with the volume's record rewritten at the version read: an
 * image volume's, or refused.
 */
static int request(struct zks_volume_snapshots *s, const char *volume, const char *snap,
		   const char *path, struct zks_error *err)
{
	cleanup_free char *vpath = zks_path_volume(volume);
	char at[32];
	struct zks_record_snapshot rec = {.volume = (char *)volume,
					  .snapshot = (char *)snap,
					  .state = ZKS_SNAPSHOT_REQUESTED,
					  .requested_by = s->node_id,
					  .requested_at = at};
	cleanup_free char *text = NULL;

	zks_rfc3339_now(at);
	text = zks_record_snapshot_encode(&rec);
	for (int attempt = 0; attempt < REQUEST_ATTEMPTS; attempt++) {
		cleanup_free char *data = NULL;
		struct zks_record_volume vol;
		struct zks_stat st;
		size_t len;
		bool image;

		if (store_get(s->store, vpath, &data, &len, &st, err) < 0) {
			if (err->code == ZKS_ERR_NOT_FOUND)
				zks_error_set(err, ZKS_ERR_NOT_FOUND, "no such volume: %s", volume);
			return -1;
		}
		if (zks_record_volume_decode(volume, data, &vol, err) < 0)
			return -1;
		image = vol.opts.type == ZKS_VOLUME_IMAGE;
		zks_record_volume_clear(&vol);
		if (!image)
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "volume `%s` has no snapshots: they are of image "
					     "volumes only (type=image)",
					     volume);
		struct zks_op ops[] = {
			{.type = ZKS_OP_SET,
			 .path = vpath,
			 .data = data,
			 .len = len,
			 .version = st.version},
			{.type = ZKS_OP_CREATE, .path = path, .data = text, .len = strlen(text)},
		};
		if (store_multi(s->store, ops, ARRAY_SIZE(ops), err) == 0)
			return 0;
		if (err->code == ZKS_ERR_EXISTS)
			return zks_error_set(err, ZKS_ERR_EXISTS, "snapshot `%s@%s` already exists",
					     volume, snap);
		if (err->code != ZKS_ERR_CONFLICT && err->code != ZKS_ERR_NOT_FOUND)
			return -1;
		/* The volume's record changed (or went) meanwhile: read it again. */
	}
	return zks_error_set(err, ZKS_ERR_CONFLICT,
			     "volume `%s` kept changing while its snapshot was asked; try again",
			     volume);
}

/* Wait for the mirror to change, until deadline (monotonic ms): false once it has passed. */
static bool wait_change(struct zks_volume_snapshots *s, int64_t deadline)
{
	struct timespec ts;
	int64_t left = deadline - zks_now_ms();

	if (left <= 0)
		return false;
	zks_deadline_after(&ts, CLOCK_MONOTONIC, left < 200 ? left : 200);
	pthread_mutex_lock(&s->lock);
	pthread_cond_timedwait(&s->changed, &s->lock, &ts);
	pthread_mutex_unlock(&s->lock);
	return true;
}

/* The mirror has snapshot records (or cannot tell): a pass may have something to do. */
static bool any_requests(struct zks_volume_snapshots *s)
{
	char **names = NULL;
	size_t n = 0;

	if (store_cached_children(s->store, ZKS_SNAPSHOTS, &names, &n) < 0)
		return true;
	zks_free_strv(names, n);
	return n > 0;
}

/*
 * The mirror changed.  The thread is woken only if there are snapshot records: every
 * volume write changes /volumes, and waking it for nothing cost each write two context
 * switches.  The waiting requests are told in any case.
 */
static void wake(void *ctx)
{
	struct zks_volume_snapshots *s = ctx;
	bool wanted = any_requests(s);

	pthread_mutex_lock(&s->lock);
	if (wanted) {
		s->wanted = true;
		pthread_cond_signal(&s->wake);
	}
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

/* No answer in time: a request nobody claimed goes (none may start it later); else say who. */
static int gave_up(struct zks_volume_snapshots *s, const char *path, const char *ref, int wait_ms,
		   struct zks_error *err)
{
	struct zks_record_snapshot rec;
	struct zks_error e2;
	int32_t version;
	int r = read_record(s, path, true, &rec, &version, &e2);

	if (r == 0 && rec.state == ZKS_SNAPSHOT_REQUESTED &&
	    store_remove(s->store, path, version, &e2) == 0)
		zks_error_set(err, ZKS_ERR_UNAVAILABLE,
			      "snapshot `%s`: no node took it within %d s (the node that has the "
			      "volume mounted did not answer); the request is withdrawn",
			      ref, wait_ms / 1000);
	else if (r == 0 && rec.state == ZKS_SNAPSHOT_TAKING)
		zks_error_set(err, ZKS_ERR_UNAVAILABLE,
			      "snapshot `%s`: node `%s` is still taking it after %d s; `zkswarmctl "
			      "volume snapshots` shows when it is done",
			      ref, rec.by ? rec.by : "?", wait_ms / 1000);
	else
		zks_error_set(err, ZKS_ERR_UNAVAILABLE,
			      "snapshot `%s`: no outcome within %d s; `zkswarmctl volume "
			      "snapshots` shows where it stands",
			      ref, wait_ms / 1000);
	if (r == 0)
		zks_record_snapshot_clear(&rec);
	return -1;
}

int zks_volume_snapshots_take(struct zks_volume_snapshots *s, const char *volume, const char *snap,
			      int wait_ms, struct zks_record_snapshot *out, struct zks_error *err)
{
	char named[32], ref[ZKS_SNAPSHOT_REF_MAX + 8];
	cleanup_free char *path = NULL;
	int64_t deadline;

	memset(out, 0, sizeof(*out));
	if (snap == NULL || snap[0] == '\0') {
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(named, sizeof(named), "snap-%Y%m%dT%H%M%SZ", &tm);
		snap = named;
	}
	if (zks_validate_name("volume", volume, 1, ZKS_VOLUME_NAME_MAX, err) < 0 ||
	    zks_snapshot_name_check(snap, err) < 0)
		return -1;
	if (wait_ms <= 0 || wait_ms > ZKS_SNAPSHOT_WAIT_MAX_MS)
		wait_ms = s->wait_ms;
	snprintf(ref, sizeof(ref), "%s@%s", volume, snap);
	path = zks_path_snapshot(volume, snap);
	if (request(s, volume, snap, path, err) < 0)
		return -1;
	log_info("snapshots: asked for `%s`", ref);
	/* This node's to take (it has it mounted, or none has): at once, on this thread. */
	zks_volume_snapshots_pass(s);
	deadline = zks_now_ms() + wait_ms;
	do {
		struct zks_record_snapshot rec;
		struct zks_error e2;
		int32_t version;

		if (read_record(s, path, false, &rec, &version, &e2) != 0)
			continue; /* not in the mirror yet, or unreadable there */
		if (rec.state == ZKS_SNAPSHOT_DONE) {
			*out = rec;
			return 0;
		}
		if (rec.state == ZKS_SNAPSHOT_FAILED) {
			zks_error_set(err, ZKS_ERR_SYSTEM, "snapshot `%s` failed on node `%s`: %s",
				      ref, rec.by ? rec.by : "?", rec.error ? rec.error : "?");
			if (store_remove(s->store, path, version, &e2) < 0)
				log_warn("snapshots: could not remove the failed `%s`: %s", ref,
					 e2.msg);
			zks_record_snapshot_clear(&rec);
			return -1;
		}
		zks_record_snapshot_clear(&rec);
	} while (wait_change(s, deadline));
	return gave_up(s, path, ref, wait_ms, err);
}

/* Whether the node named is registered (its daemon's session lives). */
static bool node_alive(struct zks_volume_snapshots *s, const char *node)
{
	cleanup_free char *path = node ? zks_path_node(node) : NULL;

	return path != NULL && store_cached_get(s->store, path, NULL, NULL, NULL) == 0;
}

int zks_volume_snapshots_remove(struct zks_volume_snapshots *s, const char *volume,
				const char *snap, struct zks_error *err)
{
	cleanup_free char *path = NULL;
	struct zks_record_snapshot rec;
	int32_t version;
	int r;

	if (zks_validate_name("volume", volume, 1, ZKS_VOLUME_NAME_MAX, err) < 0 ||
	    zks_snapshot_name_check(snap, err) < 0)
		return -1;
	path = zks_path_snapshot(volume, snap);
	r = read_record(s, path, true, &rec, &version, err);
	if (r == 1)
		return zks_error_set(err, ZKS_ERR_NOT_FOUND, "no snapshot `%s@%s`", volume, snap);
	if (r < 0)
		return -1;
	/* One being taken is left alone, unless the node taking it is gone. */
	if ((rec.state == ZKS_SNAPSHOT_TAKING && node_alive(s, rec.by)) ||
	    (rec.state == ZKS_SNAPSHOT_REQUESTED && node_alive(s, rec.requested_by))) {
		zks_error_set(err, ZKS_ERR_CONFLICT,
			      "snapshot `%s@%s` is being taken (%s, node `%s`); remove it once it "
			      "is done",
			      volume, snap, zks_snapshot_state_name(rec.state),
			      rec.by ? rec.by : rec.requested_by);
		zks_record_snapshot_clear(&rec);
		return -1;
	}
	zks_record_snapshot_clear(&rec);
	if (store_remove(s->store, path, version, err) < 0)
		return zks_error_prefix(err, "remove snapshot `%s@%s`", volume, snap);
	/* Its record first: a file without one is only space, a record without its file a lie. */
	if (zks_volumes_snapshot_remove_file(s->volumes, volume, snap, err) < 0)
		log_error("snapshots: removed `%s@%s` but not its file: %s", volume, snap,
			  err->msg);
	log_info("snapshots: removed `%s@%s`", volume, snap);
	return 0;
}

/* ---- the node that carries a request out --------------------------------------------------- */

/* Whether this node should take it: it has the volume mounted, or asked and none holds it. */
static bool ours(struct zks_volume_snapshots *s, const struct zks_record_snapshot *rec,
		 bool *may_lease)
{
	cleanup_free char *holder = NULL;

	*may_lease = false;
	if (zks_volumes_mounted_here(s->volumes, rec->volume))
		return true;
	if (rec->requested_by == NULL || strcmp(rec->requested_by, s->node_id) != 0)
		return false;
	holder = zks_path_volume_holder(rec->volume);
	*may_lease = store_cached_get(s->store, holder, NULL, NULL, NULL) < 0;
	return *may_lease;
}

static void carry_out(struct zks_volume_snapshots *s, const char *path,
		      struct zks_record_snapshot *rec, int32_t version)
{
	struct zks_snapshot_taken taken;
	struct zks_error err, e2;
	char at[32];
	bool may_lease;
	int r;

	if (!ours(s, rec, &may_lease))
		return;
	/* The claim: one node's set at the version read wins. */
	rec->state = ZKS_SNAPSHOT_TAKING;
	free(rec->by);
	rec->by = xstrdup(s->node_id);
	if (write_record(s, path, rec, version, &err) < 0) {
		log_debug("snapshots: `%s@%s` claimed elsewhere: %s", rec->volume, rec->snapshot,
			  err.msg);
		return;
	}
	version++;
	r = zks_volumes_snapshot_take(s->volumes, rec->volume, rec->snapshot, may_lease, &taken,
				      &err);
	if (r < 0 && (err.code == ZKS_ERR_CONFLICT || err.code == ZKS_ERR_NOT_FOUND)) {
		/* Mounted elsewhere meanwhile, or unmounted here: back to whoever has it now. */
		log_info("snapshots: handing `%s@%s` back: %s", rec->volume, rec->snapshot,
			 err.msg);
		rec->state = ZKS_SNAPSHOT_REQUESTED;
		free(rec->by);
		rec->by = NULL;
		if (write_record(s, path, rec, version, &e2) < 0)
			log_warn("snapshots: `%s@%s`: %s", rec->volume, rec->snapshot, e2.msg);
		return;
	}
	zks_rfc3339_now(at);
	rec->taken_at = xstrdup(at);
	if (r == 0) {
		rec->state = ZKS_SNAPSHOT_DONE;
		rec->size = taken.size;
		rec->method = xstrdup(taken.method);
		log_info("snapshots: took `%s@%s` on this node (%s, %llu bytes, frozen %lld ms)",
			 rec->volume, rec->snapshot, taken.method, taken.size,
			 (long long)taken.frozen_ms);
	} else {
		rec->state = ZKS_SNAPSHOT_FAILED;
		rec->error = xstrdup(err.msg);
		log_error("snapshots: `%s@%s` failed: %s", rec->volume, rec->snapshot, err.msg);
	}
	if (write_record(s, path, rec, version, &e2) < 0) {
		/* Withdrawn meanwhile (the requester gave up): what was copied goes. */
		log_warn("snapshots: could not record the outcome of `%s@%s`: %s", rec->volume,
			 rec->snapshot, e2.msg);
		if (r == 0 && e2.code != ZKS_ERR_UNAVAILABLE &&
		    zks_volumes_snapshot_remove_file(s->volumes, rec->volume, rec->snapshot, &e2) <
			    0)
			log_warn("snapshots: %s", e2.msg);
	}
}

void zks_volume_snapshots_pass(struct zks_volume_snapshots *s)
{
	char **names = NULL;
	size_t n = 0;

	if (store_cached_children(s->store, ZKS_SNAPSHOTS, &names, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *path = xasprintf(ZKS_SNAPSHOTS "/%s", names[i]);
		struct zks_record_snapshot rec;
		struct zks_error err;
		int32_t version;

		if (read_record(s, path, false, &rec, &version, &err) != 0)
			continue;
		/* The name decides which volume and snapshot: the fields must agree with it. */
		if (rec.state == ZKS_SNAPSHOT_REQUESTED && rec.volume && rec.snapshot &&
		    zks_snapshot_of(names[i], rec.volume) != NULL &&
		    !strcmp(zks_snapshot_of(names[i], rec.volume), rec.snapshot) &&
		    zks_validate_name("volume", rec.volume, 1, ZKS_VOLUME_NAME_MAX, &err) == 0 &&
		    zks_snapshot_name_check(rec.snapshot, &err) == 0)
			carry_out(s, path, &rec, version);
		zks_record_snapshot_clear(&rec);
	}
	zks_free_strv(names, n);
}

/* ---- the thread ---------------------------------------------------------------------------- */

static void *snapshots_main(void *arg)
{
	struct zks_volume_snapshots *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		struct timespec deadline;

		zks_deadline_after(&deadline, CLOCK_MONOTONIC, PASS_EVERY_MS);
		while (!s->wanted && !s->stopping)
			if (pthread_cond_timedwait(&s->wake, &s->lock, &deadline) != 0)
				break;
		if (s->stopping)
			break;
		s->wanted = false;
		pthread_mutex_unlock(&s->lock);
		zks_volume_snapshots_pass(s);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct zks_volume_snapshots *zks_volume_snapshots_new(struct zks_store *store,
						      struct zks_volumes *volumes,
						      const char *node_id, int wait_ms)
{
	struct zks_volume_snapshots *s = xcalloc(1, sizeof(*s));

	s->wait_ms =
		wait_ms > 0 && wait_ms <= ZKS_SNAPSHOT_WAIT_MAX_MS ? wait_ms : ZKS_SNAPSHOT_WAIT_MS;
	s->store = store;
	s->volumes = volumes;
	s->node_id = xstrdup(node_id);
	pthread_mutex_init(&s->lock, NULL);
	zks_cond_init_monotonic(&s->wake);
	zks_cond_init_monotonic(&s->changed);
	return s;
}

/* A pass reads the requests, the volumes' holders and the nodes registered. */
static const char *const snapshots_read[] = {ZKS_SNAPSHOTS, ZKS_VOLUMES, ZKS_NODES, NULL};

int zks_volume_snapshots_start(struct zks_volume_snapshots *s, struct zks_error *err)
{
	int r = pthread_create(&s->thread, NULL, snapshots_main, s);

	if (r != 0)
		return zks_error_errno(err, r, "start the snapshots' thread");
	s->started = true;
	store_on_change(s->store, snapshots_read, wake, s);
	return 0;
}

void zks_volume_snapshots_stop(struct zks_volume_snapshots *s)
{
	if (s == NULL || !s->started)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->started = false;
}

void zks_volume_snapshots_free(struct zks_volume_snapshots *s)
{
	if (s == NULL)
		return;
	zks_volume_snapshots_stop(s);
	pthread_cond_destroy(&s->changed);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s->node_id);
	free(s);
}
