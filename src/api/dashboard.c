/*
 * dashboard.c - the dashboard's listener, routes, token, cached document and
 * event streams (dashboard.h; the contract's "HTTP" and "Events").
 *
 * One lock, d->lock, a leaf: no store, heartbeat or srvr call is made under
 * it.  The builder thread makes each document off the request path (woken by
 * the store's change callback, at most every ZKS_DASH_BUILD_MS, and every
 * second while someone looks, for the beats and this node's state) and
 * swaps in its text; requests copy it.  Each event stream has its queue of
 * unsent text; a reader (MHD's connection thread) waits for it, and the
 * builder appends to every queue, dropping a stream whose queue passes
 * ZKS_DASH_STREAM_QUEUE.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashboard_assets.h"
#include "zkswarm/dashboard.h"
#include "zkswarm/feed.h"
#include "zkswarm/heartbeat.h"
#include "zkswarm/log.h"
#include "zkswarm/snapshot.h"
#include "zkswarm/srvr.h"
#include "zkswarm/util.h"
#include "zkswarm/view.h"

#define COOKIE "zks_dashboard"
#define JSON "application/json"

const char *const zks_dash_headers[] = {
	"X-Content-Type-Options",
	"nosniff",
	"Referrer-Policy",
	"no-referrer",
	"Content-Security-Policy",
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
	NULL,
};

struct zks_dash_stream {
	struct zks_dash_stream *next;
	struct zks_dashboard *d;
	char *buf; /* queued, not yet sent */
	size_t len;
	int64_t sent_ms; /* when the reader last gave bytes (pings after ZKS_DASH_PING_MS) */
	bool dropped;	 /* did not read: its queue is gone, its slot free */
};

struct zks_dashboard {
	struct zks_store *store;
	struct zks_heartbeat *hb;
	char *node_id, *version, *zk_hosts, *zk_root, *token;
	int timeout_ms, max_streams;
	bool ensemble_on;
	struct MHD_Daemon *mhd;
	pthread_t builder;
	struct zks_feed *feed;	/* the builder's */
	cJSON *view;		/* the builder's: the last view */
	char *view_text;	/* the builder's */
	struct zks_beats beats; /* the builder's: the last read */

	pthread_mutex_t lock; /* all below; a leaf */
	pthread_cond_t cond;  /* monotonic: the builder's wake-up and the readers' */
	bool running, stopping, changed;
	bool ens_running; /* the ensemble's thread */
	pthread_t ens_thread;
	cJSON *ensemble; /* the last srvr of each server, [] before */
	int64_t ensemble_ms;
	int64_t changed_ms, asked_ms, built_ms;
	char *doc; /* the document's text, NULL until the first build */
	char *hello_feed;
	uint64_t seq;
	bool stale;
	const char *zk_state;
	struct zks_dash_stream *streams; /* open (not dropped) */
	size_t nstreams;
};

/* ---- streams (lock held) ----------------------------------------------------------------- */

static void stream_push_locked(struct zks_dashboard *d, struct zks_dash_stream *st,
			       const char *text)
{
	size_t n = strlen(text);

	if (st->dropped)
		return;
	if (st->len + n > ZKS_DASH_STREAM_QUEUE) {
		struct zks_dash_stream **pp = &d->streams;

		while (*pp != NULL && *pp != st)
			pp = &(*pp)->next;
		if (*pp == st)
			*pp = st->next;
		st->dropped = true;
		free(st->buf);
		st->buf = NULL;
		st->len = 0;
		d->nstreams--;
		log_info("dashboard: an event stream that does not read was dropped");
		return;
	}
	st->buf = xrealloc(st->buf, st->len + n + 1);
	memcpy(st->buf + st->len, text, n + 1);
	st->len += n;
}

static void broadcast_locked(struct zks_dashboard *d, const char *text)
{
	struct zks_dash_stream *st = d->streams, *next;

	for (; st != NULL; st = next) {
		next = st->next;
		stream_push_locked(d, st, text);
	}
	pthread_cond_broadcast(&d->cond);
}

