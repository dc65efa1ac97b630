/*
 * viewbuild.c - what one dashboard build costs at scale (bench/run.sh's dashboard section):
 * a cluster of N volumes and M nodes written into the in-memory store, then, best of R runs
 * each, the snapshot taken from the store (zks_snap_take), the cluster document built from it
 * (zks_view_cluster), printed (cJSON_PrintUnformatted: the text every client is served), and
 * one more mount's feed (zks_feed_diff of two such documents, walked side by side).
 *
 *   viewbuild [--volumes N] [--nodes M] [--runs R] [--label L]
 *
 * The cluster: every node registered, with a beat, a membership, an endpoint with its name
 * and an address in one network "web" (one /24 pool, so at most 250 nodes); every volume
 * leased by one node (1 mount), every 10th by two.  Prints one JSON object: label, volumes,
 * nodes, znodes (in the snapshot), take_ms, build_ms, print_ms, diff_ms (best of R), bytes
 * (the document's text), items (the diff's; 1 expected), rss_kb (after).  Exit 0 if the
 * document has every volume and node and the diff its one item, 1 otherwise, 2 on usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zkswarm/feed.h"
#include "zkswarm/records.h"
#include "zkswarm/snapshot.h"
#include "zkswarm/store.h"
#include "zkswarm/util.h"
#include "zkswarm/view.h"
#include "zkswarm/volume_options.h"

#define MAX_NODES 250

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const struct zks_error *err)
{
	fprintf(stderr, "viewbuild: %s: %s\n", what, err != NULL ? err->msg : "failed");
	exit(1);
}

/* Put data at path (persistent; missing ancestors persistent and empty); both freed here. */
static void put(struct zks_store *s, char *path, char *data)
{
	struct zks_error err;

	for (char *p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		cleanup_free char *parent = xstrndup(path, (size_t)(p - path));

		store_create(s, parent, "", 0, ZKS_PERSISTENT, &err); /* or it exists */
	}
	if (store_create(s, path, data, strlen(data), ZKS_PERSISTENT, &err) != 0)
		die(path, &err);
	free(path);
	free(data);
}

/* Node i's records: registration, endpoint, name, membership, address. */
static void put_node(struct zks_store *s, int i)
{
	char id[16], addr[32], ep[16];
	struct zks_record_node node = {.address = addr, .version = "0.1.0"};
	struct zks_record_endpoint e = {.mac = {2, 0, 0, 0, 0, 1}};
	struct zks_record_name name = {.name = ep, .endpoint = ep, .node = id};
	struct zks_record_address a = {.kind = "address"};

	snprintf(id, sizeof(id), "node%03d", i);
	snprintf(addr, sizeof(addr), "198.18.%d.%d", i / 250, i % 250 + 1);
	snprintf(ep, sizeof(ep), "ep%03d", i);
	put(s, zks_path_node(id), zks_record_node_encode(&node));
	snprintf(e.node, sizeof(e.node), "%s", id);
	snprintf(e.address, sizeof(e.address), "10.2.0.%d/24", i + 2);
	name.address = e.address;
	put(s, xasprintf("/networks/web/endpoints/%s", ep), zks_record_endpoint_encode(&e));
	put(s, xasprintf("/names/web/%s", ep), zks_record_name_encode(&name));
	put(s, xasprintf("/networks/web/members/%s:d", id), xstrdup(""));
	zks_record_counts_add(&a.holders, id, 1);
	put(s, xasprintf(ZKS_SUBNETS "/10.2.0.0-24/addrs/10.2.0.0-24/10.2.0.%d", i + 2),
	    zks_record_address_encode(&a));
	zks_record_counts_clear(&a.holders);
}

