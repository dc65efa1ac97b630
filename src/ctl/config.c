/*
 * config.c - `zkswarmctl config SUB NAME [ARG...]`: the files of a
 * configuration volume, over the store-side operations of configs.h.
 *
 *   put NAME FILE[=PATH]... [--from PATH]   one new version with those files
 *   get NAME FILE [--version N]             a file's bytes on stdout
 *   ls NAME                                 the head, its files, every node's copy
 *   rm NAME FILE...                         one new version without them
 *   history NAME [FILE]                     the steps kept, newest first
 *   rollback NAME VERSION                   one new version with VERSION's files
 *
 * The words are judged when parsing (ctl_config_check: no server, no file);
 * put reads every file before it connects, so a file it cannot read changes
 * nothing.  Like every command, the answer is one JSON document (--json)
 * rendered as text otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zkswarm/configs.h"
#include "zkswarm/ctl.h"
#include "zkswarm/ctl_table.h"
#include "zkswarm/names.h"
#include "zkswarm/util.h"
#include "zkswarm/volumes.h"

#define SHORT_HASH 12
#define READ_CHUNK 65536
/* Reads interrupted by a signal before giving up (every other read makes progress). */
#define READ_EINTR_MAX 100

/* A command being run: its words after NAME and, once connected, the cluster. */
struct cfg {
	const struct ctl_opts *o;
	const char *name;
	int argc;
	char **argv;
	struct ctl_cluster c;
	bool connected;
};

/* The options a subcommand takes. */
enum { SUB_FROM = 1 << 0, SUB_VERSION = 1 << 1 };

struct sub {
	const char *name;
	const char *args; /* after NAME, for the usage error */
	int min, max;	  /* words after NAME */
	unsigned takes;	  /* SUB_* */
	int (*check)(int argc, char **argv, const struct ctl_opts *o, struct zks_error *err);
	int (*run)(struct cfg *x);
};

/* ---- judging the words (no server) ----------------------------------------------------------- */

/* A FILE word; the message names it when the check's does not, if it is printable. */
static int check_file(const char *file, struct zks_error *err)
{
	if (zks_config_check_file_name(file, err) == 0)
		return 0;
	if (strstr(err->msg, file) != NULL)
		return -1;
	for (const char *p = file; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return -1;
	return zks_error_prefix(err, "`%.64s`", file);
}

/* FILE[=PATH]: the file's name (to free) and the path to read (into word; NULL: ./FILE). */
static char *put_word(const char *word, const char **path)
{
	const char *eq = strchr(word, '=');

	*path = eq != NULL ? eq + 1 : NULL;
	return eq != NULL ? xstrndup(word, (size_t)(eq - word)) : xstrdup(word);
}

/* No file named twice among words (files of put or rm). */
static int check_twice(int argc, char **argv, struct zks_error *err)
{
	for (int i = 0; i < argc; i++) {
		const char *pi, *pk;
		cleanup_free char *fi = put_word(argv[i], &pi);

		for (int k = 0; k < i; k++) {
			cleanup_free char *fk = put_word(argv[k], &pk);

			if (!strcmp(fi, fk))
				return zks_error_set(err, ZKS_ERR_INVALID, "file `%s` named twice",
						     fi);
		}
	}
	return 0;
}

static int check_put(int argc, char **argv, const struct ctl_opts *o, struct zks_error *err)
{
	int stdin_uses = o->from != NULL && !strcmp(o->from, "-");

	if (o->from != NULL && (argc != 1 || strchr(argv[0], '=') != NULL))
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "--from PATH goes with one FILE alone (not FILE=PATH)");
	for (int i = 0; i < argc; i++) {
		const char *path;
		cleanup_free char *file = put_word(argv[i], &path);

		if (check_file(file, err) < 0)
			return -1;
		if (path != NULL && path[0] == '\0')
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "`%s=` wants a path after `=` (`-`: standard input)",
					     file);
		stdin_uses += path != NULL && !strcmp(path, "-");
	}
	if (stdin_uses > 1)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "standard input (`-`) can be the contents of one file only");
	return check_twice(argc, argv, err);
}

static int check_files(int argc, char **argv, const struct ctl_opts *o, struct zks_error *err)
{
	(void)o;
	for (int i = 0; i < argc; i++)
		if (check_file(argv[i], err) < 0)
			return -1;
	return check_twice(argc, argv, err);
}

