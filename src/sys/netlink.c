/*
 * netlink.c - bridges, VXLAN devices, veth pairs and the VXLAN device's
 * forwarding and neighbour entries, for real, through libnl-route-3.
 *
 * Every call opens its own rtnetlink socket: a libnl socket is not safe to
 * share between threads, and the daemon calls in from several.
 *
 * Two requests are built by hand with libnl's message API instead of
 * libnl-route objects:
 *  - creating the VXLAN device: libnl 3.7 sends IFLA_VXLAN_PORT as 4 bytes
 *    where the kernel reads 2 (right on little-endian only, and the kernel
 *    logs "attribute type 15 has an invalid length" each time);
 *  - FDB and neighbour entries: rtnl_neigh cannot carry the VXLAN remote's
 *    port/VNI/ifindex, which deleting one exact remote needs, and its
 *    AF_BRIDGE handling differs between libnl versions.
 *
 * Requests are sent by request() rather than rtnl_link_add() and friends so
 * that an error carries the kernel's own explanation (extended ACK), which
 * libnl 3.7 drops.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "zkswarm/log.h"
#include "zkswarm/netlink.h"
#include "zkswarm/util.h"

#define VXLAN_DEFAULT_PORT 4789
#define VNI_MAX 0xffffffu
#define VXLAN_HEADROOM 50 /* outer Ethernet, IPv4, UDP and VXLAN headers */

/* ---- small helpers ------------------------------------------------------ */

/* libnl allocations fail only on OOM; treat them like xmalloc does. */
static void *must(void *p)
{
	static const char msg[] = "zkswarmd: out of memory\n";

	if (p == NULL) {
		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
			/* Aborting anyway. */
		}
		abort();
	}
	return p;
}

static void sock_freep(struct nl_sock **sk)
{
	if (*sk != NULL)
		nl_socket_free(*sk);
}

static void link_putp(struct rtnl_link **link)
{
	if (*link != NULL)
		rtnl_link_put(*link);
}

static void cache_freep(struct nl_cache **cache)
{
	if (*cache != NULL)
		nl_cache_free(*cache);
}

static void addr_putp(struct nl_addr **addr)
{
	if (*addr != NULL)
		nl_addr_put(*addr);
}

static void rtaddr_putp(struct rtnl_addr **a)
{
	if (*a != NULL)
		rtnl_addr_put(*a);
}

static void msg_freep(struct nl_msg **msg)
{
	if (*msg != NULL)
		nlmsg_free(*msg);
}

#define cleanup_sock __attribute__((cleanup(sock_freep)))
#define cleanup_link __attribute__((cleanup(link_putp)))
#define cleanup_cache __attribute__((cleanup(cache_freep)))
#define cleanup_addr __attribute__((cleanup(addr_putp)))
#define cleanup_msg __attribute__((cleanup(msg_freep)))
#define cleanup_rtaddr __attribute__((cleanup(rtaddr_putp)))

/* The kernel's explanation of this thread's last failed request, if it gave one. */
static __thread char kernel_says[160];

static struct nl_sock *open_socket(struct zks_error *err)
{
	struct nl_sock *sk = must(nl_socket_alloc());
	int rc = nl_connect(sk, NETLINK_ROUTE), one = 1;

	kernel_says[0] = '\0';
	if (rc < 0) {
		nl_socket_free(sk);
		zks_error_set(err, ZKS_ERR_SYSTEM, "connect to rtnetlink: %s", nl_geterror(rc));
		return NULL;
	}
	/* Error messages from the kernel, without a copy of our request (capped). */
	if (setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
		log_debug("netlink: no extended ACKs: %s", strerror(errno));
	return sk;
}

/* libnl's words for rc, and the kernel's when it sent some (consumed). */
static const char *cause(int rc)
{
	static __thread char buf[240];

	if (kernel_says[0] == '\0')
		return nl_geterror(rc);
	snprintf(buf, sizeof(buf), "%s (%s)", nl_geterror(rc), kernel_says);
	kernel_says[0] = '\0';
	return buf;
}

static int ack_stop(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_STOP;
}

static int ack_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	/* libnl passes the NLMSG_ERROR payload: its header sits right before it. */
	const struct nlmsghdr *hdr = (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
	const size_t head = NLMSG_HDRLEN + sizeof(*e);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	(void)who;
	(void)arg;
	if ((hdr->nlmsg_flags & NLM_F_ACK_TLVS) && (hdr->nlmsg_flags & NLM_F_CAPPED) &&
	    hdr->nlmsg_len > head &&
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + sizeof(*e)),
		      (int)(hdr->nlmsg_len - head), NULL) == 0 &&
	    tb[NLMSGERR_ATTR_MSG] != NULL) {
		const char *text = nla_data(tb[NLMSGERR_ATTR_MSG]);

		snprintf(kernel_says, sizeof(kernel_says), "%.*s",
			 (int)strnlen(text, (size_t)nla_len(tb[NLMSGERR_ATTR_MSG])), text);
	}
	return NL_STOP; /* nl_recvmsgs() returns the error */
}

/* Send one request and wait for its ACK; the message stays the caller's. */
static int request(struct nl_sock *sk, struct nl_msg *msg)
{
	struct nl_cb *orig, *cb;
	int rc;

	kernel_says[0] = '\0';
	rc = nl_send_auto(sk, msg);
	if (rc < 0)
		return rc;
	orig = nl_socket_get_cb(sk); /* a new reference */
	cb = must(nl_cb_clone(orig));
	nl_cb_put(orig);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_stop, NULL);
	nl_cb_err(cb, NL_CB_CUSTOM, ack_error, NULL);
	rc = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	return rc;
}

static int link_add(struct nl_sock *sk, struct rtnl_link *link)
{
	cleanup_msg struct nl_msg *msg = NULL;
	int rc = rtnl_link_build_add_request(link, NLM_F_CREATE | NLM_F_EXCL, &msg);

	return rc < 0 ? rc : request(sk, msg);
}

static int link_change(struct nl_sock *sk, struct rtnl_link *link, struct rtnl_link *change)
{
	cleanup_msg struct nl_msg *msg = NULL;
	int rc = rtnl_link_build_change_request(link, change, 0, &msg);

	return rc < 0 ? rc : request(sk, msg);
}

static int link_delete(struct nl_sock *sk, struct rtnl_link *link)
{
	cleanup_msg struct nl_msg *msg = NULL;
	int rc = rtnl_link_build_delete_request(link, &msg);

	return rc < 0 ? rc : request(sk, msg);
}

/* libnl 3.7 says NLE_NODEV for a missing link; older ones NLE_OBJ_NOTFOUND. */
static bool is_missing(int rc)
{
	return rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND;
}

