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
 *   /snapshots/<volume>@<snap>               an image volume's snapshot and its request
 *                                            (JSON: state, requested by, taken by, size)
 *   /networks/<key>                          a network (JSON: subnet, VNI, MTU, ...)
 *   /networks/<key>/members/<node>:<id>      an engine's membership
 *   /networks/<key>/endpoints/<id>           an endpoint (node, address, MAC)
 *   /vnis/<n>                                a VXLAN ID's claim
 *   /ipam/subnets                            parent of the pools (versioned by claims)
 *   /ipam/subnets/<a.b.c.d-len>              a pool's subnet (refs)
 *   /ipam/subnets/<a.b.c.d-len>/addrs/<a.b.c.0-24>/<ip>
 *                                            an address, grouped by /24
 *   /nodes/<node>                            a node's registration (ephemeral)
 *   /heartbeats/<node>                       a node's heartbeat (JSON: at, every_ms); not
 *                                            mirrored (ZKS_UNMIRRORED): read on demand
 *   /reaper/leader                           the reaper's lease (ephemeral)
 *   /names                                   parent of the per-network name sets
 *   /names/<key>                             a network's names (made by its first name)
 *   /names/<key>/<endpoint>                  an endpoint's name, aliases, service, ports
 *                                            (ephemeral, the endpoint's node's session)
 *   /configs                                 parent of the configuration volumes' files
 *   /configs/<name>                          a config's head: its current version (JSON)
 *   /configs/<name>/versions/<n>             one step of its history (10 digits)
 *   /configs/<name>/blobs/<sha256>           a file's contents, raw bytes
 *   /configs/<name>/nodes/<node>             the version a node has on disk (ephemeral)
 * end of layout.
 *
 * Every builder returns a string to free.
 *
 * The JSON of the records is encoded and decoded here too (the sections
 * below; records_volume.c, records_ipam.c, records_node.c, records_net.c,
 * records_name.c): a plain struct per record, zks_record_X_encode() (JSON to
 * free) and zks_record_X_decode()
 * (0, or -1 with err set; data is NUL-terminated, as the store gives it).
 * Records from ZooKeeper are untrusted, and a decoder is exactly as strict as
 * the daemon and zkswarmctl always were (old records included): it rejects
 * data that is not a JSON object, and a volume's options that a Create would
 * refuse; any other field that is absent or of the wrong type reads as absent
 * (NULL, 0, false, empty), and a caller that needs it checks.  An encoder
 * writes what it is given: the caller supplies times and tokens.
 */
#ifndef ZKSWARM_RECORDS_H
#define ZKSWARM_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/cidr.h"
#include "zkswarm/error.h"
#include "zkswarm/store.h"
#include "zkswarm/volume_options.h"

#define ZKS_VOLUMES "/volumes"
#define ZKS_NETWORKS "/networks"
#define ZKS_VNIS "/vnis"
#define ZKS_IPAM "/ipam"
#define ZKS_SUBNETS ZKS_IPAM "/subnets"
#define ZKS_NODES "/nodes"
#define ZKS_REAPER "/reaper"
#define ZKS_REAPER_LEADER ZKS_REAPER "/leader"
#define ZKS_NAMES "/names"
#define ZKS_CONFIGS "/configs"
#define ZKS_HEARTBEATS "/heartbeats"
#define ZKS_SNAPSHOTS "/snapshots"

/*
 * The subtrees no mirror reads (NULL-terminated, for zks_zk_config.unmirrored_subtrees): every
 * node's beat changes every few seconds, and mirrored it would make every daemon re-read
 * every beat (N^2 reads); the dashboard reads them when it is looked at.
 */
extern const char *const zks_unmirrored[];

/*
 * The parents whose data is empty for life (NULL-terminated patterns, `*` one segment, for
 * zks_zk_config.empty_parents): made empty (in their record's transaction, or a volume's
 * `leases` with its first lease), never set, and deleted with it (or with the last lease).  A mirror reads their children and stat in one call and sets no data
 * watch on them (a volume costs every daemon one watch fewer).  A parent that ever gets data
 * or a set must leave this list.
 */
extern const char *const zks_empty_parents[];

/*
 * The records that never have children (NULL-terminated patterns as above, for
 * zks_zk_config.leaves): leases, holders, members, endpoints, addresses, VNI claims,
 * registrations, names, snapshots, a config's versions, blobs and copies.  A mirror reads
 * and watches their data only.  A record that may ever get children must leave this list.
 */
