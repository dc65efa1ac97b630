/*
 * cidr.c - IPv4 address arithmetic.  Everything is done on uint32_t in host
 * order with 64-bit sizes, so /0 and the top of the address space work.
 */
#include <stdio.h>
#include <string.h>

#include "zkswarm/cidr.h"

int zks_ip_parse(const char *s, uint32_t *out, struct zks_error *err)
{
	uint32_t ip = 0;
	const char *p = s;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		int digits = 0;

		while (*p >= '0' && *p <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*p - '0');
			p++;
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && p[-digits] == '0'))
			return zks_error_set(err, ZKS_ERR_INVALID, "`%.32s` is not an IPv4 address",
					     s);
		ip = (ip << 8) | v;
		if (part < 3) {
			if (*p != '.')
				return zks_error_set(err, ZKS_ERR_INVALID,
						     "`%.32s` is not an IPv4 address", s);
			p++;
		}
	}
	if (*p != '\0')
		return zks_error_set(err, ZKS_ERR_INVALID, "`%.32s` is not an IPv4 address", s);
	*out = ip;
	return 0;
}

void zks_ip_format(uint32_t ip, char out[ZKS_IP_STR])
{
	snprintf(out, ZKS_IP_STR, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
		 ip & 255);
}

uint32_t zks_cidr_mask(uint8_t len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

int zks_ip_prefix_parse(const char *s, uint32_t *ip, uint8_t *len, struct zks_error *err)
{
	char addr[ZKS_IP_STR];
	const char *slash = strchr(s, '/');
	unsigned v = 0;
	size_t alen;

	if (slash == NULL)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "`%.40s` is not in CIDR form (a.b.c.d/len)", s);
	alen = (size_t)(slash - s);
	if (alen >= sizeof(addr))
		return zks_error_set(err, ZKS_ERR_INVALID, "`%.40s` is not an IPv4 CIDR", s);
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (zks_ip_parse(addr, ip, err) < 0)
		return -1;
	if (slash[1] == '\0' || strlen(slash + 1) > 2)
		return zks_error_set(err, ZKS_ERR_INVALID, "`%.40s` has an invalid prefix length",
				     s);
	for (const char *p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "`%.40s` has an invalid prefix length", s);
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > 32)
		return zks_error_set(err, ZKS_ERR_INVALID, "`%.40s`: prefix length %u is over 32",
				     s, v);
	*len = (uint8_t)v;
	return 0;
}

int zks_cidr_parse(const char *s, struct zks_cidr *out, struct zks_error *err)
{
	uint32_t ip;
	uint8_t len;

	if (zks_ip_prefix_parse(s, &ip, &len, err) < 0)
		return -1;
	if ((ip & ~zks_cidr_mask(len)) != 0) {
		struct zks_cidr meant = {.addr = ip & zks_cidr_mask(len), .len = len};
		char m[ZKS_CIDR_STR];

		zks_cidr_format(&meant, m);
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "`%.40s` has host bits set; the network is %s", s, m);
	}
	out->addr = ip;
	out->len = len;
	return 0;
}

void zks_cidr_format(const struct zks_cidr *c, char out[ZKS_CIDR_STR])
{
	char ip[ZKS_IP_STR];

	zks_ip_format(c->addr, ip);
	snprintf(out, ZKS_CIDR_STR, "%s/%u", ip, c->len);
}

uint32_t zks_cidr_last(const struct zks_cidr *c)
{
	return c->addr | ~zks_cidr_mask(c->len);
}

bool zks_cidr_contains(const struct zks_cidr *c, uint32_t ip)
{
	return (ip & zks_cidr_mask(c->len)) == c->addr;
}

bool zks_cidr_within(const struct zks_cidr *inner, const struct zks_cidr *outer)
{
	return inner->len >= outer->len && zks_cidr_contains(outer, inner->addr);
}

bool zks_cidr_overlap(const struct zks_cidr *a, const struct zks_cidr *b)
{
	return zks_cidr_within(a, b) || zks_cidr_within(b, a);
}

uint32_t zks_cidr_first_host(const struct zks_cidr *c)
{
	return c->len >= 31 ? c->addr : c->addr + 1;
}

uint32_t zks_cidr_last_host(const struct zks_cidr *c)
{
	return c->len >= 31 ? zks_cidr_last(c) : zks_cidr_last(c) - 1;
}

uint64_t zks_cidr_host_count(const struct zks_cidr *c)
{
	return (uint64_t)zks_cidr_last_host(c) - zks_cidr_first_host(c) + 1;
}

int zks_cidr_subnet(const struct zks_cidr *outer, uint8_t sublen, uint64_t index,
		    struct zks_cidr *out)
{
	uint64_t count;

	if (sublen < outer->len || sublen > 32)
		return -1;
	count = (uint64_t)1 << (sublen - outer->len);
	if (index >= count)
		return -1;
	out->len = sublen;
	out->addr = outer->addr + (uint32_t)(index << (32 - sublen));
	return 0;
}

int zks_cidr_check_pool(const struct zks_cidr *c, struct zks_error *err)
{
	static const struct {
		struct zks_cidr net;
		const char *what;
	} reserved[] = {
		{{0x00000000u, 8}, "\"this network\" (0.0.0.0/8)"},
		{{0x7f000000u, 8}, "loopback (127.0.0.0/8)"},
		{{0xa9fe0000u, 16}, "link-local (169.254.0.0/16)"},
		{{0xe0000000u, 4}, "multicast (224.0.0.0/4)"},
		{{0xf0000000u, 4}, "reserved (240.0.0.0/4)"},
	};
	char s[ZKS_CIDR_STR];

	zks_cidr_format(c, s);
	if (c->len < 8)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "subnet %s is too large for a network (at most a /8)", s);
	if (c->len > 30)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "subnet %s is too small for a network (at least a /30)", s);
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (zks_cidr_overlap(c, &reserved[i].net))
			return zks_error_set(err, ZKS_ERR_INVALID, "subnet %s overlaps %s", s,
					     reserved[i].what);
	return 0;
}

void zks_cidr_to_name(const struct zks_cidr *c, char out[ZKS_CIDR_STR])
{
	char ip[ZKS_IP_STR];

	zks_ip_format(c->addr, ip);
	snprintf(out, ZKS_CIDR_STR, "%s-%u", ip, c->len);
}

int zks_cidr_from_name(const char *name, struct zks_cidr *out)
{
	char buf[ZKS_CIDR_STR + 1];
	char *dash;

	if (strlen(name) > ZKS_CIDR_STR)
		return -1;
	strcpy(buf, name);
	dash = strrchr(buf, '-');
	if (dash == NULL)
		return -1;
	*dash = '/';
	return zks_cidr_parse(buf, out, NULL);
}
