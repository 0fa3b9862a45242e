/* flock(2)-based locks: the kernel drops them when the holder dies, so there
 * is never a stale lock file to clean up by hand. */
#ifndef UNDERSTUDY_LOCK_H
#define UNDERSTUDY_LOCK_H

struct lock {
	int	 fd;
};

#define LOCK_INIT { -1 }

enum lock_result {
	LOCK_OK,
	LOCK_BUSY,		/* held by someone else past the wait */
	LOCK_FAILED		/* could not open the file; errno set */
};

/* wait_ms: 0 = try once, < 0 = wait forever. */
enum lock_result lock_acquire(struct lock *, const char *path, int wait_ms);
void	 lock_release(struct lock *);
/* 1 if another process holds the lock at path, 0 if free, -1 on error. */
int	 lock_is_held(const char *path);

#endif
