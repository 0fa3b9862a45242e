/* libFuzzer target: "name = value" configuration files. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "understudy/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	char why[256];

	if (conf_parse((const char *)data, size, &c, why, sizeof(why)) == 0) {
		for (size_t i = 0; i < c.n; i++)
			if (c.v[i].key[0] == '\0' || conf_get(&c, c.v[i].key) != c.v[i].value)
				abort();
		conf_free(&c);
	} else if (strncmp(why, "line ", 5) != 0)
		abort();
	return 0;
}
