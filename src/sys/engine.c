/*
 * engine.c - the client of the Docker engine's API over its unix socket (libcurl): the API
 * version picked from GET /version, the event stream split into lines, inspect and the list
 * of running containers read from the engine's JSON, which is trusted no more than a request.
 * One easy handle per call, so threads may share a struct zks_engine once it is connected;
 * libcurl's global state is set up once.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/engine.h"
#include "zkswarm/log.h"
#include "zkswarm/names.h"
#include "zkswarm/util.h"

#define BODY_MAX (16u << 20)	  /* an answer to inspect or list */
#define EVENT_LINE_MAX (1u << 20) /* one line of the event stream */
#define ERROR_BODY_MAX 4096	  /* what is kept of an error answer */
#define SHORT_ID_LEN 12
#define ALIAS_LEN_MAX 253
#define EVENTS_FILTER "{\"type\":[\"container\",\"network\"]}"

struct zks_engine {
	char *socket_path;
	long timeout_ms;
	int minor;	 /* of the version picked, "1.<minor>"; 0 before connect */
	char version[8]; /* "1.45", "" before connect */
};

/* ---- transport ------------------------------------------------------------------------------ */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Bytes received, NUL-terminated, at most max: one more is an overflow. */
struct buf {
	char *data;
	size_t len, cap, max;
	bool overflow;
};

static int buf_add(struct buf *b, const char *p, size_t n)
{
	if (n > b->max - b->len) {
		b->overflow = true;
		return -1;
	}
	if (b->len + n + 1 > b->cap) {
		b->cap = b->len + n + 1 > 2 * b->cap ? b->len + n + 1 : 2 * b->cap;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	return buf_add(ud, p, size * n) < 0 ? 0 : size * n;
}

static CURL *easy_new(const struct zks_engine *e, struct zks_error *err)
{
	CURL *c;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK || (c = curl_easy_init()) == NULL)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "cannot set up libcurl"), NULL;
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, e->socket_path);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, e->timeout_ms);
	return c;
}

static int set_url(CURL *c, const char *path)
{
	cleanup_free char *url = xasprintf("http://localhost%s", path);

	return curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK ? 0 : -1;
}

static int transfer_error(const struct zks_engine *e, const char *path, CURLcode rc,
			  struct zks_error *err)
{
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return zks_error_set(err, ZKS_ERR_UNAVAILABLE,
				     "the engine at %s did not answer GET %s within %ld ms",
				     e->socket_path, path, e->timeout_ms);
	return zks_error_set(err, ZKS_ERR_UNAVAILABLE, "cannot reach the engine at %s: %s",
			     e->socket_path, curl_easy_strerror(rc));
}

/* A non-200 answer: the engine's {"message": ...} if it sent one.  404 is NOT_FOUND. */
static int status_error(const char *path, long status, const char *body, struct zks_error *err)
{
	cJSON *doc = body ? cJSON_Parse(body) : NULL;
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(doc, "message");
	enum zks_errc code = status == 404 ? ZKS_ERR_NOT_FOUND : ZKS_ERR_UNAVAILABLE;

	if (cJSON_IsObject(doc) && cJSON_IsString(msg))
		zks_error_set(err, code, "the engine answered GET %s with HTTP %ld: %.200s", path,
			      status, msg->valuestring);
	else
		zks_error_set(err, code, "the engine answered GET %s with HTTP %ld", path, status);
	cJSON_Delete(doc);
	return -1;
}

