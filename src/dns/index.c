/*
 * index.c - the DNS server's index: an immutable snapshot of the names in the store's mirror,
 * built off every lock but the store's own (store_cached_*), shared by reference count, and
 * the lookups over it (dns.h says which names answer).
 *
 * Built from /names/<key>/<endpoint> (records.h), each joined with its endpoint record
 * /networks/<key>/endpoints/<endpoint>: no endpoint record, no answer, and the address is the
 * endpoint record's.  /networks/<key> gives the subnet, for PTR's zone.
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zkswarm/cidr.h"
#include "zkswarm/dns.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define NAME_MAX_LEN 253
#define LABEL_MAX_LEN 63
#define SHORT_KEY_LEN 12

struct dns_net {
	char *key;
	char *label; /* NETLABEL, lowercase */
	struct zks_cidr subnet;
	bool has_subnet;
};

struct dns_ep {
	uint32_t ip;
	size_t net;
	char *target;  /* "name.netlabel.domain.", lowercase */
	uint8_t *wire; /* the same in wire format (length-prefixed labels, the root's 0) */
	size_t wirelen;
	struct zks_record_port *ports;
	size_t nports;
	char *owner; /* "node/container": the endpoints of one container share it */
};

struct dns_key {
	char *name; /* lowercase, no trailing dot */
	size_t ep;
};

struct zks_dns_index {
	atomic_int refs;
	char *domain; /* lowercase, no trailing dot */
	struct dns_net *nets;
	size_t nnets;
	struct dns_ep *eps;
	size_t neps, epcap;
	struct dns_key *keys;
	size_t nkeys, keycap;
};

/* ---- names ---------------------------------------------------------------------------------- */

static bool label_byte(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_';
}

/* A DNS name of labels [A-Za-z0-9_-]{1,63} separated by dots, at most max bytes. */
static bool valid_dns_name(const char *s, size_t max)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (!label_byte((unsigned char)s[i]) || ++label > LABEL_MAX_LEN) {
			return false;
		}
	}
	return label > 0;
}

static bool valid_label(const char *s)
{
	return strchr(s, '.') == NULL && valid_dns_name(s, LABEL_MAX_LEN);
}

static char *lower_dup(const char *s)
{
	char *d = xstrdup(s);

	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

int zks_dns_domain_check(const char *domain, size_t max, struct zks_error *err)
{
	cleanup_free char *d = xstrdup(domain);
	size_t n = strlen(d);

	if (n > 0 && d[n - 1] == '.')
		d[n - 1] = '\0';
	if (!valid_dns_name(d, max))
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "DNS_DOMAIN `%.64s` must be a DNS name of at most %zu bytes: "
				     "labels of letters, digits, - and _, separated by dots",
				     domain, max);
	return 0;
}

/* A valid name's wire format ("a.b." -> 1 'a' 1 'b' 0), to free. */
static uint8_t *to_wire(const char *name, size_t *len)
{
	uint8_t *w = xmalloc(strlen(name) + 2);
	const char *p = name;
	size_t o = 0;

	while (*p != '\0') {
		size_t l = strcspn(p, ".");

		w[o++] = (uint8_t)l;
		memcpy(w + o, p, l);
		o += l;
		p += l + (p[l] == '.');
	}
	w[o++] = 0;
	*len = o;
	return w;
}

/* ---- building ------------------------------------------------------------------------------- */

/* NETLABEL: the key if it is a label, else the engine's name if it is one and free, else a
 * short key. */
static void choose_label(struct zks_dns_index *ix, struct dns_net *net, const char *engine_name)
{
	const char *pick = net->key;
	char shortkey[SHORT_KEY_LEN + 1];

	if (!valid_label(pick))
		pick = engine_name != NULL && valid_label(engine_name) ? engine_name : NULL;
	for (size_t i = 0; pick != NULL && i < ix->nnets; i++)
		if (&ix->nets[i] != net && ix->nets[i].label != NULL &&
		    strcasecmp(ix->nets[i].label, pick) == 0)
			pick = NULL;
	if (pick == NULL) {
		snprintf(shortkey, sizeof(shortkey), "%s", net->key);
		pick = valid_label(shortkey) ? shortkey : "net";
	}
	net->label = lower_dup(pick);
}

