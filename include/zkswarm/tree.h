/*
 * tree.h - an in-memory tree of znodes: data, version and owner per path.
 *
 * The same structure is the whole database of the in-memory store (unit
 * tests) and the mirror of ZooKeeper that the daemon answers reads from.
 * It does no locking: its owner does.
 */
#ifndef ZKSWARM_TREE_H
#define ZKSWARM_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zks_stat {
	int64_t czxid;
	int64_t mzxid;
	int64_t ctime_ms;
	int64_t mtime_ms;
	int64_t owner; /* session id of an ephemeral node's creator, 0 if persistent */
	int32_t version;
	int32_t cversion;
	int32_t num_children;
};

struct zks_tree;

typedef int (*zks_tree_visit_fn)(const char *path, const char *data, size_t len,
				 const struct zks_stat *st, void *ctx);

struct zks_tree *zks_tree_new(void);
void zks_tree_free(struct zks_tree *tree);

/* A path is "/" or "/a/b": absolute, no empty component, no trailing slash. */
bool zks_tree_path_valid(const char *path);

/* The parent of a valid path, allocated: "/" for the root and the nodes right under it. */
char *zks_tree_parent_path(const char *path);

/* 0 and a NUL-terminated copy of the data (any out pointer may be NULL), or -1 if absent. */
int zks_tree_get(const struct zks_tree *tree, const char *path, char **data, size_t *len,
		 struct zks_stat *st);
bool zks_tree_exists(const struct zks_tree *tree, const char *path);

/* Sorted names of the children; -1 if the node is absent. */
int zks_tree_children(const struct zks_tree *tree, const char *path, char ***names, size_t *n);

/* Create (with any missing ancestors, empty) or replace the node's data and stat. */
void zks_tree_put(struct zks_tree *tree, const char *path, const void *data, size_t len,
		  const struct zks_stat *st);

/* Remove the node and its subtree; -1 if it was absent. The root cannot be removed. */
int zks_tree_remove(struct zks_tree *tree, const char *path);

/* Pre-order walk from the root; a non-zero return from visit stops it and is returned. */
int zks_tree_walk(const struct zks_tree *tree, zks_tree_visit_fn visit, void *ctx);

/*
 * A tag per node for its owner's use (0 on a new node), kept when a put replaces the
 * node's data and gone with the node.  Set: -1 if the node is absent; read: 0 if absent.
 */
int zks_tree_tag_set(struct zks_tree *tree, const char *path, int64_t tag);
int64_t zks_tree_tag(const struct zks_tree *tree, const char *path);
void zks_tree_tags_clear(struct zks_tree *tree);

size_t zks_tree_count(const struct zks_tree *tree);

#endif
