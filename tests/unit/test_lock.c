#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "understudy/lock.h"
#include "check_main.h"

static char path[] = "/tmp/us-lock-XXXXXX";

static void
setup(void)
{
	int fd = mkstemp(path);

	close(fd);
}

static void
teardown(void)
{
	unlink(path);
}

START_TEST(exclusive_within_process)
{
	struct lock a = LOCK_INIT, b = LOCK_INIT;

	ck_assert_int_eq(lock_acquire(&a, path, 0), LOCK_OK);
	ck_assert_int_eq(lock_is_held(path), 1);
	/* flock locks belong to the open file, so a second open conflicts. */
	ck_assert_int_eq(lock_acquire(&b, path, 50), LOCK_BUSY);
	lock_release(&a);
	ck_assert_int_eq(lock_is_held(path), 0);
	ck_assert_int_eq(lock_acquire(&b, path, 0), LOCK_OK);
	lock_release(&b);
}
END_TEST

START_TEST(dies_with_holder)
{
	struct lock l = LOCK_INIT;
	int p[2], status;
	char c;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		struct lock mine = LOCK_INIT;

		if (lock_acquire(&mine, path, 0) != LOCK_OK)
			_exit(1);
		(void)!write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(lock_acquire(&l, path, 0), LOCK_BUSY);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ck_assert_int_eq(lock_acquire(&l, path, 1000), LOCK_OK);
	lock_release(&l);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(bad_path)
{
	struct lock l = LOCK_INIT;

	ck_assert_int_eq(lock_acquire(&l, "/nonexistent/dir/lock", 0), LOCK_FAILED);
	ck_assert_int_eq(lock_is_held("/nonexistent/dir/lock"), 0);
	lock_release(&l);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("lock");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, exclusive_within_process);
	tcase_add_test(tc, dies_with_holder);
	tcase_add_test(tc, bad_path);
	suite_add_tcase(s, tc);
	return s;
}
