/*
 * records_volume.c - the JSON of a volume's records (records.h): the volume
 * (/volumes/NAME) and a lease or the holder (/volumes/NAME/leases/NODE,
 * /volumes/NAME/holder); an image volume's snapshot (/snapshots/VOLUME@SNAP).
 */
#include <string.h>

#include "records_json.h"
#include "zkswarm/records.h"

#define OPTIONS_MAX 16

char *zks_record_volume_encode(const struct zks_record_volume *rec)
{
	cJSON *doc = cJSON_CreateObject(), *o;
	struct zks_kv *kv;
	size_t n = zks_volume_options_format(&rec->opts, &kv);

	record_add_str(doc, "name", rec->name);
	o = cJSON_AddObjectToObject(doc, "options");
	for (size_t i = 0; i < n; i++)
		cJSON_AddStringToObject(o, kv[i].key, kv[i].value);
	record_add_str(doc, "created_at", rec->created_at);
	record_add_str(doc, "created_by", rec->created_by);
	/* A write's own token: after a lost connection the read-back recognises it. */
	record_add_str(doc, "token", rec->token);
	zks_volume_options_free_kv(kv, n);
	return record_print(doc);
}

/* The options object: at most OPTIONS_MAX strings, parsed as a Create's would be. */
static int volume_options_decode(const char *name, const cJSON *opts,
				 struct zks_volume_options *out, struct zks_error *err)
{
	struct zks_kv kv[OPTIONS_MAX];
	size_t n = 0;
	const cJSON *o;

	cJSON_ArrayForEach(o, opts)
	{
		if (n == OPTIONS_MAX || !cJSON_IsString(o))
			return zks_error_set(
				err, ZKS_ERR_INTERNAL,
				"the record of volume `%s` in ZooKeeper has malformed options",
				name);
		kv[n].key = o->string;
		kv[n].value = o->valuestring;
		n++;
	}
	if (zks_volume_options_parse(kv, n, out, err) < 0) {
		/* Bad data in ZooKeeper, not a bad request: the caller reports the volume as corrupt. */
		zks_error_prefix(err, "the record of volume `%s` in ZooKeeper is invalid", name);
		err->code = ZKS_ERR_INTERNAL;
		return -1;
	}
	return 0;
}

int zks_record_volume_decode(const char *name, const char *data, struct zks_record_volume *out,
			     struct zks_error *err)
{
	cJSON *doc = record_object(data);
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(doc, "options");

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(opts)) {
		cJSON_Delete(doc);
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "the record of volume `%s` in ZooKeeper is corrupt", name);
	}
	if (volume_options_decode(name, opts, &out->opts, err) < 0) {
		cJSON_Delete(doc);
		return -1;
	}
	out->name = record_str(doc, "name");
	out->created_at = record_str(doc, "created_at");
	out->created_by = record_str(doc, "created_by");
	out->token = record_str(doc, "token");
	cJSON_Delete(doc);
	return 0;
}

void zks_record_volume_clear(struct zks_record_volume *rec)
{
	free(rec->name);
	free(rec->created_at);
	free(rec->created_by);
	free(rec->token);
	memset(rec, 0, sizeof(*rec));
}

char *zks_record_lease_encode(const struct zks_record_lease *rec)
{
	cJSON *doc = cJSON_CreateObject(), *arr;

	record_add_str(doc, "node", rec->node);
	arr = cJSON_AddArrayToObject(doc, "mounts");
	for (size_t i = 0; i < rec->nmounts; i++)
		cJSON_AddItemToArray(arr, rec->mounts[i] ? cJSON_CreateString(rec->mounts[i])
							 : cJSON_CreateNull());
	record_add_str(doc, "updated_at", rec->updated_at);
	return record_print(doc);
}

int zks_record_lease_decode(const char *data, struct zks_record_lease *out, struct zks_error *err)
{
	cJSON *doc = record_object(data);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "mounts"), *id;
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	if (doc == NULL)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a lease in ZooKeeper is not a JSON object");
	out->node = record_str(doc, "node");
	if (cJSON_IsArray(m)) {
		out->nmounts = (size_t)cJSON_GetArraySize(m);
		out->mounts = xcalloc(out->nmounts ? out->nmounts : 1, sizeof(*out->mounts));
		cJSON_ArrayForEach(id, m)
		{
			out->mounts[i++] = cJSON_IsString(id) ? xstrdup(id->valuestring) : NULL;
		}
	}
	out->updated_at = record_str(doc, "updated_at");
	cJSON_Delete(doc);
	return 0;
}

void zks_record_lease_clear(struct zks_record_lease *rec)
{
	free(rec->node);
	for (size_t i = 0; i < rec->nmounts; i++)
		free(rec->mounts[i]);
	free(rec->mounts);
	free(rec->updated_at);
	memset(rec, 0, sizeof(*rec));
}

static const char *const snapshot_states[] = {"requested", "taking", "done", "failed"};

const char *zks_snapshot_state_name(enum zks_snapshot_state s)
{
	return (size_t)s < ARRAY_SIZE(snapshot_states) ? snapshot_states[s] : "unknown";
}

char *zks_record_snapshot_encode(const struct zks_record_snapshot *rec)
{
	cJSON *doc = cJSON_CreateObject();

	record_add_str(doc, "volume", rec->volume);
	record_add_str(doc, "snapshot", rec->snapshot);
	cJSON_AddStringToObject(doc, "state", zks_snapshot_state_name(rec->state));
	record_add_str(doc, "requested_by", rec->requested_by);
	record_add_str(doc, "requested_at", rec->requested_at);
	record_add_str(doc, "by", rec->by);
	record_add_str(doc, "taken_at", rec->taken_at);
	if (rec->size)
		cJSON_AddNumberToObject(doc, "size", (double)rec->size);
	record_add_str(doc, "method", rec->method);
	record_add_str(doc, "error", rec->error);
	return record_print(doc);
}

int zks_record_snapshot_decode(const char *data, struct zks_record_snapshot *out,
			       struct zks_error *err)
{
	cJSON *doc = record_object(data);
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(doc, "state");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(doc, "size");
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; cJSON_IsString(state) && i < ARRAY_SIZE(snapshot_states); i++)
		if (!strcmp(state->valuestring, snapshot_states[i]))
			break;
	if (!cJSON_IsString(state) || i == ARRAY_SIZE(snapshot_states)) {
		cJSON_Delete(doc);
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a snapshot's record in ZooKeeper is corrupt");
	}
	out->state = (enum zks_snapshot_state)i;
	out->volume = record_str(doc, "volume");
	out->snapshot = record_str(doc, "snapshot");
	out->requested_by = record_str(doc, "requested_by");
	out->requested_at = record_str(doc, "requested_at");
	out->by = record_str(doc, "by");
	out->taken_at = record_str(doc, "taken_at");
	/* Within what a volume may be (16T): larger or negative reads as unknown. */
	if (cJSON_IsNumber(size) && size->valuedouble > 0 &&
	    size->valuedouble <= (double)ZKS_IMAGE_SIZE_MAX)
		out->size = (unsigned long long)size->valuedouble;
	out->method = record_str(doc, "method");
	out->error = record_str(doc, "error");
	cJSON_Delete(doc);
	return 0;
}

void zks_record_snapshot_clear(struct zks_record_snapshot *rec)
{
	free(rec->volume);
	free(rec->snapshot);
	free(rec->requested_by);
	free(rec->requested_at);
	free(rec->by);
	free(rec->taken_at);
	free(rec->method);
	free(rec->error);
	memset(rec, 0, sizeof(*rec));
}
