/*
 * test_naming.c - the naming service's store side (naming.h), step by step on
 * the in-memory store, with containers as the engine's inspect describes them:
 * which endpoints get a name record, what it holds, when it goes (the
 * container stops, the endpoint record goes, the container is gone), a lost
 * session's records written again, records of an earlier run swept, and a
 * store that is down retried rather than lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_engine.h"
#include "helpers.h"
#include "zkswarm/naming.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

#define KEY "front"
#define OTHER_KEY "back"
#define C1 "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1"
#define C2 "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2"
#define EP1 "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1"
#define EP2 "e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2"
#define EP3 "e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3"
#define EP_BRIDGE "bbbb0000bbbb0000bbbb0000bbbb0000bbbb0000bbbb0000bbbb0000bbbb0000"

struct fixture {
	struct zks_mem_backend *b;
	struct zks_store *s, *s2; /* node n1's session, and another node's */
	struct zks_naming *n;
};

static void put(struct zks_store *s, const char *path, const char *data, enum zks_node_kind kind)
{
	struct zks_error err = {0};

	assert_ok(store_create(s, path, data, strlen(data), kind, &err), &err);
}

/* The network's record and its endpoints' parent, as NetworkDriver.CreateNetwork leaves them. */
static void put_network(struct zks_store *s, const char *key)
{
	char *net = zks_path_network(key), *eps = zks_path_network_endpoints(key);

	put(s, net, "{}", ZKS_PERSISTENT);
	put(s, eps, "", ZKS_PERSISTENT);
	free(net);
	free(eps);
}

static void put_endpoint(struct zks_store *s, const char *key, const char *ep, const char *node,
			 const char *address)
{
	struct zks_record_endpoint rec = {.mac = {0x02, 0x42, 0x0a, 0, 0, 7}};
	char *path = zks_path_network_endpoint(key, ep), *data;

	snprintf(rec.node, sizeof(rec.node), "%s", node);
	snprintf(rec.address, sizeof(rec.address), "%s", address);
	data = zks_record_endpoint_encode(&rec);
	put(s, path, data, ZKS_PERSISTENT);
	free(data);
	free(path);
}

static void remove_path(struct zks_store *s, char *path)
{
	struct zks_error err = {0};

	assert_ok(store_remove(s, path, -1, &err), &err);
	free(path);
}

/* The name record of key/ep, decoded; false if there is none. */
static bool get_name(struct zks_store *s, const char *key, const char *ep,
		     struct zks_record_name *out, struct zks_stat *st)
{
	struct zks_error err = {0};
	char *path = zks_path_name(key, ep), *data = NULL;
	int rc = store_get(s, path, &data, NULL, st, &err);

	free(path);
	if (rc < 0) {
		assert_int_equal(err.code, ZKS_ERR_NOT_FOUND);
		return false;
	}
	assert_ok(zks_record_name_decode(data, out, &err), &err);
	free(data);
	return true;
}

