/*
 * txn.h - the read, build, commit, retry loop of a multi-record change.
 *
 * A change that spans records (a lease and the holder, a subnet and its
 * parent's version, a network and its VNI claim) is one store_multi whose
 * steps depend on what was read just before.  Losing a race is normal: the
 * transaction fails as a whole with EXISTS or CONFLICT, and the change is
 * read and built again, a bounded number of times.  The caller gives the
 * build step (read, decide, fill the ops) and, if a failed commit needs a
 * closer look than "lost a race, again", a hook that decides.
 */
#ifndef ZKSWARM_TXN_H
#define ZKSWARM_TXN_H

#include <stdbool.h>
#include <stddef.h>

#include "zkswarm/error.h"
#include "zkswarm/store.h"

#define ZKS_TXN_MAX_OPS 8

/* One attempt: the ops to commit and the strings they point to. */
struct zks_txn {
	int attempt; /* 0 for the first */
	struct zks_op ops[ZKS_TXN_MAX_OPS];
	size_t nops;
	char *kept[2 * ZKS_TXN_MAX_OPS];
	size_t nkept;
};

/* What a build step or a failure hook decided. */
enum zks_txn_next {
	ZKS_TXN_COMMIT, /* commit the ops built (none: nothing to change, done) */
	ZKS_TXN_DONE,	/* finished without a transaction */
	ZKS_TXN_RETRY,	/* read and build again */
	ZKS_TXN_FAIL,	/* stop; err says why */
};

struct zks_txn_spec {
	int attempts;
	/* Read what the change depends on and add its ops (or decide without them). */
	enum zks_txn_next (*build)(void *ctx, struct zks_txn *t, struct zks_error *err);
	/*
	 * The commit failed with err: RETRY, FAIL or DONE (it is fine as it is).  The attempt's ops
	 * and kept strings are still there.  NULL: zks_txn_lost_race decides.
	 */
	enum zks_txn_next (*failed)(void *ctx, struct zks_txn *t, struct zks_error *err);
};

/* Append one step; more than ZKS_TXN_MAX_OPS is a bug (abort). */
void zks_txn_add(struct zks_txn *t, struct zks_op op);

/* Keep s (allocated) until the attempt ends, for the ops to point to; returns s. */
char *zks_txn_keep(struct zks_txn *t, char *s);

/* A transaction that failed because another writer came first (EXISTS, CONFLICT). */
bool zks_txn_lost_race(const struct zks_error *err);

/*
 * Run attempts of build and commit until one is done.  0, or -1 with err: the build's or
 * the hook's failure, or after spec->attempts attempts CONFLICT with the message given.
 */
int zks_txn_run(struct zks_store *store, const struct zks_txn_spec *spec, void *ctx,
		struct zks_error *err, const char *exhausted, ...)
	__attribute__((format(printf, 5, 6)));

#endif
