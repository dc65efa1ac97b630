/*
 * helpers.c - fixtures shared by the unit tests (see helpers.h): temporary
 * directories, the fake filesystem, nodes on the in-memory store, the fake
 * kernel network and network nodes.
 */
#include <arpa/inet.h>
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

void test_init(void)
{
	const char *s = getenv("ZKS_TEST_LOG_LEVEL");
	int level = zks_log_parse_level(s ? s : "error");

	zks_log_set_level(level < 0 ? ZKS_LOG_ERROR : (enum zks_log_level)level);
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

/* ---- fake filesystem ----------------------------------------------------------------------- */

static struct fake_call *fake_record(struct fake_fs *fs, enum fake_op op, const char *path,
				     const char *target)
{
	struct fake_call *c;

	fs->calls = xrealloc(fs->calls, (fs->ncalls + 1) * sizeof(*fs->calls));
	c = &fs->calls[fs->ncalls++];
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->path = xstrdup(path);
	c->target = target ? xstrdup(target) : NULL;
	return c;
}

static int fake_prepare_dir(struct zks_fs *base, const char *path, uid_t uid, gid_t gid,
			    mode_t mode, struct zks_error *err)
{
	struct fake_fs *fs = (struct fake_fs *)base;
	struct fake_call *c = fake_record(fs, FAKE_PREPARE_DIR, path, NULL);

	c->uid = uid;
	c->gid = gid;
	c->mode = mode;
	if (fs->fail_next_prepare_dir) {
		fs->fail_next_prepare_dir = false;
		c->failed = true;
		return zks_error_set(err, ZKS_ERR_SYSTEM, "fake: create data directory `%s` failed",
				     path);
	}
	return 0;
}

static int fake_remove_dir(struct zks_fs *base, const char *path, struct zks_error *err)
{
	(void)err;
	fake_record((struct fake_fs *)base, FAKE_REMOVE_DIR, path, NULL);
	return 0;
}

static int fake_bind(struct zks_fs *base, const char *source, const char *target, bool readonly,
		     struct zks_error *err)
{
	struct fake_fs *fs = (struct fake_fs *)base;
	struct fake_call *c = fake_record(fs, FAKE_BIND, source, target);

	c->readonly = readonly;
	if (fs->fail_next_bind) {
		fs->fail_next_bind = false;
		c->failed = true;
		return zks_error_set(err, ZKS_ERR_SYSTEM, "fake: bind `%s` on `%s` failed", source,
				     target);
	}
	/* Like the kernel, a second bind stacks; the fake keeps one entry per bind. */
	fs->mounted = xrealloc(fs->mounted, (fs->nmounted + 1) * sizeof(*fs->mounted));
	fs->mounted[fs->nmounted++] = xstrdup(target);
	return 0;
}

static int fake_unbind(struct zks_fs *base, const char *target, struct zks_error *err)
{
	struct fake_fs *fs = (struct fake_fs *)base;
	struct fake_call *c = fake_record(fs, FAKE_UNBIND, target, NULL);
	size_t k = 0;

	if (fs->fail_next_unbind) {
		fs->fail_next_unbind = false;
		c->failed = true;
		return zks_error_set(err, ZKS_ERR_SYSTEM, "fake: unmount `%s` failed", target);
	}
	/* Detaches every bind stacked there; nothing mounted is fine. */
	for (size_t i = 0; i < fs->nmounted; i++) {
		if (strcmp(fs->mounted[i], target) == 0)
			free(fs->mounted[i]);
		else
			fs->mounted[k++] = fs->mounted[i];
	}
	fs->nmounted = k;
	return 0;
}

static bool fake_is_mounted(struct zks_fs *base, const char *target)
{
	return fake_fs_mounted((struct fake_fs *)base, target);
}

static int fake_mounted_entries(struct zks_fs *base, const char *root, char ***names, size_t *n,
				struct zks_error *err)
{
	struct fake_fs *fs = (struct fake_fs *)base;

	(void)err;
	zks_fs_entries_among(root, fs->mounted, fs->nmounted, names, n);
	return 0;
}

void fake_fs_init(struct fake_fs *fs)
{
	memset(fs, 0, sizeof(*fs));
	fs->base.prepare_dir = fake_prepare_dir;
	fs->base.remove_dir = fake_remove_dir;
	fs->base.bind = fake_bind;
	fs->base.unbind = fake_unbind;
	fs->base.is_mounted = fake_is_mounted;
	fs->base.mounted_entries = fake_mounted_entries;
}

void fake_fs_fini(struct fake_fs *fs)
{
	for (size_t i = 0; i < fs->ncalls; i++) {
		free(fs->calls[i].path);
		free(fs->calls[i].target);
	}
	free(fs->calls);
	zks_free_strv(fs->mounted, fs->nmounted);
	memset(fs, 0, sizeof(*fs));
}

size_t fake_fs_count(const struct fake_fs *fs, enum fake_op op)
{
	size_t n = 0;

	for (size_t i = 0; i < fs->ncalls; i++)
		n += fs->calls[i].op == op;
	return n;
}

const struct fake_call *fake_fs_last(const struct fake_fs *fs, enum fake_op op)
{
	for (size_t i = fs->ncalls; i-- > 0;)
		if (fs->calls[i].op == op)
			return &fs->calls[i];
	return NULL;
}

bool fake_fs_mounted(const struct fake_fs *fs, const char *target)
{
	for (size_t i = 0; i < fs->nmounted; i++)
		if (strcmp(fs->mounted[i], target) == 0)
			return true;
	return false;
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

static void node_start(struct test_node *n)
{
	struct zks_volumes_config cfg = {
	    .node_id = n->id,
	    .data_dir = n->data_dir,
	    .mount_root = n->mount_root,
	    .state_dir = n->state_dir,
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

/* ---- fake kernel networking ------------------------------------------------------------------ */

static void fnet_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* Record a call (the lock is held); true if it is to fail. */
static bool fnet_record(struct fake_net *fn, struct fake_net_call *c, struct zks_error *err)
{
	bool fail = fn->fail_next[c->op] && pthread_equal(fn->fail_thread[c->op], pthread_self());

	if (fail) {
		fn->fail_next[c->op] = false;
		c->failed = true;
		zks_error_set(err, ZKS_ERR_SYSTEM, "fake: operation %d on `%s` failed", (int)c->op,
			      c->name);
	}
	fn->calls = xrealloc(fn->calls, (fn->ncalls + 1) * sizeof(*fn->calls));
	fn->calls[fn->ncalls++] = *c;
	return fail;
}

static struct fake_link *fnet_find(struct fake_net *fn, const char *name)
{
	for (size_t i = 0; i < fn->nlinks; i++)
		if (strcmp(fn->links[i].name, name) == 0)
			return &fn->links[i];
	return NULL;
}

static void fnet_link_free(struct fake_link *l)
{
	free(l->name);
	free(l->master);
	free(l->peer);
}

static struct fake_link *fnet_put(struct fake_net *fn, const char *name, const char *master)
{
	struct fake_link *l = fnet_find(fn, name);

	if (l == NULL) {
		fn->links = xrealloc(fn->links, (fn->nlinks + 1) * sizeof(*fn->links));
		l = &fn->links[fn->nlinks++];
		memset(l, 0, sizeof(*l));
		l->name = xstrdup(name);
	}
	free(l->master);
	l->master = master ? xstrdup(master) : NULL;
	return l;
}

static void fnet_drop_remote(struct fake_net *fn, const char *vxlan)
{
	size_t k = 0;

	for (size_t i = 0; i < fn->nremotes; i++) {
		if (strcmp(fn->remotes[i].vxlan, vxlan) == 0) {
			free(fn->remotes[i].vxlan);
			free(fn->remotes[i].eps);
		} else {
			fn->remotes[k++] = fn->remotes[i];
		}
	}
	fn->nremotes = k;
}

/* Remove the link, its veth peer, and (for a bridge) every port of it. */
static void fnet_remove(struct fake_net *fn, const char *name)
{
	char *gone = xstrdup(name);
	char *peer = NULL;
	size_t k = 0;
	struct fake_link *l = fnet_find(fn, name);

	if (l != NULL && l->peer != NULL)
		peer = xstrdup(l->peer);
	for (size_t i = 0; i < fn->nlinks; i++) {
		struct fake_link *x = &fn->links[i];
		bool drop = strcmp(x->name, gone) == 0 || (peer && strcmp(x->name, peer) == 0) ||
			    (x->master && strcmp(x->master, gone) == 0);

		if (drop) {
			fnet_drop_remote(fn, x->name);
			fnet_link_free(x);
		} else {
			fn->links[k++] = *x;
		}
	}
	fn->nlinks = k;
	/* The ports of a bridge took their veth peers with them. */
	for (size_t i = 0; i < fn->nlinks;) {
		struct fake_link *x = &fn->links[i];

		if (x->peer != NULL && fnet_find(fn, x->peer) == NULL) {
			fnet_link_free(x);
			fn->links[i] = fn->links[--fn->nlinks];
		} else {
			i++;
		}
	}
	free(peer);
	free(gone);
}

static int fnet_ensure_network(struct zks_net *base, const struct zks_net_spec *spec,
			       struct zks_error *err)
{
	struct fake_net *fn = (struct fake_net *)base;
	struct fake_net_call c = {.op = FNET_ENSURE_NETWORK,
				  .vni = spec->vni,
				  .mtu = spec->mtu,
				  .local = spec->local,
				  .underlay_ifindex = spec->underlay_ifindex,
				  .port = spec->port};
	struct fake_link *l;
	int r = 0;

	fnet_copy(c.name, sizeof(c.name), spec->bridge);
	fnet_copy(c.name2, sizeof(c.name2), spec->vxlan);
	pthread_mutex_lock(&fn->lock);
	if (fnet_record(fn, &c, err)) {
		r = -1;
	} else {
		l = fnet_put(fn, spec->bridge, NULL);
		l->mtu = spec->mtu;
		l = fnet_find(fn, spec->vxlan);
		if (l != NULL && l->vni != spec->vni)
			fnet_remove(fn, spec->vxlan); /* another VNI: replaced */
		l = fnet_put(fn, spec->vxlan, spec->bridge);
		l->vni = spec->vni;
		l->mtu = spec->mtu;
	}
	pthread_mutex_unlock(&fn->lock);
	return r;
}

static int fnet_delete_network(struct zks_net *base, const char *bridge, const char *vxlan,
			       struct zks_error *err)
{
	struct fake_net *fn = (struct fake_net *)base;
	struct fake_net_call c = {.op = FNET_DELETE_NETWORK};
	int r = 0;

	fnet_copy(c.name, sizeof(c.name), bridge);
	fnet_copy(c.name2, sizeof(c.name2), vxlan);
	pthread_mutex_lock(&fn->lock);
	if (fnet_record(fn, &c, err)) {
		r = -1;
	} else {
		fnet_remove(fn, vxlan);
		fnet_remove(fn, bridge);
	}
	pthread_mutex_unlock(&fn->lock);
	return r;
}

static int fnet_create_veth(struct zks_net *base, const char *host_if, const char *peer_if,
			    const char *bridge, const uint8_t mac[6], int mtu,
			    struct zks_error *err)
{
	struct fake_net *fn = (struct fake_net *)base;
	struct fake_net_call c = {.op = FNET_CREATE_VETH, .mtu = mtu};
	struct fake_link *l;
	int r = 0;

	fnet_copy(c.name, sizeof(c.name), host_if);
	fnet_copy(c.name2, sizeof(c.name2), peer_if);
	fnet_copy(c.bridge, sizeof(c.bridge), bridge);
	memcpy(c.mac, mac, 6);
	pthread_mutex_lock(&fn->lock);
	if (fnet_record(fn, &c, err)) {
		r = -1;
	} else if (fnet_find(fn, bridge) == NULL) {
		r = zks_error_set(err, ZKS_ERR_SYSTEM, "fake: bridge `%s` does not exist", bridge);
		fn->calls[fn->ncalls - 1].failed = true;
	} else {
		l = fnet_put(fn, host_if, bridge);
		free(l->peer);
		l->peer = xstrdup(peer_if);
		l->mtu = mtu;
		l = fnet_put(fn, peer_if, NULL);
		free(l->peer);
		l->peer = xstrdup(host_if);
		memcpy(l->mac, mac, 6);
		l->mtu = mtu;
	}
	pthread_mutex_unlock(&fn->lock);
	return r;
}

static int fnet_delete_link(struct zks_net *base, const char *name, struct zks_error *err)
{
	struct fake_net *fn = (struct fake_net *)base;
	struct fake_net_call c = {.op = FNET_DELETE_LINK};
	int r = 0;

	fnet_copy(c.name, sizeof(c.name), name);
	pthread_mutex_lock(&fn->lock);
	if (fnet_record(fn, &c, err))
		r = -1;
	else
		fnet_remove(fn, name); /* missing is fine */
	pthread_mutex_unlock(&fn->lock);
	return r;
}

static bool fnet_link_exists(struct zks_net *base, const char *name)
{
	struct fake_net *fn = (struct fake_net *)base;
	struct fake_net_call c = {.op = FNET_LINK_EXISTS};
	bool r;

	fnet_copy(c.name, sizeof(c.name), name);
	pthread_mutex_lock(&fn->lock);
	fnet_record(fn, &c, NULL);
	r = fnet_find(fn, name) != NULL;
	pthread_mutex_unlock(&fn->lock);
	return r;
}

static int fnet_list_links(struct zks_net *base, const char *prefix, char ***names, size_t *count,
			   struct zks_error *err)
{
	struct fake_net *fn = (struct fake_net *)base;
	struct fake_net_call c = {.op = FNET_LIST_LINKS};
	size_t n = 0;
	int r = 0;

	fnet_copy(c.name, sizeof(c.name), prefix);
	*names = NULL;
	*count = 0;
	pthread_mutex_lock(&fn->lock);
	if (fnet_record(fn, &c, err)) {
		r = -1;
	} else {
		char **v = xcalloc(fn->nlinks + 1, sizeof(*v));

		for (size_t i = 0; i < fn->nlinks; i++)
			if (strncmp(fn->links[i].name, prefix, strlen(prefix)) == 0)
				v[n++] = xstrdup(fn->links[i].name);
		*names = v;
		*count = n;
	}
	pthread_mutex_unlock(&fn->lock);
	return r;
}

static int fnet_sync_remote(struct zks_net *base, const char *vxlan,
			    const struct zks_remote_ep *eps, size_t neps, struct zks_error *err)
{
	struct fake_net *fn = (struct fake_net *)base;
	struct fake_net_call c = {.op = FNET_SYNC_REMOTE, .neps = neps};
	struct fake_remote *rem;
	int r = 0;

	fnet_copy(c.name, sizeof(c.name), vxlan);
	pthread_mutex_lock(&fn->lock);
	if (fnet_record(fn, &c, err)) {
		r = -1;
	} else if (fnet_find(fn, vxlan) == NULL) {
		r = zks_error_set(err, ZKS_ERR_SYSTEM, "fake: VXLAN device `%s` does not exist",
				  vxlan);
		fn->calls[fn->ncalls - 1].failed = true;
	} else {
		fnet_drop_remote(fn, vxlan);
		fn->remotes = xrealloc(fn->remotes, (fn->nremotes + 1) * sizeof(*fn->remotes));
		rem = &fn->remotes[fn->nremotes++];
		rem->vxlan = xstrdup(vxlan);
		rem->eps = xcalloc(neps + 1, sizeof(*eps));
		if (neps > 0)
			memcpy(rem->eps, eps, neps * sizeof(*eps));
		rem->neps = neps;
	}
	pthread_mutex_unlock(&fn->lock);
	return r;
}

void fake_net_init(struct fake_net *fn)
{
	memset(fn, 0, sizeof(*fn));
	pthread_mutex_init(&fn->lock, NULL);
	fn->base.ensure_network = fnet_ensure_network;
	fn->base.delete_network = fnet_delete_network;
	fn->base.create_veth = fnet_create_veth;
	fn->base.delete_link = fnet_delete_link;
	fn->base.link_exists = fnet_link_exists;
	fn->base.list_links = fnet_list_links;
	fn->base.sync_remote = fnet_sync_remote;
}

void fake_net_fini(struct fake_net *fn)
{
	for (size_t i = 0; i < fn->nlinks; i++)
		fnet_link_free(&fn->links[i]);
	free(fn->links);
	for (size_t i = 0; i < fn->nremotes; i++) {
		free(fn->remotes[i].vxlan);
		free(fn->remotes[i].eps);
	}
	free(fn->remotes);
	free(fn->calls);
	pthread_mutex_destroy(&fn->lock);
	memset(fn, 0, sizeof(*fn));
}

void fake_net_fail_next(struct fake_net *fn, enum fake_net_op op)
{
	pthread_mutex_lock(&fn->lock);
	fn->fail_next[op] = true;
	fn->fail_thread[op] = pthread_self();
	pthread_mutex_unlock(&fn->lock);
}

size_t fake_net_count(struct fake_net *fn, enum fake_net_op op)
{
	size_t n = 0;

	pthread_mutex_lock(&fn->lock);
	for (size_t i = 0; i < fn->ncalls; i++)
		n += fn->calls[i].op == op;
	pthread_mutex_unlock(&fn->lock);
	return n;
}

bool fake_net_last(struct fake_net *fn, enum fake_net_op op, const char *name,
		   struct fake_net_call *out)
{
	bool found = false;

	pthread_mutex_lock(&fn->lock);
	for (size_t i = fn->ncalls; i-- > 0 && !found;) {
		if (fn->calls[i].op != op || (name && strcmp(fn->calls[i].name, name) != 0))
			continue;
		*out = fn->calls[i];
		found = true;
	}
	pthread_mutex_unlock(&fn->lock);
	return found;
}

bool fake_net_has_link(struct fake_net *fn, const char *name)
{
	bool r;

	pthread_mutex_lock(&fn->lock);
	r = fnet_find(fn, name) != NULL;
	pthread_mutex_unlock(&fn->lock);
	return r;
}

bool fake_net_link(struct fake_net *fn, const char *name, struct fake_link *out)
{
	struct fake_link *l;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&fn->lock);
	l = fnet_find(fn, name);
	if (l != NULL) {
		*out = *l;
		out->name = xstrdup(l->name);
		out->master = l->master ? xstrdup(l->master) : NULL;
		out->peer = l->peer ? xstrdup(l->peer) : NULL;
	}
	pthread_mutex_unlock(&fn->lock);
	return l != NULL;
}

void fake_link_clear(struct fake_link *l)
{
	fnet_link_free(l);
	memset(l, 0, sizeof(*l));
}

void fake_net_add_link(struct fake_net *fn, const char *name, const char *master)
{
	pthread_mutex_lock(&fn->lock);
	fnet_put(fn, name, master);
	pthread_mutex_unlock(&fn->lock);
}

size_t fake_net_nlinks(struct fake_net *fn)
{
	size_t n;

	pthread_mutex_lock(&fn->lock);
	n = fn->nlinks;
	pthread_mutex_unlock(&fn->lock);
	return n;
}

bool fake_net_remote(struct fake_net *fn, const char *vxlan, struct zks_remote_ep **eps,
		     size_t *neps)
{
	bool found = false;

	*eps = NULL;
	*neps = 0;
	pthread_mutex_lock(&fn->lock);
	for (size_t i = 0; i < fn->nremotes && !found; i++) {
		if (strcmp(fn->remotes[i].vxlan, vxlan) != 0)
			continue;
		*neps = fn->remotes[i].neps;
		*eps = xcalloc(*neps + 1, sizeof(**eps));
		if (*neps > 0)
			memcpy(*eps, fn->remotes[i].eps, *neps * sizeof(**eps));
		found = true;
	}
	pthread_mutex_unlock(&fn->lock);
	return found;
}

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

/* ---- network nodes ----------------------------------------------------------------------------
 */

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
