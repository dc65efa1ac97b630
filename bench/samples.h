/*
 * bench/samples.h - what the load tools share: latency samples with their percentiles, over
 * bench/common.h (a monotonic clock, a fatal error).  Header-only (each tool is one file);
 * define BENCH_PROG to the tool's name before including it.
 */
#ifndef ZKSWARM_BENCH_SAMPLES_H
#define ZKSWARM_BENCH_SAMPLES_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common.h"

struct samples {
	uint32_t *v; /* latencies in microseconds */
	size_t n, cap;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL)
		die("out of memory");
	return p;
}

static void samples_add(struct samples *s, uint32_t us)
{
	if (s->n == s->cap) {
		if (s->cap >= (size_t)64 << 20)
			return; /* bounded: 64M samples */
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = us;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile of sorted samples (sort s->v with cmp_u32 first). */
static uint32_t pct(const struct samples *s, double p)
{
	size_t i;

	if (s->n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(s->n - 1) + 0.5);
	return s->v[i < s->n ? i : s->n - 1];
}

#endif