/* rtnl_link_set_name() truncates silently: refuse what the kernel would not take. */
static int check_ifname(const char *what, const char *name, struct zks_error *err)
{
	if (name == NULL || name[0] == '\0')
		return zks_error_set(err, ZKS_ERR_INVALID, "%s: empty interface name", what);
	if (strlen(name) >= IF_NAMESIZE)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "%s: interface name `%s` is longer than %d bytes", what, name,
				     IF_NAMESIZE - 1);
	return 0;
}

static int check_mtu(const char *what, int mtu, struct zks_error *err)
{
	if (mtu < 68 || mtu > 65535)
		return zks_error_set(err, ZKS_ERR_INVALID, "%s: MTU %d is out of range (68-65535)",
				     what, mtu);
	return 0;
}

static bool is_type(struct rtnl_link *link, const char *type)
{
	const char *t = rtnl_link_get_type(link);

	return t != NULL && strcmp(t, type) == 0;
}

static bool mac_is_unicast(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return (mac[0] & 1) == 0 && memcmp(mac, zero, 6) != 0;
}

static const char *mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

/*
 * Make an existing link up, with this MTU and (when master > 0) a port of
 * master.  Sends a change only when something differs.
 */
static int link_settle(struct nl_sock *sk, struct rtnl_link *link, int mtu, int master)
{
	cleanup_link struct rtnl_link *change = must(rtnl_link_alloc());
	bool needed = false;

	if (rtnl_link_get_mtu(link) != (unsigned)mtu) {
		rtnl_link_set_mtu(change, (unsigned)mtu);
		needed = true;
	}
	if (master > 0 && rtnl_link_get_master(link) != master) {
		rtnl_link_set_master(change, master);
		needed = true;
	}
	if (!(rtnl_link_get_flags(link) & IFF_UP)) {
		rtnl_link_set_flags(change, IFF_UP);
		needed = true;
	}
	if (!needed)
		return 0;
	log_debug("netlink: updating link `%s`", rtnl_link_get_name(link));
	return link_change(sk, link, change);
}

static bool link_present(struct nl_sock *sk, const char *name)
{
	cleanup_link struct rtnl_link *link = NULL;

	return rtnl_link_get_kernel(sk, 0, name, &link) == 0;
}

static int delete_by_name(struct nl_sock *sk, const char *name)
{
	cleanup_link struct rtnl_link *link = must(rtnl_link_alloc());
	int rc;

	rtnl_link_set_name(link, name);
	rc = link_delete(sk, link);
	return is_missing(rc) ? 0 : rc;
}

/* ---- ensure_network ----------------------------------------------------- */

static int create_bridge(struct nl_sock *sk, const char *name, int mtu)
{
	cleanup_link struct rtnl_link *link = must(rtnl_link_alloc());
	int rc = rtnl_link_set_type(link, "bridge");

	if (rc < 0)
		return rc;
	rtnl_link_set_name(link, name);
	rtnl_link_set_mtu(link, (unsigned)mtu);
	rtnl_link_set_flags(link, IFF_UP);
	return link_add(sk, link);
}

static int ensure_bridge(struct nl_sock *sk, const char *name, int mtu, int *ifindex,
			 struct zks_error *err)
{
	/* Bounded: a create that races with another creator looks again once. */
	for (int attempt = 0; attempt < 3; attempt++) {
		cleanup_link struct rtnl_link *link = NULL;
		int rc = rtnl_link_get_kernel(sk, 0, name, &link);

		if (rc == 0) {
			if (!is_type(link, "bridge"))
				return zks_error_set(err, ZKS_ERR_CONFLICT,
						     "link `%s` exists and is not a bridge", name);
			rc = link_settle(sk, link, mtu, 0);
			if (rc < 0)
				return zks_error_set(err, ZKS_ERR_SYSTEM,
						     "bring up bridge `%s` with MTU %d: %s", name,
						     mtu, cause(rc));
			*ifindex = rtnl_link_get_ifindex(link);
			return 0;
		}
		if (!is_missing(rc))
			return zks_error_set(err, ZKS_ERR_SYSTEM, "look up bridge `%s`: %s", name,
					     cause(rc));
		log_debug("netlink: creating bridge `%s`", name);
		rc = create_bridge(sk, name, mtu);
		if (rc < 0 && rc != -NLE_EXIST)
			return zks_error_set(err, ZKS_ERR_SYSTEM, "create bridge `%s`: %s", name,
					     cause(rc));
		/* Created (or someone else did): look it up for its index. */
	}
	return zks_error_set(err, ZKS_ERR_CONFLICT, "bridge `%s` keeps disappearing", name);
}

/* The bridge's MAC as spec asks (none asked: left alone). */
static int ensure_bridge_mac(struct nl_sock *sk, const struct zks_net_spec *spec,
			     struct zks_error *err)
{
	static const uint8_t zero[6];
	cleanup_link struct rtnl_link *link = NULL;
	cleanup_link struct rtnl_link *change = NULL;
	cleanup_addr struct nl_addr *want = NULL;
	struct nl_addr *have;
	char buf[18];
	int rc;

	if (memcmp(spec->bridge_mac, zero, 6) == 0)
		return 0;
	if (!mac_is_unicast(spec->bridge_mac))
		return zks_error_set(err, ZKS_ERR_INVALID, "bridge MAC %s is not unicast",
				     mac_str(spec->bridge_mac, buf));
	rc = rtnl_link_get_kernel(sk, 0, spec->bridge, &link);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "look up bridge `%s`: %s", spec->bridge,
				     cause(rc));
	have = rtnl_link_get_addr(link);
	if (have != NULL && nl_addr_get_len(have) == 6 &&
	    memcmp(nl_addr_get_binary_addr(have), spec->bridge_mac, 6) == 0)
		return 0;
	want = must(nl_addr_build(AF_LLC, spec->bridge_mac, 6));
	change = must(rtnl_link_alloc());
	rtnl_link_set_addr(change, want);
	log_debug("netlink: bridge `%s` gets MAC %s", spec->bridge, mac_str(spec->bridge_mac, buf));
	rc = link_change(sk, link, change);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "set MAC %s on bridge `%s`: %s",
				     mac_str(spec->bridge_mac, buf), spec->bridge, cause(rc));
	return 0;
}

/* Whether a is spec's gateway (address and prefix length). */
static bool is_gateway(struct rtnl_addr *a, const struct zks_net_spec *spec)
{
	struct nl_addr *local = rtnl_addr_get_local(a);

	return spec->gateway_len > 0 && local != NULL && nl_addr_get_len(local) == 4 &&
	       memcmp(nl_addr_get_binary_addr(local), &spec->gateway, 4) == 0 &&
	       rtnl_addr_get_prefixlen(a) == spec->gateway_len;
}

