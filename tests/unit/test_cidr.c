/*
 * test_cidr.c - IPv4 address arithmetic (cidr.h): parsing addresses and
 * prefixes, what the IPAM accepts as a pool, containment and overlap up to
 * the top of the address space, host ranges with 64-bit counts, carving
 * subnets, and subnets as znode names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/cidr.h"
#include "zkswarm/util.h"

#define IP4(a, b, c, d)                                                                            \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

static uint32_t ip_ok(const char *s)
{
	struct zks_error err = {0};
	uint32_t ip = 0xdeadbeef;

	assert_ok(zks_ip_parse(s, &ip, &err), &err);
	return ip;
}

static void ip_refused(const char *s)
{
	struct zks_error err = {0};
	uint32_t ip = 0x01020304;

	if (zks_ip_parse(s, &ip, &err) == 0)
		print_error("`%s` parsed as an address\n", s);
	assert_error(-1, &err, ZKS_ERR_INVALID);
	assert_int_equal(ip, 0x01020304); /* untouched */
}

static struct zks_cidr cidr_ok(const char *s)
{
	struct zks_error err = {0};
	struct zks_cidr c = {0xdeadbeef, 99};

	assert_ok(zks_cidr_parse(s, &c, &err), &err);
	return c;
}

/* Refused; returns the message (static buffer: one at a time). */
static const char *cidr_refused(const char *s)
{
	static struct zks_error err;
	struct zks_cidr c = {0};

	memset(&err, 0, sizeof(err));
	if (zks_cidr_parse(s, &c, &err) == 0)
		print_error("`%s` parsed as a CIDR\n", s);
	assert_error(-1, &err, ZKS_ERR_INVALID);
	return err.msg;
}

static void assert_ip_str(uint32_t ip, const char *want)
{
	char s[ZKS_IP_STR];

	zks_ip_format(ip, s);
	assert_string_equal(s, want);
}

static void assert_cidr_str(const struct zks_cidr *c, const char *want)
{
	char s[ZKS_CIDR_STR];

	zks_cidr_format(c, s);
	assert_string_equal(s, want);
}

/* ---- addresses ------------------------------------------------------------------------------ */

static void test_ip_parse_valid(void **state)
{
	(void)state;
	assert_int_equal(ip_ok("0.0.0.0"), 0);
	assert_int_equal(ip_ok("1.2.3.4"), IP4(1, 2, 3, 4));
	assert_int_equal(ip_ok("10.0.0.1"), IP4(10, 0, 0, 1));
	assert_int_equal(ip_ok("192.168.100.200"), IP4(192, 168, 100, 200));
	assert_int_equal(ip_ok("255.255.255.255"), 0xffffffffu);
	assert_int_equal(ip_ok("198.18.0.10"), IP4(198, 18, 0, 10));
}

