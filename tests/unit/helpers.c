/*
 * helpers.c - fixtures shared by the unit tests (see helpers.h): temporary
 * directories, nodes on the in-memory store and network nodes (the fakes they
 * use are in tests/fakes/).
 */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "helpers_net.h"
#include "zkswarm/log.h"
#include "zkswarm/util.h"

/* ---- assertions ---------------------------------------------------------------------------- */

void test_assert_ok(int rc, const struct zks_error *err, const char *file, int line)
{
	if (rc == 0)
		return;
	print_error("expected success, got %d: [%s] %s\n", rc, zks_errc_name(err->code), err->msg);
	_fail(file, line);
}

void test_assert_error(int rc, const struct zks_error *err, enum zks_errc code, const char *file,
		       int line)
{
	if (rc == -1 && err->code == code && err->msg[0] != '\0')
		return;
	if (rc == 0)
		print_error("expected a [%s] error, got success\n", zks_errc_name(code));
	else
		print_error("expected a [%s] error with a message, got %d: [%s] %s\n",
			    zks_errc_name(code), rc, zks_errc_name(err->code), err->msg);
	_fail(file, line);
}

void test_assert_contains(const char *hay, const char *needle, bool want, const char *file,
			  int line)
{
	bool found = hay != NULL && strstr(hay, needle) != NULL;

	if (found == want)
		return;
	print_error("expected \"%s\" %sto contain \"%s\"\n", hay ? hay : "(null)",
		    want ? "" : "not ", needle);
	_fail(file, line);
}

/*
 * The fakes' checks (tests/fakes/fakes.h), as in the fuzz target: a request
 * the kernel would refuse is a bug of the core.  It may come from a service's
 * reconciler thread, where cmocka cannot fail the test, so it ends the run.
 */
static void on_violation(const char *rule, const char *msg)
{
	const char *skip = getenv("ZKS_TEST_SKIP");

	if (rule != NULL && skip != NULL && skip[0] != '\0' && fnmatch(skip, rule, 0) == 0)
		return;
	fprintf(stderr, "a fake was asked what the kernel would refuse: %s\n", msg);
	abort();
}

void test_init(void)
{
	const char *s = getenv("ZKS_TEST_LOG_LEVEL");
	int level = zks_log_parse_level(s ? s : "error");

	zks_log_set_level(level < 0 ? ZKS_LOG_ERROR : (enum zks_log_level)level);
	fake_violation = on_violation;
	s = getenv("ZKS_TEST_FILTER");
	if (s != NULL && s[0] != '\0')
		cmocka_set_test_filter(s);
	s = getenv("ZKS_TEST_SKIP");
	if (s != NULL && s[0] != '\0')
		cmocka_set_skip_filter(s);
}

/* ---- temporary directories ----------------------------------------------------------------- */

char *test_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path = xasprintf("%s/zkswarm-unit.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");

	if (mkdtemp(path) == NULL) {
		print_error("mkdtemp `%s` failed\n", path);
		free(path);
		fail();
	}
	return path;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

