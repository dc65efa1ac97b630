/*
 * test_metrics.c - the census of records (core/census.c) and the /metrics
 * text: one series per route of the HTTP server it is given (names from the
 * HTTP layer), unknown paths apart, record counts from the census, the
 * configuration copies kept here and those behind from their service.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "zkswarm/api.h"
#include "zkswarm/census.h"
#include "zkswarm/config_sync.h"
#include "zkswarm/configs.h"
#include "zkswarm/http.h"
#include "zkswarm/metrics.h"
#include "zkswarm/util.h"

static void put(struct zks_store *s, const char *path)
{
	struct zks_error err = {0};

	assert_ok(store_create(s, path, "{}", 2, ZKS_PERSISTENT, &err), &err);
}

static struct zks_store *store_with_records(struct zks_mem_backend *b)
{
	/* Under the skeleton the store makes (records.h). */
	static const char *const paths[] = {
		"/volumes/a", "/volumes/b", "/volumes/b/leases", "/networks/n", "/ipam/subnets/x",
		"/nodes/n1",  "/nodes/n2",  "/nodes/n3",	 "/vnis/4097",
	};
	struct zks_store *s = zks_store_mem_new(b);

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		put(s, paths[i]);
	return s;
}

static void test_census_counts_each_kind(void **state)
{
	struct zks_mem_backend *b = zks_mem_backend_new();
	struct zks_mem_backend *empty = zks_mem_backend_new();
	struct zks_store *s = store_with_records(b), *none = zks_store_mem_new(empty);
	struct zks_census c;

	(void)state;
	zks_census_take(s, &c);
	assert_int_equal(c.volumes, 2);
	assert_int_equal(c.networks, 1);
	assert_int_equal(c.subnets, 1);
	assert_int_equal(c.nodes, 3);
	/* A fresh cluster: nothing. */
	memset(&c, 0xff, sizeof(c));
	zks_census_take(none, &c);
	assert_int_equal(c.volumes + c.networks + c.subnets + c.nodes, 0);
	store_destroy(s);
	store_destroy(none);
	zks_mem_backend_free(b);
	zks_mem_backend_free(empty);
}

static void test_render_names_the_servers_routes(void **state)
{
	cleanup_free char *dir = test_mkdtemp();
	cleanup_free char *sock = xasprintf("%s/s.sock", dir);
	struct zks_mem_backend *b = zks_mem_backend_new();
	struct zks_store *s = store_with_records(b);
	struct zks_error err = {0};
	struct zks_http *http;
	char *text;
	int fd;

	(void)state;
	fd = zks_http_listen_unix(sock, &err);
	assert_true(fd >= 0);
	http = zks_http_start(fd, zks_routes, zks_nroutes, NULL, &err);
	assert_non_null(http);
	for (size_t i = 0; i < zks_nroutes; i++)
		assert_string_equal(zks_http_route_name(http, i), zks_routes[i].path + 1);
	assert_null(zks_http_route_name(http, zks_nroutes));
	assert_null(zks_http_route_name(NULL, 0));

	zks_metrics_observe(1, 200, 0.001);
	zks_metrics_observe(-1, 404, 0.5);
	zks_metrics_observe(1000, 404, 0.5); /* out of range: unknown too */
	text = zks_metrics_render(s, http, NULL);
	for (size_t i = 0; i < zks_nroutes; i++) {
		cleanup_free char *line =
			xasprintf("zkswarm_requests_total{endpoint=\"%s\",code=\"5xx\"} 0\n",
				  zks_routes[i].path + 1);

		assert_contains(text, line);
	}
	{
		cleanup_free char *line =
			xasprintf("zkswarm_requests_total{endpoint=\"%s\",code=\"2xx\"} 1\n",
				  zks_routes[1].path + 1);

		assert_contains(text, line);
	}
	assert_contains(text, "zkswarm_requests_total{endpoint=\"unknown\",code=\"4xx\"} 2\n");
	assert_contains(text, "zkswarm_request_duration_seconds_count{endpoint=\"unknown\"} 2\n");
	assert_contains(text, "zkswarm_objects{kind=\"volume\"} 2\n");
	assert_contains(text, "zkswarm_objects{kind=\"network\"} 1\n");
	assert_contains(text, "zkswarm_objects{kind=\"subnet\"} 1\n");
	assert_contains(text, "zkswarm_objects{kind=\"node\"} 3\n");
	free(text);

	/* DNS replies by rcode, truncations, refused TCP connections. */
	zks_metrics_dns_reply(3, false);
	zks_metrics_dns_reply(0, true);
	zks_metrics_dns_reply(-1, false);
	zks_metrics_dns_reply(9, false);
	zks_metrics_dns_tcp_refused();
	text = zks_metrics_render(s, http, NULL);
	assert_contains(text, "zkswarm_dns_replies_total{rcode=\"NXDOMAIN\"} 1\n");
	assert_contains(text, "zkswarm_dns_replies_total{rcode=\"NOERROR\"} 1\n");
	assert_contains(text, "zkswarm_dns_replies_total{rcode=\"REFUSED\"} 0\n");
	assert_contains(text, "zkswarm_dns_replies_total{rcode=\"other\"} 1\n");
	assert_contains(text, "zkswarm_dns_replies_total{rcode=\"none\"} 1\n");
	assert_contains(text, "zkswarm_dns_truncated_total 1\n");
	assert_contains(text, "zkswarm_dns_tcp_refused_total 1\n");
	free(text);

	/* Without a server, only the unknown paths' series. */
	text = zks_metrics_render(s, NULL, NULL);
	assert_contains(text, "endpoint=\"unknown\"");
	assert_not_contains(text, zks_routes[0].path + 1);
	/* No copies' service: no copies. */
	assert_contains(text, "# TYPE zkswarm_config_copies gauge\nzkswarm_config_copies 0\n");
	assert_contains(text, "zkswarm_config_copies_behind 0\n");
	free(text);

	zks_http_stop(http);
	store_destroy(s);
	zks_mem_backend_free(b);
	test_rmtree(dir);
}

