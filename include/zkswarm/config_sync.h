/*
 * config_sync.h - a node's copies of configuration volumes: written to its
 * disk (the state mount), swapped atomically, kept current from the mirror.
 *
 * The copy of config NAME is the directory DIR = STATE_DIR/configs/NAME,
 * laid out as Kubernetes lays out a ConfigMap volume:
 *
 *   DIR/..v<N>/<file>        version N's files (0444), written and fsynced first
 *   DIR/..data -> ..v<N>     the current version: one rename(2) swaps it
 *   DIR/<file> -> ..data/<file>
 *
 * DIR is what the volume's mount binds (read-only); a reader that opens
 * DIR/<file> gets one version's whole file, never a mix or a part.  The
 * links of files new in a version are made before its swap (dangling until
 * it), those of removed files go after it, and the old ..v<N> goes at a later
 * write, once it stopped being current 5 s before (a reader held up between
 * `..data` and its file still finds it; src/sys/config_dir.c has the steps).
 * Inotify on DIR sees `..data` moved in.
 *
 * The directories present under STATE_DIR/configs are the configs this node
 * keeps current (they survive a restart of the daemon): attach makes one,
 * detach (the last Unmount) removes it.
 */
#ifndef ZKSWARM_CONFIG_SYNC_H
#define ZKSWARM_CONFIG_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "zkswarm/configs.h"
#include "zkswarm/error.h"
#include "zkswarm/store.h"

/* ---- the directory (src/sys/config_dir.c) -------------------------------------------------- */

struct zks_config_dir_file {
	const char *name;
	const void *data;
	size_t len;
};

/* The version the copy in dir has (the `..data` link), 0 with none.  -1 if dir is not a copy. */
int zks_config_dir_version(const char *dir, uint64_t *version);

/*
 * Make version the copy's current one with these files (owned by uid:gid, mode 0444;
 * dir made 0755 if missing): write ..v<version>, swap ..data, fix the links, remove the
 * old versions.  Safe to repeat after a crash at any point.
 */
int zks_config_dir_write(const char *dir, uint64_t version, const struct zks_config_dir_file *files,
			 size_t n, uid_t uid, gid_t gid, struct zks_error *err);

/* Remove the copy (nothing there is fine). */
int zks_config_dir_remove(const char *dir, struct zks_error *err);

/* ---- the service (src/core/config_sync.c) -------------------------------------------------- */

struct zks_config_sync;

struct zks_config_sync_config {
	const char *node_id;
	const char *dir; /* STATE_DIR/configs */
};

struct zks_config_sync *zks_config_sync_new(struct zks_store *store,
					    const struct zks_config_sync_config *cfg,
					    struct zks_error *err);
/* Starts its thread: woken by the store's changes and sessions, and once a second. */
int zks_config_sync_start(struct zks_config_sync *cs, struct zks_error *err);
/* Joins the thread; call before store_stop. */
void zks_config_sync_stop(struct zks_config_sync *cs);
void zks_config_sync_free(struct zks_config_sync *cs);

/*
 * Make sure NAME's copy is on disk (the head from the mirror or ZooKeeper; the copy already
 * there if neither can answer) and keep it current from now on.  *dir: the copy, to bind.
 * UNAVAILABLE if there is no copy and ZooKeeper cannot give one.
 */
int zks_config_sync_attach(struct zks_config_sync *cs, const char *name, uid_t uid, gid_t gid,
			   char **dir, struct zks_error *err);

/* Stop keeping NAME current, remove its copy and this node's report (the last Unmount). */
void zks_config_sync_detach(struct zks_config_sync *cs, const char *name);

/*
 * Detach every copy whose name is not among names (the volumes mounted here): the copies of
 * a node that rebooted, whose mounts are gone, or whose last Unmount the daemon missed.
 */
void zks_config_sync_keep_only(struct zks_config_sync *cs, char *const *names, size_t n);

/* What this node has of NAME, for the volume's Status. */
struct zks_config_local {
	bool attached;	   /* a copy is kept here */
	uint64_t version;  /* the version on this node's disk */
	uint64_t latest;   /* the head's version as this node's mirror knows it */
	bool current;	   /* version == latest and the mirror is synced with ZooKeeper */
	int64_t behind_ms; /* how long it has not been current, 0 if it is */
	char error[256];   /* why the last update failed, "" if none */
};

/*
 * out->latest is the head's version in the mirror (0 if it has none) whether a copy is
 * attached here or not; the other fields are set only when one is (all zero otherwise).
 */
void zks_config_sync_local(struct zks_config_sync *cs, const char *name,
			   struct zks_config_local *out);

/*
 * For the metrics: the copies kept on this node, and those of them not current (behind the
 * head, or the mirror not synced, or their update failing), as the last pass judged them
 * (at most a second old; nothing decoded here).
 */
void zks_config_sync_counts(struct zks_config_sync *cs, size_t *attached, size_t *behind);

#endif