extern const char *const zks_leaves[];

/*
 * The children a record has by name (for zks_zk_config.named_children): a volume's `leases`
 * (made by its first lease, with the record's data set: ZKS_LAYOUT) and `holder` (made only in
 * a transaction that makes or replaces a lease, so its `leases`' children change).  A mirror
 * reads a volume's data, its `leases`' children while it has children, and its `holder` only
 * while it has leases: 1 watch and 1 read per unmounted volume (2 for a record of layout 1,
 * which keeps an empty `leases`), and no re-read of the volume's children when it is mounted
 * or unmounted.  A volume that gets another child, or a holder made without a lease, must
 * change this list first.
 */
extern const struct zks_named_child zks_named_children[];

/* The nodes every store starts with (NULL-terminated). */
extern const char *const zks_skeleton[];

char *zks_path_volume(const char *name);
char *zks_path_volume_leases(const char *name);
char *zks_path_volume_lease(const char *name, const char *node);
char *zks_path_volume_holder(const char *name);

/* A snapshot's record; its name as listed under /snapshots is "<volume>@<snap>". */
char *zks_path_snapshot(const char *volume, const char *snap);
/* A child of /snapshots as listed: its snapshot's name if it is volume's ("<volume>@<snap>"),
 * else NULL. */
const char *zks_snapshot_of(const char *listed, const char *volume);

char *zks_path_network(const char *key);
char *zks_path_network_members(const char *key);
/* A member is named prefix + engine id; for a name as listed, prefix "". */
char *zks_path_network_member(const char *key, const char *prefix, const char *id);
/* A member's name as listed ("<node>:<id>"): its engine id if it is node's, else NULL. */
const char *zks_member_id(const char *member, const char *node);
char *zks_path_network_endpoints(const char *key);
char *zks_path_network_endpoint(const char *key, const char *endpoint_id);

char *zks_path_vni(unsigned long vni);
char *zks_path_vni_named(const char *name); /* a child of /vnis as listed */

char *zks_path_subnet(const char *name);
char *zks_path_subnet_addrs(const char *name);
char *zks_path_subnet_addr_group(const char *name, const char *group);

char *zks_path_node(const char *node);
char *zks_path_heartbeat(const char *node);

char *zks_path_names(const char *key);
char *zks_path_name(const char *key, const char *endpoint_id);

char *zks_path_config(const char *name);
char *zks_path_config_versions(const char *name);
char *zks_path_config_version(const char *name, uint64_t version);
char *zks_path_config_blobs(const char *name);
char *zks_path_config_blob(const char *name, const char *sha256);
char *zks_path_config_nodes(const char *name);
char *zks_path_config_node(const char *name, const char *node);

/* ---- volume records: /volumes/NAME, its leases and holder ------------------------------------ */

struct zks_record_volume {
	char *name; /* NULL if absent: not required */
	struct zks_volume_options opts;
	char *created_at; /* NULL if absent or not a string */
	char *created_by; /* NULL if absent or not a string */
	char *token;	  /* NULL if absent or not a string */
};

char *zks_record_volume_encode(const struct zks_record_volume *rec);
/* Requires an object with "options", an object of at most 16 valid option strings; name is the
 * volume's, for the messages (ZKS_ERR_INTERNAL: the data in ZooKeeper is bad). */
int zks_record_volume_decode(const char *name, const char *data, struct zks_record_volume *out,
			     struct zks_error *err);
void zks_record_volume_clear(struct zks_record_volume *rec);

/* A lease (/volumes/NAME/leases/NODE) or the holder (/volumes/NAME/holder, no mounts). */
struct zks_record_lease {
	char *node; /* NULL if absent or not a string: the daemon takes such a record as unreadable */
	char **mounts; /* the mount IDs; NULL for an entry that is not a string (still counted) */
	size_t nmounts;
	char *updated_at; /* NULL if absent or not a string */
};

char *zks_record_lease_encode(const struct zks_record_lease *rec);
/* "mounts" that is not an array counts as none. */
int zks_record_lease_decode(const char *data, struct zks_record_lease *out, struct zks_error *err);
void zks_record_lease_clear(struct zks_record_lease *rec);

