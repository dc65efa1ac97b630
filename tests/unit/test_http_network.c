/*
 * test_http_network.c - the NetworkDriver and IpamDriver calls through the
 * request path the engine talks to (zks_http_dispatch with the real route
 * table), on the in-memory store with the fake filesystem and the fake
 * kernel network: the bodies the engine really sends (docs/PROTOCOL.md §5),
 * the replies it reads, and the errors in the key each subsystem reads
 * (IpamDriver: "Error", and "Err" as well; NetworkDriver: "Err").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers_net.h"
#include "zkswarm/api.h"
#include "zkswarm/http.h"
#include "zkswarm/util.h"

#define NET1 "5d7c1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7"
#define NETW "a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7"
#define EP1 "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d"
#define EP2 "1f2e3d4c5b6a79808f7e6d5c4b3a29181f2e3d4c5b6a79808f7e6d5c4b3a2918"

struct fixture {
	struct zks_mem_backend *b;
	struct test_node vol;	    /* the volume service of node-a */
	struct test_net_node net;   /* IPAM and networks of node-a */
	struct test_net_node other; /* node-b: IPAM and networks, no volumes */
	struct zks_app app;
	struct zks_app app_b;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->b = test_backend_new();
	test_node_init(&f->vol, f->b, "node-a");
	test_net_node_init(&f->net, f->b, "node-a", "192.0.2.1");
	test_net_node_init(&f->other, f->b, "node-b", "192.0.2.2");
	f->app = (struct zks_app){.volumes = f->vol.v, .networks = f->net.nw, .ipam = f->net.ipam};
	f->app_b = (struct zks_app){.networks = f->other.nw, .ipam = f->other.ipam};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	test_net_node_stop(&f->net);
	test_net_node_stop(&f->other);
	test_node_fini(&f->vol);
	zks_mem_backend_free(f->b);
	test_net_node_fini(&f->net);
	test_net_node_fini(&f->other);
	free(f);
	return 0;
}

/* ---- calls ---------------------------------------------------------------------------------- */

/* Dispatch and parse the reply, which must always be a JSON object; free with cJSON_Delete. */
static cJSON *call_raw(struct zks_app *app, const char *method, const char *path, const char *body,
		       unsigned *status)
{
	struct zks_reply out;
	cJSON *doc;

	zks_http_dispatch(zks_routes, zks_nroutes, app, method, path, body, body ? strlen(body) : 0,
			  &out);
	assert_non_null(out.body);
	doc = cJSON_Parse(out.body);
	if (!cJSON_IsObject(doc))
		print_error("%s %s: reply is not a JSON object: %s\n", method, path, out.body);
	assert_true(cJSON_IsObject(doc));
	*status = out.status;
	free(out.body);
	return doc;
}

static void print_reply(const char *path, const char *body, unsigned status, const cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);

	print_error("%s %s: %u %s\n", path, body, status, text);
	free(text);
}

/* A success reply: 200 and neither Err nor Error (or empty ones). */
static cJSON *call_ok_at(struct zks_app *app, const char *path, const char *body, const char *file,
			 int line)
{
	unsigned status = 0;
	cJSON *doc = call_raw(app, "POST", path, body, &status);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "Err");
	const cJSON *e2 = cJSON_GetObjectItemCaseSensitive(doc, "Error");
	bool ok = status == 200 && (e == NULL || (cJSON_IsString(e) && !e->valuestring[0])) &&
		  (e2 == NULL || (cJSON_IsString(e2) && !e2->valuestring[0]));

	if (!ok) {
		print_reply(path, body, status, doc);
		cJSON_Delete(doc);
		_fail(file, line);
	}
	return doc;
}

#define call_ok(app, path, body) call_ok_at((app), (path), (body), __FILE__, __LINE__)

/*
 * An error reply with status want (0: any but 200) whose message contains
 * needle (if not NULL): "Err" always, and on IpamDriver routes "Error" too,
 * with the same text; network routes carry no "Error".
 */
static void call_err_at(struct zks_app *app, const char *path, const char *body, unsigned want,
			const char *needle, const char *file, int line)
{
	unsigned status = 0;
	cJSON *doc = call_raw(app, "POST", path, body, &status);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "Err");
	const cJSON *e2 = cJSON_GetObjectItemCaseSensitive(doc, "Error");
	bool ipam = strncmp(path, "/IpamDriver.", 12) == 0;
	bool ok = cJSON_IsString(e) && e->valuestring[0] != '\0' &&
		  (want ? status == want : status != 200) &&
		  (needle == NULL || strstr(e->valuestring, needle) != NULL) &&
		  (ipam ? cJSON_IsString(e2) && strcmp(e2->valuestring, e->valuestring) == 0
			: e2 == NULL);

	if (!ok) {
		print_error("want status %u, Err containing \"%s\"%s\n", want, needle ? needle : "",
			    ipam ? " and the same Error" : " and no Error");
		print_reply(path, body, status, doc);
	}
	cJSON_Delete(doc);
	if (!ok)
		_fail(file, line);
}

#define call_err(app, path, body, want, needle)                                                    \
	call_err_at((app), (path), (body), (want), (needle), __FILE__, __LINE__)

