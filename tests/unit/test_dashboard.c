/*
 * test_dashboard.c - the dashboard's request path without a socket
 * (zks_dashboard_dispatch) over the in-memory store and the real view and
 * feed (src/view/): routes, GET and HEAD
 * only, the security headers' table, assets with ETag and 304, the cached
 * document and its seq, the token (Bearer, cookie, /?token= then 303, 401
 * otherwise, never echoed), the URL's length, the streams' limit, hello,
 * change and state events, and a stream that does not read dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/dashboard.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define TOKEN "s3cret-token-0123456789"

struct fixture {
	struct zks_mem_backend *b;
	struct zks_store *s;
	struct zks_dashboard *d;
};

static void setup(struct fixture *f, const char *token, int max_streams)
{
	struct zks_dashboard_config cfg = {.node_id = "n1",
					   .version = "t",
					   .zk_hosts = "127.0.0.1:1",
					   .zk_root = "/zkswarm",
					   .session_timeout_ms = 10000,
					   .token = token,
					   .max_streams = max_streams};

	f->b = test_backend_new();
	f->s = zks_store_mem_new(f->b);
	f->d = zks_dashboard_new(f->s, NULL, &cfg);
	zks_dashboard_build(f->d);
}

static void teardown(struct fixture *f)
{
	zks_dashboard_stop(f->d);
	store_destroy(f->s);
	zks_dashboard_free(f->d);
	zks_mem_backend_free(f->b);
}

static void get(struct fixture *f, const char *method, const char *path,
		const struct zks_dash_request *extra, struct zks_dash_reply *out)
{
	struct zks_dash_request req = extra ? *extra : (struct zks_dash_request){0};

	req.method = method;
	req.path = path;
	if (req.url_len == 0)
		req.url_len = strlen(path);
	zks_dashboard_dispatch(f->d, &req, out);
}

static void assert_json_error(const struct zks_dash_reply *r, unsigned status)
{
	assert_int_equal(r->status, status);
	assert_string_equal(r->type, "application/json");
	assert_true(r->len > 10 && strncmp(r->body, "{\"error\":", 9) == 0);
}

static void test_headers_table(void **state)
{
	size_t n = 0;

	(void)state;
	for (; zks_dash_headers[n] != NULL; n += 2)
		;
	assert_int_equal(n, 6);
	assert_string_equal(zks_dash_headers[1], "nosniff");
	assert_string_equal(zks_dash_headers[3], "no-referrer");
	assert_non_null(strstr(zks_dash_headers[5], "frame-ancestors 'none'"));
	assert_non_null(strstr(zks_dash_headers[5], "script-src 'self'"));
}

static void test_assets_and_etag(void **state)
{
	static const char *const paths[] = {"/", "/app.js", "/app.css", "/favicon.svg"};
	static const char *const types[] = {"text/html", "text/javascript", "text/css",
					    "image/svg+xml"};
	struct fixture f;
	struct zks_dash_reply r, r2;

	(void)state;
	setup(&f, NULL, 4);
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		get(&f, "GET", paths[i], NULL, &r);
		assert_int_equal(r.status, 200);
		assert_true(r.len > 0);
		assert_true(strncmp(r.type, types[i], strlen(types[i])) == 0);
		assert_string_equal(r.cache, "no-cache");
		assert_int_equal(strlen(r.etag), 18); /* "16 hex" */
		/* A matching If-None-Match: 304 without a body, the same tag. */
		get(&f, "GET", paths[i], &(struct zks_dash_request){.if_none_match = r.etag}, &r2);
		assert_int_equal(r2.status, 304);
		assert_int_equal(r2.len, 0);
		assert_string_equal(r2.etag, r.etag);
		zks_dash_reply_clear(f.d, &r2);
		get(&f, "GET", paths[i], &(struct zks_dash_request){.if_none_match = "\"0\""}, &r2);
		assert_int_equal(r2.status, 200);
		zks_dash_reply_clear(f.d, &r2);
		/* HEAD: the same answer's headers. */
		get(&f, "HEAD", paths[i], NULL, &r2);
		assert_int_equal(r2.status, 200);
		assert_string_equal(r2.etag, r.etag);
		zks_dash_reply_clear(f.d, &r2);
		zks_dash_reply_clear(f.d, &r);
	}
	teardown(&f);
}

