/* Monotonic clock; see include/understudy/clock.h. */
#include "config.h"

#include <time.h>

#include "understudy/clock.h"

long
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}