static int add_gateway(struct nl_sock *sk, const struct zks_net_spec *spec, int ifindex,
		       struct zks_error *err)
{
	cleanup_rtaddr struct rtnl_addr *a = must(rtnl_addr_alloc());
	cleanup_addr struct nl_addr *local = must(nl_addr_build(AF_INET, &spec->gateway, 4));
	char ip[INET_ADDRSTRLEN];
	int rc;

	nl_addr_set_prefixlen(local, spec->gateway_len);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, AF_INET);
	rtnl_addr_set_local(a, local);
	rtnl_addr_set_prefixlen(a, spec->gateway_len);
	inet_ntop(AF_INET, &spec->gateway, ip, sizeof(ip));
	log_debug("netlink: bridge `%s` gets %s/%u", spec->bridge, ip, spec->gateway_len);
	rc = rtnl_addr_add(sk, a, 0);
	if (rc < 0 && rc != -NLE_EXIST)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "add %s/%u to bridge `%s`: %s", ip,
				     spec->gateway_len, spec->bridge, cause(rc));
	return 0;
}

/* Exactly spec's gateway as the bridge's IPv4 addresses: the others go, it is added. */
static int ensure_bridge_address(struct nl_sock *sk, const struct zks_net_spec *spec, int ifindex,
				 struct zks_error *err)
{
	cleanup_cache struct nl_cache *addrs = NULL;
	bool have = false;
	int rc = rtnl_addr_alloc_cache(sk, &addrs);

	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "list addresses: %s", cause(rc));
	for (struct nl_object *o = nl_cache_get_first(addrs); o != NULL; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;

		if (rtnl_addr_get_family(a) != AF_INET || rtnl_addr_get_ifindex(a) != ifindex)
			continue;
		if (is_gateway(a, spec)) {
			have = true;
			continue;
		}
		log_debug("netlink: removing an old address from bridge `%s`", spec->bridge);
		rc = rtnl_addr_delete(sk, a, 0);
		if (rc < 0 && !is_missing(rc) && rc != -NLE_NOADDR)
			return zks_error_set(err, ZKS_ERR_SYSTEM,
					     "remove an old address from bridge `%s`: %s",
					     spec->bridge, cause(rc));
	}
	return have || spec->gateway_len == 0 ? 0 : add_gateway(sk, spec, ifindex, err);
}

static uint16_t spec_port(const struct zks_net_spec *spec)
{
	return spec->port != 0 ? spec->port : VXLAN_DEFAULT_PORT;
}

/* Whether an existing VXLAN device is the one spec asks for; if not, why. */
static bool vxlan_matches(struct rtnl_link *link, const struct zks_net_spec *spec, char *why,
			  size_t len)
{
	uint32_t vni = 0, port = 0, lower = 0;
	struct in_addr local = {0};
	cleanup_addr struct nl_addr *addr = NULL;

	if (rtnl_link_vxlan_get_id(link, &vni) < 0 || vni != spec->vni) {
		snprintf(why, len, "VNI %u, want %u", vni, spec->vni);
		return false;
	}
	if (rtnl_link_vxlan_get_local(link, &addr) == 0 && addr != NULL &&
	    nl_addr_get_family(addr) == AF_INET && nl_addr_get_len(addr) == 4)
		memcpy(&local, nl_addr_get_binary_addr(addr), 4);
	else if (addr != NULL)
		local.s_addr = INADDR_NONE; /* IPv6 local: never ours */
	if (local.s_addr != spec->local.s_addr) {
		char have[INET_ADDRSTRLEN], want[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &local, have, sizeof(have));
		inet_ntop(AF_INET, &spec->local, want, sizeof(want));
		snprintf(why, len, "local %s, want %s", have, want);
		return false;
	}
	if (rtnl_link_vxlan_get_port(link, &port) < 0 || port != spec_port(spec)) {
		snprintf(why, len, "port %u, want %u", port, spec_port(spec));
		return false;
	}
	if (rtnl_link_vxlan_get_link(link, &lower) < 0)
		lower = 0;
	if (lower != (uint32_t)(spec->underlay_ifindex > 0 ? spec->underlay_ifindex : 0)) {
		snprintf(why, len, "underlay ifindex %u, want %d", lower, spec->underlay_ifindex);
		return false;
	}
	/* The kernel refuses to change proxy and miss flags on a live device. */
	if (rtnl_link_vxlan_get_learning(link) != 0 || rtnl_link_vxlan_get_proxy(link) != 1 ||
	    rtnl_link_vxlan_get_l2miss(link) > 0 || rtnl_link_vxlan_get_l3miss(link) > 0) {
		snprintf(why, len, "learning/proxy/l2miss/l3miss flags differ");
		return false;
	}
	return true;
}

/* One RTM_NEWLINK: created up, with its MTU, on the bridge, or not at all. */
static int create_vxlan(struct nl_sock *sk, const struct zks_net_spec *spec, int bridge_index)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
	cleanup_msg struct nl_msg *msg =
		must(nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL));
	struct nlattr *info, *data;

	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, spec->vxlan) < 0 ||
	    nla_put_u32(msg, IFLA_MTU, (uint32_t)spec->mtu) < 0 ||
	    nla_put_u32(msg, IFLA_MASTER, (uint32_t)bridge_index) < 0 ||
	    (info = nla_nest_start(msg, IFLA_LINKINFO)) == NULL ||
	    nla_put_string(msg, IFLA_INFO_KIND, "vxlan") < 0 ||
	    (data = nla_nest_start(msg, IFLA_INFO_DATA)) == NULL ||
	    nla_put_u32(msg, IFLA_VXLAN_ID, spec->vni) < 0 ||
	    (spec->local.s_addr != 0 &&
	     nla_put(msg, IFLA_VXLAN_LOCAL, sizeof(spec->local), &spec->local) < 0) ||
	    (spec->underlay_ifindex > 0 &&
	     nla_put_u32(msg, IFLA_VXLAN_LINK, (uint32_t)spec->underlay_ifindex) < 0) ||
	    nla_put_u16(msg, IFLA_VXLAN_PORT, htons(spec_port(spec))) < 0 ||
	    nla_put_u8(msg, IFLA_VXLAN_LEARNING, 0) < 0 ||
	    nla_put_u8(msg, IFLA_VXLAN_PROXY, 1) < 0 || nla_put_u8(msg, IFLA_VXLAN_L2MISS, 0) < 0 ||
	    nla_put_u8(msg, IFLA_VXLAN_L3MISS, 0) < 0)
		return -NLE_MSGSIZE;
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	return request(sk, msg);
}

static int ensure_vxlan(struct nl_sock *sk, const struct zks_net_spec *spec, int bridge_index,
			struct zks_error *err)
{
	const char *name = spec->vxlan;