static void test_errors(void **state)
{
	static const char *const methods[] = {"POST", "PUT", "DELETE", "OPTIONS", "get", ""};
	struct fixture f;
	struct zks_dash_reply r;

	(void)state;
	setup(&f, NULL, 4);
	get(&f, "GET", "/nope", NULL, &r);
	assert_json_error(&r, 404);
	zks_dash_reply_clear(f.d, &r);
	get(&f, "GET", "/api/v1/cluster/", NULL, &r);
	assert_json_error(&r, 404);
	zks_dash_reply_clear(f.d, &r);
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
		get(&f, methods[i], "/api/v1/cluster", NULL, &r);
		assert_json_error(&r, 405);
		assert_true(r.allow);
		zks_dash_reply_clear(f.d, &r);
	}
	get(&f, "GET", "/", &(struct zks_dash_request){.url_len = 2048}, &r);
	assert_int_equal(r.status, 200);
	zks_dash_reply_clear(f.d, &r);
	get(&f, "GET", "/", &(struct zks_dash_request){.url_len = 2049}, &r);
	assert_json_error(&r, 414);
	zks_dash_reply_clear(f.d, &r);
	teardown(&f);
}

static void test_document(void **state)
{
	struct fixture f;
	struct zks_dash_reply r;
	struct zks_error err = {0};
	cJSON *doc;
	double seq;

	(void)state;
	setup(&f, NULL, 4);
	get(&f, "GET", "/api/v1/cluster", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.cache, "no-store");
	doc = cJSON_Parse(r.body);
	assert_non_null(doc);
	seq = cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "seq"));
	assert_string_equal(cJSON_GetStringValue(
				    cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "self"), "node")),
			    "n1");
	assert_non_null(cJSON_GetObjectItem(doc, "generated_at"));
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(doc, "ensemble")));
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "self"), "stale")));
	cJSON_Delete(doc);
	zks_dash_reply_clear(f.d, &r);
	/* A volume: the next build has it, seq grown; no change, no growth. */
	assert_ok(store_create(f.s, "/volumes/v1", "{}", 2, ZKS_PERSISTENT, &err), &err);
	zks_dashboard_build(f.d);
	zks_dashboard_build(f.d);
	get(&f, "GET", "/api/v1/cluster", NULL, &r);
	doc = cJSON_Parse(r.body);
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "seq")), seq + 1);
	assert_non_null(strstr(r.body, "\"name\":\"v1\""));
	cJSON_Delete(doc);
	zks_dash_reply_clear(f.d, &r);
	teardown(&f);
}

static void test_token(void **state)
{
	struct fixture f;
	struct zks_dash_reply r;

	(void)state;
	setup(&f, TOKEN, 4);
	/* None: 401, the page says how; never the token. */
	get(&f, "GET", "/", NULL, &r);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.body, "/?token="));
	assert_null(strstr(r.body, TOKEN));
	zks_dash_reply_clear(f.d, &r);
	get(&f, "GET", "/api/v1/cluster", NULL, &r);
	assert_json_error(&r, 401);
	zks_dash_reply_clear(f.d, &r);
	/* Wrong ones, one character off, a prefix, longer, the wrong scheme. */
	{
		const char *bad[] = {"Bearer s3cret-token-012345678X", "Bearer s3cret-token",
				     "Bearer " TOKEN "0", "Basic " TOKEN, TOKEN};

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			get(&f, "GET", "/api/v1/cluster",
			    &(struct zks_dash_request){.authorization = bad[i]}, &r);
			assert_json_error(&r, 401);
			zks_dash_reply_clear(f.d, &r);
		}
	}
	get(&f, "GET", "/api/v1/cluster",
	    &(struct zks_dash_request){.authorization = "Bearer " TOKEN}, &r);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, TOKEN));
	zks_dash_reply_clear(f.d, &r);
	get(&f, "GET", "/app.js",
	    &(struct zks_dash_request){.cookie = "a=b; zks_dashboard=" TOKEN "; c=d"}, &r);
	assert_int_equal(r.status, 200);
	zks_dash_reply_clear(f.d, &r);
	get(&f, "GET", "/app.js", &(struct zks_dash_request){.cookie = "zks_dashboard=nope"}, &r);
	assert_int_equal(r.status, 401);
	zks_dash_reply_clear(f.d, &r);
	/* /?token=: 303 to / with the cookie; a wrong one 401. */
	get(&f, "GET", "/", &(struct zks_dash_request){.token_arg = TOKEN}, &r);
	assert_int_equal(r.status, 303);
	assert_string_equal(r.location, "/");
	assert_string_equal(r.set_cookie,
			    "zks_dashboard=" TOKEN "; HttpOnly; SameSite=Strict; Path=/");
	zks_dash_reply_clear(f.d, &r);
	get(&f, "GET", "/", &(struct zks_dash_request){.token_arg = "wrong"}, &r);
	assert_json_error(&r, 401);
	zks_dash_reply_clear(f.d, &r);
	teardown(&f);
}

