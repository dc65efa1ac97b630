/*
 * zkraw.c - raw ZooKeeper writes with the C client (libzookeeper_mt), as the
 * physical limit for the plugin's writes, and fast bulk loads for the
 * scale benchmarks.
 *
 *   zkraw -z HOSTS [-c CONC] (-d SECONDS | -n ITERATIONS) [-w WARMUP_S]
 *         [--size BYTES] [--label L] [--json] MODE ARGS...
 *
 * One handle (one session, one TCP connection, as the daemon has), CONC
 * iterations in flight at a time (asynchronous calls; each iteration's next
 * step is sent from the previous one's completion).  Modes:
 *
 *   pair PREFIX         create PREFIX<i> (--size bytes), then delete it
 *   multipair PREFIX    the daemon's volume write shape: multi{create
 *                       PREFIX<i> (--size bytes)}, then multi{delete PREFIX<i>};
 *                       with --layout 1, each with PREFIX<i>/leases too
 *   fill-volumes ROOT NODE
 *                       -n volumes b<i> (i from --start) under ROOT/volumes, in the
 *                       daemon's record format; with --layout 1, each with its
 *                       leases parent, as daemons of layout 1 made them
 *   fill-addrs ROOT CIDR PERCENT NODE LAYOUT
 *                       claim PERCENT% of the hosts of CIDR (a claimed subnet)
 *                       for NODE, in the daemon's address record format;
 *                       LAYOUT is `first` (the lowest hosts, as serial
 *                       allocation leaves them) or `random` (seeded, spread)
 *   read-volumes ROOT READS
 *                       a cold start's reads of -n volumes b<i> under ROOT/volumes,
 *                       each read setting its watch, as a new daemon session makes
 *                       them: READS 3 the record's data and children and its
 *                       leases' children, 2 the record's data and children (about
 *                       the cost of layout 1's data and leases' children), 1 its
 *                       data alone (layout 2's, for a volume nothing mounts)
 *   rmr PATH            delete PATH and everything under it
 *
 * --layout N: 2 (the default) the records of records.h's ZKS_LAYOUT 2, a volume's
 * record alone until its first lease; 1 the record with its `leases` parent.
 *
 * Prints ops/s, iterations/s, p50/p90/p99/max latency per operation and the
 * error count (--json: one JSON object, which also gives the CPU time zkraw took over
 * the whole run, warm-up included: cpu_s).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#define BENCH_PROG "zkraw"
#include "samples.h"

#define MAX_PATH 512

static const char *hosts;
static int conc = 1;
static int volume_layout = 2;
static double duration, warmup;
static long iterations;
static long start_at;
static int size = 190;
static const char *label = "";
static bool json;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static zhandle_t *zh;
static bool connected;
static long next_iter, in_flight, done_in_window, iters_in_window, errors, ops_count;
static double t_start, t_measure, t_end;
static char *payload;
static int shown;
static bool aborted; /* a call could not even be sent: stop starting iterations */

enum mode { M_PAIR, M_MULTIPAIR, M_FILL_VOLUMES, M_FILL_ADDRS, M_READ_VOLUMES };
static enum mode mode;
static const char *prefix, *root, *node;
static uint32_t *addr_list; /* fill-addrs: the addresses to claim */
static long addr_count;
static char subnet_name[64];
static int reads = 3; /* read-volumes: reads per volume */

#define MAX_STEPS 3
static struct samples lat_step[MAX_STEPS], lat_all;

struct iter {
	long i;
	int step;
	double started;
	bool counted;
	char path[MAX_PATH], child[MAX_PATH];
	char *data;
	zoo_op_t ops[2];
	zoo_op_result_t results[2];
	char created[2][MAX_PATH];
};

static void watcher(zhandle_t *h, int type, int state, const char *path, void *ctx)
{
	(void)h;
	(void)path;
	(void)ctx;
	if (type != ZOO_SESSION_EVENT)
		return;
	pthread_mutex_lock(&lock);
	connected = state == ZOO_CONNECTED_STATE;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static void connect_zk(void)
{
	struct timespec dl;

	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
	zh = zookeeper_init(hosts, watcher, 30000, NULL, NULL, 0);
	if (zh == NULL)
		die("zookeeper_init(%s): %s", hosts, strerror(errno));
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 15;
	pthread_mutex_lock(&lock);
	while (!connected)
		if (pthread_cond_timedwait(&cond, &lock, &dl) == ETIMEDOUT)
			die("no connection to ZooKeeper at %s in 15 s", hosts);
	pthread_mutex_unlock(&lock);
}

static void random_hex(char out[17])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++)
		out[i] = hex[random() & 15];
	out[16] = '\0';
}

