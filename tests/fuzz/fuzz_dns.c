/*
 * fuzz_dns.c - libFuzzer target over the DNS query path (zks_dns_answer).
 *
 * Input: the first byte's bit 0 says TCP, bit 1 a scope of network "front" alone (else every
 * network); the rest is the query's wire bytes.  The index is built once, from an in-memory
 * store holding two networks and a few names (a service of 40 tasks, so that truncation is
 * reached), and is never changed: each input stands alone.
 *
 * Checked on every input (a failure aborts, and libFuzzer saves the input):
 *   - no reply (-1) only for fewer than 12 bytes or a response (QR set), and then no bytes;
 *   - otherwise a reply of at least 12 bytes with the query's ID and QR set, whose header
 *     rcode is the returned rcode's low 4 bits, that libldns parses;
 *   - never larger than the query may receive: 512 bytes on UDP for a query without an
 *     additional record, 1232 on UDP in any case, 65535 on TCP.
 *
 * Build and run: `make fuzz`, `make fuzz-run` (tests/fuzz/run.sh with FUZZ_DIR=dns: the seed
 * corpus in tests/fuzz/dns/corpus, written by tests/fuzz/dns/make-corpus.py, and
 * tests/fuzz/dns/dns.dict).
 */
#include <ldns/ldns.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/dns.h"
#include "zkswarm/records.h"
#include "zkswarm/store.h"
#include "zkswarm/util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct zks_dns_index *ix;

static void put(struct zks_store *s, const char *path, const char *data)
{
	if (store_create(s, path, data, strlen(data), ZKS_PERSISTENT, NULL) < 0 &&
	    store_set(s, path, data, strlen(data), -1, NULL) < 0) {
		fprintf(stderr, "fuzz_dns: cannot write %s\n", path);
		abort();
	}
}

static void put_network(struct zks_store *s, const char *key, const char *subnet)
{
	struct zks_record_network rec = {.key = (char *)key, .vni = 7, .mtu = 1450};
	cleanup_free char *path = zks_path_network(key);
	cleanup_free char *eps = zks_path_network_endpoints(key);
	cleanup_free char *names = zks_path_names(key);
	cleanup_free char *json = NULL;

	zks_cidr_parse(subnet, &rec.subnet, NULL);
	json = zks_record_network_encode(&rec);
	put(s, path, json);
	put(s, eps, "");
	put(s, names, "");
}

static void put_name(struct zks_store *s, const char *key, const char *id, const char *addr,
		     const char *json)
{
	struct zks_record_endpoint ep = {.node = "n1", .mac = {2, 0, 0, 0, 0, 1}};
	cleanup_free char *epath = zks_path_network_endpoint(key, id);
	cleanup_free char *npath = zks_path_name(key, id);
	cleanup_free char *ejson = NULL;
	cleanup_free char *njson =
		xasprintf("{\"endpoint\":\"%s\",\"address\":\"%s\",\"node\":\"n1\",%s}", id, addr,
			  json);

	snprintf(ep.address, sizeof(ep.address), "%s", addr);
	ejson = zks_record_endpoint_encode(&ep);
	put(s, epath, ejson);
	put(s, npath, njson);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct zks_mem_backend *b = zks_mem_backend_new();
	struct zks_store *s = zks_store_mem_new(b);

	(void)argc;
	(void)argv;
	put_network(s, "front", "10.9.0.0/24");
	put_network(s, "4f2a9c1e0b7d6a5f3e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a098765432",
		    "10.8.0.0/24");
	put_name(s, "front", "e1", "10.9.0.7/24",
		 "\"name\":\"web-1\",\"aliases\":[\"web\"],\"hostname\":\"h1\","
		 "\"service\":\"app_web\",\"task\":\"app_web.1.x\",\"network_name\":\"front\","
		 "\"ports\":[{\"port\":80,\"proto\":\"tcp\"},{\"port\":53,\"proto\":\"udp\"}]");
	put_name(s, "4f2a9c1e0b7d6a5f3e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a098765432", "e2",
		 "10.8.0.4/24", "\"name\":\"db\",\"network_name\":\"back\"");
	for (int i = 0; i < 40; i++) {
		char id[16], addr[32], json[128];

		snprintf(id, sizeof(id), "t%d", i);
		snprintf(addr, sizeof(addr), "10.9.0.%d/24", 100 + i);
		snprintf(json, sizeof(json),
			 "\"name\":\"big-%d\",\"service\":\"big\","
			 "\"ports\":[{\"port\":8080,\"proto\":\"tcp\"}]",
			 i);
		put_name(s, "front", id, addr, json);
	}
	ix = zks_dns_index_build(s, "zkswarm.");
	store_destroy(s);
	zks_mem_backend_free(b);
	if (zks_dns_index_endpoints(ix) != 42) {
		fprintf(stderr, "fuzz_dns: the index holds %zu endpoints, not 42\n",
			zks_dns_index_endpoints(ix));
		abort();
	}
	return 0;
}

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_dns: invariant violated: %s\n", what);
		abort();
	}
}

static void check_reply(const uint8_t *q, size_t len, bool tcp, int rcode, const uint8_t *out,
			size_t n)
{
	ldns_pkt *p = NULL;

	check(n >= 12, "a reply has a header");
	check(out[0] == q[0] && out[1] == q[1], "the reply has the query's ID");
	check((out[2] & 0x80) != 0, "the reply has QR");
	check((out[3] & 0x0f) == (rcode & 0x0f), "the header's rcode is the one returned");
	check(rcode <= 4095, "an rcode fits 12 bits");
	check(tcp || n <= ZKS_DNS_EDNS_SIZE, "UDP replies fit 1232 bytes");
	check(tcp || (q[10] == 0 && q[11] == 0 ? n <= 512 : true),
	      "UDP replies to queries without EDNS fit 512 bytes");
	check(ldns_wire2pkt(&p, out, n) == LDNS_STATUS_OK, "libldns parses the reply");
	ldns_pkt_free(p);
	(void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[ZKS_DNS_REPLY_MAX];
	static const char *const front[] = {"front"};
	const struct zks_dns_scope scope = {.keys = front, .n = 1};
	struct zks_dns_query q;
	size_t n = 1;
	int rcode;

	if (size < 1)
		return 0;
	q = (struct zks_dns_query){.wire = data + 1,
				   .len = size - 1,
				   .tcp = data[0] & 1,
				   .scope = (data[0] & 2) ? &scope : NULL,
				   .ttl = 1};
	rcode = zks_dns_answer(ix, &q, out, &n);
	if (rcode < 0) {
		check(n == 0, "no reply has no bytes");
		check(q.len < 12 || (q.wire[2] & 0x80),
		      "only short packets and responses go unanswered");
		return 0;
	}
	check(q.len >= 12, "a packet under 12 bytes gets no reply");
	check_reply(q.wire, q.len, q.tcp, rcode, out, n);
	return 0;
}
