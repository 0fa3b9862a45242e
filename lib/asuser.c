/* Work done as another user; see include/understudy/asuser.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "understudy/asuser.h"
#include "understudy/buf.h"
#include "understudy/run.h"

int
asuser_call(const char *user, asuser_fn fn, void *arg, char *why, size_t whylen)
{
	struct passwd *pw = getpwnam(user);
	char msg[1024];
	ssize_t n, got = 0;
	int fds[2], status, rc;
	pid_t pid;

	if (whylen)
		why[0] = '\0';
	if (pw == NULL) {
		snprintf(why, whylen, "user %s does not exist", user);
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) == -1) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		msg[0] = '\0';
		if (run_become(pw) == -1) {
			snprintf(msg, sizeof(msg), "cannot become %s: %s", user, strerror(errno));
			rc = -1;
		} else
			rc = fn(arg, msg, sizeof(msg));
		(void)!write(fds[1], msg, strlen(msg));
		_exit(rc == 0 ? 0 : 1);
	}
	close(fds[1]);
	while ((n = read(fds[0], msg + got, sizeof(msg) - 1 - (size_t)got)) > 0 ||
	    (n == -1 && errno == EINTR))
		if (n > 0)
			got += n;
	msg[got] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(why, whylen, "%s", got ? msg : "the child acting as the user died");
	return -1;
}

struct job {
	const char	*path, *to, *data, *line, *comment;
	size_t		 len;
	unsigned	 mode;
};

static int
fail_path(const char *path, char *why, size_t whylen)
{
	snprintf(why, whylen, "%.900s: %s", path, strerror(errno));
	return -1;
}

static int
do_write(void *arg, char *why, size_t whylen)
{
	const struct job *j = arg;
	struct buf b = BUF_INIT;
	int rc = 0;

	if (buf_append(&b, j->data, j->len) == -1 || buf_write_file(&b, j->path, j->mode) == -1)
		rc = fail_path(j->path, why, whylen);
	buf_free(&b);
	return rc;
}

int
asuser_write_file(const char *user, const char *path, const char *data, size_t len,
    unsigned mode, char *why, size_t whylen)
{
	struct job j = { .path = path, .data = data, .len = len, .mode = mode };

	return asuser_call(user, do_write, &j, why, whylen);
}

/* The file may be large (a postgresql.conf of 16 MiB is absurd but legal). */
#define APPEND_MAX	(16 << 20)

static int
do_append(void *arg, char *why, size_t whylen)
{
	const struct job *j = arg;
	struct buf cur = BUF_INIT, add = BUF_INIT;
	const char *s;
	size_t ll = strlen(j->line);
	int fd, rc = -1;

	struct stat st;
	char chunk[8192];
	ssize_t n;

	/* O_NONBLOCK and a regular file only: a FIFO put there must not hang us. */
	if ((fd = open(j->path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1)
		return fail_path(j->path, why, whylen);
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%.900s: not a regular file", j->path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (cur.len + (size_t)n > APPEND_MAX || buf_append(&cur, chunk, (size_t)n) == -1) {
			errno = EFBIG;
			goto fail;
		}
	if (n == -1)
		goto fail;
	for (s = buf_str(&cur); s; s = (s = strchr(s, '\n')) ? s + 1 : NULL)
		if (strncmp(s, j->line, ll) == 0 && (s[ll] == '\n' || s[ll] == '\0')) {
			rc = 0;	/* there already */
			goto out;
		}
	if (cur.len && cur.data[cur.len - 1] != '\n')
		buf_puts(&add, "\n");
	if (j->comment)
		buf_printf(&add, "# %s\n", j->comment);
	buf_printf(&add, "%s\n", j->line);
	if (write(fd, add.data, add.len) != (ssize_t)add.len || fsync(fd) == -1)
		goto fail;
	rc = 0;
	goto out;
fail:
	fail_path(j->path, why, whylen);
out:
	close(fd);
	buf_free(&cur);
	buf_free(&add);
	return rc;
}

int
asuser_append_line(const char *user, const char *path, const char *line, const char *comment,
    char *why, size_t whylen)
{
	struct job j = { .path = path, .line = line, .comment = comment };

	return asuser_call(user, do_append, &j, why, whylen);
}

static int
do_unlink(void *arg, char *why, size_t whylen)
{
	const struct job *j = arg;

	return unlink(j->path) == -1 && errno != ENOENT ? fail_path(j->path, why, whylen) : 0;
}

int
asuser_unlink(const char *user, const char *path, char *why, size_t whylen)
{
	struct job j = { .path = path };

	return asuser_call(user, do_unlink, &j, why, whylen);
}

static int
do_rename(void *arg, char *why, size_t whylen)
{
	const struct job *j = arg;

	/* RENAME_NOREPLACE: an old copy kept aside is never overwritten. */
	return renameat2(AT_FDCWD, j->path, AT_FDCWD, j->to, RENAME_NOREPLACE) == -1 ?
	    fail_path(j->to, why, whylen) : 0;
}

int
asuser_rename(const char *user, const char *from, const char *to, char *why, size_t whylen)
{
	struct job j = { .path = from, .to = to };

	return asuser_call(user, do_rename, &j, why, whylen);
}