/* VERSION of rollback: a number, 1 or more. */
static int parse_version(const char *word, uint64_t *out, struct zks_error *err)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(word, &end, 10);
	if (word[0] < '0' || word[0] > '9' || *end != '\0' || errno != 0 || n < 1)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "VERSION is a version number (1 or more), not `%s`", word);
	*out = n;
	return 0;
}

static int check_rollback(int argc, char **argv, const struct ctl_opts *o, struct zks_error *err)
{
	uint64_t v;

	(void)argc;
	(void)o;
	return parse_version(argv[0], &v, err);
}

static int run_put(struct cfg *x);
static int run_get(struct cfg *x);
static int run_ls(struct cfg *x);
static int run_rm(struct cfg *x);
static int run_history(struct cfg *x);
static int run_rollback(struct cfg *x);

static const struct sub subs[] = {
	{"put", "FILE[=PATH]... [--from PATH]", 1, ZKS_CONFIG_FILES_MAX, SUB_FROM, check_put,
	 run_put},
	{"get", "FILE [--version N]", 1, 1, SUB_VERSION, check_files, run_get},
	{"ls", "", 0, 0, 0, NULL, run_ls},
	{"rm", "FILE...", 1, ZKS_CONFIG_FILES_MAX, 0, check_files, run_rm},
	{"history", "[FILE]", 0, 1, 0, check_files, run_history},
	{"rollback", "VERSION", 1, 1, 0, check_rollback, run_rollback},
};

static const struct sub *find_sub(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (!strcmp(subs[i].name, name))
			return &subs[i];
	return NULL;
}

/* The options given that sub does not take. */
static int check_sub_options(const struct sub *sub, const struct ctl_opts *o, struct zks_error *err)
{
	if (o->from != NULL && !(sub->takes & SUB_FROM))
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "--from is an option of `config put` only");
	if (o->version != 0 && !(sub->takes & SUB_VERSION))
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "--version N is an option of `config get` only");
	return 0;
}

int ctl_config_check(int argc, char **argv, const struct ctl_opts *o, struct zks_error *err)
{
	const struct sub *sub = argc >= 1 ? find_sub(argv[0]) : NULL;

	if (argc < 1)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "usage: zkswarmctl config SUB NAME [ARG...], SUB one of put, "
				     "get, ls, rm, history, rollback");
	if (sub == NULL)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "no `config` subcommand `%s` (put, get, ls, rm, history, "
				     "rollback)",
				     argv[0]);
	if (argc < 2 || argc - 2 < sub->min || argc - 2 > sub->max)
		return zks_error_set(err, ZKS_ERR_INVALID, "usage: zkswarmctl config %s NAME%s%s",
				     sub->name, sub->args[0] ? " " : "", sub->args);
	if (zks_validate_name("volume", argv[1], 1, ZKS_VOLUME_NAME_MAX, err) < 0 ||
	    check_sub_options(sub, o, err) < 0)
		return -1;
	return sub->check != NULL ? sub->check(argc - 2, argv + 2, o, err) : 0;
}

static int failed(const struct zks_error *err);

/* ---- running: connecting, errors ------------------------------------------------------------- */

/*
 * Connect; a volume without configuration records is refused here, with what it is (asked of
 * ZooKeeper).  snapshot: also take the cluster's snapshot (ls, for the nodes' reports); the
 * others read only what they need, so that a change costs the same whatever the cluster's size.
 */
static int connect_cluster(struct cfg *x, bool snapshot)
{
	cleanup_free char *head = zks_path_config(x->name);
	cleanup_free char *volume = zks_path_volume(x->name);
	struct zks_error err = {0};
	int rc = ctl_connect(x->o, snapshot, &x->c);

	if (rc != CTL_EXIT_OK)
		return rc;
	x->connected = true;
	if (store_get(x->c.store, head, NULL, NULL, NULL, &err) == 0)
		return CTL_EXIT_OK;
	if (err.code != ZKS_ERR_NOT_FOUND)
		return failed(&err);
	if (store_get(x->c.store, volume, NULL, NULL, NULL, &err) == 0)
		fprintf(stderr,
			"zkswarmctl: volume `%s` is not a configuration volume (it was not "
			"created with -o type=config)\n",
			x->name);
	else
		fprintf(stderr, "zkswarmctl: no such configuration volume `%s`\n", x->name);
	return CTL_EXIT_PROBLEM;
}

/* An operation failed: its message, and the exit code. */
static int failed(const struct zks_error *err)
{
	fprintf(stderr, "zkswarmctl: %s\n", err->msg);
	return err->code == ZKS_ERR_UNAVAILABLE ? CTL_EXIT_UNREACHABLE : CTL_EXIT_PROBLEM;
}