void test_rmtree(const char *path)
{
	if (path == NULL || strstr(path, "/zkswarm-unit.") == NULL)
		return; /* only ever what test_mkdtemp made */
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- nodes ---------------------------------------------------------------------------------- */

struct zks_mem_backend *test_backend_new(void)
{
	struct zks_mem_backend *b = zks_mem_backend_new();
	struct zks_store *s = zks_store_mem_new(b);
	struct zks_error err = {0};

	/* Newer backends make the skeleton themselves; older ones need it made. */
	if (store_create(s, "/volumes", NULL, 0, ZKS_PERSISTENT, &err) < 0)
		assert_int_equal(err.code, ZKS_ERR_EXISTS);
	store_destroy(s);
	return b;
}

static void node_fence_status(void *ctx, struct zks_store_status *out)
{
	struct test_node *n = ctx;

	store_status(n->store, out);
	if (!n->cut.on)
		return;
	out->fenced = n->cut.fenced;
	out->state = n->cut.state;
	out->silent_ms = n->cut.fenced ? 99999 : 0;
}

static void node_start(struct test_node *n)
{
	struct zks_volumes_config cfg = {
		.node_id = n->id,
		.data_dir = n->data_dir,
		.mount_root = n->mount_root,
		.state_dir = n->state_dir,
		.fence_status = node_fence_status,
		.fence_status_ctx = n,
	};
	struct zks_error err = {0};

	n->v = zks_volumes_new(n->store, &n->fs.base, &cfg, &err);
	if (n->v == NULL)
		print_error("zks_volumes_new: %s\n", err.msg);
	assert_non_null(n->v);
}

void test_node_init(struct test_node *n, struct zks_mem_backend *b, const char *id)
{
	memset(n, 0, sizeof(*n));
	n->id = xstrdup(id);
	n->dir = test_mkdtemp();
	n->data_dir = xasprintf("%s/data", n->dir);
	n->mount_root = xasprintf("%s/mnt", n->dir);
	n->state_dir = xasprintf("%s/state", n->dir);
	n->store = zks_store_mem_new(b);
	fake_fs_init(&n->fs);
	n->fs.data_dir = n->data_dir;
	n->fs.mount_root = n->mount_root;
	node_start(n);
}

void test_node_restart(struct test_node *n, struct zks_mem_backend *b, bool new_session)
{
	zks_volumes_free(n->v);
	n->v = NULL;
	if (new_session) {
		store_destroy(n->store);
		n->store = zks_store_mem_new(b);
	}
	node_start(n);
}

void test_node_fini(struct test_node *n)
{
	if (n->id == NULL)
		return;
	zks_volumes_free(n->v);
	store_destroy(n->store);
	fake_fs_fini(&n->fs);
	test_rmtree(n->dir);
	free(n->dir);
	free(n->data_dir);
	free(n->mount_root);
	free(n->state_dir);
	free(n->id);
	memset(n, 0, sizeof(*n));
}

int test_cluster_setup(void **state)
{
	struct test_cluster *c = xcalloc(1, sizeof(*c));

	c->b = test_backend_new();
	test_node_init(&c->a, c->b, "node-a");
	test_node_init(&c->n2, c->b, "node-b");
	*state = c;
	return 0;
}

int test_cluster_teardown(void **state)
{
	struct test_cluster *c = *state;

	test_node_fini(&c->a);
	test_node_fini(&c->n2);
	zks_mem_backend_free(c->b);
	free(c);
	return 0;
}

int64_t test_node_session(struct test_node *n)
{
	struct zks_store_status st;

	store_status(n->store, &st);
	return st.session_id;
}

char *test_node_mountpoint(const struct test_node *n, const char *name)
{
	return xasprintf("%s/%s", n->mount_root, name);
}

char *test_node_data_dir(const struct test_node *n, const char *name)
{
	return xasprintf("%s/%s", n->data_dir, name);
}

int test_create(struct zks_volumes *v, const char *name, const char *opts, struct zks_error *err)
{
	char *copy = xstrdup(opts ? opts : "");
	struct zks_kv kv[16];
	size_t n = 0;
	char *save = NULL;
	int r;

	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		assert_true(n < ARRAY_SIZE(kv));
		if (eq != NULL)
			*eq = '\0';
		kv[n].key = tok;
		kv[n].value = eq ? eq + 1 : "";
		n++;
	}
	r = zks_volumes_create(v, name, kv, n, err);
	free(copy);
	return r;
}

int test_mount(struct zks_volumes *v, const char *name, const char *id, struct zks_error *err)
{
	char *mp = NULL;
	int r = zks_volumes_mount(v, name, id, &mp, err);

	free(mp);
	return r;
}

struct zks_volume_info *test_get(struct zks_volumes *v, const char *name)
{
	struct zks_volume_info *info = NULL;
	struct zks_error err = {0};

	assert_ok(zks_volumes_get(v, name, &info, &err), &err);
	assert_non_null(info);
	return info;
}

void test_info_free(struct zks_volume_info *info)
{
	zks_volume_info_free(info);
	free(info);
}

const char *test_info_option(const struct zks_volume_info *info, const char *key)
{
	for (size_t i = 0; i < info->noptions; i++)
		if (strcmp(info->options[i].key, key) == 0)
			return info->options[i].value;
	return NULL;
}

const struct zks_volume_holder *test_info_holder(const struct zks_volume_info *info,
						 const char *node)
{
	for (size_t i = 0; i < info->nholders; i++)
		if (strcmp(info->holders[i].node, node) == 0)
			return &info->holders[i];
	return NULL;
}

bool test_list_has(struct zks_volumes *v, const char *name)
{
	struct zks_volume_info *infos = NULL;
	struct zks_error err = {0};
	bool found = false;
	size_t n = 0;

	assert_ok(zks_volumes_list(v, &infos, &n, &err), &err);
	for (size_t i = 0; i < n; i++)
		found = found || strcmp(infos[i].name, name) == 0;
	zks_volume_info_free_array(infos, n);
	return found;
}

void test_store_put(struct zks_store *s, const char *path, const char *data)
{
	struct zks_error err = {0};

	assert_ok(store_create(s, path, data, data ? strlen(data) : 0, ZKS_PERSISTENT, &err), &err);
}

bool test_store_exists(struct zks_store *s, const char *path)
{
	struct zks_error err = {0};

	if (store_get(s, path, NULL, NULL, NULL, &err) == 0)
		return true;
	assert_int_equal(err.code, ZKS_ERR_NOT_FOUND);
	return false;
}