	for (int attempt = 0; attempt < 3; attempt++) {
		cleanup_link struct rtnl_link *link = NULL;
		char why[96];
		int rc = rtnl_link_get_kernel(sk, 0, name, &link);

		if (rc == 0) {
			if (!rtnl_link_is_vxlan(link))
				return zks_error_set(err, ZKS_ERR_CONFLICT,
						     "link `%s` exists and is not a VXLAN device",
						     name);
			if (vxlan_matches(link, spec, why, sizeof(why))) {
				rc = link_settle(sk, link, spec->mtu, bridge_index);
				if (rc < 0)
					return zks_error_set(err, ZKS_ERR_SYSTEM,
							     "bring up VXLAN device `%s` on bridge "
							     "`%s` with MTU %d: %s",
							     name, spec->bridge, spec->mtu,
							     cause(rc));
				return 0;
			}
			/* Its FDB and neighbour entries go with it: the caller syncs again. */
			log_debug("netlink: replacing VXLAN device `%s` (%s)", name, why);
			rc = link_delete(sk, link);
			if (rc < 0 && !is_missing(rc))
				return zks_error_set(err, ZKS_ERR_SYSTEM,
						     "delete VXLAN device `%s` (%s): %s", name, why,
						     cause(rc));
		} else if (!is_missing(rc)) {
			return zks_error_set(err, ZKS_ERR_SYSTEM, "look up VXLAN device `%s`: %s",
					     name, cause(rc));
		}
		log_debug("netlink: creating VXLAN device `%s` (VNI %u)", name, spec->vni);
		rc = create_vxlan(sk, spec, bridge_index);
		if (rc == 0)
			return 0;
		if (rc != -NLE_EXIST)
			return zks_error_set(err, ZKS_ERR_SYSTEM,
					     "create VXLAN device `%s` (VNI %u): %s", name,
					     spec->vni, cause(rc));
		/* EEXIST and the name is free: another device holds the VNI and port. */
		if (!link_present(sk, name))
			return zks_error_set(err, ZKS_ERR_CONFLICT,
					     "create VXLAN device `%s`: another VXLAN device "
					     "already uses VNI %u on port %u",
					     name, spec->vni, spec_port(spec));
	}
	return zks_error_set(err, ZKS_ERR_CONFLICT, "VXLAN device `%s` keeps changing", name);
}

/*
 * The kernel silently lowers a new VXLAN device's MTU to fit its underlay
 * (and the bridge follows), then refuses the MTU asked for on the next call:
 * say so up front instead.
 */
static int check_underlay(struct nl_sock *sk, const struct zks_net_spec *spec,
			  struct zks_error *err)
{
	cleanup_link struct rtnl_link *lower = NULL;
	int rc = rtnl_link_get_kernel(sk, spec->underlay_ifindex, NULL, &lower);

	if (is_missing(rc))
		return zks_error_set(err, ZKS_ERR_NOT_FOUND, "underlay interface %d does not exist",
				     spec->underlay_ifindex);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "look up underlay interface %d: %s",
				     spec->underlay_ifindex, cause(rc));
	if ((unsigned)spec->mtu + VXLAN_HEADROOM > rtnl_link_get_mtu(lower))
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "MTU %d is too large for underlay `%s` (MTU %u, VXLAN "
				     "needs %d bytes of it)",
				     spec->mtu, rtnl_link_get_name(lower), rtnl_link_get_mtu(lower),
				     VXLAN_HEADROOM);
	return 0;
}

static int kernel_ensure_network(struct zks_net *n, const struct zks_net_spec *spec,
				 struct zks_error *err)
{
	cleanup_sock struct nl_sock *sk = NULL;
	int bridge_index = 0;

	(void)n;
	if (check_ifname("ensure network", spec->bridge, err) < 0 ||
	    check_ifname("ensure network", spec->vxlan, err) < 0 ||
	    check_mtu("ensure network", spec->mtu, err) < 0)
		return -1;
	if (spec->vni < 1 || spec->vni > VNI_MAX)
		return zks_error_set(err, ZKS_ERR_INVALID, "VNI %u is out of range (1-%u)",
				     spec->vni, VNI_MAX);
	if (strcmp(spec->bridge, spec->vxlan) == 0)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "bridge and VXLAN device have the same name `%s`",
				     spec->bridge);
	if ((sk = open_socket(err)) == NULL)
		return -1;
	if (spec->underlay_ifindex > 0 && check_underlay(sk, spec, err) < 0)
		return -1;
	if (spec->gateway_len > 32)
		return zks_error_set(err, ZKS_ERR_INVALID, "gateway prefix length %u is over 32",
				     spec->gateway_len);
	if (ensure_bridge(sk, spec->bridge, spec->mtu, &bridge_index, err) < 0 ||
	    ensure_bridge_mac(sk, spec, err) < 0 ||
	    ensure_bridge_address(sk, spec, bridge_index, err) < 0)
		return -1;
	return ensure_vxlan(sk, spec, bridge_index, err);
}

/* ---- delete_network, veths, links --------------------------------------- */

static int kernel_delete_network(struct zks_net *n, const char *bridge, const char *vxlan,
				 struct zks_error *err)
{
	cleanup_sock struct nl_sock *sk = NULL;
	cleanup_cache struct nl_cache *cache = NULL;
	cleanup_link struct rtnl_link *br = NULL;
	int rc;

	(void)n;
	if (check_ifname("delete network", bridge, err) < 0 ||
	    check_ifname("delete network", vxlan, err) < 0)
		return -1;
	if ((sk = open_socket(err)) == NULL)
		return -1;
	rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "list links: %s", cause(rc));

	/* Deleting the bridge only detaches its ports: a veth would outlive the network. */
	br = rtnl_link_get_by_name(cache, bridge);
	if (br != NULL && is_type(br, "bridge")) {
		int index = rtnl_link_get_ifindex(br);

		for (struct nl_object *o = nl_cache_get_first(cache); o != NULL;
		     o = nl_cache_get_next(o)) {
			struct rtnl_link *port = (struct rtnl_link *)o;

			if (rtnl_link_get_master(port) != index || !is_type(port, "veth"))
				continue;
			log_debug("netlink: deleting veth `%s` left on bridge `%s`",
				  rtnl_link_get_name(port), bridge);
			rc = link_delete(sk, port);
			if (rc < 0 && !is_missing(rc))
				return zks_error_set(err, ZKS_ERR_SYSTEM,
						     "delete veth `%s` on bridge `%s`: %s",
						     rtnl_link_get_name(port), bridge, cause(rc));
		}
	}
	rc = delete_by_name(sk, vxlan);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "delete VXLAN device `%s`: %s", vxlan,
				     cause(rc));
	rc = delete_by_name(sk, bridge);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "delete bridge `%s`: %s", bridge,
				     cause(rc));
	return 0;
}

