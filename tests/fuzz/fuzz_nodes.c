/* libFuzzer target: the `nodes` parameter parser. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "understudy/node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), why[256];
	struct node_list l;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (node_list_parse(s, &l, why, sizeof(why)) == 0) {
		for (size_t i = 0; i < l.n; i++)
			if (l.v[i].name[0] == '\0' || l.v[i].addr[0] == '\0' || l.v[i].port > 65535)
				abort();
		node_list_free(&l);
	} else if (why[0] == '\0' || l.v != NULL)
		abort();
	free(s);
	return 0;
}
