/*
 * volume_options.c - parsing, formatting and comparing volume options: one
 * table row per option, from which the accepted-keys message, the parser's
 * dispatch and the stored format all follow.
 *
 * Options are visible to anyone who can run `docker volume inspect`, so no
 * option carries a secret; anything that needs one is a plugin setting.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zkswarm/names.h"
#include "zkswarm/util.h"
#include "zkswarm/volume_options.h"

static int parse_id(const char *key, const char *v, unsigned long *out, struct zks_error *err)
{
	char *end;
	unsigned long n;

	/* strtoul would skip blanks and take signs: only digits are numbers here. */
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || v[0] < '0' || v[0] > '9' || *end != '\0' || n > 2147483647UL)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "option %s=`%.32s` must be a number from 0 to 2147483647", key,
				     v);
	*out = n;
	return 0;
}

static int parse_bool(const char *key, const char *v, bool *out, struct zks_error *err)
{
	if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") || v[0] == '\0') {
		*out = true;
		return 0;
	}
	if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no")) {
		*out = false;
		return 0;
	}
	return zks_error_set(err, ZKS_ERR_INVALID, "option %s=`%.32s` must be true or false", key,
			     v);
}

/* ---- one parser and one formatter per option ------------------------------------------------- */

static int parse_access(const char *key, const char *v, struct zks_volume_options *o,
			struct zks_error *err)
{
	(void)key;
	if (!strcmp(v, "single-node"))
		o->access = ZKS_ACCESS_SINGLE_NODE;
	else if (!strcmp(v, "multi-node"))
		o->access = ZKS_ACCESS_MULTI_NODE;
	else
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "option access=`%.32s` must be single-node or multi-node", v);
	return 0;
}

static char *format_access(const struct zks_volume_options *o)
{
	return xstrdup(o->access == ZKS_ACCESS_MULTI_NODE ? "multi-node" : "single-node");
}

static int parse_uid(const char *key, const char *v, struct zks_volume_options *o,
		     struct zks_error *err)
{
	unsigned long n;

	if (parse_id(key, v, &n, err) < 0)
		return -1;
	o->uid = (uid_t)n;
	return 0;
}

static char *format_uid(const struct zks_volume_options *o)
{
	return xasprintf("%lu", (unsigned long)o->uid);
}

static int parse_gid(const char *key, const char *v, struct zks_volume_options *o,
		     struct zks_error *err)
{
	unsigned long n;

	if (parse_id(key, v, &n, err) < 0)
		return -1;
	o->gid = (gid_t)n;
	return 0;
}

static char *format_gid(const struct zks_volume_options *o)
{
	return xasprintf("%lu", (unsigned long)o->gid);
}

static int parse_mode(const char *key, const char *v, struct zks_volume_options *o,
		      struct zks_error *err)
{
	char *end;
	unsigned long n;

	(void)key;
	errno = 0;
	n = strtoul(v, &end, 8);
	if (errno || v[0] < '0' || v[0] > '7' || *end != '\0' || n > 07777)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "option mode=`%.32s` must be octal permissions such as 0755",
				     v);
	o->mode = (mode_t)n;
	return 0;
}

static char *format_mode(const struct zks_volume_options *o)
{
	return xasprintf("%04o", (unsigned)o->mode);
}

static int parse_readonly(const char *key, const char *v, struct zks_volume_options *o,
			  struct zks_error *err)
{
	return parse_bool(key, v, &o->readonly, err);
}

static char *format_readonly(const struct zks_volume_options *o)
{
	return xstrdup(o->readonly ? "true" : "false");
}

static int parse_on_remove(const char *key, const char *v, struct zks_volume_options *o,
			   struct zks_error *err)
{
	(void)key;
	if (!strcmp(v, "delete"))
		o->on_remove = ZKS_ON_REMOVE_DELETE;
	else if (!strcmp(v, "retain"))
		o->on_remove = ZKS_ON_REMOVE_RETAIN;
	else
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "option on-remove=`%.32s` must be delete or retain", v);
	return 0;
}

static char *format_on_remove(const struct zks_volume_options *o)
{
	return xstrdup(o->on_remove == ZKS_ON_REMOVE_RETAIN ? "retain" : "delete");
}

static int parse_type(const char *key, const char *v, struct zks_volume_options *o,
		      struct zks_error *err)
{
	(void)key;
	if (!strcmp(v, "dir"))
		o->type = ZKS_VOLUME_DIR;
	else if (!strcmp(v, "config"))
		o->type = ZKS_VOLUME_CONFIG;
	else if (!strcmp(v, "image"))
		o->type = ZKS_VOLUME_IMAGE;
	else
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "option type=`%.32s` must be dir, config or image", v);
	return 0;
}

static char *format_type(const struct zks_volume_options *o)
{
	static const char *const names[] = {"dir", "config", "image"};

	return xstrdup(names[o->type]);
}

static const struct {
	char suffix;
	unsigned shift;
} size_units[] = {{'T', 40}, {'G', 30}, {'M', 20}, {'K', 10}};

