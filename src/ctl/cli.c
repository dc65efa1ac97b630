/*
 * cli.c - zkswarmctl's command line: the command table (name, arguments,
 * summary, manual page, handler), the help texts, the options and their
 * checks, and running the command chosen over a snapshot of the cluster.
 *
 * The commands themselves live in show.c, resolve.c, repair.c and config.c
 * (see ctl.h); main, in
 * src/zkswarmctl.c, only sets up the process around ctl_cli_parse and
 * ctl_cli_run, so that tests can parse command lines without a server.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zkswarm/config.h"
#include "zkswarm/ctl_cli.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#ifndef ZKSWARM_VERSION
#define ZKSWARM_VERSION "dev"
#endif

#define DEFAULT_TIMEOUT_MS 5000

static const char common_help[] =
	"Connection options (every command):\n"
	"  -H, --zk-hosts HOSTS      ZooKeeper servers, a comma list of host:port\n"
	"                            (env ZK_HOSTS, default " ZKS_DEFAULT_ZK_HOSTS ")\n"
	"  -r, --zk-root PATH        the cluster's path in ZooKeeper (env ZK_ROOT, "
	"default " ZKS_DEFAULT_ZK_ROOT ")\n"
	"  -a, --zk-auth-file FILE   file holding user:password for ZooKeeper's digest scheme, the\n"
	"                            daemons' ZK_AUTH_FILE (env ZK_AUTH_FILE, default none)\n"
	"  -t, --timeout SECONDS     how long to wait for ZooKeeper, the daemon and each server\n"
	"                            (default 5)\n"
	"  -j, --json                print one JSON document instead of tables (for scripts)\n"
	"  -v, --verbose             log what the ZooKeeper client does on stderr (twice: debug)\n"
	"  -h, --help                show help (for a command: zkswarmctl COMMAND --help)\n";

static const char exit_help[] =
	"Exit status:\n"
	"  0  done, nothing wrong\n"
	"  1  a problem was found, or the operation failed (no such volume, repair left\n"
	"     something, the daemon did not answer)\n"
	"  2  bad command line or settings\n"
	"  3  ZooKeeper could not be reached\n";

/* The options that belong to one command; the others refuse them. */
enum {
	TAKES_YES = 1 << 0,
	TAKES_DRY_RUN = 1 << 1,
	TAKES_SOCKET = 1 << 2,
	TAKES_NETWORK = 1 << 3,
	TAKES_SERVICE = 1 << 4,
	TAKES_NODE = 1 << 5,
	TAKES_TYPE = 1 << 6,
	TAKES_FROM = 1 << 7,
	TAKES_VERSION = 1 << 8,
};

/* getopt's values of the long options without a short one (--version N is not -V). */
enum { OPT_NETWORK = 256, OPT_SERVICE, OPT_NODE, OPT_TYPE, OPT_FROM, OPT_VERSION };

struct ctl_command {
	const char *name;
	/* NULL: none; "NAME": exactly one; with words, their synopsis ("SUB NAME [ARG...]") */
	const char *args;
	const char *summary;
	const char *help;
	unsigned takes; /* TAKES_*: its own options */
	/* Over a snapshot of the cluster; arg is NULL when the command takes none. */
	int (*run)(struct ctl_cluster *c, const struct ctl_opts *o, const char *arg);
	/* When ZooKeeper cannot be reached (why says why); NULL: exit with CTL_EXIT_UNREACHABLE. */
	int (*unreachable)(const struct ctl_opts *o, const char *why);
	/*
	 * A command of several words instead (config): check judges the words after its name
	 * when parsing (-1 with the usage error in err); run_words runs them and connects
	 * itself (ctl_connect), when it has read what it needs.
	 */
	int (*check)(int argc, char **argv, const struct ctl_opts *o, struct zks_error *err);
	int (*run_words)(const struct ctl_opts *o, int argc, char **argv);
};

/* The handlers in the table's shape (ctl.h has each command's own). */
static int run_status(struct ctl_cluster *c, const struct ctl_opts *o, const char *arg)
{
	(void)arg;
	return ctl_cmd_status(c, o, NULL);
}

static int status_unreachable(const struct ctl_opts *o, const char *why)
{
	return ctl_cmd_status(NULL, o, why);
}

static int run_volumes(struct ctl_cluster *c, const struct ctl_opts *o, const char *arg)
{
	(void)arg;
	return ctl_cmd_volumes(c, o);
}

static int run_networks(struct ctl_cluster *c, const struct ctl_opts *o, const char *arg)
{
	(void)arg;
	return ctl_cmd_networks(c, o);
}

static int run_pools(struct ctl_cluster *c, const struct ctl_opts *o, const char *arg)
{
	(void)arg;
	return ctl_cmd_pools(c, o);
}

static int run_names(struct ctl_cluster *c, const struct ctl_opts *o, const char *arg)
{
	(void)arg;
	return ctl_cmd_names(c, o);
}

static int run_repair(struct ctl_cluster *c, const struct ctl_opts *o, const char *arg)
{
	(void)arg;
	return ctl_cmd_repair(c, o);
}

