/*
 * metrics.c - request counters and latency histograms (lock-free: atomics
 * per route), rendered with the store's state in Prometheus' text format.
 * Route names come from the HTTP server, record counts from the core
 * (census.h), the configuration copies' from their service (config_sync.h):
 * nothing here knows the route table, where records live or what a copy is.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/census.h"
#include "zkswarm/metrics.h"
#include "zkswarm/util.h"

#define MAX_ROUTES 64
#define STATUS_CLASSES 3 /* 2xx, 4xx, 5xx */

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				 0.1,	 0.25,	0.5,	1,     2.5,  5,	    10};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct route_metrics {
	atomic_ullong requests[STATUS_CLASSES];
	atomic_ullong bucket[NBUCKETS + 1]; /* the last is +Inf */
	atomic_ullong sum_us;
};

static struct route_metrics routes[MAX_ROUTES + 1]; /* the last: unknown paths */

void zks_metrics_observe(int route, unsigned status, double seconds)
{
	struct route_metrics *m;
	size_t b = 0;

	if (route < 0 || route >= MAX_ROUTES)
		route = MAX_ROUTES;
	m = &routes[route];
	atomic_fetch_add(&m->requests[status < 300 ? 0 : status < 500 ? 1 : 2], 1);
	while (b < NBUCKETS && seconds > buckets[b])
		b++;
	atomic_fetch_add(&m->bucket[b], 1);
	atomic_fetch_add(&m->sum_us, (unsigned long long)(seconds * 1e6));
}

/* DNS replies by rcode: the rcodes the server gives, then any other, then none sent. */
static const struct {
	int rcode;
	const char *name;
} dns_rcodes[] = {{0, "NOERROR"}, {1, "FORMERR"}, {2, "SERVFAIL"}, {3, "NXDOMAIN"},
		  {4, "NOTIMP"},  {5, "REFUSED"}, {16, "BADVERS"}};
#define DNS_OTHER ARRAY_SIZE(dns_rcodes)
#define DNS_DROPPED (DNS_OTHER + 1)
static atomic_ullong dns_replies[DNS_DROPPED + 1], dns_truncated, dns_tcp_refused;

void zks_metrics_dns_reply(int rcode, bool truncated)
{
	size_t i = 0;

	while (i < DNS_OTHER && dns_rcodes[i].rcode != rcode)
		i++;
	atomic_fetch_add(&dns_replies[rcode < 0 ? DNS_DROPPED : i], 1);
	if (truncated)
		atomic_fetch_add(&dns_truncated, 1);
}

void zks_metrics_dns_tcp_refused(void)
{
	atomic_fetch_add(&dns_tcp_refused, 1);
}

struct text {
	char *buf;
	size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < t->cap - t->len)
			break;
		t->cap = t->cap * 2 + (size_t)n + 64;
		t->buf = xrealloc(t->buf, t->cap);
	}
	t->len += (size_t)n;
}

/* The route of slot r: its name, "unknown" for the last slot, NULL for a slot no route uses. */
static const char *slot_name(const struct zks_http *http, size_t r)
{
	return r == MAX_ROUTES ? "unknown" : zks_http_route_name(http, r);
}

static void render_requests(struct text *t, const struct zks_http *http)
{
	static const char *const classes[STATUS_CLASSES] = {"2xx", "4xx", "5xx"};

	put(t, "# HELP zkswarm_requests_total Requests served, per endpoint and status class.\n"
	       "# TYPE zkswarm_requests_total counter\n");
	for (size_t r = 0; r <= MAX_ROUTES; r++) {
		const char *name = slot_name(http, r);

		if (name == NULL)
			continue;
		for (size_t c = 0; c < STATUS_CLASSES; c++)
			put(t, "zkswarm_requests_total{endpoint=\"%s\",code=\"%s\"} %llu\n", name,
			    classes[c], atomic_load(&routes[r].requests[c]));
	}
}

