/* libFuzzer target: the mirror stream as mirror-serve reads it from an SSH
 * channel, with --only set. Whatever arrives: nothing is written outside
 * the allowed tree (a directory beside it, reachable through a symlink
 * planted inside it, keeps its one canary unchanged), no setuid/setgid
 * file, device node or security.* attribute lands in it, and no temporary
 * survives the end of the stream. */
#include "config.h"

#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../helpers/mirror/serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fixed, so that the corpus can name roots inside it: the tree is t/, and
 * t/lnk points to o/, which must stay as it is */
static char dir[] = "/tmp/fuzz-mirror.d";
static char tree[64], state[64], outside[64], canary[80], lnk[80];
static int temps, privileged;

static int
check_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char names[4096];
	ssize_t n;

	(void)flag;
	if (strncmp(path + ftw->base, ".~mirror.", 9) == 0)
		temps++;
	if ((S_ISREG(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID))) ||
	    S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		privileged++;
	if ((n = llistxattr(path, names, sizeof(names))) > 0)
		for (char *p = names; p < names + n; p += strlen(p) + 1)
			if (strncmp(p, "security.", 9) == 0 || strncmp(p, "trusted.", 8) == 0)
				privileged++;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (strcmp(path, tree) != 0 && strcmp(path, state) != 0 &&
	    strcmp(path, outside) != 0 && strcmp(path, canary) != 0)
		remove(path);
	return 0;
}

static void
cleanup(void)
{
	unlink(canary);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	rmdir(tree);
	rmdir(state);
	rmdir(outside);
	rmdir(dir);
}

/* o/ holds the canary, unchanged, and nothing else. */
static int
outside_intact(void)
{
	struct stat st;
	struct dirent *de;
	char b[16] = "";
	int others = 0;
	FILE *f;
	DIR *d;

	if (lstat(canary, &st) == -1 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0644 ||
	    st.st_nlink != 1 || st.st_size != 7 || (f = fopen(canary, "r")) == NULL)
		return 0;
	if (fgets(b, sizeof(b), f) == NULL)
		b[0] = '\0';
	fclose(f);
	if ((d = opendir(outside)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		others += strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "canary");
	closedir(d);
	return others == 0 && strcmp(b, "canary\n") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct serve_opts o = { state, NULL, tree, 0 };
	int in = memfd_create("in", 0), out = open("/dev/null", O_WRONLY);

	if (!ready) {
		FILE *f;

		snprintf(tree, sizeof(tree), "%s/t", dir);
		snprintf(state, sizeof(state), "%s/s", dir);
		snprintf(outside, sizeof(outside), "%s/o", dir);
		snprintf(canary, sizeof(canary), "%s/canary", outside);
		snprintf(lnk, sizeof(lnk), "%s/lnk", tree);
		cleanup();
		if (mkdir(dir, 0700) == -1 || atexit(cleanup) != 0)
			abort();
		if (mkdir(tree, 0700) == -1 || mkdir(state, 0700) == -1 || mkdir(outside, 0755) == -1)
			abort();
		if ((f = fopen(canary, "w")) == NULL || fputs("canary\n", f) < 0 || fclose(f) != 0 ||
		    chmod(canary, 0644) == -1)
			abort();
		ready = 1;
	}
	if (symlink(outside, lnk) == -1)
		abort();
	if (in == -1 || out == -1 || write(in, data, size) != (ssize_t)size)
		abort();
	lseek(in, 0, SEEK_SET);
	mirror_serve(&o, in, out);
	close(in);
	close(out);
	temps = privileged = 0;
	nftw(tree, check_one, 16, FTW_PHYS);
	if (temps)
		abort();	/* a temporary outlived its stream */
	if (privileged)
		abort();	/* a privilege landed under --only */
	if (!outside_intact())
		abort();	/* written outside --only */
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
