/* Entry frames and extended attributes; see entry.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "entry.h"

void
entry_encode(struct buf *b, int type, const struct mentry *e)
{
	size_t f = frame_begin(b, type);

	put_bytes(b, e->rel, strlen(e->rel));
	put_u8(b, e->st.type);
	put_u32(b, e->st.mode);
	put_u32(b, e->st.uid);
	put_u32(b, e->st.gid);
	put_u64(b, e->st.size);
	put_u64(b, (uint64_t)e->st.mtime_ns);
	put_u64(b, e->st.rdev);
	put_bytes(b, e->target, strlen(e->target));
	put_bytes(b, e->xattrs, e->xlen);
	if (type == F_DELTA) {
		put_u64(b, e->base_size);
		put_u64(b, (uint64_t)e->base_mtime_ns);
	}
	frame_end(b, f);
}

int
rel_path_safe(const char *rel)
{
	const char *p = rel;

	if (strcmp(rel, ".") == 0)
		return 1;
	if (*p == '\0' || *p == '/')
		return 0;
	for (;;) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (end == NULL)
			return 1;
		p = end + 1;
	}
}

int
entry_decode(struct dec *d, int type, struct mentry *e)
{
	memset(e, 0, sizeof(*e));
	get_str(d, e->rel, sizeof(e->rel));
	e->st.type = get_u8(d);
	e->st.mode = get_u32(d) & 07777;
	e->st.uid = get_u32(d);
	e->st.gid = get_u32(d);
	e->st.size = get_u64(d);
	e->st.mtime_ns = (int64_t)get_u64(d);
	e->st.rdev = get_u64(d);
	get_str(d, e->target, sizeof(e->target));
	e->xattrs = get_bytes(d, &e->xlen);
	if (type == F_DELTA) {
		e->base_size = get_u64(d);
		e->base_mtime_ns = (int64_t)get_u64(d);
	}
	if (d->err || d->n != 0 || !rel_path_safe(e->rel))
		return -1;
	if (e->st.type == MT_HARDLINK)
		return rel_path_safe(e->target) && strcmp(e->target, ".") != 0 ? 0 : -1;
	if (e->st.type == MT_LINK)
		return e->target[0] != '\0' ? 0 : -1;
	if (type == F_DELTA && e->st.type != MT_FILE)
		return -1;
	return mtype_valid(e->st.type) ? 0 : -1;
}

static int
wanted(const char *name, unsigned what)
{
	int acl = strcmp(name, "system.posix_acl_access") == 0 ||
	    strcmp(name, "system.posix_acl_default") == 0;

	if (acl)
		return (what & XA_ACL) != 0;
	return (what & XA_USER) && strncmp(name, "system.", 7) != 0;
}

int
xattr_collect(int fd, const char *path, unsigned what, struct buf *b)
{
	char names[65536], *val = NULL;
	ssize_t n = fd >= 0 ? flistxattr(fd, names, sizeof(names)) :
	    llistxattr(path, names, sizeof(names));
	uint32_t count = 0;
	size_t at = b->len;

	put_u32(b, 0);
	if (n <= 0)
		return n == 0 || errno == ENOTSUP ? 0 : -1;
	if ((val = malloc(65536)) == NULL)
		return -1;
	for (char *p = names; p < names + n; p += strlen(p) + 1) {
		ssize_t v;

		if (!wanted(p, what))
			continue;
		v = fd >= 0 ? fgetxattr(fd, p, val, 65536) : lgetxattr(path, p, val, 65536);
		if (v < 0)
			continue;	/* removed meanwhile */
		put_bytes(b, p, strlen(p));
		put_bytes(b, val, (size_t)v);
		count++;
	}
	free(val);
	unsigned char *c = (unsigned char *)b->data + at;

	c[0] = (unsigned char)(count >> 24);
	c[1] = (unsigned char)(count >> 16);
	c[2] = (unsigned char)(count >> 8);
	c[3] = (unsigned char)count;
	return 0;
}

int
xattr_apply(int fd, const char *path, const void *blob, size_t len)
{
	struct dec d = { blob, len, 0 };
	uint32_t count;
	int rc = 0;

	if (len == 0)
		return 0;
	count = get_u32(&d);
	for (uint32_t i = 0; i < count && !d.err; i++) {
		char name[256];
		const void *v;
		size_t vlen;

		get_str(&d, name, sizeof(name));
		v = get_bytes(&d, &vlen);
		if (d.err)
			return -1;
		if ((fd >= 0 ? fsetxattr(fd, name, v, vlen, 0) :
		    lsetxattr(path, name, v, vlen, 0)) == -1)
			rc = -1;
	}
	return d.err ? -1 : rc;
}

int
xattr_privileged(const void *blob, size_t len, char *name, size_t namelen)
{
	struct dec d = { blob, len, 0 };
	uint32_t count;

	if (len == 0)
		return 0;
	count = get_u32(&d);
	for (uint32_t i = 0; i < count && !d.err; i++) {
		char n[256];
		size_t vlen;

		get_str(&d, n, sizeof(n));
		get_bytes(&d, &vlen);
		if (d.err)
			break;
		if (strncmp(n, "user.", 5) == 0 || strcmp(n, "system.posix_acl_access") == 0 ||
		    strcmp(n, "system.posix_acl_default") == 0)
			continue;
		snprintf(name, namelen, "%s", n);
		return 1;
	}
	return d.err ? -1 : 0;
}
