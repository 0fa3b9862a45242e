/* libFuzzer target: BIND key files (helpers/dnsrr/tsig.c). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helpers/dnsrr/tsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsig_key k;
	char why[256];

	if (tsig_parse((const char *)data, size, NULL, &k, why, sizeof(why)) == 0) {
		size_t n = strlen(k.name);

		if (n == 0 || k.name[n - 1] != '.' || k.secret[0] == '\0' || k.algorithm[0] == '\0')
			abort();
	} else if (k.secret[0] != '\0' || why[0] == '\0')
		abort();
	return 0;
}
