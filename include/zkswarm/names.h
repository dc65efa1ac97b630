/*
 * names.h - the rule for names users give things: volume names, networks'
 * cluster names and node ids (NODE_ID) share Docker's
 * [A-Za-z0-9][A-Za-z0-9_.-]*, between min and max bytes.  A name that passes
 * is safe as one ZooKeeper path component and in a message.
 */
#ifndef ZKSWARM_NAMES_H
#define ZKSWARM_NAMES_H

#include <stddef.h>

#include "zkswarm/error.h"

/* what names the thing in the message ("volume", "NODE_ID"); the message never quotes a control
 * byte. */
int zks_validate_name(const char *what, const char *name, size_t min, size_t max,
		      struct zks_error *err);

#endif
