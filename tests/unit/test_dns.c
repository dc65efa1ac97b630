/*
 * test_dns.c - the DNS server (src/dns): the index built from name and endpoint records in the
 * in-memory store, the whole query path (zks_dns_answer) with queries built by libldns (A,
 * SRV, PTR, scope, case, NXDOMAIN, NODATA, REFUSED, TC and TCP, EDNS, BADVERS, hostile
 * headers), and the server on a loopback port following a change of the store.
 */
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "helpers.h"
#include "zkswarm/dns.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define BACK_KEY "4f2a9c1e0b7d6a5f3e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"

struct fixture {
	struct zks_mem_backend *b;
	struct zks_store *s;
	struct zks_dns_index *ix;
};

/* ---- records, as the network service and the naming service write them --------------------- */

static void put(struct zks_store *s, const char *path, const char *data)
{
	struct zks_error err;

	if (store_create(s, path, data, strlen(data), ZKS_PERSISTENT, &err) < 0) {
		assert_int_equal(err.code, ZKS_ERR_EXISTS);
		assert_ok(store_set(s, path, data, strlen(data), -1, &err), &err);
	}
}

static void put_network(struct zks_store *s, const char *key, const char *subnet)
{
	struct zks_record_network rec = {.key = (char *)key, .vni = 7, .mtu = 1450};
	cleanup_free char *path = zks_path_network(key);
	cleanup_free char *eps = zks_path_network_endpoints(key);
	cleanup_free char *names = zks_path_names(key);
	cleanup_free char *json = NULL;

	assert_int_equal(zks_cidr_parse(subnet, &rec.subnet, NULL), 0);
	json = zks_record_network_encode(&rec);
	put(s, ZKS_NAMES, "");
	put(s, path, json);
	put(s, eps, "");
	put(s, names, "");
}

static void put_endpoint(struct zks_store *s, const char *key, const char *id, const char *addr)
{
	struct zks_record_endpoint rec = {.node = "n1", .mac = {2, 0, 0, 0, 0, 1}};
	cleanup_free char *path = zks_path_network_endpoint(key, id);
	cleanup_free char *json = NULL;

	snprintf(rec.address, sizeof(rec.address), "%s", addr);
	json = zks_record_endpoint_encode(&rec);
	put(s, path, json);
}

/* A name record; extra is more JSON members (",\"aliases\":[...]"), or "". */
static void put_name(struct zks_store *s, const char *key, const char *id, const char *name,
		     const char *addr, const char *extra)
{
	cleanup_free char *path = zks_path_name(key, id);
	cleanup_free char *json =
		xasprintf("{\"name\":\"%s\",\"endpoint\":\"%s\",\"address\":\"%s\","
			  "\"node\":\"n1\"%s}",
			  name, id, addr, extra);

	put(s, path, json);
}

static void del(struct zks_store *s, const char *path)
{
	struct zks_error err;

	assert_ok(store_remove(s, path, -1, &err), &err);
}

/*
 * Network "front" (10.9.0.0/24): web-1 (alias web, hostname h1, port 80/tcp, service app_web,
 * task app_web.1.x), web-2 (service app_web, port 80/tcp), stale (no endpoint record).
 * Network BACK_KEY (engine name "back", 10.8.0.0/24): db, with an alias too long for DNS.
 */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char longalias[80];

	memset(longalias, 'a', 70);
	longalias[70] = '\0';
	f->b = zks_mem_backend_new();
	f->s = zks_store_mem_new(f->b);
	put_network(f->s, "front", "10.9.0.0/24");
	put_endpoint(f->s, "front", "e1", "10.9.0.7/24");
	put_name(f->s, "front", "e1", "web-1", "10.9.0.7/24",
		 ",\"aliases\":[\"web\"],\"hostname\":\"h1\",\"service\":\"app_web\","
		 "\"task\":\"app_web.1.x\",\"network_name\":\"front\","
		 "\"ports\":[{\"port\":80,\"proto\":\"tcp\"}]");
	put_endpoint(f->s, "front", "e2", "10.9.0.8/24");
	put_name(f->s, "front", "e2", "web-2", "10.9.0.8/24",
		 ",\"service\":\"app_web\",\"ports\":[{\"port\":80,\"proto\":\"tcp\"}]");
	put_name(f->s, "front", "e3", "stale", "10.9.0.9/24", "");
	put_network(f->s, BACK_KEY, "10.8.0.0/24");
	put_endpoint(f->s, BACK_KEY, "e4", "10.8.0.4/24");
	{
		cleanup_free char *extra =
			xasprintf(",\"network_name\":\"back\",\"aliases\":[\"%s\",\"database\"]",
				  longalias);

		put_name(f->s, BACK_KEY, "e4", "db", "10.8.0.4/24", extra);
	}
	f->ix = zks_dns_index_build(f->s, "zkswarm.");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	zks_dns_index_unref(f->ix);
	store_destroy(f->s);
	zks_mem_backend_free(f->b);
	free(f);
	return 0;
}

/* ---- queries --------------------------------------------------------------------------------- */

