/* Action dispatch for OCF and legacy Heartbeat v1 invocations. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "understudy/conf.h"
#include "understudy/log.h"
#include "understudy/ocf.h"

extern char **environ;

static const char *const exit_names[] = {
	"OCF_SUCCESS", "OCF_ERR_GENERIC", "OCF_ERR_ARGS", "OCF_ERR_UNIMPLEMENTED",
	"OCF_ERR_PERM", "OCF_ERR_INSTALLED", "OCF_ERR_CONFIGURED", "OCF_NOT_RUNNING",
	"OCF_RUNNING_PROMOTED", "OCF_FAILED_PROMOTED"
};

const char *
ocf_exitcode_name(enum ocf_exitcode rc)
{
	if ((unsigned)rc < sizeof(exit_names) / sizeof(exit_names[0]))
		return exit_names[rc];
	return "OCF_UNKNOWN";
}

enum ocf_exitcode
ocf_fail(enum ocf_exitcode rc, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Pacemaker shows this line to the admin in crm_mon's failure list. */
	fprintf(stderr, "ocf-exit-reason:%s\n", msg);
	fflush(stderr);
	log_err("%s (%s)", msg, ocf_exitcode_name(rc));
	return rc;
}

int
ocf_is_probe(const struct ocf_rsc *r)
{
	return strcmp(r->action, "monitor") == 0 && r->interval_ms == 0;
}

long
ocf_stop_budget_ms(void)
{
	const char *t = getenv("OCF_RESKEY_CRM_meta_timeout");
	long ms = 120000;

	if (t && ocf_parse_long(t, &ms) == -1)
		ms = 120000;
	return ms > 10000 ? ms - 5000 : ms / 2;
}

void
ocf_rsctmp_path(const struct ocf_rsc *r, const char *suffix, char *out, size_t outlen)
{
	const char *tmp = getenv("HA_RSCTMP");

	tmp = tmp && *tmp ? tmp : "/run/resource-agents";
	/* Without systemd nothing makes it (a fresh root, a container): every
	 * caller is about to write there, so it is made here, once, for all. */
	if (mkdir(tmp, 0755) == -1 && errno != EEXIST)
		log_warn("%s: %s", tmp, strerror(errno));
	snprintf(out, outlen, "%.3800s/%s-%s.%s", tmp, r->agent->name, r->instance, suffix);
}

void
ocf_started_set(const struct ocf_rsc *r, int on)
{
	char path[4096];
	int fd;

	ocf_rsctmp_path(r, "started", path, sizeof(path));
	if (!on) {
		unlink(path);
		return;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0)
		close(fd);
}

int
ocf_started_is_set(const struct ocf_rsc *r)
{
	char path[4096];

	ocf_rsctmp_path(r, "started", path, sizeof(path));
	return access(path, F_OK) == 0;
}

static const char *
env_lookup(void *ctx, const char *name)
{
	char var[256];

	snprintf(var, sizeof(var), "OCF_RESKEY_%s", name);
	return getenv(var);
}

/* A typo in a parameter name would otherwise silently fall back to the
 * default. */
static void
warn_unknown_env(const struct ocf_agent *a)
{
	for (char **e = environ; *e; e++) {
		char name[256];
		size_t n;

		/* Pacemaker's own: CRM_meta_* and crm_feature_set. */
		if (strncmp(*e, "OCF_RESKEY_", 11) != 0 || strncmp(*e + 11, "CRM_meta_", 9) == 0 ||
		    strncmp(*e + 11, "crm_feature_set=", 16) == 0)
			continue;
		n = strcspn(*e + 11, "=");
		if (n >= sizeof(name))
			continue;
		memcpy(name, *e + 11, n);
		name[n] = '\0';
		if (ocf_param_index(a, name) == -1)
			log_warn("ignoring unknown parameter %s", name);
	}
}

struct legacy_src {
	const struct ocf_agent *agent;
	struct conf	 conf;
	const char	*pos[64];	/* by parameter index */
};

static const char *
legacy_lookup(void *ctx, const char *name)
{
	struct legacy_src *l = ctx;
	int i = ocf_param_index(l->agent, name);

	if (i >= 0 && i < 64 && l->pos[i])
		return l->pos[i];
	return conf_get(&l->conf, name);
}

