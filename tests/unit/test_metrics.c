/*
 * test_metrics.c - the census of records (core/census.c) and the /metrics
 * text: one series per route of the HTTP server it is given (names from the
 * HTTP layer), unknown paths apart, record counts from the census.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "zkswarm/api.h"
#include "zkswarm/census.h"
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
	text = zks_metrics_render(s, http);
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
	text = zks_metrics_render(s, http);
	assert_contains(text, "zkswarm_dns_replies_total{rcode=\"NXDOMAIN\"} 1\n");
	assert_contains(text, "zkswarm_dns_replies_total{rcode=\"NOERROR\"} 1\n");
	assert_contains(text, "zkswarm_dns_replies_total{rcode=\"REFUSED\"} 0\n");
	assert_contains(text, "zkswarm_dns_replies_total{rcode=\"other\"} 1\n");
	assert_contains(text, "zkswarm_dns_replies_total{rcode=\"none\"} 1\n");
	assert_contains(text, "zkswarm_dns_truncated_total 1\n");
	assert_contains(text, "zkswarm_dns_tcp_refused_total 1\n");
	free(text);

	/* Without a server, only the unknown paths' series. */
	text = zks_metrics_render(s, NULL);
	assert_contains(text, "endpoint=\"unknown\"");
	assert_not_contains(text, zks_routes[0].path + 1);
	free(text);

	zks_http_stop(http);
	store_destroy(s);
	zks_mem_backend_free(b);
	test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_census_counts_each_kind),
		cmocka_unit_test(test_render_names_the_servers_routes),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