static const char *str_at(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsString(v))
		print_error("no string `%s`\n", key);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

/* RequestPool of subnet ("" for any) on app; returns the PoolID (free it). */
static char *request_pool(struct zks_app *app, const char *space, const char *subnet)
{
	char *body = xasprintf("{\"AddressSpace\":\"%s\",\"Pool\":\"%s\",\"SubPool\":\"\","
			       "\"Options\":{},\"V6\":false}",
			       space, subnet);
	cJSON *doc = call_ok(app, "/IpamDriver.RequestPool", body);
	char *id = xstrdup(str_at(doc, "PoolID"));
	struct zks_cidr c;
	struct zks_error err = {0};

	/* Pool is a prefix the engine can parse; Data an object. */
	assert_ok(zks_cidr_parse(str_at(doc, "Pool"), &c, &err), &err);
	if (subnet[0])
		assert_string_equal(str_at(doc, "Pool"), subnet);
	assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "Data")));
	cJSON_Delete(doc);
	free(body);
	return id;
}

/* RequestAddress; returns the reply's Address (CIDR form, free it). */
static char *request_address(struct zks_app *app, const char *pool_id, const char *address,
			     const char *options)
{
	char *body = xasprintf("{\"PoolID\":\"%s\",\"Address\":\"%s\",\"Options\":%s}", pool_id,
			       address, options ? options : "null");
	cJSON *doc = call_ok(app, "/IpamDriver.RequestAddress", body);
	char *out = xstrdup(str_at(doc, "Address"));

	assert_non_null(strchr(out, '/'));
	assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "Data")));
	cJSON_Delete(doc);
	free(body);
	return out;
}

static void release_address(struct zks_app *app, const char *pool_id, const char *address)
{
	char *body = xasprintf("{\"PoolID\":\"%s\",\"Address\":\"%s\"}", pool_id, address);

	cJSON_Delete(call_ok(app, "/IpamDriver.ReleaseAddress", body));
	free(body);
}

static void release_pool(struct zks_app *app, const char *pool_id)
{
	char *body = xasprintf("{\"PoolID\":\"%s\"}", pool_id);

	cJSON_Delete(call_ok(app, "/IpamDriver.ReleasePool", body));
	free(body);
}

/* CreateNetwork as the engine 20.10 sends it (docs/PROTOCOL.md §5). */
static char *create_network_body(const char *id, const char *generic, const char *pool,
				 const char *gateway)
{
	return xasprintf(
		"{\"NetworkID\":\"%s\",\"Options\":{\"com.docker.network.enable_ipv6\":false,"
		"\"com.docker.network.generic\":%s},\"IPv4Data\":[{\"AddressSpace\":"
		"\"zkswarm-local\",\"Gateway\":\"%s\",\"Pool\":\"%s\"}],\"IPv6Data\":[]}",
		id, generic ? generic : "{}", gateway, pool);
}

static void create_network(struct zks_app *app, const char *id, const char *generic,
			   const char *pool, const char *gateway)
{
	char *body = create_network_body(id, generic, pool, gateway);

	cJSON_Delete(call_ok(app, "/NetworkDriver.CreateNetwork", body));
	free(body);
}

static char *ids_body(const char *net, const char *ep)
{
	return xasprintf("{\"NetworkID\":\"%s\",\"EndpointID\":\"%s\"}", net, ep);
}

/* A network on 198.18.99.0/24 with its gateway; returns the PoolID. */
static char *standalone_network(struct fixture *f, char **gateway)
{
	char *pool = request_pool(&f->app, "zkswarm-local", "198.18.99.0/24");

	*gateway = request_address(&f->app, pool, "",
				   "{\"RequestAddressType\":\"com.docker.network.gateway\"}");
	create_network(&f->app, NET1, NULL, "198.18.99.0/24", *gateway);
	return pool;
}

/* ---- capabilities ---------------------------------------------------------------------------- */

static void test_activate_lists_every_driver(void **state)
{
	struct fixture *f = *state;
	cJSON *doc = call_ok(&f->app, "/Plugin.Activate", "");
	const cJSON *impl = cJSON_GetObjectItemCaseSensitive(doc, "Implements"), *item;
	int found = 0;

	cJSON_ArrayForEach(item, impl)
	{
		found += strcmp(item->valuestring, "NetworkDriver") == 0;
		found += strcmp(item->valuestring, "IpamDriver") == 0;
	}
	assert_int_equal(found, 2);
	cJSON_Delete(doc);
}

static void test_network_capabilities(void **state)
{
	struct fixture *f = *state;
	static const char *const bodies[] = {"", "\n", "{}", "{}\n"};

	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		cJSON *doc = call_ok(&f->app, "/NetworkDriver.GetCapabilities", bodies[i]);

		/* local: the engine stores nothing for us; global connectivity: multi-host. */
		assert_string_equal(str_at(doc, "Scope"), "local");
		assert_string_equal(str_at(doc, "ConnectivityScope"), "global");
		cJSON_Delete(doc);
	}
}

static void test_ipam_capabilities(void **state)
{
	struct fixture *f = *state;
	cJSON *doc = call_ok(&f->app, "/IpamDriver.GetCapabilities", "");

	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "RequiresMACAddress")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "RequiresRequestReplay")));
	cJSON_Delete(doc);
}

