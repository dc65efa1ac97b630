/*
 * fakes.h - the kernel as the tests give it to the services: a fake
 * filesystem (struct zks_fs, here) and a fake network (struct zks_net,
 * fakes_net.h), one set for the unit tests and the fuzz target.  The unit
 * tests read the calls a fake records and make the next call fail; the fuzz
 * target has the fakes check that every request is one the kernel would take.
 * Nothing here uses cmocka: the fuzz target links these without it.
 */
#ifndef ZKSWARM_TEST_FAKES_H
#define ZKSWARM_TEST_FAKES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "zkswarm/error.h"
#include "zkswarm/fs.h"

/* ---- checks --------------------------------------------------------------------------------- */

/*
 * Once a test sets fake_violation, the fakes check what they are asked as the
 * kernel would (link names, VNIs, MTUs, MACs, addresses; a fake filesystem
 * with its roots set: every path is <root>/<one component>) and report a
 * breach to it.  rule names a check that an open bug breaks (so that
 * ZKS_TEST_SKIP can turn it off; its regression case bears the name), NULL
 * for the others.  If the hook returns, the fake goes on as if all were well.
 */
typedef void fake_violation_fn(const char *rule, const char *msg);
extern fake_violation_fn *fake_violation;

/* ---- fake filesystem ----------------------------------------------------------------------- */

enum fake_op {
	FAKE_PREPARE_DIR,
	FAKE_REMOVE_DIR,
	FAKE_BIND,
	FAKE_UNBIND,
	FAKE_IMAGE_CREATE,
	FAKE_IMAGE_MOUNT,
	FAKE_IMAGE_UNMOUNT,
	FAKE_FENCE,
	FAKE_IMAGE_COPY,
	FAKE_REMOVE_FILE,
};

struct fake_call {
	enum fake_op op;
	char *path;   /* directory (prepare/remove), bind source, unbind target */
	char *target; /* bind target; image_copy: the copy */
	bool readonly;
	unsigned long long size; /* image_create; image_copy: the source's */
	enum zks_fence_op fence; /* fence */
	uid_t uid;
	gid_t gid;
	mode_t mode;
	bool failed; /* the call was made to fail */
};

struct fake_fs {
	struct zks_fs base; /* first: the core sees only this */
	struct fake_call *calls;
	size_t ncalls;
	char **mounted; /* targets currently bound, in bind order */
	size_t nmounted;
	/* Make the next call of that kind fail with ZKS_ERR_SYSTEM (one shot). */
	bool fail_next_prepare_dir;
	bool fail_next_bind;
	bool fail_next_unbind;
	bool fail_next_image_create;
	bool fail_next_image_mount;
	bool fail_next_image_copy;
	/* Images made (their paths), and the fence each mounted target is in (by target). */
	char **images;
	size_t nimages;
	/* Small files (write_file/read_file): paths and contents, side by side. */
	char **file_paths;
	char **file_data;
	size_t nfiles;
	/* Set after init.  The roots paths are checked against (NULL: unchecked); forget_calls:
	 * keep the last call only (a long fuzz run would grow the log without bound). */
	const char *data_dir;
	const char *mount_root;
	bool forget_calls;
};

void fake_fs_init(struct fake_fs *fs);
void fake_fs_fini(struct fake_fs *fs);
size_t fake_fs_count(const struct fake_fs *fs, enum fake_op op);
/* The last call of that kind, NULL if none. */
const struct fake_call *fake_fs_last(const struct fake_fs *fs, enum fake_op op);
bool fake_fs_mounted(const struct fake_fs *fs, const char *target);
bool fake_fs_has_image(const struct fake_fs *fs, const char *path);
/* The content written at path, NULL if none. */
const char *fake_fs_file(const struct fake_fs *fs, const char *path);
/* The fence operations on target, in order, as "freeze,thaw,..." (static buffer). */
const char *fake_fs_fences(const struct fake_fs *fs, const char *target);
/* Report path unless it is <data_dir>/<name> (if data) or <mount_root>/<name> (if mount). */
void fake_fs_check_path(const struct fake_fs *fs, const char *path, bool data, bool mount);

#endif
