/*
 * config_dir.c - a node's copy of a configuration volume on its disk
 * (config_sync.h): version directories, the `..data` link swapped by
 * rename(2), one link per file.  The recipe is Kubernetes' AtomicWriter:
 *
 *   1. DIR/..v<N>.tmp-<random>/<file>: every file written (0444, uid:gid) and
 *      fsynced, then the directory (0755) fsynced;
 *   2. renamed to DIR/..v<N>;
 *   3. DIR/<file> -> ..data/<file> for each file the links lack (made under a
 *      temporary name, renamed into place; a new file's link dangles until the
 *      swap, which to a reader is the same as no file), DIR fsynced;
 *   4. DIR/..data.tmp -> ..v<N>, renamed over DIR/..data, DIR fsynced: the swap;
 *   5. the links of files the version lacks removed, the version directories
 *      that stopped being current over 5 s ago removed, DIR fsynced.
 * Kubernetes makes the links after the swap; made before it, a copy whose
 * `..data` exists always has every link, even after a crash.
 *
 * Before the swap, the version it leaves gets its mtime set: the time it
 * stopped being current.  A reader that followed `..data` just before a swap
 * and was then held up (a loaded host, one core for many) still finds its
 * file there for 5 s, or until 8 newer versions came.  Every temporary
 * name starts with `..` (no file name may) and whatever such entry is neither
 * `..data` nor a version is removed at the start of the next write, so a
 * crash at any step leaves the old version or the new one current, and
 * writing again finishes the job.  Version N written again while current
 * with other contents (a config removed and made again) is swapped in place
 * by renameat2(RENAME_EXCHANGE).  Removals never cross into another mount
 * (mount IDs from statx) and never follow a symlink.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "zkswarm/config_sync.h"
#include "zkswarm/log.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define DATA_LINK "..data"
#define DATA_TMP "..data.tmp"
#define LINK_TMP_PREFIX "..link-"
#define VERSION_PREFIX "..v"
#define ENTRIES_MAX 4096 /* entries of one directory of a copy we look at */
#define DEPTH_MAX 8	 /* of a tree we remove (a copy is two levels deep) */
#define NAME_BUF 256
/* A version that stopped being current stays this long (at least until the next write),
 * and no more than this many of them. */
#define OLD_GRACE_S 5
#define OLD_KEPT_MAX 8

/* ---- small helpers ---------------------------------------------------------------------------- */

/* "..v<digits>" (no more than a uint64_t holds), and its number. */
static bool parse_version_name(const char *name, uint64_t *version)
{
	const char *p = name + strlen(VERSION_PREFIX);
	uint64_t v = 0;

	if (strncmp(name, VERSION_PREFIX, strlen(VERSION_PREFIX)) != 0 || *p == '\0')
		return false;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*version = v;
	return true;
}

/* The version `..data` points to; false if there is no such link (or it is not ours). */
static bool read_current(int dfd, uint64_t *version)
{
	char buf[NAME_BUF];
	ssize_t len = readlinkat(dfd, DATA_LINK, buf, sizeof(buf) - 1);

	if (len <= 0)
		return false;
	buf[len] = '\0';
	return parse_version_name(buf, version);
}

/* Which mount name (under dfd) is on: its mount ID, or its device where statx lacks one. */
static int mount_key(int dfd, const char *name, uint64_t *key, mode_t *mode)
{
	struct statx stx;
	int flags = AT_SYMLINK_NOFOLLOW | (name[0] == '\0' ? AT_EMPTY_PATH : 0);

	if (statx(dfd, name, flags, STATX_TYPE | STATX_MNT_ID, &stx) < 0)
		return -1;
	if (stx.stx_mask & STATX_MNT_ID)
		*key = stx.stx_mnt_id;
	else
		*key = ((uint64_t)stx.stx_dev_major << 32) | stx.stx_dev_minor;
	if (mode != NULL)
		*mode = stx.stx_mode;
	return 0;
}

