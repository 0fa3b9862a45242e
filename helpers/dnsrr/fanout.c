/* Parallel per-server updates; see fanout.h. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fanout.h"

struct job {
	const struct fanout	*f;
	enum fanout_op		 op;
	struct fanout_server	*out;
};

static void *
job_run(void *arg)
{
	struct job *j = arg;
	struct fanout_server *o = j->out;
	struct dnsup u = { o->server, j->f->key, j->f->timeout_ms };
	int has;

	switch (j->op) {
	case FANOUT_ADD:
		o->res = dnsup_add(&u, j->f->zone, j->f->rr, o->why, sizeof(o->why));
		if (o->res == DNSUP_OK && dnsup_holds(&u, j->f->rr, o->why, sizeof(o->why)) != 1) {
			o->res = DNSUP_REJECTED;
			snprintf(o->why, sizeof(o->why), "server %s accepted the update but does "
			    "not serve the record", o->server->addr);
		}
		break;
	case FANOUT_WITHDRAW:
		o->res = dnsup_withdraw(&u, j->f->zone, j->f->rr, j->f->min_records, o->why,
		    sizeof(o->why));
		break;
	case FANOUT_REPAIR:
		if ((has = dnsup_holds(&u, j->f->rr, o->why, sizeof(o->why))) == 0) {
			o->res = dnsup_add(&u, j->f->zone, j->f->rr, o->why, sizeof(o->why));
			o->repaired = o->res == DNSUP_OK;
		} else
			o->res = has == 1 ? DNSUP_OK : DNSUP_NETWORK;
		break;
	}
	return NULL;
}

/* A refusal tells more than a server that did not answer. */
static int
more_telling(enum dnsup_result cand, enum dnsup_result cur)
{
	return cur == DNSUP_OK || cand == DNSUP_AUTH || cand == DNSUP_REJECTED ||
	    cand == DNSUP_MIN_RECORDS;
}

int
fanout_run(struct fanout *f, enum fanout_op op)
{
	size_t n = f->servers->n;
	struct job *jobs = calloc(n, sizeof(*jobs));
	pthread_t *tid = calloc(n, sizeof(*tid));
	char *started = calloc(n, 1);

	free(f->per);
	f->per = calloc(n, sizeof(*f->per));
	if (jobs == NULL || tid == NULL || started == NULL || f->per == NULL) {
		free(jobs);
		free(tid);
		free(started);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		f->per[i].server = &f->servers->v[i];
		jobs[i] = (struct job){ f, op, &f->per[i] };
		started[i] = pthread_create(&tid[i], NULL, job_run, &jobs[i]) == 0;
		if (!started[i])
			job_run(&jobs[i]);
	}
	f->ok = 0;
	f->worst = DNSUP_OK;
	f->why[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		if (f->per[i].res == DNSUP_OK)
			f->ok++;
		else if (more_telling(f->per[i].res, f->worst)) {
			f->worst = f->per[i].res;
			snprintf(f->why, sizeof(f->why), "%s", f->per[i].why);
		}
	}
	free(jobs);
	free(tid);
	free(started);
	return 0;
}

void
fanout_free(struct fanout *f)
{
	free(f->per);
	f->per = NULL;
}
