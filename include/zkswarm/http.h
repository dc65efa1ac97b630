/*
 * http.h - the plugin protocol's transport: HTTP/1.1 POSTs of JSON over a
 * unix socket (libmicrohttpd, one thread per connection, so a handler that
 * waits on ZooKeeper never holds up another connection).
 *
 * zks_http_dispatch() is the whole request path minus the socket: route,
 * body checks, JSON decoding, the handler, and the reply or error in the
 * form the engine reads (PROTOCOL.md §1.4).  Unit tests and the fuzz target
 * call it directly.
 */
#ifndef ZKSWARM_HTTP_H
#define ZKSWARM_HTTP_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "zkswarm/error.h"

#define ZKS_HTTP_BODY_MAX (256 * 1024)

/* A handler reads req (a JSON object, {} for an empty body) and builds *reply. */
typedef int (*zks_handler_fn)(void *app, const cJSON *req, cJSON **reply, struct zks_error *err);

struct zks_route {
	const char *path;
	zks_handler_fn handler;
	bool ipam; /* IpamDriver replies carry errors under "Error" too */
};

struct zks_reply {
	unsigned status;
	char *body; /* JSON text, owned */
};

void zks_http_dispatch(const struct zks_route *routes, size_t nroutes, void *app,
		       const char *method, const char *path, const char *body, size_t len,
		       struct zks_reply *out);

/* Bind a unix socket (stale one removed) with mode 0600 and listen on it. */
int zks_http_listen_unix(const char *path, struct zks_error *err);

struct zks_http;

/* Serve on an already listening socket, which the server then owns. */
struct zks_http *zks_http_start(int listen_fd, const struct zks_route *routes, size_t nroutes,
				void *app, struct zks_error *err);
/* Stop accepting, let requests in flight finish, close everything. */
void zks_http_stop(struct zks_http *http);

/*
 * The name of the server's route i, its path without the slash
 * ("VolumeDriver.Create"); NULL past the last.  zks_metrics_observe counts
 * each request under its route's index in the same table.
 */
const char *zks_http_route_name(const struct zks_http *http, size_t i);

#endif
