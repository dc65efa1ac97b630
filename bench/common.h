/*
 * bench/common.h - what every bench tool shares: a monotonic clock and a fatal error.
 * Header-only (each tool is one file); define BENCH_PROG to the tool's name before
 * including it.
 */
#ifndef ZKSWARM_BENCH_COMMON_H
#define ZKSWARM_BENCH_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(BENCH_PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

#endif
