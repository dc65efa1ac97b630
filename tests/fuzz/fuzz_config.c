/*
 * fuzz_config.c - libFuzzer target over the decoders of the configuration records
 * (records_config.c): a config's head, a step of its history and a node's report, the
 * records a node turns into files on its disk.
 *
 * Input: the record's bytes, given to all three decoders (as the store gives data: NUL-
 * terminated).  Checked on every input (a failure aborts, and libFuzzer saves the input):
 *   - a refusal leaves nothing behind (no files, no changes) and says why (INTERNAL);
 *   - what is accepted is within the bounds of records.h: each name passes
 *     zks_config_check_file_name, the files sorted and unique, 64 lowercase hex digits per
 *     hash, sizes within ZKS_CONFIG_FILE_MAX and ZKS_CONFIG_TOTAL_MAX; a step's changes
 *     sorted, each put one of its files with that hash;
 *   - what is accepted encodes to a record that decodes to the same, and encodes the same.
 *
 * Build and run: `make fuzz`, `make fuzz-run` (tests/fuzz/run.sh with FUZZ_DIR=config: the
 * seeds in tests/fuzz/config/corpus and tests/fuzz/config/config.dict).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/records.h"
#include "zkswarm/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void violated(const char *what, const char *text)
{
	fprintf(stderr, "invariant violated: %s\n  input: %.300s\n", what, text);
	abort();
}

static bool hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void check_manifest(const struct zks_config_manifest *m, const char *text)
{
	size_t total = 0;

	if (m->nfiles > ZKS_CONFIG_FILES_MAX)
		violated("more files than ZKS_CONFIG_FILES_MAX", text);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct zks_config_file *f = &m->files[i];

		if (zks_config_check_file_name(f->name, NULL) < 0)
			violated("a file name that zks_config_check_file_name refuses", text);
		if (i > 0 && strcmp(m->files[i - 1].name, f->name) >= 0)
			violated("files not sorted and unique", text);
		if (!hex64(f->sha256) || f->size > ZKS_CONFIG_FILE_MAX)
			violated("a hash or a size out of bounds", text);
		if (zks_config_manifest_find(m, f->name) != f)
			violated("manifest_find misses a file", text);
		total += f->size;
	}
	if (total > ZKS_CONFIG_TOTAL_MAX)
		violated("a total over ZKS_CONFIG_TOTAL_MAX", text);
	if (m->by && strlen(m->by) > ZKS_CONFIG_BY_MAX)
		violated("a `by` over ZKS_CONFIG_BY_MAX", text);
}

static bool same_manifest(const struct zks_config_manifest *a, const struct zks_config_manifest *b)
{
	if (a->version != b->version || a->nfiles != b->nfiles || !a->at != !b->at ||
	    !a->by != !b->by || (a->at && strcmp(a->at, b->at)) || (a->by && strcmp(a->by, b->by)))
		return false;
	for (size_t i = 0; i < a->nfiles; i++)
		if (strcmp(a->files[i].name, b->files[i].name) ||
		    strcmp(a->files[i].sha256, b->files[i].sha256) ||
		    a->files[i].size != b->files[i].size)
			return false;
	return true;
}

static void fuzz_manifest(const char *text)
{
	struct zks_config_manifest m, again;
	struct zks_error err = {0};
	char *enc, *enc2;

	if (zks_config_manifest_decode(text, &m, &err) < 0) {
		if (m.files != NULL || m.nfiles != 0 || err.code != ZKS_ERR_INTERNAL || !err.msg[0])
			violated("a refused head leaves something, or no INTERNAL error", text);
		return;
	}
	check_manifest(&m, text);
	enc = zks_config_manifest_encode(&m);
	if (zks_config_manifest_decode(enc, &again, &err) < 0 || !same_manifest(&m, &again))
		violated("a head does not survive its encoding", text);
	enc2 = zks_config_manifest_encode(&again);
	if (strcmp(enc, enc2) != 0)
		violated("a head encodes two ways", text);
	free(enc);
	free(enc2);
	zks_config_manifest_clear(&again);
	zks_config_manifest_clear(&m);
}

static void check_step(const struct zks_config_step *st, const char *text)
{
	check_manifest(&st->m, text);
	for (size_t i = 0; i < st->nchanges; i++) {
		const struct zks_config_change *c = &st->changes[i];
		const struct zks_config_file *f = zks_config_manifest_find(&st->m, c->file);

		if (i > 0 && strcmp(st->changes[i - 1].file, c->file) >= 0)
			violated("changes not sorted and unique", text);
		if (c->op == ZKS_CONFIG_PUT && (f == NULL || strcmp(f->sha256, c->sha256) != 0))
			violated("a put of contents the version lacks", text);
		if (c->op == ZKS_CONFIG_RM && f != NULL)
			violated("a removal of a file the version has", text);
	}
	if (st->rollback_of >= st->m.version && st->rollback_of != 0)
		violated("a rollback to a later version", text);
}

static void fuzz_step(const char *text)
{
	struct zks_config_step st, again;
	struct zks_error err = {0};
	char *enc, *enc2;

	if (zks_config_step_decode(text, &st, &err) < 0) {
		if (st.changes != NULL || st.m.files != NULL || err.code != ZKS_ERR_INTERNAL)
			violated("a refused step leaves something, or no INTERNAL error", text);
		return;
	}
	check_step(&st, text);
	enc = zks_config_step_encode(&st);
	if (zks_config_step_decode(enc, &again, &err) < 0 || !same_manifest(&st.m, &again.m) ||
	    st.nchanges != again.nchanges || st.rollback_of != again.rollback_of)
		violated("a step does not survive its encoding", text);
	enc2 = zks_config_step_encode(&again);
	if (strcmp(enc, enc2) != 0)
		violated("a step encodes two ways", text);
	free(enc);
	free(enc2);
	zks_config_step_clear(&again);
	zks_config_step_clear(&st);
}

static void fuzz_node(const char *text)
{
	struct zks_config_node node, again;
	struct zks_error err = {0};
	char *enc;

	if (zks_config_node_decode(text, &node, &err) < 0) {
		if (node.at != NULL || err.code != ZKS_ERR_INTERNAL)
			violated("a refused report leaves something, or no INTERNAL error", text);
		return;
	}
	enc = zks_config_node_encode(node.version, node.at);
	if (zks_config_node_decode(enc, &again, &err) < 0 || again.version != node.version ||
	    !again.at != !node.at || (node.at && strcmp(node.at, again.at) != 0))
		violated("a report does not survive its encoding", text);
	free(enc);
	free(again.at);
	free(node.at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);

	fuzz_manifest(text);
	fuzz_step(text);
	fuzz_node(text);
	free(text);
	return 0;
}
