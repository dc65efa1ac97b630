/*
 * server.c - the DNS listener: UDP and TCP on one loopback address (DNS_LISTEN), one thread
 * that answers both through zks_dns_answer and rebuilds the index when the mirror changes.
 *
 * The store's change callback only marks the index dirty and wakes the thread; the thread
 * rebuilds at most every REBUILD_MS (a burst of changes costs a rebuild per period, and a
 * change is answered within that period).  The new index is published by a swap under
 * `lock` (a leaf: it guards the pointer, its reference and the counters), and a query holds
 * one snapshot.  TCP (RFC 7766): at most MAX_CONNS connections (one more is accepted and
 * closed at once), each closed after IDLE_MS without a complete query, 2-byte length framing,
 * pipelined queries answered in order, a connection that does not read its replies is not
 * read either (at most OUT_MAX bytes wait for it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zkswarm/dns.h"
#include "zkswarm/log.h"
#include "zkswarm/metrics.h"
#include "zkswarm/util.h"

#define MAX_CONNS 64
#define IDLE_MS 5000
#define REBUILD_MS 100
#define BATCH 64 /* datagrams, accepts or queries of a connection per wake-up */
#define MSG_MAX 65535
#define OUT_MAX (4 * (MSG_MAX + 2))

struct conn {
	int fd;
	int64_t last_ms;
	uint8_t in[2 + MSG_MAX];
	size_t inlen;
	uint8_t *out;
	size_t outlen;
};

struct zks_dns {
	struct zks_store *store;
	char *domain;
	uint32_t ttl;
	int udp, tcp, wake;
	uint16_t port;
	pthread_t thread;
	bool running;
	atomic_bool dirty, stopping;
	int64_t built_ms;
	pthread_mutex_t lock; /* leaf: current */
	struct zks_dns_index *current;
	struct conn *conns[MAX_CONNS];
	uint8_t reply[MSG_MAX];
};

/* ---- the address ---------------------------------------------------------------------------- */

int zks_dns_listen_parse(const char *text, uint32_t *ip, uint16_t *port, struct zks_error *err)
{
	const char *colon = text != NULL ? strrchr(text, ':') : NULL;
	char host[INET_ADDRSTRLEN];
	struct in_addr a;
	char *end;
	unsigned long p;

	if (colon == NULL || colon == text || (size_t)(colon - text) >= sizeof(host))
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "DNS_LISTEN `%.64s` must be a loopback address and a port "
				     "(127.0.0.1:5353)",
				     text != NULL ? text : "");
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno || p > 65535 ||
	    inet_pton(AF_INET, host, &a) != 1)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "DNS_LISTEN `%.64s` must be an IPv4 address and a port", text);
	if ((ntohl(a.s_addr) >> 24) != 127)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "DNS_LISTEN `%.64s` is not a loopback address: the DNS server "
				     "answers only on 127.0.0.0/8 for now",
				     text);
	*ip = ntohl(a.s_addr);
	*port = (uint16_t)p;
	return 0;
}

static int bind_socket(int type, struct sockaddr_in *addr, struct zks_error *err)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	socklen_t len = sizeof(*addr);

	if (fd < 0)
		return zks_error_errno(err, errno, "DNS: socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, MAX_CONNS) < 0) ||
	    getsockname(fd, (struct sockaddr *)addr, &len) < 0) {
		int e = errno;

		close(fd);
		return zks_error_errno(err, e, "DNS: bind %s:%u", inet_ntoa(addr->sin_addr),
				       ntohs(addr->sin_port));
	}
	return fd;
}

/* ---- the index ------------------------------------------------------------------------------ */

struct zks_dns_index *zks_dns_snapshot(struct zks_dns *dns)
{
	struct zks_dns_index *ix;

	pthread_mutex_lock(&dns->lock);
	ix = zks_dns_index_ref(dns->current);
	pthread_mutex_unlock(&dns->lock);
	return ix;
}

void zks_dns_refresh(struct zks_dns *dns)
{
	struct zks_dns_index *ix = zks_dns_index_build(dns->store, dns->domain), *old;

	pthread_mutex_lock(&dns->lock);
	old = dns->current;
	dns->current = ix;
	pthread_mutex_unlock(&dns->lock);
	zks_dns_index_unref(old);
}

static void on_change(void *ctx)
{
	struct zks_dns *dns = ctx;
	uint64_t one = 1;

	atomic_store(&dns->dirty, true);
	if (write(dns->wake, &one, sizeof(one)) < 0) {
		/* The counter is full: the thread is awake already. */
	}
}

