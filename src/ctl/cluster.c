/*
 * cluster.c - zkswarmctl's connection to ZooKeeper and its snapshot of the
 * records.
 *
 * The store (store/zk.c) connects in the background and reads the whole tree
 * into its mirror after every (re)connect; we wait for that, bounded, and
 * copy the mirror into a tree of our own.  Nothing here writes, except what
 * the store itself does on connecting (it creates ZK_ROOT if it is missing).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zkswarm/config.h"
#include "zkswarm/ctl_cluster.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define POLL_MS 20

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void copy_subtree(struct ctl_cluster *c, const char *path)
{
	cleanup_free char *data = NULL;
	struct zks_stat st;
	char **names = NULL;
	size_t len = 0, n = 0;

	if (store_cached_get(c->store, path, &data, &len, &st) < 0)
		return;
	zks_tree_put(c->snap, path, data, len, &st);
	if (store_cached_children(c->store, path, &names, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *child = strcmp(path, "/") == 0
						   ? xasprintf("/%s", names[i])
						   : xasprintf("%s/%s", path, names[i]);

		copy_subtree(c, child);
	}
	zks_free_strv(names, n);
}

void ctl_cluster_resnap(struct ctl_cluster *c)
{
	zks_tree_free(c->snap);
	c->snap = zks_tree_new();
	copy_subtree(c, "/");
	c->taken_ms = zks_wall_ms();
}

int ctl_cluster_open(struct ctl_cluster *c, const char *hosts, const char *root,
		     const char *auth_file, int timeout_ms, bool snapshot, struct zks_error *err)
{
	cleanup_free char *auth = NULL;
	struct zks_store_status status = {0};
	struct zks_zk_config cfg = {
		.hosts = hosts,
		.root = root,
		.session_timeout_ms = 10000,
		.unmirrored = !snapshot,
	};
	int64_t deadline = zks_now_ms() + timeout_ms;

	memset(c, 0, sizeof(*c));
	if (auth_file != NULL && auth_file[0] != '\0') {
		auth = zks_auth_file_read(auth_file, err);
		if (auth == NULL)
			return -1;
		cfg.auth = auth;
	}
	c->store = zks_store_zk_new(&cfg, err);
	if (auth != NULL)
		explicit_bzero(auth, strlen(auth));
	if (c->store == NULL)
		return -1;
	c->hosts = xstrdup(hosts);
	c->root = xstrdup(root);
	for (int64_t next_probe = 0;;) {
		int64_t now = zks_now_ms();

		store_status(c->store, &status);
		if (status.state == ZKS_CONN_CONNECTED && (status.mirror_synced || !snapshot))
			break;
		if (now >= deadline)
			break;
		/* Connected but not reading: refused access (ACLs) fails fast, not at the deadline.
		 */
		if (status.state == ZKS_CONN_CONNECTED && now >= next_probe) {
			if (next_probe != 0 &&
			    store_get(c->store, "/", NULL, NULL, NULL, err) < 0 &&
			    err->code == ZKS_ERR_SYSTEM) {
				zks_error_prefix(err, "reading `%s` (check ZK_AUTH_FILE)", root);
				goto fail;
			}
			next_probe = now + 300;
		}
		sleep_ms(POLL_MS);
	}
	if (status.state != ZKS_CONN_CONNECTED) {
		zks_error_set(err, ZKS_ERR_UNAVAILABLE,
			      "ZooKeeper is unreachable (%s): no session within %d.%d s", hosts,
			      timeout_ms / 1000, timeout_ms % 1000 / 100);
		goto fail;
	}
	if (!snapshot) {
		c->session_id = status.session_id;
		c->snap = zks_tree_new(); /* empty: such a command reads ZooKeeper itself */
		c->taken_ms = zks_wall_ms();
		return 0;
	}
	if (!status.mirror_synced) {
		/* Connected but the tree could not be read: ask once more, for the reason. */
		if (store_get(c->store, "/", NULL, NULL, NULL, err) == 0)
			zks_error_set(
				err, ZKS_ERR_UNAVAILABLE,
				"ZooKeeper (%s) answered but the records under `%s` could not be "
				"read within %d.%d s",
				hosts, root, timeout_ms / 1000, timeout_ms % 1000 / 100);
		else if (err->code == ZKS_ERR_SYSTEM)
			zks_error_prefix(err, "reading `%s` (check ZK_AUTH_FILE)", root);
		goto fail;
	}
	c->session_id = status.session_id;
	ctl_cluster_resnap(c);
	return 0;
fail:
	ctl_cluster_close(c);
	return -1;
}

void ctl_cluster_close(struct ctl_cluster *c)
{
	store_destroy(c->store);
	zks_tree_free(c->snap);
	free(c->hosts);
	free(c->root);
	memset(c, 0, sizeof(*c));
}

int ctl_get(const struct ctl_cluster *c, const char *path, char **data, size_t *len,
	    struct zks_stat *st)
{
	return zks_tree_get(c->snap, path, data, len, st);
}

bool ctl_exists(const struct ctl_cluster *c, const char *path)
{
	return zks_tree_exists(c->snap, path);
}

