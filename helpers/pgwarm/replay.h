/* When promotion may go on after the stream's partial was offered to
 * replay (DESIGN.md §4b): the agent stops the receiver (its flushed
 * position, the target, is final), lets restore_command serve the partial
 * and wakes the startup process, then polls the replayed position. */
#ifndef PGWARM_REPLAY_H
#define PGWARM_REPLAY_H
#include <stdint.h>
#include "elect.h"

struct replay_wait {
	long		 woke;		/* ms of the first wake, 0: none yet */
	struct wal_pos	 at_wake;	/* replayed position then */
};

enum replayed {
	REPLAY_NOT_YET,
	REPLAY_AT_END,		/* everything the partial holds is replayed */
	REPLAY_GAVE_UP		/* 2 s after the wake without movement: judge as is */
};

/* pos: replayed now; target: the receiver's flushed position (tli 0:
 * unknown, a receiver that had not streamed since it started); still: polls
 * in a row without movement. The stream may end inside a record, which
 * replay never reaches: replay that moved since the wake and then holds
 * still within target's segment is at the end too. Holding still before
 * the wake means nothing: the startup process was waiting. */
enum replayed replay_stream_done(const struct replay_wait *, const struct wal_pos *pos,
	    const struct wal_pos *target, int still, uint64_t segsz, long now_ms);
#endif