static void add_key(struct zks_dns_index *ix, const char *name, size_t ep)
{
	const struct dns_net *net = &ix->nets[ix->eps[ep].net];
	size_t qualified;

	if (name == NULL)
		return;
	qualified = strlen(name) + 1 + strlen(net->label) + 1 + strlen(ix->domain);
	if (!valid_dns_name(name, NAME_MAX_LEN) || qualified > NAME_MAX_LEN)
		return;
	if (ix->nkeys == ix->keycap) {
		ix->keycap = ix->keycap ? 2 * ix->keycap : 64;
		ix->keys = xrealloc(ix->keys, ix->keycap * sizeof(*ix->keys));
	}
	ix->keys[ix->nkeys++] = (struct dns_key){.name = lower_dup(name), .ep = ep};
}

/* The name an SRV or PTR record points to: the first of the endpoint's names that is valid. */
static char *make_target(const struct zks_dns_index *ix, const struct dns_net *net,
			 const struct zks_record_name *rec)
{
	const char *c[3 + ZKS_NAME_ALIASES_MAX] = {rec->name, rec->hostname, rec->task};
	size_t n = 3;

	for (size_t i = 0; i < rec->naliases && n < ARRAY_SIZE(c); i++)
		c[n++] = rec->aliases[i];
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *t = NULL;

		if (c[i] == NULL || !valid_dns_name(c[i], NAME_MAX_LEN))
			continue;
		t = xasprintf("%s.%s.%s.", c[i], net->label, ix->domain);
		if (strlen(t) <= NAME_MAX_LEN + 1)
			return lower_dup(t);
	}
	return NULL;
}

static void add_endpoint(struct zks_dns_index *ix, size_t net, uint32_t ip,
			 const struct zks_record_name *rec)
{
	char *target = make_target(ix, &ix->nets[net], rec);
	struct dns_ep *ep;
	size_t id = ix->neps;

	if (target == NULL)
		return;
	if (ix->neps == ix->epcap) {
		ix->epcap = ix->epcap ? 2 * ix->epcap : 32;
		ix->eps = xrealloc(ix->eps, ix->epcap * sizeof(*ix->eps));
	}
	ep = &ix->eps[ix->neps++];
	*ep = (struct dns_ep){.ip = ip, .net = net, .target = target, .nports = rec->nports};
	/* Without the container's ID, the endpoint is its own container. */
	ep->owner = xasprintf("%s/%s", rec->node != NULL ? rec->node : "",
			      rec->container != NULL  ? rec->container
			      : rec->endpoint != NULL ? rec->endpoint
						      : target);
	ep->wire = to_wire(target, &ep->wirelen);
	if (rec->nports > 0) {
		ep->ports = xcalloc(rec->nports, sizeof(*ep->ports));
		memcpy(ep->ports, rec->ports, rec->nports * sizeof(*ep->ports));
	}
	add_key(ix, rec->name, id);
	add_key(ix, rec->hostname, id);
	add_key(ix, rec->service, id);
	add_key(ix, rec->task, id);
	for (size_t i = 0; i < rec->naliases; i++)
		add_key(ix, rec->aliases[i], id);
}

/* The endpoint's address, from its own record: -1 when it has none (the name is stale). */
static int endpoint_ip(struct zks_store *store, const char *key, const char *id, uint32_t *ip)
{
	cleanup_free char *path = zks_path_network_endpoint(key, id);
	cleanup_free char *data = NULL;
	struct zks_record_endpoint ep;
	uint8_t len;

	if (store_cached_get(store, path, &data, NULL, NULL) < 0 ||
	    zks_record_endpoint_decode(data, &ep, NULL) < 0 ||
	    zks_ip_prefix_parse(ep.address, ip, &len, NULL) < 0)
		return -1;
	return 0;
}