/* The record of volume b<i>, as the daemon writes it (core/volumes.c: record_encode). */
static char *volume_record(const char *name)
{
	char *text, token[17];

	random_hex(token);
	if (asprintf(
		    &text,
		    "{\"name\":\"%s\",\"options\":{\"access\":\"single-node\",\"uid\":\"0\","
		    "\"gid\":\"0\",\"mode\":\"0755\",\"readonly\":\"false\",\"on-remove\":\"delete\"},"
		    "\"created_at\":\"2025-01-01T00:00:00Z\",\"created_by\":\"%s\",\"token\":\"%s\"}",
		    name, node, token) < 0)
		die("out of memory");
	return text;
}

/* An address record, as core/ipam.c (address_claim) writes it. */
static char *address_record(void)
{
	char *text, token[17];

	random_hex(token);
	if (asprintf(
		    &text,
		    "{\"holders\":{\"%s\":1},\"kind\":\"address\",\"swarm\":false,\"token\":\"%s\"}",
		    node, token) < 0)
		die("out of memory");
	return text;
}

static void iter_send(struct iter *it);
static void iter_start_next(struct iter *it);

static void finish_op(struct iter *it, int rc)
{
	double t = now_s();
	bool ok = rc == ZOK;
	int nsteps = mode == M_PAIR || mode == M_MULTIPAIR ? 2 : mode == M_READ_VOLUMES ? reads : 1;

	pthread_mutex_lock(&lock);
	if (it->counted) {
		uint32_t us = (uint32_t)((t - it->started) * 1e6);

		samples_add(&lat_step[it->step], us);
		samples_add(&lat_all, us);
		ops_count++;
		if (duration <= 0 || t <= t_end)
			done_in_window++;
		if (!ok)
			errors++;
		if (ok && it->step + 1 == nsteps && (duration <= 0 || t <= t_end))
			iters_in_window++;
	}
	if (!ok && shown++ < 5)
		fprintf(stderr, "zkraw: %s step %d: %s\n", it->path, it->step, zerror(rc));
	pthread_mutex_unlock(&lock);
	if (ok && it->step + 1 < nsteps) {
		it->step++;
		iter_send(it);
	} else {
		iter_start_next(it);
	}
}

static void done_void(int rc, const void *data)
{
	finish_op((struct iter *)data, rc);
}

static void done_string(int rc, const char *value, const void *data)
{
	(void)value;
	finish_op((struct iter *)data, rc);
}

static void done_data(int rc, const char *value, int len, const struct Stat *st, const void *data)
{
	(void)value;
	(void)len;
	(void)st;
	finish_op((struct iter *)data, rc);
}

static void done_children(int rc, const struct String_vector *kids, const void *data)
{
	(void)kids;
	finish_op((struct iter *)data, rc);
}

static void done_children2(int rc, const struct String_vector *kids, const struct Stat *st,
			   const void *data)
{
	(void)kids;
	(void)st;
	finish_op((struct iter *)data, rc);
}

static void iter_send(struct iter *it)
{
	int rc = ZOK;

	it->started = now_s();
	it->counted = duration <= 0 || it->started >= t_measure;
	switch (mode) {
	case M_PAIR:
		if (it->step == 0)
			rc = zoo_acreate(zh, it->path, payload, size, &ZOO_OPEN_ACL_UNSAFE, 0,
					 done_string, it);
		else
			rc = zoo_adelete(zh, it->path, -1, done_void, it);
		break;
	case M_MULTIPAIR:
	case M_FILL_VOLUMES:
		if (it->step == 0) {
			const char *data = mode == M_MULTIPAIR ? payload : it->data;
			int len = mode == M_MULTIPAIR ? size : (int)strlen(it->data);

			zoo_create_op_init(&it->ops[0], it->path, data, len, &ZOO_OPEN_ACL_UNSAFE,
					   0, it->created[0], MAX_PATH);
			zoo_create_op_init(&it->ops[1], it->child, NULL, -1, &ZOO_OPEN_ACL_UNSAFE,
					   0, it->created[1], MAX_PATH);
		} else {
			zoo_delete_op_init(&it->ops[0], volume_layout == 1 ? it->child : it->path,
					   -1);
			zoo_delete_op_init(&it->ops[1], it->path, -1);
		}
		rc = zoo_amulti(zh, volume_layout == 1 ? 2 : 1, it->ops, it->results, done_void,
				it);
		break;
	case M_FILL_ADDRS:
		rc = zoo_acreate(zh, it->path, it->data, (int)strlen(it->data),
				 &ZOO_OPEN_ACL_UNSAFE, 0, done_string, it);
		break;
	case M_READ_VOLUMES: /* as the daemon's resync: watched, the record's level first */
		if (it->step == 0)
			rc = zoo_aget(zh, it->path, 1, done_data, it);
		else if (it->step == 1)
			rc = zoo_aget_children(zh, it->path, 1, done_children, it);
		else
			rc = zoo_aget_children2(zh, it->child, 1, done_children2, it);
		break;
	}
	if (rc != ZOK) {
		pthread_mutex_lock(&lock);
		aborted = true;
		pthread_mutex_unlock(&lock);
		finish_op(it, rc);
	}
}