/* What the kernel would refuse or take wrongly, refused with a message that names it. */
static int check_veth(const char *host_if, const char *peer_if, const char *bridge,
		      const uint8_t mac[6], int mtu, struct zks_error *err)
{
	char macbuf[18];

	if (check_ifname("create veth", host_if, err) < 0 ||
	    check_ifname("create veth", peer_if, err) < 0 ||
	    check_ifname("create veth", bridge, err) < 0 || check_mtu("create veth", mtu, err) < 0)
		return -1;
	if (strcmp(host_if, peer_if) == 0)
		return zks_error_set(err, ZKS_ERR_INVALID, "veth ends have the same name `%s`",
				     host_if);
	if (!mac_is_unicast(mac))
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "veth `%s`: MAC %s is not a unicast address", peer_if,
				     mac_str(mac, macbuf));
	return 0;
}

/* The index of the bridge host_if is to be a port of. */
static int veth_bridge_index(struct nl_sock *sk, const char *bridge, const char *host_if,
			     int *ifindex, struct zks_error *err)
{
	cleanup_link struct rtnl_link *br = NULL;
	int rc = rtnl_link_get_kernel(sk, 0, bridge, &br);

	if (is_missing(rc))
		return zks_error_set(err, ZKS_ERR_NOT_FOUND,
				     "create veth `%s`: bridge `%s` does not exist", host_if,
				     bridge);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "look up bridge `%s`: %s", bridge,
				     cause(rc));
	*ifindex = rtnl_link_get_ifindex(br);
	return 0;
}

/*
 * One RTM_NEWLINK: the kernel registers both ends, brings the host end up
 * and enslaves it, and unregisters both if any step fails.
 */
static int create_veth(struct nl_sock *sk, const char *host_if, const char *peer_if, int master,
		       const uint8_t mac[6], int mtu)
{
	cleanup_link struct rtnl_link *veth = must(rtnl_link_veth_alloc());
	cleanup_link struct rtnl_link *peer = must(rtnl_link_veth_get_peer(veth)); /* takes a ref */
	cleanup_addr struct nl_addr *lladdr = must(nl_addr_build(AF_LLC, mac, 6));

	rtnl_link_set_name(veth, host_if);
	rtnl_link_set_mtu(veth, (unsigned)mtu);
	rtnl_link_set_master(veth, master);
	rtnl_link_set_flags(veth, IFF_UP);
	rtnl_link_set_name(peer, peer_if);
	rtnl_link_set_mtu(peer, (unsigned)mtu);
	rtnl_link_set_addr(peer, lladdr);
	return link_add(sk, veth);
}

/* An existing host end: its peer may already be in the container under another name. */
static int settle_veth(struct nl_sock *sk, struct rtnl_link *host, const char *host_if,
		       const char *bridge, int master, int mtu, struct zks_error *err)
{
	int rc;

	if (!is_type(host, "veth"))
		return zks_error_set(err, ZKS_ERR_CONFLICT, "link `%s` exists and is not a veth",
				     host_if);
	rc = link_settle(sk, host, mtu, master);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM,
				     "bring up veth `%s` on bridge `%s` with MTU %d: %s", host_if,
				     bridge, mtu, cause(rc));
	return 0;
}

static int kernel_create_veth(struct zks_net *n, const char *host_if, const char *peer_if,
			      const char *bridge, const uint8_t mac[6], int mtu,
			      struct zks_error *err)
{
	cleanup_sock struct nl_sock *sk = NULL;
	int master = 0, rc;

	(void)n;
	if (check_veth(host_if, peer_if, bridge, mac, mtu, err) < 0)
		return -1;
	if ((sk = open_socket(err)) == NULL)
		return -1;
	if (veth_bridge_index(sk, bridge, host_if, &master, err) < 0)
		return -1;

	/* Bounded: a create that races with another creator looks again once. */
	for (int attempt = 0; attempt < 2; attempt++) {
		cleanup_link struct rtnl_link *host = NULL;

		rc = rtnl_link_get_kernel(sk, 0, host_if, &host);
		if (rc == 0)
			return settle_veth(sk, host, host_if, bridge, master, mtu, err);
		if (!is_missing(rc))
			return zks_error_set(err, ZKS_ERR_SYSTEM, "look up veth `%s`: %s", host_if,
					     cause(rc));
		if (attempt > 0)
			break;
		log_debug("netlink: creating veth `%s`/`%s` on bridge `%s`", host_if, peer_if,
			  bridge);
		rc = create_veth(sk, host_if, peer_if, master, mac, mtu);
		if (rc == 0)
			return 0;
		if (rc != -NLE_EXIST)
			return zks_error_set(err, ZKS_ERR_SYSTEM,
					     "create veth `%s` (peer `%s`) on bridge `%s`: %s",
					     host_if, peer_if, bridge, cause(rc));
	}
	return zks_error_set(err, ZKS_ERR_EXISTS, "create veth `%s`: peer name `%s` is taken",
			     host_if, peer_if);
}

static int kernel_delete_link(struct zks_net *n, const char *name, struct zks_error *err)
{
	cleanup_sock struct nl_sock *sk = NULL;
	int rc;

	(void)n;
	if (check_ifname("delete link", name, err) < 0)
		return -1;
	if ((sk = open_socket(err)) == NULL)
		return -1;
	rc = delete_by_name(sk, name);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "delete link `%s`: %s", name, cause(rc));
	return 0;
}

static bool kernel_link_exists(struct zks_net *n, const char *name)
{
	cleanup_sock struct nl_sock *sk = NULL;
	cleanup_link struct rtnl_link *link = NULL;

	(void)n;
	if (name == NULL || name[0] == '\0' || strlen(name) >= IF_NAMESIZE)
		return false;
	if ((sk = open_socket(NULL)) == NULL)
		return false;
	return rtnl_link_get_kernel(sk, 0, name, &link) == 0;
}

static int kernel_list_links(struct zks_net *n, const char *prefix, char ***names, size_t *count,
			     struct zks_error *err)
{
	cleanup_sock struct nl_sock *sk = NULL;
	cleanup_cache struct nl_cache *cache = NULL;
	size_t plen = prefix != NULL ? strlen(prefix) : 0, found = 0;
	char **v;
	int rc;

	(void)n;
	*names = NULL;
	*count = 0;
	if ((sk = open_socket(err)) == NULL)
		return -1;
	rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "list links: %s", cause(rc));
	/* NULL-terminated as well, for callers that prefer that. */
	v = xcalloc((size_t)nl_cache_nitems(cache) + 1, sizeof(*v));
	for (struct nl_object *o = nl_cache_get_first(cache); o != NULL; o = nl_cache_get_next(o)) {
		const char *name = rtnl_link_get_name((struct rtnl_link *)o);

		if (name != NULL && strncmp(name, prefix != NULL ? prefix : "", plen) == 0)
			v[found++] = xstrdup(name);
	}
	*names = v;
	*count = found;
	return 0;
}