struct ask {
	uint16_t type, klass;
	int edns;    /* EDNS payload size, 0: no EDNS */
	int version; /* EDNS version */
	bool tcp;
	const struct zks_dns_scope *scope;
	/* A query on network on_key's address (its subnet) from address from: through
	 * zks_dns_answer_from, scope ignored. */
	const char *on_key, *subnet, *from;
};

/* The reply to a query for name, parsed; *rcode the return of zks_dns_answer. */
static ldns_pkt *ask_wire(const struct zks_dns_index *ix, const uint8_t *wire, size_t len,
			  const struct ask *a, int *rcode, size_t *outlen)
{
	static uint8_t out[ZKS_DNS_REPLY_MAX];
	struct zks_dns_query q = {.wire = wire,
				  .len = len,
				  .tcp = a->tcp,
				  .scope = a->scope,
				  .ttl = 1};
	ldns_pkt *r = NULL;
	size_t n = 0;

	if (a->on_key != NULL) {
		struct zks_cidr subnet;
		uint32_t src;

		assert_int_equal(zks_cidr_parse(a->subnet, &subnet, NULL), 0);
		assert_int_equal(zks_ip_parse(a->from, &src, NULL), 0);
		*rcode = zks_dns_answer_from(ix, a->on_key, &subnet, src, &q, out, &n);
	} else {
		*rcode = zks_dns_answer(ix, &q, out, &n);
	}
	if (outlen != NULL)
		*outlen = n;
	if (*rcode < 0) {
		assert_int_equal(n, 0);
		return NULL;
	}
	assert_int_equal(ldns_wire2pkt(&r, out, n), LDNS_STATUS_OK);
	assert_true(ldns_pkt_qr(r));
	return r;
}

static ldns_pkt *ask(const struct zks_dns_index *ix, const char *name, const struct ask *a,
		     int *rcode, size_t *outlen)
{
	ldns_pkt *q = ldns_pkt_query_new(ldns_dname_new_frm_str(name), a->type ? a->type : 1,
					 a->klass ? a->klass : LDNS_RR_CLASS_IN, LDNS_RD);
	uint8_t *wire = NULL;
	size_t len = 0;
	ldns_pkt *r;

	ldns_pkt_set_id(q, 0x1234);
	if (a->edns) {
		ldns_pkt_set_edns_udp_size(q, (uint16_t)a->edns);
		ldns_pkt_set_edns_version(q, (uint8_t)a->version);
	}
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	r = ask_wire(ix, wire, len, a, rcode, outlen);
	free(wire);
	if (r != NULL)
		assert_int_equal(ldns_pkt_id(r), 0x1234);
	return r;
}

/* The answer section as text, one record per line ("web.zkswarm.\t1\tIN\tA\t10.9.0.7\n"). */
static char *answers(const ldns_pkt *r)
{
	char *s = ldns_rr_list2str(ldns_pkt_answer(r));

	return s != NULL ? s : xstrdup("");
}

/* rcode, AA and the answers of a query of type for name, in one line. */
static void expect(const struct zks_dns_index *ix, const char *name, const struct ask *a,
		   int want_rcode, bool aa, size_t nanswers, const char *contains)
{
	int rcode;
	ldns_pkt *r = ask(ix, name, a, &rcode, NULL);
	cleanup_free char *text = NULL;

	assert_non_null(r);
	text = answers(r);
	if (rcode != want_rcode || ldns_pkt_aa(r) != aa || ldns_pkt_ancount(r) != nanswers)
		fail_msg("%s type %u: rcode %d aa %d answers %u, want %d %d %zu:\n%s", name,
			 a->type ? a->type : 1, rcode, ldns_pkt_aa(r), ldns_pkt_ancount(r),
			 want_rcode, aa, nanswers, text);
	assert_int_equal(ldns_pkt_get_rcode(r), want_rcode & 0x0f);
	if (contains != NULL)
		assert_contains(text, contains);
	ldns_pkt_free(r);
}

static const struct ask A = {.type = LDNS_RR_TYPE_A};
static const struct ask SRV = {.type = LDNS_RR_TYPE_SRV};
static const struct ask PTR = {.type = LDNS_RR_TYPE_PTR};
static const struct ask AAAA = {.type = LDNS_RR_TYPE_AAAA};

static void test_a_names(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(zks_dns_index_endpoints(f->ix), 3);
	/* The qualified name, any case; the TTL is the setting's. */
	expect(f->ix, "web-1.front.zkswarm.", &A, 0, true, 1, "\t1\tIN\tA\t10.9.0.7");
	expect(f->ix, "WEB-1.Front.ZKSWARM.", &A, 0, true, 1, "10.9.0.7");
	/* The alias, the hostname, the task, across networks and on its own. */
	expect(f->ix, "web.zkswarm.", &A, 0, true, 1, "10.9.0.7");
	expect(f->ix, "h1.front.zkswarm.", &A, 0, true, 1, "10.9.0.7");
	expect(f->ix, "app_web.1.x.zkswarm.", &A, 0, true, 1, "10.9.0.7");
	expect(f->ix, "web.", &A, 0, true, 1, "10.9.0.7");
	/* A service: every task. */
	expect(f->ix, "app_web.zkswarm.", &A, 0, true, 2, "10.9.0.8");
	/* A network keyed by a Docker ID is labelled by its engine name. */
	expect(f->ix, "db.back.zkswarm.", &A, 0, true, 1, "10.8.0.4");
	expect(f->ix, "database.back.zkswarm.", &A, 0, true, 1, "10.8.0.4");
	/* On the wrong network: not there. */
	expect(f->ix, "db.front.zkswarm.", &A, LDNS_RCODE_NXDOMAIN, true, 0, NULL);
}