static void test_default_address_spaces_empty_body(void **state)
{
	struct fixture *f = *state;
	cJSON *doc = call_ok(&f->app, "/IpamDriver.GetDefaultAddressSpaces", "");

	assert_string_equal(str_at(doc, "LocalDefaultAddressSpace"), ZKS_ADDRESS_SPACE_LOCAL);
	assert_string_equal(str_at(doc, "GlobalDefaultAddressSpace"), ZKS_ADDRESS_SPACE_GLOBAL);
	assert_string_not_equal(str_at(doc, "LocalDefaultAddressSpace"),
				str_at(doc, "GlobalDefaultAddressSpace"));
	cJSON_Delete(doc);
}

static void test_calls_without_work_answer_empty(void **state)
{
	struct fixture *f = *state;
	static const char *const paths[] = {
		"/NetworkDriver.DiscoverNew",
		"/NetworkDriver.DiscoverDelete",
		"/NetworkDriver.ProgramExternalConnectivity",
		"/NetworkDriver.RevokeExternalConnectivity",
	};

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		cJSON *doc = call_ok(
			&f->app, paths[i],
			"{\"DiscoveryType\":1,\"DiscoveryData\":{\"Address\":\"198.18.0.11\","
			"\"BindAddress\":\"198.18.0.11\",\"Self\":true}}");

		assert_null(doc->child);
		cJSON_Delete(doc);
	}
	cJSON_Delete(
		call_ok(&f->app, "/NetworkDriver.FreeNetwork", "{\"NetworkID\":\"" NET1 "\"}"));
}

/* ---- the standalone engine's calls
 * ---------------------------------------------------------------- */