/* Heartbeat v1: `AGENT [ARG…] start|stop|status`, the rest from a file. */
static enum ocf_exitcode
legacy_load(struct ocf_rsc *r, int argc, char **argv, struct legacy_src *src,
    char *why, size_t whylen)
{
	const char *path = getenv("UNDERSTUDY_CONF");
	char defpath[PATH_MAX];
	int i, arg = 1;

	memset(src, 0, sizeof(*src));
	src->agent = r->agent;
	if (path == NULL) {
		snprintf(defpath, sizeof(defpath), "/etc/understudy/%s.conf", r->agent->name);
		path = defpath;
		if (access(path, F_OK) == -1)
			goto positional;
	}
	if (conf_load(path, &src->conf, why, whylen) == -1)
		return OCF_ERR_CONFIGURED;
	for (size_t k = 0; k < src->conf.n; k++)
		if (ocf_param_index(r->agent, src->conf.v[k].key) == -1) {
			snprintf(why, whylen, "%.256s line %d: unknown parameter %.64s", path,
			    src->conf.v[k].line, src->conf.v[k].key);
			return OCF_ERR_CONFIGURED;
		}
positional:
	for (i = 0; r->agent->params[i].name && i < 64 && arg < argc - 1; i++)
		if (r->agent->params[i].flags & OCF_P_POSITIONAL)
			src->pos[i] = argv[arg++];
	if (arg < argc - 1) {
		snprintf(why, whylen, "too many arguments (\"%s\" and after)", argv[arg]);
		return OCF_ERR_ARGS;
	}
	return ocf_params_load(r, legacy_lookup, src, why, whylen);
}

static int
is_legacy(int argc, char **argv)
{
	const char *act = argv[argc - 1];

	if (getenv("OCF_ROOT") || getenv("OCF_RESOURCE_INSTANCE") || argc < 2)
		return 0;
	return strcmp(act, "start") == 0 || strcmp(act, "stop") == 0 ||
	    strcmp(act, "status") == 0;
}

static void
usage(const struct ocf_agent *a, FILE *fp)
{
	fprintf(fp, "usage: %s {", a->name);
	for (const struct ocf_action *ac = a->actions; ac->name; ac++)
		if (ac == a->actions || strcmp(ac->name, ac[-1].name) != 0)
			fprintf(fp, "%s|", ac->name);
	fprintf(fp, "meta-data|validate-all|usage}\n"
	    "   or: %s [ARG...] {start|stop|status}   (Heartbeat v1, see %s.conf)\n",
	    a->name, a->name);
}

static const struct ocf_action *
find_action(const struct ocf_agent *a, const char *name)
{
	for (const struct ocf_action *ac = a->actions; ac->name; ac++)
		if (strcmp(ac->name, name) == 0 && ac->fn)
			return ac;
	return NULL;
}

void
ocf_rsc_from_env(struct ocf_rsc *r)
{
	const char *inst = getenv("OCF_RESOURCE_INSTANCE");
	const char *iv = getenv("OCF_RESKEY_CRM_meta_interval");
	const char *cl = getenv("OCF_RESKEY_CRM_meta_clone");
	char *colon;
	long v;

	snprintf(r->instance, sizeof(r->instance), "%s", inst && *inst ? inst : r->agent->name);
	snprintf(r->base, sizeof(r->base), "%s", r->instance);
	r->clone = -1;
	/* A unique clone's instance is "db:1"; an anonymous clone's is plain
	 * "db", and only CRM_meta_clone tells that it is a clone at all. */
	if ((colon = strrchr(r->base, ':')) != NULL && ocf_parse_long(colon + 1, &v) == 0 && v >= 0) {
		*colon = '\0';
		r->clone = (int)v;
	}
	if (cl && ocf_parse_long(cl, &v) == 0 && v >= 0)
		r->clone = (int)v;
	r->interval_ms = iv && ocf_parse_long(iv, &v) == 0 ? v : 0;
}

/* What a validation failure means for this action. */
static enum ocf_exitcode
invalid(const struct ocf_rsc *r, enum ocf_exitcode rc, const char *why)
{
	if (rc == OCF_ERR_INSTALLED && strcmp(r->action, "stop") == 0) {
		log_warn("%s; nothing of it can be running here, stop succeeds", why);
		return OCF_SUCCESS;
	}
	if (rc == OCF_ERR_INSTALLED && ocf_is_probe(r)) {
		log_info("%s: not running here", why);
		return OCF_NOT_RUNNING;
	}
	return ocf_fail(rc, "%s", why);
}

