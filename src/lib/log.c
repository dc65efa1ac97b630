/*
 * log.c - one line per event on stderr (or, split, info and debug on stdout), written with a
 * single write(2) so that lines from MHD, ZooKeeper and our own threads never interleave.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "zkswarm/log.h"

static _Atomic int current_level = ZKS_LOG_INFO;
static _Atomic bool split;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int zks_log_parse_level(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "warning") == 0)
		return ZKS_LOG_WARN;
	return -1;
}

void zks_log_set_level(enum zks_log_level level)
{
	atomic_store(&current_level, level);
}

void zks_log_split(bool on)
{
	atomic_store(&split, on);
}

bool zks_log_enabled(enum zks_log_level level)
{
	return (int)level <= atomic_load(&current_level);
}

void zks_log(enum zks_log_level level, const char *fmt, ...)
{
	char line[2048];
	struct timeval tv;
	struct tm tm;
	size_t n;
	va_list ap;

	if (!zks_log_enabled(level))
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ %-5s ",
			      (long)(tv.tv_usec / 1000), level_names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	n = strlen(line);
	/* One event, one line: fold any newline a message carries. */
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(atomic_load(&split) && level >= ZKS_LOG_INFO ? STDOUT_FILENO : STDERR_FILENO,
		  line, n) < 0) {
		/* Nowhere left to report it. */
	}
}