static void test_unknown_and_other_types(void **state)
{
	struct fixture *f = *state;

	/* A name without its endpoint record does not answer. */
	expect(f->ix, "stale.zkswarm.", &A, LDNS_RCODE_NXDOMAIN, true, 0, NULL);
	expect(f->ix, "nope.zkswarm.", &A, LDNS_RCODE_NXDOMAIN, true, 0, NULL);
	/* Known name, other type: NODATA. */
	expect(f->ix, "web.zkswarm.", &AAAA, 0, true, 0, NULL);
	expect(f->ix, "web.", &AAAA, 0, true, 0, NULL);
	/* The zone's apex and a network's label exist, with no records. */
	expect(f->ix, "zkswarm.", &A, 0, true, 0, NULL);
	expect(f->ix, "front.zkswarm.", &A, 0, true, 0, NULL);
	/* Outside our zones: REFUSED without AA, so that the next server is asked. */
	expect(f->ix, "example.com.", &A, LDNS_RCODE_REFUSED, false, 0, NULL);
	expect(f->ix, "nope.", &A, LDNS_RCODE_REFUSED, false, 0, NULL);
	expect(f->ix, ".", &A, LDNS_RCODE_REFUSED, false, 0, NULL);
	/* The alias longer than a label (70 bytes) is left out, the record's other names stay
	 * (test_a_names: database.back.zkswarm.); so is a name too long once qualified. */
	expect(f->ix, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.zkswarm.",
	       &A, LDNS_RCODE_NXDOMAIN, true, 0, NULL);
}

static void test_srv(void **state)
{
	struct fixture *f = *state;

	expect(f->ix, "_80._tcp.web-1.front.zkswarm.", &SRV, 0, true, 1,
	       "SRV\t0 0 80 web-1.front.zkswarm.");
	expect(f->ix, "_80._TCP.app_web.zkswarm.", &SRV, 0, true, 2, "web-2.front.zkswarm.");
	expect(f->ix, "_80._tcp.web.", &SRV, 0, true, 1, "web-1.front.zkswarm.");
	/* The target answers A. */
	expect(f->ix, "web-2.front.zkswarm.", &A, 0, true, 1, "10.9.0.8");
	/* A port or protocol not exposed: no such name. */
	expect(f->ix, "_81._tcp.web.zkswarm.", &SRV, LDNS_RCODE_NXDOMAIN, true, 0, NULL);
	expect(f->ix, "_80._udp.web.zkswarm.", &SRV, LDNS_RCODE_NXDOMAIN, true, 0, NULL);
	/* The SRV name with another type: NODATA; an SRV query of a plain name: NODATA. */
	expect(f->ix, "_80._tcp.web.zkswarm.", &A, 0, true, 0, NULL);
	expect(f->ix, "web.zkswarm.", &SRV, 0, true, 0, NULL);
	/* Not ours, even shaped like SRV. */
	expect(f->ix, "_80._tcp.example.com.", &SRV, LDNS_RCODE_REFUSED, false, 0, NULL);
}

static void test_ptr(void **state)
{
	struct fixture *f = *state;

	expect(f->ix, "7.0.9.10.in-addr.arpa.", &PTR, 0, true, 1, "PTR\tweb-1.front.zkswarm.");
	expect(f->ix, "4.0.8.10.IN-ADDR.ARPA.", &PTR, 0, true, 1, "db.back.zkswarm.");
	/* In a subnet of ours, unused: NXDOMAIN; in none: REFUSED. */
	expect(f->ix, "99.0.9.10.in-addr.arpa.", &PTR, LDNS_RCODE_NXDOMAIN, true, 0, NULL);
	expect(f->ix, "7.0.7.10.in-addr.arpa.", &PTR, LDNS_RCODE_REFUSED, false, 0, NULL);
	expect(f->ix, "07.0.9.10.in-addr.arpa.", &PTR, LDNS_RCODE_REFUSED, false, 0, NULL);
	expect(f->ix, "0.9.10.in-addr.arpa.", &PTR, LDNS_RCODE_REFUSED, false, 0, NULL);
	expect(f->ix, "7.0.9.10.in-addr.arpa.", &A, 0, true, 0, NULL);
}

