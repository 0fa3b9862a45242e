/* libFuzzer target: the mirror stream as mirror-serve reads it from an SSH
 * channel. Whatever arrives, roots outside the allowed tree are refused,
 * and no temporary survives the end of the stream. */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../helpers/mirror/serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fixed, so that the corpus can name roots inside it */
static char dir[] = "/tmp/fuzz-mirror.d";
static char tree[64], state[64];
static int temps;

static int
check_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (strncmp(path + ftw->base, ".~mirror.", 9) == 0)
		temps++;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (strcmp(path, tree) != 0 && strcmp(path, state) != 0)
		remove(path);
	return 0;
}

static void
cleanup(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	rmdir(tree);
	rmdir(state);
	rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct serve_opts o = { state, NULL, tree, 0 };
	int in = memfd_create("in", 0), out = open("/dev/null", O_WRONLY);

	if (!ready) {
		cleanup();
		if (mkdir(dir, 0700) == -1 || atexit(cleanup) != 0)
			abort();
		snprintf(tree, sizeof(tree), "%s/t", dir);
		snprintf(state, sizeof(state), "%s/s", dir);
		if (mkdir(tree, 0700) == -1 || mkdir(state, 0700) == -1)
			abort();
		ready = 1;
	}
	if (in == -1 || out == -1 || write(in, data, size) != (ssize_t)size)
		abort();
	lseek(in, 0, SEEK_SET);
	mirror_serve(&o, in, out);
	close(in);
	close(out);
	temps = 0;
	nftw(tree, check_one, 16, FTW_PHYS);
	if (temps)
		abort();	/* a temporary outlived its stream */
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