static void test_streams(void **state)
{
	struct fixture f;
	struct zks_dash_reply r[3], extra;
	struct zks_error err = {0};
	char *text;

	(void)state;
	setup(&f, NULL, 3);
	for (size_t i = 0; i < 3; i++) {
		get(&f, "GET", "/api/v1/events", NULL, &r[i]);
		assert_int_equal(r[i].status, 200);
		assert_string_equal(r[i].type, "text/event-stream");
		assert_non_null(r[i].stream);
	}
	assert_int_equal(zks_dashboard_streams(f.d), 3);
	/* One more: 503; HEAD opens none. */
	get(&f, "GET", "/api/v1/events", NULL, &extra);
	assert_json_error(&extra, 503);
	zks_dash_reply_clear(f.d, &extra);
	get(&f, "HEAD", "/api/v1/events", NULL, &extra);
	assert_int_equal(extra.status, 200);
	assert_null(extra.stream);
	zks_dash_reply_clear(f.d, &extra);
	text = zks_dash_stream_take(f.d, r[0].stream);
	assert_true(strncmp(text, "retry: 1000\nevent: hello\ndata: {\"seq\":", 38) == 0);
	free(text);
	/* A change: every stream hears it. */
	assert_ok(store_create(f.s, "/volumes/v2", "{}", 2, ZKS_PERSISTENT, &err), &err);
	zks_dashboard_build(f.d);
	text = zks_dash_stream_take(f.d, r[0].stream);
	assert_non_null(strstr(text, "event: change\ndata: {\"seq\":"));
	assert_non_null(strstr(text, "\"kind\":\"volume.created\""));
	free(text);
	/* ZooKeeper away: the state event says stale. */
	zks_mem_backend_set_down(f.b, true);
	zks_dashboard_build(f.d);
	text = zks_dash_stream_take(f.d, r[0].stream);
	assert_non_null(
		strstr(text, "event: state\ndata: {\"stale\":true,\"zookeeper\":\"cut off\"}"));
	free(text);
	zks_mem_backend_set_down(f.b, false);
	/* r[1] never reads: past 256 KB of changes it is dropped, its slot free again. */
	for (int i = 0; i < 200 && zks_dashboard_streams(f.d) == 3; i++) {
		/* 50 volumes a build: each change event some 8 KB. */
		for (int j = 0; j < 50; j++) {
			char name[80];

			snprintf(name, sizeof(name), "/volumes/a-rather-long-volume-name-%04d-%02d",
				 i, j);
			assert_ok(store_create(f.s, name, "{}", 2, ZKS_PERSISTENT, &err), &err);
		}
		zks_dashboard_build(f.d);
		free(zks_dash_stream_take(f.d, r[0].stream));
		free(zks_dash_stream_take(f.d, r[2].stream));
	}
	assert_int_equal(zks_dashboard_streams(f.d), 2);
	assert_null(zks_dash_stream_take(f.d, r[1].stream));
	get(&f, "GET", "/api/v1/events", NULL, &extra);
	assert_int_equal(extra.status, 200);
	zks_dash_reply_clear(f.d, &extra);
	for (size_t i = 0; i < 3; i++)
		zks_dash_reply_clear(f.d, &r[i]);
	assert_int_equal(zks_dashboard_streams(f.d), 0);
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_table), cmocka_unit_test(test_assets_and_etag),
		cmocka_unit_test(test_errors),	      cmocka_unit_test(test_document),
		cmocka_unit_test(test_token),	      cmocka_unit_test(test_streams),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