static void test_scope(void **state)
{
	struct fixture *f = *state;
	const char *front[] = {"front"};
	struct zks_dns_scope sc = {.keys = front, .n = 1};
	struct ask a = {.type = LDNS_RR_TYPE_A, .scope = &sc};
	struct ask p = {.type = LDNS_RR_TYPE_PTR, .scope = &sc};

	expect(f->ix, "web.", &a, 0, true, 1, "10.9.0.7");
	expect(f->ix, "web.zkswarm.", &a, 0, true, 1, "10.9.0.7");
	/* Another network's names: under our domain NXDOMAIN, bare REFUSED (not ours). */
	expect(f->ix, "db.zkswarm.", &a, LDNS_RCODE_NXDOMAIN, true, 0, NULL);
	expect(f->ix, "db.back.zkswarm.", &a, LDNS_RCODE_NXDOMAIN, true, 0, NULL);
	expect(f->ix, "db.", &a, LDNS_RCODE_REFUSED, false, 0, NULL);
	expect(f->ix, "4.0.8.10.in-addr.arpa.", &p, LDNS_RCODE_REFUSED, false, 0, NULL);
	/* Without a scope: every network. */
	expect(f->ix, "db.", &A, 0, true, 1, "10.8.0.4");
}

/* ---- a query on a network's address ----------------------------------------------------------- */

/* Container c1 on node n1 is on front (10.9.0.20) and back (10.8.0.20). */
static struct zks_dns_index *with_two_network_container(struct fixture *f)
{
	put_endpoint(f->s, "front", "e5", "10.9.0.20/24");
	put_name(f->s, "front", "e5", "app", "10.9.0.20/24", ",\"container\":\"c1\"");
	put_endpoint(f->s, BACK_KEY, "e6", "10.8.0.20/24");
	put_name(f->s, BACK_KEY, "e6", "app", "10.8.0.20/24", ",\"container\":\"c1\"");
	return zks_dns_index_build(f->s, "zkswarm.");
}

static void test_network_address_scope_is_the_askers_networks(void **state)
{
	struct fixture *f = *state;
	struct zks_dns_index *ix = with_two_network_container(f);
	struct ask from_app = {.type = LDNS_RR_TYPE_A,
			       .on_key = "front",
			       .subnet = "10.9.0.0/24",
			       .from = "10.9.0.20"};
	struct ask from_web = from_app, from_unknown = from_app;
	const char *keys[ZKS_DNS_SCOPE_MAX];

	from_web.from = "10.9.0.7";
	from_unknown.from = "10.9.0.99";
	/* c1 sees both its networks: db (back) by its single label, and web (front). */
	expect(ix, "db.", &from_app, 0, true, 1, "10.8.0.4");
	expect(ix, "web.", &from_app, 0, true, 1, "10.9.0.7");
	assert_int_equal(zks_dns_index_scope(ix, "front", 0x0a090014, keys, ZKS_DNS_SCOPE_MAX), 2);
	assert_string_equal(keys[0], "front");
	assert_string_equal(keys[1], BACK_KEY);
	/* web-1 is on front alone: db is not its, so the bare name goes to its next server. */
	expect(ix, "db.", &from_web, LDNS_RCODE_REFUSED, false, 0, NULL);
	expect(ix, "db.zkswarm.", &from_web, LDNS_RCODE_NXDOMAIN, true, 0, NULL);
	expect(ix, "web-2.", &from_web, 0, true, 1, "10.9.0.8");
	/* An address no name has: the network alone. */
	expect(ix, "web.", &from_unknown, 0, true, 1, "10.9.0.7");
	expect(ix, "db.", &from_unknown, LDNS_RCODE_REFUSED, false, 0, NULL);
	assert_int_equal(zks_dns_index_scope(ix, "front", 0x0a090063, keys, ZKS_DNS_SCOPE_MAX), 1);
	/* c1 seen from web-1: its address on front, not the one on back. */
	expect(ix, "app.", &from_web, 0, true, 1, "10.9.0.20");
	zks_dns_index_unref(ix);
}

static void test_network_address_drops_other_sources(void **state)
{
	struct fixture *f = *state;
	const char *outside[] = {"10.8.0.4", "127.0.0.1", "10.9.1.7", "0.0.0.0"};

	for (size_t i = 0; i < ARRAY_SIZE(outside); i++) {
		struct ask a = {.type = LDNS_RR_TYPE_A,
				.on_key = "front",
				.subnet = "10.9.0.0/24",
				.from = outside[i]};
		size_t outlen = 99;
		int rcode = 0;

		/* No reply at all, not even REFUSED: no reflection. */
		assert_null(ask(f->ix, "web.", &a, &rcode, &outlen));
		assert_int_equal(rcode, -1);
		assert_int_equal(outlen, 0);
	}
}

/* ---- the wire: EDNS, truncation, hostile packets --------------------------------------------- */

static void test_edns(void **state)
{
	struct fixture *f = *state;
	struct ask e = {.type = LDNS_RR_TYPE_A, .edns = 4096};
	struct ask bad = {.type = LDNS_RR_TYPE_A, .edns = 4096, .version = 1};
	int rcode;
	ldns_pkt *r = ask(f->ix, "web.zkswarm.", &e, &rcode, NULL);

	assert_int_equal(rcode, 0);
	assert_true(ldns_pkt_edns(r));
	assert_int_equal(ldns_pkt_edns_udp_size(r), ZKS_DNS_EDNS_SIZE);
	assert_int_equal(ldns_pkt_edns_version(r), 0);
	assert_int_equal(ldns_pkt_ancount(r), 1);
	ldns_pkt_free(r);
	/* Version 1: BADVERS (16: extended rcode 1, header rcode 0), with our OPT, no answer. */
	r = ask(f->ix, "web.zkswarm.", &bad, &rcode, NULL);
	assert_int_equal(rcode, 16);
	assert_int_equal(ldns_pkt_get_rcode(r), 0);
	assert_int_equal(ldns_pkt_edns_extended_rcode(r), 1);
	assert_int_equal(ldns_pkt_ancount(r), 0);
	ldns_pkt_free(r);
	/* No EDNS asked: none given. */
	r = ask(f->ix, "web.zkswarm.", &A, &rcode, NULL);
	assert_false(ldns_pkt_edns(r));
	ldns_pkt_free(r);
}

