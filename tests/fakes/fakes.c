/*
 * fakes.c - the fake filesystem and kernel network of the tests (see fakes.h
 * and fakes_net.h): state in memory, a log of the calls, failures on demand,
 * and the kernel's rules checked when a test asks for it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakes.h"
#include "fakes_net.h"
#include "zkswarm/util.h"

/* ---- checks --------------------------------------------------------------------------------- */

fake_violation_fn *fake_violation;

static void __attribute__((format(printf, 2, 3))) violation(const char *rule, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fake_violation(rule, msg);
}

void fake_fs_check_path(const struct fake_fs *fs, const char *path, bool data, bool mount)
{
	const char *name = NULL;
	size_t dl, ml;

	if (fake_violation == NULL || fs->data_dir == NULL || fs->mount_root == NULL)
		return;
	dl = strlen(fs->data_dir);
	ml = strlen(fs->mount_root);
	if (data && strncmp(path, fs->data_dir, dl) == 0 && path[dl] == '/')
		name = path + dl + 1;
	else if (mount && strncmp(path, fs->mount_root, ml) == 0 && path[ml] == '/')
		name = path + ml + 1;
	if (name == NULL) {
		violation(NULL, "fs call on `%s`, outside %s%s%s", path, data ? fs->data_dir : "",
			  data && mount ? " and " : "", mount ? fs->mount_root : "");
		return;
	}
	if (name[0] == '\0' || strchr(name, '/') != NULL || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		violation(NULL, "fs call on `%s`: `%s` is not one plain path component", path,
			  name);
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			violation(NULL, "fs call on a path with control byte 0x%02x",
				  (unsigned char)*p);
}

void fake_net_check_ifname(const char *name)
{
	size_t n = strlen(name);

	if (fake_violation == NULL)
		return;
	if (n == 0 || n >= IF_NAMESIZE)
		violation(NULL, "link name `%s` has %zu bytes (the kernel takes 1..%d)", name, n,
			  IF_NAMESIZE - 1);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		violation(NULL, "link name `%s`", name);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= 0x20 || name[i] == '/' || name[i] == ':' ||
		    (unsigned char)name[i] >= 0x7f)
			violation(NULL, "link name `%s` has byte 0x%02x", name,
				  (unsigned char)name[i]);
}

static bool mtu_ok(int mtu)
{
	return mtu >= 68 && mtu <= 65535;
}

static void check_spec(const struct zks_net_spec *spec)
{
	if (fake_violation == NULL)
		return;
	fake_net_check_ifname(spec->bridge);
	fake_net_check_ifname(spec->vxlan);
	if (spec->vni < 1 || spec->vni > 16777215)
		violation(NULL, "VXLAN device with VNI %u", spec->vni);
	if (!mtu_ok(spec->mtu))
		violation(NULL, "network with MTU %d", spec->mtu);
	if (spec->port == 0)
		violation(NULL, "VXLAN device with UDP port 0");
	if (spec->gateway_len > 32)
		violation(NULL, "gateway with prefix length %u", spec->gateway_len);
}

static void check_veth(const char *host_if, const char *peer_if, const char *bridge,
		       const uint8_t mac[6], int mtu)
{
	if (fake_violation == NULL)
		return;
	fake_net_check_ifname(host_if);
	fake_net_check_ifname(peer_if);
	fake_net_check_ifname(bridge);
	if (!strcmp(host_if, peer_if))
		violation(NULL, "veth with both ends named `%s`", host_if);
	if (!mtu_ok(mtu))
		violation(NULL, "veth with MTU %d", mtu);
	if (mac[0] & 1)
		violation("endpoint_mac_unicast", "veth peer with a multicast MAC");
}