static void test_standalone_lifecycle(void **state)
{
	struct fixture *f = *state;
	char *gateway = NULL;
	char *pool = standalone_network(f, &gateway);
	char *addr, *body;
	char host[16], peer[16];
	const cJSON *iface, *name, *value;
	cJSON *doc;

	assert_string_equal(gateway, "198.18.99.1/24");
	assert_true(test_store_exists(f->net.store, "/networks/" NET1));
	/* The gateway is stored as the engine gave it. */
	doc = test_store_json(f->net.store, "/networks/" NET1);
	assert_string_equal(str_at(doc, "gateway"), "198.18.99.1/24");
	assert_string_equal(str_at(doc, "subnet"), "198.18.99.0/24");
	cJSON_Delete(doc);

	/* docker run --ip 198.18.99.40 */
	addr = request_address(&f->app, pool, "198.18.99.40", NULL);
	assert_string_equal(addr, "198.18.99.40/24");
	body = xasprintf("{\"NetworkID\":\"%s\",\"EndpointID\":\"%s\",\"Interface\":{\"Address\":"
			 "\"%s\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":{"
			 "\"com.docker.network.endpoint.exposedports\":[],"
			 "\"com.docker.network.portmap\":[]}}",
			 NET1, EP1, addr);
	doc = call_ok(&f->app, "/NetworkDriver.CreateEndpoint", body);
	free(body);
	/* Only the MAC, which the engine left empty; never the address it gave. */
	iface = cJSON_GetObjectItemCaseSensitive(doc, "Interface");
	assert_true(cJSON_IsObject(iface));
	assert_string_equal(str_at(iface, "MacAddress"), "02:42:c6:12:63:28");
	assert_null(cJSON_GetObjectItemCaseSensitive(iface, "Address"));
	assert_null(cJSON_GetObjectItemCaseSensitive(iface, "AddressIPv6"));
	cJSON_Delete(doc);

	body = xasprintf("{\"NetworkID\":\"%s\",\"EndpointID\":\"%s\",\"SandboxKey\":"
			 "\"/var/run/docker/netns/0123abcd\",\"Options\":{"
			 "\"com.docker.network.endpoint.exposedports\":[],"
			 "\"com.docker.network.portmap\":[{\"Proto\":6,\"IP\":\"\",\"Port\":80}]}}",
			 NET1, EP1);
	doc = call_ok(&f->app, "/NetworkDriver.Join", body);
	free(body);
	test_net_veth(&f->net, EP1, host, peer);
	name = cJSON_GetObjectItemCaseSensitive(doc, "InterfaceName");
	assert_true(cJSON_IsObject(name));
	assert_string_equal(str_at(name, "SrcName"), peer);
	assert_string_equal(str_at(name, "DstPrefix"), "eth");
	cJSON_Delete(doc);
	assert_true(fake_net_has_link(&f->net.net, host));
	assert_true(fake_net_has_link(&f->net.net, peer));

	body = ids_body(NET1, EP1);
	doc = call_ok(&f->app, "/NetworkDriver.EndpointOperInfo", body);
	value = cJSON_GetObjectItemCaseSensitive(doc, "Value");
	assert_true(cJSON_IsObject(value));
	assert_string_equal(str_at(value, "address"), "198.18.99.40/24");
	assert_string_equal(str_at(value, "mac"), "02:42:c6:12:63:28");
	assert_string_equal(str_at(value, "node"), "node-a");
	assert_string_equal(str_at(value, "network"), NET1);
	cJSON_Delete(doc);

	/* Container stop. */
	cJSON_Delete(call_ok(&f->app, "/NetworkDriver.Leave", body));
	assert_false(fake_net_has_link(&f->net.net, host));
	cJSON_Delete(call_ok(&f->app, "/NetworkDriver.DeleteEndpoint", body));
	assert_false(test_store_exists(f->net.store, "/networks/" NET1 "/endpoints/" EP1));
	/* DeleteEndpoint is retried by the engine. */
	cJSON_Delete(call_ok(&f->app, "/NetworkDriver.DeleteEndpoint", body));
	free(body);
	release_address(&f->app, pool, "198.18.99.40");
	assert_false(test_store_exists(
		f->net.store, "/ipam/subnets/198.18.99.0-24/addrs/198.18.99.0-24/198.18.99.40"));

	/* docker network rm: DeleteNetwork, ReleaseAddress (the gateway), ReleasePool. */
	cJSON_Delete(
		call_ok(&f->app, "/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"" NET1 "\"}"));
	release_address(&f->app, pool, "198.18.99.1");
	release_pool(&f->app, pool);
	assert_int_equal(test_store_nchildren(f->net.store, "/networks"), 0);
	assert_int_equal(test_store_nchildren(f->net.store, "/vnis"), 0);
	assert_int_equal(test_store_nchildren(f->net.store, "/ipam/subnets"), 0);
	assert_int_equal(fake_net_nlinks(&f->net.net), 0);
	free(addr);
	free(gateway);
	free(pool);
}

static void test_create_endpoint_with_mac_has_no_interface(void **state)
{
	struct fixture *f = *state;
	char *gateway = NULL;
	char *pool = standalone_network(f, &gateway);
	char *addr = request_address(&f->app, pool, "", NULL);
	char *body = xasprintf("{\"NetworkID\":\"%s\",\"EndpointID\":\"%s\",\"Interface\":{"
			       "\"Address\":\"%s\",\"AddressIPv6\":\"\",\"MacAddress\":"
			       "\"02:42:aa:bb:cc:dd\"},\"Options\":{}}",
			       NET1, EP1, addr);
	cJSON *doc = call_ok(&f->app, "/NetworkDriver.CreateEndpoint", body);

	/* The engine rejects a reply that sets what it set, even to the same value. */
	assert_null(cJSON_GetObjectItemCaseSensitive(doc, "Interface"));
	cJSON_Delete(doc);
	free(body);
	body = ids_body(NET1, EP1);
	doc = call_ok(&f->app, "/NetworkDriver.EndpointOperInfo", body);
	assert_string_equal(str_at(cJSON_GetObjectItemCaseSensitive(doc, "Value"), "mac"),
			    "02:42:aa:bb:cc:dd");
	cJSON_Delete(doc);
	free(body);
	free(addr);
	free(gateway);
	free(pool);
}

static void test_request_pool_replay_same_id(void **state)
{
	struct fixture *f = *state;
	char *p1 = request_pool(&f->app, "zkswarm-local", "198.18.99.0/24");
	char *p2 = request_pool(&f->app, "", "198.18.99.0/24");
	char *p3 = request_pool(&f->app_b, "zkswarm-global", "198.18.99.0/24");
	char *d1 = request_pool(&f->app, "zkswarm-local", "");
	char *d2 = request_pool(&f->app, "zkswarm-local", "");

	assert_string_equal(p1, p2);
	assert_string_equal(p1, p3);
	/* The engine's overlap loop asks again while holding the first: another pool. */
	assert_string_not_equal(d1, d2);
	free(p1);
	free(p2);
	free(p3);
	free(d1);
	free(d2);
}

static void test_request_pool_with_subpool(void **state)
{
	struct fixture *f = *state;
	cJSON *doc = call_ok(&f->app, "/IpamDriver.RequestPool",
			     "{\"AddressSpace\":\"zkswarm-local\",\"Pool\":\"198.18.99.0/24\","
			     "\"SubPool\":\"198.18.99.128/25\",\"Options\":null,\"V6\":false}");
	char *id = xstrdup(str_at(doc, "PoolID"));
	char *a;

	assert_string_equal(str_at(doc, "Pool"), "198.18.99.0/24");
	cJSON_Delete(doc);
	a = request_address(&f->app, id, "", NULL);
	assert_true(strncmp(a, "198.18.99.1", 11) == 0 && strlen(a) == strlen("198.18.99.129/24"));
	free(a);
	free(id);
}

static void test_request_address_options(void **state)
{
	struct fixture *f = *state;
	char *pool = request_pool(&f->app, "zkswarm-local", "198.18.99.0/24");
	char *a1 = request_address(&f->app, pool, "",
				   "{\"com.docker.network.endpoint.name\":\"web\"}");
	/* Another RequestAddressType is not a gateway request. */
	char *a2 =
		request_address(&f->app, pool, "", "{\"RequestAddressType\":\"something-else\"}");
	char *g = request_address(&f->app, pool, "",
				  "{\"RequestAddressType\":\"com.docker.network.gateway\"}");
	char *g2 = request_address(&f->app_b, pool, "",
				   "{\"RequestAddressType\":\"com.docker.network.gateway\"}");
	cJSON *rec;

	assert_string_equal(a1, "198.18.99.1/24");
	assert_string_equal(a2, "198.18.99.2/24");
	assert_string_equal(g, "198.18.99.3/24");
	assert_string_equal(g2, g);
	rec = test_store_json(f->net.store,
			      "/ipam/subnets/198.18.99.0-24/addrs/198.18.99.0-24/198.18.99.2");
	assert_string_equal(str_at(rec, "kind"), "address");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rec, "swarm")));
	cJSON_Delete(rec);
	rec = test_store_json(f->net.store,
			      "/ipam/subnets/198.18.99.0-24/addrs/198.18.99.0-24/198.18.99.3");
	assert_string_equal(str_at(rec, "kind"), "gateway");
	cJSON_Delete(rec);
	free(a1);
	free(a2);
	free(g);
	free(g2);
	free(pool);
}

