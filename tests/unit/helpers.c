/*
 * helpers.c - fixtures shared by the unit tests (see helpers.h): temporary
 * directories, the fake filesystem and nodes on the in-memory store.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
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

void fake_fs_init(struct fake_fs *fs)
{
	memset(fs, 0, sizeof(*fs));
	fs->base.prepare_dir = fake_prepare_dir;
	fs->base.remove_dir = fake_remove_dir;
	fs->base.bind = fake_bind;
	fs->base.unbind = fake_unbind;
	fs->base.is_mounted = fake_is_mounted;
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