/* A service of n tasks on "front". */
static void add_service(struct zks_store *s, const char *service, int n)
{
	for (int i = 0; i < n; i++) {
		char id[32], name[32], addr[32];
		cleanup_free char *extra = xasprintf(",\"service\":\"%s\"", service);

		snprintf(id, sizeof(id), "big%d", i);
		snprintf(name, sizeof(name), "%s-%d", service, i);
		snprintf(addr, sizeof(addr), "10.9.0.%d/24", 100 + i);
		put_endpoint(s, "front", id, addr);
		put_name(s, "front", id, name, addr, extra);
	}
}

static void test_truncation(void **state)
{
	struct fixture *f = *state;
	struct ask udp = {.type = LDNS_RR_TYPE_A};
	struct ask udp_edns = {.type = LDNS_RR_TYPE_A, .edns = 4096};
	struct ask small_edns = {.type = LDNS_RR_TYPE_A, .edns = 100};
	struct ask tcp = {.type = LDNS_RR_TYPE_A, .tcp = true};
	struct zks_dns_index *ix;
	int rcode;
	size_t len;
	ldns_pkt *r;

	add_service(f->s, "big", 100);
	ix = zks_dns_index_build(f->s, "zkswarm");
	/* 100 A records (16 bytes each, compressed) fit neither 512 nor 1232 bytes. */
	r = ask(ix, "big.zkswarm.", &udp, &rcode, &len);
	assert_true(ldns_pkt_tc(r));
	assert_int_equal(ldns_pkt_ancount(r), 0);
	assert_int_equal(ldns_pkt_qdcount(r), 1);
	assert_true(len <= 512);
	ldns_pkt_free(r);
	r = ask(ix, "big.zkswarm.", &udp_edns, &rcode, &len);
	assert_true(ldns_pkt_tc(r));
	assert_true(ldns_pkt_edns(r));
	assert_true(len <= ZKS_DNS_EDNS_SIZE);
	ldns_pkt_free(r);
	/* An EDNS size under 512 counts as 512. */
	r = ask(ix, "web.zkswarm.", &small_edns, &rcode, &len);
	assert_false(ldns_pkt_tc(r));
	assert_int_equal(ldns_pkt_ancount(r), 1);
	ldns_pkt_free(r);
	/* Over TCP: all of them. */
	r = ask(ix, "big.zkswarm.", &tcp, &rcode, &len);
	assert_false(ldns_pkt_tc(r));
	assert_int_equal(ldns_pkt_ancount(r), 100);
	assert_true(len > 1232);
	ldns_pkt_free(r);
	/* 20 fit 512 bytes. */
	expect(ix, "big-1.zkswarm.", &udp, 0, true, 1, "10.9.0.101");
	zks_dns_index_unref(ix);
}

/* A query's header and question, by hand: "web.zkswarm." A IN. */
static size_t raw_query(uint8_t *w, uint8_t flags2, uint16_t qd, uint16_t an, uint16_t ar)
{
	static const uint8_t q[] = {3,	 'w', 'e', 'b', 7, 'z', 'k', 's', 'w',
				    'a', 'r', 'm', 0,	0, 1,	0,   1};

	memset(w, 0, 12);
	w[0] = 0xab;
	w[1] = 0xcd;
	w[2] = flags2;
	w[5] = (uint8_t)qd;
	w[4] = (uint8_t)(qd >> 8);
	w[7] = (uint8_t)an;
	w[11] = (uint8_t)ar;
	memcpy(w + 12, q, sizeof(q));
	return 12 + sizeof(q);
}

static int raw_rcode(const struct zks_dns_index *ix, const uint8_t *w, size_t len, bool tcp)
{
	static uint8_t out[ZKS_DNS_REPLY_MAX];
	struct zks_dns_query q = {.wire = w, .len = len, .tcp = tcp, .ttl = 1};
	size_t n = 99;
	int rcode = zks_dns_answer(ix, &q, out, &n);

	if (rcode < 0) {
		assert_int_equal(n, 0);
		return rcode;
	}
	/* Every reply: our id, QR, within 512 bytes over UDP. */
	assert_true(n >= 12 && (tcp || n <= 512));
	assert_int_equal(out[0], w[0]);
	assert_int_equal(out[1], w[1]);
	assert_true(out[2] & 0x80);
	assert_int_equal(out[3] & 0x0f, rcode & 0x0f);
	return rcode;
}