static void render_durations(struct text *t, const struct zks_http *http)
{
	put(t, "# HELP zkswarm_request_duration_seconds Time to answer a request, per endpoint.\n"
	       "# TYPE zkswarm_request_duration_seconds histogram\n");
	for (size_t r = 0; r <= MAX_ROUTES; r++) {
		const char *name = slot_name(http, r);
		unsigned long long cum = 0;

		if (name == NULL)
			continue;
		for (size_t b = 0; b <= NBUCKETS; b++) {
			cum += atomic_load(&routes[r].bucket[b]);
			if (b < NBUCKETS)
				put(t,
				    "zkswarm_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
				    name, buckets[b], cum);
			else
				put(t,
				    "zkswarm_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
				    name, cum);
		}
		put(t, "zkswarm_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n", name,
		    (double)atomic_load(&routes[r].sum_us) / 1e6);
		put(t, "zkswarm_request_duration_seconds_count{endpoint=\"%s\"} %llu\n", name, cum);
	}
}

static void render_store(struct text *t, struct zks_store *store)
{
	struct zks_store_status st;
	struct zks_census census;

	store_status(store, &st);
	const struct {
		const char *name, *help;
		unsigned long long value;
	} counters[] = {
		{"zkswarm_zookeeper_sessions_total",
		 "ZooKeeper sessions established (a new one after each expiry).", st.sessions},
		{"zkswarm_zookeeper_connects_total",
		 "Connections to ZooKeeper (reconnects included).", st.connects},
		{"zkswarm_mirror_resyncs_total",
		 "Whole-tree reads of the mirror (a new session, a failed re-read).", st.resyncs},
		{"zkswarm_mirror_catchups_total",
		 "Reconnects with the session kept, caught up from its watch events alone.",
		 st.catchups},
		{"zkswarm_mirror_child_reads_total",
		 "Children re-read by the mirror for child events.", st.child_reads},
		{"zkswarm_mirror_paced_total",
		 "Child events whose re-read waited for their pace (MIRROR_PACE_MS).", st.paced},
		{"zkswarm_mirror_moot_rereads_total",
		 "Re-reads of this node's own writes skipped: its own delete came first.", st.moot},
		{"zkswarm_mirror_deletions_told_total",
		 "Deletions seen without a read of their own: their parent's set child watch told them.",
		 st.told},
		{"zkswarm_mirror_reads_total",
		 "ZooKeeper reads the mirror had answered: whole-tree reads, re-reads of changes, "
		 "exists watches, catch-up markers.",
		 st.reads},
	};

	put(t,
	    "# HELP zkswarm_zookeeper_connected 1 while the ZooKeeper session is connected.\n"
	    "# TYPE zkswarm_zookeeper_connected gauge\nzkswarm_zookeeper_connected %d\n",
	    st.state == ZKS_CONN_CONNECTED);
	for (size_t i = 0; i < ARRAY_SIZE(counters); i++)
		put(t, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[i].name,
		    counters[i].help, counters[i].name, counters[i].name, counters[i].value);
	put(t,
	    "# HELP zkswarm_zookeeper_disconnected_seconds How long the session has been cut off.\n"
	    "# TYPE zkswarm_zookeeper_disconnected_seconds gauge\nzkswarm_zookeeper_disconnected_seconds %.3f\n",
	    (double)st.disconnected_ms / 1000);
	put(t,
	    "# HELP zkswarm_fenced 1 while this node no longer counts on its single-node leases.\n"
	    "# TYPE zkswarm_fenced gauge\nzkswarm_fenced %d\n",
	    st.fenced);
	put(t,
	    "# HELP zkswarm_mirror_synced 1 when the mirror has been read in full in this session.\n"
	    "# TYPE zkswarm_mirror_synced gauge\nzkswarm_mirror_synced %d\n",
	    st.mirror_synced);
	put(t,
	    "# HELP zkswarm_mirror_nodes Znodes in the local mirror.\n"
	    "# TYPE zkswarm_mirror_nodes gauge\nzkswarm_mirror_nodes %zu\n",
	    st.mirror_nodes);
	zks_census_take(store, &census);
	put(t,
	    "# HELP zkswarm_objects Cluster objects in the mirror, by kind.\n"
	    "# TYPE zkswarm_objects gauge\n"
	    "zkswarm_objects{kind=\"volume\"} %zu\nzkswarm_objects{kind=\"network\"} %zu\n"
	    "zkswarm_objects{kind=\"subnet\"} %zu\nzkswarm_objects{kind=\"node\"} %zu\n",
	    census.volumes, census.networks, census.subnets, census.nodes);
}

