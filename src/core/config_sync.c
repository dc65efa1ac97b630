/*
 * config_sync.c - the node's service of configuration volumes (config_sync.h): keeps
 * the copies of the attached configs current from the mirror, and reports, under this
 * node's session, which version each copy has.
 *
 * One thread, woken by every change of the mirror, every new session and once a
 * second.  A pass takes each attached config in turn: the head from the mirror (not
 * decoded again while its mzxid is the one last decoded and the copy, its error and its
 * report ask for nothing: a change elsewhere in the cluster costs a lookup); when
 * its version is not the one on disk, every blob it lists is read (the mirror first,
 * else ZooKeeper) and the version written (zks_config_dir_write, an atomic swap); then
 * the report /configs/<name>/nodes/<node> is made to say the version on disk as an
 * ephemeral of this session (created; set; or deleted and made again when another
 * session holds it, which after a new session it does, or it is gone).  A blob that
 * cannot be read leaves the copy as it is until the next pass.  Passes are
 * level-triggered: a missed wake-up costs at most a second.  While the mirror is not
 * synced with ZooKeeper, a copy never goes back to an older version.
 *
 * The configs attached are the directories under cfg->dir (STATE_DIR/configs): on
 * start, those already there (the daemon restarted) are attached again with the owner
 * of their directory, and their first pass compares the files, not only the version.
 *
 * Locks:
 *   write_lock  serializes what changes a copy, its report or the table of attached
 *               configs (attach, detach, the pass over one config); held while calling
 *               the store and writing the disk.
 *   lock        a leaf: guards the table's fields and the thread's flags; never held
 *               while calling the store or touching the disk.
 * Order: write_lock, then lock.  The store's callbacks take only lock.  An entry of the
 * table is added and freed with both held, so whoever holds write_lock may keep a
 * pointer to it.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "zkswarm/config_sync.h"
#include "zkswarm/log.h"
#include "zkswarm/names.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"
#include "zkswarm/volumes.h"

#define PERIOD_MS 1000
/* Behind for longer than this: its catching up is worth a line of the log. */
#define CAUGHT_UP_LOG_MS 2000
/* Configs attached on one node, and reports left to delete. */
#define ATTACHED_MAX 1024
#define UNREPORT_MAX 256

struct attached {
	char *name;
	char *dir;
	uid_t uid;
	gid_t gid;
	uint64_t version;	 /* on disk */
	uint64_t latest;	 /* the head's, at the last look at the mirror */
	char at[32];		 /* when that version was written (the report's "at") */
	bool verify;		 /* compare the files at the next pass (attached from disk) */
	int64_t seen_mzxid;	 /* the head's mzxid at its last decoding, 0: none (write_lock) */
	bool reported;		 /* the last pass wrote or found the report (write_lock) */
	int64_t behind_since_ms; /* monotonic; 0 while current */
	char error[256];	 /* why the last update failed, "" if none */
};

struct zks_config_sync {
	struct zks_store *store;
	char *node_id;
	char *dir;
	pthread_mutex_t write_lock; /* see the header: taken before lock */
	pthread_mutex_t lock;	    /* a leaf */
	pthread_cond_t wake;
	struct attached **configs; /* under both locks to change, either to read */
	size_t nconfigs;
	char **unreport; /* configs detached whose report could not be deleted (write_lock) */
	size_t nunreport;
	bool wanted;
	atomic_bool stopping;
	bool started;
	pthread_t thread;
};

/* ---- the table ---------------------------------------------------------------------------- */

static struct attached *find_locked(struct zks_config_sync *cs, const char *name, size_t *index)
{
	for (size_t i = 0; i < cs->nconfigs; i++)
		if (strcmp(cs->configs[i]->name, name) == 0) {
			if (index != NULL)
				*index = i;
			return cs->configs[i];
		}
	return NULL;
}

static void attached_free(struct attached *a)
{
	if (a == NULL)
		return;
	free(a->name);
	free(a->dir);
	free(a);
}

/* Add a (write_lock held); false when the table is full. */
static bool table_add(struct zks_config_sync *cs, struct attached *a)
{
	bool ok;

	pthread_mutex_lock(&cs->lock);
	ok = cs->nconfigs < ATTACHED_MAX;
	if (ok) {
		cs->configs = xrealloc(cs->configs, (cs->nconfigs + 1) * sizeof(*cs->configs));
		cs->configs[cs->nconfigs++] = a;
	}
	pthread_mutex_unlock(&cs->lock);
	return ok;
}

