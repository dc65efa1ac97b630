/*
 * test_config_dir.c - a config's copy on a real filesystem (src/sys/config_dir.c): the
 * first write, a swap to a new version (a file added, one changed, one removed), the
 * version read back, a write repeated over what crashes leave behind, names refused,
 * a writer killed at arbitrary points (a whole version stays current, the next write
 * ends clean), removal (never across a mount); old versions kept a while, and no more than 8; a reader that reads the files in a tight loop while
 * versions are swapped 200 times sees whole versions only and never loses a file that
 * both versions have; inotify on the copy sees `..data` move in.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "zkswarm/config_sync.h"
#include "zkswarm/util.h"

struct fixture {
	char *tmp;
	char *dir; /* tmp/configs/app: its parent does not exist yet */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->tmp = test_mkdtemp();
	f->dir = xasprintf("%s/configs/app", f->tmp);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	test_rmtree(f->tmp);
	free(f->dir);
	free(f->tmp);
	free(f);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------------------------- */

/* What version k's files hold: lines(k) lines, all "version k". */
static size_t lines_of(uint64_t k)
{
	return 50 + k % 7;
}

static char *version_text(uint64_t k)
{
	size_t n = lines_of(k);
	char line[32];
	int ll = snprintf(line, sizeof(line), "version %llu\n", (unsigned long long)k);
	char *s = xmalloc(n * (size_t)ll + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(s + i * (size_t)ll, line, (size_t)ll);
	s[n * (size_t)ll] = '\0';
	return s;
}

static int write_str(const char *dir, uint64_t version, const char *const *names,
		     const char *const *data, size_t n, struct zks_error *err)
{
	struct zks_config_dir_file files[8];

	assert_true(n <= ARRAY_SIZE(files));
	for (size_t i = 0; i < n; i++)
		files[i] = (struct zks_config_dir_file){names[i], data[i], strlen(data[i])};
	return zks_config_dir_write(dir, version, files, n, 0, 0, err);
}

/* DIR/<name>'s contents (NULL if it cannot be read). */
static char *read_in(const char *dir, const char *name)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, name);
	struct zks_error err;
	char *data = NULL;
	size_t len;

	if (zks_read_file(path, 1 << 20, &data, &len, &err) < 0)
		return NULL;
	return data;
}

static void assert_file(const char *dir, const char *name, const char *want)
{
	cleanup_free char *got = read_in(dir, name);

	assert_non_null(got);
	assert_string_equal(got, want);
}

static bool exists_in(const char *dir, const char *name)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, name);
	struct stat st;

	return lstat(path, &st) == 0;
}

static void assert_link(const char *dir, const char *name, const char *target)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, name);
	char buf[256];
	ssize_t len = readlink(path, buf, sizeof(buf) - 1);

	assert_true(len > 0);
	buf[len] = '\0';
	assert_string_equal(buf, target);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir starting with "..", as one sorted, space-separated string. */
static char *dot_entries(const char *dir)
{
	char **names = NULL;
	size_t n = 0;
	char *out = xstrdup("");
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "..", 2) == 0 && strcmp(de->d_name, "..") != 0) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%s", out, i ? " " : "", names[i]);

		free(out);
		out = next;
	}
	zks_free_strv(names, n);
	return out;
}

/* Make dir/name look an hour old: a version that stopped being current long ago. */
static void age(const char *dir, const char *name)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, name);
	struct timespec ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 3600;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static uint64_t version_of(const char *dir)
{
	uint64_t v = 99;

	assert_int_equal(zks_config_dir_version(dir, &v), 0);
	return v;
}

/* ---- the write and the swap ------------------------------------------------------------------- */