/* The names in the directory dfd (not . and ..), at most ENTRIES_MAX. */
static int list_entries(int dfd, const char *where, char ***names, size_t *n, struct zks_error *err)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	*names = NULL;
	*n = 0;
	if (d == NULL) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		return zks_error_errno(err, saved, "list `%s`", where);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (*n >= ENTRIES_MAX) {
			closedir(d);
			zks_free_strv(*names, *n);
			return zks_error_set(err, ZKS_ERR_INTERNAL,
					     "`%s` has more than %d entries; not a config's copy",
					     where, ENTRIES_MAX);
		}
		*names = xrealloc(*names, (*n + 1) * sizeof(**names));
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	return 0;
}

static bool is_root(void)
{
	return geteuid() == 0;
}

/* ---- removing, within one mount ---------------------------------------------------------------- */

static int remove_tree_at(int pfd, const char *name, uint64_t mount, const char *where, int depth,
			  struct zks_error *err);

static int remove_children(int fd, uint64_t mount, const char *where, int depth,
			   struct zks_error *err)
{
	char **names;
	size_t n;
	int r = 0;

	if (list_entries(fd, where, &names, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && r == 0; i++)
		r = remove_tree_at(fd, names[i], mount, where, depth + 1, err);
	zks_free_strv(names, n);
	return r;
}

/* rm -rf pfd/name without following links and without leaving mount; where names it. */
static int remove_tree_at(int pfd, const char *name, uint64_t mount, const char *where, int depth,
			  struct zks_error *err)
{
	uint64_t key;
	mode_t mode;
	int fd, r;

