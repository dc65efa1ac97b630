/*
 * ipam.c - pools and addresses, claimed in the store.
 *
 * Every claim is one create (an address) or one transaction (a subnet, whose
 * claim also sets /ipam/subnets at the version under which the overlap check
 * was made, so two overlapping claims cannot both pass).  Candidates come
 * from the mirror; the store decides.  Reference counts are kept per node,
 * so a node's release never undoes another node's request.
 *
 * Address records are grouped by /24 (addrs/<a.b.c.0-24>/<a.b.c.d>): every change
 * makes each node's mirror list its parent's children again, and a /16 pool's
 * 65,534 names in one list made that a megabyte per allocation.  A group is made
 * by the first claim in it and removed with its pool.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/ipam.h"
#include "zkswarm/log.h"
#include "zkswarm/records.h"
#include "zkswarm/txn.h"
#include "zkswarm/util.h"

#define CLAIM_ATTEMPTS 16
#define CURSORS 64

struct cursor {
	uint32_t subnet;
	uint8_t len;
	uint32_t next;
};

struct zks_ipam {
	struct zks_store *store;
	char *node_id;
	struct zks_cidr default_pool;
	uint8_t default_size;
	pthread_mutex_t lock; /* the cursors */
	struct cursor cursors[CURSORS];
	size_t ncursors;
};

struct zks_ipam *zks_ipam_new(struct zks_store *store, const struct zks_ipam_config *cfg)
{
	struct zks_ipam *ipam = xcalloc(1, sizeof(*ipam));

	ipam->store = store;
	ipam->node_id = xstrdup(cfg->node_id);
	ipam->default_pool = cfg->default_pool;
	ipam->default_size = cfg->default_size;
	pthread_mutex_init(&ipam->lock, NULL);
	return ipam;
}

void zks_ipam_free(struct zks_ipam *ipam)
{
	if (ipam == NULL)
		return;
	pthread_mutex_destroy(&ipam->lock);
	free(ipam->node_id);
	free(ipam);
}

/* ---- pool IDs: "a.b.c.d/len" or "a.b.c.d/len@e.f.g.h/len" (with a dynamic sub-range) ------ */

static int parse_pool_id(const char *id, struct zks_cidr *subnet, struct zks_cidr *range,
			 struct zks_error *err)
{
	char buf[2 * ZKS_CIDR_STR + 2];
	char *at;

	if (id == NULL || strlen(id) >= sizeof(buf))
		return zks_error_set(err, ZKS_ERR_INVALID, "`%.48s` is not a zkswarm pool ID",
				     id ? id : "");
	strcpy(buf, id);
	at = strchr(buf, '@');
	if (at)
		*at = '\0';
	if (zks_cidr_parse(buf, subnet, NULL) < 0 ||
	    (at && (zks_cidr_parse(at + 1, range, NULL) < 0 || !zks_cidr_within(range, subnet))))
		return zks_error_set(err, ZKS_ERR_INVALID, "`%.48s` is not a zkswarm pool ID", id);
	if (!at)
		*range = *subnet;
	return 0;
}

int zks_ipam_pool_subnet(const char *pool_id, struct zks_cidr *subnet, struct zks_error *err)
{
	struct zks_cidr range;

	return parse_pool_id(pool_id, subnet, &range, err);
}

static char *subnet_path(const struct zks_cidr *c)
{
	char name[ZKS_CIDR_STR];

	zks_cidr_to_name(c, name);
	return zks_path_subnet(name);
}

int zks_ipam_subnet_claimed(struct zks_store *store, const struct zks_cidr *subnet,
			    struct zks_error *err)
{
	cleanup_free char *path = subnet_path(subnet);

	return store_get(store, path, NULL, NULL, NULL, err);
}

static char *addrs_path(const struct zks_cidr *c)
{
	char name[ZKS_CIDR_STR];

	zks_cidr_to_name(c, name);
	return zks_path_subnet_addrs(name);
}

/* The group of address records that ip belongs to: its /24. */
static char *group_path(const struct zks_cidr *c, uint32_t ip)
{
	char name[ZKS_CIDR_STR], group[ZKS_CIDR_STR];
	struct zks_cidr g = {.addr = ip & 0xffffff00u, .len = 24};

	zks_cidr_to_name(c, name);
	zks_cidr_to_name(&g, group);
	return zks_path_subnet_addr_group(name, group);
}

static char *addr_path(const struct zks_cidr *c, uint32_t ip)
{
	cleanup_free char *group = group_path(c, ip);
	char a[ZKS_IP_STR];

	zks_ip_format(ip, a);
	return xasprintf("%s/%s", group, a);
}

/*
 * Make ip's group unless the mirror shows it (force: it was found missing).  Fails
 * with NOT_FOUND when the pool itself is gone.
 */
static int group_ensure(struct zks_ipam *ipam, const struct zks_cidr *c, uint32_t ip, bool force,
			struct zks_error *err)
{
	cleanup_free char *path = group_path(c, ip);
	char s[ZKS_CIDR_STR];

