/* mirror-serve: the receiving end of a mirror stream (stdin frames, stdout
 * text replies). It lands every file as a temporary, makes a batch of them
 * durable with one syncfs, then renames them into place; it moves anything
 * changed here since the last sync with this sender into the conflict
 * directory before replacing or deleting it. */
#ifndef MIRROR_SERVE_H
#define MIRROR_SERVE_H

struct serve_opts {
	const char	*state_dir;	/* recv-<sender>.manifest lives here */
	const char	*conflict_dir;	/* NULL or "": state_dir/conflicts */
	const char	*only;		/* NULL, or the one tree roots must lie in */
	int		 allow_special;	/* with only: setuid/setgid, devices, security.* */
};

/* Returns 0 when the stream ended cleanly, -1 on a protocol error (said
 * on stderr) or when the state could not be saved. */
int	 mirror_serve(const struct serve_opts *, int in, int out);

/* Tests only (NULL in the programs): called at the points where a crash
 * must find the tree old or new — "conflict-copied" (a conflict copy to
 * another file system is on disk, the original still in place), "synced"
 * (every change of the batch is on disk, before its DONE). */
extern void (*serve_test_hook)(const char *point);

#endif
