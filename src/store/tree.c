/*
 * tree.c - in-memory znode tree.  Children are kept sorted in an array per
 * node, so lookups are a binary search per path component and listings come
 * out sorted, like ZooKeeper's.
 */
#include <stdlib.h>
#include <string.h>

#include "zkswarm/tree.h"
#include "zkswarm/util.h"

struct tree_node {
	char *name;
	char *data;
	size_t len;
	struct zks_stat stat;
	struct tree_node **children;
	uint32_t nchildren;
	uint32_t cap;
	int64_t tag; /* the owner's, kept by a put: zks_tree_tag */
};

struct zks_tree {
	struct tree_node root;
	size_t count;
};

static void node_free(struct tree_node *node)
{
	for (size_t i = 0; i < node->nchildren; i++)
		node_free(node->children[i]);
	free(node->children);
	free(node->data);
	free(node->name);
	free(node);
}

struct zks_tree *zks_tree_new(void)
{
	struct zks_tree *tree = xcalloc(1, sizeof(*tree));

	tree->root.name = xstrdup("");
	tree->count = 1;
	return tree;
}

void zks_tree_free(struct zks_tree *tree)
{
	if (tree == NULL)
		return;
	for (size_t i = 0; i < tree->root.nchildren; i++)
		node_free(tree->root.children[i]);
	free(tree->root.children);
	free(tree->root.data);
	free(tree->root.name);
	free(tree);
}

bool zks_tree_path_valid(const char *path)
{
	size_t n;

	if (path == NULL || path[0] != '/')
		return false;
	if (path[1] == '\0')
		return true;
	n = strlen(path);
	if (path[n - 1] == '/')
		return false;
	return strstr(path, "//") == NULL;
}

