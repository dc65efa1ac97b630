/*
 * naming.h - the naming service: who each of this node's endpoints is, in
 * ZooKeeper (/names/<key>/<endpoint id>, records.h), for the DNS server and
 * for clients outside Docker.
 *
 * The driver protocol carries no names; the engine's own API does.  The
 * engine may hold its locks while it waits for one of the plugin's answers,
 * so the service never calls the engine from a request: it follows the
 * engine's event stream on a thread of its own (container start, die,
 * destroy, rename; network connect, disconnect), asks the engine about the
 * container the event names, and writes what it learnt.  It reconciles with
 * the engine when the stream (re)starts, after every new ZooKeeper session
 * and every minute.
 *
 * A name lives only as long as its endpoint: its record is ephemeral (this
 * node's session), it is written only for an endpoint whose record
 * (/networks/<key>/endpoints/<id>) names this node, its address is that
 * record's, and it is removed when the endpoint record goes (DeleteEndpoint,
 * seen in the mirror) or the container stops (its `die` event), whichever
 * comes first.  The DNS server answers a name only while its endpoint record
 * exists, so a removed endpoint stops resolving on every node as soon as
 * that node's mirror sees it, even before its name record goes.
 *
 * Lock order: the service's lock is a leaf; the worker holds it only to take
 * work, never while it calls the engine or the store.
 */
#ifndef ZKSWARM_NAMING_H
#define ZKSWARM_NAMING_H

#include <stddef.h>
#include <stdint.h>

#include "zkswarm/engine.h"
#include "zkswarm/error.h"
#include "zkswarm/plugin_name.h"
#include "zkswarm/store.h"

struct zks_naming_config {
	const char *node_id;
	const char *engine_socket; /* the engine's API socket */
	int64_t reconcile_ms;	   /* 0: every minute */
	int64_t retry_max_ms;	   /* the engine's back-off ceiling; 0: 30 s */
	/* Learned from the engine when wanted (plugin_name.h), after a reconcile it answered;
	 * NULL: not asked.  mountinfo: where the plugin's ID is read (NULL: /proc/self/...). */
	struct zks_plugin_name *plugin_name;
	const char *mountinfo;
};

struct zks_naming;

/* The service, not started: its state and the store side, which tests drive directly. */
struct zks_naming *zks_naming_new(struct zks_store *store, const struct zks_naming_config *cfg);
/* Start the threads (engine events, worker) and take the store's callbacks. */
void zks_naming_start(struct zks_naming *n);
/* Stop the threads (before store_stop); free after it. */
void zks_naming_stop(struct zks_naming *n);
void zks_naming_free(struct zks_naming *n);

/*
 * The store side, one step each (the worker's; tests call them without threads):
 *
 * apply: make the records of container c what inspect says (c not running: none).
 * forget: the container is gone; remove its records.
 * check: after a mirror change or a new session: names whose endpoint record went are
 *	removed, names the session lost are written again, failed writes retried.
 * sweep: after a full reconcile; ids are every running container: records of the others go,
 *	and so do records of this node in ZooKeeper that the service does not know (those of an
 *	earlier run); only when the mirror is synced.
 * Each returns how many records it could not write or remove (to retry), 0 when all is done.
 */
int zks_naming_apply(struct zks_naming *n, const struct zks_engine_container *c);
int zks_naming_forget(struct zks_naming *n, const char *container_id);
int zks_naming_check(struct zks_naming *n);
int zks_naming_sweep(struct zks_naming *n, char *const *ids, size_t nids);
/* How many names this node has registered (written and current). */
size_t zks_naming_count(struct zks_naming *n);

#endif
