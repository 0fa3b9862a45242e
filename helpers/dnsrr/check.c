/* Health checks; see check.h. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qb/qbloop.h>

#include "understudy/clock.h"
#include "check.h"

static const char *const status_str[] = {
	"ok", "name did not resolve", "connection refused", "connect failed", "timeout",
	"send failed", "closed by peer", "reply mismatch"
};

const char *
check_status_str(enum check_status s)
{
	return s <= CHECK_MISMATCH ? status_str[s] : "unknown";
}

/* Printable excerpt of what the peer sent, for the reason line. */
static void
excerpt(const char *p, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)p[i];

		if (isprint(c) && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

/* An HTTP request line (the seed's own example, "GET /robots.txt
 * HTTP/1.0") also needs the blank line that ends the header, or the server
 * waits for more; any other request is one line. */
static int
is_http_request(const char *s)
{
	size_t n = strlen(s);

	return n > 9 && strncmp(s + n - 9, " HTTP/1.", 8) == 0;
}

/* One check in flight: the states of a round. */
enum step { STEP_CONNECT, STEP_SEND, STEP_READ, STEP_DONE };

struct round {
	qb_loop_t		*loop;
	size_t			 live;		/* checks still in flight */
};

struct flight {
	struct round		*round;
	qb_loop_timer_handle	 timer;
	const struct check_spec	*c;
	struct check_result	*r;
	enum step		 step;
	int			 fd;
	long			 deadline;
	char			 out[sizeof(((struct check_spec *)0)->send) + 4];
	size_t			 out_len, sent;
	char			 in[CHECK_REPLY_MAX];
	size_t			 got;
};

static void
finish(struct flight *f, enum check_status st, long now)
{
	char ex[200];

	f->r->status = st;
	f->r->elapsed_ms = now - (f->deadline - f->c->timeout_ms);
	if (st == CHECK_OK)
		snprintf(f->r->detail, sizeof(f->r->detail), "answered in %ld ms", f->r->elapsed_ms);
	else if (st == CHECK_TIMEOUT && f->step == STEP_READ) {
		excerpt(f->in, f->got, ex, sizeof(ex));
		snprintf(f->r->detail, sizeof(f->r->detail), "no \"%.60s\" within %d ms; got \"%s\"",
		    f->c->expect, f->c->timeout_ms, ex);
	} else if (st == CHECK_TIMEOUT)
		snprintf(f->r->detail, sizeof(f->r->detail), "%s: no answer within %d ms",
		    f->step == STEP_CONNECT ? "connect" : "send", f->c->timeout_ms);
	else if (st == CHECK_CLOSED || st == CHECK_MISMATCH) {
		excerpt(f->in, f->got, ex, sizeof(ex));
		snprintf(f->r->detail, sizeof(f->r->detail), "expected \"%.60s\", got \"%s\"",
		    f->c->expect, ex);
	}
	f->step = STEP_DONE;
}

static enum check_status
connect_status(int err)
{
	switch (err) {
	case ECONNREFUSED:	return CHECK_REFUSED;
	case ETIMEDOUT:		return CHECK_TIMEOUT;
	default:		return CHECK_CONNECT;
	}
}

/* Starts a non-blocking connect; numeric hosts never block here. */
static void
launch(struct flight *f, long now)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	char port[8];
	int rc;

	f->fd = -1;
	f->deadline = now + f->c->timeout_ms;
	f->out_len = (size_t)snprintf(f->out, sizeof(f->out), "%s\r\n%s", f->c->send,
	    is_http_request(f->c->send) ? "\r\n" : "");
	snprintf(port, sizeof(port), "%u", f->c->port);
	if ((rc = getaddrinfo(f->c->host, port, &hints, &ai)) != 0) {
		snprintf(f->r->detail, sizeof(f->r->detail), "%s", gai_strerror(rc));
		finish(f, CHECK_RESOLVE, now);
		return;
	}
	f->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd == -1 || (connect(f->fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
	    errno != EINPROGRESS)) {
		int err = errno;

		snprintf(f->r->detail, sizeof(f->r->detail), "connect: %s", strerror(err));
		freeaddrinfo(ai);
		finish(f, connect_status(err), now);
		return;
	}
	freeaddrinfo(ai);
	f->step = STEP_CONNECT;
}

