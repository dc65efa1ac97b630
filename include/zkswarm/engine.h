/*
 * engine.h - a client of the Docker engine's own API over its unix socket
 * (libcurl): version negotiation, the event stream, the running containers
 * and what naming needs to know of one container.
 *
 * The engine may hold its locks while it waits for the plugin's answer to one
 * of its requests, so nothing here may be called from inside such a request:
 * only the naming service's own thread calls the engine.  Every call is
 * bounded in time (ZKS_ENGINE_TIMEOUT_MS, the event stream by its stop flag)
 * and fails as ZKS_ERR_UNAVAILABLE when the engine does not answer.
 */
#ifndef ZKSWARM_ENGINE_H
#define ZKSWARM_ENGINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zkswarm/error.h"
#include "zkswarm/records.h"

#define ZKS_ENGINE_TIMEOUT_MS 5000
/* The newest API version spoken; the engine's own if older, never below its minimum. */
#define ZKS_ENGINE_API_MAX "1.45"
/* The oldest: Engine 20.10 (Debian 12's docker.io).  An engine that cannot speak a version in
 * between (older than 20.10, or one whose minimum is above ZKS_ENGINE_API_MAX) is refused. */
#define ZKS_ENGINE_API_MIN "1.41"
/* At most this many networks of one container are read (the rest are left out, with a warning). */
#define ZKS_ENGINE_NETS_MAX 256

struct zks_engine;

/* A client of the engine at socket_path; nothing is sent yet.  NULL only without memory. */
struct zks_engine *zks_engine_new(const char *socket_path);
void zks_engine_free(struct zks_engine *e);
/* The bound of every call and of the event stream's answer (ZKS_ENGINE_TIMEOUT_MS); for tests. */
void zks_engine_set_timeout_ms(struct zks_engine *e, long ms);

/*
 * GET /version: picks the API version.  0, or -1 with err: UNAVAILABLE (no engine there, or no
 * version in its answer), INVALID (no version both speak).  The calls below connect first
 * when this has not succeeded yet.
 */
int zks_engine_connect(struct zks_engine *e, struct zks_error *err);
/* The version picked ("1.41"), "" before zks_engine_connect succeeded. */
const char *zks_engine_api_version(const struct zks_engine *e);

/* One event of the engine's stream, valid during the callback only. */
struct zks_engine_event {
	const char *type;      /* "container" or "network" */
	const char *action;    /* "start", "die", "destroy", "rename", "connect", "disconnect"... */
	const char *id;	       /* Actor.ID: the container's or the network's */
	const char *container; /* network events: Actor.Attributes.container; else NULL */
};

/* Return non-zero to end the stream. */
typedef int (*zks_engine_event_fn)(void *ctx, const struct zks_engine_event *ev);

/*
 * GET /events of types container and network, from a second before the call on (the engine
 * may replay an event already seen: apply them idempotently); fn is called for each event, in
 * order.  Returns 0 when fn or *stop ended it (stop is looked at least once a second), -1 with
 * err when the stream could not start or broke (the engine went away).  subscribed, if not
 * NULL, is called once the engine has answered (events after that point are seen), before
 * the first event: the caller reconciles from there.
 */
int zks_engine_events(struct zks_engine *e, zks_engine_event_fn fn, void (*subscribed)(void *ctx),
		      void *ctx, const atomic_bool *stop, struct zks_error *err);

/* A container on one network, as inspect shows it. */
struct zks_engine_attachment {
	char *network_id;  /* NetworkSettings.Networks.*.NetworkID */
	char *network;	   /* the key of that entry: the network's name */
	char *endpoint_id; /* EndpointID; "" when not connected */
	char *address;	   /* IPAddress/IPPrefixLen, "" if none */
	char **aliases;	   /* DNSNames when present (API >= 1.44), else Aliases, without the
			    * container's own name and its short ID, de-duplicated, at most
			    * ZKS_NAME_ALIASES_MAX */
	size_t naliases;
};

/* Read from untrusted JSON: a field of the wrong type reads as absent. */
struct zks_engine_container {
	char *id;			   /* Id, else the ID asked for */
	char *name;			   /* without the leading '/'; "" if absent */
	char *hostname;			   /* Config.Hostname; NULL if absent */
	bool running;			   /* State.Running */
	char *service, *service_id, *task; /* com.docker.swarm.* labels; NULL if absent */
	struct zks_record_port *ports;	   /* Config.ExposedPorts ("80/tcp"): at most
					    * ZKS_NAME_PORTS_MAX, bad keys left out */
	size_t nports;
	struct zks_engine_attachment
		*nets; /* at most ZKS_ENGINE_NETS_MAX, those with a NetworkID */
	size_t nnets;
};

/* GET /containers/ID/json (ID or name).  0; -1 with err NOT_FOUND when it is gone, INVALID when
 * id is not an ID or a name, else UNAVAILABLE.  out is overwritten (zeroed on failure): clear
 * what it held first. */
int zks_engine_inspect(struct zks_engine *e, const char *id, struct zks_engine_container *out,
		       struct zks_error *err);
void zks_engine_container_clear(struct zks_engine_container *c);

/* GET /containers/json: the IDs of the running containers (to free with zks_free_strv). */
int zks_engine_list(struct zks_engine *e, char ***ids, size_t *n, struct zks_error *err);

/* GET /plugins: the Name of the plugin whose Id is id (to free), or -1 with err (NOT_FOUND when
 * none is listed so). */
int zks_engine_plugin_name(struct zks_engine *e, const char *id, char **name,
			   struct zks_error *err);

#endif
