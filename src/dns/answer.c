/*
 * answer.c - one DNS query in, one reply out, without a socket: the header's pre-filter,
 * libldns' parse, the index's lookup, the reply built from rdfs and written by libldns, cut to
 * the size the query may receive (docs/NAMING-STUDY.md §1 says why each check is there).
 *
 *   not a query (a response, or under 12 bytes)       nothing sent (no reflection loops)
 *   opcode other than QUERY; AXFR, IXFR, MAILA/B      NOTIMP
 *   QDCOUNT != 1, AN/NS records, ARCOUNT > 1, under 17 bytes, unparsable, over 512 bytes on
 *   UDP without EDNS                                  FORMERR
 *   EDNS version > 0                                  BADVERS (EDNS rcode 16)
 *   a class other than IN, a TSIG (none is known)     REFUSED
 *   then the lookup: REFUSED outside our zones, NXDOMAIN or NODATA (AA) inside, or the answer
 *   (AA).  A reply over the allowed size (512, or the query's EDNS size up to 1232, 65535 on
 *   TCP) is sent as header and question with TC.
 */
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <string.h>

#include "zkswarm/dns.h"

#define HEADER_LEN 12
#define UDP_PLAIN_MAX 512
#define RCODE_BADVERS 16

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The header alone: the query's id, opcode and RD, QR set, no section. */
static int header_reply(const uint8_t *wire, int rcode, uint8_t *out, size_t *outlen)
{
	out[0] = wire[0];
	out[1] = wire[1];
	out[2] = (uint8_t)(0x80 | (wire[2] & 0x79));
	out[3] = (uint8_t)(rcode & 0x0f);
	memset(out + 4, 0, HEADER_LEN - 4);
	*outlen = HEADER_LEN;
	return rcode;
}

/* Before libldns sees it: -1 drop, 0 parse it, else the rcode of a header-only reply. */
static int prefilter(const uint8_t *w, size_t len)
{
	if (len < HEADER_LEN || (w[2] & 0x80))
		return -1;
	if (((w[2] >> 3) & 0x0f) != LDNS_PACKET_QUERY)
		return LDNS_RCODE_NOTIMPL;
	if (len < HEADER_LEN + 5 || len > ZKS_DNS_REPLY_MAX || get16(w + 4) != 1 ||
	    get16(w + 6) != 0 || get16(w + 8) != 0 || get16(w + 10) > 1)
		return LDNS_RCODE_FORMERR;
	return 0;
}

/* The question's name as text, lowercase-insensitive bytes kept, any byte no name may hold
 * (a dot inside a label included) as 0x01; "" for the root. */
static void qname_text(const ldns_rdf *d, char *out, size_t cap)
{
	const uint8_t *p = ldns_rdf_data(d);
	size_t n = ldns_rdf_size(d), i = 0, o = 0;

	while (i < n && p[i] != 0 && p[i] <= 63 && i + 1 + p[i] <= n && o + p[i] + 2 < cap) {
		size_t l = p[i++];

		for (size_t k = 0; k < l; k++) {
			uint8_t c = p[i + k];
			bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				  (c >= '0' && c <= '9') || c == '-' || c == '_';

			out[o++] = ok ? (char)c : '\x01';
		}
		out[o++] = '.';
		i += l;
	}
	out[o] = '\0';
}

static ldns_rr *new_rr(const ldns_rdf *owner, ldns_rr_type type, uint32_t ttl)
{
	ldns_rr *rr = ldns_rr_new();

	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	return rr;
}

/* One answer record from rdfs (never a text parser: the target's wire form is the index's);
 * NULL if a target is missing. */
static ldns_rr *make_rr(const ldns_rdf *owner, const struct zks_dns_rr *a, uint32_t ttl)
{
	ldns_rdf *target = a->target_wire != NULL
				   ? ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, a->target_wirelen,
							   a->target_wire)
				   : NULL;
	ldns_rr *rr;

	if (a->type != LDNS_RR_TYPE_A && target == NULL)
		return NULL;
	rr = new_rr(owner, (ldns_rr_type)a->type, ttl);
	if (a->type == LDNS_RR_TYPE_A) {
		uint32_t ip = htonl(a->ip);

		ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, &ip));
	} else if (a->type == LDNS_RR_TYPE_SRV) {
		ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 0));
		ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 0));
		ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, a->port));
	}
	if (target != NULL && a->type != LDNS_RR_TYPE_A)
		ldns_rr_push_rdf(rr, target);
	else
		ldns_rdf_deep_free(target);
	return rr;
}

/* What the lookup decided, for building the reply (again without records when too large). */
struct outcome {
	int rcode;
	bool aa;
	const struct zks_dns_rr *rrs;
	size_t n;
};

static ldns_pkt *build_reply(const ldns_pkt *query, const struct outcome *o, bool tc, uint32_t ttl)
{
	ldns_pkt *r = ldns_pkt_new();
	ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(query), 0);

	ldns_pkt_set_id(r, ldns_pkt_id(query));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_opcode(r, LDNS_PACKET_QUERY);
	ldns_pkt_set_rd(r, ldns_pkt_rd(query));
	ldns_pkt_set_aa(r, o->aa);
	ldns_pkt_set_tc(r, tc);
	ldns_pkt_set_rcode(r, (uint8_t)(o->rcode & 0x0f));
	if (qrr != NULL)
		ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
	if (ldns_pkt_edns(query)) {
		ldns_pkt_set_edns_udp_size(r, ZKS_DNS_EDNS_SIZE);
		ldns_pkt_set_edns_extended_rcode(r, (uint8_t)(o->rcode >> 4));
	}
	for (size_t i = 0; !tc && qrr != NULL && i < o->n; i++) {
		ldns_rr *rr = make_rr(ldns_rr_owner(qrr), &o->rrs[i], ttl);

		if (rr != NULL)
			ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr);
	}
	return r;
}

