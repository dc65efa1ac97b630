/*
 * network.c - NetworkDriver endpoints (docs/PROTOCOL.md §3).
 */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "zkswarm/util.h"

#define GENERIC "com.docker.network.generic"

int zks_handle_network_capabilities(void *ctx, const cJSON *req, cJSON **reply,
				    struct zks_error *err)
{
	struct zks_app *app = ctx;

	(void)req;
	(void)err;
	*reply = cJSON_CreateObject();
	/*
	 * "local" (the default): standalone engines create networks, and swarm accepts
	 * --scope swarm --config-from.  "global": networks are swarm's; the managers ask our
	 * IPAM and AllocateNetwork, workers follow (docs/PROTOCOL.md §5).  The engine of
	 * Docker 20.10 drops the IPAM of a --scope swarm network of a "local" driver.
	 */
	cJSON_AddStringToObject(*reply, "Scope",
				app != NULL && app->swarm_networks ? "global" : "local");
	cJSON_AddStringToObject(*reply, "ConnectivityScope", "global");
	return 0;
}

/* The single IPv4 pool of a network: Pool and Gateway (either may be NULL). */
static int ipv4_data(const cJSON *req, const char **pool, const char **gateway,
		     struct zks_error *err)
{
	const cJSON *v4 = cJSON_GetObjectItem(req, "IPv4Data");
	const cJSON *v6 = cJSON_GetObjectItem(req, "IPv6Data");

	*pool = *gateway = NULL;
	if (cJSON_IsArray(v6) && cJSON_GetArraySize(v6) > 0)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "IPv6 is not supported by zkswarm networks");
	if (v6 != NULL && !cJSON_IsNull(v6) && !cJSON_IsArray(v6))
		return zks_error_set(err, ZKS_ERR_INVALID, "field `IPv6Data` must be a list");
	if (!cJSON_IsArray(v4) || cJSON_GetArraySize(v4) != 1)
		return zks_error_set(
			err, ZKS_ERR_INVALID,
			"a zkswarm network has exactly one IPv4 subnet (field `IPv4Data`)");
	if (!cJSON_IsObject(cJSON_GetArrayItem(v4, 0)))
		return zks_error_set(err, ZKS_ERR_INVALID, "field `IPv4Data` must hold objects");
	if (zks_req_string(cJSON_GetArrayItem(v4, 0), "Pool", true, pool, err) < 0 ||
	    zks_req_string(cJSON_GetArrayItem(v4, 0), "Gateway", false, gateway, err) < 0)
		return zks_error_prefix(err, "IPv4Data");
	return 0;
}