/* ---- swarm: the manager allocates, the worker reserves by value ------------------------------ */

static void test_swarm_flow(void **state)
{
	struct fixture *f = *state;
	struct zks_app *mgr = &f->app, *wrk = &f->app_b;
	char *pool, *pool_w, *gw, *gw_w, *task, *task_w, *body, *sub;
	cJSON *doc;
	const cJSON *opts;

	/* Manager, at `docker network create --scope swarm`. */
	doc = call_ok(mgr, "/IpamDriver.RequestPool",
		      "{\"AddressSpace\":\"zkswarm-global\",\"Pool\":\"\",\"SubPool\":\"\","
		      "\"Options\":null,\"V6\":false}");
	pool = xstrdup(str_at(doc, "PoolID"));
	sub = xstrdup(str_at(doc, "Pool"));
	cJSON_Delete(doc);
	assert_true(strncmp(sub, "10.200.", 7) == 0); /* from the default range */
	gw = request_address(mgr, pool, "",
			     "{\"RequestAddressType\":\"com.docker.network.gateway\","
			     "\"com.docker.network.ipam.serial\":\"true\"}");
	body = xasprintf("{\"NetworkID\":\"%s\",\"Options\":{},\"IPv4Data\":[{\"AddressSpace\":"
			 "\"\",\"Gateway\":\"%s\",\"Pool\":\"%s\"}],\"IPv6Data\":null}",
			 NETW, gw, sub);
	doc = call_ok(mgr, "/NetworkDriver.AllocateNetwork", body);
	free(body);
	opts = cJSON_GetObjectItemCaseSensitive(doc, "Options");
	assert_true(cJSON_IsObject(opts));
	assert_null(opts->child);
	cJSON_Delete(doc);
	/* A task's address. */
	task = request_address(mgr, pool, "", "{\"com.docker.network.ipam.serial\":\"true\"}");
	assert_string_not_equal(task, gw);

	/* The worker running the task: local creation with the manager's results. */
	pool_w = request_pool(wrk, "zkswarm-local", sub);
	assert_string_equal(pool_w, pool);
	*strchr(gw, '/') = '\0';
	gw_w = request_address(wrk, pool_w, gw,
			       "{\"RequestAddressType\":\"com.docker.network.gateway\"}");
	body = xasprintf("%s/%s", gw, strchr(sub, '/') + 1);
	assert_string_equal(gw_w, body);
	free(body);
	body = create_network_body(NETW, "{}", sub, gw_w);
	cJSON_Delete(call_ok(wrk, "/NetworkDriver.CreateNetwork", body));
	free(body);
	*strchr(task, '/') = '\0';
	task_w = request_address(wrk, pool_w, task, NULL);
	body = xasprintf("{\"NetworkID\":\"%s\",\"EndpointID\":\"%s\",\"Interface\":{\"Address\":"
			 "\"%s\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"}}",
			 NETW, EP2, task_w);
	cJSON_Delete(call_ok(wrk, "/NetworkDriver.CreateEndpoint", body));
	free(body);
	body = ids_body(NETW, EP2);
	cJSON_Delete(call_ok(wrk, "/NetworkDriver.Join", body));
	cJSON_Delete(call_ok(wrk, "/NetworkDriver.Leave", body));
	cJSON_Delete(call_ok(wrk, "/NetworkDriver.DeleteEndpoint", body));
	free(body);

	/* Released twice: by the worker (still the manager's), then by the manager. */
	release_address(wrk, pool_w, task);
	/* Records are grouped by their /24: addrs/a.b.c.0-24/a.b.c.d. */
	body = xasprintf("/ipam/subnets/%.*s-%s/addrs/%.*s.0-24/%s", (int)(strchr(sub, '/') - sub),
			 sub, strchr(sub, '/') + 1, (int)(strrchr(task, '.') - task), task, task);
	assert_true(test_store_exists(f->net.store, body));
	release_address(mgr, pool, task);
	assert_false(test_store_exists(f->net.store, body));
	free(body);

	/* Last task leaves the worker; the network is removed on the manager. */
	cJSON_Delete(call_ok(wrk, "/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"" NETW "\"}"));
	release_address(wrk, pool_w, gw);
	release_pool(wrk, pool_w);
	cJSON_Delete(call_ok(mgr, "/NetworkDriver.FreeNetwork", "{\"NetworkID\":\"" NETW "\"}"));
	release_address(mgr, pool, gw);
	release_pool(mgr, pool);
	assert_int_equal(test_store_nchildren(f->net.store, "/ipam/subnets"), 0);
	assert_int_equal(test_store_nchildren(f->net.store, "/networks"), 0);
	free(pool);
	free(pool_w);
	free(gw);
	free(gw_w);
	free(task);
	free(task_w);
	free(sub);
}

