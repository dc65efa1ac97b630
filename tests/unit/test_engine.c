/*
 * test_engine.c - the client of the engine's API (src/sys/engine.c) against the fake engine of
 * tests/fakes/fake_engine.h over a real unix socket: the API version it picks, what it reads
 * of a container as Engine 20.10 and Engine 26 show one, hostile answers, the list, and the
 * event stream (order, subscription, lines split or too long, stop, the engine going away,
 * no engine, an engine that never answers).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_engine.h"
#include "helpers.h"
#include "zkswarm/engine.h"
#include "zkswarm/util.h"

#define WAIT_MS 5000
#define SHORT_TIMEOUT_MS 200

/* ---- realistic containers ------------------------------------------------------------------- */

#define WEB_ID "4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2"
#define NET_ID "9c1e8b2f4d7a6c5e3b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c"
#define EP_ID "e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70"

/* Engine 20.10 (API 1.41), `docker run -d --name web --network zknet --network-alias www
 * nginx:1.25`: Aliases hold the short ID, there are no DNSNames. */
static const char web_2010[] =
	"{\"Id\":\"" WEB_ID "\",\"Created\":\"2026-12-05T03:58:12.123456789Z\","
	"\"Path\":\"/docker-entrypoint.sh\",\"Args\":[\"nginx\",\"-g\",\"daemon off;\"],"
	"\"State\":{\"Status\":\"running\",\"Running\":true,\"Paused\":false,\"Restarting\":false,"
	"\"OOMKilled\":false,\"Dead\":false,\"Pid\":4242,\"ExitCode\":0,\"Error\":\"\","
	"\"StartedAt\":\"2026-12-05T03:58:12.5Z\",\"FinishedAt\":\"0001-01-01T00:00:00Z\"},"
	"\"Image\":\"sha256:a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6\","
	"\"Name\":\"/web\",\"RestartCount\":0,\"Driver\":\"overlay2\",\"Platform\":\"linux\","
	"\"HostConfig\":{\"NetworkMode\":\"zknet\",\"RestartPolicy\":{\"Name\":\"no\","
	"\"MaximumRetryCount\":0}},"
	"\"Config\":{\"Hostname\":\"4fa6e0f0c678\",\"Domainname\":\"\",\"User\":\"\","
	"\"AttachStdin\":false,\"ExposedPorts\":{\"80/tcp\":{}},\"Tty\":false,"
	"\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
	"\"NGINX_VERSION=1.25.3\"],\"Cmd\":[\"nginx\",\"-g\",\"daemon off;\"],"
	"\"Image\":\"nginx:1.25\",\"Volumes\":null,\"WorkingDir\":\"\","
	"\"Entrypoint\":[\"/docker-entrypoint.sh\"],\"OnBuild\":null,"
	"\"Labels\":{\"maintainer\":\"NGINX Docker Maintainers <docker-maint@nginx.com>\"},"
	"\"StopSignal\":\"SIGQUIT\"},"
	"\"NetworkSettings\":{\"Bridge\":\"\",\"SandboxID\":\"0a1b2c3d4e5f\",\"HairpinMode\":false,"
	"\"LinkLocalIPv6Address\":\"\",\"LinkLocalIPv6PrefixLen\":0,\"Ports\":{\"80/tcp\":null},"
	"\"SandboxKey\":\"/var/run/docker/netns/0a1b2c3d4e5f\",\"SecondaryIPAddresses\":null,"
	"\"SecondaryIPv6Addresses\":null,\"EndpointID\":\"\",\"Gateway\":\"\","
	"\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"IPAddress\":\"\",\"IPPrefixLen\":0,"
	"\"IPv6Gateway\":\"\",\"MacAddress\":\"\",\"Networks\":{\"zknet\":{\"IPAMConfig\":null,"
	"\"Links\":null,\"Aliases\":[\"www\",\"4fa6e0f0c678\"],\"NetworkID\":\"" NET_ID "\","
	"\"EndpointID\":\"" EP_ID "\",\"Gateway\":\"10.20.0.1\",\"IPAddress\":\"10.20.0.5\","
	"\"IPPrefixLen\":24,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\","
	"\"GlobalIPv6PrefixLen\":0,\"MacAddress\":\"02:42:0a:14:00:05\",\"DriverOpts\":null}}}}";

#define API_ID "b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9"
#define BRIDGE_ID "11aa22bb33cc44dd55ee66ff77aa88bb99cc00dd11ee22ff33aa44bb55cc66dd"

/* Engine 26 (API 1.45), a swarm task on zknet and on the default bridge: Aliases no longer
 * hold the short ID; DNSNames = name, aliases, short ID, hostname (de-duplicated). */