/* The size the querier can take. */
static size_t room(const struct zks_dns_query *q, const ldns_pkt *query)
{
	size_t edns = ldns_pkt_edns_udp_size(query);

	if (q->tcp)
		return ZKS_DNS_REPLY_MAX;
	if (!ldns_pkt_edns(query) || edns <= UDP_PLAIN_MAX)
		return UDP_PLAIN_MAX;
	return edns < ZKS_DNS_EDNS_SIZE ? edns : ZKS_DNS_EDNS_SIZE;
}

/* Write the reply, or its header and question with TC if it is too large. */
static int write_reply(const struct zks_dns_query *q, const ldns_pkt *query,
		       const struct outcome *o, uint8_t *out, size_t *outlen)
{
	size_t limit = room(q, query);

	for (int tc = 0; tc < 2; tc++) {
		ldns_pkt *r = build_reply(query, o, tc, q->ttl);
		uint8_t *buf = NULL;
		size_t size = 0;
		ldns_status st = ldns_pkt2wire(&buf, r, &size);

		ldns_pkt_free(r);
		if (st == LDNS_STATUS_OK && size <= limit) {
			memcpy(out, buf, size);
			*outlen = size;
			free(buf);
			return o->rcode;
		}
		free(buf);
		if (st != LDNS_STATUS_OK)
			break;
	}
	return header_reply(q->wire, LDNS_RCODE_SERVFAIL, out, outlen);
}

static const int rcode_of[] = {
	[ZKS_DNS_REFUSED] = LDNS_RCODE_REFUSED,
	[ZKS_DNS_NXDOMAIN] = LDNS_RCODE_NXDOMAIN,
	[ZKS_DNS_NODATA] = LDNS_RCODE_NOERROR,
	[ZKS_DNS_ANSWER] = LDNS_RCODE_NOERROR,
};

/* The decision for a parsed query: rcode, AA and the records. */
static void decide(const struct zks_dns_index *ix, const struct zks_dns_query *q,
		   const ldns_pkt *query, struct zks_dns_rr *rrs, struct outcome *o)
{
	ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	ldns_rr_type type = qrr != NULL ? ldns_rr_get_type(qrr) : 0;
	enum zks_dns_outcome res;
	char name[LDNS_MAX_DOMAINLEN + 2];

	*o = (struct outcome){.rcode = LDNS_RCODE_FORMERR, .rrs = rrs};
	if (qrr == NULL || ldns_rr_owner(qrr) == NULL)
		return;
	if (ldns_pkt_edns(query) && ldns_pkt_edns_version(query) > 0) {
		o->rcode = RCODE_BADVERS;
		return;
	}
	if (!q->tcp && !ldns_pkt_edns(query) && q->len > UDP_PLAIN_MAX)
		return;
	o->rcode = LDNS_RCODE_REFUSED;
	if (ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN || ldns_pkt_tsig(query) != NULL)
		return;
	o->rcode = LDNS_RCODE_NOTIMPL;
	if (type == LDNS_RR_TYPE_AXFR || type == LDNS_RR_TYPE_IXFR || type == LDNS_RR_TYPE_MAILA ||
	    type == LDNS_RR_TYPE_MAILB)
		return;
	qname_text(ldns_rr_owner(qrr), name, sizeof(name));
	res = zks_dns_lookup(ix, name, (uint16_t)type, q->scope, rrs, ZKS_DNS_MAX_RRS, &o->n);
	o->rcode = rcode_of[res];
	o->aa = res != ZKS_DNS_REFUSED;
}

int zks_dns_answer(const struct zks_dns_index *ix, const struct zks_dns_query *q, uint8_t *out,
		   size_t *outlen)
{
	struct zks_dns_rr rrs[ZKS_DNS_MAX_RRS];
	struct outcome o;
	ldns_pkt *query = NULL;
	int pre = prefilter(q->wire, q->len), rcode;

	*outlen = 0;
	if (pre < 0)
		return -1;
	if (pre > 0)
		return header_reply(q->wire, pre, out, outlen);
	if (ldns_wire2pkt(&query, q->wire, q->len) != LDNS_STATUS_OK) {
		ldns_pkt_free(query);
		return header_reply(q->wire, LDNS_RCODE_FORMERR, out, outlen);
	}
	decide(ix, q, query, rrs, &o);
	rcode = write_reply(q, query, &o, out, outlen);
	ldns_pkt_free(query);
	return rcode;
}

int zks_dns_answer_from(const struct zks_dns_index *ix, const char *key,
			const struct zks_cidr *subnet, uint32_t src, const struct zks_dns_query *q,
			uint8_t *out, size_t *outlen)
{
	const char *keys[ZKS_DNS_SCOPE_MAX];
	struct zks_dns_scope scope = {.keys = keys};
	struct zks_dns_query scoped = *q;

	*outlen = 0;
	if (!zks_cidr_contains(subnet, src))
		return -1;
	scope.n = zks_dns_index_scope(ix, key, src, keys, ZKS_DNS_SCOPE_MAX);
	scoped.scope = &scope;
	return zks_dns_answer(ix, &scoped, out, outlen);
}
