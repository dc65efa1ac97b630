/*
 * util.c - allocation wrappers, clocks and whole-file helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "zkswarm/util.h"

static void __attribute__((noreturn)) oom(void)
{
	static const char msg[] = "zkswarmd: out of memory\n";

	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* Aborting anyway. */
	}
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	char *p;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return p;
}

void zks_freep(void *p)
{
	free(*(void **)p);
}

void zks_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

void zks_free_strv(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void zks_deadline_after(struct timespec *ts, clockid_t clock, int64_t ms)
{
	clock_gettime(clock, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

int64_t zks_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t zks_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t zks_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void zks_rfc3339_now(char out[32])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void zks_random_hex(char out[17])
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
		struct timespec ts;

		/* getrandom cannot fail for 8 bytes after boot; keep tokens distinct anyway. */
		clock_gettime(CLOCK_REALTIME, &ts);
		v = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid();
	}
	snprintf(out, 17, "%016llx", (unsigned long long)v);
}

static int fsync_dir_of(const char *path)
{
	cleanup_free char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

static int write_file(const char *path, const void *data, size_t len, bool durable,
		      struct zks_error *err)
{
	cleanup_free char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	const char *p = data;
	int fd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return zks_error_errno(err, errno, "create `%s`", tmp);
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int saved = errno;

			close(fd);
			unlink(tmp);
			return zks_error_errno(err, saved, "write `%s`", tmp);
		}
		p += w;
		len -= (size_t)w;
	}
	if ((durable && fsync(fd) < 0) || close(fd) < 0) {
		int saved = errno;

		unlink(tmp);
		return zks_error_errno(err, saved, "sync `%s`", tmp);
	}
	if (rename(tmp, path) < 0) {
		int saved = errno;

		unlink(tmp);
		return zks_error_errno(err, saved, "rename `%s`", tmp);
	}
	if (durable && fsync_dir_of(path) < 0)
		return zks_error_errno(err, errno, "sync directory of `%s`", path);
	return 0;
}

int zks_write_file_atomic(const char *path, const void *data, size_t len, struct zks_error *err)
{
	return write_file(path, data, len, true, err);
}

int zks_write_file_replace(const char *path, const void *data, size_t len, struct zks_error *err)
{
	return write_file(path, data, len, false, err);
}

int zks_read_file(const char *path, size_t max, char **out, size_t *len, struct zks_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	size_t used = 0, cap = 4096;

	if (fd < 0 && errno == ENOENT)
		return zks_error_set(err, ZKS_ERR_NOT_FOUND, "no file `%s`", path);
	if (fd < 0)
		return zks_error_errno(err, errno, "open `%s`", path);
	buf = xmalloc(cap);
	for (;;) {
		ssize_t r;

		if (used + 1 >= cap) {
			if (cap > max)
				return zks_error_set(err, ZKS_ERR_INVALID,
						     "`%s` is larger than %zu bytes", path, max);
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + used, cap - used - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return zks_error_errno(err, errno, "read `%s`", path);
		if (r == 0)
			break;
		used += (size_t)r;
	}
	if (used > max)
		return zks_error_set(err, ZKS_ERR_INVALID, "`%s` is larger than %zu bytes", path,
				     max);
	buf[used] = '\0';
	*out = steal_pointer(&buf);
	if (len != NULL)
		*len = used;
	return 0;
}

int zks_mkdir_p(const char *path, unsigned mode, struct zks_error *err)
{
	cleanup_free char *copy = xstrdup(path);

	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return zks_error_errno(err, errno, "mkdir `%s`", copy);
		*p = '/';
	}
	if (mkdir(copy, mode) < 0 && errno != EEXIST)
		return zks_error_errno(err, errno, "mkdir `%s`", copy);
	return 0;
}

void zks_cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}
