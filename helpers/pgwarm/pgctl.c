/* See pgctl.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "understudy/clock.h"
#include "understudy/run.h"
#include "understudy/ssh.h"
#include "pgctl.h"

void
pg_cmd_path(struct buf *cmd, const char *path)
{
	struct buf esc = BUF_INIT;

	for (; *path; path++)
		buf_puts(&esc, *path == '%' ? "%%" : (char[]){ *path, 0 });
	ssh_quote(cmd, buf_str(&esc));
	buf_free(&esc);
}

int
pg_tool(const struct pgctl *pg, const char *const *argv, int timeout_ms, struct buf *out,
    char *why, size_t whylen)
{
	const char *envp[] = { "LC_ALL=C", "PATH=/usr/bin:/bin", NULL };
	char prog[PATH_MAX], what[160];
	const char *av[32];
	struct buf err = BUF_INIT;
	struct run_cmd cmd = { .argv = av, .envp = envp, .run_as = pg->user, .cwd = "/",
	    .timeout_ms = timeout_ms, .out = out, .err = &err };
	struct run_result res;
	const char *tail;
	size_t i;

	snprintf(prog, sizeof(prog), "%s/%s", pg->bindir, argv[0]);
	av[0] = prog;
	for (i = 1; argv[i] && i < 31; i++)
		av[i] = argv[i];
	av[i] = NULL;
	run(&cmd, &res);
	if (res.status == RUN_EXITED && res.exit_code == 0) {
		buf_free(&err);
		return 0;
	}
	while (err.len && (err.data[err.len - 1] == '\n'))
		err.data[--err.len] = '\0';
	/* The reason is at the end; tools chatter before it. */
	tail = err.len > 600 ? err.data + err.len - 600 : buf_str(&err);
	if (tail != err.data && strchr(tail, '\n'))
		tail = strchr(tail, '\n') + 1;
	snprintf(why, whylen, "%s: %s%s%s", argv[0], run_describe(&res, what, sizeof(what)),
	    err.len ? ": " : "", tail);
	buf_free(&err);
	return -1;
}

static const char *
field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	if (p == NULL)
		return NULL;
	p += strlen(key);
	while (*p == ' ')
		p++;
	return p;
}

int
pg_lsn_parse(const char *s, uint64_t *out)
{
	unsigned hi, lo;

	if (s == NULL || sscanf(s, "%X/%X", &hi, &lo) != 2)
		return -1;
	*out = (uint64_t)hi << 32 | lo;
	return 0;
}

int
pg_control_read(const struct pgctl *pg, struct pg_control *c, char *why, size_t whylen)
{
	const char *argv[] = { "pg_controldata", "-D", pg->pgdata, NULL };
	struct buf out = BUF_INIT;
	const char *v;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (pg_tool(pg, argv, 20000, &out, why, whylen) == -1)
		goto done;
	if ((v = field(out.data, "Database cluster state:")) == NULL ||
	    pg_lsn_parse(field(out.data, "Latest checkpoint location:"), &c->ckpt) == -1 ||
	    (v = field(out.data, "Latest checkpoint's TimeLineID:")) == NULL) {
		snprintf(why, whylen, "pg_controldata: unexpected output");
		goto done;
	}
	c->tli = (uint32_t)strtoul(v, NULL, 10);
	v = field(out.data, "Database cluster state:");
	snprintf(c->state, sizeof(c->state), "%.*s", (int)strcspn(v, "\n"), v);
	if ((v = field(out.data, "Latest checkpoint's REDO WAL file:")) != NULL)
		snprintf(c->redo_file, sizeof(c->redo_file), "%.*s", (int)strcspn(v, "\n"), v);
	/* A standby shut down in recovery is as far as this says. */
	if (pg_lsn_parse(field(out.data, "Minimum recovery ending location:"), &c->minrec) == 0 &&
	    (v = field(out.data, "Min recovery ending loc's timeline:")) != NULL)
		c->minrec_tli = (uint32_t)strtoul(v, NULL, 10);
	v = field(out.data, "wal_log_hints setting:");
	c->hints = v && strncmp(v, "on", 2) == 0;
	v = field(out.data, "Data page checksum version:");
	c->hints |= v && *v != '0';
	rc = 0;
done:
	buf_free(&out);
	return rc;
}

