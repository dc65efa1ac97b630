/*
 * kv.h - a key and its value, both strings: the options Docker passes with
 * `-o KEY=VALUE` (volumes, networks, IPAM) and the effective volume options
 * stored in records.
 */
#ifndef ZKSWARM_KV_H
#define ZKSWARM_KV_H

struct zks_kv {
	const char *key;
	const char *value;
};

#endif
