/* WAL names and headers; see wal.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "understudy/log.h"
#include "wal.h"

#define XLP_LONG_HEADER		0x0002
#define WAL_LONG_HEADER_LEN	40

static int
hexrun(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

enum wal_kind
wal_kind(const char *name)
{
	size_t n = strlen(name);

	if (n == 24 && hexrun(name, 24))
		return WAL_SEGMENT;
	if (n == 32 && hexrun(name, 24) && strcmp(name + 24, ".partial") == 0)
		return WAL_PARTIAL;
	if (n == 16 && hexrun(name, 8) && strcmp(name + 8, ".history") == 0)
		return WAL_HISTORY;
	if (n == 40 && hexrun(name, 24) && name[24] == '.' && hexrun(name + 25, 8) &&
	    strcmp(name + 33, ".backup") == 0)
		return WAL_BACKUP;
	return WAL_NONE;
}

enum wal_kind
wal_kind_stored(const char *name)
{
	size_t n = strlen(name);
	char base[40];
	enum wal_kind k;

	if (n > 4 && n - 4 < sizeof(base) && strcmp(name + n - 4, ".lz4") == 0) {
		memcpy(base, name, n - 4);
		base[n - 4] = '\0';
		k = wal_kind(base);
		return k == WAL_SEGMENT || k == WAL_PARTIAL ? k : WAL_NONE;
	}
	return wal_kind(name);
}

static uint64_t
hexval(const char *s, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 16 + (uint64_t)(s[i] <= '9' ? s[i] - '0' : s[i] - 'A' + 10);
	return v;
}

uint32_t
wal_timeline(const char *name)
{
	return wal_kind(name) == WAL_NONE ? 0 : (uint32_t)hexval(name, 8);
}

int
wal_pos_cmp(const char *a, const char *b)
{
	return strncmp(a + 8, b + 8, 16);
}

static uint64_t
le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t
wal_head_segsize(const unsigned char *h, size_t headlen)
{
	uint64_t segsz;

	if (headlen < WAL_LONG_HEADER_LEN || !(le(h + 2, 2) & XLP_LONG_HEADER) ||
	    (le(h, 2) & 0xFF00) != 0xD100)
		return 0;
	segsz = le(h + 32, 4);
	if (segsz < WAL_SEGMENT_MIN || segsz > WAL_SEGMENT_MAX || (segsz & (segsz - 1)))
		return 0;
	return segsz;
}

uint64_t
wal_max_size(const char *name)
{
	switch (wal_kind(name)) {
	case WAL_SEGMENT:
	case WAL_PARTIAL:
		return WAL_SEGMENT_MAX;
	case WAL_HISTORY:
	case WAL_BACKUP:
		return WAL_SMALL_MAX;
	default:
		return 0;
	}
}

int
wal_verify(const char *name, const unsigned char *h, size_t headlen, uint64_t size,
    char *why, size_t whylen)
{
	enum wal_kind k = wal_kind(name);
	uint64_t segsz, pageaddr, expect;
	uint32_t tli;

	if (k == WAL_HISTORY || k == WAL_BACKUP)
		return 0;
	if (k == WAL_NONE) {
		snprintf(why, whylen, "%s: not a WAL file name", name);
		return -1;
	}
	if (headlen < WAL_LONG_HEADER_LEN) {
		snprintf(why, whylen, "%s: %llu bytes, shorter than a page header", name,
		    (unsigned long long)size);
		return 1;
	}
	segsz = le(h + 32, 4);
	tli = (uint32_t)le(h + 4, 4);
	pageaddr = le(h + 8, 8);
	if (!(le(h + 2, 2) & XLP_LONG_HEADER) || (le(h, 2) & 0xFF00) != 0xD100) {
		snprintf(why, whylen, "%s: no WAL segment header (zero-filled or foreign file)",
		    name);
		return -1;
	}
	if (segsz < WAL_SEGMENT_MIN || segsz > WAL_SEGMENT_MAX || (segsz & (segsz - 1))) {
		snprintf(why, whylen, "%s: header gives an impossible segment size %llu", name,
		    (unsigned long long)segsz);
		return -1;
	}
	if (segsz != size) {
		snprintf(why, whylen, "%s: %llu bytes but its header says %llu (truncated copy?)",
		    name, (unsigned long long)size, (unsigned long long)segsz);
		return size < segsz ? 1 : -1;
	}
	expect = hexval(name + 8, 8) * (0x100000000ULL / segsz) * segsz +
	    hexval(name + 16, 8) * segsz;
	if (pageaddr != expect || tli > wal_timeline(name)) {
		snprintf(why, whylen, "%s: header is for position %X/%X timeline %u, not this name",
		    name, (unsigned)(pageaddr >> 32), (unsigned)pageaddr, tli);
		return -1;
	}
	return 0;
}

int
wal_verify_file(const char *path, const char *name, char *why, size_t whylen)
{
	unsigned char head[WAL_LONG_HEADER_LEN];
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	return wal_verify(name, head, n < 0 ? 0 : (size_t)n, (uint64_t)st.st_size, why, whylen);
}

int
wal_cleanup(const char *dir, const char *restart, int dry_run, char *why, size_t whylen)
{
	struct dirent *de;
	char path[4096];
	int count = 0;
	DIR *d;

	if (wal_kind(restart) != WAL_SEGMENT && wal_kind(restart) != WAL_PARTIAL) {
		snprintf(why, whylen, "%s: not a WAL segment name", restart);
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		enum wal_kind k = wal_kind_stored(de->d_name);

		if ((k != WAL_SEGMENT && k != WAL_PARTIAL) || wal_pos_cmp(de->d_name, restart) >= 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (dry_run) {
			printf("%s\n", path);
			count++;
		} else if (unlink(path) == 0) {
			log_debug("removed %s", path);
			count++;
		} else if (errno != ENOENT) {
			log_warn("cannot remove %s: %s", path, strerror(errno));
		}
	}
	closedir(d);
	return count;
}
