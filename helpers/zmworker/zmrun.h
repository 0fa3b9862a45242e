/* One zonemaster-cli run: spawned with an argv in its own process group,
 * its --json-stream output parsed line by line into messages as it comes,
 * killed (the whole group) on timeout, cancel or hand-back. */
#ifndef ZM_RUN_H
#define ZM_RUN_H

#include <sys/types.h>
#include <jansson.h>
#include "understudy/buf.h"
#include "zmdoc.h"

enum zm_kill { ZM_KILL_NONE, ZM_KILL_TIMEOUT, ZM_KILL_CANCEL, ZM_KILL_HANDBACK,
	ZM_KILL_OUTPUT };

/* A run's stdout beyond this is not read into memory: the run is killed
 * (a real test prints well under 1 MiB, even at DEBUG level). */
#define ZM_OUTPUT_MAX	(16L << 20)

struct zm_run {
	char		 id[ZM_ID_MAX];
	double		 start;		/* the claim's time: identifies the run */
	pid_t		 pid;		/* 0 once reaped */
	int		 out_fd, err_fd;	/* -1 at EOF */
	int		 wstatus;
	enum zm_kill	 killed;
	long		 deadline_ms;	/* clock_ms() value; 0 = none */
	long		 timeout_s;
	struct buf	 line;		/* a partial stdout line */
	struct buf	 err;		/* the last few KiB of stderr */
	json_t		*messages;
	size_t		 sent;		/* messages already multicast */
	size_t		 unparsed;	/* stdout lines that were not JSON objects */
	size_t		 out_bytes;	/* stdout read so far */
};

/* Starts argv as user (NULL: as this process's user), confined: only its
 * three pipes open, cwd "/", an environment of PATH, HOME, USER, LOGNAME
 * and the locale and TZ of ours. zonemaster-cli parses answers from name
 * servers a requester chooses: if one of them owns it, it owns nothing of
 * the daemon's. 0 on success, else -1 with the reason in why. */
int	 zm_run_start(struct zm_run *, char *const argv[], const char *user,
	    long timeout_s, char *why, size_t whylen);
/* 0 when user (NULL: we) may open path to read it, else -1 with why (its
 * open's error): the profile and hints are read by the test, not by the
 * daemon. */
int	 zm_run_can_read(const char *user, const char *path, char *why, size_t whylen);
/* Reads what is there on fd (stdout or stderr); returns 1 when that fd
 * reached EOF: it is then the caller's to close. */
int	 zm_run_read(struct zm_run *, int fd);
void	 zm_run_kill(struct zm_run *, enum zm_kill);
/* Done: reaped and both pipes at EOF. */
int	 zm_run_done(const struct zm_run *);
/* The finished result: the run's messages plus one ZMWORKER message when
 * it did not end by itself with status 0. */
json_t	*zm_run_result(struct zm_run *, const json_t *running_entry);
void	 zm_run_free(struct zm_run *);

/* Parses one output line into a message object, or NULL. */
json_t	*zm_msg_parse(const char *line, size_t len);

#endif
