/*
 * records_node.c - the JSON of the records about nodes (records.h): a node's
 * registration (/nodes/NODE), its heartbeat (/heartbeats/NODE) and the reaper's
 * leader (/reaper/leader).
 */
#include <limits.h>
#include <string.h>

#include "records_json.h"
#include "zkswarm/records.h"

char *zks_record_node_encode(const struct zks_record_node *rec)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "address", rec->address ? rec->address : "");
	record_add_str(doc, "instance", rec->instance);
	record_add_str(doc, "started_at", rec->started_at);
	record_add_str(doc, "version", rec->version);
	if (rec->layout > 1)
		cJSON_AddNumberToObject(doc, "layout", rec->layout);
	return record_print(doc);
}

int zks_record_node_decode(const char *data, struct zks_record_node *out, struct zks_error *err)
{
	cJSON *doc = record_object(data);
	const cJSON *layout;

	memset(out, 0, sizeof(*out));
	if (doc == NULL)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a node's registration in ZooKeeper is not a JSON object");
	out->address = record_str(doc, "address");
	out->instance = record_str(doc, "instance");
	out->started_at = record_str(doc, "started_at");
	out->version = record_str(doc, "version");
	layout = cJSON_GetObjectItemCaseSensitive(doc, "layout");
	out->layout = cJSON_IsNumber(layout) && layout->valuedouble >= 1 &&
				      layout->valuedouble <= INT_MAX &&
				      layout->valuedouble == (double)(int)layout->valuedouble
			      ? (int)layout->valuedouble
			      : 1;
	cJSON_Delete(doc);
	return 0;
}

void zks_record_node_clear(struct zks_record_node *rec)
{
	free(rec->address);
	free(rec->instance);
	free(rec->started_at);
	free(rec->version);
	memset(rec, 0, sizeof(*rec));
}

bool zks_record_node_keeps_layout(const char *data, size_t len)
{
	cleanup_free char *text = xstrndup(data, len);
	struct zks_record_node rec;
	struct zks_error err;
	bool keeps;

	if (zks_record_node_decode(text, &rec, &err) < 0)
		return false;
	keeps = rec.layout >= 2;
	zks_record_node_clear(&rec);
	return keeps;
}

char *zks_record_leader_encode(const struct zks_record_leader *rec)
{
	cJSON *doc = cJSON_CreateObject();

	record_add_str(doc, "node", rec->node);
	return record_print(doc);
}

int zks_record_leader_decode(const char *data, struct zks_record_leader *out, struct zks_error *err)
{
	cJSON *doc = record_object(data);

	out->node = NULL;
	if (doc == NULL)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "the reaper's leader record is not a JSON object");
	out->node = record_str(doc, "node");
	cJSON_Delete(doc);
	return 0;
}

void zks_record_leader_clear(struct zks_record_leader *rec)
{
	free(rec->node);
	rec->node = NULL;
}

char *zks_record_heartbeat_encode(const struct zks_record_heartbeat *rec)
{
	cJSON *doc = cJSON_CreateObject();

	record_add_str(doc, "at", rec->at);
	cJSON_AddNumberToObject(doc, "every_ms", (double)rec->every_ms);
	return record_print(doc);
}

int zks_record_heartbeat_decode(const char *data, struct zks_record_heartbeat *out,
				struct zks_error *err)
{
	cJSON *doc = record_object(data);
	const cJSON *every;

	memset(out, 0, sizeof(*out));
	if (doc == NULL)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a node's heartbeat in ZooKeeper is not a JSON object");
	out->at = record_str(doc, "at");
	every = cJSON_GetObjectItemCaseSensitive(doc, "every_ms");
	/* A period is a whole number of ms up to a day; anything else reads as absent. */
	if (cJSON_IsNumber(every) && every->valuedouble >= 1 && every->valuedouble <= 86400000 &&
	    (double)(int64_t)every->valuedouble == every->valuedouble)
		out->every_ms = (int64_t)every->valuedouble;
	cJSON_Delete(doc);
	return 0;
}

void zks_record_heartbeat_clear(struct zks_record_heartbeat *rec)
{
	free(rec->at);
	memset(rec, 0, sizeof(*rec));
}
