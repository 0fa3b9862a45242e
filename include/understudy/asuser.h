/* Work done as another user. The agents run as root, but some of what they
 * touch lies in a directory that another user owns (PGDATA belongs to
 * postgres): any path there may be a symlink that user planted. Done as that
 * user, in a child that dropped root for good, a redirected open reaches
 * only what the user could reach anyway (DESIGN.md §10). */
#ifndef UNDERSTUDY_ASUSER_H
#define UNDERSTUDY_ASUSER_H

#include <stddef.h>

/* Runs fn(arg) in a child that became user (groups, gid, uid). fn returns 0
 * or -1 with why filled in; that why reaches the caller. Returns fn's
 * result, or -1 when the child could not be made or become user. */
typedef int (*asuser_fn)(void *arg, char *why, size_t whylen);
int	 asuser_call(const char *user, asuser_fn fn, void *arg, char *why, size_t whylen);

/* The usual jobs, each done as user: */
/* path replaced atomically and durably by data (buf_write_file). */
int	 asuser_write_file(const char *user, const char *path, const char *data, size_t len,
	    unsigned mode, char *why, size_t whylen);
/* line appended (durably) to path unless path already has it as a line. */
int	 asuser_append_line(const char *user, const char *path, const char *line,
	    const char *comment, char *why, size_t whylen);
/* path removed; a missing path is success. */
int	 asuser_unlink(const char *user, const char *path, char *why, size_t whylen);
/* from renamed to to (never replacing an existing to). */
int	 asuser_rename(const char *user, const char *from, const char *to, char *why,
	    size_t whylen);
#endif
