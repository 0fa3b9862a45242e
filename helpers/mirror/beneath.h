/* Resolution beneath a directory fd: the one way mirror-serve reaches a
 * path a peer named. Every component is resolved by the kernel below the
 * fd (openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so neither a
 * symlink, planted earlier or raced in, nor ".." leads out of it. What is
 * then done to the last component goes through the *at() call on the
 * returned directory fd and a single name, which follows nothing. */
#ifndef MIRROR_BENEATH_H
#define MIRROR_BENEATH_H

#include <limits.h>
#include <sys/types.h>

/* rel beneath dirfd ("." is dirfd itself), opened with flags (O_CLOEXEC
 * added); ELOOP when any component is a symlink, the last one too; EXDEV when
 * it would climb out, EINVAL for an empty, ".", ".." or absolute name. */
int	 bn_open(int dirfd, const char *rel, int flags, mode_t mode);
/* The directory rel beneath dirfd; with create, the missing components
 * are made (mode, like mkdir -p), and with durable each new one is
 * fsynced into its parent before the next is made. */
int	 bn_dir(int dirfd, const char *rel, int create, mode_t mode, int durable);
/* The directory holding rel (a new fd) and its last component in leaf;
 * with create, missing directories are made 0700, durably. */
int	 bn_parent(int dirfd, const char *rel, int create, char leaf[NAME_MAX + 1]);
/* path is dir itself or below it, spelled without ".", ".." or empty
 * components; *rest gets the part below dir ("." for dir itself). */
int	 bn_under(const char *path, const char *dir, const char **rest);

#endif
