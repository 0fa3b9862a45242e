/* Growable byte/string buffer. The buffer owns its memory; buf_steal hands it
 * to the caller, after which the buffer is empty again. data is always
 * NUL-terminated so it can be used as a C string when it holds text. */
#ifndef UNDERSTUDY_BUF_H
#define UNDERSTUDY_BUF_H

#include <stddef.h>
#include <stdarg.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
int	 buf_reserve(struct buf *, size_t extra);
int	 buf_append(struct buf *, const void *, size_t);
int	 buf_puts(struct buf *, const char *);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
/* What one capture of another program's or a peer's output keeps: past
 * it bytes are counted and dropped, so a chatty or hostile writer cannot
 * grow our memory without bound. Far above what any tool we run prints. */
#define BUF_CAPTURE_MAX	((size_t)4 << 20)
/* Appends what fits under max bytes in all; returns how many were dropped
 * (all n when memory is short: a capture never fails the caller). */
size_t	 buf_append_max(struct buf *, const void *, size_t n, size_t max);
/* Appends a line saying dropped bytes were discarded (for text meant for
 * people: stderr, exit reasons). Does nothing when dropped is 0. */
int	 buf_note_dropped(struct buf *, size_t dropped);
/* Appends s with XML special characters escaped. */
int	 buf_xml_escape(struct buf *, const char *s);
/* Appends the whole file at path; -1 with errno set (EFBIG past max bytes). */
int	 buf_read_file(struct buf *, const char *path, size_t max);
/* Replaces path with the buffer's bytes, durably: a temporary beside it
 * (a random name created with mode, O_EXCL and O_NOFOLLOW), written,
 * fsynced, renamed over path, then the directory fsynced. A crash leaves
 * the old or the new content, never a mix. A path that is a symlink is
 * refused (ELOOP). -1 with errno set, and no temporary left behind (but
 * when only the directory fsync failed, path already holds the new bytes). */
int	 buf_write_file(const struct buf *, const char *path, unsigned mode);
const char *buf_str(const struct buf *);
char	*buf_steal(struct buf *);

#endif
