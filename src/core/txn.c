/*
 * txn.c - the bounded retry loop around a caller's transaction (txn.h).
 *
 * There is no pause between attempts: a lost race means someone else's write
 * has landed, so the next read already sees the new state, and the next
 * attempt after a fast-path read of the mirror asks ZooKeeper itself.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "zkswarm/txn.h"
#include "zkswarm/util.h"

void zks_txn_add(struct zks_txn *t, struct zks_op op)
{
	if (t->nops >= ARRAY_SIZE(t->ops))
		abort();
	t->ops[t->nops++] = op;
}

char *zks_txn_keep(struct zks_txn *t, char *s)
{
	if (t->nkept >= ARRAY_SIZE(t->kept))
		abort();
	t->kept[t->nkept++] = s;
	return s;
}

bool zks_txn_lost_race(const struct zks_error *err)
{
	return err->code == ZKS_ERR_EXISTS || err->code == ZKS_ERR_CONFLICT;
}

static enum zks_txn_next attempt(struct zks_store *store, const struct zks_txn_spec *spec,
				 void *ctx, struct zks_txn *t, struct zks_error *err)
{
	enum zks_txn_next next = spec->build(ctx, t, err);

	if (next != ZKS_TXN_COMMIT)
		return next;
	if (t->nops == 0 || store_multi(store, t->ops, t->nops, err) == 0)
		return ZKS_TXN_DONE;
	if (spec->failed)
		return spec->failed(ctx, t, err);
	return zks_txn_lost_race(err) ? ZKS_TXN_RETRY : ZKS_TXN_FAIL;
}

int zks_txn_run(struct zks_store *store, const struct zks_txn_spec *spec, void *ctx,
		struct zks_error *err, const char *exhausted, ...)
{
	char msg[ZKS_ERROR_MSG_MAX];
	va_list ap;

	for (int i = 0; i < spec->attempts; i++) {
		struct zks_txn t = {.attempt = i};
		enum zks_txn_next next = attempt(store, spec, ctx, &t, err);

		for (size_t k = 0; k < t.nkept; k++)
			free(t.kept[k]);
		if (next == ZKS_TXN_DONE)
			return 0;
		if (next == ZKS_TXN_FAIL)
			return -1;
	}
	va_start(ap, exhausted);
	vsnprintf(msg, sizeof(msg), exhausted, ap);
	va_end(ap);
	return zks_error_set(err, ZKS_ERR_CONFLICT, "%s", msg);
}
