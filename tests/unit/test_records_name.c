/*
 * test_records_name.c - the JSON of a name record (records_name.c): a record
 * survives encode and decode unchanged, field names as docs/DESIGN.md
 * documents them for clients outside Docker; the fields the DNS server
 * trusts (name, address, node, endpoint, aliases, ports) are refused with
 * INTERNAL when missing, malformed or over their caps, and nothing leaks;
 * the others read as absent when of the wrong type; hostile JSON is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define REQUIRED                                                                                   \
	"\"name\":\"web-1\",\"endpoint\":\"e1\",\"node\":\"n1\",\"address\":\"10.2.0.7/24\""

static void test_path(void **state)
{
	char *p = zks_path_names("front"), *q = zks_path_name("front", "e1");

	(void)state;
	assert_string_equal(p, "/names/front");
	assert_string_equal(q, "/names/front/e1");
	free(p);
	free(q);
}

static void test_round_trip(void **state)
{
	char *aliases[] = {"web", "www"};
	struct zks_record_port ports[] = {{80, "tcp"}, {53, "udp"}, {9, "sctp"}};
	struct zks_record_name in = {.name = "web-1",
				     .aliases = aliases,
				     .naliases = 2,
				     .hostname = "h1",
				     .container = "c0ffee",
				     .endpoint = "e1",
				     .network = "d0cker",
				     .network_name = "front",
				     .address = "10.2.0.7/24",
				     .node = "n1",
				     .service = "app_web",
				     .service_id = "s1",
				     .task = "app_web.1.xyz",
				     .ports = ports,
				     .nports = 3,
				     .updated_at = "2026-12-05T04:00:00Z",
				     .token = "00112233aabbccdd"},
			       out;
	struct zks_error err = {0};
	char *text = zks_record_name_encode(&in);

	(void)state;
	assert_string_equal(
		text, "{\"name\":\"web-1\",\"aliases\":[\"web\",\"www\"],\"hostname\":\"h1\","
		      "\"container\":\"c0ffee\",\"endpoint\":\"e1\",\"network\":\"d0cker\","
		      "\"network_name\":\"front\",\"address\":\"10.2.0.7/24\",\"node\":\"n1\","
		      "\"service\":\"app_web\",\"service_id\":\"s1\",\"task\":\"app_web.1.xyz\","
		      "\"ports\":[{\"port\":80,\"proto\":\"tcp\"},{\"port\":53,\"proto\":\"udp\"},"
		      "{\"port\":9,\"proto\":\"sctp\"}],\"updated_at\":\"2026-12-05T04:00:00Z\","
		      "\"token\":\"00112233aabbccdd\"}");
	assert_ok(zks_record_name_decode(text, &out, &err), &err);
	assert_string_equal(out.name, "web-1");
	assert_int_equal(out.naliases, 2);
	assert_string_equal(out.aliases[0], "web");
	assert_string_equal(out.aliases[1], "www");
	assert_string_equal(out.hostname, "h1");
	assert_string_equal(out.container, "c0ffee");
	assert_string_equal(out.endpoint, "e1");
	assert_string_equal(out.network, "d0cker");
	assert_string_equal(out.network_name, "front");
	assert_string_equal(out.address, "10.2.0.7/24");
	assert_string_equal(out.node, "n1");
	assert_string_equal(out.service, "app_web");
	assert_string_equal(out.service_id, "s1");
	assert_string_equal(out.task, "app_web.1.xyz");
	assert_int_equal(out.nports, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(out.ports[i].port, ports[i].port);
		assert_string_equal(out.ports[i].proto, ports[i].proto);
	}
	assert_string_equal(out.updated_at, "2026-12-05T04:00:00Z");
	assert_string_equal(out.token, "00112233aabbccdd");
	zks_record_name_clear(&out);
	assert_null(out.name);
	assert_int_equal(out.naliases, 0);
	free(text);
}

/* Only the four required fields; the encoder writes empty lists, absent strings not at all. */
static void test_minimal_and_lenient(void **state)
{
	struct zks_record_name in = {.name = "db",
				     .endpoint = "e2",
				     .node = "n2",
				     .address = "10.2.0.8/24"};
	struct zks_record_name out;
	struct zks_error err = {0};
	char *text = zks_record_name_encode(&in);

	(void)state;
	assert_string_equal(text, "{\"name\":\"db\",\"aliases\":[],\"endpoint\":\"e2\","
				  "\"address\":\"10.2.0.8/24\",\"node\":\"n2\",\"ports\":[]}");
	assert_ok(zks_record_name_decode(text, &out, &err), &err);
	assert_int_equal(out.naliases, 0);
	assert_int_equal(out.nports, 0);
	assert_null(out.hostname);
	assert_null(out.service);
	zks_record_name_clear(&out);
	free(text);
	/* No lists at all, and optional fields of the wrong type: absent; unknown fields ignored. */
	assert_ok(zks_record_name_decode("{" REQUIRED ",\"hostname\":1,\"container\":[],"
					 "\"network\":{},\"network_name\":null,\"service\":true,"
					 "\"service_id\":2,\"task\":[\"x\"],\"updated_at\":3,"
					 "\"token\":false,\"future\":{\"a\":1}}",
					 &out, &err),
		  &err);
	assert_string_equal(out.name, "web-1");
	assert_string_equal(out.address, "10.2.0.7/24");
	assert_null(out.aliases);
	assert_null(out.ports);
	assert_null(out.hostname);
	assert_null(out.container);
	assert_null(out.network);
	assert_null(out.network_name);
	assert_null(out.service);
	assert_null(out.service_id);
	assert_null(out.task);
	assert_null(out.updated_at);
	assert_null(out.token);
	zks_record_name_clear(&out);
	/* The bounds themselves are fine: port 1 and 65535, a prefix /0 and /32. */
	assert_ok(zks_record_name_decode("{\"name\":\"a\",\"endpoint\":\"e\",\"node\":\"n\","
					 "\"address\":\"10.0.0.1/32\",\"ports\":[{\"port\":1,"
					 "\"proto\":\"tcp\"},{\"port\":65535,\"proto\":\"udp\"}]}",
					 &out, &err),
		  &err);
	assert_int_equal(out.ports[1].port, 65535);
	zks_record_name_clear(&out);
}

