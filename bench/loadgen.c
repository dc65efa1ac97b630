/*
 * loadgen.c - load generator for the plugin's HTTP API over its unix socket
 * (libcurl multi interface, keep-alive connections).
 *
 *   loadgen -S SOCKET [-c CONNS] [-t THREADS] (-d SECONDS | -n ITERATIONS)
 *           [-w WARMUP_S] [--start N] [--rand N] [--tag S] [--capture KEY]
 *           [--label L] [--json] [--max-errors-shown N] STEP...
 *
 * A STEP is "Endpoint BODY", e.g. 'VolumeDriver.Get {"Name":"v%r"}'.  One
 * iteration runs every STEP in order on one connection; CONNS iterations run
 * at a time (spread over THREADS threads, each with its own multi handle).
 * In a BODY:
 *   %d  the iteration's number (unique over the run, from --start)
 *   %r  a random number in [0, --rand)
 *   %s  the --tag string
 *   %c  the connection's number
 *   %p  the value the previous step's reply gave for --capture KEY (a string;
 *       anything from its first '/' on is cut: "10.0.0.5/16" -> "10.0.0.5")
 *   %%  a percent sign
 * A reply other than HTTP 200 (or a transport error) counts as an error and
 * ends its iteration.  With -d, requests started in the first WARMUP_S
 * seconds are not counted; throughput is counted over the rest.
 *
 * Prints requests/s, iterations/s and p50/p90/p99/max latency overall and per
 * step, the error count and loadgen's own CPU time; --json prints one JSON
 * object instead (for bench/run.sh).
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BENCH_PROG "loadgen"
#include "samples.h"

#define MAX_STEPS 8
#define MAX_BODY 4096
#define MAX_REPLY (64u << 20)
#define MAX_SHOWN_DEFAULT 5

struct step {
	char *endpoint; /* "/VolumeDriver.Get" */
	char *body;	/* template */
};

struct opts {
	const char *socket;
	int conns, threads;
	double duration, warmup;
	long iterations;
	long start;
	long rand_range;
	const char *tag;
	const char *capture;
	const char *label;
	bool json;
	int max_shown;
	struct step steps[MAX_STEPS];
	int nsteps;
};

static struct opts O = {.conns = 1,
			.threads = 1,
			.rand_range = 1,
			.tag = "",
			.label = "",
			.max_shown = MAX_SHOWN_DEFAULT};

/* Shared between threads. */
static atomic_long next_iter;
static atomic_long errors_shown;
static double t_start, t_measure, t_end; /* monotonic seconds */

struct slot {
	struct worker *w;
	int conn;
	CURL *easy;
	struct curl_slist *headers;
	long iter; /* current iteration, -1 if none */
	int step;  /* current step */
	char body[MAX_BODY];
	char *reply;
	size_t rlen, rcap;
	char captured[256];
	double started;
	bool counted; /* started inside the measured window */
};

struct worker {
	pthread_t thread;
	int id;
	int nslots;
	struct slot *slots;
	CURLM *multi;
	uint64_t rng;
	struct samples per_step[MAX_STEPS];
	struct samples all;
	long done_in_window; /* requests completed inside the window */
	long iters_in_window;
	long errors;
	long requests;
	long total; /* every completed request, warm-up included */
};

