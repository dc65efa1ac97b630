/*
 * test_plugin_name.c - the name the plugin is installed under (plugin_name.h): the plugin's ID
 * from mountinfo (a managed plugin's root mount, and lines that only look like one), the name
 * the engine lists (tag and registry kept: a network driver is named with its tag; unusable
 * names refused), PLUGIN_NAME set (not learned over), and the default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zkswarm/plugin_name.h"
#include "zkswarm/util.h"

#define ID "b36e9787f1d9af51d119efadc932a2e27eb7bc796dd7634932648c5420d57726"

/* Lines as a managed plugin's /proc/self/mountinfo has them (Engine 20.10, this machine). */
static const char plugin_mounts[] =
	"143 152 254:0 /var/lib/docker/plugins/" ID "/rootfs / rw,relatime - ext4 /dev/vda rw\n"
	"145 143 0:39 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
	"146 143 0:41 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n";

static void test_id_from_mountinfo(void **state)
{
	char id[ZKS_PLUGIN_ID_LEN + 1];

	(void)state;
	assert_int_equal(zks_plugin_id_from_mountinfo(plugin_mounts, id), 0);
	assert_string_equal(id, ID);
	/* The root mount anywhere in the text, the engine's root on a file system of its own. */
	assert_int_equal(zks_plugin_id_from_mountinfo("22 1 0:21 / /sys rw - sysfs sysfs rw\n"
						      "30 1 8:3 /plugins/" ID
						      "/rootfs / rw - xfs /dev/sda3 rw",
						      id),
			 0);
	assert_string_equal(id, ID);
}

static void test_not_a_plugin(void **state)
{
	static const char *const texts[] = {
		"",
		"\n\n",
		/* a host's root mount */
		"1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n",
		/* the plugin's rootfs, but not mounted at / */
		"143 152 254:0 /var/lib/docker/plugins/" ID "/rootfs /mnt rw - ext4 /dev/vda rw\n",
		/* an ID too short, too long, upper-case, not hex */
		"1 0 8:1 /plugins/b36e9787f1d9af51d119efadc932a2e27eb7bc796dd7634932648c5420d5772/"
		"rootfs / rw - ext4 /dev/vda rw\n",
		"1 0 8:1 /plugins/0" ID "/rootfs / rw - ext4 /dev/vda rw\n",
		"1 0 8:1 /plugins/B36E9787F1D9AF51D119EFADC932A2E27EB7BC796DD7634932648C5420D57726/"
		"rootfs / rw - ext4 /dev/vda rw\n",
		"1 0 8:1 /plugins/g36e9787f1d9af51d119efadc932a2e27eb7bc796dd7634932648c5420d57726/"
		"rootfs / rw - ext4 /dev/vda rw\n",
		/* not below plugins/, not rootfs */
		"1 0 8:1 /volumes/" ID "/rootfs / rw - ext4 /dev/vda rw\n",
		"1 0 8:1 /plugins/" ID "/rootfs2 / rw - ext4 /dev/vda rw\n",
		/* cut short */
		"143 152 254:0 /var/lib/docker/plugins/" ID "/rootfs",
		"143 152",
	};
	char id[ZKS_PLUGIN_ID_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		assert_int_equal(zks_plugin_id_from_mountinfo(texts[i], id), -1);
}

static void test_learned(void **state)
{
	struct zks_plugin_name *p = zks_plugin_name_new("");
	char out[ZKS_PLUGIN_NAME_MAX];
	char *long_name = xcalloc(1, ZKS_PLUGIN_NAME_MAX + 8);

	(void)state;
	assert_true(zks_plugin_name_wanted(p));
	assert_string_equal(zks_plugin_name_get(p, out), "zkswarm");
	assert_true(zks_plugin_name_learn(p, "zkswarm26:latest"));
	assert_false(zks_plugin_name_wanted(p));
	assert_string_equal(zks_plugin_name_get(p, out), "zkswarm26:latest");
	assert_true(zks_plugin_name_learn(p, "registry.example/zkswarm:1.2"));
	assert_string_equal(zks_plugin_name_get(p, out), "registry.example/zkswarm:1.2");
	/* Unusable: the name before stays. */
	assert_false(zks_plugin_name_learn(p, ""));
	assert_false(zks_plugin_name_learn(p, "two words"));
	assert_false(zks_plugin_name_learn(p, "tab\there"));
	assert_false(zks_plugin_name_learn(p, NULL));
	memset(long_name, 'a', ZKS_PLUGIN_NAME_MAX);
	assert_false(zks_plugin_name_learn(p, long_name));
	assert_string_equal(zks_plugin_name_get(p, out), "registry.example/zkswarm:1.2");
	free(long_name);
	zks_plugin_name_free(p);
}

static void test_set_and_default(void **state)
{
	struct zks_plugin_name *p = zks_plugin_name_new("mine:2");
	char out[ZKS_PLUGIN_NAME_MAX];

	(void)state;
	assert_false(zks_plugin_name_wanted(p)); /* PLUGIN_NAME: not asked of the engine */
	assert_string_equal(zks_plugin_name_get(p, out), "mine:2");
	zks_plugin_name_free(p);
	p = zks_plugin_name_new(NULL);
	assert_true(zks_plugin_name_wanted(p));
	zks_plugin_name_free(p);
	assert_string_equal(zks_plugin_name_get(NULL, out), "zkswarm");
	zks_plugin_name_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_from_mountinfo),
		cmocka_unit_test(test_not_a_plugin),
		cmocka_unit_test(test_learned),
		cmocka_unit_test(test_set_and_default),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
