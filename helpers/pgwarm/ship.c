/* The sending side of the archive stream; see ship.h and wire.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "understudy/log.h"
#include "understudy/ssh.h"
#include "ring.h"
#include "ship.h"
#include "wire.h"

#define SHIP_ENCODERS	2

struct peer {
	const struct node	*node;
	struct ssh_session	*ssh;
	struct ssh_stream	*stream;
	struct ring		 acked;		/* names this peer holds */
	/* per batch */
	struct shipper		*sh;
	char			**res;	/* NULL = ok, else the error */
	int			 res_inline;	/* ran without a thread */
};

struct shipper {
	const struct ship_conf	*conf;
	struct peer		*peers;
	size_t			 npeers;
	/* per batch */
	struct ship_file	*files;
	size_t			 nfiles;
	struct buf		*enc;
	char			**enc_err;
};

struct shipper *
ship_new(const struct ship_conf *c)
{
	struct shipper *sh = calloc(1, sizeof(*sh));

	if (sh == NULL || (sh->peers = calloc(c->nodes.n, sizeof(*sh->peers))) == NULL) {
		free(sh);
		return NULL;
	}
	sh->conf = c;
	for (size_t i = 0; i < c->nodes.n; i++) {
		const struct node *nd = &c->nodes.v[i];
		struct peer *p = &sh->peers[sh->npeers];
		struct ssh_opts o;

		if (strcmp(nd->name, c->self) == 0)
			continue;
		ship_ssh_opts(c, nd, &o);
		p->node = nd;
		p->sh = sh;
		if ((p->ssh = ssh_session_new(&o)) == NULL) {
			ship_free(sh);
			return NULL;
		}
		sh->npeers++;
	}
	return sh;
}

void
ship_free(struct shipper *sh)
{
	if (sh == NULL)
		return;
	for (size_t i = 0; i < sh->npeers; i++) {
		ssh_stream_close(sh->peers[i].stream, NULL, NULL);
		ssh_session_free(sh->peers[i].ssh);
	}
	free(sh->peers);
	free(sh);
}

size_t
ship_npeers(const struct shipper *sh)
{
	return sh->npeers;
}

/* The remote end died or never started: what it said on stderr (say,
 * "pgwarm-archive: command not found") is the useful part. */
static char *
peer_drop(struct peer *p, const char *what)
{
	struct buf err = BUF_INIT;
	char *msg = NULL;
	size_t n;

	ssh_stream_close(p->stream, &err, NULL);
	p->stream = NULL;
	while ((n = err.len) > 0 && (err.data[n - 1] == '\n' || err.data[n - 1] == '\r'))
		err.data[--err.len] = '\0';
	if (asprintf(&msg, "%s=%s: %s%s%s", p->node->name, p->node->addr, what,
	    err.len ? "; remote said: " : "", buf_str(&err)) == -1)
		msg = NULL;
	buf_free(&err);
	return msg;
}

static char *
peer_open(struct peer *p)
{
	const struct ship_conf *c = p->sh->conf;
	const char *argv[] = { c->remote_program, "--receive", c->archive_dir, NULL };
	char line[256];

	if (p->stream)
		return NULL;
	if (ssh_ensure(p->ssh) != SSH_OK ||
	    ssh_stream_open(p->ssh, argv, &p->stream) != SSH_OK) {
		char *msg = NULL;

		if (asprintf(&msg, "%s=%s: %s", p->node->name, p->node->addr,
		    ssh_error(p->ssh)) == -1)
			msg = NULL;
		return msg ? msg : strdup("out of memory");
	}
	if (ssh_stream_gets(p->stream, line, sizeof(line)) != SSH_OK ||
	    strcmp(line, WIRE_HELLO) != 0)
		return peer_drop(p, "remote end of pgwarm-archive did not start");
	return NULL;
}

static void *
peer_run(void *arg)
{
	struct peer *p = arg;
	struct shipper *sh = p->sh;
	char line[1400], *err;
	size_t sent = 0;

	if ((err = peer_open(p)) != NULL) {
		for (size_t i = 0; i < sh->nfiles; i++)
			p->res[i] = strdup(err);
		free(err);
		return NULL;
	}
	for (size_t i = 0; i < sh->nfiles; i++) {
		if (sh->enc_err[i] || ring_has(&p->acked, sh->files[i].name))
			continue;
		if (ssh_stream_write(p->stream, sh->enc[i].data, sh->enc[i].len) != SSH_OK)
			goto broken;
		sent++;
	}
	if (sent && ssh_stream_write(p->stream, "SYNC\n", 5) != SSH_OK)
		goto broken;
	for (size_t i = 0; i < sh->nfiles; i++) {
		const char *name = sh->files[i].name;
		size_t nl = strlen(name);

		if (sh->enc_err[i] || ring_has(&p->acked, name))
			continue;
		if (ssh_stream_gets(p->stream, line, sizeof(line)) != SSH_OK)
			goto broken;
		if (strncmp(line, "OK ", 3) == 0 && strncmp(line + 3, name, nl) == 0) {
			ring_add(&p->acked, name);
		} else if (strncmp(line, "ERR ", 4) == 0 && strncmp(line + 4, name, nl) == 0) {
			if (asprintf(&p->res[i], "%s=%s: %s", p->node->name, p->node->addr,
			    line + 4) == -1)
				p->res[i] = NULL;
		} else {
			goto broken;
		}
	}
	return NULL;
broken:
	err = peer_drop(p, ssh_error(p->ssh));
	for (size_t i = 0; i < sh->nfiles; i++)
		if (!ring_has(&p->acked, sh->files[i].name) && p->res[i] == NULL)
			p->res[i] = strdup(err ? err : "stream broken");
	free(err);
	return NULL;
}

