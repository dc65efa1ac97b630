/*
 * helpers.h - fixtures shared by the unit tests: temporary directories,
 * "nodes" (a volume service on its own in-memory store session, with the fake
 * filesystem of tests/fakes/fakes.h) and assertions that print the error
 * message when they fail.  The network side's fixtures are in
 * helpers_net.h (kept apart: its system headers declare names like accept()).
 */
#ifndef ZKSWARM_TEST_HELPERS_H
#define ZKSWARM_TEST_HELPERS_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <sys/types.h>

#include "zkswarm/error.h"
#include "zkswarm/fs.h"
#include "zkswarm/store.h"
#include "zkswarm/volume_options.h"
#include "zkswarm/volumes.h"

#include "fakes.h"

/* ---- assertions ---------------------------------------------------------------------------- */

void test_assert_ok(int rc, const struct zks_error *err, const char *file, int line);
void test_assert_error(int rc, const struct zks_error *err, enum zks_errc code, const char *file,
		       int line);
void test_assert_contains(const char *hay, const char *needle, bool want, const char *file,
			  int line);

/* rc is 0; otherwise print err's code and message. */
#define assert_ok(rc, err) test_assert_ok((rc), (err), __FILE__, __LINE__)
/* rc is -1 and err carries code. */
#define assert_error(rc, err, code) test_assert_error((rc), (err), (code), __FILE__, __LINE__)
#define assert_contains(hay, needle) test_assert_contains((hay), (needle), true, __FILE__, __LINE__)
#define assert_not_contains(hay, needle)                                                           \
	test_assert_contains((hay), (needle), false, __FILE__, __LINE__)

/*
 * Call first in main: the daemon's log level from ZKS_TEST_LOG_LEVEL ("error"
 * by default), and cmocka's filters from ZKS_TEST_FILTER / ZKS_TEST_SKIP
 * (patterns with * and ?, e.g. ZKS_TEST_SKIP='regression_*' to leave out the tests
 * that show open bugs).
 */
void test_init(void);

/* ---- temporary directories ----------------------------------------------------------------- */

/* A fresh directory under $TMPDIR (or /tmp); free the result. */
char *test_mkdtemp(void);
/* rm -rf; the path must come from test_mkdtemp. */
void test_rmtree(const char *path);

/* ---- nodes: a volume service on its own session of a shared in-memory backend -------------- */

/* A backend with the skeleton the daemon asks ZooKeeper for (/volumes). */
struct zks_mem_backend *test_backend_new(void);

struct test_node {
	char *id;
	char *dir; /* private temporary directory holding the three below */
	char *data_dir;
	char *mount_root;
	char *state_dir;
	struct zks_store *store;
	struct fake_fs fs;
	struct zks_volumes *v;
	/* What the fencing of image volumes sees (fence.h): the store's status, or with cut.on
	 * set, a node cut off (fenced) or whose session is in cut.state. */
	struct {
		bool on;
		bool fenced;
		enum zks_conn_state state;
	} cut;
};

void test_node_init(struct test_node *n, struct zks_mem_backend *b, const char *id);
/*
 * The plugin restarts: a new service on the same state dir and the same
 * (kernel) mounts.  new_session: it also gets a new store, i.e. a new
 * session, while the old session lingers until someone expires it.
 */
void test_node_restart(struct test_node *n, struct zks_mem_backend *b, bool new_session);
void test_node_fini(struct test_node *n);
int64_t test_node_session(struct test_node *n);
/* <mount_root>/<name> and <data_dir>/<name>; free the result. */
char *test_node_mountpoint(const struct test_node *n, const char *name);
char *test_node_data_dir(const struct test_node *n, const char *name);

/* Two nodes, "node-a" (a) and "node-b" (n2), on one in-memory backend: cmocka's state. */
struct test_cluster {
	struct zks_mem_backend *b;
	struct test_node a;
	struct test_node n2;
};

int test_cluster_setup(void **state);
int test_cluster_teardown(void **state);

/* Create with options written "k=v,k=v" (NULL or "": none). */
int test_create(struct zks_volumes *v, const char *name, const char *opts, struct zks_error *err);
/* Mount and free the mount point. */
int test_mount(struct zks_volumes *v, const char *name, const char *id, struct zks_error *err);

/* Get that must succeed; free with test_info_free. */
struct zks_volume_info *test_get(struct zks_volumes *v, const char *name);
void test_info_free(struct zks_volume_info *info);
/* The effective value of an option in info, NULL if absent. */
const char *test_info_option(const struct zks_volume_info *info, const char *key);
/* The holder entry of node, NULL if it holds no lease. */
const struct zks_volume_holder *test_info_holder(const struct zks_volume_info *info,
						 const char *node);
/* Whether List reports name. */
bool test_list_has(struct zks_volumes *v, const char *name);

/* Write a persistent znode directly, as another (possibly buggy) client would. */
void test_store_put(struct zks_store *s, const char *path, const char *data);
/* Whether the znode exists (asking the server, not the mirror). */
bool test_store_exists(struct zks_store *s, const char *path);
/* The znode's data as a JSON object (NULL if absent or not an object); free with cJSON_Delete. */
cJSON *test_store_json(struct zks_store *s, const char *path);
/* The number of children of path (0 if absent). */
size_t test_store_nchildren(struct zks_store *s, const char *path);

#endif