static const char api_26[] =
	"{\"Id\":\"" API_ID "\",\"Created\":\"2026-12-05T04:01:00.5Z\",\"Path\":\"/app\","
	"\"Args\":[],\"State\":{\"Status\":\"running\",\"Running\":true,\"Paused\":false,"
	"\"Restarting\":false,\"OOMKilled\":false,\"Dead\":false,\"Pid\":5151,\"ExitCode\":0,"
	"\"Error\":\"\",\"StartedAt\":\"2026-12-05T04:01:01Z\","
	"\"FinishedAt\":\"0001-01-01T00:00:00Z\"},\"Image\":\"sha256:0123\","
	"\"Name\":\"/api.1.x3k2m9q7w1e5r8t4y6u0i2o3p\",\"RestartCount\":0,"
	"\"Driver\":\"overlay2\",\"Platform\":\"linux\","
	"\"Config\":{\"Hostname\":\"b7c9d1e3f5a7\",\"Domainname\":\"\",\"User\":\"\","
	"\"ExposedPorts\":{\"8080/tcp\":{},\"53/udp\":{}},\"Env\":[\"PATH=/bin\"],"
	"\"Image\":\"registry.example/api:2@sha256:4567\",\"Volumes\":null,\"WorkingDir\":\"/\","
	"\"Entrypoint\":[\"/app\"],\"OnBuild\":null,\"Labels\":{"
	"\"com.docker.swarm.node.id\":\"n0d3id5w4rm00000000000000\","
	"\"com.docker.swarm.service.id\":\"s3rv1c3id000000000000000\","
	"\"com.docker.swarm.service.name\":\"api\","
	"\"com.docker.swarm.task\":\"\",\"com.docker.swarm.task.id\":\"x3k2m9q7w1e5r8t4y6u0i2o3p\","
	"\"com.docker.swarm.task.name\":\"api.1.x3k2m9q7w1e5r8t4y6u0i2o3p\"}},"
	"\"NetworkSettings\":{\"Bridge\":\"\",\"SandboxID\":\"5e6f\",\"SandboxKey\":"
	"\"/var/run/docker/netns/5e6f\",\"Ports\":{\"53/udp\":null,\"8080/tcp\":null},"
	"\"HairpinMode\":false,\"LinkLocalIPv6Address\":\"\",\"LinkLocalIPv6PrefixLen\":0,"
	"\"SecondaryIPAddresses\":null,\"SecondaryIPv6Addresses\":null,"
	"\"EndpointID\":\"aa00\",\"Gateway\":\"172.17.0.1\",\"GlobalIPv6Address\":\"\","
	"\"GlobalIPv6PrefixLen\":0,\"IPAddress\":\"172.17.0.3\",\"IPPrefixLen\":16,"
	"\"IPv6Gateway\":\"\",\"MacAddress\":\"02:42:ac:11:00:03\",\"Networks\":{"
	"\"bridge\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,"
	"\"MacAddress\":\"02:42:ac:11:00:03\",\"NetworkID\":\"" BRIDGE_ID "\","
	"\"EndpointID\":\"aa00\",\"Gateway\":\"172.17.0.1\",\"IPAddress\":\"172.17.0.3\","
	"\"IPPrefixLen\":16,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\","
	"\"GlobalIPv6PrefixLen\":0,\"DriverOpts\":null,\"DNSNames\":null},"
	"\"zknet\":{\"IPAMConfig\":{\"IPv4Address\":\"10.20.0.7\"},\"Links\":null,"
	"\"Aliases\":[\"api\",\"api-alias\"],\"MacAddress\":\"02:42:0a:14:00:07\","
	"\"NetworkID\":\"" NET_ID "\",\"EndpointID\":\"" EP_ID "\",\"Gateway\":\"10.20.0.1\","
	"\"IPAddress\":\"10.20.0.7\",\"IPPrefixLen\":24,\"IPv6Gateway\":\"\","
	"\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DriverOpts\":null,"
	"\"DNSNames\":[\"api.1.x3k2m9q7w1e5r8t4y6u0i2o3p\",\"api\",\"api-alias\","
	"\"b7c9d1e3f5a7\"]}}}}";

/* ---- fixtures ------------------------------------------------------------------------------- */

struct fixture {
	struct fake_engine *fe;
	struct zks_engine *e;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->fe = fake_engine_start();
	f->e = zks_engine_new(fake_engine_socket(f->fe));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	zks_engine_free(f->e);
	fake_engine_stop(f->fe);
	free(f);
	return 0;
}

static void connect_ok(struct fixture *f)
{
	struct zks_error err = {0};

	assert_ok(zks_engine_connect(f->e, &err), &err);
}

static void inspect_ok(struct fixture *f, const char *id, struct zks_engine_container *c)
{
	struct zks_error err = {0};

	assert_ok(zks_engine_inspect(f->e, id, c, &err), &err);
}

/* Inspect of a container whose answer is json. */
static void inspect_json(struct fixture *f, const char *json, struct zks_engine_container *c)
{
	fake_engine_set_container(f->fe, "c1", json);
	inspect_ok(f, "c1", c);
}

static bool has_alias(const struct zks_engine_attachment *a, const char *alias)
{
	for (size_t i = 0; i < a->naliases; i++)
		if (strcmp(a->aliases[i], alias) == 0)
			return true;
	return false;
}

