/*
 * probe.c - ZooKeeper's servers through the `srvr` four-letter word, and the
 * local daemon through its unix socket.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zkswarm/ctl_probe.h"
#include "zkswarm/srvr.h"
#include "zkswarm/util.h"

#define REPLY_MAX (4u << 20)

cJSON *ctl_probe_servers(const char *hosts, int timeout_ms)
{
	return zks_srvr_probe(hosts, timeout_ms);
}

/* ---- the daemon ------------------------------------------------------------------------------ */

struct reply {
	char *data;
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct reply *r = ctx;
	size_t n = size * nmemb;

	if (r->len + n > REPLY_MAX)
		return 0; /* a reply this large is not the daemon's: abort */
	r->data = xrealloc(r->data, r->len + n + 1);
	memcpy(r->data + r->len, ptr, n);
	r->len += n;
	r->data[r->len] = '\0';
	return n;
}

cJSON *ctl_daemon_call(const char *socket, const char *endpoint, const char *body, int timeout_ms,
		       double *seconds, char *why, size_t wlen)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	struct reply r = {0};
	char url[256];
	long code = 0;
	CURLcode rc;
	cJSON *doc = NULL;

	if (curl == NULL) {
		snprintf(why, wlen, "cannot start libcurl");
		return NULL;
	}
	snprintf(url, sizeof(url), "http://zkswarm/%s", endpoint);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "Accept: application/vnd.docker.plugins.v1.2+json");
	curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		snprintf(why, wlen, "%s", curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
		if (seconds)
			curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, seconds);
		doc = r.data ? cJSON_Parse(r.data) : NULL;
		if (code != 200 || !cJSON_IsObject(doc)) {
			const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "Err");

			if (cJSON_IsString(e) && e->valuestring[0])
				snprintf(why, wlen, "%s", e->valuestring);
			else
				snprintf(why, wlen, "%s: HTTP %ld", endpoint, code);
			cJSON_Delete(doc);
			doc = NULL;
		}
	}
	free(r.data);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return doc;
}

cJSON *ctl_probe_daemon(const char *socket, int timeout_ms)
{
	cJSON *obj = cJSON_CreateObject(), *activate, *list, *get = NULL;
	const cJSON *impl, *vols, *first, *status;
	char why[512] = "";
	double secs = 0;

	cJSON_AddStringToObject(obj, "socket", socket);
	activate = ctl_daemon_call(socket, "Plugin.Activate", "{}", timeout_ms, &secs, why,
				   sizeof(why));
	if (activate == NULL) {
		cJSON_AddBoolToObject(obj, "answered", false);
		cJSON_AddStringToObject(obj, "error", why);
		return obj;
	}
	cJSON_AddBoolToObject(obj, "answered", true);
	cJSON_AddNumberToObject(obj, "round_trip_ms", (double)(long)(secs * 10000.0 + 0.5) / 10.0);
	impl = cJSON_GetObjectItemCaseSensitive(activate, "Implements");
	if (cJSON_IsArray(impl))
		cJSON_AddItemToObject(obj, "implements", cJSON_Duplicate(impl, true));
	cJSON_Delete(activate);

	list = ctl_daemon_call(socket, "VolumeDriver.List", "{}", timeout_ms, NULL, why,
			       sizeof(why));
	vols = cJSON_GetObjectItemCaseSensitive(list, "Volumes");
	if (!cJSON_IsArray(vols)) {
		cJSON_AddStringToObject(obj, "error",
					why[0] ? why : "VolumeDriver.List: no Volumes");
		cJSON_Delete(list);
		return obj;
	}
	cJSON_AddNumberToObject(obj, "volumes", cJSON_GetArraySize(vols));
	/* Only a volume's Status carries the daemon's ZooKeeper state. */
	first = cJSON_GetArrayItem(vols, 0);
	if (first != NULL && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(first, "Name"))) {
		cJSON *req = cJSON_CreateObject();
		cleanup_free char *body = NULL;

		cJSON_AddStringToObject(
			req, "Name", cJSON_GetObjectItemCaseSensitive(first, "Name")->valuestring);
		body = cJSON_PrintUnformatted(req);
		cJSON_Delete(req);
		get = ctl_daemon_call(socket, "VolumeDriver.Get", body, timeout_ms, NULL, why,
				      sizeof(why));
	}
	status = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(get, "Volume"),
						  "Status");
	if (cJSON_IsObject(status)) {
		const cJSON *zk = cJSON_GetObjectItemCaseSensitive(status, "zookeeper");

		if (cJSON_IsString(zk))
			cJSON_AddStringToObject(obj, "zookeeper", zk->valuestring);
		cJSON_AddBoolToObject(obj, "stale",
				      cJSON_IsTrue(
					      cJSON_GetObjectItemCaseSensitive(status, "stale")));
		cJSON_AddBoolToObject(obj, "fenced",
				      cJSON_GetObjectItemCaseSensitive(status, "leases") != NULL);
	}
	cJSON_Delete(get);
	cJSON_Delete(list);
	return obj;
}
