/*
 * fake_engine.c - the fake Docker engine of fake_engine.h: libmicrohttpd, one thread per
 * connection, on a unix socket made by zks_http_listen_unix.  Emitted chunks go to a log;
 * each event stream reads the log from where it stood when the stream opened, so a stream
 * sees what was emitted after it began, in order, like the engine's "from now on".
 */
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "fake_engine.h"
#include "zkswarm/http.h"
#include "zkswarm/util.h"

#define WAIT_STEP_MS 100

struct stream {
	struct fake_engine *fe;
	size_t next;   /* the next chunk of the log to send */
	size_t offset; /* bytes of it already sent */
	size_t end_at; /* with ending: the log's length when the end was asked */
	bool ending;
	struct stream *link;
};

struct count {
	char *path;
	unsigned n;
};

struct container {
	char *id, *json;
};

struct fake_engine {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* the log grew, a stream opened or closed, hang or stopping changed */
	struct MHD_Daemon *mhd;
	char dir[64], path[128];
	char *api, *min, *list, *plugins;
	struct container *containers;
	size_t ncontainers;
	bool hang, stopping;
	char **log; /* emitted chunks */
	size_t nlog;
	struct stream *streams;
	unsigned nstreams;
	struct count *counts;
	size_t ncounts;
	char last_version[16], last_filters[256], last_since[32];
};

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* Under lock: wait one step for cond (a timed wait, so no caller waits for ever). */
static void wait_step(struct fake_engine *fe)
{
	struct timespec ts;

	deadline_in(&ts, WAIT_STEP_MS);
	pthread_cond_timedwait(&fe->cond, &fe->lock, &ts);
}

/* ---- answers -------------------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result r;

	MHD_add_response_header(resp, "Content-Type", "application/json");
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result reply_message(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	cleanup_free char *body = xasprintf("{\"message\":\"%s\"}", msg);

	return reply(conn, status, body);
}

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	struct fake_engine *fe = s->fe;
	ssize_t n = 0;

	(void)pos;
	pthread_mutex_lock(&fe->lock);
	if (s->next == fe->nlog && !s->ending && !fe->stopping)
		wait_step(fe);
	if (fe->stopping || (s->ending && s->next >= s->end_at)) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else if (s->next < fe->nlog) {
		const char *chunk = fe->log[s->next] + s->offset;
		size_t len = strlen(chunk) < max ? strlen(chunk) : max;

		memcpy(buf, chunk, len);
		n = (ssize_t)len;
		s->offset += len;
		if (fe->log[s->next][s->offset] == '\0') {
			s->next++;
			s->offset = 0;
		}
	}
	pthread_mutex_unlock(&fe->lock);
	return n;
}

static void stream_closed(void *cls)
{
	struct stream *s = cls, **pp;
	struct fake_engine *fe = s->fe;

	pthread_mutex_lock(&fe->lock);
	for (pp = &fe->streams; *pp && *pp != s; pp = &(*pp)->link)
		;
	if (*pp)
		*pp = s->link;
	fe->nstreams--;
	pthread_cond_broadcast(&fe->cond);
	pthread_mutex_unlock(&fe->lock);
	free(s);
}

static enum MHD_Result open_stream(struct fake_engine *fe, struct MHD_Connection *conn)
{
	struct stream *s = xcalloc(1, sizeof(*s));
	struct MHD_Response *resp;
	enum MHD_Result r;

	s->fe = fe;
	pthread_mutex_lock(&fe->lock);
	s->next = fe->nlog;
	s->link = fe->streams;
	fe->streams = s;
	fe->nstreams++;
	pthread_cond_broadcast(&fe->cond);
	pthread_mutex_unlock(&fe->lock);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, read_stream, s,
						 stream_closed);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}

/* Under lock: count one request to path. */
static void count(struct fake_engine *fe, const char *path)
{
	for (size_t i = 0; i < fe->ncounts; i++) {
		if (strcmp(fe->counts[i].path, path) == 0) {
			fe->counts[i].n++;
			return;
		}
	}
	fe->counts = xrealloc(fe->counts, (fe->ncounts + 1) * sizeof(*fe->counts));
	fe->counts[fe->ncounts++] = (struct count){xstrdup(path), 1};
}

/* "1.45" -> 45; -1 if not that form. */
static int minor_of(const char *v)
{
	char *end;
	long m;

	if (v == NULL || strncmp(v, "1.", 2) != 0)
		return -1;
	m = strtol(v + 2, &end, 10);
	return end != v + 2 && *end == '\0' ? (int)m : -1;
}