/* ---- version negotiation -------------------------------------------------------------------- */

static void test_speaks_the_engines_version_when_older(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(zks_engine_api_version(f->e), "");
	fake_engine_set_version(f->fe, "1.41", "1.12");
	connect_ok(f);
	assert_string_equal(zks_engine_api_version(f->e), "1.41");
	assert_int_equal(fake_engine_count(f->fe, "/version"), 1);
}

static void test_speaks_its_own_newest_when_the_engine_is_newer(void **state)
{
	struct fixture *f = *state;
	struct zks_engine_container c;

	fake_engine_set_version(f->fe, "1.47", "1.24");
	fake_engine_set_container(f->fe, "c1", web_2010);
	connect_ok(f);
	assert_string_equal(zks_engine_api_version(f->e), "1.45");
	/* and the calls use it */
	inspect_ok(f, "c1", &c);
	assert_string_equal(fake_engine_last_version(f->fe), "1.45");
	zks_engine_container_clear(&c);
}

/* An engine whose minimum is above what zkswarm speaks is refused, not spoken to in a version
 * zkswarm was not checked against. */
static void test_refuses_an_engine_whose_minimum_is_newer(void **state)
{
	struct fixture *f = *state;
	struct zks_error err = {0};

	fake_engine_set_version(f->fe, "1.47", "1.46");
	assert_error(zks_engine_connect(f->e, &err), &err, ZKS_ERR_INVALID);
	assert_contains(err.msg, "speaks API 1.46 to 1.47");
	assert_contains(err.msg, "1.41 to 1.45");
	assert_string_equal(zks_engine_api_version(f->e), "");
}

static void test_refuses_an_engine_older_than_20_10(void **state)
{
	struct fixture *f = *state;
	struct zks_error err = {0};

	fake_engine_set_version(f->fe, "1.40", "1.12");
	assert_error(zks_engine_connect(f->e, &err), &err, ZKS_ERR_INVALID);
	assert_contains(err.msg, "20.10");
}

