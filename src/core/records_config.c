/*
 * records_config.c - the records of the configuration volumes (records.h): the
 * file names they accept, the SHA-256 that names a file's contents, and the
 * JSON of the head (/configs/NAME), of a step (/configs/NAME/versions/N) and of
 * a node's report (/configs/NAME/nodes/NODE).
 *
 * The decoders are strict: a node turns a head into files on every node's disk,
 * so anything out of the bounds of records.h, a name that is not a plain file
 * name, an unsorted or repeated name, a hash that is not 64 lowercase hex
 * digits, is refused as a whole (ZKS_ERR_INTERNAL), never half-read.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "records_json.h"
#include "zkswarm/records.h"

/* Versions are written in 10 digits. */
#define VERSION_MAX 9999999999ull
/* A step's changes: every file of the version before and of the new one, at most. */
#define CHANGES_MAX (2 * ZKS_CONFIG_FILES_MAX)
/* "at": an RFC 3339 time. */
#define AT_MAX 64

/* ---- names and hashes -------------------------------------------------------------------- */

static bool name_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

int zks_config_check_file_name(const char *file, struct zks_error *err)
{
	size_t len = file ? strnlen(file, ZKS_CONFIG_FILE_NAME_MAX + 1) : 0;

	if (len == 0)
		return zks_error_set(err, ZKS_ERR_INVALID, "a config file name cannot be empty");
	if (len > ZKS_CONFIG_FILE_NAME_MAX)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "config file name `%.32s...` is longer than %d characters",
				     file, ZKS_CONFIG_FILE_NAME_MAX);
	if (file[0] == '.')
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "config file name `%s` starts with `.` (the names starting "
				     "with `.` are the volume's own)",
				     file);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)file[i];

		if (!name_char_ok(c))
			return zks_error_set(
				err, ZKS_ERR_INVALID,
				"config file name has a character that is not allowed (byte 0x%02x "
				"at %zu): a name is 1 to %d of A-Z a-z 0-9 . _ -",
				c, i + 1, ZKS_CONFIG_FILE_NAME_MAX);
	}
	return 0;
}

void zks_sha256_hex(const void *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		abort(); /* libcrypto without SHA-256: nothing sensible to do */
	for (unsigned int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

static bool is_sha256_hex(const char *s)
{
	size_t i = 0;

	for (; i < 64 && s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64 && s[64] == '\0';
}

/* ---- shared pieces ----------------------------------------------------------------------- */

/* A JSON number that is an integer from 0 to max; false if v is not one. */
static bool json_uint(const cJSON *v, uint64_t max, uint64_t *out)
{
	/* Range first: converting a double outside uint64_t's range is undefined. */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= (double)max))
		return false;
	if (v->valuedouble != (double)(uint64_t)v->valuedouble)
		return false;
	*out = (uint64_t)v->valuedouble;
	return true;
}

/* An optional string of at most max bytes into *out (NULL if absent or not a string). */
static int bounded_str(const cJSON *doc, const char *key, size_t max, char **out,
		       struct zks_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	*out = NULL;
	if (!cJSON_IsString(v))
		return 0;
	if (strlen(v->valuestring) > max)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a config record has `%s` longer than %zu bytes", key, max);
	*out = xstrdup(v->valuestring);
	return 0;
}

static cJSON *manifest_json(const struct zks_config_manifest *m)
{
	cJSON *doc = cJSON_CreateObject(), *files;

	cJSON_AddNumberToObject(doc, "version", (double)m->version);
	files = cJSON_AddArrayToObject(doc, "files");
	for (size_t i = 0; i < m->nfiles; i++) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "name", m->files[i].name);
		cJSON_AddStringToObject(f, "sha256", m->files[i].sha256);
		cJSON_AddNumberToObject(f, "size", (double)m->files[i].size);
		cJSON_AddItemToArray(files, f);
	}
	record_add_str(doc, "at", m->at);
	record_add_str(doc, "by", m->by);
	return doc;
}

/* ---- the head ---------------------------------------------------------------------------- */

char *zks_config_manifest_encode(const struct zks_config_manifest *m)
{
	return record_print(manifest_json(m));
}

/* One {"name", "sha256", "size"} into *f; false if it is not one. */
static bool file_decode(const cJSON *item, struct zks_config_file *f)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
	const cJSON *sha = cJSON_GetObjectItemCaseSensitive(item, "sha256");
	uint64_t size;

	if (!cJSON_IsObject(item) || !cJSON_IsString(name) || !cJSON_IsString(sha) ||
	    zks_config_check_file_name(name->valuestring, NULL) < 0 ||
	    !is_sha256_hex(sha->valuestring) ||
	    !json_uint(cJSON_GetObjectItemCaseSensitive(item, "size"), ZKS_CONFIG_FILE_MAX, &size))
		return false;
	f->name = xstrdup(name->valuestring);
	memcpy(f->sha256, sha->valuestring, 65);
	f->size = (size_t)size;
	return true;
}

