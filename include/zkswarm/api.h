/*
 * api.h - the Docker-facing handlers: decode a request, call one core
 * service, encode its reply.  No ZooKeeper and no kernel in here.
 */
#ifndef ZKSWARM_API_H
#define ZKSWARM_API_H

#include <cjson/cJSON.h>

#include "zkswarm/http.h"
#include "zkswarm/ipam.h"
#include "zkswarm/networks.h"
#include "zkswarm/volumes.h"

struct zks_app {
	struct zks_volumes *volumes;
	struct zks_networks *networks;
	struct zks_ipam *ipam;
	struct zks_volume_snapshots *snapshots; /* NULL: snapshots are not served */
	bool swarm_networks; /* NETWORK_SCOPE=global: networks are swarm's, managers allocate */
};

/* Every endpoint the plugin serves, for zks_http_start/zks_http_dispatch. */
extern const struct zks_route zks_routes[];
extern const size_t zks_nroutes;

/* Request decoding shared by the handlers; each check names the field and the problem. */
int zks_req_string(const cJSON *req, const char *field, bool required, const char **out,
		   struct zks_error *err);
/* A boolean field; absent or null is false. */
int zks_req_bool(const cJSON *req, const char *field, bool *out, struct zks_error *err);
/* A {string: string} object, or null/absent (n = 0).  Pointers borrow from req. */
int zks_req_string_map(const cJSON *req, const char *field, struct zks_kv **out, size_t *n,
		       struct zks_error *err);

#endif
