/*
 * volume.c - VolumeDriver endpoints (docs/PROTOCOL.md §2).
 */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "zkswarm/util.h"
#include "zkswarm/volume_snapshots.h"

int zks_handle_volume_capabilities(void *ctx, const cJSON *req, cJSON **reply,
				   struct zks_error *err)
{
	cJSON *caps;

	(void)ctx;
	(void)req;
	(void)err;
	*reply = cJSON_CreateObject();
	caps = cJSON_AddObjectToObject(*reply, "Capabilities");
	/* One volume namespace for every node that shares the ZooKeeper root. */
	cJSON_AddStringToObject(caps, "Scope", "global");
	return 0;
}

int zks_handle_volume_create(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *name;
	cleanup_free struct zks_kv *opts = NULL;
	size_t n;

	if (zks_req_string(req, "Name", true, &name, err) < 0 ||
	    zks_req_string_map(req, "Opts", &opts, &n, err) < 0 ||
	    zks_volumes_create(app->volumes, name, opts, n, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	return 0;
}

int zks_handle_volume_remove(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *name;

	if (zks_req_string(req, "Name", true, &name, err) < 0 ||
	    zks_volumes_remove(app->volumes, name, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	return 0;
}

static int reply_mountpoint(char *mountpoint, cJSON **reply)
{
	*reply = cJSON_CreateObject();
	cJSON_AddStringToObject(*reply, "Mountpoint", mountpoint);
	free(mountpoint);
	return 0;
}

int zks_handle_volume_mount(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *name, *id;
	char *mountpoint;

	if (zks_req_string(req, "Name", true, &name, err) < 0 ||
	    zks_req_string(req, "ID", true, &id, err) < 0 ||
	    zks_volumes_mount(app->volumes, name, id, &mountpoint, err) < 0)
		return -1;
	return reply_mountpoint(mountpoint, reply);
}

int zks_handle_volume_unmount(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *name, *id;

	if (zks_req_string(req, "Name", true, &name, err) < 0 ||
	    zks_req_string(req, "ID", true, &id, err) < 0 ||
	    zks_volumes_unmount(app->volumes, name, id, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	return 0;
}

int zks_handle_volume_path(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *name;
	char *mountpoint;

	if (zks_req_string(req, "Name", true, &name, err) < 0 ||
	    zks_volumes_path(app->volumes, name, &mountpoint, err) < 0)
		return -1;
	return reply_mountpoint(mountpoint, reply);
}

/*
 * A configuration volume's versions: "version" (on this node's disk, when it has a copy),
 * "latest" (the head as this node's mirror knows it), "current", "behind_s", "error", and
 * "nodes": {node: version} from every node's report.
 */
static void encode_config(cJSON *status, const struct zks_volume_info *info)
{
	const struct zks_config_local *here = &info->config_here;
	cJSON *cfg = cJSON_AddObjectToObject(status, "config"), *nodes;

	if (here->attached) {
		cJSON_AddNumberToObject(cfg, "version", (double)here->version);
		cJSON_AddNumberToObject(cfg, "latest", (double)here->latest);
		cJSON_AddBoolToObject(cfg, "current", here->current);
		if (!here->current)
			cJSON_AddNumberToObject(cfg, "behind_s", (double)(here->behind_ms / 1000));
		if (here->error[0])
			cJSON_AddStringToObject(cfg, "error", here->error);
	} else {
		cJSON_AddNumberToObject(cfg, "latest", (double)here->latest);
	}
	nodes = cJSON_AddObjectToObject(cfg, "nodes");
	for (size_t i = 0; i < info->nconfig_nodes; i++)
		cJSON_AddNumberToObject(nodes, info->config_nodes[i].node,
					(double)info->config_nodes[i].version);
}

/* The Volume object; CreatedAt only when known (an empty string breaks the engine's decoder). */
/* "1.4M": bytes in the largest unit they reach, for a person to read. */
static char *human_size(unsigned long long bytes)
{
	static const char units[] = "KMGT";
	double n = (double)bytes;
	int u = -1;

	while (n >= 1024 && u < 3) {
		n /= 1024;
		u++;
	}
	return u < 0 ? xasprintf("%llu", bytes) : xasprintf("%.1f%c", n, units[u]);
}

/* "size" and "used" for a person (64M, 1.4M), and in bytes for scripts. */
static void encode_usage(cJSON *status, const struct zks_volume_info *info)
{
	cleanup_free char *size = NULL;
	cleanup_free char *used = NULL;

	if (!info->usage_known)
		return;
	size = human_size(info->usage.size);
	used = human_size(info->usage.used);
	cJSON_AddStringToObject(status, "size", size);
	cJSON_AddNumberToObject(status, "size_bytes", (double)info->usage.size);
	cJSON_AddStringToObject(status, "used", used);
	cJSON_AddNumberToObject(status, "used_bytes", (double)info->usage.used);
	cJSON_AddStringToObject(status, "used_measured_on",
				info->usage.mounted ? "the mounted filesystem" : "the image file");
	if (info->fence)
		cJSON_AddStringToObject(status, "fence", info->fence);
	cJSON_AddNumberToObject(status, "snapshots", (double)info->snapshots);
}

static cJSON *encode_volume(const struct zks_volume_info *info, bool with_status)
{
	cJSON *vol = cJSON_CreateObject(), *status, *opts, *holders;

	cJSON_AddStringToObject(vol, "Name", info->name);
	cJSON_AddStringToObject(vol, "Mountpoint", info->mountpoint);
	if (info->created_at != NULL && info->created_at[0] != '\0')
		cJSON_AddStringToObject(vol, "CreatedAt", info->created_at);
	if (!with_status)
		return vol;
	status = cJSON_AddObjectToObject(vol, "Status");
	if (info->created_by)
		cJSON_AddStringToObject(status, "created_by", info->created_by);
	if (info->created_at)
		cJSON_AddStringToObject(status, "created_at", info->created_at);
	opts = cJSON_AddObjectToObject(status, "options");
	for (size_t i = 0; i < info->noptions; i++)
		cJSON_AddStringToObject(opts, info->options[i].key, info->options[i].value);
	holders = cJSON_AddArrayToObject(status, "holders");
	for (size_t i = 0; i < info->nholders; i++) {
		cJSON *h = cJSON_CreateObject();

		cJSON_AddStringToObject(h, "node", info->holders[i].node);
		cJSON_AddNumberToObject(h, "mounts", (double)info->holders[i].mounts);
		if (info->holders[i].exclusive)
			cJSON_AddBoolToObject(h, "exclusive", true);
		cJSON_AddItemToArray(holders, h);
	}
	cJSON_AddNumberToObject(status, "mounted_on_this_node", (double)info->mounted_here);
	cJSON_AddStringToObject(status, "zookeeper", info->zookeeper);
	if (info->stale)
		cJSON_AddBoolToObject(status, "stale", true);
	if (info->fenced)
		cJSON_AddStringToObject(status, "leases",
					"considered lost here: cut off from ZooKeeper too long");
	if (info->corrupt)
		cJSON_AddStringToObject(status, "error", "the record in ZooKeeper is unreadable");
	if (info->config)
		encode_config(status, info);
	if (info->image)
		encode_usage(status, info);
	return vol;
}

int zks_handle_volume_get(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	struct zks_volume_info *info;
	const char *name;

	if (zks_req_string(req, "Name", true, &name, err) < 0 ||
	    zks_volumes_get(app->volumes, name, &info, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	cJSON_AddItemToObject(*reply, "Volume", encode_volume(info, true));
	zks_volume_info_free(info);
	free(info);
	return 0;
}

int zks_handle_volume_list(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	struct zks_volume_info *infos;
	cJSON *arr;
	size_t n;

	(void)req;
	if (zks_volumes_list(app->volumes, &infos, &n, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(*reply, "Volumes");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, encode_volume(&infos[i], false));
	zks_volume_info_free_array(infos, n);
	return 0;
}

/* ---- zkswarm's own: snapshots of image volumes (zkswarmctl volume snapshot, rm-snapshot) ---- */

static int snapshots_of(struct zks_app *app, struct zks_error *err)
{
	if (app->snapshots == NULL)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "snapshots are not served by this daemon");
	return 0;
}

int zks_handle_volume_snapshot(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	struct zks_record_snapshot rec;
	const char *name, *snap;
	char *text;

	if (snapshots_of(app, err) < 0 || zks_req_string(req, "Name", true, &name, err) < 0 ||
	    zks_req_string(req, "Snapshot", false, &snap, err) < 0 ||
	    zks_volume_snapshots_take(app->snapshots, name, snap, 0, &rec, err) < 0)
		return -1;
	text = zks_record_snapshot_encode(&rec);
	zks_record_snapshot_clear(&rec);
	*reply = cJSON_CreateObject();
	cJSON_AddItemToObject(*reply, "Snapshot", cJSON_Parse(text));
	free(text);
	return 0;
}

int zks_handle_volume_remove_snapshot(void *ctx, const cJSON *req, cJSON **reply,
				      struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *name, *snap;

	if (snapshots_of(app, err) < 0 || zks_req_string(req, "Name", true, &name, err) < 0 ||
	    zks_req_string(req, "Snapshot", true, &snap, err) < 0 ||
	    zks_volume_snapshots_remove(app->snapshots, name, snap, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	return 0;
}