/* Under lock: the answer to a versioned path ("/containers/json"); NULL for the stream. */
static char *answer(struct fake_engine *fe, const char *path, unsigned *status)
{
	*status = MHD_HTTP_OK;
	if (strcmp(path, "/version") == 0)
		return fe->min ? xasprintf("{\"ApiVersion\":\"%s\",\"MinAPIVersion\":\"%s\","
					   "\"Version\":\"26.1.5\",\"Os\":\"linux\"}",
					   fe->api, fe->min)
			       : xasprintf("{\"ApiVersion\":\"%s\",\"Version\":\"20.10.24\"}",
					   fe->api);
	if (strcmp(path, "/events") == 0)
		return NULL;
	if (strcmp(path, "/containers/json") == 0)
		return xstrdup(fe->list ? fe->list : "[]");
	if (strcmp(path, "/plugins") == 0)
		return xstrdup(fe->plugins ? fe->plugins : "[]");
	for (size_t i = 0; i < fe->ncontainers; i++) {
		cleanup_free char *want = xasprintf("/containers/%s/json", fe->containers[i].id);

		if (strcmp(path, want) == 0)
			return xstrdup(fe->containers[i].json);
	}
	*status = MHD_HTTP_NOT_FOUND;
	if (strncmp(path, "/containers/", 12) == 0)
		return xstrdup("{\"message\":\"No such container\"}");
	return xstrdup("{\"message\":\"page not found\"}");
}

/* Under lock: "" if the version of a "/vX.Y/..." url is one this engine speaks, else why not. */
static const char *version_refused(struct fake_engine *fe, const char *version)
{
	int v = minor_of(version), max = minor_of(fe->api), min = fe->min ? minor_of(fe->min) : 0;

	snprintf(fe->last_version, sizeof(fe->last_version), "%s", version);
	if (v < 0)
		return "client version is not valid";
	if (v > max)
		return "client version is too new";
	if (v < min)
		return "client version is too old";
	return "";
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct fake_engine *fe = cls;
	const char *path = url, *refused = "", *filters, *since;
	cleanup_free char *api = NULL, *body = NULL;
	unsigned status;

	(void)method, (void)version, (void)upload, (void)upload_size, (void)con_cls;
	if (strncmp(url, "/v", 2) == 0 && strchr(url + 1, '/')) {
		path = strchr(url + 1, '/');
		api = xstrndup(url + 2, (size_t)(path - url - 2));
	}
	pthread_mutex_lock(&fe->lock);
	count(fe, path);
	if (strcmp(path, "/events") == 0) {
		filters = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "filters");
		snprintf(fe->last_filters, sizeof(fe->last_filters), "%s", filters ? filters : "");
		since = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since");
		snprintf(fe->last_since, sizeof(fe->last_since), "%s", since ? since : "");
	}
	while (fe->hang && !fe->stopping)
		wait_step(fe);
	if (api)
		refused = version_refused(fe, api);
	body = refused[0] ? NULL : answer(fe, path, &status);
	pthread_mutex_unlock(&fe->lock);
	if (refused[0])
		return reply_message(conn, MHD_HTTP_BAD_REQUEST, refused);
	return body ? reply(conn, status, body) : open_stream(fe, conn);
}

/* ---- the test's side ------------------------------------------------------------------------ */

struct fake_engine *fake_engine_start(void)
{
	struct fake_engine *fe = xcalloc(1, sizeof(*fe));
	struct zks_error err = {0};
	int fd;

	pthread_mutex_init(&fe->lock, NULL);
	pthread_cond_init(&fe->cond, NULL);
	fe->api = xstrdup("1.45");
	fe->min = xstrdup("1.24");
	snprintf(fe->dir, sizeof(fe->dir), "/tmp/zks-fake-engine-XXXXXX");
	if (mkdtemp(fe->dir) == NULL)
		abort();
	snprintf(fe->path, sizeof(fe->path), "%s/docker.sock", fe->dir);
	fd = zks_http_listen_unix(fe->path, &err);
	if (fd < 0) {
		fprintf(stderr, "fake engine: %s\n", err.msg);
		abort();
	}
	fe->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
					   MHD_USE_ITC,
				   0, NULL, NULL, on_request, fe, MHD_OPTION_LISTEN_SOCKET, fd,
				   MHD_OPTION_END);
	if (fe->mhd == NULL)
		abort();
	return fe;
}

void fake_engine_stop(struct fake_engine *fe)
{
	int fd;

	if (fe == NULL)
		return;
	pthread_mutex_lock(&fe->lock);
	fe->stopping = true;
	pthread_cond_broadcast(&fe->cond);
	pthread_mutex_unlock(&fe->lock);
	fd = MHD_quiesce_daemon(fe->mhd);
	MHD_stop_daemon(fe->mhd);
	if (fd >= 0)
		close(fd);
	unlink(fe->path);
	rmdir(fe->dir);
	for (size_t i = 0; i < fe->ncontainers; i++) {
		free(fe->containers[i].id);
		free(fe->containers[i].json);
	}
	for (size_t i = 0; i < fe->ncounts; i++)
		free(fe->counts[i].path);
	zks_free_strv(fe->log, fe->nlog);
	free(fe->containers);
	free(fe->counts);
	free(fe->api);
	free(fe->min);
	free(fe->list);
	free(fe->plugins);
	pthread_cond_destroy(&fe->cond);
	pthread_mutex_destroy(&fe->lock);
	free(fe);
}

