/*
 * records.h - where zkswarm's records live in ZooKeeper: every path, in one
 * place, for the services, the reaper, zkswarmctl and the metrics.  Paths are
 * relative to the store's root (ZK_ROOT).
 *
 * The table below is the layout's source: docs/DESIGN.md's record tables list
 * the same paths (tests/unit/test_layout.c checks it) and the fault test's
 * invariant checker builds its paths from it (tests/faults/layout.py).  One
 * path per line, <placeholders> in angle brackets, then what lies there.
 *
 * layout:
 *   /volumes/<name>                          a volume (JSON: options, created by/at)
 *   /volumes/<name>/leases                   parent of the leases
 *   /volumes/<name>/leases/<node>            a node's lease (ephemeral)
 *   /volumes/<name>/holder                   the single-node holder (ephemeral)
 *   /networks/<key>                          a network (JSON: subnet, VNI, MTU, ...)
 *   /networks/<key>/members/<node>:<id>      an engine's membership
 *   /networks/<key>/endpoints/<id>           an endpoint (node, address, MAC)
 *   /vnis/<n>                                a VXLAN ID's claim
 *   /ipam/subnets                            parent of the pools (versioned by claims)
 *   /ipam/subnets/<a.b.c.d-len>              a pool's subnet (refs)
 *   /ipam/subnets/<a.b.c.d-len>/addrs/<a.b.c.0-24>/<ip>
 *                                            an address, grouped by /24
 *   /nodes/<node>                            a node's registration (ephemeral)
 *   /reaper/leader                           the reaper's lease (ephemeral)
 * end of layout.
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
