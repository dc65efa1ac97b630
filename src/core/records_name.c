/*
 * records_name.c - the JSON of a name record (records.h): who an endpoint is,
 * at /names/KEY/ENDPOINT, for the registry's readers (the DNS server,
 * zkswarmctl, clients outside Docker).
 *
 * The decoder is strict where the DNS server trusts the data: the name, the
 * address it answers with, the node and the endpoint it joins to, the aliases
 * and the ports it answers for.  Each must be there and well formed, or the
 * record is refused as a whole (ZKS_ERR_INTERNAL, naming the field).  The
 * other fields are shown, never trusted, and read as absent when they are
 * not strings, as in the other records.
 */
#include <string.h>

#include "records_json.h"
#include "zkswarm/records.h"

#define ALIAS_MAX_LEN 253

/* ---- encoding ---------------------------------------------------------------------------------- */

static void ports_encode(cJSON *doc, const struct zks_record_name *rec)
{
	cJSON *arr = cJSON_AddArrayToObject(doc, "ports");

	for (size_t i = 0; i < rec->nports; i++) {
		cJSON *p = cJSON_CreateObject();

		cJSON_AddNumberToObject(p, "port", rec->ports[i].port);
		cJSON_AddStringToObject(p, "proto", rec->ports[i].proto);
		cJSON_AddItemToArray(arr, p);
	}
}

char *zks_record_name_encode(const struct zks_record_name *rec)
{
	cJSON *doc = cJSON_CreateObject(), *aliases;

	record_add_str(doc, "name", rec->name);
	aliases = cJSON_AddArrayToObject(doc, "aliases");
	for (size_t i = 0; i < rec->naliases; i++)
		cJSON_AddItemToArray(aliases, cJSON_CreateString(rec->aliases[i]));
	record_add_str(doc, "hostname", rec->hostname);
	record_add_str(doc, "container", rec->container);
	record_add_str(doc, "endpoint", rec->endpoint);
	record_add_str(doc, "network", rec->network);
	record_add_str(doc, "network_name", rec->network_name);
	record_add_str(doc, "address", rec->address);
	record_add_str(doc, "node", rec->node);
	record_add_str(doc, "service", rec->service);
	record_add_str(doc, "service_id", rec->service_id);
	record_add_str(doc, "task", rec->task);
	ports_encode(doc, rec);
	record_add_str(doc, "updated_at", rec->updated_at);
	record_add_str(doc, "token", rec->token);
	return record_print(doc);
}

/* ---- decoding ---------------------------------------------------------------------------------- */

/* The non-empty string member key, copied into *out; -1 with err if it is not one. */
static int required_str(const cJSON *doc, const char *key, char **out, struct zks_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a name record needs `%s`, a non-empty string", key);
	*out = xstrdup(v->valuestring);
	return 0;
}

static int required_decode(const cJSON *doc, struct zks_record_name *out, struct zks_error *err)
{
	uint32_t ip;
	uint8_t len;

	if (required_str(doc, "name", &out->name, err) < 0 ||
	    required_str(doc, "endpoint", &out->endpoint, err) < 0 ||
	    required_str(doc, "node", &out->node, err) < 0 ||
	    required_str(doc, "address", &out->address, err) < 0)
		return -1;
	if (zks_ip_prefix_parse(out->address, &ip, &len, NULL) < 0)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "the name record of `%.64s` has address `%.40s`, not "
				     "a.b.c.d/len",
				     out->name, out->address);
	return 0;
}

/* "aliases": absent (none), or an array of at most ZKS_NAME_ALIASES_MAX non-empty strings. */
static int aliases_decode(const cJSON *doc, struct zks_record_name *out, struct zks_error *err)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "aliases"), *a;
	int n;

	if (arr == NULL)
		return 0;
	n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;
	if (n < 0 || n > ZKS_NAME_ALIASES_MAX)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "the name record of `%.64s` has `aliases` that is not an "
				     "array of at most %d names",
				     out->name, ZKS_NAME_ALIASES_MAX);
	out->aliases = xcalloc(n ? (size_t)n : 1, sizeof(*out->aliases));
	cJSON_ArrayForEach(a, arr)
	{
		if (!cJSON_IsString(a) || a->valuestring[0] == '\0' ||
		    strlen(a->valuestring) > ALIAS_MAX_LEN)
			return zks_error_set(err, ZKS_ERR_INTERNAL,
					     "the name record of `%.64s` has alias %zu that is not "
					     "a string of 1 to %d characters",
					     out->name, out->naliases + 1, ALIAS_MAX_LEN);
		out->aliases[out->naliases++] = xstrdup(a->valuestring);
	}
	return 0;
}

