/*
 * decode.c - reading fields of the engine's requests.  Go encodes absent
 * maps as null, and its field matching is case-insensitive, so we accept
 * both the documented spelling and any case.
 */
#include <stdlib.h>
#include <string.h>

#include "zkswarm/api.h"
#include "zkswarm/util.h"

#define MAP_MAX 64

int zks_req_string(const cJSON *req, const char *field, bool required, const char **out,
		   struct zks_error *err)
{
	const cJSON *v = cJSON_GetObjectItem(req, field);

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v)) {
		if (required)
			return zks_error_set(err, ZKS_ERR_INVALID, "missing field `%s`", field);
		return 0;
	}
	if (!cJSON_IsString(v))
		return zks_error_set(err, ZKS_ERR_INVALID, "field `%s` must be a string", field);
	if (required && v->valuestring[0] == '\0')
		return zks_error_set(err, ZKS_ERR_INVALID, "field `%s` is empty", field);
	*out = v->valuestring;
	return 0;
}

int zks_req_bool(const cJSON *req, const char *field, bool *out, struct zks_error *err)
{
	const cJSON *v = cJSON_GetObjectItem(req, field);

	*out = false;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsBool(v))
		return zks_error_set(err, ZKS_ERR_INVALID, "field `%s` must be true or false",
				     field);
	*out = cJSON_IsTrue(v);
	return 0;
}

int zks_req_string_map(const cJSON *req, const char *field, struct zks_kv **out, size_t *n,
		       struct zks_error *err)
{
	const cJSON *v = cJSON_GetObjectItem(req, field), *item;
	struct zks_kv *kv;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsObject(v))
		return zks_error_set(err, ZKS_ERR_INVALID, "field `%s` must be an object", field);
	if (cJSON_GetArraySize(v) > MAP_MAX)
		return zks_error_set(err, ZKS_ERR_INVALID, "field `%s` has more than %d entries",
				     field, MAP_MAX);
	kv = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof(*kv));
	cJSON_ArrayForEach(item, v)
	{
		if (!cJSON_IsString(item)) {
			free(kv);
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "`%s` value of `%.64s` must be a string", field,
					     item->string);
		}
		kv[count].key = item->string;
		kv[count].value = item->valuestring;
		count++;
	}
	*out = kv;
	*n = count;
	return 0;
}