static const struct ctl_command commands[] = {
	{"status", NULL, "nodes, ZooKeeper and its servers, the reaper, record counts",
	 "NAME\n"
	 "  zkswarmctl status - the cluster at a glance\n"
	 "\n"
	 "SYNOPSIS\n"
	 "  zkswarmctl status [--socket PATH] [--json] [connection options]\n"
	 "\n"
	 "DESCRIPTION\n"
	 "  Shows the ZooKeeper connection (hosts, root, this tool's session) and each server's\n"
	 "  answer to the `srvr` four-letter word (mode, version, znode count, latency; servers\n"
	 "  whose 4lw.commands.whitelist lacks srvr are shown as reachable only). Then the nodes:\n"
	 "  every registration in /nodes (state `registered` with the session that owns it, its\n"
	 "  tunnel address, start time and version) and every node that still holds records\n"
	 "  without being registered (state `gone`: the reaper reclaims those), with what each\n"
	 "  holds. Then the reaper's leader and the number of volumes, leases, networks,\n"
	 "  endpoints, pools, addresses and VNI claims.\n"
	 "\n"
	 "  When ZooKeeper cannot be reached, status still probes the servers and the daemon,\n"
	 "  prints what it learned and exits with 3.\n"
	 "\n"
	 "OPTIONS\n"
	 "  -s, --socket PATH   also ask the local daemon over its socket (Plugin.Activate,\n"
	 "                      VolumeDriver.List, and VolumeDriver.Get of one volume, whose\n"
	 "                      Status carries the daemon's own ZooKeeper state); the managed\n"
	 "                      plugin's is /run/docker/plugins/<plugin id>/zkswarm.sock\n"
	 "\n"
	 "JSON\n"
	 "  {\"zookeeper\": {hosts, root, reachable, session, error, servers: [{server, reachable,\n"
	 "  srvr, version, mode, node_count, latency, zxid, error}]}, \"nodes\": [{id, state\n"
	 "  (registered|persistent|gone), session, address, started_at, version, instance,\n"
	 "  holds: {members, endpoints, addresses, pool_refs, leases}}], \"reaper\": {leader,\n"
	 "  session, leader_registered}, \"counts\": {...}, \"daemon\": {socket, answered, error,\n"
	 "  round_trip_ms, implements, volumes, zookeeper, stale, fenced}}\n"
	 "\n"
	 "EXIT STATUS\n"
	 "  0 ok; 1 the daemon (--socket) did not answer or is not connected to ZooKeeper;\n"
	 "  3 ZooKeeper unreachable.\n",
	 .takes = TAKES_SOCKET, .run = run_status, .unreachable = status_unreachable},
	{"volumes", NULL, "every volume: access, options, creation, holders",
	 "NAME\n"
	 "  zkswarmctl volumes - list the cluster's volumes\n"
	 "\n"
	 "SYNOPSIS\n"
	 "  zkswarmctl volumes [--json] [connection options]\n"
	 "\n"
	 "DESCRIPTION\n"
	 "  One row per volume: NAME, ACCESS (single-node or multi-node), OPTIONS (those that\n"
	 "  differ from the defaults uid=0 gid=0 mode=0755 readonly=false on-remove=delete),\n"
	 "  CREATED (time) and BY (node), HOLDERS (node:mount count for every lease) and\n"
	 "  EXCLUSIVE (the node holding a single-node volume). A volume whose record is not\n"
	 "  JSON is listed as `(unreadable record)`.\n"
	 "\n"
	 "JSON\n"
	 "  An array of {name, valid, access, options: {all effective options}, created_by,\n"
	 "  created_at, holders: [{node, mounts, exclusive, registered}], exclusive_holder}.\n"
	 "\n"
	 "EXIT STATUS\n"
	 "  0 ok; 3 ZooKeeper unreachable.\n",
	 .run = run_volumes},
	{"volume", "NAME | SUB NAME [SNAPSHOT]",
	 "one volume in detail; an image volume's snapshots: snapshot, snapshots, rm-snapshot",
	 "NAME\n"
	 "  zkswarmctl volume - one volume in detail, and the snapshots of an image volume\n"
	 "\n"
	 "SYNOPSIS\n"
	 "  zkswarmctl volume NAME [--json] [connection options]\n"
	 "  zkswarmctl volume snapshot NAME [SNAPSHOT] [--socket PATH] [--json]\n"
	 "  zkswarmctl volume snapshots NAME [--json] [connection options]\n"
	 "  zkswarmctl volume rm-snapshot NAME SNAPSHOT [--socket PATH]\n"
	 "\n"
	 "DESCRIPTION\n"
	 "  volume NAME: the volume's access, all its effective options, creation, exclusive\n"
	 "  holder, and one row per lease: the node, its number of mounts, whether it holds the\n"
	 "  volume exclusively, whether the node is registered, the session owning the lease\n"
	 "  (`persistent!` for a lease no session owns: repair removes those), when it was last\n"
	 "  updated and the mount IDs (first 12 characters).\n"
	 "\n"
	 "  snapshot: a point-in-time copy of an image volume (type=image), asked of the local\n"
	 "  daemon (--socket, else the one zkswarm plugin's socket under /run/docker/plugins).\n"
	 "  The node that has the volume mounted takes it, with the filesystem frozen while its\n"
	 "  image is copied (a reflink where the data mount's filesystem has them, else a sparse\n"
	 "  copy); if no node has it mounted, the local daemon takes it, holding the volume's\n"
	 "  lease meanwhile. Answers when it is taken (at most 120 s): the node that took it.\n"
	 "  SNAPSHOT: like a volume name, at most 64 characters; default snap-YYYYMMDDTHHMMSSZ.\n"
	 "  A clone: `docker volume create -d zkswarm -o type=image -o from=NAME@SNAPSHOT NEW`.\n"
	 "  snapshots: the volume's snapshots from ZooKeeper: state, size, method, the node\n"
	 "  that took it, when, the node that asked.\n"
	 "  rm-snapshot: remove one (its record, then its file). A volume with snapshots\n"
	 "  cannot be removed.\n"
	 "\n"
	 "JSON\n"
	 "  volume NAME: as one element of `volumes --json`, holders adding mount_ids,\n"
	 "  updated_at, ephemeral, session and valid.\n"
	 "  snapshot: its record {volume, snapshot, state, requested_by, requested_at, by,\n"
	 "  taken_at, size (bytes), method}; snapshots: an array of those records.\n"
	 "\n"
	 "EXIT STATUS\n"
	 "  0 ok; 1 no such volume or snapshot, refused or failed (the reason on stderr);\n"
	 "  2 bad command line (a bad name); 3 ZooKeeper unreachable.\n",
	 .takes = TAKES_SOCKET, .check = ctl_volume_check, .run_words = ctl_cmd_volume_words},
	{"networks", NULL, "every network: subnet, VNI, MTU, members and endpoints per node",
	 "NAME\n"
	 "  zkswarmctl networks - list the cluster's networks\n"
	 "\n"
	 "SYNOPSIS\n"
	 "  zkswarmctl networks [--json] [connection options]\n"
	 "\n"
	 "DESCRIPTION\n"
	 "  One row per network record (keyed by Docker's network ID, or by -o cluster-name):\n"
	 "  KEY, SUBNET, VNI (`(unclaimed!)` when /vnis/<vni> does not name it), MTU, MEMBERS\n"
	 "  (node:count of the Docker networks joined to it on each node) and ENDPOINTS\n"
	 "  (node:count).\n"
	 "\n"
	 "JSON\n"
	 "  An array of {key, valid, subnet, gateway, vni, vni_claimed, mtu, options,\n"
	 "  created_by, created_at, members: [{node, network_id, registered}],\n"
	 "  members_per_node, endpoints: [{id, valid, node, address, mac, network_id,\n"
	 "  registered}], endpoints_per_node}.\n"
	 "\n"
	 "EXIT STATUS\n"
	 "  0 ok; 3 ZooKeeper unreachable.\n",
	 .run = run_networks},
	{"network", "KEY", "one network with its members and endpoints",
	 "NAME\n"
	 "  zkswarmctl network - one network in detail\n"
	 "\n"
	 "SYNOPSIS\n"
	 "  zkswarmctl network KEY [--json] [connection options]\n"
	 "\n"
	 "DESCRIPTION\n"
	 "  The network's subnet and gateway, VNI and whether it is claimed, MTU, options and\n"
	 "  creation; its members (node, Docker network ID, registered) and its endpoints\n"
	 "  (ID, node, address, MAC, whether the node is registered). IDs are shortened to 12\n"
	 "  characters in tables, complete in JSON. KEY is the network's cluster name or\n"
	 "  Docker network ID, as `zkswarmctl networks` lists it.\n"
	 "\n"
	 "JSON\n"
	 "  As one element of `networks --json`.\n"
	 "\n"
	 "EXIT STATUS\n"
	 "  0 ok; 1 no such network; 2 not a network key; 3 ZooKeeper unreachable.\n",
	 .run = ctl_cmd_network},
	{"pools", NULL, "every pool: references per node, addresses used, gateway",
	 "NAME\n"
	 "  zkswarmctl pools - list the IPAM's pools (subnets)\n"
	 "\n"
	 "SYNOPSIS\n"
	 "  zkswarmctl pools [--json] [connection options]\n"
	 "\n"
	 "DESCRIPTION\n"
	 "  One row per claimed subnet: SUBNET, REFS (node:count of pool requests), USED\n"
	 "  (address records / usable host addresses), GATEWAY and NETWORKS (the network\n"
	 "  records naming the subnet).\n"
	 "\n"
	 "JSON\n"
	 "  An array of {subnet, name (the record's name), valid, refs: {node: count}, gateway,\n"
	 "  created_by, created_at, addresses_used, usable_hosts, networks: [keys]}.\n"
	 "\n"
	 "EXIT STATUS\n"
	 "  0 ok; 3 ZooKeeper unreachable.\n",
	 .run = run_pools},
	{"pool", "SUBNET", "one pool with every claimed address and its holders",
	 "NAME\n"
	 "  zkswarmctl pool - one pool in detail\n"
	 "\n"
	 "SYNOPSIS\n"
	 "  zkswarmctl pool SUBNET [--json] [connection options]\n"
	 "\n"
	 "DESCRIPTION\n"
	 "  The pool's references, gateway, use and networks, then one row per claimed address:\n"
	 "  the address, its kind (address or gateway), its holders (node:count), whether it\n"
	 "  was handed out for swarm (shared by value), the endpoint using it (network/ID and\n"
	 "  node) and when it was claimed. SUBNET is written a.b.c.d/len (or as the record's\n"
	 "  name, a.b.c.d-len).\n"
	 "\n"
	 "JSON\n"
	 "  As one element of `pools --json`, with addresses: [{address, valid, kind, swarm,\n"
	 "  holders, claimed_at, endpoint: {network, id, node} or null}].\n"
	 "\n"
	 "EXIT STATUS\n"
	 "  0 ok; 1 no such pool; 2 not a subnet; 3 ZooKeeper unreachable.\n",
	 .run = ctl_cmd_pool},
	{"names", NULL, "the name registry: who is on each network, where, with which ports",
	 "NAME\n"
	 "  zkswarmctl names - list the names of the containers on the cluster's networks\n"
	 "\n"
	 "SYNOPSIS\n"
	 "  zkswarmctl names [--network KEY] [--service S] [--node N] [--json]\n"
	 "                   [connection options]\n"
	 "\n"
	 "DESCRIPTION\n"
	 "  One row per name record (/names/<key>/<endpoint>, written by the node of each\n"
	 "  endpoint; see docs/DESIGN.md, \"Names\"): NAME (the container's), NETWORK (its name\n"
	 "  on the engine and, in parentheses, the cluster's key when they differ), ADDRESS,\n"
	 "  NODE, ALIASES, SERVICE (swarm's service/task), PORTS (\"80/tcp,53/udp\") and\n"
	 "  STATE: `ok`; `stale` when the endpoint record (/networks/<key>/endpoints/<endpoint>)\n"
	 "  is missing, so the DNS server does not answer the name (`zkswarmctl repair` lists\n"
	 "  those); `unreadable` for a record the decoder refuses (its error is in the JSON).\n"
	 "  Unreadable records are listed whatever --service and --node say.\n"
	 "\n"
	 "OPTIONS\n"
	 "  --network KEY   only the names of this network: its key, or its name on the engine\n"
	 "  --service S     only the tasks of swarm service S\n"
	 "  --node N        only the names of endpoints on node N\n"
	 "\n"
	 "JSON\n"
	 "  An array of {key, endpoint, valid, error, name, aliases, hostname, container,\n"
	 "  network, network_name, address, node, service, service_id, task, ports: [{port,\n"
	 "  proto}], updated_at, session, registered (the node), stale}.\n"
	 "\n"
	 "EXIT STATUS\n"
	 "  0 ok; 3 ZooKeeper unreachable.\n",
	 .takes = TAKES_NETWORK | TAKES_SERVICE | TAKES_NODE, .run = run_names},
	{"resolve", "NAME", "what the cluster's DNS server answers for a name",
	 "NAME\n"
	 "  zkswarmctl resolve - look a name up as the daemons' DNS server does\n"
	 "\n"
	 "SYNOPSIS\n"
	 "  zkswarmctl resolve NAME [--type A|SRV|PTR] [--network KEY] [--json]\n"
	 "                     [connection options]\n"
	 "\n"
	 "DESCRIPTION\n"
	 "  Builds the DNS server's index (docs/DESIGN.md, \"DNS\") from the cluster's name and\n"
	 "  endpoint records and looks NAME up in it, without asking a server: NAME.NETWORK.\n"
	 "  zkswarm., NAME.zkswarm. or NAME (a container's name, alias, hostname, swarm service\n"
	 "  or task), _PORT._PROTO.NAME for SRV, an address or its in-addr.arpa name for PTR.\n"
	 "  The zone is DNS_DOMAIN from the environment (the daemons' setting), else zkswarm.\n"
	 "  Prints one row per record: NAME, TYPE, ANSWER (an address; \"PORT TARGET\"; a name).\n"
	 "\n"
	 "OPTIONS\n"
	 "  --type T        A, SRV or PTR (default: PTR for an address, SRV for a name starting\n"
	 "                  with `_`, else A)\n"
	 "  --network KEY   as a container on network KEY alone sees it (its key)\n"
	 "\n"
	 "JSON\n"
	 "  {query, type, domain, outcome: answer|nxdomain|nodata|refused, answers: [{type,\n"
	 "  address (A), port (SRV), target (SRV, PTR)}]}\n"
	 "\n"
	 "EXIT STATUS\n"
	 "  0 answered; 1 no such name, no record of the type, or not in the zone;\n"
	 "  3 ZooKeeper unreachable.\n",
	 .takes = TAKES_NETWORK | TAKES_TYPE, .run = ctl_cmd_resolve},
	{"repair", NULL, "find orphaned records and (with confirmation) remove them",
	 "NAME\n"
	 "  zkswarmctl repair - find and remove orphaned records\n"
	 "\n"
	 "SYNOPSIS\n"
	 "  zkswarmctl repair [--yes | --dry-run] [--json] [connection options]\n"
	 "\n"
	 "DESCRIPTION\n"
	 "  Looks for records nothing will ever remove, and records that contradict each other.\n"
	 "  A node counts as registered when its /nodes/<node> is ephemeral (owned by a live\n"
	 "  session). Each finding has a KIND:\n"
	 "    registration  a persistent /nodes/<node>: the node would look alive forever\n"
	 "    reaper        a persistent /reaper/leader: no daemon could ever reclaim anything\n"
	 "    lease, holder a volume lease or exclusive holder of an unregistered node, or a\n"
	 "                  persistent one (leases are ephemeral: they should have gone). An\n"
	 "                  ephemeral one younger than a minute is only reported: a daemon\n"
	 "                  registers its node just after retaking its leases\n"
	 "    member,       a network membership or endpoint of an unregistered node. The\n"
	 "    endpoint      reaper reclaims these REAPER_GRACE_MS (default 60 s) after its leader\n"
	 "                  notices; AGE is the record's age, as ZooKeeper keeps no time of\n"
	 "                  the node's departure. repair does not wait for the grace period:\n"
	 "                  a node that comes back later finds them gone, as after the reaper\n"
	 "    network       a network with no member and no endpoint left: the record, its\n"
	 "                  parents and its VNI claim go together\n"
	 "    vni           a VNI claim whose network record is gone, not JSON, or uses another VNI\n"
	 "    vni-missing   a network in use whose VNI claim is missing (or names a network that\n"
	 "                  is gone): the claim is created again, naming it\n"
	 "    vni-conflict  two networks on one VNI: reported only\n"
	 "    address       an address record with no holder left, or held only by unregistered\n"
	 "                  nodes, that no remaining endpoint uses\n"
	 "    subnet        a subnet referenced by no registered node; removed (with its addrs\n"
	 "                  parent) only when none of its addresses stays and no network uses it\n"
	 "    invalid       a record that is not a JSON object: removed with the records below it,\n"
	 "                  unless one of them is ephemeral (a live session's); or a name record\n"
	 "                  its decoder refuses (removed unless ephemeral)\n"
	 "    name          a name whose endpoint record is missing (the DNS server does not\n"
	 "                  answer it), or a persistent one; an ephemeral one younger than a\n"
	 "                  minute is only reported: its node may be removing it\n"
	 "    name-set      the empty /names/<key> of a network that is gone (the reaper's)\n"
	 "    config        a /configs/<name> whose /volumes/<name> is gone (a hand edit): its\n"
	 "                  whole history goes in one transaction, once no node reports a copy\n"
	 "  Findings are judged together: an address used only by an endpoint being removed is\n"
	 "  itself an orphan, so one repair leaves nothing for the next.\n"
	 "\n"
	 "  Without --yes the findings are only printed, except on a terminal (and without\n"
	 "  --json), where repair asks before changing anything. Each fix is one ZooKeeper transaction "
	 "at the versions that\n"
	 "  were judged, after checking again that the nodes assumed gone are still unregistered;\n"
	 "  a record that changed meanwhile is left alone and reported as skipped.\n"
	 "\n"
	 "OPTIONS\n"
	 "  -y, --yes       fix without asking\n"
	 "  -n, --dry-run   only report, even on a terminal (the default without a terminal)\n"
	 "\n"
	 "JSON\n"
	 "  {root, dry_run, found: [{kind, path, reason, age_ms, fixable, action, reaper,\n"
	 "  result}], fixed, failed, unfixable}\n"
	 "\n"
	 "EXIT STATUS\n"
	 "  0 nothing found, or everything found was fixed; 1 something is left (dry run,\n"
	 "  not confirmed, not fixable, or a fix failed); 3 ZooKeeper unreachable.\n",
	 .takes = TAKES_YES | TAKES_DRY_RUN, .run = run_repair},
	{"config", "SUB NAME [ARG...]",
	 "a configuration volume's files: put, get, ls, rm, history, rollback",
	 "NAME\n"
	 "  zkswarmctl config - change, read and list the files of a configuration volume\n"
	 "\n"
	 "SYNOPSIS\n"
	 "  zkswarmctl config put NAME FILE[=PATH]...   [--json] [connection options]\n"
	 "  zkswarmctl config put NAME FILE --from PATH\n"
	 "  zkswarmctl config get NAME FILE [--version N]\n"
	 "  zkswarmctl config ls NAME\n"
	 "  zkswarmctl config rm NAME FILE...\n"
	 "  zkswarmctl config history NAME [FILE]\n"
	 "  zkswarmctl config rollback NAME VERSION\n"
	 "\n"
	 "DESCRIPTION\n"
	 "  A configuration volume (`docker volume create -d zkswarm -o type=config NAME`) is a\n"
	 "  set of named files kept in ZooKeeper (/configs/NAME); every node that mounts it keeps\n"
	 "  a read-only copy, replaced whole by each new version. Every change is one new version\n"
	 "  (1, 2, ...), a step of a history that keeps the last 50 steps (fewer while they hold\n"
	 "  more than 128 distinct contents or 16 MB): when, who, what.\n"
	 "  FILE is a file's name in the volume: 1 to 128 of A-Z a-z 0-9 . _ -, not starting\n"
	 "  with `.`. Who made a change is $SUDO_USER, else $USER, @ this host's name.\n"
	 "\n"
	 "  put       one new version with every FILE given: FILE=PATH reads PATH, FILE alone\n"
	 "            reads ./FILE, PATH `-` standard input. Every file is read before ZooKeeper\n"
	 "            is asked: one that cannot be read changes nothing (exit 2). A file holds\n"
	 "            at most 512000 bytes, a version at most 64 files and 4000000 bytes\n"
	 "            together. Prints the version now current (\"app: version 7\"); files\n"
	 "            already as given make no new version.\n"
	 "  get       the file's contents, byte for byte, on standard output\n"
	 "  ls        the current version (when, who), its files (size, SHA-256) and every\n"
	 "            node's copy: the version it has, and whether that is current or behind\n"
	 "  rm        one new version without the FILEs\n"
	 "  history   the steps kept, newest first: version, when, who, what changed; with\n"
	 "            FILE, the steps that changed it\n"
	 "  rollback  one new version with the files VERSION had (a version still kept)\n"
	 "\n"
	 "OPTIONS\n"
	 "  --from PATH   put: the contents of the one FILE given, from PATH (`-`: standard\n"
	 "                input)\n"
	 "  --version N   get: the file as version N had it (a version still kept)\n"
	 "\n"
	 "JSON\n"
	 "  put, rm: {name, version, changed}; rollback: {name, version, changed, rollback_of}\n"
	 "  get: {name, version, file, size, sha256, base64 (the contents)}\n"
	 "  ls: {name, version, at, by, files: [{name, size, sha256}], nodes: [{node, version,\n"
	 "  at, current, behind (versions)}]}\n"
	 "  history: {name, file, steps: [{version, at, by, rollback_of, files: [{name, size,\n"
	 "  sha256}], changes: [{file, op (put|rm), size, sha256}]}]}\n"
	 "\n"
	 "EXIT STATUS\n"
	 "  0 done; 1 failed, nothing changed: no such configuration volume, file or version, a\n"
	 "  file or version over its limit, or the change kept losing to others; 2 bad command\n"
	 "  line, or a file to put that cannot be read; 3 ZooKeeper unreachable.\n",
	 .takes = TAKES_FROM | TAKES_VERSION, .check = ctl_config_check,
	 .run_words = ctl_cmd_config},
};

