/*
 * fake_engine.h - a Docker engine for the unit tests: libmicrohttpd on a real unix socket in a
 * temporary directory, answering what zkswarm asks of the engine (GET /version, the event
 * stream, inspect, the list of containers) from what the test configured, and counting the
 * requests.  Like the engine, it refuses an API version outside [MinAPIVersion, ApiVersion]
 * with HTTP 400.  Thread-safe: the test configures and emits from its own thread.  Failures
 * to set it up abort.  Nothing here uses cmocka.
 */
#ifndef ZKSWARM_TEST_FAKE_ENGINE_H
#define ZKSWARM_TEST_FAKE_ENGINE_H

#include <stdbool.h>

struct fake_engine;

/* Listening, answering ApiVersion 1.45 with MinAPIVersion 1.24, no containers. */
struct fake_engine *fake_engine_start(void);
/* Ends open streams and hung requests, stops the server, removes the socket and its directory. */
void fake_engine_stop(struct fake_engine *fe);
const char *fake_engine_socket(const struct fake_engine *fe);

/* What GET /version says; min NULL leaves MinAPIVersion out. */
void fake_engine_set_version(struct fake_engine *fe, const char *api, const char *min);
/* The body of GET /containers/ID/json (sent as is, so it may be hostile); NULL: 404 again. */
void fake_engine_set_container(struct fake_engine *fe, const char *id, const char *json);
/* The body of GET /plugins ("[]" until set). */
void fake_engine_set_plugins(struct fake_engine *fe, const char *json);
/* The body of GET /containers/json ("[]" until set). */
void fake_engine_set_list(struct fake_engine *fe, const char *json);
/* Every request is accepted and never answered (until hang is false again or the fake stops). */
void fake_engine_set_hang(struct fake_engine *fe, bool hang);

/* One event line ('\n' added) to every open event stream, in order. */
void fake_engine_emit(struct fake_engine *fe, const char *line);
/* Bytes as they are, as one HTTP chunk: half a line, or several. */
void fake_engine_emit_raw(struct fake_engine *fe, const char *bytes);
/* The open event streams end (cleanly, as when the engine shuts down) after what was emitted. */
void fake_engine_end_stream(struct fake_engine *fe);
/* Waits (at most timeout_ms) until n event streams are open. */
bool fake_engine_wait_streams(struct fake_engine *fe, unsigned n, int timeout_ms);

/* Requests so far to path without its version prefix: "/version", "/events",
 * "/containers/json", "/containers/ID/json". */
unsigned fake_engine_count(struct fake_engine *fe, const char *path);
/* The API version of the latest versioned request ("1.45"), "" before one; the filters and
 * since arguments of the latest GET /events, decoded, "" before one (the fake replays nothing:
 * a stream starts at the end of the log).  Valid until the next request. */
const char *fake_engine_last_version(struct fake_engine *fe);
const char *fake_engine_last_filters(struct fake_engine *fe);
const char *fake_engine_last_since(struct fake_engine *fe);

#endif