/* Who makes a change: "$SUDO_USER|$USER@hostname", as long as a step may say. */
static char *who(void)
{
	const char *user = getenv("SUDO_USER");
	char host[256] = "";
	struct passwd *pw;
	char *by;

	if (user == NULL || user[0] == '\0')
		user = getenv("USER");
	if (user == NULL || user[0] == '\0') {
		pw = getpwuid(geteuid());
		user = pw != NULL ? pw->pw_name : "unknown";
	}
	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "unknown");
	by = xasprintf("%s@%s", user, host);
	if (strlen(by) > ZKS_CONFIG_BY_MAX)
		by[ZKS_CONFIG_BY_MAX] = '\0';
	return by;
}

/* The answer of put, rm and rollback: {name, version, changed[, rollback_of]}. */
static int changed_answer(const struct cfg *x, uint64_t version, bool changed, uint64_t of)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "name", x->name);
	cJSON_AddNumberToObject(doc, "version", (double)version);
	cJSON_AddBoolToObject(doc, "changed", changed);
	if (of != 0)
		cJSON_AddNumberToObject(doc, "rollback_of", (double)of);
	if (x->o->json)
		ctl_print_json(doc);
	else if (of != 0)
		printf("%s: version %llu (the files of version %llu)\n", x->name,
		       (unsigned long long)version, (unsigned long long)of);
	else
		printf("%s: version %llu%s\n", x->name, (unsigned long long)version,
		       changed ? "" : " (unchanged: the files were already so)");
	cJSON_Delete(doc);
	return CTL_EXIT_OK;
}

/* ---- put and rm ------------------------------------------------------------------------------ */

/* Read fd whole, at most ZKS_CONFIG_FILE_MAX + 1 bytes (more means too big). */
static int read_fd(int fd, char **data, size_t *len)
{
	size_t cap = ZKS_CONFIG_FILE_MAX + 1, n = 0, size = READ_CHUNK;
	cleanup_free char *buf = xmalloc(size);
	int interrupted = 0;

	while (n < cap) {
		ssize_t r;

		if (n == size) {
			size = size * 2 < cap ? size * 2 : cap;
			buf = xrealloc(buf, size);
		}
		r = read(fd, buf + n, size - n);
		if (r < 0 && errno == EINTR && ++interrupted < READ_EINTR_MAX)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*data = steal_pointer(&buf);
	*len = n;
	return 0;
}

/* The contents of file from path (`-`: stdin).  SYSTEM: unreadable; INVALID: too big. */
static int read_input(const char *file, const char *path, char **data, size_t *len,
		      struct zks_error *err)
{
	bool in = !strcmp(path, "-");
	cleanup_close int fd = in ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	const char *shown = in ? "standard input" : path;
	cleanup_free char *from = NULL;
	struct stat st;

	if (fd < 0 || read_fd(fd, data, len) < 0)
		return zks_error_errno(err, errno, "cannot read `%s` for file `%s`", shown, file);
	if (*len <= ZKS_CONFIG_FILE_MAX)
		return 0;
	free(steal_pointer(data));
	if (strcmp(shown, file) != 0)
		from = xasprintf(" (%s)", shown);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "file `%s`%s has %lld bytes, over the limit of %d bytes for "
				     "one file",
				     file, from ? from : "", (long long)st.st_size,
				     ZKS_CONFIG_FILE_MAX);
	return zks_error_set(err, ZKS_ERR_INVALID,
			     "file `%s`%s has more than %d bytes, the limit for one file", file,
			     from ? from : "", ZKS_CONFIG_FILE_MAX);
}

/* Commit edits (files and data already set) as one version; the answer. */
static int commit(struct cfg *x, const struct zks_config_edit *edits, size_t n)
{
	cleanup_free char *by = who();
	struct zks_error err = {0};
	uint64_t version = 0;
	bool changed = false;
	int rc = connect_cluster(x, false);

	if (rc != CTL_EXIT_OK)
		return rc;
	if (zks_config_commit(x->c.store, x->name, edits, n, by, &version, &changed, &err) < 0)
		return failed(&err);
	return changed_answer(x, version, changed, 0);
}

