/*
 * ipam.c - IpamDriver endpoints (docs/PROTOCOL.md §4).  Errors also carry the
 * "Error" key (routes.c marks these routes), which is what the engine reads.
 */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "zkswarm/util.h"

#define GATEWAY_TYPE "com.docker.network.gateway"

int zks_handle_ipam_capabilities(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	(void)ctx;
	(void)req;
	(void)err;
	*reply = cJSON_CreateObject();
	/* Our state lives in ZooKeeper: no need for the engine to replay requests. */
	cJSON_AddBoolToObject(*reply, "RequiresMACAddress", false);
	cJSON_AddBoolToObject(*reply, "RequiresRequestReplay", false);
	return 0;
}

int zks_handle_ipam_spaces(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	(void)ctx;
	(void)req;
	(void)err;
	*reply = cJSON_CreateObject();
	cJSON_AddStringToObject(*reply, "LocalDefaultAddressSpace", ZKS_ADDRESS_SPACE_LOCAL);
	cJSON_AddStringToObject(*reply, "GlobalDefaultAddressSpace", ZKS_ADDRESS_SPACE_GLOBAL);
	return 0;
}

int zks_handle_ipam_request_pool(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *space, *pool, *subpool;
	cleanup_free struct zks_kv *opts = NULL;
	char *id, *cidr;
	size_t n;
	bool v6;

	if (zks_req_string(req, "AddressSpace", false, &space, err) < 0 ||
	    zks_req_string(req, "Pool", false, &pool, err) < 0 ||
	    zks_req_string(req, "SubPool", false, &subpool, err) < 0 ||
	    zks_req_string_map(req, "Options", &opts, &n, err) < 0 ||
	    zks_req_bool(req, "V6", &v6, err) < 0)
		return -1;
	if (space && space[0] && strcmp(space, ZKS_ADDRESS_SPACE_LOCAL) &&
	    strcmp(space, ZKS_ADDRESS_SPACE_GLOBAL))
		return zks_error_set(err, ZKS_ERR_INVALID, "unknown address space `%.64s`", space);
	for (size_t i = 0; i < n; i++)
		if (strncmp(opts[i].key, "com.docker.", 11) != 0)
			return zks_error_set(
				err, ZKS_ERR_INVALID,
				"unknown IPAM option `%.64s`; zkswarm's IPAM takes none",
				opts[i].key);
	if (zks_ipam_request_pool(app->ipam, pool, subpool, v6, &id, &cidr, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	cJSON_AddStringToObject(*reply, "PoolID", id);
	cJSON_AddStringToObject(*reply, "Pool", cidr);
	cJSON_AddObjectToObject(*reply, "Data");
	free(id);
	free(cidr);
	return 0;
}

int zks_handle_ipam_release_pool(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *id;

	if (zks_req_string(req, "PoolID", true, &id, err) < 0 ||
	    zks_ipam_release_pool(app->ipam, id, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	return 0;
}

int zks_handle_ipam_request_address(void *ctx, const cJSON *req, cJSON **reply,
				    struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *id, *address;
	cleanup_free struct zks_kv *opts = NULL;
	bool gateway = false, serial = false;
	char *out;
	size_t n;

	if (zks_req_string(req, "PoolID", true, &id, err) < 0 ||
	    zks_req_string(req, "Address", false, &address, err) < 0 ||
	    zks_req_string_map(req, "Options", &opts, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(opts[i].key, "RequestAddressType") &&
		    !strcmp(opts[i].value, GATEWAY_TYPE))
			gateway = true;
		if (!strcmp(opts[i].key, "com.docker.network.ipam.serial") &&
		    !strcmp(opts[i].value, "true"))
			serial = true;
	}
	if (zks_ipam_request_address(app->ipam, id, address, gateway, serial, &out, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	cJSON_AddStringToObject(*reply, "Address", out);
	cJSON_AddObjectToObject(*reply, "Data");
	free(out);
	return 0;
}

int zks_handle_ipam_release_address(void *ctx, const cJSON *req, cJSON **reply,
				    struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *id, *address;

	if (zks_req_string(req, "PoolID", true, &id, err) < 0 ||
	    zks_req_string(req, "Address", true, &address, err) < 0 ||
	    zks_ipam_release_address(app->ipam, id, address, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	return 0;
}
