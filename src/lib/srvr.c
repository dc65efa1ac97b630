/*
 * srvr.c - ZooKeeper's servers through the `srvr` four-letter word (srvr.h):
 * zkswarmctl's status and the dashboard's ensemble.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zkswarm/srvr.h"
#include "zkswarm/util.h"

#define SRVR_MAX 8192

/* ---- srvr --------------------------------------------------------------------------------- */

static int64_t left_ms(int64_t deadline)
{
	int64_t l = deadline - zks_now_ms();

	return l < 0 ? 0 : l;
}

/* Connect to host:port within the deadline; the fd, or -1 with why. */
static int connect_to(const char *host, const char *port, int64_t deadline, char *why, size_t wlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int fd = -1, rc;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(why, wlen, "%s", gai_strerror(rc));
		return -1;
	}
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		struct pollfd p;
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno != EINPROGRESS) {
			snprintf(why, wlen, "%s", strerror(errno));
			close(fd);
			fd = -1;
			continue;
		}
		p = (struct pollfd){.fd = fd, .events = POLLOUT};
		rc = poll(&p, 1, (int)left_ms(deadline));
		if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
			break;
		snprintf(why, wlen, "%s", rc == 0 ? "timed out" : strerror(soerr ? soerr : errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Send the word, read the reply to EOF (at most SRVR_MAX bytes); -1 with why. */
static int ask_word(int fd, const char *word, int64_t deadline, char *buf, size_t cap, char *why,
		    size_t wlen)
{
	size_t n = 0;

	if (write(fd, word, strlen(word)) != (ssize_t)strlen(word)) {
		snprintf(why, wlen, "%s", strerror(errno));
		return -1;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, (int)left_ms(deadline)) != 1) {
			snprintf(why, wlen, "no answer in time");
			return -1;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			snprintf(why, wlen, "%s", strerror(errno));
			return -1;
		}
		if (r == 0 || (n += (size_t)r) == cap - 1)
			break;
	}
	buf[n] = '\0';
	return 0;
}

/* The value after "key: " on its own line of text, trimmed; NULL if absent. */
static char *line_value(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			const char *v = p + klen + 1, *end;

			while (*v == ' ')
				v++;
			end = strchr(v, '\n');
			if (end == NULL)
				end = v + strlen(v);
			while (end > v && (end[-1] == '\r' || end[-1] == ' '))
				end--;
			return xstrndup(v, (size_t)(end - v));
		}
	}
	return NULL;
}

static void add_value(cJSON *obj, const char *name, const char *text, const char *key)
{
	cleanup_free char *v = line_value(text, key);

	if (v != NULL)
		cJSON_AddStringToObject(obj, name, v);
}

static cJSON *probe_server(const char *server, int timeout_ms)
{
	cJSON *obj = cJSON_CreateObject();
	cleanup_free char *host = NULL;
	const char *port = "2181";
	char why[256] = "", *colon;
	char *buf;
	int64_t deadline = zks_now_ms() + timeout_ms;
	int fd;

	cJSON_AddStringToObject(obj, "server", server);
	/* "host:port", "[v6]:port", or "host" (ZooKeeper's default port). */
	if (server[0] == '[') {
		const char *close = strchr(server, ']');

		host = xstrndup(server + 1,
				close ? (size_t)(close - server - 1) : strlen(server + 1));
		if (close && close[1] == ':')
			port = close + 2;
	} else {
		host = xstrdup(server);
		colon = strrchr(host, ':');
		if (colon != NULL) {
			*colon = '\0';
			port = server + (colon - host) + 1;
		}
	}
	fd = connect_to(host, port, deadline, why, sizeof(why));
	if (fd < 0) {
		cJSON_AddBoolToObject(obj, "reachable", false);
		cJSON_AddBoolToObject(obj, "srvr", false);
		cJSON_AddStringToObject(obj, "error", why);
		return obj;
	}
	buf = xmalloc(SRVR_MAX);
	if (ask_word(fd, "srvr", deadline, buf, SRVR_MAX, why, sizeof(why)) < 0) {
		cJSON_AddBoolToObject(obj, "reachable", true);
		cJSON_AddBoolToObject(obj, "srvr", false);
		cJSON_AddStringToObject(obj, "error", why);
	} else if (strstr(buf, "Zookeeper version:") == NULL) {
		/* "srvr is not executed because it is not in the whitelist." */
		char *nl = strchr(buf, '\n');

		if (nl)
			*nl = '\0';
		cJSON_AddBoolToObject(obj, "reachable", true);
		cJSON_AddBoolToObject(obj, "srvr", false);
		cJSON_AddStringToObject(obj, "error", buf[0] ? buf : "no answer to srvr");
	} else {
		cleanup_free char *count = line_value(buf, "Node count");

		cJSON_AddBoolToObject(obj, "reachable", true);
		cJSON_AddBoolToObject(obj, "srvr", true);
		add_value(obj, "version", buf, "Zookeeper version");
		add_value(obj, "mode", buf, "Mode");
		if (count != NULL)
			cJSON_AddNumberToObject(obj, "node_count", strtod(count, NULL));
		add_value(obj, "latency", buf, "Latency min/avg/max");
		add_value(obj, "zxid", buf, "Zxid");
		add_value(obj, "connections", buf, "Connections");
	}
	free(buf);
	close(fd);
	return obj;
}

cJSON *zks_srvr_probe(const char *hosts, int timeout_ms)
{
	cJSON *arr = cJSON_CreateArray();
	cleanup_free char *copy = xstrdup(hosts);
	char *save = NULL;

	for (char *s = strtok_r(copy, ",", &save); s != NULL; s = strtok_r(NULL, ",", &save)) {
		while (*s == ' ')
			s++;
		if (*s)
			cJSON_AddItemToArray(arr, probe_server(s, timeout_ms));
	}
	return arr;
}