/* Each refused with INTERNAL, a message naming what is wrong, and an empty out. */
static void refused(const char *doc, const char *message)
{
	struct zks_record_name out;
	struct zks_error err = {0};

	if (zks_record_name_decode(doc, &out, &err) == 0)
		fail_msg("accepted: %s", doc);
	assert_int_equal(err.code, ZKS_ERR_INTERNAL);
	assert_contains(err.msg, message);
	assert_null(out.name);
	assert_null(out.aliases);
	assert_null(out.ports);
	assert_null(out.address);
	assert_int_equal(out.naliases, 0);
	assert_int_equal(out.nports, 0);
}

static void test_required_fields(void **state)
{
	(void)state;
	refused("", "not a JSON object");
	refused("null", "not a JSON object");
	refused("[]", "not a JSON object");
	refused("\"name\"", "not a JSON object");
	refused("{", "not a JSON object");
	refused("{}", "`name`");
	refused("{\"endpoint\":\"e\",\"node\":\"n\",\"address\":\"10.0.0.1/24\"}", "`name`");
	refused("{\"name\":\"\",\"endpoint\":\"e\",\"node\":\"n\",\"address\":\"10.0.0.1/24\"}",
		"`name`");
	refused("{\"name\":7,\"endpoint\":\"e\",\"node\":\"n\",\"address\":\"10.0.0.1/24\"}",
		"`name`");
	refused("{\"name\":\"a\",\"node\":\"n\",\"address\":\"10.0.0.1/24\"}", "`endpoint`");
	refused("{\"name\":\"a\",\"endpoint\":[],\"node\":\"n\",\"address\":\"10.0.0.1/24\"}",
		"`endpoint`");
	refused("{\"name\":\"a\",\"endpoint\":\"e\",\"address\":\"10.0.0.1/24\"}", "`node`");
	refused("{\"name\":\"a\",\"endpoint\":\"e\",\"node\":null,\"address\":\"10.0.0.1/24\"}",
		"`node`");
	refused("{\"name\":\"a\",\"endpoint\":\"e\",\"node\":\"n\"}", "`address`");
	refused("{\"name\":\"a\",\"endpoint\":\"e\",\"node\":\"n\",\"address\":1}", "`address`");
}

