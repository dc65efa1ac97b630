/*
 * routes.c - every endpoint the plugin serves, and the Activate handshake.
 */
#include "handlers.h"

int zks_handle_activate(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	cJSON *impl;

	(void)ctx;
	(void)req;
	(void)err;
	*reply = cJSON_CreateObject();
	impl = cJSON_AddArrayToObject(*reply, "Implements");
	cJSON_AddItemToArray(impl, cJSON_CreateString("VolumeDriver"));
	cJSON_AddItemToArray(impl, cJSON_CreateString("NetworkDriver"));
	cJSON_AddItemToArray(impl, cJSON_CreateString("IpamDriver"));
	return 0;
}

/* Calls whose answer is an empty object: nothing to do, or nothing to say. */
int zks_handle_nothing(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)
{
	(void)ctx;
	(void)req;
	(void)err;
	*reply = cJSON_CreateObject();
	return 0;
}

const struct zks_route zks_routes[] = {
	{"/Plugin.Activate", zks_handle_activate, false},

	{"/VolumeDriver.Capabilities", zks_handle_volume_capabilities, false},
	{"/VolumeDriver.Create", zks_handle_volume_create, false},
	{"/VolumeDriver.Remove", zks_handle_volume_remove, false},
	{"/VolumeDriver.Mount", zks_handle_volume_mount, false},
	{"/VolumeDriver.Unmount", zks_handle_volume_unmount, false},
	{"/VolumeDriver.Path", zks_handle_volume_path, false},
	{"/VolumeDriver.Get", zks_handle_volume_get, false},
	{"/VolumeDriver.List", zks_handle_volume_list, false},

	{"/NetworkDriver.GetCapabilities", zks_handle_network_capabilities, false},
	{"/NetworkDriver.CreateNetwork", zks_handle_network_create, false},
	{"/NetworkDriver.AllocateNetwork", zks_handle_network_allocate, false},
	{"/NetworkDriver.DeleteNetwork", zks_handle_network_delete, false},
	{"/NetworkDriver.FreeNetwork", zks_handle_network_free, false},
	{"/NetworkDriver.CreateEndpoint", zks_handle_endpoint_create, false},
	{"/NetworkDriver.DeleteEndpoint", zks_handle_endpoint_delete, false},
	{"/NetworkDriver.EndpointOperInfo", zks_handle_endpoint_info, false},
	{"/NetworkDriver.Join", zks_handle_join, false},
	{"/NetworkDriver.Leave", zks_handle_leave, false},
	{"/NetworkDriver.DiscoverNew", zks_handle_nothing, false},
	{"/NetworkDriver.DiscoverDelete", zks_handle_nothing, false},
	/* External access goes through docker_gwbridge, as with Docker's overlay driver. */
	{"/NetworkDriver.ProgramExternalConnectivity", zks_handle_nothing, false},
	{"/NetworkDriver.RevokeExternalConnectivity", zks_handle_nothing, false},

	{"/IpamDriver.GetCapabilities", zks_handle_ipam_capabilities, true},
	{"/IpamDriver.GetDefaultAddressSpaces", zks_handle_ipam_spaces, true},
	{"/IpamDriver.RequestPool", zks_handle_ipam_request_pool, true},
	{"/IpamDriver.ReleasePool", zks_handle_ipam_release_pool, true},
	{"/IpamDriver.RequestAddress", zks_handle_ipam_request_address, true},
	{"/IpamDriver.ReleaseAddress", zks_handle_ipam_release_address, true},
	/* zkswarm's own (zkswarmctl); the engine never calls them.  Last: the fuzz corpus's
	 * selector bytes count routes in this order. */
	{"/Zkswarm.VolumeSnapshot", zks_handle_volume_snapshot, false},
	{"/Zkswarm.VolumeRemoveSnapshot", zks_handle_volume_remove_snapshot, false},
};
const size_t zks_nroutes = sizeof(zks_routes) / sizeof(zks_routes[0]);
