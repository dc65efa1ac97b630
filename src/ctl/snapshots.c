/*
 * snapshots.c - `zkswarmctl volume`: one volume in detail (show.c), and the snapshots of an
 * image volume: take one and remove one (asked of the local daemon over its socket, which has
 * the node that has the volume mounted take it: volume_snapshots.h), list them (from the
 * records in ZooKeeper).
 */
#include <cjson/cJSON.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/ctl.h"
#include "zkswarm/ctl_probe.h"
#include "zkswarm/ctl_table.h"
#include "zkswarm/names.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"
#include "zkswarm/volume_snapshots.h"
#include "zkswarm/volumes.h"

/* Where a managed plugin's socket is (the engine names the directory after the plugin's ID). */
#define PLUGIN_SOCKETS "/run/docker/plugins/*/zkswarm.sock"

enum sub { SUB_SHOW, SUB_TAKE, SUB_LIST, SUB_REMOVE };

static const struct {
	const char *word;
	enum sub sub;
	int min, max; /* the words after it */
	const char *usage;
} subs[] = {
	{"snapshot", SUB_TAKE, 1, 2, "volume snapshot NAME [SNAPSHOT]"},
	{"snapshots", SUB_LIST, 1, 1, "volume snapshots NAME"},
	{"rm-snapshot", SUB_REMOVE, 2, 2, "volume rm-snapshot NAME SNAPSHOT"},
};

/* Which sub-command argv is: one word is a volume's name (even `snapshots`). */
static int which(int argc, char **argv, enum sub *out, struct zks_error *err)
{
	if (argc == 1) {
		*out = SUB_SHOW;
		return 0;
	}
	for (size_t i = 0; argc > 1 && i < ARRAY_SIZE(subs); i++) {
		if (strcmp(argv[0], subs[i].word) != 0)
			continue;
		if (argc - 1 < subs[i].min || argc - 1 > subs[i].max)
			return zks_error_set(err, ZKS_ERR_INVALID, "usage: zkswarmctl %s",
					     subs[i].usage);
		*out = subs[i].sub;
		return 0;
	}
	return zks_error_set(
		err, ZKS_ERR_INVALID,
		"usage: zkswarmctl volume NAME, or volume snapshot|snapshots|rm-snapshot "
		"NAME ...");
}

int ctl_volume_check(int argc, char **argv, const struct ctl_opts *o, struct zks_error *err)
{
	enum sub sub;

	if (which(argc, argv, &sub, err) < 0)
		return -1;
	if (sub == SUB_SHOW) {
		if (o->socket != NULL)
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "--socket is for volume snapshot and rm-snapshot");
		return 0;
	}
	if (zks_validate_name("volume", argv[1], 1, ZKS_VOLUME_NAME_MAX, err) < 0 ||
	    (argc > 2 && zks_snapshot_name_check(argv[2], err) < 0))
		return -1;
	if (sub == SUB_LIST && o->socket != NULL)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "--socket is for volume snapshot and rm-snapshot");
	return 0;
}

/* --socket, or the one managed zkswarm plugin's socket on this host. */
static const char *daemon_socket(const struct ctl_opts *o, char *buf, size_t len)
{
	glob_t g;
	const char *s = NULL;

	if (o->socket != NULL)
		return o->socket;
	if (glob(PLUGIN_SOCKETS, 0, NULL, &g) == 0 && g.gl_pathc == 1) {
		snprintf(buf, len, "%s", g.gl_pathv[0]);
		s = buf;
	}
	if (s == NULL)
		fprintf(stderr, "zkswarmctl: %s; give the daemon's with --socket PATH\n",
			g.gl_pathc > 1 ? "several zkswarm plugins run here"
				       : "no zkswarm plugin's socket found here");
	globfree(&g);
	return s;
}

/* The daemon carries it out: its reply, or NULL (the reason printed). */
static cJSON *ask(const struct ctl_opts *o, const char *endpoint, const char *volume,
		  const char *snap)
{
	char sock[4096], why[ZKS_ERROR_MSG_MAX];
	const char *path = daemon_socket(o, sock, sizeof(sock));
	cJSON *body, *reply;
	char *text;
	int timeout_ms = o->timeout_ms;

	if (path == NULL)
		return NULL;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "Name", volume);
	if (snap != NULL)
		cJSON_AddStringToObject(body, "Snapshot", snap);
	text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	/* A snapshot is answered when it is taken: the daemon waits that long for it. */
	if (timeout_ms < ZKS_SNAPSHOT_WAIT_MS + 10000)
		timeout_ms = ZKS_SNAPSHOT_WAIT_MS + 10000;
	reply = ctl_daemon_call(path, endpoint, text, timeout_ms, NULL, why, sizeof(why));
	free(text);
	if (reply == NULL)
		fprintf(stderr, "zkswarmctl: %s\n", why);
	return reply;
}