static void iter_start_next(struct iter *it)
{
	long i;
	double t = now_s();

	free(it->data);
	it->data = NULL;
	pthread_mutex_lock(&lock);
	i = next_iter;
	if (aborted || (duration > 0 && t >= t_end) || (iterations > 0 && i >= iterations)) {
		in_flight--;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
		free(it);
		return;
	}
	next_iter++;
	pthread_mutex_unlock(&lock);
	it->i = i + start_at;
	it->step = 0;
	switch (mode) {
	case M_PAIR:
	case M_MULTIPAIR:
		snprintf(it->path, MAX_PATH, "%s%ld", prefix, it->i);
		snprintf(it->child, MAX_PATH, "%s/leases", it->path);
		break;
	case M_FILL_VOLUMES:
	case M_READ_VOLUMES: {
		char name[32];

		snprintf(name, sizeof(name), "b%ld", it->i);
		snprintf(it->path, MAX_PATH, "%s/volumes/%s", root, name);
		snprintf(it->child, MAX_PATH, "%s/leases", it->path);
		if (mode == M_FILL_VOLUMES)
			it->data = volume_record(name);
		break;
	}
	case M_FILL_ADDRS: {
		struct in_addr a = {.s_addr = htonl(addr_list[i])};

		/* The daemon's layout: records grouped by their /24 (made by create_groups). */
		snprintf(it->path, MAX_PATH, "%s/ipam/subnets/%s/addrs/%u.%u.%u.0-24/%s", root,
			 subnet_name, addr_list[i] >> 24, (addr_list[i] >> 16) & 255,
			 (addr_list[i] >> 8) & 255, inet_ntoa(a));
		it->data = address_record();
		break;
	}
	}
	iter_send(it);
}