/* GET path: the body of a 200 answer in *out (NUL-terminated, to free). */
static int get(const struct zks_engine *e, const char *path, char **out, struct zks_error *err)
{
	struct buf body = {.max = BODY_MAX};
	long status = 0;
	CURLcode rc;
	CURL *c = easy_new(e, err);

	if (c == NULL)
		return -1;
	if (set_url(c, path) < 0) {
		curl_easy_cleanup(c);
		return zks_error_set(err, ZKS_ERR_INTERNAL, "bad engine URL for %s", path);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, e->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (rc == CURLE_OK && status != 200) {
		status_error(path, status, body.data, err);
		free(body.data);
		return -1;
	}
	if (rc != CURLE_OK) {
		free(body.data);
		if (body.overflow)
			return zks_error_set(err, ZKS_ERR_UNAVAILABLE,
					     "the engine's answer to GET %s is over %u bytes", path,
					     BODY_MAX);
		return transfer_error(e, path, rc, err);
	}
	*out = body.data ? body.data : xstrdup("");
	return 0;
}

/* ---- the client ----------------------------------------------------------------------------- */

struct zks_engine *zks_engine_new(const char *socket_path)
{
	struct zks_engine *e = xcalloc(1, sizeof(*e));

	e->socket_path = xstrdup(socket_path);
	e->timeout_ms = ZKS_ENGINE_TIMEOUT_MS;
	return e;
}

void zks_engine_free(struct zks_engine *e)
{
	if (e == NULL)
		return;
	free(e->socket_path);
	free(e);
}

void zks_engine_set_timeout_ms(struct zks_engine *e, long ms)
{
	e->timeout_ms = ms > 0 ? ms : 1;
}

const char *zks_engine_api_version(const struct zks_engine *e)
{
	return e->version;
}

/* "1.41" -> 41; -1 unless "1." and one to three digits. */
static int api_minor(const char *s)
{
	int minor = 0;
	size_t i;

	if (s == NULL || strncmp(s, "1.", 2) != 0)
		return -1;
	for (i = 2; s[i] >= '0' && s[i] <= '9' && i < 5; i++)
		minor = minor * 10 + (s[i] - '0');
	return i > 2 && s[i] == '\0' ? minor : -1;
}

static const char *str_item(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *obj_item(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	return cJSON_IsObject(v) ? v : NULL;
}

/* The version both speak: min(theirs, ours), refused below their minimum or ours. */
static int pick_version(struct zks_engine *e, const cJSON *doc, struct zks_error *err)
{
	const char *have_s = str_item(doc, "ApiVersion"), *min_s = str_item(doc, "MinAPIVersion");
	int have = api_minor(have_s), min = min_s ? api_minor(min_s) : 0;
	int ours = api_minor(ZKS_ENGINE_API_MAX), floor = api_minor(ZKS_ENGINE_API_MIN);
	int pick = have < ours ? have : ours;

	if (have < 0 || min < 0)
		return zks_error_set(err, ZKS_ERR_UNAVAILABLE,
				     "the engine at %s answered GET /version without a valid "
				     "ApiVersion and MinAPIVersion",
				     e->socket_path);
	if (pick < floor || pick < min)
		return zks_error_set(
			err, ZKS_ERR_INVALID,
			"the engine at %s speaks API %s to %s, zkswarm speaks %s to %s: "
			"naming needs an engine from 20.10 on",
			e->socket_path, min_s ? min_s : "?", have_s, ZKS_ENGINE_API_MIN,
			ZKS_ENGINE_API_MAX);
	e->minor = pick;
	snprintf(e->version, sizeof(e->version), "1.%d", pick);
	return 0;
}

int zks_engine_connect(struct zks_engine *e, struct zks_error *err)
{
	cleanup_free char *body = NULL;
	cJSON *doc;
	int rc;

	e->minor = 0;
	e->version[0] = '\0';
	if (get(e, "/version", &body, err) < 0)
		return -1;
	doc = cJSON_Parse(body);
	rc = pick_version(e, doc, err);
	cJSON_Delete(doc);
	if (rc == 0)
		log_info("engine at %s: API %s", e->socket_path, e->version);
	return rc;
}

static int ensure_connected(struct zks_engine *e, struct zks_error *err)
{
	return e->minor > 0 ? 0 : zks_engine_connect(e, err);
}

/* ---- events --------------------------------------------------------------------------------- */

struct stream {
	const struct zks_engine *e;
	zks_engine_event_fn fn;
	void (*subscribed)(void *ctx);
	void *ctx;
	const atomic_bool *stop;
	CURL *curl;
	long status;	     /* of the answer, once its headers are in */
	struct buf line;     /* the line being received; an error answer's body */
	bool ended;	     /* by fn or *stop */
	bool too_long;	     /* a line over EVENT_LINE_MAX */
	bool timed_out;	     /* no answer within the timeout */
	int64_t deadline_ms; /* for the answer's headers */
};

static bool stopped(const struct stream *s)
{
	return s->stop != NULL && atomic_load(s->stop);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct stream *s = ud;
	size_t len = size * n;

	if (s->status == 0 && (len == 2 || len == 1) && (p[0] == '\r' || p[0] == '\n')) {
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
		if (s->status == 200 && s->subscribed)
			s->subscribed(s->ctx);
	}
	return len;
}

/* One line of the stream: an event for fn, or skipped. */
static void on_line(struct stream *s, const char *p, size_t len)
{
	cJSON *doc = cJSON_ParseWithLength(p, len);
	const cJSON *actor = obj_item(doc, "Actor");
	struct zks_engine_event ev = {
		.type = str_item(doc, "Type"),
		.action = str_item(doc, "Action"),
		.id = str_item(actor, "ID"),
	};

	if (ev.type && strcmp(ev.type, "network") == 0)
		ev.container = str_item(obj_item(actor, "Attributes"), "container");
	if (ev.type == NULL || ev.action == NULL || ev.id == NULL)
		log_debug("engine event stream: skipped a line that is not an event: %.80s", p);
	else if (s->fn(s->ctx, &ev) != 0)
		s->ended = true;
	cJSON_Delete(doc);
}

static size_t on_stream_data(char *p, size_t size, size_t n, void *ud)
{
	struct stream *s = ud;
	size_t len = size * n, done = 0;

	if (s->status != 200) { /* an error's body, kept for its message */
		buf_add(&s->line, p, len < ERROR_BODY_MAX - s->line.len ? len : 0);
		return len;
	}
	while (done < len && !s->ended && !stopped(s)) {
		const char *nl = memchr(p + done, '\n', len - done);
		size_t take = nl ? (size_t)(nl - (p + done)) : len - done;

		if (buf_add(&s->line, p + done, take) < 0) {
			s->too_long = true;
			return 0;
		}
		done += take;
		if (nl == NULL)
			break;
		done++;
		if (s->line.len > 0)
			on_line(s, s->line.data, s->line.len);
		s->line.len = 0;
	}
	if (stopped(s))
		s->ended = true;
	return s->ended ? 0 : len;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct stream *s = ud;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (stopped(s)) {
		s->ended = true;
		return 1;
	}
	if (s->status == 0 && zks_now_ms() > s->deadline_ms) {
		s->timed_out = true;
		return 1;
	}
	return 0;
}

/* How the stream ended: 0 (by fn or *stop), or -1 with err. */
static int stream_result(struct stream *s, const char *path, CURLcode rc, struct zks_error *err)
{
	if (s->ended)
		return 0;
	if (s->too_long)
		return zks_error_set(err, ZKS_ERR_UNAVAILABLE,
				     "the engine sent an event line over %u bytes", EVENT_LINE_MAX);
	if (s->timed_out)
		return transfer_error(s->e, path, CURLE_OPERATION_TIMEDOUT, err);
	if (rc == CURLE_OK && s->status != 200)
		return status_error(path, s->status, s->line.data, err);
	if (rc != CURLE_OK)
		return transfer_error(s->e, path, rc, err);
	return zks_error_set(err, ZKS_ERR_UNAVAILABLE, "the engine at %s ended its event stream",
			     s->e->socket_path);
}

int zks_engine_events(struct zks_engine *e, zks_engine_event_fn fn, void (*subscribed)(void *ctx),
		      void *ctx, const atomic_bool *stop, struct zks_error *err)
{
	struct stream s = {.e = e, .fn = fn, .subscribed = subscribed, .ctx = ctx, .stop = stop};
	cleanup_free char *path = NULL;
	char *filter;
	CURLcode rc;
	int ret;

	if (stop != NULL && atomic_load(stop))
		return 0;
	if (ensure_connected(e, err) < 0 || (s.curl = easy_new(e, err)) == NULL)
		return -1;
	filter = curl_easy_escape(s.curl, EVENTS_FILTER, 0);
	/* since: the engine flushes the answer's headers before it subscribes (moby's getEvents),
	 * so it is asked to replay from a second before; events are applied idempotently. */
	path = filter ? xasprintf("/v%s/events?since=%lld&filters=%s", e->version,
				  (long long)(zks_wall_ms() / 1000 - 1), filter)
		      : NULL;
	curl_free(filter);
	if (path == NULL || set_url(s.curl, path) < 0) {
		curl_easy_cleanup(s.curl);
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "cannot build the URL of the engine's event stream");
	}
	s.line.max = EVENT_LINE_MAX;
	s.deadline_ms = zks_now_ms() + e->timeout_ms;
	curl_easy_setopt(s.curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s.curl, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(s.curl, CURLOPT_WRITEFUNCTION, on_stream_data);
	curl_easy_setopt(s.curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(s.curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(s.curl, CURLOPT_XFERINFODATA, &s);
	rc = curl_easy_perform(s.curl);
	free(path);
	path = xasprintf("/v%s/events", e->version); /* for messages: without the query */
	ret = stream_result(&s, path, rc, err);
	curl_easy_cleanup(s.curl);
	free(s.line.data);
	return ret;
}

/* ---- inspect -------------------------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* "80/tcp" -> {80, "tcp"}; -1 if it is not that. */
static int parse_port(const char *key, struct zks_record_port *out)
{
	static const char *const protos[] = {"tcp", "udp", "sctp"};
	unsigned long port = 0;
	size_t i;

	for (i = 0; key[i] >= '0' && key[i] <= '9' && i < 5; i++)
		port = port * 10 + (unsigned long)(key[i] - '0');
	if (i == 0 || key[i] != '/' || port == 0 || port > 65535)
		return -1;
	for (size_t k = 0; k < ARRAY_SIZE(protos); k++) {
		if (strcmp(key + i + 1, protos[k]) == 0) {
			out->port = (uint16_t)port;
			snprintf(out->proto, sizeof(out->proto), "%s", protos[k]);
			return 0;
		}
	}
	return -1;
}

static void parse_ports(const cJSON *exposed, struct zks_engine_container *c)
{
	const cJSON *keys = cJSON_IsObject(exposed) ? exposed : NULL, *it;

	c->ports = xcalloc(ZKS_NAME_PORTS_MAX, sizeof(*c->ports));
	cJSON_ArrayForEach(it, keys)
	{
		struct zks_record_port p;
		bool dup = false;

		if (it->string == NULL || parse_port(it->string, &p) < 0)
			continue;
		for (size_t i = 0; i < c->nports && !dup; i++)
			dup = c->ports[i].port == p.port && strcmp(c->ports[i].proto, p.proto) == 0;
		if (dup)
			continue;
		if (c->nports == ZKS_NAME_PORTS_MAX) {
			log_warn("container %s exposes more than %d ports; the rest are left out",
				 c->id, ZKS_NAME_PORTS_MAX);
			break;
		}
		c->ports[c->nports++] = p;
	}
}

static bool alias_wanted(const struct zks_engine_attachment *a, const char *alias,
			 const struct zks_engine_container *c)
{
	if (alias[0] == '\0' || strlen(alias) > ALIAS_LEN_MAX || strcmp(alias, c->name) == 0)
		return false;
	if (strlen(alias) == SHORT_ID_LEN && strncmp(alias, c->id, SHORT_ID_LEN) == 0)
		return false;
	for (size_t i = 0; i < a->naliases; i++)
		if (strcmp(a->aliases[i], alias) == 0)
			return false;
	return true;
}

static void parse_aliases(const cJSON *net, const struct zks_engine_container *c,
			  struct zks_engine_attachment *a)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(net, "DNSNames"), *it;

	if (!cJSON_IsArray(list))
		list = cJSON_GetObjectItemCaseSensitive(net, "Aliases");
	if (!cJSON_IsArray(list))
		list = NULL;
	a->aliases = xcalloc(ZKS_NAME_ALIASES_MAX, sizeof(*a->aliases));
	cJSON_ArrayForEach(it, list)
	{
		if (!cJSON_IsString(it) || !alias_wanted(a, it->valuestring, c))
			continue;
		if (a->naliases == ZKS_NAME_ALIASES_MAX) {
			log_warn("container %s has more than %d aliases on network %s; the rest "
				 "are left out",
				 c->id, ZKS_NAME_ALIASES_MAX, a->network);
			break;
		}
		a->aliases[a->naliases++] = xstrdup(it->valuestring);
	}
}

/* IPAddress/IPPrefixLen as "a.b.c.d/len", "" unless both are valid. */
static char *parse_address(const cJSON *net)
{
	const char *ip = str_item(net, "IPAddress");
	const cJSON *len = cJSON_GetObjectItemCaseSensitive(net, "IPPrefixLen");
	struct in_addr in;

	if (ip == NULL || inet_pton(AF_INET, ip, &in) != 1 || !cJSON_IsNumber(len) ||
	    len->valuedouble < 0 || len->valuedouble > 32 ||
	    len->valuedouble != (double)(int)len->valuedouble)
		return xstrdup("");
	return xasprintf("%s/%d", ip, (int)len->valuedouble);
}

static void parse_networks(const cJSON *networks, struct zks_engine_container *c)
{
	const cJSON *it;

	c->nets = xcalloc(ZKS_ENGINE_NETS_MAX, sizeof(*c->nets));
	cJSON_ArrayForEach(it, networks)
	{
		const char *id = str_item(it, "NetworkID"), *ep = str_item(it, "EndpointID");
		struct zks_engine_attachment *a;

		if (id == NULL || it->string == NULL)
			continue;
		if (c->nnets == ZKS_ENGINE_NETS_MAX) {
			log_warn("container %s is on more than %d networks; the rest are left out",
				 c->id, ZKS_ENGINE_NETS_MAX);
			break;
		}
		a = &c->nets[c->nnets];
		a->network_id = xstrdup(id);
		a->network = xstrdup(it->string);
		a->endpoint_id = xstrdup(ep ? ep : "");
		a->address = parse_address(it);
		parse_aliases(it, c, a);
		c->nnets++;
	}
}

static void parse_container(const cJSON *doc, const char *asked, struct zks_engine_container *c)
{
	const cJSON *config = obj_item(doc, "Config"), *labels = obj_item(config, "Labels");
	const cJSON *running = cJSON_GetObjectItemCaseSensitive(obj_item(doc, "State"), "Running");
	const char *id = str_item(doc, "Id"), *name = str_item(doc, "Name");

	c->id = xstrdup(id && id[0] ? id : asked);
	c->name = xstrdup(name ? name + (name[0] == '/') : "");
	c->hostname = dup_or_null(str_item(config, "Hostname"));
	c->running = cJSON_IsTrue(running);
	c->service = dup_or_null(str_item(labels, "com.docker.swarm.service.name"));
	c->service_id = dup_or_null(str_item(labels, "com.docker.swarm.service.id"));
	c->task = dup_or_null(str_item(labels, "com.docker.swarm.task.name"));
	parse_ports(cJSON_GetObjectItemCaseSensitive(config, "ExposedPorts"), c);
	parse_networks(obj_item(obj_item(doc, "NetworkSettings"), "Networks"), c);
}

int zks_engine_inspect(struct zks_engine *e, const char *id, struct zks_engine_container *out,
		       struct zks_error *err)
{
	cleanup_free char *path = NULL, *body = NULL;
	cJSON *doc;

	memset(out, 0, sizeof(*out));
	if (zks_validate_name("container", id, 1, 128, err) < 0 || ensure_connected(e, err) < 0)
		return -1;
	path = xasprintf("/v%s/containers/%s/json", e->version, id);
	if (get(e, path, &body, err) < 0)
		return -1;
	doc = cJSON_Parse(body);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return zks_error_set(err, ZKS_ERR_UNAVAILABLE,
				     "the engine's answer to GET %s is not a JSON object", path);
	}
	parse_container(doc, id, out);
	cJSON_Delete(doc);
	return 0;
}

void zks_engine_container_clear(struct zks_engine_container *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nnets; i++) {
		struct zks_engine_attachment *a = &c->nets[i];

		free(a->network_id);
		free(a->network);
		free(a->endpoint_id);
		free(a->address);
		zks_free_strv(a->aliases, a->naliases);
	}
	free(c->nets);
	free(c->ports);
	free(c->id);
	free(c->name);
	free(c->hostname);
	free(c->service);
	free(c->service_id);
	free(c->task);
	memset(c, 0, sizeof(*c));
}

/* ---- lists -------------------------------------------------------------------------------- */

/* GET /v<version><what>: the engine's answer, a JSON array (to cJSON_Delete), or NULL with err. */
static cJSON *get_array(struct zks_engine *e, const char *what, struct zks_error *err)
{
	cleanup_free char *path = NULL, *body = NULL;
	cJSON *doc;

	if (ensure_connected(e, err) < 0)
		return NULL;
	path = xasprintf("/v%s%s", e->version, what);
	if (get(e, path, &body, err) < 0)
		return NULL;
	doc = cJSON_Parse(body);
	if (!cJSON_IsArray(doc)) {
		cJSON_Delete(doc);
		zks_error_set(err, ZKS_ERR_UNAVAILABLE,
			      "the engine's answer to GET %s is not a JSON array", path);
		return NULL;
	}
	return doc;
}

int zks_engine_list(struct zks_engine *e, char ***ids, size_t *n, struct zks_error *err)
{
	cJSON *doc = get_array(e, "/containers/json", err);
	const cJSON *it;
	size_t count = 0;

	*ids = NULL;
	*n = 0;
	if (doc == NULL)
		return -1;
	*ids = xcalloc((size_t)cJSON_GetArraySize(doc) + 1, sizeof(**ids));
	cJSON_ArrayForEach(it, doc)
	{
		const char *id = str_item(it, "Id");

		if (id && id[0])
			(*ids)[count++] = xstrdup(id);
	}
	*n = count;
	cJSON_Delete(doc);
	return 0;
}

int zks_engine_plugin_name(struct zks_engine *e, const char *id, char **name, struct zks_error *err)
{
	cJSON *doc = get_array(e, "/plugins", err);
	const cJSON *it;

	*name = NULL;
	if (doc == NULL)
		return -1;
	cJSON_ArrayForEach(it, doc)
	{
		const char *pid = str_item(it, "Id"), *pname = str_item(it, "Name");

		if (pid != NULL && pname != NULL && strcmp(pid, id) == 0) {
			*name = xstrdup(pname);
			break;
		}
	}
	cJSON_Delete(doc);
	return *name != NULL ? 0
			     : zks_error_set(err, ZKS_ERR_NOT_FOUND,
					     "the engine lists no plugin with ID %.64s", id);
}
