/* What a node knows was identical on both ends after a sync: one record per
 * path (its local stat at that moment, and for big files the hashes of
 * their blocks). mirror-sync keeps one per peer ("sent"), mirror-serve one
 * per sender ("received"). Written to a temporary, fsynced, renamed. */
#ifndef MIRROR_MANIFEST_H
#define MIRROR_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

enum mtype {
	MT_FILE = 'f', MT_DIR = 'd', MT_LINK = 'l', MT_FIFO = 'p',
	MT_CHR = 'c', MT_BLK = 'b', MT_HARDLINK = 'h'	/* on the wire only */
};

struct mstat {
	uint8_t		type;
	uint32_t	mode;		/* permission bits incl. suid/sgid/sticky */
	uint32_t	uid, gid;
	uint64_t	size;
	int64_t		mtime_ns, ctime_ns;
	uint64_t	ino, dev, rdev;
	uint32_t	nlink;
};

#define MBLOCK_SIZE	(64u << 10)
#define BLOCK_HASH	16
#define DELTA_MIN	(1u << 20)	/* smaller files always move whole */

struct mrec {
	char		*path;
	struct mstat	 st;
	uint32_t	 nblocks;
	unsigned char	*blocks;	/* nblocks * BLOCK_HASH */
	int		 gone;		/* removed; skipped when saved */
	int		 seen;		/* scratch for the caller */
};

struct manifest {
	struct mrec	*v;
	size_t		 n, cap;
	size_t		*slot;		/* open addressing: index + 1, 0 = empty */
	size_t		 nslot;
	int		 loaded;	/* a file was read (not a first contact) */
};

int	 mstat_from_path(int dirfd, const char *name, struct mstat *, struct stat *);
void	 mstat_from_stat(const struct stat *, struct mstat *);
int	 mstat_type(mode_t);
int	 mtype_valid(int);	/* one of the stored types */
/* Same content and attributes as far as stat can tell (incl. ctime/inode). */
int	 mstat_same(const struct mstat *, const struct mstat *);
/* Same as what a sender offers: type, size, mtime, mode, owner. */
int	 mstat_same_offer(const struct mstat *local, const struct mstat *offer);

void	 manifest_init(struct manifest *);
void	 manifest_free(struct manifest *);
struct mrec *manifest_find(const struct manifest *, const char *path);
/* Inserts or replaces; takes a copy of path and blocks. NULL on ENOMEM. */
struct mrec *manifest_put(struct manifest *, const char *path, const struct mstat *,
	    const unsigned char *blocks, uint32_t nblocks);
void	 manifest_drop(struct manifest *, const char *path);
/* A missing file is an empty manifest (loaded = 0); a damaged one is an
 * error, and the caller treats it as missing after saying so. */
int	 manifest_load(const char *file, struct manifest *, char *why, size_t whylen);
int	 manifest_parse(const unsigned char *, size_t, struct manifest *, char *why, size_t whylen);
int	 manifest_save(const char *file, const struct manifest *, char *why, size_t whylen);

#endif
