/* Timeline history files and position records come from other nodes (the
 * archive, the CIB): neither parser may crash, overrun or accept what it
 * cannot represent. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helpers/pgwarm/elect.h"
#include "../../helpers/pgwarm/tlhist.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlhist h;
	struct wal_pos p = { 1, 0x3000000 }, q;
	enum elect_role role;
	char why[256], *s;

	if (tlhist_parse(7, (const char *)data, size, &h, why, sizeof(why)) == 0) {
		if (h.n == 0 || h.n > TLHIST_MAX)
			abort();
		for (size_t i = 1; i < h.n; i++)
			if (h.v[i].tli <= h.v[i - 1].tli || h.v[i].end < h.v[i - 1].end)
				abort();
		(void)tlhist_can_follow(&h, &p, why, sizeof(why));
	}
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (elect_record_parse(s, &role, &q) == 0) {
		char again[64];

		elect_record_format(role, &q, again, sizeof(again));
		if (strcmp(again, s) != 0)	/* only the canonical form is accepted */
			abort();
	}
	free(s);
	return 0;
}
