/*
 * util.h - allocation wrappers, cleanup attributes and small file helpers.
 *
 * Small allocations never fail silently: x* wrappers abort on OOM, because
 * a daemon that half-handles OOM is worse than one that restarts (the engine
 * re-enables a managed plugin whose process exits).  Sizes that a client
 * controls are capped before they reach an allocator.
 */
#ifndef ZKSWARM_UTIL_H
#define ZKSWARM_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "zkswarm/error.h"

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void zks_freep(void *p);
void zks_closep(int *fd);
void zks_free_strv(char **v, size_t n);

#define cleanup_free __attribute__((cleanup(zks_freep)))
#define cleanup_close __attribute__((cleanup(zks_closep)))

/* Hand ownership of *pp to the caller and leave NULL behind. */
#define steal_pointer(pp)                                                                          \
	({                                                                                         \
		__typeof__(*(pp)) steal_tmp_ = *(pp);                                              \
		*(pp) = NULL;                                                                      \
		steal_tmp_;                                                                        \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Monotonic clock in milliseconds and wall clock as RFC 3339 (UTC, seconds) and ms. */
int64_t zks_now_ms(void);
int64_t zks_now_us(void);
int64_t zks_wall_ms(void);
void zks_rfc3339_now(char out[32]);

/*
 * The time ms from now on clock, for pthread_cond_timedwait: CLOCK_REALTIME for a condition
 * variable made with the defaults, CLOCK_MONOTONIC for one whose attributes say so.
 */
void zks_deadline_after(struct timespec *ts, clockid_t clock, int64_t ms);
/* A condition whose timed waits are on CLOCK_MONOTONIC (deadlines: zks_deadline_after). */
void zks_cond_init_monotonic(pthread_cond_t *cond);

/*
 * Write a whole file so that readers see either the old or the new content:
 * temporary file in the same directory, fsync, rename, fsync of the directory.
 */
int zks_write_file_atomic(const char *path, const void *data, size_t len, struct zks_error *err);
/*
 * The same without the two fsyncs: for a cache that is checked when read (mirror.json),
 * which a crash of the machine may leave old or empty, never torn in a way that is used.
 */
int zks_write_file_replace(const char *path, const void *data, size_t len, struct zks_error *err);

/* Read a whole file of at most max bytes; NUL-terminated.  NOT_FOUND if there is none. */
int zks_read_file(const char *path, size_t max, char **out, size_t *len, struct zks_error *err);

/* mkdir -p with the given mode for directories it creates. */
int zks_mkdir_p(const char *path, unsigned mode, struct zks_error *err);

/* Random 64-bit value from getrandom(2), as 16 hex digits. */
void zks_random_hex(char out[17]);

#endif
