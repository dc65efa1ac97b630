/*
 * netlink_driver.c - a command line over the netlink module (zks_kernel_net),
 * for tests/integration/test_netlink.sh, which runs it in throwaway network
 * namespaces and checks the kernel's state with ip(8) and bridge(8).
 *
 *   netlink_driver ensure BRIDGE VXLAN VNI MTU LOCAL_IP [UNDERLAY_IF [PORT]]
 *   netlink_driver ensure-gw BRIDGE VXLAN VNI MTU LOCAL_IP UNDERLAY_IF GW/LEN|none BRIDGE_MAC
 *       the same, with the bridge's gateway address and MAC
 *   netlink_driver delete-network BRIDGE VXLAN
 *   netlink_driver veth HOST_IF PEER_IF BRIDGE MAC MTU
 *   netlink_driver delete-link NAME
 *   netlink_driver exists NAME                 exit 0 if it exists, 1 if not
 *   netlink_driver list PREFIX                 one name a line
 *   netlink_driver sync VXLAN [IP,MAC,VTEP ...]
 *   netlink_driver default-address             "ADDR IFNAME MTU"
 *   netlink_driver address-device IP           "IFNAME IFINDEX MTU"
 *   netlink_driver race BRIDGE VXLAN VNI MTU LOCAL_IP THREADS
 *       THREADS threads at once: ensure the network, create a veth of their
 *       own (zkr<i>h/zkr<i>p) and one they all share (zkrsh/zkrsp)
 *
 * Errors go to stderr as "error (CODE): message"; exit status 1, 2 for usage.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/netlink.h"
#include "zkswarm/util.h"

static int usage(void)
{
	fprintf(stderr, "usage: netlink_driver ensure|delete-network|veth|delete-link|exists|list|"
			"sync|default-address|address-device|race ARGS (see the source)\n");
	return 2;
}

static int fail(const struct zks_error *err)
{
	fprintf(stderr, "error (%s): %s\n", zks_errc_name(err->code), err->msg);
	return 1;
}

static int parse_ip(const char *s, struct in_addr *out)
{
	if (inet_pton(AF_INET, s, out) != 1) {
		fprintf(stderr, "bad IPv4 address `%s`\n", s);
		return -1;
	}
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char end;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6) {
		fprintf(stderr, "bad MAC `%s`\n", s);
		return -1;
	}
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff) {
			fprintf(stderr, "bad MAC `%s`\n", s);
			return -1;
		}
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int parse_spec(char **argv, int argc, struct zks_net_spec *spec)
{
	*spec = (struct zks_net_spec){
		.bridge = argv[0],
		.vxlan = argv[1],
		.vni = (uint32_t)strtoul(argv[2], NULL, 10),
		.mtu = atoi(argv[3]),
		.port = 4789,
	};
	if (parse_ip(argv[4], &spec->local) < 0)
		return -1;
	if (argc > 5) {
		spec->underlay_ifindex = (int)if_nametoindex(argv[5]);
		if (spec->underlay_ifindex == 0) {
			fprintf(stderr, "no interface `%s`\n", argv[5]);
			return -1;
		}
	}
	if (argc > 6)
		spec->port = (uint16_t)atoi(argv[6]);
	return 0;
}

static int cmd_sync(const char *vxlan, char **argv, int argc)
{
	struct zks_remote_ep *eps = xcalloc((size_t)argc, sizeof(*eps));
	struct zks_error err = {0};
	int rc = 1;

	for (int i = 0; i < argc; i++) {
		char *copy = xstrdup(argv[i]), *save = NULL;
		char *ip = strtok_r(copy, ",", &save), *mac = strtok_r(NULL, ",", &save),
		     *vtep = strtok_r(NULL, ",", &save);
		int bad = ip == NULL || mac == NULL || vtep == NULL ||
			  parse_ip(ip, &eps[i].ip) < 0 || parse_mac(mac, eps[i].mac) < 0 ||
			  parse_ip(vtep, &eps[i].vtep) < 0;

		free(copy);
		if (bad) {
			fprintf(stderr, "bad endpoint `%s` (want IP,MAC,VTEP)\n", argv[i]);
			free(eps);
			return 2;
		}
	}
	if (zks_kernel_net.sync_remote(&zks_kernel_net, vxlan, eps, (size_t)argc, &err) == 0)
		rc = 0;
	else
		fail(&err);
	free(eps);
	return rc;
}

struct race_arg {
	const struct zks_net_spec *spec;
	int index;
	struct zks_error err;
	int rc;
};

static void *race_thread(void *p)
{
	struct race_arg *a = p;
	struct zks_net *net = &zks_kernel_net;
	uint8_t own[6] = {0x02, 0x5a, 0, 0, 0, (uint8_t)(a->index + 1)};
	uint8_t shared[6] = {0x02, 0x5a, 0, 0, 1, 1};
	char host[IF_NAMESIZE], peer[IF_NAMESIZE];

	snprintf(host, sizeof(host), "zkr%dh", a->index);
	snprintf(peer, sizeof(peer), "zkr%dp", a->index);
	a->rc = -1;
	if (net->ensure_network(net, a->spec, &a->err) < 0 ||
	    net->create_veth(net, host, peer, a->spec->bridge, own, a->spec->mtu, &a->err) < 0 ||
	    net->create_veth(net, "zkrsh", "zkrsp", a->spec->bridge, shared, a->spec->mtu,
			     &a->err) < 0)
		return NULL;
	a->rc = 0;
	return NULL;
}

static int cmd_race(char **argv)
{
	struct zks_net_spec spec;
	int n = atoi(argv[5]), failed = 0;
	pthread_t *threads;
	struct race_arg *args;

	if (parse_spec(argv, 5, &spec) < 0 || n < 1 || n > 64)
		return 2;
	threads = xcalloc((size_t)n, sizeof(*threads));
	args = xcalloc((size_t)n, sizeof(*args));
	for (int i = 0; i < n; i++) {
		args[i] = (struct race_arg){.spec = &spec, .index = i};
		if (pthread_create(&threads[i], NULL, race_thread, &args[i]) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			abort();
		}
	}
	for (int i = 0; i < n; i++) {
		pthread_join(threads[i], NULL);
		if (args[i].rc != 0) {
			fprintf(stderr, "thread %d: ", i);
			fail(&args[i].err);
			failed = 1;
		}
	}
	free(threads);
	free(args);
	return failed;
}

int main(int argc, char **argv)
{
	struct zks_net *net = &zks_kernel_net;
	struct zks_error err = {0};
	const char *cmd;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	argv += 2;
	argc -= 2;

	if (strcmp(cmd, "ensure") == 0 && argc >= 5 && argc <= 7) {
		struct zks_net_spec spec;

		if (parse_spec(argv, argc, &spec) < 0)
			return 2;
		return net->ensure_network(net, &spec, &err) == 0 ? 0 : fail(&err);
	}
	if (strcmp(cmd, "ensure-gw") == 0 && argc == 8) {
		struct zks_net_spec spec;
		char *slash = strchr(argv[6], '/');

		if (parse_spec(argv, 6, &spec) < 0 || parse_mac(argv[7], spec.bridge_mac) < 0)
			return 2;
		if (strcmp(argv[6], "none") != 0) {
			if (slash == NULL)
				return usage();
			*slash = '\0';
			if (parse_ip(argv[6], &spec.gateway) < 0)
				return 2;
			spec.gateway_len = (uint8_t)atoi(slash + 1);
		}
		return net->ensure_network(net, &spec, &err) == 0 ? 0 : fail(&err);
	}
	if (strcmp(cmd, "delete-network") == 0 && argc == 2)
		return net->delete_network(net, argv[0], argv[1], &err) == 0 ? 0 : fail(&err);
	if (strcmp(cmd, "veth") == 0 && argc == 5) {
		uint8_t mac[6];

		if (parse_mac(argv[3], mac) < 0)
			return 2;
		return net->create_veth(net, argv[0], argv[1], argv[2], mac, atoi(argv[4]), &err) ==
				       0
			       ? 0
			       : fail(&err);
	}
	if (strcmp(cmd, "delete-link") == 0 && argc == 1)
		return net->delete_link(net, argv[0], &err) == 0 ? 0 : fail(&err);
	if (strcmp(cmd, "exists") == 0 && argc == 1) {
		bool yes = net->link_exists(net, argv[0]);

		printf("%s\n", yes ? "yes" : "no");
		return yes ? 0 : 1;
	}
	if (strcmp(cmd, "list") == 0 && argc == 1) {
		char **names = NULL;
		size_t count = 0;

		if (net->list_links(net, argv[0], &names, &count, &err) < 0)
			return fail(&err);
		for (size_t i = 0; i < count; i++)
			printf("%s\n", names[i]);
		zks_free_strv(names, count);
		return 0;
	}
	if (strcmp(cmd, "sync") == 0 && argc >= 1)
		return cmd_sync(argv[0], argv + 1, argc - 1);
	if (strcmp(cmd, "default-address") == 0 && argc == 0) {
		struct in_addr addr;
		char ifname[IF_NAMESIZE], a[INET_ADDRSTRLEN];
		int mtu = 0;

		if (zks_net_default_address(&addr, ifname, &mtu, &err) < 0)
			return fail(&err);
		printf("%s %s %d\n", inet_ntop(AF_INET, &addr, a, sizeof(a)), ifname, mtu);
		return 0;
	}
	if (strcmp(cmd, "address-device") == 0 && argc == 1) {
		struct in_addr addr;
		char ifname[IF_NAMESIZE];
		int ifindex = 0, mtu = 0;

		if (parse_ip(argv[0], &addr) < 0)
			return 2;
		if (zks_net_address_device(addr, ifname, &ifindex, &mtu, &err) < 0)
			return fail(&err);
		printf("%s %d %d\n", ifname, ifindex, mtu);
		return 0;
	}
	if (strcmp(cmd, "race") == 0 && argc == 6)
		return cmd_race(argv);
	return usage();
}
