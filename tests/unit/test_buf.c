#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "understudy/buf.h"
#include "check_main.h"

START_TEST(grows_and_terminates)
{
	struct buf b = BUF_INIT;

	ck_assert_str_eq(buf_str(&b), "");
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(buf_append(&b, "x", 1), 0);
	ck_assert_uint_eq(b.len, 10000);
	ck_assert_int_eq(b.data[b.len], '\0');
	buf_free(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(printf_and_reset)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s=%d", "a", 42);
	buf_printf(&b, " %s", "tail");
	ck_assert_str_eq(buf_str(&b), "a=42 tail");
	buf_reset(&b);
	ck_assert_str_eq(buf_str(&b), "");
	buf_free(&b);
}
END_TEST

START_TEST(binary_data)
{
	struct buf b = BUF_INIT;

	buf_append(&b, "a\0b", 3);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_int_eq(memcmp(b.data, "a\0b", 3), 0);
	buf_free(&b);
}
END_TEST

START_TEST(xml_escape)
{
	struct buf b = BUF_INIT;

	buf_xml_escape(&b, "<a href=\"x\">&'</a>");
	ck_assert_str_eq(buf_str(&b), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
	buf_free(&b);
}
END_TEST

START_TEST(steal_leaves_empty)
{
	struct buf b = BUF_INIT;
	char *s;

	s = buf_steal(&b);
	ck_assert_str_eq(s, "");
	free(s);
	buf_puts(&b, "owned");
	s = buf_steal(&b);
	ck_assert_str_eq(s, "owned");
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_null(b.data);
	free(s);
}
END_TEST

START_TEST(reserve_overflow_refused)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "abc");
	ck_assert_int_eq(buf_reserve(&b, (size_t)-2), -1);
	ck_assert_str_eq(buf_str(&b), "abc");
	buf_free(&b);
}
END_TEST

START_TEST(write_file_replaces_atomically)
{
	char dir[] = "/tmp/test-buf-XXXXXX", path[64], tmp[96];
	struct buf b = BUF_INIT, back = BUF_INIT;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	buf_puts(&b, "first");
	ck_assert_int_eq(buf_write_file(&b, path, 0640), 0);
	buf_reset(&b);
	buf_puts(&b, "second");
	ck_assert_int_eq(buf_write_file(&b, path, 0640), 0);
	ck_assert_int_eq(buf_read_file(&back, path, 100), 0);
	ck_assert_str_eq(buf_str(&back), "second");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0640);
	snprintf(tmp, sizeof(tmp), "%s/none/f", dir);
	ck_assert_int_eq(buf_write_file(&b, tmp, 0600), -1);	/* no such directory */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);		/* no temporary left */
	buf_free(&b);
	buf_free(&back);
}
END_TEST

/* The old temporary was "PATH.<pid>.tmp", opened with O_TRUNC and followed:
 * whoever could write the directory pointed it at a file of ours. */
START_TEST(write_file_ignores_planted_temporary)
{
	char dir[] = "/tmp/test-buf-XXXXXX", path[64], plant[96], victim[64];
	struct buf b = BUF_INIT, back = BUF_INIT;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(plant, sizeof(plant), "%s.%d.tmp", path, (int)getpid());
	ck_assert_ptr_nonnull(f = fopen(victim, "w"));
	fputs("precious", f);
	fclose(f);
	ck_assert_int_eq(symlink(victim, plant), 0);
	buf_puts(&b, "new state");
	ck_assert_int_eq(buf_write_file(&b, path, 0600), 0);
	ck_assert_int_eq(buf_read_file(&back, victim, 100), 0);
	ck_assert_str_eq(buf_str(&back), "precious");
	buf_reset(&back);
	ck_assert_int_eq(buf_read_file(&back, path, 100), 0);
	ck_assert_str_eq(buf_str(&back), "new state");
	unlink(plant);
	unlink(victim);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);	/* nothing else left */
	buf_free(&b);
	buf_free(&back);
}
END_TEST

