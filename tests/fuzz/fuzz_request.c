/*
 * fuzz_request.c - libFuzzer target over the whole request path.
 *
 * Input: the first byte b selects the endpoint, zks_routes[b % zks_nroutes],
 * and the node that serves it, (b / zks_nroutes) % 2; with b / (2 * zks_nroutes)
 * == 3 the store is down during the request (ZooKeeper unreachable: writes
 * fail, reads answer from the mirror).  The rest is the HTTP body given to
 * zks_http_dispatch().  Two nodes (two sessions of one
 * in-memory backend, each with a volume, IPAM and networks service on its
 * own fake filesystem and fake kernel network, those of tests/fakes/) answer, so that inputs can
 * meet each other's leases, pools and endpoints.  State is kept across inputs
 * (a Mount finds the Create of an earlier input) but bounded: everything is
 * rebuilt every RESET_EVERY inputs, or sooner when the store holds more than
 * MAX_NODES znodes.
 *
 * Checked on every input (a failure aborts, and libFuzzer saves the input):
 *   - the reply is a JSON object (never NULL, never anything else);
 *   - 200, or an error status (400, 404, 405, 413, 500) with a non-empty
 *     "Err" string, and for IpamDriver routes the same text under "Error";
 *     a 200 carries no non-empty "Err"/"Error";
 *   - success replies have the shape the engine decodes: Mountpoint under the
 *     mount root, CreatedAt never "", PoolID/Pool/Address in CIDR form, Join's
 *     SrcName an existing link, CreateEndpoint filling only an empty MAC;
 *   - the network and endpoint records written are well-formed: subnet,
 *     gateway inside it, VNI and MTU in range, addresses in the subnet,
 *     unicast MACs;
 *   - the core only asks the fakes for paths <root>/<one component> under
 *     the data directory or the mount root, and for link names the kernel
 *     takes (1..15 bytes, no '/', blank or control), VNIs in 1..2^24-1, MTUs
 *     in 68..65535.
 *
 * Each world starts warm (volumes, a pool, a network on both nodes, an
 * endpoint joined: see warmup[]), so that mutated requests reach deep paths.
 * The inputs since the last rebuild are kept; on a failure they are written
 * to $ZKS_FUZZ_HISTORY_DIR, to be replayed in order (a failure may need what
 * earlier inputs did) and shrunk with tests/fuzz/minimize-history.py.
 *
 * Env: ZKS_FUZZ_VERBOSE=1 prints every request and reply (for replays);
 * ZKS_FUZZ_LOG_LEVEL (default error); ZKS_TEST_SKIP, a glob such as
 * 'regression_*', turns off the checks that open bugs break (each is named
 * after its regression in tests/fuzz/regressions/).
 *
 * Build and run: `make fuzz`, `make fuzz-run FUZZ_SECONDS=N` (tests/fuzz/run.sh).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sys/stat.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#elif defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#endif
#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#endif

#include "zkswarm/api.h"
#include "zkswarm/cidr.h"
#include "zkswarm/fs.h"
#include "zkswarm/http.h"
#include "zkswarm/ipam.h"
#include "zkswarm/log.h"
#include "zkswarm/netlink.h"
#include "zkswarm/networks.h"
#include "zkswarm/store.h"
#include "zkswarm/util.h"
#include "zkswarm/volume_snapshots.h"
#include "zkswarm/volumes.h"

#include "fakes.h"
#include "fakes_net.h"

/* Deep enough for states built over many requests, small enough that a request stays
 * cheap (25-40k execs/s; a store of thousands of znodes makes every List and scan slow). */
#ifndef RESET_EVERY
#define RESET_EVERY 5000
#endif
#ifndef MAX_NODES
#define MAX_NODES 800
#endif
#define COUNT_EVERY 64
#define NNODES 2

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- history: the inputs since the world was last rebuilt -------------------------------------- */

/*
 * A failure may depend on what earlier inputs left in the store, and the
 * crash file libFuzzer writes holds only the last input.  So the inputs since
 * the last rebuild are kept, and on a failure (ours, or an AddressSanitizer
 * report) written to $ZKS_FUZZ_HISTORY_DIR as 00000, 00001, ...: running the
 * target on those files in that order, in one process, replays the failure
 * (tests/fuzz/run.sh replays a regression that is a directory that way).
 */