	if (!force && store_cached_get(ipam->store, path, NULL, NULL, NULL) == 0)
		return 0;
	if (store_create(ipam->store, path, NULL, 0, ZKS_PERSISTENT, err) == 0 ||
	    err->code == ZKS_ERR_EXISTS)
		return 0;
	zks_cidr_format(c, s);
	if (err->code == ZKS_ERR_NOT_FOUND)
		return zks_error_set(err, ZKS_ERR_NOT_FOUND, "pool %s was released", s);
	return -1;
}

/*
 * Every address record under addrs (a subnet's, path given), then every group, as paths
 * (free with zks_free_strv); the first nrecords are the records.  From ZooKeeper itself.
 */
static int addrs_list(struct zks_ipam *ipam, const char *addrs, char ***out, size_t *count,
		      size_t *nrecords, struct zks_error *err)
{
	char **groups = NULL, **v = NULL;
	size_t ngroups = 0, n = 0, cap = 0;

	*out = NULL;
	*count = *nrecords = 0;
	if (store_children(ipam->store, addrs, &groups, &ngroups, err) < 0)
		return err->code == ZKS_ERR_NOT_FOUND ? 0 : -1;
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < ngroups; i++) {
			cleanup_free char *gp = xasprintf("%s/%s", addrs, groups[i]);
			char **names = NULL;
			size_t nn = 0;

			if (pass == 0 && store_children(ipam->store, gp, &names, &nn, err) < 0 &&
			    err->code != ZKS_ERR_NOT_FOUND) {
				zks_free_strv(groups, ngroups);
				zks_free_strv(v, n);
				return -1;
			}
			for (size_t k = 0; k < (pass == 0 ? nn : 1); k++) {
				if (n + 1 >= cap) {
					cap = cap ? 2 * cap : 64;
					v = xrealloc(v, cap * sizeof(*v));
				}
				v[n++] = pass == 0 ? xasprintf("%s/%s", gp, names[k]) : xstrdup(gp);
			}
			zks_free_strv(names, nn);
		}
		if (pass == 0)
			*nrecords = n;
	}
	zks_free_strv(groups, ngroups);
	*out = v;
	*count = n;
	return 0;
}

/* ---- records (records.h has their JSON; data read from ZooKeeper is untrusted) ------------ */

/* A fresh token per write, so a read-back after a lost connection knows its own. */
static void new_token(char **token)
{
	char t[17];

	zks_random_hex(t);
	free(*token);
	*token = xstrdup(t);
}

static char *subnet_text(struct zks_record_subnet *rec)
{
	new_token(&rec->token);
	return zks_record_subnet_encode(rec);
}

static char *address_text(struct zks_record_address *rec)
{
	new_token(&rec->token);
	return zks_record_address_encode(rec);
}

/* A subnet's or an address's record, for what both do with their per-node counts. */
struct counted {
	bool subnet;
	struct zks_record_subnet s;
	struct zks_record_address a;
};

static int counted_decode(struct counted *c, bool subnet, const char *data)
{
	memset(c, 0, sizeof(*c));
	c->subnet = subnet;
	return subnet ? zks_record_subnet_decode(data, &c->s, NULL)
		      : zks_record_address_decode(data, &c->a, NULL);
}

static struct zks_record_counts *counted_counts(struct counted *c)
{
	return c->subnet ? &c->s.refs : &c->a.holders;
}

static char *counted_text(struct counted *c)
{
	return c->subnet ? subnet_text(&c->s) : address_text(&c->a);
}

static void counted_clear(struct counted *c)
{
	zks_record_subnet_clear(&c->s);
	zks_record_address_clear(&c->a);
}

/* ---- pools -------------------------------------------------------------------------------- */

/* Join a claimed subnet: count one more reference from this node. */
static int subnet_join(struct zks_ipam *ipam, const struct zks_cidr *c, struct zks_error *err)
{
	cleanup_free char *path = subnet_path(c);

	for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
		cleanup_free char *data = NULL;
		cleanup_free char *text = NULL;
		struct zks_record_subnet rec;
		struct zks_stat st;

		if (store_get(ipam->store, path, &data, NULL, &st, err) < 0)
			return -1;
		if (zks_record_subnet_decode(data, &rec, NULL) < 0)
			return zks_error_set(err, ZKS_ERR_INTERNAL,
					     "the record of subnet `%s` is corrupt", path);
		zks_record_counts_add(&rec.refs, ipam->node_id, 1);
		text = subnet_text(&rec);
		zks_record_subnet_clear(&rec);
		if (store_set(ipam->store, path, text, strlen(text), st.version, err) == 0)
			return 0;
		if (err->code != ZKS_ERR_CONFLICT)
			return -1;
	}
	return zks_error_set(err, ZKS_ERR_CONFLICT, "subnet `%s` kept changing; try again", path);
}