/*
 * A snapshot of an image volume (/snapshots/VOLUME@SNAP), and the request that makes it: made
 * "requested" by the node asked for it, set "taking" by the node that carries it out (the
 * one with the volume mounted, or the requesting one if none has it), then "done" or
 * "failed" (the requesting node reads the outcome and removes a failed one).
 */
enum zks_snapshot_state {
	ZKS_SNAPSHOT_REQUESTED = 0,
	ZKS_SNAPSHOT_TAKING,
	ZKS_SNAPSHOT_DONE,
	ZKS_SNAPSHOT_FAILED,
};

struct zks_record_snapshot {
	char *volume, *snapshot; /* NULL if absent or not strings */
	enum zks_snapshot_state state;
	char *requested_by, *requested_at; /* NULL if absent or not strings */
	char *by, *taken_at;		   /* the node that took it, and when; or NULL */
	unsigned long long size;	   /* bytes, 0 until done */
	char *method;			   /* "reflink" or "copy"; or NULL */
	char *error;			   /* failed: why; or NULL */
};

/* "requested", "taking", "done", "failed". */
const char *zks_snapshot_state_name(enum zks_snapshot_state s);
char *zks_record_snapshot_encode(const struct zks_record_snapshot *rec);
/* Requires an object whose "state" is one of the four names. */
int zks_record_snapshot_decode(const char *data, struct zks_record_snapshot *out,
			       struct zks_error *err);
void zks_record_snapshot_clear(struct zks_record_snapshot *rec);

/* ---- IPAM records: /vnis/VNI, /ipam/subnets/NAME, its addresses ------------------------------ */

/* The claim of a VXLAN ID: the key of the network that holds it. */
struct zks_record_vni {
	char *network; /* NULL if absent or not a string */
	char *token;   /* the network record's token; NULL if absent or not a string */
};

char *zks_record_vni_encode(const struct zks_record_vni *rec);
int zks_record_vni_decode(const char *data, struct zks_record_vni *out, struct zks_error *err);
void zks_record_vni_clear(struct zks_record_vni *rec);

/*
 * Per-node counts ("refs" of a subnet, "holders" of an address), in the record's order.  A
 * count that is not a number reads as 0 but keeps its node (the reaper sees every node named);
 * a number is truncated to an integer within +-1e9.
 */
struct zks_record_count {
	char *node;
	long n;
	bool number; /* it was a number (zkswarmctl lists only those) */
};

struct zks_record_counts {
	struct zks_record_count *v;
	size_t n;
};

/* Add delta to node's count; a count of zero or less removes the node.  Returns the new total. */
long zks_record_counts_add(struct zks_record_counts *c, const char *node, long delta);
long zks_record_counts_get(const struct zks_record_counts *c, const char *node);
/* The first node named, for messages; "unknown" if none. */
const char *zks_record_counts_first(const struct zks_record_counts *c);
void zks_record_counts_clear(struct zks_record_counts *c);

struct zks_record_subnet {
	char *cidr;		       /* NULL if absent or not a string */
	struct zks_record_counts refs; /* empty if absent or not an object */
	char *gateway;		       /* NULL if none (or not a string) */
	char *created_by, *created_at; /* NULL if absent or not strings */
	char *token;		       /* NULL if absent or not a string */
};

char *zks_record_subnet_encode(const struct zks_record_subnet *rec);
int zks_record_subnet_decode(const char *data, struct zks_record_subnet *out,
			     struct zks_error *err);
void zks_record_subnet_clear(struct zks_record_subnet *rec);

struct zks_record_address {
	struct zks_record_counts holders; /* empty if absent or not an object */
	char *kind;  /* "address" or "gateway"; NULL if absent or not a string */
	bool swarm;  /* only a JSON true is true */
	char *token; /* NULL if absent or not a string */
};

char *zks_record_address_encode(const struct zks_record_address *rec);
int zks_record_address_decode(const char *data, struct zks_record_address *out,
			      struct zks_error *err);
void zks_record_address_clear(struct zks_record_address *rec);

/* ---- node records: /nodes/NODE, /reaper/leader ------------------------------------------------ */

/*
 * The record layout this version writes; a node's registration says which it keeps ("layout").
 * 1 (a registration without it): every volume record has its `leases` from its Create.
 * 2: the first Mount makes `leases` and sets the record's data in the same transaction, the
 *    last Unmount deletes it: a volume record with no children has no lease (the store's
 *    rule for named children, store.h; docs/DESIGN.md, "Records in ZooKeeper").
 */