static long
pm_pid(const struct pgctl *pg, char *status, size_t statuslen)
{
	char path[PATH_MAX], line[256];
	struct stat st;
	long pid = -1;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/postmaster.pid", pg->pgdata);
	if (status)
		snprintf(status, statuslen, "stopped");
	/* PGDATA is system_user's and the agent reads this as root: no
	 * symlink followed, no FIFO waited on, regular files only. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	for (int i = 1; i <= 8 && fgets(line, sizeof(line), f); i++) {
		line[strcspn(line, "\n")] = '\0';
		if (i == 1)
			pid = strtol(line, NULL, 10);
		if (i == 8 && status)
			snprintf(status, statuslen, "%s", line + strspn(line, " "));
	}
	fclose(f);
	return pid;
}

/* A killed postmaster stays a zombie until its parent reaps it: alive for
 * kill(2), dead for us. */
int
pg_running(const struct pgctl *pg)
{
	long pid = pm_pid(pg, NULL, 0);
	char path[64], stat[256] = "", *p;
	FILE *f;

	if (pid <= 0 || (kill((pid_t)pid, 0) == -1 && errno != EPERM))
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(stat, sizeof(stat), f) == NULL)
			stat[0] = '\0';
		fclose(f);
	}
	p = strrchr(stat, ')');
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

void
pg_pm_status(const struct pgctl *pg, char *out, size_t outlen)
{
	if (pm_pid(pg, out, outlen) > 0 && !pg_running(pg))
		snprintf(out, outlen, "stopped");
}

static int
become(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL)
		return -1;
	if (getuid() == pw->pw_uid)
		return 0;
	if (run_become(pw) == -1)
		return -1;
	setenv("HOME", pw->pw_dir, 1);
	return 0;
}

/* A conninfo value in single quotes, with ' and \ escaped as libpq wants. */
void
pg_ci_quote(struct buf *b, const char *v)
{
	buf_puts(b, "'");
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			buf_puts(b, "\\");
		buf_append(b, v, 1);
	}
	buf_puts(b, "'");
}

void
pg_conninfo(struct buf *b, const char *host, long port, const char *user, int timeout_s)
{
	buf_puts(b, "host=");
	pg_ci_quote(b, host);
	buf_printf(b, " port=%ld dbname=postgres application_name=pgwarm user=", port);
	pg_ci_quote(b, user);
	buf_printf(b, " connect_timeout=%d", timeout_s);
}

static void
query_child(const struct pgctl *pg, const char *conninfo, const char *sql, int timeout_ms,
    int fd)
{
	struct buf b = BUF_INIT, local = BUF_INIT;
	char *res = NULL;
	PGresult *r;
	PGconn *c;
	int ok = 0;

	if (become(pg->user) == -1) {
		dprintf(fd, "E cannot become user %s", pg->user);
		_exit(1);
	}
	pg_conninfo(&local, pg->host, pg->port, pg->user, timeout_ms / 1000 > 2 ? timeout_ms / 1000 : 2);
	c = PQconnectdb(conninfo ? conninfo : buf_str(&local));
	if (PQstatus(c) != CONNECTION_OK) {
		buf_printf(&b, "E %s", PQerrorMessage(c));
	} else if (r = PQexec(c, sql), PQresultStatus(r) != PGRES_TUPLES_OK &&
	    PQresultStatus(r) != PGRES_COMMAND_OK) {
		buf_printf(&b, "E %s", PQresultErrorMessage(r));
		PQclear(r);
	} else {
		buf_puts(&b, "O ");
		for (int i = 0; PQntuples(r) > 0 && i < PQnfields(r); i++)
			buf_printf(&b, "%s%s", i ? "|" : "", PQgetvalue(r, 0, i));
		ok = 1;
		PQclear(r);
	}
	PQfinish(c);
	res = buf_steal(&b);
	if (res && write(fd, res, strlen(res)) < 0)
		ok = 0;
	_exit(ok ? 0 : 1);
}

int
pg_query(const struct pgctl *pg, const char *conninfo, const char *sql, int timeout_ms,
    char *out, size_t outlen, char *why, size_t whylen)
{
	long deadline = clock_ms() + timeout_ms;
	struct buf b = BUF_INIT;
	int p[2], status;
	char chunk[4096];
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		query_child(pg, conninfo, sql, timeout_ms, p[1]);
	}
	close(p[1]);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		long left = deadline - clock_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			kill(pid, SIGKILL);
			buf_reset(&b);
			buf_puts(&b, "E no answer within the timeout");
			break;
		}
		if ((n = read(p[0], chunk, sizeof(chunk))) <= 0)
			break;
		buf_append(&b, chunk, (size_t)n);
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	while (b.len && (b.data[b.len - 1] == '\n'))
		b.data[--b.len] = '\0';
	if (b.len >= 2 && b.data[0] == 'O') {
		snprintf(out, outlen, "%s", b.data + 2);
		buf_free(&b);
		return 0;
	}
	snprintf(why, whylen, "%s", b.len >= 2 ? b.data + 2 : "query process failed");
	buf_free(&b);
	return -1;
}