/* One subnet_claim: the subnet wanted, and the candidate of the current attempt. */
struct subnet_change {
	struct zks_ipam *ipam;
	const struct zks_cidr *want; /* NULL: the first free one of the default range */
	struct zks_cidr cand;
};

/* The subnets the children of /ipam/subnets name; a name that is none overlaps nothing. */
static struct zks_cidr *subnets_of(char *const *names, size_t n)
{
	struct zks_cidr *claimed = xcalloc(n + 1, sizeof(*claimed));

	for (size_t i = 0; i < n; i++)
		if (zks_cidr_from_name(names[i], &claimed[i]) < 0)
			claimed[i] = (struct zks_cidr){0, 33};
	return claimed;
}

/* CONFLICT: want overlaps the claimed subnet other; the message names its holder. */
static int overlap_error(struct zks_ipam *ipam, const struct zks_cidr *want,
			 const struct zks_cidr *other, struct zks_error *err)
{
	cleanup_free char *p = subnet_path(other);
	cleanup_free char *data = NULL;
	char a[ZKS_CIDR_STR], b[ZKS_CIDR_STR];
	struct zks_record_subnet rec;

	zks_cidr_format(want, a);
	zks_cidr_format(other, b);
	store_get(ipam->store, p, &data, NULL, NULL, NULL);
	zks_record_subnet_decode(data, &rec, NULL); /* else: no refs, "unknown" */
	zks_error_set(err, ZKS_ERR_CONFLICT,
		      "subnet %s overlaps %s, which is in use (by node `%s`)", a, b,
		      zks_record_counts_first(&rec.refs));
	zks_record_subnet_clear(&rec);
	return -1;
}

/* The subnet asked for: free (0), claimed already (1: join it), or overlapping (-1, err). */
static int want_check(struct zks_ipam *ipam, const struct zks_cidr *want,
		      const struct zks_cidr *claimed, size_t n, struct zks_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (claimed[i].len == 33 || !zks_cidr_overlap(&claimed[i], want))
			continue;
		if (claimed[i].addr == want->addr && claimed[i].len == want->len)
			return 1;
		return overlap_error(ipam, want, &claimed[i], err);
	}
	return 0;
}

/* The first subnet of the default range that overlaps none claimed. */
static int default_pick(struct zks_ipam *ipam, const struct zks_cidr *claimed, size_t n,
			struct zks_cidr *cand, struct zks_error *err)
{
	uint64_t count = (uint64_t)1 << (ipam->default_size - ipam->default_pool.len);
	char d[ZKS_CIDR_STR];

	for (uint64_t k = 0; k < count; k++) {
		bool taken = false;

		zks_cidr_subnet(&ipam->default_pool, ipam->default_size, k, cand);
		for (size_t i = 0; i < n && !taken; i++)
			taken = claimed[i].len != 33 && zks_cidr_overlap(&claimed[i], cand);
		if (!taken)
			return 0;
	}
	zks_cidr_format(&ipam->default_pool, d);
	return zks_error_set(err, ZKS_ERR_CONFLICT,
			     "no free /%u subnet left in the default range %s (DEFAULT_POOL)",
			     ipam->default_size, d);
}

/* Create the subnet's record and its addrs, bumping /ipam/subnets from the version read. */
static void subnet_create_ops(struct zks_ipam *ipam, const struct zks_cidr *cand, int32_t version,
			      struct zks_txn *t)
{
	char cidr[ZKS_CIDR_STR], at[32];
	struct zks_record_subnet rec = {0};
	const char *text, *bump;

	zks_cidr_format(cand, cidr);
	zks_rfc3339_now(at);
	rec.cidr = xstrdup(cidr);
	zks_record_counts_add(&rec.refs, ipam->node_id, 1);
	rec.created_by = xstrdup(ipam->node_id);
	rec.created_at = xstrdup(at);
	text = zks_txn_keep(t, subnet_text(&rec));
	zks_record_subnet_clear(&rec);
	bump = zks_txn_keep(t, xasprintf("{\"last_claim\":\"%s\",\"by\":\"%s\"}", cidr,
					 ipam->node_id));
	zks_txn_add(t, (struct zks_op){.type = ZKS_OP_SET,
				       .path = ZKS_SUBNETS,
				       .data = bump,
				       .len = strlen(bump),
				       .version = version});
	zks_txn_add(t, (struct zks_op){.type = ZKS_OP_CREATE,
				       .path = zks_txn_keep(t, subnet_path(cand)),
				       .data = text,
				       .len = strlen(text)});
	zks_txn_add(t, (struct zks_op){.type = ZKS_OP_CREATE,
				       .path = zks_txn_keep(t, addrs_path(cand))});
}

/* Pick the subnet under the version of /ipam/subnets read, so that overlaps lose the race. */
static enum zks_txn_next subnet_build(void *ctx, struct zks_txn *t, struct zks_error *err)
{
	struct subnet_change *c = ctx;
	struct zks_ipam *ipam = c->ipam;
	struct zks_stat pst;
	char **names = NULL;
	size_t n = 0;
	struct zks_cidr *claimed;
	int r;