static void test_refuses_a_version_answer_without_a_version(void **state)
{
	struct fixture *f = *state;
	struct zks_error err = {0};

	fake_engine_set_version(f->fe, "one.forty", NULL);
	assert_error(zks_engine_connect(f->e, &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, "ApiVersion");
	/* an engine without MinAPIVersion is fine */
	fake_engine_set_version(f->fe, "1.43", NULL);
	connect_ok(f);
	assert_string_equal(zks_engine_api_version(f->e), "1.43");
}

static void test_calls_connect_first_when_not_connected(void **state)
{
	struct fixture *f = *state;
	char **ids;
	size_t n;
	struct zks_error err = {0};

	fake_engine_set_version(f->fe, "1.44", "1.24");
	assert_ok(zks_engine_list(f->e, &ids, &n, &err), &err);
	assert_int_equal(fake_engine_count(f->fe, "/version"), 1);
	assert_string_equal(fake_engine_last_version(f->fe), "1.44");
	zks_free_strv(ids, n);
}

/* ---- inspect -------------------------------------------------------------------------------- */

static void test_inspect_of_an_engine_20_10_container(void **state)
{
	struct fixture *f = *state;
	struct zks_engine_container c;

	fake_engine_set_version(f->fe, "1.41", "1.12");
	fake_engine_set_container(f->fe, WEB_ID, web_2010);
	inspect_ok(f, WEB_ID, &c);
	assert_int_equal(fake_engine_count(f->fe, "/containers/" WEB_ID "/json"), 1);
	assert_string_equal(fake_engine_last_version(f->fe), "1.41");
	assert_string_equal(c.id, WEB_ID);
	assert_string_equal(c.name, "web");
	assert_string_equal(c.hostname, "4fa6e0f0c678");
	assert_true(c.running);
	assert_null(c.service);
	assert_null(c.service_id);
	assert_null(c.task);
	assert_int_equal(c.nports, 1);
	assert_int_equal(c.ports[0].port, 80);
	assert_string_equal(c.ports[0].proto, "tcp");
	assert_int_equal(c.nnets, 1);
	assert_string_equal(c.nets[0].network, "zknet");
	assert_string_equal(c.nets[0].network_id, NET_ID);
	assert_string_equal(c.nets[0].endpoint_id, EP_ID);
	assert_string_equal(c.nets[0].address, "10.20.0.5/24");
	/* the short ID is not an alias of its own */
	assert_int_equal(c.nets[0].naliases, 1);
	assert_string_equal(c.nets[0].aliases[0], "www");
	zks_engine_container_clear(&c);
}

static void test_inspect_of_an_engine_26_swarm_task(void **state)
{
	struct fixture *f = *state;
	struct zks_engine_container c;
	const struct zks_engine_attachment *zk;

	fake_engine_set_container(f->fe, API_ID, api_26);
	inspect_ok(f, API_ID, &c);
	assert_string_equal(c.name, "api.1.x3k2m9q7w1e5r8t4y6u0i2o3p");
	assert_string_equal(c.service, "api");
	assert_string_equal(c.service_id, "s3rv1c3id000000000000000");
	assert_string_equal(c.task, "api.1.x3k2m9q7w1e5r8t4y6u0i2o3p");
	assert_int_equal(c.nports, 2);
	assert_int_equal(c.ports[0].port, 8080);
	assert_string_equal(c.ports[0].proto, "tcp");
	assert_int_equal(c.ports[1].port, 53);
	assert_string_equal(c.ports[1].proto, "udp");
	assert_int_equal(c.nnets, 2);
	assert_string_equal(c.nets[0].network, "bridge");
	assert_string_equal(c.nets[0].address, "172.17.0.3/16");
	assert_int_equal(c.nets[0].naliases, 0);
	zk = &c.nets[1];
	assert_string_equal(zk->network_id, NET_ID);
	assert_string_equal(zk->address, "10.20.0.7/24");
	/* DNSNames minus the name and the short ID (which is also the hostname here) */
	assert_int_equal(zk->naliases, 2);
	assert_string_equal(zk->aliases[0], "api");
	assert_string_equal(zk->aliases[1], "api-alias");
	zks_engine_container_clear(&c);
}

/* DNSNames win over Aliases; they carry a hostname that is not the short ID, which is kept. */
static void test_dnsnames_are_read_before_aliases(void **state)
{
	struct fixture *f = *state;
	struct zks_engine_container c;

	inspect_json(f,
		     "{\"Id\":\"" WEB_ID
		     "\",\"Name\":\"/db\",\"Config\":{\"Hostname\":\"db-host\"},"
		     "\"NetworkSettings\":{\"Networks\":{\"zknet\":{\"NetworkID\":\"n1\","
		     "\"Aliases\":[\"only-in-aliases\"],"
		     "\"DNSNames\":[\"db\",\"pg\",\"4fa6e0f0c678\",\"db-host\",\"pg\"]}}}}",
		     &c);
	assert_int_equal(c.nets[0].naliases, 2);
	assert_string_equal(c.nets[0].aliases[0], "pg");
	assert_string_equal(c.nets[0].aliases[1], "db-host");
	assert_false(has_alias(&c.nets[0], "only-in-aliases"));
	/* an entry without an endpoint or an address yet (a created container) */
	assert_string_equal(c.nets[0].endpoint_id, "");
	assert_string_equal(c.nets[0].address, "");
	assert_false(c.running);
	zks_engine_container_clear(&c);
}

static void test_inspect_of_a_gone_container_is_not_found(void **state)
{
	struct fixture *f = *state;
	struct zks_engine_container c;
	struct zks_error err = {0};

	assert_error(zks_engine_inspect(f->e, "0123456789ab", &c, &err), &err, ZKS_ERR_NOT_FOUND);
	assert_contains(err.msg, "No such container");
	assert_int_equal(fake_engine_count(f->fe, "/containers/0123456789ab/json"), 1);
	zks_engine_container_clear(&c);
}

static void test_inspect_refuses_an_id_that_is_not_one(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = {"", "../version", "a/b", "x?all=1", "a b", "-rf"};
	struct zks_engine_container c;

	connect_ok(f);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct zks_error err = {0};

		assert_error(zks_engine_inspect(f->e, bad[i], &c, &err), &err, ZKS_ERR_INVALID);
		assert_contains(err.msg, "container");
	}
	assert_int_equal(fake_engine_count(f->fe, "/version"), 1); /* nothing else was asked */
}

/* Bodies that are not a container: an error, and nothing to free. */
static void test_inspect_of_a_body_that_is_not_an_object(void **state)
{
	struct fixture *f = *state;
	const char *bodies[] = {"", "not json", "[1,2]", "\"x\"", "{\"Id\": \"x\"", "null"};

	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		struct zks_engine_container c;
		struct zks_error err = {0};

		fake_engine_set_container(f->fe, "c1", bodies[i]);
		assert_error(zks_engine_inspect(f->e, "c1", &c, &err), &err, ZKS_ERR_UNAVAILABLE);
		assert_contains(err.msg, "not a JSON object");
		assert_null(c.id);
		assert_int_equal(c.nnets, 0);
	}
}

