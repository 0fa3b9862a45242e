/* libFuzzer target: mirror's text parsers. The first byte picks one: the
 * paths parameter, a pattern list and an exclude check, a listing line, a
 * report line, a filesystems line, a manifest file (parsed, saved, parsed again: the same
 * records). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../helpers/mirror/entry.h"
#include "../../helpers/mirror/frame.h"
#include "../../helpers/mirror/fsid.h"
#include "../../helpers/mirror/manifest.h"
#include "../../helpers/mirror/mconf.h"
#include "../../helpers/mirror/push.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
manifest_roundtrip(const uint8_t *p, size_t n)
{
	struct manifest a, b;
	char why[256], file[] = "/tmp/fuzz-manifest-XXXXXX";
	size_t live = 0;
	int fd;

	manifest_init(&a);
	if (manifest_parse(p, n, &a, why, sizeof(why)) == -1) {
		manifest_free(&a);
		return;
	}
	for (size_t i = 0; i < a.n; i++)
		live += !a.v[i].gone;
	if ((fd = mkstemp(file)) == -1)
		abort();
	close(fd);
	if (manifest_save(file, &a, why, sizeof(why)) == -1 ||
	    manifest_load(file, &b, why, sizeof(why)) == -1 || b.n != live)
		abort();
	for (size_t i = 0; i < a.n; i++) {
		const struct mrec *r = manifest_find(&b, a.v[i].path);

		if (!a.v[i].gone && (r == NULL || !mstat_same(&r->st, &a.v[i].st) ||
		    r->nblocks != a.v[i].nblocks))
			abort();
	}
	unlink(file);
	manifest_free(&a);
	manifest_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, why[512];

	if (size < 1)
		return 0;
	if (data[0] == 'M') {
		manifest_roundtrip(data + 1, size - 1);
		return 0;
	}
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0]) {
	case 'P': {
		struct mroot *r;
		size_t n;

		if (mirror_paths_parse(s, &r, &n, why, sizeof(why)) == 0) {
			for (size_t i = 0; i < n; i++)
				if (r[i].src[0] != '/' || r[i].dest[0] != '/')
					abort();
			mirror_roots_free(r, n);
		}
		break;
	}
	case 'X': {
		char **w;
		size_t n;

		if (conf_words_parse(s, &w, &n, why, sizeof(why)) == 0) {
			if (n > 0)
				mirror_excluded(w, n, w[n - 1], 1);
			conf_words_free(w, n);
		}
		break;
	}
	case 'L': {
		struct mstat m;
		char *rel;

		if (listing_parse(s, &m, &rel) == 0 && !rel_path_safe(rel))
			abort();
		break;
	}
	case 'F': {
		struct fsid f;
		char *path;

		if (fsid_parse_line(s, &f, &path) == 0 && path[0] != '/')
			abort();
		break;
	}
	case 'R': {
		struct reply r;

		reply_parse(s, &r);
		break;
	}
	default:
		path_unescape(s);
		break;
	}
	free(s);
	return 0;
}