	if (store_get(ipam->store, ZKS_SUBNETS, NULL, NULL, &pst, err) < 0 ||
	    store_children(ipam->store, ZKS_SUBNETS, &names, &n, err) < 0)
		return ZKS_TXN_FAIL;
	claimed = subnets_of(names, n);
	if (c->want != NULL) {
		c->cand = *c->want;
		r = want_check(ipam, c->want, claimed, n, err);
	} else {
		r = default_pick(ipam, claimed, n, &c->cand, err);
	}
	free(claimed);
	zks_free_strv(names, n);
	if (r < 0)
		return ZKS_TXN_FAIL;
	if (r == 0) {
		subnet_create_ops(ipam, &c->cand, pst.version, t);
		return ZKS_TXN_COMMIT;
	}
	if (subnet_join(ipam, &c->cand, err) == 0)
		return ZKS_TXN_DONE;
	/* Released meanwhile: claim it afresh. */
	return err->code == ZKS_ERR_NOT_FOUND ? ZKS_TXN_RETRY : ZKS_TXN_FAIL;
}

/*
 * Claim subnet want (the user named it) or the first free subnet of
 * the default range (want NULL).  0 and *got on success.
 */
static int subnet_claim(struct zks_ipam *ipam, const struct zks_cidr *want, struct zks_cidr *got,
			struct zks_error *err)
{
	/* Lost races (CONFLICT, EXISTS): another claim came first; look again. */
	static const struct zks_txn_spec spec = {.attempts = CLAIM_ATTEMPTS, .build = subnet_build};
	struct subnet_change c = {.ipam = ipam, .want = want};

	if (zks_txn_run(ipam->store, &spec, &c, err, "subnets kept changing under us; try again") <
	    0)
		return -1;
	*got = c.cand;
	return 0;
}

int zks_ipam_request_pool(struct zks_ipam *ipam, const char *pool, const char *subpool, bool v6,
			  char **pool_id, char **cidr, struct zks_error *err)
{
	struct zks_cidr want, range, got;
	char g[ZKS_CIDR_STR], r[ZKS_CIDR_STR];
	bool explicit_pool = pool != NULL && pool[0] != '\0';

	if (v6)
		return zks_error_set(
			err, ZKS_ERR_INVALID,
			"IPv6 pools are not supported by zkswarm; create the network without "
			"--ipv6");
	if (!explicit_pool && subpool != NULL && subpool[0] != '\0')
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "an IP range (--ip-range) needs a subnet (--subnet)");
	if (explicit_pool) {
		if (zks_cidr_parse(pool, &want, err) < 0 || zks_cidr_check_pool(&want, err) < 0)
			return -1;
	}
	if (subpool != NULL && subpool[0] != '\0') {
		if (zks_cidr_parse(subpool, &range, err) < 0)
			return -1;
		if (!zks_cidr_within(&range, &want))
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "IP range %s is not inside subnet %s", subpool, pool);
	}
	if (subnet_claim(ipam, explicit_pool ? &want : NULL, &got, err) < 0)
		return -1;
	zks_cidr_format(&got, g);
	if (subpool != NULL && subpool[0] != '\0') {
		zks_cidr_format(&range, r);
		*pool_id = xasprintf("%s@%s", g, r);
	} else {
		*pool_id = xstrdup(g);
	}
	*cidr = xstrdup(g);
	log_info("ipam: pool %s requested", *pool_id);
	return 0;
}

/*
 * Delete paths (records before their groups), then last and the subnet at path, in
 * transactions that each check the subnet is still at version: a node that joins the
 * pool meanwhile (and may claim addresses in it) makes this fail with CONFLICT.
 */
static int delete_under(struct zks_ipam *ipam, char *const *paths, size_t n, const char *path,
			int32_t version, const char *last, struct zks_error *err)
{
	enum { CHUNK = 48 };
	struct zks_op ops[CHUNK + 3];
	size_t done = 0;

	for (;;) {
		size_t k = 0;

		ops[k++] = (struct zks_op){.type = ZKS_OP_CHECK, .path = path, .version = version};
		while (done < n && k < CHUNK + 1)
			ops[k++] = (struct zks_op){.type = ZKS_OP_DELETE,
						   .path = paths[done++],
						   .version = -1};
		if (done == n) {
			ops[k++] =
				(struct zks_op){.type = ZKS_OP_DELETE, .path = last, .version = -1};
			ops[k++] = (struct zks_op){.type = ZKS_OP_DELETE,
						   .path = path,
						   .version = version};
		}
		if (store_multi(ipam->store, ops, k, err) < 0)
			return -1;
		if (done == n)
			return 0;
	}
}

