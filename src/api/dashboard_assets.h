/*
 * dashboard_assets.h - the page's files (web/dashboard/), embedded: the C
 * file the Makefile generates (scripts/embed-assets.sh) defines them.
 */
#ifndef ZKSWARM_DASHBOARD_ASSETS_H
#define ZKSWARM_DASHBOARD_ASSETS_H

#include <stddef.h>

struct zks_dash_asset {
	const char *name; /* its file name: "index.html" */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t len;
	const char *etag; /* the first 16 hex digits of its SHA-256, computed at build time */
};

extern const struct zks_dash_asset zks_dash_assets[];
extern const size_t zks_dash_nassets;

#endif
