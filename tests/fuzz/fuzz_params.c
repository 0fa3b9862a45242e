/* libFuzzer target: typed OCF parameter parsing and validation. The input
 * holds one value per line, one line per parameter of a small agent. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "understudy/ocf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ocf_param params[] = {
	{ "s", OCF_STRING, OCF_P_REQUIRED, NULL, 0, 0, ocf_v_abs_path, "s", NULL },
	{ "i", OCF_INTEGER, 0, "3", -5, 5000, NULL, "i", NULL },
	{ "b", OCF_BOOLEAN, 0, "false", 0, 0, NULL, "b", NULL },
	{ "n", OCF_STRING, 0, NULL, 0, 0, ocf_v_nodes, "n", NULL },
	{ "x", OCF_STRING, OCF_P_SECRET, NULL, 0, 0, NULL, "x", NULL },
	{ NULL }
};
static const struct ocf_action actions[] = { { NULL } };
static const struct ocf_agent agent = { "fuzz", "0", "fuzz", NULL, params, actions,
	NULL, NULL, NULL };

static char *lines[5];

static const char *
lookup(void *ctx, const char *name)
{
	int i = ocf_param_index(&agent, name);

	return i >= 0 ? lines[i] : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *p, why[512];
	struct ocf_rsc r;
	enum ocf_exitcode rc;
	int n = 0;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(lines, 0, sizeof(lines));
	for (p = s; n < 5 && p; n++) {
		lines[n] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	ocf_rsc_init(&r, &agent, "start");
	why[0] = '\0';
	rc = ocf_params_load(&r, lookup, NULL, why, sizeof(why));
	if (rc == OCF_SUCCESS) {
		if (ocf_int(&r, 1) < -5 || ocf_int(&r, 1) > 5000 || ocf_str(&r, 0)[0] != '/')
			abort();
	} else if (why[0] == '\0' || (rc != OCF_ERR_CONFIGURED && rc != OCF_ERR_INSTALLED))
		abort();
	ocf_rsc_free(&r);
	free(s);
	return 0;
}