static void samples_merge(struct samples *into, const struct samples *from)
{
	for (size_t i = 0; i < from->n; i++)
		samples_add(into, from->v[i]);
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Expand the step's template into slot->body. */
static void expand(struct slot *sl, const char *tpl)
{
	char *o = sl->body, *end = sl->body + MAX_BODY - 1;

	for (const char *p = tpl; *p && o < end; p++) {
		char tmp[64];
		const char *ins = NULL;

		if (*p != '%' || p[1] == '\0') {
			*o++ = *p;
			continue;
		}
		switch (*++p) {
		case 'd':
			snprintf(tmp, sizeof(tmp), "%ld", sl->iter);
			ins = tmp;
			break;
		case 'r':
			snprintf(tmp, sizeof(tmp), "%" PRIu64,
				 xorshift(&sl->w->rng) % (uint64_t)O.rand_range);
			ins = tmp;
			break;
		case 'c':
			snprintf(tmp, sizeof(tmp), "%d", sl->conn);
			ins = tmp;
			break;
		case 's':
			ins = O.tag;
			break;
		case 'p':
			ins = sl->captured;
			break;
		case '%':
			ins = "%";
			break;
		default:
			die("unknown substitution %%%c in a body", *p);
		}
		while (*ins && o < end)
			*o++ = *ins++;
	}
	*o = '\0';
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct slot *sl = ud;
	size_t n = size * nmemb;

	if (sl->rlen + n + 1 > sl->rcap) {
		if (sl->rlen + n + 1 > MAX_REPLY)
			return 0; /* too large: fails the transfer */
		while (sl->rcap < sl->rlen + n + 1)
			sl->rcap = sl->rcap ? sl->rcap * 2 : 4096;
		sl->reply = xrealloc(sl->reply, sl->rcap);
	}
	memcpy(sl->reply + sl->rlen, ptr, n);
	sl->rlen += n;
	sl->reply[sl->rlen] = '\0';
	return n;
}

/* The string value of "KEY" in a JSON reply (flat search), cut at its first '/'. */
static void capture(struct slot *sl)
{
	char pat[128];
	const char *p;
	size_t k = 0;

	sl->captured[0] = '\0';
	if (O.capture == NULL || sl->reply == NULL)
		return;
	snprintf(pat, sizeof(pat), "\"%s\":\"", O.capture);
	p = strstr(sl->reply, pat);
	if (p == NULL)
		return;
	for (p += strlen(pat); *p && *p != '"' && *p != '/' && k + 1 < sizeof(sl->captured); p++)
		sl->captured[k++] = *p;
	sl->captured[k] = '\0';
}

/* Start the next step of the slot's iteration, or a new iteration; false if none is left. */
static bool slot_start(struct slot *sl)
{
	const struct step *st;
	char url[256];

	if (sl->iter < 0 || sl->step >= O.nsteps) {
		double t = now_s();
		long it;

		if (O.duration > 0 && t >= t_end)
			return false;
		it = atomic_fetch_add(&next_iter, 1);
		if (O.iterations > 0 && it >= O.iterations)
			return false;
		sl->iter = it + O.start;
		sl->step = 0;
		sl->captured[0] = '\0';
	}
	st = &O.steps[sl->step];
	expand(sl, st->body);
	snprintf(url, sizeof(url), "http://zkswarm%s", st->endpoint);
	curl_easy_setopt(sl->easy, CURLOPT_URL, url);
	curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDS, sl->body);
	curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(sl->body));
	sl->rlen = 0;
	if (sl->reply)
		sl->reply[0] = '\0';
	sl->started = now_s();
	sl->counted = O.duration <= 0 || sl->started >= t_measure;
	curl_multi_add_handle(sl->w->multi, sl->easy);
	return true;
}

