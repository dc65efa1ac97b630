/*
 * handlers.h - the endpoint handlers of each protocol, for the route table
 * in routes.c.  Private to src/api.
 */
#ifndef ZKSWARM_API_HANDLERS_H
#define ZKSWARM_API_HANDLERS_H

#include "zkswarm/api.h"

#define HANDLER(name) int name(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err)

HANDLER(zks_handle_activate);

HANDLER(zks_handle_volume_capabilities);
HANDLER(zks_handle_volume_create);
HANDLER(zks_handle_volume_remove);
HANDLER(zks_handle_volume_mount);
HANDLER(zks_handle_volume_unmount);
HANDLER(zks_handle_volume_path);
HANDLER(zks_handle_volume_get);
HANDLER(zks_handle_volume_list);

HANDLER(zks_handle_network_capabilities);
HANDLER(zks_handle_network_create);
HANDLER(zks_handle_network_allocate);
HANDLER(zks_handle_network_delete);
HANDLER(zks_handle_network_free);
HANDLER(zks_handle_endpoint_create);
HANDLER(zks_handle_endpoint_delete);
HANDLER(zks_handle_endpoint_info);
HANDLER(zks_handle_join);
HANDLER(zks_handle_leave);
HANDLER(zks_handle_nothing);

HANDLER(zks_handle_ipam_capabilities);
HANDLER(zks_handle_ipam_spaces);
HANDLER(zks_handle_ipam_request_pool);
HANDLER(zks_handle_ipam_release_pool);
HANDLER(zks_handle_ipam_request_address);
HANDLER(zks_handle_ipam_release_address);

#endif
