/*
 * plugin_name.c - the name the plugin is installed under (plugin_name.h).  One lock, p->lock,
 * a leaf.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "zkswarm/plugin_name.h"
#include "zkswarm/util.h"

struct zks_plugin_name {
	pthread_mutex_t lock;
	char *name; /* NULL: not set nor learned */
};

static bool usable(const char *s, size_t len)
{
	if (len == 0 || len >= ZKS_PLUGIN_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isgraph((unsigned char)s[i]))
			return false;
	return true;
}

struct zks_plugin_name *zks_plugin_name_new(const char *configured)
{
	struct zks_plugin_name *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	if (configured != NULL && usable(configured, strlen(configured)))
		p->name = xstrdup(configured);
	return p;
}

void zks_plugin_name_free(struct zks_plugin_name *p)
{
	if (p == NULL)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->name);
	free(p);
}

bool zks_plugin_name_wanted(struct zks_plugin_name *p)
{
	bool wanted;

	pthread_mutex_lock(&p->lock);
	wanted = p->name == NULL;
	pthread_mutex_unlock(&p->lock);
	return wanted;
}

bool zks_plugin_name_learn(struct zks_plugin_name *p, const char *listed)
{
	if (listed == NULL || !usable(listed, strlen(listed)))
		return false;
	pthread_mutex_lock(&p->lock);
	free(p->name);
	p->name = xstrdup(listed);
	pthread_mutex_unlock(&p->lock);
	return true;
}

const char *zks_plugin_name_get(struct zks_plugin_name *p, char out[ZKS_PLUGIN_NAME_MAX])
{
	strcpy(out, ZKS_PLUGIN_NAME_DEFAULT);
	if (p == NULL)
		return out;
	pthread_mutex_lock(&p->lock);
	if (p->name != NULL)
		strcpy(out, p->name); /* shorter than ZKS_PLUGIN_NAME_MAX: usable() */
	pthread_mutex_unlock(&p->lock);
	return out;
}

/* The ID in a root path ending /plugins/<ID>/rootfs, or false. */
static bool id_of_root(const char *root, size_t len, char id[ZKS_PLUGIN_ID_LEN + 1])
{
	static const char tail[] = "/rootfs", head[] = "/plugins/";
	size_t nt = sizeof(tail) - 1, nh = sizeof(head) - 1;
	const char *start;

	if (len < nh + ZKS_PLUGIN_ID_LEN + nt || memcmp(root + len - nt, tail, nt) != 0)
		return false;
	start = root + len - nt - ZKS_PLUGIN_ID_LEN;
	if (memcmp(start - nh, head, nh) != 0)
		return false;
	for (size_t i = 0; i < ZKS_PLUGIN_ID_LEN; i++)
		if (!isxdigit((unsigned char)start[i]) || isupper((unsigned char)start[i]))
			return false;
	memcpy(id, start, ZKS_PLUGIN_ID_LEN);
	id[ZKS_PLUGIN_ID_LEN] = '\0';
	return true;
}

int zks_plugin_id_from_mountinfo(const char *text, char id[ZKS_PLUGIN_ID_LEN + 1])
{
	/* Each line: ID PARENT MAJ:MIN ROOT MOUNTPOINT ...; the root mount's MOUNTPOINT is "/". */
	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *end = strchr(line, '\n'), *f = line;
		const char *fields[5];
		size_t lens[5], nf = 0;

		if (end == NULL)
			end = line + strlen(line);
		while (nf < 5 && f < end) {
			size_t n;

			while (f < end && *f == ' ')
				f++;
			n = strcspn(f, " \n");
			if (f + n > end)
				n = (size_t)(end - f);
			fields[nf] = f;
			lens[nf++] = n;
			f += n;
		}
		if (nf == 5 && lens[4] == 1 && fields[4][0] == '/' &&
		    id_of_root(fields[3], lens[3], id))
			return 0;
		line = *end != '\0' ? end + 1 : end;
	}
	return -1;
}
