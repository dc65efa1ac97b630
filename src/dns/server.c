/*
 * server.c - the DNS listeners: UDP and TCP on one loopback address (DNS_LISTEN, every
 * network in scope) and on the gateway of every network with a member of this node
 * (DNS_NETWORKS: a query from outside the network's subnet is dropped, one from inside is
 * scoped to the asking container's networks, zks_dns_answer_from); one thread that answers
 * them all and, when the mirror changes, rebuilds the index and follows the set of local
 * networks (sockets bound with IP_FREEBIND, so before the reconciler adds the address).
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
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define MAX_CONNS 64
#define IDLE_MS 5000
#define REBUILD_MS 100
#define BATCH 64 /* datagrams, accepts or queries of a connection per wake-up */
#define MSG_MAX 65535
#define OUT_MAX (4 * (MSG_MAX + 2))
#define MAX_LISTENERS 257 /* DNS_LISTEN and 256 local networks */

/* One address the server answers on: DNS_LISTEN (key NULL) or a local network's gateway. */
struct listener {
	char *key; /* the network's; NULL for DNS_LISTEN (every network) */
	struct zks_cidr subnet;
	uint32_t addr; /* host byte order */
	int udp, tcp;
};

struct conn {
	int fd;
	char *key; /* the listener's (NULL: DNS_LISTEN), its subnet, and the peer */
	struct zks_cidr subnet;
	uint32_t src;
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
	char *node; /* this node's NODE_ID; NULL when DNS_NETWORKS is off */
	uint16_t network_port;
	/* ls_lock: the listener set, changed by the thread alone, read by zks_dns_network_port;
	 * taken before the store's own locks (sync_networks reads the mirror under it). */
	pthread_mutex_t ls_lock;
	struct listener ls[MAX_LISTENERS];
	size_t nls;
	bool full_logged;
	int wake;
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

/* freebind: the address need not be on a device yet (a network's gateway). */
static int bind_socket(int type, struct sockaddr_in *addr, bool freebind, struct zks_error *err)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	socklen_t len = sizeof(*addr);