int zks_ipam_release_pool(struct zks_ipam *ipam, const char *pool_id, struct zks_error *err)
{
	struct zks_cidr subnet, range;
	cleanup_free char *path = NULL;
	cleanup_free char *addrs = NULL;

	if (parse_pool_id(pool_id, &subnet, &range, err) < 0)
		return -1;
	path = subnet_path(&subnet);
	addrs = addrs_path(&subnet);
	for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
		cleanup_free char *data = NULL;
		cleanup_free char *text = NULL;
		struct zks_record_subnet rec;
		struct zks_stat st;
		long left;
		int r;

		if (store_get(ipam->store, path, &data, NULL, &st, err) < 0)
			return err->code == ZKS_ERR_NOT_FOUND ? 0 : -1; /* released already */
		if (zks_record_subnet_decode(data, &rec, NULL) < 0)
			return zks_error_set(err, ZKS_ERR_INTERNAL,
					     "the record of subnet `%s` is corrupt", path);
		if (zks_record_counts_get(&rec.refs, ipam->node_id) == 0) {
			zks_record_subnet_clear(&rec);
			return 0; /* not ours to release */
		}
		left = zks_record_counts_add(&rec.refs, ipam->node_id, -1);
		text = subnet_text(&rec);
		zks_record_subnet_clear(&rec);
		if (left > 0) {
			r = store_set(ipam->store, path, text, strlen(text), st.version, err);
		} else {
			/* The last reference: the subnet and any addresses left in it go. */
			char **paths = NULL;
			size_t n = 0, records = 0;

			if (addrs_list(ipam, addrs, &paths, &n, &records, err) < 0)
				return -1;
			r = delete_under(ipam, paths, n, path, st.version, addrs, err);
			zks_free_strv(paths, n);
			if (r == 0 && records > 0)
				log_info("ipam: pool %s released with %zu address(es) still in it",
					 pool_id, records);
		}
		if (r == 0)
			return 0;
		/* Changed meanwhile (joined, a new address, a group gone): look again. */
		if (err->code != ZKS_ERR_CONFLICT && err->code != ZKS_ERR_NOT_EMPTY &&
		    err->code != ZKS_ERR_NOT_FOUND)
			return -1;
	}
	return zks_error_set(err, ZKS_ERR_CONFLICT, "pool %s kept changing; try again", pool_id);
}

/* ---- addresses ---------------------------------------------------------------------------- */

static int load_subnet(struct zks_ipam *ipam, const struct zks_cidr *subnet,
		       struct zks_record_subnet *rec, struct zks_stat *st, struct zks_error *err)
{
	cleanup_free char *path = subnet_path(subnet);
	cleanup_free char *data = NULL;
	char s[ZKS_CIDR_STR];

	zks_cidr_format(subnet, s);
	/* The mirror's copy will do: the claims that follow are checked by ZooKeeper. */
	if (store_cached_get(ipam->store, path, &data, NULL, st) == 0 &&
	    zks_record_subnet_decode(data, rec, NULL) == 0)
		return 0;
	free(data);
	data = NULL;
	if (store_get(ipam->store, path, &data, NULL, st, err) < 0) {
		if (err->code == ZKS_ERR_NOT_FOUND)
			return zks_error_set(err, ZKS_ERR_NOT_FOUND, "pool %s is not allocated", s);
		return -1;
	}
	if (zks_record_subnet_decode(data, rec, NULL) < 0)
		return zks_error_set(err, ZKS_ERR_INTERNAL, "the record of subnet %s is corrupt",
				     s);
	return 0;
}

/*
 * Claim ip, or join its claim when it may be shared (a gateway asked for as a
 * gateway, an address a swarm manager handed out).  1 if taken by someone
 * else (err set), 0 on success, -1 on error.
 */
static int address_claim(struct zks_ipam *ipam, const struct zks_cidr *subnet, uint32_t ip,
			 bool gateway, bool serial, bool by_value, struct zks_error *err)
{
	cleanup_free char *path = addr_path(subnet, ip);
	char a[ZKS_IP_STR];

	zks_ip_format(ip, a);
	for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
		cleanup_free char *data = NULL;
		cleanup_free char *text = NULL;
		struct zks_record_address rec = {0};
		struct zks_stat st;
		bool readable, shared;

		/* A free-address search takes any record as taken: the create alone decides. */
		if (!by_value || store_get(ipam->store, path, &data, NULL, &st, err) < 0) {
			if (by_value && err->code != ZKS_ERR_NOT_FOUND)
				return -1;
			zks_record_counts_add(&rec.holders, ipam->node_id, 1);
			rec.kind = xstrdup(gateway ? "gateway" : "address");
			rec.swarm = serial;
			text = address_text(&rec);
			zks_record_address_clear(&rec);
			if (group_ensure(ipam, subnet, ip, attempt > 0, err) < 0)
				return -1;
			if (store_create(ipam->store, path, text, strlen(text), ZKS_PERSISTENT,
					 err) == 0)
				return 0;
			if (err->code == ZKS_ERR_EXISTS && !by_value) {
				zks_error_set(err, ZKS_ERR_CONFLICT, "address %s is already in use",
					      a);
				return 1;
			}
			if (err->code == ZKS_ERR_EXISTS || err->code == ZKS_ERR_NOT_FOUND)
				continue; /* taken meanwhile, or its group is to be made again */
			return -1;
		}
		readable = zks_record_address_decode(data, &rec, NULL) == 0;
		/* Joining is for an address asked for by value (the worker after its manager)
		 * or for the gateway; a free-address search treats any record as taken. */
		shared = readable && by_value &&
			 ((gateway && rec.kind && !strcmp(rec.kind, "gateway")) || rec.swarm);
		if (!shared) {
			zks_error_set(err, ZKS_ERR_CONFLICT,
				      "address %s is already in use (held by node `%s`)", a,
				      zks_record_counts_first(&rec.holders));
			zks_record_address_clear(&rec);
			return 1;
		}
		zks_record_counts_add(&rec.holders, ipam->node_id, 1);
		text = address_text(&rec);
		zks_record_address_clear(&rec);
		if (store_set(ipam->store, path, text, strlen(text), st.version, err) == 0)
			return 0;
		if (err->code != ZKS_ERR_CONFLICT && err->code != ZKS_ERR_NOT_FOUND)
			return -1;
	}
	return zks_error_set(err, ZKS_ERR_CONFLICT, "address %s kept changing; try again", a);
}

