/*
 * records.c - the paths of zkswarm's records in ZooKeeper (records.h); their JSON is in
 * records_volume.c, records_ipam.c, records_net.c, records_node.c, records_name.c and
 * records_config.c.
 */
#include <string.h>

#include "zkswarm/records.h"
#include "zkswarm/util.h"

const char *const zks_skeleton[] = {
	ZKS_VOLUMES, ZKS_IPAM,	ZKS_SUBNETS, ZKS_NETWORKS,   ZKS_VNIS,	    ZKS_NODES,
	ZKS_REAPER,  ZKS_NAMES, ZKS_CONFIGS, ZKS_HEARTBEATS, ZKS_SNAPSHOTS, NULL,
};

const char *const zks_unmirrored[] = {ZKS_HEARTBEATS, NULL};

const char *const zks_empty_parents[] = {
	ZKS_VOLUMES "/*/leases",
	ZKS_NETWORKS "/*/members",
	ZKS_NETWORKS "/*/endpoints",
	NULL,
};

const char *const zks_leaves[] = {
	ZKS_VOLUMES "/*/leases/*",
	ZKS_VOLUMES "/*/holder",
	ZKS_SNAPSHOTS "/*",
	ZKS_NETWORKS "/*/members/*",
	ZKS_NETWORKS "/*/endpoints/*",
	ZKS_VNIS "/*",
	ZKS_SUBNETS "/*/addrs/*/*",
	ZKS_NODES "/*",
	ZKS_REAPER_LEADER,
	ZKS_NAMES "/*/*",
	ZKS_CONFIGS "/*/versions/*",
	ZKS_CONFIGS "/*/blobs/*",
	ZKS_CONFIGS "/*/nodes/*",
	NULL,
};

const struct zks_named_child zks_named_children[] = {
	{ZKS_VOLUMES "/*/leases", NULL},
	{ZKS_VOLUMES "/*/holder", "leases"},
	{NULL, NULL},
};

char *zks_path_heartbeat(const char *node)
{
	return xasprintf(ZKS_HEARTBEATS "/%s", node);
}

char *zks_path_volume(const char *name)
{
	return xasprintf(ZKS_VOLUMES "/%s", name);
}

char *zks_path_volume_leases(const char *name)
{
	return xasprintf(ZKS_VOLUMES "/%s/leases", name);
}

char *zks_path_volume_lease(const char *name, const char *node)
{
	return xasprintf(ZKS_VOLUMES "/%s/leases/%s", name, node);
}

char *zks_path_volume_holder(const char *name)
{
	return xasprintf(ZKS_VOLUMES "/%s/holder", name);
}

char *zks_path_snapshot(const char *volume, const char *snap)
{
	return xasprintf(ZKS_SNAPSHOTS "/%s@%s", volume, snap);
}

const char *zks_snapshot_of(const char *listed, const char *volume)
{
	size_t len = strlen(volume);

	return strncmp(listed, volume, len) == 0 && listed[len] == '@' ? listed + len + 1 : NULL;
}

char *zks_path_network(const char *key)
{
	return xasprintf(ZKS_NETWORKS "/%s", key);
}

char *zks_path_network_members(const char *key)
{
	return xasprintf(ZKS_NETWORKS "/%s/members", key);
}

char *zks_path_network_member(const char *key, const char *prefix, const char *id)
{
	return xasprintf(ZKS_NETWORKS "/%s/members/%s%s", key, prefix, id);
}

const char *zks_member_id(const char *member, const char *node)
{
	size_t len = strlen(node);

	return strncmp(member, node, len) == 0 && member[len] == ':' ? member + len + 1 : NULL;
}

char *zks_path_network_endpoints(const char *key)
{
	return xasprintf(ZKS_NETWORKS "/%s/endpoints", key);
}

char *zks_path_network_endpoint(const char *key, const char *endpoint_id)
{
	return xasprintf(ZKS_NETWORKS "/%s/endpoints/%s", key, endpoint_id);
}

char *zks_path_vni(unsigned long vni)
{
	return xasprintf(ZKS_VNIS "/%lu", vni);
}

char *zks_path_vni_named(const char *name)
{
	return xasprintf(ZKS_VNIS "/%s", name);
}

char *zks_path_subnet(const char *name)
{
	return xasprintf(ZKS_SUBNETS "/%s", name);
}

char *zks_path_subnet_addrs(const char *name)
{
	return xasprintf(ZKS_SUBNETS "/%s/addrs", name);
}

char *zks_path_subnet_addr_group(const char *name, const char *group)
{
	return xasprintf(ZKS_SUBNETS "/%s/addrs/%s", name, group);
}

char *zks_path_node(const char *node)
{
	return xasprintf(ZKS_NODES "/%s", node);
}

char *zks_path_names(const char *key)
{
	return xasprintf(ZKS_NAMES "/%s", key);
}

char *zks_path_name(const char *key, const char *endpoint_id)
{
	return xasprintf(ZKS_NAMES "/%s/%s", key, endpoint_id);
}

char *zks_path_config(const char *name)
{
	return xasprintf(ZKS_CONFIGS "/%s", name);
}

char *zks_path_config_versions(const char *name)
{
	return xasprintf(ZKS_CONFIGS "/%s/versions", name);
}

char *zks_path_config_version(const char *name, uint64_t version)
{
	return xasprintf(ZKS_CONFIGS "/%s/versions/%010llu", name, (unsigned long long)version);
}

char *zks_path_config_blobs(const char *name)
{
	return xasprintf(ZKS_CONFIGS "/%s/blobs", name);
}

char *zks_path_config_blob(const char *name, const char *sha256)
{
	return xasprintf(ZKS_CONFIGS "/%s/blobs/%s", name, sha256);
}

char *zks_path_config_nodes(const char *name)
{
	return xasprintf(ZKS_CONFIGS "/%s/nodes", name);
}

char *zks_path_config_node(const char *name, const char *node)
{
	return xasprintf(ZKS_CONFIGS "/%s/nodes/%s", name, node);
}
