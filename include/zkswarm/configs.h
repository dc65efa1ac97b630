/*
 * configs.h - configuration volumes in ZooKeeper: a set of named files,
 * versioned, every change one step of a bounded history (who, when, what).
 *
 * Records (relative to ZK_ROOT; records.h has the path builders):
 *   /configs/<name>                 the head: the current version's manifest (JSON)
 *   /configs/<name>/versions/<n>    one step of the history, n in 10 digits: the manifest
 *                                   it made current, who, when, what changed
 *   /configs/<name>/blobs/<sha256>  a file's contents, raw bytes, shared by every version
 *                                   that lists them (content-addressed: a rollback or an
 *                                   unchanged file uploads nothing)
 *   /configs/<name>/nodes/<node>    ephemeral: the version that node has on its disk
 *
 * A change (zks_config_commit) uploads the blobs it lacks, each in its own
 * create (idempotent), then commits in one transaction: the head set at the
 * version it was read at, the new step created, every blob the new version
 * lists checked to exist, the steps beyond the history's bound and the blobs
 * no kept step lists deleted.  Two writers at once: one wins, the other
 * retries from the new head.  A blob deleted under a writer fails its check
 * and is uploaded again.  Nothing half-made is ever current.
 *
 * The head and the steps are the only records a reader needs: a node reads
 * the head, then the blobs it names, and checks each against its SHA-256.
 * A version is 1 for the first change; a new volume's head is version 0,
 * with no files.
 */
#ifndef ZKSWARM_CONFIGS_H
#define ZKSWARM_CONFIGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/error.h"
#include "zkswarm/records.h"
#include "zkswarm/store.h"

/* ---- what a volume's Create and Remove add to their transactions ---------------------------- */

/*
 * The ops that make a config volume's records (the head at version 0, and the parents of
 * versions, blobs and nodes); *ops points into *keep, which the caller frees with
 * zks_config_ops_free after the transaction.
 */
struct zks_config_ops {
	struct zks_op *ops;
	size_t n;
	char **strings; /* what ops point to */
	size_t nstrings;
};
void zks_config_create_ops(const char *name, const char *by, struct zks_config_ops *out);
/*
 * The ops that delete every record of the config (children first), listed from ZooKeeper
 * now.  0 (none when there is no /configs/<name>), or -1 (UNAVAILABLE).
 */
int zks_config_remove_ops(struct zks_store *s, const char *name, struct zks_config_ops *out,
			  struct zks_error *err);
void zks_config_ops_free(struct zks_config_ops *o);

/* ---- reading and changing a config (zkswarmctl; any client of the store) ----------------- */

/*
 * The head: from ZooKeeper (authoritative) or from the mirror.  *stat_version (NULL: not
 * wanted) is the head node's version, for a later compare-and-set.  NOT_FOUND if the volume
 * has no config (not a config volume, or gone).
 */
int zks_config_head(struct zks_store *s, const char *name, bool authoritative,
		    struct zks_config_manifest *out, int32_t *stat_version, struct zks_error *err);

/* One change to make: put data (len bytes) as file, or remove file (data NULL). */
struct zks_config_edit {
	const char *file;
	const void *data;
	size_t len;
};

/*
 * Apply edits as one new version (one step), made by `by`.  Refused (INVALID) and nothing
 * changed: a bad file name, a file over ZKS_CONFIG_FILE_MAX (the message names the file,
 * its size and the limit), a version over ZKS_CONFIG_TOTAL_MAX or ZKS_CONFIG_FILES_MAX, a
 * removal of a file the head lacks (NOT_FOUND), edits that change nothing (the version
 * stays; *version is the head's and the return is 0 with *changed false).  Retries a lost
 * race a few times.  *version (NULL: not wanted): the version now current.
 */
int zks_config_commit(struct zks_store *s, const char *name, const struct zks_config_edit *edits,
		      size_t n, const char *by, uint64_t *version, bool *changed,
		      struct zks_error *err);

/* Make version `to` (still in the history) current again, as a new step. */
int zks_config_rollback(struct zks_store *s, const char *name, uint64_t to, const char *by,
			uint64_t *version, struct zks_error *err);

/* The steps kept, newest first (from ZooKeeper). */
int zks_config_history(struct zks_store *s, const char *name, struct zks_config_step **steps,
		       size_t *n, struct zks_error *err);

/*
 * A file's contents in version (0: the current one; else a version still in the history),
 * checked against its hash.  NOT_FOUND: no such file in that version, or no such version.
 */
int zks_config_read(struct zks_store *s, const char *name, uint64_t version, const char *file,
		    char **data, size_t *len, struct zks_error *err);

/*
 * Read a blob for a node: from the mirror if it has it whole (hash checked), else from
 * ZooKeeper.  NOT_FOUND, UNAVAILABLE, INTERNAL (the contents do not match their hash).
 */
int zks_config_read_blob(struct zks_store *s, const char *name, const struct zks_config_file *f,
			 char **data, size_t *len, struct zks_error *err);

/* Every node's report (from the mirror), sorted by node. */
int zks_config_nodes(struct zks_store *s, const char *name, struct zks_config_node **nodes,
		     size_t *n);

#endif