static enum ocf_exitcode
dispatch(struct ocf_rsc *r, int argc, char **argv)
{
	const struct ocf_action *ac = NULL;
	struct legacy_src src;
	enum ocf_exitcode rc;
	char why[768];
	int set_up = 0;

	if (strcmp(r->action, "validate-all") != 0 && (ac = find_action(r->agent, r->action)) == NULL)
		return ocf_fail(OCF_ERR_UNIMPLEMENTED, "action %s is not implemented", r->action);
	why[0] = '\0';
	if (r->legacy)
		rc = legacy_load(r, argc, argv, &src, why, sizeof(why));
	else {
		warn_unknown_env(r->agent);
		rc = ocf_params_load(r, env_lookup, NULL, why, sizeof(why));
	}
	if (rc == OCF_SUCCESS && r->agent->setup) {
		r->agent->setup(r);
		set_up = 1;
	}
	if (rc == OCF_SUCCESS && r->agent->validate)
		rc = r->agent->validate(r, why, sizeof(why));
	if (rc != OCF_SUCCESS)
		rc = invalid(r, rc, why);
	else if (ac)
		rc = ac->fn(r);
	if (set_up && r->agent->teardown)
		r->agent->teardown(r);
	if (r->legacy)
		conf_free(&src.conf);
	return rc;
}

/* Heartbeat's ResourceManager only knows success or failure, and reads
 * "running"/"stopped" from status (LSB: 3 when stopped). For a promotable
 * agent only the promoted role counts as running: in Heartbeat v1 the
 * active node holds the primary. */
static int
legacy_exit(const char *verb, enum ocf_exitcode rc, int promotable)
{
	if (strcmp(verb, "status") != 0)
		return rc == OCF_SUCCESS ? 0 : 1;
	if (rc == OCF_RUNNING_PROMOTED || (rc == OCF_SUCCESS && !promotable)) {
		printf("running\n");
		return 0;
	}
	printf("stopped\n");
	return rc == OCF_NOT_RUNNING ? 3 : 1;
}

static enum ocf_exitcode
run_one(const struct ocf_agent *a, const char *action, int legacy, int argc, char **argv)
{
	const char *dbg = getenv("HA_debug");
	enum ocf_exitcode rc;
	struct ocf_rsc r;

	ocf_rsc_init(&r, a, action);
	r.legacy = legacy;
	ocf_rsc_from_env(&r);
	log_init(r.instance, 1, dbg && strcmp(dbg, "1") == 0);
	if (!legacy && argc > 2)
		rc = ocf_fail(OCF_ERR_ARGS, "unexpected argument \"%s\"", argv[2]);
	else
		rc = dispatch(&r, argc, argv);
	log_debug("%s: %s", action, ocf_exitcode_name(rc));
	ocf_rsc_free(&r);
	log_fini();
	return rc;
}

/* Heartbeat v1 has no roles: the node that takes the resource over gets
 * the promoted one (start, then promote), the one that gives it up stops
 * (demote, then stop). */
static enum ocf_exitcode
legacy_promotable(const struct ocf_agent *a, const char *verb, int argc, char **argv)
{
	enum ocf_exitcode rc;

	if (strcmp(verb, "start") == 0) {
		rc = run_one(a, "start", 1, argc, argv);
		return rc == OCF_SUCCESS ? run_one(a, "promote", 1, argc, argv) : rc;
	}
	rc = run_one(a, "monitor", 1, argc, argv);
	if (rc == OCF_RUNNING_PROMOTED && (rc = run_one(a, "demote", 1, argc, argv)) != OCF_SUCCESS)
		return rc;
	return run_one(a, "stop", 1, argc, argv);
}

int
ocf_main(const struct ocf_agent *a, int argc, char **argv)
{
	enum ocf_exitcode rc;
	const char *verb;
	struct buf b = BUF_INIT;
	int legacy = is_legacy(argc, argv);

	if (argc < 2) {
		usage(a, stderr);
		return OCF_ERR_ARGS;
	}
	verb = legacy ? argv[argc - 1] : argv[1];
	if (strcmp(verb, "meta-data") == 0 || strcmp(verb, "man-page") == 0) {
		if (strcmp(verb, "meta-data") == 0)
			ocf_meta_data(a, &b);
		else
			ocf_man_page(a, &b);
		fputs(buf_str(&b), stdout);
		buf_free(&b);
		return OCF_SUCCESS;
	}
	if (strcmp(verb, "usage") == 0 || strcmp(verb, "help") == 0) {
		usage(a, stdout);
		return OCF_SUCCESS;
	}
	if (legacy && find_action(a, "promote") != NULL &&
	    (strcmp(verb, "start") == 0 || strcmp(verb, "stop") == 0))
		return legacy_exit(verb, legacy_promotable(a, verb, argc, argv), 1);
	rc = run_one(a, legacy && strcmp(verb, "status") == 0 ? "monitor" : verb, legacy,
	    argc, argv);
	return legacy ? legacy_exit(verb, rc, find_action(a, "promote") != NULL) : (int)rc;
}
