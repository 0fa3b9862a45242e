/* See archland.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "archland.h"
#include "lz4file.h"
#include "wal.h"

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* LZ4 frames are compared by their content, as another lz4 version may
 * frame the same segment differently. Never follows a symlink: the
 * directory belongs to ssh_user. */
int
archland_content(int dirfd, const char *file, const char *name, struct buf *out)
{
	char why[256], chunk[65536];
	uint64_t max = wal_max_size(name);
	ssize_t r;
	int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0;

	if (fd == -1)
		return -1;
	if (has_suffix(name, LZ4FILE_SUFFIX)) {
		rc = lz4file_decompress(fd, WAL_SEGMENT_MAX, NULL, NULL, out, why, sizeof(why));
	} else {
		while ((r = read(fd, chunk, sizeof(chunk))) > 0 && rc == 0)
			rc = (uint64_t)r > max - out->len ? -1 : buf_append(out, chunk, (size_t)r);
		if (r == -1)
			rc = -1;
	}
	close(fd);
	return rc;
}

void
archland_sha256(const struct buf *b, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	size_t o;

	snprintf(out, outlen, "unreadable");
	if (b->data == NULL || !EVP_Digest(b->data, b->len, md, &mdlen, EVP_sha256(), NULL))
		return;
	o = (size_t)snprintf(out, outlen, "sha256:");
	for (unsigned i = 0; i < mdlen && o + 3 <= outlen; i++, o += 2)
		snprintf(out + o, outlen - o, "%02x", md[i]);
}

/* The other stored form of name: "X" <-> "X.lz4". */
static void
other_form(const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name), m = strlen(LZ4FILE_SUFFIX);

	if (has_suffix(name, LZ4FILE_SUFFIX))
		snprintf(out, outlen, "%.*s", (int)(n - m), name);
	else
		snprintf(out, outlen, "%s" LZ4FILE_SUFFIX, name);
}

/* Everything old holds (up to its last non-zero byte) is in offered. */
static int
holds_all_of(const struct buf *offered, const struct buf *old)
{
	size_t end = old->len;

	while (end > 0 && old->data[end - 1] == '\0')
		end--;
	return offered->len >= end && (end == 0 || memcmp(offered->data, old->data, end) == 0);
}

static int
same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

enum archland_result
archland(int dirfd, const char *tmp, const char *name, char *why, size_t whylen)
{
	struct buf old = BUF_INIT, offered = BUF_INIT;
	enum archland_result rc = ARCHLAND_FAILED;
	char other[96], a[80], b[80];
	const char *held = name;
	int partial = wal_kind_stored(name) == WAL_PARTIAL;

	other_form(name, other, sizeof(other));
	if (faccessat(dirfd, other, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		held = other;	/* the same segment stored in the other form */
	else if (linkat(dirfd, tmp, dirfd, name, 0) == 0)
		return ARCHLAND_NEW;
	else if (errno != EEXIST) {
		snprintf(why, whylen, "link %s: %s", name, strerror(errno));
		return ARCHLAND_FAILED;
	}
	if (archland_content(dirfd, held, held, &old) == -1 ||
	    archland_content(dirfd, tmp, name, &offered) == -1) {
		snprintf(why, whylen, "%s exists and cannot be compared", held);
		goto out;
	}
	if (same(&old, &offered)) {
		rc = ARCHLAND_SAME;
	} else if (partial) {
		/* A partial that held more than the one offered: a timeline
		 * left behind that someone streamed further than the node
		 * that was promoted. Kept aside (nothing is lost), the new
		 * one lands: an archiver stuck on a .partial would stop the
		 * new primary's archiving altogether. The held one may be the
		 * other stored form (the primary ships NAME.partial.lz4 where
		 * the stream wrote NAME.partial): it goes the same way. */
		char aside[160];
		int prefix = holds_all_of(&offered, &old);

		snprintf(aside, sizeof(aside), "%s.diverged-%ld", held, (long)time(NULL));
		if (prefix ? unlinkat(dirfd, held, 0) == -1 && held != name :
		    renameat(dirfd, held, dirfd, aside) == -1)
			snprintf(why, whylen, "moving %s aside: %s", held, strerror(errno));
		else if (renameat(dirfd, tmp, dirfd, name) == -1)
			snprintf(why, whylen, "rename to %s: %s", name, strerror(errno));
		else {
			rc = ARCHLAND_REPLACED;
			if (!prefix)
				snprintf(why, whylen, "the partial held other content: kept as %s",
				    aside);
		}
	} else {
		archland_sha256(&old, a, sizeof(a));
		archland_sha256(&offered, b, sizeof(b));
		snprintf(why, whylen, "already archived with other content (archived %s, offered "
		    "%s); not overwritten", a, b);
	}
out:
	buf_free(&old);
	buf_free(&offered);
	return rc;
}
