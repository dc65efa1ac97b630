/*
 * test_ctl_resolve.c - `zkswarmctl resolve` (src/ctl/resolve.c) over name and endpoint
 * records in the in-memory store: A by name and alias, PTR from an address, SRV from an
 * `_`-name, the type forced, the scope of --network, DNS_DOMAIN from the environment, and
 * the exit code and --json document of a name that is not there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "zkswarm/ctl.h"
#include "zkswarm/records.h"
#include "zkswarm/util.h"

struct fixture {
	struct zks_mem_backend *b;
	struct ctl_cluster c;
};

static void put(struct zks_store *s, const char *path, const char *data)
{
	struct zks_error err;

	if (store_create(s, path, data, strlen(data), ZKS_PERSISTENT, &err) < 0)
		assert_ok(store_set(s, path, data, strlen(data), -1, &err), &err);
}

/* Network front (10.9.0.0/24): web-1 (alias web, port 80/tcp) at 10.9.0.7. */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct zks_store *s;

	f->b = zks_mem_backend_new();
	s = f->c.store = zks_store_mem_new(f->b);
	put(s, "/networks/front",
	    "{\"key\":\"front\",\"subnet\":\"10.9.0.0/24\",\"vni\":7,\"mtu\":1450}");
	put(s, "/networks/front/endpoints", "");
	put(s, "/networks/front/endpoints/e1",
	    "{\"node\":\"n1\",\"address\":\"10.9.0.7/24\",\"mac\":\"02:00:00:00:00:07\"}");
	put(s, "/names/front", "");
	put(s, "/names/front/e1",
	    "{\"name\":\"web-1\",\"aliases\":[\"web\"],\"endpoint\":\"e1\",\"node\":\"n1\","
	    "\"address\":\"10.9.0.7/24\",\"ports\":[{\"port\":80,\"proto\":\"tcp\"}]}");
	unsetenv("DNS_DOMAIN");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_destroy(f->c.store);
	zks_mem_backend_free(f->b);
	free(f);
	unsetenv("DNS_DOMAIN");
	return 0;
}

/* What ctl_cmd_resolve printed on stdout (to free); its exit code in *rc. */
static char *run(struct fixture *f, const struct ctl_opts *o, const char *name, int *rc)
{
	char path[] = "/tmp/test_ctl_resolve.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
	char *out = NULL;
	size_t len;
	struct zks_error err = {0};

	assert_true(fd >= 0 && saved >= 0);
	fflush(stdout);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	*rc = ctl_cmd_resolve(&f->c, o, name);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	close(fd);
	assert_ok(zks_read_file(path, 1 << 20, &out, &len, &err), &err);
	unlink(path);
	return out;
}

static void expect(struct fixture *f, const struct ctl_opts *o, const char *name, int want_rc,
		   const char *line)
{
	int rc;
	cleanup_free char *out = run(f, o, name, &rc);

	if (rc != want_rc)
		fail_msg("resolve %s: exit %d, want %d; printed:\n%s", name, rc, want_rc, out);
	if (line != NULL)
		assert_contains(out, line);
	else
		assert_string_equal(out, "");
}

static void test_types(void **state)
{
	struct fixture *f = *state;
	struct ctl_opts o = {0};

	expect(f, &o, "web", 0, "web   A     10.9.0.7\n");
	expect(f, &o, "WEB-1.front.zkswarm.", 0, "WEB-1.front.zkswarm.  A     10.9.0.7\n");
	expect(f, &o, "10.9.0.7", 0, "7.0.9.10.in-addr.arpa.  PTR   web-1.front.zkswarm.\n");
	expect(f, &o, "_80._tcp.web.zkswarm.", 0, "SRV   80 web-1.front.zkswarm.\n");
	/* The type forced: SRV of a plain name has none. */
	o.type = "srv";
	expect(f, &o, "web", 1, NULL);
}

static void test_absent_and_scope(void **state)
{
	struct fixture *f = *state;
	struct ctl_opts o = {.json = true};
	int rc;
	cleanup_free char *out = run(f, &o, "nope.zkswarm.", &rc);
	cJSON *doc = cJSON_Parse(out);

	assert_int_equal(rc, CTL_EXIT_PROBLEM);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "outcome")), "nxdomain");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "answers")), 0);
	cJSON_Delete(doc);
	/* Outside the zone; and within another network's scope, not ours. */
	o.json = false;
	expect(f, &o, "example.com", 1, NULL);
	o.network = "back";
	expect(f, &o, "web", 1, NULL);
	o.network = "front";
	expect(f, &o, "web", 0, "10.9.0.7");
}

static void test_domain_from_the_environment(void **state)
{
	struct fixture *f = *state;
	struct ctl_opts o = {0};

	setenv("DNS_DOMAIN", "cluster.example.", 1);
	expect(f, &o, "web.cluster.example", 0, "10.9.0.7");
	expect(f, &o, "web.zkswarm", 1, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_and_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domain_from_the_environment, setup, teardown),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
