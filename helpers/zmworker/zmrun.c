/* zonemaster-cli runs (see zmrun.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "understudy/asuser.h"
#include "understudy/clock.h"
#include "understudy/run.h"
#include "zmrun.h"

#define ERR_TAIL	4096
#define LINE_MAX_BYTES	(1 << 20)
#define ENV_MAX		64
#define RUN_PATH	"/usr/local/bin:/usr/bin:/bin"

extern char **environ;

static double
now_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int
env_add(char **env, size_t *n, const char *name, const char *value)
{
	if (*n + 1 >= ENV_MAX || asprintf(&env[*n], "%s=%s", name, value) < 0)
		return -1;
	env[++*n] = NULL;
	return 0;
}

static void
env_free(char **env)
{
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* What a test needs of an environment and nothing of the daemon's (the
 * agent's OCF_RESKEY_*, PCMK_*): a fixed PATH, who it is, our locale. */
static char **
env_build(const struct passwd *pw)
{
	char **env = calloc(ENV_MAX, sizeof(*env));
	size_t n = 0;
	int bad = env == NULL;

	if (!bad)
		bad = env_add(env, &n, "PATH", RUN_PATH) < 0 ||
		    (pw && (env_add(env, &n, "HOME", pw->pw_dir) < 0 ||
		    env_add(env, &n, "USER", pw->pw_name) < 0 ||
		    env_add(env, &n, "LOGNAME", pw->pw_name) < 0));
	for (char **e = environ; !bad && e && *e; e++) {
		if ((strncmp(*e, "LANG=", 5) == 0 || strncmp(*e, "LANGUAGE=", 9) == 0 ||
		    strncmp(*e, "LC_", 3) == 0 || strncmp(*e, "TZ=", 3) == 0) &&
		    n + 1 < ENV_MAX && (env[n] = strdup(*e)) != NULL)
			env[++n] = NULL;
	}
	if (bad) {
		env_free(env);
		return NULL;
	}
	return env;
}

/* In the child, after fork: only async-signal-safe calls until execve
 * (the user's groups were resolved before the fork). Marking every fd
 * above 2 close-on-exec keeps the error pipe working until the exec. */
static void
child(const char *prog, char *const argv[], char *const env[], const struct run_ident *id,
    int out, int err, int ex)
{
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC), e;
	sigset_t none;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 ||
	    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0 || chdir("/") < 0 ||
	    (id != NULL && run_ident_apply(id) < 0))
		goto fail;
	execve(prog, argv, env);
fail:
	e = errno;
	(void)!write(ex, &e, sizeof(e));
	_exit(127);
}

