/*
 * test_records_net.c - the JSON of the network records (records_net.c): a
 * network and an endpoint survive encode and decode unchanged, the encoders
 * write the fields the daemon always wrote, and every required field that is
 * missing, of the wrong type or out of range is rejected with INTERNAL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

static void test_network_round_trip(void **state)
{
	const struct zks_kv opts[] = {{"cluster-name", "web"}, {"mtu", "1400"}};
	struct zks_record_network in =
					  {
						  .key = "web",
						  .gateway = "10.9.0.1/24",
						  .vni = 4242,
						  .mtu = 1400,
						  .options = opts,
						  .noptions = 2,
						  .created_by = "n1",
						  .created_at = "2026-01-02T03:04:05Z",
						  .token = "00112233aabbccdd",
					  },
				  out;
	struct zks_error err;
	char *text;

	(void)state;
	assert_ok(zks_cidr_parse("10.9.0.0/24", &in.subnet, &err), &err);
	text = zks_record_network_encode(&in);
	assert_string_equal(
		text, "{\"key\":\"web\",\"subnet\":\"10.9.0.0/24\",\"gateway\":\"10.9.0.1/24\","
		      "\"vni\":4242,\"mtu\":1400,\"options\":{\"cluster-name\":\"web\","
		      "\"mtu\":\"1400\"},\"created_by\":\"n1\",\"created_at\":"
		      "\"2026-01-02T03:04:05Z\",\"token\":\"00112233aabbccdd\"}");
	assert_ok(zks_record_network_decode(text, &out, &err), &err);
	assert_string_equal(out.key, "web");
	assert_int_equal(out.subnet.addr, in.subnet.addr);
	assert_int_equal(out.subnet.len, 24);
	assert_string_equal(out.gateway, "10.9.0.1/24");
	assert_int_equal(out.vni, 4242);
	assert_int_equal(out.mtu, 1400);
	assert_int_equal(out.noptions, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(out.options[i].key, opts[i].key);
		assert_string_equal(out.options[i].value, opts[i].value);
	}
	assert_string_equal(out.created_by, "n1");
	assert_string_equal(out.created_at, "2026-01-02T03:04:05Z");
	assert_string_equal(out.token, "00112233aabbccdd");
	zks_record_network_clear(&out);
	free(text);
}

/* Only subnet, vni and mtu are required; the rest is read if it is there. */
static void test_network_minimal_and_lenient(void **state)
{
	struct zks_record_network out;
	struct zks_error err;

	(void)state;
	assert_ok(zks_record_network_decode("{\"subnet\":\"10.1.0.0/16\",\"vni\":1,\"mtu\":65535,"
					    "\"key\":7,\"options\":{\"a\":\"b\",\"n\":1},\"x\":[]}",
					    &out, &err),
		  &err);
	assert_null(out.key);
	assert_null(out.gateway);
	assert_null(out.created_by);
	assert_int_equal(out.vni, 1);
	assert_int_equal(out.mtu, 65535);
	assert_int_equal(out.noptions, 1);
	assert_string_equal(out.options[0].key, "a");
	zks_record_network_clear(&out);
	assert_ok(zks_record_network_decode(
			  "{\"subnet\":\"10.1.0.0/16\",\"vni\":16777215,\"mtu\":576,"
			  "\"options\":\"no\"}",
			  &out, &err),
		  &err);
	assert_int_equal(out.noptions, 0);
	zks_record_network_clear(&out);
}

static void test_network_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"{}",
		/* subnet */
		"{\"vni\":4096,\"mtu\":1450}",
		"{\"subnet\":1,\"vni\":4096,\"mtu\":1450}",
		"{\"subnet\":\"10.0.0.1/24\",\"vni\":4096,\"mtu\":1450}",
		"{\"subnet\":\"10.0.0.0\",\"vni\":4096,\"mtu\":1450}",
		"{\"subnet\":\"10.0.0.0/33\",\"vni\":4096,\"mtu\":1450}",
		/* vni */
		"{\"subnet\":\"10.0.0.0/24\",\"mtu\":1450}",
		"{\"subnet\":\"10.0.0.0/24\",\"vni\":\"4096\",\"mtu\":1450}",
		"{\"subnet\":\"10.0.0.0/24\",\"vni\":0,\"mtu\":1450}",
		"{\"subnet\":\"10.0.0.0/24\",\"vni\":16777216,\"mtu\":1450}",
		/* mtu */
		"{\"subnet\":\"10.0.0.0/24\",\"vni\":4096}",
		"{\"subnet\":\"10.0.0.0/24\",\"vni\":4096,\"mtu\":\"1450\"}",
		"{\"subnet\":\"10.0.0.0/24\",\"vni\":4096,\"mtu\":575}",
		"{\"subnet\":\"10.0.0.0/24\",\"vni\":4096,\"mtu\":65536}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct zks_record_network out;
		struct zks_error err = {0};

		assert_error(zks_record_network_decode(bad[i], &out, &err), &err, ZKS_ERR_INTERNAL);
		assert_null(out.key);
		assert_null(out.options);
	}
}

