/* Monotonic milliseconds, for deadlines and elapsed times. */
#ifndef UNDERSTUDY_CLOCK_H
#define UNDERSTUDY_CLOCK_H

long	 clock_ms(void);

#endif