/* Every file's contents into edits (files and data to free by the caller); an exit code. */
static int read_inputs(struct cfg *x, struct zks_config_edit *edits, char **files, char **data)
{
	for (int i = 0; i < x->argc; i++) {
		struct zks_error err = {0};
		const char *path;

		files[i] = put_word(x->argv[i], &path);
		if (path == NULL)
			path = x->o->from != NULL ? x->o->from : files[i];
		if (read_input(files[i], path, &data[i], &edits[i].len, &err) < 0) {
			fprintf(stderr, "zkswarmctl: config `%s`: %s; nothing changed\n", x->name,
				err.msg);
			return err.code == ZKS_ERR_INVALID ? CTL_EXIT_PROBLEM : CTL_EXIT_USAGE;
		}
		edits[i].file = files[i];
		edits[i].data = data[i];
	}
	return CTL_EXIT_OK;
}

static int run_put(struct cfg *x)
{
	size_t n = (size_t)x->argc;
	struct zks_config_edit *edits = xcalloc(n, sizeof(*edits));
	char **files = xcalloc(n + 1, sizeof(char *)), **data = xcalloc(n + 1, sizeof(char *));
	int rc = read_inputs(x, edits, files, data);

	if (rc == CTL_EXIT_OK)
		rc = commit(x, edits, n);
	zks_free_strv(files, n);
	zks_free_strv(data, n);
	free(edits);
	return rc;
}

static int run_rm(struct cfg *x)
{
	size_t n = (size_t)x->argc;
	struct zks_config_edit *edits = xcalloc(n, sizeof(*edits));
	int rc;

	for (size_t i = 0; i < n; i++)
		edits[i].file = x->argv[i];
	rc = commit(x, edits, n);
	free(edits);
	return rc;
}

static int run_rollback(struct cfg *x)
{
	cleanup_free char *by = who();
	struct zks_error err = {0};
	uint64_t to = 0, version = 0;
	int rc = connect_cluster(x, false);

	if (rc != CTL_EXIT_OK)
		return rc;
	if (parse_version(x->argv[0], &to, &err) < 0 ||
	    zks_config_rollback(x->c.store, x->name, to, by, &version, &err) < 0)
		return failed(&err);
	return changed_answer(x, version, true, to);
}

/* ---- get ------------------------------------------------------------------------------------- */

static void add_base64(cJSON *doc, const char *data, size_t len)
{
	cleanup_free unsigned char *b64 = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock(b64, (const unsigned char *)data, (int)len);
	cJSON_AddStringToObject(doc, "base64", (const char *)b64);
}

/* --json: what was read, and the contents in base64. */
static void print_get_json(const struct cfg *x, uint64_t version, const char *data, size_t len)
{
	cJSON *doc = cJSON_CreateObject();
	char sha[65];

	zks_sha256_hex(data, len, sha);
	cJSON_AddStringToObject(doc, "name", x->name);
	cJSON_AddNumberToObject(doc, "version", (double)version);
	cJSON_AddStringToObject(doc, "file", x->argv[0]);
	cJSON_AddNumberToObject(doc, "size", (double)len);
	cJSON_AddStringToObject(doc, "sha256", sha);
	add_base64(doc, data, len);
	ctl_print_json(doc);
	cJSON_Delete(doc);
}

static int run_get(struct cfg *x)
{
	struct zks_config_manifest head = {0};
	struct zks_error err = {0};
	cleanup_free char *data = NULL;
	uint64_t version = x->o->version;
	size_t len = 0;
	int rc = connect_cluster(x, false);

	if (rc != CTL_EXIT_OK)
		return rc;
	/* The current version by its number, so that --json says which one it was. */
	if (version == 0) {
		rc = zks_config_head(x->c.store, x->name, true, &head, NULL, &err);
		version = head.version;
		zks_config_manifest_clear(&head);
		if (rc < 0)
			return failed(&err);
	}
	if (zks_config_read(x->c.store, x->name, version, x->argv[0], &data, &len, &err) < 0)
		return failed(&err);
	if (x->o->json) {
		print_get_json(x, version, data, len);
		return CTL_EXIT_OK;
	}
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
		fprintf(stderr, "zkswarmctl: writing to standard output: %s\n", strerror(errno));
		return CTL_EXIT_PROBLEM;
	}
	return CTL_EXIT_OK;
}

/* ---- ls -------------------------------------------------------------------------------------- */

static void add_str(cJSON *obj, const char *key, const char *value)
{
	if (value != NULL)
		cJSON_AddStringToObject(obj, key, value);
	else
		cJSON_AddNullToObject(obj, key);
}

