/* Timeline history files; see tlhist.h. Parsed as PostgreSQL's
 * readTimeLineHistory does: blank and '#' lines skipped, the reason free. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlhist.h"

/* "X/Y", each 1-8 hex digits, as PostgreSQL prints an LSN. */
static int
lsn_scan(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t hi = 0, lo = 0;
	int n;

	for (n = 0; isxdigit((unsigned char)*s); s++, n++)
		hi = hi * 16 + (uint64_t)(isdigit((unsigned char)*s) ? *s - '0' :
		    toupper((unsigned char)*s) - 'A' + 10);
	if (n < 1 || n > 8 || *s++ != '/')
		return -1;
	for (n = 0; isxdigit((unsigned char)*s); s++, n++)
		lo = lo * 16 + (uint64_t)(isdigit((unsigned char)*s) ? *s - '0' :
		    toupper((unsigned char)*s) - 'A' + 10);
	if (n < 1 || n > 8)
		return -1;
	*out = hi << 32 | lo;
	*sp = s;
	return 0;
}

int
tlhist_parse(uint32_t tli, const char *text, size_t len, struct tlhist *h, char *why,
    size_t whylen)
{
	const char *p = text, *end = text + len;
	int lineno = 0;

	memset(h, 0, sizeof(*h));
	h->tli = tli;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;
		char line[128];
		const char *s = line;
		unsigned long long parent;
		uint64_t sw;
		char *e;

		lineno++;
		if (memchr(p, '\0', (size_t)(eol - p)) != NULL)
			goto bad;
		snprintf(line, sizeof(line), "%.*s", (int)(eol - p < 127 ? eol - p : 127), p);
		p = nl ? nl + 1 : end;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (!isdigit((unsigned char)*s))
			goto bad;
		parent = strtoull(s, &e, 10);
		s = e;
		if (parent == 0 || parent >= tli || !isspace((unsigned char)*s))
			goto bad;
		while (isspace((unsigned char)*s))
			s++;
		if (lsn_scan(&s, &sw) == -1 || (*s && !isspace((unsigned char)*s)))
			goto bad;
		if (h->n == TLHIST_MAX) {
			snprintf(why, whylen, "line %d: more than %d ancestors", lineno, TLHIST_MAX);
			return -1;
		}
		if (h->n && parent <= h->v[h->n - 1].tli) {
			snprintf(why, whylen, "line %d: timelines must increase", lineno);
			return -1;
		}
		/* A switchpoint before an earlier one is what PostgreSQL
		 * writes when a standby is promoted before it reached the fork
		 * of the timeline it was to follow ("1 0/5018F38", then
		 * "2 0/5000000"): the new timeline starts at the later line's
		 * point, so every ancestor was left there at the latest. */
		for (size_t j = 0; j < h->n; j++)
			if (h->v[j].end > sw)
				h->v[j].end = sw;
		h->v[h->n].tli = (uint32_t)parent;
		h->v[h->n].end = sw;
		h->n++;
	}
	if (h->n == 0) {
		snprintf(why, whylen, "no ancestor in the history of timeline %" PRIu32, tli);
		return -1;
	}
	return 0;
bad:
	snprintf(why, whylen, "line %d: expected \"parent-timeline switchpoint reason\"", lineno);
	return -1;
}

int
tlhist_can_follow(const struct tlhist *h, const struct wal_pos *pos, char *why, size_t whylen)
{
	if (pos->tli == h->tli)
		return 1;
	if (pos->tli > h->tli) {
		snprintf(why, whylen, "timeline %" PRIu32 " is newer than %" PRIu32, pos->tli,
		    h->tli);
		return 1;	/* not ours to follow: nothing to say against it */
	}
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].tli == pos->tli) {
			size_t j = i;

			if (pos->lsn <= h->v[i].end)
				return 1;
			/* Lowered ends (tlhist_parse): the fork is the last
			 * ancestor's with this end. */
			while (j + 1 < h->n && h->v[j + 1].end == h->v[i].end)
				j++;
			snprintf(why, whylen, "replayed to %" PRIX32 "/%08" PRIX32 " on timeline %"
			    PRIu32 ", past %" PRIX32 "/%08" PRIX32 " where timeline %" PRIu32
			    " forked off it", (uint32_t)(pos->lsn >> 32), (uint32_t)pos->lsn,
			    pos->tli, (uint32_t)(h->v[i].end >> 32), (uint32_t)h->v[i].end,
			    j + 1 < h->n ? h->v[j + 1].tli : h->tli);
			return 0;
		}
	snprintf(why, whylen, "timeline %" PRIu32 " is not in the history of timeline %" PRIu32
	    " (not a child of this server's history)", pos->tli, h->tli);
	return 0;
}

uint32_t
tlhist_file_tli(const struct tlhist *h, uint64_t lsn, uint64_t segsz)
{
	for (size_t i = 0; i < h->n; i++)
		if (lsn / segsz < h->v[i].end / segsz)
			return h->v[i].tli;
	return h->tli;
}
