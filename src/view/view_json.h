/*
 * view_json.h - the cJSON step the view builders (view.c, view_cluster.c)
 * share: a string member that is null when the record did not say.
 */
#ifndef ZKSWARM_VIEW_JSON_H
#define ZKSWARM_VIEW_JSON_H

#include <cjson/cJSON.h>

/* key: value, or key: null when value is NULL (the page and --json show "missing"). */
static inline void view_add_str(cJSON *obj, const char *key, const char *value)
{
	if (value != NULL)
		cJSON_AddStringToObject(obj, key, value);
	else
		cJSON_AddNullToObject(obj, key);
}

#endif