/* Fields of the wrong type read as absent; bad entries are left out, good ones kept. */
static void test_inspect_reads_wrong_types_as_absent(void **state)
{
	struct fixture *f = *state;
	struct zks_engine_container c;

	inspect_json(
		f,
		"{\"Id\":7,\"Name\":[\"/x\"],\"State\":{\"Running\":\"true\"},"
		"\"Config\":{\"Hostname\":false,\"Labels\":{\"com.docker.swarm.service.name\":7,"
		"\"com.docker.swarm.task.name\":\"t\"},\"ExposedPorts\":{\"0/tcp\":{},"
		"\"65536/tcp\":{},\"80/icmp\":{},\"80\":{},\"/tcp\":{},\"80/tcp/x\":{},"
		"\"+80/tcp\":{},\"99999999999999999999/udp\":{},\"443/tcp\":{},\"443/tcp\":{},"
		"\"132/sctp\":{}}},"
		"\"NetworkSettings\":{\"Networks\":{\"a\":{\"NetworkID\":5},\"b\":\"x\","
		"\"c\":{\"NetworkID\":\"n-c\",\"EndpointID\":[],\"IPAddress\":\"10.0.0.1\","
		"\"IPPrefixLen\":\"24\",\"Aliases\":[1,null,\"\",\"ok\",{}],\"DNSNames\":\"x\"},"
		"\"d\":{\"NetworkID\":\"n-d\",\"IPAddress\":\"10.0.0.999\",\"IPPrefixLen\":24},"
		"\"e\":{\"NetworkID\":\"n-e\",\"IPAddress\":\"10.0.0.2\",\"IPPrefixLen\":33},"
		"\"g\":{\"NetworkID\":\"n-g\",\"IPAddress\":\"10.0.0.3\",\"IPPrefixLen\":8.5},"
		"\"h\":{\"NetworkID\":\"n-h\",\"IPAddress\":\"fe80::1\",\"IPPrefixLen\":64}}}}",
		&c);
	assert_string_equal(c.id, "c1"); /* the ID asked for */
	assert_string_equal(c.name, "");
	assert_null(c.hostname);
	assert_false(c.running);
	assert_null(c.service);
	assert_string_equal(c.task, "t");
	assert_int_equal(c.nports, 2);
	assert_int_equal(c.ports[0].port, 443);
	assert_string_equal(c.ports[1].proto, "sctp");
	assert_int_equal(c.nnets, 5);
	assert_string_equal(c.nets[0].network, "c");
	assert_string_equal(c.nets[0].endpoint_id, "");
	assert_string_equal(c.nets[0].address, "");
	assert_int_equal(c.nets[0].naliases, 1);
	assert_string_equal(c.nets[0].aliases[0], "ok");
	for (size_t i = 1; i < c.nnets; i++)
		assert_string_equal(c.nets[i].address, "");
	zks_engine_container_clear(&c);
}

/* A body of n entries, each made by entry(i). */
static char *many(const char *head, size_t n, char *(*entry)(size_t i), const char *tail)
{
	size_t cap = strlen(head) + strlen(tail) + n * 200 + 1, len;
	char *out = xmalloc(cap);

	len = (size_t)snprintf(out, cap, "%s", head);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *e = entry(i);

		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "", e);
	}
	snprintf(out + len, cap - len, "%s", tail);
	return out;
}

static char *port_entry(size_t i)
{
	return xasprintf("\"%zu/tcp\":{}", i + 1);
}

static char *net_entry(size_t i)
{
	return xasprintf("\"net%zu\":{\"NetworkID\":\"id%zu\",\"IPAddress\":\"10.%zu.%zu.1\","
			 "\"IPPrefixLen\":24}",
			 i, i, i / 256, i % 256);
}

static char *alias_entry(size_t i)
{
	return xasprintf("\"alias-%zu\"", i % 5000); /* each twice */
}

static void test_inspect_caps_what_it_keeps(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *ports =
		many("{\"Config\":{\"ExposedPorts\":{", 10000, port_entry, "}}}");
	cleanup_free char *nets =
		many("{\"NetworkSettings\":{\"Networks\":{", 10000, net_entry, "}}}");
	cleanup_free char *aliases = many("{\"NetworkSettings\":{\"Networks\":{\"n\":{"
					  "\"NetworkID\":\"x\",\"Aliases\":[",
					  10000, alias_entry, "]}}}}");
	struct zks_engine_container c;

	inspect_json(f, ports, &c);
	assert_int_equal(c.nports, ZKS_NAME_PORTS_MAX);
	assert_int_equal(c.ports[ZKS_NAME_PORTS_MAX - 1].port, ZKS_NAME_PORTS_MAX);
	zks_engine_container_clear(&c);

	inspect_json(f, nets, &c);
	assert_int_equal(c.nnets, ZKS_ENGINE_NETS_MAX);
	assert_string_equal(c.nets[ZKS_ENGINE_NETS_MAX - 1].address, "10.0.255.1/24");
	zks_engine_container_clear(&c);

	inspect_json(f, aliases, &c);
	assert_int_equal(c.nets[0].naliases, ZKS_NAME_ALIASES_MAX);
	assert_string_equal(c.nets[0].aliases[ZKS_NAME_ALIASES_MAX - 1], "alias-31");
	zks_engine_container_clear(&c);
}

/* ---- list ----------------------------------------------------------------------------------- */