#define ZKS_LAYOUT 2

struct zks_record_node {
	char *address; /* the tunnel address, "" if none; NULL if absent or not a string */
	char *instance, *started_at, *version; /* NULL if absent or not strings */
	int layout;			       /* 1 if absent or not a whole number >= 1 */
};

char *zks_record_node_encode(const struct zks_record_node *rec);
int zks_record_node_decode(const char *data, struct zks_record_node *out, struct zks_error *err);
void zks_record_node_clear(struct zks_record_node *rec);
/* Whether a registration (data, len bytes) says its node keeps layout 2 or later. */
bool zks_record_node_keeps_layout(const char *data, size_t len);

/* A node's heartbeat (/heartbeats/NODE, persistent): set every every_ms, at its writer's clock. */
struct zks_record_heartbeat {
	char *at;	  /* RFC 3339, the writer's wall clock (for people); NULL if absent */
	int64_t every_ms; /* the writer's period; 0 if absent or not a positive integer */
};

char *zks_record_heartbeat_encode(const struct zks_record_heartbeat *rec);
int zks_record_heartbeat_decode(const char *data, struct zks_record_heartbeat *out,
				struct zks_error *err);
void zks_record_heartbeat_clear(struct zks_record_heartbeat *rec);

struct zks_record_leader {
	char *node; /* NULL if absent or not a string */
};

char *zks_record_leader_encode(const struct zks_record_leader *rec);
int zks_record_leader_decode(const char *data, struct zks_record_leader *out,
			     struct zks_error *err);
void zks_record_leader_clear(struct zks_record_leader *rec);

/* ---- network records: /networks/KEY and /networks/KEY/endpoints/ID (records_net.c) ----------- */
/*
 * Encoders return JSON to free; decoders return 0, or -1 with err (ZKS_ERR_INTERNAL: the data
 * in ZooKeeper is bad) and accept exactly what the daemon always accepted.  */

#define ZKS_VNI_MAX 16777215u

