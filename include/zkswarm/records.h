/*
 * records.h - where zkswarm's records live in ZooKeeper: every path, in one
 * place, for the services, the reaper, zkswarmctl and the metrics.  Paths are
 * relative to the store's root (ZK_ROOT).  docs/DESIGN.md has the tables of
 * what each record holds.
 *
 *   /volumes/NAME                     a volume (JSON: options, created by/at)
 *   /volumes/NAME/leases/NODE         a node's lease (ephemeral)
 *   /volumes/NAME/holder              the single-node holder (ephemeral)
 *   /networks/KEY                     a network (JSON: subnet, VNI, MTU, ...)
 *   /networks/KEY/members/MEMBER      an engine's membership (prefix + id)
 *   /networks/KEY/endpoints/ID        an endpoint (node, address, MAC)
 *   /vnis/VNI                         a VXLAN ID's claim
 *   /ipam/subnets/NAME                a pool's subnet (refs)
 *   /ipam/subnets/NAME/addrs/GROUP/IP an address, grouped by /24
 *   /nodes/NODE                       a node's registration (ephemeral)
 *   /reaper/leader                    the reaper's lease (ephemeral)
 *
 * Every builder returns a string to free.
 */
#ifndef ZKSWARM_RECORDS_H
#define ZKSWARM_RECORDS_H

#define ZKS_VOLUMES "/volumes"
#define ZKS_NETWORKS "/networks"
#define ZKS_VNIS "/vnis"
#define ZKS_IPAM "/ipam"
#define ZKS_SUBNETS ZKS_IPAM "/subnets"
#define ZKS_NODES "/nodes"
#define ZKS_REAPER "/reaper"
#define ZKS_REAPER_LEADER ZKS_REAPER "/leader"

/* The nodes every store starts with (NULL-terminated). */
extern const char *const zks_skeleton[];

char *zks_path_volume(const char *name);
char *zks_path_volume_leases(const char *name);
char *zks_path_volume_lease(const char *name, const char *node);
char *zks_path_volume_holder(const char *name);

char *zks_path_network(const char *key);
char *zks_path_network_members(const char *key);
/* A member is named prefix + engine id; for a name as listed, prefix "". */
char *zks_path_network_member(const char *key, const char *prefix, const char *id);
char *zks_path_network_endpoints(const char *key);
char *zks_path_network_endpoint(const char *key, const char *endpoint_id);

char *zks_path_vni(unsigned long vni);
char *zks_path_vni_named(const char *name); /* a child of /vnis as listed */

char *zks_path_subnet(const char *name);
char *zks_path_subnet_addrs(const char *name);
char *zks_path_subnet_addr_group(const char *name, const char *group);

char *zks_path_node(const char *node);

#endif