/* One query through the current index; the reply's length (0: none) in *outlen. */
static int answer(struct zks_dns *dns, const uint8_t *wire, size_t len, bool tcp, size_t *outlen)
{
	struct zks_dns_index *ix = zks_dns_snapshot(dns);
	struct zks_dns_query q = {.wire = wire, .len = len, .tcp = tcp, .ttl = dns->ttl};
	int rcode = zks_dns_answer(ix, &q, dns->reply, outlen);

	zks_dns_index_unref(ix);
	zks_metrics_dns_reply(rcode, rcode >= 0 && *outlen >= 12 && (dns->reply[2] & 0x02));
	return rcode;
}

/* ---- UDP ------------------------------------------------------------------------------------ */

static void serve_udp(struct zks_dns *dns)
{
	uint8_t buf[MSG_MAX];

	for (int i = 0; i < BATCH; i++) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		ssize_t n =
			recvfrom(dns->udp, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		size_t outlen = 0;

		if (n < 0)
			return;
		if (answer(dns, buf, (size_t)n, false, &outlen) >= 0 && outlen > 0)
			sendto(dns->udp, dns->reply, outlen, MSG_DONTWAIT, (struct sockaddr *)&from,
			       fromlen);
	}
}

/* ---- TCP ------------------------------------------------------------------------------------ */

static void conn_close(struct zks_dns *dns, size_t i)
{
	struct conn *c = dns->conns[i];

	if (c == NULL)
		return;
	close(c->fd);
	free(c->out);
	free(c);
	dns->conns[i] = NULL;
}

static void accept_all(struct zks_dns *dns, int64_t now)
{
	for (int k = 0; k < BATCH; k++) {
		int fd = accept4(dns->tcp, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		size_t i = 0;

		if (fd < 0)
			return;
		while (i < MAX_CONNS && dns->conns[i] != NULL)
			i++;
		if (i == MAX_CONNS) {
			close(fd);
			zks_metrics_dns_tcp_refused();
			continue;
		}
		dns->conns[i] = xcalloc(1, sizeof(struct conn));
		dns->conns[i]->fd = fd;
		dns->conns[i]->last_ms = now;
	}
}

/* Queue a reply with its length. */
static void conn_queue(struct conn *c, const uint8_t *reply, size_t len)
{
	c->out = xrealloc(c->out, c->outlen + 2 + len);
	c->out[c->outlen] = (uint8_t)(len >> 8);
	c->out[c->outlen + 1] = (uint8_t)len;
	memcpy(c->out + c->outlen + 2, reply, len);
	c->outlen += 2 + len;
}

/* The complete queries in c->in, answered in order: -1 to close the connection. */
static int conn_process(struct zks_dns *dns, struct conn *c, int64_t now)
{
	for (int k = 0; k < BATCH && c->inlen >= 2 && c->outlen < OUT_MAX; k++) {
		size_t mlen = (size_t)c->in[0] << 8 | c->in[1], outlen = 0;

		if (mlen < 12)
			return -1; /* no query is that short */
		if (c->inlen < 2 + mlen)
			break;
		if (answer(dns, c->in + 2, mlen, true, &outlen) < 0)
			return -1;
		conn_queue(c, dns->reply, outlen);
		c->last_ms = now;
		memmove(c->in, c->in + 2 + mlen, c->inlen - 2 - mlen);
		c->inlen -= 2 + mlen;
	}
	return 0;
}

static int conn_io(struct zks_dns *dns, struct conn *c, short revents, int64_t now)
{
	if (revents & (POLLERR | POLLNVAL))
		return -1;
	if ((revents & (POLLIN | POLLHUP)) && c->inlen < sizeof(c->in)) {
		ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return -1;
		if (n > 0)
			c->inlen += (size_t)n;
	}
	if (conn_process(dns, c, now) < 0)
		return -1;
	if (c->outlen > 0) {
		ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0) {
			memmove(c->out, c->out + n, c->outlen - (size_t)n);
			c->outlen -= (size_t)n;
		}
	}
	return 0;
}

/* ---- the thread ----------------------------------------------------------------------------- */

/* The fds to wait on: wake, UDP, TCP, then the connections (map[k]: conns index). */
static nfds_t fill_poll(struct zks_dns *dns, struct pollfd *p, size_t *map)
{
	nfds_t n = 0;

	p[n++] = (struct pollfd){.fd = dns->wake, .events = POLLIN};
	p[n++] = (struct pollfd){.fd = dns->udp, .events = POLLIN};
	p[n++] = (struct pollfd){.fd = dns->tcp, .events = POLLIN};
	for (size_t i = 0; i < MAX_CONNS; i++) {
		struct conn *c = dns->conns[i];

		if (c == NULL)
			continue;
		map[n] = i;
		p[n++] = (struct pollfd){.fd = c->fd,
					 .events = (short)((c->outlen < OUT_MAX ? POLLIN : 0) |
							   (c->outlen > 0 ? POLLOUT : 0))};
	}
	return n;
}