static struct cursor *cursor_of(struct zks_ipam *ipam, const struct zks_cidr *range)
{
	struct cursor *c;

	for (size_t i = 0; i < ipam->ncursors; i++)
		if (ipam->cursors[i].subnet == range->addr && ipam->cursors[i].len == range->len)
			return &ipam->cursors[i];
	if (ipam->ncursors < CURSORS)
		c = &ipam->cursors[ipam->ncursors++];
	else
		c = &ipam->cursors[range->addr % CURSORS]; /* forget one: a cursor is only a hint */
	c->subnet = range->addr;
	c->len = range->len;
	c->next = zks_cidr_first_host(range);
	return c;
}

/*
 * Any free address of range: start after the last one this node handed out
 * (serial, as swarm asks, and rarely a collision), skip what the mirror shows
 * taken, let the create decide.
 */
static int address_any(struct zks_ipam *ipam, const struct zks_cidr *subnet,
		       const struct zks_cidr *range, uint32_t gateway_ip, bool serial,
		       uint32_t *out, struct zks_error *err)
{
	/* A sub-range's own first and last addresses are hosts of the subnet like any other. */
	uint32_t first = range->addr, last = zks_cidr_last(range);
	uint64_t span, tried = 0;
	uint32_t ip;
	char s[ZKS_CIDR_STR];

	/* Network and broadcast of the subnet are never handed out, even inside a sub-range. */
	if (subnet->len < 31) {
		if (first == subnet->addr)
			first++;
		if (last == zks_cidr_last(subnet))
			last--;
	}
	span = (uint64_t)last - first + 1;
	for (; tried < span; tried++) {
		cleanup_free char *path = NULL;
		struct cursor *c;
		int r;

		/* Each candidate is taken from the cursor under the lock, so that concurrent
		 * requests of this node try different addresses instead of racing for one. */
		pthread_mutex_lock(&ipam->lock);
		c = cursor_of(ipam, range);
		ip = c->next < first || c->next > last ? first : c->next;
		c->next = ip == last ? first : ip + 1;
		pthread_mutex_unlock(&ipam->lock);
		if (ip == gateway_ip)
			continue;
		path = addr_path(subnet, ip);
		if (store_cached_get(ipam->store, path, NULL, NULL, NULL) == 0)
			continue;
		r = address_claim(ipam, subnet, ip, false, serial, false, err);
		if (r < 0)
			return -1;
		if (r == 0) {
			*out = ip;
			return 0;
		}
	}
	zks_cidr_format(range, s);
	return zks_error_set(err, ZKS_ERR_CONFLICT, "no free address left in %s", s);
}

/*
 * The subnet's one gateway, the same for every node that asks: the first
 * request records its choice in the subnet record and claims the address in
 * one transaction; the others find it there and join it.
 */
