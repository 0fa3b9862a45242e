#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "understudy/run.h"
#include "check_main.h"

static enum run_status
sh(const char *script, struct buf *out, struct buf *err, int timeout_ms, struct run_result *r)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	struct run_cmd c = { .argv = argv, .out = out, .err = err, .timeout_ms = timeout_ms };

	return run(&c, r);
}

START_TEST(captures_both_streams_and_status)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct run_result r;

	ck_assert_int_eq(sh("echo out; echo err >&2; exit 3", &out, &err, 5000, &r), RUN_EXITED);
	ck_assert_int_eq(r.exit_code, 3);
	ck_assert_str_eq(buf_str(&out), "out\n");
	ck_assert_str_eq(buf_str(&err), "err\n");
	buf_free(&out);
	buf_free(&err);
}
END_TEST

START_TEST(argv_is_not_a_shell)
{
	const char *argv[] = { "echo", "$(id)", ";", "rm", "-rf", "/", NULL };
	struct buf out = BUF_INIT;
	struct run_cmd c = { .argv = argv, .out = &out };
	struct run_result r;

	ck_assert_int_eq(run(&c, &r), RUN_EXITED);
	ck_assert_str_eq(buf_str(&out), "$(id) ; rm -rf /\n");
	buf_free(&out);
}
END_TEST

START_TEST(not_found)
{
	const char *argv[] = { "/nonexistent/prog", NULL };
	const char *argv2[] = { "no-such-program-understudy", NULL };
	struct run_cmd c = { .argv = argv };
	struct run_result r;
	char what[128];

	ck_assert_int_eq(run(&c, &r), RUN_NOT_FOUND);
	c.argv = argv2;
	ck_assert_int_eq(run(&c, &r), RUN_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(run_describe(&r, what, sizeof(what)), "not found"));
}
END_TEST

/* A killed grandchild may linger as a zombie if PID 1 does not reap. */
static int
alive(int pid)
{
	char path[64], stat[256];
	FILE *fp;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	ok = fgets(stat, sizeof(stat), fp) != NULL && strstr(stat, ") Z ") == NULL;
	fclose(fp);
	return ok;
}

START_TEST(timeout_kills_the_group)
{
	char script[256], pidfile[] = "/tmp/us-run-XXXXXX";
	struct run_result r;
	FILE *fp;
	int fd = mkstemp(pidfile), pid = 0;

	close(fd);
	snprintf(script, sizeof(script), "sleep 100 & echo $! > %s; sleep 100", pidfile);
	ck_assert_int_eq(sh(script, NULL, NULL, 300, &r), RUN_TIMEOUT);
	ck_assert_int_lt(r.elapsed_ms, 3000);
	fp = fopen(pidfile, "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fscanf(fp, "%d", &pid), 1);
	fclose(fp);
	unlink(pidfile);
	usleep(100000);
	ck_assert_msg(!alive(pid), "grandchild %d survived", pid);
}
END_TEST

START_TEST(term_ignored_then_killed)
{
	struct run_result r;

	ck_assert_int_eq(sh("trap '' TERM; sleep 100", NULL, NULL, 200, &r), RUN_TIMEOUT);
	ck_assert_int_lt(r.elapsed_ms, 5000);
}
END_TEST

START_TEST(feeds_stdin)
{
	const char *argv[] = { "cat", NULL };
	static char big[300000];
	struct buf out = BUF_INIT;
	struct run_cmd c = { .argv = argv, .out = &out, .input = big, .input_len = sizeof(big) };
	struct run_result r;

	memset(big, 'z', sizeof(big));
	ck_assert_int_eq(run(&c, &r), RUN_EXITED);
	ck_assert_uint_eq(out.len, sizeof(big));
	ck_assert_int_eq(memcmp(out.data, big, sizeof(big)), 0);
	buf_free(&out);
}
END_TEST

START_TEST(explicit_environment)
{
	const char *argv[] = { "env", NULL };
	const char *envp[] = { "ONLY=this", NULL };
	struct buf out = BUF_INIT;
	struct run_cmd c = { .argv = argv, .envp = envp, .out = &out };
	struct run_result r;

	ck_assert_int_eq(run(&c, &r), RUN_EXITED);
	ck_assert_str_eq(buf_str(&out), "ONLY=this\n");
	buf_free(&out);
}
END_TEST

START_TEST(no_fd_leaks)
{
	struct buf out = BUF_INIT;
	struct run_result r;
	char script[128];
	int fd = open("/dev/null", O_RDONLY);	/* deliberately not O_CLOEXEC */

	ck_assert_int_ge(fd, 3);
	snprintf(script, sizeof(script), "test -e /proc/$$/fd/%d && echo leaked || echo clean", fd);
	ck_assert_int_eq(sh(script, &out, NULL, 5000, &r), RUN_EXITED);
	ck_assert_str_eq(buf_str(&out), "clean\n");
	close(fd);
	buf_free(&out);
}
END_TEST

START_TEST(signaled)
{
	struct run_result r;
	char what[128];

	ck_assert_int_eq(sh("kill -9 $$", NULL, NULL, 5000, &r), RUN_SIGNALED);
	ck_assert_int_eq(r.term_signal, SIGKILL);
	ck_assert_ptr_nonnull(strstr(run_describe(&r, what, sizeof(what)), "signal 9"));
}
END_TEST

START_TEST(merge_stderr)
{
	const char *argv[] = { "sh", "-c", "echo a; echo b >&2", NULL };
	struct buf out = BUF_INIT;
	struct run_cmd c = { .argv = argv, .out = &out, .merge_stderr = 1 };
	struct run_result r;

	ck_assert_int_eq(run(&c, &r), RUN_EXITED);
	ck_assert_str_eq(buf_str(&out), "a\nb\n");
	buf_free(&out);
}
END_TEST

START_TEST(run_as_user)
{
	const char *argv[] = { "id", "-un", NULL };
	struct buf out = BUF_INIT;
	struct run_cmd c = { .argv = argv, .out = &out, .run_as = "nobody" };
	struct run_result r;

	if (geteuid() != 0) {
		printf("run_as_user: skipped: needs root\n");
		return;
	}
	ck_assert_int_eq(run(&c, &r), RUN_EXITED);
	ck_assert_str_eq(buf_str(&out), "nobody\n");
	c.run_as = "no-such-user-understudy";
	ck_assert_int_eq(run(&c, &r), RUN_NO_USER);
	buf_free(&out);
}
END_TEST

START_TEST(daemonized_grandchild_does_not_hang)
{
	struct run_result r;

	ck_assert_int_eq(sh("(sleep 3 &) ; echo done", NULL, NULL, 0, &r), RUN_EXITED);
	ck_assert_int_lt(r.elapsed_ms, 2000);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, captures_both_streams_and_status);
	tcase_add_test(tc, argv_is_not_a_shell);
	tcase_add_test(tc, not_found);
	tcase_add_test(tc, timeout_kills_the_group);
	tcase_add_test(tc, term_ignored_then_killed);
	tcase_add_test(tc, feeds_stdin);
	tcase_add_test(tc, explicit_environment);
	tcase_add_test(tc, no_fd_leaks);
	tcase_add_test(tc, signaled);
	tcase_add_test(tc, merge_stderr);
	tcase_add_test(tc, run_as_user);
	tcase_add_test(tc, daemonized_grandchild_does_not_hang);
	suite_add_tcase(s, tc);
	return s;
}
