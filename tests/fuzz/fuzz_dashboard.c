/*
 * fuzz_dashboard.c - libFuzzer target over the dashboard's request path without a socket
 * (zks_dashboard_dispatch), over the real view and feed (src/view/).
 *
 * Input: the first byte chooses the dashboard (even: no token, odd: a token); the rest is
 * up to six lines: method, path, the request target's length as decimal text, Authorization,
 * Cookie, If-None-Match, then the query's token= (an absent line: no such header).  Two
 * dashboards over one in-memory store with a few volumes, kept across inputs; event streams
 * opened are closed at once.  Checked on every input (a failure aborts):
 *   - the status is one of 200, 303, 304, 401, 404, 405, 414, 503;
 *   - an error (4xx, 5xx) is JSON {"error": ...}, except the page's 401 (HTML saying how);
 *   - the token is in no body, and only a 303 sets a cookie, to the token;
 *   - 405 carries Allow; 414 exactly when the target is over ZKS_DASH_URL_MAX;
 *   - without the token nothing but 303, 401, 405 and 414 is answered on the token's
 *     dashboard.
 *
 * Build and run: `make fuzz`, `make fuzz-run` (tests/fuzz/run.sh with FUZZ_DIR=dashboard: the
 * seeds in tests/fuzz/dashboard/corpus and tests/fuzz/dashboard/dashboard.dict).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/dashboard.h"
#include "zkswarm/log.h"
#include "zkswarm/util.h"

#define TOKEN "fuzz-token-0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct zks_dashboard *dash[2];

static void violated(const char *what, const struct zks_dash_reply *r)
{
	fprintf(stderr, "invariant violated: %s (status %u)\n  body: %.300s\n", what, r->status,
		r->body ? r->body : "");
	abort();
}

static void setup(void)
{
	struct zks_mem_backend *b = zks_mem_backend_new();
	struct zks_store *s = zks_store_mem_new(b);
	struct zks_dashboard_config cfg = {.node_id = "n1", .version = "fuzz", .max_streams = 4};
	struct zks_error err = {0};

	zks_log_set_level(ZKS_LOG_ERROR);
	store_create(s, "/volumes", NULL, 0, ZKS_PERSISTENT, &err);
	store_create(s, "/nodes", NULL, 0, ZKS_PERSISTENT, &err);
	store_create(s, "/volumes/v1", "{}", 2, ZKS_PERSISTENT, &err);
	store_create(s, "/nodes/n1", "{}", 2, ZKS_EPHEMERAL, &err);
	dash[0] = zks_dashboard_new(s, NULL, &cfg);
	cfg.token = TOKEN;
	dash[1] = zks_dashboard_new(s, NULL, &cfg);
	zks_dashboard_build(dash[0]);
	zks_dashboard_build(dash[1]);
}

/* The next line of [*p, end), NUL-terminated in a copy; NULL past the end. */
static char *next_line(const char **p, const char *end)
{
	const char *nl;

	if (*p >= end)
		return NULL;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	if (nl == NULL)
		nl = end;
	{
		char *line = xstrndup(*p, (size_t)(nl - *p));

		*p = nl + 1;
		return line;
	}
}

static void check(const struct zks_dash_request *req, const struct zks_dash_reply *r, bool tok)
{
	static const unsigned ok[] = {200, 303, 304, 401, 404, 405, 414, 503};
	bool known = false;

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		known = known || r->status == ok[i];
	if (!known)
		violated("an unexpected status", r);
	if ((r->status == 414) != (req->url_len > ZKS_DASH_URL_MAX))
		violated("414 exactly past the URL's limit", r);
	if (r->status >= 400 && !(r->status == 401 && strncmp(r->type, "text/html", 9) == 0) &&
	    (r->body == NULL || strncmp(r->body, "{\"error\":", 9) != 0))
		violated("an error that is not JSON", r);
	if (r->body != NULL && memmem(r->body, r->len, TOKEN, strlen(TOKEN)) != NULL)
		violated("the token in a body", r);
	if ((r->set_cookie != NULL) != (r->status == 303))
		violated("a cookie set other than by 303", r);
	if (r->status == 405 && !r->allow)
		violated("405 without Allow", r);
	if (tok && (r->status == 200 || r->status == 304 || r->status == 404) &&
	    !(req->authorization && strstr(req->authorization, TOKEN)) &&
	    !(req->cookie && strstr(req->cookie, TOKEN)))
		violated("an answer without the token", r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	char *f[7] = {0};
	struct zks_dash_request req;
	struct zks_dash_reply r;
	bool tok;

	if (dash[0] == NULL)
		setup();
	if (size < 1)
		return 0;
	tok = data[0] & 1;
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		f[i] = next_line(&p, end);
	req = (struct zks_dash_request){
		.method = f[0] ? f[0] : "GET",
		.path = f[1] ? f[1] : "/",
		.url_len = f[2] ? strtoul(f[2], NULL, 10) % 100000 : 1,
		.authorization = f[3],
		.cookie = f[4],
		.if_none_match = f[5],
		.token_arg = f[6],
	};
	zks_dashboard_dispatch(dash[tok], &req, &r);
	check(&req, &r, tok);
	zks_dash_reply_clear(dash[tok], &r);
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		free(f[i]);
	return 0;
}