/* One {"port": 1..65535, "proto": "tcp"|"udp"|"sctp"}; false if it is not one. */
static bool port_decode(const cJSON *p, struct zks_record_port *out)
{
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(p, "port");
	const cJSON *proto = cJSON_GetObjectItemCaseSensitive(p, "proto");

	/* Range first: casting a double outside int's range is undefined. */
	if (!cJSON_IsNumber(port) || !(port->valuedouble >= 1 && port->valuedouble <= 65535) ||
	    port->valuedouble != (double)(int)port->valuedouble || !cJSON_IsString(proto))
		return false;
	if (strcmp(proto->valuestring, "tcp") != 0 && strcmp(proto->valuestring, "udp") != 0 &&
	    strcmp(proto->valuestring, "sctp") != 0)
		return false;
	out->port = (uint16_t)port->valuedouble;
	strcpy(out->proto, proto->valuestring);
	return true;
}

/* "ports": absent (none), or an array of at most ZKS_NAME_PORTS_MAX ports. */
static int ports_decode(const cJSON *doc, struct zks_record_name *out, struct zks_error *err)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "ports"), *p;
	int n;

	if (arr == NULL)
		return 0;
	n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;
	if (n < 0 || n > ZKS_NAME_PORTS_MAX)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "the name record of `%.64s` has `ports` that is not an array "
				     "of at most %d ports",
				     out->name, ZKS_NAME_PORTS_MAX);
	out->ports = xcalloc(n ? (size_t)n : 1, sizeof(*out->ports));
	cJSON_ArrayForEach(p, arr)
	{
		if (!cJSON_IsObject(p) || !port_decode(p, &out->ports[out->nports]))
			return zks_error_set(
				err, ZKS_ERR_INTERNAL,
				"the name record of `%.64s` has port %zu that is not "
				"{\"port\": 1 to 65535, \"proto\": \"tcp\", \"udp\" or "
				"\"sctp\"}",
				out->name, out->nports + 1);
		out->nports++;
	}
	return 0;
}

int zks_record_name_decode(const char *data, struct zks_record_name *out, struct zks_error *err)
{
	cJSON *doc = record_object(data);

	memset(out, 0, sizeof(*out));
	if (doc == NULL)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a name record in ZooKeeper is not a JSON object");
	if (required_decode(doc, out, err) < 0 || aliases_decode(doc, out, err) < 0 ||
	    ports_decode(doc, out, err) < 0) {
		cJSON_Delete(doc);
		zks_record_name_clear(out);
		return -1;
	}
	out->hostname = record_str(doc, "hostname");
	out->container = record_str(doc, "container");
	out->network = record_str(doc, "network");
	out->network_name = record_str(doc, "network_name");
	out->service = record_str(doc, "service");
	out->service_id = record_str(doc, "service_id");
	out->task = record_str(doc, "task");
	out->updated_at = record_str(doc, "updated_at");
	out->token = record_str(doc, "token");
	cJSON_Delete(doc);
	return 0;
}

void zks_record_name_clear(struct zks_record_name *rec)
{
	zks_free_strv(rec->aliases, rec->naliases);
	free(rec->name);
	free(rec->hostname);
	free(rec->container);
	free(rec->endpoint);
	free(rec->network);
	free(rec->network_name);
	free(rec->address);
	free(rec->node);
	free(rec->service);
	free(rec->service_id);
	free(rec->task);
	free(rec->ports);
	free(rec->updated_at);
	free(rec->token);
	memset(rec, 0, sizeof(*rec));
}
