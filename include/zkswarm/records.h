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

/* ---- network records: /networks/KEY and /networks/KEY/endpoints/ID (records_net.c) ----------- */
/*
 * Encoders return JSON to free; decoders return 0, or -1 with err (ZKS_ERR_INTERNAL: the data
 * in ZooKeeper is bad) and accept exactly what the daemon always accepted.  (These includes
 * belong at the top of the file; they are here to keep this section in one piece.)
 */
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/cidr.h"
#include "zkswarm/error.h"
#include "zkswarm/volume_options.h"

#define ZKS_VNI_MAX 16777215u

struct zks_record_network {
	char *key;		/* the cluster-wide key; NULL if absent */
	struct zks_cidr subnet; /* required */
	char *gateway;		/* as Docker gave it, "a.b.c.d/len"; NULL if none */
	uint32_t vni;		/* required, 1 to ZKS_VNI_MAX */
	int mtu;		/* required, 576 to 65535 */
	const struct zks_kv *options; /* the -o values as given; strings only */
	size_t noptions;
	char *created_by, *created_at, *token; /* NULL if absent or not strings */
};

char *zks_record_network_encode(const struct zks_record_network *rec);
int zks_record_network_decode(const char *data, struct zks_record_network *out,
			      struct zks_error *err);
void zks_record_network_clear(struct zks_record_network *rec);

/* Fixed sizes, the decoder's limits, so that a decoded endpoint has nothing to free. */
struct zks_record_endpoint {
	char node[128];		    /* required: the node it lives on */
	char address[ZKS_CIDR_STR]; /* required: "a.b.c.d/len" as the engine gave it */
	uint8_t mac[6];		    /* required: one station's MAC (zks_mac_parse) */
	char network[129];	    /* the Docker network ID on node; "" if absent, or not a
				     * string of at most 128 characters */
};

char *zks_record_endpoint_encode(const struct zks_record_endpoint *rec);
int zks_record_endpoint_decode(const char *data, struct zks_record_endpoint *out,
			       struct zks_error *err);

/*
 * "xx:xx:xx:xx:xx:xx", two hex digits each, of one station: not multicast, broadcast or
 * zero.  0, or -1.
 */
int zks_mac_parse(const char *s, uint8_t mac[6]);
void zks_mac_format(const uint8_t mac[6], char out[18]);

#endif