static int files_decode(const cJSON *doc, struct zks_config_manifest *out, struct zks_error *err)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "files"), *item;
	int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;
	size_t total = 0;

	if (n < 0 || n > ZKS_CONFIG_FILES_MAX)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a config record has `files` that is not an array of at "
				     "most %d files",
				     ZKS_CONFIG_FILES_MAX);
	out->files = xcalloc(n ? (size_t)n : 1, sizeof(*out->files));
	cJSON_ArrayForEach(item, arr)
	{
		struct zks_config_file *f = &out->files[out->nfiles];

		if (out->nfiles >= (size_t)n || !file_decode(item, f))
			return zks_error_set(err, ZKS_ERR_INTERNAL,
					     "a config record has file %zu that is not {\"name\": "
					     "a file name, \"sha256\": 64 hex digits, \"size\": "
					     "0 to %d}",
					     out->nfiles + 1, ZKS_CONFIG_FILE_MAX);
		out->nfiles++;
		if (out->nfiles > 1 && strcmp(f[-1].name, f->name) >= 0)
			return zks_error_set(err, ZKS_ERR_INTERNAL,
					     "a config record's files are not sorted and unique "
					     "(`%s` after `%s`)",
					     f->name, f[-1].name);
		total += f->size;
	}
	if (total > ZKS_CONFIG_TOTAL_MAX)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a config record's files have %zu bytes, over the limit of %d",
				     total, ZKS_CONFIG_TOTAL_MAX);
	return 0;
}

static int manifest_from_json(const cJSON *doc, struct zks_config_manifest *out,
			      struct zks_error *err)
{
	if (!json_uint(cJSON_GetObjectItemCaseSensitive(doc, "version"), VERSION_MAX,
		       &out->version))
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a config record has no `version` from 0 to %llu",
				     (unsigned long long)VERSION_MAX);
	if (files_decode(doc, out, err) < 0 || bounded_str(doc, "at", AT_MAX, &out->at, err) < 0 ||
	    bounded_str(doc, "by", ZKS_CONFIG_BY_MAX, &out->by, err) < 0)
		return -1;
	return 0;
}

int zks_config_manifest_decode(const char *data, struct zks_config_manifest *out,
			       struct zks_error *err)
{
	cJSON *doc = record_object(data);
	int r;

	memset(out, 0, sizeof(*out));
	if (doc == NULL)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a config's head in ZooKeeper is not a JSON object");
	r = manifest_from_json(doc, out, err);
	cJSON_Delete(doc);
	if (r < 0)
		zks_config_manifest_clear(out);
	return r;
}

void zks_config_manifest_clear(struct zks_config_manifest *m)
{
	for (size_t i = 0; i < m->nfiles; i++)
		free(m->files[i].name);
	free(m->files);
	free(m->at);
	free(m->by);
	memset(m, 0, sizeof(*m));
}