static void check_remote(const char *vxlan, const struct zks_remote_ep *eps, size_t neps)
{
	if (fake_violation == NULL)
		return;
	fake_net_check_ifname(vxlan);
	for (size_t i = 0; i < neps; i++)
		if (eps[i].vtep.s_addr == 0 || eps[i].ip.s_addr == 0)
			violation(NULL, "sync_remote on `%s` with a zero address (entry %zu)",
				  vxlan, i);
}

/* ---- fake filesystem ----------------------------------------------------------------------- */

static struct fake_call *fake_record(struct fake_fs *fs, enum fake_op op, const char *path,
				     const char *target)
{
	struct fake_call *c;

	if (fs->forget_calls && fs->ncalls == 1) {
		free(fs->calls[0].path);
		free(fs->calls[0].target);
		fs->ncalls = 0;
	}
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
	struct fake_call *c;

	fake_fs_check_path(fs, path, true, false);
	if (fake_violation != NULL && (mode & ~07777u))
		violation(NULL, "prepare_dir `%s` with mode %o", path, (unsigned)mode);
	c = fake_record(fs, FAKE_PREPARE_DIR, path, NULL);
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
	struct fake_fs *fs = (struct fake_fs *)base;
	size_t len = strlen(path), k = 0;

	(void)err;
	fake_fs_check_path(fs, path, true, false);
	fake_record(fs, FAKE_REMOVE_DIR, path, NULL);
	/* The images and files in it go with it. */
	for (size_t i = 0; i < fs->nimages; i++)
		if (!strncmp(fs->images[i], path, len) && fs->images[i][len] == '/')
			free(fs->images[i]);
		else
			fs->images[k++] = fs->images[i];
	fs->nimages = k;
	k = 0;
	for (size_t i = 0; i < fs->nfiles; i++)
		if (!strncmp(fs->file_paths[i], path, len) && fs->file_paths[i][len] == '/') {
			free(fs->file_paths[i]);
			free(fs->file_data[i]);
		} else {
			fs->file_paths[k] = fs->file_paths[i];
			fs->file_data[k++] = fs->file_data[i];
		}
	fs->nfiles = k;
	return 0;
}

static int fake_bind(struct zks_fs *base, const char *source, const char *target, bool readonly,
		     struct zks_error *err)
{
	struct fake_fs *fs = (struct fake_fs *)base;
	struct fake_call *c;

	fake_fs_check_path(fs, source, true, false);
	fake_fs_check_path(fs, target, false, true);
	c = fake_record(fs, FAKE_BIND, source, target);
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

/* unbind and image_unmount: every mount stacked at target goes. */
static int fake_detach(struct fake_fs *fs, enum fake_op op, const char *target,
		       struct zks_error *err)
{
	struct fake_call *c;
	size_t k = 0;

