/*
 * nodes.c - this node's registration (/nodes/NODE, ephemeral): its tunnel
 * address, by which the other nodes' reconcilers reach its endpoints, made
 * again in every new session.
 */
#include <arpa/inet.h>
#include <string.h>

#include "network_state.h"
#include "zkswarm/log.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

static char *node_encode(const struct zks_networks *n, const char *addr)
{
	char at[32];
	struct zks_record_node rec = {.address = (char *)addr,
				      .instance = (char *)n->instance,
				      .started_at = at,
				      .version = ZKSWARM_VERSION,
				      .layout = ZKS_LAYOUT};

	zks_rfc3339_now(at);
	return zks_record_node_encode(&rec);
}

/*
 * Create the registration, or take it over from an earlier session of ours (or, wrongly
 * configured, another daemon with our NODE_ID): true once it is this session's.
 */
static bool register_once(struct zks_networks *n, int64_t session_id, const char *path,
			  const char *text, const char *addr, struct zks_error *err)
{
	cleanup_free char *old = NULL;
	struct zks_stat st;

	if (store_create(n->store, path, text, strlen(text), ZKS_EPHEMERAL, err) == 0)
		return true;
	if (err->code != ZKS_ERR_EXISTS || store_get(n->store, path, &old, NULL, &st, err) < 0)
		return false;
	if (st.owner == session_id)
		return true;
	/* An earlier session of ours, or a second daemon with our NODE_ID: say which. */
	if (addr[0] && strstr(old, addr) == NULL)
		log_warn("nodes: NODE_ID `%s` was registered from another address (%s); every "
			 "node needs its own NODE_ID",
			 n->node_id, old);
	{
		struct zks_op ops[] = {
			{.type = ZKS_OP_DELETE, .path = path, .version = st.version},
			{.type = ZKS_OP_CREATE,
			 .path = path,
			 .data = text,
			 .len = strlen(text),
			 .kind = ZKS_EPHEMERAL},
		};

		return store_multi(n->store, ops, ARRAY_SIZE(ops), err) == 0;
	}
}

void network_register_node(void *ctx, int64_t session_id)
{
	struct zks_networks *n = ctx;
	cleanup_free char *path = zks_path_node(n->node_id);
	cleanup_free char *text = NULL;
	char addr[INET_ADDRSTRLEN] = "";
	struct zks_error err = {0};
	bool registered = false;

	if (n->tunnel.s_addr)
		inet_ntop(AF_INET, &n->tunnel, addr, sizeof(addr));
	text = node_encode(n, addr);
	for (int attempt = 0; attempt < 4 && !registered; attempt++)
		registered = register_once(n, session_id, path, text, addr, &err);
	if (!registered)
		log_warn("nodes: cannot register `%s`: %s", n->node_id, err.msg);
	network_wake(n);
}
