/*
 * store.c - what both stores share.
 */
#include <string.h>

#include "zkswarm/store.h"

bool zks_store_path_within(const char *path, const char *top)
{
	size_t n = strlen(top);

	return strcmp(top, "/") == 0 ||
	       (strncmp(path, top, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

bool zks_store_path_concerns(const char *const *under, const char *path)
{
	if (under == NULL)
		return true;
	for (; *under; under++)
		if (zks_store_path_within(path, *under) || zks_store_path_within(*under, path))
			return true;
	return false;
}

const char *zks_conn_state_name(enum zks_conn_state state)
{
	switch (state) {
	case ZKS_CONN_CONNECTED:
		return "connected";
	case ZKS_CONN_EXPIRED:
		return "expired";
	case ZKS_CONN_CONNECTING:
		break;
	}
	return "connecting";
}
