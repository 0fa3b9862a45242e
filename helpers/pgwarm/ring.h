/* A fixed set of the most recent WAL names, oldest forgotten first: what a
 * peer has acknowledged (ship.c), what the shipper made durable (archd.c). */
#ifndef PGWARM_RING_H
#define PGWARM_RING_H
#include <stdio.h>
#include <string.h>

#define RING_NAMES	1024

struct ring {
	char	 v[RING_NAMES][64];
	size_t	 next;
};

static inline int
ring_has(const struct ring *r, const char *name)
{
	for (size_t i = 0; i < RING_NAMES; i++)
		if (strcmp(r->v[i], name) == 0)
			return 1;
	return 0;
}

static inline void
ring_add(struct ring *r, const char *name)
{
	snprintf(r->v[r->next], sizeof(r->v[0]), "%s", name);
	r->next = (r->next + 1) % RING_NAMES;
}
#endif
