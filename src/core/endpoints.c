/*
 * endpoints.c - a network's endpoints: their records (node, address, MAC),
 * and Join and Leave, which plumb the endpoint's veth on this node.  The
 * forwarding entries other nodes need for it are the reconciler's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network_state.h"
#include "zkswarm/log.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

static int load_endpoint(struct zks_networks *n, const char *key, const char *endpoint_id,
			 struct zks_record_endpoint *ep, struct zks_error *err)
{
	cleanup_free char *path = zks_path_network_endpoint(key, endpoint_id);
	cleanup_free char *data = NULL;

	if (store_cached_get(n->store, path, &data, NULL, NULL) < 0 &&
	    store_get(n->store, path, &data, NULL, NULL, err) < 0) {
		if (err->code == ZKS_ERR_NOT_FOUND)
			zks_error_set(err, ZKS_ERR_NOT_FOUND,
				      "no such endpoint %.12s in network `%s`", endpoint_id, key);
		return -1;
	}
	if (zks_record_endpoint_decode(data, ep, NULL) < 0)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "the record of endpoint %.12s is corrupt", endpoint_id);
	return 0;
}

/* The endpoint's MAC: the one asked for, or like Docker's, derived from the unique address. */
static int endpoint_mac(const char *mac, uint32_t ip, uint8_t m[6], struct zks_error *err)
{
	if (mac != NULL && mac[0] != '\0') {
		if (zks_mac_parse(mac, m) < 0)
			return zks_error_set(err, ZKS_ERR_INVALID, "`%.32s` is not a MAC address",
					     mac);
		return 0;
	}
	/* Locally administered. */
	m[0] = 0x02, m[1] = 0x42, m[2] = (uint8_t)(ip >> 24), m[3] = (uint8_t)(ip >> 16);
	m[4] = (uint8_t)(ip >> 8), m[5] = (uint8_t)ip;
	return 0;
}

/* The endpoint's record, with what the request asked for; its address in the subnet. */
static int endpoint_fill(struct zks_networks *n, const struct network_record *rec,
			 const char *docker_id, const char *address, const char *mac,
			 struct zks_record_endpoint *ep, struct zks_error *err)
{
	uint32_t ip;
	uint8_t len;

	if (address == NULL || address[0] == '\0')
		return zks_error_set(
			err, ZKS_ERR_INVALID,
			"the endpoint has no IPv4 address (is the network's IPAM zkswarm?)");
	if (zks_ip_prefix_parse(address, &ip, &len, err) < 0)
		return -1;
	if (!zks_cidr_contains(&rec->subnet, ip) || len != rec->subnet.len)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "address %s is not in the network's subnet", address);
	memset(ep, 0, sizeof(*ep));
	snprintf(ep->node, sizeof(ep->node), "%s", n->node_id);
	snprintf(ep->address, sizeof(ep->address), "%s", address);
	snprintf(ep->network, sizeof(ep->network), "%s", docker_id);
	return endpoint_mac(mac, ip, ep->mac, err);
}

int zks_networks_create_endpoint(struct zks_networks *n, const char *docker_id,
				 const char *endpoint_id, const char *address, const char *mac,
				 char **mac_out, struct zks_error *err)
{
	cleanup_free char *key = NULL;
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	struct network_record rec;
	struct zks_record_endpoint want, ep;
	char ms[18];

	*mac_out = NULL;
	if (network_check_id("endpoint ID", endpoint_id, err) < 0 ||
	    network_find_key(n, docker_id, &key, err) < 0 ||
	    network_load(n, key, false, &rec, err) < 0 ||
	    endpoint_fill(n, &rec, docker_id, address, mac, &want, err) < 0)
		return -1;
	zks_mac_format(want.mac, ms);
	path = zks_path_network_endpoint(key, endpoint_id);
	text = zks_record_endpoint_encode(&want);
	if (store_create(n->store, path, text, strlen(text), ZKS_PERSISTENT, err) < 0) {
		struct zks_error e2;

		if (err->code != ZKS_ERR_EXISTS)
			return -1;
		/* A replay of our own request is fine; anything else is a conflict. */
		if (load_endpoint(n, key, endpoint_id, &ep, &e2) < 0 ||
		    strcmp(ep.node, n->node_id) || strcmp(ep.address, address) ||
		    memcmp(ep.mac, want.mac, sizeof(ep.mac)))
			return zks_error_set(err, ZKS_ERR_CONFLICT, "endpoint %.12s exists already",
					     endpoint_id);
	}
	if (mac == NULL || mac[0] == '\0')
		*mac_out = xstrdup(ms);
	network_wake(n);
	return 0;
}