static bool has_name(struct zks_store *s, const char *key, const char *ep)
{
	struct zks_record_name rec;
	bool found = get_name(s, key, ep, &rec, NULL);

	if (found)
		zks_record_name_clear(&rec);
	return found;
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct zks_naming_config cfg = {.node_id = "n1", .engine_socket = "/nonexistent"};

	f->b = test_backend_new();
	f->s = zks_store_mem_new(f->b);
	f->s2 = zks_store_mem_new(f->b);
	put_network(f->s, KEY);
	put_network(f->s, OTHER_KEY);
	f->n = zks_naming_new(f->s, &cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	zks_naming_free(f->n);
	store_destroy(f->s);
	store_destroy(f->s2);
	zks_mem_backend_free(f->b);
	free(f);
	return 0;
}

/* A container as inspect gives it, on the given networks (endpoint IDs), with two aliases. */
struct container {
	struct zks_engine_container c;
	struct zks_engine_attachment nets[3];
	char *aliases[2];
	struct zks_record_port ports[2];
};

static void container_init(struct container *k, const char *id, const char *name,
			   const char *const *eps, size_t neps)
{
	memset(k, 0, sizeof(*k));
	k->aliases[0] = "web";
	k->aliases[1] = "www";
	k->ports[0] = (struct zks_record_port){.port = 80, .proto = "tcp"};
	k->ports[1] = (struct zks_record_port){.port = 53, .proto = "udp"};
	k->c = (struct zks_engine_container){
		.id = (char *)id,
		.name = (char *)name,
		.hostname = "h-web",
		.running = true,
		.service = "app_web",
		.task = "app_web.1.xyz",
		.ports = k->ports,
		.nports = 2,
		.nets = k->nets,
		.nnets = neps,
	};
	for (size_t i = 0; i < neps; i++)
		k->nets[i] = (struct zks_engine_attachment){
			.network_id = "d0c0ffee",
			.network = "front-net",
			.endpoint_id = (char *)eps[i],
			.address = "10.9.9.9/24", /* what the engine says; the record's wins */
			.aliases = k->aliases,
			.naliases = 2,
		};
}

/* A running container's endpoint on a zkswarm network of this node gets its record. */
static void test_apply_writes_the_record(void **state)
{
	struct fixture *f = *state;
	const char *eps[] = {EP1};
	struct container k;
	struct zks_record_name rec;

	put_endpoint(f->s, KEY, EP1, "n1", "10.1.0.5/24");
	container_init(&k, C1, "web-1", eps, 1);
	assert_int_equal(zks_naming_apply(f->n, &k.c), 0);
	assert_true(get_name(f->s2, KEY, EP1, &rec, NULL));
	assert_string_equal(rec.name, "web-1");
	assert_string_equal(rec.address, "10.1.0.5/24");
	assert_string_equal(rec.node, "n1");
	assert_string_equal(rec.endpoint, EP1);
	assert_string_equal(rec.container, C1);
	assert_string_equal(rec.hostname, "h-web");
	assert_string_equal(rec.network_name, "front-net");
	assert_string_equal(rec.service, "app_web");
	assert_string_equal(rec.task, "app_web.1.xyz");
	assert_int_equal(rec.naliases, 2);
	assert_string_equal(rec.aliases[1], "www");
	assert_int_equal(rec.nports, 2);
	assert_int_equal(rec.ports[0].port, 80);
	assert_string_equal(rec.ports[1].proto, "udp");
	assert_non_null(rec.updated_at);
	zks_record_name_clear(&rec);
	assert_int_equal(zks_naming_count(f->n), 1);
}

/* Another driver's endpoint, and one whose record names another node, get none. */
static void test_apply_only_this_nodes_zkswarm_endpoints(void **state)
{
	struct fixture *f = *state;
	const char *eps[] = {EP1, EP_BRIDGE, EP2};
	struct container k;

	put_endpoint(f->s, KEY, EP1, "n1", "10.1.0.5/24");
	put_endpoint(f->s, OTHER_KEY, EP2, "n2", "10.2.0.5/24");
	container_init(&k, C1, "web-1", eps, 3);
	assert_int_equal(zks_naming_apply(f->n, &k.c), 0);
	assert_true(has_name(f->s, KEY, EP1));
	assert_false(has_name(f->s, KEY, EP_BRIDGE));
	assert_false(has_name(f->s, OTHER_KEY, EP2));
	assert_int_equal(zks_naming_count(f->n), 1);
}

/* The record is ephemeral: it goes with this node's session. */
static void test_record_is_the_sessions(void **state)
{
	struct fixture *f = *state;
	const char *eps[] = {EP1};
	struct container k;
	struct zks_record_name rec;
	struct zks_stat st;
	struct zks_store_status ss;

	put_endpoint(f->s, KEY, EP1, "n1", "10.1.0.5/24");
	container_init(&k, C1, "web-1", eps, 1);
	assert_int_equal(zks_naming_apply(f->n, &k.c), 0);
	assert_true(get_name(f->s2, KEY, EP1, &rec, &st));
	zks_record_name_clear(&rec);
	store_status(f->s, &ss);
	assert_int_equal(st.owner, ss.session_id);

	/* The session expires: the record goes; the next check writes it again. */
	zks_mem_backend_expire(f->b, ss.session_id);
	assert_false(has_name(f->s2, KEY, EP1));
	assert_int_equal(zks_naming_check(f->n), 0);
	assert_true(has_name(f->s2, KEY, EP1));
}

/* Applying the same container again writes nothing; a changed alias is written. */
static void test_apply_writes_only_changes(void **state)
{
	struct fixture *f = *state;
	const char *eps[] = {EP1};
	struct container k;
	struct zks_record_name rec;
	struct zks_stat st1, st2;

	put_endpoint(f->s, KEY, EP1, "n1", "10.1.0.5/24");
	container_init(&k, C1, "web-1", eps, 1);
	assert_int_equal(zks_naming_apply(f->n, &k.c), 0);
	assert_true(get_name(f->s, KEY, EP1, &rec, &st1));
	zks_record_name_clear(&rec);
	assert_int_equal(zks_naming_apply(f->n, &k.c), 0);
	assert_true(get_name(f->s, KEY, EP1, &rec, &st2));
	zks_record_name_clear(&rec);
	assert_int_equal(st1.version, st2.version);

	k.aliases[1] = "api";
	assert_int_equal(zks_naming_apply(f->n, &k.c), 0);
	assert_true(get_name(f->s, KEY, EP1, &rec, &st2));
	assert_int_equal(st2.version, st1.version + 1);
	assert_string_equal(rec.aliases[1], "api");
	zks_record_name_clear(&rec);
}

/* A stopped container (its die event), one disconnected, and one gone lose their names. */
static void test_stop_disconnect_and_forget(void **state)
{
	struct fixture *f = *state;
	const char *both[] = {EP1, EP3}, *one[] = {EP3}, *eps2[] = {EP2};
	struct container k, k2;

	put_endpoint(f->s, KEY, EP1, "n1", "10.1.0.5/24");
	put_endpoint(f->s, OTHER_KEY, EP3, "n1", "10.2.0.6/24");
	put_endpoint(f->s, KEY, EP2, "n1", "10.1.0.6/24");
	container_init(&k, C1, "web-1", both, 2);
	container_init(&k2, C2, "db-1", eps2, 1);
	assert_int_equal(zks_naming_apply(f->n, &k.c), 0);
	assert_int_equal(zks_naming_apply(f->n, &k2.c), 0);
	assert_int_equal(zks_naming_count(f->n), 3);

	container_init(&k, C1, "web-1", one, 1); /* docker network disconnect front */
	assert_int_equal(zks_naming_apply(f->n, &k.c), 0);
	assert_false(has_name(f->s, KEY, EP1));
	assert_true(has_name(f->s, OTHER_KEY, EP3));

	k.c.running = false; /* docker stop */
	assert_int_equal(zks_naming_apply(f->n, &k.c), 0);
	assert_false(has_name(f->s, OTHER_KEY, EP3));
	assert_true(has_name(f->s, KEY, EP2));

	assert_int_equal(zks_naming_forget(f->n, C2), 0); /* docker rm: inspect says 404 */
	assert_false(has_name(f->s, KEY, EP2));
	assert_int_equal(zks_naming_count(f->n), 0);
}

/* DeleteEndpoint removes the endpoint record: the next check removes the name. */
static void test_check_follows_the_endpoint_record(void **state)
{
	struct fixture *f = *state;
	const char *eps[] = {EP1};
	struct container k;

	put_endpoint(f->s, KEY, EP1, "n1", "10.1.0.5/24");
	container_init(&k, C1, "web-1", eps, 1);
	assert_int_equal(zks_naming_apply(f->n, &k.c), 0);
	remove_path(f->s2, zks_path_network_endpoint(KEY, EP1));
	assert_true(has_name(f->s, KEY, EP1));
	assert_int_equal(zks_naming_check(f->n), 0);
	assert_false(has_name(f->s, KEY, EP1));
	assert_int_equal(zks_naming_count(f->n), 0);
}

/* ZooKeeper away: the write is owed, not lost, and made when it is back. */
static void test_store_down_is_retried(void **state)
{
	struct fixture *f = *state;
	const char *eps[] = {EP1};
	struct container k;

	put_endpoint(f->s, KEY, EP1, "n1", "10.1.0.5/24");
	container_init(&k, C1, "web-1", eps, 1);
	zks_mem_backend_set_down(f->b, true);
	assert_int_equal(zks_naming_apply(f->n, &k.c), 1);
	assert_int_equal(zks_naming_check(f->n), 1);
	zks_mem_backend_set_down(f->b, false);
	assert_false(has_name(f->s, KEY, EP1));
	assert_int_equal(zks_naming_check(f->n), 0);
	assert_true(has_name(f->s, KEY, EP1));

	/* And a removal too. */
	k.c.running = false;
	zks_mem_backend_set_down(f->b, true);
	assert_int_equal(zks_naming_apply(f->n, &k.c), 1);
	zks_mem_backend_set_down(f->b, false);
	assert_true(has_name(f->s, KEY, EP1));
	assert_int_equal(zks_naming_check(f->n), 0);
	assert_false(has_name(f->s, KEY, EP1));
}

/*
 * A restart that resumed its session finds its earlier records: the sweep after a full
 * reconcile removes those of containers no longer running and keeps the current ones; another
 * node's records stay.
 */
static void test_sweep_after_restart(void **state)
{
	struct fixture *f = *state;
	const char *eps1[] = {EP1}, *eps2[] = {EP2};
	struct zks_naming_config cfg = {.node_id = "n1", .engine_socket = "/nonexistent"};
	struct zks_naming_config cfg2 = {.node_id = "n2", .engine_socket = "/nonexistent"};
	struct zks_naming *other = zks_naming_new(f->s2, &cfg2);
	struct container k1, k2, k3;
	char *ids[] = {C1};

	put_endpoint(f->s, KEY, EP1, "n1", "10.1.0.5/24");
	put_endpoint(f->s, KEY, EP2, "n1", "10.1.0.6/24");
	put_endpoint(f->s, KEY, EP3, "n2", "10.1.0.7/24");
	container_init(&k1, C1, "web-1", eps1, 1);
	container_init(&k2, C2, "db-1", eps2, 1);
	assert_int_equal(zks_naming_apply(f->n, &k1.c), 0);
	assert_int_equal(zks_naming_apply(f->n, &k2.c), 0);
	{
		const char *eps3[] = {EP3};

		container_init(&k3, C2, "db-2", eps3, 1);
		assert_int_equal(zks_naming_apply(other, &k3.c), 0);
	}

	/* The plugin restarts (same session); while it was down, C2 stopped. */
	zks_naming_free(f->n);
	f->n = zks_naming_new(f->s, &cfg);
	assert_int_equal(zks_naming_apply(f->n, &k1.c), 0);
	assert_int_equal(zks_naming_sweep(f->n, ids, 1), 0);
	assert_true(has_name(f->s, KEY, EP1));
	assert_false(has_name(f->s, KEY, EP2));
	assert_true(has_name(f->s, KEY, EP3));
	assert_int_equal(zks_naming_count(f->n), 1);
	zks_naming_free(other);
}

/* ---- the threads, with the engine's fake ------------------------------------------------------ */

/* The inspect JSON of a container on the network "front-net" with endpoint ep. */
static char *inspect_json(const char *id, const char *name, const char *ep, bool running)
{
	return xasprintf("{\"Id\":\"%s\",\"Name\":\"/%s\",\"State\":{\"Running\":%s},"
			 "\"Config\":{\"Hostname\":\"h\",\"ExposedPorts\":{\"80/tcp\":{}}},"
			 "\"NetworkSettings\":{\"Networks\":{\"front-net\":{\"NetworkID\":"
			 "\"d0c0ffee\",\"EndpointID\":\"%s\",\"IPAddress\":\"10.1.0.9\","
			 "\"IPPrefixLen\":24,\"Aliases\":[\"web\"]}}}}",
			 id, name, running ? "true" : "false", ep);
}

static void set_container(struct fake_engine *fe, const char *id, const char *name, const char *ep,
			  bool running)
{
	char *json = inspect_json(id, name, ep, running);

	fake_engine_set_container(fe, id, json);
	free(json);
}

/* Waits (at most 10 s) until key/ep has a record (want) or has none. */
static bool wait_name(struct zks_store *s, const char *key, const char *ep, bool want)
{
	for (int i = 0; i < 1000; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		if (has_name(s, key, ep) == want)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static void emit(struct fake_engine *fe, const char *type, const char *action, const char *id,
		 const char *container)
{
	char *line = container ? xasprintf("{\"Type\":\"%s\",\"Action\":\"%s\",\"Actor\":{\"ID\":"
					   "\"%s\",\"Attributes\":{\"container\":\"%s\"}}}",
					   type, action, id, container)
			       : xasprintf("{\"Type\":\"%s\",\"Action\":\"%s\",\"Actor\":{\"ID\":"
					   "\"%s\"}}",
					   type, action, id);

	fake_engine_emit(fe, line);
	free(line);
}

/*
 * The service started: the running containers are registered once the stream is up; a started
 * container (its event) is, a stopped one is not any more, a disconnected one neither, and
 * the endpoint record's removal (DeleteEndpoint) removes its name without any event.
 */
#define ONLY_C1_RUNNING "[{\"Id\":\"" C1 "\"}]"
#define BOTH_RUNNING "[{\"Id\":\"" C1 "\"},{\"Id\":\"" C2 "\"}]"

static void test_threads_follow_the_engine(void **state)
{
	struct fixture *f = *state;
	struct fake_engine *fe = fake_engine_start();
	struct zks_naming_config cfg = {.node_id = "n1",
					.engine_socket = fake_engine_socket(fe),
					.retry_max_ms = 200};
	struct zks_naming *n;

	put_endpoint(f->s, KEY, EP1, "n1", "10.1.0.5/24");
	put_endpoint(f->s, KEY, EP2, "n1", "10.1.0.6/24");
	put_endpoint(f->s, KEY, EP3, "n1", "10.1.0.7/24");
	set_container(fe, C1, "web-1", EP1, true);
	fake_engine_set_list(fe, ONLY_C1_RUNNING);
	n = zks_naming_new(f->s, &cfg);
	zks_naming_start(n);

	assert_true(wait_name(f->s2, KEY, EP1, true)); /* the reconcile at the stream's start */
	assert_true(fake_engine_wait_streams(fe, 1, 10000));

	/*
	 * The list follows the running containers, as the engine's does: a reconcile still owed
	 * from the stream's start may run with an event's ID (and then instead of it).
	 */
	set_container(fe, C2, "db-1", EP2, true);
	fake_engine_set_list(fe, BOTH_RUNNING);
	emit(fe, "container", "start", C2, NULL);
	assert_true(wait_name(f->s2, KEY, EP2, true));

	set_container(fe, C2, "db-1", EP2, false);
	fake_engine_set_list(fe, ONLY_C1_RUNNING);
	emit(fe, "container", "die", C2, NULL);
	assert_true(wait_name(f->s2, KEY, EP2, false));

	set_container(fe, C2, "db-1", EP3, true); /* started again, a new endpoint */
	fake_engine_set_list(fe, BOTH_RUNNING);
	emit(fe, "network", "connect", "d0c0ffee", C2);
	assert_true(wait_name(f->s2, KEY, EP3, true));

	fake_engine_set_container(fe, C2, NULL); /* docker rm -f: inspect says 404 */
	fake_engine_set_list(fe, ONLY_C1_RUNNING);
	emit(fe, "container", "destroy", C2, NULL);
	assert_true(wait_name(f->s2, KEY, EP3, false));

	remove_path(f->s2, zks_path_network_endpoint(KEY, EP1)); /* DeleteEndpoint */
	assert_true(wait_name(f->s2, KEY, EP1, false));

	zks_naming_stop(n);
	fake_engine_stop(fe);
	zks_naming_free(n);
}

/* An engine that goes away and comes back: the service reconnects and reconciles. */
static void test_threads_wait_for_the_engine(void **state)
{
	struct fixture *f = *state;
	struct fake_engine *fe = fake_engine_start();
	struct zks_naming_config cfg = {.node_id = "n1",
					.engine_socket = fake_engine_socket(fe),
					.retry_max_ms = 200};
	struct zks_naming *n = zks_naming_new(f->s, &cfg);

	put_endpoint(f->s, KEY, EP1, "n1", "10.1.0.5/24");
	zks_naming_start(n);
	assert_true(fake_engine_wait_streams(fe, 1, 10000));
	for (int i = 0; i < 1000 && fake_engine_count(fe, "/containers/json") == 0; i++)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	assert_true(fake_engine_count(fe, "/containers/json") >= 1); /* reconciled: nothing */
	assert_false(has_name(f->s2, KEY, EP1));
	fake_engine_end_stream(fe); /* the engine restarts; meanwhile web-1 started */
	set_container(fe, C1, "web-1", EP1, true);
	fake_engine_set_list(fe, "[{\"Id\":\"" C1 "\"}]");
	assert_true(wait_name(f->s2, KEY, EP1, true));
	assert_true(fake_engine_wait_streams(fe, 1, 10000)); /* following it again */
	assert_true(fake_engine_count(fe, "/events") >= 2);

	zks_naming_stop(n);
	fake_engine_stop(fe);
	zks_naming_free(n);
}

/* Wait (bounded) until the name reads want. */
static bool wait_plugin_name(struct zks_plugin_name *p, const char *want)
{
	char out[ZKS_PLUGIN_NAME_MAX];

	for (int i = 0; i < 1000; i++) {
		if (strcmp(zks_plugin_name_get(p, out), want) == 0)
			return true;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	return false;
}

/*
 * The name this plugin is installed under, learned after the first reconcile: its ID from the
 * root mount in mountinfo, its name from GET /plugins, tag and all.  Not a managed
 * plugin (no ID in mountinfo): the engine is not asked, the default stays.
 */
static void test_threads_learn_the_plugin_name(void **state)
{
	struct fixture *f = *state;
	struct fake_engine *fe = fake_engine_start();
	cleanup_free char *dir = test_mkdtemp();
	cleanup_free char *mi = xasprintf("%s/mountinfo", dir);
	cleanup_free char *host = xasprintf("%s/host-mountinfo", dir);
	struct zks_plugin_name *name = zks_plugin_name_new(NULL);
	struct zks_naming_config cfg = {.node_id = "n1",
					.engine_socket = fake_engine_socket(fe),
					.retry_max_ms = 200,
					.plugin_name = name,
					.mountinfo = mi};
	struct zks_error err = {0};
	char out[ZKS_PLUGIN_NAME_MAX];
	struct zks_naming *n;
	unsigned reconciles;
	static const char mounts[] =
		"143 152 254:0 /var/lib/docker/plugins/"
		"b36e9787f1d9af51d119efadc932a2e27eb7bc796dd7634932648c5420d57726/rootfs / rw "
		"- ext4 /dev/vda rw\n";

	assert_ok(zks_write_file_atomic(mi, mounts, strlen(mounts), &err), &err);
	fake_engine_set_plugins(
		fe, "[{\"Id\":\"0000\",\"Name\":\"other:latest\"},"
		    "{\"Id\":\"b36e9787f1d9af51d119efadc932a2e27eb7bc796dd7634932648c5420d57726\","
		    "\"Name\":\"zkswarm26:latest\"}]");
	n = zks_naming_new(f->s, &cfg);
	zks_naming_start(n);
	assert_true(wait_plugin_name(name, "zkswarm26:latest"));
	assert_int_equal(fake_engine_count(fe, "/plugins"), 1);
	zks_naming_stop(n);
	zks_naming_free(n);
	zks_plugin_name_free(name);

	/* Not a managed plugin: a host's root mount. */
	name = zks_plugin_name_new(NULL);
	cfg.plugin_name = name;
	cfg.mountinfo = host;
	assert_ok(zks_write_file_atomic(host, "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n", 35, &err),
		  &err);
	reconciles = fake_engine_count(fe, "/containers/json");
	n = zks_naming_new(f->s, &cfg);
	zks_naming_start(n);
	for (int i = 0; i < 1000 && fake_engine_count(fe, "/containers/json") == reconciles; i++)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	assert_true(fake_engine_count(fe, "/containers/json") > reconciles);
	zks_naming_stop(n); /* joins the worker: the go of work with that reconcile has ended */
	assert_int_equal(fake_engine_count(fe, "/plugins"), 1); /* not asked */
	assert_string_equal(zks_plugin_name_get(name, out), "zkswarm");
	zks_naming_free(n);
	zks_plugin_name_free(name);
	fake_engine_stop(fe);
	test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_writes_the_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_only_this_nodes_zkswarm_endpoints, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_record_is_the_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_writes_only_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_disconnect_and_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_follows_the_endpoint_record, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_down_is_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_after_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_follow_the_engine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_wait_for_the_engine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_learn_the_plugin_name, setup,
						teardown),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
