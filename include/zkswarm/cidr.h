/*
 * cidr.h - IPv4 address arithmetic for the IPAM: parsing, containment,
 * overlap, carving subnets and the usable host range of a subnet.
 * Addresses are uint32_t in host byte order.
 */
#ifndef ZKSWARM_CIDR_H
#define ZKSWARM_CIDR_H

#include <stdbool.h>
#include <stdint.h>

#include "zkswarm/error.h"

struct zks_cidr {
	uint32_t addr; /* the network address: host bits are zero */
	uint8_t len;
};

#define ZKS_IP_STR 16
#define ZKS_CIDR_STR 19

/* "a.b.c.d" in dotted-quad form only (no shorthand, no leading zeros beyond "0"). */
int zks_ip_parse(const char *s, uint32_t *out, struct zks_error *err);
void zks_ip_format(uint32_t ip, char out[ZKS_IP_STR]);

/* "a.b.c.d/len"; host bits set are refused (the message names the network meant). */
int zks_cidr_parse(const char *s, struct zks_cidr *out, struct zks_error *err);
/* Like zks_cidr_parse but keeps the address: "a.b.c.d/len" for a gateway. */
int zks_ip_prefix_parse(const char *s, uint32_t *ip, uint8_t *len, struct zks_error *err);
void zks_cidr_format(const struct zks_cidr *c, char out[ZKS_CIDR_STR]);

uint32_t zks_cidr_mask(uint8_t len);
uint32_t zks_cidr_last(const struct zks_cidr *c); /* broadcast address */
bool zks_cidr_contains(const struct zks_cidr *c, uint32_t ip);
bool zks_cidr_within(const struct zks_cidr *inner, const struct zks_cidr *outer);
bool zks_cidr_overlap(const struct zks_cidr *a, const struct zks_cidr *b);

/* Usable host addresses: network and broadcast excluded up to /30, all of a /31 or /32. */
uint32_t zks_cidr_first_host(const struct zks_cidr *c);
uint32_t zks_cidr_last_host(const struct zks_cidr *c);
uint64_t zks_cidr_host_count(const struct zks_cidr *c);

/* The index-th subnet of length sublen inside outer; -1 if out of range. */
int zks_cidr_subnet(const struct zks_cidr *outer, uint8_t sublen, uint64_t index,
		    struct zks_cidr *out);

/* Refuse ranges no container network should take (0/8, loopback, multicast,
 * reserved, link-local, too large or too small for a network). */
int zks_cidr_check_pool(const struct zks_cidr *c, struct zks_error *err);

/* A subnet as a znode name, "198.18.64.0-24", and back. */
void zks_cidr_to_name(const struct zks_cidr *c, char out[ZKS_CIDR_STR]);
int zks_cidr_from_name(const char *name, struct zks_cidr *out);

#endif