static void test_ip_parse_refused(void **state)
{
	static const char *const bad[] = {
		"300.1.1.1", "1.300.1.1",  "1.1.1.256",	 "256.0.0.0",  "1.2.3", /* too few parts */
		"1.2.3.4.5",							/* too many */
		"01.2.3.4", /* leading zero (octal in inet_aton) */
		"1.2.3.04",  "1.2.3.00",   "1.2.3.0004", "1.2.3.1000", "", /* empty */
		"1.2.3.4x",  "1.2.3.4/24", "1.2.3.4.",	 "1.2.3.4\n",	   /* trailing characters */
		" 1.2.3.4",  "1.2.3.4 ",   "1. 2.3.4",	 "1 .2.3.4",	   /* spaces */
		"1..2.3",    ".1.2.3",	   "1.2.3.",	 "-1.2.3.4",   "+1.2.3.4", "1.2.3.-4",
		"a.b.c.d",   "0x1.2.3.4",  "1.2.3.4:80", "::1",	       "1",	   "16909060",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ip_refused(bad[i]);
}

static void test_ip_parse_message_names_input(void **state)
{
	struct zks_error err = {0};
	uint32_t ip;

	(void)state;
	assert_error(zks_ip_parse("10.0.0.300", &ip, &err), &err, ZKS_ERR_INVALID);
	assert_contains(err.msg, "10.0.0.300");
}

static void test_ip_format(void **state)
{
	(void)state;
	assert_ip_str(0, "0.0.0.0");
	assert_ip_str(IP4(10, 1, 2, 3), "10.1.2.3");
	assert_ip_str(0xffffffffu, "255.255.255.255");
	/* Round trip. */
	assert_int_equal(ip_ok("172.16.254.1"), IP4(172, 16, 254, 1));
	assert_ip_str(ip_ok("172.16.254.1"), "172.16.254.1");
}

/* ---- prefixes ------------------------------------------------------------------------------- */

static void test_cidr_parse_valid(void **state)
{
	struct zks_cidr c;

	(void)state;
	c = cidr_ok("10.0.0.0/8");
	assert_int_equal(c.addr, IP4(10, 0, 0, 0));
	assert_int_equal(c.len, 8);
	c = cidr_ok("198.18.64.0/24");
	assert_int_equal(c.addr, IP4(198, 18, 64, 0));
	assert_int_equal(c.len, 24);
	c = cidr_ok("0.0.0.0/0");
	assert_int_equal(c.addr, 0);
	assert_int_equal(c.len, 0);
	c = cidr_ok("255.255.255.255/32");
	assert_int_equal(c.addr, 0xffffffffu);
	assert_int_equal(c.len, 32);
	c = cidr_ok("192.168.1.4/30");
	assert_int_equal(c.addr, IP4(192, 168, 1, 4));
	assert_int_equal(c.len, 30);
	c = cidr_ok("128.0.0.0/1");
	assert_int_equal(c.addr, 0x80000000u);
	assert_int_equal(c.len, 1);
	assert_cidr_str(&c, "128.0.0.0/1");
}

static void test_cidr_parse_host_bits_name_the_network(void **state)
{
	(void)state;
	assert_contains(cidr_refused("10.0.0.1/24"), "10.0.0.0/24");
	assert_contains(cidr_refused("10.0.0.1/24"), "10.0.0.1/24");
	assert_contains(cidr_refused("192.168.1.130/25"), "192.168.1.128/25");
	assert_contains(cidr_refused("1.0.0.0/0"), "0.0.0.0/0");
	assert_contains(cidr_refused("255.255.255.255/31"), "255.255.255.254/31");
	assert_contains(cidr_refused("10.1.2.3/8"), "10.0.0.0/8");
}

static void test_cidr_parse_refused(void **state)
{
	static const char *const bad[] = {
		"10.0.0.0/33",	"10.0.0.0/99",
		"10.0.0.0/100", "10.0.0.0/-1",
		"10.0.0.0/",	"10.0.0.0", /* missing slash */
		"/24",		"",
		"10.0.0/24",	"10.0.0.0.0/24",
		"300.0.0.0/8",	"010.0.0.0/8",
		"10.0.0.0/8x",	"10.0.0.0/x",
		"10.0.0.0/ 8",	"10.0.0.0 /8",
		"10.0.0.0/8 ",	"10.0.0.0/8/8",
		"10.0.0.0//8",	"10.0.0.0-8",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		cidr_refused(bad[i]);
	assert_contains(cidr_refused("10.0.0.0/33"), "33");
	assert_contains(cidr_refused("10.0.0.0"), "CIDR");
}

static void test_ip_prefix_parse_keeps_address(void **state)
{
	struct zks_error err = {0};
	uint32_t ip;
	uint8_t len;

	(void)state;
	assert_ok(zks_ip_prefix_parse("198.18.99.2/24", &ip, &len, &err), &err);
	assert_int_equal(ip, IP4(198, 18, 99, 2));
	assert_int_equal(len, 24);
	assert_ok(zks_ip_prefix_parse("10.0.0.1/32", &ip, &len, &err), &err);
	assert_int_equal(len, 32);
	assert_error(zks_ip_prefix_parse("10.0.0.1", &ip, &len, &err), &err, ZKS_ERR_INVALID);
	assert_error(zks_ip_prefix_parse("10.0.0.1/33", &ip, &len, &err), &err, ZKS_ERR_INVALID);
	assert_error(zks_ip_prefix_parse("10.0.0.256/24", &ip, &len, &err), &err, ZKS_ERR_INVALID);
}

static void test_mask_and_last(void **state)
{
	struct zks_cidr c;

	(void)state;
	assert_int_equal(zks_cidr_mask(0), 0);
	assert_int_equal(zks_cidr_mask(1), 0x80000000u);
	assert_int_equal(zks_cidr_mask(8), 0xff000000u);
	assert_int_equal(zks_cidr_mask(24), 0xffffff00u);
	assert_int_equal(zks_cidr_mask(31), 0xfffffffeu);
	assert_int_equal(zks_cidr_mask(32), 0xffffffffu);
	c = cidr_ok("10.0.0.0/8");
	assert_int_equal(zks_cidr_last(&c), IP4(10, 255, 255, 255));
	c = cidr_ok("0.0.0.0/0");
	assert_int_equal(zks_cidr_last(&c), 0xffffffffu);
	c = cidr_ok("255.255.255.0/24");
	assert_int_equal(zks_cidr_last(&c), 0xffffffffu);
	c = cidr_ok("1.2.3.4/32");
	assert_int_equal(zks_cidr_last(&c), IP4(1, 2, 3, 4));
}

/* ---- pools ---------------------------------------------------------------------------------- */

static const char *pool_refused(const char *s)
{
	static struct zks_error err;
	struct zks_cidr c = cidr_ok(s);

	memset(&err, 0, sizeof(err));
	if (zks_cidr_check_pool(&c, &err) == 0)
		print_error("pool %s accepted\n", s);
	assert_error(-1, &err, ZKS_ERR_INVALID);
	assert_contains(err.msg, s);
	return err.msg;
}

static void pool_ok(const char *s)
{
	struct zks_error err = {0};
	struct zks_cidr c = cidr_ok(s);

	assert_ok(zks_cidr_check_pool(&c, &err), &err);
}

static void test_check_pool_too_large(void **state)
{
	(void)state;
	for (uint8_t len = 0; len < 8; len++) {
		struct zks_cidr c = {.addr = IP4(10, 0, 0, 0) & zks_cidr_mask(len), .len = len};
		char s[ZKS_CIDR_STR];

		zks_cidr_format(&c, s);
		assert_contains(pool_refused(s), "too large");
	}
}

static void test_check_pool_too_small(void **state)
{
	(void)state;
	assert_contains(pool_refused("10.0.0.0/31"), "too small");
	assert_contains(pool_refused("10.0.0.0/32"), "too small");
	assert_contains(pool_refused("10.0.0.7/32"), "too small");
}

static void test_check_pool_reserved_ranges(void **state)
{
	(void)state;
	assert_contains(pool_refused("0.0.0.0/8"), "0.0.0.0/8");
	assert_contains(pool_refused("0.1.0.0/16"), "0.0.0.0/8");
	assert_contains(pool_refused("127.0.0.0/8"), "loopback");
	assert_contains(pool_refused("127.1.2.0/24"), "loopback");
	assert_contains(pool_refused("169.254.0.0/16"), "link-local");
	assert_contains(pool_refused("169.254.1.0/24"), "link-local");
	assert_contains(pool_refused("169.0.0.0/8"), "link-local"); /* contains it */
	assert_contains(pool_refused("224.0.0.0/8"), "multicast");
	assert_contains(pool_refused("239.255.255.0/24"), "multicast");
	assert_contains(pool_refused("240.0.0.0/8"), "reserved");
	assert_contains(pool_refused("255.255.255.0/24"), "reserved");
	assert_contains(pool_refused("255.255.255.252/30"), "reserved");
	/* Too large comes first even where it also overlaps something. */
	assert_contains(pool_refused("224.0.0.0/4"), "too large");
}

static void test_check_pool_accepts(void **state)
{
	(void)state;
	pool_ok("10.0.0.0/8");
	pool_ok("198.18.64.0/24");
	pool_ok("192.168.1.0/30");
	pool_ok("172.16.0.0/12");
	pool_ok("1.0.0.0/8");
	pool_ok("126.0.0.0/8");	   /* just below loopback */
	pool_ok("128.0.0.0/8");	   /* just above */
	pool_ok("169.253.0.0/16"); /* next to link-local */
	pool_ok("169.255.0.0/16");
	pool_ok("223.255.255.0/24"); /* just below multicast */
}

/* ---- containment and overlap ----------------------------------------------------------------- */

static void test_contains(void **state)
{
	struct zks_cidr c;

	(void)state;
	c = cidr_ok("10.1.0.0/16");
	assert_true(zks_cidr_contains(&c, IP4(10, 1, 0, 0)));
	assert_true(zks_cidr_contains(&c, IP4(10, 1, 255, 255)));
	assert_true(zks_cidr_contains(&c, IP4(10, 1, 7, 9)));
	assert_false(zks_cidr_contains(&c, IP4(10, 0, 255, 255)));
	assert_false(zks_cidr_contains(&c, IP4(10, 2, 0, 0)));
	assert_false(zks_cidr_contains(&c, 0));
	assert_false(zks_cidr_contains(&c, 0xffffffffu));

	/* The top of the address space. */
	c = cidr_ok("255.255.255.0/24");
	assert_true(zks_cidr_contains(&c, 0xffffffffu));
	assert_true(zks_cidr_contains(&c, IP4(255, 255, 255, 0)));
	assert_false(zks_cidr_contains(&c, IP4(255, 255, 254, 255)));
	assert_false(zks_cidr_contains(&c, 0));
	c = cidr_ok("255.255.255.255/32");
	assert_true(zks_cidr_contains(&c, 0xffffffffu));
	assert_false(zks_cidr_contains(&c, 0xfffffffeu));

	/* Everything, and exactly one. */
	c = cidr_ok("0.0.0.0/0");
	assert_true(zks_cidr_contains(&c, 0));
	assert_true(zks_cidr_contains(&c, 0xffffffffu));
	assert_true(zks_cidr_contains(&c, IP4(10, 0, 0, 1)));
	c = cidr_ok("10.0.0.1/32");
	assert_true(zks_cidr_contains(&c, IP4(10, 0, 0, 1)));
	assert_false(zks_cidr_contains(&c, IP4(10, 0, 0, 0)));
	assert_false(zks_cidr_contains(&c, IP4(10, 0, 0, 2)));
}

struct rel {
	const char *a, *b;
	bool a_within_b, b_within_a, overlap;
};

static void test_within_and_overlap_table(void **state)
{
	static const struct rel table[] = {
		{"10.1.0.0/24", "10.0.0.0/8", true, false, true},
		{"10.0.0.0/8", "10.0.0.0/8", true, true, true},
		{"10.0.0.0/24", "10.0.1.0/24", false, false, false}, /* adjacent */
		{"10.0.0.0/23", "10.0.1.0/24", false, true, true},
		{"10.0.0.0/25", "10.0.0.128/25", false, false, false},
		{"10.0.0.0/8", "11.0.0.0/8", false, false, false},
		{"192.168.1.0/30", "192.168.1.4/30", false, false, false},
		{"192.168.1.4/30", "192.168.1.0/29", true, false, true},
		{"0.0.0.0/0", "10.0.0.0/8", false, true, true},
		{"0.0.0.0/0", "0.0.0.0/0", true, true, true},
		{"0.0.0.0/0", "255.255.255.255/32", false, true, true},
		{"255.255.255.0/24", "255.255.255.255/32", false, true, true},
		{"255.255.255.0/24", "255.255.254.0/24", false, false, false},
		{"255.255.255.254/31", "255.255.255.255/32", false, true, true},
		{"255.255.255.254/32", "255.255.255.255/32", false, false, false},
		{"240.0.0.0/4", "255.255.255.0/24", false, true, true},
		{"0.0.0.0/32", "0.0.0.0/8", true, false, true},
		{"128.0.0.0/1", "127.255.255.0/24", false, false, false},
		{"128.0.0.0/1", "128.0.0.0/24", false, true, true},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		struct zks_cidr a = cidr_ok(table[i].a), b = cidr_ok(table[i].b);

		if (zks_cidr_within(&a, &b) != table[i].a_within_b ||
		    zks_cidr_within(&b, &a) != table[i].b_within_a ||
		    zks_cidr_overlap(&a, &b) != table[i].overlap ||
		    zks_cidr_overlap(&b, &a) != table[i].overlap)
			print_error("row %zu: %s vs %s\n", i, table[i].a, table[i].b);
		assert_int_equal(zks_cidr_within(&a, &b), table[i].a_within_b);
		assert_int_equal(zks_cidr_within(&b, &a), table[i].b_within_a);
		assert_int_equal(zks_cidr_overlap(&a, &b), table[i].overlap);
		assert_int_equal(zks_cidr_overlap(&b, &a), table[i].overlap); /* symmetric */
	}
}

/* ---- host ranges ----------------------------------------------------------------------------- */

struct hosts {
	const char *cidr;
	const char *first, *last;
	uint64_t count;
};

static void test_host_ranges(void **state)
{
	static const struct hosts table[] = {
		{"10.0.0.0/24", "10.0.0.1", "10.0.0.254", 254},
		{"192.168.1.4/30", "192.168.1.5", "192.168.1.6", 2},
		{"192.168.1.4/31", "192.168.1.4", "192.168.1.5", 2},
		{"192.168.1.4/32", "192.168.1.4", "192.168.1.4", 1},
		{"10.0.0.0/8", "10.0.0.1", "10.255.255.254", 16777214},
		{"0.0.0.0/0", "0.0.0.1", "255.255.255.254", 4294967294ull},
		{"128.0.0.0/1", "128.0.0.1", "255.255.255.254", 2147483646ull},
		{"255.255.255.0/24", "255.255.255.1", "255.255.255.254", 254},
		{"255.255.255.254/31", "255.255.255.254", "255.255.255.255", 2},
		{"255.255.255.255/32", "255.255.255.255", "255.255.255.255", 1},
		{"0.0.0.0/32", "0.0.0.0", "0.0.0.0", 1},
		{"198.18.99.0/29", "198.18.99.1", "198.18.99.6", 6},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		struct zks_cidr c = cidr_ok(table[i].cidr);
		char first[ZKS_IP_STR], last[ZKS_IP_STR];

		zks_ip_format(zks_cidr_first_host(&c), first);
		zks_ip_format(zks_cidr_last_host(&c), last);
		if (strcmp(first, table[i].first) || strcmp(last, table[i].last) ||
		    zks_cidr_host_count(&c) != table[i].count)
			print_error("%s: %s..%s (%llu)\n", table[i].cidr, first, last,
				    (unsigned long long)zks_cidr_host_count(&c));
		assert_string_equal(first, table[i].first);
		assert_string_equal(last, table[i].last);
		assert_true(zks_cidr_host_count(&c) == table[i].count);
	}
}

/* ---- carving --------------------------------------------------------------------------------- */

static void subnet_is(const char *outer, uint8_t sublen, uint64_t index, const char *want)
{
	struct zks_cidr o = cidr_ok(outer), out = {0};

	assert_int_equal(zks_cidr_subnet(&o, sublen, index, &out), 0);
	assert_cidr_str(&out, want);
}

static void subnet_none(const char *outer, uint8_t sublen, uint64_t index)
{
	struct zks_cidr o = cidr_ok(outer), out = {0x01020304, 7};

	assert_int_equal(zks_cidr_subnet(&o, sublen, index, &out), -1);
}

static void test_subnet_carving(void **state)
{
	(void)state;
	subnet_is("10.0.0.0/16", 24, 0, "10.0.0.0/24");
	subnet_is("10.0.0.0/16", 24, 1, "10.0.1.0/24");
	subnet_is("10.0.0.0/16", 24, 255, "10.0.255.0/24");
	subnet_is("10.0.0.0/16", 16, 0, "10.0.0.0/16");
	subnet_is("10.0.0.0/16", 26, 5, "10.0.1.64/26");
	subnet_is("10.0.0.0/16", 32, 65535, "10.0.255.255/32");
	subnet_is("198.18.0.0/15", 24, 300, "198.19.44.0/24");
	subnet_is("0.0.0.0/0", 8, 10, "10.0.0.0/8");
	subnet_is("0.0.0.0/0", 0, 0, "0.0.0.0/0");
	subnet_is("0.0.0.0/0", 32, 0xffffffffull, "255.255.255.255/32");
	subnet_is("0.0.0.0/0", 1, 1, "128.0.0.0/1");
	subnet_is("255.255.255.0/24", 30, 63, "255.255.255.252/30");

	/* Out of range. */
	subnet_none("10.0.0.0/16", 24, 256);
	subnet_none("10.0.0.0/16", 16, 1);
	subnet_none("10.0.0.0/16", 32, 65536);
	subnet_none("0.0.0.0/0", 32, 0x100000000ull);
	subnet_none("0.0.0.0/0", 1, 2);
	subnet_none("255.255.255.0/24", 30, 64);
	subnet_none("10.0.0.0/16", 24, UINT64_MAX);
	/* Smaller than the outer prefix, or not a prefix. */
	subnet_none("10.0.0.0/16", 15, 0);
	subnet_none("10.0.0.0/16", 8, 0);
	subnet_none("10.0.0.0/16", 33, 0);
	subnet_none("10.0.0.0/16", 255, 0);
}

/* ---- znode names ----------------------------------------------------------------------------- */

static void name_round_trip(const char *cidr, const char *name)
{
	struct zks_cidr c = cidr_ok(cidr), back = {0x01020304, 7};
	char s[ZKS_CIDR_STR];

	zks_cidr_to_name(&c, s);
	assert_string_equal(s, name);
	assert_int_equal(zks_cidr_from_name(s, &back), 0);
	assert_int_equal(back.addr, c.addr);
	assert_int_equal(back.len, c.len);
}

static void test_names_round_trip(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"10.0.0.0",
		"10.0.0.0/24",
		"10.0.0.0_24",
		"10.0.0.1-24",
		"10.0.0.0-33",
		"10.0.0.0-",
		"-24",
		"10.0.0-24",
		"300.0.0.0-8",
		"10.0.0.0-24-24",
		"255.255.255.255-32x",
		"255.255.255.255-32-extra-long-name",
	};
	struct zks_cidr c;

	(void)state;
	name_round_trip("198.18.64.0/24", "198.18.64.0-24");
	name_round_trip("10.0.0.0/8", "10.0.0.0-8");
	name_round_trip("0.0.0.0/0", "0.0.0.0-0");
	name_round_trip("255.255.255.255/32", "255.255.255.255-32");
	name_round_trip("192.168.1.4/30", "192.168.1.4-30");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (zks_cidr_from_name(bad[i], &c) == 0)
			print_error("`%s` parsed as a subnet name\n", bad[i]);
		assert_int_equal(zks_cidr_from_name(bad[i], &c), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_parse_valid),
		cmocka_unit_test(test_ip_parse_refused),
		cmocka_unit_test(test_ip_parse_message_names_input),
		cmocka_unit_test(test_ip_format),
		cmocka_unit_test(test_cidr_parse_valid),
		cmocka_unit_test(test_cidr_parse_host_bits_name_the_network),
		cmocka_unit_test(test_cidr_parse_refused),
		cmocka_unit_test(test_ip_prefix_parse_keeps_address),
		cmocka_unit_test(test_mask_and_last),
		cmocka_unit_test(test_check_pool_too_large),
		cmocka_unit_test(test_check_pool_too_small),
		cmocka_unit_test(test_check_pool_reserved_ranges),
		cmocka_unit_test(test_check_pool_accepts),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_within_and_overlap_table),
		cmocka_unit_test(test_host_ranges),
		cmocka_unit_test(test_subnet_carving),
		cmocka_unit_test(test_names_round_trip),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
