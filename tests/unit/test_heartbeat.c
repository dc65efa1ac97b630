/*
 * test_heartbeat.c - the beats (heartbeat.c) on the in-memory store: the age
 * rule (our own beat's mtime plus monotonic time since, minus theirs; never
 * the viewer's wall clock against ZooKeeper's), a beat creating then setting
 * its record, every node's beat read back with its period, unknown ages
 * before our own first beat, the reader asking the store at most once a
 * second, and again sooner before it tells a beat late only by ageing.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "zkswarm/heartbeat.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

static void test_age_rule(void **state)
{
	(void)state;
	/* Our beat written at leader time 10,000, answered at our monotonic 500; now 2,500. */
	assert_int_equal(zks_beat_age(10000, 500, 2500, 9000), 3000);
	assert_int_equal(zks_beat_age(10000, 500, 500, 10000), 0);
	/* Their beat after ours: not negative. */
	assert_int_equal(zks_beat_age(10000, 500, 600, 10400), 0);
	/* Our own beat unknown: no age, whatever the clocks say. */
	assert_int_equal(zks_beat_age(0, 500, 2500, 9000), -1);
	/* The viewer's wall clock plays no part: only mtimes and monotonic time. */
	assert_int_equal(zks_beat_age(5, 1000000, 1000010, 0), 15);
}

/* A store backend with the skeleton, and a heartbeat per node on its own session. */
static void test_beats_and_ages(void **state)
{
	struct zks_mem_backend *b = test_backend_new();
	struct zks_store *s1 = zks_store_mem_new(b), *s2 = zks_store_mem_new(b);
	struct zks_heartbeat *h1 = zks_heartbeat_new(s1, "n1", 2500);
	struct zks_heartbeat *h2 = zks_heartbeat_new(s2, "n2", 1000);
	struct zks_beats beats;
	struct zks_error err = {0};
	struct zks_record_heartbeat rec;
	cleanup_free char *data = NULL;
	struct zks_stat st;

	(void)state;
	/* n2 beats, but n1 has not yet: its view of ages is unknown. */
	assert_ok(zks_heartbeat_beat(h2, &err), &err);
	assert_ok(zks_heartbeat_ages(h1, &beats, &err), &err);
	assert_int_equal(beats.n, 1);
	assert_string_equal(beats.v[0].node, "n2");
	assert_int_equal(beats.v[0].age_ms, -1);
	assert_int_equal(beats.v[0].every_ms, 1000);
	zks_beats_clear(&beats);
	/* Created by the first beat, set by the next (version grows): a plain set. */
	assert_ok(zks_heartbeat_beat(h1, &err), &err);
	assert_ok(zks_heartbeat_beat(h1, &err), &err);
	assert_ok(store_get(s1, "/heartbeats/n1", &data, NULL, &st, &err), &err);
	assert_int_equal(st.version, 1);
	assert_int_equal(st.owner, 0); /* persistent: it outlives the session */
	assert_ok(zks_record_heartbeat_decode(data, &rec, &err), &err);
	assert_int_equal(rec.every_ms, 2500);
	assert_non_null(rec.at);
	zks_record_heartbeat_clear(&rec);
	/* Within a second the reader answers from its last read: n1 is not listed yet. */
	assert_ok(zks_heartbeat_ages(h1, &beats, &err), &err);
	assert_int_equal(beats.n, 1);
	assert_null(zks_beats_find(&beats, "n1"));
	zks_beats_clear(&beats);
	zks_heartbeat_free(h1);
	h1 = zks_heartbeat_new(s1, "n1", 2500);
	assert_ok(zks_heartbeat_beat(h1, &err), &err);
	assert_ok(zks_heartbeat_ages(h1, &beats, &err), &err);
	assert_int_equal(beats.n, 2);
	assert_non_null(zks_beats_find(&beats, "n1"));
	/* Both written within this test: young, and known now. */
	assert_in_range(zks_beats_find(&beats, "n1")->age_ms, 0, 1000);
	assert_in_range(zks_beats_find(&beats, "n2")->age_ms, 0, 5000);
	zks_beats_clear(&beats);
	/* ZooKeeper away: the last read is kept, its ages growing. */
	zks_mem_backend_set_down(b, true);
	assert_int_equal(zks_heartbeat_beat(h2, &err), -1);
	zks_error_clear(&err);
	zks_heartbeat_free(h1);
	zks_heartbeat_free(h2);
	store_destroy(s1);
	store_destroy(s2);
	zks_mem_backend_free(b);
}

/* Wait (bounded by the clock itself) until ms have passed since t0. */
static void until_ms(int64_t t0, int64_t ms)
{
	struct timespec ts = {.tv_nsec = 5000000};

	while (zks_now_ms() - t0 < ms)
		nanosleep(&ts, NULL);
}

/* A beat that the last read, aged, would make late is read again first: n2 beats every 300 ms
 * (late past 600 ms; the margins leave room for valgrind on a loaded machine); a new beat
 * within the second after a read is seen, and a beat that stopped is late. */
