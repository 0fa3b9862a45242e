/* Resolution beneath a directory fd; see beneath.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "beneath.h"
#include "entry.h"

#define BN_RESOLVE	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

int
bn_open(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how;
	long fd;
	int tries = 0;

	if (!rel_path_safe(rel)) {
		errno = EINVAL;
		return -1;
	}
	memset(&how, 0, sizeof(how));
	/* RESOLVE_NO_SYMLINKS covers the last component too, with ELOOP
	 * (O_NOFOLLOW would make it ENOTDIR with O_DIRECTORY) */
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.mode = flags & O_CREAT ? mode : 0;	/* openat2 wants 0 otherwise */
	how.resolve = BN_RESOLVE;
	/* EAGAIN: a rename raced the lookup; the kernel asks for a retry */
	do
		fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	while (fd == -1 && (errno == EINTR || (errno == EAGAIN && ++tries < 16)));
	return (int)fd;
}

int
bn_dir(int dirfd, const char *rel, int create, mode_t mode, int durable)
{
	char comp[NAME_MAX + 1];
	const char *p = rel;
	int fd;

	if ((fd = bn_open(dirfd, rel, O_RDONLY | O_DIRECTORY, 0)) >= 0 || !create ||
	    errno != ENOENT)
		return fd;
	/* one component at a time from the top, each beneath the last */
	if ((fd = dup(dirfd)) == -1)
		return -1;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int nfd, made = 0;

		if (n > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if ((nfd = bn_open(fd, comp, O_RDONLY | O_DIRECTORY, 0)) == -1 && errno == ENOENT) {
			if (mkdirat(fd, comp, mode) == 0)
				made = 1;
			else if (errno != EEXIST) {
				close(fd);
				return -1;
			}
			nfd = bn_open(fd, comp, O_RDONLY | O_DIRECTORY, 0);
		}
		if (nfd >= 0 && made && durable && fsync(fd) == -1) {
			close(nfd);
			nfd = -1;
		}
		close(fd);
		if ((fd = nfd) == -1)
			return -1;
		p += n + (e != NULL);
	}
	return fd;
}

int
bn_parent(int dirfd, const char *rel, int create, char leaf[NAME_MAX + 1])
{
	const char *slash = strrchr(rel, '/');
	const char *base = slash ? slash + 1 : rel;
	char dir[PATH_MAX];

	if (!rel_path_safe(rel) || strcmp(rel, ".") == 0 || strlen(base) > NAME_MAX) {
		errno = strlen(base) > NAME_MAX ? ENAMETOOLONG : EINVAL;
		return -1;
	}
	snprintf(leaf, NAME_MAX + 1, "%s", base);
	if (slash == NULL)
		return dup(dirfd);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
	return bn_dir(dirfd, dir, create, 0700, create);
}

int
bn_under(const char *path, const char *dir, const char **rest)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		n = 0;		/* "/": everything absolute is below it */
	if (path[0] != '/' || strncmp(path, dir, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return 0;
	*rest = path[n] == '\0' || (n == 0 && path[1] == '\0') ? "." : path + n + 1;
	return rel_path_safe(*rest);
}
