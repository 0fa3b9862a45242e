/* PostgreSQL WAL file names and segment headers: what pgwarm-restore,
 * pgwarm-standby and the archive receiver accept, and what cleanup removes. */
#ifndef PGWARM_WAL_H
#define PGWARM_WAL_H
#include <stddef.h>
#include <stdint.h>

/* What the formats allow, the bound for everything that arrives from a
 * peer: wal_segment_size is a power of two from 1 MiB to 1 GiB (a .partial
 * is a whole segment too); a timeline history file gains one line of under
 * 100 bytes per promotion and a backup history file holds a dozen lines, so
 * 1 MiB is thousands of timelines more than any cluster makes. */
#define WAL_SEGMENT_MIN	(1ULL << 20)
#define WAL_SEGMENT_MAX	(1ULL << 30)
#define WAL_SMALL_MAX	(1ULL << 20)

enum wal_kind {
	WAL_NONE,		/* not a name PostgreSQL archives */
	WAL_SEGMENT,		/* 000000010000000000000003 */
	WAL_PARTIAL,		/* 000000010000000000000003.partial */
	WAL_HISTORY,		/* 00000002.history */
	WAL_BACKUP		/* 000000010000000000000003.00000028.backup */
};

enum wal_kind wal_kind(const char *name);
/* The kind of a file as stored in archive_dir, where segments and
 * partials may carry the ".lz4" suffix (see lz4file.h). */
enum wal_kind wal_kind_stored(const char *name);
/* Timeline of a segment, partial, backup or history name (0 if none). */
uint32_t wal_timeline(const char *name);
/* Orders segment positions ignoring the timeline, as pg_archivecleanup. */
int	 wal_pos_cmp(const char *a, const char *b);
/* Checks that a segment's first page header matches its name and size:
 * catches a truncated copy, a zero-filled or a misnamed file. Returns 0 when
 * good, 1 when shorter than it should be (a copy still in progress), -1
 * when wrong. History and backup files are not checked. */
int	 wal_verify(const char *name, const unsigned char *head, size_t headlen,
	    uint64_t filesize, char *why, size_t whylen);
/* The segment size a first page header gives, 0 when it is no long page
 * header or the size is impossible. */
uint64_t wal_head_segsize(const unsigned char *head, size_t headlen);
int	 wal_verify_file(const char *path, const char *name, char *why, size_t whylen);
/* Removes, from dir, segments and partials before restart (exclusive):
 * what archive_cleanup_command does. Returns the count, -1 on error. */
int	 wal_cleanup(const char *dir, const char *restart, int dry_run, char *why,
	    size_t whylen);
/* The most a file of this name may hold (WAL_SEGMENT_MAX or WAL_SMALL_MAX),
 * 0 for a name that is not WAL. */
uint64_t wal_max_size(const char *name);
#endif
