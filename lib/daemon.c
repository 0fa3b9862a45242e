/* Detached helpers and their pid files (see daemon.h). */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "understudy/buf.h"
#include "understudy/clock.h"
#include "understudy/daemon.h"
#include "understudy/lock.h"

int
daemon_spawn(const char *const argv[], const char *logfile)
{
	pid_t pid = fork();
	int fd;

	if (pid == -1)
		return -1;
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		return 0;
	}
	setsid();
	if (fork() != 0)	/* a second fork: nobody's child but init's */
		_exit(0);
	if ((fd = open("/dev/null", O_RDONLY)) != -1)
		dup2(fd, 0);
	fd = logfile ? open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0600) :
	    open("/dev/null", O_WRONLY);
	if (fd != -1) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	closefrom(3);
	execv(argv[0], (char *const *)(uintptr_t)argv);
	_exit(127);
}

long
daemon_pid(const char *pidfile)
{
	struct buf b = BUF_INIT;
	long pid = 0;

	if (lock_is_held(pidfile) == 1 && buf_read_file(&b, pidfile, 64) == 0)
		pid = strtol(buf_str(&b), NULL, 10);
	buf_free(&b);
	return pid;
}

int
daemon_wait_gone(const char *pidfile, long until_ms)
{
	while (daemon_pid(pidfile) > 0 && clock_ms() < until_ms)
		usleep(10000);
	return daemon_pid(pidfile) <= 0;
}
