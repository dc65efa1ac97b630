/*
 * handlers.h - the endpoint handlers of each protocol, for the route table
 * in routes.c.  Private to src/api.
 */
#ifndef ZKSWARM_API_HANDLERS_H
#define ZKSWARM_API_HANDLERS_H

#include "zkswarm/api.h"

/* Every handler: int zks_handle_NAME(ctx, request, reply, err), as struct zks_route wants. */

int zks_handle_activate(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);

int zks_handle_volume_capabilities(void *ctx, const cJSON *req, cJSON **reply,
				   struct zks_error *err);
int zks_handle_volume_create(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_volume_remove(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_volume_mount(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_volume_unmount(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_volume_path(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_volume_get(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_volume_list(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_volume_snapshot(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_volume_remove_snapshot(void *ctx, const cJSON *req, cJSON **reply,
				      struct zks_error *err);

int zks_handle_network_capabilities(void *ctx, const cJSON *req, cJSON **reply,
				    struct zks_error *err);
int zks_handle_network_create(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_network_allocate(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_network_delete(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_network_free(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_endpoint_create(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_endpoint_delete(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_endpoint_info(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_join(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_leave(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_nothing(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);

int zks_handle_ipam_capabilities(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_ipam_spaces(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_ipam_request_pool(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_ipam_release_pool(void *ctx, const cJSON *req, cJSON **reply, struct zks_error *err);
int zks_handle_ipam_request_address(void *ctx, const cJSON *req, cJSON **reply,
				    struct zks_error *err);
int zks_handle_ipam_release_address(void *ctx, const cJSON *req, cJSON **reply,
				    struct zks_error *err);

#endif
