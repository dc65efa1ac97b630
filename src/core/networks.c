/*
 * networks.c - networks, endpoints and VXLAN identifiers in the store, and
 * the reconciler that makes this node's kernel match them.
 *
 * Requests write records and plumb only what the engine waits for (the
 * network's bridge at create, the endpoint's veth at Join).  Everything that
 * depends on other nodes (their endpoints' forwarding and neighbour entries)
 * and every clean-up of stale kernel state is the reconciler's: it is
 * level-triggered, so a missed event or a restart costs at most one pass.
 * While the mirror is not synced it only adds, never deletes.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zkswarm/cidr.h"
#include "zkswarm/names.h"
#include "zkswarm/ipam.h"
#include "zkswarm/log.h"
#include "zkswarm/networks.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define VNI_MIN 4096u
#define VNI_MAX 16777215u
#define VXLAN_OVERHEAD 50
#define ATTEMPTS 16
#define RECONCILE_PERIOD_MS 10000
#define RECONCILE_DEBOUNCE_MS 100

struct zks_networks {
	struct zks_store *store;
	struct zks_net *net;
	char *node_id;
	char *member_prefix; /* "<node>:" */
	struct in_addr tunnel;
	int underlay_ifindex;
	int underlay_mtu;
	uint16_t vxlan_port;
	char *unavailable;
	char instance[17];
	char tag[4]; /* in link names: which cluster's links they are */

	pthread_mutex_t lock; /* serialises requests that change this node's networks */

	pthread_mutex_t wake_lock;
	pthread_cond_t wake;
	bool wanted;
	bool stopping;
	pthread_t reconciler;
};

struct network_record {
	char key[256];
	struct zks_cidr subnet;
	uint32_t vni;
	int mtu;
	int32_t version;
};

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

const char *zks_network_options_accepted(void)
{
	return "cluster-name (the same name on every engine makes one network), vni (4096-16777215), "
	       "mtu";
}

/* ---- small helpers ---------------------------------------------------------------------------- */

static int check_docker_id(const char *what, const char *id, struct zks_error *err)
{
	size_t n = strlen(id);

	if (n == 0 || n > 128)
		return zks_error_set(err, ZKS_ERR_INVALID, "%s must be 1 to 128 characters", what);
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z')))
			return zks_error_set(err, ZKS_ERR_INVALID, "%s `%.64s` must be alphanumeric", what,
					     id);
	return 0;
}

/*
 * Link names carry the instance's tag (from ZK_ROOT), so that two plugins of
 * different clusters on one host never take each other's links for stale:
 * "zk<tag>b<vni>" bridge, "zk<tag>v<vni>" VXLAN, "zk<tag>h<id>"/"zk<tag>c<id>" veth.
 */
static void link_names(const struct zks_networks *n, uint32_t vni, char bridge[IF_NAMESIZE],
		       char vxlan[IF_NAMESIZE])
{
	snprintf(bridge, IF_NAMESIZE, "zk%sb%u", n->tag, vni);
	snprintf(vxlan, IF_NAMESIZE, "zk%sv%u", n->tag, vni);
}

static void veth_names(const struct zks_networks *n, const char *endpoint_id,
		       char host[IF_NAMESIZE], char peer[IF_NAMESIZE])
{
	snprintf(host, IF_NAMESIZE, "zk%sh%.9s", n->tag, endpoint_id);
	snprintf(peer, IF_NAMESIZE, "zk%sc%.9s", n->tag, endpoint_id);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * "xx:xx:xx:xx:xx:xx", two hex digits each, of one station: a multicast, broadcast or
 * zero MAC would reach every node's FDB and neighbour tables, and the kernel refuses it
 * for a veth at Join anyway.
 */
static int parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -1;
	return 0;
}

static void format_mac(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

static void wake_reconciler(void *ctx)
{
	struct zks_networks *n = ctx;

	pthread_mutex_lock(&n->wake_lock);
	n->wanted = true;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->wake_lock);
}

static int need_dataplane(const struct zks_networks *n, struct zks_error *err)
{
	if (n->tunnel.s_addr == 0)
		return zks_error_set(err, ZKS_ERR_UNAVAILABLE,
				     "networking is unavailable on this node: %s (set ADVERTISE_ADDR)",
				     n->unavailable ? n->unavailable : "no tunnel address");
	return 0;
}

/* ---- records ---------------------------------------------------------------------------------- */