static void render_configs(struct text *t, struct zks_config_sync *configs)
{
	size_t attached = 0, behind = 0;

	if (configs != NULL)
		zks_config_sync_counts(configs, &attached, &behind);
	put(t,
	    "# HELP zkswarm_config_copies Configuration volumes whose copy this node keeps.\n"
	    "# TYPE zkswarm_config_copies gauge\nzkswarm_config_copies %zu\n",
	    attached);
	put(t,
	    "# HELP zkswarm_config_copies_behind Of those, copies not current (behind the head, or not known to be current).\n"
	    "# TYPE zkswarm_config_copies_behind gauge\nzkswarm_config_copies_behind %zu\n",
	    behind);
}

static void render_dns(struct text *t)
{
	put(t,
	    "# HELP zkswarm_dns_replies_total DNS replies by rcode (none: a packet not answered).\n"
	    "# TYPE zkswarm_dns_replies_total counter\n");
	for (size_t i = 0; i <= DNS_DROPPED; i++)
		put(t, "zkswarm_dns_replies_total{rcode=\"%s\"} %llu\n",
		    i < DNS_OTHER    ? dns_rcodes[i].name
		    : i == DNS_OTHER ? "other"
				     : "none",
		    (unsigned long long)atomic_load(&dns_replies[i]));
	put(t,
	    "# HELP zkswarm_dns_truncated_total DNS replies cut to header and question (TC).\n"
	    "# TYPE zkswarm_dns_truncated_total counter\nzkswarm_dns_truncated_total %llu\n",
	    (unsigned long long)atomic_load(&dns_truncated));
	put(t,
	    "# HELP zkswarm_dns_tcp_refused_total DNS TCP connections closed at once: 64 were open.\n"
	    "# TYPE zkswarm_dns_tcp_refused_total counter\nzkswarm_dns_tcp_refused_total %llu\n",
	    (unsigned long long)atomic_load(&dns_tcp_refused));
}

char *zks_metrics_render(struct zks_store *store, const struct zks_http *http,
			 struct zks_config_sync *configs)
{
	struct text t = {.buf = xmalloc(4096), .cap = 4096};

	t.buf[0] = '\0';
	render_requests(&t, http);
	render_durations(&t, http);
	render_store(&t, store);
	render_configs(&t, configs);
	render_dns(&t);
	return t.buf;
}

struct zks_metrics_server {
	struct MHD_Daemon *daemon;
	struct zks_store *store;
	const struct zks_http *http;
	struct zks_config_sync *configs;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     char *body)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result r;

	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct zks_metrics_server *m = cls;
	struct zks_store_status st;

	(void)version;
	(void)upload;
	(void)con_cls;
	if (*upload_size != 0)
		return MHD_NO; /* nothing here takes a body */
	if (strcmp(method, "GET") != 0)
		return reply(conn, 405, "text/plain", xstrdup("only GET\n"));
	if (strcmp(url, "/metrics") == 0)
		return reply(conn, 200, "text/plain; version=0.0.4",
			     zks_metrics_render(m->store, m->http, m->configs));
	if (strcmp(url, "/health") == 0) {
		bool ok;

		store_status(m->store, &st);
		ok = st.state == ZKS_CONN_CONNECTED && st.mirror_synced;
		return reply(
			conn, ok ? 200 : 503, "application/json",
			xasprintf("{\"status\":\"%s\",\"zookeeper\":\"%s\",\"mirror_synced\":%s,"
				  "\"fenced\":%s}\n",
				  ok ? "ok" : "degraded", zks_conn_state_name(st.state),
				  st.mirror_synced ? "true" : "false",
				  st.fenced ? "true" : "false"));
	}
	return reply(conn, 404, "text/plain", xstrdup("try /metrics or /health\n"));
}

struct zks_metrics_server *zks_metrics_start(uint32_t ip, uint16_t port, const char *addr,
					     struct zks_store *store, const struct zks_http *http,
					     struct zks_config_sync *configs, struct zks_error *err)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(ip),
	};
	struct zks_metrics_server *m = xcalloc(1, sizeof(*m));

	m->store = store;
	m->http = http;
	m->configs = configs;
	m->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC, port, NULL,
				     NULL, on_request, m, MHD_OPTION_SOCK_ADDR, &sa,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	if (m->daemon == NULL) {
		free(m);
		return zks_error_set(err, ZKS_ERR_SYSTEM, "cannot listen on METRICS_ADDR `%s`",
				     addr),
		       NULL;
	}
	return m;
}

void zks_metrics_stop(struct zks_metrics_server *m)
{
	if (m == NULL)
		return;
	MHD_stop_daemon(m->daemon);
	free(m);
}
