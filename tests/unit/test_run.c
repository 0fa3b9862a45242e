#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* The child's groups are the user's own, computed before fork (no NSS in
 * the child); none of the parent's supplementary groups survive. */
START_TEST(run_as_gets_the_users_groups)
{
	const char *argv[] = { "cat", "/proc/self/status", NULL };
	struct buf out = BUF_INIT;
	struct run_cmd c = { .argv = argv, .out = &out, .run_as = "nobody" };
	struct run_result r;
	struct passwd *pw;
	gid_t parent[] = { 0, 4, 27, 100 }, want[64];
	int nwant = 64, nseen = 0;
	const char *g;
	char line[64];

	if (geteuid() != 0) {
		printf("run_as_gets_the_users_groups: skipped: needs root\n");
		return;
	}
	ck_assert_ptr_nonnull(pw = getpwnam("nobody"));
	ck_assert_int_ne(getgrouplist("nobody", pw->pw_gid, want, &nwant), -1);
	ck_assert_int_eq(setgroups(4, parent), 0);	/* this test runs in its own fork */
	ck_assert_int_eq(run(&c, &r), RUN_EXITED);
	ck_assert_int_eq(r.exit_code, 0);
	snprintf(line, sizeof(line), "\nUid:\t%u\t%u\t%u\t%u\n", (unsigned)pw->pw_uid,
	    (unsigned)pw->pw_uid, (unsigned)pw->pw_uid, (unsigned)pw->pw_uid);
	ck_assert_msg(strstr(buf_str(&out), line) != NULL, "uid: %s", buf_str(&out));
	snprintf(line, sizeof(line), "\nGid:\t%u\t%u\t%u\t%u\n", (unsigned)pw->pw_gid,
	    (unsigned)pw->pw_gid, (unsigned)pw->pw_gid, (unsigned)pw->pw_gid);
	ck_assert_msg(strstr(buf_str(&out), line) != NULL, "gid: %s", buf_str(&out));
	ck_assert_ptr_nonnull(g = strstr(buf_str(&out), "\nGroups:"));
	for (g += 8; *g && *g != '\n'; ) {
		char *end;
		unsigned long v = strtoul(g, &end, 10);
		int found = 0;

		if (end == g) {
			g++;
			continue;
		}
		for (int i = 0; i < nwant; i++)
			found |= want[i] == (gid_t)v;
		ck_assert_msg(found, "child has group %lu, which nobody is not in", v);
		nseen++;
		g = end;
	}
	ck_assert_int_eq(nseen, nwant);
	buf_free(&out);
}
END_TEST

static long
maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* A child printing 100 MiB: the capture keeps BUF_CAPTURE_MAX, counts the
 * rest, and our memory does not follow the child's output. */
START_TEST(output_is_capped)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct run_result r;
	long before = maxrss_kb();
	size_t total = (size_t)100 << 20;

	ck_assert_int_eq(sh("head -c 104857600 /dev/zero; head -c 104857600 /dev/zero >&2",
	    &out, &err, 60000, &r), RUN_EXITED);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_uint_eq(out.len, BUF_CAPTURE_MAX);
	ck_assert_uint_eq(r.out_dropped, total - BUF_CAPTURE_MAX);
	ck_assert_uint_eq(r.err_dropped, total - BUF_CAPTURE_MAX);
	ck_assert_ptr_nonnull(strstr(err.data + BUF_CAPTURE_MAX, "more bytes discarded]"));
	ck_assert_msg(maxrss_kb() - before < 64 * 1024, "rss grew by %ld KiB",
	    maxrss_kb() - before);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

START_TEST(capture_max_is_per_command)
{
	const char *argv[] = { "sh", "-c", "echo 0123456789abcdef; echo 0123456789abcdef >&2",
	    NULL };
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct run_cmd c = { .argv = argv, .out = &out, .err = &err, .capture_max = 10 };
	struct run_result r;

	ck_assert_int_eq(run(&c, &r), RUN_EXITED);
	ck_assert_str_eq(buf_str(&out), "0123456789");
	ck_assert_uint_eq(r.out_dropped, 7);
	ck_assert_str_eq(buf_str(&err), "0123456789\n[7 more bytes discarded]\n");
	buf_reset(&out);
	buf_reset(&err);
	c.capture_max = 0;
	ck_assert_int_eq(run(&c, &r), RUN_EXITED);
	ck_assert_str_eq(buf_str(&out), "0123456789abcdef\n");
	ck_assert_str_eq(buf_str(&err), "0123456789abcdef\n");
	ck_assert_uint_eq(r.out_dropped + r.err_dropped, 0);
	buf_free(&out);
	buf_free(&err);
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
	tcase_add_test(tc, run_as_gets_the_users_groups);
	tcase_add_test(tc, output_is_capped);
	tcase_add_test(tc, capture_max_is_per_command);
	suite_add_tcase(s, tc);
	return s;
}