static void test_hostile(void **state)
{
	struct fixture *f = *state;
	uint8_t w[700];
	size_t len = raw_query(w, 0x01, 1, 0, 0);

	assert_int_equal(raw_rcode(f->ix, w, len, false), 0);
	/* Shorter than a header, or a response: no reply at all. */
	assert_int_equal(raw_rcode(f->ix, w, 11, false), -1);
	assert_int_equal(raw_rcode(f->ix, w, 0, false), -1);
	raw_query(w, 0x81, 1, 0, 0);
	assert_int_equal(raw_rcode(f->ix, w, len, false), -1);
	/* Another opcode (2, STATUS; 5, UPDATE). */
	raw_query(w, 2 << 3, 1, 0, 0);
	assert_int_equal(raw_rcode(f->ix, w, len, false), LDNS_RCODE_NOTIMPL);
	raw_query(w, 5 << 3, 1, 0, 0);
	assert_int_equal(raw_rcode(f->ix, w, len, false), LDNS_RCODE_NOTIMPL);
	/* Counts that do not fit a query. */
	raw_query(w, 0, 2, 0, 0);
	assert_int_equal(raw_rcode(f->ix, w, len, false), LDNS_RCODE_FORMERR);
	raw_query(w, 0, 0, 0, 0);
	assert_int_equal(raw_rcode(f->ix, w, len, false), LDNS_RCODE_FORMERR);
	raw_query(w, 0, 1, 1, 0);
	assert_int_equal(raw_rcode(f->ix, w, len, false), LDNS_RCODE_FORMERR);
	raw_query(w, 0, 1, 0, 2);
	assert_int_equal(raw_rcode(f->ix, w, len, false), LDNS_RCODE_FORMERR);
	/* ARCOUNT 1 with nothing there; a question cut short. */
	raw_query(w, 0, 1, 0, 1);
	assert_int_equal(raw_rcode(f->ix, w, len, false), LDNS_RCODE_FORMERR);
	raw_query(w, 0, 1, 0, 0);
	assert_int_equal(raw_rcode(f->ix, w, len - 3, false), LDNS_RCODE_FORMERR);
	assert_int_equal(raw_rcode(f->ix, w, 16, false), LDNS_RCODE_FORMERR);
	/* A name that points at itself. */
	w[12] = 0xc0;
	w[13] = 12;
	assert_int_equal(raw_rcode(f->ix, w, len, false), LDNS_RCODE_FORMERR);
	/* Over 512 bytes on UDP without EDNS (trailing bytes): FORMERR; the same on TCP: fine. */
	len = raw_query(w, 0, 1, 0, 0);
	memset(w + len, 0, sizeof(w) - len);
	assert_int_equal(raw_rcode(f->ix, w, 600, false), LDNS_RCODE_FORMERR);
	assert_int_equal(raw_rcode(f->ix, w, 600, true), 0);
}

static void test_classes_and_types(void **state)
{
	struct fixture *f = *state;
	struct ask chaos = {.type = LDNS_RR_TYPE_TXT, .klass = LDNS_RR_CLASS_CH};
	struct ask axfr = {.type = LDNS_RR_TYPE_AXFR};
	struct ask any = {.type = LDNS_RR_TYPE_ANY};

	expect(f->ix, "version.bind.", &chaos, LDNS_RCODE_REFUSED, false, 0, NULL);
	expect(f->ix, "zkswarm.", &axfr, LDNS_RCODE_NOTIMPL, false, 0, NULL);
	expect(f->ix, "web.zkswarm.", &any, 0, true, 1, "10.9.0.7");
}

/* ---- the server --------------------------------------------------------------------------- */

/* One UDP query to the server on 127.0.0.1:port: the reply's rcode and answer count. */
static int udp_ask(uint16_t port, const char *name, int *ancount)
{
	ldns_pkt *q = ldns_pkt_query_new(ldns_dname_new_frm_str(name), LDNS_RR_TYPE_A,
					 LDNS_RR_CLASS_IN, LDNS_RD);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
	uint8_t *wire = NULL, buf[1500];
	size_t len = 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rcode = -1;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ldns_pkt *r = NULL;
	ssize_t got;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	assert_int_equal(sendto(fd, wire, len, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)len);
	free(wire);
	if (poll(&pfd, 1, 2000) == 1 && (got = recv(fd, buf, sizeof(buf), 0)) > 0 &&
	    ldns_wire2pkt(&r, buf, (size_t)got) == LDNS_STATUS_OK) {
		rcode = ldns_pkt_get_rcode(r);
		*ancount = ldns_pkt_ancount(r);
	}
	ldns_pkt_free(r);
	close(fd);
	return rcode;
}

/* Polls the server (every 10 ms, up to 2 s) until name's rcode is want. */
static bool wait_rcode(uint16_t port, const char *name, int want)
{
	for (int i = 0; i < 200; i++) {
		int an = 0;

		if (udp_ask(port, name, &an) == want)
			return true;
		usleep(10000);
	}
	return false;
}

