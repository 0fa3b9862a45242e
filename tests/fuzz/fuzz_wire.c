/* libFuzzer target: the archive stream as the remote end reads it from an
 * SSH channel (pgwarm-archive --receive). Whatever arrives, nothing but
 * WAL-named files may appear in the archive directory, each within the
 * bound of its name, and every stored LZ4 frame whole and good. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../helpers/pgwarm/lz4file.h"
#include "../../helpers/pgwarm/wal.h"
#include "../../helpers/pgwarm/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fuzz-wire-XXXXXX";

static void
remove_dir(void)
{
	rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	int in = memfd_create("in", 0), out = open("/dev/null", O_WRONLY);
	struct dirent *de;
	char path[512];
	DIR *d;

	if (!ready && (mkdtemp(dir) == NULL || atexit(remove_dir) != 0))
		abort();
	ready = 1;
	if (in == -1 || out == -1 || write(in, data, size) != (ssize_t)size)
		abort();
	lseek(in, 0, SEEK_SET);
	wire_receive(dir, in, out);
	close(in);
	close(out);
	if ((d = opendir(dir)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || strcmp(de->d_name, "..") == 0))
			continue;
		struct stat st;
		size_t len = strlen(de->d_name);
		int fd;

		if (wal_kind_stored(de->d_name) == WAL_NONE)
			abort();	/* a temporary left behind or a foreign name */
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
			abort();
		if (strcmp(de->d_name + len - 4, LZ4FILE_SUFFIX) == 0) {
			char why[256];

			if (lz4file_decompress(fd, WAL_SEGMENT_MAX, NULL, NULL, NULL, why,
			    sizeof(why)) == -1)
				abort();	/* a frame the receiver should have refused */
		} else if ((uint64_t)st.st_size > wal_max_size(de->d_name)) {
			abort();
		}
		close(fd);
		unlink(path);
	}
	closedir(d);
	return 0;
}
