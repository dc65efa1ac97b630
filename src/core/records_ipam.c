/*
 * records_ipam.c - the JSON of the address-space records (records.h): a VXLAN
 * ID's claim (/vnis/VNI), a pool's subnet (/ipam/subnets/NAME) and an address
 * (/ipam/subnets/NAME/addrs/GROUP/IP), with their per-node counts.
 */
#include <string.h>

#include "records_json.h"
#include "zkswarm/records.h"

/* ---- VXLAN ID claims ---------------------------------------------------------------------- */

char *zks_record_vni_encode(const struct zks_record_vni *rec)
{
	cJSON *doc = cJSON_CreateObject();

	record_add_str(doc, "network", rec->network);
	record_add_str(doc, "token", rec->token);
	return record_print(doc);
}

int zks_record_vni_decode(const char *data, struct zks_record_vni *out, struct zks_error *err)
{
	cJSON *doc = record_object(data);

	memset(out, 0, sizeof(*out));
	if (doc == NULL)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a VNI claim in ZooKeeper is not a JSON object");
	out->network = record_str(doc, "network");
	out->token = record_str(doc, "token");
	cJSON_Delete(doc);
	return 0;
}

void zks_record_vni_clear(struct zks_record_vni *rec)
{
	free(rec->network);
	free(rec->token);
	memset(rec, 0, sizeof(*rec));
}

/* ---- per-node counts ---------------------------------------------------------------------- */

static long counts_total(const struct zks_record_counts *c)
{
	long total = 0;

	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].n > 0)
			total += c->v[i].n;
	return total;
}

long zks_record_counts_add(struct zks_record_counts *c, const char *node, long delta)
{
	long v = 0;

	if (delta == 0)
		return counts_total(c);
	/* The node's entry goes and comes back last, as it did in the JSON. */
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].node, node) != 0)
			continue;
		v = c->v[i].n;
		free(c->v[i].node);
		memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof(*c->v));
		c->n--;
		break;
	}
	v += delta;
	if (v > 0) {
		c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
		c->v[c->n++] =
			(struct zks_record_count){.node = xstrdup(node), .n = v, .number = true};
	}
	return counts_total(c);
}

long zks_record_counts_get(const struct zks_record_counts *c, const char *node)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].node, node) == 0)
			return c->v[i].n;
	return 0;
}

const char *zks_record_counts_first(const struct zks_record_counts *c)
{
	return c->n ? c->v[0].node : "unknown";
}

void zks_record_counts_clear(struct zks_record_counts *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].node);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* Range first: casting a double outside long's range is undefined. */
static long count_of(const cJSON *e)
{
	if (!cJSON_IsNumber(e))
		return 0;
	if (e->valuedouble >= 1e9)
		return 1000000000L;
	if (e->valuedouble <= -1e9)
		return -1000000000L;
	return (long)e->valuedouble;
}

static void counts_decode(const cJSON *doc, const char *key, struct zks_record_counts *out)
{
	const cJSON *map = cJSON_GetObjectItemCaseSensitive(doc, key), *e;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(map))
		return;
	out->v = xcalloc((size_t)cJSON_GetArraySize(map) + 1, sizeof(*out->v));
	cJSON_ArrayForEach(e, map)
	{
		out->v[out->n++] = (struct zks_record_count){
			.node = xstrdup(e->string),
			.n = count_of(e),
			.number = cJSON_IsNumber(e),
		};
	}
}

static void counts_encode(cJSON *doc, const char *key, const struct zks_record_counts *c)
{
	cJSON *map = cJSON_AddObjectToObject(doc, key);

	/* What was not a number stays out (the daemon's writes drop it; a count of 0 is none). */
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].number)
			cJSON_AddNumberToObject(map, c->v[i].node, (double)c->v[i].n);
}

/* ---- subnets ------------------------------------------------------------------------------ */

char *zks_record_subnet_encode(const struct zks_record_subnet *rec)
{
	cJSON *doc = cJSON_CreateObject();

	record_add_str(doc, "cidr", rec->cidr);
	counts_encode(doc, "refs", &rec->refs);
	record_add_str(doc, "gateway", rec->gateway);
	record_add_str(doc, "created_by", rec->created_by);
	record_add_str(doc, "created_at", rec->created_at);
	record_add_str(doc, "token", rec->token);
	return record_print(doc);
}

int zks_record_subnet_decode(const char *data, struct zks_record_subnet *out, struct zks_error *err)
{
	cJSON *doc = record_object(data);

	memset(out, 0, sizeof(*out));
	if (doc == NULL)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "the record of a subnet is not a JSON object");
	out->cidr = record_str(doc, "cidr");
	counts_decode(doc, "refs", &out->refs);
	out->gateway = record_str(doc, "gateway");
	out->created_by = record_str(doc, "created_by");
	out->created_at = record_str(doc, "created_at");
	out->token = record_str(doc, "token");
	cJSON_Delete(doc);
	return 0;
}

void zks_record_subnet_clear(struct zks_record_subnet *rec)
{
	free(rec->cidr);
	zks_record_counts_clear(&rec->refs);
	free(rec->gateway);
	free(rec->created_by);
	free(rec->created_at);
	free(rec->token);
	memset(rec, 0, sizeof(*rec));
}

/* ---- addresses ---------------------------------------------------------------------------- */

char *zks_record_address_encode(const struct zks_record_address *rec)
{
	cJSON *doc = cJSON_CreateObject();

	counts_encode(doc, "holders", &rec->holders);
	record_add_str(doc, "kind", rec->kind);
	cJSON_AddBoolToObject(doc, "swarm", rec->swarm);
	record_add_str(doc, "token", rec->token);
	return record_print(doc);
}

int zks_record_address_decode(const char *data, struct zks_record_address *out,
			      struct zks_error *err)
{
	cJSON *doc = record_object(data);

	memset(out, 0, sizeof(*out));
	if (doc == NULL)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "the record of an address is not a JSON object");
	counts_decode(doc, "holders", &out->holders);
	out->kind = record_str(doc, "kind");
	out->swarm = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "swarm"));
	out->token = record_str(doc, "token");
	cJSON_Delete(doc);
	return 0;
}

void zks_record_address_clear(struct zks_record_address *rec)
{
	zks_record_counts_clear(&rec->holders);
	free(rec->kind);
	free(rec->token);
	memset(rec, 0, sizeof(*rec));
}