START_TEST(write_file_refuses_symlink_target)
{
	char dir[] = "/tmp/test-buf-XXXXXX", path[64], victim[64];
	struct buf b = BUF_INIT, back = BUF_INIT;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	ck_assert_ptr_nonnull(f = fopen(victim, "w"));
	fputs("precious", f);
	fclose(f);
	ck_assert_int_eq(symlink(victim, path), 0);
	buf_puts(&b, "new state");
	errno = 0;
	ck_assert_int_eq(buf_write_file(&b, path, 0600), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(buf_read_file(&back, victim, 100), 0);
	ck_assert_str_eq(buf_str(&back), "precious");
	unlink(path);
	unlink(victim);
	ck_assert_int_eq(rmdir(dir), 0);	/* no temporary left */
	buf_free(&b);
	buf_free(&back);
}
END_TEST

START_TEST(write_file_relative_and_root_paths)
{
	char dir[] = "/tmp/test-buf-XXXXXX", cwd[4096];
	struct buf b = BUF_INIT, back = BUF_INIT;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chdir(dir), 0);
	buf_puts(&b, "here");
	ck_assert_int_eq(buf_write_file(&b, "f", 0600), 0);
	ck_assert_int_eq(buf_read_file(&back, "f", 100), 0);
	ck_assert_str_eq(buf_str(&back), "here");
	ck_assert_int_eq(buf_write_file(&b, "sub/", 0600), -1);
	ck_assert_int_eq(unlink("f"), 0);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	buf_free(&b);
	buf_free(&back);
}
END_TEST

/* kill -9 at random points of a child that rewrites the file in a loop:
 * what is left is always one whole version, never empty or a mix. */
#define CRASH_ROUNDS	200
#define OLD_LEN		(64 * 1024)

START_TEST(write_file_survives_kill_at_any_point)
{
	char dir[] = "/tmp/test-buf-XXXXXX", path[64];
	struct buf small = BUF_INIT, big = BUF_INIT, back = BUF_INIT;
	int seen_small = 0, seen_big = 0;
	DIR *d;
	struct dirent *de;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	for (int i = 0; i < OLD_LEN; i++)
		buf_append(&big, i % 61 ? "b" : "\n", 1);
	buf_puts(&small, "small version\n");
	ck_assert_int_eq(buf_write_file(&small, path, 0600), 0);
	srand((unsigned)getpid());
	for (int round = 0; round < CRASH_ROUNDS; round++) {
		struct timespec ts = { 0, (rand() % 3000) * 1000L };
		pid_t pid = fork();
		int status;

		ck_assert_int_ne(pid, -1);
		if (pid == 0) {
			for (int k = 0; ; k++)
				if (buf_write_file(k % 2 ? &small : &big, path, 0600) == -1)
					_exit(1);
		}
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFSIGNALED(status));
		buf_reset(&back);
		ck_assert_int_eq(buf_read_file(&back, path, 2 * OLD_LEN), 0);
		if (back.len == small.len && memcmp(back.data, small.data, small.len) == 0)
			seen_small++;
		else if (back.len == big.len && memcmp(back.data, big.data, big.len) == 0)
			seen_big++;
		else
			ck_abort_msg("round %d: %zu bytes, neither version", round, back.len);
	}
	ck_assert_int_eq(seen_small + seen_big, CRASH_ROUNDS);
	ck_assert_int_gt(seen_big, 0);	/* the child did rewrite it */
	/* Killed writers leave temporaries (a crash does); nothing else. */
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		char p[128];

		if (de->d_name[0] == '.' || strcmp(de->d_name, "f") == 0)
			continue;
		ck_assert_msg(strncmp(de->d_name, "f.", 2) == 0 &&
		    strlen(de->d_name) > 6 &&
		    strcmp(de->d_name + strlen(de->d_name) - 4, ".tmp") == 0,
		    "unexpected %s", de->d_name);
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	buf_free(&small);
	buf_free(&big);
	buf_free(&back);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, grows_and_terminates);
	tcase_add_test(tc, printf_and_reset);
	tcase_add_test(tc, binary_data);
	tcase_add_test(tc, xml_escape);
	tcase_add_test(tc, steal_leaves_empty);
	tcase_add_test(tc, reserve_overflow_refused);
	tcase_add_test(tc, write_file_replaces_atomically);
	tcase_add_test(tc, write_file_ignores_planted_temporary);
	tcase_add_test(tc, write_file_refuses_symlink_target);
	tcase_add_test(tc, write_file_relative_and_root_paths);
	tcase_add_test(tc, write_file_survives_kill_at_any_point);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
