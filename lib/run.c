/* Spawning programs with an argv; see include/understudy/run.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "understudy/clock.h"
#include "understudy/run.h"

#define RUN_KILL_GRACE_MS	2000

extern char **environ;

int
run_which(const char *prog, char *out, size_t outlen)
{
	const char *path, *p, *colon;

	if (strchr(prog, '/')) {
		if (access(prog, X_OK) != 0)
			return -1;
		snprintf(out, outlen, "%s", prog);
		return 0;
	}
	if ((path = getenv("PATH")) == NULL || *path == '\0')
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (p = path; ; p = colon + 1) {
		struct stat st;
		size_t dlen;

		colon = strchr(p, ':');
		dlen = colon ? (size_t)(colon - p) : strlen(p);
		if (dlen > 0 && (size_t)snprintf(out, outlen, "%.*s/%s", (int)dlen, p, prog) < outlen &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		if (colon == NULL)
			return -1;
	}
}

static int
groups_of(const char *name, gid_t gid, struct run_ident *id)
{
	int n = 32;

	for (int tries = 0; tries < 8; tries++) {
		gid_t *g = realloc(id->groups, (size_t)n * sizeof(*g));
		int want = n;

		if (g == NULL)
			return -1;
		id->groups = g;
		if (getgrouplist(name, gid, g, &want) != -1) {
			id->ngroups = want;
			return 0;
		}
		n = want > n ? want : n * 2;	/* want holds the size needed */
	}
	errno = ERANGE;
	return -1;
}

static int
ident_of(const struct passwd *pw, struct run_ident *id)
{
	*id = (struct run_ident){ pw->pw_uid, pw->pw_gid, 0, NULL };
	if (groups_of(pw->pw_name, pw->pw_gid, id) == -1) {
		run_ident_free(id);
		return -1;
	}
	return 0;
}

int
run_ident_lookup(const char *user, struct run_ident *id)
{
	struct passwd pwbuf, *pw = NULL;
	size_t len = 4096;
	char *b = NULL;
	int rc, e;

	for (;;) {
		char *nb = realloc(b, len);

		if (nb == NULL) {
			free(b);
			return -1;
		}
		b = nb;
		if ((e = getpwnam_r(user, &pwbuf, b, len, &pw)) != ERANGE || len >= (1 << 20))
			break;
		len *= 2;
	}
	if (pw == NULL) {
		free(b);
		errno = e ? e : ENOENT;
		return -1;
	}
	rc = ident_of(pw, id);
	e = errno;
	free(b);
	errno = e;
	return rc;
}

void
run_ident_free(struct run_ident *id)
{
	free(id->groups);
	id->groups = NULL;
	id->ngroups = 0;
}

/* Groups first, then gid, then uid: each later step drops the right to
 * take the earlier ones. */
int
run_ident_apply(const struct run_ident *id)
{
	if (setgroups((size_t)id->ngroups, id->groups) == -1 || setgid(id->gid) == -1 ||
	    setuid(id->uid) == -1)
		return -1;
	return 0;
}

int
run_become(const struct passwd *pw)
{
	struct run_ident id;
	int rc, e;

	if (ident_of(pw, &id) == -1)
		return -1;
	rc = run_ident_apply(&id);
	e = errno;
	run_ident_free(&id);
	errno = e;
	return rc;
}

/* In the child, after fork: no allocation, only async-signal-safe calls. */
static void
child(const struct run_cmd *c, const char *prog, const struct run_ident *id,
    int in, int out, int err, int errpipe)
{
	int e;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(err, 2) == -1)
		goto fail;
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
		goto fail;
	if (id && run_ident_apply(id) == -1)
		goto fail;
	if (c->cwd && chdir(c->cwd) == -1)
		goto fail;
	/* execve's prototype predates const; it does not write to either. */
	union { const char *const *c; char *const *m; } av = { c->argv }, ev = { c->envp };

	execve(prog, av.m, c->envp ? ev.m : environ);
fail:
	e = errno;
	(void)!write(errpipe, &e, sizeof(e));
	_exit(127);
}

struct run_io {
	int		 fd[3];		/* stdin writer, stdout reader, stderr reader */
	struct buf	*sink[3];
	size_t		 dropped[3];	/* past max: read, then dropped */
	size_t		 max;
	size_t		 fed;
};

