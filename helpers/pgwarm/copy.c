/* See copy.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "lz4file.h"
#include "wal.h"

static int
copy_fd(int in, int out, off_t size)
{
	off_t left = size;

	while (left > 0) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);

		if (n <= 0) {
			char b[65536];

			if (n == 0)
				return -1;	/* shrank under us */
			if ((n = read(in, b, sizeof(b))) <= 0 || write(out, b, (size_t)n) != n)
				return -1;
		}
		left -= n;
	}
	return 0;
}

/* Where copy_unlz4's decoded bytes go: dest, up to the header's size. */
struct unlz4 {
	int		 fd;
	const char	*name;
	unsigned char	 head[40];
	size_t		 got;		/* of head */
	uint64_t	 limit, written;
};

static int
unlz4_emit(void *arg, const char *p, size_t n, char *why, size_t whylen)
{
	struct unlz4 *u = arg;
	size_t take = n < sizeof(u->head) - u->got ? n : sizeof(u->head) - u->got;

	memcpy(u->head + u->got, p, take);
	if ((u->got += take) == sizeof(u->head) && u->limit == 0 &&
	    (u->limit = wal_head_segsize(u->head, u->got)) == 0) {
		snprintf(why, whylen, "%s: no WAL segment header (zero-filled or foreign file)",
		    u->name);
		return -1;
	}
	if (n > (u->limit ? u->limit : WAL_SEGMENT_MAX) - u->written) {
		snprintf(why, whylen, "%s: decompresses past the %llu bytes its header gives:"
		    " refused", u->name, (unsigned long long)u->limit);
		return -1;
	}
	u->written += n;
	while (n > 0) {
		ssize_t w = write(u->fd, p, n);

		if (w <= 0) {
			snprintf(why, whylen, "write: %s", strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
copy_unlz4(const char *src, const char *name, const char *dest, char *why, size_t whylen)
{
	struct unlz4 u = { .name = name };
	int in, rc;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s: %s", src, strerror(errno));
		return -1;
	}
	if ((u.fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1) {
		snprintf(why, whylen, "%s: %s", dest, strerror(errno));
		close(in);
		return -1;
	}
	rc = lz4file_decompress(in, WAL_SEGMENT_MAX, unlz4_emit, &u, NULL, why, whylen);
	close(in);
	if (close(u.fd) == -1 && rc == 0) {
		snprintf(why, whylen, "%s: %s", dest, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && wal_verify_file(dest, name, why, whylen) != 0)
		rc = -1;
	if (rc == -1)
		unlink(dest);
	return rc;
}

/* name.lz4: decompressed into dest, checked like a plain copy. */
static enum copy_result
restore_lz4(const char *dir, const char *name, const char *dest, char *why, size_t whylen)
{
	char src[4096];

	snprintf(src, sizeof(src), "%s/%s" LZ4FILE_SUFFIX, dir, name);
	if (access(src, F_OK) == -1 && errno == ENOENT)
		return COPY_ABSENT;
	return copy_unlz4(src, name, dest, why, whylen) == 0 ? COPY_OK : COPY_FAILED;
}

enum copy_result
copy_restore(const char *dir, const char *name, const char *dest, char *why, size_t whylen)
{
	char src[4096];
	struct stat st;
	int in, out, v = -1;

	if (wal_kind(name) == WAL_NONE) {
		snprintf(why, whylen, "%s: not a WAL file name", name);
		return COPY_FAILED;
	}
	snprintf(src, sizeof(src), "%s/%s", dir, name);
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s: %s", src, strerror(errno));
		if (errno == ENOENT)
			return restore_lz4(dir, name, dest, why, whylen);
		return COPY_FAILED;
	}
	if (fstat(in, &st) == -1 || (v = wal_verify_file(src, name, why, whylen)) != 0) {
		close(in);
		return v == 1 ? COPY_INCOMPLETE : COPY_FAILED;
	}
	if ((out = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1) {
		snprintf(why, whylen, "%s: %s", dest, strerror(errno));
		close(in);
		return COPY_FAILED;
	}
	if (copy_fd(in, out, st.st_size) == -1 || close(out) == -1) {
		snprintf(why, whylen, "copying %s to %s: %s", src, dest, strerror(errno));
		close(in);
		unlink(dest);
		return COPY_FAILED;
	}
	close(in);
	return COPY_OK;
}
