/*
 * fs.h - the filesystem side of volumes: data directories and the bind
 * mounts that show them to containers; image volumes' filesystem images, their
 * loop mounts, and the freeze, thaw and shutdown that fence them (image.c).
 *
 * The core calls these through a table so its unit tests can run without
 * privileges; the daemon uses zks_kernel_fs.
 */
#ifndef ZKSWARM_FS_H
#define ZKSWARM_FS_H

#include <stdbool.h>
#include <sys/types.h>

#include "zkswarm/error.h"

/* What fencing does to an image volume's mounted filesystem. */
enum zks_fence_op {
	ZKS_FENCE_FREEZE = 0, /* writers block, nothing written is lost (FIFREEZE) */
	ZKS_FENCE_THAW,	      /* writers go on (FITHAW) */
	ZKS_FENCE_SHUTDOWN,   /* every later write fails; the journal is not flushed */
};

struct zks_image_usage {
	unsigned long long size; /* bytes the filesystem holds */
	unsigned long long used; /* bytes in use: the filesystem's if mounted here, else the image
				  * file's allocated blocks */
	bool mounted;		 /* measured on the mounted filesystem */
};

struct zks_fs {
	/* Create the directory if missing; owner and mode are applied when it is created. */
	int (*prepare_dir)(struct zks_fs *fs, const char *path, uid_t uid, gid_t gid, mode_t mode,
			   struct zks_error *err);
	/* Remove the directory and everything in it, never crossing into another mount. */
	int (*remove_dir)(struct zks_fs *fs, const char *path, struct zks_error *err);
	/* Bind source onto target (created if missing), read-only if asked. */
	int (*bind)(struct zks_fs *fs, const char *source, const char *target, bool readonly,
		    struct zks_error *err);
	/* Detach the mount at target (nothing there is fine) and remove the empty target. */
	int (*unbind)(struct zks_fs *fs, const char *target, struct zks_error *err);
	/* Whether something is mounted at target, read from /proc/self/mountinfo. */
	bool (*is_mounted)(struct zks_fs *fs, const char *target);
	/* The names of root's direct entries that something is mounted on, each once. */
	int (*mounted_entries)(struct zks_fs *fs, const char *root, char ***names, size_t *n,
			       struct zks_error *err);

	/*
	 * Make a sparse image of size bytes at path (which must not exist) holding an empty
	 * ext4 filesystem whose root has this owner and mode; nothing is left on failure.
	 */
	int (*image_create)(struct zks_fs *fs, const char *path, unsigned long long size, uid_t uid,
			    gid_t gid, mode_t mode, struct zks_error *err);
	/* Mount the image's filesystem on target (created if missing) through a loop device. */
	int (*image_mount)(struct zks_fs *fs, const char *path, const char *target, bool readonly,
			   struct zks_error *err);
	/*
	 * Unmount target, not lazily: when this returns, every write has reached the image and
	 * its loop device is released.  A filesystem still in use stays mounted (an error).
	 */
	int (*image_unmount)(struct zks_fs *fs, const char *target, struct zks_error *err);
	int (*image_usage)(struct zks_fs *fs, const char *path, const char *target,
			   struct zks_image_usage *out, struct zks_error *err);
	/*
	 * Copy the image at src to dst, which must not exist (EXISTS): a reflink (FICLONE) where
	 * the filesystem under them has one, else a sparse copy of the image's data.  Whole and
	 * durable when it returns (made under a temporary name, then renamed); nothing is left on
	 * failure.  *method says which: "reflink" or "copy".
	 */
	int (*image_copy)(struct zks_fs *fs, const char *src, const char *dst, const char **method,
			  struct zks_error *err);
	/* Remove a file (one that is not there is fine). */
	int (*remove_file)(struct zks_fs *fs, const char *path, struct zks_error *err);
	/* Freeze, thaw or shut down the filesystem mounted at target. */
	int (*fence)(struct zks_fs *fs, const char *target, enum zks_fence_op op,
		     struct zks_error *err);
	/*
	 * A small file beside an image (its fence record, fence.h): replaced atomically and
	 * durably; read whole (at most 64 KB), NOT_FOUND if there is none.
	 */
	int (*write_file)(struct zks_fs *fs, const char *path, const char *data, size_t len,
			  struct zks_error *err);
	int (*read_file)(struct zks_fs *fs, const char *path, char **data, struct zks_error *err);
};

extern struct zks_fs zks_kernel_fs;

/* The image operations of zks_kernel_fs (image.c). */
int zks_kernel_image_create(struct zks_fs *fs, const char *path, unsigned long long size, uid_t uid,
			    gid_t gid, mode_t mode, struct zks_error *err);
int zks_kernel_image_mount(struct zks_fs *fs, const char *path, const char *target, bool readonly,
			   struct zks_error *err);
int zks_kernel_image_unmount(struct zks_fs *fs, const char *target, struct zks_error *err);
int zks_kernel_image_usage(struct zks_fs *fs, const char *path, const char *target,
			   struct zks_image_usage *out, struct zks_error *err);
int zks_kernel_image_copy(struct zks_fs *fs, const char *src, const char *dst, const char **method,
			  struct zks_error *err);
int zks_kernel_fence(struct zks_fs *fs, const char *target, enum zks_fence_op op,
		     struct zks_error *err);

/* The mkfs the image volumes are made with (in the plugin's rootfs: make-plugin.sh). */
#define ZKS_MKFS "/usr/sbin/mke2fs"

/*
 * mounted_entries over a list of mount points (the fakes keep one): the NAMEs of those
 * that are root/NAME with NAME one component, each once, in *names (NULL-terminated).
 */
void zks_fs_entries_among(const char *root, char *const *mount_points, size_t count, char ***names,
			  size_t *n);

#endif