static void test_allocate_network_echoes_options(void **state)
{
	struct fixture *f = *state;
	cJSON *doc = call_ok(
		&f->app, "/NetworkDriver.AllocateNetwork",
		"{\"NetworkID\":\"" NETW "\",\"Options\":{\"cluster-name\":\"web\","
		"\"vni\":\"5000\",\"mtu\":\"1400\"},\"IPv4Data\":[{\"AddressSpace\":\"\","
		"\"Pool\":\"10.0.9.0/24\",\"Gateway\":\"10.0.9.1/24\"}],\"IPv6Data\":null}");
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(doc, "Options");

	assert_true(cJSON_IsObject(opts));
	assert_int_equal(cJSON_GetArraySize(opts), 3);
	assert_string_equal(str_at(opts, "cluster-name"), "web");
	assert_string_equal(str_at(opts, "vni"), "5000");
	assert_string_equal(str_at(opts, "mtu"), "1400");
	cJSON_Delete(doc);
	doc = call_ok(&f->app, "/NetworkDriver.AllocateNetwork",
		      "{\"NetworkID\":\"" NETW "\",\"Options\":null}");
	assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "Options")));
	cJSON_Delete(doc);
	call_err(&f->app, "/NetworkDriver.AllocateNetwork",
		 "{\"NetworkID\":\"" NETW "\",\"Options\":{\"vni\":5000}}", 400, "Options");
	call_err(&f->app, "/NetworkDriver.AllocateNetwork", "{\"Options\":{}}", 400, "NetworkID");
}

static void test_create_network_with_generic_options(void **state)
{
	struct fixture *f = *state;
	char *pool = request_pool(&f->app, "zkswarm-local", "198.18.99.0/24");
	cJSON *doc;

	create_network(&f->app, NET1, "{\"cluster-name\":\"web\",\"vni\":\"7777\"}",
		       "198.18.99.0/24", "198.18.99.1/24");
	doc = test_store_json(f->net.store, "/networks/web");
	assert_non_null(doc);
	assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(doc, "vni")->valuedouble, 7777);
	cJSON_Delete(doc);
	/* A wrong -o comes back in Err, listing what is accepted. */
	call_err(&f->app, "/NetworkDriver.CreateNetwork",
		 "{\"NetworkID\":\"" NETW "\",\"Options\":{\"com.docker.network.generic\":"
		 "{\"size\":\"1\"}},\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\"}],\"IPv6Data\":[]}",
		 400, "cluster-name");
	free(pool);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void test_ipam_errors_carry_err_and_error(void **state)
{
	struct fixture *f = *state;
	char *pool = request_pool(&f->app, "zkswarm-local", "198.18.99.0/24");
	char *body;
	unsigned status = 0;
	cJSON *doc;

	call_err(&f->app, "/IpamDriver.RequestPool",
		 "{\"AddressSpace\":\"zkswarm-local\",\"Pool\":\"\",\"V6\":true}", 400, "IPv6");
	call_err(&f->app, "/IpamDriver.RequestPool", "{\"Pool\":\"198.18.0.0/16\"}", 500,
		 "198.18.99.0/24");
	call_err(&f->app, "/IpamDriver.RequestPool",
		 "{\"AddressSpace\":\"elsewhere\",\"Pool\":\"10.9.0.0/24\"}", 400, "elsewhere");
	call_err(&f->app, "/IpamDriver.RequestPool",
		 "{\"Pool\":\"10.9.0.0/24\",\"Options\":{\"foo\":\"bar\"}}", 400, "foo");
	call_err(&f->app, "/IpamDriver.RequestPool", "{\"Pool\":\"10.9.0.1/24\"}", 400,
		 "10.9.0.0/24");
	call_err(&f->app, "/IpamDriver.RequestPool", "{\"SubPool\":\"10.9.0.0/25\"}", 400, NULL);
	call_err(&f->app, "/IpamDriver.RequestAddress", "{\"Address\":\"\"}", 400, "PoolID");
	call_err(&f->app, "/IpamDriver.RequestAddress", "{\"PoolID\":\"10.9.0.0/24\"}", 0,
		 "10.9.0.0/24");
	body = xasprintf("{\"PoolID\":\"%s\",\"Address\":\"10.9.0.5\"}", pool);
	call_err(&f->app, "/IpamDriver.RequestAddress", body, 400, "outside");
	free(body);
	free(request_address(&f->app, pool, "198.18.99.7", NULL));
	body = xasprintf("{\"PoolID\":\"%s\",\"Address\":\"198.18.99.7\"}", pool);
	call_err(&f->app, "/IpamDriver.RequestAddress", body, 500, "node-a");
	free(body);
	call_err(&f->app, "/IpamDriver.ReleaseAddress", "{\"PoolID\":\"x\"}", 400, "Address");
	call_err(&f->app, "/IpamDriver.ReleasePool", "{}", 400, "PoolID");
	call_err(&f->app, "/IpamDriver.ReleasePool", "{\"PoolID\":\"nonsense\"}", 400, "nonsense");
	/* Even the transport's own errors. */
	call_err(&f->app, "/IpamDriver.RequestPool", "{", 400, "JSON");
	call_err(&f->app, "/IpamDriver.RequestPool", "[]", 400, NULL);
	doc = call_raw(&f->app, "GET", "/IpamDriver.RequestPool", "{}", &status);
	assert_int_equal(status, 405);
	assert_string_equal(str_at(doc, "Err"), str_at(doc, "Error"));
	cJSON_Delete(doc);
	free(pool);
}