static void slot_done(struct slot *sl, CURLcode res)
{
	struct worker *w = sl->w;
	double t = now_s();
	long status = 0;
	bool ok;

	curl_multi_remove_handle(w->multi, sl->easy);
	if (res == CURLE_OK)
		curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status);
	ok = res == CURLE_OK && status == 200;
	w->total++;
	if (sl->counted) {
		uint32_t us = (uint32_t)((t - sl->started) * 1e6);

		w->requests++;
		samples_add(&w->per_step[sl->step], us);
		samples_add(&w->all, us);
		if (O.duration <= 0 || t <= t_end)
			w->done_in_window++;
		if (!ok)
			w->errors++;
	}
	if (!ok) {
		if (atomic_fetch_add(&errors_shown, 1) < O.max_shown)
			fprintf(stderr, "loadgen: %s %s -> %s %ld %.300s\n",
				O.steps[sl->step].endpoint, sl->body,
				res == CURLE_OK ? "HTTP" : curl_easy_strerror(res), status,
				sl->reply ? sl->reply : "");
		sl->step = O.nsteps; /* the iteration ends here */
	} else {
		capture(sl);
		sl->step++;
	}
	if (sl->step >= O.nsteps && sl->counted && ok && (O.duration <= 0 || t <= t_end))
		w->iters_in_window++;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int running = 0;

	w->multi = curl_multi_init();
	curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, (long)w->nslots + 1);
	for (int i = 0; i < w->nslots; i++) {
		struct slot *sl = &w->slots[i];

		sl->easy = curl_easy_init();
		sl->headers = curl_slist_append(NULL, "Content-Type: application/json");
		sl->headers = curl_slist_append(sl->headers, "Expect:");
		curl_easy_setopt(sl->easy, CURLOPT_UNIX_SOCKET_PATH, O.socket);
		curl_easy_setopt(sl->easy, CURLOPT_HTTPHEADER, sl->headers);
		curl_easy_setopt(sl->easy, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(sl->easy, CURLOPT_WRITEDATA, sl);
		curl_easy_setopt(sl->easy, CURLOPT_PRIVATE, sl);
		curl_easy_setopt(sl->easy, CURLOPT_TIMEOUT, 60L);
		curl_easy_setopt(sl->easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(sl->easy, CURLOPT_TCP_NODELAY, 1L);
		sl->iter = -1;
		if (slot_start(sl))
			running++;
	}
	while (running > 0) {
		int still, msgs;
		CURLMsg *m;

		if (curl_multi_perform(w->multi, &still) != CURLM_OK)
			die("curl_multi_perform failed");
		while ((m = curl_multi_info_read(w->multi, &msgs)) != NULL) {
			struct slot *sl;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
			slot_done(sl, m->data.result);
			if (!slot_start(sl))
				running--;
		}
		if (running > 0 && still > 0)
			curl_multi_poll(w->multi, NULL, 0, 100, NULL);
	}
	for (int i = 0; i < w->nslots; i++) {
		curl_easy_cleanup(w->slots[i].easy);
		curl_slist_free_all(w->slots[i].headers);
		free(w->slots[i].reply);
	}
	curl_multi_cleanup(w->multi);
	return NULL;
}

static void usage(FILE *f)
{
	fputs("usage: loadgen -S SOCKET [-c CONNS] [-t THREADS] (-d SECONDS | -n ITERATIONS)\n"
	      "               [-w WARMUP_S] [--start N] [--rand N] [--tag S] [--capture KEY]\n"
	      "               [--label L] [--json] [--max-errors-shown N] 'Endpoint BODY'...\n"
	      "body substitutions: %d iteration, %r random in [0,--rand), %s tag, %c connection,\n"
	      "                    %p captured value of the previous step, %% percent\n",
	      f);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 'S'},
		{"conns", required_argument, NULL, 'c'},
		{"threads", required_argument, NULL, 't'},
		{"duration", required_argument, NULL, 'd'},
		{"iterations", required_argument, NULL, 'n'},
		{"warmup", required_argument, NULL, 'w'},
		{"start", required_argument, NULL, 1},
		{"rand", required_argument, NULL, 2},
		{"tag", required_argument, NULL, 3},
		{"capture", required_argument, NULL, 4},
		{"label", required_argument, NULL, 5},
		{"json", no_argument, NULL, 6},
		{"max-errors-shown", required_argument, NULL, 7},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "S:c:t:d:n:w:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			O.socket = optarg;
			break;
		case 'c':
			O.conns = atoi(optarg);
			break;
		case 't':
			O.threads = atoi(optarg);
			break;
		case 'd':
			O.duration = atof(optarg);
			break;
		case 'n':
			O.iterations = atol(optarg);
			break;
		case 'w':
			O.warmup = atof(optarg);
			break;
		case 1:
			O.start = atol(optarg);
			break;
		case 2:
			O.rand_range = atol(optarg);
			break;
		case 3:
			O.tag = optarg;
			break;
		case 4:
			O.capture = optarg;
			break;
		case 5:
			O.label = optarg;
			break;
		case 6:
			O.json = true;
			break;
		case 7:
			O.max_shown = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (O.socket == NULL)
		die("-S SOCKET is required");
	if (O.conns < 1 || O.conns > 1024)
		die("-c must be 1..1024");
	if (O.threads < 1 || O.threads > 64)
		die("-t must be 1..64");
	if (O.threads > O.conns)
		O.threads = O.conns;
	if ((O.duration > 0) == (O.iterations > 0))
		die("give exactly one of -d SECONDS and -n ITERATIONS");
	if (O.duration > 3600 || O.iterations > 100000000L)
		die("-d is bounded to 3600 s and -n to 1e8");
	if (O.warmup < 0 || (O.duration > 0 && O.warmup >= O.duration))
		die("-w must be less than -d");
	if (O.rand_range < 1)
		die("--rand must be >= 1");
	for (int i = optind; i < argc; i++) {
		const char *a = argv[i], *sp = strchr(a, ' ');
		struct step *st;

		if (O.nsteps == MAX_STEPS)
			die("at most %d steps", MAX_STEPS);
		st = &O.steps[O.nsteps++];
		if (sp == NULL) {
			sp = a + strlen(a);
		}
		if (asprintf(&st->endpoint, "%s%.*s", a[0] == '/' ? "" : "/", (int)(sp - a), a) < 0)
			die("out of memory");
		st->body = strdup(*sp ? sp + 1 : "{}");
	}
	if (O.nsteps == 0)
		die("give at least one step, e.g. 'VolumeDriver.List {}'");
}

