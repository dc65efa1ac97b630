/*
 * http.c - serving the plugin protocol with libmicrohttpd on a unix socket.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "zkswarm/http.h"
#include "zkswarm/log.h"
#include "zkswarm/metrics.h"
#include "zkswarm/util.h"

#define CONTENT_TYPE "application/vnd.docker.plugins.v1+json"

struct zks_http {
	struct MHD_Daemon *daemon;
	const struct zks_route *routes;
	size_t nroutes;
	void *app;
	int listen_fd;
};

struct request {
	char *body;
	size_t len;
	bool too_big;
	int64_t started_us;
};

static void reply_error(struct zks_reply *out, unsigned status, bool ipam, const char *msg)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "Err", msg);
	/* IpamDriver reads "Error" on 200 replies; say it in both keys. */
	if (ipam)
		cJSON_AddStringToObject(doc, "Error", msg);
	out->status = status;
	out->body = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
}

static unsigned status_of(enum zks_errc code)
{
	return code == ZKS_ERR_INVALID ? 400 : 500;
}

static int route_index(const struct zks_route *routes, size_t nroutes, const char *path)
{
	for (size_t i = 0; i < nroutes; i++)
		if (strcmp(routes[i].path, path) == 0)
			return (int)i;
	return -1;
}

/*
 * cJSON decodes \u0000 into a NUL inside valuestring, which would silently cut every
 * string at it ("keep\u0000/../x" read as "keep"); refuse it as raw NUL bytes are.
 */
static bool has_nul_escape(const char *body, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (body[i] != '\\')
			continue;
		if (body[i + 1] == 'u' && i + 5 < len && !strncmp(body + i + 2, "0000", 4))
			return true;
		i++; /* skip the escaped character, so that \\u0000 (a backslash, then text) passes */
	}
	return false;
}