static int take(const struct ctl_opts *o, const char *volume, const char *snap)
{
	cJSON *reply = ask(o, "Zkswarm.VolumeSnapshot", volume, snap);
	const cJSON *rec = cJSON_GetObjectItemCaseSensitive(reply, "Snapshot");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(rec, "size");

	if (reply == NULL)
		return CTL_EXIT_PROBLEM;
	if (o->json) {
		ctl_print_json(rec);
	} else {
		cleanup_free char *human =
			cJSON_IsNumber(size)
				? zks_size_format((unsigned long long)size->valuedouble)
				: xstrdup("?");

		printf("%s@%s: taken on node `%s` (%s, %s)\n", volume,
		       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "snapshot")),
		       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "by")),
		       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "method")),
		       human);
	}
	cJSON_Delete(reply);
	return CTL_EXIT_OK;
}

static int remove_one(const struct ctl_opts *o, const char *volume, const char *snap)
{
	cJSON *reply = ask(o, "Zkswarm.VolumeRemoveSnapshot", volume, snap);

	if (reply == NULL)
		return CTL_EXIT_PROBLEM;
	cJSON_Delete(reply);
	if (!o->json)
		printf("%s@%s: removed\n", volume, snap);
	else
		printf("{\"volume\": \"%s\", \"snapshot\": \"%s\", \"removed\": true}\n", volume,
		       snap);
	return CTL_EXIT_OK;
}

/* The volume's snapshot records, as a JSON array of them (oldest request first). */
static cJSON *list_of(struct ctl_cluster *c, const char *volume)
{
	cJSON *out = cJSON_CreateArray();
	char **names = NULL;
	size_t n = zks_snap_children(&c->snap, ZKS_SNAPSHOTS, &names);

	for (size_t i = 0; i < n; i++) {
		const char *snap = zks_snapshot_of(names[i], volume);
		cleanup_free char *path = NULL;
		cleanup_free char *data = NULL;
		struct zks_record_snapshot rec;
		struct zks_error err;
		char *text;

		if (snap == NULL)
			continue;
		path = zks_path_snapshot(volume, snap);
		if (zks_snap_get(&c->snap, path, &data, NULL, NULL) < 0)
			continue;
		if (zks_record_snapshot_decode(data, &rec, &err) < 0) {
			fprintf(stderr, "zkswarmctl: %s: %s\n", path, err.msg);
			continue;
		}
		text = zks_record_snapshot_encode(&rec);
		cJSON_AddItemToArray(out, cJSON_Parse(text));
		free(text);
		zks_record_snapshot_clear(&rec);
	}
	zks_free_strv(names, n);
	return out;
}

static const char *str(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));

	return s != NULL ? s : "-";
}

static int list(struct ctl_cluster *c, const struct ctl_opts *o, const char *volume)
{
	static const char *const headers[] = {"SNAPSHOT", "STATE",    "SIZE",	     "METHOD",
					      "TAKEN ON", "TAKEN AT", "REQUESTED ON"};
	cleanup_free char *vpath = zks_path_volume(volume);
	cJSON *all, *rec;
	struct ctl_table *t;

	if (!zks_snap_exists(&c->snap, vpath)) {
		fprintf(stderr, "zkswarmctl: no such volume `%s`\n", volume);
		return CTL_EXIT_PROBLEM;
	}
	all = list_of(c, volume);
	if (o->json) {
		ctl_print_json(all);
		cJSON_Delete(all);
		return CTL_EXIT_OK;
	}
	t = ctl_table_new(ARRAY_SIZE(headers), headers);
	cJSON_ArrayForEach(rec, all)
	{
		const cJSON *size = cJSON_GetObjectItemCaseSensitive(rec, "size");
		cleanup_free char *human =
			cJSON_IsNumber(size)
				? zks_size_format((unsigned long long)size->valuedouble)
				: xstrdup("-");

		ctl_table_add(t, str(rec, "snapshot"), str(rec, "state"), human, str(rec, "method"),
			      str(rec, "by"), str(rec, "taken_at"), str(rec, "requested_by"));
	}
	if (ctl_table_rows(t) > 0)
		ctl_table_print(t, stdout);
	else
		printf("volume `%s` has no snapshots\n", volume);
	ctl_table_free(t);
	cJSON_Delete(all);
	return CTL_EXIT_OK;
}

int ctl_cmd_volume_words(const struct ctl_opts *o, int argc, char **argv)
{
	struct ctl_cluster c;
	struct zks_error err;
	enum sub sub;
	int rc;

	if (which(argc, argv, &sub, &err) < 0)
		return CTL_EXIT_USAGE; /* judged already by ctl_volume_check */
	if (sub == SUB_TAKE)
		return take(o, argv[1], argc > 2 ? argv[2] : NULL);
	if (sub == SUB_REMOVE)
		return remove_one(o, argv[1], argv[2]);
	rc = ctl_connect(o, true, &c);
	if (rc != CTL_EXIT_OK)
		return rc;
	rc = sub == SUB_SHOW ? ctl_cmd_volume(&c, o, argv[0]) : list(&c, o, argv[1]);
	fflush(stdout);
	ctl_cluster_close(&c);
	return rc;
}
