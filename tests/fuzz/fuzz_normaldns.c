/* libFuzzer target: the seed's normal-dns baseline files. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "../../helpers/dnsrr/normaldns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct normaldns nd;
	char why[256];

	if (normaldns_parse((const char *)data, size, &nd, why, sizeof(why)) == 0) {
		if (nd.records == NULL || ldns_rr_list_rr_count(nd.records) == 0)
			abort();
		normaldns_free(&nd);
	} else if (why[0] == '\0' || nd.records != NULL)
		abort();
	return 0;
}