static void test_bad_address(void **state)
{
	static const char *const bad[] = {
		"10.0.0.1",	 "10.0.0.1/",	 "10.0.0.1/33",	   "10.0.0.1/2x", "10.0.0/24",
		"10.0.0.256/24", "10.0.0.01/24", "a.b.c.d/24",	   "::1/128",	  "/24",
		"10.0.0.1/24 ",	 " 10.0.0.1/24", "10.0.0.1/24/24", "10.0.0.1/-1", "10.0.0.1/100",
		"10.0.0.1.1/24", "web",		 "10.0.0.1/024",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *doc = xasprintf("{\"name\":\"a\",\"endpoint\":\"e\",\"node\":\"n\","
				      "\"address\":\"%s\"}",
				      bad[i]);

		refused(doc, "not a.b.c.d/len");
		free(doc);
	}
}

/* A record with the required fields and key: [n items], item i printed by fmt from i + 1. */
static char *with_list(const char *key, size_t n, const char *fmt)
{
	char *doc = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&doc, &len);

	assert_non_null(f);
	fprintf(f, "{" REQUIRED ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s", i ? "," : "");
		fprintf(f, fmt, i + 1);
	}
	fprintf(f, "]}");
	fclose(f);
	return doc;
}

static void test_aliases(void **state)
{
	struct zks_record_name out;
	struct zks_error err = {0};
	char long_alias[300], *doc;

	(void)state;
	refused("{" REQUIRED ",\"aliases\":\"web\"}", "`aliases`");
	refused("{" REQUIRED ",\"aliases\":{}}", "`aliases`");
	refused("{" REQUIRED ",\"aliases\":null}", "`aliases`");
	refused("{" REQUIRED ",\"aliases\":[\"web\",\"\"]}", "alias 2 ");
	refused("{" REQUIRED ",\"aliases\":[\"web\",1]}", "alias 2 ");
	refused("{" REQUIRED ",\"aliases\":[[\"web\"]]}", "alias 1 ");
	refused("{" REQUIRED ",\"aliases\":[null]}", "alias 1 ");
	/* 253 characters is the longest a DNS name can be; one more is refused. */
	memset(long_alias, 'a', 253);
	long_alias[253] = '\0';
	doc = xasprintf("{" REQUIRED ",\"aliases\":[\"%s\"]}", long_alias);
	assert_ok(zks_record_name_decode(doc, &out, &err), &err);
	assert_int_equal(strlen(out.aliases[0]), 253);
	zks_record_name_clear(&out);
	free(doc);
	long_alias[253] = 'a';
	long_alias[254] = '\0';
	doc = xasprintf("{" REQUIRED ",\"aliases\":[\"x\",\"%s\"]}", long_alias);
	refused(doc, "alias 2 ");
	free(doc);
	/* At most ZKS_NAME_ALIASES_MAX. */
	doc = with_list("aliases", ZKS_NAME_ALIASES_MAX, "\"a%zu\"");
	assert_ok(zks_record_name_decode(doc, &out, &err), &err);
	assert_int_equal(out.naliases, ZKS_NAME_ALIASES_MAX);
	assert_string_equal(out.aliases[ZKS_NAME_ALIASES_MAX - 1], "a32");
	zks_record_name_clear(&out);
	free(doc);
	doc = with_list("aliases", ZKS_NAME_ALIASES_MAX + 1, "\"a%zu\"");
	refused(doc, "at most 32");
	free(doc);
}