	fake_fs_check_path(fs, target, false, true);
	c = fake_record(fs, op, target, NULL);
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

static int fake_unbind(struct zks_fs *base, const char *target, struct zks_error *err)
{
	return fake_detach((struct fake_fs *)base, FAKE_UNBIND, target, err);
}

static bool fake_is_mounted(struct zks_fs *base, const char *target)
{
	fake_fs_check_path((struct fake_fs *)base, target, false, true);
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

/* <data_dir>/<name>/disk.img: the path above it is checked as a data directory. */
static void check_image_path(const struct fake_fs *fs, const char *path)
{
	cleanup_free char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');

	if (slash == NULL || strcmp(slash, "/disk.img") != 0) {
		violation(NULL, "image call on `%s`, not <data>/<name>/disk.img", path);
		return;
	}
	*slash = '\0';
	fake_fs_check_path(fs, dir, true, false);
}

bool fake_fs_has_image(const struct fake_fs *fs, const char *path)
{
	for (size_t i = 0; i < fs->nimages; i++)
		if (!strcmp(fs->images[i], path))
			return true;
	return false;
}

static int fake_image_create(struct zks_fs *base, const char *path, unsigned long long size,
			     uid_t uid, gid_t gid, mode_t mode, struct zks_error *err)
{
	struct fake_fs *fs = (struct fake_fs *)base;
	struct fake_call *c;

	check_image_path(fs, path);
	c = fake_record(fs, FAKE_IMAGE_CREATE, path, NULL);
	c->size = size;
	c->uid = uid;
	c->gid = gid;
	c->mode = mode;
	if (fake_fs_has_image(fs, path))
		return zks_error_set(err, ZKS_ERR_EXISTS, "fake: image `%s` exists", path);
	if (fs->fail_next_image_create) {
		fs->fail_next_image_create = false;
		c->failed = true;
		return zks_error_set(err, ZKS_ERR_SYSTEM, "fake: mkfs `%s` failed", path);
	}
	fs->images = xrealloc(fs->images, (fs->nimages + 1) * sizeof(*fs->images));
	fs->images[fs->nimages++] = xstrdup(path);
	return 0;
}

static int fake_image_mount(struct zks_fs *base, const char *path, const char *target,
			    bool readonly, struct zks_error *err)
{
	struct fake_fs *fs = (struct fake_fs *)base;
	struct fake_call *c;

	check_image_path(fs, path);
	fake_fs_check_path(fs, target, false, true);
	c = fake_record(fs, FAKE_IMAGE_MOUNT, path, target);
	c->readonly = readonly;
	if (!fake_fs_has_image(fs, path))
		return zks_error_set(err, ZKS_ERR_SYSTEM, "fake: no image `%s`", path);
	if (fs->fail_next_image_mount) {
		fs->fail_next_image_mount = false;
		c->failed = true;
		return zks_error_set(err, ZKS_ERR_SYSTEM, "fake: mount `%s` failed", path);
	}
	if (fake_fs_mounted(fs, target))
		violation(NULL, "image mounted twice on `%s`", target);
	fs->mounted = xrealloc(fs->mounted, (fs->nmounted + 1) * sizeof(*fs->mounted));
	fs->mounted[fs->nmounted++] = xstrdup(target);
	return 0;
}

static int fake_image_unmount(struct zks_fs *base, const char *target, struct zks_error *err)
{
	return fake_detach((struct fake_fs *)base, FAKE_IMAGE_UNMOUNT, target, err);
}

/* The size an image was made with or copied at; 0 if unknown. */
static unsigned long long fake_image_size(const struct fake_fs *fs, const char *path)
{
	for (size_t i = fs->ncalls; i-- > 0;) {
		const struct fake_call *c = &fs->calls[i];

		if ((c->op == FAKE_IMAGE_CREATE && !strcmp(c->path, path)) ||
		    (c->op == FAKE_IMAGE_COPY && c->target && !strcmp(c->target, path)))
			return c->size;
	}
	return 0;
}

static int fake_image_copy(struct zks_fs *base, const char *src, const char *dst,
			   const char **method, struct zks_error *err)
{
	struct fake_fs *fs = (struct fake_fs *)base;
	struct fake_call *c;

	if (fs->data_dir != NULL && (strncmp(src, fs->data_dir, strlen(fs->data_dir)) != 0 ||
				     strncmp(dst, fs->data_dir, strlen(fs->data_dir)) != 0))
		violation(NULL, "image copy from `%s` to `%s`, not within the data directory", src,
			  dst);
	c = fake_record(fs, FAKE_IMAGE_COPY, src, dst);
	c->size = fake_image_size(fs, src);
	if (fake_fs_has_image(fs, dst))
		return zks_error_set(err, ZKS_ERR_EXISTS, "fake: image `%s` exists", dst);
	if (!fake_fs_has_image(fs, src))
		return zks_error_set(err, ZKS_ERR_SYSTEM, "fake: no image `%s`", src);
	if (fs->fail_next_image_copy) {
		fs->fail_next_image_copy = false;
		c->failed = true;
		return zks_error_set(err, ZKS_ERR_SYSTEM, "fake: copy `%s` failed", src);
	}
	fs->images = xrealloc(fs->images, (fs->nimages + 1) * sizeof(*fs->images));
	fs->images[fs->nimages++] = xstrdup(dst);
	*method = "copy";
	return 0;
}

static int fake_remove_file(struct zks_fs *base, const char *path, struct zks_error *err)
{
	struct fake_fs *fs = (struct fake_fs *)base;
	size_t k = 0;

	(void)err;
	fake_record(fs, FAKE_REMOVE_FILE, path, NULL);
	for (size_t i = 0; i < fs->nimages; i++)
		if (!strcmp(fs->images[i], path))
			free(fs->images[i]);
		else
			fs->images[k++] = fs->images[i];
	fs->nimages = k;
	return 0;
}

static int fake_image_usage(struct zks_fs *base, const char *path, const char *target,
			    struct zks_image_usage *out, struct zks_error *err)
{
	struct fake_fs *fs = (struct fake_fs *)base;

	check_image_path(fs, path);
	memset(out, 0, sizeof(*out));
	if (!fake_fs_has_image(fs, path))
		return zks_error_set(err, ZKS_ERR_SYSTEM, "fake: no image `%s`", path);
	out->size = fake_image_size(fs, path);
	out->used = 4096;
	out->mounted = target != NULL && fake_fs_mounted(fs, target);
	return 0;
}

static int fake_fence(struct zks_fs *base, const char *target, enum zks_fence_op op,
		      struct zks_error *err)
{
	struct fake_fs *fs = (struct fake_fs *)base;

	fake_fs_check_path(fs, target, false, true);
	fake_record(fs, FAKE_FENCE, target, NULL)->fence = op;
	if (!fake_fs_mounted(fs, target))
		return zks_error_set(err, ZKS_ERR_SYSTEM, "fake: nothing mounted at `%s`", target);
	return 0;
}

const char *fake_fs_file(const struct fake_fs *fs, const char *path)
{
	for (size_t i = 0; i < fs->nfiles; i++)
		if (!strcmp(fs->file_paths[i], path))
			return fs->file_data[i];
	return NULL;
}

const char *fake_fs_fences(const struct fake_fs *fs, const char *target)
{
	static const char *const names[] = {"freeze", "thaw", "shutdown"};
	static char out[512];
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < fs->ncalls && used < sizeof(out); i++)
		if (fs->calls[i].op == FAKE_FENCE && !strcmp(fs->calls[i].path, target))
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s",
						 used ? "," : "", names[fs->calls[i].fence]);
	return out;
}

static int fake_write_file(struct zks_fs *base, const char *path, const char *data, size_t len,
			   struct zks_error *err)
{
	struct fake_fs *fs = (struct fake_fs *)base;

