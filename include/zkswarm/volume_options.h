/*
 * volume_options.h - the options `docker volume create -o KEY=VALUE` accepts.
 *
 * Options are parsed once, into their effective values (defaults filled
 * in), and stored that way in the volume's record, so "the same options"
 * means the same effective volume: `-o mode=755` equals `-o mode=0755`.
 */
#ifndef ZKSWARM_VOLUME_OPTIONS_H
#define ZKSWARM_VOLUME_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "zkswarm/error.h"
#include "zkswarm/kv.h"

enum zks_access { ZKS_ACCESS_SINGLE_NODE = 0, ZKS_ACCESS_MULTI_NODE };
enum zks_on_remove { ZKS_ON_REMOVE_DELETE = 0, ZKS_ON_REMOVE_RETAIN };
/*
 * dir: a directory on the data mount; config: files kept in ZooKeeper (configs.h);
 * image: a filesystem image file on the data mount, mounted through a loop device (image.h).
 */
enum zks_volume_type { ZKS_VOLUME_DIR = 0, ZKS_VOLUME_CONFIG, ZKS_VOLUME_IMAGE };
/* The filesystems an image volume is made with (mkfs in the plugin's rootfs). */
enum zks_image_fs { ZKS_IMAGE_EXT4 = 0 };

/* An image volume's size, bytes: from 16 MiB (ext4's journal and tables fit) to 16 TiB. */
#define ZKS_IMAGE_SIZE_MIN (16ULL << 20)
#define ZKS_IMAGE_SIZE_MAX (16ULL << 40)
/* A snapshot's name: a volume name's rule, at most 64 bytes. */
#define ZKS_SNAPSHOT_NAME_MAX 64
/* "VOLUME@SNAP" with its NUL: a volume name is at most 255 bytes (volumes.h). */
#define ZKS_SNAPSHOT_REF_MAX (255 + 1 + ZKS_SNAPSHOT_NAME_MAX + 1)

struct zks_volume_options {
	enum zks_access access;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	bool readonly;
	enum zks_on_remove on_remove;
	enum zks_volume_type type; /* config: multi-node and read-only, always */
	/* type=image only (refused otherwise): its size, required, and its filesystem. */
	unsigned long long size;
	enum zks_image_fs fs;
	/*
	 * type=image only: "VOLUME@SNAP", the snapshot this volume is a clone of, or "".  Its size
	 * is the snapshot's: the option size may be left out (volumes.c fills it in).
	 */
	char from[ZKS_SNAPSHOT_REF_MAX];
};

/*
 * One row per option (volume_options.c): its key, what it accepts (for the
 * accepted-keys message), its parser into struct zks_volume_options and its
 * formatter back to the canonical text.  The table's order is the order of
 * zks_volume_options_format and of the accepted-keys message.
 */
struct zks_volume_option {
	const char *key;
	const char *help; /* "(single-node|multi-node)", or NULL */
	int (*parse)(const char *key, const char *value, struct zks_volume_options *o,
		     struct zks_error *err);
	/* Allocated; NULL: the option does not apply to this volume (size of a directory). */
	char *(*format)(const struct zks_volume_options *o);
};

extern const struct zks_volume_option zks_volume_option_table[];
extern const size_t zks_volume_option_count;

/* The accepted keys, for messages and docs: "access (single-node|multi-node), uid, ...". */
const char *zks_volume_options_accepted(void);

/* Parse options given to Create; unknown keys and bad values are refused with a reason. */
int zks_volume_options_parse(const struct zks_kv *kv, size_t n, struct zks_volume_options *out,
			     struct zks_error *err);

/*
 * Effective values as strings, in a fixed order, the options that apply to this volume only;
 * free with zks_volume_options_free_kv.
 */
size_t zks_volume_options_format(const struct zks_volume_options *o, struct zks_kv **out);
void zks_volume_options_free_kv(struct zks_kv *kv, size_t n);

/* "64M", "2G", "1536K", or bytes: the largest unit that divides the size exactly. */
char *zks_size_format(unsigned long long bytes);
/* "64M", "2g", "1048576": K, M, G, T are powers of 1024.  Refused: anything else. */
int zks_size_parse(const char *text, unsigned long long *out);

/*
 * "VOLUME@SNAP" split, each part checked by the rule for names: 0, or -1 (INVALID) with a
 * message that names what is wrong.  volume and snap are at least ZKS_SNAPSHOT_REF_MAX bytes.
 */
int zks_snapshot_ref_parse(const char *ref, char *volume, char *snap, struct zks_error *err);
/* A snapshot's name by the rule (INVALID with "snapshot name ..."). */
int zks_snapshot_name_check(const char *snap, struct zks_error *err);
/* Describe how b differs from a ("mode: 0755 -> 0700, access: ..."); 0 if equal. */
int zks_volume_options_diff(const struct zks_volume_options *a, const struct zks_volume_options *b,
			    char *out, size_t outlen);

#endif