static void test_first_write(void **state)
{
	struct fixture *f = *state;
	const char *names[] = {"app.conf", "limits.json"};
	const char *data[] = {"port = 80\n", "{}\n"};
	cleanup_free char *v1 = NULL;
	cleanup_free char *dots = NULL;
	struct zks_error err;
	struct stat st;

	assert_ok(write_str(f->dir, 1, names, data, 2, &err), &err);
	assert_int_equal(version_of(f->dir), 1);
	assert_file(f->dir, "app.conf", "port = 80\n");
	assert_file(f->dir, "limits.json", "{}\n");
	assert_link(f->dir, "..data", "..v1");
	assert_link(f->dir, "app.conf", "..data/app.conf");
	dots = dot_entries(f->dir);
	assert_string_equal(dots, "..data ..v1");
	/* Modes: the files read-only, the directories 0755. */
	v1 = xasprintf("%s/..v1/app.conf", f->dir);
	assert_int_equal(stat(v1, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
}

/* Everything of the copy belongs to uid:gid (chown needs root: skipped without). */
static void test_owner(void **state)
{
	struct fixture *f = *state;
	struct zks_config_dir_file file = {"a", "x", 1};
	const char *paths[] = {"", "/..v1", "/..v1/a", "/a", "/..data"};
	struct zks_error err;

	if (geteuid() != 0)
		skip();
	assert_ok(zks_config_dir_write(f->dir, 1, &file, 1, 1234, 5678, &err), &err);
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		cleanup_free char *p = xasprintf("%s%s", f->dir, paths[i]);
		struct stat st;

		assert_int_equal(lstat(p, &st), 0);
		assert_int_equal(st.st_uid, 1234);
		assert_int_equal(st.st_gid, 5678);
	}
}

static void test_swap_adds_changes_removes(void **state)
{
	struct fixture *f = *state;
	const char *n1[] = {"a", "b"}, *d1[] = {"a1\n", "b1\n"};
	const char *n2[] = {"a", "c"}, *d2[] = {"a2\n", "c2\n"};
	const char *n3[] = {"c"}, *d3[] = {"c3\n"};
	cleanup_free char *dots2 = NULL;
	cleanup_free char *dots3 = NULL;
	cleanup_free char *dots4 = NULL;
	struct zks_error err;

	assert_ok(write_str(f->dir, 1, n1, d1, 2, &err), &err);
	assert_ok(write_str(f->dir, 2, n2, d2, 2, &err), &err);
	assert_int_equal(version_of(f->dir), 2);
	assert_file(f->dir, "a", "a2\n");
	assert_file(f->dir, "c", "c2\n");
	assert_false(exists_in(f->dir, "b")); /* its link went with it */
	/* The version replaced stays a while, for readers held up in between. */
	dots2 = dot_entries(f->dir);
	assert_string_equal(dots2, "..data ..v1 ..v2");
	assert_ok(write_str(f->dir, 3, n3, d3, 1, &err), &err);
	assert_false(exists_in(f->dir, "a"));
	assert_file(f->dir, "c", "c3\n");
	dots3 = dot_entries(f->dir);
	assert_string_equal(dots3, "..data ..v1 ..v2 ..v3");
	assert_int_equal(version_of(f->dir), 3);
	/* Once they stopped being current long enough ago, the next write removes them. */
	age(f->dir, "..v1");
	age(f->dir, "..v2");
	assert_ok(write_str(f->dir, 4, n3, d3, 1, &err), &err);
	dots4 = dot_entries(f->dir);
	assert_string_equal(dots4, "..data ..v3 ..v4");
}

/* However quick the versions come, no more than 8 old ones stay. */
static void test_old_versions_bounded(void **state)
{
	struct fixture *f = *state;
	const char *names[] = {"a"};
	cleanup_free char *dots = NULL;
	struct zks_error err;

	for (uint64_t k = 1; k <= 20; k++) {
		char text[32];
		const char *data[] = {text};

		snprintf(text, sizeof(text), "%llu", (unsigned long long)k);
		assert_ok(write_str(f->dir, k, names, data, 1, &err), &err);
	}
	dots = dot_entries(f->dir);
	assert_string_equal(dots, "..data ..v12 ..v13 ..v14 ..v15 ..v16 ..v17 ..v18 ..v19 ..v20");
	assert_file(f->dir, "a", "20");
}

static void test_version_read_back(void **state)
{
	struct fixture *f = *state;
	const char *names[] = {"a"}, *data[] = {"x"};
	cleanup_free char *parent = xasprintf("%s/configs", f->tmp);
	struct zks_error err;
	uint64_t v = 42;

	/* No directory: not a copy. */
	assert_int_equal(zks_config_dir_version(f->dir, &v), -1);
	/* A directory without `..data`: a copy with no version yet. */
	assert_int_equal(mkdir(parent, 0755), 0);
	assert_int_equal(mkdir(f->dir, 0755), 0);
	assert_int_equal(version_of(f->dir), 0);
	/* Version 0 (a new config: no files) is a version too; big ones read back whole. */
	assert_ok(zks_config_dir_write(f->dir, 0, NULL, 0, 0, 0, &err), &err);
	assert_link(f->dir, "..data", "..v0");
	assert_int_equal(version_of(f->dir), 0);
	assert_ok(write_str(f->dir, 12345678901ULL, names, data, 1, &err), &err);
	assert_int_equal(version_of(f->dir), 12345678901ULL);
}

/* The same version written again: nothing changes, or, with other contents, swapped in place. */
static void test_same_version_again(void **state)
{
	struct fixture *f = *state;
	const char *names[] = {"a"}, *x[] = {"x\n"}, *y[] = {"y\n"};
	cleanup_free char *dots = NULL;
	struct zks_error err;
	struct stat before, after;
	cleanup_free char *path = xasprintf("%s/..v4/a", f->dir);

	assert_ok(write_str(f->dir, 4, names, x, 1, &err), &err);
	assert_int_equal(stat(path, &before), 0);
	assert_ok(write_str(f->dir, 4, names, x, 1, &err), &err);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino); /* not rewritten */
	assert_ok(write_str(f->dir, 4, names, y, 1, &err), &err);
	assert_file(f->dir, "a", "y\n");
	dots = dot_entries(f->dir);
	assert_string_equal(dots, "..data ..v4");
}

