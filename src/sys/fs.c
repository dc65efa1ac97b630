/*
 * fs.c - data directories and bind mounts, for real.
 *
 * Mounts made under the plugin's propagated mount (MOUNT_ROOT) are rshared
 * with the host, which is how a container started by the engine sees them.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zkswarm/fs.h"
#include "zkswarm/util.h"

/* A volume's directory must be a real directory: a symlink there would make the bind
 * mount (which follows it) show containers whatever it points to. */
static int check_real_dir(const char *path, struct zks_error *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return zks_error_errno(err, errno, "inspect data directory `%s`", path);
	if (!S_ISDIR(st.st_mode))
		return zks_error_set(
			err, ZKS_ERR_CONFLICT,
			"data directory `%s` is not a directory (a symlink?); refusing to use it",
			path);
	return 0;
}

static int kernel_prepare_dir(struct zks_fs *fs, const char *path, uid_t uid, gid_t gid,
			      mode_t mode, struct zks_error *err)
{
	(void)fs;
	if (mkdir(path, mode) < 0) {
		if (errno == EEXIST)
			return check_real_dir(path,
					      err); /* existing data keeps its owner and mode */
		return zks_error_errno(err, errno, "create data directory `%s`", path);
	}
	/* mkdir's mode passes through the umask; say exactly what the user asked for. */
	if (chown(path, uid, gid) < 0 || chmod(path, mode) < 0) {
		int saved = errno;

		rmdir(path);
		return zks_error_errno(err, saved, "set owner and mode of `%s`", path);
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

static int kernel_remove_dir(struct zks_fs *fs, const char *path, struct zks_error *err)
{
	(void)fs;
	/*
	 * Most volumes are removed empty: one rmdir, not a walk (open, read, close).  Anything
	 * else (full, a symlink: ENOTDIR, since rmdir does not follow it) takes the walk.
	 */
	if (rmdir(path) == 0 || errno == ENOENT)
		return 0;
	if (nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		return zks_error_errno(err, errno, "remove data directory `%s`", path);
	return 0;
}

/*
 * A read-only bind must be read-only before it appears under the propagated
 * mount: the host's copy is cloned at that moment, and a later remount
 * would change only our copy.  The mount API (Linux 5.12+) builds the mount
 * detached, sets it read-only, then attaches it.
 */
static int bind_readonly(const char *source, const char *target, struct zks_error *err)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
	cleanup_close int fd = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (fd < 0)
		return zks_error_errno(err, errno, "clone `%s` for a read-only mount", source);
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return zks_error_errno(err, errno, "make `%s` read-only", source);
	if (move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return zks_error_errno(err, errno, "mount `%s` read-only on `%s`", source, target);
	return 0;
}

static int kernel_bind(struct zks_fs *fs, const char *source, const char *target, bool readonly,
		       struct zks_error *err)
{
	(void)fs;
	if (check_real_dir(source, err) < 0)
		return -1;
	if (mkdir(target, 0755) < 0 && errno != EEXIST)
		return zks_error_errno(err, errno, "create mount point `%s`", target);
	if (check_real_dir(target, err) < 0)
		return -1;
	if (readonly)
		return bind_readonly(source, target, err);
	if (mount(source, target, "none", MS_BIND, NULL) < 0) /* the type is ignored for a bind */
		return zks_error_errno(err, errno, "bind `%s` on `%s`", source, target);
	return 0;
}

static int kernel_unbind(struct zks_fs *fs, const char *target, struct zks_error *err)
{
	/* Stacked binds (a crash between bind and bookkeeping) all go. */
	for (int i = 0; i < 16 && fs->is_mounted(fs, target); i++)
		if (umount2(target, MNT_DETACH) < 0 && errno != EINVAL)
			return zks_error_errno(err, errno, "unmount `%s`", target);
	if (rmdir(target) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EBUSY)
		return zks_error_errno(err, errno, "remove mount point `%s`", target);
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (char *in = s; *in; in++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
		    in[3] >= '0' && in[3] <= '7') {
			*out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 3;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
}

/* Call visit(mount point, ctx) for every mount in /proc/self/mountinfo until it returns true. */
static int each_mount_point(bool (*visit)(const char *mount_point, void *ctx), void *ctx,
			    struct zks_error *err)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	bool done = false;

	if (f == NULL)
		return zks_error_errno(err, errno, "read /proc/self/mountinfo");
	while (!done && getline(&line, &cap, f) > 0) {
		/* id parent major:minor root mount-point ... */
		char *save = NULL, *field = strtok_r(line, " ", &save);

		for (int i = 0; field != NULL && i < 4; i++)
			field = strtok_r(NULL, " ", &save);
		if (field == NULL)
			continue;
		unescape_octal(field);
		done = visit(field, ctx);
	}
	free(line);
	fclose(f);
	return 0;
}

struct find_target {
	const char *target;
	bool found;
};

static bool visit_find(const char *mount_point, void *ctx)
{
	struct find_target *ft = ctx;

	ft->found = strcmp(mount_point, ft->target) == 0;
	return ft->found;
}

static bool kernel_is_mounted(struct zks_fs *fs, const char *target)
{
	struct find_target ft = {target, false};
	struct zks_error err;

	(void)fs;
	return each_mount_point(visit_find, &ft, &err) == 0 && ft.found;
}

/* The entry of root that target is (root/NAME, NAME one component), or NULL. */
static const char *entry_of(const char *root, const char *target)
{
	size_t len = strlen(root);
	const char *name = target + len + 1;

	if (strncmp(target, root, len) != 0 || target[len] != '/' || *name == '\0' ||
	    strchr(name, '/') != NULL)
		return NULL;
	return name;
}

static void add_entry_of(const char *root, const char *mount_point, char ***names, size_t *n)
{
	const char *name = entry_of(root, mount_point);

	if (name == NULL)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*names)[i], name) == 0)
			return;
	*names = xrealloc(*names, (*n + 2) * sizeof(**names));
	(*names)[(*n)++] = xstrdup(name);
	(*names)[*n] = NULL;
}

