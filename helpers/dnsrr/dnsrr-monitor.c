/* dnsrr-monitor: the seed's failover-monitor as a daemon. Every interval
 * it runs all check_serverN checks at once (one poll loop), and per check
 * withdraws the round-robin record from every DNS server after `fall`
 * failures (never below min_records) and restores it after `rise`
 * successes. With restart = yes a failing service is first restarted over
 * SSH (key authentication, known_hosts checked) by its start/stop script.
 *   dnsrr-monitor -c FILE [-1] [-n] [-d]
 * -1 runs one round, prints each check's state and exits (0 = all healthy);
 * -n only checks and never touches DNS; -d logs debug. Exit 2 for a
 * configuration error. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "understudy/clock.h"
#include "understudy/buf.h"
#include "understudy/log.h"
#include "understudy/ssh.h"
#include "fanout.h"
#include "monconf.h"

#define MON_FILE_MAX	(1024 * 1024)

struct watch {
	struct seed_check	*sc;
	ldns_rr			*rr;
	char			 zone[256];
	int			 ok_streak, fail_streak;
	int			 state;		/* 1 record in, 0 withdrawn, -1 not known yet */
	int			 restarted;	/* a restart was tried in this failure */
};

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	stopping = sig;
}

static int
load(const char *path, struct monconf *m, struct tsig_key *key)
{
	struct buf text = BUF_INIT, warn = BUF_INIT;
	char why[600];
	int rc;

	if (buf_read_file(&text, path, MON_FILE_MAX) == -1) {
		log_err("%s: %s", path, strerror(errno));
		buf_free(&text);
		return -1;
	}
	rc = monconf_parse(buf_str(&text), text.len, path, m, &warn, why, sizeof(why));
	for (char *l = warn.data, *nl; l && *l; l = nl + 1) {
		nl = strchr(l, '\n');
		log_warn("%.*s", (int)(nl - l), l);
	}
	buf_free(&text);
	buf_free(&warn);
	if (rc == -1) {
		log_err("%s", why);
		return -1;
	}
	if (tsig_load(m->tsig_key_file, NULL, key, why, sizeof(why)) == -1) {
		log_err("%s", why);
		return -1;
	}
	return 0;
}

static int
watch_init(struct watch *w, struct seed_check *sc, const struct monconf *m)
{
	char text[1024];

	memset(w, 0, sizeof(*w));
	w->sc = sc;
	w->state = -1;
	snprintf(text, sizeof(text), "%s%s %ld IN %s %s", sc->name,
	    sc->name[strlen(sc->name) - 1] == '.' ? "" : ".", m->ttl,
	    strchr(sc->spec.host, ':') ? "AAAA" : "A", sc->spec.host);
	snprintf(w->zone, sizeof(w->zone), "%s", m->zone);
	return ldns_rr_new_frm_str(&w->rr, text, 0, NULL, NULL) == LDNS_STATUS_OK ? 0 : -1;
}

static int
zone_of(struct watch *w, const struct monconf *m, const struct tsig_key *key)
{
	char why[512];

	if (w->zone[0])
		return 0;
	for (size_t i = 0; i < m->servers.n; i++) {
		struct dnsup u = { &m->servers.v[i], key, (int)m->check_timeout_ms };

		if (dnsup_find_zone(&u, w->sc->name, w->zone, sizeof(w->zone), why,
		    sizeof(why)) == DNSUP_OK)
			return 0;
		log_warn("%s", why);
	}
	return -1;
}

/* Adds (in = 1) or withdraws (in = 0) the record on every server. */
static void
apply(struct watch *w, int in, const struct monconf *m, const struct tsig_key *key)
{
	struct fanout f = { &m->servers, key, (int)m->check_timeout_ms, w->zone, w->rr,
	    (unsigned)m->min_records, NULL, 0, DNSUP_OK, "" };

	if (zone_of(w, m, key) == -1)
		return;
	if (fanout_run(&f, in ? FANOUT_ADD : FANOUT_WITHDRAW) == -1)
		fatal(1, "out of memory");
	for (size_t i = 0; i < m->servers.n; i++)
		if (f.per[i].res != DNSUP_OK)
			log_warn("%s", f.per[i].why);
	if (f.worst == DNSUP_OK || (in && f.ok > 0)) {
		w->state = in;
		log_info("%s %s %s on %zu of %zu server(s)", w->sc->name, w->sc->spec.host,
		    in ? "restored" : "withdrawn", f.ok, m->servers.n);
	}
	fanout_free(&f);
}

