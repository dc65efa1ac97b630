/*
 * networks.c - the network service: creating and deleting networks (with
 * their VXLAN identifiers) in the store, and the service's life.
 *
 * Requests write records and plumb only what the engine waits for (the
 * network's bridge at create, the endpoint's veth at Join, endpoints.c).
 * Everything that depends on other nodes (their endpoints' forwarding and
 * neighbour entries) and every clean-up of stale kernel state is the
 * reconciler's (reconcile.c): it is level-triggered, so a missed event or a
 * restart costs at most one pass.  While the mirror is not synced it only
 * adds, never deletes.  What the files share is in network_state.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network_state.h"
#include "zkswarm/cidr.h"
#include "zkswarm/ipam.h"
#include "zkswarm/log.h"
#include "zkswarm/names.h"
#include "zkswarm/records.h"
#include "zkswarm/txn.h"
#include "zkswarm/util.h"

#define ATTEMPTS 16

const char *zks_network_options_accepted(void)
{
	return "cluster-name (the same name on every engine makes one network), vni (4096-16777215), "
	       "mtu";
}

struct network_options {
	const char *cluster_name;
	uint32_t vni;
	int mtu;
};

/* -o vni=N or -o mtu=N, with their bounds. */
static int parse_number(const struct zks_networks *n, const char *k, const char *v,
			struct network_options *o, struct zks_error *err)
{
	char *end;
	unsigned long x = strtoul(v, &end, 10);

	if (end == v || *end != '\0' || v[0] == '-')
		return zks_error_set(err, ZKS_ERR_INVALID, "option %s=`%.32s` must be a number", k,
				     v);
	if (k[0] == 'v') {
		if (x < VNI_MIN || x > VNI_MAX)
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "option vni=%lu must be from %u to %u", x, VNI_MIN,
					     VNI_MAX);
		o->vni = (uint32_t)x;
		return 0;
	}
	if (x < 576 || x > (unsigned long)(n->underlay_mtu - VXLAN_OVERHEAD))
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "option mtu=%lu must be from 576 to %d (the underlay's "
				     "MTU less %d bytes of VXLAN headers)",
				     x, n->underlay_mtu - VXLAN_OVERHEAD, VXLAN_OVERHEAD);
	o->mtu = (int)x;
	return 0;
}

