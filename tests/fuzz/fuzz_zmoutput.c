/* zonemaster-cli's stdout as zmworkerd reads it: the process parses what
 * hostile name servers say and runs as another user, so a root daemon
 * treats its stream as untrusted. Bytes go through a pipe into
 * zm_run_read (lines split, runaway lines cut, JSON parsed), then into the
 * result: every kept message is an object with string tag and level. */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../helpers/zmworker/zmrun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zm_run r;
	json_t *entry, *res, *m;
	int p[2];
	size_t i;

	if (size > 60000 || pipe2(p, O_CLOEXEC) < 0)	/* within one pipe's buffer */
		return 0;
	memset(&r, 0, sizeof(r));
	buf_init(&r.line);
	buf_init(&r.err);
	r.messages = json_array();
	r.out_fd = p[0];
	r.err_fd = -1;
	if (size > 0 && write(p[1], data, size) != (ssize_t)size)
		abort();
	close(p[1]);
	while (!zm_run_read(&r, p[0]))
		;
	close(p[0]);
	entry = json_pack("{ss ss sf s[]}", "alabel", "x.test", "nodename", "n1", "start_time",
	    1.0, "messages");
	res = zm_run_result(&r, entry);
	json_array_foreach(json_object_get(res, "messages"), i, m) {
		if (!json_is_object(m) || !json_is_string(json_object_get(m, "tag")) ||
		    !json_is_string(json_object_get(m, "level")))
			abort();
	}
	free(json_dumps(res, JSON_COMPACT));
	json_decref(res);
	json_decref(entry);
	zm_run_free(&r);
	return 0;
}
