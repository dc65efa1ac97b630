/*
 * error.c - filling struct zks_error (see include/zkswarm/error.h for the rule).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "zkswarm/error.h"

static int error_vset(struct zks_error *err, enum zks_errc code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -1;
}

int zks_error_set(struct zks_error *err, enum zks_errc code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int zks_error_errno(struct zks_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t used;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	error_vset(err, ZKS_ERR_SYSTEM, fmt, ap);
	va_end(ap);
	used = strlen(err->msg);
	snprintf(err->msg + used, sizeof(err->msg) - used, ": %s", strerror(errnum));
	return -1;
}

int zks_error_prefix(struct zks_error *err, const char *fmt, ...)
{
	char prefix[ZKS_ERROR_MSG_MAX];
	char old[ZKS_ERROR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	return -1;
}

void zks_error_clear(struct zks_error *err)
{
	if (err == NULL)
		return;
	err->code = ZKS_ERR_NONE;
	err->msg[0] = '\0';
}

const char *zks_errc_name(enum zks_errc code)
{
	static const char *const names[] = {
		[ZKS_ERR_NONE] = "none",
		[ZKS_ERR_INVALID] = "invalid",
		[ZKS_ERR_NOT_FOUND] = "not found",
		[ZKS_ERR_EXISTS] = "exists",
		[ZKS_ERR_CONFLICT] = "conflict",
		[ZKS_ERR_NOT_EMPTY] = "not empty",
		[ZKS_ERR_UNAVAILABLE] = "unavailable",
		[ZKS_ERR_SYSTEM] = "system",
		[ZKS_ERR_INTERNAL] = "internal",
	};

	if ((unsigned)code >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[code];
}