static void test_server_follows_the_store(void **state)
{
	struct fixture *f = *state;
	struct zks_dns_config cfg = {.listen = "127.0.0.1:0", .domain = "zkswarm.", .ttl = 1};
	struct zks_error err;
	struct zks_dns *dns = zks_dns_start(f->s, &cfg, &err);
	uint16_t port;
	int an = 0;

	if (dns == NULL)
		fail_msg("zks_dns_start: %s", err.msg);
	port = zks_dns_port(dns);
	assert_int_equal(udp_ask(port, "web-1.front.zkswarm.", &an), 0);
	assert_int_equal(an, 1);
	/* A new name answers, without a refresh by hand. */
	put_endpoint(f->s, "front", "e9", "10.9.0.50/24");
	put_name(f->s, "front", "e9", "newcomer", "10.9.0.50/24", "");
	assert_true(wait_rcode(port, "newcomer.zkswarm.", 0));
	/* Its endpoint record goes: so does the name. */
	{
		cleanup_free char *path = zks_path_network_endpoint("front", "e9");

		del(f->s, path);
	}
	assert_true(wait_rcode(port, "newcomer.zkswarm.", LDNS_RCODE_NXDOMAIN));
	/* A name record that goes. */
	{
		cleanup_free char *path = zks_path_name("front", "e2");

		del(f->s, path);
	}
	assert_true(wait_rcode(port, "web-2.zkswarm.", LDNS_RCODE_NXDOMAIN));
	assert_int_equal(udp_ask(port, "web-1.zkswarm.", &an), 0);
	zks_dns_stop(dns);
	store_stop(f->s);
	zks_dns_free(dns);
}

