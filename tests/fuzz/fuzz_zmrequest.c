/* Requests as zmctl, the spool or a peer hands them over: any bytes are
 * parsed as JSON, validated, and a valid one is turned into an argv; the
 * same bytes as zonemaster-cli output lines. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helpers/zmworker/zmreq.h"
#include "../../helpers/zmworker/zmrun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *extra[] = { "--hints", "h", NULL };
	struct zm_req req;
	char why[512];
	json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	size_t start = 0;

	if (doc != NULL) {
		if (zm_req_check(doc, &req, why, sizeof(why)) == 0) {
			char **v = zm_req_argv(doc, "zonemaster-cli", extra);

			if (v == NULL)
				abort();	/* valid requests always make an argv */
			zm_argv_free(v);
		} else if (why[0] == '\0')
			abort();		/* a refusal always says why */
		json_decref(doc);
	}
	for (size_t i = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			json_t *m = zm_msg_parse((const char *)data + start, i - start);

			json_decref(m);
			start = i + 1;
		}
	}
	return 0;
}