static int gateway_claim(struct zks_ipam *ipam, const struct zks_cidr *subnet, bool serial,
			 uint32_t *out, struct zks_error *err)
{
	cleanup_free char *path = subnet_path(subnet);

	for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
		cleanup_free char *data = NULL;
		struct zks_record_subnet doc;
		struct zks_stat st;
		uint32_t ip;

		if (store_get(ipam->store, path, &data, NULL, &st, err) < 0)
			return -1;
		if (zks_record_subnet_decode(data, &doc, NULL) < 0)
			return zks_error_set(err, ZKS_ERR_INTERNAL,
					     "the record of subnet `%s` is corrupt", path);
		if (doc.gateway && zks_ip_parse(doc.gateway, &ip, NULL) == 0) {
			zks_record_subnet_clear(&doc);
			if (address_claim(ipam, subnet, ip, true, serial, true, err) != 0)
				return -1;
			*out = ip;
			return 0;
		}
		for (ip = zks_cidr_first_host(subnet); ip <= zks_cidr_last_host(subnet); ip++) {
			cleanup_free char *apath = addr_path(subnet, ip);
			cleanup_free char *stext = NULL;
			cleanup_free char *atext = NULL;
			char a[ZKS_IP_STR];
			struct zks_record_address rec = {.swarm = serial};

			if (store_cached_get(ipam->store, apath, NULL, NULL, NULL) == 0)
				continue;
			if (group_ensure(ipam, subnet, ip, attempt > 0, err) < 0) {
				zks_record_subnet_clear(&doc);
				return -1;
			}
			zks_ip_format(ip, a);
			free(doc.gateway);
			doc.gateway = xstrdup(a);
			stext = subnet_text(&doc);
			zks_record_counts_add(&rec.holders, ipam->node_id, 1);
			rec.kind = xstrdup("gateway");
			atext = address_text(&rec);
			zks_record_address_clear(&rec);
			{
				struct zks_op ops[] = {
					{.type = ZKS_OP_SET,
					 .path = path,
					 .data = stext,
					 .len = strlen(stext),
					 .version = st.version},
					{.type = ZKS_OP_CREATE,
					 .path = apath,
					 .data = atext,
					 .len = strlen(atext)},
				};

				if (store_multi(ipam->store, ops, ARRAY_SIZE(ops), err) == 0) {
					zks_record_subnet_clear(&doc);
					*out = ip;
					return 0;
				}
			}
			if (err->code != ZKS_ERR_EXISTS)
				break; /* the subnet changed (another gateway?) or the group went: again */
		}
		zks_record_subnet_clear(&doc);
		if (ip > zks_cidr_last_host(subnet)) {
			char sn[ZKS_CIDR_STR];

			zks_cidr_format(subnet, sn);
			return zks_error_set(err, ZKS_ERR_CONFLICT,
					     "no free address for the gateway of %s", sn);
		}
		if (err->code != ZKS_ERR_CONFLICT && err->code != ZKS_ERR_EXISTS &&
		    err->code != ZKS_ERR_NOT_FOUND)
			return -1;
	}
	return zks_error_set(err, ZKS_ERR_CONFLICT, "the gateway of `%s` kept changing; try again",
			     path);
}

int zks_ipam_request_address(struct zks_ipam *ipam, const char *pool_id, const char *address,
			     bool gateway, bool serial, char **out, struct zks_error *err)
{
	struct zks_cidr subnet, range;
	struct zks_record_subnet doc;
	struct zks_stat st;
	uint32_t ip = 0, gw = 0;
	char a[ZKS_IP_STR], s[ZKS_CIDR_STR];
	int r;

	if (parse_pool_id(pool_id, &subnet, &range, err) < 0)
		return -1;
	zks_cidr_format(&subnet, s);
	if (address != NULL && address[0] != '\0') {
		if (zks_ip_parse(address, &ip, err) < 0)
			return -1;
		if (!zks_cidr_contains(&subnet, ip))
			return zks_error_set(err, ZKS_ERR_INVALID, "address %s is outside pool %s",
					     address, s);
		if (subnet.len < 31 && (ip == subnet.addr || ip == zks_cidr_last(&subnet)))
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "address %s is the network or broadcast address of %s",
					     address, s);
	}
	if (load_subnet(ipam, &subnet, &doc, &st, err) < 0)
		return -1;
	if (doc.gateway)
		zks_ip_parse(doc.gateway, &gw, NULL);
	zks_record_subnet_clear(&doc);

	if (ip != 0) {
		r = address_claim(ipam, &subnet, ip, gateway, serial, true, err);
		if (r != 0)
			return -1;
	} else if (gateway) {
		if (gateway_claim(ipam, &subnet, serial, &ip, err) < 0)
			return -1;
		gw = ip;
	} else {
		if (address_any(ipam, &subnet, &range, gw, serial, &ip, err) < 0)
			return -1;
	}
	if (gateway && ip != gw) {
		/* A gateway given by value (--gateway): remember it for the other nodes. */
		cleanup_free char *path = subnet_path(&subnet);

		for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
			cleanup_free char *data = NULL;
			cleanup_free char *text = NULL;

			if (store_get(ipam->store, path, &data, NULL, &st, err) < 0 ||
			    zks_record_subnet_decode(data, &doc, NULL) < 0)
				break;
			zks_ip_format(ip, a);
			free(doc.gateway);
			doc.gateway = xstrdup(a);
			text = subnet_text(&doc);
			zks_record_subnet_clear(&doc);
			if (store_set(ipam->store, path, text, strlen(text), st.version, err) ==
				    0 ||
			    err->code != ZKS_ERR_CONFLICT)
				break;
		}
	}
	zks_ip_format(ip, a);
	*out = xasprintf("%s/%u", a, subnet.len);
	log_debug("ipam: %s %s from %s", gateway ? "gateway" : "address", a, s);
	return 0;
}