	(void)err;
	for (size_t i = 0; i < fs->nfiles; i++)
		if (!strcmp(fs->file_paths[i], path)) {
			free(fs->file_data[i]);
			fs->file_data[i] = xstrndup(data, len);
			return 0;
		}
	fs->file_paths = xrealloc(fs->file_paths, (fs->nfiles + 1) * sizeof(char *));
	fs->file_data = xrealloc(fs->file_data, (fs->nfiles + 1) * sizeof(char *));
	fs->file_paths[fs->nfiles] = xstrdup(path);
	fs->file_data[fs->nfiles++] = xstrndup(data, len);
	return 0;
}

static int fake_read_file(struct zks_fs *base, const char *path, char **data, struct zks_error *err)
{
	const char *d = fake_fs_file((struct fake_fs *)base, path);

	if (d == NULL)
		return zks_error_set(err, ZKS_ERR_NOT_FOUND, "fake: no file `%s`", path);
	*data = xstrdup(d);
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
	fs->base.image_create = fake_image_create;
	fs->base.image_mount = fake_image_mount;
	fs->base.image_unmount = fake_image_unmount;
	fs->base.image_usage = fake_image_usage;
	fs->base.fence = fake_fence;
	fs->base.image_copy = fake_image_copy;
	fs->base.remove_file = fake_remove_file;
	fs->base.write_file = fake_write_file;
	fs->base.read_file = fake_read_file;
}

void fake_fs_fini(struct fake_fs *fs)
{
	for (size_t i = 0; i < fs->ncalls; i++) {
		free(fs->calls[i].path);
		free(fs->calls[i].target);
	}
	free(fs->calls);
	zks_free_strv(fs->mounted, fs->nmounted);
	zks_free_strv(fs->images, fs->nimages);
	zks_free_strv(fs->file_paths, fs->nfiles);
	zks_free_strv(fs->file_data, fs->nfiles);
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
	if (fn->forget_calls && fn->ncalls == 1)
		fn->ncalls = 0;
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
				  .port = spec->port,
				  .gateway = spec->gateway,
				  .gateway_len = spec->gateway_len};
	static const uint8_t zero[6];
	struct fake_link *l;
	int r = 0;