	if (mount_key(pfd, name, &key, &mode) < 0)
		return errno == ENOENT ? 0 : zks_error_errno(err, errno, "inspect `%s`", where);
	if (key != mount)
		return zks_error_set(err, ZKS_ERR_CONFLICT,
				     "`%s` holds a mount at `%s`; not removing across it", where,
				     name);
	if (!S_ISDIR(mode)) {
		if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
			return zks_error_errno(err, errno, "remove `%s` in `%s`", name, where);
		return 0;
	}
	if (depth >= DEPTH_MAX)
		return zks_error_set(err, ZKS_ERR_INTERNAL, "`%s` is nested too deep to be a copy",
				     where);
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return zks_error_errno(err, errno, "open `%s` in `%s`", name, where);
	r = remove_children(fd, mount, where, depth, err);
	close(fd);
	if (r == 0 && unlinkat(pfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return zks_error_errno(err, errno, "remove `%s` in `%s`", name, where);
	return r;
}

int zks_config_dir_remove(const char *dir, struct zks_error *err)
{
	cleanup_free char *parent = xstrdup(dir);
	char *slash = strrchr(parent, '/');
	const char *base;
	cleanup_close int pfd = -1;
	uint64_t mount;

	if (slash == NULL || slash[1] == '\0')
		return zks_error_set(err, ZKS_ERR_INVALID, "`%s` is not a copy's directory", dir);
	*slash = '\0';
	base = slash + 1;
	pfd = open(slash == parent ? "/" : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return errno == ENOENT ? 0 : zks_error_errno(err, errno, "open `%s`", parent);
	if (mount_key(pfd, "", &mount, NULL) < 0)
		return zks_error_errno(err, errno, "inspect `%s`", parent);
	if (remove_tree_at(pfd, base, mount, dir, 0, err) < 0)
		return zks_error_prefix(err, "remove config copy `%s`", dir);
	if (fsync(pfd) < 0)
		return zks_error_errno(err, errno, "sync `%s`", parent);
	return 0;
}

/* ---- reading the copy --------------------------------------------------------------------------- */

/* Open dir, which must be a real directory (not a symlink). */
static int open_copy(const char *dir, struct zks_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return zks_error_errno(err, errno, "open config copy `%s`", dir);
	return fd;
}

int zks_config_dir_version(const char *dir, uint64_t *version)
{
	cleanup_close int fd = open_copy(dir, NULL);

	*version = 0;
	if (fd < 0)
		return -1;
	if (!read_current(fd, version))
		*version = 0;
	return 0;
}

/* Whether file name in dfd holds exactly data (len bytes). */
static bool same_file(int dfd, const char *name, const void *data, size_t len)
{
	cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	struct stat st;
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != len)
		return false;
	buf = xmalloc(len + 1);
	while (got <= len) { /* one read more than len must see the end */
		ssize_t r = read(fd, buf + got, len + 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got == len && memcmp(buf, data, len) == 0;
}

/* Whether version directory vname in dfd holds exactly these files. */
static bool same_version(int dfd, const char *vname, const struct zks_config_dir_file *files,
			 size_t n)
{
	cleanup_close int vfd = openat(dfd, vname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char **names;
	size_t count;

	if (vfd < 0 || list_entries(vfd, vname, &names, &count, NULL) < 0)
		return false;
	zks_free_strv(names, count);
	if (count != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!same_file(vfd, files[i].name, files[i].data, files[i].len))
			return false;
	return true;
}

/* ---- writing a version ------------------------------------------------------------------------ */

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Create and write f in dfd, its writeback started; the open fd, or -1. */
static int write_file_at(int dfd, const char *where, const struct zks_config_dir_file *f, uid_t uid,
			 gid_t gid, struct zks_error *err)
{
	int fd = openat(dfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);

	if (fd < 0)
		return zks_error_errno(err, errno, "create `%s` in `%s`", f->name, where);
	if (write_all(fd, f->data, f->len) < 0 || fchmod(fd, 0444) < 0 ||
	    (is_root() && fchown(fd, uid, gid) < 0)) {
		int saved = errno;

		close(fd);
		return zks_error_errno(err, saved, "write `%s` in `%s`", f->name, where);
	}
	sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint: fsync below makes sure */
	return fd;
}

/* fsync and close the n fds (all of them, whatever fails). */
static int sync_all(int *fds, size_t n, const char *tmp, const char *where, struct zks_error *err)
{
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		if (r == 0 && fsync(fds[i]) < 0)
			r = zks_error_errno(err, errno, "sync a file of `%s` in `%s`", tmp, where);
		if (close(fds[i]) < 0 && r == 0)
			r = zks_error_errno(err, errno, "sync a file of `%s` in `%s`", tmp, where);
	}
	return r;
}

/*
 * Make tmp in dfd (0755, uid:gid) and write the files into it, all fsynced.  Every file is
 * written (its writeback started) before the first fsync: one journal commit for them all,
 * not one each.
 */
static int fill_tmp(int dfd, const char *tmp, const char *where,
		    const struct zks_config_dir_file *files, size_t n, uid_t uid, gid_t gid,
		    struct zks_error *err)
{
	cleanup_close int tfd = -1;
	cleanup_free int *fds = xcalloc(n ? n : 1, sizeof(*fds));
	size_t opened = 0;

	if (mkdirat(dfd, tmp, 0755) < 0)
		return zks_error_errno(err, errno, "create `%s` in `%s`", tmp, where);
	tfd = openat(dfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0 || fchmod(tfd, 0755) < 0 || (is_root() && fchown(tfd, uid, gid) < 0))
		return zks_error_errno(err, errno, "prepare `%s` in `%s`", tmp, where);
	for (; opened < n; opened++)
		if ((fds[opened] = write_file_at(tfd, where, &files[opened], uid, gid, err)) < 0)
			break;
	if (sync_all(fds, opened, tmp, where, opened < n ? NULL : err) < 0 || opened < n)
		return -1;
	if (fsync(tfd) < 0)
		return zks_error_errno(err, errno, "sync `%s` in `%s`", tmp, where);
	return 0;
}

/* Rename tmp to vname: exchanged with it (in_place: it is current), else over it. */
static int put_in_place(int dfd, uint64_t mount, const char *where, const char *tmp,
			const char *vname, bool in_place, struct zks_error *err)
{
	if (in_place) {
		if (renameat2(dfd, tmp, dfd, vname, RENAME_EXCHANGE) == 0) {
			/* tmp now holds what vname held */
			remove_tree_at(dfd, tmp, mount, where, 0, NULL);
			return 0;
		}
		if (errno != ENOENT)
			return zks_error_errno(err, errno, "exchange `%s` and `%s` in `%s`", tmp,
					       vname, where);
	}
	if (remove_tree_at(dfd, vname, mount, where, 0, err) < 0)
		return -1;
	if (renameat(dfd, tmp, dfd, vname) < 0)
		return zks_error_errno(err, errno, "rename `%s` to `%s` in `%s`", tmp, vname,
				       where);
	return 0;
}

/*
 * Put the files in place as vname: written under a temporary name, then renamed to vname
 * (what was there removed first), or exchanged with vname when it is the current version.
 */
static int install_version(int dfd, uint64_t mount, const char *where, const char *vname,
			   bool in_place, const struct zks_config_dir_file *files, size_t n,
			   uid_t uid, gid_t gid, struct zks_error *err)
{
	char rnd[17], tmp[NAME_BUF];

	zks_random_hex(rnd);
	snprintf(tmp, sizeof(tmp), "%s.tmp-%s", vname, rnd);
	if (fill_tmp(dfd, tmp, where, files, n, uid, gid, err) < 0 ||
	    put_in_place(dfd, mount, where, tmp, vname, in_place, err) < 0) {
		remove_tree_at(dfd, tmp, mount, where, 0, NULL);
		return -1;
	}
	return 0;
}

/* A symlink name -> target made under tmp and renamed into place (owned uid:gid). */
static int link_at(int dfd, const char *where, const char *target, const char *tmp,
		   const char *name, uid_t uid, gid_t gid, struct zks_error *err)
{
	if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT)
		return zks_error_errno(err, errno, "remove `%s` in `%s`", tmp, where);
	if (symlinkat(target, dfd, tmp) < 0)
		return zks_error_errno(err, errno, "link `%s` in `%s`", tmp, where);
	if (is_root() && fchownat(dfd, tmp, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return zks_error_errno(err, errno, "set owner of `%s` in `%s`", tmp, where);
	if (renameat(dfd, tmp, dfd, name) < 0) {
		int saved = errno;

		unlinkat(dfd, tmp, 0);
		return zks_error_errno(err, saved, "rename `%s` to `%s` in `%s`", tmp, name, where);
	}
	return 0;
}

/* ---- the links and the leftovers -------------------------------------------------------------- */

static bool in_files(const char *name, const struct zks_config_dir_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(files[i].name, name) == 0)
			return true;
	return false;
}

/* DIR/<file> -> ..data/<file> for every file (before the swap: a new file's link dangles
 * until then, which a reader cannot tell from no file). */
static int add_links(int dfd, const char *where, const struct zks_config_dir_file *files, size_t n,
		     uid_t uid, gid_t gid, struct zks_error *err)
{
	for (size_t i = 0; i < n; i++) {
		char target[NAME_BUF], tmp[NAME_BUF], buf[NAME_BUF];
		ssize_t len = readlinkat(dfd, files[i].name, buf, sizeof(buf) - 1);

		snprintf(target, sizeof(target), DATA_LINK "/%s", files[i].name);
		if (len > 0 && (size_t)len == strlen(target) && memcmp(buf, target, len) == 0)
			continue;
		snprintf(tmp, sizeof(tmp), LINK_TMP_PREFIX "%s", files[i].name);
		if (link_at(dfd, where, target, tmp, files[i].name, uid, gid, err) < 0)
			return -1;
	}
	return 0;
}

/* Remove the links of files the version lacks (after the swap: until then they are read). */
static int drop_links(int dfd, const char *where, const struct zks_config_dir_file *files, size_t n,
		      struct zks_error *err)
{
	char **names;
	size_t count;
	int r = 0;

	if (list_entries(dfd, where, &names, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count && r == 0; i++) {
		struct stat st;

		if (names[i][0] == '.' || in_files(names[i], files, n) ||
		    fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
			continue;
		if (unlinkat(dfd, names[i], 0) < 0 && errno != ENOENT)
			r = zks_error_errno(err, errno, "remove link `%s` in `%s`", names[i],
					    where);
	}
	zks_free_strv(names, count);
	return r;
}

/* Remove the entries starting with `..` that are neither `..data` nor a version: temps. */
static int remove_temps(int dfd, uint64_t mount, const char *where, struct zks_error *err)
{
	char **names;
	size_t count;
	int r = 0;

	if (list_entries(dfd, where, &names, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count && r == 0; i++) {
		uint64_t v;

		if (strncmp(names[i], "..", 2) == 0 && strcmp(names[i], DATA_LINK) != 0 &&
		    !parse_version_name(names[i], &v))
			r = remove_tree_at(dfd, names[i], mount, where, 0, err);
	}
	zks_free_strv(names, count);
	return r;
}

/* A version directory other than the current one, and when it stopped being current. */
struct old_version {
	char *name;
	int64_t left_ns;
};

static int cmp_newest_first(const void *a, const void *b)
{
	const struct old_version *x = a, *y = b;

	return x->left_ns < y->left_ns ? 1 : x->left_ns > y->left_ns ? -1 : 0;
}

/* The versions but current, each with its mtime (when it stopped being current). */
static int list_old_versions(int dfd, const char *where, uint64_t current, struct old_version **out,
			     size_t *n, struct zks_error *err)
{
	char **names;
	size_t count;

	*out = NULL;
	*n = 0;
	if (list_entries(dfd, where, &names, &count, err) < 0)
		return -1;
	*out = xcalloc(count ? count : 1, sizeof(**out));
	for (size_t i = 0; i < count; i++) {
		struct stat st;
		uint64_t v;

		if (!parse_version_name(names[i], &v) || v == current ||
		    fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		(*out)[*n].name = steal_pointer(&names[i]);
		(*out)[(*n)++].left_ns =
			(int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	}
	zks_free_strv(names, count);
	return 0;
}

/*
 * Remove the versions that stopped being current over OLD_GRACE_S ago, and the oldest
 * beyond OLD_KEPT_MAX: a reader that followed `..data` to one of them just before a swap
 * may still be looking up its file there.
 */
static int remove_old_versions(int dfd, uint64_t mount, const char *where, uint64_t current,
			       struct zks_error *err)
{
	struct old_version *old;
	struct timespec now;
	int64_t cutoff;
	size_t n;
	int r = 0;

	if (list_old_versions(dfd, where, current, &old, &n, err) < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	cutoff = ((int64_t)now.tv_sec - OLD_GRACE_S) * 1000000000 + now.tv_nsec;
	qsort(old, n, sizeof(*old), cmp_newest_first);
	for (size_t i = 0; i < n; i++) {
		if (r == 0 && (i >= OLD_KEPT_MAX || old[i].left_ns < cutoff))
			r = remove_tree_at(dfd, old[i].name, mount, where, 0, err);
		free(old[i].name);
	}
	free(old);
	return r;
}

/* ---- the write -------------------------------------------------------------------------------- */

static int check_files(const char *dir, const struct zks_config_dir_file *files, size_t n,
		       struct zks_error *err)
{
	if (n > ZKS_CONFIG_FILES_MAX)
		return zks_error_set(err, ZKS_ERR_INVALID, "config copy `%s`: %zu files, over %d",
				     dir, n, ZKS_CONFIG_FILES_MAX);
	for (size_t i = 0; i < n; i++) {
		if (zks_config_check_file_name(files[i].name, err) < 0)
			return zks_error_prefix(err, "config copy `%s`", dir);
		for (size_t j = 0; j < i; j++)
			if (strcmp(files[i].name, files[j].name) == 0)
				return zks_error_set(err, ZKS_ERR_INVALID,
						     "config copy `%s`: file `%s` named twice", dir,
						     files[i].name);
	}
	return 0;
}

/* Open dir, made (0755, uid:gid) with its parents if missing. */
static int make_copy(const char *dir, uid_t uid, gid_t gid, struct zks_error *err)
{
	cleanup_free char *parent = xstrdup(dir);
	char *slash = strrchr(parent, '/');

	if (slash != NULL && slash != parent) {
		*slash = '\0';
		if (zks_mkdir_p(parent, 0755, err) < 0)
			return -1;
	}
	if (mkdir(dir, 0755) == 0) {
		if (chmod(dir, 0755) < 0 || (is_root() && chown(dir, uid, gid) < 0))
			return zks_error_errno(err, errno, "set owner and mode of `%s`", dir);
	} else if (errno != EEXIST) {
		return zks_error_errno(err, errno, "create config copy `%s`", dir);
	}
	return open_copy(dir, err);
}

/* The links, the swap and the cleaning up, once vname holds the version. */
static int swap_and_tidy(int dfd, uint64_t mount, const char *dir, const char *vname,
			 uint64_t version, bool had, uint64_t was,
			 const struct zks_config_dir_file *files, size_t n, uid_t uid, gid_t gid,
			 struct zks_error *err)
{
	struct zks_error e;

	if (add_links(dfd, dir, files, n, uid, gid, err) < 0)
		return -1;
	if (fsync(dfd) < 0) /* the version and the links are there before ..data names it */
		return zks_error_errno(err, errno, "sync `%s`", dir);
	if (!had || was != version) {
		char wname[NAME_BUF];

		/* The version left behind is marked with the time it stops being current. */
		snprintf(wname, sizeof(wname), VERSION_PREFIX "%" PRIu64, was);
		if (had && utimensat(dfd, wname, NULL, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
			return zks_error_errno(err, errno, "touch `%s` in `%s`", wname, dir);
		if (link_at(dfd, dir, vname, DATA_TMP, DATA_LINK, uid, gid, err) < 0)
			return -1;
		if (fsync(dfd) < 0)
			return zks_error_errno(err, errno, "sync `%s`", dir);
	}
	if (drop_links(dfd, dir, files, n, err) < 0)
		return -1;
	/* The swap is done: a version that cannot go is only logged. */
	if (remove_old_versions(dfd, mount, dir, version, &e) < 0)
		log_warn("config copy `%s`: an old version stays: %s", dir, e.msg);
	if (fsync(dfd) < 0)
		return zks_error_errno(err, errno, "sync `%s`", dir);
	return 0;
}

int zks_config_dir_write(const char *dir, uint64_t version, const struct zks_config_dir_file *files,
			 size_t n, uid_t uid, gid_t gid, struct zks_error *err)
{
	cleanup_close int dfd = -1;
	char vname[NAME_BUF];
	uint64_t mount, was = 0;
	bool had;

	if (check_files(dir, files, n, err) < 0)
		return -1;
	dfd = make_copy(dir, uid, gid, err);
	if (dfd < 0)
		return -1;
	if (mount_key(dfd, "", &mount, NULL) < 0)
		return zks_error_errno(err, errno, "inspect `%s`", dir);
	if (remove_temps(dfd, mount, dir, err) < 0)
		return -1;
	snprintf(vname, sizeof(vname), VERSION_PREFIX "%" PRIu64, version);
	had = read_current(dfd, &was);
	if (!(had && was == version && same_version(dfd, vname, files, n)) &&
	    install_version(dfd, mount, dir, vname, had && was == version, files, n, uid, gid,
			    err) < 0)
		return -1;
	return swap_and_tidy(dfd, mount, dir, vname, version, had, was, files, n, uid, gid, err);
}