static int record_parse(const char *key, const char *data, struct network_record *rec)
{
	cJSON *doc = cJSON_Parse(data);
	cJSON *subnet = cJSON_GetObjectItemCaseSensitive(doc, "subnet");
	cJSON *vni = cJSON_GetObjectItemCaseSensitive(doc, "vni");
	cJSON *mtu = cJSON_GetObjectItemCaseSensitive(doc, "mtu");
	int r = -1;

	memset(rec, 0, sizeof(*rec));
	snprintf(rec->key, sizeof(rec->key), "%s", key);
	if (cJSON_IsString(subnet) && zks_cidr_parse(subnet->valuestring, &rec->subnet, NULL) == 0 &&
	    cJSON_IsNumber(vni) && vni->valuedouble >= 1 && vni->valuedouble <= VNI_MAX &&
	    cJSON_IsNumber(mtu) && mtu->valuedouble >= 576 && mtu->valuedouble <= 65535) {
		rec->vni = (uint32_t)vni->valuedouble;
		rec->mtu = (int)mtu->valuedouble;
		r = 0;
	}
	cJSON_Delete(doc);
	return r;
}

static int load_network(struct zks_networks *n, const char *key, bool authoritative,
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
		return zks_error_set(err, ZKS_ERR_INTERNAL, "the record of network `%s` is corrupt", key);
	rec->version = st.version;
	return 0;
}

/* The cluster key of Docker network docker_id on this node. */
static int find_key(struct zks_networks *n, const char *docker_id, char **key,
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
		for (size_t i = 0; i < count && found < 0; i++) {
			cleanup_free char *m =
				zks_path_network_member(keys[i], n->member_prefix, docker_id);

			if (pass == 0 ? store_cached_get(n->store, m, NULL, NULL, NULL) == 0
				      : store_get(n->store, m, NULL, NULL, NULL, NULL) == 0)
				found = (int)i;
		}
		if (found >= 0)
			*key = xstrdup(keys[found]);
		zks_free_strv(keys, count);
		if (found >= 0)
			return 0;
	}
	return zks_error_set(err, ZKS_ERR_NOT_FOUND, "network %.12s is not a zkswarm network on this node",
			     docker_id);
}

/* ---- networks --------------------------------------------------------------------------------- */

struct network_options {
	const char *cluster_name;
	uint32_t vni;
	int mtu;
};

static int parse_options(const struct zks_networks *n, const struct zks_kv *kv, size_t count,
			 struct network_options *o, struct zks_error *err)
{
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < count; i++) {
		const char *k = kv[i].key, *v = kv[i].value;
		char *end;
		unsigned long x;

		if (!strcmp(k, "cluster-name")) {
			if (zks_validate_name("cluster-name", v, 1, 64, err) < 0)
				return -1;
			o->cluster_name = v;
		} else if (!strcmp(k, "vni") || !strcmp(k, "mtu")) {
			x = strtoul(v, &end, 10);
			if (end == v || *end != '\0' || v[0] == '-')
				return zks_error_set(err, ZKS_ERR_INVALID, "option %s=`%.32s` must be a number", k,
						     v);
			if (k[0] == 'v') {
				if (x < VNI_MIN || x > VNI_MAX)
					return zks_error_set(err, ZKS_ERR_INVALID,
							     "option vni=%lu must be from %u to %u", x, VNI_MIN,
							     VNI_MAX);
				o->vni = (uint32_t)x;
			} else {
				if (x < 576 || x > (unsigned long)(n->underlay_mtu - VXLAN_OVERHEAD))
					return zks_error_set(err, ZKS_ERR_INVALID,
							     "option mtu=%lu must be from 576 to %d (the underlay's "
							     "MTU less %d bytes of VXLAN headers)",
							     x, n->underlay_mtu - VXLAN_OVERHEAD, VXLAN_OVERHEAD);
				o->mtu = (int)x;
			}
		} else {
			return zks_error_set(err, ZKS_ERR_INVALID, "unknown option `%.64s`; accepted options: %s",
					     k, zks_network_options_accepted());
		}
	}
	return 0;
}

static uint32_t vni_candidate(const char *key, uint32_t attempt)
{
	uint32_t h = 2166136261u;

	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return VNI_MIN + (h + attempt) % (VNI_MAX - VNI_MIN + 1);
}

static int ensure_kernel(struct zks_networks *n, const struct network_record *rec,
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
	};

	link_names(n, rec->vni, bridge, vxlan);
	return n->net->ensure_network(n->net, &spec, err);
}

/* The gateway Docker passes, if any: an address of the subnet, written with its prefix. */
static int check_gateway(const struct zks_cidr *subnet, const char *gateway, struct zks_error *err)
{
	uint32_t ip;
	uint8_t len;

	if (gateway == NULL || gateway[0] == '\0')
		return 0;
	if (zks_ip_prefix_parse(gateway, &ip, &len, err) < 0 || len != subnet->len ||
	    !zks_cidr_contains(subnet, ip) ||
	    (subnet->len < 31 && (ip == subnet->addr || ip == zks_cidr_last(subnet)))) {
		char s[ZKS_CIDR_STR];

		zks_cidr_format(subnet, s);
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "gateway `%.32s` is not an address of the subnet %s, with its "
				     "prefix length",
				     gateway, s);
	}
	return 0;
}