void zks_http_dispatch(const struct zks_route *routes, size_t nroutes, void *app,
		       const char *method, const char *path, const char *body, size_t len,
		       struct zks_reply *out)
{
	const struct zks_route *route = NULL;
	struct zks_error err = {0};
	cJSON *req = NULL, *reply = NULL;
	const char *end = NULL;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nroutes && route == NULL; i++)
		if (strcmp(routes[i].path, path) == 0)
			route = &routes[i];
	if (route == NULL) {
		reply_error(
			out, 404, false,
			"unknown method: this plugin implements VolumeDriver, NetworkDriver and IpamDriver");
		return;
	}
	if (strcmp(method, "POST") != 0) {
		reply_error(out, 405, route->ipam, "only POST is supported");
		return;
	}
	if (len > ZKS_HTTP_BODY_MAX) {
		reply_error(out, 413, route->ipam, "request body is too large");
		return;
	}
	/* Calls without arguments come with an empty body; treat it as {}. */
	if (len == 0 || (len == 1 && body[0] == '\n')) {
		req = cJSON_CreateObject();
	} else {
		if (memchr(body, '\0', len) != NULL) {
			reply_error(out, 400, route->ipam, "request body contains a NUL byte");
			return;
		}
		if (has_nul_escape(body, len)) {
			reply_error(out, 400, route->ipam,
				    "request body contains a \\u0000 escape");
			return;
		}
		req = cJSON_ParseWithLengthOpts(body, len, &end, false);
		if (req == NULL) {
			reply_error(out, 400, route->ipam, "request body is not valid JSON");
			return;
		}
		/* One JSON value and nothing after it but blanks (Go sends a trailing newline). */
		while (end < body + len &&
		       (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
			end++;
		if (end != body + len) {
			cJSON_Delete(req);
			reply_error(out, 400, route->ipam,
				    "request body has data after the JSON value");
			return;
		}
		if (!cJSON_IsObject(req)) {
			cJSON_Delete(req);
			reply_error(out, 400, route->ipam, "request body must be a JSON object");
			return;
		}
	}
	if (route->handler(app, req, &reply, &err) < 0) {
		cJSON_Delete(req);
		cJSON_Delete(reply);
		reply_error(out, status_of(err.code), route->ipam,
			    err.msg[0] ? err.msg : "internal error");
		return;
	}
	cJSON_Delete(req);
	out->status = 200;
	out->body = cJSON_PrintUnformatted(reply ? reply : cJSON_CreateObject());
	cJSON_Delete(reply);
	if (out->body == NULL)
		reply_error(out, 500, route->ipam, "cannot encode the reply");
}

int zks_http_listen_unix(const char *path, struct zks_error *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return zks_error_set(err, ZKS_ERR_INVALID, "socket path `%s` is too long", path);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return zks_error_errno(err, errno, "socket");
	if (unlink(path) < 0 && errno != ENOENT) {
		int saved = errno;

		close(fd);
		return zks_error_errno(err, saved, "remove stale socket `%s`", path);
	}
	/* Only root may talk to us: the socket is born 0600, no window in between. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int saved = errno;

		umask(old);
		close(fd);
		return zks_error_errno(err, saved, "bind `%s`", path);
	}
	umask(old);
	if (chmod(path, 0600) < 0 || listen(fd, 128) < 0) {
		int saved = errno;

		close(fd);
		unlink(path);
		return zks_error_errno(err, saved, "listen on `%s`", path);
	}
	return fd;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, const struct zks_reply *reply)
{
	const char *body = reply->body ? reply->body : "{}";
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result r;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	r = MHD_queue_response(conn, reply->status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct zks_http *http = cls;
	struct request *req = *con_cls;
	struct zks_reply reply;
	enum MHD_Result r;

	(void)version;
	if (req == NULL) {
		req = xcalloc(1, sizeof(*req));
		req->started_us = zks_now_us();
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* Past the cap we keep reading (to answer cleanly) but stop storing. */
		if (!req->too_big && req->len + *upload_size > ZKS_HTTP_BODY_MAX) {
			req->too_big = true;
			free(req->body);
			req->body = NULL;
		}
		if (!req->too_big) {
			req->body = xrealloc(req->body, req->len + *upload_size + 1);
			memcpy(req->body + req->len, upload, *upload_size);
			req->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	zks_http_dispatch(http->routes, http->nroutes, http->app, method, url,
			  req->too_big ? NULL : req->body,
			  req->too_big ? ZKS_HTTP_BODY_MAX + 1 : req->len, &reply);
	if (reply.status != 200)
		log_info("%s %s: %u %s", method, url, reply.status, reply.body ? reply.body : "");
	{
		int64_t us = zks_now_us() - req->started_us;

		zks_metrics_observe(route_index(http->routes, http->nroutes, url), reply.status,
				    (double)us / 1e6);
		log_debug("%s %s: %u in %.3f ms", method, url, reply.status, (double)us / 1000);
	}
	r = send_reply(conn, &reply);
	free(reply.body);
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *req = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (req != NULL) {
		free(req->body);
		free(req);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_debug("http: %s", line);
}

struct zks_http *zks_http_start(int listen_fd, const struct zks_route *routes, size_t nroutes,
				void *app, struct zks_error *err)
{
	struct zks_http *http = xcalloc(1, sizeof(*http));

	http->routes = routes;
	http->nroutes = nroutes;
	http->app = app;
	http->listen_fd = listen_fd;
	http->daemon =
		MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
					 MHD_USE_ITC | MHD_USE_ERROR_LOG,
				 0, NULL, NULL, on_request, http, MHD_OPTION_EXTERNAL_LOGGER,
				 mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, listen_fd,
				 MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
				 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
				 MHD_OPTION_NOTIFY_COMPLETED, on_completed, http, MHD_OPTION_END);
	if (http->daemon == NULL) {
		free(http);
		return zks_error_set(err, ZKS_ERR_SYSTEM, "cannot start the HTTP server"), NULL;
	}
	return http;
}

const char *zks_http_route_name(const struct zks_http *http, size_t i)
{
	if (http == NULL || i >= http->nroutes)
		return NULL;
	return http->routes[i].path + 1;
}

void zks_http_stop(struct zks_http *http)
{
	int fd;

	if (http == NULL)
		return;
	/* Stop accepting first; MHD_stop_daemon then waits for handlers still running. */
	fd = MHD_quiesce_daemon(http->daemon);
	MHD_stop_daemon(http->daemon);
	if (fd >= 0)
		close(fd);
	free(http);
}