int zks_size_parse(const char *text, unsigned long long *out)
{
	char *end;
	unsigned long long n;
	unsigned shift = 0;

	errno = 0;
	if (text[0] < '0' || text[0] > '9')
		return -1;
	n = strtoull(text, &end, 10);
	if (errno)
		return -1;
	if (*end != '\0') {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(size_units); i++)
			if ((char)toupper((unsigned char)*end) == size_units[i].suffix)
				break;
		if (i == ARRAY_SIZE(size_units) || end[1] != '\0')
			return -1;
		shift = size_units[i].shift;
	}
	if (n > (ULLONG_MAX >> shift))
		return -1;
	*out = n << shift;
	return 0;
}

char *zks_size_format(unsigned long long bytes)
{
	for (size_t i = 0; i < ARRAY_SIZE(size_units); i++) {
		unsigned long long unit = 1ULL << size_units[i].shift;

		if (bytes >= unit && bytes % unit == 0)
			return xasprintf("%llu%c", bytes / unit, size_units[i].suffix);
	}
	return xasprintf("%llu", bytes);
}

static int parse_size(const char *key, const char *v, struct zks_volume_options *o,
		      struct zks_error *err)
{
	unsigned long long n;

	(void)key;
	if (zks_size_parse(v, &n) < 0 || n < ZKS_IMAGE_SIZE_MIN || n > ZKS_IMAGE_SIZE_MAX ||
	    n % 4096 != 0)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "option size=`%.32s` must be a size from 16M to 16T, a "
				     "multiple of 4K, such as 64M or 2G",
				     v);
	o->size = n;
	return 0;
}

static char *format_size(const struct zks_volume_options *o)
{
	return o->type == ZKS_VOLUME_IMAGE ? zks_size_format(o->size) : NULL;
}

static int parse_fs(const char *key, const char *v, struct zks_volume_options *o,
		    struct zks_error *err)
{
	(void)key;
	if (strcmp(v, "ext4") != 0)
		return zks_error_set(err, ZKS_ERR_INVALID, "option fs=`%.32s` must be ext4", v);
	o->fs = ZKS_IMAGE_EXT4;
	return 0;
}

static char *format_fs(const struct zks_volume_options *o)
{
	return o->type == ZKS_VOLUME_IMAGE ? xstrdup("ext4") : NULL;
}

int zks_snapshot_name_check(const char *snap, struct zks_error *err)
{
	return zks_validate_name("snapshot", snap, 1, ZKS_SNAPSHOT_NAME_MAX, err);
}

int zks_snapshot_ref_parse(const char *ref, char *volume, char *snap, struct zks_error *err)
{
	const char *at = strchr(ref, '@');
	size_t n = at ? (size_t)(at - ref) : 0;

	if (at == NULL || n >= ZKS_SNAPSHOT_REF_MAX || strlen(at + 1) >= ZKS_SNAPSHOT_REF_MAX)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "`%.80s` is not VOLUME@SNAPSHOT, such as db@monday", ref);
	memcpy(volume, ref, n);
	volume[n] = '\0';
	strcpy(snap, at + 1);
	if (zks_validate_name("volume", volume, 1, 255, err) < 0 ||
	    zks_snapshot_name_check(snap, err) < 0)
		return zks_error_prefix(err, "`%.80s` is not VOLUME@SNAPSHOT", ref);
	return 0;
}

static int parse_from(const char *key, const char *v, struct zks_volume_options *o,
		      struct zks_error *err)
{
	char volume[ZKS_SNAPSHOT_REF_MAX], snap[ZKS_SNAPSHOT_REF_MAX];

	(void)key;
	if (zks_snapshot_ref_parse(v, volume, snap, err) < 0)
		return zks_error_prefix(err, "option from");
	snprintf(o->from, sizeof(o->from), "%s@%s", volume, snap);
	return 0;
}

static char *format_from(const struct zks_volume_options *o)
{
	return o->type == ZKS_VOLUME_IMAGE && o->from[0] ? xstrdup(o->from) : NULL;
}

/* A new option is one row here (and its field in struct zks_volume_options). */
const struct zks_volume_option zks_volume_option_table[] = {
	{"access", "(single-node|multi-node)", parse_access, format_access},
	{"uid", NULL, parse_uid, format_uid},
	{"gid", NULL, parse_gid, format_gid},
	{"mode", "(octal)", parse_mode, format_mode},
	{"readonly", "(true|false)", parse_readonly, format_readonly},
	{"on-remove", "(delete|retain)", parse_on_remove, format_on_remove},
	{"type", "(dir|config|image)", parse_type, format_type},
	{"size", "(type=image: 16M to 16T)", parse_size, format_size},
	{"fs", "(type=image: ext4)", parse_fs, format_fs},
	{"from", "(type=image: VOLUME@SNAPSHOT, a clone)", parse_from, format_from},
};
const size_t zks_volume_option_count = ARRAY_SIZE(zks_volume_option_table);

static char accepted[320];
static pthread_once_t accepted_once = PTHREAD_ONCE_INIT;