/* ---- sync_remote -------------------------------------------------------- */

/* A permanent FDB entry (one remote) or neighbour entry on the VXLAN device. */
struct entry {
	uint8_t mac[6];
	bool has_mac;
	uint8_t dst[16];
	size_t dst_len;
	/* VXLAN remote details echoed back so a delete hits exactly this remote. */
	bool has_port, has_vni, has_ifindex, has_src_vni;
	uint16_t port;
	uint32_t vni, ifindex, src_vni;
	bool keep; /* wanted (or replaced in place): not to be deleted */
};

struct entry_list {
	int family;  /* AF_BRIDGE: FDB, AF_INET: neighbours */
	int ifindex; /* of the VXLAN device */
	struct entry *v;
	size_t n, cap;
};

static int collect_entry(struct nl_msg *msg, void *arg)
{
	struct entry_list *list = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[NDA_MAX + 1];
	struct ndmsg *ndm;
	struct entry e = {0};

	if (nlh->nlmsg_type != RTM_NEWNEIGH || !nlmsg_valid_hdr(nlh, sizeof(*ndm)))
		return NL_OK;
	ndm = nlmsg_data(nlh);
	if (ndm->ndm_family != list->family || ndm->ndm_ifindex != list->ifindex ||
	    !(ndm->ndm_state & NUD_PERMANENT))
		return NL_OK;
	/* On a bridge port the dump also shows the bridge's own entries (NTF_MASTER). */
	if (list->family == AF_BRIDGE &&
	    (!(ndm->ndm_flags & NTF_SELF) || (ndm->ndm_flags & NTF_EXT_LEARNED)))
		return NL_OK;
	if (nlmsg_parse(nlh, sizeof(*ndm), tb, NDA_MAX, NULL) < 0)
		return NL_OK;
	if (tb[NDA_LLADDR] != NULL && nla_len(tb[NDA_LLADDR]) == 6) {
		memcpy(e.mac, nla_data(tb[NDA_LLADDR]), 6);
		e.has_mac = true;
	}
	if (tb[NDA_DST] != NULL && (nla_len(tb[NDA_DST]) == 4 || nla_len(tb[NDA_DST]) == 16)) {
		e.dst_len = (size_t)nla_len(tb[NDA_DST]);
		memcpy(e.dst, nla_data(tb[NDA_DST]), e.dst_len);
	}
	if (list->family == AF_BRIDGE) {
		static const uint8_t zero[6];

		/* The all-zeros default destination is not a per-endpoint entry. */
		if (!e.has_mac || memcmp(e.mac, zero, 6) == 0)
			return NL_OK;
		if (tb[NDA_PORT] != NULL && nla_len(tb[NDA_PORT]) >= 2) {
			e.has_port = true;
			e.port = nla_get_u16(tb[NDA_PORT]);
		}
		if (tb[NDA_VNI] != NULL && nla_len(tb[NDA_VNI]) >= 4) {
			e.has_vni = true;
			e.vni = nla_get_u32(tb[NDA_VNI]);
		}
		if (tb[NDA_IFINDEX] != NULL && nla_len(tb[NDA_IFINDEX]) >= 4) {
			e.has_ifindex = true;
			e.ifindex = nla_get_u32(tb[NDA_IFINDEX]);
		}
		if (tb[NDA_SRC_VNI] != NULL && nla_len(tb[NDA_SRC_VNI]) >= 4) {
			e.has_src_vni = true;
			e.src_vni = nla_get_u32(tb[NDA_SRC_VNI]);
		}
	} else if (e.dst_len != 4) {
		return NL_OK;
	}
	if (list->n == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 16;
		list->v = xrealloc(list->v, list->cap * sizeof(*list->v));
	}
	list->v[list->n++] = e;
	return NL_OK;
}

static int dump_entries(struct nl_sock *sk, struct entry_list *list)
{
	struct ndmsg ndm = {.ndm_family = (uint8_t)list->family};
	struct nl_cb *orig, *cb;
	int rc = nl_send_simple(sk, RTM_GETNEIGH, NLM_F_DUMP, &ndm, sizeof(ndm));

	if (rc < 0)
		return rc;
	orig = nl_socket_get_cb(sk); /* a new reference */
	cb = must(nl_cb_clone(orig));
	nl_cb_put(orig);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, collect_entry, list);
	rc = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	return rc;
}

/*
 * RTM_NEWNEIGH / RTM_DELNEIGH on the VXLAN device.  FDB requests carry
 * NTF_SELF: without it the kernel would program the bridge's FDB, the VXLAN
 * device being a bridge port.
 */
static int neigh_request(struct nl_sock *sk, int cmd, int nlflags, const struct entry_list *list,
			 const struct entry *e)
{
	struct ndmsg ndm = {
		.ndm_family = (uint8_t)list->family,
		.ndm_ifindex = list->ifindex,
		.ndm_state = NUD_PERMANENT,
		.ndm_flags = list->family == AF_BRIDGE ? NTF_SELF : 0,
	};
	cleanup_msg struct nl_msg *msg = must(nlmsg_alloc_simple(cmd, nlflags));

	if (nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) < 0 ||
	    (e->has_mac && nla_put(msg, NDA_LLADDR, 6, e->mac) < 0) ||
	    (e->dst_len > 0 && nla_put(msg, NDA_DST, (int)e->dst_len, e->dst) < 0) ||
	    (e->has_port && nla_put_u16(msg, NDA_PORT, e->port) < 0) ||
	    (e->has_vni && nla_put_u32(msg, NDA_VNI, e->vni) < 0) ||
	    (e->has_ifindex && nla_put_u32(msg, NDA_IFINDEX, e->ifindex) < 0) ||
	    (e->has_src_vni && nla_put_u32(msg, NDA_SRC_VNI, e->src_vni) < 0))
		return -NLE_MSGSIZE;
	return request(sk, msg);
}

static bool entry_is_plain(const struct entry *e)
{
	return !e->has_port && !e->has_vni && !e->has_ifindex && !e->has_src_vni;
}

static int check_eps(const char *vxlan, const struct zks_remote_ep *eps, size_t neps,
		     struct zks_error *err)
{
	char a[INET_ADDRSTRLEN], macbuf[18];

