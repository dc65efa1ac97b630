/*
 * census.c - counting the cluster's records by kind, from the mirror, under
 * the parents records.h names.
 */
#include "zkswarm/census.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

static size_t children(struct zks_store *store, const char *path)
{
	char **v = NULL;
	size_t n = 0;

	if (store_cached_children(store, path, &v, &n) < 0)
		return 0;
	zks_free_strv(v, n);
	return n;
}

void zks_census_take(struct zks_store *store, struct zks_census *out)
{
	out->volumes = children(store, ZKS_VOLUMES);
	out->networks = children(store, ZKS_NETWORKS);
	out->subnets = children(store, ZKS_SUBNETS);
	out->nodes = children(store, ZKS_NODES);
}