	if (fd < 0)
		return zks_error_errno(err, errno, "DNS: socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (freebind)
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
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

/*
 * One query through the current index, from src to a listener (key NULL: DNS_LISTEN, every
 * network); the reply's length (0: none) in *outlen.
 */
static int answer(struct zks_dns *dns, const char *key, const struct zks_cidr *subnet, uint32_t src,
		  const uint8_t *wire, size_t len, bool tcp, size_t *outlen)
{
	struct zks_dns_index *ix = zks_dns_snapshot(dns);
	struct zks_dns_query q = {.wire = wire, .len = len, .tcp = tcp, .ttl = dns->ttl};
	int rcode = key == NULL ? zks_dns_answer(ix, &q, dns->reply, outlen)
				: zks_dns_answer_from(ix, key, subnet, src, &q, dns->reply, outlen);

	zks_dns_index_unref(ix);
	zks_metrics_dns_reply(rcode, rcode >= 0 && *outlen >= 12 && (dns->reply[2] & 0x02));
	return rcode;
}

/* ---- UDP ------------------------------------------------------------------------------------ */

static void serve_udp(struct zks_dns *dns, const struct listener *l)
{
	uint8_t buf[MSG_MAX];

	for (int i = 0; i < BATCH; i++) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		ssize_t n =
			recvfrom(l->udp, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		size_t outlen = 0;

		if (n < 0)
			return;
		if (answer(dns, l->key, &l->subnet, ntohl(from.sin_addr.s_addr), buf, (size_t)n,
			   false, &outlen) >= 0 &&
		    outlen > 0)
			sendto(l->udp, dns->reply, outlen, MSG_DONTWAIT, (struct sockaddr *)&from,
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
	free(c->key);
	free(c->out);
	free(c);
	dns->conns[i] = NULL;
}

/* Accept a listener's connections: one from outside a network's subnet is closed at once. */
static void accept_all(struct zks_dns *dns, const struct listener *l, int64_t now)
{
	for (int k = 0; k < BATCH; k++) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		int fd = accept4(l->tcp, (struct sockaddr *)&from, &fromlen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		size_t i = 0;

		if (fd < 0)
			return;
		if (l->key != NULL && !zks_cidr_contains(&l->subnet, ntohl(from.sin_addr.s_addr))) {
			close(fd);
			zks_metrics_dns_reply(-1, false);
			continue;
		}
		while (i < MAX_CONNS && dns->conns[i] != NULL)
			i++;
		if (i == MAX_CONNS) {
			close(fd);
			zks_metrics_dns_tcp_refused();
			continue;
		}
		dns->conns[i] = xcalloc(1, sizeof(struct conn));
		dns->conns[i]->fd = fd;
		dns->conns[i]->key = l->key != NULL ? xstrdup(l->key) : NULL;
		dns->conns[i]->subnet = l->subnet;
		dns->conns[i]->src = ntohl(from.sin_addr.s_addr);
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
		if (answer(dns, c->key, &c->subnet, c->src, c->in + 2, mlen, true, &outlen) < 0)
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

/* ---- the listeners ------------------------------------------------------------------------ */

static void listener_close(struct zks_dns *dns, size_t i)
{
	struct listener *l = &dns->ls[i];

	/* Its connections go with it. */
	for (size_t k = 0; k < MAX_CONNS; k++)
		if (l->key != NULL && dns->conns[k] != NULL && dns->conns[k]->key != NULL &&
		    !strcmp(dns->conns[k]->key, l->key))
			conn_close(dns, k);
	if (l->udp >= 0)
		close(l->udp);
	if (l->tcp >= 0)
		close(l->tcp);
	free(l->key);
	dns->ls[i] = dns->ls[--dns->nls];
}

/* UDP and TCP on addr:port; 0, or -1 with err. */
static int listener_open(struct zks_dns *dns, const char *key, const struct zks_cidr *subnet,
			 uint32_t ip, uint16_t port, struct zks_error *err)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(ip),
				   .sin_port = htons(port)};
	struct listener l = {.addr = ip, .udp = -1, .tcp = -1};

	l.udp = bind_socket(SOCK_DGRAM, &addr, key != NULL, err);
	/* TCP on the port UDP got (port 0: the kernel's choice). */
	if (l.udp >= 0)
		l.tcp = bind_socket(SOCK_STREAM, &addr, key != NULL, err);
	if (l.tcp < 0) {
		if (l.udp >= 0)
			close(l.udp);
		return -1;
	}
	if (key != NULL)
		l.subnet = *subnet;
	l.key = key != NULL ? xstrdup(key) : NULL;
	if (key == NULL)
		dns->port = ntohs(addr.sin_port);
	dns->ls[dns->nls++] = l;
	return 0;
}

/* Network key's gateway and subnet if it has a member of this node and a gateway. */
static bool local_network(struct zks_dns *dns, const char *key, uint32_t *gw,
			  struct zks_cidr *subnet)
{
	cleanup_free char *members = zks_path_network_members(key);
	cleanup_free char *path = zks_path_network(key);
	cleanup_free char *data = NULL;
	size_t nm = 0;
	struct zks_record_network rec = {0};
	char **names = NULL;
	bool local = false;
	uint8_t len;

	if (store_cached_children(dns->store, members, &names, &nm) == 0)
		for (size_t k = 0; k < nm && !local; k++)
			local = zks_member_id(names[k], dns->node) != NULL;
	zks_free_strv(names, nm);
	if (!local || store_cached_get(dns->store, path, &data, NULL, NULL) < 0 ||
	    zks_record_network_decode(data, &rec, NULL) < 0)
		return false;
	local = rec.gateway != NULL && zks_ip_prefix_parse(rec.gateway, gw, &len, NULL) == 0 &&
		zks_cidr_contains(&rec.subnet, *gw);
	*subnet = rec.subnet;
	zks_record_network_clear(&rec);
	return local;
}

static bool listening(const struct zks_dns *dns, const char *key, uint32_t gw)
{
	for (size_t i = 0; i < dns->nls; i++)
		if (dns->ls[i].key != NULL && !strcmp(dns->ls[i].key, key) && dns->ls[i].addr == gw)
			return true;
	return false;
}

/* Open the listeners of the local networks that have none. */
static void open_networks(struct zks_dns *dns, char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct zks_cidr subnet;
		struct zks_error err;
		uint32_t gw;

		if (!local_network(dns, keys[i], &gw, &subnet) || listening(dns, keys[i], gw))
			continue;
		if (dns->nls == MAX_LISTENERS) {
			if (!dns->full_logged)
				log_warn("DNS: over %d local networks: no DNS on the others",
					 MAX_LISTENERS - 1);
			dns->full_logged = true;
			return;
		}
		if (listener_open(dns, keys[i], &subnet, gw, dns->network_port, &err) < 0)
			log_warn("%s (network `%s`)", err.msg, keys[i]);
		else
			log_info("DNS: answering network `%s` on its gateway", keys[i]);
	}
}

/* The networks' listeners follow the mirror: a local network's gateway, no other. */
static void sync_networks(struct zks_dns *dns)
{
	char **keys = NULL;
	size_t n = 0;

	if (dns->node == NULL)
		return;
	if (store_cached_children(dns->store, ZKS_NETWORKS, &keys, &n) < 0)
		n = 0;
	for (size_t i = dns->nls; i-- > 0;) {
		struct zks_cidr subnet;
		uint32_t gw;
		bool keep = false;

		if (dns->ls[i].key == NULL)
			continue;
		for (size_t k = 0; k < n && !keep; k++)
			keep = !strcmp(keys[k], dns->ls[i].key) &&
			       local_network(dns, keys[k], &gw, &subnet) && gw == dns->ls[i].addr &&
			       subnet.addr == dns->ls[i].subnet.addr &&
			       subnet.len == dns->ls[i].subnet.len;
		if (!keep) {
			log_info("DNS: network `%s` is no longer local: closing its sockets",
				 dns->ls[i].key);
			listener_close(dns, i);
		}
	}
	open_networks(dns, keys, n);
	zks_free_strv(keys, n);
}

uint16_t zks_dns_network_port(struct zks_dns *dns, const char *key)
{
	uint16_t port = 0;

	pthread_mutex_lock(&dns->ls_lock);
	for (size_t i = 0; i < dns->nls && port == 0; i++)
		if (dns->ls[i].key != NULL && !strcmp(dns->ls[i].key, key)) {
			struct sockaddr_in a;
			socklen_t len = sizeof(a);

			if (getsockname(dns->ls[i].udp, (struct sockaddr *)&a, &len) == 0)
				port = ntohs(a.sin_port);
		}
	pthread_mutex_unlock(&dns->ls_lock);
	return port;
}

/* ---- the thread ----------------------------------------------------------------------------- */

/* The fds to wait on: wake, each listener's UDP and TCP, then the connections (map[k]: conns
 * index). */
static nfds_t fill_poll(struct zks_dns *dns, struct pollfd *p, size_t *map)
{
	nfds_t n = 0;

	p[n++] = (struct pollfd){.fd = dns->wake, .events = POLLIN};
	for (size_t i = 0; i < dns->nls; i++) {
		p[n++] = (struct pollfd){.fd = dns->ls[i].udp, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = dns->ls[i].tcp, .events = POLLIN};
	}
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

static void serve_conns(struct zks_dns *dns, const struct pollfd *p, nfds_t first, nfds_t n,
			const size_t *map, int64_t now)
{
	for (nfds_t k = first; k < n; k++) {
		struct conn *c = dns->conns[map[k]];

		if (c == NULL)
			continue; /* closed with its listener */
		if ((p[k].revents && conn_io(dns, c, p[k].revents, now) < 0) ||
		    now - c->last_ms >= IDLE_MS)
			conn_close(dns, map[k]);
	}
}

/* The listeners' fds p[1 ..], as fill_poll laid them out; nls is the count then. */
static void serve_listeners(struct zks_dns *dns, const struct pollfd *p, size_t nls, int64_t now)
{
	for (size_t i = 0; i < nls; i++) {
		if (p[1 + 2 * i].revents & POLLIN)
			serve_udp(dns, &dns->ls[i]);
		if (p[2 + 2 * i].revents & POLLIN)
			accept_all(dns, &dns->ls[i], now);
	}
}

/* A change of the mirror: a new index, and the networks' listeners follow. */
static void rebuild(struct zks_dns *dns, int64_t now)
{
	atomic_store(&dns->dirty, false);
	dns->built_ms = now;
	zks_dns_refresh(dns);
	pthread_mutex_lock(&dns->ls_lock);
	sync_networks(dns);
	pthread_mutex_unlock(&dns->ls_lock);
}

static void *dns_thread(void *arg)
{
	struct zks_dns *dns = arg;
	struct pollfd p[1 + 2 * MAX_LISTENERS + MAX_CONNS];
	size_t map[1 + 2 * MAX_LISTENERS + MAX_CONNS];

	while (!atomic_load(&dns->stopping)) {
		nfds_t n = fill_poll(dns, p, map);
		size_t nls = dns->nls;
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
		/* Served before the set changes, so p still matches the listeners. */
		serve_listeners(dns, p, nls, now);
		serve_conns(dns, p, 1 + 2 * nls, n, map, now);
		if (atomic_load(&dns->dirty) && now - dns->built_ms >= REBUILD_MS)
			rebuild(dns, now);
	}
	return NULL;
}

/* ---- start and stop ------------------------------------------------------------------------- */

static struct zks_dns *dns_new(struct zks_store *store, const struct zks_dns_config *cfg)
{
	struct zks_dns *dns = xcalloc(1, sizeof(*dns));

	dns->store = store;
	dns->domain = xstrdup(cfg->domain != NULL ? cfg->domain : ZKS_DNS_DEFAULT_DOMAIN);
	dns->ttl = cfg->ttl;
	dns->wake = -1;
	if (cfg->networks && cfg->node != NULL)
		dns->node = xstrdup(cfg->node);
	dns->network_port = cfg->network_port;
	pthread_mutex_init(&dns->lock, NULL);
	pthread_mutex_init(&dns->ls_lock, NULL);
	return dns;
}

/* What the index and the served networks are built from: a change elsewhere does not wake it. */
static const char *const dns_reads[] = {ZKS_NAMES, ZKS_NETWORKS, NULL};

struct zks_dns *zks_dns_start(struct zks_store *store, const struct zks_dns_config *cfg,
			      struct zks_error *err)
{
	bool loopback = cfg->listen != NULL && cfg->listen[0] != '\0';
	struct zks_dns *dns;
	uint32_t ip = 0;
	uint16_t port = 0;

	if (loopback && zks_dns_listen_parse(cfg->listen, &ip, &port, err) < 0)
		return NULL;
	dns = dns_new(store, cfg);
	if ((loopback && listener_open(dns, NULL, NULL, ip, port, err) < 0) ||
	    (dns->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		if (dns->wake < 0 && (!loopback || dns->nls > 0))
			zks_error_errno(err, errno, "DNS: eventfd");
		zks_dns_free(dns);
		return NULL;
	}
	dns->built_ms = zks_now_ms();
	dns->current = zks_dns_index_build(store, dns->domain);
	sync_networks(dns);
	store_on_change(store, dns_reads, on_change, dns);
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
	while (dns->nls > 0)
		listener_close(dns, dns->nls - 1);
	if (dns->wake >= 0)
		close(dns->wake);
	zks_dns_index_unref(dns->current);
	pthread_mutex_destroy(&dns->lock);
	pthread_mutex_destroy(&dns->ls_lock);
	free(dns->node);
	free(dns->domain);
	free(dns);
}