int zks_networks_create(struct zks_networks *n, const char *docker_id, const struct zks_kv *options,
			size_t noptions, const char *pool, const char *gateway, struct zks_error *err)
{
	struct network_options o;
	struct zks_cidr subnet;
	struct network_record rec;
	const char *key;
	cleanup_free char *member = NULL;
	cleanup_free char *subnet_path = NULL;
	char sname[ZKS_CIDR_STR], s[ZKS_CIDR_STR];
	bool created = false, joined = false;
	int r = -1;

	if (check_docker_id("network ID", docker_id, err) < 0 || need_dataplane(n, err) < 0 ||
	    parse_options(n, options, noptions, &o, err) < 0)
		return -1;
	if (pool == NULL || pool[0] == '\0')
		return zks_error_set(err, ZKS_ERR_INVALID, "the network has no IPv4 subnet");
	if (zks_cidr_parse(pool, &subnet, err) < 0 || check_gateway(&subnet, gateway, err) < 0)
		return -1;
	zks_cidr_to_name(&subnet, sname);
	zks_cidr_format(&subnet, s);
	subnet_path = zks_path_subnet(sname);
	if (store_get(n->store, subnet_path, NULL, NULL, NULL, err) < 0) {
		if (err->code == ZKS_ERR_NOT_FOUND)
			zks_error_set(err, ZKS_ERR_INVALID,
				      "subnet %s was not allocated by zkswarm's IPAM: create the network "
				      "with --ipam-driver zkswarm (addresses must be unique cluster-wide)",
				      s);
		return -1;
	}
	key = o.cluster_name ? o.cluster_name : docker_id;
	member = zks_path_network_member(key, n->member_prefix, docker_id);
	pthread_mutex_lock(&n->lock);
	for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
		cleanup_free char *path = zks_path_network(key);
		cleanup_free char *members = zks_path_network_members(key);
		cleanup_free char *endpoints = zks_path_network_endpoints(key);
		cleanup_free char *vni_path = NULL;
		cleanup_free char *text = NULL;
		cleanup_free char *claim = NULL;
		char at[32], token[17];
		cJSON *doc, *opts;

		if (load_network(n, key, true, &rec, err) == 0) {
			char have[ZKS_CIDR_STR];

			zks_cidr_format(&rec.subnet, have);
			if (rec.subnet.addr != subnet.addr || rec.subnet.len != subnet.len) {
				zks_error_set(err, ZKS_ERR_CONFLICT,
					      "network `%s` already exists with subnet %s, not %s", key, have, s);
				goto out;
			}
			if ((o.vni && o.vni != rec.vni) || (o.mtu && o.mtu != rec.mtu)) {
				zks_error_set(err, ZKS_ERR_CONFLICT,
					      "network `%s` already exists with vni %u and mtu %d", key,
					      rec.vni, rec.mtu);
				goto out;
			}
			/* Another engine (or a replay) joins the existing network. */
			if (store_create(n->store, member, "{}", 2, ZKS_PERSISTENT, err) == 0 ||
			    err->code == ZKS_ERR_EXISTS) {
				joined = true;
				break;
			}
			if (err->code == ZKS_ERR_NOT_FOUND)
				continue; /* deleted meanwhile: create it afresh */
			goto out;
		}
		if (err->code != ZKS_ERR_NOT_FOUND)
			goto out;
		rec.subnet = subnet;
		rec.mtu = o.mtu ? o.mtu : n->underlay_mtu - VXLAN_OVERHEAD;
		rec.vni = o.vni;
		if (!rec.vni) {
			/* Start where the key hashes to; skip what the mirror shows taken. */
			for (uint32_t k = 0; k < 1024; k++) {
				cleanup_free char *p = NULL;

				rec.vni = vni_candidate(key, (uint32_t)attempt * 1024 + k);
				p = zks_path_vni(rec.vni);
				if (store_cached_get(n->store, p, NULL, NULL, NULL) < 0)
					break;
			}
		}
		vni_path = zks_path_vni(rec.vni);
		zks_rfc3339_now(at);
		zks_random_hex(token);
		doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "key", key);
		cJSON_AddStringToObject(doc, "subnet", s);
		if (gateway && gateway[0])
			cJSON_AddStringToObject(doc, "gateway", gateway);
		cJSON_AddNumberToObject(doc, "vni", rec.vni);
		cJSON_AddNumberToObject(doc, "mtu", rec.mtu);
		opts = cJSON_AddObjectToObject(doc, "options");
		for (size_t i = 0; i < noptions; i++)
			cJSON_AddStringToObject(opts, options[i].key, options[i].value);
		cJSON_AddStringToObject(doc, "created_by", n->node_id);
		cJSON_AddStringToObject(doc, "created_at", at);
		cJSON_AddStringToObject(doc, "token", token);
		text = cJSON_PrintUnformatted(doc);
		cJSON_Delete(doc);
		claim = xasprintf("{\"network\":\"%s\",\"token\":\"%s\"}", key, token);
		{
			struct zks_op ops[] = {
				{.type = ZKS_OP_CREATE, .path = vni_path, .data = claim, .len = strlen(claim)},
				{.type = ZKS_OP_CREATE, .path = path, .data = text, .len = strlen(text)},
				{.type = ZKS_OP_CREATE, .path = members},
				{.type = ZKS_OP_CREATE, .path = member, .data = "{}", .len = 2},
				{.type = ZKS_OP_CREATE, .path = endpoints},
			};

			if (store_multi(n->store, ops, ARRAY_SIZE(ops), err) == 0) {
				created = true;
				break;
			}
		}
		if (err->code != ZKS_ERR_EXISTS)
			goto out;
		if (o.vni) {
			cleanup_free char *holder = NULL;
			cJSON *claim_doc;
			const cJSON *owner;
			bool ours;

			if (store_get(n->store, vni_path, &holder, NULL, NULL, NULL) == 0) {
				claim_doc = cJSON_Parse(holder);
				owner = cJSON_GetObjectItemCaseSensitive(claim_doc, "network");
				ours = cJSON_IsString(owner) && strcmp(owner->valuestring, key) == 0;
				cJSON_Delete(claim_doc);
				if (!ours) {
					zks_error_set(err, ZKS_ERR_CONFLICT, "vni %u is used by another network",
						      o.vni);
					goto out;
				}
			}
		}
		/* The VNI or the network appeared meanwhile: look again. */
	}
	if (!created && !joined) {
		zks_error_set(err, ZKS_ERR_CONFLICT, "network `%s` kept changing while being created; try again",
			      key);
		goto out;
	}
	if (ensure_kernel(n, &rec, err) < 0) {
		struct zks_error e2;

		/* Leave nothing half-made: this node's membership (and a network it made) goes. */
		zks_error_prefix(err, "network `%s`", key);
		pthread_mutex_unlock(&n->lock);
		if (zks_networks_delete(n, docker_id, &e2) < 0)
			log_warn("networks: cannot roll back `%s`: %s", key, e2.msg);
		return -1;
	}
	log_info("networks: %s `%s` (subnet %s, vni %u, mtu %d)", created ? "created" : "joined", key, s,
		 rec.vni, rec.mtu);
	wake_reconciler(n);
	r = 0;