/* ---- crashes ---------------------------------------------------------------------------------- */

static void make_dir_with(const char *dir, const char *name, const char *file, const char *data)
{
	cleanup_free char *d = xasprintf("%s/%s", dir, name);
	cleanup_free char *p = xasprintf("%s/%s", d, file);
	struct zks_error err;

	assert_int_equal(mkdir(d, 0755), 0);
	assert_ok(zks_write_file_atomic(p, data, strlen(data), &err), &err);
}

static void symlink_in(const char *dir, const char *target, const char *name)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, name);

	assert_int_equal(symlink(target, p), 0);
}

/* A crash while the next version was written, then one before it was made current. */
static void test_repeat_after_crash_before_swap(void **state)
{
	struct fixture *f = *state;
	const char *n1[] = {"a", "b"}, *d1[] = {"a1\n", "b1\n"};
	const char *n2[] = {"a", "c"}, *d2[] = {"a2\n", "c2\n"};
	cleanup_free char *dots = NULL;
	struct zks_error err;

	assert_ok(write_str(f->dir, 1, n1, d1, 2, &err), &err);
	/* Left behind: a half-written version, a link about to be swapped in, a file's link
	 * being made, and version 2 complete but never made current, with stale contents. */
	make_dir_with(f->dir, "..v2.tmp-0123456789abcdef", "a", "half");
	symlink_in(f->dir, "..v2", "..data.tmp");
	symlink_in(f->dir, "..data/c", "..link-c");
	make_dir_with(f->dir, "..v2", "a", "stale\n");
	/* Readers still see version 1 whole. */
	assert_int_equal(version_of(f->dir), 1);
	assert_file(f->dir, "a", "a1\n");
	assert_ok(write_str(f->dir, 2, n2, d2, 2, &err), &err);
	assert_file(f->dir, "a", "a2\n");
	assert_file(f->dir, "c", "c2\n");
	assert_false(exists_in(f->dir, "b"));
	dots = dot_entries(f->dir);
	assert_string_equal(dots, "..data ..v1 ..v2");
}

/* A crash after the swap, before the links were fixed and the old versions removed. */
static void test_repeat_after_crash_after_swap(void **state)
{
	struct fixture *f = *state;
	const char *n1[] = {"a", "b"}, *d1[] = {"a1\n", "b1\n"};
	const char *n3[] = {"a", "c"}, *d3[] = {"a3\n", "c3\n"};
	cleanup_free char *dots = NULL;
	cleanup_free char *dots2 = NULL;
	cleanup_free char *data = xasprintf("%s/..data", f->dir);
	cleanup_free char *c = xasprintf("%s/..v3/c", f->dir);
	struct zks_error err;

	assert_ok(write_str(f->dir, 1, n1, d1, 2, &err), &err);
	make_dir_with(f->dir, "..v0", "a", "older\n");
	make_dir_with(f->dir, "..v3", "a", "a3\n");
	assert_ok(zks_write_file_atomic(c, "c3\n", 3, &err), &err);
	assert_int_equal(unlink(data), 0);
	symlink_in(f->dir, "..v3", "..data");
	/* Half done: a is version 3's, c has no link yet, b's link dangles. */
	assert_file(f->dir, "a", "a3\n");
	assert_false(exists_in(f->dir, "c"));
	assert_null(read_in(f->dir, "b"));
	assert_ok(write_str(f->dir, 3, n3, d3, 2, &err), &err);
	assert_file(f->dir, "c", "c3\n");
	assert_false(exists_in(f->dir, "b"));
	dots = dot_entries(f->dir);
	assert_string_equal(dots, "..data ..v0 ..v1 ..v3");
	assert_int_equal(version_of(f->dir), 3);
	/* Written again once the old versions are old: they go. */
	age(f->dir, "..v0");
	age(f->dir, "..v1");
	assert_ok(write_str(f->dir, 3, n3, d3, 2, &err), &err);
	dots2 = dot_entries(f->dir);
	assert_string_equal(dots2, "..data ..v3");
}

