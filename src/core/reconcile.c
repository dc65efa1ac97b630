/*
 * reconcile.c - the reconciler: a thread that makes this node's kernel
 * match the records (a bridge and VXLAN device per network with a local
 * member, a veth per local endpoint, forwarding and neighbour entries for
 * the other nodes' endpoints), and the reaping of a dead node's endpoints
 * and memberships.
 *
 * It is level-triggered: woken by every change of the mirror and every 10 s,
 * it computes the whole desired state, so a missed event or a restart costs
 * at most one pass.  Stale links go only while the mirror is known complete.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "network_state.h"
#include "zkswarm/log.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define RECONCILE_PERIOD_MS 10000
#define RECONCILE_DEBOUNCE_MS 100

/* ---- reclaiming a dead node's endpoints and memberships -------------------------------------- */

/* Remove node's endpoints of network key; counts them in *gone. */
static int reap_endpoints(struct zks_networks *n, const char *key, const char *node, size_t *gone,
			  struct zks_error *err)
{
	cleanup_free char *eps = zks_path_network_endpoints(key);
	char **v = NULL;
	size_t nv = 0;
	int r = 0;

	if (store_children(n->store, eps, &v, &nv, err) < 0)
		return 0;
	for (size_t k = 0; k < nv && r == 0; k++) {
		cleanup_free char *p = zks_path_network_endpoint(key, v[k]);
		cleanup_free char *data = NULL;
		struct zks_record_endpoint ep;
		struct zks_stat st;

		if (store_get(n->store, p, &data, NULL, &st, err) < 0 ||
		    zks_record_endpoint_decode(data, &ep, NULL) < 0 || strcmp(ep.node, node) != 0)
			continue;
		if (store_remove(n->store, p, st.version, err) < 0 &&
		    err->code != ZKS_ERR_NOT_FOUND)
			r = -1;
		(*gone)++;
	}
	zks_free_strv(v, nv);
	return r;
}

/* Remove the memberships (named prefix + Docker ID) of network key. */
static int reap_members(struct zks_networks *n, const char *key, const char *prefix,
			struct zks_error *err)
{
	cleanup_free char *members = zks_path_network_members(key);
	size_t plen = strlen(prefix), nv = 0;
	char **v = NULL;
	int r = 0;

	if (store_children(n->store, members, &v, &nv, err) < 0)
		return 0;
	for (size_t k = 0; k < nv && r == 0; k++) {
		cleanup_free char *p = NULL;

		if (strncmp(v[k], prefix, plen) != 0)
			continue;
		p = zks_path_network_member(key, "", v[k]);
		if (store_remove(n->store, p, -1, err) < 0 && err->code != ZKS_ERR_NOT_FOUND)
			r = -1;
	}
	zks_free_strv(v, nv);
	return r;
}

