/* See replay.h. */
#include "config.h"

#include "replay.h"

#define REPLAY_STILL	3	/* polls without movement (20 ms apart) */
#define REPLAY_GIVE_UP	2000	/* ms after the wake */

enum replayed
replay_stream_done(const struct replay_wait *w, const struct wal_pos *pos,
    const struct wal_pos *target, int still, uint64_t segsz, long now_ms)
{
	if (target->tli && wal_pos_compare(pos, target) >= 0)
		return REPLAY_AT_END;
	if (w->woke == 0 || still < REPLAY_STILL)
		return REPLAY_NOT_YET;
	if (wal_pos_compare(pos, &w->at_wake) > 0 && (target->tli == 0 ||
	    (pos->tli == target->tli && target->lsn - pos->lsn < segsz)))
		return REPLAY_AT_END;
	return now_ms - w->woke > REPLAY_GIVE_UP ? REPLAY_GAVE_UP : REPLAY_NOT_YET;
}