cJSON *ctl_get_object(const struct ctl_cluster *c, const char *path, struct zks_stat *st,
		      int *state)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	cJSON *doc;

	if (zks_tree_get(c->snap, path, &data, &len, st) < 0) {
		if (state)
			*state = 0;
		return NULL;
	}
	/* A record with a NUL inside is not JSON, whatever its prefix says. */
	doc = data != NULL && strlen(data) == len ? cJSON_ParseWithLength(data, len) : NULL;
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		if (state)
			*state = -1;
		return NULL;
	}
	if (state)
		*state = 1;
	return doc;
}

/* The record's text for a codec: 1, 0 when absent, -1 with a NUL inside (not JSON, whatever
 * its prefix says). */
static int get_text(const struct ctl_cluster *c, const char *path, struct zks_stat *st, char **text)
{
	size_t len = 0;

	*text = NULL;
	if (zks_tree_get(c->snap, path, text, &len, st) < 0)
		return 0;
	return *text != NULL && strlen(*text) == len ? 1 : -1;
}

/* Each kind's struct, by its size: out is emptied before anything else. */
static const size_t record_size[] = {
	[CTL_LEASE] = sizeof(struct zks_record_lease),
	[CTL_VNI] = sizeof(struct zks_record_vni),
	[CTL_SUBNET] = sizeof(struct zks_record_subnet),
	[CTL_ADDRESS] = sizeof(struct zks_record_address),
	[CTL_NODE] = sizeof(struct zks_record_node),
	[CTL_LEADER] = sizeof(struct zks_record_leader),
	[CTL_NAME] = sizeof(struct zks_record_name),
};

static int record_decode(enum ctl_record kind, const char *text, void *out, struct zks_error *err)
{
	switch (kind) {
	case CTL_LEASE:
		return zks_record_lease_decode(text, out, err);
	case CTL_VNI:
		return zks_record_vni_decode(text, out, err);
	case CTL_SUBNET:
		return zks_record_subnet_decode(text, out, err);
	case CTL_ADDRESS:
		return zks_record_address_decode(text, out, err);
	case CTL_NODE:
		return zks_record_node_decode(text, out, err);
	case CTL_LEADER:
		return zks_record_leader_decode(text, out, err);
	case CTL_NAME:
		return zks_record_name_decode(text, out, err);
	}
	abort();
}

int ctl_get_record_why(const struct ctl_cluster *c, const char *path, struct zks_stat *st,
		       enum ctl_record kind, void *out, struct zks_error *err)
{
	cleanup_free char *text = NULL;
	int state = get_text(c, path, st, &text);

	memset(out, 0, record_size[kind]);
	if (state < 0)
		zks_error_set(err, ZKS_ERR_INTERNAL, "the record has a NUL byte inside");
	if (state > 0 && record_decode(kind, text, out, err) < 0)
		state = -1;
	return state;
}

int ctl_get_record(const struct ctl_cluster *c, const char *path, struct zks_stat *st,
		   enum ctl_record kind, void *out)
{
	return ctl_get_record_why(c, path, st, kind, out, NULL);
}

long ctl_record_count(const struct zks_record_count *e)
{
	return e->n >= 1 ? e->n : 0;
}

size_t ctl_children(const struct ctl_cluster *c, const char *path, char ***names)
{
	size_t n = 0;

	if (zks_tree_children(c->snap, path, names, &n) < 0) {
		*names = xcalloc(1, sizeof(char *));
		return 0;
	}
	return n;
}

size_t ctl_addresses(const struct ctl_cluster *c, const char *addrs, char ***paths)
{
	char **groups, **v = xcalloc(1, sizeof(char *));
	size_t ngroups = ctl_children(c, addrs, &groups), n = 0;

	for (size_t i = 0; i < ngroups; i++) {
		cleanup_free char *gp = xasprintf("%s/%s", addrs, groups[i]);
		char **ips;
		size_t nips = ctl_children(c, gp, &ips);

		v = xrealloc(v, (n + nips + 1) * sizeof(*v));
		for (size_t k = 0; k < nips; k++)
			v[n++] = xasprintf("%s/%s", gp, ips[k]);
		v[n] = NULL;
		zks_free_strv(ips, nips);
	}
	zks_free_strv(groups, ngroups);
	*paths = v;
	return n;
}

bool ctl_registered(const struct ctl_cluster *c, const char *node)
{
	cleanup_free char *path = NULL;

	if (node == NULL || node[0] == '\0' || strchr(node, '/') != NULL)
		return false;
	path = zks_path_node(node);
	return zks_tree_exists(c->snap, path);
}

long ctl_count(const cJSON *v)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1))
		return 0;
	return v->valuedouble > 1e9 ? 1000000000L : (long)v->valuedouble;
}

bool ctl_int(const cJSON *obj, const char *key, long min, long max, long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	/* Range first: casting a double outside long's range is undefined. */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)min && v->valuedouble <= (double)max))
		return false;
	*out = (long)v->valuedouble;
	return true;
}

const char *ctl_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void ctl_format_age(int64_t ms, char out[32])
{
	int64_t s = ms < 0 ? 0 : ms / 1000;

	if (s < 60)
		snprintf(out, 32, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, 32, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		snprintf(out, 32, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
	else
		snprintf(out, 32, "%lldd%02lldh", (long long)(s / 86400),
			 (long long)(s % 86400 / 3600));
}

void ctl_format_time(int64_t epoch_ms, char out[32])
{
	time_t t = (time_t)(epoch_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