int zks_networks_reap_node(void *ctx, const char *node, struct zks_error *err)
{
	struct zks_networks *n = ctx;
	cleanup_free char *prefix = xasprintf("%s:", node);
	size_t count = 0, gone = 0;
	char **keys = NULL;
	int r = 0;

	if (store_children(n->store, ZKS_NETWORKS, &keys, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count && r == 0; i++) {
		struct network_record rec;

		r = reap_endpoints(n, keys[i], node, &gone, err);
		if (r == 0)
			r = reap_members(n, keys[i], prefix, err);
		if (r == 0 && network_load(n, keys[i], true, &rec, err) == 0)
			r = network_delete_if_unused(n, &rec, err);
		else if (r == 0 && err->code != ZKS_ERR_NOT_FOUND)
			r = -1;
	}
	zks_free_strv(keys, count);
	if (r == 0)
		log_info("networks: reclaimed %zu endpoint(s) and the memberships of node `%s`",
			 gone, node);
	return r;
}

/* ---- the reconciler ----------------------------------------------------------------------------- */

struct desired {
	char **links; /* bridge, vxlan and host veth names that should exist */
	size_t nlinks;
};

static void desire(struct desired *d, const char *name)
{
	d->links = xrealloc(d->links, (d->nlinks + 1) * sizeof(*d->links));
	d->links[d->nlinks++] = xstrdup(name);
}

static bool desired_has(const struct desired *d, const char *name)
{
	for (size_t i = 0; i < d->nlinks; i++)
		if (!strcmp(d->links[i], name))
			return true;
	return false;
}

static bool node_address(struct zks_networks *n, const char *node, struct in_addr *out)
{
	cleanup_free char *path = zks_path_node(node);
	cleanup_free char *data = NULL;
	struct zks_record_node rec = {0};
	uint32_t ip;
	bool ok = false;

	if (store_cached_get(n->store, path, &data, NULL, NULL) < 0)
		return false;
	if (zks_record_node_decode(data, &rec, NULL) == 0 && rec.address &&
	    zks_ip_parse(rec.address, &ip, NULL) == 0) {
		out->s_addr = htonl(ip);
		ok = true;
	}
	zks_record_node_clear(&rec);
	return ok;
}

/*
 * Whether another node's endpoint may be programmed on the VXLAN device: never one with the
 * gateway's address or the bridge's MAC (every node owns those: an entry would send the
 * node's own ARP and traffic for them through the tunnel, docs/NAMING-STUDY.md §3).
 */
static bool remote_allowed(const struct network_record *rec, uint32_t ip, const uint8_t mac[6])
{
	uint8_t bridge_mac[6];

	network_bridge_mac(rec->vni, bridge_mac);
	return !(rec->gateway_len > 0 && ip == rec->gateway) && memcmp(mac, bridge_mac, 6) != 0;
}

/* Program one network this node is a member of; adds its links to d. */
static int reconcile_network(struct zks_networks *n, const struct network_record *rec,
			     struct desired *d, struct zks_error *err)
{
	cleanup_free char *endpoints = zks_path_network_endpoints(rec->key);
	char bridge[IF_NAMESIZE], vxlan[IF_NAMESIZE];
	struct zks_remote_ep *remote = NULL;
	size_t nremote = 0, count = 0;
	char **ids = NULL;
	int r;

	network_link_names(n, rec->vni, bridge, vxlan);
	desire(d, bridge);
	desire(d, vxlan);
	if (network_ensure_kernel(n, rec, err) < 0)
		return -1;
	if (store_cached_children(n->store, endpoints, &ids, &count) < 0)
		count = 0;
	remote = xcalloc(count + 1, sizeof(*remote));
	for (size_t i = 0; i < count; i++) {
		cleanup_free char *p = zks_path_network_endpoint(rec->key, ids[i]);
		cleanup_free char *data = NULL;
		struct zks_record_endpoint ep;
		uint32_t ip;
		uint8_t len;

		if (store_cached_get(n->store, p, &data, NULL, NULL) < 0 ||
		    zks_record_endpoint_decode(data, &ep, NULL) < 0)
			continue;
		if (!strcmp(ep.node, n->node_id)) {
			char host[IF_NAMESIZE], peer[IF_NAMESIZE];

			network_veth_names(n, ids[i], host, peer);
			desire(d, host);
			continue;
		}
		/* A node that is gone has no tunnel to send to; its entries go. */
		if (zks_ip_prefix_parse(ep.address, &ip, &len, NULL) < 0 ||
		    !remote_allowed(rec, ip, ep.mac) ||
		    !node_address(n, ep.node, &remote[nremote].vtep))
			continue;
		remote[nremote].ip.s_addr = htonl(ip);
		memcpy(remote[nremote].mac, ep.mac, 6);
		nremote++;
	}
	r = n->net->sync_remote(n->net, vxlan, remote, nremote, err);
	free(remote);
	zks_free_strv(ids, count);
	return r;
}

/* Whether this node is a member of network key, as the mirror shows. */
static bool local_member(struct zks_networks *n, const char *key)
{
	cleanup_free char *members = zks_path_network_members(key);
	size_t nm = 0;
	char **names = NULL;
	bool local = false;

	if (store_cached_children(n->store, members, &names, &nm) == 0)
		for (size_t k = 0; k < nm && !local; k++)
			local = zks_member_id(names[k], n->node_id) != NULL;
	zks_free_strv(names, nm);
	return local;
}

/* Remove this cluster's links (of the kinds in the prefixes) that no record wants. */
static void remove_stale(struct zks_networks *n, const struct desired *d)
{
	char prefixes[3][8];

	snprintf(prefixes[0], sizeof(prefixes[0]), "zk%sb", n->tag);
	snprintf(prefixes[1], sizeof(prefixes[1]), "zk%sv", n->tag);
	snprintf(prefixes[2], sizeof(prefixes[2]), "zk%sh", n->tag);
	for (size_t p = 0; p < ARRAY_SIZE(prefixes); p++) {
		char **links = NULL;
		size_t nl = 0;
		struct zks_error e;

		if (n->net->list_links(n->net, prefixes[p], &links, &nl, &e) < 0)
			continue;
		for (size_t k = 0; k < nl; k++) {
			if (desired_has(d, links[k]))
				continue;
			log_info("networks: removing stale link `%s`", links[k]);
			if (n->net->delete_link(n->net, links[k], &e) < 0)
				log_warn("networks: %s", e.msg);
		}
		zks_free_strv(links, nl);
	}
}

int zks_networks_reconcile(struct zks_networks *n, struct zks_error *err)
{
	struct zks_store_status status;
	struct desired d = {0};
	char **keys = NULL;
	size_t count = 0;
	int r = 0;

	if (n->tunnel.s_addr == 0)
		return 0;
	store_status(n->store, &status);
	pthread_mutex_lock(&n->lock);
	if (store_cached_children(n->store, ZKS_NETWORKS, &keys, &count) < 0)
		count = 0;
	for (size_t i = 0; i < count; i++) {
		struct network_record rec;
		struct zks_error e;

		if (!local_member(n, keys[i]) || network_load(n, keys[i], false, &rec, &e) < 0)
			continue;
		if (reconcile_network(n, &rec, &d, &e) < 0) {
			log_warn("networks: cannot program `%s`: %s", keys[i], e.msg);
			*err = e;
			r = -1;
		}
	}
	/* Stale kernel state goes only when the mirror is known to be complete. */
	if (status.mirror_synced)
		remove_stale(n, &d);
	pthread_mutex_unlock(&n->lock);
	zks_free_strv(keys, count);
	zks_free_strv(d.links, d.nlinks);
	return r;
}

static void *reconciler_main(void *arg)
{
	struct zks_networks *n = arg;

	pthread_mutex_lock(&n->wake_lock);
	while (!n->stopping) {
		struct timespec deadline;
		struct zks_error err;

		zks_deadline_after(&deadline, CLOCK_REALTIME, RECONCILE_PERIOD_MS);
		while (!n->wanted && !n->stopping)
			if (pthread_cond_timedwait(&n->wake, &n->wake_lock, &deadline) != 0)
				break;
		if (n->stopping)
			break;
		n->wanted = false;
		pthread_mutex_unlock(&n->wake_lock);
		{
			/* Let a burst of changes settle into one pass. */
			struct timespec ts = {.tv_nsec = RECONCILE_DEBOUNCE_MS * 1000000L};

			nanosleep(&ts, NULL);
		}
		zks_networks_reconcile(n, &err);
		pthread_mutex_lock(&n->wake_lock);
	}
	pthread_mutex_unlock(&n->wake_lock);
	return NULL;
}

void network_reconciler_start(struct zks_networks *n)
{
	if (pthread_create(&n->reconciler, NULL, reconciler_main, n) != 0)
		abort();
}
