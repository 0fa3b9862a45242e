/* See copy.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

/* name.lz4: decompressed into dest, then checked like a plain copy. */
static enum copy_result
restore_lz4(const char *dir, const char *name, const char *dest, char *why, size_t whylen)
{
	char src[4096];

	snprintf(src, sizeof(src), "%s/%s" LZ4FILE_SUFFIX, dir, name);
	if (access(src, F_OK) == -1 && errno == ENOENT)
		return COPY_ABSENT;
	if (lz4file_decompress_file(src, dest, why, whylen) == -1 ||
	    wal_verify_file(dest, name, why, whylen) != 0) {
		unlink(dest);
		return COPY_FAILED;
	}
	return COPY_OK;
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