static void put_cluster(struct zks_store *s, int nvolumes, int nnodes)
{
	struct zks_record_volume vol = {.created_at = "2026-12-05T09:30:00Z", .created_by = "n1"};
	char *ids[1] = {"0123456789abcdef0123456789abcdef"};

	if (zks_volume_options_parse(NULL, 0, &vol.opts, NULL) != 0)
		die("default volume options", NULL);
	put(s, xstrdup("/networks/web"),
	    xstrdup("{\"key\":\"web\",\"subnet\":\"10.2.0.0/24\",\"vni\":4097,\"mtu\":1450}"));
	put(s, xstrdup(ZKS_SUBNETS "/10.2.0.0-24"), xstrdup("{\"cidr\":\"10.2.0.0/24\"}"));
	for (int i = 0; i < nnodes; i++)
		put_node(s, i);
	for (int i = 0; i < nvolumes; i++) {
		char node[16];
		struct zks_record_lease lease = {.node = node, .mounts = ids, .nmounts = 1};

		snprintf(node, sizeof(node), "node%03d", i % nnodes);
		put(s, xasprintf("/volumes/vol%05d", i), zks_record_volume_encode(&vol));
		put(s, xasprintf("/volumes/vol%05d/leases/%s", i, node),
		    zks_record_lease_encode(&lease));
		if (i % 10 == 0 && nnodes > 1) {
			snprintf(node, sizeof(node), "node%03d", (i + 1) % nnodes);
			put(s, xasprintf("/volumes/vol%05d/leases/%s", i, node),
			    zks_record_lease_encode(&lease));
		}
	}
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

struct figures {
	double take, build, print, diff;
	size_t bytes, znodes;
	int items, volumes, nodes;
};

#define BEST(field, v) (f->field = (v) < f->field ? (v) : f->field)

/* One run: snapshot, document, text; then one more mount and its diff. */
static void run_once(struct zks_store *store, const struct zks_view_liveness *l, int run,
		     struct figures *f)
{
	struct zks_snapshot s = {0};
	double t0 = now_ms(), t1, t2, t3;
	cJSON *doc, *next, *items;
	char *text, lease[96];
	struct zks_error err;

	zks_snap_take(&s, store);
	t1 = now_ms();
	doc = zks_view_cluster(&s, l);
	t2 = now_ms();
	text = cJSON_PrintUnformatted(doc);
	t3 = now_ms();
	BEST(take, t1 - t0);
	BEST(build, t2 - t1);
	BEST(print, t3 - t2);
	f->bytes = strlen(text);
	f->znodes = zks_tree_count(s.tree);
	f->volumes = cJSON_GetArraySize(cJSON_GetObjectItem(doc, "volumes"));
	f->nodes = cJSON_GetArraySize(cJSON_GetObjectItem(doc, "nodes"));
	/* One mount more or less on vol00000's first holder: 1 mount, 2, 1, ... */
	snprintf(lease, sizeof(lease), "{\"node\":\"node000\",\"mounts\":[\"a\"%s]}",
		 run % 2 == 0 ? ",\"b\"" : "");
	if (store_set(store, "/volumes/vol00000/leases/node000", lease, strlen(lease), -1, &err))
		die("set a lease", &err);
	zks_snap_take(&s, store);
	next = zks_view_cluster(&s, l);
	t0 = now_ms();
	items = zks_feed_diff(doc, next, 0);
	BEST(diff, now_ms() - t0);
	f->items = cJSON_GetArraySize(items);
	cJSON_Delete(items);
	cJSON_Delete(next);
	cJSON_Delete(doc);
	free(text);
	zks_snap_clear(&s);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: viewbuild [--volumes N] [--nodes M (1..%d)] [--runs R] [--label L]\n",
		MAX_NODES);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"volumes", 1, NULL, 'v'},
					     {"nodes", 1, NULL, 'n'},
					     {"runs", 1, NULL, 'r'},
					     {"label", 1, NULL, 'l'},
					     {NULL, 0, NULL, 0}};
	int nvolumes = 10000, nnodes = 50, runs = 3, c;
	const char *label = "view";
	struct figures f = {.take = 1e12, .build = 1e12, .print = 1e12, .diff = 1e12};
	struct zks_view_beat beats[MAX_NODES];
	char names[MAX_NODES][16];
	struct zks_mem_backend *mb;
	struct zks_store *store;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'v')
			nvolumes = atoi(optarg);
		else if (c == 'n')
			nnodes = atoi(optarg);
		else if (c == 'r')
			runs = atoi(optarg);
		else if (c == 'l')
			label = optarg;
		else
			return usage();
	}
	if (nvolumes < 1 || nvolumes > 99999 || nnodes < 1 || nnodes > MAX_NODES || runs < 1 ||
	    runs > 100)
		return usage();
	mb = zks_mem_backend_new();
	store = zks_store_mem_new(mb);
	put_cluster(store, nvolumes, nnodes);
	for (int i = 0; i < nnodes; i++) {
		snprintf(names[i], sizeof(names[i]), "node%03d", i);
		beats[i] =
			(struct zks_view_beat){.node = names[i], .age_ms = 100, .every_ms = 2500};
	}
	for (int run = 0; run < runs; run++)
		run_once(store, &(struct zks_view_liveness){.beats = beats, .n = (size_t)nnodes},
			 run, &f);
	printf("{\"label\":\"%s\",\"volumes\":%d,\"nodes\":%d,\"znodes\":%zu,\"take_ms\":%.2f,"
	       "\"build_ms\":%.2f,\"print_ms\":%.2f,\"diff_ms\":%.2f,\"bytes\":%zu,\"items\":%d,"
	       "\"rss_kb\":%ld,\"runs\":%d}\n",
	       label, f.volumes, f.nodes, f.znodes, f.take, f.build, f.print, f.diff, f.bytes,
	       f.items, rss_kb(), runs);
	store_destroy(store);
	zks_mem_backend_free(mb);
	return f.volumes == nvolumes && f.nodes == nnodes && f.items == 1 ? 0 : 1;
}
