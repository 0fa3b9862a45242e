/* Driving one PostgreSQL data directory for the agent: its tools run as
 * system_user with LC_ALL=C, its state from pg_controldata and
 * postmaster.pid, queries through libpq in a child that became
 * system_user (so peer authentication and ~/.pgpass work as for psql). */
#ifndef PGWARM_PGCTL_H
#define PGWARM_PGCTL_H
#include <stddef.h>
#include <stdint.h>
#include "understudy/buf.h"

struct pgctl {
	const char	*pgdata;
	const char	*bindir;
	const char	*host;		/* socket directory */
	long		 port;
	const char	*user;
	const char	*logfile;
};

struct pg_control {
	char		 state[64];	/* "in production", "shut down", … */
	uint32_t	 tli;		/* latest checkpoint's TimeLineID */
	uint64_t	 ckpt;		/* latest checkpoint location */
	char		 redo_file[32];	/* latest checkpoint's REDO WAL file */
	uint64_t	 minrec;	/* minimum recovery ending location (0: none) */
	uint32_t	 minrec_tli;	/* and its timeline */
	int		 hints;		/* wal_log_hints on or data checksums */
};

/* A path in archive_command and its kin, appended to cmd: PostgreSQL
 * expands %p, %f and %r there before /bin/sh reads it, so a '%' of the
 * path is written "%%" first, then the whole is quoted for the shell. */
void	 pg_cmd_path(struct buf *cmd, const char *path);
/* Runs bindir/argv[0]; 0 when it exited 0, else -1 with why (its stderr). */
int	 pg_tool(const struct pgctl *, const char *const *argv, int timeout_ms,
	    struct buf *out, char *why, size_t whylen);
int	 pg_control_read(const struct pgctl *, struct pg_control *, char *why, size_t whylen);
/* 1 when a live postmaster owns the data directory. */
int	 pg_running(const struct pgctl *);
/* postmaster.pid's status line: "starting", "ready", "standby", "stopping". */
void	 pg_pm_status(const struct pgctl *, char *out, size_t outlen);
/* One row, columns joined by '|'. conninfo NULL: the local server. */
int	 pg_query(const struct pgctl *, const char *conninfo, const char *sql, int timeout_ms,
	    char *out, size_t outlen, char *why, size_t whylen);
/* A value of a libpq conninfo, quoted as libpq wants ('…', \ before ' and \). */
void	 pg_ci_quote(struct buf *, const char *v);
/* A libpq conninfo for host:port as user, values quoted as libpq wants. */
void	 pg_conninfo(struct buf *, const char *host, long port, const char *user, int timeout_s);
int	 pg_lsn_parse(const char *s, uint64_t *out);
#endif
