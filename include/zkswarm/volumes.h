/*
 * volumes.h - the volume service: cluster-wide volumes and mount leases.
 *
 * Records in the store (paths relative to ZK_ROOT):
 *   /volumes/<name>                 persistent: name, effective options, created at/by
 *   /volumes/<name>/leases          persistent parent of the leases
 *   /volumes/<name>/leases/<node>   ephemeral: the mount IDs that node holds
 *   /volumes/<name>/holder          ephemeral, single-node volumes: the node holding it
 *
 * Mount IDs held on this node are also kept in STATE_DIR/mounts.json, the
 * local truth from which leases are re-established after a session ends.
 *
 * An image volume (type=image) keeps <data_dir>/<name>/disk.img, a filesystem image mounted
 * through a loop device on the node holding its single-node lease (fs.h).
 *
 * A configuration volume (type=config) has its records under /configs/<name> too
 * (configs.h), made and removed in the same transactions as /volumes/<name>; its mounts
 * bind this node's copy of its files (config_sync.h) instead of a data directory.
 */
#ifndef ZKSWARM_VOLUMES_H
#define ZKSWARM_VOLUMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/config_sync.h"
#include "zkswarm/error.h"
#include "zkswarm/fs.h"
#include "zkswarm/store.h"
#include "zkswarm/volume_options.h"

#define ZKS_VOLUME_NAME_MAX 255

struct zks_volumes;

struct zks_volumes_config {
	const char *node_id;
	const char *data_dir;	/* DATA_DIR: <data_dir>/<name> holds a volume's data */
	const char *mount_root; /* MOUNT_ROOT: <mount_root>/<name> is where containers see it */
	const char *state_dir;	/* STATE_DIR: mounts.json lives here */
	const char *boot_id;	/* this boot's ID, or NULL if unknown */
	/* Keeps configuration volumes' copies (outlives the service); NULL: they cannot be mounted. */
	struct zks_config_sync *configs;
	/* How the fencing of image volumes reads the store's status; NULL: store_status (fence.h). */
	void (*fence_status)(void *ctx, struct zks_store_status *out);
	void *fence_status_ctx;
};

struct zks_volume_holder {
	char *node;
	size_t mounts;
	bool exclusive; /* holds the single-node lease */
};

struct zks_volume_info {
	char *name;
	char *mountpoint;
	char *created_at; /* RFC 3339, or NULL if unknown */
	char *created_by;
	struct zks_kv *options; /* effective options */
	size_t noptions;
	struct zks_volume_holder *holders;
	size_t nholders;
	size_t mounted_here;   /* mount IDs held on this node */
	bool stale;	       /* answered from a mirror not (yet) synced with ZooKeeper */
	bool fenced;	       /* cut off long enough that this node's leases may be gone */
	bool corrupt;	       /* its record in ZooKeeper could not be read */
	const char *zookeeper; /* connection state */
	/* A configuration volume (options type=config): its copy here and every node's version. */
	bool config;
	struct zks_config_local
		config_here; /* latest is the mirror's head even when not attached */
	struct zks_config_node *config_nodes;
	size_t nconfig_nodes;
	/* An image volume (options type=image): its size and use, if they could be read. */
	bool image;
	bool usage_known;
	struct zks_image_usage usage;
	const char *fence; /* mounted here: "live", "frozen" or "shut down" (fence.h); or NULL */
	size_t snapshots;  /* its snapshots taken (volume_snapshots.h) */
};

void zks_volume_info_free(struct zks_volume_info *info);
void zks_volume_info_free_array(struct zks_volume_info *infos, size_t n);

/* The store and fs must outlive the service. */
struct zks_volumes *zks_volumes_new(struct zks_store *store, struct zks_fs *fs,
				    const struct zks_volumes_config *cfg, struct zks_error *err);
void zks_volumes_free(struct zks_volumes *v);

int zks_volumes_create(struct zks_volumes *v, const char *name, const struct zks_kv *opts,
		       size_t nopts, struct zks_error *err);
int zks_volumes_remove(struct zks_volumes *v, const char *name, struct zks_error *err);
int zks_volumes_mount(struct zks_volumes *v, const char *name, const char *id, char **mountpoint,
		      struct zks_error *err);
int zks_volumes_unmount(struct zks_volumes *v, const char *name, const char *id,
			struct zks_error *err);
int zks_volumes_path(struct zks_volumes *v, const char *name, char **mountpoint,
		     struct zks_error *err);
int zks_volumes_get(struct zks_volumes *v, const char *name, struct zks_volume_info **out,
		    struct zks_error *err);
int zks_volumes_list(struct zks_volumes *v, struct zks_volume_info **out, size_t *n,
		     struct zks_error *err);

/*
 * Snapshots of image volumes, as volume_snapshots.c has them carried out on this node: the
 * image copied to <data>/<name>/snapshots/<snap>.img, frozen while copied if mounted here;
 * mounted nowhere and may_lease: its lease taken meanwhile (a mount elsewhere waits); else
 * NOT_FOUND.
 */
struct zks_snapshot_taken {
	const char *method; /* "reflink" or "copy" (static) */
	unsigned long long size;
	int64_t frozen_ms; /* how long it was frozen; 0 if it was not mounted */
};
int zks_volumes_snapshot_take(struct zks_volumes *v, const char *name, const char *snap,
			      bool may_lease, struct zks_snapshot_taken *out,
			      struct zks_error *err);
int zks_volumes_snapshot_remove_file(struct zks_volumes *v, const char *name, const char *snap,
				     struct zks_error *err);
/* Whether this node holds mount IDs of the volume. */
bool zks_volumes_mounted_here(struct zks_volumes *v, const char *name);
/* Fence the image volumes mounted here from now on: a thread (fence.h). */
int zks_volumes_start_fencing(struct zks_volumes *v, struct zks_error *err);
/* One step of it, for tests. */
void zks_volumes_fence_tick(struct zks_volumes *v);

/* How many volumes have mount IDs held on this node. */
size_t zks_volumes_mounted_count(struct zks_volumes *v);

/*
 * The reaper leader's sweep (reaper.h): delete the empty `leases` of volumes nothing mounts,
 * paced, while every registered node keeps layout 2 (records.h).
 */
void zks_volumes_sweep(void *ctx, int64_t now_ms);

/* Make this node's leases in ZooKeeper match its local mounts (run after each (re)connect). */
void zks_volumes_reconcile(struct zks_volumes *v);

#endif
