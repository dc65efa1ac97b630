/*
 * fs.h - the filesystem side of volumes: data directories and the bind
 * mounts that show them to containers.
 *
 * The core calls these through a table so its unit tests can run without
 * privileges; the daemon uses zks_kernel_fs.
 */
#ifndef ZKSWARM_FS_H
#define ZKSWARM_FS_H

#include <stdbool.h>
#include <sys/types.h>

#include "zkswarm/error.h"

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
};

extern struct zks_fs zks_kernel_fs;

/*
 * mounted_entries over a list of mount points (the fakes keep one): the NAMEs of those
 * that are root/NAME with NAME one component, each once, in *names (NULL-terminated).
 */
void zks_fs_entries_among(const char *root, char *const *mount_points, size_t count, char ***names,
			  size_t *n);

#endif