static void
close_fd(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

/* One round of I/O; returns when something happened or wait_ms passed. */
static void
pump(const struct run_cmd *c, struct run_io *io, int wait_ms)
{
	struct pollfd pfd[3];
	char chunk[16384];
	int i;

	for (i = 0; i < 3; i++) {
		pfd[i].fd = io->fd[i];
		pfd[i].events = i == 0 ? POLLOUT : POLLIN;
		pfd[i].revents = 0;
	}
	if (poll(pfd, 3, wait_ms) <= 0)
		return;
	if (pfd[0].revents) {
		ssize_t n = write(io->fd[0], (const char *)c->input + io->fed,
		    c->input_len - io->fed);

		if (n > 0)
			io->fed += (size_t)n;
		if ((n < 0 && errno != EAGAIN && errno != EINTR) || io->fed == c->input_len)
			close_fd(&io->fd[0]);
	}
	for (i = 1; i < 3; i++) {
		ssize_t n;

		if (!pfd[i].revents)
			continue;
		n = read(io->fd[i], chunk, sizeof(chunk));
		if (n > 0 && io->sink[i])
			io->dropped[i] += buf_append_max(io->sink[i], chunk, (size_t)n, io->max);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			close_fd(&io->fd[i]);
	}
}

static int
make_pipe(int p[2], int parent_end)
{
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	fcntl(p[parent_end], F_SETFL, O_NONBLOCK);
	return 0;
}

static int
open_devnull(void)
{
	return open("/dev/null", O_RDWR | O_CLOEXEC);
}

static void
fill_result(struct run_result *r, int status)
{
	if (WIFEXITED(status)) {
		r->status = RUN_EXITED;
		r->exit_code = WEXITSTATUS(status);
	} else {
		r->status = RUN_SIGNALED;
		r->term_signal = WTERMSIG(status);
	}
}

/* Waits for the child while moving I/O, killing its group on timeout. */
static void
supervise(const struct run_cmd *c, pid_t pid, struct run_io *io, struct run_result *r, long start)
{
	long deadline = c->timeout_ms > 0 ? start + c->timeout_ms : -1, killed_at = -1;
	int status, done = 0;

	while (!done) {
		pump(c, io, 50);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			done = 1;
			/* Take what is already written; a daemonized grandchild
			 * holding the pipe open must not hang us. */
			for (int i = 0; i < 4 && (io->fd[1] != -1 || io->fd[2] != -1); i++)
				pump(c, io, 10);
			break;
		}
		if (deadline >= 0 && killed_at < 0 && clock_ms() >= deadline) {
			kill(-pid, SIGTERM);
			killed_at = clock_ms();
		} else if (killed_at >= 0 && clock_ms() - killed_at >= RUN_KILL_GRACE_MS) {
			kill(-pid, SIGKILL);
			killed_at = clock_ms() + 1000000;
		}
	}
	if (killed_at >= 0) {
		kill(-pid, SIGKILL);
		r->status = RUN_TIMEOUT;
	} else
		fill_result(r, status);
}

static int
setup_fds(const struct run_cmd *c, int in[2], int out[2], int err[2])
{
	in[0] = in[1] = out[0] = out[1] = err[0] = err[1] = -1;
	if (c->input ? make_pipe(in, 1) : (in[0] = open_devnull()) == -1)
		return -1;
	if (make_pipe(out, 0) == -1)
		return -1;
	if (c->merge_stderr) {
		if ((err[1] = dup(out[1])) == -1)
			return -1;
		return 0;
	}
	return make_pipe(err, 0);
}

static void
close_all(int in[2], int out[2], int err[2])
{
	for (int i = 0; i < 2; i++) {
		close_fd(&in[i]);
		close_fd(&out[i]);
		close_fd(&err[i]);
	}
}

enum run_status
run(const struct run_cmd *c, struct run_result *r)
{
	char prog[4096];
	struct run_ident id;
	struct run_io io;
	int in[2], out[2], err[2], ep[2], e;
	long start = clock_ms();
	pid_t pid;

	memset(r, 0, sizeof(*r));
	signal(SIGPIPE, SIG_IGN);	/* a child that exits early must not kill us */
	if (run_which(c->argv[0], prog, sizeof(prog)) == -1)
		return r->status = RUN_NOT_FOUND;
	if (c->run_as && run_ident_lookup(c->run_as, &id) == -1) {
		r->errno_value = errno;
		return r->status = errno == ENOENT ? RUN_NO_USER : RUN_ERROR;
	}
	if (setup_fds(c, in, out, err) == -1 || pipe2(ep, O_CLOEXEC) == -1) {
		r->errno_value = errno;
		close_all(in, out, err);
		if (c->run_as)
			run_ident_free(&id);
		return r->status = RUN_ERROR;
	}
	if ((pid = fork()) == -1) {
		r->errno_value = errno;
		close_all(in, out, err);
		close(ep[0]);
		close(ep[1]);
		if (c->run_as)
			run_ident_free(&id);
		return r->status = RUN_ERROR;
	}
	if (pid == 0)
		child(c, prog, c->run_as ? &id : NULL, in[0], out[1], err[1], ep[1]);
	if (c->run_as)
		run_ident_free(&id);
	setpgid(pid, pid);	/* both sides set it: no race with kill(-pid) */
	close(ep[1]);
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	io = (struct run_io){ .fd = { in[1], out[0], err[0] },
	    .sink = { NULL, c->out, c->merge_stderr ? NULL : c->err },
	    .max = c->capture_max ? c->capture_max : BUF_CAPTURE_MAX };
	if (c->input && c->input_len == 0)
		close_fd(&io.fd[0]);
	supervise(c, pid, &io, r, start);
	for (int i = 0; i < 3; i++)
		close_fd(&io.fd[i]);
	r->out_dropped = io.dropped[1];
	r->err_dropped = io.dropped[2];
	if (io.sink[2])
		buf_note_dropped(io.sink[2], io.dropped[2]);
	if (read(ep[0], &e, sizeof(e)) == sizeof(e)) {
		r->errno_value = e;
		r->status = (e == ENOENT || e == EACCES) ? RUN_NOT_FOUND : RUN_ERROR;
	}
	close(ep[0]);
	r->elapsed_ms = clock_ms() - start;
	return r->status;
}

const char *
run_describe(const struct run_result *r, char *out, size_t outlen)
{
	switch (r->status) {
	case RUN_EXITED:
		snprintf(out, outlen, "exited with status %d", r->exit_code);
		break;
	case RUN_SIGNALED:
		snprintf(out, outlen, "killed by signal %d (%s)", r->term_signal,
		    strsignal(r->term_signal));
		break;
	case RUN_TIMEOUT:
		snprintf(out, outlen, "timed out after %ld ms and was killed", r->elapsed_ms);
		break;
	case RUN_NOT_FOUND:
		snprintf(out, outlen, "program not found or not executable");
		break;
	case RUN_NO_USER:
		snprintf(out, outlen, "user does not exist");
		break;
	default:
		snprintf(out, outlen, "could not be started: %s", strerror(r->errno_value));
		break;
	}
	return out;
}