static void
on_connect(struct flight *f, long now)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 || err) {
		snprintf(f->r->detail, sizeof(f->r->detail), "connect: %s", strerror(err));
		finish(f, connect_status(err), now);
	} else if (f->c->send[0])
		f->step = STEP_SEND;
	else if (f->c->expect[0])
		f->step = STEP_READ;
	else
		finish(f, CHECK_OK, now);
}

static void
on_send(struct flight *f, long now)
{
	ssize_t n = send(f->fd, f->out + f->sent, f->out_len - f->sent, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		snprintf(f->r->detail, sizeof(f->r->detail), "send: %s", strerror(errno));
		finish(f, CHECK_SEND, now);
		return;
	}
	if (n > 0 && (f->sent += (size_t)n) == f->out_len)
		f->step = f->c->expect[0] ? STEP_READ : STEP_DONE;
	if (f->step == STEP_DONE)
		finish(f, CHECK_OK, now);
}

static void
on_read(struct flight *f, long now)
{
	ssize_t n = recv(f->fd, f->in + f->got, sizeof(f->in) - f->got, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		finish(f, CHECK_CLOSED, now);
		return;
	}
	f->got += (size_t)n;
	if (memmem(f->in, f->got, f->c->expect, strlen(f->c->expect)) != NULL)
		finish(f, CHECK_OK, now);
	else if (f->got == sizeof(f->in))
		finish(f, CHECK_MISMATCH, now);
}

/* The events a step waits for. */
static int32_t
wanted(const struct flight *f)
{
	return f->step == STEP_READ ? POLLIN : POLLOUT;
}

/* A check that is done leaves the loop; the last one stops it. Its fd is
 * closed after the loop, so libqb never sees a recycled descriptor. */
static void
retire(struct flight *f)
{
	qb_loop_timer_del(f->round->loop, f->timer);
	qb_loop_poll_del(f->round->loop, f->fd);
	if (--f->round->live == 0)
		qb_loop_stop(f->round->loop);
}

static int32_t
on_event(int32_t fd, int32_t revents, void *data)
{
	struct flight *f = data;
	enum step before = f->step;
	long now = clock_ms();

	if (f->step == STEP_CONNECT)
		on_connect(f, now);
	else if (f->step == STEP_SEND)
		on_send(f, now);
	else
		on_read(f, now);
	if (f->step == STEP_DONE)
		retire(f);
	else if (f->step != before)
		qb_loop_poll_mod(f->round->loop, QB_LOOP_MED, fd, wanted(f), f, on_event);
	return 0;
}

static void
on_deadline(void *data)
{
	struct flight *f = data;

	if (f->step == STEP_DONE)
		return;
	finish(f, CHECK_TIMEOUT, clock_ms());
	f->timer = 0;
	qb_loop_poll_del(f->round->loop, f->fd);
	if (--f->round->live == 0)
		qb_loop_stop(f->round->loop);
}

static int
enter(struct round *rd, struct flight *f)
{
	f->round = rd;
	if (qb_loop_poll_add(rd->loop, QB_LOOP_MED, f->fd, wanted(f), f, on_event) != 0)
		return -1;
	if (qb_loop_timer_add(rd->loop, QB_LOOP_MED, (uint64_t)f->c->timeout_ms * 1000000ULL,
	    f, on_deadline, &f->timer) != 0) {
		qb_loop_poll_del(rd->loop, f->fd);
		return -1;
	}
	rd->live++;
	return 0;
}

void
check_round(const struct check_spec *specs, struct check_result *results, size_t n)
{
	struct flight *fl = calloc(n, sizeof(*fl));
	struct round rd = { qb_loop_create(), 0 };
	long now = clock_ms();

	if (fl == NULL || rd.loop == NULL) {
		for (size_t i = 0; i < n; i++)
			results[i] = (struct check_result){ CHECK_CONNECT, 0, "out of memory" };
		free(fl);
		if (rd.loop)
			qb_loop_destroy(rd.loop);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		fl[i].c = &specs[i];
		fl[i].r = &results[i];
		memset(fl[i].r, 0, sizeof(*fl[i].r));
		launch(&fl[i], now);
		if (fl[i].step != STEP_DONE && enter(&rd, &fl[i]) == -1) {
			snprintf(fl[i].r->detail, sizeof(fl[i].r->detail), "event loop is full");
			finish(&fl[i], CHECK_CONNECT, now);
		}
	}
	if (rd.live > 0)
		qb_loop_run(rd.loop);
	qb_loop_destroy(rd.loop);
	for (size_t i = 0; i < n; i++)
		if (fl[i].fd != -1)
			close(fl[i].fd);
	free(fl);
}

