/* Shipping WAL files to the archive_dir of every other node over one
 * persistent SSH session and remote end per peer. */
#ifndef PGWARM_SHIP_H
#define PGWARM_SHIP_H
#include <stddef.h>
#include "understudy/node.h"

/* pgwarm-archive.conf, written by the agent next to postgresql.conf. */
struct ship_conf {
	char		*self;		/* this node's name in nodes */
	struct node_list nodes;
	char		*archive_dir;
	char		*ssh_user;
	char		*ssh_key;
	char		*known_hosts;
	int		 require_all;	/* archive_require=all (else any) */
	int		 compress;	/* lz4 on the wire */
	int		 connect_timeout_ms;
	int		 io_timeout_ms;
	char		*remote_program; /* pgwarm-archive on the peers */
	long		 pgport;	/* where every node's server listens (pgwarm-receive) */
};

struct ssh_opts;
/* The SSH options for reaching node nd as the configuration says. */
void	 ship_ssh_opts(const struct ship_conf *, const struct node *nd, struct ssh_opts *);
int	 ship_conf_load(const char *path, struct ship_conf *, char *why, size_t whylen);
void	 ship_conf_free(struct ship_conf *);

struct ship_file {
	const char	*path;		/* local file */
	const char	*name;		/* archived name (%f) */
	int		 ok;		/* durable where archive_require says */
	char		 err[1024];	/* first failure, for the log */
};

struct shipper;
struct shipper *ship_new(const struct ship_conf *);
void	 ship_free(struct shipper *);
/* Number of peers (nodes other than self). */
size_t	 ship_npeers(const struct shipper *);
/* Ships every file to every peer that does not hold it yet, in parallel,
 * and sets ok/err per file. Returns the number of files not durable. */
size_t	 ship_batch(struct shipper *, struct ship_file *, size_t n);
#endif
