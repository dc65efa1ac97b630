/*
 * metrics.h - Prometheus metrics and a health check, on a TCP listener of
 * their own (METRICS_ADDR, off by default; loopback is the intended place).
 *
 *   GET /metrics   text exposition format: requests and their latency per
 *                  endpoint, ZooKeeper session state, mirror size, counts,
 *                  DNS replies by rcode, this node's configuration copies
 *   GET /health    200 {"status":"ok",...} when ZooKeeper is connected and the
 *                  mirror synced, 503 {"status":"degraded",...} otherwise
 */
#ifndef ZKSWARM_METRICS_H
#define ZKSWARM_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "zkswarm/config_sync.h"
#include "zkswarm/error.h"
#include "zkswarm/http.h"
#include "zkswarm/store.h"

/* Count one request to route index route (-1: unknown path), its status and duration. */
void zks_metrics_observe(int route, unsigned status, double seconds);

/* Count one DNS reply (rcode, -1: none sent) and whether it was truncated; a TCP connection
 * refused at the cap. */
void zks_metrics_dns_reply(int rcode, bool truncated);
void zks_metrics_dns_tcp_refused(void);

/* The exposition text (allocated): the requests of http's routes (NULL: only unknown paths), the
 * store's session, the cluster's records as the core counts them, and the configuration copies
 * kept here as their service counts them (configs NULL: none). */
char *zks_metrics_render(struct zks_store *store, const struct zks_http *http,
			 struct zks_config_sync *configs);

struct zks_metrics_server;

/* On ip:port (host byte order; METRICS_ADDR as config.c parsed it, addr names it in messages);
 * the store, the HTTP server and the copies' service must outlive the metrics server. */
struct zks_metrics_server *zks_metrics_start(uint32_t ip, uint16_t port, const char *addr,
					     struct zks_store *store, const struct zks_http *http,
					     struct zks_config_sync *configs,
					     struct zks_error *err);
void zks_metrics_stop(struct zks_metrics_server *m);

#endif