/* fill-addrs: the /24 groups of the addresses to claim (existing ones are fine). */
static void create_groups(void)
{
	for (long i = 0; i < addr_count; i++) {
		char path[MAX_PATH];
		int rc;

		if (i > 0 && (addr_list[i] >> 8) == (addr_list[i - 1] >> 8))
			continue;
		snprintf(path, sizeof(path), "%s/ipam/subnets/%s/addrs/%u.%u.%u.0-24", root,
			 subnet_name, addr_list[i] >> 24, (addr_list[i] >> 16) & 255,
			 (addr_list[i] >> 8) & 255);
		rc = zoo_create(zh, path, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
		if (rc != ZOK && rc != ZNODEEXISTS)
			die("create %s: %s", path, zerror(rc));
	}
}

/* fill-addrs: the addresses to claim, in ascending order for `first`, shuffled spread for `random`. */
static void plan_addrs(const char *cidr, double percent, const char *layout)
{
	char buf[64], *slash;
	struct in_addr a;
	unsigned len;
	uint32_t base, first, last, hosts_n;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (slash == NULL)
		die("bad CIDR %s", cidr);
	*slash = '\0';
	if (inet_aton(buf, &a) == 0)
		die("bad CIDR %s", cidr);
	len = (unsigned)atoi(slash + 1);
	if (len < 8 || len > 30)
		die("CIDR length must be 8..30");
	base = ntohl(a.s_addr) & (len ? ~0u << (32 - len) : 0);
	first = base + 1;
	last = base + (uint32_t)((1ull << (32 - len)) - 2);
	hosts_n = last - first + 1;
	snprintf(subnet_name, sizeof(subnet_name), "%s-%u",
		 inet_ntoa((struct in_addr){htonl(base)}), len);
	addr_count = (long)((double)hosts_n * percent / 100.0 + 0.5);
	if (addr_count < 1 || addr_count > (long)hosts_n)
		die("PERCENT gives %ld addresses of %u", addr_count, hosts_n);
	addr_list = calloc((size_t)hosts_n, sizeof(*addr_list));
	for (uint32_t k = 0; k < hosts_n; k++)
		addr_list[k] = first + k;
	if (strcmp(layout, "random") == 0) {
		srandom(42);
		for (uint32_t k = hosts_n - 1; k > 0; k--) { /* Fisher-Yates, then take the first */
			uint32_t j = (uint32_t)(((uint64_t)random() << 31 | (uint64_t)random()) %
						(k + 1));
			uint32_t t = addr_list[k];

			addr_list[k] = addr_list[j];
			addr_list[j] = t;
		}
	} else if (strcmp(layout, "first") != 0) {
		die("LAYOUT must be `first` or `random`");
	}
	iterations = addr_count;
}

/* Delete path and its subtree (synchronous, depth first; used between runs). */
static long rmr(const char *path)
{
	struct String_vector kids = {0};
	long n = 0;
	int rc = zoo_get_children(zh, path, 0, &kids);

	if (rc == ZNONODE)
		return 0;
	if (rc != ZOK)
		die("get_children %s: %s", path, zerror(rc));
	for (int32_t i = 0; i < kids.count; i++) {
		char child[MAX_PATH];

		snprintf(child, sizeof(child), "%s/%s", path, kids.data[i]);
		n += rmr(child);
	}
	deallocate_String_vector(&kids);
	rc = zoo_delete(zh, path, -1);
	if (rc != ZOK && rc != ZNONODE)
		die("delete %s: %s", path, zerror(rc));
	return n + 1;
}

static void usage(FILE *f)
{
	fputs("usage: zkraw -z HOSTS [-c CONC] (-d SECONDS | -n ITERATIONS) [-w WARMUP_S]\n"
	      "             [--start N] [--size BYTES] [--label L] [--json] [--layout 1|2]\n"
	      "             MODE ARGS...\n"
	      "modes: pair PREFIX | multipair PREFIX | fill-volumes ROOT NODE |\n"
	      "       fill-addrs ROOT CIDR PERCENT NODE first|random |\n"
	      "       read-volumes ROOT 1|2|3 | rmr PATH\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"start", required_argument, NULL, 1},
		{"size", required_argument, NULL, 2},
		{"label", required_argument, NULL, 3},
		{"json", no_argument, NULL, 4},
		{"layout", required_argument, NULL, 5},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *m;
	double elapsed, window;
	int c;

	while ((c = getopt_long(argc, argv, "+z:c:d:n:w:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'z':
			hosts = optarg;
			break;
		case 'c':
			conc = atoi(optarg);
			break;
		case 'd':
			duration = atof(optarg);
			break;
		case 'n':
			iterations = atol(optarg);
			break;
		case 'w':
			warmup = atof(optarg);
			break;
		case 1:
			start_at = atol(optarg);
			break;
		case 2:
			size = atoi(optarg);
			break;
		case 3:
			label = optarg;
			break;
		case 4:
			json = true;
			break;
		case 5:
			volume_layout = atoi(optarg);
			if (volume_layout != 1 && volume_layout != 2) {
				usage(stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (hosts == NULL || optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (conc < 1 || conc > 4096)
		die("-c must be 1..4096");
	if (size < 0 || size > 100000)
		die("--size must be 0..100000");
	if (duration > 3600 || iterations > 100000000L)
		die("-d is bounded to 3600 s and -n to 1e8");
	m = argv[optind++];
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (strcmp(m, "rmr") == 0) {
		double t0;
		long n;

		if (optind + 1 != argc)
			die("rmr PATH");
		connect_zk();
		t0 = now_s();
		n = rmr(argv[optind]);
		printf("removed %ld nodes under %s in %.2f s\n", n, argv[optind], now_s() - t0);
		zookeeper_close(zh);
		return 0;
	}
	if (strcmp(m, "pair") == 0 || strcmp(m, "multipair") == 0) {
		if (optind + 1 != argc)
			die("%s PREFIX", m);
		mode = m[0] == 'p' ? M_PAIR : M_MULTIPAIR;
		prefix = argv[optind];
	} else if (strcmp(m, "fill-volumes") == 0) {
		if (optind + 2 != argc)
			die("fill-volumes ROOT NODE");
		mode = M_FILL_VOLUMES;
		root = argv[optind];
		node = argv[optind + 1];
		duration = 0;
	} else if (strcmp(m, "fill-addrs") == 0) {
		if (optind + 5 != argc)
			die("fill-addrs ROOT CIDR PERCENT NODE first|random");
		mode = M_FILL_ADDRS;
		root = argv[optind];
		node = argv[optind + 3];
		duration = 0;
		plan_addrs(argv[optind + 1], atof(argv[optind + 2]), argv[optind + 4]);
	} else if (strcmp(m, "read-volumes") == 0) {
		if (optind + 2 != argc)
			die("read-volumes ROOT READS");
		mode = M_READ_VOLUMES;
		root = argv[optind];
		reads = atoi(argv[optind + 1]);
		if (reads < 1 || reads > MAX_STEPS)
			die("read-volumes: READS must be 1..%d", MAX_STEPS);
		duration = 0;
	} else {
		die("unknown mode %s", m);
	}
	if ((duration > 0) == (iterations > 0))
		die("give exactly one of -d SECONDS and -n ITERATIONS");
	if (warmup < 0 || (duration > 0 && warmup >= duration))
		die("-w must be less than -d");
	payload = malloc((size_t)size + 1);
	memset(payload, 'x', (size_t)size);
	payload[size] = '\0';
	connect_zk();
	if (mode == M_FILL_ADDRS)
		create_groups();

	t_start = now_s();
	t_measure = t_start + warmup;
	t_end = t_start + duration;
	pthread_mutex_lock(&lock);
	in_flight = conc;
	pthread_mutex_unlock(&lock);
	for (int k = 0; k < conc; k++) {
		struct iter *it = calloc(1, sizeof(*it));

		iter_start_next(it);
	}
	pthread_mutex_lock(&lock);
	while (in_flight > 0)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	elapsed = now_s() - t_start;
	window = duration > 0 ? duration - warmup : elapsed;
	zookeeper_close(zh);

	qsort(lat_all.v, lat_all.n, sizeof(uint32_t), cmp_u32);
	for (int k = 0; k < MAX_STEPS; k++)
		qsort(lat_step[k].v, lat_step[k].n, sizeof(uint32_t), cmp_u32);
	if (json) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		printf("{\"label\":\"%s\",\"mode\":\"%s\",\"conc\":%d,\"window_s\":%.3f,\"ops\":%ld,"
		       "\"errors\":%ld,\"ops_per_s\":%.1f,\"iter_per_s\":%.1f,\"cpu_s\":%.3f,",
		       label, m, conc, window, ops_count, errors, (double)done_in_window / window,
		       (double)iters_in_window / window,
		       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
			       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
		printf("\"all\":{\"n\":%zu,\"p50_us\":%u,\"p90_us\":%u,\"p99_us\":%u,\"max_us\":%u},",
		       lat_all.n, pct(&lat_all, 50), pct(&lat_all, 90), pct(&lat_all, 99),
		       lat_all.n ? lat_all.v[lat_all.n - 1] : 0);
		printf("\"steps\":[");
		for (int k = 0; k < MAX_STEPS; k++)
			printf("{\"n\":%zu,\"p50_us\":%u,\"p90_us\":%u,\"p99_us\":%u,\"max_us\":%u}%s",
			       lat_step[k].n, pct(&lat_step[k], 50), pct(&lat_step[k], 90),
			       pct(&lat_step[k], 99),
			       lat_step[k].n ? lat_step[k].v[lat_step[k].n - 1] : 0,
			       k + 1 < MAX_STEPS ? "," : "");
		printf("]}\n");
	} else {
		printf("%s%s%s, %d in flight, %.2f s measured\n", label, label[0] ? ": " : "", m,
		       conc, window);
		printf("  ops %ld, errors %ld, %.1f ops/s, %.1f iterations/s\n", ops_count, errors,
		       (double)done_in_window / window, (double)iters_in_window / window);
		printf("  %-12s %8s %8s %8s %8s %9s\n", "latency (us)", "n", "p50", "p90", "p99",
		       "max");
		for (int k = 0; k < MAX_STEPS; k++)
			if (lat_step[k].n)
				printf("  step %-7d %8zu %8u %8u %8u %9u\n", k, lat_step[k].n,
				       pct(&lat_step[k], 50), pct(&lat_step[k], 90),
				       pct(&lat_step[k], 99), lat_step[k].v[lat_step[k].n - 1]);
	}
	return errors > 0 ? 1 : 0;
}
