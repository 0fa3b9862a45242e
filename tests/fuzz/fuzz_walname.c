/* libFuzzer target: WAL file names and segment headers (what
 * pgwarm-restore and pgwarm-standby accept from an archive). Input: a name
 * line, then header bytes. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helpers/pgwarm/wal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char name[64], why[256];
	size_t n = nl ? (size_t)(nl - data) : size;
	int v;

	if (n >= sizeof(name))
		return 0;
	memcpy(name, data, n);
	name[n] = '\0';
	if (wal_kind(name) == WAL_NONE && wal_timeline(name) != 0)
		abort();
	if (nl) {
		const uint8_t *h = nl + 1;
		size_t hl = size - n - 1;

		v = wal_verify(name, h, hl, hl * 4096, why, sizeof(why));
		if (v != 0 && why[0] == '\0')
			abort();
	}
	return 0;
}
