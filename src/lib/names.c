/*
 * names.c - the names users give things (volumes, networks' cluster names,
 * node ids), checked against Docker's rule before they become part of a
 * ZooKeeper path or a message.
 */
#include <stdbool.h>
#include <string.h>

#include "zkswarm/names.h"

int zks_validate_name(const char *what, const char *name, size_t min, size_t max,
		      struct zks_error *err)
{
	size_t n = strlen(name);

	if (n == 0)
		return zks_error_set(err, ZKS_ERR_INVALID, "%s name is empty", what);
	if (n < min || n > max)
		return zks_error_set(err, ZKS_ERR_INVALID,
				     "%s name `%.64s%s` must be %zu to %zu characters long", what,
				     name, n > 64 ? "..." : "", min, max);
	/* Control bytes first: a message must never quote them into someone's terminal. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return zks_error_set(err, ZKS_ERR_INVALID,
					     "%s name contains a control character (byte 0x%02x)",
					     what, (unsigned char)name[i]);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		bool alnum =
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (alnum || (i > 0 && (c == '_' || c == '.' || c == '-')))
			continue;
		return zks_error_set(
			err, ZKS_ERR_INVALID,
			"%s name `%.64s` is invalid: only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
			"allowed",
			what, name);
	}
	return 0;
}