/* The seed's "stop, then start" of the service's script, over SSH. */
static void
restart(struct watch *w, const struct monconf *m)
{
	struct ssh_opts o = { .host = w->sc->spec.host, .port = (unsigned)m->ssh_port,
	    .user = m->ssh_user,
	    .key_file = m->ssh_key, .known_hosts = m->known_hosts,
	    .connect_timeout_ms = (int)m->check_timeout_ms, .io_timeout_ms = 60000 };
	char script[1200];
	const char *argv[] = { script, "restart", NULL };
	struct ssh_session *s = ssh_session_new(&o);
	int status = -1;

	snprintf(script, sizeof(script), "%s/%s", m->scripts_path, w->sc->script);
	if (s == NULL)
		fatal(1, "out of memory");
	if (ssh_connect(s) != SSH_OK ||
	    ssh_exec(s, argv, NULL, 0, NULL, NULL, &status) != SSH_OK)
		log_warn("restart of %s on %s failed: %s", w->sc->script, w->sc->spec.host,
		    ssh_error(s));
	else if (status != 0)
		log_warn("restart of %s on %s failed: %s restart exited with %d", w->sc->script,
		    w->sc->spec.host, script, status);
	else
		log_info("restarted %s on %s", w->sc->script, w->sc->spec.host);
	ssh_session_free(s);
}

static void
judge(struct watch *w, const struct check_result *r, const struct monconf *m,
    const struct tsig_key *key)
{
	if (r->status == CHECK_OK) {
		w->ok_streak++;
		w->fail_streak = 0;
		w->restarted = 0;
	} else {
		w->fail_streak++;
		w->ok_streak = 0;
		log_debug("%s %s: %s: %s", w->sc->name, w->sc->spec.host,
		    check_status_str(r->status), r->detail);
	}
	if (w->state != 1 && r->status == CHECK_OK && (w->state == -1 || w->ok_streak >= m->rise))
		apply(w, 1, m, key);
	else if (w->state != 0 && w->fail_streak >= m->fall) {
		if (m->restart && w->sc->script[0] && !w->restarted) {
			w->restarted = 1;
			w->fail_streak = 0;
			restart(w, m);
			return;
		}
		log_warn("%s %s failed %d check(s): %s: %s", w->sc->name, w->sc->spec.host,
		    w->fail_streak, check_status_str(r->status), r->detail);
		apply(w, 0, m, key);
	}
}

static void
print_state(const struct watch *w, const struct check_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s %s port %u: %s: %s; record %s\n", w[i].sc->name, w[i].sc->spec.host,
		    w[i].sc->spec.port, check_status_str(r[i].status), r[i].detail,
		    w[i].state == 1 ? "in" : w[i].state == 0 ? "out" : "unchanged");
}

int
main(int argc, char **argv)
{
	struct monconf m;
	struct tsig_key key;
	struct watch *w;
	struct check_spec *specs;
	struct check_result *res;
	const char *path = NULL;
	int ch, once = 0, debug = 0, healthy = 1, dry = 0;
	long round_ms;

	while ((ch = getopt(argc, argv, "c:1dn")) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case '1': once = 1; break;
		case 'n': dry = 1; break;
		case 'd': debug = 1; break;
		default: path = NULL; optind = argc + 1; break;
		}
	}
	if (path == NULL || optind != argc) {
		fprintf(stderr, "usage: dnsrr-monitor -c FILE [-1] [-n] [-d]\n");
		return 2;
	}
	log_init("dnsrr-monitor", 1, debug);
	if (load(path, &m, &key) == -1)
		return 2;
	w = calloc(m.nchecks, sizeof(*w));
	specs = calloc(m.nchecks, sizeof(*specs));
	res = calloc(m.nchecks, sizeof(*res));
	if (w == NULL || specs == NULL || res == NULL)
		fatal(1, "out of memory");
	for (size_t i = 0; i < m.nchecks; i++) {
		if (watch_init(&w[i], &m.checks[i], &m) == -1)
			fatal(2, "%s: check %zu: cannot build a record", path, i + 1);
		specs[i] = m.checks[i].spec;
		specs[i].timeout_ms = (int)m.check_timeout_ms;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	log_info("watching %zu service(s), %zu DNS server(s), every %ld ms", m.nchecks,
	    m.servers.n, m.interval_ms);
	while (!stopping) {
		long start = clock_ms(), left;

		check_round(specs, res, m.nchecks);
		round_ms = clock_ms() - start;
		log_debug("round of %zu check(s) took %ld ms", m.nchecks, round_ms);
		if (round_ms > m.interval_ms)
			log_warn("a round of %zu checks took %ld ms, longer than the interval",
			    m.nchecks, round_ms);
		for (size_t i = 0; i < m.nchecks && !dry; i++)
			judge(&w[i], &res[i], &m, &key);
		if (once)
			break;
		for (left = m.interval_ms - (clock_ms() - start); left > 0 && !stopping;
		    left = m.interval_ms - (clock_ms() - start))
			usleep((useconds_t)(left > 100 ? 100 : left) * 1000);
	}
	if (once) {
		print_state(w, res, m.nchecks);
		for (size_t i = 0; i < m.nchecks; i++)
			healthy &= res[i].status == CHECK_OK;
	}
	log_info("stopping");
	for (size_t i = 0; i < m.nchecks; i++)
		ldns_rr_free(w[i].rr);
	free(w);
	free(specs);
	free(res);
	explicit_bzero(&key, sizeof(key));
	monconf_free(&m);
	log_fini();
	return once && !healthy;
}