/* One name record, decoded; -1 if absent or bad. */
static int read_name(struct zks_store *store, const char *key, const char *id,
		     struct zks_record_name *rec)
{
	cleanup_free char *path = zks_path_name(key, id);
	cleanup_free char *data = NULL;

	memset(rec, 0, sizeof(*rec));
	if (store_cached_get(store, path, &data, NULL, NULL) < 0)
		return -1;
	if (zks_record_name_decode(data, rec, NULL) < 0) {
		zks_record_name_clear(rec);
		return -1;
	}
	return 0;
}

static void read_subnet(struct zks_store *store, struct dns_net *net)
{
	cleanup_free char *path = zks_path_network(net->key);
	cleanup_free char *data = NULL;
	struct zks_record_network rec;

	if (store_cached_get(store, path, &data, NULL, NULL) < 0)
		return;
	memset(&rec, 0, sizeof(rec));
	if (zks_record_network_decode(data, &rec, NULL) == 0) {
		net->subnet = rec.subnet;
		net->has_subnet = true;
	}
	zks_record_network_clear(&rec);
}

/* Every name of network key that has its endpoint record. */
static void add_network(struct zks_dns_index *ix, struct zks_store *store, const char *key)
{
	cleanup_free char *dir = zks_path_names(key);
	char **ids = NULL;
	size_t nids = 0, net = ix->nnets++;

	ix->nets[net] = (struct dns_net){.key = xstrdup(key)};
	read_subnet(store, &ix->nets[net]);
	if (store_cached_children(store, dir, &ids, &nids) < 0)
		nids = 0;
	for (size_t i = 0; i < nids; i++) {
		struct zks_record_name rec;
		uint32_t ip;

		if (read_name(store, key, ids[i], &rec) < 0)
			continue;
		if (ix->nets[net].label == NULL)
			choose_label(ix, &ix->nets[net], rec.network_name);
		if (endpoint_ip(store, key, ids[i], &ip) == 0)
			add_endpoint(ix, net, ip, &rec);
		zks_record_name_clear(&rec);
	}
	if (ix->nets[net].label == NULL)
		choose_label(ix, &ix->nets[net], NULL);
	zks_free_strv(ids, nids);
}

static int key_cmp(const void *a, const void *b)
{
	const struct dns_key *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return (x->ep > y->ep) - (x->ep < y->ep);
}

/* Sorted by name, then endpoint, each pair once (an alias may repeat the name). */
static void sort_keys(struct zks_dns_index *ix)
{
	size_t out = 0;

	if (ix->nkeys > 1)
		qsort(ix->keys, ix->nkeys, sizeof(*ix->keys), key_cmp);
	for (size_t i = 0; i < ix->nkeys; i++) {
		if (out > 0 && key_cmp(&ix->keys[out - 1], &ix->keys[i]) == 0) {
			free(ix->keys[i].name);
			continue;
		}
		ix->keys[out++] = ix->keys[i];
	}
	ix->nkeys = out;
}

struct zks_dns_index *zks_dns_index_build(struct zks_store *store, const char *domain)
{
	struct zks_dns_index *ix = xcalloc(1, sizeof(*ix));
	char **keys = NULL;
	size_t nkeys = 0;

	atomic_init(&ix->refs, 1);
	ix->domain = lower_dup(domain != NULL ? domain : ZKS_DNS_DEFAULT_DOMAIN);
	if (ix->domain[0] != '\0' && ix->domain[strlen(ix->domain) - 1] == '.')
		ix->domain[strlen(ix->domain) - 1] = '\0';
	if (store != NULL && store_cached_children(store, ZKS_NAMES, &keys, &nkeys) < 0)
		nkeys = 0;
	ix->nets = xcalloc(nkeys > 0 ? nkeys : 1, sizeof(*ix->nets));
	for (size_t i = 0; i < nkeys; i++)
		add_network(ix, store, keys[i]);
	zks_free_strv(keys, nkeys);
	sort_keys(ix);
	return ix;
}

struct zks_dns_index *zks_dns_index_ref(struct zks_dns_index *ix)
{
	if (ix != NULL)
		atomic_fetch_add(&ix->refs, 1);
	return ix;
}

