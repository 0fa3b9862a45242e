/* Documents as peers send them (state and submit messages): a JSON array
 * merged into a store, then claimed, advanced, finished and cancelled; a
 * departed node's runs dropped. Nothing is written to disk. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helpers/zmworker/zmdoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
member(const char *name, void *ctx)
{
	(void)ctx;
	return strcmp(name, "gone") != 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *arr = json_loadb((const char *)data, size, 0, NULL), *doc, *msgs;
	struct zm_store *s;
	size_t i;

	if (!json_is_array(arr)) {
		json_decref(arr);
		return 0;
	}
	s = zm_store_new("/nonexistent", member, NULL);
	msgs = json_pack("[{ss ss}]", "tag", "T", "level", "INFO");
	json_array_foreach(arr, i, doc) {
		int changed;
		struct zm_doc *d = zm_store_merge(s, doc, &changed);
		json_t *r;
		size_t j;

		if (d == NULL)
			continue;
		if (zm_doc_claim(s, d, "me", (double)i))
			zm_doc_progress(d, "me", (double)i, 0, msgs);
		json_array_foreach(json_object_get(doc, "results"), j, r)
			zm_doc_finish(s, d, r);
		if (i % 3 == 2)
			zm_doc_cancel(s, d, (double)i);
		(void)zm_doc_status(d);
	}
	zm_store_drop_gone(s);
	(void)zm_store_count(s, ZM_RUNNING);
	json_decref(msgs);
	json_decref(arr);
	zm_store_free(s);
	return 0;
}
