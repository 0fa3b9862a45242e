/* state_dir/status: the outcome of the last sync, written by mirror-sync
 * after every run, read by `mirror-sync --status` and by the agent's
 * monitor (which publishes mirror-last-sync and mirror-lag). */
#ifndef MIRROR_STATUS_H
#define MIRROR_STATUS_H

#include <stdio.h>
#include <time.h>

struct mirror_status {
	time_t		 last_run, last_success;
	long		 duration_ms;
	const char	*result;		/* ok, partial, refused, failed */
	char		 result_buf[16];
	unsigned long	 files, deleted, conflicts, errors, overruns;
	unsigned long long bytes;
	char		 message[1024];
};

int	 status_save(const char *state_dir, const struct mirror_status *, char *why, size_t);
/* 0 when a status file was read. */
int	 status_load(const char *state_dir, struct mirror_status *);
/* The status, plus whether a daemon holds its pid file. */
int	 status_print(const char *state_dir, FILE *);
/* pid of the running daemon, 0 when none. */
long	 status_daemon_pid(const char *state_dir);

#endif
