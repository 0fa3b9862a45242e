/* Health checks; see check.h. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "understudy/net.h"
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

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
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

static int
wait_fd(int fd, short ev, long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	long left = deadline - now_ms();

	return left > 0 && poll(&pfd, 1, (int)left) == 1 ? 0 : -1;
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

static enum check_status
send_request(int fd, const struct check_spec *c, long deadline, struct check_result *r)
{
	char line[sizeof(c->send) + 4];
	size_t n = (size_t)snprintf(line, sizeof(line), "%s\r\n%s", c->send,
	    is_http_request(c->send) ? "\r\n" : ""), off = 0;

	while (off < n) {
		ssize_t w;

		if (wait_fd(fd, POLLOUT, deadline) == -1)
			return CHECK_TIMEOUT;
		if ((w = send(fd, line + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(r->detail, sizeof(r->detail), "send: %s", strerror(errno));
			return CHECK_SEND;
		}
		off += (size_t)w;
	}
	return CHECK_OK;
}

static enum check_status
read_reply(int fd, const struct check_spec *c, long deadline, struct check_result *r)
{
	char buf[CHECK_REPLY_MAX], ex[200];
	size_t got = 0, want = strlen(c->expect);
	ssize_t n;

	while (got < sizeof(buf)) {
		if (wait_fd(fd, POLLIN, deadline) == -1) {
			excerpt(buf, got, ex, sizeof(ex));
			snprintf(r->detail, sizeof(r->detail), "no \"%.60s\" within %d ms; got \"%s\"",
			    c->expect, c->timeout_ms, ex);
			return CHECK_TIMEOUT;
		}
		if ((n = recv(fd, buf + got, sizeof(buf) - got, MSG_DONTWAIT)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			n = 0;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (memmem(buf, got, c->expect, want) != NULL)
			return CHECK_OK;
	}
	excerpt(buf, got, ex, sizeof(ex));
	snprintf(r->detail, sizeof(r->detail), "expected \"%.60s\", got \"%s\"", c->expect, ex);
	return got < sizeof(buf) ? CHECK_CLOSED : CHECK_MISMATCH;
}

static enum check_status
connect_status(int err)
{
	switch (err) {
	case ECONNREFUSED:	return CHECK_REFUSED;
	case ETIMEDOUT:		return CHECK_TIMEOUT;
	case EHOSTUNREACH:	return CHECK_RESOLVE;
	default:		return CHECK_CONNECT;
	}
}

enum check_status
check_run(const struct check_spec *c, struct check_result *r)
{
	long start = now_ms(), deadline = start + c->timeout_ms;
	int fd;

	memset(r, 0, sizeof(*r));
	if ((fd = net_connect(c->host, c->port, c->timeout_ms, r->detail, sizeof(r->detail))) == -1) {
		r->status = connect_status(errno);
	} else {
		r->status = CHECK_OK;
		if (c->send[0])
			r->status = send_request(fd, c, deadline, r);
		if (r->status == CHECK_OK && c->expect[0])
			r->status = read_reply(fd, c, deadline, r);
		close(fd);
	}
	r->elapsed_ms = now_ms() - start;
	if (r->status == CHECK_OK)
		snprintf(r->detail, sizeof(r->detail), "answered in %ld ms", r->elapsed_ms);
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
