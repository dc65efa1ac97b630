/*
 * plugin_name.h - the name the plugin is installed under, as a user types it in
 * `docker network create -d NAME --ipam-driver NAME` and `docker volume create -d NAME`.
 *
 * The engine's requests do not carry it.  It is PLUGIN_NAME when that is set; else the name
 * the engine lists for this plugin's ID, learned once the engine answers (naming's thread:
 * the ID from the root mount in /proc/self/mountinfo, the name from GET /plugins), tag and
 * all (a network driver must be named with its tag, "zkswarm26:latest"); else "zkswarm".
 * Messages that tell a user what to type take it from here.  Any thread may read it; a NULL
 * one reads "zkswarm".
 */
#ifndef ZKSWARM_PLUGIN_NAME_H
#define ZKSWARM_PLUGIN_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define ZKS_PLUGIN_NAME_DEFAULT "zkswarm"
#define ZKS_PLUGIN_NAME_MAX 256 /* longer names, learned or set, are not used */
#define ZKS_PLUGIN_ID_LEN 64

struct zks_plugin_name;

/* configured: PLUGIN_NAME (NULL or "": learn it). */
struct zks_plugin_name *zks_plugin_name_new(const char *configured);
void zks_plugin_name_free(struct zks_plugin_name *p);

/* Neither set nor learned yet: naming's thread asks the engine. */
bool zks_plugin_name_wanted(struct zks_plugin_name *p);
/* The name the engine lists ("zkswarm:latest", "registry.example/zkswarm:1.2"); refused
 * (false) when empty, too long or not printable. */
bool zks_plugin_name_learn(struct zks_plugin_name *p, const char *listed);

/* The name now, in out. */
const char *zks_plugin_name_get(struct zks_plugin_name *p, char out[ZKS_PLUGIN_NAME_MAX]);

/*
 * This plugin's ID from the text of /proc/self/mountinfo: in a managed plugin the root mount's
 * source is the engine's <root>/plugins/<ID>/rootfs.  0 and the ID in id, or -1 when the root
 * mount is not that (not running as a managed plugin).
 */
int zks_plugin_id_from_mountinfo(const char *text, char id[ZKS_PLUGIN_ID_LEN + 1]);

#endif