const struct zks_config_file *zks_config_manifest_find(const struct zks_config_manifest *m,
						       const char *file)
{
	size_t lo = 0, hi = m->nfiles;

	/* The files are sorted (the decoder and zks_config_commit see to it). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->files[mid].name, file);

		if (c == 0)
			return &m->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- the steps --------------------------------------------------------------------------- */

char *zks_config_step_encode(const struct zks_config_step *s)
{
	cJSON *doc = manifest_json(&s->m);
	cJSON *changes = cJSON_AddArrayToObject(doc, "changes");

	for (size_t i = 0; i < s->nchanges; i++) {
		const struct zks_config_change *c = &s->changes[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "file", c->file);
		cJSON_AddStringToObject(o, "op", c->op == ZKS_CONFIG_RM ? "rm" : "put");
		if (c->op == ZKS_CONFIG_PUT) {
			cJSON_AddNumberToObject(o, "size", (double)c->size);
			cJSON_AddStringToObject(o, "sha256", c->sha256);
		}
		cJSON_AddItemToArray(changes, o);
	}
	if (s->rollback_of)
		cJSON_AddNumberToObject(doc, "rollback_of", (double)s->rollback_of);
	return record_print(doc);
}

/*
 * One change into *c, consistent with the manifest it made (a put names a file the version
 * has with that hash and size, a removal one it lacks); false if it is not.
 */
static bool change_decode(const cJSON *item, const struct zks_config_manifest *m,
			  struct zks_config_change *c)
{
	const cJSON *file = cJSON_GetObjectItemCaseSensitive(item, "file");
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(item, "op");
	const cJSON *sha = cJSON_GetObjectItemCaseSensitive(item, "sha256");
	const struct zks_config_file *f;
	uint64_t size = 0;

	if (!cJSON_IsObject(item) || !cJSON_IsString(file) || !cJSON_IsString(op) ||
	    zks_config_check_file_name(file->valuestring, NULL) < 0)
		return false;
	f = zks_config_manifest_find(m, file->valuestring);
	if (strcmp(op->valuestring, "put") == 0) {
		if (!cJSON_IsString(sha) || !is_sha256_hex(sha->valuestring) ||
		    !json_uint(cJSON_GetObjectItemCaseSensitive(item, "size"), ZKS_CONFIG_FILE_MAX,
			       &size) ||
		    f == NULL || f->size != size || strcmp(f->sha256, sha->valuestring) != 0)
			return false;
		c->op = ZKS_CONFIG_PUT;
		memcpy(c->sha256, sha->valuestring, 65);
		c->size = (size_t)size;
	} else if (strcmp(op->valuestring, "rm") == 0 && f == NULL) {
		c->op = ZKS_CONFIG_RM;
	} else {
		return false;
	}
	c->file = xstrdup(file->valuestring);
	return true;
}

static int changes_decode(const cJSON *doc, struct zks_config_step *out, struct zks_error *err)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "changes"), *item;
	int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;

	if (n < 0 || n > CHANGES_MAX)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a config step has `changes` that is not an array of at "
				     "most %d changes",
				     CHANGES_MAX);
	out->changes = xcalloc(n ? (size_t)n : 1, sizeof(*out->changes));
	cJSON_ArrayForEach(item, arr)
	{
		struct zks_config_change *c = &out->changes[out->nchanges];

		if (out->nchanges >= (size_t)n || !change_decode(item, &out->m, c))
			return zks_error_set(err, ZKS_ERR_INTERNAL,
					     "a config step has change %zu that is not a put of "
					     "one of its files or a removal of a file it lacks",
					     out->nchanges + 1);
		out->nchanges++;
		if (out->nchanges > 1 && strcmp(c[-1].file, c->file) >= 0)
			return zks_error_set(err, ZKS_ERR_INTERNAL,
					     "a config step's changes are not sorted and unique "
					     "(`%s` after `%s`)",
					     c->file, c[-1].file);
	}
	return 0;
}

static int step_from_json(const cJSON *doc, struct zks_config_step *out, struct zks_error *err)
{
	const cJSON *rb = cJSON_GetObjectItemCaseSensitive(doc, "rollback_of");

	if (manifest_from_json(doc, &out->m, err) < 0 || changes_decode(doc, out, err) < 0)
		return -1;
	if (rb != NULL && (!json_uint(rb, VERSION_MAX, &out->rollback_of) ||
			   out->rollback_of == 0 || out->rollback_of >= out->m.version))
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "config step %llu has `rollback_of` that is not an earlier "
				     "version",
				     (unsigned long long)out->m.version);
	return 0;
}

int zks_config_step_decode(const char *data, struct zks_config_step *out, struct zks_error *err)
{
	cJSON *doc = record_object(data);
	int r;

	memset(out, 0, sizeof(*out));
	if (doc == NULL)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a config step in ZooKeeper is not a JSON object");
	r = step_from_json(doc, out, err);
	cJSON_Delete(doc);
	if (r < 0)
		zks_config_step_clear(out);
	return r;
}

void zks_config_step_clear(struct zks_config_step *s)
{
	zks_config_manifest_clear(&s->m);
	for (size_t i = 0; i < s->nchanges; i++)
		free(s->changes[i].file);
	free(s->changes);
	memset(s, 0, sizeof(*s));
}

void zks_config_steps_free(struct zks_config_step *steps, size_t n)
{
	for (size_t i = 0; steps != NULL && i < n; i++)
		zks_config_step_clear(&steps[i]);
	free(steps);
}

/* ---- the nodes' reports ------------------------------------------------------------------ */

char *zks_config_node_encode(uint64_t version, const char *at)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddNumberToObject(doc, "version", (double)version);
	record_add_str(doc, "at", at);
	return record_print(doc);
}

/* out->node is left NULL: a report's node is the name of its record. */
int zks_config_node_decode(const char *data, struct zks_config_node *out, struct zks_error *err)
{
	cJSON *doc = record_object(data);
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (doc == NULL)
		return zks_error_set(err, ZKS_ERR_INTERNAL,
				     "a config node report in ZooKeeper is not a JSON object");
	if (!json_uint(cJSON_GetObjectItemCaseSensitive(doc, "version"), VERSION_MAX,
		       &out->version))
		r = zks_error_set(err, ZKS_ERR_INTERNAL,
				  "a config node report has no `version` from 0 to %llu",
				  (unsigned long long)VERSION_MAX);
	else
		r = bounded_str(doc, "at", AT_MAX, &out->at, err);
	cJSON_Delete(doc);
	return r;
}

void zks_config_nodes_free(struct zks_config_node *nodes, size_t n)
{
	for (size_t i = 0; nodes != NULL && i < n; i++) {
		free(nodes[i].node);
		free(nodes[i].at);
	}
	free(nodes);
}