int
zm_run_start(struct zm_run *r, char *const argv[], const char *user, long timeout_s,
    char *why, size_t whylen)
{
	int out[2], err[2], ex[2];
	char prog[4096], **env;
	struct passwd *pw = NULL;
	struct run_ident id = { 0 };
	ssize_t n;
	int e;

	buf_init(&r->line);
	buf_init(&r->err);
	r->messages = json_array();
	r->out_fd = r->err_fd = -1;
	r->timeout_s = timeout_s;
	r->deadline_ms = timeout_s > 0 ? clock_ms() + timeout_s * 1000 : 0;
	if (run_which(argv[0], prog, sizeof(prog)) < 0) {
		snprintf(why, whylen, "cannot run %s: not found or not executable", argv[0]);
		return -1;
	}
	/* Who the test becomes, resolved here: NSS is no business of a child. */
	if (user != NULL && (run_ident_lookup(user, &id) < 0 || (pw = getpwnam(user)) == NULL)) {
		snprintf(why, whylen, "user %s: %s", user, errno == ENOENT || errno == 0 ?
		    "no such user" : strerror(errno));
		run_ident_free(&id);
		return -1;
	}
	if ((env = env_build(pw)) == NULL) {
		snprintf(why, whylen, "out of memory");
		run_ident_free(&id);
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		env_free(env);
		run_ident_free(&id);
		return -1;
	}
	r->pid = fork();
	if (r->pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		env_free(env);
		run_ident_free(&id);
		return -1;
	}
	if (r->pid == 0)
		child(prog, argv, env, user ? &id : NULL, out[1], err[1], ex[1]);
	env_free(env);
	run_ident_free(&id);
	setpgid(r->pid, r->pid);	/* both sides, so a kill never misses */
	close(out[1]);
	close(err[1]);
	close(ex[1]);
	n = read(ex[0], &e, sizeof(e));	/* EOF: exec worked (CLOEXEC) */
	close(ex[0]);
	r->out_fd = out[0];
	r->err_fd = err[0];
	fcntl(r->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(r->err_fd, F_SETFL, O_NONBLOCK);
	if (n == (ssize_t)sizeof(e)) {
		snprintf(why, whylen, "cannot run %s%s%s: %s", argv[0], pw ? " as " : "",
		    pw ? pw->pw_name : "", strerror(e));
		waitpid(r->pid, NULL, 0);
		r->pid = 0;
		return -1;
	}
	return 0;
}

static int
open_read(void *arg, char *why, size_t whylen)
{
	int fd = open(arg, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int
zm_run_can_read(const char *user, const char *path, char *why, size_t whylen)
{
	union { const char *c; void *m; } p = { path };	/* open_read only reads it */

	if (user == NULL)
		return open_read(p.m, why, whylen);
	return asuser_call(user, open_read, p.m, why, whylen);
}

json_t *
zm_msg_parse(const char *line, size_t len)
{
	json_error_t jerr;
	json_t *m;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return NULL;
	m = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (m != NULL && (!json_is_object(m) || !json_is_string(json_object_get(m, "tag")) ||
	    !json_is_string(json_object_get(m, "level")))) {
		json_decref(m);
		return NULL;
	}
	return m;
}

static void
take_lines(struct zm_run *r, int eof)
{
	size_t start = 0;

	if (r->line.data == NULL)	/* EOF before any output */
		return;
	for (;;) {
		char *nl = memchr(r->line.data + start, '\n', r->line.len - start);
		size_t len;
		json_t *m;

		if (nl == NULL) {
			if (!eof && r->line.len - start < LINE_MAX_BYTES)
				break;
			len = r->line.len - start;	/* last line, or a runaway one */
			if (len == 0)
				break;
		} else
			len = (size_t)(nl - (r->line.data + start));
		m = zm_msg_parse(r->line.data + start, len);
		if (m != NULL)
			json_array_append_new(r->messages, m);
		else if (len > 0)
			r->unparsed++;
		start += len + (nl != NULL);
		if (nl == NULL)
			break;
	}
	memmove(r->line.data, r->line.data + start, r->line.len - start);
	r->line.len -= start;
	if (r->line.data)
		r->line.data[r->line.len] = '\0';
}

int
zm_run_read(struct zm_run *r, int fd)
{
	char chunk[16384];
	ssize_t n;
	int is_out = fd == r->out_fd;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			break;
		if (is_out && r->out_bytes + (size_t)n > ZM_OUTPUT_MAX) {
			/* Drained, not kept: a runaway (or owned) test must not
			 * grow a root daemon without limit. */
			r->out_bytes = ZM_OUTPUT_MAX + 1;
			zm_run_kill(r, ZM_KILL_OUTPUT);
		} else if (is_out) {
			r->out_bytes += (size_t)n;
			buf_append(&r->line, chunk, (size_t)n);
			take_lines(r, 0);
		} else {
			buf_append(&r->err, chunk, (size_t)n);
			if (r->err.len > ERR_TAIL) {
				memmove(r->err.data, r->err.data + r->err.len - ERR_TAIL, ERR_TAIL);
				r->err.len = ERR_TAIL;
				r->err.data[ERR_TAIL] = '\0';
			}
		}
	}
	if (is_out) {
		take_lines(r, 1);
		r->out_fd = -1;
	} else
		r->err_fd = -1;
	return 1;	/* the caller unregisters and closes fd */
}

void
zm_run_kill(struct zm_run *r, enum zm_kill why)
{
	if (r->pid <= 0)
		return;
	if (r->killed == ZM_KILL_NONE)
		r->killed = why;
	kill(-r->pid, SIGKILL);
}

int
zm_run_done(const struct zm_run *r)
{
	return r->pid == 0 && r->out_fd < 0 && r->err_fd < 0;
}

static void
add_note(struct zm_run *r, const char *tag, json_t *args)
{
	json_array_append_new(r->messages, json_pack("{so ss ss ss sf}", "args", args,
	    "level", "CRITICAL", "module", "ZMWORKER", "tag", tag,
	    "timestamp", now_s() - r->start));
}

json_t *
zm_run_result(struct zm_run *r, const json_t *entry)
{
	json_t *res = json_deep_copy(entry);

	if (r->killed == ZM_KILL_TIMEOUT)
		add_note(r, "TEST_TIMEOUT", json_pack("{si}", "timeout", (int)r->timeout_s));
	else if (r->killed == ZM_KILL_CANCEL)
		add_note(r, "TEST_CANCELLED", json_object());
	else if (r->killed == ZM_KILL_OUTPUT)
		add_note(r, "TEST_FAILED", json_pack("{sI ss}", "output_limit",
		    (json_int_t)ZM_OUTPUT_MAX, "stderr", r->err.data ? r->err.data : ""));
	else if (WIFSIGNALED(r->wstatus))
		add_note(r, "TEST_FAILED", json_pack("{si ss}", "signal", WTERMSIG(r->wstatus),
		    "stderr", r->err.data ? r->err.data : ""));
	else if (WEXITSTATUS(r->wstatus) != 0)
		add_note(r, "TEST_FAILED", json_pack("{si ss}", "exit", WEXITSTATUS(r->wstatus),
		    "stderr", r->err.data ? r->err.data : ""));
	if (r->unparsed > 0)
		json_array_append_new(r->messages, json_pack("{s{si} ss ss ss sf}", "args",
		    "lines", (int)r->unparsed, "level", "WARNING", "module", "ZMWORKER",
		    "tag", "UNPARSED_OUTPUT", "timestamp", now_s() - r->start));
	json_object_set(res, "messages", r->messages);
	json_object_set_new(res, "end_time", json_real(now_s()));
	return res;
}

void
zm_run_free(struct zm_run *r)
{
	if (r->out_fd >= 0)
		close(r->out_fd);
	if (r->err_fd >= 0)
		close(r->err_fd);
	buf_free(&r->line);
	buf_free(&r->err);
	json_decref(r->messages);
}