static void test_list_gives_the_running_containers(void **state)
{
	struct fixture *f = *state;
	struct zks_error err = {0};
	char **ids;
	size_t n;

	fake_engine_set_list(f->fe, "[{\"Id\":\"" WEB_ID "\",\"Names\":[\"/web\"],"
				    "\"Image\":\"nginx:1.25\",\"State\":\"running\"},"
				    "{\"Names\":[\"/no-id\"]},{\"Id\":5},\"junk\","
				    "{\"Id\":\"" API_ID "\",\"Names\":[\"/api\"]}]");
	assert_ok(zks_engine_list(f->e, &ids, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], WEB_ID);
	assert_string_equal(ids[1], API_ID);
	zks_free_strv(ids, n);

	fake_engine_set_list(f->fe, "[]");
	assert_ok(zks_engine_list(f->e, &ids, &n, &err), &err);
	assert_int_equal(n, 0);
	zks_free_strv(ids, n);

	fake_engine_set_list(f->fe, "{\"Id\":\"x\"}");
	assert_error(zks_engine_list(f->e, &ids, &n, &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, "not a JSON array");
	assert_null(ids);
	assert_int_equal(n, 0);
}

/* An answer over 16 MiB is refused, not read into memory without end. */
static void test_an_answer_over_the_cap_is_refused(void **state)
{
	struct fixture *f = *state;
	size_t len = (16u << 20) + 2;
	cleanup_free char *body = xmalloc(len + 1);
	struct zks_error err = {0};
	char **ids;
	size_t n;

	memset(body, ' ', len);
	body[0] = '[';
	body[len - 1] = ']';
	body[len] = '\0';
	fake_engine_set_list(f->fe, body);
	assert_error(zks_engine_list(f->e, &ids, &n, &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, "is over 16777216 bytes");
}

/* ---- events --------------------------------------------------------------------------------- */

#define MAX_SEEN 16

/* zks_engine_events on its own thread, as the naming service runs it. */
struct run {
	struct zks_engine *e;
	atomic_bool stop;
	size_t end_after; /* fn ends the stream after this many events; 0: never */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *seen[MAX_SEEN]; /* "type action id container" */
	size_t nseen;
	long subscribed_at; /* nseen when subscribed was called, -1 before */
	unsigned nsubscribed;
	bool done;
	int rc;
	int64_t done_ms;
	struct zks_error err;
};

static int on_event(void *ctx, const struct zks_engine_event *ev)
{
	struct run *r = ctx;
	int stop;

	pthread_mutex_lock(&r->lock);
	if (r->nseen < MAX_SEEN)
		r->seen[r->nseen++] = xasprintf("%s %s %s %s", ev->type, ev->action, ev->id,
						ev->container ? ev->container : "-");
	stop = r->end_after && r->nseen >= r->end_after;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return stop;
}

static void on_subscribed(void *ctx)
{
	struct run *r = ctx;

	pthread_mutex_lock(&r->lock);
	r->subscribed_at = (long)r->nseen;
	r->nsubscribed++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void *run_events(void *arg)
{
	struct run *r = arg;
	int rc = zks_engine_events(r->e, on_event, on_subscribed, r, &r->stop, &r->err);

	pthread_mutex_lock(&r->lock);
	r->rc = rc;
	r->done = true;
	r->done_ms = zks_now_ms();
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static struct run *run_start(struct zks_engine *e, size_t end_after)
{
	struct run *r = xcalloc(1, sizeof(*r));

	r->e = e;
	r->end_after = end_after;
	r->subscribed_at = -1;
	atomic_init(&r->stop, false);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	assert_int_equal(pthread_create(&r->thread, NULL, run_events, r), 0);
	return r;
}

/* Waits (bounded) until the run has seen n events, or subscribed (n < 0), or ended (done). */
static bool run_wait(struct run *r, long n, bool done)
{
	int64_t until = zks_now_ms() + WAIT_MS;
	bool ok;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct timespec ts;

		ok = done ? r->done : n < 0 ? r->nsubscribed > 0 : r->nseen >= (size_t)n;
		if (ok || zks_now_ms() >= until)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&r->cond, &r->lock, &ts);
	}
	pthread_mutex_unlock(&r->lock);
	return ok;
}

/* Stops it if still running, joins, frees; returns its rc. */
static int run_end(struct run *r, struct zks_error *err)
{
	int rc;

	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
	rc = r->rc;
	if (err)
		*err = r->err;
	for (size_t i = 0; i < r->nseen; i++)
		free(r->seen[i]);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
	return rc;
}

#define EV_START                                                                                   \
	"{\"status\":\"start\",\"id\":\"" WEB_ID                                                   \
	"\",\"from\":\"nginx:1.25\",\"Type\":\"container\","                                       \
	"\"Action\":\"start\",\"Actor\":{\"ID\":\"" WEB_ID "\",\"Attributes\":{\"image\":"         \
	"\"nginx:1.25\",\"name\":\"web\"}},\"scope\":\"local\",\"time\":1733371092,"               \
	"\"timeNano\":1733371092123456789}"
#define EV_CONNECT                                                                                 \
	"{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"" NET_ID "\","           \
	"\"Attributes\":{\"container\":\"" WEB_ID "\",\"name\":\"zknet\",\"type\":"                \
	"\"zkswarm:latest\"}},\"scope\":\"local\",\"time\":1733371092,"                            \
	"\"timeNano\":1733371092100000000}"
#define SEEN_START "container start " WEB_ID " -"
#define SEEN_CONNECT "network connect " NET_ID " " WEB_ID

static void test_events_arrive_in_order_after_subscribed(void **state)
{
	struct fixture *f = *state;
	struct zks_error err = {0};
	struct run *r;

	connect_ok(f);
	r = run_start(f->e, 0);
	assert_true(run_wait(r, -1, false));
	assert_int_equal(fake_engine_count(f->fe, "/events"), 1);
	assert_contains(fake_engine_last_filters(f->fe), "\"container\"");
	assert_contains(fake_engine_last_filters(f->fe), "\"network\"");
	/* from a second before the call: the engine subscribes after it sent the headers */
	assert_in_range(strtoll(fake_engine_last_since(f->fe), NULL, 10), zks_wall_ms() / 1000 - 5,
			zks_wall_ms() / 1000);
	fake_engine_emit(f->fe, EV_CONNECT);
	fake_engine_emit(f->fe, "not an event");				/* skipped */
	fake_engine_emit(f->fe, "[\"Type\",\"network\"]");			/* skipped */
	fake_engine_emit(f->fe, "{\"Type\":\"container\",\"Action\":\"die\"}"); /* no Actor */
	fake_engine_emit(f->fe, "");						/* empty line */
	fake_engine_emit(f->fe, EV_START);
	fake_engine_emit_raw(f->fe, EV_CONNECT "\n" EV_START "\n"); /* two in one chunk */
	assert_true(run_wait(r, 4, false));
	assert_int_equal(r->subscribed_at, 0);
	assert_int_equal(r->nsubscribed, 1);
	assert_int_equal(r->nseen, 4);
	assert_string_equal(r->seen[0], SEEN_CONNECT);
	assert_string_equal(r->seen[1], SEEN_START);
	assert_string_equal(r->seen[2], SEEN_CONNECT);
	assert_string_equal(r->seen[3], SEEN_START);
	assert_false(r->done);
	assert_ok(run_end(r, &err), &err);
}

static void test_a_line_split_across_chunks_is_one_event(void **state)
{
	struct fixture *f = *state;
	struct zks_error err = {0};
	struct run *r = run_start(f->e, 0);
	const char *line = EV_START "\n";
	cleanup_free char *head = xstrndup(line, 40);

	assert_true(run_wait(r, -1, false));
	fake_engine_emit_raw(f->fe, head);
	fake_engine_emit_raw(f->fe, line + 40);
	assert_true(run_wait(r, 1, false));
	assert_string_equal(r->seen[0], SEEN_START);
	assert_ok(run_end(r, &err), &err);
}

static void test_a_line_over_the_cap_breaks_the_stream(void **state)
{
	struct fixture *f = *state;
	struct zks_error err = {0};
	struct run *r = run_start(f->e, 0);
	size_t len = (1u << 20) + 100;
	cleanup_free char *huge = xmalloc(len + 1);

	memset(huge, 'x', len);
	huge[len] = '\0';
	assert_true(run_wait(r, -1, false));
	fake_engine_emit(f->fe, huge);
	assert_true(run_wait(r, 0, true));
	assert_int_equal(r->nseen, 0);
	assert_error(run_end(r, &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, "event line over");
}

static void test_stop_ends_the_stream(void **state)
{
	struct fixture *f = *state;
	struct zks_error err = {0};
	struct run *r = run_start(f->e, 0);
	atomic_bool stop = false;
	int64_t stopped;

	assert_true(run_wait(r, -1, false));
	stopped = zks_now_ms();
	atomic_store(&r->stop, true);
	assert_true(run_wait(r, 0, true));
	assert_in_range(r->done_ms - stopped, 0, 4999);
	assert_ok(run_end(r, &err), &err);
	/* a stream asked for after stop is not even opened */
	atomic_store(&stop, true);
	assert_ok(zks_engine_events(f->e, on_event, on_subscribed, NULL, &stop, &err), &err);
	assert_int_equal(fake_engine_count(f->fe, "/events"), 1);
}

static void test_fn_ends_the_stream(void **state)
{
	struct fixture *f = *state;
	struct zks_error err = {0};
	struct run *r = run_start(f->e, 2);

	assert_true(run_wait(r, -1, false));
	fake_engine_emit(f->fe, EV_START);
	fake_engine_emit(f->fe, EV_CONNECT);
	fake_engine_emit(f->fe, EV_START);
	assert_true(run_wait(r, 0, true));
	assert_int_equal(r->nseen, 2);
	assert_ok(run_end(r, &err), &err);
}

static void test_the_engine_ending_the_stream_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct zks_error err = {0};
	struct run *r = run_start(f->e, 0);

	assert_true(run_wait(r, -1, false));
	fake_engine_emit(f->fe, EV_START);
	fake_engine_end_stream(f->fe);
	assert_true(run_wait(r, 0, true));
	assert_int_equal(r->nseen, 1);
	assert_error(run_end(r, &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, "ended its event stream");
}

/* The engine refuses the stream (here: it was downgraded under us): its message is the error. */
static void test_a_refused_stream_is_an_error_with_the_engines_message(void **state)
{
	struct fixture *f = *state;
	struct zks_error err = {0};
	struct run *r;

	connect_ok(f);
	fake_engine_set_version(f->fe, "1.41", "1.12");
	r = run_start(f->e, 0);
	assert_true(run_wait(r, 0, true));
	assert_int_equal(r->nsubscribed, 0);
	assert_error(run_end(r, &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, "the engine answered GET /v1.45/events with HTTP 400");
	assert_contains(err.msg, "client version is too new");
}

/* ---- no engine, a hanging engine ------------------------------------------------------------ */

static void test_no_engine_is_unavailable_at_once(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *dir = test_mkdtemp();
	cleanup_free char *path = xasprintf("%s/docker.sock", dir);
	struct zks_engine *e = zks_engine_new(path);
	struct zks_engine_container c;
	struct zks_error err = {0};
	atomic_bool stop = false;
	int64_t t0 = zks_now_ms();
	char **ids;
	size_t n;

	(void)f;
	assert_error(zks_engine_connect(e, &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, path);
	assert_error(zks_engine_inspect(e, "c1", &c, &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_error(zks_engine_list(e, &ids, &n, &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_error(zks_engine_events(e, on_event, on_subscribed, NULL, &stop, &err), &err,
		     ZKS_ERR_UNAVAILABLE);
	assert_in_range(zks_now_ms() - t0, 0, 2000);
	zks_engine_free(e);
	test_rmtree(dir);
}

static void test_a_hanging_engine_is_unavailable_after_the_timeout(void **state)
{
	struct fixture *f = *state;
	struct zks_engine_container c;
	struct zks_error err = {0};
	int64_t t0;

	zks_engine_set_timeout_ms(f->e, SHORT_TIMEOUT_MS);
	fake_engine_set_hang(f->fe, true);
	t0 = zks_now_ms();
	assert_error(zks_engine_connect(f->e, &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, "did not answer GET /version within 200 ms");
	assert_in_range(zks_now_ms() - t0, SHORT_TIMEOUT_MS - 10, 3000);

	fake_engine_set_hang(f->fe, false);
	connect_ok(f);
	fake_engine_set_hang(f->fe, true);
	t0 = zks_now_ms();
	assert_error(zks_engine_inspect(f->e, "c1", &c, &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_in_range(zks_now_ms() - t0, SHORT_TIMEOUT_MS - 10, 3000);
}

/* The stream has no total timeout, but an engine that accepts and never answers its headers
 * (a socket-activated engine still starting) is an error after the timeout. */
static void test_a_stream_without_an_answer_times_out(void **state)
{
	struct fixture *f = *state;
	struct zks_error err = {0};
	struct run *r;
	int64_t t0;

	connect_ok(f);
	zks_engine_set_timeout_ms(f->e, SHORT_TIMEOUT_MS);
	fake_engine_set_hang(f->fe, true);
	t0 = zks_now_ms();
	r = run_start(f->e, 0);
	assert_true(run_wait(r, 0, true));
	assert_int_equal(r->nsubscribed, 0);
	assert_in_range(r->done_ms - t0, SHORT_TIMEOUT_MS - 10, 3000);
	assert_error(run_end(r, &err), &err, ZKS_ERR_UNAVAILABLE);
	assert_contains(err.msg, "did not answer GET /v1.45/events within 200 ms");
	fake_engine_set_hang(f->fe, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_speaks_the_engines_version_when_older),
		T(test_speaks_its_own_newest_when_the_engine_is_newer),
		T(test_refuses_an_engine_whose_minimum_is_newer),
		T(test_refuses_an_engine_older_than_20_10),
		T(test_refuses_a_version_answer_without_a_version),
		T(test_calls_connect_first_when_not_connected),
		T(test_inspect_of_an_engine_20_10_container),
		T(test_inspect_of_an_engine_26_swarm_task),
		T(test_dnsnames_are_read_before_aliases),
		T(test_inspect_of_a_gone_container_is_not_found),
		T(test_inspect_refuses_an_id_that_is_not_one),
		T(test_inspect_of_a_body_that_is_not_an_object),
		T(test_inspect_reads_wrong_types_as_absent),
		T(test_inspect_caps_what_it_keeps),
		T(test_list_gives_the_running_containers),
		T(test_an_answer_over_the_cap_is_refused),
		T(test_events_arrive_in_order_after_subscribed),
		T(test_a_line_split_across_chunks_is_one_event),
		T(test_a_line_over_the_cap_breaks_the_stream),
		T(test_stop_ends_the_stream),
		T(test_fn_ends_the_stream),
		T(test_the_engine_ending_the_stream_is_an_error),
		T(test_a_refused_stream_is_an_error_with_the_engines_message),
		T(test_no_engine_is_unavailable_at_once),
		T(test_a_hanging_engine_is_unavailable_after_the_timeout),
		T(test_a_stream_without_an_answer_times_out),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
