/*
 * records_json.h - the few cJSON steps the record codecs (records_*.c) share:
 * parsing untrusted data into an object, copying an optional string, printing.
 */
#ifndef ZKSWARM_RECORDS_JSON_H
#define ZKSWARM_RECORDS_JSON_H

#include <cjson/cJSON.h>
#include <stdlib.h>

#include "zkswarm/util.h"

/* The document if data is a JSON object, else NULL. */
static inline cJSON *record_object(const char *data)
{
	cJSON *doc = data ? cJSON_Parse(data) : NULL;

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

/* A copy of the string under key, or NULL when absent or not a string. */
static inline char *record_str(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

/* Add key: value unless value is NULL. */
static inline void record_add_str(cJSON *doc, const char *key, const char *value)
{
	if (value)
		cJSON_AddStringToObject(doc, key, value);
}

/* The document's text (to free); the document is deleted. */
static inline char *record_print(cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);

	cJSON_Delete(doc);
	if (text == NULL)
		abort();
	return text;
}

#endif