/* ---- reclaiming a dead node's share --------------------------------------------------------- */

/*
 * Take node's count in the record at path (a subnet's refs, or an address's holders) down by
 * one (all: to zero);
 * delete the record when nobody is left (delete_also: its addresses' parent, deleted with a
 * subnet unless live nodes still hold addresses in it).  Absent, or not held by node: done.
 */
static int counter_release(struct zks_ipam *ipam, const char *path, bool subnet, const char *node,
			   bool all, const char *delete_also, struct zks_error *err)
{
	for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
		cleanup_free char *data = NULL;
		cleanup_free char *text = NULL;
		struct zks_stat st;
		struct counted doc;
		bool readable = false;
		long have, left;
		int r;

		/*
		 * First from the mirror (the version-checked write decides); only a record that
		 * the mirror shows us holding is acted on without asking ZooKeeper.
		 */
		if (attempt == 0 && store_cached_get(ipam->store, path, &data, NULL, &st) == 0) {
			readable = counted_decode(&doc, subnet, data) == 0 &&
				   zks_record_counts_get(counted_counts(&doc), node) != 0;
			if (!readable) {
				counted_clear(&doc);
				free(data);
				data = NULL;
			}
		}
		if (!readable) {
			if (store_get(ipam->store, path, &data, NULL, &st, err) < 0)
				return err->code == ZKS_ERR_NOT_FOUND ? 0 : -1;
			readable = counted_decode(&doc, subnet, data) == 0;
		}
		if (!readable) {
			log_warn("ipam: the record of %s is corrupt; removing it", path);
			counted_clear(&doc);
			return store_remove(ipam->store, path, st.version, err);
		}
		have = zks_record_counts_get(counted_counts(&doc), node);
		if (have == 0) {
			counted_clear(&doc);
			return 0;
		}
		left = zks_record_counts_add(counted_counts(&doc), node, all ? -have : -1);
		text = counted_text(&doc);
		counted_clear(&doc);
		if (left > 0) {
			r = store_set(ipam->store, path, text, strlen(text), st.version, err);
		} else if (delete_also) {
			struct zks_op ops[] = {
				{.type = ZKS_OP_DELETE, .path = delete_also, .version = -1},
				{.type = ZKS_OP_DELETE, .path = path, .version = st.version},
			};

			r = store_multi(ipam->store, ops, ARRAY_SIZE(ops), err);
			if (r < 0 && err->code == ZKS_ERR_NOT_EMPTY)
				/* Addresses still held by live nodes: keep the subnet, drop the dead one's refs. */
				r = store_set(ipam->store, path, text, strlen(text), st.version,
					      err);
		} else {
			r = store_remove(ipam->store, path, st.version, err);
		}
		if (r == 0 || err->code == ZKS_ERR_NOT_FOUND)
			return 0;
		if (err->code != ZKS_ERR_CONFLICT)
			return -1;
	}
	return zks_error_set(err, ZKS_ERR_CONFLICT, "`%s` kept changing; try again", path);
}

int zks_ipam_release_address(struct zks_ipam *ipam, const char *pool_id, const char *address,
			     struct zks_error *err)
{
	struct zks_cidr subnet, range;
	cleanup_free char *path = NULL;
	uint32_t ip;

	if (parse_pool_id(pool_id, &subnet, &range, err) < 0 || zks_ip_parse(address, &ip, err) < 0)
		return -1;
	path = addr_path(&subnet, ip);
	return counter_release(ipam, path, false, ipam->node_id, false, NULL, err);
}

int zks_ipam_reap_node(void *ctx, const char *node, struct zks_error *err)
{
	struct zks_ipam *ipam = ctx;
	char **subnets = NULL;
	size_t n = 0;
	int r = 0;

	if (store_children(ipam->store, ZKS_SUBNETS, &subnets, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && r == 0; i++) {
		cleanup_free char *sp = zks_path_subnet(subnets[i]);
		cleanup_free char *ap = zks_path_subnet_addrs(subnets[i]);
		char **paths = NULL;
		size_t np = 0, records = 0;

		if (addrs_list(ipam, ap, &paths, &np, &records, err) == 0) {
			for (size_t k = 0; k < records && r == 0; k++)
				r = counter_release(ipam, paths[k], false, node, true, NULL, err);
			/* Groups left empty go, so that the subnet can go with its last reference. */
			for (size_t k = records; k < np && r == 0; k++)
				if (store_remove(ipam->store, paths[k], -1, err) < 0 &&
				    err->code != ZKS_ERR_NOT_EMPTY &&
				    err->code != ZKS_ERR_NOT_FOUND)
					r = -1;
			zks_free_strv(paths, np);
		}
		if (r == 0)
			r = counter_release(ipam, sp, true, node, true, ap, err);
	}
	zks_free_strv(subnets, n);
	if (r == 0)
		log_info("ipam: reclaimed the pools and addresses node `%s` held", node);
	return r;
}
