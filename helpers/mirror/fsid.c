/* File system identity of the source roots; see fsid.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#include "understudy/buf.h"
#include "understudy/log.h"
#include "frame.h"
#include "fsid.h"

static int
fsid_of(const char *path, struct fsid *f)
{
	struct statfs sf;

	if (statfs(path, &sf) == -1)
		return -1;
	f->type = (unsigned long)sf.f_type;
	memcpy(f->id, &sf.f_fsid, sizeof(f->id));
	return 0;
}

int
fsid_parse_line(char *line, struct fsid *f, char **path)
{
	int n = 0;

	if (sscanf(line, "%lx %x %x %n", &f->type, &f->id[0], &f->id[1], &n) != 3 || n == 0)
		return -1;
	*path = line + n;
	return **path == '/' && strchr(*path, ' ') == NULL && path_unescape(*path) == 0 ? 0 : -1;
}

static void
file_of(const struct mirror_conf *c, char *out, size_t n)
{
	snprintf(out, n, "%s/filesystems", c->state_dir);
}

int
fsid_check(const struct mirror_conf *c, char *why, size_t whylen)
{
	char file[4200];
	struct buf b = BUF_INIT;
	int rc = 0;

	file_of(c, file, sizeof(file));
	if (buf_read_file(&b, file, 1 << 20) == -1)
		return 0;	/* first run: nothing to compare with */
	for (char *l = b.data, *nl; rc == 0 && l && *l; l = nl ? nl + 1 : NULL) {
		struct fsid was, now;
		char *path;

		if ((nl = strchr(l, '\n')) != NULL)
			*nl = '\0';
		if (fsid_parse_line(l, &was, &path) == -1)
			continue;
		for (size_t i = 0; i < c->nroots; i++) {
			if (strcmp(c->roots[i].src, path) != 0 || fsid_of(path, &now) == -1)
				continue;
			if (now.type != was.type || memcmp(now.id, was.id, sizeof(now.id)) != 0) {
				snprintf(why, whylen, "refusing to sync with delete: source %.900s is "
				    "on another file system than at the last sync (a disk not "
				    "mounted?); mount it, or run mirror-sync --force once if the "
				    "move is intended", path);
				rc = -1;
			}
		}
	}
	buf_free(&b);
	return rc;
}

void
fsid_record(const struct mirror_conf *c)
{
	char file[4200];
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < c->nroots; i++) {
		struct fsid f;

		if (fsid_of(c->roots[i].src, &f) == -1)
			continue;
		buf_printf(&b, "%lx %x %x ", f.type, f.id[0], f.id[1]);
		path_escape(&b, c->roots[i].src, strlen(c->roots[i].src));
		buf_puts(&b, "\n");
	}
	file_of(c, file, sizeof(file));
	if (buf_write_file(&b, file, 0600) == -1)
		log_warn("%s: %m", file);
	buf_free(&b);
}