static int
needed_by_any(const struct shipper *sh, const char *name)
{
	for (size_t j = 0; j < sh->npeers; j++)
		if (!ring_has(&sh->peers[j].acked, name))
			return 1;
	return 0;
}

struct encoder {
	struct shipper	*sh;
	size_t		 first, step;
};

static void *
encode_run(void *arg)
{
	struct encoder *e = arg;
	struct shipper *sh = e->sh;
	char why[512];

	for (size_t i = e->first; i < sh->nfiles; i += e->step) {
		struct ship_file *f = &sh->files[i];
		struct stat st;
		int fd;

		if (!needed_by_any(sh, f->name))
			continue;	/* every peer holds it already */
		if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
			snprintf(why, sizeof(why), "%s: %s", f->path, strerror(errno));
		} else if (wire_encode_file(&sh->enc[i], f->name, fd, (uint64_t)st.st_size,
		    sh->conf->compress, why, sizeof(why)) == 0) {
			close(fd);
			continue;
		}
		if (fd != -1)
			close(fd);
		sh->enc_err[i] = strdup(why);
	}
	return NULL;
}

static void
encode_all(struct shipper *sh)
{
	struct encoder e[SHIP_ENCODERS];
	pthread_t t[SHIP_ENCODERS] = { 0 };
	size_t nt = sh->nfiles < SHIP_ENCODERS ? sh->nfiles : SHIP_ENCODERS;

	int threaded[SHIP_ENCODERS] = { 0 };

	for (size_t i = 0; i < nt; i++) {
		e[i] = (struct encoder){ sh, i, nt };
		threaded[i] = i > 0 && pthread_create(&t[i], NULL, encode_run, &e[i]) == 0;
	}
	for (size_t i = 0; i < nt; i++)
		if (!threaded[i])
			encode_run(&e[i]);
	for (size_t i = 0; i < nt; i++)
		if (threaded[i])
			pthread_join(t[i], NULL);
}

size_t
ship_batch(struct shipper *sh, struct ship_file *files, size_t n)
{
	pthread_t *t = calloc(sh->npeers, sizeof(*t));
	size_t failed = 0;

	sh->files = files;
	sh->nfiles = n;
	sh->enc = calloc(n, sizeof(*sh->enc));
	sh->enc_err = calloc(n, sizeof(*sh->enc_err));
	for (size_t j = 0; j < sh->npeers; j++)
		sh->peers[j].res = calloc(n, sizeof(char *));
	encode_all(sh);
	for (size_t j = 0; j < sh->npeers; j++)
		if (pthread_create(&t[j], NULL, peer_run, &sh->peers[j]) != 0) {
			peer_run(&sh->peers[j]);
			sh->peers[j].res_inline = 1;
		}
	for (size_t j = 0; j < sh->npeers; j++) {
		if (!sh->peers[j].res_inline)
			pthread_join(t[j], NULL);
		sh->peers[j].res_inline = 0;
	}
	for (size_t i = 0; i < n; i++) {
		size_t good = 0;

		files[i].err[0] = '\0';
		if (sh->enc_err[i])
			snprintf(files[i].err, sizeof(files[i].err), "%s", sh->enc_err[i]);
		for (size_t j = 0; j < sh->npeers; j++) {
			char *e = sh->peers[j].res[i];

			if (e == NULL && sh->enc_err[i] == NULL)
				good++;
			else if (e && files[i].err[0] == '\0')
				snprintf(files[i].err, sizeof(files[i].err), "%s", e);
			free(e);
		}
		files[i].ok = sh->enc_err[i] == NULL &&
		    (sh->conf->require_all ? good == sh->npeers : good > 0 || sh->npeers == 0);
		failed += !files[i].ok;
		free(sh->enc_err[i]);
		buf_free(&sh->enc[i]);
	}
	for (size_t j = 0; j < sh->npeers; j++) {
		free(sh->peers[j].res);
		sh->peers[j].res = NULL;
	}
	free(sh->enc);
	free(sh->enc_err);
	free(t);
	return failed;
}
