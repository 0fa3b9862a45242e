/* Spawning programs: always an argv, never a shell. The child gets a new
 * process group so a timeout kills everything it started. */
#ifndef UNDERSTUDY_RUN_H
#define UNDERSTUDY_RUN_H

#include <sys/types.h>
#include <pwd.h>
#include "buf.h"

enum run_status {
	RUN_EXITED,		/* exit_code is valid */
	RUN_SIGNALED,		/* term_signal is valid */
	RUN_TIMEOUT,		/* killed after timeout_ms */
	RUN_NOT_FOUND,		/* program not found or not executable */
	RUN_NO_USER,		/* run_as user does not exist */
	RUN_ERROR		/* fork/pipe/exec failure; errno_value set */
};

struct run_cmd {
	const char *const *argv;	/* argv[0] is the program (searched in PATH) */
	const char *const *envp;	/* NULL: inherit; else exactly these */
	const char	*run_as;	/* user name to switch to, or NULL */
	const char	*cwd;		/* or NULL */
	const void	*input;		/* fed to stdin, or NULL for /dev/null */
	size_t		 input_len;
	int		 timeout_ms;	/* <= 0: no timeout */
	int		 merge_stderr;	/* stderr goes to out as well */
	struct buf	*out;		/* captured stdout, or NULL to discard */
	struct buf	*err;		/* captured stderr, or NULL to discard */
	size_t		 capture_max;	/* bytes kept per stream; 0: BUF_CAPTURE_MAX.
					 * The rest is read and dropped (counted in
					 * the result; stderr ends with a note). */
};

struct run_result {
	enum run_status	status;
	int		exit_code;
	int		term_signal;
	int		errno_value;
	long		elapsed_ms;
	size_t		out_dropped;	/* stdout bytes past capture_max */
	size_t		err_dropped;	/* stderr bytes past capture_max */
};

/* Who a child becomes, resolved before fork(): the passwd entry and the
 * group list come from NSS (files, sssd, LDAP), which allocates and takes
 * locks, so the child of a multithreaded parent could deadlock doing it.
 * The child only calls setgroups, setgid, setuid. */
struct run_ident {
	uid_t		 uid;
	gid_t		 gid;
	int		 ngroups;
	gid_t		*groups;
};

/* Ignores SIGPIPE in the caller for good: a child that exits before
 * reading all its input must not kill us. */
enum run_status run(const struct run_cmd *, struct run_result *);
/* Fills id for user; 0, or -1 with errno (ENOENT: no such user). */
int	 run_ident_lookup(const char *user, struct run_ident *id);
void	 run_ident_free(struct run_ident *id);
/* Becomes id's user for good, with system calls only (safe after fork). */
int	 run_ident_apply(const struct run_ident *id);
/* Becomes pw's user (groups, gid, uid), for good. 0 on success. Looks the
 * groups up itself: for helpers that fork their own child and do more in it
 * than exec (a libpq query); run() resolves before it forks. */
int	 run_become(const struct passwd *pw);
/* Resolves a program name via PATH into out (absolute); 0 on success. */
int	 run_which(const char *prog, char *out, size_t outlen);
/* One line describing the result, for logs and exit reasons. */
const char *run_describe(const struct run_result *, char *out, size_t outlen);

#endif