/* A TCP connection to the server on 127.0.0.1:port. */
static int tcp_connect(uint16_t port)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {.tv_sec = 2};

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Reads exactly n bytes (the timeout bounds each read): n, or less at EOF or timeout. */
static size_t read_n(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	for (int i = 0; i < 1000 && got < n; i++) {
		ssize_t r = recv(fd, buf + got, n - got, 0);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* One framed reply: its answer count, or -1. */
static int tcp_reply(int fd)
{
	static uint8_t buf[ZKS_DNS_REPLY_MAX];
	ldns_pkt *r = NULL;
	size_t len;
	int an = -1;

	if (read_n(fd, buf, 2) != 2)
		return -1;
	len = (size_t)buf[0] << 8 | buf[1];
	if (read_n(fd, buf, len) == len && ldns_wire2pkt(&r, buf, len) == LDNS_STATUS_OK)
		an = ldns_pkt_ancount(r);
	ldns_pkt_free(r);
	return an;
}

static void test_server_tcp(void **state)
{
	struct fixture *f = *state;
	struct zks_dns_config cfg = {.listen = "127.0.0.1:0", .domain = "zkswarm.", .ttl = 1};
	struct zks_error err;
	struct zks_dns *dns;
	ldns_pkt *q = ldns_pkt_query_new(ldns_dname_new_frm_str("big.zkswarm."), LDNS_RR_TYPE_A,
					 LDNS_RR_CLASS_IN, LDNS_RD);
	uint8_t *wire = NULL, framed[2 * (2 + 512)], b;
	size_t len = 0;
	int fd;

	add_service(f->s, "big", 100);
	dns = zks_dns_start(f->s, &cfg, &err);
	if (dns == NULL)
		fail_msg("zks_dns_start: %s", err.msg);
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	/* Two queries in one write, the second cut in two: both answered, whole, in order. */
	framed[0] = (uint8_t)(len >> 8);
	framed[1] = (uint8_t)len;
	memcpy(framed + 2, wire, len);
	memcpy(framed + 2 + len, framed, 2 + len);
	free(wire);
	fd = tcp_connect(zks_dns_port(dns));
	assert_int_equal(send(fd, framed, 2 * (2 + len) - 5, 0), (ssize_t)(2 * (2 + len) - 5));
	assert_int_equal(tcp_reply(fd), 100);
	assert_int_equal(send(fd, framed + 2 * (2 + len) - 5, 5, 0), 5);
	assert_int_equal(tcp_reply(fd), 100);
	/* A length under a header's closes the connection. */
	assert_int_equal(send(fd, "\0\3abc", 5, 0), 5);
	assert_int_equal(recv(fd, &b, 1, 0), 0);
	close(fd);
	zks_dns_stop(dns);
	store_stop(f->s);
	zks_dns_free(dns);
}

/* ---- the server on the local networks' gateways ------------------------------------------------ */

/* Network key with a gateway (and the directory of its members). */
static void put_network_gw(struct zks_store *s, const char *key, const char *subnet,
			   const char *gateway)
{
	struct zks_record_network rec = {.key = (char *)key,
					 .gateway = (char *)gateway,
					 .vni = 8,
					 .mtu = 1450};
	cleanup_free char *path = zks_path_network(key);
	cleanup_free char *members = zks_path_network_members(key);
	cleanup_free char *json = NULL;

	put_network(s, key, subnet);
	assert_int_equal(zks_cidr_parse(subnet, &rec.subnet, NULL), 0);
	json = zks_record_network_encode(&rec);
	put(s, path, json);
	put(s, members, "");
}

static void member(struct zks_store *s, const char *key, const char *node_id, bool add)
{
	cleanup_free char *path = zks_path_network_member(key, node_id, ":d1");

	if (add)
		put(s, path, "");
	else
		del(s, path);
}

/* An A query for name from address from to to:port over UDP: the rcode, -1 without a reply
 * within wait_ms. */
static int udp_ask_at(const char *from, const char *to, uint16_t port, const char *name,
		      int wait_ms)
{
	ldns_pkt *q = ldns_pkt_query_new(ldns_dname_new_frm_str(name), LDNS_RR_TYPE_A,
					 LDNS_RR_CLASS_IN, LDNS_RD);
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rcode = -1;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint8_t *wire = NULL, buf[1500];
	ldns_pkt *r = NULL;
	size_t len = 0;
	ssize_t got;

	inet_pton(AF_INET, from, &src.sin_addr);
	inet_pton(AF_INET, to, &dst.sin_addr);
	dst.sin_port = htons(port);
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	assert_int_equal(sendto(fd, wire, len, 0, (struct sockaddr *)&dst, sizeof(dst)),
			 (ssize_t)len);
	free(wire);
	if (poll(&pfd, 1, wait_ms) == 1 && (got = recv(fd, buf, sizeof(buf), 0)) > 0 &&
	    ldns_wire2pkt(&r, buf, (size_t)got) == LDNS_STATUS_OK)
		rcode = ldns_pkt_get_rcode(r);
	ldns_pkt_free(r);
	close(fd);
	return rcode;
}

/* Polls (every 10 ms, up to 2 s) until the server listens on key's gateway (or not). */
static uint16_t wait_network_port(struct zks_dns *dns, const char *key, bool listening)
{
	for (int i = 0; i < 200; i++) {
		uint16_t port = zks_dns_network_port(dns, key);

		if ((port != 0) == listening)
			return port;
		usleep(10000);
	}
	fail_msg("the server %s on `%s`'s gateway", listening ? "never listened" : "still listens",
		 key);
	return 0;
}

/* A TCP connection from 127.0.0.1 to to:port: true if the server closes it at once. */
static bool tcp_closed_at_once(const char *to, uint16_t port)
{
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {.tv_sec = 2};
	uint8_t b;
	bool closed;

	inet_pton(AF_INET, to, &dst.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	closed = recv(fd, &b, 1, 0) == 0;
	close(fd);
	return closed;
}

static void test_server_follows_local_networks(void **state)
{
	struct fixture *f = *state;
	struct zks_dns_config cfg = {.domain = "zkswarm.",
				     .ttl = 1,
				     .networks = true,
				     .node = "n1"};
	struct zks_error err;
	struct zks_dns *dns;
	uint16_t port;

	put_network_gw(f->s, "lonet", "127.77.0.0/16", "127.77.0.1/16");
	put_endpoint(f->s, "lonet", "e7", "127.77.0.5/16");
	put_name(f->s, "lonet", "e7", "svc", "127.77.0.5/16", ",\"container\":\"c9\"");
	member(f->s, "lonet", "n2", true); /* another node's member: not local */
	put_network_gw(f->s, "farnet", "10.99.0.0/24", "10.99.0.1/24");
	member(f->s, "farnet", "n1", true);
	dns = zks_dns_start(f->s, &cfg, &err);
	if (dns == NULL)
		fail_msg("zks_dns_start: %s", err.msg);
	assert_int_equal(zks_dns_network_port(dns, "lonet"), 0);
	assert_int_equal(zks_dns_network_port(dns, "front"), 0); /* no gateway, no member */
	/* Bound before the address is on any device (IP_FREEBIND). */
	assert_int_not_equal(zks_dns_network_port(dns, "farnet"), 0);

	/* It becomes local: the server answers on its gateway, to its subnet alone. */
	member(f->s, "lonet", "n1", true);
	port = wait_network_port(dns, "lonet", true);
	assert_int_equal(udp_ask_at("127.77.0.5", "127.77.0.1", port, "svc.", 2000), 0);
	assert_int_equal(udp_ask_at("127.77.0.5", "127.77.0.1", port, "nosuch.zkswarm.", 2000),
			 LDNS_RCODE_NXDOMAIN);
	assert_int_equal(udp_ask_at("127.0.0.1", "127.77.0.1", port, "svc.", 300), -1);
	assert_true(tcp_closed_at_once("127.77.0.1", port));

	/* It is no longer local: its sockets close; the other network's stay. */
	member(f->s, "lonet", "n1", false);
	wait_network_port(dns, "lonet", false);
	assert_int_not_equal(zks_dns_network_port(dns, "farnet"), 0);
	zks_dns_stop(dns);
	store_stop(f->s);
	zks_dns_free(dns);
}

static void test_server_refuses_other_addresses(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = {"10.0.0.1:5353", "0.0.0.0:5353", "127.0.0.1", "127.0.0.1:99999",
			     "localhost:53"};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct zks_dns_config cfg = {.listen = bad[i], .domain = "zkswarm.", .ttl = 1};
		struct zks_error err;

		assert_null(zks_dns_start(f->s, &cfg, &err));
		assert_int_equal(err.code, ZKS_ERR_INVALID);
		assert_contains(err.msg, "DNS_LISTEN");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_other_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ptr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_network_address_scope_is_the_askers_networks,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_network_address_drops_other_sources, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_edns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classes_and_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_follows_the_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_follows_local_networks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_server_refuses_other_addresses, setup,
						teardown),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
