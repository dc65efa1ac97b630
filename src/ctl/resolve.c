/*
 * resolve.c - `zkswarmctl resolve NAME`: what the daemons' DNS server answers for NAME,
 * from the same index (dns/index.c) built over zkswarmctl's view of ZooKeeper, without
 * asking a server.  The zone is DNS_DOMAIN from the environment, else the default
 * ("zkswarm."), as the daemons' setting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zkswarm/cidr.h"
#include "zkswarm/ctl.h"
#include "zkswarm/ctl_table.h"
#include "zkswarm/dns.h"
#include "zkswarm/util.h"

static const char *const outcome_names[] = {
	[ZKS_DNS_REFUSED] = "refused",
	[ZKS_DNS_NXDOMAIN] = "nxdomain",
	[ZKS_DNS_NODATA] = "nodata",
	[ZKS_DNS_ANSWER] = "answer",
};

/* The type asked: --type, else PTR for an address or an in-addr.arpa name, SRV for a name
 * starting with "_", else A.  0 for a type not served (ctl_cli refuses those first). */
static uint16_t type_of(const char *type, const char *name)
{
	size_t n = strlen(name);

	if (type == NULL) {
		if (n > 13 && (strcasecmp(name + n - 13, ".in-addr.arpa") == 0 ||
			       strcasecmp(name + n - 14, ".in-addr.arpa.") == 0))
			return 12;
		return name[0] == '_' ? 33 : 1;
	}
	return strcasecmp(type, "A") == 0     ? 1
	       : strcasecmp(type, "SRV") == 0 ? 33
	       : strcasecmp(type, "PTR") == 0 ? 12
					      : 0;
}

/* "10.9.0.7" as "7.0.9.10.in-addr.arpa."; anything else as given. */
static char *query_name(const char *name)
{
	uint32_t ip;

	if (zks_ip_parse(name, &ip, NULL) == 0)
		return xasprintf("%u.%u.%u.%u.in-addr.arpa.", ip & 0xff, (ip >> 8) & 0xff,
				 (ip >> 16) & 0xff, ip >> 24);
	return xstrdup(name);
}

static cJSON *answer_json(const struct zks_dns_rr *rr)
{
	cJSON *a = cJSON_CreateObject();
	char ip[ZKS_IP_STR];

	cJSON_AddStringToObject(a, "type", rr->type == 1 ? "A" : rr->type == 33 ? "SRV" : "PTR");
	if (rr->type == 1) {
		zks_ip_format(rr->ip, ip);
		cJSON_AddStringToObject(a, "address", ip);
	}
	if (rr->type == 33)
		cJSON_AddNumberToObject(a, "port", rr->port);
	if (rr->target != NULL)
		cJSON_AddStringToObject(a, "target", rr->target);
	return a;
}

static void print_table(const cJSON *doc)
{
	static const char *const headers[] = {"NAME", "TYPE", "ANSWER"};
	struct ctl_table *t = ctl_table_new(ARRAY_SIZE(headers), headers);
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "query"));
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(doc, "answers"))
	{
		const char *type =
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "type"));
		const char *target =
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "target"));
		const cJSON *port = cJSON_GetObjectItemCaseSensitive(a, "port");
		cleanup_free char *value =
			!strcmp(type, "A")
				? xstrdup(cJSON_GetStringValue(
					  cJSON_GetObjectItemCaseSensitive(a, "address")))
			: !strcmp(type, "SRV") ? xasprintf("%d %s", port->valueint, target)
					       : xstrdup(target);

		ctl_table_add(t, name, type, value);
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
}

int ctl_cmd_resolve(struct ctl_cluster *c, const struct ctl_opts *o, const char *name)
{
	const char *domain = getenv("DNS_DOMAIN");
	const char *keys[1] = {o->network};
	struct zks_dns_scope scope = {.keys = keys, .n = 1};
	struct zks_dns_rr rrs[ZKS_DNS_MAX_RRS];
	cleanup_free char *q = query_name(name);
	uint16_t type = type_of(o->type, q);
	struct zks_dns_index *ix;
	enum zks_dns_outcome res;
	cJSON *doc, *answers;
	size_t n = 0;

	if (domain == NULL || domain[0] == '\0' || zks_dns_domain_check(domain, 200, NULL) < 0)
		domain = ZKS_DNS_DEFAULT_DOMAIN;
	ix = zks_dns_index_build(c->store, domain);
	res = zks_dns_lookup(ix, q, type, o->network != NULL ? &scope : NULL, rrs, ARRAY_SIZE(rrs),
			     &n);
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "query", q);
	cJSON_AddStringToObject(doc, "type", type == 1 ? "A" : type == 33 ? "SRV" : "PTR");
	cJSON_AddStringToObject(doc, "domain", domain);
	cJSON_AddStringToObject(doc, "outcome", outcome_names[res]);
	answers = cJSON_AddArrayToObject(doc, "answers");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(answers, answer_json(&rrs[i]));
	zks_dns_index_unref(ix);
	if (o->json)
		ctl_print_json(doc);
	else if (res == ZKS_DNS_ANSWER)
		print_table(doc);
	else
		fprintf(stderr, "zkswarmctl: %s: %s\n", q,
			res == ZKS_DNS_NXDOMAIN ? "no such name (NXDOMAIN)"
			: res == ZKS_DNS_NODATA ? "the name has no record of this type (NODATA)"
						: "not a name of the cluster's zone (REFUSED)");
	cJSON_Delete(doc);
	return res == ZKS_DNS_ANSWER ? CTL_EXIT_OK : CTL_EXIT_PROBLEM;
}