static void stream_close_locked(struct zks_dashboard *d, struct zks_dash_stream *st)
{
	struct zks_dash_stream **pp = &d->streams;

	if (!st->dropped) {
		while (*pp != NULL && *pp != st)
			pp = &(*pp)->next;
		if (*pp == st)
			*pp = st->next;
		d->nstreams--;
	}
	free(st->buf);
	free(st);
}

/* ---- the document -------------------------------------------------------------------------- */

static const char *state_name(const struct zks_store_status *st)
{
	if (st->state == ZKS_CONN_CONNECTED)
		return "connected";
	if (st->state == ZKS_CONN_EXPIRED)
		return "expired";
	return st->sessions > 0 ? "cut off" : "connecting";
}

static cJSON *self_json(struct zks_dashboard *d, const struct zks_store_status *st,
			int64_t changed_ms)
{
	cJSON *self = cJSON_CreateObject(), *zk = cJSON_CreateObject();
	char session[24];

	cJSON_AddStringToObject(self, "node", d->node_id);
	cJSON_AddStringToObject(self, "version", d->version);
	cJSON_AddStringToObject(zk, "hosts", d->zk_hosts);
	cJSON_AddStringToObject(zk, "root", d->zk_root);
	cJSON_AddStringToObject(zk, "state", state_name(st));
	snprintf(session, sizeof(session), "0x%llx", (unsigned long long)st->session_id);
	if (st->session_id != 0)
		cJSON_AddStringToObject(zk, "session", session);
	else
		cJSON_AddNullToObject(zk, "session");
	cJSON_AddNumberToObject(zk, "timeout_ms", d->timeout_ms);
	cJSON_AddNumberToObject(zk, "last_contact_ms", (double)st->silent_ms);
	if (st->probe_rtt_us >= 0)
		cJSON_AddNumberToObject(zk, "latency_ms", (double)st->probe_rtt_us / 1000);
	else
		cJSON_AddNullToObject(zk, "latency_ms");
	cJSON_AddBoolToObject(zk, "synced", st->mirror_synced);
	cJSON_AddNumberToObject(zk, "mirror_nodes", (double)st->mirror_nodes);
	cJSON_AddNumberToObject(zk, "mirror_changed_ms", (double)(zks_now_ms() - changed_ms));
	cJSON_AddItemToObject(self, "zookeeper", zk);
	cJSON_AddBoolToObject(self, "stale",
			      !(st->state == ZKS_CONN_CONNECTED && st->mirror_synced));
	return self;
}

/* srvr's "min/avg/max" as numbers. */
static cJSON *latency_json(const char *text)
{
	double v[3];
	cJSON *o;

	if (text == NULL || sscanf(text, "%lf/%lf/%lf", &v[0], &v[1], &v[2]) != 3)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "min", v[0]);
	cJSON_AddNumberToObject(o, "avg", v[1]);
	cJSON_AddNumberToObject(o, "max", v[2]);
	return o;
}

static void copy_str(cJSON *to, const char *key, const cJSON *from, const char *fkey)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(from, fkey));

	if (v != NULL)
		cJSON_AddStringToObject(to, key, v);
	else
		cJSON_AddNullToObject(to, key);
}

/* The ensemble as the document shows it, from zks_srvr_probe's answer. */
static cJSON *ensemble_json(const cJSON *probe)
{
	cJSON *out = cJSON_CreateArray(), *srv;

	cJSON_ArrayForEach(srv, probe)
	{
		cJSON *o = cJSON_CreateObject();
		const char *conns = cJSON_GetStringValue(cJSON_GetObjectItem(srv, "connections"));

		copy_str(o, "server", srv, "server");
		copy_str(o, "mode", srv, "mode");
		copy_str(o, "zxid", srv, "zxid");
		if (conns != NULL)
			cJSON_AddNumberToObject(o, "connections", strtod(conns, NULL));
		else
			cJSON_AddNullToObject(o, "connections");
		cJSON_AddItemToObject(o, "latency_ms",
				      latency_json(cJSON_GetStringValue(
					      cJSON_GetObjectItem(srv, "latency"))));
		copy_str(o, "error", srv, "error");
		cJSON_AddItemToArray(out, o);
	}
	return out;
}

