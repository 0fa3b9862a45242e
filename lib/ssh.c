/* libssh2 sessions; see include/understudy/ssh.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "understudy/clock.h"
#include "understudy/log.h"
#include "understudy/net.h"
#include "understudy/node.h"
#include "understudy/ssh.h"

#define SSH_XFER_CHUNK	(1024 * 1024)	/* libssh2 pipelines the packets of one write */

struct ssh_session {
	struct ssh_opts	 o;
	char		*host, *user, *key_file, *known_hosts;
	int		 sock;
	LIBSSH2_SESSION	*sess;
	LIBSSH2_SFTP	*sftp;
	char		 where[300];	/* "[host]:port" for messages */
	char		 fp[64];
	char		 err[768];
	enum ssh_err	 last;		/* what err describes */
	unsigned	 gen;		/* bumped per connection: streams of an
					 * old one died with its session */
};

static int ssh_lib_ready;

static enum ssh_err
fail(struct ssh_session *s, enum ssh_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum ssh_err
fail(struct ssh_session *s, enum ssh_err e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return s->last = e;
}

static const char *
lib_error(struct ssh_session *s)
{
	char *msg = NULL;

	if (s->sess == NULL)
		return "no session";
	libssh2_session_last_error(s->sess, &msg, NULL, 0);
	return msg ? msg : "unknown error";
}

/* Codes after which the transport cannot be trusted any more. */
static int
transport_broken(int code)
{
	switch (code) {
	case LIBSSH2_ERROR_SOCKET_NONE:
	case LIBSSH2_ERROR_BANNER_RECV:
	case LIBSSH2_ERROR_BANNER_SEND:
	case LIBSSH2_ERROR_INVALID_MAC:
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_DECRYPT:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
	case LIBSSH2_ERROR_PROTO:
	case LIBSSH2_ERROR_SOCKET_TIMEOUT:
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_BAD_SOCKET:
		return 1;
	default:
		return 0;
	}
}

/* Maps a libssh2 failure: a broken transport means the next call must
 * reconnect, anything else is the peer's answer. */
static enum ssh_err
lib_fail(struct ssh_session *s, const char *what)
{
	int code = libssh2_session_last_errno(s->sess);
	enum ssh_err e = SSH_E_REMOTE;

	if (code == LIBSSH2_ERROR_TIMEOUT)
		e = SSH_E_TIMEOUT;
	else if (transport_broken(code))
		e = SSH_E_PROTO;
	fail(s, e, "%s: %s: %s", s->where, what, lib_error(s));
	if (e == SSH_E_PROTO || e == SSH_E_TIMEOUT)
		ssh_disconnect(s);
	return e;
}

void
ssh_opts_node(struct ssh_opts *o, const struct node *nd, const char *user, const char *key_file,
    const char *known_hosts, int connect_timeout_ms, int io_timeout_ms)
{
	*o = (struct ssh_opts){
		.host = nd->addr, .port = nd->port, .user = user, .key_file = key_file,
		.known_hosts = known_hosts, .connect_timeout_ms = connect_timeout_ms,
		.io_timeout_ms = io_timeout_ms, .keepalive_s = 15,
	};
}

struct ssh_session *
ssh_session_new(const struct ssh_opts *o)
{
	struct ssh_session *s;

	if (!ssh_lib_ready) {
		if (libssh2_init(0) != 0)
			return NULL;
		ssh_lib_ready = 1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->o = *o;
	s->host = strdup(o->host ? o->host : "");
	s->user = strdup(o->user ? o->user : "");
	s->key_file = strdup(o->key_file ? o->key_file : "");
	s->known_hosts = strdup(o->known_hosts ? o->known_hosts : "");
	if (!s->host || !s->user || !s->key_file || !s->known_hosts) {
		ssh_session_free(s);
		return NULL;
	}
	if (s->o.port == 0)
		s->o.port = 22;
	if (s->o.connect_timeout_ms <= 0)
		s->o.connect_timeout_ms = 10000;
	if (s->o.io_timeout_ms <= 0)
		s->o.io_timeout_ms = 60000;
	s->sock = -1;
	snprintf(s->where, sizeof(s->where), strchr(s->host, ':') ? "[%s]:%u" : "%s:%u",
	    s->host, s->o.port);
	return s;
}

void
ssh_session_free(struct ssh_session *s)
{
	if (s == NULL)
		return;
	ssh_disconnect(s);
	free(s->host);
	free(s->user);
	free(s->key_file);
	free(s->known_hosts);
	free(s);
}

void
ssh_disconnect(struct ssh_session *s)
{
	if (s->sftp) {
		libssh2_sftp_shutdown(s->sftp);
		s->sftp = NULL;
	}
	if (s->sess) {
		libssh2_session_set_blocking(s->sess, 1);
		libssh2_session_set_timeout(s->sess, 1000);
		libssh2_session_disconnect(s->sess, "bye");
		libssh2_session_free(s->sess);
		s->sess = NULL;
	}
	if (s->sock != -1) {
		close(s->sock);
		s->sock = -1;
	}
}

int
ssh_is_connected(const struct ssh_session *s)
{
	return s->sess != NULL;
}

const char *
ssh_error(const struct ssh_session *s)
{
	return s->err;
}

const char *
ssh_fingerprint(const struct ssh_session *s)
{
	return s->fp;
}

static enum ssh_err
open_socket(struct ssh_session *s)
{
	char why[200];

	if ((s->sock = net_connect(s->host, s->o.port, s->o.connect_timeout_ms, why,
	    sizeof(why))) == -1)
		return fail(s, SSH_E_CONNECT, "%s: %s", s->where, why);
	return SSH_OK;
}

static void
base64_nopad(const unsigned char *in, size_t n, char *out, size_t outlen)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < outlen; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = tbl[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = tbl[v & 63];
	}
	out[o] = '\0';
}

static int
knownhost_keytype(int hostkey_type, const char **name)
{
	switch (hostkey_type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		*name = "ssh-rsa";
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		*name = "ecdsa-sha2-nistp256";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		*name = "ecdsa-sha2-nistp384";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		*name = "ecdsa-sha2-nistp521";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		*name = "ssh-ed25519";
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default:
		*name = "unknown";
		return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
	}
}

static int
bad_owner(const struct stat *st, uid_t user)
{
	return st->st_uid != 0 && st->st_uid != user;
}

int
ssh_path_trusted(const char *path, uid_t user, char *why, size_t whylen)
{
	char real[PATH_MAX], *slash;
	struct stat st;

	if (realpath(path, real) == NULL || stat(real, &st) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: not a regular file", path);
		return -1;
	}
	if (user == (uid_t)-1)
		user = st.st_uid;
	if (bad_owner(&st, user) || (st.st_mode & 022)) {
		snprintf(why, whylen, "%s: bad ownership or modes (owner uid %u, mode %04o): "
		    "it must belong to root%s and be writable by neither group nor others",
		    path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
		    user ? " or its user" : "");
		return -1;
	}
	/* Each directory up to /: whoever can write one can swap the file. */
	while ((slash = strrchr(real, '/')) != NULL) {
		slash[slash == real] = '\0';
		if (stat(real, &st) == -1) {
			snprintf(why, whylen, "%s: directory %s: %s", path, real, strerror(errno));
			return -1;
		}
		if (bad_owner(&st, user) || ((st.st_mode & 022) &&
		    !(st.st_uid == 0 && (st.st_mode & S_ISVTX)))) {
			snprintf(why, whylen, "%s: bad ownership or modes for directory %s (owner "
			    "uid %u, mode %04o): others could replace the file", path, real,
			    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
			return -1;
		}
		if (slash == real)
			break;
	}
	return 0;
}

/* A file a stranger can write is as good as a stranger's file. */
static enum ssh_err
check_trusted(struct ssh_session *s, const char *what, const char *path)
{
	char why[600];

	if (ssh_path_trusted(path, geteuid(), why, sizeof(why)) == -1)
		return fail(s, SSH_E_LOCAL, "%s: %s refused: %s", s->where, what, why);
	return SSH_OK;
}

/* Never "accept new": an unknown or changed key ends the connection. */
static enum ssh_err
check_hostkey(struct ssh_session *s)
{
	LIBSSH2_KNOWNHOSTS *kh;
	struct libssh2_knownhost *found = NULL;
	const char *key, *hash, *tname;
	size_t len;
	int type, rc, mask;

	if ((key = libssh2_session_hostkey(s->sess, &len, &type)) == NULL)
		return lib_fail(s, "no host key");
	if ((hash = libssh2_hostkey_hash(s->sess, LIBSSH2_HOSTKEY_HASH_SHA256)) != NULL) {
		strcpy(s->fp, "SHA256:");
		base64_nopad((const unsigned char *)hash, 32, s->fp + 7, sizeof(s->fp) - 7);
	}
	mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
	    knownhost_keytype(type, &tname);
	if (check_trusted(s, "known_hosts", s->known_hosts) != SSH_OK)
		return s->last;
	if ((kh = libssh2_knownhost_init(s->sess)) == NULL)
		return lib_fail(s, "known_hosts");
	if (libssh2_knownhost_readfile(kh, s->known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
		libssh2_knownhost_free(kh);
		return fail(s, SSH_E_LOCAL, "%s: cannot read known_hosts file %s",
		    s->where, s->known_hosts);
	}
	rc = libssh2_knownhost_checkp(kh, s->host, (int)s->o.port, key, len, mask, &found);
	libssh2_knownhost_free(kh);
	switch (rc) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		return SSH_OK;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		return fail(s, SSH_E_HOSTKEY_MISMATCH, "%s: HOST KEY MISMATCH: server offers %s "
		    "%s, which is not the key %s holds for it; refusing (possible "
		    "man-in-the-middle, or the host was reinstalled)", s->where, tname, s->fp,
		    s->known_hosts);
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		return fail(s, SSH_E_HOSTKEY_UNKNOWN, "%s: host is not in %s (server offers %s "
		    "%s); refusing: verify the fingerprint and add the key", s->where,
		    s->known_hosts, tname, s->fp);
	default:
		return fail(s, SSH_E_LOCAL, "%s: checking %s failed", s->where, s->known_hosts);
	}
}

static enum ssh_err
authenticate(struct ssh_session *s)
{
	if (access(s->key_file, R_OK) == -1)
		return fail(s, SSH_E_LOCAL, "%s: key file %s: %s", s->where, s->key_file,
		    strerror(errno));
	if (check_trusted(s, "key file", s->key_file) != SSH_OK)
		return s->last;
	if (libssh2_userauth_publickey_fromfile(s->sess, s->user, NULL, s->key_file, NULL) == 0)
		return SSH_OK;
	if (libssh2_session_last_errno(s->sess) == LIBSSH2_ERROR_TIMEOUT)
		return lib_fail(s, "authentication");
	fail(s, SSH_E_AUTH, "%s: key %s refused for user %s (%s)", s->where, s->key_file,
	    s->user, lib_error(s));
	ssh_disconnect(s);
	return SSH_E_AUTH;
}

enum ssh_err
ssh_connect(struct ssh_session *s)
{
	enum ssh_err e;

	ssh_disconnect(s);
	s->fp[0] = '\0';
	if ((e = open_socket(s)) != SSH_OK)
		return e;
	if ((s->sess = libssh2_session_init()) == NULL) {
		ssh_disconnect(s);
		return fail(s, SSH_E_LOCAL, "%s: libssh2_session_init failed", s->where);
	}
	s->gen++;
	libssh2_session_set_blocking(s->sess, 1);
	libssh2_session_set_timeout(s->sess, s->o.connect_timeout_ms);
	if (libssh2_session_handshake(s->sess, s->sock) != 0) {
		e = lib_fail(s, "handshake");
		ssh_disconnect(s);
		return e == SSH_E_REMOTE ? SSH_E_CONNECT : e;
	}
	if ((e = check_hostkey(s)) != SSH_OK || (e = authenticate(s)) != SSH_OK) {
		ssh_disconnect(s);
		return e;
	}
	libssh2_session_set_timeout(s->sess, s->o.io_timeout_ms);
	if (s->o.keepalive_s > 0)
		libssh2_keepalive_config(s->sess, 1, (unsigned)s->o.keepalive_s);
	log_debug("%s: connected as %s, host key %s", s->where, s->user, s->fp);
	return SSH_OK;
}

/* The peer's end of the socket is closed (a killed sshd, a reboot): a
 * keepalive write alone would still succeed into the socket buffer. */
static int
peer_gone(const struct ssh_session *s)
{
	struct pollfd pfd = { .fd = s->sock, .events = POLLIN | POLLRDHUP };

	if (poll(&pfd, 1, 0) == -1)
		return 1;
	return (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

enum ssh_err
ssh_ensure(struct ssh_session *s)
{
	int next;

	if (s->sess && !peer_gone(s) && libssh2_keepalive_send(s->sess, &next) == 0)
		return SSH_OK;
	if (s->sess)
		log_info("%s: session lost, reconnecting", s->where);
	return ssh_connect(s);
}

int
ssh_quote(struct buf *b, const char *w)
{
	if (buf_puts(b, "'"))
		return -1;
	for (; *w; w++)
		if (*w == '\'' ? buf_puts(b, "'\\''") : buf_append(b, w, 1))
			return -1;
	return buf_puts(b, "'");
}

/* Waits until the socket can move what libssh2 is blocked on. */
static int
wait_socket(struct ssh_session *s, long deadline)
{
	struct pollfd pfd = { .fd = s->sock };
	int dir = libssh2_session_block_directions(s->sess);
	long left = deadline - clock_ms();

	if (left <= 0)
		return -1;
	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		pfd.events |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		pfd.events |= POLLOUT;
	poll(&pfd, 1, left > 100 ? 100 : (int)left);
	return 0;
}

struct exec_io {
	const char	*in;
	size_t		 in_len, fed;
	int		 eof_sent;
	struct buf	*sink[2];
	size_t		 dropped[2];	/* past BUF_CAPTURE_MAX: read, then dropped */
};

/* Moves one round of data; returns >0 on progress, 0 idle, <0 error. */
static int
exec_pump(LIBSSH2_CHANNEL *ch, struct exec_io *io)
{
	char chunk[32768];
	int progress = 0;
	ssize_t n;

	if (io->fed < io->in_len) {
		n = libssh2_channel_write(ch, io->in + io->fed, io->in_len - io->fed);
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
			return -1;
		if (n > 0) {
			io->fed += (size_t)n;
			progress = 1;
		}
	}
	if (io->fed == io->in_len && !io->eof_sent) {
		n = libssh2_channel_send_eof(ch);
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
			return -1;
		io->eof_sent = n == 0;
	}
	for (int stream = 0; stream < 2; stream++) {
		while ((n = libssh2_channel_read_ex(ch, stream ? SSH_EXTENDED_DATA_STDERR : 0,
		    chunk, sizeof(chunk))) > 0) {
			if (io->sink[stream])
				io->dropped[stream] += buf_append_max(io->sink[stream], chunk,
				    (size_t)n, BUF_CAPTURE_MAX);
			progress = 1;
		}
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
			return -1;
	}
	return progress;
}

static enum ssh_err
exec_finish(struct ssh_session *s, LIBSSH2_CHANNEL *ch, int *exit_status, long deadline)
{
	int rc;

	while ((rc = libssh2_channel_close(ch)) == LIBSSH2_ERROR_EAGAIN)
		if (wait_socket(s, deadline) == -1)
			break;
	while (rc == 0 && (rc = libssh2_channel_wait_closed(ch)) == LIBSSH2_ERROR_EAGAIN)
		if (wait_socket(s, deadline) == -1)
			break;
	if (exit_status)
		*exit_status = libssh2_channel_get_exit_status(ch);
	libssh2_channel_free(ch);
	libssh2_session_set_blocking(s->sess, 1);
	return SSH_OK;
}

/* A session idle since its last use may have died under us; nothing has
 * run yet when opening the channel fails, so one reconnect is safe. */
static LIBSSH2_CHANNEL *
open_channel(struct ssh_session *s)
{
	LIBSSH2_CHANNEL *ch;

	if ((ch = libssh2_channel_open_session(s->sess)) != NULL)
		return ch;
	if (lib_fail(s, "open channel") != SSH_E_PROTO || ssh_connect(s) != SSH_OK)
		return NULL;
	if ((ch = libssh2_channel_open_session(s->sess)) == NULL)
		lib_fail(s, "open channel");
	return ch;
}

/* argv as one command line for the remote shell, every word quoted. */
static enum ssh_err
remote_command(struct ssh_session *s, const char *const *argv, struct buf *cmd)
{
	if (s->sess == NULL)
		return fail(s, SSH_E_PROTO, "%s: not connected", s->where);
	for (size_t i = 0; argv[i]; i++)
		if ((i && buf_puts(cmd, " ")) || ssh_quote(cmd, argv[i])) {
			buf_free(cmd);
			return fail(s, SSH_E_LOCAL, "out of memory");
		}
	return SSH_OK;
}

enum ssh_err
ssh_exec(struct ssh_session *s, const char *const *argv, const void *input, size_t input_len,
    struct buf *out, struct buf *err, int *exit_status)
{
	struct exec_io io = { input, input ? input_len : 0, 0, 0, { out, err }, { 0, 0 } };
	struct buf cmd = BUF_INIT;
	LIBSSH2_CHANNEL *ch;
	long deadline = clock_ms() + s->o.io_timeout_ms;
	int rc;

	if (remote_command(s, argv, &cmd) != SSH_OK)
		return s->last;
	if ((ch = open_channel(s)) == NULL) {
		buf_free(&cmd);
		return s->last;
	}
	rc = libssh2_channel_exec(ch, buf_str(&cmd));
	buf_free(&cmd);
	if (rc != 0) {
		libssh2_channel_free(ch);
		return lib_fail(s, "exec");
	}
	libssh2_session_set_blocking(s->sess, 0);
	for (;;) {
		if ((rc = exec_pump(ch, &io)) < 0)
			break;
		if (libssh2_channel_eof(ch) && rc == 0)
			break;
		if (rc == 0 && wait_socket(s, deadline) == -1) {
			libssh2_channel_free(ch);
			fail(s, SSH_E_TIMEOUT, "%s: %s: no answer within %d ms", s->where, argv[0],
			    s->o.io_timeout_ms);
			ssh_disconnect(s);
			return SSH_E_TIMEOUT;
		}
	}
	if (rc < 0) {
		libssh2_session_set_blocking(s->sess, 1);
		libssh2_channel_free(ch);
		return lib_fail(s, "exec I/O");
	}
	exec_finish(s, ch, exit_status, deadline);
	if (err)
		buf_note_dropped(err, io.dropped[1]);
	/* Half an answer is no answer: the caller would parse it as whole. */
	if (io.dropped[0])
		return fail(s, SSH_E_REMOTE, "%s: %s: output exceeds %zu bytes; %zu more "
		    "discarded", s->where, argv[0], BUF_CAPTURE_MAX, io.dropped[0]);
	return SSH_OK;
}

static enum ssh_err
sftp_ready(struct ssh_session *s)
{
	if (s->sess == NULL)
		return fail(s, SSH_E_PROTO, "%s: not connected", s->where);
	if (s->sftp == NULL && (s->sftp = libssh2_sftp_init(s->sess)) == NULL)
		return lib_fail(s, "sftp");
	return SSH_OK;
}

static enum ssh_err
sftp_fail(struct ssh_session *s, const char *what, const char *path)
{
	unsigned long code = libssh2_sftp_last_error(s->sftp);

	if (libssh2_session_last_errno(s->sess) != LIBSSH2_ERROR_SFTP_PROTOCOL)
		return lib_fail(s, what);
	return fail(s, SSH_E_REMOTE, "%s: %s %s: SFTP status %lu", s->where, what, path, code);
}

static enum ssh_err
put_stream(struct ssh_session *s, int fd, LIBSSH2_SFTP_HANDLE *h, const char *tmp)
{
	char *chunk = malloc(SSH_XFER_CHUNK);
	ssize_t n, w;
	enum ssh_err e = SSH_OK;

	if (chunk == NULL)
		return fail(s, SSH_E_LOCAL, "out of memory");
	while (e == SSH_OK && (n = read(fd, chunk, SSH_XFER_CHUNK)) != 0) {
		if (n < 0) {
			e = fail(s, SSH_E_LOCAL, "read: %s", strerror(errno));
			break;
		}
		for (ssize_t off = 0; off < n; off += w)
			if ((w = libssh2_sftp_write(h, chunk + off, (size_t)(n - off))) < 0) {
				e = sftp_fail(s, "write", tmp);
				break;
			}
	}
	free(chunk);
	if (e == SSH_OK && libssh2_sftp_fsync(h) != 0)
		e = sftp_fail(s, "fsync", tmp);
	return e;
}

enum ssh_err
ssh_put(struct ssh_session *s, const char *local, const char *remote, unsigned mode)
{
	LIBSSH2_SFTP_ATTRIBUTES st;
	LIBSSH2_SFTP_HANDLE *h;
	char tmp[PATH_MAX], dir[PATH_MAX], base[PATH_MAX];
	enum ssh_err e;
	int fd;

	if ((e = sftp_ready(s)) != SSH_OK)
		return e;
	snprintf(dir, sizeof(dir), "%s", remote);
	snprintf(base, sizeof(base), "%s", remote);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.us-tmp-%ld", dirname(dir),
	    basename(base), (long)getpid()) >= sizeof(tmp))
		return fail(s, SSH_E_LOCAL, "%s: path too long", remote);
	if ((fd = open(local, O_RDONLY | O_CLOEXEC)) == -1)
		return fail(s, SSH_E_LOCAL, "%s: %s", local, strerror(errno));
	h = libssh2_sftp_open(s->sftp, tmp, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
	    LIBSSH2_FXF_TRUNC, (long)mode);
	if (h == NULL) {
		close(fd);
		return sftp_fail(s, "create", tmp);
	}
	e = put_stream(s, fd, h, tmp);
	close(fd);
	libssh2_sftp_close(h);
	/* SFTP v3 rename refuses an existing target: exactly "never overwrite". */
	if (e == SSH_OK && libssh2_sftp_rename_ex(s->sftp, tmp, (unsigned)strlen(tmp), remote,
	    (unsigned)strlen(remote), LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE) != 0) {
		e = sftp_fail(s, "rename to", remote);
		if (e == SSH_E_REMOTE && libssh2_sftp_stat(s->sftp, remote, &st) == 0)
			e = fail(s, SSH_E_EXISTS, "%s: %s exists; not overwritten", s->where, remote);
	}
	if (e != SSH_OK && s->sftp)
		libssh2_sftp_unlink(s->sftp, tmp);
	return e;
}

static int
fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	int fd, rc;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static enum ssh_err
get_stream(struct ssh_session *s, LIBSSH2_SFTP_HANDLE *h, int fd, const char *remote)
{
	char *chunk = malloc(SSH_XFER_CHUNK);
	enum ssh_err e = SSH_OK;
	ssize_t n;

	if (chunk == NULL)
		return fail(s, SSH_E_LOCAL, "out of memory");
	while ((n = libssh2_sftp_read(h, chunk, SSH_XFER_CHUNK)) > 0)
		if (write(fd, chunk, (size_t)n) != n) {
			e = fail(s, SSH_E_LOCAL, "write: %s", strerror(errno));
			break;
		}
	if (e == SSH_OK && n < 0)
		e = sftp_fail(s, "read", remote);
	free(chunk);
	if (e == SSH_OK && fsync(fd) == -1)
		e = fail(s, SSH_E_LOCAL, "fsync: %s", strerror(errno));
	return e;
}

enum ssh_err
ssh_get(struct ssh_session *s, const char *remote, const char *local)
{
	LIBSSH2_SFTP_HANDLE *h;
	char tmp[PATH_MAX];
	enum ssh_err e;
	int fd;

	if ((e = sftp_ready(s)) != SSH_OK)
		return e;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.us-tmp-XXXXXX", local) >= sizeof(tmp))
		return fail(s, SSH_E_LOCAL, "%s: path too long", local);
	if ((h = libssh2_sftp_open(s->sftp, remote, LIBSSH2_FXF_READ, 0)) == NULL)
		return sftp_fail(s, "open", remote);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		libssh2_sftp_close(h);
		return fail(s, SSH_E_LOCAL, "%s: %s", tmp, strerror(errno));
	}
	e = get_stream(s, h, fd, remote);
	libssh2_sftp_close(h);
	if (close(fd) == -1 && e == SSH_OK)
		e = fail(s, SSH_E_LOCAL, "%s: %s", tmp, strerror(errno));
	if (e == SSH_OK && (rename(tmp, local) == -1 || fsync_dir_of(local) == -1))
		e = fail(s, SSH_E_LOCAL, "%s: %s", local, strerror(errno));
	if (e != SSH_OK)
		unlink(tmp);
	return e;
}

/* Long-lived exec channels: a remote end that speaks a protocol with us
 * over its stdin/stdout, as rsync does, instead of one exec per request. */
struct ssh_stream {
	struct ssh_session	*s;
	LIBSSH2_CHANNEL		*ch;
	unsigned		 gen;
	char			 rbuf[4096];
	size_t			 roff, rlen;
};

enum ssh_err
ssh_stream_open(struct ssh_session *s, const char *const *argv, struct ssh_stream **out)
{
	struct buf cmd = BUF_INIT;
	struct ssh_stream *st;
	int rc;

	*out = NULL;
	if (remote_command(s, argv, &cmd) != SSH_OK)
		return s->last;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		buf_free(&cmd);
		return fail(s, SSH_E_LOCAL, "out of memory");
	}
	st->s = s;
	if ((st->ch = open_channel(s)) == NULL) {
		buf_free(&cmd);
		free(st);
		return s->last;
	}
	rc = libssh2_channel_exec(st->ch, buf_str(&cmd));
	buf_free(&cmd);
	if (rc != 0) {
		libssh2_channel_free(st->ch);
		free(st);
		return lib_fail(s, "exec");
	}
	st->gen = s->gen;
	*out = st;
	return SSH_OK;
}