static int poll_timeout(struct zks_dns *dns, int64_t now)
{
	int64_t t = 1000;

	if (atomic_load(&dns->dirty))
		t = dns->built_ms + REBUILD_MS - now;
	for (size_t i = 0; i < MAX_CONNS; i++)
		if (dns->conns[i] != NULL && dns->conns[i]->last_ms + IDLE_MS - now < t)
			t = dns->conns[i]->last_ms + IDLE_MS - now;
	return t < 0 ? 0 : (int)t;
}

static void serve_conns(struct zks_dns *dns, const struct pollfd *p, nfds_t n, const size_t *map,
			int64_t now)
{
	for (nfds_t k = 3; k < n; k++) {
		struct conn *c = dns->conns[map[k]];

		if ((p[k].revents && conn_io(dns, c, p[k].revents, now) < 0) ||
		    now - c->last_ms >= IDLE_MS)
			conn_close(dns, map[k]);
	}
}

static void *dns_thread(void *arg)
{
	struct zks_dns *dns = arg;
	struct pollfd p[3 + MAX_CONNS];
	size_t map[3 + MAX_CONNS];

	while (!atomic_load(&dns->stopping)) {
		nfds_t n = fill_poll(dns, p, map);
		int64_t now = zks_now_ms();

		if (poll(p, n, poll_timeout(dns, now)) < 0 && errno != EINTR)
			break;
		now = zks_now_ms();
		if (p[0].revents & POLLIN) {
			uint64_t v;

			if (read(dns->wake, &v, sizeof(v)) < 0) {
				/* nothing to read: fine */
			}
		}
		if (atomic_load(&dns->dirty) && now - dns->built_ms >= REBUILD_MS) {
			atomic_store(&dns->dirty, false);
			dns->built_ms = now;
			zks_dns_refresh(dns);
		}
		if (p[1].revents & POLLIN)
			serve_udp(dns);
		if (p[2].revents & POLLIN)
			accept_all(dns, now);
		serve_conns(dns, p, n, map, now);
	}
	return NULL;
}

/* ---- start and stop ------------------------------------------------------------------------- */

struct zks_dns *zks_dns_start(struct zks_store *store, const struct zks_dns_config *cfg,
			      struct zks_error *err)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	struct zks_dns *dns;
	uint32_t ip;
	uint16_t port;

	if (zks_dns_listen_parse(cfg->listen, &ip, &port, err) < 0)
		return NULL;
	addr.sin_addr.s_addr = htonl(ip);
	addr.sin_port = htons(port);
	dns = xcalloc(1, sizeof(*dns));
	dns->store = store;
	dns->domain = xstrdup(cfg->domain != NULL ? cfg->domain : ZKS_DNS_DEFAULT_DOMAIN);
	dns->ttl = cfg->ttl;
	dns->udp = dns->tcp = dns->wake = -1;
	pthread_mutex_init(&dns->lock, NULL);
	dns->udp = bind_socket(SOCK_DGRAM, &addr, err);
	/* TCP on the port UDP got (port 0: the kernel's choice). */
	if (dns->udp >= 0)
		dns->tcp = bind_socket(SOCK_STREAM, &addr, err);
	dns->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dns->udp < 0 || dns->tcp < 0 || dns->wake < 0) {
		if (dns->wake < 0 && dns->tcp >= 0)
			zks_error_errno(err, errno, "DNS: eventfd");
		zks_dns_free(dns);
		return NULL;
	}
	dns->port = ntohs(addr.sin_port);
	dns->built_ms = zks_now_ms();
	dns->current = zks_dns_index_build(store, dns->domain);
	store_on_change(store, on_change, dns);
	/* A change between the build and the registration is not lost: rebuild once more. */
	on_change(dns);
	if ((errno = pthread_create(&dns->thread, NULL, dns_thread, dns)) != 0) {
		zks_error_errno(err, errno, "DNS: thread");
		zks_dns_free(dns);
		return NULL;
	}
	dns->running = true;
	return dns;
}

uint16_t zks_dns_port(const struct zks_dns *dns)
{
	return dns->port;
}

void zks_dns_stop(struct zks_dns *dns)
{
	uint64_t one = 1;

	if (dns == NULL || !dns->running)
		return;
	atomic_store(&dns->stopping, true);
	if (write(dns->wake, &one, sizeof(one)) < 0) {
		/* the counter is full: the thread is awake */
	}
	pthread_join(dns->thread, NULL);
	dns->running = false;
	for (size_t i = 0; i < MAX_CONNS; i++)
		conn_close(dns, i);
}

/* After store_stop: the change callback writes to dns->wake until then. */
void zks_dns_free(struct zks_dns *dns)
{
	if (dns == NULL)
		return;
	zks_dns_stop(dns);
	if (dns->udp >= 0)
		close(dns->udp);
	if (dns->tcp >= 0)
		close(dns->tcp);
	if (dns->wake >= 0)
		close(dns->wake);
	zks_dns_index_unref(dns->current);
	pthread_mutex_destroy(&dns->lock);
	free(dns->domain);
	free(dns);
}
