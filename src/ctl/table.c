/*
 * table.c - plain-text tables for zkswarmctl.
 *
 * Widths count bytes: record names are ASCII (Docker's name rules), and a
 * wrong width only misaligns a column.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/ctl_table.h"
#include "zkswarm/util.h"

struct ctl_table {
	size_t ncols;
	size_t nrows; /* including the header */
	char **cells; /* nrows * ncols */
};

static void add_row(struct ctl_table *t, const char *const *cells)
{
	t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = cells[i] != NULL && cells[i][0] != '\0' ? cells[i] : "-";
		char *copy = xstrdup(s);

		/* One row, one line: a newline in a record would break the table. */
		for (char *p = copy; *p; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		t->cells[t->nrows * t->ncols + i] = copy;
	}
	t->nrows++;
}

struct ctl_table *ctl_table_new(size_t ncols, const char *const *headers)
{
	struct ctl_table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	add_row(t, headers);
	return t;
}

void ctl_table_add(struct ctl_table *t, ...)
{
	const char **cells = xcalloc(t->ncols, sizeof(char *));
	va_list ap;

	va_start(ap, t);
	for (size_t i = 0; i < t->ncols; i++)
		cells[i] = va_arg(ap, const char *);
	va_end(ap);
	add_row(t, cells);
	free(cells);
}

size_t ctl_table_rows(const struct ctl_table *t)
{
	return t->nrows - 1;
}

void ctl_table_print(const struct ctl_table *t, FILE *out)
{
	size_t *width = xcalloc(t->ncols, sizeof(size_t));

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++) {
			size_t w = strlen(t->cells[r * t->ncols + i]);

			if (w > width[i])
				width[i] = w;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++) {
			const char *cell = t->cells[r * t->ncols + i];

			if (i + 1 < t->ncols)
				fprintf(out, "%-*s  ", (int)width[i], cell);
			else
				fprintf(out, "%s\n", cell);
		}
	}
	free(width);
}

void ctl_table_free(struct ctl_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
