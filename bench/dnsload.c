/*
 * dnsload.c - UDP load generator for DNS servers (bench/run.sh's DNS section).
 *
 *   dnsload -s IP:PORT -f FILE [-c CLIENTS] [-d SECONDS] [-w WARMUP_S] [-T TIMEOUT_MS]
 *           [--label L] [--json]
 *
 * FILE holds one query a line, "NAME TYPE" (TYPE: A, AAAA, SRV, PTR or a number); the
 * queries are cycled through, each client starting at its own offset.  CLIENTS threads, each
 * with its own connected UDP socket and one query in flight: send, wait for the reply with the
 * same ID (TIMEOUT_MS, default 1000), next.  A reply counts as answered if it is a response
 * (QR), rcode NOERROR, not truncated and with at least one answer record; anything else (another
 * rcode, no answer, TC, a timeout, a send error) is a failure.  Replies with another ID (late
 * replies to timed-out queries) are dropped.  Queries sent in the first WARMUP_S seconds are not
 * counted; the rate is answered queries over the rest of the run.
 *
 * Queries are built by hand (RFC 1035 4.1: a 12-byte header with RD set, one question, no
 * EDNS): a query is a fixed header and the name's labels, nothing a library would add to.
 *
 * Prints queries/s, failures and p50/p90/p99/max latency (send to reply, answered queries only);
 * --json prints one JSON object instead.  Exits 1 if any query failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BENCH_PROG "dnsload"
#include "samples.h"

#define MAX_QUERY 300
#define MAX_QUERIES 1000000
#define MAX_CLIENTS 256

struct query {
	uint8_t wire[MAX_QUERY];
	size_t len;
};

static struct {
	struct sockaddr_in server;
	const char *file, *label;
	int clients, timeout_ms;
	double duration, warmup;
	bool json;
} O = {.clients = 1, .timeout_ms = 1000, .duration = 4, .warmup = 1, .label = ""};

static struct query *Q;
static size_t NQ;
static double t_start, t_measure, t_end;

struct client {
	pthread_t thread;
	int id;
	struct samples lat;
	long answered, failures, timeouts, sent;
};

static int qtype_of(const char *s)
{
	static const struct {
		const char *name;
		int type;
	} types[] = {{"A", 1}, {"PTR", 12}, {"AAAA", 28}, {"SRV", 33}};
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].name) == 0)
			return types[i].type;
	v = strtol(s, &end, 10);
	return *s && *end == '\0' && v > 0 && v < 65536 ? (int)v : -1;
}

/* The question of NAME (dotted, a final dot optional) in wire form at q; -1 if not a name. */
static int build_query(struct query *q, const char *name, int type)
{
	size_t n = 12;
	const char *p = name;

	memset(q->wire, 0, 12);
	q->wire[2] = 0x01; /* RD */
	q->wire[5] = 1;	   /* QDCOUNT */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		if (l == 0 || l > 63 || n + 1 + l + 5 > MAX_QUERY)
			return -1;
		q->wire[n++] = (uint8_t)l;
		memcpy(q->wire + n, p, l);
		n += l;
		p += l + (dot != NULL);
	}
	q->wire[n++] = 0;
	q->wire[n++] = (uint8_t)(type >> 8);
	q->wire[n++] = (uint8_t)type;
	q->wire[n++] = 0;
	q->wire[n++] = 1; /* IN */
	q->len = n;
	return 0;
}

static void load_queries(const char *file)
{
	FILE *f = fopen(file, "r");
	char line[512], name[300], type[16];
	size_t cap = 0;
	int lineno = 0;

	if (f == NULL)
		die("%s: %s", file, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL && NQ < MAX_QUERIES) {
		int t;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%299s %15s", name, type) != 2 || (t = qtype_of(type)) < 0)
			die("%s:%d: want \"NAME TYPE\"", file, lineno);
		if (NQ == cap) {
			cap = cap ? cap * 2 : 1024;
			Q = xrealloc(Q, cap * sizeof(*Q));
		}
		if (build_query(&Q[NQ], name, t) < 0)
			die("%s:%d: not a DNS name: %s", file, lineno, name);
		NQ++;
	}
	fclose(f);
	if (NQ == 0)
		die("%s: no queries", file);
}

/* 1 if the reply to the query with this id answers it, 0 if it fails it, -1 if not ours. */
static int check_reply(const uint8_t *r, ssize_t n, uint16_t id)
{
	if (n < 12 || (uint16_t)(r[0] << 8 | r[1]) != id || !(r[2] & 0x80))
		return -1;
	return (r[3] & 0x0f) == 0 && !(r[2] & 0x02) && (r[6] << 8 | r[7]) > 0;
}

/* Send q with this id and wait for its reply: latency in µs, or -1 on failure. */
static long one_query(int fd, const struct query *q, uint16_t id, bool *timed_out)
{
	uint8_t wire[MAX_QUERY], reply[4096];
	double t0 = now_s(), deadline = t0 + O.timeout_ms / 1000.0;

	/* a copy: the clients share Q */
	memcpy(wire, q->wire, q->len);
	wire[0] = (uint8_t)(id >> 8);
	wire[1] = (uint8_t)id;
	*timed_out = false;
	if (send(fd, wire, q->len, 0) != (ssize_t)q->len)
		return -1;
	for (int spins = 0; spins < 10000; spins++) { /* bounded: stray replies are few */
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		double left = deadline - now_s();
		ssize_t n;
		int ok;

		if (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			break;
		n = recv(fd, reply, sizeof(reply), 0);
		if (n < 0)
			return -1; /* e.g. ECONNREFUSED: nothing listens */
		ok = check_reply(reply, n, id);
		if (ok == 1)
			return (long)((now_s() - t0) * 1e6);
		if (ok == 0)
			return -1;
	}
	*timed_out = true;
	return -1;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	size_t i = (size_t)c->id * (NQ / (size_t)O.clients + 1);
	uint16_t id = (uint16_t)(c->id * 7919);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&O.server, sizeof(O.server)) < 0)
		die("socket/connect: %s", strerror(errno));
	for (;;) {
		double t = now_s();
		bool counted = t >= t_measure, timed_out;
		long us;

		if (t >= t_end)
			break;
		us = one_query(fd, &Q[i++ % NQ], ++id, &timed_out);
		if (!counted)
			continue;
		c->sent++;
		if (us >= 0) {
			c->answered++;
			samples_add(&c->lat, (uint32_t)us);
		} else {
			c->failures++;
			c->timeouts += timed_out;
		}
	}
	close(fd);
	return NULL;
}

