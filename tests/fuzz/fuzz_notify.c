/* libFuzzer target: Pacemaker's notify lists. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "understudy/ocf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct ocf_list l;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ocf_list_parse(s, &l) == 0) {
		for (size_t i = 0; i < l.n; i++)
			if (l.v[i][0] == '\0' || isspace((unsigned char)l.v[i][0]) ||
			    !ocf_list_has(&l, l.v[i]))
				abort();
		ocf_list_free(&l);
	}
	free(s);
	return 0;
}