const char *fake_engine_socket(const struct fake_engine *fe)
{
	return fe->path;
}

void fake_engine_set_version(struct fake_engine *fe, const char *api, const char *min)
{
	pthread_mutex_lock(&fe->lock);
	free(fe->api);
	free(fe->min);
	fe->api = xstrdup(api);
	fe->min = min ? xstrdup(min) : NULL;
	pthread_mutex_unlock(&fe->lock);
}

void fake_engine_set_container(struct fake_engine *fe, const char *id, const char *json)
{
	size_t i;

	pthread_mutex_lock(&fe->lock);
	for (i = 0; i < fe->ncontainers && strcmp(fe->containers[i].id, id) != 0; i++)
		;
	if (i == fe->ncontainers && json) {
		fe->containers = xrealloc(fe->containers, (i + 1) * sizeof(*fe->containers));
		fe->containers[fe->ncontainers++] = (struct container){xstrdup(id), xstrdup(json)};
	} else if (i < fe->ncontainers) {
		free(fe->containers[i].json);
		fe->containers[i].json = json ? xstrdup(json) : NULL;
		if (json == NULL) {
			free(fe->containers[i].id);
			fe->containers[i] = fe->containers[--fe->ncontainers];
		}
	}
	pthread_mutex_unlock(&fe->lock);
}

void fake_engine_set_plugins(struct fake_engine *fe, const char *json)
{
	pthread_mutex_lock(&fe->lock);
	free(fe->plugins);
	fe->plugins = xstrdup(json);
	pthread_mutex_unlock(&fe->lock);
}

void fake_engine_set_list(struct fake_engine *fe, const char *json)
{
	pthread_mutex_lock(&fe->lock);
	free(fe->list);
	fe->list = xstrdup(json);
	pthread_mutex_unlock(&fe->lock);
}

void fake_engine_set_hang(struct fake_engine *fe, bool hang)
{
	pthread_mutex_lock(&fe->lock);
	fe->hang = hang;
	pthread_cond_broadcast(&fe->cond);
	pthread_mutex_unlock(&fe->lock);
}

void fake_engine_emit_raw(struct fake_engine *fe, const char *bytes)
{
	if (bytes[0] == '\0') /* an empty chunk would end the stream */
		return;
	pthread_mutex_lock(&fe->lock);
	fe->log = xrealloc(fe->log, (fe->nlog + 1) * sizeof(*fe->log));
	fe->log[fe->nlog++] = xstrdup(bytes);
	pthread_cond_broadcast(&fe->cond);
	pthread_mutex_unlock(&fe->lock);
}

void fake_engine_emit(struct fake_engine *fe, const char *line)
{
	cleanup_free char *chunk = xasprintf("%s\n", line);

	fake_engine_emit_raw(fe, chunk);
}

void fake_engine_end_stream(struct fake_engine *fe)
{
	pthread_mutex_lock(&fe->lock);
	for (struct stream *s = fe->streams; s; s = s->link) {
		s->ending = true;
		s->end_at = fe->nlog;
	}
	pthread_cond_broadcast(&fe->cond);
	pthread_mutex_unlock(&fe->lock);
}

bool fake_engine_wait_streams(struct fake_engine *fe, unsigned n, int timeout_ms)
{
	int64_t until = zks_now_ms() + timeout_ms;
	bool ok;

	pthread_mutex_lock(&fe->lock);
	while (fe->nstreams < n && zks_now_ms() < until)
		wait_step(fe);
	ok = fe->nstreams >= n;
	pthread_mutex_unlock(&fe->lock);
	return ok;
}

unsigned fake_engine_count(struct fake_engine *fe, const char *path)
{
	unsigned n = 0;

	pthread_mutex_lock(&fe->lock);
	for (size_t i = 0; i < fe->ncounts; i++)
		if (strcmp(fe->counts[i].path, path) == 0)
			n = fe->counts[i].n;
	pthread_mutex_unlock(&fe->lock);
	return n;
}

const char *fake_engine_last_version(struct fake_engine *fe)
{
	return fe->last_version;
}

const char *fake_engine_last_filters(struct fake_engine *fe)
{
	return fe->last_filters;
}

const char *fake_engine_last_since(struct fake_engine *fe)
{
	return fe->last_since;
}
