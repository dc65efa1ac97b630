/*
 * test_txn.c - the transaction-retry loop (txn.c) on the in-memory store:
 * a commit, a lost race read and built again, a failure hook that stops or
 * retries, a build that decides without a transaction, and the bound with
 * the caller's message.  Under ASan the kept strings show they are freed.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/txn.h"
#include "zkswarm/util.h"

struct probe {
	struct zks_store *store;
	struct zks_store *rival; /* writes between read and commit, while races > 0 */
	int races;
	int builds, hooks;
	enum zks_txn_next hook_says;
};

/* Set /t from the version read; a rival write in between makes the commit lose. */
static enum zks_txn_next bump_build(void *ctx, struct zks_txn *t, struct zks_error *err)
{
	struct probe *p = ctx;
	struct zks_stat st;
	const char *text;

	p->builds++;
	if (store_get(p->store, "/t", NULL, NULL, &st, err) < 0)
		return ZKS_TXN_FAIL;
	if (p->races > 0) {
		p->races--;
		assert_ok(store_set(p->rival, "/t", "r", 1, -1, err), err);
	}
	text = zks_txn_keep(t, xasprintf("attempt %d", t->attempt));
	zks_txn_add(t, (struct zks_op){.type = ZKS_OP_SET,
				       .path = zks_txn_keep(t, xstrdup("/t")),
				       .data = text,
				       .len = strlen(text),
				       .version = st.version});
	return ZKS_TXN_COMMIT;
}

static enum zks_txn_next counting_hook(void *ctx, struct zks_txn *t, struct zks_error *err)
{
	struct probe *p = ctx;

	(void)t;
	assert_int_equal(err->code, ZKS_ERR_CONFLICT);
	p->hooks++;
	return p->hook_says;
}

static struct zks_mem_backend *setup(struct probe *p)
{
	struct zks_mem_backend *b = zks_mem_backend_new();
	struct zks_error err;

	memset(p, 0, sizeof(*p));
	p->store = zks_store_mem_new(b);
	p->rival = zks_store_mem_new(b);
	assert_ok(store_create(p->store, "/t", "0", 1, ZKS_PERSISTENT, &err), &err);
	return b;
}

static void teardown(struct probe *p, struct zks_mem_backend *b)
{
	store_destroy(p->store);
	store_destroy(p->rival);
	zks_mem_backend_free(b);
}

static void test_lost_races_are_retried(void **state)
{
	static const struct zks_txn_spec spec = {.attempts = 4, .build = bump_build};
	struct probe p;
	struct zks_mem_backend *b = setup(&p);
	struct zks_error err;
	char *data = NULL;

	(void)state;
	p.races = 2;
	assert_ok(zks_txn_run(p.store, &spec, &p, &err, "x"), &err);
	assert_int_equal(p.builds, 3);
	assert_ok(store_get(p.store, "/t", &data, NULL, NULL, &err), &err);
	assert_string_equal(data, "attempt 2");
	free(data);
	teardown(&p, b);
}

static void test_bound_and_message(void **state)
{
	static const struct zks_txn_spec spec = {.attempts = 3, .build = bump_build};
	struct probe p;
	struct zks_mem_backend *b = setup(&p);
	struct zks_error err;

	(void)state;
	p.races = 100;
	assert_error(zks_txn_run(p.store, &spec, &p, &err, "thing `%s` kept changing", "t"), &err,
		     ZKS_ERR_CONFLICT);
	assert_string_equal(err.msg, "thing `t` kept changing");
	assert_int_equal(p.builds, 3);
	teardown(&p, b);
}

static void test_hook_decides(void **state)
{
	static const struct zks_txn_spec spec = {.attempts = 5,
						 .build = bump_build,
						 .failed = counting_hook};
	struct probe p;
	struct zks_mem_backend *b = setup(&p);
	struct zks_error err;

	(void)state;
	p.races = 100;
	p.hook_says = ZKS_TXN_FAIL;
	assert_error(zks_txn_run(p.store, &spec, &p, &err, "x"), &err, ZKS_ERR_CONFLICT);
	assert_int_equal(p.builds, 1);
	assert_int_equal(p.hooks, 1);
	p.builds = p.hooks = 0;
	p.races = 1;
	p.hook_says = ZKS_TXN_RETRY;
	assert_ok(zks_txn_run(p.store, &spec, &p, &err, "x"), &err);
	assert_int_equal(p.builds, 2);
	assert_int_equal(p.hooks, 1);
	teardown(&p, b);
}

static enum zks_txn_next done_build(void *ctx, struct zks_txn *t, struct zks_error *err)
{
	(void)ctx;
	(void)err;
	zks_txn_keep(t, xstrdup("freed by the loop"));
	return t->attempt < 2 ? ZKS_TXN_RETRY : ZKS_TXN_DONE;
}

static enum zks_txn_next fail_build(void *ctx, struct zks_txn *t, struct zks_error *err)
{
	(void)ctx;
	(void)t;
	zks_error_set(err, ZKS_ERR_INVALID, "no");
	return ZKS_TXN_FAIL;
}

/* No ops to commit is success; DONE and FAIL from a build end the loop at once. */
static void test_build_decides(void **state)
{
	static const struct zks_txn_spec done = {.attempts = 5, .build = done_build};
	static const struct zks_txn_spec fail = {.attempts = 5, .build = fail_build};
	struct probe p;
	struct zks_mem_backend *b = setup(&p);
	struct zks_error err;

	(void)state;
	assert_ok(zks_txn_run(p.store, &done, &p, &err, "x"), &err);
	assert_error(zks_txn_run(p.store, &fail, &p, &err, "x"), &err, ZKS_ERR_INVALID);
	assert_string_equal(err.msg, "no");
	teardown(&p, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lost_races_are_retried),
		cmocka_unit_test(test_bound_and_message),
		cmocka_unit_test(test_hook_decides),
		cmocka_unit_test(test_build_decides),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
