/* zmworkerd's spool entries (see zmspool.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "understudy/log.h"
#include "zmspool.h"

int
zm_spool_read(int dfd, const char *name, struct buf *b, char *why, size_t whylen)
{
	char chunk[16384];
	struct stat st;
	ssize_t n;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "%s", errno == ELOOP ? "a symbolic link: refused" :
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0)
		snprintf(why, whylen, "fstat: %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(why, whylen, "not a regular file: refused");
	else if (st.st_nlink != 1)
		snprintf(why, whylen, "a file with %ld links: refused", (long)st.st_nlink);
	else if (st.st_size > ZM_SPOOL_MAX)
		snprintf(why, whylen, "larger than %d bytes: refused", ZM_SPOOL_MAX);
	else {
		while ((n = read(fd, chunk, sizeof(chunk))) > 0 && b->len <= ZM_SPOOL_MAX)
			buf_append(b, chunk, (size_t)n);
		if (n < 0)
			snprintf(why, whylen, "read: %s", strerror(errno));
		else if (b->len > ZM_SPOOL_MAX)	/* grew while we read */
			snprintf(why, whylen, "larger than %d bytes: refused", ZM_SPOOL_MAX);
		else {
			close(fd);
			return 0;
		}
	}
	close(fd);
	return -1;
}

/* rejected/, a real directory beneath the spool: whatever else holds the
 * name (a symlink to /etc) is moved aside, hidden from the scan. */
static int
rejected_dir(int dfd)
{
	char aside[64];
	int fd;

	if (mkdirat(dfd, "rejected", 0750) < 0 && errno != EEXIST)
		return -1;
	fd = openat(dfd, "rejected", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || (errno != ELOOP && errno != ENOTDIR))
		return fd;
	snprintf(aside, sizeof(aside), ".rejected-not-a-directory.%ld", (long)time(NULL));
	log_warn("zmworkerd: spool rejected/ is not a directory; moved aside as %s", aside);
	if (renameat(dfd, "rejected", dfd, aside) < 0 || mkdirat(dfd, "rejected", 0750) < 0)
		return -1;
	return openat(dfd, "rejected", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

void
zm_spool_reject(int dfd, const char *name, const char *why)
{
	char tmp[NAME_MAX + 16], whyname[NAME_MAX + 8];
	size_t len = strlen(why);
	int rfd = rejected_dir(dfd), fd;

	if (rfd < 0 || renameat(dfd, name, rfd, name) < 0) {
		log_err("zmworkerd: spool %s rejected (%s) but cannot move it to rejected/: %s; "
		    "removed", name, why, strerror(errno));
		unlinkat(dfd, name, 0);	/* or it is refused again every tick */
		if (rfd >= 0)
			close(rfd);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.why.tmp", name);
	snprintf(whyname, sizeof(whyname), "%s.why", name);
	fd = openat(rfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, why, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    renameat(rfd, tmp, rfd, whyname) < 0)
		log_err("zmworkerd: spool rejected/%s: %s", whyname, strerror(errno));
	if (fd >= 0)
		close(fd);
	close(rfd);
	log_warn("zmworkerd: spool %s rejected: %s", name, why);
}