static int
stream_alive(struct ssh_stream *st)
{
	return st->s->sess != NULL && st->gen == st->s->gen;
}

enum ssh_err
ssh_stream_write(struct ssh_stream *st, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	if (!stream_alive(st))
		return fail(st->s, SSH_E_PROTO, "%s: session lost", st->s->where);
	while (len > 0) {
		if ((n = libssh2_channel_write(st->ch, p, len)) < 0)
			return lib_fail(st->s, "write");
		p += n;
		len -= (size_t)n;
	}
	return SSH_OK;
}

enum ssh_err
ssh_stream_gets(struct ssh_stream *st, char *line, size_t max)
{
	size_t used = 0;
	ssize_t n;

	for (;;) {
		while (st->roff < st->rlen) {
			char c = st->rbuf[st->roff++];

			if (c == '\n') {
				line[used] = '\0';
				return SSH_OK;
			}
			if (used + 1 < max)
				line[used++] = c;
		}
		if (!stream_alive(st))
			return fail(st->s, SSH_E_PROTO, "%s: session lost", st->s->where);
		n = libssh2_channel_read(st->ch, st->rbuf, sizeof(st->rbuf));
		if (n < 0)
			return lib_fail(st->s, "read");
		if (n == 0) {
			line[used] = '\0';
			return fail(st->s, SSH_E_REMOTE, "%s: remote end closed the stream",
			    st->s->where);
		}
		st->roff = 0;
		st->rlen = (size_t)n;
	}
}

enum ssh_err
ssh_stream_close(struct ssh_stream *st, struct buf *err, int *exit_status)
{
	char chunk[4096];
	size_t dropped = 0;
	ssize_t n;

	if (st == NULL)
		return SSH_OK;
	if (!stream_alive(st)) {
		free(st);	/* its channel went with the old session */
		return SSH_OK;
	}
	libssh2_channel_send_eof(st->ch);
	while ((n = libssh2_channel_read_stderr(st->ch, chunk, sizeof(chunk))) > 0)
		if (err)
			dropped += buf_append_max(err, chunk, (size_t)n, BUF_CAPTURE_MAX);
	if (err)
		buf_note_dropped(err, dropped);
	libssh2_channel_close(st->ch);
	libssh2_channel_wait_closed(st->ch);
	if (exit_status)
		*exit_status = libssh2_channel_get_exit_status(st->ch);
	libssh2_channel_free(st->ch);
	free(st);
	return SSH_OK;
}
