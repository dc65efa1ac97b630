/*
 * ctl_table.h - plain-text tables for zkswarmctl: a header row and columns
 * padded to their widest cell, two spaces apart, nothing after the last.
 */
#ifndef ZKSWARM_CTL_TABLE_H
#define ZKSWARM_CTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct ctl_table;

/* Headers: ncols strings. */
struct ctl_table *ctl_table_new(size_t ncols, const char *const *headers);
/* One row: exactly ncols strings (NULL or "" shows as "-"); they are copied. */
void ctl_table_add(struct ctl_table *t, ...);
size_t ctl_table_rows(const struct ctl_table *t);
void ctl_table_print(const struct ctl_table *t, FILE *out);
void ctl_table_free(struct ctl_table *t);

#endif