/* The line of the exposition text that starts with prefix, as text (to free). */
static char *series(struct zks_store *s, struct zks_config_sync *cs, const char *name)
{
	cleanup_free char *text = zks_metrics_render(s, NULL, cs);
	cleanup_free char *prefix = xasprintf("\n%s ", name);
	const char *p = strstr(text, prefix);

	assert_non_null(p);
	p += strlen(prefix);
	return xstrndup(p, strcspn(p, "\n"));
}

/* Wait (bounded) until the series reads want. */
static void wait_series(struct zks_store *s, struct zks_config_sync *cs, const char *name,
			const char *want)
{
	int64_t deadline = zks_now_ms() + 5000;

	for (;;) {
		cleanup_free char *got = series(s, cs, name);

		if (strcmp(got, want) == 0)
			return;
		if (zks_now_ms() > deadline)
			fail_msg("%s reads %s after 5 s, want %s", name, got, want);
		usleep(2000);
	}
}

static void config_with_a_file(struct zks_store *s, const char *name)
{
	struct zks_config_edit e = {"a.conf", "a\n", 2};
	struct zks_config_ops ops;
	struct zks_error err = {0};
	bool changed;

	zks_config_create_ops(name, "tester", &ops);
	assert_ok(store_multi(s, ops.ops, ops.n, &err), &err);
	zks_config_ops_free(&ops);
	assert_ok(zks_config_commit(s, name, &e, 1, "tester", NULL, &changed, &err), &err);
}

/* A head whose file cannot be read yet (its blob missing): the copy stays behind until it can. */
static void head_ahead(struct zks_store *s, const char *name, const char *text, bool blob)
{
	struct zks_config_file file = {.name = "a.conf", .size = strlen(text)};
	struct zks_config_manifest m = {.version = 9, .files = &file, .nfiles = 1};
	cleanup_free char *head = NULL;
	cleanup_free char *hpath = zks_path_config(name);
	cleanup_free char *bpath = NULL;
	struct zks_error err = {0};

	zks_sha256_hex(text, strlen(text), file.sha256);
	bpath = zks_path_config_blob(name, file.sha256);
	if (blob) {
		assert_ok(store_create(s, bpath, text, strlen(text), ZKS_PERSISTENT, &err), &err);
		return;
	}
	head = zks_config_manifest_encode(&m);
	assert_ok(store_set(s, hpath, head, strlen(head), -1, &err), &err);
}

/*
 * Two copies kept here: both current; one behind a head it cannot write yet, then current;
 * both behind while ZooKeeper is away, current again; one detached.
 */
static void test_config_copies(void **state)
{
	cleanup_free char *dir = test_mkdtemp();
	cleanup_free char *copies = xasprintf("%s/configs", dir);
	struct zks_mem_backend *b = zks_mem_backend_new();
	struct zks_store *s = zks_store_mem_new(b);
	struct zks_config_sync_config cfg = {.node_id = "n1", .dir = copies};
	struct zks_error err = {0};
	struct zks_config_sync *cs = zks_config_sync_new(s, &cfg, &err);

	(void)state;
	assert_non_null(cs);
	assert_ok(zks_config_sync_start(cs, &err), &err);
	config_with_a_file(s, "app");
	config_with_a_file(s, "web");
	config_with_a_file(s, "unused");
	wait_series(s, cs, "zkswarm_config_copies", "0");
	for (int i = 0; i < 2; i++) {
		char *copy = NULL;

		assert_ok(zks_config_sync_attach(cs, i ? "web" : "app", 0, 0, &copy, &err), &err);
		free(copy);
	}
	wait_series(s, cs, "zkswarm_config_copies", "2");
	wait_series(s, cs, "zkswarm_config_copies_behind", "0");
	head_ahead(s, "web", "nine\n", false);
	wait_series(s, cs, "zkswarm_config_copies_behind", "1");
	head_ahead(s, "web", "nine\n", true);
	wait_series(s, cs, "zkswarm_config_copies_behind", "0");
	zks_mem_backend_set_down(b, true);
	wait_series(s, cs, "zkswarm_config_copies_behind", "2");
	zks_mem_backend_set_down(b, false);
	wait_series(s, cs, "zkswarm_config_copies_behind", "0");
	zks_config_sync_detach(cs, "web");
	wait_series(s, cs, "zkswarm_config_copies", "1");
	zks_config_sync_stop(cs);
	store_destroy(s);
	zks_config_sync_free(cs);
	zks_mem_backend_free(b);
	test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_census_counts_each_kind),
		cmocka_unit_test(test_render_names_the_servers_routes),
		cmocka_unit_test(test_config_copies),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
