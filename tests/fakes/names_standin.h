/*
 * names_standin.h - a stand-in, for tests/unit/test_dns.c and tests/fuzz/fuzz_dns.c only, of
 * the name records' paths and decoder (records.h, "name records"), which another branch
 * implements in src/core/records.c and src/core/records_name.c.  Every definition is weak: once
 * that branch is merged its definitions are the ones linked wherever their object file is
 * (records.o always is), and this file should be deleted then.  It reads the layout documented
 * in docs/NAMING-STUDY.md §5, no more strictly than needed by the DNS tests.  Include it in
 * one file of a program.
 */
#ifndef ZKSWARM_NAMES_STANDIN_H
#define ZKSWARM_NAMES_STANDIN_H

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define STANDIN __attribute__((weak))

STANDIN char *zks_path_names(const char *key)
{
	return xasprintf(ZKS_NAMES "/%s", key);
}

STANDIN char *zks_path_name(const char *key, const char *endpoint_id)
{
	return xasprintf(ZKS_NAMES "/%s/%s", key, endpoint_id);
}

static char *standin_str(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

static void standin_lists(const cJSON *doc, struct zks_record_name *out)
{
	const cJSON *aliases = cJSON_GetObjectItemCaseSensitive(doc, "aliases");
	const cJSON *ports = cJSON_GetObjectItemCaseSensitive(doc, "ports");
	const cJSON *it;

	out->aliases = xcalloc(ZKS_NAME_ALIASES_MAX, sizeof(char *));
	cJSON_ArrayForEach(it,
			   aliases) if (cJSON_IsString(it) && out->naliases < ZKS_NAME_ALIASES_MAX)
		out->aliases[out->naliases++] = xstrdup(it->valuestring);
	out->ports = xcalloc(ZKS_NAME_PORTS_MAX, sizeof(*out->ports));
	cJSON_ArrayForEach(it, ports)
	{
		const cJSON *port = cJSON_GetObjectItemCaseSensitive(it, "port");
		const cJSON *proto = cJSON_GetObjectItemCaseSensitive(it, "proto");

		if (!cJSON_IsNumber(port) || !cJSON_IsString(proto) ||
		    out->nports == ZKS_NAME_PORTS_MAX || strlen(proto->valuestring) > 4)
			continue;
		out->ports[out->nports].port = (uint16_t)port->valueint;
		strcpy(out->ports[out->nports++].proto, proto->valuestring);
	}
}

STANDIN void zks_record_name_clear(struct zks_record_name *rec)
{
	char **strs[] = {&rec->name,	&rec->hostname,	    &rec->container, &rec->endpoint,
			 &rec->network, &rec->network_name, &rec->address,   &rec->node,
			 &rec->service, &rec->service_id,   &rec->task,	     &rec->updated_at,
			 &rec->token};

	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		free(*strs[i]);
	zks_free_strv(rec->aliases, rec->naliases);
	free(rec->ports);
	memset(rec, 0, sizeof(*rec));
}

STANDIN int zks_record_name_decode(const char *data, struct zks_record_name *out,
				   struct zks_error *err)
{
	cJSON *doc = cJSON_Parse(data);

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return zks_error_set(err, ZKS_ERR_INTERNAL, "a name record must be an object");
	}
	out->name = standin_str(doc, "name");
	out->hostname = standin_str(doc, "hostname");
	out->endpoint = standin_str(doc, "endpoint");
	out->network_name = standin_str(doc, "network_name");
	out->address = standin_str(doc, "address");
	out->node = standin_str(doc, "node");
	out->service = standin_str(doc, "service");
	out->task = standin_str(doc, "task");
	standin_lists(doc, out);
	cJSON_Delete(doc);
	if (out->name == NULL || out->address == NULL || out->node == NULL ||
	    out->endpoint == NULL) {
		zks_record_name_clear(out);
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a name record needs a name, an address, a node, an endpoint");
	}
	return 0;
}

#endif