void zks_dns_index_unref(struct zks_dns_index *ix)
{
	if (ix == NULL || atomic_fetch_sub(&ix->refs, 1) != 1)
		return;
	for (size_t i = 0; i < ix->nnets; i++) {
		free(ix->nets[i].key);
		free(ix->nets[i].label);
	}
	for (size_t i = 0; i < ix->neps; i++) {
		free(ix->eps[i].target);
		free(ix->eps[i].wire);
		free(ix->eps[i].ports);
		free(ix->eps[i].owner);
	}
	for (size_t i = 0; i < ix->nkeys; i++)
		free(ix->keys[i].name);
	free(ix->nets);
	free(ix->eps);
	free(ix->keys);
	free(ix->domain);
	free(ix);
}

size_t zks_dns_index_endpoints(const struct zks_dns_index *ix)
{
	return ix->neps;
}

/* The network of key in the index, SIZE_MAX if none. */
static size_t net_of(const struct zks_dns_index *ix, const char *key)
{
	for (size_t i = 0; i < ix->nnets; i++)
		if (strcmp(ix->nets[i].key, key) == 0)
			return i;
	return SIZE_MAX;
}

static void scope_add(const char **keys, size_t max, size_t *n, const char *key)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(keys[i], key) == 0)
			return;
	if (*n < max)
		keys[(*n)++] = key;
}

size_t zks_dns_index_scope(const struct zks_dns_index *ix, const char *key, uint32_t src,
			   const char **keys, size_t max)
{
	size_t net = net_of(ix, key), n = 0;
	const char *owner = NULL;

	if (max == 0)
		return 0;
	keys[n++] = net != SIZE_MAX ? ix->nets[net].key : key;
	for (size_t i = 0; i < ix->neps && owner == NULL && net != SIZE_MAX; i++)
		if (ix->eps[i].net == net && ix->eps[i].ip == src)
			owner = ix->eps[i].owner;
	for (size_t i = 0; i < ix->neps && owner != NULL; i++)
		if (strcmp(ix->eps[i].owner, owner) == 0)
			scope_add(keys, max, &n, ix->nets[ix->eps[i].net].key);
	return n;
}

/* ---- lookups -------------------------------------------------------------------------------- */

/* Endpoints found for a name, within the scope and (net != SIZE_MAX) on one network. */
struct hits {
	size_t v[ZKS_DNS_MAX_RRS];
	size_t n;
};

static bool in_scope(const struct zks_dns_index *ix, size_t net, const struct zks_dns_scope *sc)
{
	if (sc == NULL)
		return true;
	for (size_t i = 0; i < sc->n; i++)
		if (sc->keys[i] != NULL && strcmp(sc->keys[i], ix->nets[net].key) == 0)
			return true;
	return false;
}

/* strcmp of a key with the first len bytes of name. */
static int key_name_cmp(const char *key, const char *name, size_t len)
{
	int c = strncmp(key, name, len);

	return c != 0 ? c : key[len] != '\0';
}

static void find(const struct zks_dns_index *ix, const char *name, size_t len, size_t net,
		 const struct zks_dns_scope *sc, struct hits *h)
{
	size_t lo = 0, hi = ix->nkeys;

	h->n = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_name_cmp(ix->keys[mid].name, name, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < ix->nkeys && h->n < ARRAY_SIZE(h->v); i++) {
		size_t ep = ix->keys[i].ep;

		if (key_name_cmp(ix->keys[i].name, name, len) != 0)
			break;
		if ((net == SIZE_MAX || ix->eps[ep].net == net) &&
		    in_scope(ix, ix->eps[ep].net, sc))
			h->v[h->n++] = ep;
	}
}

/* Ends with "." suffix (or is suffix): the length of what comes before the dot, else -1. */
static long strip_suffix(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	if (n == m && memcmp(s, suffix, m) == 0)
		return 0;
	if (n > m && s[n - m - 1] == '.' && memcmp(s + n - m, suffix, m) == 0)
		return (long)(n - m - 1);
	return -1;
}

