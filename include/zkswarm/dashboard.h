/*
 * dashboard.h - the read-only web dashboard (DASHBOARD_ADDR): a listener of
 * its own (libmicrohttpd, a thread per connection), GET and HEAD only.
 *
 *   /, /app.js, /app.css, /favicon.svg   the embedded page (web/dashboard/), with an ETag
 *   /api/v1/cluster                      the cluster document (cached, rebuilt on change)
 *   /api/v1/events                       text/event-stream: hello, change, state, pings
 *
 * docs: /work/wt/DASH-CONTRACT.md's "HTTP" and "Events" (the shared contract).
 * zks_dashboard_dispatch() is the request path without a socket (unit tests,
 * the fuzz target), as zks_http_dispatch is for the plugin's.
 *
 * Shutdown, as store.h says: zks_dashboard_stop before store_stop (it uses the
 * store), zks_dashboard_free after it (the store's change callback points in).
 */
#ifndef ZKSWARM_DASHBOARD_H
#define ZKSWARM_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/error.h"
#include "zkswarm/heartbeat.h"
#include "zkswarm/store.h"

#define ZKS_DASH_URL_MAX 2048		   /* longer request targets: 414 */
#define ZKS_DASH_STREAM_QUEUE (256 * 1024) /* a stream's unread bytes before it is dropped */
#define ZKS_DASH_BUILD_MS 250		   /* at most 4 builds of the document a second */
#define ZKS_DASH_ENSEMBLE_MS 5000	   /* srvr of each server at most this often */
#define ZKS_DASH_SRVR_TIMEOUT_MS 500
#define ZKS_DASH_PING_MS 5000
#define ZKS_DASH_FEED_HELLO 100 /* feed items in a hello */

struct zks_dashboard_config {
	const char *node_id, *version;
	const char *zk_hosts, *zk_root; /* shown in `self` */
	int session_timeout_ms;
	const char *token; /* NULL: none */
	int max_streams;
	bool ensemble; /* ask the servers (srvr); false in unit tests */
};

struct zks_dashboard;

/* Its builder is not running yet; hb may be NULL (no beats: every age unknown). */
struct zks_dashboard *zks_dashboard_new(struct zks_store *store, struct zks_heartbeat *hb,
					const struct zks_dashboard_config *cfg);
/* The builder's thread and the listener on ip:port (host byte order; addr names it). */
int zks_dashboard_start(struct zks_dashboard *d, uint32_t ip, uint16_t port, const char *addr,
			struct zks_error *err);
/* Build the document now, on the caller's thread (unit tests; the builder does it otherwise). */
void zks_dashboard_build(struct zks_dashboard *d);
void zks_dashboard_stop(struct zks_dashboard *d); /* idempotent; NULL is fine */
void zks_dashboard_free(struct zks_dashboard *d); /* after store_stop */

struct zks_dash_request {
	const char *method;
	const char *path;	   /* without the query */
	size_t url_len;		   /* the whole request target, query included */
	const char *token_arg;	   /* the query's token=, NULL if none */
	const char *authorization; /* headers, NULL if absent */
	const char *cookie;
	const char *if_none_match;
};

struct zks_dash_stream;

struct zks_dash_reply {
	unsigned status;
	const char *type;
	const char *body; /* body or owned (then body == owned) */
	size_t len;
	char *owned;
	char etag[24];	   /* "\"<16 hex>\"" or "" */
	const char *cache; /* Cache-Control, NULL: none */
	const char *location;
	char *set_cookie;
	bool allow;			/* Allow: GET, HEAD */
	struct zks_dash_stream *stream; /* an event stream opened (body: its first bytes) */
};

void zks_dashboard_dispatch(struct zks_dashboard *d, const struct zks_dash_request *req,
			    struct zks_dash_reply *out);
/* Frees what the reply owns; a stream not handed to a connection is closed. */
void zks_dash_reply_clear(struct zks_dashboard *d, struct zks_dash_reply *out);

/* Event streams open now (tests). */
size_t zks_dashboard_streams(struct zks_dashboard *d);
/* A stream's queued bytes, taken (tests, without a socket); NULL if none or dropped. */
char *zks_dash_stream_take(struct zks_dashboard *d, struct zks_dash_stream *st);

/* The security headers every answer carries, NULL-terminated name/value pairs. */
extern const char *const zks_dash_headers[];

#endif