static void test_endpoint_round_trip(void **state)
{
	struct zks_record_endpoint in = {.node = "n1",
					 .address = "10.9.0.5/24",
					 .mac = {0x02, 0x42, 0x0a, 0x09, 0x00, 0x05},
					 .network = "abc123"};
	struct zks_record_endpoint out;
	struct zks_error err;
	char *text = zks_record_endpoint_encode(&in);

	(void)state;
	assert_string_equal(text, "{\"node\":\"n1\",\"address\":\"10.9.0.5/24\","
				  "\"mac\":\"02:42:0a:09:00:05\",\"network\":\"abc123\"}");
	assert_ok(zks_record_endpoint_decode(text, &out, &err), &err);
	assert_memory_equal(&in, &out, sizeof(in));
	free(text);
	/* The Docker network ID is not required. */
	assert_ok(zks_record_endpoint_decode("{\"node\":\"n1\",\"address\":\"a\","
					     "\"mac\":\"02:00:00:00:00:01\",\"network\":5}",
					     &out, &err),
		  &err);
	assert_string_equal(out.network, "");
}

static void test_endpoint_malformed(void **state)
{
	char long_node[200], long_addr[64], doc[512];
	static const char *const bad[] = {
		"",
		"[]",
		"{\"address\":\"10.0.0.2/24\",\"mac\":\"02:00:00:00:00:01\"}",
		"{\"node\":1,\"address\":\"10.0.0.2/24\",\"mac\":\"02:00:00:00:00:01\"}",
		"{\"node\":\"n1\",\"mac\":\"02:00:00:00:00:01\"}",
		"{\"node\":\"n1\",\"address\":[],\"mac\":\"02:00:00:00:00:01\"}",
		"{\"node\":\"n1\",\"address\":\"10.0.0.2/24\"}",
		"{\"node\":\"n1\",\"address\":\"10.0.0.2/24\",\"mac\":2}",
		"{\"node\":\"n1\",\"address\":\"10.0.0.2/24\",\"mac\":\"02:00:00:00:00\"}",
		"{\"node\":\"n1\",\"address\":\"10.0.0.2/24\",\"mac\":\"01:00:5e:00:00:01\"}",
		"{\"node\":\"n1\",\"address\":\"10.0.0.2/24\",\"mac\":\"00:00:00:00:00:00\"}",
		"{\"node\":\"n1\",\"address\":\"10.0.0.2/24\",\"mac\":\"ff:ff:ff:ff:ff:ff\"}",
		"{\"node\":\"n1\",\"address\":\"10.0.0.2/24\",\"mac\":\"02-00-00-00-00-01\"}",
		"{\"node\":\"n1\",\"address\":\"10.0.0.2/24\",\"mac\":\"02:00:00:00:00:0g\"}",
	};
	struct zks_record_endpoint out;
	struct zks_error err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_error(zks_record_endpoint_decode(bad[i], &out, &err), &err,
			     ZKS_ERR_INTERNAL);
	/* Over the sizes the decoder keeps: node 127, address 18 characters. */
	memset(long_node, 'n', 128);
	long_node[128] = '\0';
	snprintf(doc, sizeof(doc),
		 "{\"node\":\"%s\",\"address\":\"a\",\"mac\":\"02:00:00:00:00:01\"}", long_node);
	assert_error(zks_record_endpoint_decode(doc, &out, &err), &err, ZKS_ERR_INTERNAL);
	long_node[127] = '\0';
	snprintf(doc, sizeof(doc),
		 "{\"node\":\"%s\",\"address\":\"a\",\"mac\":\"02:00:00:00:00:01\"}", long_node);
	assert_ok(zks_record_endpoint_decode(doc, &out, &err), &err);
	memset(long_addr, '1', 19);
	long_addr[19] = '\0';
	snprintf(doc, sizeof(doc),
		 "{\"node\":\"n\",\"address\":\"%s\",\"mac\":\"02:00:00:00:00:01\"}", long_addr);
	assert_error(zks_record_endpoint_decode(doc, &out, &err), &err, ZKS_ERR_INTERNAL);
}

static void test_mac(void **state)
{
	uint8_t mac[6];
	char s[18];

	(void)state;
	assert_int_equal(zks_mac_parse("0A:bC:00:11:22:ff", mac), 0);
	zks_mac_format(mac, s);
	assert_string_equal(s, "0a:bc:00:11:22:ff");
	assert_int_equal(zks_mac_parse("0a:bc:00:11:22:ff:", mac), -1);
	assert_int_equal(zks_mac_parse("0a:bc:00:11:22", mac), -1);
	assert_int_equal(zks_mac_parse("03:00:00:00:00:01", mac), -1); /* multicast bit */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network_round_trip),
		cmocka_unit_test(test_network_minimal_and_lenient),
		cmocka_unit_test(test_network_malformed),
		cmocka_unit_test(test_endpoint_round_trip),
		cmocka_unit_test(test_endpoint_malformed),
		cmocka_unit_test(test_mac),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