int zks_handle_network_create(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *id, *pool, *gateway;
	const cJSON *options = cJSON_GetObjectItem(req, "Options");
	cleanup_free struct zks_kv *kv = NULL;
	size_t n = 0;

	if (zks_req_string(req, "NetworkID", true, &id, err) < 0 ||
	    ipv4_data(req, &pool, &gateway, err) < 0)
		return -1;
	if (options != NULL && !cJSON_IsNull(options) && !cJSON_IsObject(options))
		return zks_error_set(err, ZKS_ERR_INVALID, "field `Options` must be an object");
	if (options != NULL && zks_req_string_map(options, GENERIC, &kv, &n, err) < 0)
		return -1;
	if (zks_networks_create(app->networks, id, kv, n, pool, gateway, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	return 0;
}

int zks_handle_network_allocate(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	const char *id;
	const cJSON *options = cJSON_GetObjectItem(req, "Options");
	cleanup_free struct zks_kv *kv = NULL;
	cJSON *out;
	size_t n = 0;

	(void)ctx;
	if (zks_req_string(req, "NetworkID", true, &id, err) < 0 ||
	    zks_req_string_map(req, "Options", &kv, &n, err) < 0)
		return -1;
	(void)options;
	/* The options returned are the only ones workers see: hand every one back. */
	*reply = cJSON_CreateObject();
	out = cJSON_AddObjectToObject(*reply, "Options");
	for (size_t i = 0; i < n; i++)
		cJSON_AddStringToObject(out, kv[i].key, kv[i].value);
	return 0;
}

int zks_handle_network_delete(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *id;

	if (zks_req_string(req, "NetworkID", true, &id, err) < 0 ||
	    zks_networks_delete(app->networks, id, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	return 0;
}

int zks_handle_network_free(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	const char *id;

	(void)ctx;
	if (zks_req_string(req, "NetworkID", true, &id, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	return 0;
}

static int ids(const cJSON *req, const char **network, const char **endpoint, struct zks_error *err)
{
	if (zks_req_string(req, "NetworkID", true, network, err) < 0 ||
	    zks_req_string(req, "EndpointID", true, endpoint, err) < 0)
		return -1;
	return 0;
}

int zks_handle_endpoint_create(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *network, *endpoint, *address = NULL, *v6 = NULL, *mac = NULL;
	const cJSON *iface = cJSON_GetObjectItem(req, "Interface");
	char *generated = NULL;

	if (ids(req, &network, &endpoint, err) < 0)
		return -1;
	if (iface != NULL && !cJSON_IsNull(iface)) {
		if (!cJSON_IsObject(iface))
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "field `Interface` must be an object");
		if (zks_req_string(iface, "Address", false, &address, err) < 0 ||
		    zks_req_string(iface, "AddressIPv6", false, &v6, err) < 0 ||
		    zks_req_string(iface, "MacAddress", false, &mac, err) < 0)
			return zks_error_prefix(err, "Interface");
	}
	if (v6 && v6[0])
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "IPv6 is not supported by zkswarm networks");
	if (zks_networks_create_endpoint(app->networks, network, endpoint, address, mac, &generated,
					 err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	/* Only what the engine left empty may be filled in, or it rejects the reply. */
	if (generated) {
		cJSON *i = cJSON_AddObjectToObject(*reply, "Interface");

		cJSON_AddStringToObject(i, "MacAddress", generated);
		free(generated);
	}
	return 0;
}

int zks_handle_endpoint_delete(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *network, *endpoint;

	if (ids(req, &network, &endpoint, err) < 0 ||
	    zks_networks_delete_endpoint(app->networks, network, endpoint, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	return 0;
}

int zks_handle_endpoint_info(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *network, *endpoint;
	struct zks_endpoint_info info = {0};
	cJSON *value;

	if (ids(req, &network, &endpoint, err) < 0 ||
	    zks_networks_endpoint_info(app->networks, network, endpoint, &info, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	value = cJSON_AddObjectToObject(*reply, "Value");
	cJSON_AddStringToObject(value, "address", info.address);
	cJSON_AddStringToObject(value, "mac", info.mac);
	cJSON_AddStringToObject(value, "node", info.node);
	cJSON_AddStringToObject(value, "network", info.network);
	zks_endpoint_info_clear(&info);
	return 0;
}

int zks_handle_join(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *network, *endpoint;
	char *ifname;
	cJSON *name;

	if (ids(req, &network, &endpoint, err) < 0 ||
	    zks_networks_join(app->networks, network, endpoint, &ifname, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	name = cJSON_AddObjectToObject(*reply, "InterfaceName");
	cJSON_AddStringToObject(name, "SrcName", ifname);
	cJSON_AddStringToObject(name, "DstPrefix", "eth");
	/* No gateway: like overlay networks, the engine adds docker_gwbridge for the outside. */
	free(ifname);
	return 0;
}

int zks_handle_leave(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	struct zks_app *app = ctx;
	const char *network, *endpoint;

	if (ids(req, &network, &endpoint, err) < 0 ||
	    zks_networks_leave(app->networks, network, endpoint, err) < 0)
		return -1;
	*reply = cJSON_CreateObject();
	return 0;
}