/* Each command's own options, in the order they are checked. */
static const struct {
	unsigned bit;
	const char *flag;
} command_options[] = {
	{TAKES_YES, "--yes"},	      {TAKES_DRY_RUN, "--dry-run"}, {TAKES_SOCKET, "--socket"},
	{TAKES_NETWORK, "--network"}, {TAKES_SERVICE, "--service"}, {TAKES_NODE, "--node"},
	{TAKES_TYPE, "--type"},	      {TAKES_FROM, "--from"},	    {TAKES_VERSION, "--version N"},
};

static const struct ctl_command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: zkswarmctl [OPTION]... COMMAND [ARG...]\n"
		     "Inspect and repair a zkswarm cluster's records in ZooKeeper, and change the\n"
		     "files of its configuration volumes.\n"
		     "\n"
		     "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		char left[64];

		snprintf(left, sizeof(left), "%s%s%s", commands[i].name,
			 commands[i].args ? " " : "", commands[i].args ? commands[i].args : "");
		/* A long synopsis has its summary on the next line. */
		if (strlen(left) > 16)
			fprintf(out, "  %s\n  %-16s %s\n", left, "", commands[i].summary);
		else
			fprintf(out, "  %-16s %s\n", left, commands[i].summary);
	}
	fprintf(out, "  %-16s %s\n\n", "help [COMMAND]", "this help, or a command's");
	fprintf(out, "%s", common_help);
	fprintf(out,
		"  -V, --version             show the version\n"
		"\n"
		"Command options:\n"
		"  -s, --socket PATH         status: also ask the local daemon over its socket;\n"
		"                            volume snapshot, rm-snapshot: the daemon to ask\n"
		"  -y, --yes                 repair: fix without asking\n"
		"  -n, --dry-run             repair: only report\n"
		"      --network KEY         names: only those of one network\n"
		"      --service S           names: only those of one swarm service\n"
		"      --node N              names: only those on one node\n"
		"      --type T              resolve: A, SRV or PTR\n"
		"      --from PATH           config put: the one file's contents from PATH\n"
		"      --version N           config get: the file as version N had it\n"
		"\n");
	fprintf(out, "%s", exit_help);
}