struct input {
	uint8_t *data;
	size_t size;
};

static struct input history[RESET_EVERY + 1];
static size_t nhistory;

static void history_clear(void)
{
	for (size_t i = 0; i < nhistory; i++)
		free(history[i].data);
	nhistory = 0;
}

static void history_add(const uint8_t *data, size_t size)
{
	if (nhistory == RESET_EVERY + 1)
		return;
	history[nhistory].data = xmalloc(size ? size : 1);
	memcpy(history[nhistory].data, data, size);
	history[nhistory].size = size;
	nhistory++;
}

static void history_dump(void)
{
	const char *dir = getenv("ZKS_FUZZ_HISTORY_DIR");
	static bool dumped;
	char path[4096];

	if (dir == NULL || dir[0] == '\0' || dumped)
		return;
	dumped = true;
	mkdir(dir, 0755);
	for (size_t i = 0; i < nhistory; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%05zu", dir, i);
		f = fopen(path, "wb");
		if (f == NULL)
			continue;
		fwrite(history[i].data, 1, history[i].size, f);
		fclose(f);
	}
	fprintf(stderr, "fuzz_request: the %zu input(s) since the last rebuild are in %s/\n",
		nhistory, dir);
}

static void cleanup_dirs(void);

#ifdef FUZZ_ASAN
static void on_asan_report(const char *report)
{
	(void)report;
	history_dump();
	cleanup_dirs();
}
#endif

/* ---- invariant failures ----------------------------------------------------------------------- */

static const char *cur_path = "";
static const uint8_t *cur_body;
static size_t cur_len;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\nfuzz_request: invariant violated on %s: ", cur_path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nrequest body (%zu bytes): %.*s\n", cur_len,
		(int)(cur_len > 2000 ? 2000 : cur_len), cur_body ? (const char *)cur_body : "");
	history_dump();
	cleanup_dirs(); /* abort() skips atexit */
	abort();
}

/*
 * An invariant that an open bug breaks is named after the bug's regression
 * case, so that ZKS_TEST_SKIP='regression_*' (a glob, as for the unit tests)
 * leaves out both its replay (tests/fuzz/run.sh) and the check.
 */
static const char *skip_pattern;

static bool check_enabled(const char *name)
{
	return skip_pattern == NULL || skip_pattern[0] == '\0' ||
	       fnmatch(skip_pattern, name, 0) != 0;
}

/* ---- the fakes' checks ----------------------------------------------------------------------- */

/* What the fakes (tests/fakes/) report: a request the kernel would refuse, a path elsewhere. */
static void on_violation(const char *rule, const char *msg)
{
	if (rule == NULL || check_enabled(rule))
		die("%s", msg);
}

/* ---- the world: one backend, two nodes -------------------------------------------------------- */

struct fuzz_node {
	char id[8];
	char *state_dir, *data_dir, *mount_root;
	struct zks_store *store;
	struct fake_fs fs;
	struct fake_net net;
	struct zks_app app;
};

static char *top_dir;
static struct zks_mem_backend *backend;
static struct fuzz_node nodes[NNODES];
static unsigned long inputs_since_reset;
static bool verbose; /* ZKS_FUZZ_VERBOSE=1: print every request and reply (for replays) */

/*
 * Every world starts from what a small cluster has after a day of work (the
 * seeds' IDs), so that mutated CreateEndpoint, Join, Mount... reach the deep
 * paths rather than "no such network".
 */