static cJSON *files_json(const struct zks_config_manifest *m)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < m->nfiles; i++) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "name", m->files[i].name);
		cJSON_AddNumberToObject(f, "size", (double)m->files[i].size);
		cJSON_AddStringToObject(f, "sha256", m->files[i].sha256);
		cJSON_AddItemToArray(arr, f);
	}
	return arr;
}

/* Every node's report, current when it has the head's version, else behind by some. */
static cJSON *nodes_json(struct cfg *x, uint64_t head)
{
	struct zks_config_node *nodes = NULL;
	cJSON *arr = cJSON_CreateArray();
	size_t n = 0;

	if (zks_config_nodes(x->c.store, x->name, &nodes, &n) < 0)
		return arr;
	for (size_t i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "node", nodes[i].node);
		cJSON_AddNumberToObject(e, "version", (double)nodes[i].version);
		add_str(e, "at", nodes[i].at);
		cJSON_AddBoolToObject(e, "current", nodes[i].version == head);
		cJSON_AddNumberToObject(e, "behind",
					nodes[i].version < head ? (double)(head - nodes[i].version)
								: 0);
		cJSON_AddItemToArray(arr, e);
	}
	zks_config_nodes_free(nodes, n);
	return arr;
}

static const char *json_str(const cJSON *obj, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static double json_num(const cJSON *obj, const char *key)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* "current", "behind by 2", or "not current" (a report ahead of the head). */
static char *node_state(const cJSON *node)
{
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(node, "current")))
		return xstrdup("current");
	if (json_num(node, "behind") > 0)
		return xasprintf("behind by %.0f", json_num(node, "behind"));
	return xstrdup("not current");
}

static void print_ls(const cJSON *doc)
{
	static const char *const fh[] = {"FILE", "SIZE", "SHA256"};
	static const char *const nh[] = {"NODE", "VERSION", "STATE", "SINCE"};
	struct ctl_table *files = ctl_table_new(ARRAY_SIZE(fh), fh);
	struct ctl_table *nodes = ctl_table_new(ARRAY_SIZE(nh), nh);
	const cJSON *e;

	printf("%s: version %.0f, made %s by %s\n\n", json_str(doc, "name"),
	       json_num(doc, "version"), json_str(doc, "at") ? json_str(doc, "at") : "-",
	       json_str(doc, "by") ? json_str(doc, "by") : "-");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "files"))
	{
		char size[32], sha[SHORT_HASH + 1];

		snprintf(size, sizeof(size), "%.0f", json_num(e, "size"));
		snprintf(sha, sizeof(sha), "%s", json_str(e, "sha256"));
		ctl_table_add(files, json_str(e, "name"), size, sha);
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "nodes"))
	{
		cleanup_free char *state = node_state(e);
		char version[32];

		snprintf(version, sizeof(version), "%.0f", json_num(e, "version"));
		ctl_table_add(nodes, json_str(e, "node"), version, state, json_str(e, "at"));
	}
	if (ctl_table_rows(files) > 0)
		ctl_table_print(files, stdout);
	else
		printf("No files.\n");
	printf("\n");
	if (ctl_table_rows(nodes) > 0)
		ctl_table_print(nodes, stdout);
	else
		printf("No node has a copy.\n");
	ctl_table_free(files);
	ctl_table_free(nodes);
}

static int run_ls(struct cfg *x)
{
	struct zks_config_manifest head = {0};
	struct zks_error err = {0};
	int rc = connect_cluster(x, true);
	cJSON *doc;

	if (rc != CTL_EXIT_OK)
		return rc;
	if (zks_config_head(x->c.store, x->name, true, &head, NULL, &err) < 0)
		return failed(&err);
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "name", x->name);
	cJSON_AddNumberToObject(doc, "version", (double)head.version);
	add_str(doc, "at", head.at);
	add_str(doc, "by", head.by);
	cJSON_AddItemToObject(doc, "files", files_json(&head));
	cJSON_AddItemToObject(doc, "nodes", nodes_json(x, head.version));
	if (x->o->json)
		ctl_print_json(doc);
	else
		print_ls(doc);
	cJSON_Delete(doc);
	zks_config_manifest_clear(&head);
	return CTL_EXIT_OK;
}

/* ---- history --------------------------------------------------------------------------------- */

static bool step_changes(const struct zks_config_step *s, const char *file)
{
	for (size_t i = 0; i < s->nchanges; i++)
		if (!strcmp(s->changes[i].file, file))
			return true;
	return false;
}

