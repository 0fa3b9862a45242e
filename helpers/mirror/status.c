/* The status file; see status.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "understudy/buf.h"
#include "understudy/daemon.h"
#include "understudy/conf.h"
#include "understudy/lock.h"
#include "understudy/ocf.h"
#include "status.h"

int
status_save(const char *state_dir, const struct mirror_status *s, char *why, size_t whylen)
{
	char path[4200];
	struct buf b = BUF_INIT;
	int rc = -1;

	buf_printf(&b, "last_run = %lld\nlast_success = %lld\nresult = %s\nduration_ms = %ld\n"
	    "files = %lu\nbytes = %llu\ndeleted = %lu\nconflicts = %lu\nerrors = %lu\n"
	    "overruns = %lu\nmessage = \"", (long long)s->last_run, (long long)s->last_success,
	    s->result ? s->result : "none", s->duration_ms, s->files, s->bytes, s->deleted,
	    s->conflicts, s->errors, s->overruns);
	for (const char *m = s->message; *m; m++)
		buf_printf(&b, "%c", *m == '\n' || *m == '"' ? '\'' : *m);
	buf_puts(&b, "\"\n");
	snprintf(path, sizeof(path), "%s/status", state_dir);
	if (buf_write_file(&b, path, 0644) == -1)
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
	else
		rc = 0;
	buf_free(&b);
	return rc;
}

static unsigned long
ul(const struct conf *c, const char *k)
{
	const char *v = conf_get(c, k);
	long n;

	return v && ocf_parse_long(v, &n) == 0 && n >= 0 ? (unsigned long)n : 0;
}

int
status_load(const char *state_dir, struct mirror_status *s)
{
	struct conf cf = { 0 };
	char path[4200], why[256];
	const char *v;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/status", state_dir);
	if (conf_load(path, &cf, why, sizeof(why)) == -1)
		return -1;
	s->last_run = (time_t)ul(&cf, "last_run");
	s->last_success = (time_t)ul(&cf, "last_success");
	s->duration_ms = (long)ul(&cf, "duration_ms");
	s->files = ul(&cf, "files");
	s->bytes = ul(&cf, "bytes");
	s->deleted = ul(&cf, "deleted");
	s->conflicts = ul(&cf, "conflicts");
	s->errors = ul(&cf, "errors");
	s->overruns = ul(&cf, "overruns");
	snprintf(s->result_buf, sizeof(s->result_buf), "%s",
	    (v = conf_get(&cf, "result")) ? v : "none");
	s->result = s->result_buf;
	snprintf(s->message, sizeof(s->message), "%s", (v = conf_get(&cf, "message")) ? v : "");
	conf_free(&cf);
	return 0;
}

long
status_daemon_pid(const char *state_dir)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/mirror-sync.pid", state_dir);
	return daemon_pid(path);
}

int
status_print(const char *state_dir, FILE *out)
{
	struct mirror_status s;
	long pid = status_daemon_pid(state_dir);
	char when[64] = "never";

	if (pid > 0)
		fprintf(out, "daemon: running (pid %ld)\n", pid);
	else
		fprintf(out, "daemon: not running\n");
	if (status_load(state_dir, &s) == -1) {
		fprintf(out, "last sync: none recorded in %s\n", state_dir);
		return 0;
	}
	if (s.last_run)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&s.last_run));
	fprintf(out, "last sync: %s, %s, %ld ms\nentries sent: %lu (%llu bytes), deleted: %lu\n"
	    "conflicts kept by peers: %lu, errors: %lu, overruns: %lu\n", when, s.result,
	    s.duration_ms, s.files, s.bytes, s.deleted, s.conflicts, s.errors, s.overruns);
	if (s.last_success)
		fprintf(out, "last success: %lld s ago\n", (long long)(time(NULL) - s.last_success));
	if (s.message[0])
		fprintf(out, "message: %s\n", s.message);
	return 0;
}