static void print_stats_json(const char *key, const struct samples *s, bool comma)
{
	printf("\"%s\":{\"n\":%zu,\"p50_us\":%u,\"p90_us\":%u,\"p99_us\":%u,\"max_us\":%u}%s", key,
	       s->n, pct(s, 50), pct(s, 90), pct(s, 99), s->n ? s->v[s->n - 1] : 0,
	       comma ? "," : "");
}

int main(int argc, char **argv)
{
	struct worker *workers;
	struct samples all = {0}, steps[MAX_STEPS] = {{0}};
	long done = 0, iters = 0, errors = 0, requests = 0, total = 0;
	double window, elapsed, cpu;
	struct rusage ru;
	int slot_base = 0;

	parse_args(argc, argv);
	if (curl_global_init(CURL_GLOBAL_NOTHING) != 0)
		die("curl_global_init failed");
	workers = calloc((size_t)O.threads, sizeof(*workers));
	t_start = now_s();
	t_measure = t_start + O.warmup;
	t_end = t_start + O.duration;
	for (int i = 0; i < O.threads; i++) {
		struct worker *w = &workers[i];

		w->id = i;
		w->nslots = O.conns / O.threads + (i < O.conns % O.threads);
		w->slots = calloc((size_t)w->nslots, sizeof(*w->slots));
		w->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)(i + 1) * 0xbf58476d1ce4e5b9ull) ^
			 (uint64_t)time(NULL);
		for (int k = 0; k < w->nslots; k++) {
			w->slots[k].w = w;
			w->slots[k].conn = slot_base++;
		}
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
			die("pthread_create: %s", strerror(errno));
	}
	for (int i = 0; i < O.threads; i++) {
		struct worker *w = &workers[i];

		pthread_join(w->thread, NULL);
		for (int k = 0; k < O.nsteps; k++)
			samples_merge(&steps[k], &w->per_step[k]);
		samples_merge(&all, &w->all);
		done += w->done_in_window;
		iters += w->iters_in_window;
		errors += w->errors;
		requests += w->requests;
		total += w->total;
	}
	elapsed = now_s() - t_start;
	window = O.duration > 0 ? O.duration - O.warmup : elapsed;
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	qsort(all.v, all.n, sizeof(*all.v), cmp_u32);
	for (int k = 0; k < O.nsteps; k++)
		qsort(steps[k].v, steps[k].n, sizeof(*steps[k].v), cmp_u32);

	if (O.json) {
		printf("{\"label\":\"%s\",\"conns\":%d,\"threads\":%d,\"window_s\":%.3f,"
		       "\"requests\":%ld,\"requests_total\":%ld,\"errors\":%ld,\"req_per_s\":%.1f,\"iter_per_s\":%.1f,"
		       "\"loadgen_cpu_s\":%.3f,\"elapsed_s\":%.3f,",
		       O.label, O.conns, O.threads, window, requests, total, errors,
		       (double)done / window, (double)iters / window, cpu, elapsed);
		print_stats_json("all", &all, true);
		printf("\"steps\":[");
		for (int k = 0; k < O.nsteps; k++) {
			printf("{\"endpoint\":\"%s\",", O.steps[k].endpoint + 1);
			print_stats_json("latency", &steps[k], false);
			printf("}%s", k + 1 < O.nsteps ? "," : "");
		}
		printf("]}\n");
	} else {
		printf("%s%s%d connection(s), %d thread(s), %.2f s measured\n", O.label,
		       O.label[0] ? ": " : "", O.conns, O.threads, window);
		printf("  requests %ld, errors %ld, %.1f req/s, %.1f iterations/s (loadgen CPU %.2f s)\n",
		       requests, errors, (double)done / window, (double)iters / window, cpu);
		printf("  %-34s %8s %8s %8s %8s %9s\n", "latency (us)", "n", "p50", "p90", "p99",
		       "max");
		for (int k = 0; k < O.nsteps; k++)
			printf("  %-34s %8zu %8u %8u %8u %9u\n", O.steps[k].endpoint + 1,
			       steps[k].n, pct(&steps[k], 50), pct(&steps[k], 90),
			       pct(&steps[k], 99), steps[k].n ? steps[k].v[steps[k].n - 1] : 0);
		if (O.nsteps > 1)
			printf("  %-34s %8zu %8u %8u %8u %9u\n", "(all)", all.n, pct(&all, 50),
			       pct(&all, 90), pct(&all, 99), all.n ? all.v[all.n - 1] : 0);
	}
	curl_global_cleanup();
	return errors > 0 ? 1 : 0;
}
