/* Who may be promoted; see elect.h. Pure functions: the agent gathers the
 * records, this file decides, the unit tests drive every case. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elect.h"

int
wal_pos_compare(const struct wal_pos *a, const struct wal_pos *b)
{
	if (a->tli != b->tli)
		return a->tli < b->tli ? -1 : 1;
	if (a->lsn != b->lsn)
		return a->lsn < b->lsn ? -1 : 1;
	return 0;
}

void
wal_pos_format(const struct wal_pos *p, char *out, size_t outlen)
{
	snprintf(out, outlen, "%08" PRIX32 "/%016" PRIX64, p->tli, p->lsn);
}

static int
hex_field(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (uint64_t)(c - '0');
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (uint64_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

int
elect_record_parse(const char *s, enum elect_role *role, struct wal_pos *p)
{
	uint64_t tli, lsn;

	if (strncmp(s, "standby ", 8) == 0)
		*role = ELECT_STANDBY;
	else if (strncmp(s, "primary ", 8) == 0)
		*role = ELECT_PRIMARY;
	else
		return -1;
	s += 8;
	if (strlen(s) != 25 || s[8] != '/' || hex_field(s, 8, &tli) == -1 ||
	    hex_field(s + 9, 16, &lsn) == -1 || tli == 0)
		return -1;
	p->tli = (uint32_t)tli;
	p->lsn = lsn;
	return 0;
}

void
elect_record_format(enum elect_role role, const struct wal_pos *p, char *out, size_t outlen)
{
	char pos[32];

	wal_pos_format(p, pos, sizeof(pos));
	snprintf(out, outlen, "%s %s", role == ELECT_PRIMARY ? "primary" : "standby", pos);
}

enum elect_verdict
elect_judge(const char *self, const struct wal_pos *mine, const struct elect_peer *peers,
    size_t n, char *why, size_t whylen)
{
	enum elect_verdict v = ELECT_BEST;
	size_t used = 0;
	char pos[32];

	wal_pos_format(mine, pos, sizeof(pos));
	used = (size_t)snprintf(why, whylen, "%s at %s", self, pos);
	for (size_t i = 0; i < n; i++) {
		const struct elect_peer *e = &peers[i];
		enum elect_verdict this = ELECT_BEST;
		const char *how;
		int c = 0;

		if (!e->queried || e->online < 0) {
			this = ELECT_UNKNOWN;
			how = "query failed";
		} else if (e->role == ELECT_NONE) {
			/* A node that never ran under the agent and is not in the
			 * cluster now took no WAL from it; one that is online may
			 * be about to publish a position ahead of ours. */
			this = e->online ? ELECT_UNKNOWN : ELECT_BEST;
			how = e->online ? "online, no position yet" : "offline, never seen";
		} else if (e->role == ELECT_PRIMARY) {
			/* Its unshipped tail is what failover gives up by design; a
			 * primary that still answers is refused by promote itself. */
			how = "was primary";
		} else if ((c = wal_pos_compare(&e->pos, mine)) > 0) {
			this = ELECT_BEHIND;
			how = "ahead";
		} else if (c == 0 && strcmp(e->name, self) < 0) {
			this = ELECT_TIED;
			how = "tie, wins by name";
		} else
			how = c == 0 ? "tie" : "behind";
		if (e->role != ELECT_NONE)
			wal_pos_format(&e->pos, pos, sizeof(pos));
		if (used < whylen)
			used += (size_t)snprintf(why + used, whylen - used, "; %s%s %s%s%s (%s)",
			    e->name, e->online > 0 ? "" : e->online == 0 ? " offline" : " ?",
			    e->role == ELECT_PRIMARY ? "primary " : "",
			    e->role != ELECT_NONE ? pos : "", e->role != ELECT_NONE ? "" : "-", how);
		if (this > v)
			v = this;
	}
	return v;
}