static void test_ports(void **state)
{
	static const char *const bad_port[] = {
		"80",
		"{\"port\":80}",
		"{\"proto\":\"tcp\"}",
		"{\"port\":0,\"proto\":\"tcp\"}",
		"{\"port\":65536,\"proto\":\"tcp\"}",
		"{\"port\":-80,\"proto\":\"tcp\"}",
		"{\"port\":80.5,\"proto\":\"tcp\"}",
		"{\"port\":1e300,\"proto\":\"tcp\"}",
		"{\"port\":\"80\",\"proto\":\"tcp\"}",
		"{\"port\":80,\"proto\":\"TCP\"}",
		"{\"port\":80,\"proto\":\"icmp\"}",
		"{\"port\":80,\"proto\":\"\"}",
		"{\"port\":80,\"proto\":\"tcpx\"}",
		"{\"port\":80,\"proto\":6}",
		"[80,\"tcp\"]",
		"null",
	};
	struct zks_record_name out;
	struct zks_error err = {0};
	char *doc;

	(void)state;
	refused("{" REQUIRED ",\"ports\":{\"port\":80,\"proto\":\"tcp\"}}", "`ports`");
	refused("{" REQUIRED ",\"ports\":\"80/tcp\"}", "`ports`");
	for (size_t i = 0; i < ARRAY_SIZE(bad_port); i++) {
		doc = xasprintf("{" REQUIRED ",\"ports\":[{\"port\":53,\"proto\":\"udp\"},%s]}",
				bad_port[i]);
		refused(doc, "port 2 ");
		free(doc);
	}
	/* At most ZKS_NAME_PORTS_MAX. */
	doc = with_list("ports", ZKS_NAME_PORTS_MAX, "{\"port\":%zu,\"proto\":\"tcp\"}");
	assert_ok(zks_record_name_decode(doc, &out, &err), &err);
	assert_int_equal(out.nports, ZKS_NAME_PORTS_MAX);
	assert_int_equal(out.ports[ZKS_NAME_PORTS_MAX - 1].port, ZKS_NAME_PORTS_MAX);
	zks_record_name_clear(&out);
	free(doc);
	doc = with_list("ports", ZKS_NAME_PORTS_MAX + 1, "{\"port\":%zu,\"proto\":\"tcp\"}");
	refused(doc, "at most 64");
	free(doc);
}

/* What a hostile writer of ZooKeeper could put there: refused cleanly, never a crash. */
static void test_hostile(void **state)
{
	static const char *const bad[] = {
		"{\"name\":\"a\"",
		"{\"name\":\"a\",}",
		"{\"name\":\"a\\u0000b\",\"endpoint\":\"e\",\"node\":\"n\"}",
		"{\"aliases\":[" /* truncated */,
		"\xff\xfe{}",
	};
	struct zks_record_name out;
	struct zks_error err = {0};
	char *deep = xcalloc(1, 20002), *doc;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_error(zks_record_name_decode(bad[i], &out, &err), &err, ZKS_ERR_INTERNAL);
	assert_error(zks_record_name_decode(NULL, &out, &err), &err, ZKS_ERR_INTERNAL);
	/* Nesting far deeper than cJSON's limit. */
	memset(deep, '[', 10000);
	memset(deep + 10000, ']', 10000);
	doc = xasprintf("{" REQUIRED ",\"aliases\":%s}", deep);
	assert_error(zks_record_name_decode(doc, &out, &err), &err, ZKS_ERR_INTERNAL);
	free(doc);
	/* A duplicate key: the first one counts, as everywhere in cJSON. */
	assert_ok(zks_record_name_decode("{" REQUIRED ",\"name\":\"other\"}", &out, &err), &err);
	assert_string_equal(out.name, "web-1");
	zks_record_name_clear(&out);
	/* A huge list of aliases is refused by its count, not read. */
	doc = with_list("aliases", 5000, "\"a%zu\"");
	refused(doc, "at most 32");
	free(doc);
	free(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_minimal_and_lenient),
		cmocka_unit_test(test_required_fields),
		cmocka_unit_test(test_bad_address),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_hostile),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
