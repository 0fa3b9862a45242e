/* Background programs the agents start and watch: detached from the agent
 * (the action's process group ends with it), found again through a pid file
 * that the program holds locked for as long as it lives. */
#ifndef UNDERSTUDY_DAEMON_H
#define UNDERSTUDY_DAEMON_H

/* Starts argv (argv[0] a path) in a new session as a child of init: stdin
 * /dev/null, stdout and stderr appended to logfile (/dev/null when NULL),
 * no other descriptors. 0 when launched (exec failure shows in the log and
 * as a pid file that never appears); -1 with errno when fork failed. */
int	 daemon_spawn(const char *const argv[], const char *logfile);
/* The pid in pidfile while a process holds its lock; 0 otherwise. */
long	 daemon_pid(const char *pidfile);
/* Polls until no process holds pidfile or clock_ms() reaches until_ms;
 * 1 when it is gone. */
int	 daemon_wait_gone(const char *pidfile, long until_ms);

#endif