static void test_network_errors_carry_err(void **state)
{
	struct fixture *f = *state;

	call_err(&f->app, "/NetworkDriver.CreateNetwork", "{}", 400, "NetworkID");
	call_err(&f->app, "/NetworkDriver.CreateNetwork", "{", 400, "JSON");
	call_err(&f->app, "/NetworkDriver.DeleteNetwork", "{\"NetworkID\":7}", 400, "NetworkID");
	call_err(&f->app, "/NetworkDriver.Join", "{\"NetworkID\":\"" NET1 "\"}", 400, "EndpointID");
	call_err(&f->app, "/NetworkDriver.Join",
		 "{\"NetworkID\":\"" NET1 "\",\"EndpointID\":\"" EP1 "\"}", 500, NULL);
	call_err(&f->app, "/NetworkDriver.EndpointOperInfo",
		 "{\"NetworkID\":\"" NET1 "\",\"EndpointID\":\"" EP1 "\"}", 500, NULL);
	call_err(&f->app, "/NetworkDriver.CreateEndpoint",
		 "{\"NetworkID\":\"" NET1 "\",\"EndpointID\":\"" EP1 "\",\"Interface\":{"
		 "\"Address\":\"198.18.99.5/24\"}}",
		 500, NULL);
	call_err(&f->app, "/NetworkDriver.Leave", "{\"EndpointID\":\"" EP1 "\"}", 400, "NetworkID");
}

static void test_create_network_unclaimed_subnet(void **state)
{
	struct fixture *f = *state;
	char *body = create_network_body(NET1, NULL, "198.18.99.0/24", "198.18.99.1/24");

	call_err(&f->app, "/NetworkDriver.CreateNetwork", body, 400, "--ipam-driver");
	free(body);
	assert_int_equal(test_store_nchildren(f->net.store, "/networks"), 0);
}

static void test_create_network_refusals(void **state)
{
	struct fixture *f = *state;
	char *pool = request_pool(&f->app, "zkswarm-local", "198.18.99.0/24");
	const char *net = "/NetworkDriver.CreateNetwork";

	call_err(&f->app, net,
		 "{\"NetworkID\":\"" NET1 "\",\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\"}],"
		 "\"IPv6Data\":[{\"Pool\":\"fd00::/64\"}]}",
		 400, "IPv6");
	call_err(&f->app, net,
		 "{\"NetworkID\":\"" NET1 "\",\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\"},"
		 "{\"Pool\":\"198.18.98.0/24\"}],\"IPv6Data\":[]}",
		 400, "IPv4Data");
	call_err(&f->app, net, "{\"NetworkID\":\"" NET1 "\",\"IPv4Data\":[],\"IPv6Data\":[]}", 400,
		 "IPv4Data");
	call_err(&f->app, net, "{\"NetworkID\":\"" NET1 "\"}", 400, "IPv4Data");
	/* Wrong types name the field. */
	call_err(&f->app, net,
		 "{\"NetworkID\":\"" NET1 "\",\"IPv4Data\":{\"Pool\":\"198.18.99.0/24\"}}", 400,
		 "IPv4Data");
	call_err(&f->app, net,
		 "{\"NetworkID\":\"" NET1 "\",\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\"}],"
		 "\"IPv6Data\":\"fd00::/64\"}",
		 400, "IPv6Data");
	call_err(&f->app, net, "{\"NetworkID\":\"" NET1 "\",\"IPv4Data\":[\"198.18.99.0/24\"]}",
		 400, "IPv4Data");
	call_err(&f->app, net, "{\"NetworkID\":\"" NET1 "\",\"IPv4Data\":[{}]}", 400, "Pool");
	call_err(&f->app, net, "{\"NetworkID\":\"" NET1 "\",\"IPv4Data\":[{\"Pool\":42}]}", 400,
		 "Pool");
	call_err(&f->app, net,
		 "{\"NetworkID\":\"" NET1 "\",\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\","
		 "\"Gateway\":[]}]}",
		 400, "Gateway");
	call_err(&f->app, net,
		 "{\"NetworkID\":\"" NET1 "\",\"Options\":[],\"IPv4Data\":[{\"Pool\":"
		 "\"198.18.99.0/24\"}]}",
		 400, "Options");
	call_err(&f->app, net,
		 "{\"NetworkID\":\"" NET1 "\",\"Options\":{\"com.docker.network.generic\":[]},"
		 "\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\"}]}",
		 400, "com.docker.network.generic");
	call_err(&f->app, net,
		 "{\"NetworkID\":\"" NET1 "\",\"Options\":{\"com.docker.network.generic\":"
		 "{\"vni\":5000}},\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\"}]}",
		 400, "vni");
	assert_int_equal(test_store_nchildren(f->net.store, "/networks"), 0);
	/* Null IPv6Data (as AllocateNetwork sends) and null Options are fine. */
	cJSON_Delete(call_ok(&f->app, net,
			     "{\"NetworkID\":\"" NET1 "\",\"Options\":null,\"IPv4Data\":[{\"Pool\":"
			     "\"198.18.99.0/24\"}],\"IPv6Data\":null}"));
	free(pool);
}