/* The network holding this node's endpoint endpoint_id, by a scan of the records. */
static int find_endpoint_key(struct zks_networks *n, const char *endpoint_id, char **key)
{
	char **keys = NULL;
	size_t count = 0;
	int r = -1;

	if (store_children(n->store, ZKS_NETWORKS, &keys, &count, NULL) < 0)
		return -1;
	for (size_t i = 0; i < count && r < 0; i++) {
		cleanup_free char *p = zks_path_network_endpoint(keys[i], endpoint_id);
		cleanup_free char *data = NULL;
		struct zks_record_endpoint ep;

		if (store_get(n->store, p, &data, NULL, NULL, NULL) == 0 &&
		    zks_record_endpoint_decode(data, &ep, NULL) == 0 &&
		    strcmp(ep.node, n->node_id) == 0) {
			*key = xstrdup(keys[i]);
			r = 0;
		}
	}
	zks_free_strv(keys, count);
	return r;
}

int zks_networks_delete_endpoint(struct zks_networks *n, const char *docker_id,
				 const char *endpoint_id, struct zks_error *err)
{
	cleanup_free char *key = NULL;
	cleanup_free char *path = NULL;
	char host[IF_NAMESIZE], peer[IF_NAMESIZE];
	struct network_record rec;
	struct zks_error e2;

	if (network_check_id("endpoint ID", endpoint_id, err) < 0)
		return -1;
	network_veth_names(n, endpoint_id, host, peer);
	/* Engines send DeleteEndpoint without Leave after a crash: the veth goes here too. */
	if (n->net->delete_link(n->net, host, err) < 0)
		return -1;
	if (network_find_key(n, docker_id, &key, err) < 0) {
		if (err->code != ZKS_ERR_NOT_FOUND)
			return -1;
		/* The membership went first (DeleteNetwork before DeleteEndpoint): find the
		 * endpoint by its ID among this node's, so that nothing is left behind. */
		if (find_endpoint_key(n, endpoint_id, &key) < 0)
			return 0;
	}
	path = zks_path_network_endpoint(key, endpoint_id);
	if (store_remove(n->store, path, -1, err) < 0 && err->code != ZKS_ERR_NOT_FOUND)
		return -1;
	if (network_load(n, key, true, &rec, &e2) == 0 &&
	    network_delete_if_unused(n, &rec, &e2) < 0)
		log_warn("networks: %s", e2.msg);
	network_wake(n);
	return 0;
}

int zks_networks_join(struct zks_networks *n, const char *docker_id, const char *endpoint_id,
		      char **ifname, struct zks_error *err)
{
	cleanup_free char *key = NULL;
	struct network_record rec;
	struct zks_record_endpoint ep;
	char bridge[IF_NAMESIZE], vxlan[IF_NAMESIZE], host[IF_NAMESIZE], peer[IF_NAMESIZE];

	if (network_check_id("endpoint ID", endpoint_id, err) < 0 ||
	    network_need_dataplane(n, err) < 0 || network_find_key(n, docker_id, &key, err) < 0 ||
	    network_load(n, key, false, &rec, err) < 0 ||
	    load_endpoint(n, key, endpoint_id, &ep, err) < 0)
		return -1;
	if (strcmp(ep.node, n->node_id) != 0)
		return zks_error_set(err, ZKS_ERR_CONFLICT, "endpoint %.12s belongs to node `%s`",
				     endpoint_id, ep.node);
	network_link_names(n, rec.vni, bridge, vxlan);
	network_veth_names(n, endpoint_id, host, peer);
	if (network_ensure_kernel(n, &rec, err) < 0 ||
	    n->net->create_veth(n->net, host, peer, bridge, ep.mac, rec.mtu, err) < 0) {
		zks_error_prefix(err, "join endpoint %.12s", endpoint_id);
		return -1;
	}
	*ifname = xstrdup(peer);
	network_wake(n);
	return 0;
}

int zks_networks_leave(struct zks_networks *n, const char *docker_id, const char *endpoint_id,
		       struct zks_error *err)
{
	char host[IF_NAMESIZE], peer[IF_NAMESIZE];

	(void)docker_id;
	if (network_check_id("endpoint ID", endpoint_id, err) < 0)
		return -1;
	network_veth_names(n, endpoint_id, host, peer);
	return n->net->delete_link(n->net, host, err);
}

void zks_endpoint_info_clear(struct zks_endpoint_info *info)
{
	free(info->address);
	free(info->mac);
	free(info->node);
	free(info->network);
	memset(info, 0, sizeof(*info));
}

int zks_networks_endpoint_info(struct zks_networks *n, const char *docker_id,
			       const char *endpoint_id, struct zks_endpoint_info *out,
			       struct zks_error *err)
{
	cleanup_free char *key = NULL;
	struct zks_record_endpoint ep;
	char ms[18];

	if (network_check_id("endpoint ID", endpoint_id, err) < 0 ||
	    network_find_key(n, docker_id, &key, err) < 0 ||
	    load_endpoint(n, key, endpoint_id, &ep, err) < 0)
		return -1;
	zks_mac_format(ep.mac, ms);
	out->address = xstrdup(ep.address);
	out->mac = xstrdup(ms);
	out->node = xstrdup(ep.node);
	out->network = steal_pointer(&key);
	return 0;
}
