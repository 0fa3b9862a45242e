/* libFuzzer target: the seed's check_serverN lines (helpers/dnsrr/check.c). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helpers/dnsrr/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), why[256];
	struct seed_check sc;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (seed_check_parse(s, &sc, why, sizeof(why)) == 0) {
		if (sc.spec.port == 0 || sc.spec.port > 65535 || sc.spec.host[0] == '\0' ||
		    strchr(sc.script, '/') != NULL)
			abort();
	} else if (why[0] == '\0')
		abort();
	free(s);
	return 0;
}