static void make_accepted(void)
{
	size_t used = 0;

	for (size_t i = 0; i < zks_volume_option_count; i++) {
		const struct zks_volume_option *opt = &zks_volume_option_table[i];

		used += (size_t)snprintf(accepted + used, sizeof(accepted) - used, "%s%s%s%s",
					 i ? ", " : "", opt->key, opt->help ? " " : "",
					 opt->help ? opt->help : "");
	}
}

const char *zks_volume_options_accepted(void)
{
	pthread_once(&accepted_once, make_accepted);
	return accepted;
}

static const struct zks_volume_option *find_option(const char *key)
{
	for (size_t i = 0; i < zks_volume_option_count; i++)
		if (!strcmp(zks_volume_option_table[i].key, key))
			return &zks_volume_option_table[i];
	return NULL;
}

static int parse_one(const char *key, const char *v, struct zks_volume_options *o,
		     struct zks_error *err)
{
	const struct zks_volume_option *opt = find_option(key);

	if (opt == NULL)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "unknown option `%.64s`; accepted options: %s", key,
				     zks_volume_options_accepted());
	return opt->parse(key, v, o, err);
}

/*
 * A configuration volume is on every node that mounts it and its files are written by the
 * plugin alone: multi-node, read-only, its records gone with it.  Saying otherwise is refused.
 */
static int config_options(const struct zks_kv *kv, size_t n, struct zks_volume_options *o,
			  struct zks_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *k = kv[i].key;

		if ((!strcmp(k, "access") && o->access != ZKS_ACCESS_MULTI_NODE) ||
		    (!strcmp(k, "readonly") && !o->readonly) ||
		    (!strcmp(k, "on-remove") && o->on_remove != ZKS_ON_REMOVE_DELETE))
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "option %s=`%.32s` does not go with type=config: a "
					     "configuration volume is multi-node, read-only for "
					     "containers and removed with its history",
					     k, kv[i].value);
	}
	o->access = ZKS_ACCESS_MULTI_NODE;
	o->readonly = true;
	return 0;
}

static bool given(const struct zks_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return true;
	return false;
}

/*
 * An image volume has a size and is on one node at a time (a filesystem mounted twice is
 * corrupted); size and fs mean nothing for the other types.
 */
static int image_options(const struct zks_kv *kv, size_t n, struct zks_volume_options *o,
			 struct zks_error *err)
{
	if (o->type != ZKS_VOLUME_IMAGE) {
		if (given(kv, n, "size") || given(kv, n, "fs") || given(kv, n, "from"))
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "options size, fs and from go with type=image only");
		return 0;
	}
	if (!given(kv, n, "size") && !given(kv, n, "from"))
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "type=image needs a size, such as -o size=2G (or from, "
				     "a snapshot to clone)");
	if (o->access != ZKS_ACCESS_SINGLE_NODE)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "option access=multi-node does not go with type=image: its "
				     "filesystem can be mounted on one node at a time");
	return 0;
}

int zks_volume_options_parse(const struct zks_kv *kv, size_t n, struct zks_volume_options *out,
			     struct zks_error *err)
{
	struct zks_volume_options o = {.access = ZKS_ACCESS_SINGLE_NODE, .mode = 0755};

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++)
			if (!strcmp(kv[i].key, kv[j].key))
				return zks_error_set(err, ZKS_ERR_INVALID,
						     "option `%.64s` given twice", kv[i].key);
		if (parse_one(kv[i].key, kv[i].value, &o, err) < 0)
			return -1;
	}
	if (o.type == ZKS_VOLUME_CONFIG && config_options(kv, n, &o, err) < 0)
		return -1;
	if (image_options(kv, n, &o, err) < 0)
		return -1;
	*out = o;
	return 0;
}

size_t zks_volume_options_format(const struct zks_volume_options *o, struct zks_kv **out)
{
	struct zks_kv *kv = xcalloc(zks_volume_option_count, sizeof(*kv));
	size_t n = 0;

	for (size_t i = 0; i < zks_volume_option_count; i++) {
		char *value = zks_volume_option_table[i].format(o);

		if (value == NULL)
			continue;
		kv[n].key = zks_volume_option_table[i].key;
		kv[n++].value = value;
	}
	*out = kv;
	return n;
}

void zks_volume_options_free_kv(struct zks_kv *kv, size_t n)
{
	if (kv == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free((char *)kv[i].value);
	free(kv);
}

int zks_volume_options_diff(const struct zks_volume_options *a, const struct zks_volume_options *b,
			    char *out, size_t outlen)
{
	size_t used = 0;
	int differ = 0;

	if (outlen)
		out[0] = '\0';
	for (size_t i = 0; i < zks_volume_option_count; i++) {
		const struct zks_volume_option *opt = &zks_volume_option_table[i];
		cleanup_free char *va = opt->format(a);
		cleanup_free char *vb = opt->format(b);

		if (va == vb || (va && vb && !strcmp(va, vb)))
			continue;
		if (used < outlen)
			used += (size_t)snprintf(out + used, outlen - used, "%s%s is %s, asked %s",
						 differ ? "; " : "", opt->key, va ? va : "(none)",
						 vb ? vb : "(none)");
		differ = 1;
	}
	return differ;
}