static int parse_options(const struct zks_networks *n, const struct zks_kv *kv, size_t count,
			 struct network_options *o, struct zks_error *err)
{
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < count; i++) {
		const char *k = kv[i].key, *v = kv[i].value;

		if (!strcmp(k, "cluster-name")) {
			if (zks_validate_name("cluster-name", v, 1, 64, err) < 0)
				return -1;
			o->cluster_name = v;
		} else if (!strcmp(k, "vni") || !strcmp(k, "mtu")) {
			if (parse_number(n, k, v, o, err) < 0)
				return -1;
		} else {
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "unknown option `%.64s`; accepted options: %s", k,
					     zks_network_options_accepted());
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

/* Start where the key hashes to; skip what the mirror shows taken. */
static uint32_t vni_pick(struct zks_networks *n, const char *key, int attempt)
{
	uint32_t vni = 0;

	for (uint32_t k = 0; k < 1024; k++) {
		cleanup_free char *p = NULL;

		vni = vni_candidate(key, (uint32_t)attempt * 1024 + k);
		p = zks_path_vni(vni);
		if (store_cached_get(n->store, p, NULL, NULL, NULL) < 0)
			break;
	}
	return vni;
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

/* The subnet must be the IPAM's, so that addresses are unique cluster-wide. */
static int check_subnet(struct zks_networks *n, const struct zks_cidr *subnet,
			struct zks_error *err)
{
	char s[ZKS_CIDR_STR], name[ZKS_PLUGIN_NAME_MAX];

	if (zks_ipam_subnet_claimed(n->store, subnet, err) == 0)
		return 0;
	zks_cidr_format(subnet, s);
	if (err->code == ZKS_ERR_NOT_FOUND)
		zks_error_set(err, ZKS_ERR_INVALID,
			      "subnet %s was not allocated by zkswarm's IPAM: create the network "
			      "with --ipam-driver %s (addresses must be unique cluster-wide)",
			      s, zks_plugin_name_get(n->plugin_name, name));
	return -1;
}

/* One zks_networks_create: the request, and the network it made or joined. */
struct network_change {
	struct zks_networks *n;
	const char *key, *member, *gateway;
	const struct zks_kv *options;
	size_t noptions;
	struct network_options o;
	struct zks_cidr subnet;
	struct network_record rec;
	bool joined;
};

/* The network exists: join it if it is the one asked for. */
static enum zks_txn_next network_join(struct network_change *c, struct zks_error *err)
{
	char have[ZKS_CIDR_STR], s[ZKS_CIDR_STR];

	zks_cidr_format(&c->rec.subnet, have);
	zks_cidr_format(&c->subnet, s);
	if (c->rec.subnet.addr != c->subnet.addr || c->rec.subnet.len != c->subnet.len) {
		zks_error_set(err, ZKS_ERR_CONFLICT,
			      "network `%s` already exists with subnet %s, not %s", c->key, have,
			      s);
		return ZKS_TXN_FAIL;
	}
	if ((c->o.vni && c->o.vni != c->rec.vni) || (c->o.mtu && c->o.mtu != c->rec.mtu)) {
		zks_error_set(err, ZKS_ERR_CONFLICT,
			      "network `%s` already exists with vni %u and mtu %d", c->key,
			      c->rec.vni, c->rec.mtu);
		return ZKS_TXN_FAIL;
	}
	/* Another engine (or a replay) joins the existing network. */
	if (store_create(c->n->store, c->member, "{}", 2, ZKS_PERSISTENT, err) == 0 ||
	    err->code == ZKS_ERR_EXISTS) {
		c->joined = true;
		return ZKS_TXN_DONE;
	}
	/* Deleted meanwhile: create it afresh. */
	return err->code == ZKS_ERR_NOT_FOUND ? ZKS_TXN_RETRY : ZKS_TXN_FAIL;
}

/* The VNI's claim, the network's record, its members (with ours) and endpoints parents. */
static void network_create_ops(struct network_change *c, struct zks_txn *t)
{
	struct zks_networks *n = c->n;
	char at[32], token[17];
	struct zks_record_network r = {
		.key = (char *)c->key,
		.subnet = c->subnet,
		.gateway = c->gateway && c->gateway[0] ? (char *)c->gateway : NULL,
		.vni = c->rec.vni,
		.mtu = c->rec.mtu,
		.options = c->options,
		.noptions = c->noptions,
		.created_by = n->node_id,
		.created_at = at,
		.token = token,
	};
	struct zks_record_vni v = {.network = (char *)c->key, .token = token};
	const char *text, *claim;

	zks_rfc3339_now(at);
	zks_random_hex(token);
	text = zks_txn_keep(t, zks_record_network_encode(&r));
	claim = zks_txn_keep(t, zks_record_vni_encode(&v));
	zks_txn_add(t, (struct zks_op){.type = ZKS_OP_CREATE,
				       .path = zks_txn_keep(t, zks_path_vni(r.vni)),
				       .data = claim,
				       .len = strlen(claim)});
	zks_txn_add(t, (struct zks_op){.type = ZKS_OP_CREATE,
				       .path = zks_txn_keep(t, zks_path_network(c->key)),
				       .data = text,
				       .len = strlen(text)});
	zks_txn_add(t, (struct zks_op){.type = ZKS_OP_CREATE,
				       .path = zks_txn_keep(t, zks_path_network_members(c->key))});
	zks_txn_add(t, (struct zks_op){.type = ZKS_OP_CREATE,
				       .path = c->member,
				       .data = "{}",
				       .len = 2});
	zks_txn_add(t,
		    (struct zks_op){.type = ZKS_OP_CREATE,
				    .path = zks_txn_keep(t, zks_path_network_endpoints(c->key))});
}

static enum zks_txn_next network_build(void *ctx, struct zks_txn *t, struct zks_error *err)
{
	struct network_change *c = ctx;
	struct zks_networks *n = c->n;

	if (network_load(n, c->key, true, &c->rec, err) == 0)
		return network_join(c, err);
	if (err->code != ZKS_ERR_NOT_FOUND)
		return ZKS_TXN_FAIL;
	snprintf(c->rec.key, sizeof(c->rec.key), "%s", c->key);
	c->rec.subnet = c->subnet;
	c->rec.mtu = c->o.mtu ? c->o.mtu : n->underlay_mtu - VXLAN_OVERHEAD;
	c->rec.vni = c->o.vni ? c->o.vni : vni_pick(n, c->key, t->attempt);
	network_create_ops(c, t);
	return ZKS_TXN_COMMIT;
}

/* Whether the claim of vni names another network than key (an unreadable one does not). */
static bool vni_taken_by_other(struct zks_networks *n, uint32_t vni, const char *key)
{
	cleanup_free char *path = zks_path_vni(vni);
	cleanup_free char *holder = NULL;
	struct zks_record_vni claim = {0};
	bool ours;

	if (store_get(n->store, path, &holder, NULL, NULL, NULL) < 0)
		return false;
	ours = zks_record_vni_decode(holder, &claim, NULL) == 0 && claim.network &&
	       strcmp(claim.network, key) == 0;
	zks_record_vni_clear(&claim);
	return !ours;
}

/* EXISTS: the VNI or the network appeared meanwhile, look again; unless the VNI asked for
 * is another network's. */
static enum zks_txn_next network_failed(void *ctx, struct zks_txn *t, struct zks_error *err)
{
	struct network_change *c = ctx;

	(void)t;
	if (err->code != ZKS_ERR_EXISTS)
		return ZKS_TXN_FAIL;
	if (c->o.vni && vni_taken_by_other(c->n, c->o.vni, c->key)) {
		zks_error_set(err, ZKS_ERR_CONFLICT, "vni %u is used by another network", c->o.vni);
		return ZKS_TXN_FAIL;
	}
	return ZKS_TXN_RETRY;
}

/* Validate the request; fills c's options and subnet. */
static int create_check(struct zks_networks *n, const char *docker_id, const char *pool,
			const char *gateway, struct network_change *c, struct zks_error *err)
{
	if (network_check_id("network ID", docker_id, err) < 0 ||
	    network_need_dataplane(n, err) < 0 ||
	    parse_options(n, c->options, c->noptions, &c->o, err) < 0)
		return -1;
	if (pool == NULL || pool[0] == '\0')
		return zks_error_set(err, ZKS_ERR_INVALID, "the network has no IPv4 subnet");
	if (zks_cidr_parse(pool, &c->subnet, err) < 0 ||
	    check_gateway(&c->subnet, gateway, err) < 0)
		return -1;
	return check_subnet(n, &c->subnet, err);
}

int zks_networks_create(struct zks_networks *n, const char *docker_id, const struct zks_kv *options,
			size_t noptions, const char *pool, const char *gateway,
			struct zks_error *err)
{
	static const struct zks_txn_spec spec = {.attempts = ATTEMPTS,
						 .build = network_build,
						 .failed = network_failed};
	cleanup_free char *member = NULL;
	struct network_change c = {.n = n,
				   .gateway = gateway,
				   .options = options,
				   .noptions = noptions};
	char s[ZKS_CIDR_STR];
	struct zks_error e2;

	if (create_check(n, docker_id, pool, gateway, &c, err) < 0)
		return -1;
	c.key = c.o.cluster_name ? c.o.cluster_name : docker_id;
	member = zks_path_network_member(c.key, n->member_prefix, docker_id);
	c.member = member;
	pthread_mutex_lock(&n->lock);
	if (zks_txn_run(n->store, &spec, &c, err,
			"network `%s` kept changing while being created; try again", c.key) < 0) {
		pthread_mutex_unlock(&n->lock);
		return -1;
	}
	if (network_ensure_kernel(n, &c.rec, err) < 0) {
		/* Leave nothing half-made: this node's membership (and a network it made) goes. */
		zks_error_prefix(err, "network `%s`", c.key);
		pthread_mutex_unlock(&n->lock);
		if (zks_networks_delete(n, docker_id, &e2) < 0)
			log_warn("networks: cannot roll back `%s`: %s", c.key, e2.msg);
		return -1;
	}
	zks_cidr_format(&c.subnet, s);
	log_info("networks: %s `%s` (subnet %s, vni %u, mtu %d)", c.joined ? "joined" : "created",
		 c.key, s, c.rec.vni, c.rec.mtu);
	network_wake(n);
	pthread_mutex_unlock(&n->lock);
	return 0;
}

/* Whether this node still has a member of key other than docker_id. */
static bool other_local_member(struct zks_networks *n, const char *key, const char *docker_id)
{
	cleanup_free char *members = zks_path_network_members(key);
	char **names = NULL;
	size_t count = 0;
	bool found = false;

	if (store_cached_children(n->store, members, &names, &count) < 0)
		return false;
	for (size_t i = 0; i < count && !found; i++) {
		const char *id = zks_member_id(names[i], n->node_id);

		found = id != NULL && strcmp(id, docker_id) != 0;
	}
	zks_free_strv(names, count);
	return found;
}

int zks_networks_delete(struct zks_networks *n, const char *docker_id, struct zks_error *err)
{
	cleanup_free char *key = NULL;
	cleanup_free char *member = NULL;
	struct network_record rec;
	int r = -1;

	if (network_check_id("network ID", docker_id, err) < 0)
		return -1;
	pthread_mutex_lock(&n->lock);
	if (network_find_key(n, docker_id, &key, err) < 0) {
		r = err->code == ZKS_ERR_NOT_FOUND ? 0 : -1; /* deleting twice is harmless */
		goto out;
	}
	member = zks_path_network_member(key, n->member_prefix, docker_id);
	if (network_load(n, key, true, &rec, err) < 0)
		goto out;
	/* The kernel first: if that fails the membership stays, and the engine's retry finds it. */
	if (!other_local_member(n, key, docker_id)) {
		char bridge[IF_NAMESIZE], vxlan[IF_NAMESIZE];

		network_link_names(n, rec.vni, bridge, vxlan);
		if (n->net->delete_network(n->net, bridge, vxlan, err) < 0)
			goto out;
	}
	if (store_remove(n->store, member, -1, err) < 0 && err->code != ZKS_ERR_NOT_FOUND)
		goto out;
	if (network_load(n, key, true, &rec, err) == 0 &&
	    network_delete_if_unused(n, &rec, err) < 0)
		goto out;
	log_info("networks: left `%s` on this node", key);
	r = 0;
out:
	pthread_mutex_unlock(&n->lock);
	return r;
}

/*
 * The reconciler's pass reads the networks (members, endpoints) and the nodes' tunnel
 * addresses, and lists the kernel's links: a volume's change must not wake it.
 */
static const char *const networks_read[] = {ZKS_NETWORKS, ZKS_NODES, NULL};

/* ---- the service's life ------------------------------------------------------------------------ */

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
	n->plugin_name = cfg->plugin_name;
	zks_random_hex(n->instance);
	zks_networks_link_tag(cfg->zk_root ? cfg->zk_root : "/zkswarm", n->tag);
	pthread_mutex_init(&n->lock, NULL);
	pthread_mutex_init(&n->wake_lock, NULL);
	pthread_cond_init(&n->wake, NULL);
	network_reconciler_start(n);
	store_on_change(store, networks_read, network_wake, n);
	store_on_session(store, network_register_node, n);
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
