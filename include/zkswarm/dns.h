/*
 * dns.h - the DNS server of the cluster's names (issue 12, docs/DESIGN.md "DNS").
 *
 * Three layers, each usable without the next:
 *   - the index (dns/index.c): an immutable snapshot of the names in the store's mirror,
 *     /names/<key>/<endpoint> joined with /networks/<key>/endpoints/<endpoint> (a name
 *     answers only while its endpoint record exists, with the endpoint record's address),
 *     looked up by name, SRV name or address, within a scope of networks;
 *   - the answer (dns/answer.c): one query's wire bytes in, one reply's wire bytes out,
 *     no socket (as zks_http_dispatch), for the server, the unit tests and the fuzzer;
 *   - the server (dns/server.c): UDP and TCP on one loopback address (DNS_LISTEN), its
 *     own thread, rebuilding the index when the mirror changes; its replies are counted
 *     by rcode in the metrics (metrics.h).
 *
 * Names under DOMAIN (DNS_DOMAIN, default "zkswarm."):
 *   NAME.NETLABEL.DOMAIN.   NAME on that network (NETLABEL: the network's key if it is a
 *                           valid label, else its engine name if valid and unique, else the
 *                           key's first 12 characters)
 *   NAME.DOMAIN.            NAME on every network of the scope
 *   NAME.                   the same, but a name the scope does not know is REFUSED (not
 *                           ours: the client's next server answers it)
 *   _PORT._PROTO.<any of those>   SRV, one per endpoint exposing PORT/PROTO
 *   D.C.B.A.in-addr.arpa.   PTR, for an address of a known network's subnet
 * NAME is a container's name, one of its aliases, its hostname, its swarm service (every
 * task's address) or its swarm task; compared without case.
 */
#ifndef ZKSWARM_DNS_H
#define ZKSWARM_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/cidr.h"
#include "zkswarm/error.h"
#include "zkswarm/store.h"

#define ZKS_DNS_DEFAULT_DOMAIN "zkswarm."
#define ZKS_DNS_DEFAULT_TTL 1
/* A reply holds at most this many records (a service's tasks beyond it are not listed). */
#define ZKS_DNS_MAX_RRS 256

/* The networks a query may see: their keys.  A NULL scope means every network. */
struct zks_dns_scope {
	const char *const *keys;
	size_t n;
};

/*
 * DNS_LISTEN's "a.b.c.d:port", a.b.c.d in 127.0.0.0/8 (port 0: any); host byte order.
 * INVALID naming DNS_LISTEN otherwise.
 */
int zks_dns_listen_parse(const char *text, uint32_t *ip, uint16_t *port, struct zks_error *err);
/* DNS_DOMAIN: labels of [A-Za-z0-9_-], 1 to 63 bytes each, at most max bytes, the trailing dot
 * optional; INVALID naming DNS_DOMAIN otherwise. */
int zks_dns_domain_check(const char *domain, size_t max, struct zks_error *err);

/* ---- the index ------------------------------------------------------------------------------ */

struct zks_dns_index;

/*
 * A snapshot of the mirror (store_cached_*), never failing: a record that does not decode,
 * a name without its endpoint record, a name that is no valid DNS name (a label over 63
 * bytes, a name over 253 with its NETLABEL.DOMAIN, a byte other than [A-Za-z0-9_-] in a
 * label) is left out.  domain: "zkswarm." (the trailing dot optional).  Holds one reference.
 */
struct zks_dns_index *zks_dns_index_build(struct zks_store *store, const char *domain);
struct zks_dns_index *zks_dns_index_ref(struct zks_dns_index *ix);
void zks_dns_index_unref(struct zks_dns_index *ix);
/* Endpoints that answer (for logs and tests). */
size_t zks_dns_index_endpoints(const struct zks_dns_index *ix);

/*
 * The scope of a query that came to network key's address from src (host byte order): key,
 * then the networks of the container that owns src on key (the name record whose address
 * is src there -> its container on its node -> that container's other name records), at
 * most max keys in keys (key itself, or the index's strings, valid while ix is held).  Key
 * alone when no name of key has src.  Returns the count (1 or more when max > 0).
 */
size_t zks_dns_index_scope(const struct zks_dns_index *ix, const char *key, uint32_t src,
			   const char **keys, size_t max);

enum zks_dns_outcome {
	ZKS_DNS_REFUSED,  /* not a name of ours */
	ZKS_DNS_NXDOMAIN, /* in our zones, no such name (in the scope) */
	ZKS_DNS_NODATA,	  /* the name exists, not with this type */
	ZKS_DNS_ANSWER,	  /* records follow */
};

