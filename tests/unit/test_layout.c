/*
 * test_layout.c - the layout of the records has one source: the table in
 * include/zkswarm/records.h.  docs/DESIGN.md's record tables must list the
 * same paths (a reader of the design sees what the code writes), and the
 * fault test's checker reads its paths from the same table
 * (tests/faults/layout.py).  Run from the top of the checkout, as `make
 * check` does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/util.h"

#define MAX_PATHS 64

struct paths {
	char *v[MAX_PATHS];
	size_t n;
};

static void paths_free(struct paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	p->n = 0;
}

static void add(struct paths *p, const char *start)
{
	size_t len = strcspn(start, " \t\n");

	assert_true(p->n < MAX_PATHS);
	p->v[p->n++] = xstrndup(start, len);
}

/* records.h: the lines " *   /path   what" between " * layout:" and " * end of layout." */
static void read_header(const char *file, struct paths *p)
{
	FILE *f = fopen(file, "r");
	char line[512];
	bool inside = false;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (strcmp(line, " * layout:\n") == 0)
			inside = true;
		else if (strcmp(line, " * end of layout.\n") == 0)
			break;
		else if (inside && strncmp(line, " *   /", 6) == 0)
			add(p, line + 5);
	}
	fclose(f);
}

/* DESIGN.md: the record tables are code blocks whose lines start with a path. */
static void read_design(const char *file, struct paths *p)
{
	FILE *f = fopen(file, "r");
	char line[512];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "    /", 5) == 0)
			add(p, line + 4);
	fclose(f);
}

static bool contains(const struct paths *p, const char *s)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i], s) == 0)
			return true;
	return false;
}

static void test_design_lists_the_layout(void **state)
{
	struct paths header = {0}, design = {0};
	int missing = 0;

	(void)state;
	read_header("include/zkswarm/records.h", &header);
	read_design("docs/DESIGN.md", &design);
	assert_true(header.n >= 10);
	for (size_t i = 0; i < header.n; i++)
		if (!contains(&design, header.v[i])) {
			print_message("in records.h, not in DESIGN.md: %s\n", header.v[i]);
			missing++;
		}
	for (size_t i = 0; i < design.n; i++)
		if (!contains(&header, design.v[i])) {
			print_message("in DESIGN.md, not in records.h: %s\n", design.v[i]);
			missing++;
		}
	assert_int_equal(missing, 0);
	paths_free(&header);
	paths_free(&design);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_design_lists_the_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
