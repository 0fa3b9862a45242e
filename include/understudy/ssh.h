/* One libssh2 session to one peer: connect with a timeout, strict host-key
 * check against a known_hosts file (unknown or mismatched = refused), key
 * authentication, exec channels and SFTP transfers that land atomically.
 * Errors are returned as values; ssh_error() holds the message. */
#ifndef UNDERSTUDY_SSH_H
#define UNDERSTUDY_SSH_H

#include <stddef.h>
#include <sys/types.h>
#include "buf.h"

enum ssh_err {
	SSH_OK = 0,
	SSH_E_CONNECT,		/* resolve/connect failed or timed out */
	SSH_E_HOSTKEY_UNKNOWN,	/* host not in known_hosts */
	SSH_E_HOSTKEY_MISMATCH,	/* known_hosts holds another key */
	SSH_E_AUTH,		/* our key was refused */
	SSH_E_LOCAL,		/* local file or resource problem */
	SSH_E_REMOTE,		/* the remote side refused an operation */
	SSH_E_EXISTS,		/* remote target exists; not overwritten */
	SSH_E_TIMEOUT,		/* an operation outlived io_timeout_ms */
	SSH_E_PROTO		/* session broke; reconnect */
};

struct ssh_opts {
	const char	*host;
	unsigned	 port;			/* 0: 22 */
	const char	*user;
	const char	*key_file;		/* private key (public key derived) */
	const char	*known_hosts;
	int		 connect_timeout_ms;	/* 0: 10 s */
	int		 io_timeout_ms;		/* 0: 60 s */
	int		 keepalive_s;		/* 0: off */
};

struct ssh_session;
struct node;

/* Options for a peer of a `nodes` list (its address and port), with a 15 s
 * keepalive, as every helper that keeps a session to its peers wants. */
void	 ssh_opts_node(struct ssh_opts *, const struct node *, const char *user,
	    const char *key_file, const char *known_hosts, int connect_timeout_ms,
	    int io_timeout_ms);

struct ssh_session *ssh_session_new(const struct ssh_opts *);
void	 ssh_session_free(struct ssh_session *);
enum ssh_err ssh_connect(struct ssh_session *);
/* Connects if not connected or if the session no longer answers. */
enum ssh_err ssh_ensure(struct ssh_session *);
void	 ssh_disconnect(struct ssh_session *);
int	 ssh_is_connected(const struct ssh_session *);
const char *ssh_error(const struct ssh_session *);
/* "SHA256:…" of the server's host key, as OpenSSH prints it. */
const char *ssh_fingerprint(const struct ssh_session *);

/* Runs argv on the peer (each word quoted for the remote shell), feeds
 * input, collects stdout/stderr. exit_status is the remote exit code. */
enum ssh_err ssh_exec(struct ssh_session *, const char *const *argv,
	    const void *input, size_t input_len, struct buf *out, struct buf *err,
	    int *exit_status);
/* Copies a local file to remote_path: temporary name, fsync, rename. An
 * existing remote_path is never overwritten (SSH_E_EXISTS). */
enum ssh_err ssh_put(struct ssh_session *, const char *local_path,
	    const char *remote_path, unsigned mode);
/* Copies remote_path to local_path: temporary name, fsync, rename. */
enum ssh_err ssh_get(struct ssh_session *, const char *remote_path,
	    const char *local_path);

/* A long-lived exec channel: argv runs on the peer and we talk to its
 * stdin/stdout (our remote ends: pgwarm-archive --receive, mirror-serve).
 * Writes and reads block up to io_timeout_ms. */
struct ssh_stream;
enum ssh_err ssh_stream_open(struct ssh_session *, const char *const *argv,
	    struct ssh_stream **);
enum ssh_err ssh_stream_write(struct ssh_stream *, const void *, size_t);
/* One line of the remote's stdout, without the newline (truncated to max). */
enum ssh_err ssh_stream_gets(struct ssh_stream *, char *line, size_t max);
/* Sends EOF, collects what the remote wrote on stderr and its exit status. */
enum ssh_err ssh_stream_close(struct ssh_stream *, struct buf *err, int *exit_status);

/* The rule OpenSSH applies to the files it trusts (its safe_path): path
 * resolves to a regular file owned by root or user, writable by neither
 * group nor others, and so is every directory above it up to /, except
 * that a root-owned directory with the sticky bit (/tmp) may be world-
 * writable: nobody else can rename or remove what we own in it. user
 * (uid_t)-1 means the file's owner: an agent validating, as root, a file
 * another user will read. 0, or -1 with why naming the path and the fault.
 * Checked for key files and known_hosts at every connect. */
int	 ssh_path_trusted(const char *path, uid_t user, char *why, size_t whylen);

/* Appends word quoted for a POSIX shell. */
int	 ssh_quote(struct buf *, const char *word);

#endif
