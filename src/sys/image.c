/*
 * image.c - image volumes for real: a sparse file holding an ext4 filesystem, made with
 * mke2fs, mounted through a loop device, and fenced by freezing or shutting it down.
 *
 * Loop devices: the plugin is given the device nodes /dev/loop0 .. /dev/loop7 (config.json,
 * no more), so a free one is found among the /dev/loopN nodes that exist here, not asked of
 * /dev/loop-control (whose new nodes the plugin could not open).  A device is bound with
 * LOOP_CONFIGURE and LO_FLAGS_AUTOCLEAR: it comes free by itself when the filesystem is
 * unmounted, so nothing is left bound after a crash between mount and bookkeeping.
 *
 * Copies (snapshots and clones) are reflinks where the filesystem under the images has them
 * (XFS, btrfs), else sparse copies of the extents that hold data (SEEK_DATA/SEEK_HOLE and
 * copy_file_range): an image's holes stay holes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zkswarm/fs.h"
#include "zkswarm/log.h"
#include "zkswarm/util.h"

/* ext4's shutdown ioctl (linux/ext4.h is not in every libc's headers). */
#ifndef EXT4_IOC_SHUTDOWN
#define EXT4_IOC_SHUTDOWN _IOR('X', 125, unsigned int)
#endif
#define EXT4_GOING_FLAGS_NOLOGFLUSH 0x2

#define LOOP_SCAN_MAX 256      /* /dev entries looked at for a free loop device */
#define MKFS_TIMEOUT_MS 120000 /* a 16T sparse image formats in seconds; this is a hang */
#define MKFS_OUTPUT_MAX 400    /* of mke2fs's messages, into the error */
#define UNMOUNT_ATTEMPTS 5     /* EBUSY right after a container exits: its last close races */

extern char **environ;

/* ---- mke2fs ------------------------------------------------------------------------------ */