void zks_fs_entries_among(const char *root, char *const *mount_points, size_t count, char ***names,
			  size_t *n)
{
	*names = NULL;
	*n = 0;
	for (size_t i = 0; i < count; i++)
		add_entry_of(root, mount_points[i], names, n);
}

struct entries {
	const char *root;
	char **names;
	size_t n;
};

static bool visit_entries(const char *mount_point, void *ctx)
{
	struct entries *e = ctx;

	add_entry_of(e->root, mount_point, &e->names, &e->n);
	return false;
}

static int kernel_mounted_entries(struct zks_fs *fs, const char *root, char ***names, size_t *n,
				  struct zks_error *err)
{
	struct entries e = {root, NULL, 0};

	(void)fs;
	if (each_mount_point(visit_entries, &e, err) < 0) {
		zks_free_strv(e.names, e.n);
		return -1;
	}
	*names = e.names;
	*n = e.n;
	return 0;
}

static int kernel_write_file(struct zks_fs *fs, const char *path, const char *data, size_t len,
			     struct zks_error *err)
{
	(void)fs;
	return zks_write_file_atomic(path, data, len, err);
}

static int kernel_read_file(struct zks_fs *fs, const char *path, char **data, struct zks_error *err)
{
	size_t len;

	(void)fs;
	return zks_read_file(path, 64 * 1024, data, &len, err);
}

static int kernel_remove_file(struct zks_fs *fs, const char *path, struct zks_error *err)
{
	(void)fs;
	if (unlink(path) < 0 && errno != ENOENT)
		return zks_error_errno(err, errno, "remove `%s`", path);
	return 0;
}

struct zks_fs zks_kernel_fs = {
	.prepare_dir = kernel_prepare_dir,
	.remove_dir = kernel_remove_dir,
	.bind = kernel_bind,
	.unbind = kernel_unbind,
	.is_mounted = kernel_is_mounted,
	.mounted_entries = kernel_mounted_entries,
	.image_create = zks_kernel_image_create,
	.image_mount = zks_kernel_image_mount,
	.image_unmount = zks_kernel_image_unmount,
	.image_usage = zks_kernel_image_usage,
	.image_copy = zks_kernel_image_copy,
	.remove_file = kernel_remove_file,
	.fence = zks_kernel_fence,
	.write_file = kernel_write_file,
	.read_file = kernel_read_file,
};
