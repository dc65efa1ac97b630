/*
 * network_state.c - the shared lower layer of the network service
 * (network_state.h): device names, ID checks, loading a network and finding
 * it by Docker's ID, its kernel devices, and dropping an unused network.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "network_state.h"
#include "zkswarm/log.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

void zks_networks_link_tag(const char *zk_root, char tag[4])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint32_t h = 2166136261u;

	for (const char *p = zk_root; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (int i = 0; i < 3; i++, h /= 36)
		tag[i] = digits[h % 36];
	tag[3] = '\0';
}

int network_check_id(const char *what, const char *id, struct zks_error *err)
{
	size_t n = strlen(id);

	if (n == 0 || n > 128)
		return zks_error_set(err, ZKS_ERR_INVALID, "%s must be 1 to 128 characters", what);
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z')))
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "%s `%.64s` must be alphanumeric", what, id);
	return 0;
}

int network_need_dataplane(const struct zks_networks *n, struct zks_error *err)
{
	if (n->tunnel.s_addr == 0)
		return zks_error_set(
			err, ZKS_ERR_UNAVAILABLE,
			"networking is unavailable on this node: %s (set ADVERTISE_ADDR)",
			n->unavailable ? n->unavailable : "no tunnel address");
	return 0;
}

/*
 * Link names carry the instance's tag (from ZK_ROOT), so that two plugins of
 * different clusters on one host never take each other's links for stale.
 */
void network_link_names(const struct zks_networks *n, uint32_t vni, char bridge[IF_NAMESIZE],
			char vxlan[IF_NAMESIZE])
{
	snprintf(bridge, IF_NAMESIZE, "zk%sb%u", n->tag, vni);
	snprintf(vxlan, IF_NAMESIZE, "zk%sv%u", n->tag, vni);
}

void network_veth_names(const struct zks_networks *n, const char *endpoint_id,
			char host[IF_NAMESIZE], char peer[IF_NAMESIZE])
{
	snprintf(host, IF_NAMESIZE, "zk%sh%.9s", n->tag, endpoint_id);
	snprintf(peer, IF_NAMESIZE, "zk%sc%.9s", n->tag, endpoint_id);
}

void network_wake(void *ctx)
{
	struct zks_networks *n = ctx;

	pthread_mutex_lock(&n->wake_lock);
	n->wanted = true;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->wake_lock);
}

/* The record's kernel settings, decoded by the records module. */
static int record_parse(const char *key, const char *data, struct network_record *rec)
{
	struct zks_record_network r;

	memset(rec, 0, sizeof(*rec));
	snprintf(rec->key, sizeof(rec->key), "%s", key);
	if (zks_record_network_decode(data, &r, NULL) < 0)
		return -1;
	rec->subnet = r.subnet;
	rec->vni = r.vni;
	rec->mtu = r.mtu;
	/* A gateway that does not parse is none: the bridge gets no address. */
	if (r.gateway == NULL ||
	    zks_ip_prefix_parse(r.gateway, &rec->gateway, &rec->gateway_len, NULL) < 0)
		rec->gateway = rec->gateway_len = 0;
	zks_record_network_clear(&r);
	return 0;
}

int network_load(struct zks_networks *n, const char *key, bool authoritative,
		 struct network_record *rec, struct zks_error *err)
{
	cleanup_free char *path = zks_path_network(key);
	cleanup_free char *data = NULL;
	struct zks_stat st;
	int r;

	if (authoritative)
		r = store_get(n->store, path, &data, NULL, &st, err);
	else if ((r = store_cached_get(n->store, path, &data, NULL, &st)) < 0)
		zks_error_set(err, ZKS_ERR_NOT_FOUND, "no such network `%s`", key);
	if (r < 0)
		return -1;
	if (record_parse(key, data, rec) < 0)
		return zks_error_set(err, ZKS_ERR_INTERNAL, "the record of network `%s` is corrupt",
				     key);
	rec->version = st.version;
	return 0;
}

/* Whether Docker network docker_id of this node is a member of network key. */
static bool is_member(struct zks_networks *n, bool authoritative, const char *key,
		      const char *docker_id)
{
	cleanup_free char *m = zks_path_network_member(key, n->member_prefix, docker_id);

	return authoritative ? store_get(n->store, m, NULL, NULL, NULL, NULL) == 0
			     : store_cached_get(n->store, m, NULL, NULL, NULL) == 0;
}

/* First in the mirror, then in ZooKeeper. */
int network_find_key(struct zks_networks *n, const char *docker_id, char **key,
		     struct zks_error *err)
{
	for (int pass = 0; pass < 2; pass++) {
		char **keys = NULL;
		size_t count = 0;
		int found = -1;

		if (pass == 0) {
			if (store_cached_children(n->store, ZKS_NETWORKS, &keys, &count) < 0)
				count = 0;
		} else if (store_children(n->store, ZKS_NETWORKS, &keys, &count, err) < 0) {
			return -1;
		}
		for (size_t i = 0; i < count && found < 0; i++)
			if (is_member(n, pass == 1, keys[i], docker_id))
				found = (int)i;
		if (found >= 0)
			*key = xstrdup(keys[found]);
		zks_free_strv(keys, count);
		if (found >= 0)
			return 0;
	}
	return zks_error_set(err, ZKS_ERR_NOT_FOUND,
			     "network %.12s is not a zkswarm network on this node", docker_id);
}

void network_bridge_mac(uint32_t vni, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x7a;
	mac[2] = 0x6b;
	mac[3] = (uint8_t)(vni >> 16);
	mac[4] = (uint8_t)(vni >> 8);
	mac[5] = (uint8_t)vni;
}

int network_ensure_kernel(struct zks_networks *n, const struct network_record *rec,
			  struct zks_error *err)
{
	char bridge[IF_NAMESIZE], vxlan[IF_NAMESIZE];
	struct zks_net_spec spec = {
		.bridge = bridge,
		.vxlan = vxlan,
		.vni = rec->vni,
		.mtu = rec->mtu,
		.local = n->tunnel,
		.underlay_ifindex = n->underlay_ifindex,
		.port = n->vxlan_port,
		.gateway = {htonl(rec->gateway)},
		.gateway_len = rec->gateway_len,
	};

	network_link_names(n, rec->vni, bridge, vxlan);
	network_bridge_mac(rec->vni, spec.bridge_mac);
	return n->net->ensure_network(n->net, &spec, err);
}

/* NOT_EMPTY (or NOT_FOUND, CONFLICT: changed meanwhile) means something still refers to it. */
int network_delete_if_unused(struct zks_networks *n, const struct network_record *rec,
			     struct zks_error *err)
{
	cleanup_free char *path = zks_path_network(rec->key);
	cleanup_free char *members = zks_path_network_members(rec->key);
	cleanup_free char *endpoints = zks_path_network_endpoints(rec->key);
	cleanup_free char *vni_path = zks_path_vni(rec->vni);
	struct zks_op ops[] = {
		{.type = ZKS_OP_DELETE, .path = members, .version = -1},
		{.type = ZKS_OP_DELETE, .path = endpoints, .version = -1},
		{.type = ZKS_OP_DELETE, .path = path, .version = rec->version},
		{.type = ZKS_OP_DELETE, .path = vni_path, .version = -1},
	};

	if (store_multi(n->store, ops, ARRAY_SIZE(ops), err) == 0) {
		log_info("networks: removed `%s` (no member left)", rec->key);
		return 0;
	}
	return err->code == ZKS_ERR_NOT_EMPTY || err->code == ZKS_ERR_NOT_FOUND ||
			       err->code == ZKS_ERR_CONFLICT
		       ? 0
		       : -1;
}
