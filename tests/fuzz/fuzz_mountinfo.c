/*
 * fuzz_mountinfo.c - libFuzzer target over zks_plugin_id_from_mountinfo (plugin_name.h), the
 * reader of /proc/self/mountinfo that finds this plugin's ID.
 *
 * Input: the text (NUL-terminated, as zks_read_file gives it).  Checked on every input (a
 * failure aborts, and libFuzzer saves the input): the answer is -1, or 0 with an ID of
 * exactly 64 lowercase hex digits that the text holds as ".../plugins/<ID>/rootfs".
 *
 * Build and run: `make fuzz`, `make fuzz-run` (tests/fuzz/run.sh with FUZZ_DIR=mountinfo).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/plugin_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void violated(const char *what, const char *text)
{
	fprintf(stderr, "invariant violated: %s\n  input: %.300s\n", what, text);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), id[ZKS_PLUGIN_ID_LEN + 2], *want;
	int r;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(id, 'X', sizeof(id));
	r = zks_plugin_id_from_mountinfo(text, id);
	if (r != 0 && r != -1)
		violated("an answer other than 0 or -1", text);
	if (r == 0) {
		if (strlen(id) != ZKS_PLUGIN_ID_LEN)
			violated("an ID that is not 64 characters", text);
		for (size_t i = 0; i < ZKS_PLUGIN_ID_LEN; i++)
			if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
				violated("an ID that is not lowercase hex", text);
		want = malloc(sizeof("/plugins/") + ZKS_PLUGIN_ID_LEN + sizeof("/rootfs"));
		if (want != NULL) {
			sprintf(want, "/plugins/%s/rootfs", id);
			if (strstr(text, want) == NULL)
				violated("an ID that is not in a plugin's rootfs path", text);
			free(want);
		}
	}
	free(text);
	return 0;
}