static void usage(void)
{
	fputs("usage: dnsload -s IP:PORT -f FILE [-c CLIENTS] [-d SECONDS] [-w WARMUP_S]\n"
	      "               [-T TIMEOUT_MS] [--label L] [--json]\n",
	      stderr);
	exit(2);
}

static void parse_server(const char *s)
{
	char ip[64];
	const char *colon = strrchr(s, ':');
	long port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(ip))
		die("-s wants IP:PORT, not %s", s);
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	port = strtol(colon + 1, NULL, 10);
	O.server.sin_family = AF_INET;
	O.server.sin_port = htons((uint16_t)port);
	if (port < 1 || port > 65535 || inet_pton(AF_INET, ip, &O.server.sin_addr) != 1)
		die("-s wants IP:PORT, not %s", s);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longs[] = {{"label", required_argument, NULL, 1},
					      {"json", no_argument, NULL, 2},
					      {0}};
	int ch;

	while ((ch = getopt_long(argc, argv, "s:f:c:d:w:T:", longs, NULL)) != -1) {
		switch (ch) {
		case 's':
			parse_server(optarg);
			break;
		case 'f':
			O.file = optarg;
			break;
		case 'c':
			O.clients = atoi(optarg);
			break;
		case 'd':
			O.duration = atof(optarg);
			break;
		case 'w':
			O.warmup = atof(optarg);
			break;
		case 'T':
			O.timeout_ms = atoi(optarg);
			break;
		case 1:
			O.label = optarg;
			break;
		case 2:
			O.json = true;
			break;
		default:
			usage();
		}
	}
	if (O.server.sin_family == 0 || O.file == NULL || optind != argc)
		usage();
	if (O.clients < 1 || O.clients > MAX_CLIENTS)
		die("-c: 1 to %d clients", MAX_CLIENTS);
	if (O.duration <= 0 || O.warmup < 0 || O.warmup >= O.duration)
		die("-d must be positive and -w below it");
	if (O.timeout_ms < 1 || O.timeout_ms > 60000)
		die("-T: 1 to 60000 ms");
}

static void report(const struct samples *all, long answered, long failures, long timeouts,
		   long sent)
{
	double window = O.duration - O.warmup, cpu;
	struct rusage ru;
	uint32_t max = all->n ? all->v[all->n - 1] : 0;

	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (O.json) {
		printf("{\"label\":\"%s\",\"clients\":%d,\"names\":%zu,\"window_s\":%.3f,"
		       "\"queries\":%ld,\"answered\":%ld,\"failures\":%ld,\"timeouts\":%ld,"
		       "\"q_per_s\":%.1f,\"dnsload_cpu_s\":%.3f,"
		       "\"all\":{\"n\":%zu,\"p50_us\":%u,\"p90_us\":%u,\"p99_us\":%u,\"max_us\":%u}}\n",
		       O.label, O.clients, NQ, window, sent, answered, failures, timeouts,
		       (double)answered / window, cpu, all->n, pct(all, 50), pct(all, 90),
		       pct(all, 99), max);
		return;
	}
	printf("%s%s%d client(s), %zu queries cycled, %.2f s measured\n", O.label,
	       O.label[0] ? ": " : "", O.clients, NQ, window);
	printf("  sent %ld, answered %ld, failures %ld (timeouts %ld), %.1f queries/s (CPU %.2f s)\n",
	       sent, answered, failures, timeouts, (double)answered / window, cpu);
	printf("  latency us: p50 %u, p90 %u, p99 %u, max %u\n", pct(all, 50), pct(all, 90),
	       pct(all, 99), max);
}

int main(int argc, char **argv)
{
	struct client *clients;
	struct samples all = {0};
	long answered = 0, failures = 0, timeouts = 0, sent = 0;

	parse_args(argc, argv);
	load_queries(O.file);
	clients = calloc((size_t)O.clients, sizeof(*clients));
	if (clients == NULL)
		die("out of memory");
	t_start = now_s();
	t_measure = t_start + O.warmup;
	t_end = t_start + O.duration;
	for (int i = 0; i < O.clients; i++) {
		clients[i].id = i;
		if (pthread_create(&clients[i].thread, NULL, client_main, &clients[i]) != 0)
			die("pthread_create: %s", strerror(errno));
	}
	for (int i = 0; i < O.clients; i++) {
		struct client *c = &clients[i];

		pthread_join(c->thread, NULL);
		for (size_t k = 0; k < c->lat.n; k++)
			samples_add(&all, c->lat.v[k]);
		free(c->lat.v);
		answered += c->answered;
		failures += c->failures;
		timeouts += c->timeouts;
		sent += c->sent;
	}
	qsort(all.v, all.n, sizeof(*all.v), cmp_u32);
	report(&all, answered, failures, timeouts, sent);
	free(all.v);
	free(clients);
	free(Q);
	return failures > 0 ? 1 : 0;
}