static cJSON *step_json(const struct zks_config_step *s)
{
	cJSON *e = cJSON_CreateObject(), *changes;

	cJSON_AddNumberToObject(e, "version", (double)s->m.version);
	add_str(e, "at", s->m.at);
	add_str(e, "by", s->m.by);
	if (s->rollback_of != 0)
		cJSON_AddNumberToObject(e, "rollback_of", (double)s->rollback_of);
	else
		cJSON_AddNullToObject(e, "rollback_of");
	cJSON_AddItemToObject(e, "files", files_json(&s->m));
	changes = cJSON_AddArrayToObject(e, "changes");
	for (size_t i = 0; i < s->nchanges; i++) {
		const struct zks_config_change *ch = &s->changes[i];
		cJSON *c = cJSON_CreateObject();

		cJSON_AddStringToObject(c, "file", ch->file);
		cJSON_AddStringToObject(c, "op", ch->op == ZKS_CONFIG_PUT ? "put" : "rm");
		if (ch->op == ZKS_CONFIG_PUT) {
			cJSON_AddNumberToObject(c, "size", (double)ch->size);
			cJSON_AddStringToObject(c, "sha256", ch->sha256);
		}
		cJSON_AddItemToArray(changes, c);
	}
	return e;
}

/* "rollback to 3: put a.conf (12 B), rm b.conf" */
static char *changes_text(const cJSON *step)
{
	const cJSON *of = cJSON_GetObjectItemCaseSensitive(step, "rollback_of"), *c;
	char *text =
		cJSON_IsNumber(of) ? xasprintf("rollback to %.0f:", of->valuedouble) : xstrdup("");

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(step, "changes"))
	{
		bool put = !strcmp(json_str(c, "op"), "put");
		cleanup_free char *one =
			put ? xasprintf("put %s (%.0f B)", json_str(c, "file"), json_num(c, "size"))
			    : xasprintf("rm %s", json_str(c, "file"));
		char *next = xasprintf("%s%s%s", text,
				       text[0] == '\0'		       ? ""
				       : text[strlen(text) - 1] == ':' ? " "
								       : ", ",
				       one);

		free(text);
		text = next;
	}
	return text;
}

static void print_history(const cJSON *doc)
{
	static const char *const h[] = {"VERSION", "AT", "BY", "CHANGES"};
	struct ctl_table *t = ctl_table_new(ARRAY_SIZE(h), h);
	const cJSON *s;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc, "steps"))
	{
		cleanup_free char *changes = changes_text(s);
		char version[32];

		snprintf(version, sizeof(version), "%.0f", json_num(s, "version"));
		ctl_table_add(t, version, json_str(s, "at"), json_str(s, "by"), changes);
	}
	if (ctl_table_rows(t) > 0)
		ctl_table_print(t, stdout);
	else if (json_str(doc, "file") != NULL)
		printf("No step kept changed `%s`.\n", json_str(doc, "file"));
	else
		printf("No step kept.\n");
	ctl_table_free(t);
}

static int run_history(struct cfg *x)
{
	const char *file = x->argc > 0 ? x->argv[0] : NULL;
	struct zks_config_step *steps = NULL;
	struct zks_error err = {0};
	cJSON *doc, *arr;
	size_t n = 0;
	int rc = connect_cluster(x, false);

	if (rc != CTL_EXIT_OK)
		return rc;
	if (zks_config_history(x->c.store, x->name, &steps, &n, &err) < 0)
		return failed(&err);
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "name", x->name);
	add_str(doc, "file", file);
	arr = cJSON_AddArrayToObject(doc, "steps");
	for (size_t i = 0; i < n; i++)
		if (file == NULL || step_changes(&steps[i], file))
			cJSON_AddItemToArray(arr, step_json(&steps[i]));
	zks_config_steps_free(steps, n);
	if (x->o->json)
		ctl_print_json(doc);
	else
		print_history(doc);
	cJSON_Delete(doc);
	return CTL_EXIT_OK;
}

/* ---- the command ----------------------------------------------------------------------------- */

int ctl_cmd_config(const struct ctl_opts *o, int argc, char **argv)
{
	const struct sub *sub = argc >= 2 ? find_sub(argv[0]) : NULL;
	struct cfg x = {.o = o};
	int rc;

	if (sub == NULL) /* ctl_config_check refuses it first */
		return CTL_EXIT_USAGE;
	x.name = argv[1];
	x.argc = argc - 2;
	x.argv = argv + 2;
	rc = sub->run(&x);
	if (x.connected)
		ctl_cluster_close(&x.c);
	return rc;
}