static void test_create_endpoint_refusals(void **state)
{
	struct fixture *f = *state;
	char *gateway = NULL;
	char *pool = standalone_network(f, &gateway);
	const char *ep = "/NetworkDriver.CreateEndpoint";

	call_err(
		&f->app, ep,
		"{\"NetworkID\":\"" NET1 "\",\"EndpointID\":\"" EP1 "\",\"Interface\":{"
		"\"Address\":\"198.18.99.5/24\",\"AddressIPv6\":\"fd00::5/64\",\"MacAddress\":\"\"}}",
		400, "IPv6");
	call_err(&f->app, ep,
		 "{\"NetworkID\":\"" NET1 "\",\"EndpointID\":\"" EP1 "\",\"Interface\":\"eth0\"}",
		 400, "Interface");
	call_err(&f->app, ep,
		 "{\"NetworkID\":\"" NET1 "\",\"EndpointID\":\"" EP1 "\",\"Interface\":{"
		 "\"Address\":5}}",
		 400, "Address");
	call_err(&f->app, ep,
		 "{\"NetworkID\":\"" NET1 "\",\"EndpointID\":\"" EP1 "\",\"Interface\":{"
		 "\"Address\":\"198.18.99.5/24\",\"MacAddress\":false}}",
		 400, "MacAddress");
	call_err(&f->app, ep,
		 "{\"NetworkID\":\"" NET1 "\",\"EndpointID\":\"" EP1 "\",\"Interface\":{"
		 "\"Address\":\"\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"}}",
		 400, "IPv4 address");
	call_err(&f->app, ep,
		 "{\"NetworkID\":\"" NET1 "\",\"EndpointID\":\"" EP1 "\",\"Interface\":{"
		 "\"Address\":\"10.0.0.5/24\"}}",
		 400, "subnet");
	call_err(&f->app, ep, "{\"NetworkID\":\"" NET1 "\",\"Interface\":{}}", 400, "EndpointID");
	assert_int_equal(test_store_nchildren(f->net.store, "/networks/" NET1 "/endpoints"), 0);
	free(gateway);
	free(pool);
}

static void test_ipam_field_types(void **state)
{
	struct fixture *f = *state;

	call_err(&f->app, "/IpamDriver.RequestPool",
		 "{\"Pool\":\"198.18.99.0/24\",\"V6\":\"false\"}", 400, "V6");
	call_err(&f->app, "/IpamDriver.RequestPool", "{\"Pool\":[\"198.18.99.0/24\"]}", 400,
		 "Pool");
	call_err(&f->app, "/IpamDriver.RequestPool",
		 "{\"Pool\":\"198.18.99.0/24\",\"Options\":{\"com.docker.x\":1}}", 400, "Options");
	call_err(&f->app, "/IpamDriver.RequestPool", "{\"Pool\":\"198.18.99.0/24\",\"Options\":[]}",
		 400, "Options");
	call_err(&f->app, "/IpamDriver.RequestAddress",
		 "{\"PoolID\":\"198.18.99.0/24\",\"Address\":7}", 400, "Address");
	call_err(&f->app, "/IpamDriver.RequestAddress",
		 "{\"PoolID\":\"198.18.99.0/24\",\"Options\":\"serial\"}", 400, "Options");
	assert_int_equal(test_store_nchildren(f->net.store, "/ipam/subnets"), 0);
	/* Engine options (com.docker.*) are accepted, and null V6 is false. */
	cJSON_Delete(call_ok(&f->app, "/IpamDriver.RequestPool",
			     "{\"Pool\":\"198.18.99.0/24\",\"V6\":null,\"Options\":"
			     "{\"com.docker.network.ipam.serial\":\"true\"}}"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_activate_lists_every_driver),
		T(test_network_capabilities),
		T(test_ipam_capabilities),
		T(test_default_address_spaces_empty_body),
		T(test_calls_without_work_answer_empty),
		T(test_standalone_lifecycle),
		T(test_create_endpoint_with_mac_has_no_interface),
		T(test_request_pool_replay_same_id),
		T(test_request_pool_with_subpool),
		T(test_request_address_options),
		T(test_swarm_flow),
		T(test_allocate_network_echoes_options),
		T(test_create_network_with_generic_options),
		T(test_ipam_errors_carry_err_and_error),
		T(test_network_errors_carry_err),
		T(test_create_network_unclaimed_subnet),
		T(test_create_network_refusals),
		T(test_create_endpoint_refusals),
		T(test_ipam_field_types),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
