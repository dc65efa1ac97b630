/*
 * cfgwatch.c - how long a change takes to reach files on many nodes (bench/run.sh's
 * configuration section): runs a command (`zkswarmctl config put ...`) and times, from the
 * moment before it starts, when each of the watched files first has the new contents.
 *
 *   cfgwatch --new FILE [--timeout-ms N] [--poll-ms N] [--label L] [--zk HOSTS --znode PATH]
 *            PATH... -- CMD [ARG...]
 *
 * FILE holds the contents the command is expected to give every PATH; each PATH's contents
 * before the command are its old ones.  Each PATH's directory is watched with inotify (the
 * swap of a configuration volume moves `..data` into it); on every event, and every
 * --poll-ms (default 10) as a safety net, the files not yet new are read again whole.  A PATH
 * counts as new when its whole contents equal FILE's; contents that are neither the old nor
 * the new are counted as torn (a reader saw a mix or a part).  Ends when every PATH is new
 * and the command has exited, or after --timeout-ms (default 30000).  With --zk and --znode, a
 * ZooKeeper session of its own (made before the command starts) sets a data watch on the znode
 * (the configuration's head): the time its watch fires is when ZooKeeper had applied the change
 * and told a watcher, as it tells each node's mirror (zk_ms).
 *
 * Prints one JSON object: cmd_ms (the command's run time) and cmd_rc, nodes_ms (each PATH's
 * time, in order; null if it never became new), last_ms (the largest, null if any is missing),
 * via_inotify / via_poll (what woke the read that saw each PATH new), torn, read_errors,
 * missing, and zk_ms (null without --zk, or if the watch did not fire).  Times in
 * milliseconds with microsecond resolution (CLOCK_MONOTONIC).  Exit 0 if every PATH became new
 * and nothing was torn, 1 otherwise, 2 on a usage or set-up error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#define BENCH_PROG "cfgwatch"
#include "common.h"

#define MAX_PATHS 256
#define MAX_FILE (1u << 20) /* the largest contents compared (1 MiB) */

/* ---- the optional ZooKeeper watch on the head ------------------------------------------------ */

static int64_t zk_fired_ns; /* CLOCK_MONOTONIC of the watch's event, 0 until then (atomic) */

static void head_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct timespec ts;

	(void)zh, (void)state, (void)path, (void)ctx;
	if (type != ZOO_CHANGED_EVENT && type != ZOO_CREATED_EVENT && type != ZOO_DELETED_EVENT)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	__atomic_store_n(&zk_fired_ns, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec,
			 __ATOMIC_RELEASE);
}

static void session_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	(void)zh, (void)type, (void)state, (void)path, (void)ctx;
}

/* A session to hosts with a data watch on znode (5 s bound); dies if it cannot. */
static zhandle_t *zk_watch(const char *hosts, const char *znode)
{
	zhandle_t *zh;
	struct Stat st;
	int i, rc;

	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
	zh = zookeeper_init(hosts, session_watcher, 10000, NULL, NULL, 0);
	if (zh == NULL)
		die("zookeeper_init %s: %s", hosts, strerror(errno));
	for (i = 0; i < 500 && zoo_state(zh) != ZOO_CONNECTED_STATE; i++)
		usleep(10000);
	if (zoo_state(zh) != ZOO_CONNECTED_STATE)
		die("no ZooKeeper session to %s in 5 s", hosts);
	rc = zoo_wexists(zh, znode, head_watcher, NULL, &st);
	if (rc != ZOK)
		die("watching %s: %s", znode, zerror(rc));
	return zh;
}

/* ---- the files ------------------------------------------------------------------------------ */

struct watched {
	const char *path;
	char *old;
	size_t old_len;
	double seen_s; /* 0: not new yet */
	bool via_inotify;
};

struct watch {
	struct watched w[MAX_PATHS];
	size_t n, pending;
	char *new;
	size_t new_len;
	int ifd;
	double t0;
	unsigned torn, read_errors;
};

