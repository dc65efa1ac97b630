/*
 * records_net.c - the JSON of the network records (records.h): a network
 * (/networks/KEY) and an endpoint (/networks/KEY/endpoints/ID), and the MAC
 * addresses endpoints carry.
 *
 * The decoders require what the network service needs to program a kernel
 * (a network's subnet, VNI and MTU; an endpoint's node, address and MAC) and
 * read everything else leniently, as the service always has: a record of an
 * older or newer daemon with fields this one does not know still works.
 */
#include <stdio.h>
#include <string.h>

#include "records_json.h"
#include "zkswarm/records.h"

/* ---- MAC addresses ----------------------------------------------------------------------------- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A multicast, broadcast or zero MAC would reach every node's FDB and neighbour tables,
 * and the kernel refuses it for a veth at Join anyway.
 */
int zks_mac_parse(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -1;
	return 0;
}

void zks_mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

/* ---- networks ----------------------------------------------------------------------------------- */

static bool number_in(const cJSON *v, double min, double max)
{
	return cJSON_IsNumber(v) && v->valuedouble >= min && v->valuedouble <= max;
}

char *zks_record_network_encode(const struct zks_record_network *rec)
{
	cJSON *doc = cJSON_CreateObject(), *opts;
	char subnet[ZKS_CIDR_STR];

	zks_cidr_format(&rec->subnet, subnet);
	record_add_str(doc, "key", rec->key);
	cJSON_AddStringToObject(doc, "subnet", subnet);
	record_add_str(doc, "gateway", rec->gateway);
	cJSON_AddNumberToObject(doc, "vni", rec->vni);
	cJSON_AddNumberToObject(doc, "mtu", rec->mtu);
	opts = cJSON_AddObjectToObject(doc, "options");
	for (size_t i = 0; i < rec->noptions; i++)
		cJSON_AddStringToObject(opts, rec->options[i].key, rec->options[i].value);
	record_add_str(doc, "created_by", rec->created_by);
	record_add_str(doc, "created_at", rec->created_at);
	record_add_str(doc, "token", rec->token);
	return record_print(doc);
}

/* The string members of "options"; anything else there is not an option and is left out. */
static void options_decode(const cJSON *doc, struct zks_record_network *out)
{
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(doc, "options"), *o;
	const cJSON *map = cJSON_IsObject(opts) ? opts : NULL;
	struct zks_kv *kv;
	size_t n = 0;

	cJSON_ArrayForEach(o, map)
	{
		if (cJSON_IsString(o))
			n++;
	}
	kv = n ? xcalloc(n, sizeof(*kv)) : NULL;
	cJSON_ArrayForEach(o, map)
	{
		if (!cJSON_IsString(o))
			continue;
		kv[out->noptions].key = xstrdup(o->string);
		kv[out->noptions++].value = xstrdup(o->valuestring);
	}
	out->options = kv;
}

int zks_record_network_decode(const char *data, struct zks_record_network *out,
			      struct zks_error *err)
{
	cJSON *doc = record_object(data);
	const cJSON *subnet = cJSON_GetObjectItemCaseSensitive(doc, "subnet");
	const cJSON *vni = cJSON_GetObjectItemCaseSensitive(doc, "vni");
	const cJSON *mtu = cJSON_GetObjectItemCaseSensitive(doc, "mtu");

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsString(subnet) ||
	    zks_cidr_parse(subnet->valuestring, &out->subnet, NULL) < 0 ||
	    !number_in(vni, 1, ZKS_VNI_MAX) || !number_in(mtu, 576, 65535)) {
		cJSON_Delete(doc);
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a network record needs a subnet, a vni (1 to %u) and an mtu "
				     "(576 to 65535)",
				     ZKS_VNI_MAX);
	}
	out->vni = (uint32_t)vni->valuedouble;
	out->mtu = (int)mtu->valuedouble;
	out->key = record_str(doc, "key");
	out->gateway = record_str(doc, "gateway");
	out->created_by = record_str(doc, "created_by");
	out->created_at = record_str(doc, "created_at");
	out->token = record_str(doc, "token");
	options_decode(doc, out);
	cJSON_Delete(doc);
	return 0;
}

void zks_record_network_clear(struct zks_record_network *rec)
{
	for (size_t i = 0; i < rec->noptions; i++) {
		free((char *)rec->options[i].key);
		free((char *)rec->options[i].value);
	}
	free((struct zks_kv *)rec->options);
	free(rec->key);
	free(rec->gateway);
	free(rec->created_by);
	free(rec->created_at);
	free(rec->token);
	memset(rec, 0, sizeof(*rec));
}

/* ---- endpoints ---------------------------------------------------------------------------------- */

char *zks_record_endpoint_encode(const struct zks_record_endpoint *rec)
{
	cJSON *doc = cJSON_CreateObject();
	char mac[18];

	zks_mac_format(rec->mac, mac);
	cJSON_AddStringToObject(doc, "node", rec->node);
	cJSON_AddStringToObject(doc, "address", rec->address);
	cJSON_AddStringToObject(doc, "mac", mac);
	if (rec->network[0])
		cJSON_AddStringToObject(doc, "network", rec->network);
	return record_print(doc);
}

/* Copy the string member key into out (size n): true if it is one and fits. */
static bool copy_string(const cJSON *doc, const char *key, char *out, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	if (!cJSON_IsString(v) || strlen(v->valuestring) >= n)
		return false;
	strcpy(out, v->valuestring);
	return true;
}

int zks_record_endpoint_decode(const char *data, struct zks_record_endpoint *out,
			       struct zks_error *err)
{
	cJSON *doc = record_object(data);
	const cJSON *mac = cJSON_GetObjectItemCaseSensitive(doc, "mac");
	bool ok;

	memset(out, 0, sizeof(*out));
	ok = copy_string(doc, "node", out->node, sizeof(out->node)) &&
	     copy_string(doc, "address", out->address, sizeof(out->address)) &&
	     cJSON_IsString(mac) && zks_mac_parse(mac->valuestring, out->mac) == 0;
	if (ok && !copy_string(doc, "network", out->network, sizeof(out->network)))
		out->network[0] = '\0';
	cJSON_Delete(doc);
	if (!ok) {
		memset(out, 0, sizeof(*out));
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "an endpoint record needs a node, an address and a MAC");
	}
	return 0;
}
