/* haresources files: any bytes parsed, and what parses emitted as crm and
 * pcs; a refusal always says where (LINE:COL:). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helpers/haresources/hares.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
conf(const char *agent, hr_add_fn add, void *arg, void *ctx)
{
	(void)ctx;
	add("state_dir", agent, arg);
	add("paths", "/a b/'\"\\", arg);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	struct hr_file f;
	char why[512];

	if (hr_parse((const char *)data, size, conf, NULL, &f, why, sizeof(why)) != 0) {
		if (strchr(why, ':') == NULL)
			abort();
		return 0;
	}
	hr_emit(&f, HR_CRM, 0, &out);
	hr_emit(&f, HR_PCS, 1, &out);
	buf_free(&out);
	hr_free(&f);
	return 0;
}
