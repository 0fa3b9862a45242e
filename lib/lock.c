/* flock(2) locks; see include/understudy/lock.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "understudy/lock.h"

enum lock_result
lock_acquire(struct lock *l, const char *path, int wait_ms)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	int fd, waited = 0;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return LOCK_FAILED;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			l->fd = fd;
			return LOCK_OK;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int saved = errno;

			close(fd);
			errno = saved;
			return LOCK_FAILED;
		}
		if (wait_ms >= 0 && waited >= wait_ms) {
			close(fd);
			return LOCK_BUSY;
		}
		nanosleep(&nap, NULL);
		waited += 10;
	}
}

void
lock_release(struct lock *l)
{
	if (l->fd != -1) {
		flock(l->fd, LOCK_UN);
		close(l->fd);
		l->fd = -1;
	}
}

int
lock_is_held(const char *path)
{
	int fd, held;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		held = 0;
	else
		held = errno == EWOULDBLOCK ? 1 : -1;
	close(fd);
	return held;
}
