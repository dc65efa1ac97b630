/*
 * error.h - the one way errors travel in zkswarm.
 *
 * A fallible function returns 0 on success and -1 on failure, after filling
 * the caller's struct zks_error with a code (for callers that branch on the
 * kind of failure) and a message written for the user: it ends up verbatim
 * in the engine's {"Err": ...} and so in `docker` output.  A message names
 * the object and the cause: `volume "db" is mounted on node "n2"`.
 *
 * Errors are reported once: api/ turns them into replies, main logs them.
 * Lower layers add context with zks_error_prefix() on the way up.
 */
#ifndef ZKSWARM_ERROR_H
#define ZKSWARM_ERROR_H

enum zks_errc {
	ZKS_ERR_NONE = 0,
	ZKS_ERR_INVALID,     /* bad input: the request is wrong, retrying won't help */
	ZKS_ERR_NOT_FOUND,   /* no such object */
	ZKS_ERR_EXISTS,	     /* the object already exists */
	ZKS_ERR_CONFLICT,    /* someone else holds it, or it changed under us */
	ZKS_ERR_NOT_EMPTY,   /* it still has children / users */
	ZKS_ERR_UNAVAILABLE, /* ZooKeeper unreachable or the outcome is unknown */
	ZKS_ERR_SYSTEM,	     /* a system call failed */
	ZKS_ERR_INTERNAL,    /* a bug or corrupt data */
};

#define ZKS_ERROR_MSG_MAX 512

struct zks_error {
	enum zks_errc code;
	char msg[ZKS_ERROR_MSG_MAX];
};

/* Fill err (if not NULL) and return -1, so that `return zks_error_set(...)` reads well. */
int zks_error_set(struct zks_error *err, enum zks_errc code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same, appending ": strerror(errnum)". */
int zks_error_errno(struct zks_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend context ("mount volume \"db\": ") to an existing message; returns -1. */
int zks_error_prefix(struct zks_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void zks_error_clear(struct zks_error *err);

const char *zks_errc_name(enum zks_errc code);

#endif