/* Read what the child says on fd until it closes it or the deadline; kill it past that. */
static int wait_child(pid_t pid, int fd, char *out, size_t outlen, struct zks_error *err)
{
	int64_t deadline = zks_now_ms() + MKFS_TIMEOUT_MS;
	size_t used = 0;
	int status;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - zks_now_ms();
		ssize_t r;

		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return zks_error_set(err, ZKS_ERR_SYSTEM, "%s took over %d s; killed",
					     ZKS_MKFS, MKFS_TIMEOUT_MS / 1000);
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			break;
		r = read(fd, out + used, outlen - 1 - used);
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
			break;
		if (r > 0)
			used += (size_t)r;
		if (used == outlen - 1) {
			char sink[256];

			/* Keep the start; drain the rest so the child never blocks on us. */
			while (read(fd, sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	out[used] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return zks_error_errno(err, errno, "wait for %s", ZKS_MKFS);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "%s failed (status %d): %s", ZKS_MKFS,
				     status, out);
	return 0;
}

/* mke2fs -t ext4 -m 0 -E root_owner=UID:GID PATH: the whole size for the volume's users. */
static int run_mkfs(const char *path, uid_t uid, gid_t gid, struct zks_error *err)
{
	cleanup_free char *owner =
		xasprintf("root_owner=%lu:%lu", (unsigned long)uid, (unsigned long)gid);
	char *argv[] = {ZKS_MKFS, "-q", "-F",  "-t",	     "ext4", "-m",
			"0",	  "-E", owner, (char *)path, NULL};
	char out[MKFS_OUTPUT_MAX];
	posix_spawn_file_actions_t fa;
	int fds[2];
	pid_t pid;
	int r;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return zks_error_errno(err, errno, "pipe for %s", ZKS_MKFS);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	r = posix_spawn(&pid, ZKS_MKFS, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (r != 0) {
		close(fds[0]);
		return zks_error_errno(err, r, "run %s", ZKS_MKFS);
	}
	r = wait_child(pid, fds[0], out, sizeof(out), err);
	close(fds[0]);
	return r;
}

/* ---- loop devices ------------------------------------------------------------------------- */

static bool is_loop_name(const char *name)
{
	if (strncmp(name, "loop", 4) != 0 || name[4] == '\0')
		return false;
	for (const char *p = name + 4; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* Bind the image to a free loop device; its path in dev. */
static int loop_attach(int image_fd, const char *path, bool readonly, char *dev, size_t devlen,
		       int *loop_fd, struct zks_error *err)
{
	struct loop_config cfg = {.fd = (unsigned)image_fd};
	DIR *d = opendir("/dev");
	struct dirent *e;
	int scanned = 0, last = ENODEV;

	if (d == NULL)
		return zks_error_errno(err, errno, "list /dev for a loop device");
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (readonly ? LO_FLAGS_READ_ONLY : 0);
	snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s", path);
	while ((e = readdir(d)) != NULL && scanned++ < LOOP_SCAN_MAX) {
		int fd;

		if (!is_loop_name(e->d_name))
			continue;
		snprintf(dev, devlen, "/dev/%s", e->d_name);
		fd = open(dev, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (fd < 0) {
			last = errno;
			continue;
		}
		if (ioctl(fd, LOOP_CONFIGURE, &cfg) == 0) {
			closedir(d);
			*loop_fd = fd;
			return 0;
		}
		last = errno; /* EBUSY: bound already */
		close(fd);
	}
	closedir(d);
	return zks_error_set(err, ZKS_ERR_UNAVAILABLE,
			     "no free loop device for `%s` among /dev/loop* (last: %s); the plugin "
			     "is given /dev/loop0 to /dev/loop7",
			     path, strerror(last));
}

int zks_kernel_image_mount(struct zks_fs *fs, const char *path, const char *target, bool readonly,
			   struct zks_error *err)
{
	cleanup_close int image = -1;
	cleanup_close int loop = -1;
	char dev[64];

	(void)fs;
	image = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW);
	if (image < 0)
		return zks_error_errno(err, errno, "open image `%s`", path);
	if (mkdir(target, 0755) < 0 && errno != EEXIST)
		return zks_error_errno(err, errno, "create mount point `%s`", target);
	if (loop_attach(image, path, readonly, dev, sizeof(dev), &loop, err) < 0)
		return -1;
	if (mount(dev, target, "ext4", MS_NOSUID | MS_NODEV | (readonly ? MS_RDONLY : 0), NULL) <
	    0) {
		int saved = errno;

		ioctl(loop, LOOP_CLR_FD, 0);
		return zks_error_errno(err, saved, "mount image `%s` (%s) on `%s`", path, dev,
				       target);
	}
	/* Closing the loop device now: AUTOCLEAR releases it when the filesystem goes. */
	return 0;
}

int zks_kernel_image_unmount(struct zks_fs *fs, const char *target, struct zks_error *err)
{
	for (int i = 0; fs->is_mounted(fs, target); i++) {
		struct timespec pause = {0, 20 * 1000 * 1000};

		if (umount2(target, UMOUNT_NOFOLLOW) == 0)
			continue;
		if (errno != EBUSY || i + 1 >= UNMOUNT_ATTEMPTS)
			return zks_error_errno(err, errno, "unmount `%s`", target);
		nanosleep(&pause, NULL);
	}
	if (rmdir(target) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EBUSY)
		return zks_error_errno(err, errno, "remove mount point `%s`", target);
	return 0;
}

/* ---- create --------------------------------------------------------------------------------- */

/* The new filesystem's root gets the volume's mode (mke2fs sets only its owner). */
static int set_root_mode(struct zks_fs *fs, const char *path, mode_t mode, struct zks_error *err)
{
	cleanup_free char *dir = xstrdup(path);
	cleanup_free char *target = NULL;
	char *slash = strrchr(dir, '/');
	int r;

	if (slash)
		*slash = '\0';
	target = xasprintf("%s/.format", slash ? dir : ".");
	if (zks_kernel_image_mount(fs, path, target, false, err) < 0) {
		rmdir(target);
		return -1;
	}
	r = chmod(target, mode);
	if (r < 0)
		zks_error_errno(err, errno, "set the mode of the new filesystem in `%s`", path);
	if (zks_kernel_image_unmount(fs, target, r < 0 ? NULL : err) < 0)
		return -1;
	return r;
}

int zks_kernel_image_create(struct zks_fs *fs, const char *path, unsigned long long size, uid_t uid,
			    gid_t gid, mode_t mode, struct zks_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 && errno == EEXIST)
		return zks_error_set(err, ZKS_ERR_EXISTS, "image `%s` exists", path);
	if (fd < 0)
		return zks_error_errno(err, errno, "create image `%s`", path);
	if (ftruncate(fd, (off_t)size) < 0) {
		zks_error_errno(err, errno, "size image `%s` to %llu bytes", path, size);
		goto fail;
	}
	close(fd);
	fd = -1;
	if (run_mkfs(path, uid, gid, err) < 0 || set_root_mode(fs, path, mode, err) < 0)
		goto fail;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(path);
	return -1;
}

/* ---- copies: snapshots and clones ------------------------------------------------------- */

/* The extents of in that hold data, copied to the same offsets of out (its holes stay holes). */
static int sparse_copy(int in, int out, off_t size, struct zks_error *err)
{
	off_t off = 0;

	if (ftruncate(out, size) < 0)
		return zks_error_errno(err, errno, "size the copy");
	while (off < size) {
		off_t data = lseek(in, off, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break; /* only a hole is left */
		if (data < 0)
			return zks_error_errno(err, errno, "find the data to copy");
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			return zks_error_errno(err, errno, "find the data to copy");
		for (loff_t from = data, to = data; from < hole;) {
			ssize_t n = copy_file_range(in, &from, out, &to, (size_t)(hole - from), 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return zks_error_errno(err, n < 0 ? errno : EIO, "copy the image");
		}
		off = hole;
	}
	return 0;
}

int zks_kernel_image_copy(struct zks_fs *fs, const char *src, const char *dst, const char **method,
			  struct zks_error *err)
{
	cleanup_free char *tmp = xasprintf("%s.part", dst);
	cleanup_free char *dir = xstrdup(dst);
	cleanup_close int in = -1;
	cleanup_close int dfd = -1;
	int out = -1;
	struct stat st;
	char *slash;

	(void)fs;
	if (access(dst, F_OK) == 0)
		return zks_error_set(err, ZKS_ERR_EXISTS, "image `%s` exists", dst);
	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return zks_error_errno(err, errno, "open image `%s`", src);
	if (fstat(in, &st) < 0)
		return zks_error_errno(err, errno, "inspect image `%s`", src);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0'; /* its directory (a volume's snapshots) is made on first use */
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return zks_error_errno(err, errno, "make `%s`", dir);
	}
	unlink(tmp); /* a copy this node left unfinished */
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0)
		return zks_error_errno(err, errno, "create `%s`", tmp);
	if (ioctl(out, FICLONE, in) == 0) {
		*method = "reflink";
	} else if (errno == EOPNOTSUPP || errno == ENOTTY || errno == EXDEV || errno == EINVAL ||
		   errno == ENOSYS) {
		*method = "copy";
		if (sparse_copy(in, out, st.st_size, err) < 0) {
			zks_error_prefix(err, "copy `%s` to `%s`", src, dst);
			goto fail;
		}
	} else {
		zks_error_errno(err, errno, "clone `%s` to `%s`", src, dst);
		goto fail;
	}
	if (fsync(out) < 0) {
		zks_error_errno(err, errno, "write `%s` out", tmp);
		goto fail;
	}
	close(out);
	out = -1;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST)
			zks_error_set(err, ZKS_ERR_EXISTS, "image `%s` exists", dst);
		else
			zks_error_errno(err, errno, "rename `%s` to `%s`", tmp, dst);
		goto fail;
	}
	dfd = open(slash != NULL && slash != dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		log_warn("image: could not sync the directory of `%s`: %s", dst, strerror(errno));
	return 0;
fail:
	if (out >= 0)
		close(out);
	unlink(tmp);
	return -1;
}

/* ---- use and fencing -------------------------------------------------------------------- */

int zks_kernel_image_usage(struct zks_fs *fs, const char *path, const char *target,
			   struct zks_image_usage *out, struct zks_error *err)
{
	struct statvfs sv;
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (target != NULL && fs->is_mounted(fs, target) && statvfs(target, &sv) == 0) {
		out->size = (unsigned long long)sv.f_blocks * sv.f_frsize;
		out->used = (unsigned long long)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
		out->mounted = true;
		return 0;
	}
	if (stat(path, &st) < 0)
		return zks_error_errno(err, errno, "inspect image `%s`", path);
	out->size = (unsigned long long)st.st_size;
	out->used = (unsigned long long)st.st_blocks * 512;
	return 0;
}

int zks_kernel_fence(struct zks_fs *fs, const char *target, enum zks_fence_op op,
		     struct zks_error *err)
{
	static const char *const verbs[] = {"freeze", "thaw", "shut down"};
	cleanup_close int fd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	unsigned int flags = EXT4_GOING_FLAGS_NOLOGFLUSH;
	int r;

	(void)fs;
	if (fd < 0)
		return zks_error_errno(err, errno, "%s `%s`: open", verbs[op], target);
	switch (op) {
	case ZKS_FENCE_FREEZE:
		r = ioctl(fd, FIFREEZE, 0);
		if (r < 0 && errno == EBUSY)
			r = 0; /* frozen already */
		break;
	case ZKS_FENCE_THAW:
		r = ioctl(fd, FITHAW, 0);
		if (r < 0 && errno == EINVAL)
			r = 0; /* not frozen: thawed already */
		break;
	default:
		r = ioctl(fd, EXT4_IOC_SHUTDOWN, &flags);
		break;
	}
	if (r < 0)
		return zks_error_errno(err, errno, "%s the filesystem at `%s`", verbs[op], target);
	return 0;
}
