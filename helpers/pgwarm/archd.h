/* The shipper daemon behind archive_command: one per data directory,
 * started on demand by the first pgwarm-archive call, gone with the
 * postmaster. It keeps the SSH sessions open and ships segments as soon
 * as PostgreSQL marks them ready, so archive_command mostly just confirms. */
#ifndef PGWARM_ARCHD_H
#define PGWARM_ARCHD_H
#include <stddef.h>
#include "ship.h"

/* The abstract socket name for the data directory at cwd. */
int	 archd_socket_name(char *out, size_t outlen);
/* Serves until the postmaster of the data directory at cwd is gone.
 * Returns 1 when another daemon of ours already serves it, -1 (logged)
 * when it cannot serve, the name held by another user included. Only
 * clients of the server's user are served. */
int	 archd_run(const struct ship_conf *, const char *sockname);
/* Asks the daemon to make name durable. 0: done; -1: failed (why), the
 * name held by a process of another user included (SO_PEERCRED); 1: no
 * daemon answers. */
int	 archd_request(const char *sockname, const char *name, int timeout_ms,
	    char *why, size_t whylen);
/* Starts a detached daemon: self --daemon -c conf_path, its stderr the
 * caller's (archive_command's: the server log). */
int	 archd_spawn(const char *self, const char *conf_path);
#endif