/* ---- refusals and removal --------------------------------------------------------------------- */

static void test_refuses_bad_names(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = {"..data", ".hidden", "a/b", "", "..v1", "x y"};
	const char *ok = "fine", *data[] = {"1", "2"};
	struct zks_error err;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *names[] = {ok, bad[i]};

		assert_error(write_str(f->dir, 1, names, data, 2, &err), &err, ZKS_ERR_INVALID);
		assert_false(exists_in(f->tmp, "configs/app")); /* nothing made */
	}
	{
		const char *twice[] = {"a", "a"};

		assert_error(write_str(f->dir, 1, twice, data, 2, &err), &err, ZKS_ERR_INVALID);
		assert_contains(err.msg, "`a`");
	}
}

static void test_remove(void **state)
{
	struct fixture *f = *state;
	const char *names[] = {"a"}, *data[] = {"x"};
	struct zks_error err;
	uint64_t v;

	assert_ok(zks_config_dir_remove(f->dir, &err), &err); /* nothing there: fine */
	assert_ok(write_str(f->dir, 1, names, data, 1, &err), &err);
	make_dir_with(f->dir, "..v7.tmp-x", "junk", "j");
	assert_ok(zks_config_dir_remove(f->dir, &err), &err);
	assert_false(exists_in(f->tmp, "configs/app"));
	assert_true(exists_in(f->tmp, "configs"));
	assert_int_equal(zks_config_dir_version(f->dir, &v), -1);
	assert_ok(zks_config_dir_remove(f->dir, &err), &err);
}

/* A mount inside the copy stops the removal: what is in it survives. */
static void test_remove_stops_at_a_mount(void **state)
{
	struct fixture *f = *state;
	const char *names[] = {"a"}, *data[] = {"x"};
	cleanup_free char *mnt = xasprintf("%s/..v1/sub", f->dir);
	cleanup_free char *inside = xasprintf("%s/precious", mnt);
	struct zks_error err;

	assert_ok(write_str(f->dir, 1, names, data, 1, &err), &err);
	assert_int_equal(mkdir(mnt, 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") < 0) {
		print_message("no tmpfs mount here (%s): skipped\n", strerror(errno));
		skip();
	}
	assert_ok(zks_write_file_atomic(inside, "keep", 4, &err), &err);
	assert_error(zks_config_dir_remove(f->dir, &err), &err, ZKS_ERR_CONFLICT);
	assert_contains(err.msg, "mount");
	assert_true(access(inside, F_OK) == 0);
	assert_int_equal(umount(mnt), 0);
	assert_ok(zks_config_dir_remove(f->dir, &err), &err);
	assert_false(exists_in(f->tmp, "configs/app"));
}

/* ---- readers during swaps --------------------------------------------------------------------- */

#define SWAPS 200

struct reader {
	const char *dir;
	atomic_bool stop;
	char failure[256];
	uint64_t reads, versions_seen, last[2];
};

/* Check one read of a file: whole lines of one version, as many as that version has. */
static bool check_read(struct reader *r, const char *buf, size_t len, uint64_t *version)
{
	unsigned long long k;
	size_t lines = 0;

	if (sscanf(buf, "version %llu\n", &k) != 1)
		return snprintf(r->failure, sizeof(r->failure), "unreadable: %.40s", buf), false;
	for (const char *p = buf; p < buf + len; lines++) {
		char want[32];
		int wl = snprintf(want, sizeof(want), "version %llu\n", k);

		if ((size_t)(buf + len - p) < (size_t)wl || memcmp(p, want, (size_t)wl) != 0)
			return snprintf(r->failure, sizeof(r->failure),
					"line %zu is not `version %llu`", lines + 1, k),
			       false;
		p += wl;
	}
	if (lines != lines_of(k))
		return snprintf(r->failure, sizeof(r->failure),
				"version %llu has %zu lines, not %zu", k, lines, lines_of(k)),
		       false;
	*version = k;
	return true;
}

static bool read_one(struct reader *r, int i)
{
	static const char *const names[] = {"a", "b"};
	cleanup_free char *path = xasprintf("%s/%s", r->dir, names[i]);
	char buf[4096];
	size_t len = 0;
	uint64_t k;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return snprintf(r->failure, sizeof(r->failure), "open %s: %s", names[i],
				strerror(errno)),
		       false;
	for (ssize_t n;
	     len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0;)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	if (!check_read(r, buf, len, &k))
		return false;
	if (k < r->last[i])
		return snprintf(r->failure, sizeof(r->failure), "%s went back from %llu to %llu",
				names[i], (unsigned long long)r->last[i], (unsigned long long)k),
		       false;
	if (k != r->last[i])
		r->versions_seen++;
	r->last[i] = k;
	r->reads++;
	return true;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load(&r->stop))
		for (int i = 0; i < 2; i++)
			if (!read_one(r, i))
				return NULL;
	return NULL;
}

