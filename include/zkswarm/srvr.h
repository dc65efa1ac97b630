/*
 * srvr.h - ZooKeeper's servers through the `srvr` four-letter word, each
 * within its own timeout (zkswarmctl status, the dashboard's ensemble).
 */
#ifndef ZKSWARM_SRVR_H
#define ZKSWARM_SRVR_H

#include <cjson/cJSON.h>

/*
 * One object per server of hosts ("h1:p1,h2:p2"), each asked within timeout_ms:
 *   {"server", "reachable", "srvr" (answered the word), "version", "mode",
 *    "node_count", "latency" ("min/avg/max"), "zxid", "connections", "error"}
 * A server that refuses the word (not in 4lw.commands.whitelist) is reachable
 * with "srvr": false.
 */
cJSON *zks_srvr_probe(const char *hosts, int timeout_ms);

#endif