/* Read a whole file (at most MAX_FILE bytes); NULL on an error. */
static char *slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	buf = malloc(MAX_FILE + 1);
	if (buf == NULL)
		die("out of memory");
	while (n < MAX_FILE + 1) {
		ssize_t r = read(fd, buf + n, MAX_FILE + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

static void watch_add(struct watch *wt, const char *path)
{
	struct watched *w;
	char *dir;

	if (wt->n == MAX_PATHS)
		die("at most %d paths", MAX_PATHS);
	w = &wt->w[wt->n++];
	w->path = path;
	w->old = slurp(path, &w->old_len);
	if (w->old == NULL)
		die("cannot read %s: %s", path, strerror(errno));
	if (w->old_len == wt->new_len && !memcmp(w->old, wt->new, w->old_len))
		die("%s already has the new contents", path);
	dir = strdup(path);
	if (dir == NULL)
		die("out of memory");
	if (inotify_add_watch(wt->ifd, dirname(dir),
			      IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB) < 0)
		die("inotify on the directory of %s: %s", path, strerror(errno));
	free(dir);
	wt->pending++;
}

/* Read the files not yet new again; via_inotify: an event woke this check. */
static void check(struct watch *wt, bool via_inotify)
{
	for (size_t i = 0; i < wt->n; i++) {
		struct watched *w = &wt->w[i];
		size_t len = 0;
		char *c;

		if (w->seen_s > 0)
			continue;
		c = slurp(w->path, &len);
		if (c == NULL) {
			wt->read_errors++;
			continue;
		}
		if (len == wt->new_len && !memcmp(c, wt->new, len)) {
			w->seen_s = now_s();
			w->via_inotify = via_inotify;
			wt->pending--;
		} else if (len != w->old_len || memcmp(c, w->old, len)) {
			wt->torn++;
		}
		free(c);
	}
}

/* Drain the inotify queue; true if it held an event. */
static bool drain(int ifd)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;

	while (read(ifd, buf, sizeof(buf)) > 0)
		any = true;
	return any;
}

static pid_t spawn(char **argv)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, BENCH_PROG ": cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static void print_ms(double s, const char *sep)
{
	if (s > 0)
		printf("%.3f%s", s * 1000.0, sep);
	else
		printf("null%s", sep);
}

static void report(const struct watch *wt, const char *label, double cmd_s, int cmd_rc)
{
	int64_t zk_ns = __atomic_load_n(&zk_fired_ns, __ATOMIC_ACQUIRE);
	double last = 0;
	unsigned ino = 0, pol = 0;

	printf("{\"label\":\"%s\",\"nodes\":%zu,\"cmd_ms\":", label, wt->n);
	print_ms(cmd_s, ",");
	printf("\"cmd_rc\":%d,\"nodes_ms\":[", cmd_rc);
	for (size_t i = 0; i < wt->n; i++) {
		const struct watched *w = &wt->w[i];

		print_ms(w->seen_s > 0 ? w->seen_s - wt->t0 : 0, i + 1 < wt->n ? "," : "");
		if (w->seen_s > 0) {
			last = w->seen_s - wt->t0 > last ? w->seen_s - wt->t0 : last;
			ino += w->via_inotify;
			pol += !w->via_inotify;
		}
	}
	printf("],\"last_ms\":");
	print_ms(wt->pending ? 0 : last, ",");
	printf("\"via_inotify\":%u,\"via_poll\":%u,\"torn\":%u,\"read_errors\":%u,\"missing\":%zu,"
	       "\"zk_ms\":",
	       ino, pol, wt->torn, wt->read_errors, wt->pending);
	print_ms(zk_ns ? (double)zk_ns / 1e9 - wt->t0 : 0, "}\n");
}

struct opts {
	const char *new_file, *label, *zk, *znode;
	long timeout_ms, poll_ms;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {{"new", required_argument, NULL, 'n'},
					   {"timeout-ms", required_argument, NULL, 't'},
					   {"poll-ms", required_argument, NULL, 'p'},
					   {"label", required_argument, NULL, 'l'},
					   {"zk", required_argument, NULL, 'z'},
					   {"znode", required_argument, NULL, 'Z'},
					   {NULL, 0, NULL, 0}};
	int c;

	*o = (struct opts){.label = "", .timeout_ms = 30000, .poll_ms = 10};
	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->new_file = optarg;
			break;
		case 't':
			o->timeout_ms = atol(optarg);
			break;
		case 'p':
			o->poll_ms = atol(optarg);
			break;
		case 'l':
			o->label = optarg;
			break;
		case 'z':
			o->zk = optarg;
			break;
		case 'Z':
			o->znode = optarg;
			break;
		default:
			die("usage: cfgwatch --new FILE [--timeout-ms N] [--poll-ms N] [--label L] "
			    "[--zk HOSTS --znode PATH] PATH... -- CMD...");
		}
	}
	if (o->new_file == NULL || o->timeout_ms <= 0 || o->poll_ms <= 0 || !o->zk != !o->znode)
		die("--new FILE is needed; --timeout-ms and --poll-ms must be positive; --zk goes "
		    "with --znode");
	return optind;
}

int main(int argc, char **argv)
{
	static struct watch wt;
	struct opts o;
	int i = parse(argc, argv, &o), status = 0, cmd_rc = -1;
	double cmd_s = 0, deadline;
	zhandle_t *zh = NULL;
	pid_t pid;

	wt.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (wt.ifd < 0)
		die("inotify_init1: %s", strerror(errno));
	wt.new = slurp(o.new_file, &wt.new_len);
	if (wt.new == NULL || wt.new_len > MAX_FILE)
		die("cannot read %s (or over %u bytes)", o.new_file, MAX_FILE);
	for (; i < argc && strcmp(argv[i], "--"); i++)
		watch_add(&wt, argv[i]);
	if (i + 1 >= argc || wt.n == 0)
		die("PATH... -- CMD: at least one path and a command");
	if (o.zk != NULL)
		zh = zk_watch(o.zk, o.znode);
	wt.t0 = now_s();
	pid = spawn(argv + i + 1);
	deadline = wt.t0 + (double)o.timeout_ms / 1000.0;
	while ((wt.pending > 0 || cmd_rc < 0) && now_s() < deadline) {
		struct pollfd p = {.fd = wt.ifd, .events = POLLIN};
		bool ev = poll(&p, 1, (int)o.poll_ms) > 0 && drain(wt.ifd);

		if (wt.pending > 0)
			check(&wt, ev);
		if (cmd_rc < 0 && waitpid(pid, &status, WNOHANG) == pid) {
			cmd_s = now_s() - wt.t0;
			cmd_rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
	}
	if (cmd_rc < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (zh != NULL) {
		/* the watch fires in the client's thread: at most 1 s more for it */
		for (int k = 0; k < 100 && !__atomic_load_n(&zk_fired_ns, __ATOMIC_ACQUIRE); k++)
			usleep(10000);
		zookeeper_close(zh);
	}
	report(&wt, o.label, cmd_s, cmd_rc);
	return wt.pending || wt.torn || cmd_rc != 0;
}