struct zks_record_network {
	char *key;		      /* the cluster-wide key; NULL if absent */
	struct zks_cidr subnet;	      /* required */
	char *gateway;		      /* as Docker gave it, "a.b.c.d/len"; NULL if none */
	uint32_t vni;		      /* required, 1 to ZKS_VNI_MAX */
	int mtu;		      /* required, 576 to 65535 */
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

/* ---- name records: /names/KEY/ENDPOINT (records_name.c) ------------------------------------ */
/*
 * Who an endpoint is, for the registry and the DNS server: written by the naming service of
 * the endpoint's node from what the engine says about its container (docs/DESIGN.md, "Names").
 * Required: name, address, node, endpoint (else the decoder fails); aliases and ports beyond
 * the caps are an error too.
 */
#define ZKS_NAME_ALIASES_MAX 32
#define ZKS_NAME_PORTS_MAX 64

struct zks_record_port {
	uint16_t port; /* 1 to 65535 */
	char proto[5]; /* "tcp", "udp" or "sctp" */
};

struct zks_record_name {
	char *name;	    /* the container's name, without Docker's leading '/' */
	char **aliases;	    /* its network aliases on this network (each at most 253 characters) */
	size_t naliases;    /* at most ZKS_NAME_ALIASES_MAX */
	char *hostname;	    /* NULL if absent or not a string */
	char *container;    /* the engine's container ID; NULL if absent */
	char *endpoint;	    /* the endpoint ID (the record's own name) */
	char *network;	    /* the engine's network ID on node; NULL if absent */
	char *network_name; /* the network's name on the engine; NULL if absent */
	char *address;	    /* "a.b.c.d/len", the endpoint record's */
	char *node;	    /* the node the endpoint lives on */
	char *service, *service_id, *task; /* swarm's labels; NULL outside swarm */
	struct zks_record_port *ports;	   /* the exposed ports, at most ZKS_NAME_PORTS_MAX */
	size_t nports;
	char *updated_at, *token; /* NULL if absent or not strings */
};

char *zks_record_name_encode(const struct zks_record_name *rec);
int zks_record_name_decode(const char *data, struct zks_record_name *out, struct zks_error *err);
void zks_record_name_clear(struct zks_record_name *rec);

/* ---- configuration records: /configs/NAME, its versions and nodes (records_config.c) ------- */
/*
 * The bounds below are the decoders' and zks_config_commit's (configs.h has the operations).
 */
/*
 * One file: what one write to ZooKeeper may carry here (the store refuses writes over 512 KiB,
 * well under jute.maxbuffer, whose excess shows as a lost connection), less the blob's path.
 */
#define ZKS_CONFIG_FILE_MAX 512000
/* One version's files together, and how many. */
#define ZKS_CONFIG_TOTAL_MAX (4 * 1000 * 1000)
#define ZKS_CONFIG_FILES_MAX 64
#define ZKS_CONFIG_FILE_NAME_MAX 128
/*
 * The history: at most ZKS_CONFIG_HISTORY steps, and the oldest go first also while the
 * steps kept list more than ZKS_CONFIG_BLOBS_MAX distinct blobs or ZKS_CONFIG_KEPT_MAX bytes
 * of them (the current version is always kept).  So a config's records always fit one
 * transaction of the store (its removal deletes them all at once).
 */
#define ZKS_CONFIG_HISTORY 50
#define ZKS_CONFIG_BLOBS_MAX 128
#define ZKS_CONFIG_KEPT_MAX (16 * 1000 * 1000)
/* A step's "by": who made the change ("user@host", or a node's ID). */
#define ZKS_CONFIG_BY_MAX 128

/*
 * A file's name: 1 to ZKS_CONFIG_FILE_NAME_MAX of [A-Za-z0-9._-], not starting with `.`
 * (the on-disk copy keeps its own `..data` and `..vN` there).  0, or -1 (ZKS_ERR_INVALID).
 */
int zks_config_check_file_name(const char *file, struct zks_error *err);

/* SHA-256 of data as 64 lowercase hex digits (OpenSSL's libcrypto). */
void zks_sha256_hex(const void *data, size_t len, char out[65]);

/* ---- records: the head and the steps ------------------------------------------------------ */

struct zks_config_file {
	char *name;
	char sha256[65];
	size_t size;
};

/* A version: its files, sorted by name, each named once. */
struct zks_config_manifest {
	uint64_t version;
	struct zks_config_file *files;
	size_t nfiles;
	char *at; /* RFC 3339, when it was made; NULL if unknown */
	char *by; /* who made it; NULL if unknown */
};

enum zks_config_op { ZKS_CONFIG_PUT = 0, ZKS_CONFIG_RM };

struct zks_config_change {
	char *file;
	enum zks_config_op op;
	size_t size;	 /* PUT: the new contents' size */
	char sha256[65]; /* PUT: their hash; "" for RM */
};

/* One step of the history: the manifest it made current and what changed from the one before. */
struct zks_config_step {
	struct zks_config_manifest m;
	struct zks_config_change *changes;
	size_t nchanges;
	uint64_t rollback_of; /* the version it restored, 0 if not a rollback */
};

/*
 * Head:  {"version": N, "files": [{"name", "sha256", "size"}...], "at", "by"}
 * Step:  the head's fields and "changes": [{"file", "op": "put"|"rm", "size", "sha256"}],
 *        "rollback_of" when it is one.
 * The decoders are strict (ZKS_ERR_INTERNAL): a version, file names that pass
 * zks_config_check_file_name, sorted and unique, 64-hex hashes, sizes within the limits.
 */
char *zks_config_manifest_encode(const struct zks_config_manifest *m);
int zks_config_manifest_decode(const char *data, struct zks_config_manifest *out,
			       struct zks_error *err);
void zks_config_manifest_clear(struct zks_config_manifest *m);
const struct zks_config_file *zks_config_manifest_find(const struct zks_config_manifest *m,
						       const char *file);

char *zks_config_step_encode(const struct zks_config_step *s);
int zks_config_step_decode(const char *data, struct zks_config_step *out, struct zks_error *err);
void zks_config_step_clear(struct zks_config_step *s);
void zks_config_steps_free(struct zks_config_step *steps, size_t n);

/* A node's report: /configs/<name>/nodes/<node> = {"version": N, "at": RFC 3339}. */
struct zks_config_node {
	char *node;
	uint64_t version;
	char *at; /* when it wrote that version to its disk; NULL if unknown */
};

char *zks_config_node_encode(uint64_t version, const char *at);
int zks_config_node_decode(const char *data, struct zks_config_node *out, struct zks_error *err);
void zks_config_nodes_free(struct zks_config_node *nodes, size_t n);

#endif