static void test_confirm_before_late(void **state)
{
	struct zks_mem_backend *b = test_backend_new();
	struct zks_store *s1 = zks_store_mem_new(b), *s2 = zks_store_mem_new(b);
	struct zks_heartbeat *h1 = zks_heartbeat_new(s1, "n1", 2500);
	struct zks_heartbeat *h2 = zks_heartbeat_new(s2, "n2", 300);
	struct zks_beats beats;
	struct zks_error err = {0};
	const struct zks_beat *n2;
	int64_t t0;

	(void)state;
	assert_ok(zks_heartbeat_beat(h1, &err), &err);
	assert_ok(zks_heartbeat_beat(h2, &err), &err);
	assert_ok(zks_heartbeat_ages(h1, &beats, &err), &err);
	t0 = zks_now_ms();
	assert_non_null(n2 = zks_beats_find(&beats, "n2"));
	assert_false(zks_beat_late(n2->age_ms, n2->every_ms));
	zks_beats_clear(&beats);
	until_ms(t0, 700);
	assert_ok(zks_heartbeat_beat(h2, &err), &err);
	assert_ok(zks_heartbeat_ages(h1, &beats, &err), &err);
	assert_non_null(n2 = zks_beats_find(&beats, "n2"));
	assert_false(zks_beat_late(n2->age_ms, n2->every_ms)); /* read again: the new beat */
	zks_beats_clear(&beats);
	t0 = zks_now_ms();
	until_ms(t0, 700);
	assert_ok(zks_heartbeat_ages(h1, &beats, &err), &err);
	assert_non_null(n2 = zks_beats_find(&beats, "n2"));
	assert_true(zks_beat_late(n2->age_ms, n2->every_ms)); /* no new beat: late */
	zks_beats_clear(&beats);
	zks_heartbeat_free(h1);
	zks_heartbeat_free(h2);
	store_destroy(s1);
	store_destroy(s2);
	zks_mem_backend_free(b);
}

/*
 * The beats of nodes not registered, older than the bound, are forgotten: not our own, not a
 * registered node's, not one written again since (the age is read afresh); ZooKeeper away
 * forgets nothing.
 */
static void test_forget(void **state)
{
	struct zks_mem_backend *b = test_backend_new();
	struct zks_store *s1 = zks_store_mem_new(b), *s2 = zks_store_mem_new(b);
	struct zks_heartbeat *h1 = zks_heartbeat_new(s1, "n1", 2500);
	struct zks_heartbeat *h2 = zks_heartbeat_new(s2, "n2", 1000);
	struct zks_heartbeat *h3 = zks_heartbeat_new(s2, "n3", 1000);
	struct zks_error err = {0};
	int64_t t0;

	(void)state;
	/* Our own beat not written: no age can be told, nothing goes. */
	assert_ok(zks_heartbeat_beat(h2, &err), &err);
	assert_int_equal(zks_heartbeat_forget(h1, 0, &err), -1);
	zks_error_clear(&err);
	assert_ok(zks_heartbeat_beat(h3, &err), &err);
	assert_ok(store_create(s2, "/nodes/n3", "{}", 2, ZKS_EPHEMERAL, &err), &err);
	t0 = zks_now_ms();
	until_ms(t0, 30);
	assert_ok(zks_heartbeat_beat(h1, &err), &err);
	/* Young beats stay. */
	assert_int_equal(zks_heartbeat_forget(h1, 60000, &err), 0);
	/* ZooKeeper away: an error, nothing deleted. */
	zks_mem_backend_set_down(b, true);
	assert_int_equal(zks_heartbeat_forget(h1, 10, &err), -1);
	zks_error_clear(&err);
	zks_mem_backend_set_down(b, false);
	assert_ok(store_get(s1, "/heartbeats/n2", NULL, NULL, NULL, &err), &err);
	/* Older than 10 ms: n2's goes (not registered); n3's stays (registered); ours stays. */
	until_ms(t0, 60);
	assert_int_equal(zks_heartbeat_forget(h1, 10, &err), 1);
	assert_int_equal(store_get(s1, "/heartbeats/n2", NULL, NULL, NULL, &err), -1);
	assert_int_equal(err.code, ZKS_ERR_NOT_FOUND);
	zks_error_clear(&err);
	assert_ok(store_get(s1, "/heartbeats/n3", NULL, NULL, NULL, &err), &err);
	assert_ok(store_get(s1, "/heartbeats/n1", NULL, NULL, NULL, &err), &err);
	/* n2 comes back: its beat is written anew, and a fresh one is not forgotten. */
	assert_ok(zks_heartbeat_beat(h2, &err), &err);
	assert_ok(zks_heartbeat_beat(h1, &err), &err);
	assert_int_equal(zks_heartbeat_forget(h1, 60000, &err), 0);
	assert_ok(store_get(s1, "/heartbeats/n2", NULL, NULL, NULL, &err), &err);
	zks_heartbeat_free(h1);
	zks_heartbeat_free(h2);
	zks_heartbeat_free(h3);
	store_destroy(s1);
	store_destroy(s2);
	zks_mem_backend_free(b);
}

/* The writer's thread: a beat at once; stop joins it promptly. */
static void test_thread(void **state)
{
	struct zks_mem_backend *b = test_backend_new();
	struct zks_store *s = zks_store_mem_new(b);
	struct zks_heartbeat *h = zks_heartbeat_new(s, "n1", 60000);
	struct zks_error err = {0};
	struct zks_stat st;
	int64_t t0;
	int found = -1;

	(void)state;
	zks_heartbeat_start(h);
	/* Polled with a pause: a loop that never sleeps starved the writer under valgrind (its
	 * threads take turns), and the beat was not there after 5 s (CI, unit-valgrind). */
	t0 = zks_now_ms();
	while (found < 0 && zks_now_ms() - t0 < 30000) {
		found = store_get(s, "/heartbeats/n1", NULL, NULL, &st, &err);
		zks_error_clear(&err);
		if (found < 0)
			nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
	}
	assert_int_equal(found, 0);
	/* Stop does not wait out the 60 s period (a bound far from both). */
	t0 = zks_now_ms();
	zks_heartbeat_stop(h);
	assert_true(zks_now_ms() - t0 < 30000);
	zks_heartbeat_free(h);
	store_destroy(s);
	zks_mem_backend_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_age_rule),
		cmocka_unit_test(test_beats_and_ages),
		cmocka_unit_test(test_confirm_before_late),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