/* A base name (no SRV labels): whether it is ours, and its endpoints.  1 ours, 0 not. */
static int resolve(const struct zks_dns_index *ix, const char *q, size_t n,
		   const struct zks_dns_scope *sc, struct hits *h, bool *node)
{
	long s = strip_suffix(q, n, ix->domain);

	h->n = 0;
	*node = false;
	if (s < 0) {
		find(ix, q, n, SIZE_MAX, sc, h);
		return h->n > 0;
	}
	if (s == 0) {
		*node = true; /* the apex */
		return 1;
	}
	for (size_t i = 0; i < ix->nnets; i++) {
		long r = strip_suffix(q, (size_t)s, ix->nets[i].label);

		if (r == 0 && in_scope(ix, i, sc))
			*node = true; /* NETLABEL.DOMAIN: a node with no records of its own */
		if (r > 0) {
			find(ix, q, (size_t)r, i, sc, h);
			if (h->n > 0)
				return 1;
		}
	}
	find(ix, q, (size_t)s, SIZE_MAX, sc, h);
	return 1;
}

/* "_PORT._PROTO." at the start of q: the length to skip, or 0 if q has none. */
static size_t srv_prefix(const char *q, size_t n, uint16_t *port, char proto[5])
{
	const char *end = q + n, *dot = memchr(q, '.', n), *p2, *dot2;
	unsigned long v = 0;

	if (n < 2 || q[0] != '_' || dot == NULL || dot - q < 2 || dot - q > 6)
		return 0;
	for (const char *p = q + 1; p < dot; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	p2 = dot + 1;
	dot2 = p2 < end ? memchr(p2, '.', (size_t)(end - p2)) : NULL;
	if (v == 0 || v > 65535 || dot2 == NULL || p2[0] != '_' || dot2 - p2 < 2 || dot2 - p2 > 5 ||
	    dot2 + 1 >= end)
		return 0;
	memcpy(proto, p2 + 1, (size_t)(dot2 - p2 - 1));
	proto[dot2 - p2 - 1] = '\0';
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)
		return 0;
	*port = (uint16_t)v;
	return (size_t)(dot2 + 1 - q);
}

/* "D.C.B.A.in-addr.arpa": 0 and the address A.B.C.D, else -1. */
static int parse_reverse(const char *q, size_t n, uint32_t *ip)
{
	long s = strip_suffix(q, n, "in-addr.arpa");
	uint32_t v = 0;
	size_t i = 0;

	if (s <= 0)
		return -1;
	for (int octet = 0; octet < 4; octet++) {
		unsigned x = 0, digits = 0;

		for (; i < (size_t)s && q[i] != '.'; i++, digits++) {
			if (q[i] < '0' || q[i] > '9' || digits == 3 || (digits > 0 && x == 0))
				return -1;
			x = x * 10 + (unsigned)(q[i] - '0');
		}
		if (digits == 0 || x > 255 || (octet < 3 && i >= (size_t)s) ||
		    (octet == 3 && i != (size_t)s))
			return -1;
		v |= (uint32_t)x << (8 * octet);
		i++;
	}
	*ip = v;
	return 0;
}

static enum zks_dns_outcome reverse(const struct zks_dns_index *ix, uint32_t ip, uint16_t qtype,
				    const struct zks_dns_scope *sc, struct zks_dns_rr *out,
				    size_t max, size_t *n)
{
	bool zone = false;

	for (size_t i = 0; i < ix->nnets && !zone; i++)
		zone = ix->nets[i].has_subnet && zks_cidr_contains(&ix->nets[i].subnet, ip) &&
		       in_scope(ix, i, sc);
	if (!zone)
		return ZKS_DNS_REFUSED;
	for (size_t i = 0; i < ix->neps && *n < max; i++) {
		const struct dns_ep *ep = &ix->eps[i];
		bool dup = false;

		if (ep->ip != ip || !in_scope(ix, ep->net, sc))
			continue;
		for (size_t j = 0; j < *n && !dup; j++)
			dup = strcmp(out[j].target, ep->target) == 0;
		if (!dup)
			out[(*n)++] = (struct zks_dns_rr){.type = 12,
							  .target = ep->target,
							  .target_wire = ep->wire,
							  .target_wirelen = ep->wirelen};
	}
	if (*n == 0)
		return ZKS_DNS_NXDOMAIN;
	if (qtype != 12 && qtype != 255) {
		*n = 0;
		return ZKS_DNS_NODATA;
	}
	return ZKS_DNS_ANSWER;
}