/* Set a's error (write_lock held); logged when it is new. */
static void set_error(struct zks_config_sync *cs, struct attached *a, const char *msg)
{
	bool changed;

	pthread_mutex_lock(&cs->lock);
	changed = strcmp(a->error, msg) != 0;
	snprintf(a->error, sizeof(a->error), "%s", msg);
	pthread_mutex_unlock(&cs->lock);
	if (changed && msg[0] != '\0')
		log_warn("configs: `%s` stays at version %" PRIu64 ": %s", a->name, a->version,
			 msg);
}

static char *copy_path(struct zks_config_sync *cs, const char *name)
{
	return xasprintf("%s/%s", cs->dir, name);
}

/* When the copy's `..data` was made, as RFC 3339; now if it cannot be told. */
static void copy_time(const char *dir, char at[32])
{
	cleanup_free char *link = xasprintf("%s/..data", dir);
	struct stat st;
	struct tm tm;

	if (lstat(link, &st) < 0) {
		zks_rfc3339_now(at);
		return;
	}
	gmtime_r(&st.st_mtime, &tm);
	strftime(at, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- writing a version ---------------------------------------------------------------------- */

static void blobs_free(struct zks_config_dir_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((void *)files[i].data);
	free(files);
}

/* Read every blob m lists and write m's version into dir. */
static int write_version(struct zks_config_sync *cs, const char *name, const char *dir,
			 const struct zks_config_manifest *m, uid_t uid, gid_t gid,
			 struct zks_error *err)
{
	struct zks_config_dir_file *files = xcalloc(m->nfiles ? m->nfiles : 1, sizeof(*files));
	size_t n = 0;
	int r = 0;

	for (; n < m->nfiles && r == 0; n++) {
		char *data = NULL;
		size_t len = 0;

		r = zks_config_read_blob(cs->store, name, &m->files[n], &data, &len, err);
		files[n] = (struct zks_config_dir_file){m->files[n].name, data, len};
	}
	if (r == 0)
		r = zks_config_dir_write(dir, m->version, files, n, uid, gid, err);
	blobs_free(files, n);
	return r;
}

/* ---- the report ----------------------------------------------------------------------------- */

/*
 * Make this node's report of name say version (written at `at`) as an ephemeral of the
 * current session; nothing when it does already.  Only while connected.
 */
static int ensure_report(struct zks_config_sync *cs, const char *name, uint64_t version,
			 const char *at, const struct zks_store_status *status,
			 struct zks_error *err)
{
	cleanup_free char *path = zks_path_config_node(name, cs->node_id);
	cleanup_free char *want = zks_config_node_encode(version, at);
	cleanup_free char *data = NULL;
	struct zks_stat st;
	size_t len = 0;

	if (status->state != ZKS_CONN_CONNECTED)
		return 0;
	if (store_cached_get(cs->store, path, &data, &len, &st) < 0)
		return store_create(cs->store, path, want, strlen(want), ZKS_EPHEMERAL, err);
	if (st.owner == status->session_id && len == strlen(want) && memcmp(data, want, len) == 0)
		return 0;
	if (st.owner == status->session_id)
		return store_set(cs->store, path, want, strlen(want), st.version, err);
	/* Another session's (an earlier one of this node): made again under this one. */
	if (store_remove(cs->store, path, st.version, err) < 0 && err->code != ZKS_ERR_NOT_FOUND)
		return -1;
	return store_create(cs->store, path, want, strlen(want), ZKS_EPHEMERAL, err);
}

static int delete_report(struct zks_config_sync *cs, const char *name, struct zks_error *err)
{
	cleanup_free char *path = zks_path_config_node(name, cs->node_id);

	if (store_remove(cs->store, path, -1, err) < 0 && err->code != ZKS_ERR_NOT_FOUND)
		return -1;
	return 0;
}

/* Retry the deletions of reports that detach could not make (write_lock held). */
static void retry_unreports(struct zks_config_sync *cs)
{
	size_t kept = 0;

	for (size_t i = 0; i < cs->nunreport; i++) {
		struct zks_error err;

		if (delete_report(cs, cs->unreport[i], &err) < 0)
			cs->unreport[kept++] = cs->unreport[i];
		else
			free(cs->unreport[i]);
	}
	cs->nunreport = kept;
}

/* Forget a pending deletion of name's report (it is attached again). */
static void unreport_drop(struct zks_config_sync *cs, const char *name)
{
	for (size_t i = 0; i < cs->nunreport; i++)
		if (strcmp(cs->unreport[i], name) == 0) {
			free(cs->unreport[i]);
			cs->unreport[i] = cs->unreport[--cs->nunreport];
			return;
		}
}

/* ---- one config's pass ---------------------------------------------------------------------- */

/* Bring a (write_lock held) to head m: written unless it is there already. */
static void update_to(struct zks_config_sync *cs, struct attached *a,
		      const struct zks_config_manifest *m)
{
	int64_t t0 = zks_now_ms();
	uint64_t was = a->version;
	struct zks_error err;

	if (write_version(cs, a->name, a->dir, m, a->uid, a->gid, &err) < 0) {
		set_error(cs, a, err.msg);
		return;
	}
	pthread_mutex_lock(&cs->lock);
	a->version = m->version;
	a->verify = false;
	a->error[0] = '\0';
	zks_rfc3339_now(a->at);
	pthread_mutex_unlock(&cs->lock);
	if (was != m->version)
		log_info("configs: `%s` version %" PRIu64 " -> %" PRIu64 " (written in %" PRId64
			 " ms)",
			 a->name, was, m->version, zks_now_ms() - t0);
}

/* Whether a is current now; the start and the end of a time behind (logged when long). */
static void track_behind(struct zks_config_sync *cs, struct attached *a, bool synced)
{
	int64_t now = zks_now_ms(), since;
	bool current;

	pthread_mutex_lock(&cs->lock);
	current = synced && a->version == a->latest;
	since = a->behind_since_ms;
	if (!current && since == 0)
		a->behind_since_ms = now;
	if (current)
		a->behind_since_ms = 0;
	pthread_mutex_unlock(&cs->lock);
	if (current && since != 0 && now - since >= CAUGHT_UP_LOG_MS)
		log_info("configs: `%s` caught up with version %" PRIu64 " after %" PRId64
			 " s behind",
			 a->name, a->version, (now - since + 500) / 1000);
}

/* The head's mzxid in the mirror (0 if it has none, or no exact stat yet). */
static int64_t head_mzxid(struct zks_config_sync *cs, const char *name)
{
	cleanup_free char *path = zks_path_config(name);
	struct zks_stat st;

	if (store_cached_get(cs->store, path, NULL, NULL, &st) < 0)
		return 0;
	return st.mzxid;
}

/*
 * Whether a's report is as the last pass left it, this session's (or cannot be made now
 * anyway): that pass wrote or found it saying a's version, and it is still there.
 */
static bool report_done(struct zks_config_sync *cs, const struct attached *a,
			const struct zks_store_status *status)
{
	cleanup_free char *path = NULL;
	struct zks_stat st;

	if (status->state != ZKS_CONN_CONNECTED)
		return true;
	if (!a->reported)
		return false;
	path = zks_path_config_node(a->name, cs->node_id);
	return store_cached_get(cs->store, path, NULL, NULL, &st) == 0 &&
	       st.owner == status->session_id;
}

/*
 * Whether a's pass has nothing to do (write_lock held): the head is the one last decoded
 * (mzxid; 0 is a stat not exact yet: the mirror's own write, or its saved file), the copy
 * is at its version, no error, no file check, the report there.
 */
static bool nothing_to_do(struct zks_config_sync *cs, struct attached *a, int64_t mzxid,
			  const struct zks_store_status *status)
{
	return mzxid != 0 && mzxid == a->seen_mzxid && !a->verify && a->error[0] == '\0' &&
	       a->version == a->latest && report_done(cs, a, status);
}

/* The pass over one config (write_lock held). */
static void sync_one(struct zks_config_sync *cs, struct attached *a,
		     const struct zks_store_status *status)
{
	int64_t mzxid = head_mzxid(cs, a->name); /* before the read: a change between reads again */
	struct zks_config_manifest m;
	struct zks_error err;

	if (nothing_to_do(cs, a, mzxid, status)) {
		track_behind(cs, a, status->mirror_synced);
		return;
	}
	if (zks_config_head(cs->store, a->name, false, &m, NULL, &err) < 0) {
		/* Not in the mirror: gone from ZooKeeper if the mirror is complete. */
		if (status->mirror_synced)
			set_error(cs, a, err.msg);
		track_behind(cs, a, false);
		return;
	}
	a->seen_mzxid = mzxid;
	pthread_mutex_lock(&cs->lock);
	a->latest = m.version;
	pthread_mutex_unlock(&cs->lock);
	/* An incomplete mirror may be older than the disk: never go back on its word. */
	if ((m.version != a->version || a->verify) &&
	    (status->mirror_synced || m.version > a->version))
		update_to(cs, a, &m);
	else if (a->error[0] != '\0' && m.version == a->version)
		set_error(cs, a, "");
	zks_config_manifest_clear(&m);
	a->reported = ensure_report(cs, a->name, a->version, a->at, status, &err) == 0 &&
		      status->state == ZKS_CONN_CONNECTED;
	if (!a->reported && status->state == ZKS_CONN_CONNECTED)
		log_debug("configs: `%s`: report not written yet: %s", a->name, err.msg);
	track_behind(cs, a, status->mirror_synced);
}

/* The names attached now (a copy, for a pass). */
static char **snapshot_names(struct zks_config_sync *cs, size_t *n)
{
	char **names;

	pthread_mutex_lock(&cs->lock);
	*n = cs->nconfigs;
	names = xcalloc(*n ? *n : 1, sizeof(*names));
	for (size_t i = 0; i < *n; i++)
		names[i] = xstrdup(cs->configs[i]->name);
	pthread_mutex_unlock(&cs->lock);
	return names;
}

static void pass(struct zks_config_sync *cs)
{
	struct zks_store_status status;
	size_t n;
	char **names = snapshot_names(cs, &n);

	store_status(cs->store, &status);
	for (size_t i = 0; i < n && !atomic_load(&cs->stopping); i++) {
		struct attached *a;

		pthread_mutex_lock(&cs->write_lock);
		pthread_mutex_lock(&cs->lock);
		a = find_locked(cs, names[i], NULL);
		pthread_mutex_unlock(&cs->lock);
		if (a != NULL) /* not detached meanwhile */
			sync_one(cs, a, &status);
		pthread_mutex_unlock(&cs->write_lock);
	}
	pthread_mutex_lock(&cs->write_lock);
	if (status.state == ZKS_CONN_CONNECTED)
		retry_unreports(cs);
	pthread_mutex_unlock(&cs->write_lock);
	zks_free_strv(names, n);
}

/* ---- the thread ----------------------------------------------------------------------------- */

static void wake(void *ctx)
{
	struct zks_config_sync *cs = ctx;

	pthread_mutex_lock(&cs->lock);
	cs->wanted = true;
	pthread_cond_signal(&cs->wake);
	pthread_mutex_unlock(&cs->lock);
}

/* After a new session, the reports (ephemerals of the old one) are made again. */
static void on_session(void *ctx, int64_t session_id)
{
	(void)session_id;
	wake(ctx);
}

static void *worker_main(void *arg)
{
	struct zks_config_sync *cs = arg;

	pthread_mutex_lock(&cs->lock);
	while (!atomic_load(&cs->stopping)) {
		if (!cs->wanted) {
			struct timespec ts;

			zks_deadline_after(&ts, CLOCK_REALTIME, PERIOD_MS);
			pthread_cond_timedwait(&cs->wake, &cs->lock, &ts);
		}
		if (atomic_load(&cs->stopping))
			break;
		cs->wanted = false;
		pthread_mutex_unlock(&cs->lock);
		pass(cs);
		pthread_mutex_lock(&cs->lock);
	}
	pthread_mutex_unlock(&cs->lock);
	return NULL;
}

/* ---- attach and detach ---------------------------------------------------------------------- */

/* Whether dir holds a copy with a version; *version is it. */
static bool disk_copy(const char *dir, uint64_t *version)
{
	cleanup_free char *link = xasprintf("%s/..data", dir);
	struct stat st;

	return zks_config_dir_version(dir, version) == 0 && lstat(link, &st) == 0;
}

/*
 * The head to attach at: from a synced mirror, else from ZooKeeper.  *stale: it came
 * from a mirror not synced (ZooKeeper could not answer).  NOT_FOUND, UNAVAILABLE.
 */
static int attach_head(struct zks_config_sync *cs, const char *name, struct zks_config_manifest *m,
		       bool *stale, struct zks_error *err)
{
	struct zks_store_status status;
	struct zks_error e;

	*stale = false;
	store_status(cs->store, &status);
	if (status.mirror_synced && zks_config_head(cs->store, name, false, m, NULL, &e) == 0)
		return 0;
	if (zks_config_head(cs->store, name, true, m, NULL, err) == 0)
		return 0;
	if (err->code != ZKS_ERR_UNAVAILABLE)
		return -1;
	/* ZooKeeper cannot answer: what the mirror last had, if anything. */
	if (zks_config_head(cs->store, name, false, m, NULL, &e) < 0)
		return -1;
	*stale = true;
	return 0;
}

/* The attach's disk part: a's copy made current, or the copy there kept. */
static int attach_copy(struct zks_config_sync *cs, struct attached *a, struct zks_error *err)
{
	struct zks_config_manifest m;
	bool have = disk_copy(a->dir, &a->version), stale;
	int64_t t0 = zks_now_ms();
	struct zks_error e;

	if (attach_head(cs, a->name, &m, &stale, &e) < 0) {
		if (e.code == ZKS_ERR_UNAVAILABLE && have) {
			snprintf(a->error, sizeof(a->error), "%s", e.msg);
			a->verify = true; /* kept unseen: its files are compared at the next pass */
			return 0;
		}
		*err = e;
		if (e.code != ZKS_ERR_UNAVAILABLE)
			return -1;
		return zks_error_prefix(err, "config volume \"%s\" has no copy on this node",
					a->name);
	}
	a->latest = m.version;
	if (have && stale && m.version <= a->version) {
		zks_config_manifest_clear(&m);
		return 0; /* the disk's is as new as anything known */
	}
	if (write_version(cs, a->name, a->dir, &m, a->uid, a->gid, &e) < 0) {
		zks_config_manifest_clear(&m);
		if (have) {
			snprintf(a->error, sizeof(a->error), "%s", e.msg);
			a->verify = true;
			return 0;
		}
		*err = e;
		return zks_error_prefix(err, "config volume \"%s\"", a->name);
	}
	log_info("configs: `%s` attached at version %" PRIu64 " (ready in %" PRId64 " ms)", a->name,
		 m.version, zks_now_ms() - t0);
	a->version = m.version;
	zks_config_manifest_clear(&m);
	return 0;
}

int zks_config_sync_attach(struct zks_config_sync *cs, const char *name, uid_t uid, gid_t gid,
			   char **dir, struct zks_error *err)
{
	struct attached *a = xcalloc(1, sizeof(*a)), *old;
	struct zks_store_status status;
	struct zks_error e;
	int r;

	*dir = NULL;
	if (zks_validate_name("volume", name, 1, ZKS_VOLUME_NAME_MAX, err) < 0) {
		free(a);
		return -1;
	}
	a->name = xstrdup(name);
	a->dir = copy_path(cs, name);
	a->uid = uid;
	a->gid = gid;
	pthread_mutex_lock(&cs->write_lock);
	r = attach_copy(cs, a, err);
	copy_time(a->dir, a->at);
	pthread_mutex_lock(&cs->lock);
	old = r == 0 ? find_locked(cs, name, NULL) : NULL;
	if (old != NULL) { /* attached already: its entry takes the new state */
		old->version = a->version;
		old->latest = a->latest;
		memcpy(old->at, a->at, sizeof(old->at));
		memcpy(old->error, a->error, sizeof(old->error));
		old->verify = a->verify;
		old->seen_mzxid = 0; /* its head decoded, its report checked at the next pass */
		old->reported = false;
	}
	pthread_mutex_unlock(&cs->lock);
	if (r == 0 && old == NULL && !table_add(cs, a))
		r = zks_error_set(err, ZKS_ERR_INVALID, "more than %d config volumes on this node",
				  ATTACHED_MAX);
	if (r == 0 && old == NULL)
		old = steal_pointer(&a);
	if (r == 0) {
		unreport_drop(cs, name);
		store_status(cs->store, &status);
		if (ensure_report(cs, name, old->version, old->at, &status, &e) < 0)
			log_debug("configs: `%s`: report not written yet: %s", name, e.msg);
		*dir = xstrdup(old->dir);
	}
	pthread_mutex_unlock(&cs->write_lock);
	attached_free(a);
	return r;
}

void zks_config_sync_detach(struct zks_config_sync *cs, const char *name)
{
	cleanup_free char *dir = NULL;
	struct attached *a;
	struct zks_error err;
	size_t i;

	if (zks_validate_name("volume", name, 1, ZKS_VOLUME_NAME_MAX, NULL) < 0)
		return;
	dir = copy_path(cs, name);
	pthread_mutex_lock(&cs->write_lock);
	pthread_mutex_lock(&cs->lock);
	a = find_locked(cs, name, &i);
	if (a != NULL)
		cs->configs[i] = cs->configs[--cs->nconfigs];
	pthread_mutex_unlock(&cs->lock);
	attached_free(a);
	if (zks_config_dir_remove(dir, &err) < 0)
		log_warn("configs: `%s`: %s", name, err.msg);
	if (delete_report(cs, name, &err) < 0) {
		log_debug("configs: `%s`: report not deleted yet: %s", name, err.msg);
		if (cs->nunreport < UNREPORT_MAX) {
			unreport_drop(cs, name);
			cs->unreport =
				xrealloc(cs->unreport, (cs->nunreport + 1) * sizeof(*cs->unreport));
			cs->unreport[cs->nunreport++] = xstrdup(name);
		}
	}
	pthread_mutex_unlock(&cs->write_lock);
}

void zks_config_sync_keep_only(struct zks_config_sync *cs, char *const *names, size_t n)
{
	size_t count;
	char **attached = snapshot_names(cs, &count);

	for (size_t i = 0; i < count; i++) {
		bool mounted = false;

		for (size_t j = 0; j < n && !mounted; j++)
			mounted = strcmp(names[j], attached[i]) == 0;
		if (mounted)
			continue;
		log_info("configs: `%s` is mounted nowhere on this node any more (a restart of the "
			 "node); its copy goes",
			 attached[i]);
		zks_config_sync_detach(cs, attached[i]);
	}
	zks_free_strv(attached, count);
}

/* ---- Status ------------------------------------------------------------------------------- */

void zks_config_sync_local(struct zks_config_sync *cs, const char *name,
			   struct zks_config_local *out)
{
	struct zks_store_status status;
	struct zks_config_manifest m;
	bool known;
	struct attached *a;

	memset(out, 0, sizeof(*out));
	store_status(cs->store, &status);
	known = zks_config_head(cs->store, name, false, &m, NULL, NULL) == 0;
	if (known) {
		out->latest = m.version;
		zks_config_manifest_clear(&m);
	}
	pthread_mutex_lock(&cs->lock);
	a = find_locked(cs, name, NULL);
	if (a != NULL) {
		out->attached = true;
		out->version = a->version;
		snprintf(out->error, sizeof(out->error), "%s", a->error);
		out->current = known && status.mirror_synced && a->version == out->latest;
		if (!out->current && a->behind_since_ms != 0)
			out->behind_ms = zks_now_ms() - a->behind_since_ms;
	}
	pthread_mutex_unlock(&cs->lock);
}

void zks_config_sync_counts(struct zks_config_sync *cs, size_t *attached, size_t *behind)
{
	struct zks_store_status status;

	store_status(cs->store, &status);
	*behind = 0;
	pthread_mutex_lock(&cs->lock);
	*attached = cs->nconfigs;
	for (size_t i = 0; i < cs->nconfigs; i++) {
		const struct attached *a = cs->configs[i];

		*behind +=
			!status.mirror_synced || a->version != a->latest || a->behind_since_ms != 0;
	}
	pthread_mutex_unlock(&cs->lock);
}

/* ---- life ----------------------------------------------------------------------------------- */

struct zks_config_sync *zks_config_sync_new(struct zks_store *store,
					    const struct zks_config_sync_config *cfg,
					    struct zks_error *err)
{
	struct zks_config_sync *cs;

	if (cfg->node_id == NULL || cfg->dir == NULL || cfg->dir[0] != '/') {
		zks_error_set(err, ZKS_ERR_INVALID,
			      "config copies: a node ID and an absolute directory are needed");
		return NULL;
	}
	cs = xcalloc(1, sizeof(*cs));
	cs->store = store;
	cs->node_id = xstrdup(cfg->node_id);
	cs->dir = xstrdup(cfg->dir);
	pthread_mutex_init(&cs->write_lock, NULL);
	pthread_mutex_init(&cs->lock, NULL);
	pthread_cond_init(&cs->wake, NULL);
	return cs;
}

/* The names of dir's entries (at most ATTACHED_MAX), not . and ... */
static int list_dir(const char *dir, char ***names, size_t *n, struct zks_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	*names = NULL;
	*n = 0;
	if (d == NULL)
		return zks_error_errno(err, errno, "list `%s`", dir);
	while ((de = readdir(d)) != NULL && *n < ATTACHED_MAX) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		*names = xrealloc(*names, (*n + 1) * sizeof(**names));
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	return 0;
}

static bool attached_already(struct zks_config_sync *cs, const char *name)
{
	bool found;

	pthread_mutex_lock(&cs->lock);
	found = find_locked(cs, name, NULL) != NULL;
	pthread_mutex_unlock(&cs->lock);
	return found;
}

/* Attach again the copies found under cs->dir, owned as their directories are. */
static int reattach_from_disk(struct zks_config_sync *cs, struct zks_error *err)
{
	char **names = NULL;
	size_t n = 0;

	if (zks_mkdir_p(cs->dir, 0755, err) < 0)
		return zks_error_prefix(err, "config copies");
	if (list_dir(cs->dir, &names, &n, err) < 0)
		return zks_error_prefix(err, "config copies");
	pthread_mutex_lock(&cs->write_lock);
	for (size_t i = 0; i < n; i++) {
		struct attached *a = xcalloc(1, sizeof(*a));
		struct stat st;

		a->name = steal_pointer(&names[i]);
		a->dir = copy_path(cs, a->name);
		a->verify = true;
		if (zks_validate_name("volume", a->name, 1, ZKS_VOLUME_NAME_MAX, NULL) < 0 ||
		    lstat(a->dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    !disk_copy(a->dir, &a->version) || attached_already(cs, a->name)) {
			attached_free(a);
			continue;
		}
		a->uid = st.st_uid;
		a->gid = st.st_gid;
		copy_time(a->dir, a->at);
		if (!table_add(cs, a)) {
			attached_free(a);
			continue;
		}
		log_info("configs: `%s` kept at version %" PRIu64 " from the disk", a->name,
			 a->version);
	}
	pthread_mutex_unlock(&cs->write_lock);
	zks_free_strv(names, n);
	return 0;
}

/* The configurations and this node's reports on them. */
static const char *const config_reads[] = {ZKS_CONFIGS, NULL};

int zks_config_sync_start(struct zks_config_sync *cs, struct zks_error *err)
{
	if (cs->started)
		return 0;
	if (reattach_from_disk(cs, err) < 0)
		return -1;
	atomic_store(&cs->stopping, false);
	cs->wanted = true; /* a first pass at once */
	if (pthread_create(&cs->thread, NULL, worker_main, cs) != 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "config copies: cannot start a thread");
	cs->started = true;
	store_on_change(cs->store, config_reads, wake, cs);
	store_on_session(cs->store, on_session, cs);
	return 0;
}

void zks_config_sync_stop(struct zks_config_sync *cs)
{
	if (cs == NULL || !cs->started)
		return;
	pthread_mutex_lock(&cs->lock);
	atomic_store(&cs->stopping, true);
	pthread_cond_broadcast(&cs->wake);
	pthread_mutex_unlock(&cs->lock);
	pthread_join(cs->thread, NULL);
	cs->started = false;
}

void zks_config_sync_free(struct zks_config_sync *cs)
{
	if (cs == NULL)
		return;
	zks_config_sync_stop(cs);
	for (size_t i = 0; i < cs->nconfigs; i++)
		attached_free(cs->configs[i]);
	free(cs->configs);
	zks_free_strv(cs->unreport, cs->nunreport);
	pthread_mutex_destroy(&cs->write_lock);
	pthread_mutex_destroy(&cs->lock);
	pthread_cond_destroy(&cs->wake);
	free(cs->node_id);
	free(cs->dir);
	free(cs);
}
