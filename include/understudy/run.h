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
};

struct run_result {
	enum run_status	status;
	int		exit_code;
	int		term_signal;
	int		errno_value;
	long		elapsed_ms;
};

/* Ignores SIGPIPE in the caller for good: a child that exits before
 * reading all its input must not kill us. */
enum run_status run(const struct run_cmd *, struct run_result *);
/* Becomes pw's user (groups, gid, uid), for good. 0 on success. Called in
 * run()'s children and by helpers that fork their own (a libpq query). */
int	 run_become(const struct passwd *pw);
/* Resolves a program name via PATH into out (absolute); 0 on success. */
int	 run_which(const char *prog, char *out, size_t outlen);
/* One line describing the result, for logs and exit reasons. */
const char *run_describe(const struct run_result *, char *out, size_t outlen);

#endif