	check_spec(spec);
	memcpy(c.mac, spec->bridge_mac, 6);
	fnet_copy(c.name, sizeof(c.name), spec->bridge);
	fnet_copy(c.name2, sizeof(c.name2), spec->vxlan);
	pthread_mutex_lock(&fn->lock);
	if (fnet_record(fn, &c, err)) {
		r = -1;
	} else {
		l = fnet_put(fn, spec->bridge, NULL);
		l->mtu = spec->mtu;
		if (memcmp(spec->bridge_mac, zero, 6) != 0)
			memcpy(l->mac, spec->bridge_mac, 6);
		l->addr = spec->gateway_len > 0 ? spec->gateway : (struct in_addr){0};
		l->addr_len = spec->gateway_len;
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

	fake_net_check_ifname(bridge);
	fake_net_check_ifname(vxlan);
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

	check_veth(host_if, peer_if, bridge, mac, mtu);
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

	fake_net_check_ifname(name);
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

	fake_net_check_ifname(name);
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

/* The kernel would take them, but an entry for the bridge's own address or MAC on its VXLAN
 * device sends what belongs to this node through the tunnel: a violation. */
static void fnet_check_bridge_owned(struct fake_net *fn, const char *vxlan,
				    const struct zks_remote_ep *eps, size_t neps)
{
	static const uint8_t zero[6];
	struct fake_link *vx = fnet_find(fn, vxlan);
	struct fake_link *br = vx != NULL && vx->master != NULL ? fnet_find(fn, vx->master) : NULL;

	if (br == NULL || fake_violation == NULL)
		return;
	for (size_t i = 0; i < neps; i++)
		if ((br->addr_len > 0 && eps[i].ip.s_addr == br->addr.s_addr) ||
		    (memcmp(br->mac, zero, 6) != 0 && memcmp(eps[i].mac, br->mac, 6) == 0))
			violation(NULL, "an entry on `%s` for its bridge's own address or MAC",
				  vxlan);
}

static int fnet_sync_remote(struct zks_net *base, const char *vxlan,
			    const struct zks_remote_ep *eps, size_t neps, struct zks_error *err)
{
	struct fake_net *fn = (struct fake_net *)base;
	struct fake_net_call c = {.op = FNET_SYNC_REMOTE, .neps = neps};
	struct fake_remote *rem;
	int r = 0;

	check_remote(vxlan, eps, neps);
	fnet_copy(c.name, sizeof(c.name), vxlan);
	pthread_mutex_lock(&fn->lock);
	if (fnet_record(fn, &c, err)) {
		r = -1;
	} else if (fnet_find(fn, vxlan) == NULL) {
		r = zks_error_set(err, ZKS_ERR_SYSTEM, "fake: VXLAN device `%s` does not exist",
				  vxlan);
		fn->calls[fn->ncalls - 1].failed = true;
	} else {
		fnet_check_bridge_owned(fn, vxlan, eps, neps);
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