/* One answer record: A (ip), SRV (port, target) or PTR (target). */
struct zks_dns_rr {
	uint16_t type;		    /* 1 A, 12 PTR, 33 SRV */
	uint32_t ip;		    /* A: host byte order */
	uint16_t port;		    /* SRV */
	const char *target;	    /* SRV, PTR: "name.netlabel.domain." (lowercase), the index's */
	const uint8_t *target_wire; /* the same in wire format, made once per index build */
	size_t target_wirelen;
};

/*
 * Look qname up ("Web.zkswarm.", any case, trailing dot optional; a byte other than
 * [A-Za-z0-9_-.] matches nothing) for qtype (1 A, 12 PTR, 33 SRV; any other type finds
 * NODATA for a known name).  Fills out[0..*n) (at most max, duplicates removed); targets
 * stay valid while ix is held.
 */
enum zks_dns_outcome zks_dns_lookup(const struct zks_dns_index *ix, const char *qname,
				    uint16_t qtype, const struct zks_dns_scope *scope,
				    struct zks_dns_rr *out, size_t max, size_t *n);

/* ---- the answer ----------------------------------------------------------------------------- */

struct zks_dns_query {
	const uint8_t *wire;
	size_t len;
	bool tcp;			   /* over TCP: no truncation, up to 65535 bytes */
	const struct zks_dns_scope *scope; /* NULL: every network */
	uint32_t ttl;			   /* of every record answered (seconds) */
};

/* The EDNS0 payload size we offer and honour at most (DNS flag day 2020). */
#define ZKS_DNS_EDNS_SIZE 1232
#define ZKS_DNS_REPLY_MAX 65535

/*
 * The whole query path: the header's pre-filter, libldns' parse, the lookup, the reply in
 * out (room for ZKS_DNS_REPLY_MAX bytes), never longer than the query may receive (512
 * bytes over UDP, or its EDNS size up to 1232; else header and question with TC).
 * Returns the reply's rcode (0 to 4095, extended with EDNS), or -1 when nothing must be
 * sent (not a query: a response, or shorter than a header).
 */
int zks_dns_answer(const struct zks_dns_index *ix, const struct zks_dns_query *q, uint8_t *out,
		   size_t *outlen);

/* The networks a query on a network's address may see at most: its own and those of the
 * container asking. */
#define ZKS_DNS_SCOPE_MAX 64

/*
 * A query that came to network key's address (its gateway) from src (host byte order): -1,
 * nothing to send, when src is outside subnet (no reply: no reflection); else
 * zks_dns_answer with the scope zks_dns_index_scope gives (q's own scope is ignored).
 */
int zks_dns_answer_from(const struct zks_dns_index *ix, const char *key,
			const struct zks_cidr *subnet, uint32_t src, const struct zks_dns_query *q,
			uint8_t *out, size_t *outlen);

/* ---- the server ----------------------------------------------------------------------------- */

struct zks_dns_config {
	const char *listen; /* "127.0.0.1:5353": a loopback IPv4 address and a port; NULL or
			     * "": none */
	const char *domain; /* "zkswarm." */
	uint32_t ttl;
	bool networks;	       /* DNS_NETWORKS: answer on the local networks' gateways too */
	const char *node;      /* this node's ID: whose memberships make a network local */
	uint16_t network_port; /* on the gateways: 53 (0: the kernel's choice, for tests) */
};

struct zks_dns;

/*
 * Binds UDP and TCP on cfg->listen (refusing an address outside 127.0.0.0/8), builds the
 * first index, binds UDP and TCP on the gateway of every network with a member of cfg->node
 * (cfg->networks; a bind that fails is logged and tried again at the next change), starts
 * the thread and registers a change callback on store.  NULL with err.
 */
struct zks_dns *zks_dns_start(struct zks_store *store, const struct zks_dns_config *cfg,
			      struct zks_error *err);
/* Stops the thread and closes the sockets; the change callback stays registered (it only
 * wakes a thread that is gone), so free only after store_stop.  NULL is fine. */
void zks_dns_stop(struct zks_dns *dns);
void zks_dns_free(struct zks_dns *dns);
/* The port bound on cfg->listen (for tests that ask for port 0). */
uint16_t zks_dns_port(const struct zks_dns *dns);
/* The port bound on network key's gateway; 0 when the server does not listen there. */
uint16_t zks_dns_network_port(struct zks_dns *dns, const char *key);
/* Rebuilds the index now (tests); the thread does it itself within 100 ms of a change. */
void zks_dns_refresh(struct zks_dns *dns);
/* The current snapshot, with a reference (zks_dns_index_unref it). */
struct zks_dns_index *zks_dns_snapshot(struct zks_dns *dns);

#endif