	for (size_t i = 0; i < neps; i++) {
		inet_ntop(AF_INET, &eps[i].ip, a, sizeof(a));
		/* An all-zeros entry would flood to that node; a multicast one is no endpoint. */
		if (!mac_is_unicast(eps[i].mac))
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "remote endpoint %s on `%s`: MAC %s is not unicast", a,
					     vxlan, mac_str(eps[i].mac, macbuf));
		if (eps[i].vtep.s_addr == INADDR_ANY || eps[i].ip.s_addr == INADDR_ANY)
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "remote endpoint %s on `%s`: address or tunnel "
					     "address is 0.0.0.0",
					     a, vxlan);
		for (size_t j = 0; j < i; j++) {
			bool same_mac = memcmp(eps[i].mac, eps[j].mac, 6) == 0;
			bool same_ip = eps[i].ip.s_addr == eps[j].ip.s_addr;

			if ((same_mac && eps[i].vtep.s_addr != eps[j].vtep.s_addr) ||
			    (same_ip && !same_mac))
				return zks_error_set(
					err, ZKS_ERR_INVALID,
					"remote endpoints on `%s` disagree about %s / %s", vxlan, a,
					mac_str(eps[i].mac, macbuf));
		}
	}
	return 0;
}

/* Remember the first failure, keep going: one bad entry must not block the rest. */
static void note_failure(int *failures, struct zks_error *err, int rc, const char *what,
			 const char *vxlan, const char *detail)
{
	if ((*failures)++ == 0)
		zks_error_set(err, ZKS_ERR_SYSTEM, "%s %s on `%s`: %s", what, detail, vxlan,
			      cause(rc));
}

static void entry_detail(const struct entry_list *list, const struct entry *e, char *buf,
			 size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?", m[18] = "?";

	if (e->dst_len > 0)
		inet_ntop(e->dst_len == 4 ? AF_INET : AF_INET6, e->dst, a, sizeof(a));
	if (e->has_mac)
		mac_str(e->mac, m);
	if (list->family == AF_BRIDGE)
		snprintf(buf, len, "%s -> %s", m, a);
	else
		snprintf(buf, len, "%s -> %s", a, m);
}

static void sync_fdb(struct nl_sock *sk, struct entry_list *fdb, const struct zks_remote_ep *eps,
		     size_t neps, int *failures, const char *vxlan, struct zks_error *err)
{
	char detail[80];

	for (size_t i = 0; i < neps; i++) {
		struct entry want = {.has_mac = true, .dst_len = 4};
		size_t rows = 0;
		bool exact = false;
		int rc = 0;

		memcpy(want.mac, eps[i].mac, 6);
		memcpy(want.dst, &eps[i].vtep, 4);
		for (size_t k = 0; k < fdb->n; k++) {
			struct entry *e = &fdb->v[k];

			if (memcmp(e->mac, want.mac, 6) != 0)
				continue;
			rows++;
			if (!exact && entry_is_plain(e) && e->dst_len == 4 &&
			    memcmp(e->dst, want.dst, 4) == 0)
				exact = e->keep = true;
		}
		entry_detail(fdb, &want, detail, sizeof(detail));
		if (exact)
			continue; /* the other remotes of this MAC, if any, go below */
		if (rows > 1) {
			/* Several remotes (someone appended): start over with one. */
			struct entry whole = {.has_mac = true};

			memcpy(whole.mac, want.mac, 6);
			rc = neigh_request(sk, RTM_DELNEIGH, 0, fdb, &whole);
			for (size_t k = 0; k < fdb->n; k++)
				if (memcmp(fdb->v[k].mac, want.mac, 6) == 0)
					fdb->v[k].keep = true; /* gone with the entry */
		}
		/* REPLACE swaps the remote of an existing entry in place: no gap. */
		log_debug("netlink: FDB %s on `%s`", detail, vxlan);
		if (rc == 0 || rc == -NLE_OBJ_NOTFOUND)
			rc = neigh_request(sk, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, fdb,
					   &want);
		if (rc < 0)
			note_failure(failures, err, rc, "set forwarding entry", vxlan, detail);
		for (size_t k = 0; k < fdb->n; k++)
			if (memcmp(fdb->v[k].mac, want.mac, 6) == 0)
				fdb->v[k].keep = true;
	}
}

static void sync_neigh(struct nl_sock *sk, struct entry_list *nb, const struct zks_remote_ep *eps,
		       size_t neps, int *failures, const char *vxlan, struct zks_error *err)
{
	char detail[80];

	for (size_t i = 0; i < neps; i++) {
		struct entry want = {.has_mac = true, .dst_len = 4};
		bool exact = false;
		int rc;

		memcpy(want.mac, eps[i].mac, 6);
		memcpy(want.dst, &eps[i].ip, 4);
		for (size_t k = 0; k < nb->n; k++) {
			struct entry *e = &nb->v[k];

			if (memcmp(e->dst, want.dst, 4) != 0)
				continue;
			e->keep = true; /* kept or replaced, never deleted */
			exact = e->has_mac && memcmp(e->mac, want.mac, 6) == 0;
		}
		if (exact)
			continue;
		entry_detail(nb, &want, detail, sizeof(detail));
		log_debug("netlink: neighbour %s on `%s`", detail, vxlan);
		rc = neigh_request(sk, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, nb, &want);
		if (rc < 0)
			note_failure(failures, err, rc, "set neighbour entry", vxlan, detail);
	}
}

static void delete_unkept(struct nl_sock *sk, struct entry_list *list, int *failures,
			  const char *vxlan, struct zks_error *err)
{
	char detail[80];

	for (size_t k = 0; k < list->n; k++) {
		struct entry *e = &list->v[k];
		int rc;

		if (e->keep)
			continue;
		entry_detail(list, e, detail, sizeof(detail));
		log_debug("netlink: deleting %s %s on `%s`",
			  list->family == AF_BRIDGE ? "FDB" : "neighbour", detail, vxlan);
		rc = neigh_request(sk, RTM_DELNEIGH, 0, list, e);
		if (rc < 0 && rc != -NLE_OBJ_NOTFOUND)
			note_failure(failures, err, rc,
				     list->family == AF_BRIDGE ? "delete forwarding entry"
							       : "delete neighbour entry",
				     vxlan, detail);
	}
}