enum check_status
check_run(const struct check_spec *c, struct check_result *r)
{
	check_round(c, r, 1);
	return r->status;
}

/* Splits at '|' into exactly n fields (in place). */
static int
split_fields(char *s, char **f, int n)
{
	int i = 0;

	f[i++] = s;
	for (; *s; s++)
		if (*s == '|') {
			if (i == n)
				return -1;
			*s = '\0';
			f[i++] = s + 1;
		}
	return i == n ? 0 : -1;
}

static int
printable(const char *s)
{
	for (; *s; s++)
		if (!isprint((unsigned char)*s))
			return 0;
	return 1;
}

static int
valid_dns_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
			return 0;
	return strstr(s, "..") == NULL && s[0] != '.';
}

static int
fill_port(struct seed_check *sc, char *why, size_t whylen)
{
	struct servent *se;
	char *end;
	long v = strtol(sc->service, &end, 10);

	if (*end == '\0' && end != sc->service) {
		if (v < 1 || v > 65535) {
			snprintf(why, whylen, "field 3 (service): port %ld out of range", v);
			return -1;
		}
		sc->spec.port = (unsigned)v;
		return 0;
	}
	if ((se = getservbyname(sc->service, "tcp")) == NULL) {
		snprintf(why, whylen, "field 3 (service): \"%.40s\" is not in /etc/services",
		    sc->service);
		return -1;
	}
	sc->spec.port = ntohs((uint16_t)se->s_port);
	return 0;
}

int
seed_check_parse(const char *line, struct seed_check *sc, char *why, size_t whylen)
{
	char copy[2048], *f[6];
	unsigned char addr[16];
	size_t n = strlen(line);

	memset(sc, 0, sizeof(*sc));
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n >= sizeof(copy)) {
		snprintf(why, whylen, "line longer than %zu bytes", sizeof(copy) - 1);
		return -1;
	}
	memcpy(copy, line, n);
	copy[n] = '\0';
	if (split_fields(copy, f, 6) == -1) {
		snprintf(why, whylen, "expected 6 fields ip|hostname|service|script|request|response");
		return -1;
	}
	if (inet_pton(AF_INET, f[0], addr) != 1 && inet_pton(AF_INET6, f[0], addr) != 1) {
		snprintf(why, whylen, "field 1 (ip): \"%.60s\" is not an IP address", f[0]);
		return -1;
	}
	if (!valid_dns_name(f[1])) {
		snprintf(why, whylen, "field 2 (hostname): \"%.60s\" is not a DNS name", f[1]);
		return -1;
	}
	for (size_t i = 0; f[3][i]; i++)
		if (!isalnum((unsigned char)f[3][i]) && !strchr("._-", f[3][i])) {
			snprintf(why, whylen, "field 4 (script): a script name without a path");
			return -1;
		}
	if (!printable(f[4]) || !printable(f[5])) {
		snprintf(why, whylen, "field %d: control characters", printable(f[4]) ? 6 : 5);
		return -1;
	}
	if (strlen(f[2]) >= sizeof(sc->service) || strlen(f[3]) >= sizeof(sc->script) ||
	    strlen(f[4]) >= sizeof(sc->spec.send) || strlen(f[5]) >= sizeof(sc->spec.expect)) {
		snprintf(why, whylen, "a field is too long");
		return -1;
	}
	snprintf(sc->spec.host, sizeof(sc->spec.host), "%s", f[0]);
	snprintf(sc->name, sizeof(sc->name), "%s", f[1]);
	snprintf(sc->service, sizeof(sc->service), "%s", f[2]);
	snprintf(sc->script, sizeof(sc->script), "%s", f[3]);
	snprintf(sc->spec.send, sizeof(sc->spec.send), "%s", f[4]);
	snprintf(sc->spec.expect, sizeof(sc->spec.expect), "%s", f[5]);
	sc->spec.timeout_ms = 5000;
	return fill_port(sc, why, whylen);
}