/* Version k: a and b always, c in every other one. */
static void write_version(const char *dir, uint64_t k)
{
	cleanup_free char *text = version_text(k);
	struct zks_config_dir_file files[] = {{"a", text, strlen(text)},
					      {"b", text, strlen(text)},
					      {"c", text, strlen(text)}};
	struct zks_error err;

	assert_ok(zks_config_dir_write(dir, k, files, k % 2 ? 3 : 2, 0, 0, &err), &err);
}

static void test_readers_see_whole_versions(void **state)
{
	struct fixture *f = *state;
	struct reader r = {.dir = f->dir};
	pthread_t t;
	uint64_t k;

	write_version(f->dir, 1);
	assert_int_equal(pthread_create(&t, NULL, reader_main, &r), 0);
	for (k = 2; k <= SWAPS + 1 && r.failure[0] == '\0'; k++)
		write_version(f->dir, k);
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	print_message("%llu reads during %d swaps, %llu changes of version seen\n",
		      (unsigned long long)r.reads, SWAPS, (unsigned long long)r.versions_seen);
	if (r.failure[0] != '\0')
		fail_msg("a reader saw: %s", r.failure);
	assert_int_equal(version_of(f->dir), SWAPS + 1);
	assert_true(r.versions_seen > 2); /* it did read while the versions changed */
}

/* A writer killed at arbitrary points: a whole version stays current, the next write ends
 * clean. */
static void test_killed_writer(void **state)
{
	struct fixture *f = *state;

	for (int round = 0; round < 20; round++) {
		uint64_t base = (uint64_t)round * 1000, v;
		pid_t pid = fork();
		int64_t deadline = zks_now_ms() + 5000;
		cleanup_free char *dots = NULL;
		cleanup_free char *want = NULL;

		assert_true(pid >= 0);
		if (pid == 0) {
			for (uint64_t k = base + 1;; k++)
				write_version(f->dir, k);
		}
		/* Killed once it wrote a version or two of this round, wherever it is then. */
		while (zks_config_dir_version(f->dir, &v) < 0 || v < base + 1 + round % 3) {
			assert_true(zks_now_ms() < deadline);
			usleep(100);
		}
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, NULL, 0), pid);
		v = version_of(f->dir);
		want = version_text(v);
		assert_file(f->dir, "a", want);
		assert_file(f->dir, "b", want);
		write_version(f->dir, v + 1);
		free(want);
		want = version_text(v + 1);
		assert_file(f->dir, "a", want);
		assert_file(f->dir, "b", want);
		assert_true(exists_in(f->dir, "c") == ((v + 1) % 2 == 1));
		dots = dot_entries(f->dir);
		assert_not_contains(dots, "tmp");
		assert_not_contains(dots, "..link-");
	}
}

/* ---- inotify ---------------------------------------------------------------------------------- */

/* Wait (at most 2 s) for an event naming `..data` moved or created in the watched dir. */
static bool saw_data_event(int fd)
{
	int64_t deadline = zks_now_ms() + 2000;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (zks_now_ms() < deadline) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t len;

		if (poll(&p, 1, (int)(deadline - zks_now_ms())) <= 0)
			continue;
		len = read(fd, buf, sizeof(buf));
		for (char *q = buf; len > 0 && q < buf + len;) {
			struct inotify_event *ev = (struct inotify_event *)q;

			if (ev->len > 0 && strcmp(ev->name, "..data") == 0 &&
			    (ev->mask & (IN_MOVED_TO | IN_CREATE)))
				return true;
			q += sizeof(*ev) + ev->len;
		}
	}
	return false;
}

static void test_inotify_sees_the_swap(void **state)
{
	struct fixture *f = *state;
	int fd;

	write_version(f->dir, 1);
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(inotify_add_watch(fd, f->dir, IN_CREATE | IN_MOVED_TO | IN_DELETE) >= 0);
	write_version(f->dir, 2);
	assert_true(saw_data_event(fd));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_adds_changes_removes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_versions_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_version_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeat_after_crash_before_swap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_repeat_after_crash_after_swap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_killed_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_stops_at_a_mount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readers_see_whole_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inotify_sees_the_swap, setup, teardown),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