out:
	pthread_mutex_unlock(&n->lock);
	return r;
}

/* Drop the network record if nothing refers to it any more; NOT_EMPTY means something does. */
static int delete_if_unused(struct zks_networks *n, const struct network_record *rec,
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

/* Whether this node still has a member of key other than docker_id. */
static bool other_local_member(struct zks_networks *n, const char *key, const char *docker_id)
{
	cleanup_free char *members = zks_path_network_members(key);
	char **names = NULL;
	size_t count = 0;
	bool found = false;
	size_t plen = strlen(n->member_prefix);

	if (store_cached_children(n->store, members, &names, &count) < 0)
		return false;
	for (size_t i = 0; i < count && !found; i++)
		found = !strncmp(names[i], n->member_prefix, plen) && strcmp(names[i] + plen, docker_id);
	zks_free_strv(names, count);
	return found;
}

int zks_networks_delete(struct zks_networks *n, const char *docker_id, struct zks_error *err)
{
	cleanup_free char *key = NULL;
	cleanup_free char *member = NULL;
	struct network_record rec;
	int r = -1;

	if (check_docker_id("network ID", docker_id, err) < 0)
		return -1;
	pthread_mutex_lock(&n->lock);
	if (find_key(n, docker_id, &key, err) < 0) {
		r = err->code == ZKS_ERR_NOT_FOUND ? 0 : -1; /* deleting twice is harmless */
		goto out;
	}
	member = zks_path_network_member(key, n->member_prefix, docker_id);
	if (load_network(n, key, true, &rec, err) < 0)
		goto out;
	/* The kernel first: if that fails the membership stays, and the engine's retry finds it. */
	if (!other_local_member(n, key, docker_id)) {
		char bridge[IF_NAMESIZE], vxlan[IF_NAMESIZE];

		link_names(n, rec.vni, bridge, vxlan);
		if (n->net->delete_network(n->net, bridge, vxlan, err) < 0)
			goto out;
	}
	if (store_remove(n->store, member, -1, err) < 0 && err->code != ZKS_ERR_NOT_FOUND)
		goto out;
	if (load_network(n, key, true, &rec, err) == 0 && delete_if_unused(n, &rec, err) < 0)
		goto out;
	log_info("networks: left `%s` on this node", key);
	r = 0;
out:
	pthread_mutex_unlock(&n->lock);
	return r;
}

/* ---- endpoints -------------------------------------------------------------------------------- */

struct endpoint_record {
	char node[128];
	char address[ZKS_CIDR_STR];
	uint8_t mac[6];
};

static int endpoint_parse(const char *data, struct endpoint_record *ep)
{
	cJSON *doc = cJSON_Parse(data);
	cJSON *node = cJSON_GetObjectItemCaseSensitive(doc, "node");
	cJSON *addr = cJSON_GetObjectItemCaseSensitive(doc, "address");
	cJSON *mac = cJSON_GetObjectItemCaseSensitive(doc, "mac");
	int r = -1;

	memset(ep, 0, sizeof(*ep));
	if (cJSON_IsString(node) && cJSON_IsString(addr) && cJSON_IsString(mac) &&
	    strlen(node->valuestring) < sizeof(ep->node) &&
	    strlen(addr->valuestring) < sizeof(ep->address) && parse_mac(mac->valuestring, ep->mac) == 0) {
		strcpy(ep->node, node->valuestring);
		strcpy(ep->address, addr->valuestring);
		r = 0;
	}
	cJSON_Delete(doc);
	return r;
}

static int load_endpoint(struct zks_networks *n, const char *key, const char *endpoint_id,
			 struct endpoint_record *ep, struct zks_error *err)
{
	cleanup_free char *path = zks_path_network_endpoint(key, endpoint_id);
	cleanup_free char *data = NULL;

	if (store_cached_get(n->store, path, &data, NULL, NULL) < 0 &&
	    store_get(n->store, path, &data, NULL, NULL, err) < 0) {
		if (err->code == ZKS_ERR_NOT_FOUND)
			zks_error_set(err, ZKS_ERR_NOT_FOUND, "no such endpoint %.12s in network `%s`",
				      endpoint_id, key);
		return -1;
	}
	if (endpoint_parse(data, ep) < 0)
		return zks_error_set(err, ZKS_ERR_INTERNAL, "the record of endpoint %.12s is corrupt",
				     endpoint_id);
	return 0;
}

int zks_networks_create_endpoint(struct zks_networks *n, const char *docker_id,
				 const char *endpoint_id, const char *address, const char *mac,
				 char **mac_out, struct zks_error *err)
{
	cleanup_free char *key = NULL;
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	struct network_record rec;
	uint8_t m[6];
	char ms[18];
	uint32_t ip;
	uint8_t len;
	cJSON *doc;

	*mac_out = NULL;
	if (check_docker_id("endpoint ID", endpoint_id, err) < 0 ||
	    find_key(n, docker_id, &key, err) < 0 || load_network(n, key, false, &rec, err) < 0)
		return -1;
	if (address == NULL || address[0] == '\0')
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "the endpoint has no IPv4 address (is the network's IPAM zkswarm?)");
	if (zks_ip_prefix_parse(address, &ip, &len, err) < 0)
		return -1;
	if (!zks_cidr_contains(&rec.subnet, ip) || len != rec.subnet.len)
		return zks_error_set(err, ZKS_ERR_INVALID, "address %s is not in the network's subnet",
				     address);
	if (mac != NULL && mac[0] != '\0') {
		if (parse_mac(mac, m) < 0)
			return zks_error_set(err, ZKS_ERR_INVALID, "`%.32s` is not a MAC address", mac);
	} else {
		/* Like Docker: locally administered, derived from the address, which is unique. */
		m[0] = 0x02, m[1] = 0x42, m[2] = (uint8_t)(ip >> 24), m[3] = (uint8_t)(ip >> 16);
		m[4] = (uint8_t)(ip >> 8), m[5] = (uint8_t)ip;
	}
	format_mac(m, ms);
	path = zks_path_network_endpoint(key, endpoint_id);
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "node", n->node_id);
	cJSON_AddStringToObject(doc, "address", address);
	cJSON_AddStringToObject(doc, "mac", ms);
	cJSON_AddStringToObject(doc, "network", docker_id);
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (store_create(n->store, path, text, strlen(text), ZKS_PERSISTENT, err) < 0) {
		struct endpoint_record ep;
		struct zks_error e2;

		if (err->code != ZKS_ERR_EXISTS)
			return -1;
		/* A replay of our own request is fine; anything else is a conflict. */
		if (load_endpoint(n, key, endpoint_id, &ep, &e2) < 0 || strcmp(ep.node, n->node_id) ||
		    strcmp(ep.address, address) || memcmp(ep.mac, m, sizeof(m)))
			return zks_error_set(err, ZKS_ERR_CONFLICT, "endpoint %.12s exists already",
					     endpoint_id);
	}
	if (mac == NULL || mac[0] == '\0')
		*mac_out = xstrdup(ms);
	wake_reconciler(n);
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
		struct endpoint_record ep;

		if (store_get(n->store, p, &data, NULL, NULL, NULL) == 0 && endpoint_parse(data, &ep) == 0 &&
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

	if (check_docker_id("endpoint ID", endpoint_id, err) < 0)
		return -1;
	veth_names(n, endpoint_id, host, peer);
	/* Engines send DeleteEndpoint without Leave after a crash: the veth goes here too. */
	if (n->net->delete_link(n->net, host, err) < 0)
		return -1;
	if (find_key(n, docker_id, &key, err) < 0) {
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
	{
		struct network_record rec;
		struct zks_error e2;

		if (load_network(n, key, true, &rec, &e2) == 0 && delete_if_unused(n, &rec, &e2) < 0)
			log_warn("networks: %s", e2.msg);
	}
	wake_reconciler(n);
	return 0;
}

int zks_networks_join(struct zks_networks *n, const char *docker_id, const char *endpoint_id,
		      char **ifname, struct zks_error *err)
{
	cleanup_free char *key = NULL;
	struct network_record rec;
	struct endpoint_record ep;
	char bridge[IF_NAMESIZE], vxlan[IF_NAMESIZE], host[IF_NAMESIZE], peer[IF_NAMESIZE];

	if (check_docker_id("endpoint ID", endpoint_id, err) < 0 || need_dataplane(n, err) < 0 ||
	    find_key(n, docker_id, &key, err) < 0 || load_network(n, key, false, &rec, err) < 0 ||
	    load_endpoint(n, key, endpoint_id, &ep, err) < 0)
		return -1;
	if (strcmp(ep.node, n->node_id) != 0)
		return zks_error_set(err, ZKS_ERR_CONFLICT, "endpoint %.12s belongs to node `%s`",
				     endpoint_id, ep.node);
	link_names(n, rec.vni, bridge, vxlan);
	veth_names(n, endpoint_id, host, peer);
	if (ensure_kernel(n, &rec, err) < 0 ||
	    n->net->create_veth(n->net, host, peer, bridge, ep.mac, rec.mtu, err) < 0) {
		zks_error_prefix(err, "join endpoint %.12s", endpoint_id);
		return -1;
	}
	*ifname = xstrdup(peer);
	wake_reconciler(n);
	return 0;
}

int zks_networks_leave(struct zks_networks *n, const char *docker_id, const char *endpoint_id,
		       struct zks_error *err)
{
	char host[IF_NAMESIZE], peer[IF_NAMESIZE];

	(void)docker_id;
	if (check_docker_id("endpoint ID", endpoint_id, err) < 0)
		return -1;
	veth_names(n, endpoint_id, host, peer);
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
	struct endpoint_record ep;
	char ms[18];

	if (check_docker_id("endpoint ID", endpoint_id, err) < 0 ||
	    find_key(n, docker_id, &key, err) < 0 || load_endpoint(n, key, endpoint_id, &ep, err) < 0)
		return -1;
	format_mac(ep.mac, ms);
	out->address = xstrdup(ep.address);
	out->mac = xstrdup(ms);
	out->node = xstrdup(ep.node);
	out->network = steal_pointer(&key);
	return 0;
}

/* ---- reclaiming a dead node's endpoints and memberships -------------------------------------- */

int zks_networks_reap_node(void *ctx, const char *node, struct zks_error *err)
{
	struct zks_networks *n = ctx;
	cleanup_free char *prefix = xasprintf("%s:", node);
	size_t plen = strlen(prefix), count = 0, gone = 0;
	char **keys = NULL;
	int r = 0;

	if (store_children(n->store, ZKS_NETWORKS, &keys, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count && r == 0; i++) {
		cleanup_free char *eps = zks_path_network_endpoints(keys[i]);
		cleanup_free char *members = zks_path_network_members(keys[i]);
		struct network_record rec;
		char **v = NULL;
		size_t nv = 0;

		if (store_children(n->store, eps, &v, &nv, err) == 0) {
			for (size_t k = 0; k < nv && r == 0; k++) {
				cleanup_free char *p = zks_path_network_endpoint(keys[i], v[k]);
				cleanup_free char *data = NULL;
				struct endpoint_record ep;
				struct zks_stat st;

				if (store_get(n->store, p, &data, NULL, &st, err) < 0 ||
				    endpoint_parse(data, &ep) < 0 || strcmp(ep.node, node) != 0)
					continue;
				if (store_remove(n->store, p, st.version, err) < 0 &&
				    err->code != ZKS_ERR_NOT_FOUND)
					r = -1;
				gone++;
			}
			zks_free_strv(v, nv);
		}
		if (r == 0 && store_children(n->store, members, &v, &nv, err) == 0) {
			for (size_t k = 0; k < nv && r == 0; k++) {
				cleanup_free char *p = NULL;

				if (strncmp(v[k], prefix, plen) != 0)
					continue;
				p = zks_path_network_member(keys[i], "", v[k]);
				if (store_remove(n->store, p, -1, err) < 0 && err->code != ZKS_ERR_NOT_FOUND)
					r = -1;
			}
			zks_free_strv(v, nv);
		}
		if (r == 0 && load_network(n, keys[i], true, &rec, err) == 0)
			r = delete_if_unused(n, &rec, err);
		else if (r == 0 && err->code != ZKS_ERR_NOT_FOUND)
			r = -1;
	}
	zks_free_strv(keys, count);
	if (r == 0)
		log_info("networks: reclaimed %zu endpoint(s) and the memberships of node `%s`", gone, node);
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
	cJSON *doc, *a;
	uint32_t ip;
	bool ok = false;

	if (store_cached_get(n->store, path, &data, NULL, NULL) < 0)
		return false;
	doc = cJSON_Parse(data);
	a = cJSON_GetObjectItemCaseSensitive(doc, "address");
	if (cJSON_IsString(a) && zks_ip_parse(a->valuestring, &ip, NULL) == 0) {
		out->s_addr = htonl(ip);
		ok = true;
	}
	cJSON_Delete(doc);
	return ok;
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

	link_names(n, rec->vni, bridge, vxlan);
	desire(d, bridge);
	desire(d, vxlan);
	if (ensure_kernel(n, rec, err) < 0)
		return -1;
	if (store_cached_children(n->store, endpoints, &ids, &count) < 0)
		count = 0;
	remote = xcalloc(count + 1, sizeof(*remote));
	for (size_t i = 0; i < count; i++) {
		cleanup_free char *p = zks_path_network_endpoint(rec->key, ids[i]);
		cleanup_free char *data = NULL;
		struct endpoint_record ep;
		uint32_t ip;
		uint8_t len;

		if (store_cached_get(n->store, p, &data, NULL, NULL) < 0 || endpoint_parse(data, &ep) < 0)
			continue;
		if (!strcmp(ep.node, n->node_id)) {
			char host[IF_NAMESIZE], peer[IF_NAMESIZE];

			veth_names(n, ids[i], host, peer);
			desire(d, host);
			continue;
		}
		/* A node that is gone has no tunnel to send to; its entries go. */
		if (zks_ip_prefix_parse(ep.address, &ip, &len, NULL) < 0 ||
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

int zks_networks_reconcile(struct zks_networks *n, struct zks_error *err)
{
	char prefixes[3][8];
	struct zks_store_status status;
	struct desired d = {0};
	char **keys = NULL;
	size_t count = 0, plen = strlen(n->member_prefix);
	int r = 0;

	if (n->tunnel.s_addr == 0)
		return 0;
	snprintf(prefixes[0], sizeof(prefixes[0]), "zk%sb", n->tag);
	snprintf(prefixes[1], sizeof(prefixes[1]), "zk%sv", n->tag);
	snprintf(prefixes[2], sizeof(prefixes[2]), "zk%sh", n->tag);
	store_status(n->store, &status);
	pthread_mutex_lock(&n->lock);
	if (store_cached_children(n->store, ZKS_NETWORKS, &keys, &count) < 0)
		count = 0;
	for (size_t i = 0; i < count; i++) {
		cleanup_free char *members = zks_path_network_members(keys[i]);
		struct network_record rec;
		char **names = NULL;
		size_t nm = 0;
		bool local = false;
		struct zks_error e;

		if (store_cached_children(n->store, members, &names, &nm) == 0)
			for (size_t k = 0; k < nm && !local; k++)
				local = !strncmp(names[k], n->member_prefix, plen);
		zks_free_strv(names, nm);
		if (!local || load_network(n, keys[i], false, &rec, &e) < 0)
			continue;
		if (reconcile_network(n, &rec, &d, &e) < 0) {
			log_warn("networks: cannot program `%s`: %s", keys[i], e.msg);
			*err = e;
			r = -1;
		}
	}
	/* Stale kernel state goes only when the mirror is known to be complete. */
	for (size_t p = 0; status.mirror_synced && p < ARRAY_SIZE(prefixes); p++) {
		char **links = NULL;
		size_t nl = 0;
		struct zks_error e;

		if (n->net->list_links(n->net, prefixes[p], &links, &nl, &e) < 0)
			continue;
		for (size_t k = 0; k < nl; k++) {
			if (desired_has(&d, links[k]))
				continue;
			log_info("networks: removing stale link `%s`", links[k]);
			if (n->net->delete_link(n->net, links[k], &e) < 0)
				log_warn("networks: %s", e.msg);
		}
		zks_free_strv(links, nl);
	}
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

		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += RECONCILE_PERIOD_MS / 1000;
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

/* ---- node registration --------------------------------------------------------------------------- */

static void on_session(void *ctx, int64_t session_id)
{
	struct zks_networks *n = ctx;
	cleanup_free char *path = zks_path_node(n->node_id);
	cleanup_free char *text = NULL;
	char addr[INET_ADDRSTRLEN] = "", at[32];
	struct zks_error err = {0};
	bool registered = false;
	cJSON *doc = cJSON_CreateObject();

	if (n->tunnel.s_addr)
		inet_ntop(AF_INET, &n->tunnel, addr, sizeof(addr));
	zks_rfc3339_now(at);
	cJSON_AddStringToObject(doc, "address", addr);
	cJSON_AddStringToObject(doc, "instance", n->instance);
	cJSON_AddStringToObject(doc, "started_at", at);
	cJSON_AddStringToObject(doc, "version", ZKSWARM_VERSION);
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	for (int attempt = 0; attempt < 4 && !registered; attempt++) {
		cleanup_free char *old = NULL;
		struct zks_stat st;

		if (store_create(n->store, path, text, strlen(text), ZKS_EPHEMERAL, &err) == 0) {
			registered = true;
			break;
		}
		if (err.code != ZKS_ERR_EXISTS || store_get(n->store, path, &old, NULL, &st, &err) < 0)
			continue;
		if (st.owner == session_id) {
			registered = true;
			break;
		}
		/* An earlier session of ours, or a second daemon with our NODE_ID: say which. */
		if (addr[0] && strstr(old, addr) == NULL)
			log_warn("nodes: NODE_ID `%s` was registered from another address (%s); every "
				 "node needs its own NODE_ID",
				 n->node_id, old);
		{
			struct zks_op ops[] = {
				{.type = ZKS_OP_DELETE, .path = path, .version = st.version},
				{.type = ZKS_OP_CREATE, .path = path, .data = text, .len = strlen(text),
				 .kind = ZKS_EPHEMERAL},
			};

			registered = store_multi(n->store, ops, ARRAY_SIZE(ops), &err) == 0;
		}
	}
	if (!registered)
		log_warn("nodes: cannot register `%s`: %s", n->node_id, err.msg);
	wake_reconciler(n);
}

struct zks_networks *zks_networks_new(struct zks_store *store, struct zks_net *net,
				      const struct zks_networks_config *cfg)
{
	struct zks_networks *n = xcalloc(1, sizeof(*n));

	n->store = store;
	n->net = net;
	n->node_id = xstrdup(cfg->node_id);
	n->member_prefix = xasprintf("%s:", cfg->node_id);
	n->tunnel = cfg->tunnel;
	n->underlay_ifindex = cfg->underlay_ifindex;
	n->underlay_mtu = cfg->underlay_mtu > 0 ? cfg->underlay_mtu : 1500;
	n->vxlan_port = cfg->vxlan_port ? cfg->vxlan_port : 4789;
	n->unavailable = cfg->unavailable ? xstrdup(cfg->unavailable) : NULL;
	zks_random_hex(n->instance);
	zks_networks_link_tag(cfg->zk_root ? cfg->zk_root : "/zkswarm", n->tag);
	pthread_mutex_init(&n->lock, NULL);
	pthread_mutex_init(&n->wake_lock, NULL);
	pthread_cond_init(&n->wake, NULL);
	if (pthread_create(&n->reconciler, NULL, reconciler_main, n) != 0)
		abort();
	store_on_change(store, wake_reconciler, n);
	store_on_session(store, on_session, n);
	return n;
}

void zks_networks_stop(struct zks_networks *n)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->wake_lock);
	if (n->stopping) {
		pthread_mutex_unlock(&n->wake_lock);
		return;
	}
	n->stopping = true;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->wake_lock);
	pthread_join(n->reconciler, NULL);
}

void zks_networks_free(struct zks_networks *n)
{
	if (n == NULL)
		return;
	zks_networks_stop(n);
	pthread_mutex_destroy(&n->lock);
	pthread_mutex_destroy(&n->wake_lock);
	pthread_cond_destroy(&n->wake);
	free(n->unavailable);
	free(n->member_prefix);
	free(n->node_id);
	free(n);
}