static void command_help(const struct ctl_command *cmd, FILE *out)
{
	fprintf(out, "%s\n%s", cmd->help, common_help);
}

static int usage_error(const struct ctl_cli *cli, const char *fmt, const char *arg)
{
	fprintf(cli->err, "zkswarmctl: ");
	fprintf(cli->err, fmt, arg);
	fprintf(cli->err, "\nTry `zkswarmctl --help`.\n");
	return CTL_EXIT_USAGE;
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : fallback;
}

/* --timeout SECONDS, into o->timeout_ms. */
static int parse_timeout(struct ctl_cli *cli, const char *arg)
{
	char *end;
	double s = strtod(arg, &end);

	if (end == arg || *end != '\0' || !(s > 0 && s <= 3600))
		return usage_error(cli, "--timeout wants seconds (0 to 3600), not `%s`", arg);
	cli->opts.timeout_ms = (int)(s * 1000);
	if (cli->opts.timeout_ms < 1)
		cli->opts.timeout_ms = 1;
	return CTL_CLI_RUN;
}

/*
 * --version: the program's version (*show, once every option is read), or with a number
 * (`--version N`, `--version=N`) the version of config get.  The number may be the next
 * word: getopt's optional arguments take only `=N`, so it is taken here as getopt takes a
 * required one.
 */