static bool watched_locked(const struct zks_dashboard *d, int64_t now);

/*
 * The ensemble's thread: srvr of each server (ZKS_DASH_SRVR_TIMEOUT_MS each) every
 * ZKS_DASH_ENSEMBLE_MS while someone looks, off the builder's path (a server that does not
 * answer must not delay a change).
 */
static void *ensemble_main(void *arg)
{
	struct zks_dashboard *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		int64_t now = zks_now_ms();
		struct timespec deadline;

		if (watched_locked(d, now) &&
		    (d->ensemble_ms == 0 || now - d->ensemble_ms >= ZKS_DASH_ENSEMBLE_MS)) {
			cJSON *probe, *ens;

			pthread_mutex_unlock(&d->lock);
			probe = zks_srvr_probe(d->zk_hosts, ZKS_DASH_SRVR_TIMEOUT_MS);
			ens = ensemble_json(probe);
			cJSON_Delete(probe);
			pthread_mutex_lock(&d->lock);
			cJSON_Delete(d->ensemble);
			d->ensemble = ens;
			d->ensemble_ms = zks_now_ms();
			d->changed = true; /* the builder shows it */
			pthread_cond_broadcast(&d->cond);
			continue;
		}
		zks_deadline_after(&deadline, CLOCK_MONOTONIC, 1000);
		pthread_cond_timedwait(&d->cond, &d->lock, &deadline);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

static void rfc3339_ms(char out[32])
{
	struct timespec ts;
	struct tm tm;
	char sec[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%03ldZ", sec, ts.tv_nsec / 1000000);
}

/* The view of a snapshot of the mirror taken now, with the beats last read. */
static cJSON *build_view(struct zks_dashboard *d)
{
	struct zks_view_beat *v = xcalloc(d->beats.n + 1, sizeof(*v));
	struct zks_view_liveness live = {.beats = v, .n = d->beats.n};
	struct zks_snapshot snap;
	cJSON *view;

	for (size_t i = 0; i < d->beats.n; i++)
		v[i] = (struct zks_view_beat){.node = d->beats.v[i].node,
					      .age_ms = d->beats.v[i].age_ms,
					      .every_ms = d->beats.v[i].every_ms};
	zks_snap_init(&snap);
	zks_snap_take(&snap, d->store);
	view = zks_view_cluster(&snap, &live);
	zks_snap_clear(&snap);
	free(v);
	return view;
}

/* The view now; whether it differs from the last (then the feed's new items in *items). */
static bool next_view(struct zks_dashboard *d, bool watched, cJSON **items)
{
	struct zks_error err = {0};
	cJSON *view;
	char *text;

	/* The beats are read only while someone looks (heartbeat.c: at most once a second). */
	if (watched && d->hb != NULL) {
		struct zks_beats beats;

		if (zks_heartbeat_ages(d->hb, &beats, &err) == 0) {
			zks_beats_clear(&d->beats);
			d->beats = beats;
		} else {
			log_debug("dashboard: heartbeats: %s", err.msg);
		}
	}
	view = build_view(d);
	if (view == NULL)
		return false;
	text = cJSON_PrintUnformatted(view);
	if (d->view_text != NULL && strcmp(text, d->view_text) == 0) {
		free(text);
		cJSON_Delete(view);
		return false;
	}
	*items = zks_feed_push(d->feed, zks_feed_diff(d->view, view, zks_wall_ms()));
	cJSON_Delete(d->view);
	free(d->view_text);
	d->view = view;
	d->view_text = text;
	return true;
}

/* The document around the view, and what the streams are told (lock taken here). */
static void publish(struct zks_dashboard *d, bool changed, cJSON *items,
		    const struct zks_store_status *st, int64_t changed_ms)
{
	cJSON *doc = cJSON_Duplicate(d->view, true), *self = self_json(d, st, changed_ms);
	cJSON *recent = zks_feed_newest(d->feed, ZKS_DASH_FEED_HELLO);
	bool stale = cJSON_IsTrue(cJSON_GetObjectItem(self, "stale"));
	const char *zk_state = state_name(st);
	char at[32], *text, *feed = cJSON_PrintUnformatted(recent), *event = NULL;
	uint64_t seq;
	cJSON *ensemble;

	rfc3339_ms(at);
	pthread_mutex_lock(&d->lock);
	seq = d->seq += changed ? 1 : 0;
	ensemble = d->ensemble != NULL ? cJSON_Duplicate(d->ensemble, true) : cJSON_CreateArray();
	pthread_mutex_unlock(&d->lock);
	if (doc == NULL)
		doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "seq", (double)seq);
	cJSON_AddStringToObject(doc, "generated_at", at);
	cJSON_AddItemToObject(doc, "self", self);
	cJSON_AddItemToObject(doc, "ensemble", ensemble);
	text = cJSON_PrintUnformatted(doc);
	if (changed) {
		char *its = cJSON_PrintUnformatted(items);

		event = xasprintf("id: %llu\nevent: change\ndata: {\"seq\":%llu,\"items\":%s}\n\n",
				  (unsigned long long)zks_feed_last_id(d->feed),
				  (unsigned long long)seq, its);
		free(its);
	}
	pthread_mutex_lock(&d->lock);
	free(d->doc);
	d->doc = text;
	free(d->hello_feed);
	d->hello_feed = feed;
	d->built_ms = zks_now_ms();
	if (event != NULL)
		broadcast_locked(d, event);
	if (d->zk_state != NULL && (stale != d->stale || strcmp(zk_state, d->zk_state) != 0)) {
		char state[96];

		snprintf(state, sizeof(state),
			 "event: state\ndata: {\"stale\":%s,\"zookeeper\":\"%s\"}\n\n",
			 stale ? "true" : "false", zk_state);
		broadcast_locked(d, state);
	}
	d->stale = stale;
	d->zk_state = zk_state;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	free(event);
	cJSON_Delete(recent);
	cJSON_Delete(doc);
}

void zks_dashboard_build(struct zks_dashboard *d)
{
	struct zks_store_status st;
	cJSON *items = NULL;
	int64_t changed_ms;
	bool changed, watched;

	pthread_mutex_lock(&d->lock);
	changed_ms = d->changed_ms;
	watched = watched_locked(d, zks_now_ms()) || d->doc == NULL;
	pthread_mutex_unlock(&d->lock);
	changed = next_view(d, watched, &items);
	store_status(d->store, &st);
	publish(d, changed, items, &st, changed_ms);
	cJSON_Delete(items);
}

/* The store's change callback: take note, wake the builder. */
static void on_change(void *ctx)
{
	struct zks_dashboard *d = ctx;

	pthread_mutex_lock(&d->lock);
	d->changed = true;
	d->changed_ms = zks_now_ms();
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* Someone looks: streams open, or a document asked for in the last 10 s. */
static bool watched_locked(const struct zks_dashboard *d, int64_t now)
{
	return d->nstreams > 0 || (d->asked_ms != 0 && now - d->asked_ms < 10000);
}

static void *builder_main(void *arg)
{
	struct zks_dashboard *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		int64_t now = zks_now_ms(), since = now - d->built_ms, wait;
		bool due =
			d->changed || d->doc == NULL || (watched_locked(d, now) && since >= 1000);
		struct timespec deadline;

		if (due && since >= ZKS_DASH_BUILD_MS) {
			d->changed = false;
			pthread_mutex_unlock(&d->lock);
			zks_dashboard_build(d);
			pthread_mutex_lock(&d->lock);
			continue;
		}
		wait = due ? ZKS_DASH_BUILD_MS - since : 1000 - (since < 1000 ? since : 0);
		zks_deadline_after(&deadline, CLOCK_MONOTONIC, wait > 0 ? wait : 1);
		pthread_cond_timedwait(&d->cond, &d->lock, &deadline);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* ---- requests ------------------------------------------------------------------------------ */

static void reply_text(struct zks_dash_reply *out, unsigned status, const char *type, char *text)
{
	out->status = status;
	out->type = type;
	out->owned = text;
	out->body = text;
	out->len = strlen(text);
}

static void reply_error(struct zks_dash_reply *out, unsigned status, const char *msg)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "error", msg);
	reply_text(out, status, JSON, cJSON_PrintUnformatted(doc));
	cJSON_Delete(doc);
}

/* a (alen bytes) is the token: time depends on the token's length only. */
static bool same_token(const char *a, size_t alen, const char *token)
{
	size_t tlen = strlen(token);
	unsigned char diff = alen != tlen;

	for (size_t i = 0; i < tlen; i++)
		diff |= (unsigned char)(token[i] ^ (i < alen ? a[i] : 0));
	return diff == 0;
}

/* The cookie's value in a Cookie header ("a=1; zks_dashboard=t"), its length in *len. */
static const char *cookie_value(const char *header, size_t *len)
{
	for (const char *p = header; p != NULL && *p != '\0';) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, COOKIE "=", sizeof(COOKIE)) == 0) {
			p += sizeof(COOKIE);
			*len = strcspn(p, ";");
			return p;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

static bool authorized(const struct zks_dashboard *d, const struct zks_dash_request *req)
{
	const char *v;
	size_t len;

	if (d->token == NULL)
		return true;
	if (req->authorization != NULL && strncmp(req->authorization, "Bearer ", 7) == 0 &&
	    same_token(req->authorization + 7, strlen(req->authorization + 7), d->token))
		return true;
	v = cookie_value(req->cookie, &len);
	return v != NULL && same_token(v, len, d->token);
}

enum route_kind { ROUTE_ASSET, ROUTE_CLUSTER, ROUTE_EVENTS };

static const struct route {
	const char *path;
	enum route_kind kind;
	const char *asset; /* its file in web/dashboard/ */
} routes[] = {
	{"/", ROUTE_ASSET, "index.html"},	  {"/app.js", ROUTE_ASSET, "app.js"},
	{"/app.css", ROUTE_ASSET, "app.css"},	  {"/favicon.svg", ROUTE_ASSET, "favicon.svg"},
	{"/api/v1/cluster", ROUTE_CLUSTER, NULL}, {"/api/v1/events", ROUTE_EVENTS, NULL},
};

static const struct zks_dash_asset *asset_named(const char *name)
{
	for (size_t i = 0; i < zks_dash_nassets; i++)
		if (strcmp(zks_dash_assets[i].name, name) == 0)
			return &zks_dash_assets[i];
	return NULL;
}

/* If-None-Match lists the tag ("\"a\", \"b\"", or *). */
static bool etag_matches(const char *header, const char *etag)
{
	return header != NULL && (strstr(header, etag) != NULL || strcmp(header, "*") == 0);
}

static void serve_asset(const struct route *r, const struct zks_dash_request *req,
			struct zks_dash_reply *out)
{
	const struct zks_dash_asset *a = asset_named(r->asset);

	if (a == NULL) {
		reply_error(out, 404, "no such page");
		return;
	}
	snprintf(out->etag, sizeof(out->etag), "\"%s\"", a->etag);
	out->cache = "no-cache";
	out->type = a->type;
	if (etag_matches(req->if_none_match, out->etag)) {
		out->status = 304;
		return;
	}
	out->status = 200;
	out->body = (const char *)a->data;
	out->len = a->len;
}

static void serve_cluster(struct zks_dashboard *d, struct zks_dash_reply *out)
{
	char *doc;

	pthread_mutex_lock(&d->lock);
	d->asked_ms = zks_now_ms();
	if (d->doc == NULL && d->running) {
		struct timespec deadline;

		/* The first document: the builder makes it now (bounded wait). */
		pthread_cond_broadcast(&d->cond);
		zks_deadline_after(&deadline, CLOCK_MONOTONIC, 3000);
		while (d->doc == NULL && !d->stopping &&
		       pthread_cond_timedwait(&d->cond, &d->lock, &deadline) == 0)
			;
	}
	doc = d->doc != NULL ? xstrdup(d->doc) : NULL;
	pthread_mutex_unlock(&d->lock);
	out->cache = "no-store";
	if (doc == NULL)
		reply_error(out, 503, "the cluster document is being built");
	else
		reply_text(out, 200, JSON, doc);
}

static void open_stream(struct zks_dashboard *d, struct zks_dash_reply *out)
{
	struct zks_dash_stream *st;

	pthread_mutex_lock(&d->lock);
	if (d->nstreams >= (size_t)d->max_streams) {
		pthread_mutex_unlock(&d->lock);
		reply_error(out, 503, "too many event streams open");
		return;
	}
	d->asked_ms = zks_now_ms();
	st = xcalloc(1, sizeof(*st));
	st->d = d;
	st->sent_ms = zks_now_ms();
	st->next = d->streams;
	d->streams = st;
	d->nstreams++;
	st->buf = xasprintf("retry: 1000\nevent: hello\ndata: {\"seq\":%llu,\"stale\":%s,"
			    "\"feed\":%s}\n\n",
			    (unsigned long long)d->seq, d->stale ? "true" : "false",
			    d->hello_feed != NULL ? d->hello_feed : "[]");
	st->len = strlen(st->buf);
	pthread_cond_broadcast(&d->cond); /* the builder: someone looks */
	pthread_mutex_unlock(&d->lock);
	out->status = 200;
	out->type = "text/event-stream";
	out->cache = "no-store";
	out->stream = st;
}

/* 401: JSON, or for the page itself a line saying how to give the token. */
static void reply_unauthorized(const struct zks_dash_request *req, struct zks_dash_reply *out)
{
	if (strcmp(req->path, "/") == 0 && req->token_arg == NULL)
		reply_text(
			out, 401, "text/html; charset=utf-8",
			xstrdup("<!doctype html><meta charset=utf-8><title>zkswarm</title>"
				"<p>This dashboard needs its token: open /?token=&hellip;</p>\n"));
	else
		reply_error(out, 401, "this dashboard needs its token");
}

void zks_dashboard_dispatch(struct zks_dashboard *d, const struct zks_dash_request *req,
			    struct zks_dash_reply *out)
{
	const struct route *r = NULL;
	bool head = strcmp(req->method, "HEAD") == 0;

	memset(out, 0, sizeof(*out));
	if (req->url_len > ZKS_DASH_URL_MAX) {
		reply_error(out, 414, "the URL is too long");
		return;
	}
	if (!head && strcmp(req->method, "GET") != 0) {
		out->allow = true;
		reply_error(out, 405, "only GET and HEAD");
		return;
	}
	if (d->token != NULL && strcmp(req->path, "/") == 0 && req->token_arg != NULL &&
	    same_token(req->token_arg, strlen(req->token_arg), d->token)) {
		/* The token once in the URL, then in a cookie: the address bar is cleared. */
		out->location = "/";
		out->set_cookie =
			xasprintf(COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/", d->token);
		reply_text(out, 303, JSON, xstrdup("{}"));
		return;
	}
	if (!authorized(d, req)) {
		reply_unauthorized(req, out);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(routes) && r == NULL; i++)
		if (strcmp(routes[i].path, req->path) == 0)
			r = &routes[i];
	if (r == NULL) {
		reply_error(out, 404, "no such page");
		return;
	}
	if (r->kind == ROUTE_ASSET)
		serve_asset(r, req, out);
	else if (r->kind == ROUTE_CLUSTER)
		serve_cluster(d, out);
	else if (!head)
		open_stream(d, out);
	else
		*out = (struct zks_dash_reply){.status = 200,
					       .type = "text/event-stream",
					       .cache = "no-store"};
}

void zks_dash_reply_clear(struct zks_dashboard *d, struct zks_dash_reply *out)
{
	if (out->stream != NULL) {
		pthread_mutex_lock(&d->lock);
		stream_close_locked(d, out->stream);
		pthread_mutex_unlock(&d->lock);
	}
	free(out->owned);
	free(out->set_cookie);
	memset(out, 0, sizeof(*out));
}

size_t zks_dashboard_streams(struct zks_dashboard *d)
{
	size_t n;

	pthread_mutex_lock(&d->lock);
	n = d->nstreams;
	pthread_mutex_unlock(&d->lock);
	return n;
}

char *zks_dash_stream_take(struct zks_dashboard *d, struct zks_dash_stream *st)
{
	char *text = NULL;

	pthread_mutex_lock(&d->lock);
	if (!st->dropped && st->len > 0) {
		text = steal_pointer(&st->buf);
		st->len = 0;
	}
	pthread_mutex_unlock(&d->lock);
	return text;
}

/* ---- the listener ------------------------------------------------------------------------ */

/* MHD's reader of a stream (its connection's thread): waits for text, pings when idle. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct zks_dash_stream *st = cls;
	struct zks_dashboard *d = st->d;
	size_t n;

	(void)pos;
	pthread_mutex_lock(&d->lock);
	while (!d->stopping && !st->dropped && st->len == 0) {
		struct timespec deadline;
		int64_t idle = zks_now_ms() - st->sent_ms;

		if (idle >= ZKS_DASH_PING_MS) {
			stream_push_locked(d, st, ": ping\n\n");
			break;
		}
		zks_deadline_after(&deadline, CLOCK_MONOTONIC, ZKS_DASH_PING_MS - idle);
		pthread_cond_timedwait(&d->cond, &d->lock, &deadline);
	}
	if (d->stopping || st->dropped || st->len == 0) {
		pthread_mutex_unlock(&d->lock);
		return d->stopping ? MHD_CONTENT_READER_END_OF_STREAM
				   : MHD_CONTENT_READER_END_WITH_ERROR;
	}
	n = st->len < max ? st->len : max;
	memcpy(buf, st->buf, n);
	memmove(st->buf, st->buf + n, st->len - n);
	st->len -= n;
	st->sent_ms = zks_now_ms();
	pthread_mutex_unlock(&d->lock);
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct zks_dash_stream *st = cls;
	struct zks_dashboard *d = st->d;

	pthread_mutex_lock(&d->lock);
	stream_close_locked(d, st);
	pthread_mutex_unlock(&d->lock);
}

static struct MHD_Response *make_response(struct zks_dash_reply *r)
{
	struct MHD_Response *resp;

	if (r->stream != NULL) {
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read,
							 r->stream, stream_free);
		if (resp != NULL)
			r->stream = NULL; /* the response's now */
	} else {
		resp = MHD_create_response_from_buffer(r->len, (void *)r->body,
						       MHD_RESPMEM_MUST_COPY);
	}
	if (resp == NULL)
		return NULL;
	for (size_t i = 0; zks_dash_headers[i] != NULL; i += 2)
		MHD_add_response_header(resp, zks_dash_headers[i], zks_dash_headers[i + 1]);
	if (r->type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
	if (r->etag[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
	if (r->cache != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, r->cache);
	if (r->location != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->set_cookie != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	return resp;
}

/* The request target's whole length, before MHD parses it: kept as the connection's. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	size_t *len = xmalloc(sizeof(*len));

	(void)cls;
	(void)conn;
	*len = strlen(uri);
	return len;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct zks_dashboard *d = cls;
	struct zks_dash_request req = {
		.method = method,
		.path = url,
		.url_len = *con_cls != NULL ? *(size_t *)*con_cls : strlen(url),
		.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_AUTHORIZATION),
		.cookie =
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE),
		.if_none_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_IF_NONE_MATCH),
		.token_arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token"),
	};
	struct zks_dash_reply reply;
	struct MHD_Response *resp;
	enum MHD_Result r;

	(void)version;
	(void)upload;
	*upload_size = 0; /* nothing here takes a body */
	zks_dashboard_dispatch(d, &req, &reply);
	if (reply.status >= 400 && reply.status != 401)
		log_debug("dashboard: %s %.200s: %u", method, url, reply.status);
	resp = make_response(&reply);
	if (resp == NULL) {
		zks_dash_reply_clear(d, &reply);
		return MHD_NO;
	}
	r = MHD_queue_response(conn, reply.status, resp);
	MHD_destroy_response(resp);
	zks_dash_reply_clear(d, &reply);
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_debug("dashboard: %s", line);
}

struct zks_dashboard *zks_dashboard_new(struct zks_store *store, struct zks_heartbeat *hb,
					const struct zks_dashboard_config *cfg)
{
	struct zks_dashboard *d = xcalloc(1, sizeof(*d));
	d->store = store;
	d->hb = hb;
	d->node_id = xstrdup(cfg->node_id);
	d->version = xstrdup(cfg->version ? cfg->version : "dev");
	d->zk_hosts = xstrdup(cfg->zk_hosts ? cfg->zk_hosts : "");
	d->zk_root = xstrdup(cfg->zk_root ? cfg->zk_root : "");
	d->token = cfg->token != NULL ? xstrdup(cfg->token) : NULL;
	d->timeout_ms = cfg->session_timeout_ms;
	d->max_streams = cfg->max_streams > 0 ? cfg->max_streams : 1;
	d->ensemble_on = cfg->ensemble;
	d->feed = zks_feed_new();
	d->changed_ms = zks_now_ms();
	pthread_mutex_init(&d->lock, NULL);
	zks_cond_init_monotonic(&d->cond);
	return d;
}

int zks_dashboard_start(struct zks_dashboard *d, uint32_t ip, uint16_t port, const char *addr,
			struct zks_error *err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(ip)};

	d->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
					  MHD_USE_ITC | MHD_USE_ERROR_LOG,
				  port, NULL, NULL, on_request, d, MHD_OPTION_SOCK_ADDR, &sa,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				  MHD_OPTION_URI_LOG_CALLBACK, on_uri, d,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, d,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)(d->max_streams + 32),
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				  (unsigned)(d->max_streams + 32), MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				  (size_t)(64 * 1024), MHD_OPTION_END);
	if (d->mhd == NULL)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "cannot listen on DASHBOARD_ADDR `%s`",
				     addr);
	store_on_change(d->store, NULL, on_change, d); /* it shows everything */
	pthread_mutex_lock(&d->lock);
	d->running = pthread_create(&d->builder, NULL, builder_main, d) == 0;
	d->ens_running =
		d->ensemble_on && pthread_create(&d->ens_thread, NULL, ensemble_main, d) == 0;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

void zks_dashboard_stop(struct zks_dashboard *d)
{
	bool join, join_ens;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	join = d->running;
	join_ens = d->ens_running;
	d->running = d->ens_running = false;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	if (d->mhd != NULL)
		MHD_stop_daemon(d->mhd);
	d->mhd = NULL;
	if (join)
		pthread_join(d->builder, NULL);
	if (join_ens)
		pthread_join(d->ens_thread, NULL);
}

void zks_dashboard_free(struct zks_dashboard *d)
{
	if (d == NULL)
		return;
	zks_dashboard_stop(d);
	while (d->streams != NULL)
		stream_close_locked(d, d->streams);
	zks_feed_free(d->feed);
	cJSON_Delete(d->view);
	cJSON_Delete(d->ensemble);
	zks_beats_clear(&d->beats);
	free(d->view_text);
	free(d->doc);
	free(d->hello_feed);
	if (d->token != NULL)
		explicit_bzero(d->token, strlen(d->token));
	free(d->token);
	free(d->node_id);
	free(d->version);
	free(d->zk_hosts);
	free(d->zk_root);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
