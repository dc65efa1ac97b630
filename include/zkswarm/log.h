/*
 * log.h - leveled logging to stderr, one line per event, safe from any thread.
 *
 * Lines look like `2026-11-25T19:30:01.123Z info  zookeeper: connected`.
 * The engine collects a managed plugin's stdout and stderr into its own log, filing each stdout
 * line at level info and each stderr line at level error: the daemon splits its lines
 * (zks_log_split), zkswarmctl keeps them all on stderr (its stdout is its answer).
 */
#ifndef ZKSWARM_LOG_H
#define ZKSWARM_LOG_H

#include <stdbool.h>

enum zks_log_level { ZKS_LOG_ERROR = 0, ZKS_LOG_WARN, ZKS_LOG_INFO, ZKS_LOG_DEBUG };

/* Parse "error", "warn", "info", "debug"; returns -1 when unknown. */
int zks_log_parse_level(const char *s);
void zks_log_set_level(enum zks_log_level level);
/* On: info and debug lines go to stdout, error and warn lines to stderr.  Off (the default):
 * every line to stderr. */
void zks_log_split(bool on);
bool zks_log_enabled(enum zks_log_level level);

void zks_log(enum zks_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) zks_log(ZKS_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) zks_log(ZKS_LOG_WARN, __VA_ARGS__)
#define log_info(...) zks_log(ZKS_LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (zks_log_enabled(ZKS_LOG_DEBUG))                                                \
			zks_log(ZKS_LOG_DEBUG, __VA_ARGS__);                                       \
	} while (0)

#endif
