/*
 * ctl_probe.h - what zkswarmctl asks besides the records: ZooKeeper's servers
 * (the `srvr` four-letter word) and the local daemon over its unix socket
 * (libcurl).
 */
#ifndef ZKSWARM_CTL_PROBE_H
#define ZKSWARM_CTL_PROBE_H

#include <cjson/cJSON.h>

/*
 * One object per server of hosts ("h1:p1,h2:p2"):
 *   {"server", "reachable", "srvr" (answered the word), "version", "mode",
 *    "node_count", "latency", "error"}
 * A server that refuses the word (not in 4lw.commands.whitelist) is reachable
 * with "srvr": false.
 */
cJSON *ctl_probe_servers(const char *hosts, int timeout_ms);

/*
 * The daemon's answer to Plugin.Activate and VolumeDriver.List (and
 * VolumeDriver.Get of the first volume, whose Status tells the daemon's own
 * ZooKeeper state):
 *   {"socket", "answered", "error", "implements": [...], "round_trip_ms",
 *    "volumes", "zookeeper", "stale", "fenced"}
 */
cJSON *ctl_probe_daemon(const char *socket, int timeout_ms);

/*
 * POST body to the daemon's endpoint over its socket: the reply (an object, HTTP 200), or NULL
 * with why: the daemon's own error (its "Err"), or what kept it from answering.
 */
cJSON *ctl_daemon_call(const char *socket, const char *endpoint, const char *body, int timeout_ms,
		       double *seconds, char *why, size_t wlen);

#endif