static int version_option(struct ctl_cli *cli, int argc, char **argv, const char *arg, bool *show)
{
	char *end;
	unsigned long long n;

	if (arg == NULL && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
		arg = argv[optind++];
	if (arg == NULL) {
		*show = true;
		return CTL_CLI_RUN;
	}
	errno = 0;
	n = strtoull(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 || n < 1)
		return usage_error(cli, "--version wants a version number (1 or more), not `%s`",
				   arg);
	cli->opts.version = n;
	return CTL_CLI_RUN;
}

/* --version without a number: the program's version, unless the command is config's. */
static int show_version(struct ctl_cli *cli, int argc, char **argv)
{
	if (optind < argc && !strcmp(argv[optind], "config"))
		return usage_error(cli, "%s", "--version wants a version number (1 or more)");
	fprintf(cli->out, "zkswarmctl %s\n", ZKSWARM_VERSION);
	return CTL_EXIT_OK;
}

/* --network, --service, --node: what names lists; not empty. */
static int set_filter(struct ctl_cli *cli, int opt, const char *arg)
{
	const char **to = opt == OPT_NETWORK   ? &cli->opts.network
			  : opt == OPT_SERVICE ? &cli->opts.service
					       : &cli->opts.node;
	const char *flag = opt == OPT_NETWORK	? "--network"
			   : opt == OPT_SERVICE ? "--service"
						: "--node";

	if (arg[0] == '\0')
		return usage_error(cli, "%s wants a value, not an empty string", flag);
	*to = arg;
	return CTL_CLI_RUN;
}

/* --type of resolve: a type the DNS server answers. */
static int set_type(struct ctl_cli *cli, const char *arg)
{
	if (strcasecmp(arg, "A") != 0 && strcasecmp(arg, "SRV") != 0 && strcasecmp(arg, "PTR") != 0)
		return usage_error(cli, "--type wants A, SRV or PTR, not `%s`", arg);
	cli->opts.type = arg;
	return CTL_CLI_RUN;
}

/* Every option, getopt's way (command_options says which belong to one command). */
static const struct option longopts[] = {
	{"zk-hosts", required_argument, NULL, 'H'},
	{"zk-root", required_argument, NULL, 'r'},
	{"zk-auth-file", required_argument, NULL, 'a'},
	{"socket", required_argument, NULL, 's'},
	{"timeout", required_argument, NULL, 't'},
	{"json", no_argument, NULL, 'j'},
	{"yes", no_argument, NULL, 'y'},
	{"dry-run", no_argument, NULL, 'n'},
	{"network", required_argument, NULL, OPT_NETWORK},
	{"service", required_argument, NULL, OPT_SERVICE},
	{"node", required_argument, NULL, OPT_NODE},
	{"type", required_argument, NULL, OPT_TYPE},
	{"from", required_argument, NULL, OPT_FROM},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", optional_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

/* The options before, between and after the words; CTL_CLI_RUN, or the exit code. */
static int parse_options(struct ctl_cli *cli, int argc, char **argv)
{
	struct ctl_opts *o = &cli->opts;
	int c, r = CTL_CLI_RUN;
	bool version = false;

	opterr = 0;
	optind = 0; /* a fresh scan (glibc): parse may be called more than once */
	while (r == CTL_CLI_RUN &&
	       (c = getopt_long(argc, argv, ":H:r:a:s:t:jynvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			o->zk_hosts = optarg;
			break;
		case 'r':
			o->zk_root = optarg;
			break;
		case 'a':
			o->zk_auth_file = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 't':
			r = parse_timeout(cli, optarg);
			break;
		case 'j':
			o->json = true;
			break;
		case 'y':
			o->yes = true;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case OPT_NETWORK:
		case OPT_SERVICE:
		case OPT_NODE:
			r = set_filter(cli, c, optarg);
			break;
		case OPT_TYPE:
			r = set_type(cli, optarg);
			break;
		case OPT_FROM:
			if (optarg[0] == '\0')
				return usage_error(cli, "%s",
						   "--from wants a path, not an empty string");
			o->from = optarg;
			break;
		case OPT_VERSION:
			r = version_option(cli, argc, argv, optarg, &version);
			break;
		case 'v':
			cli->verbose++;
			break;
		case 'h':
			cli->help = true;
			break;
		case 'V':
			fprintf(cli->out, "zkswarmctl %s\n", ZKSWARM_VERSION);
			return CTL_EXIT_OK;
		case ':':
			return usage_error(cli, "%s needs an argument", argv[optind - 1]);
		default:
			return usage_error(cli, "unknown option `%s`", argv[optind - 1]);
		}
	}
	return r == CTL_CLI_RUN && version ? show_version(cli, argc, argv) : r;
}

/* "--network is an option of `names` or `resolve` only". */
static int options_only_of(const struct ctl_cli *cli, const char *flag, unsigned bit)
{
	cleanup_free char *which = xstrdup("");

	for (size_t k = 0; k < ARRAY_SIZE(commands); k++)
		if (commands[k].takes & bit) {
			char *next = xasprintf("%s%s`%s`", which, which[0] ? " or " : "",
					       commands[k].name);

			free(which);
			which = next;
		}
	{
		cleanup_free char *msg = xasprintf("%s is an option of %s only", flag, which);

		return usage_error(cli, "%s", msg);
	}
}

/* A command's own options given to another, and options that contradict each other. */
static int check_command_options(const struct ctl_cli *cli)
{
	const struct ctl_opts *o = &cli->opts;
	unsigned given = (o->yes ? TAKES_YES : 0) | (o->dry_run ? TAKES_DRY_RUN : 0) |
			 (o->socket != NULL ? TAKES_SOCKET : 0) |
			 (o->network != NULL ? TAKES_NETWORK : 0) |
			 (o->service != NULL ? TAKES_SERVICE : 0) |
			 (o->node != NULL ? TAKES_NODE : 0) | (o->type != NULL ? TAKES_TYPE : 0) |
			 (o->from != NULL ? TAKES_FROM : 0) | (o->version != 0 ? TAKES_VERSION : 0);
	unsigned both = TAKES_YES | TAKES_DRY_RUN;

	if ((given & both) == both && (cli->cmd->takes & both) == both)
		return usage_error(cli, "%s", "--yes and --dry-run contradict each other");
	for (size_t i = 0; i < ARRAY_SIZE(command_options); i++) {
		unsigned bit = command_options[i].bit;

		if (!(given & bit) || (cli->cmd->takes & bit))
			continue;
		return options_only_of(cli, command_options[i].flag, bit);
	}
	return CTL_CLI_RUN;
}

/* The words after a command of several words, judged by the command's check. */
static int check_words(struct ctl_cli *cli, int argc, char **argv)
{
	struct zks_error err = {0};
	int r = check_command_options(cli);

	if (r != CTL_CLI_RUN)
		return r;
	cli->argc = argc;
	cli->argv = argv;
	if (cli->cmd->check(argc, argv, &cli->opts, &err) < 0) {
		fprintf(cli->err, "zkswarmctl: %s\nTry `zkswarmctl %s --help`.\n", err.msg,
			cli->cmd->name);
		return CTL_EXIT_USAGE;
	}
	return CTL_CLI_RUN;
}

/* After the options: help, or the command and its argument (or words). */
static int parse_words(struct ctl_cli *cli, int argc, char **argv)
{
	if (optind >= argc) {
		usage(cli->help ? cli->out : cli->err);
		return cli->help ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	}
	if (!strcmp(argv[optind], "help")) {
		if (optind + 1 >= argc) {
			usage(cli->out);
			return CTL_EXIT_OK;
		}
		cli->cmd = find_command(argv[optind + 1]);
		if (cli->cmd == NULL)
			return usage_error(cli, "no command `%s`", argv[optind + 1]);
		command_help(cli->cmd, cli->out);
		return CTL_EXIT_OK;
	}
	cli->cmd = find_command(argv[optind]);
	if (cli->cmd == NULL)
		return usage_error(cli, "no command `%s`", argv[optind]);
	if (cli->help) {
		command_help(cli->cmd, cli->out);
		return CTL_EXIT_OK;
	}
	if (cli->cmd->check != NULL)
		return check_words(cli, argc - optind - 1, argv + optind + 1);
	if (cli->cmd->args == NULL && argc - optind != 1)
		return usage_error(cli, "`%s` takes no argument", cli->cmd->name);
	if (cli->cmd->args != NULL && argc - optind != 2) {
		fprintf(cli->err, "zkswarmctl: usage: zkswarmctl %s %s\n", cli->cmd->name,
			cli->cmd->args);
		return CTL_EXIT_USAGE;
	}
	cli->arg = cli->cmd->args ? argv[optind + 1] : NULL;
	return check_command_options(cli);
}

int ctl_cli_parse(struct ctl_cli *cli, int argc, char **argv)
{
	int r;

	cli->opts = (struct ctl_opts){
		.zk_hosts = env_or("ZK_HOSTS", ZKS_DEFAULT_ZK_HOSTS),
		.zk_root = env_or("ZK_ROOT", ZKS_DEFAULT_ZK_ROOT),
		.zk_auth_file = env_or("ZK_AUTH_FILE", NULL),
		.timeout_ms = DEFAULT_TIMEOUT_MS,
	};
	cli->cmd = NULL;
	cli->arg = NULL;
	cli->argc = 0;
	cli->argv = NULL;
	cli->verbose = 0;
	cli->help = false;
	r = parse_options(cli, argc, argv);
	return r != CTL_CLI_RUN ? r : parse_words(cli, argc, argv);
}

const char *ctl_cli_command_name(const struct ctl_cli *cli)
{
	return cli->cmd != NULL ? cli->cmd->name : NULL;
}

/* Connect and (snapshot) take the snapshot: 0, or -1 with err. */
static int open_cluster(const struct ctl_opts *o, bool snapshot, struct ctl_cluster *c,
			struct zks_error *err)
{
	if (ctl_cluster_open(c, o->zk_hosts, o->zk_root, o->zk_auth_file, o->timeout_ms, snapshot,
			     err) < 0)
		return -1;
	if (snapshot && !zks_snap_exists(&c->snap, ZKS_NODES))
		fprintf(stderr,
			"zkswarmctl: warning: no daemon has used ZK_ROOT `%s` on %s (no /nodes "
			"in it); is --zk-root right?\n",
			o->zk_root, o->zk_hosts);
	return 0;
}

/* Why the connection failed, on stderr; its exit code. */
static int open_failed(const struct zks_error *err)
{
	fprintf(stderr, "zkswarmctl: %s\n", err->msg);
	return err->code == ZKS_ERR_UNAVAILABLE ? CTL_EXIT_UNREACHABLE
	       : err->code == ZKS_ERR_INVALID	? CTL_EXIT_USAGE
						: CTL_EXIT_PROBLEM;
}

int ctl_connect(const struct ctl_opts *o, bool snapshot, struct ctl_cluster *c)
{
	struct zks_error err = {0};

	return open_cluster(o, snapshot, c, &err) < 0 ? open_failed(&err) : CTL_EXIT_OK;
}

int ctl_cli_run(const struct ctl_cli *cli)
{
	const struct ctl_opts *o = &cli->opts;
	struct ctl_cluster c;
	struct zks_error err = {0};
	int rc;

	if (cli->cmd->run_words != NULL) {
		rc = cli->cmd->run_words(o, cli->argc, cli->argv);
		fflush(stdout);
		return rc;
	}
	if (open_cluster(o, true, &c, &err) < 0) {
		if (err.code == ZKS_ERR_UNAVAILABLE && cli->cmd->unreachable != NULL)
			return cli->cmd->unreachable(o, err.msg);
		return open_failed(&err);
	}
	rc = cli->cmd->run(&c, o, cli->arg);
	fflush(stdout);
	ctl_cluster_close(&c);
	return rc;
}