cJSON *test_store_json(struct zks_store *s, const char *path)
{
	struct zks_error err = {0};
	char *data = NULL;
	cJSON *doc;

	if (store_get(s, path, &data, NULL, NULL, &err) < 0)
		return NULL;
	doc = data ? cJSON_Parse(data) : NULL;
	free(data);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

size_t test_store_nchildren(struct zks_store *s, const char *path)
{
	struct zks_error err = {0};
	char **names = NULL;
	size_t n = 0;

	if (store_children(s, path, &names, &n, &err) < 0)
		return 0;
	zks_free_strv(names, n);
	return n;
}

/* ---- fake kernel networking (tests/fakes/) -------------------------------------------------- */

bool fake_net_remote_has(struct fake_net *fn, const char *vxlan, const char *ip,
			 struct zks_remote_ep *out)
{
	struct zks_remote_ep *eps = NULL;
	size_t n = 0;
	struct in_addr want;
	bool found = false;

	assert_int_equal(inet_pton(AF_INET, ip, &want), 1);
	fake_net_remote(fn, vxlan, &eps, &n);
	for (size_t i = 0; i < n && !found; i++) {
		if (eps[i].ip.s_addr != want.s_addr)
			continue;
		if (out)
			*out = eps[i];
		found = true;
	}
	free(eps);
	return found;
}

/* ---- network nodes --------------------------------------------------------------------------- */

struct zks_ipam *test_ipam_new(struct zks_store *s, const char *node, const char *default_pool,
			       uint8_t default_size)
{
	struct zks_ipam_config cfg = {.node_id = node, .default_size = default_size};
	struct zks_error err = {0};

	assert_ok(zks_cidr_parse(default_pool, &cfg.default_pool, &err), &err);
	return zks_ipam_new(s, &cfg);
}

void test_net_node_init(struct test_net_node *n, struct zks_mem_backend *b, const char *id,
			const char *tunnel)
{
	struct zks_networks_config cfg = {
		.node_id = id,
		.underlay_mtu = TEST_UNDERLAY_MTU,
		.vxlan_port = 4789,
		.zk_root = TEST_ZK_ROOT,
	};

	memset(n, 0, sizeof(*n));
	n->id = xstrdup(id);
	if (tunnel != NULL) {
		assert_int_equal(inet_pton(AF_INET, tunnel, &cfg.tunnel), 1);
		snprintf(n->tunnel, sizeof(n->tunnel), "%s", tunnel);
	} else {
		cfg.unavailable = "no default route";
	}
	n->store = zks_store_mem_new(b);
	fake_net_init(&n->net);
	n->ipam = test_ipam_new(n->store, id, TEST_DEFAULT_POOL, TEST_DEFAULT_SIZE);
	n->nw = zks_networks_new(n->store, &n->net.base, &cfg);
	assert_non_null(n->nw);
	zks_networks_link_tag(TEST_ZK_ROOT, n->tag);
}

void test_net_node_stop(struct test_net_node *n)
{
	if (n->id != NULL)
		zks_networks_stop(n->nw);
}

void test_net_node_fini(struct test_net_node *n)
{
	if (n->id == NULL)
		return;
	zks_networks_stop(n->nw);
	zks_networks_free(n->nw);
	zks_ipam_free(n->ipam);
	store_destroy(n->store);
	fake_net_fini(&n->net);
	free(n->id);
	memset(n, 0, sizeof(*n));
}

int64_t test_net_node_session(struct test_net_node *n)
{
	struct zks_store_status st;

	store_status(n->store, &st);
	return st.session_id;
}

void test_net_bridge(const struct test_net_node *n, uint32_t vni, char out[16])
{
	snprintf(out, 16, "zk%sb%u", n->tag, vni);
}

void test_net_vxlan(const struct test_net_node *n, uint32_t vni, char out[16])
{
	snprintf(out, 16, "zk%sv%u", n->tag, vni);
}

void test_net_veth(const struct test_net_node *n, const char *endpoint_id, char host[16],
		   char peer[16])
{
	snprintf(host, 16, "zk%sh%.9s", n->tag, endpoint_id);
	snprintf(peer, 16, "zk%sc%.9s", n->tag, endpoint_id);
}

char *test_claim_pool(struct test_net_node *n, const char *subnet)
{
	struct zks_error err = {0};
	char *id = NULL, *cidr = NULL;

	assert_ok(zks_ipam_request_pool(n->ipam, subnet, NULL, false, &id, &cidr, &err), &err);
	assert_string_equal(cidr, subnet);
	free(cidr);
	return id;
}

int test_net_create(struct test_net_node *n, const char *docker_id, const char *opts,
		    const char *pool, struct zks_error *err)
{
	char *copy = xstrdup(opts ? opts : "");
	struct zks_kv kv[16];
	size_t count = 0;
	char *save = NULL;
	int r;

	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		assert_true(count < ARRAY_SIZE(kv));
		if (eq != NULL)
			*eq = '\0';
		kv[count].key = tok;
		kv[count].value = eq ? eq + 1 : "";
		count++;
	}
	r = zks_networks_create(n->nw, docker_id, kv, count, pool, NULL, err);
	free(copy);
	return r;
}

uint32_t test_net_vni(struct zks_store *s, const char *key)
{
	char *path = xasprintf("/networks/%s", key);
	cJSON *doc = test_store_json(s, path);
	const cJSON *vni = cJSON_GetObjectItemCaseSensitive(doc, "vni");
	uint32_t r;

	if (!cJSON_IsNumber(vni))
		print_error("no vni in the record of `%s`\n", path);
	free(path);
	assert_true(cJSON_IsNumber(vni));
	r = (uint32_t)vni->valuedouble;
	cJSON_Delete(doc);
	return r;
}