static enum zks_dns_outcome emit_srv(const struct zks_dns_index *ix, const struct hits *h,
				     uint16_t qtype, uint16_t port, const char *proto,
				     struct zks_dns_rr *out, size_t max, size_t *n)
{
	for (size_t i = 0; i < h->n && *n < max; i++) {
		const struct dns_ep *ep = &ix->eps[h->v[i]];
		bool exposes = false, dup = false;

		for (size_t p = 0; p < ep->nports && !exposes; p++)
			exposes =
				ep->ports[p].port == port && strcmp(ep->ports[p].proto, proto) == 0;
		for (size_t j = 0; j < *n && !dup; j++)
			dup = strcmp(out[j].target, ep->target) == 0;
		if (exposes && !dup)
			out[(*n)++] = (struct zks_dns_rr){.type = 33,
							  .port = port,
							  .target = ep->target,
							  .target_wire = ep->wire,
							  .target_wirelen = ep->wirelen};
	}
	if (*n == 0)
		return ZKS_DNS_NXDOMAIN;
	if (qtype != 33 && qtype != 255) {
		*n = 0;
		return ZKS_DNS_NODATA;
	}
	return ZKS_DNS_ANSWER;
}

static enum zks_dns_outcome emit_a(const struct zks_dns_index *ix, const struct hits *h,
				   uint16_t qtype, struct zks_dns_rr *out, size_t max, size_t *n)
{
	if (qtype != 1 && qtype != 255)
		return ZKS_DNS_NODATA;
	for (size_t i = 0; i < h->n && *n < max; i++) {
		uint32_t ip = ix->eps[h->v[i]].ip;
		bool dup = false;

		for (size_t j = 0; j < *n && !dup; j++)
			dup = out[j].ip == ip;
		if (!dup)
			out[(*n)++] = (struct zks_dns_rr){.type = 1, .ip = ip};
	}
	return ZKS_DNS_ANSWER;
}

/* Lowercase, without the trailing dot, a byte no name has as 0x01: its length, or 0. */
static size_t normalize(const char *qname, char q[NAME_MAX_LEN + 2])
{
	size_t n = strlen(qname);

	if (n > 0 && qname[n - 1] == '.')
		n--;
	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)qname[i];

		q[i] = label_byte(c) || c == '.' ? (char)tolower(c) : '\x01';
	}
	q[n] = '\0';
	return n;
}

enum zks_dns_outcome zks_dns_lookup(const struct zks_dns_index *ix, const char *qname,
				    uint16_t qtype, const struct zks_dns_scope *scope,
				    struct zks_dns_rr *out, size_t max, size_t *n)
{
	char q[NAME_MAX_LEN + 2], proto[5] = "";
	struct hits h;
	uint16_t port = 0;
	uint32_t ip;
	size_t len = normalize(qname, q), skip;
	bool node;

	*n = 0;
	if (len == 0)
		return ZKS_DNS_REFUSED;
	if (parse_reverse(q, len, &ip) == 0)
		return reverse(ix, ip, qtype, scope, out, max, n);
	skip = srv_prefix(q, len, &port, proto);
	if (!resolve(ix, q + skip, len - skip, scope, &h, &node))
		return ZKS_DNS_REFUSED;
	if (skip > 0)
		return emit_srv(ix, &h, qtype, port, proto, out, max, n);
	if (h.n == 0)
		return node ? ZKS_DNS_NODATA : ZKS_DNS_NXDOMAIN;
	return emit_a(ix, &h, qtype, out, max, n);
}