static int kernel_sync_remote(struct zks_net *n, const char *vxlan, const struct zks_remote_ep *eps,
			      size_t neps, struct zks_error *err)
{
	cleanup_sock struct nl_sock *sk = NULL;
	cleanup_link struct rtnl_link *link = NULL;
	struct entry_list fdb = {.family = AF_BRIDGE}, nb = {.family = AF_INET};
	int rc, failures = 0;

	(void)n;
	if (check_ifname("sync remote endpoints", vxlan, err) < 0 ||
	    check_eps(vxlan, eps, neps, err) < 0)
		return -1;
	if ((sk = open_socket(err)) == NULL)
		return -1;
	rc = rtnl_link_get_kernel(sk, 0, vxlan, &link);
	if (is_missing(rc))
		return zks_error_set(err, ZKS_ERR_NOT_FOUND, "VXLAN device `%s` does not exist",
				     vxlan);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "look up VXLAN device `%s`: %s", vxlan,
				     cause(rc));
	if (!rtnl_link_is_vxlan(link))
		return zks_error_set(err, ZKS_ERR_CONFLICT, "link `%s` is not a VXLAN device",
				     vxlan);
	fdb.ifindex = nb.ifindex = rtnl_link_get_ifindex(link);

	rc = dump_entries(sk, &fdb);
	if (rc >= 0)
		rc = dump_entries(sk, &nb);
	if (rc < 0) {
		free(fdb.v);
		free(nb.v);
		return zks_error_set(err, ZKS_ERR_SYSTEM, "list entries of `%s`: %s", vxlan,
				     cause(rc));
	}
	/*
	 * Forwarding entries before the neighbour entries that make the ARP
	 * proxy answer for them; deletions the other way round.
	 */
	sync_fdb(sk, &fdb, eps, neps, &failures, vxlan, err);
	sync_neigh(sk, &nb, eps, neps, &failures, vxlan, err);
	delete_unkept(sk, &nb, &failures, vxlan, err);
	delete_unkept(sk, &fdb, &failures, vxlan, err);
	free(fdb.v);
	free(nb.v);
	if (failures > 1 && err != NULL) {
		size_t used = strlen(err->msg);

		snprintf(err->msg + used, sizeof(err->msg) - used, " (and %d more failures)",
			 failures - 1);
	}
	return failures > 0 ? -1 : 0;
}

/* ---- addresses ---------------------------------------------------------- */

static int link_name_mtu(struct nl_sock *sk, int ifindex, char ifname[IF_NAMESIZE], int *mtu,
			 struct zks_error *err)
{
	cleanup_link struct rtnl_link *link = NULL;
	int rc = rtnl_link_get_kernel(sk, ifindex, NULL, &link);

	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "look up interface %d: %s", ifindex,
				     cause(rc));
	snprintf(ifname, IF_NAMESIZE, "%s", rtnl_link_get_name(link));
	if (mtu != NULL)
		*mtu = (int)rtnl_link_get_mtu(link);
	return 0;
}

/* First IPv4 address on ifindex, primary before secondary. */
static bool first_ipv4(struct nl_cache *addrs, int ifindex, struct in_addr *out)
{
	bool found = false;

	for (struct nl_object *o = nl_cache_get_first(addrs); o != NULL; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);

		if (rtnl_addr_get_family(a) != AF_INET || rtnl_addr_get_ifindex(a) != ifindex ||
		    local == NULL || nl_addr_get_len(local) != 4)
			continue;
		if (!found || !(rtnl_addr_get_flags(a) & IFA_F_SECONDARY)) {
			memcpy(out, nl_addr_get_binary_addr(local), 4);
			if (!(rtnl_addr_get_flags(a) & IFA_F_SECONDARY))
				return true;
			found = true;
		}
	}
	return found;
}

int zks_net_default_address(struct in_addr *addr, char ifname[IF_NAMESIZE], int *mtu,
			    struct zks_error *err)
{
	cleanup_sock struct nl_sock *sk = NULL;
	cleanup_cache struct nl_cache *routes = NULL;
	cleanup_cache struct nl_cache *addrs = NULL;
	uint32_t best_metric = 0;
	int rc, ifindex = 0;

	if ((sk = open_socket(err)) == NULL)
		return -1;
	rc = rtnl_route_alloc_cache(sk, AF_INET, 0, &routes);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "list IPv4 routes: %s", cause(rc));
	/* The main table's default route with the lowest metric, as the kernel picks it. */
	for (struct nl_object *o = nl_cache_get_first(routes); o != NULL;
	     o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(r);
		struct rtnl_nexthop *nh;

		if (rtnl_route_get_table(r) != RT_TABLE_MAIN ||
		    rtnl_route_get_type(r) != RTN_UNICAST ||
		    (dst != NULL && nl_addr_get_prefixlen(dst) != 0) ||
		    rtnl_route_get_nnexthops(r) < 1)
			continue;
		nh = rtnl_route_nexthop_n(r, 0);
		if (nh == NULL || rtnl_route_nh_get_ifindex(nh) <= 0)
			continue;
		if (ifindex == 0 || rtnl_route_get_priority(r) < best_metric) {
			ifindex = rtnl_route_nh_get_ifindex(nh);
			best_metric = rtnl_route_get_priority(r);
		}
	}
	if (ifindex == 0)
		return zks_error_set(err, ZKS_ERR_NOT_FOUND, "no IPv4 default route");
	if (link_name_mtu(sk, ifindex, ifname, mtu, err) < 0)
		return -1;
	rc = rtnl_addr_alloc_cache(sk, &addrs);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "list addresses: %s", cause(rc));
	if (!first_ipv4(addrs, ifindex, addr))
		return zks_error_set(err, ZKS_ERR_NOT_FOUND,
				     "`%s`, the device of the default route, has no IPv4 address",
				     ifname);
	return 0;
}

int zks_net_address_device(struct in_addr addr, char ifname[IF_NAMESIZE], int *ifindex, int *mtu,
			   struct zks_error *err)
{
	cleanup_sock struct nl_sock *sk = NULL;
	cleanup_cache struct nl_cache *addrs = NULL;
	char a[INET_ADDRSTRLEN];
	int rc;

	if ((sk = open_socket(err)) == NULL)
		return -1;
	rc = rtnl_addr_alloc_cache(sk, &addrs);
	if (rc < 0)
		return zks_error_set(err, ZKS_ERR_SYSTEM, "list addresses: %s", cause(rc));
	for (struct nl_object *o = nl_cache_get_first(addrs); o != NULL; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(ra);

		if (rtnl_addr_get_family(ra) != AF_INET || local == NULL ||
		    nl_addr_get_len(local) != 4 ||
		    memcmp(nl_addr_get_binary_addr(local), &addr, 4) != 0)
			continue;
		if (ifindex != NULL)
			*ifindex = rtnl_addr_get_ifindex(ra);
		return link_name_mtu(sk, rtnl_addr_get_ifindex(ra), ifname, mtu, err);
	}
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	return zks_error_set(err, ZKS_ERR_NOT_FOUND, "no interface has the address %s", a);
}

struct zks_net zks_kernel_net = {
	.ensure_network = kernel_ensure_network,
	.delete_network = kernel_delete_network,
	.create_veth = kernel_create_veth,
	.delete_link = kernel_delete_link,
	.link_exists = kernel_link_exists,
	.list_links = kernel_list_links,
	.sync_remote = kernel_sync_remote,
};
