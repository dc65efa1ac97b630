/*
 * store.c - what both stores share.
 */
#include "zkswarm/store.h"

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