static const struct {
	unsigned node;
	const char *path, *body;
} warmup[] = {
	{0, "/VolumeDriver.Create", "{\"Name\":\"db\",\"Opts\":null}"},
	{0, "/VolumeDriver.Create", "{\"Name\":\"shared\",\"Opts\":{\"access\":\"multi-node\"}}"},
	{1, "/VolumeDriver.Mount", "{\"Name\":\"shared\",\"ID\":\"m1\"}"},
	{0, "/VolumeDriver.Create",
	 "{\"Name\":\"img\",\"Opts\":{\"type\":\"image\",\"size\":\"64M\"}}"},
	{0, "/Zkswarm.VolumeSnapshot", "{\"Name\":\"img\",\"Snapshot\":\"s1\"}"},
	{0, "/VolumeDriver.Mount", "{\"Name\":\"img\",\"ID\":\"m2\"}"},
	{0, "/IpamDriver.RequestPool",
	 "{\"AddressSpace\":\"zkswarm-local\",\"Pool\":\"198.18.99.0/24\"}"},
	{1, "/IpamDriver.RequestPool",
	 "{\"AddressSpace\":\"zkswarm-local\",\"Pool\":\"198.18.99.0/24\"}"},
	{0, "/IpamDriver.RequestAddress",
	 "{\"PoolID\":\"198.18.99.0/24\",\"Options\":{\"RequestAddressType\":\"com.docker.network.gateway\"}}"},
	{0, "/NetworkDriver.CreateNetwork",
	 "{\"NetworkID\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"Options\":"
	 "{\"com.docker.network.generic\":{\"cluster-name\":\"web\"}},\"IPv4Data\":[{\"Gateway\":"
	 "\"198.18.99.1/24\",\"Pool\":\"198.18.99.0/24\"}]}"},
	{1, "/NetworkDriver.CreateNetwork",
	 "{\"NetworkID\":\"8c6f1e2d3c4b5a69788796a5b4c3d2e1f0e1d2c3b4a5968778695a4b3c2d1e0f\",\"Options\":"
	 "{\"com.docker.network.generic\":{\"cluster-name\":\"web\"}},\"IPv4Data\":[{\"Gateway\":"
	 "\"198.18.99.1/24\",\"Pool\":\"198.18.99.0/24\"}]}"},
	{1, "/IpamDriver.RequestAddress",
	 "{\"PoolID\":\"198.18.99.0/24\",\"Address\":\"198.18.99.3\"}"},
	{1, "/NetworkDriver.CreateEndpoint",
	 "{\"NetworkID\":\"8c6f1e2d3c4b5a69788796a5b4c3d2e1f0e1d2c3b4a5968778695a4b3c2d1e0f\",\"EndpointID\":"
	 "\"0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70e1f2a3b4c5d6e7f8091a2b3c4d5e6f7\",\"Interface\":{\"Address\":"
	 "\"198.18.99.3/24\"}}"},
	{1, "/NetworkDriver.Join",
	 "{\"NetworkID\":\"8c6f1e2d3c4b5a69788796a5b4c3d2e1f0e1d2c3b4a5968778695a4b3c2d1e0f\",\"EndpointID\":"
	 "\"0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70e1f2a3b4c5d6e7f8091a2b3c4d5e6f7\"}"},
};

static void world_start(void)
{
	static const char *const tunnels[NNODES] = {"192.0.2.1", "192.0.2.2"};
	struct zks_error err = {0};

	history_clear();
	backend = zks_mem_backend_new();
	for (size_t i = 0; i < NNODES; i++) {
		struct fuzz_node *n = &nodes[i];
		struct zks_volumes_config vc = {
			.node_id = n->id,
			.data_dir = n->data_dir,
			.mount_root = n->mount_root,
			.state_dir = n->state_dir,
		};
		struct zks_ipam_config ic = {.node_id = n->id, .default_size = 24};
		struct zks_networks_config nc = {
			.node_id = n->id,
			.underlay_mtu = 1500,
			.vxlan_port = 4789,
			.zk_root = "/zkswarm",
		};

		fake_fs_init(&n->fs);
		n->fs.data_dir = n->data_dir;
		n->fs.mount_root = n->mount_root;
		n->fs.forget_calls = true;
		fake_net_init(&n->net);
		n->net.forget_calls = true;
		n->store = zks_store_mem_new(backend);
		n->app.volumes = zks_volumes_new(n->store, &n->fs.base, &vc, &err);
		if (n->app.volumes == NULL) {
			fprintf(stderr, "fuzz_request: zks_volumes_new: %s\n", err.msg);
			abort();
		}
		if (zks_cidr_parse("10.210.0.0/16", &ic.default_pool, &err) < 0)
			abort();
		/* No thread: the target carries requests out itself (after each input), and a
		 * request another node should take waits 1 ms, not two minutes. */
		n->app.snapshots = zks_volume_snapshots_new(n->store, n->app.volumes, n->id, 1);
		n->app.ipam = zks_ipam_new(n->store, &ic);
		if (inet_pton(AF_INET, tunnels[i], &nc.tunnel) != 1)
			abort();
		n->app.networks = zks_networks_new(n->store, &n->net.base, &nc);
		/* No reconciler thread: the target reconciles itself, so runs are repeatable. */
		zks_networks_stop(n->app.networks);
	}
	for (size_t i = 0; i < ARRAY_SIZE(warmup); i++) {
		struct zks_reply out;

		zks_http_dispatch(zks_routes, zks_nroutes, &nodes[warmup[i].node].app, "POST",
				  warmup[i].path, warmup[i].body, strlen(warmup[i].body), &out);
		if (out.status != 200) {
			fprintf(stderr, "fuzz_request: warm-up %s failed: %u %s\n", warmup[i].path,
				out.status, out.body ? out.body : "");
			abort();
		}
		free(out.body);
	}
	for (size_t i = 0; i < NNODES; i++)
		(void)zks_networks_reconcile(nodes[i].app.networks, &(struct zks_error){0});
	inputs_since_reset = 0;
}