/* Binary search for name (length len) among children; *pos gets the insertion point. */
static struct tree_node *child_find(const struct tree_node *node, const char *name, size_t len,
				    size_t *pos)
{
	size_t lo = 0, hi = node->nchildren;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *cname = node->children[mid]->name;
		int c = strncmp(cname, name, len);

		if (c == 0 && cname[len] != '\0')
			c = 1;
		if (c == 0) {
			if (pos)
				*pos = mid;
			return node->children[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos)
		*pos = lo;
	return NULL;
}

/* Walk to path; with create, make missing nodes.  *parent gets the last parent visited. */
static struct tree_node *lookup(struct zks_tree *tree, const char *path, bool create,
				struct tree_node **parent_out)
{
	struct tree_node *node = &tree->root, *parent = NULL;
	const char *p = path;

	if (!zks_tree_path_valid(path))
		return NULL;
	while (*p == '/' && p[1] != '\0') {
		const char *name = p + 1;
		size_t len = strcspn(name, "/");
		size_t pos;
		struct tree_node *child = child_find(node, name, len, &pos);

		if (child == NULL) {
			if (!create)
				return NULL;
			child = xcalloc(1, sizeof(*child));
			child->name = xstrndup(name, len);
			if (node->nchildren == node->cap) {
				node->cap = node->cap ? node->cap * 2 : 4;
				node->children = xrealloc(node->children,
							  node->cap * sizeof(*node->children));
			}
			memmove(&node->children[pos + 1], &node->children[pos],
				(node->nchildren - pos) * sizeof(*node->children));
			node->children[pos] = child;
			node->nchildren++;
			node->stat.num_children = (int32_t)node->nchildren;
			tree->count++;
		}
		parent = node;
		node = child;
		p = name + len;
	}
	if (parent_out)
		*parent_out = parent;
	return node;
}

char *zks_tree_parent_path(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int zks_tree_get(const struct zks_tree *tree, const char *path, char **data, size_t *len,
		 struct zks_stat *st)
{
	struct tree_node *node = lookup((struct zks_tree *)tree, path, false, NULL);

	if (node == NULL)
		return -1;
	if (data) {
		*data = xmalloc(node->len + 1);
		if (node->len)
			memcpy(*data, node->data, node->len);
		(*data)[node->len] = '\0';
	}
	if (len)
		*len = node->len;
	if (st) {
		*st = node->stat;
		st->num_children = (int32_t)node->nchildren;
	}
	return 0;
}

bool zks_tree_exists(const struct zks_tree *tree, const char *path)
{
	return lookup((struct zks_tree *)tree, path, false, NULL) != NULL;
}

int zks_tree_children(const struct zks_tree *tree, const char *path, char ***names, size_t *n)
{
	struct tree_node *node = lookup((struct zks_tree *)tree, path, false, NULL);
	char **v;

	if (node == NULL)
		return -1;
	v = xcalloc(node->nchildren + 1, sizeof(*v));
	for (size_t i = 0; i < node->nchildren; i++)
		v[i] = xstrdup(node->children[i]->name);
	*names = v;
	*n = node->nchildren;
	return 0;
}

void zks_tree_put(struct zks_tree *tree, const char *path, const void *data, size_t len,
		  const struct zks_stat *st)
{
	struct tree_node *node = lookup(tree, path, true, NULL);

	if (node == NULL)
		return;
	free(node->data);
	node->data = NULL;
	if (len) {
		node->data = xmalloc(len);
		memcpy(node->data, data, len);
	}
	node->len = len;
	if (st)
		node->stat = *st;
	node->stat.num_children = (int32_t)node->nchildren;
}

static size_t subtree_size(const struct tree_node *node)
{
	size_t n = 1;

	for (size_t i = 0; i < node->nchildren; i++)
		n += subtree_size(node->children[i]);
	return n;
}

int zks_tree_remove(struct zks_tree *tree, const char *path)
{
	struct tree_node *parent = NULL, *node = lookup(tree, path, false, &parent);
	size_t pos;

	if (node == NULL || parent == NULL)
		return -1;
	child_find(parent, node->name, strlen(node->name), &pos);
	memmove(&parent->children[pos], &parent->children[pos + 1],
		(parent->nchildren - pos - 1) * sizeof(*parent->children));
	parent->nchildren--;
	parent->stat.num_children = (int32_t)parent->nchildren;
	tree->count -= subtree_size(node);
	node_free(node);
	return 0;
}

static int walk(const struct tree_node *node, char *path, size_t plen, size_t cap,
		zks_tree_visit_fn visit, void *ctx)
{
	int r = visit(plen ? path : "/", node->data ? node->data : "", node->len, &node->stat, ctx);

	if (r != 0)
		return r;
	for (size_t i = 0; i < node->nchildren; i++) {
		size_t nlen = strlen(node->children[i]->name);

		if (plen + 1 + nlen + 1 > cap)
			continue; /* deeper than any path we create */
		path[plen] = '/';
		memcpy(path + plen + 1, node->children[i]->name, nlen + 1);
		r = walk(node->children[i], path, plen + 1 + nlen, cap, visit, ctx);
		path[plen] = '\0';
		if (r != 0)
			return r;
	}
	return 0;
}

int zks_tree_walk(const struct zks_tree *tree, zks_tree_visit_fn visit, void *ctx)
{
	char path[4096] = "";

	return walk(&tree->root, path, 0, sizeof(path), visit, ctx);
}

int zks_tree_tag_set(struct zks_tree *tree, const char *path, int64_t tag)
{
	struct tree_node *node = lookup(tree, path, false, NULL);

	if (node == NULL)
		return -1;
	node->tag = tag;
	return 0;
}

int64_t zks_tree_tag(const struct zks_tree *tree, const char *path)
{
	const struct tree_node *node = lookup((struct zks_tree *)tree, path, false, NULL);

	return node ? node->tag : 0;
}

static void tags_clear(struct tree_node *node)
{
	node->tag = 0;
	for (uint32_t i = 0; i < node->nchildren; i++)
		tags_clear(node->children[i]);
}

void zks_tree_tags_clear(struct zks_tree *tree)
{
	tags_clear(&tree->root);
}

size_t zks_tree_count(const struct zks_tree *tree)
{
	return tree->count;
}
