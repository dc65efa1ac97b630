/*
 * test_log.c - the log's lines (log.h): one line per event with its level, newlines folded,
 * below the level nothing; split, info and debug on stdout and error and warn on stderr (the
 * engine files a plugin's stdout at level info, its stderr at level error); not split, all on
 * stderr.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "zkswarm/log.h"

/* stdout and stderr taken over by two pipes while a test logs. */
struct capture {
	int saved[2];
	int pipes[2][2];
	char text[2][4096];
};

static void capture_start(struct capture *c)
{
	fflush(stdout); /* cmocka's own lines stay out of the pipes */
	fflush(stderr);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pipe2(c->pipes[i], O_CLOEXEC | O_NONBLOCK), 0);
		c->saved[i] = dup(STDOUT_FILENO + i);
		assert_true(c->saved[i] >= 0);
		assert_true(dup2(c->pipes[i][1], STDOUT_FILENO + i) >= 0);
		close(c->pipes[i][1]);
	}
}

/* Restore both; what each pipe got, NUL-terminated, in c->text[0] (stdout), [1] (stderr). */
static void capture_end(struct capture *c)
{
	for (int i = 0; i < 2; i++) {
		ssize_t n;

		assert_true(dup2(c->saved[i], STDOUT_FILENO + i) >= 0);
		close(c->saved[i]);
		n = read(c->pipes[i][0], c->text[i], sizeof(c->text[i]) - 1);
		c->text[i][n > 0 ? n : 0] = '\0';
		close(c->pipes[i][0]);
	}
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static int teardown(void **state)
{
	(void)state;
	zks_log_split(false);
	zks_log_set_level(ZKS_LOG_ERROR);
	return 0;
}

static void log_all(void)
{
	log_error("an error %d", 1);
	log_warn("a warning");
	log_info("some news\nover two lines");
	log_debug("a detail");
}

static void test_split(void **state)
{
	struct capture c;

	(void)state;
	zks_log_set_level(ZKS_LOG_DEBUG);
	zks_log_split(true);
	capture_start(&c);
	log_all();
	capture_end(&c);
	assert_int_equal(count_lines(c.text[0]), 2);
	assert_non_null(strstr(c.text[0], "Z info  some news over two lines\n"));
	assert_non_null(strstr(c.text[0], "Z debug a detail\n"));
	assert_int_equal(count_lines(c.text[1]), 2);
	assert_non_null(strstr(c.text[1], "Z error an error 1\n"));
	assert_non_null(strstr(c.text[1], "Z warn  a warning\n"));
}

static void test_not_split(void **state)
{
	struct capture c;

	(void)state;
	zks_log_set_level(ZKS_LOG_INFO);
	capture_start(&c);
	log_all();
	capture_end(&c);
	assert_string_equal(c.text[0], "");
	assert_int_equal(count_lines(c.text[1]), 3); /* debug is below the level */
	assert_non_null(strstr(c.text[1], " info  some news over two lines\n"));
	assert_null(strstr(c.text[1], "a detail"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_split, teardown),
		cmocka_unit_test_teardown(test_not_split, teardown),
	};

	test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