static void world_stop(void)
{
	for (size_t i = 0; i < NNODES; i++)
		zks_networks_stop(nodes[i].app.networks);
	/* The backend first: its change callbacks point into the services (as in the daemon). */
	zks_mem_backend_free(backend);
	backend = NULL;
	for (size_t i = 0; i < NNODES; i++) {
		struct fuzz_node *n = &nodes[i];
		cleanup_free char *mounts = xasprintf("%s/mounts.json", n->state_dir);

		store_destroy(n->store);
		zks_networks_free(n->app.networks);
		zks_ipam_free(n->app.ipam);
		zks_volume_snapshots_free(n->app.snapshots);
		zks_volumes_free(n->app.volumes);
		memset(&n->app, 0, sizeof(n->app));
		n->store = NULL;
		fake_fs_fini(&n->fs);
		fake_net_fini(&n->net);
		/* A new world starts with no local mounts. */
		unlink(mounts);
	}
}

static size_t count_nodes(struct zks_store *s, const char *path)
{
	char **names = NULL;
	size_t n = 0, total = 1;

	if (store_children(s, path, &names, &n, &(struct zks_error){0}) < 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *child =
			xasprintf("%s/%s", strcmp(path, "/") ? path : "", names[i]);

		total += count_nodes(s, child);
	}
	zks_free_strv(names, n);
	return total;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void cleanup_dirs(void)
{
	if (top_dir != NULL && strstr(top_dir, "/zkswarm-fuzz.") != NULL)
		nftw(top_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- record checks: what the services wrote is well-formed ---------------------------------------- */

static const char *jstring(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Exactly xx:xx:xx:xx:xx:xx in hex, unicast and not all zero. */
static bool mac_ok(const char *s)
{
	unsigned char b[6];

	if (s == NULL || strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		char hex[3] = {s[3 * i], s[3 * i + 1], 0};

		if (!isxdigit((unsigned char)hex[0]) || !isxdigit((unsigned char)hex[1]) ||
		    (i < 5 && s[3 * i + 2] != ':'))
			return false;
		b[i] = (unsigned char)strtoul(hex, NULL, 16);
	}
	return !(b[0] & 1) && (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) != 0;
}

static cJSON *read_json(struct zks_store *st, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	cJSON *doc;

	if (store_get(st, path, &data, &len, NULL, &(struct zks_error){0}) < 0)
		return NULL;
	doc = data ? cJSON_ParseWithLength(data, len) : NULL;
	free(data);
	if (!cJSON_IsObject(doc))
		die("record `%s` is not a JSON object", path);
	return doc;
}

/* Every network record and its endpoints: subnet, gateway, VNI, MTU, addresses, MACs. */
static void check_network_records(struct zks_store *st)
{
	char **keys = NULL;
	size_t nkeys = 0;
	struct zks_error err = {0};

	if (store_children(st, "/networks", &keys, &nkeys, &err) < 0)
		return;
	for (size_t i = 0; i < nkeys; i++) {
		cleanup_free char *path = xasprintf("/networks/%s", keys[i]);
		cleanup_free char *eps_path = xasprintf("%s/endpoints", path);
		cJSON *rec = read_json(st, path);
		const char *subnet_s = jstring(rec, "subnet"), *gw = jstring(rec, "gateway");
		const cJSON *vni = cJSON_GetObjectItemCaseSensitive(rec, "vni");
		const cJSON *mtu = cJSON_GetObjectItemCaseSensitive(rec, "mtu");
		struct zks_cidr subnet;
		char **eps = NULL;
		size_t neps = 0;

		if (rec == NULL)
			continue;
		if (subnet_s == NULL || zks_cidr_parse(subnet_s, &subnet, &err) < 0)
			die("network `%s` has subnet `%s`", keys[i],
			    subnet_s ? subnet_s : "(none)");
		if (!cJSON_IsNumber(vni) || vni->valuedouble < 1 || vni->valuedouble > 16777215 ||
		    !cJSON_IsNumber(mtu) || mtu->valuedouble < 68 || mtu->valuedouble > 65535)
			die("network `%s` has a VNI or MTU out of range", keys[i]);
		if (gw != NULL && check_enabled("network_gateway_in_subnet")) {
			uint32_t ip;
			uint8_t len;

			if (zks_ip_prefix_parse(gw, &ip, &len, &err) < 0 || len != subnet.len ||
			    !zks_cidr_contains(&subnet, ip) || ip == subnet.addr ||
			    ip == zks_cidr_last(&subnet))
				die("network `%s` (subnet %s) was recorded with gateway `%.64s`",
				    keys[i], subnet_s, gw);
		}
		if (store_children(st, eps_path, &eps, &neps, &err) == 0) {
			for (size_t k = 0; k < neps; k++) {
				cleanup_free char *ep_path = xasprintf("%s/%s", eps_path, eps[k]);
				cJSON *ep = read_json(st, ep_path);
				const char *addr = jstring(ep, "address"),
					   *mac = jstring(ep, "mac");
				uint32_t ip;
				uint8_t len;

				if (ep == NULL)
					continue;
				if (addr == NULL ||
				    zks_ip_prefix_parse(addr, &ip, &len, &err) < 0 ||
				    !zks_cidr_contains(&subnet, ip))
					die("endpoint `%s` of `%s` has address `%s`", eps[k],
					    keys[i], addr ? addr : "(none)");
				if (!mac_ok(mac) && check_enabled("endpoint_mac_unicast"))
					die("endpoint `%s` of `%s` was recorded with MAC `%s`",
					    eps[k], keys[i], mac ? mac : "(none)");
				cJSON_Delete(ep);
			}
			zks_free_strv(eps, neps);
		}
		cJSON_Delete(rec);
	}
	zks_free_strv(keys, nkeys);
}

/* ---- reply checks ------------------------------------------------------------------------------ */

static const cJSON *field(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static bool nonempty_string(const cJSON *v)
{
	return cJSON_IsString(v) && v->valuestring != NULL && v->valuestring[0] != '\0';
}

static void check_volume(const cJSON *vol, const struct fuzz_node *n)
{
	const cJSON *created = field(vol, "CreatedAt"), *mp = field(vol, "Mountpoint");

	if (!cJSON_IsObject(vol) || !nonempty_string(field(vol, "Name")))
		die("a Volume without a Name");
	if (created != NULL && !nonempty_string(created))
		die("a Volume with an empty or non-string CreatedAt (the engine cannot decode it)");
	if (mp != NULL && !cJSON_IsString(mp))
		die("a Volume with a non-string Mountpoint");
	if (nonempty_string(mp))
		fake_fs_check_path(&n->fs, mp->valuestring, false, true);
	if (field(vol, "Status") != NULL && !cJSON_IsObject(field(vol, "Status")))
		die("a Volume whose Status is not an object");
}

static void check_success(const char *path, const cJSON *req, const cJSON *reply,
			  struct fuzz_node *n)
{
	struct zks_error err = {0};

	if (!strcmp(path, "/VolumeDriver.Mount") || !strcmp(path, "/VolumeDriver.Path")) {
		const cJSON *mp = field(reply, "Mountpoint");

		if (!strcmp(path, "/VolumeDriver.Mount") && !nonempty_string(mp))
			die("Mount succeeded without a Mountpoint");
		if (nonempty_string(mp))
			fake_fs_check_path(&n->fs, mp->valuestring, false, true);
	} else if (!strcmp(path, "/VolumeDriver.Get")) {
		check_volume(field(reply, "Volume"), n);
	} else if (!strcmp(path, "/VolumeDriver.List")) {
		const cJSON *vols = field(reply, "Volumes"), *v;

		if (!cJSON_IsArray(vols))
			die("List without a Volumes array");
		cJSON_ArrayForEach(v, vols) check_volume(v, n);
	} else if (!strcmp(path, "/IpamDriver.RequestPool")) {
		const cJSON *id = field(reply, "PoolID"), *pool = field(reply, "Pool");
		struct zks_cidr c;

		if (!nonempty_string(id) || !nonempty_string(pool))
			die("RequestPool succeeded without PoolID and Pool");
		if (zks_cidr_parse(pool->valuestring, &c, &err) < 0)
			die("RequestPool answered Pool `%s`: %s", pool->valuestring, err.msg);
		if (zks_ipam_pool_subnet(id->valuestring, &c, &err) < 0)
			die("RequestPool answered PoolID `%s`, which it cannot read back: %s",
			    id->valuestring, err.msg);
	} else if (!strcmp(path, "/IpamDriver.RequestAddress")) {
		const cJSON *a = field(reply, "Address");
		uint32_t ip;
		uint8_t len;

		if (!nonempty_string(a))
			die("RequestAddress succeeded without an Address");
		if (zks_ip_prefix_parse(a->valuestring, &ip, &len, &err) < 0)
			die("RequestAddress answered `%s`, not a.b.c.d/len: %s", a->valuestring,
			    err.msg);
	} else if (!strcmp(path, "/NetworkDriver.Join")) {
		const cJSON *src = field(field(reply, "InterfaceName"), "SrcName");

		if (!nonempty_string(src))
			die("Join succeeded without InterfaceName.SrcName");
		fake_net_check_ifname(src->valuestring);
		if (!fake_net_has_link(&n->net, src->valuestring))
			die("Join answered SrcName `%s`, which does not exist", src->valuestring);
	} else if (!strcmp(path, "/NetworkDriver.CreateEndpoint")) {
		const cJSON *out = field(reply, "Interface");
		const cJSON *in = cJSON_GetObjectItem(req, "Interface");
		const cJSON *mac =
			cJSON_IsObject(in) ? cJSON_GetObjectItem(in, "MacAddress") : NULL;

		if (out == NULL)
			return;
		if (cJSON_IsObject(out) && cJSON_GetArraySize(out) == 1 &&
		    nonempty_string(field(out, "MacAddress")) &&
		    (mac == NULL || cJSON_IsNull(mac) ||
		     (cJSON_IsString(mac) && !mac->valuestring[0])))
			return;
		die("CreateEndpoint filled in more than the empty MacAddress (the engine refuses that)");
	}
}

static void check_reply(const struct zks_route *route, const struct zks_reply *out,
			const cJSON *req, struct fuzz_node *n)
{
	cJSON *doc;
	const cJSON *e, *e2;

	if (out->body == NULL)
		die("reply body is NULL (status %u)", out->status);
	doc = cJSON_ParseWithOpts(out->body, NULL, true);
	if (!cJSON_IsObject(doc))
		die("reply is not a JSON object: %.500s", out->body);
	e = field(doc, "Err");
	e2 = field(doc, "Error");
	if (out->status == 200) {
		if ((e != NULL && !(cJSON_IsString(e) && !e->valuestring[0])) ||
		    (route->ipam && e2 != NULL && !(cJSON_IsString(e2) && !e2->valuestring[0])))
			die("200 reply carries an error: %.500s", out->body);
		check_success(route->path, req, doc, n);
	} else {
		if (out->status != 400 && out->status != 404 && out->status != 405 &&
		    out->status != 413 && out->status != 500)
			die("unexpected status %u: %.500s", out->status, out->body);
		if (!nonempty_string(e))
			die("error %u without an Err message: %.500s", out->status, out->body);
		if (route->ipam &&
		    !(nonempty_string(e2) && !strcmp(e->valuestring, e2->valuestring)))
			die("IpamDriver error %u without the same Error message: %.500s",
			    out->status, out->body);
	}
	cJSON_Delete(doc);
}

/* ---- libFuzzer entry points --------------------------------------------------------------------- */

static void dispatch_check(const struct zks_route *route, const char *method, const char *path,
			   const char *body, size_t len, unsigned want)
{
	struct zks_reply out;

	zks_http_dispatch(zks_routes, zks_nroutes, &nodes[0].app, method, path, body, len, &out);
	check_reply(route, &out, NULL, &nodes[0]);
	if (out.status != want)
		die("%s %s: status %u, expected %u", method, path, out.status, want);
	free(out.body);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	const char *level = getenv("ZKS_FUZZ_LOG_LEVEL");
	int lv = zks_log_parse_level(level ? level : "error");
	struct zks_error err = {0};

	(void)argc;
	(void)argv;
	zks_log_set_level(lv < 0 ? ZKS_LOG_ERROR : (enum zks_log_level)lv);
	skip_pattern = getenv("ZKS_TEST_SKIP");
	fake_violation = on_violation;
	verbose =
		getenv("ZKS_FUZZ_VERBOSE") != NULL && strcmp(getenv("ZKS_FUZZ_VERBOSE"), "0") != 0;
#ifdef FUZZ_ASAN
	__asan_set_error_report_callback(on_asan_report);
#endif
	top_dir = xasprintf("%s/zkswarm-fuzz.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(top_dir) == NULL) {
		perror("fuzz_request: mkdtemp");
		abort();
	}
	atexit(cleanup_dirs);
	for (size_t i = 0; i < NNODES; i++) {
		struct fuzz_node *n = &nodes[i];

		snprintf(n->id, sizeof(n->id), "node-%c", (char)('a' + i));
		n->state_dir = xasprintf("%s/%s/state", top_dir, n->id);
		n->data_dir = xasprintf("%s/%s/data", top_dir, n->id);
		n->mount_root = xasprintf("%s/%s/mnt", top_dir, n->id);
		if (zks_mkdir_p(n->state_dir, 0700, &err) < 0) {
			fprintf(stderr, "fuzz_request: %s\n", err.msg);
			abort();
		}
	}
	world_start();
	/* What no single byte selects: unknown path, wrong method, the body cap. */
	cur_path = "(start-up checks)";
	dispatch_check(&(struct zks_route){"/x", NULL, false}, "POST", "/VolumeDriver.Nope", "{}",
		       2, 404);
	dispatch_check(&zks_routes[0], "GET", zks_routes[0].path, "", 0, 405);
	dispatch_check(&zks_routes[0], "POST", zks_routes[0].path, NULL, ZKS_HTTP_BODY_MAX + 1,
		       413);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct zks_route *route;
	struct fuzz_node *n;
	struct zks_reply out;
	cJSON *req = NULL;
	size_t len;
	const char *body;
	bool down;

	if (size == 0)
		return 0;
	route = &zks_routes[data[0] % zks_nroutes];
	n = &nodes[(data[0] / zks_nroutes) % NNODES];
	down = data[0] / (2 * zks_nroutes) == 3;
	body = (const char *)data + 1;
	len = size - 1;
	cur_path = route->path;
	cur_body = data + 1;
	cur_len = len;

	if (inputs_since_reset >= RESET_EVERY ||
	    (inputs_since_reset % COUNT_EVERY == COUNT_EVERY - 1 &&
	     count_nodes(nodes[0].store, "/") > MAX_NODES)) {
		world_stop();
		world_start();
	}
	inputs_since_reset++;
	history_add(data, size);

	if (down)
		zks_mem_backend_set_down(backend, true);
	zks_http_dispatch(zks_routes, zks_nroutes, &n->app, "POST", route->path, len ? body : NULL,
			  len, &out);
	if (down)
		zks_mem_backend_set_down(backend, false);
	if (verbose)
		fprintf(stderr, "fuzz_request: %s %s -> %u %s <- %.*s\n", n->id, route->path,
			out.status, out.body ? out.body : "(null)", (int)(len > 300 ? 300 : len),
			len ? body : "");
	if (out.status == 200 && len > 0)
		req = cJSON_ParseWithLength(body, len);
	check_reply(route, &out, req, n);
	cJSON_Delete(req);
	free(out.body);

	if (out.status == 200 && (!strcmp(route->path, "/NetworkDriver.CreateNetwork") ||
				  !strcmp(route->path, "/NetworkDriver.CreateEndpoint")))
		check_network_records(n->store);
	/* What the snapshots' threads would do: the requests each node should take. */
	for (size_t i = 0; i < NNODES; i++)
		zks_volume_snapshots_pass(nodes[i].app.snapshots);
	/* What the reconciler thread would do after a change: the kernel side, from the records. */
	if (out.status == 200 && !strncmp(route->path, "/NetworkDriver.", 15))
		for (size_t i = 0; i < NNODES; i++)
			(void)zks_networks_reconcile(nodes[i].app.networks, &(struct zks_error){0});
	return 0;
}
