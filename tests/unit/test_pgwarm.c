/* pgwarm's parsers and stream: WAL names and headers, cleanup, the archive
 * stream end to end through a pipe (including hostile input), and
 * pgwarm-archive.conf. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lz4frame.h>

#include "../../helpers/pgwarm/archland.h"
#include "../../helpers/pgwarm/copy.h"
#include "../../helpers/pgwarm/pgctl.h"
#include "../../helpers/pgwarm/lz4file.h"
#include "../../helpers/pgwarm/recv.h"
#include "../../helpers/pgwarm/replay.h"
#include "../../helpers/pgwarm/ship.h"
#include "../../helpers/pgwarm/wal.h"
#include "../../helpers/pgwarm/wire.h"
#include "check_main.h"

static char tmp[64];

static void
setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test-pgwarm-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
teardown(void)
{
	ck_assert_int_eq(nftw(tmp, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

START_TEST(names)
{
	ck_assert_int_eq(wal_kind("000000010000000000000003"), WAL_SEGMENT);
	ck_assert_int_eq(wal_kind("000000010000000000000003.partial"), WAL_PARTIAL);
	ck_assert_int_eq(wal_kind("0000000A.history"), WAL_HISTORY);
	ck_assert_int_eq(wal_kind("000000010000000000000003.00000028.backup"), WAL_BACKUP);
	ck_assert_int_eq(wal_kind("00000001000000000000000g"), WAL_NONE);
	ck_assert_int_eq(wal_kind("000000010000000000000003 "), WAL_NONE);
	ck_assert_int_eq(wal_kind("../00000001000000000003"), WAL_NONE);
	ck_assert_int_eq(wal_kind(""), WAL_NONE);
	ck_assert_int_eq(wal_kind("0000000a0000000000000003"), WAL_NONE);	/* lower case */
	ck_assert_uint_eq(wal_timeline("0000000A.history"), 10);
	ck_assert_int_lt(wal_pos_cmp("000000020000000000000003", "000000010000000000000004"), 0);
}
END_TEST

/* A long page header for segment 3 of timeline 1, 16 MiB segments. */
static void
header(unsigned char *h, uint32_t tli, uint64_t addr, uint32_t segsz)
{
	memset(h, 0, 40);
	h[0] = 0x10; h[1] = 0xD1; h[2] = 0x02;
	memcpy(h + 4, &tli, 4);
	memcpy(h + 8, &addr, 8);
	memcpy(h + 32, &segsz, 4);
}

/* A path with '%' (and quotes, spaces, $) in archive_command: after
 * PostgreSQL's expansion (%% -> %; a lone %p would have been replaced)
 * and /bin/sh's parsing, the program gets the path as it is. */
START_TEST(command_paths)
{
	static const char *const paths[] = { "/srv/pg%data/pgwarm-archive.conf",
	    "/srv/%p%f%r/x", "/srv/it's here/$HOME `id`", "/srv/100%", NULL };

	for (int i = 0; paths[i]; i++) {
		struct buf cmd = BUF_INIT, pg = BUF_INIT, sh = BUF_INIT;
		char got[512] = "";
		FILE *p;

		pg_cmd_path(&cmd, paths[i]);
		/* PostgreSQL's archive_command expansion: %% is %, %p %f %r
		 * are replaced (none may be left for it to find) */
		for (const char *c = buf_str(&cmd); *c; c++) {
			if (*c == '%') {
				ck_assert_msg(c[1] == '%', "a lone %% in %s", buf_str(&cmd));
				c++;
			}
			buf_append(&pg, c, 1);
		}
		buf_printf(&sh, "printf '%%s' %s", buf_str(&pg));
		ck_assert_ptr_nonnull(p = popen(buf_str(&sh), "r"));
		ck_assert_ptr_nonnull(fgets(got, sizeof(got), p) != NULL ? got : NULL);
		pclose(p);
		ck_assert_str_eq(got, paths[i]);
		buf_free(&cmd);
		buf_free(&pg);
		buf_free(&sh);
	}
}
END_TEST

START_TEST(verify)
{
	unsigned char h[40], zero[40] = { 0 };
	char why[256];
	uint32_t seg = 16 << 20;

	header(h, 1, 3ULL * seg, seg);
	ck_assert_int_eq(wal_verify("000000010000000000000003", h, 40, seg, why, sizeof(why)), 0);
	ck_assert_int_eq(wal_verify("000000010000000000000003", h, 40, seg / 2, why, sizeof(why)), 1);
	ck_assert_int_eq(wal_verify("000000010000000000000003", h, 20, 20, why, sizeof(why)), 1);
	ck_assert_int_eq(wal_verify("000000010000000000000004", h, 40, seg, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "not this name"));
	ck_assert_int_eq(wal_verify("000000010000000000000003", zero, 40, seg, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "zero-filled"));
	header(h, 1, 3ULL * seg, 12345);
	ck_assert_int_eq(wal_verify("000000010000000000000003", h, 40, seg, why, sizeof(why)), -1);
	header(h, 2, 3ULL * seg, seg);	/* a page from a later timeline: misnamed */
	ck_assert_int_eq(wal_verify("000000010000000000000003", h, 40, seg, why, sizeof(why)), -1);
	ck_assert_int_eq(wal_verify("00000002.history", zero, 0, 0, why, sizeof(why)), 0);
}
END_TEST

static void
touch(const char *name, const char *content)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(content, f);
	fclose(f);
}

static int
exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	return access(path, F_OK) == 0;
}

START_TEST(cleanup)
{
	char why[256];

	touch("000000010000000000000001", "");
	touch("000000020000000000000002.partial", "");
	touch("000000020000000000000003", "");
	touch("00000002.history", "");
	touch("000000010000000000000001.00000028.backup", "");
	touch("notes.txt", "");
	ck_assert_int_eq(wal_cleanup(tmp, "000000020000000000000003", 0, why, sizeof(why)), 2);
	ck_assert(!exists("000000010000000000000001"));
	ck_assert(!exists("000000020000000000000002.partial"));
	ck_assert(exists("000000020000000000000003"));
	ck_assert(exists("00000002.history"));
	ck_assert(exists("notes.txt"));
	ck_assert_int_eq(wal_cleanup(tmp, "../etc", 0, why, sizeof(why)), -1);
}
END_TEST

/* Runs the receiver on input, returns what it answered. */
static char *
receive(const void *input, size_t len, int *rc)
{
	int in[2], out[2], status;
	static char answer[4096];
	ssize_t n, got = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	if ((pid = fork()) == 0) {
		close(in[1]);
		close(out[0]);
		_exit(wire_receive(tmp, in[0], out[1]) == 0 ? 0 : 1);
	}
	close(in[0]);
	close(out[1]);
	/* A receiver that refuses stops reading: the rest goes nowhere. */
	signal(SIGPIPE, SIG_IGN);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(in[1], (const char *)input + off, len - off);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(in[1]);
	while ((n = read(out[0], answer + got, sizeof(answer) - 1 - (size_t)got)) > 0)
		got += n;
	answer[got] = '\0';
	close(out[0]);
	waitpid(pid, &status, 0);
	*rc = WEXITSTATUS(status);
	return answer;
}

static void
encode(struct buf *b, const char *name, const char *content, int compress)
{
	char path[256], why[256];
	int fd;

	snprintf(path, sizeof(path), "%s/src-%s", tmp, name);
	ck_assert_int_ne(fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), -1);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	ck_assert_int_eq(wire_encode_file(b, name, fd, strlen(content), compress, why,
	    sizeof(why)), 0);
	close(fd);
	unlink(path);
}

START_TEST(stream_round_trip)
{
	struct buf b = BUF_INIT;
	char big[300000], *ans, path[256], back[sizeof(big)];
	int rc, fd;

	memset(big, 'w', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	encode(&b, "000000010000000000000007", big, 1);
	ck_assert_uint_lt(b.len, sizeof(big) / 10);	/* compressed on the wire */
	encode(&b, "00000002.history", "1\t0/3000000\tno recovery target\n", 0);
	buf_puts(&b, "SYNC\n");
	ans = receive(b.data, b.len, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(ans, WIRE_HELLO "\nOK 000000010000000000000007.lz4 new\n"
	    "OK 00000002.history new\n");
	/* Stored as an LZ4 frame; restore gives the segment back (its header
	 * check fails on this fake content, so decompress by hand). */
	snprintf(path, sizeof(path), "%s/000000010000000000000007.lz4", tmp);
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	buf_reset(&b);
	ck_assert_int_eq(lz4file_decompress(fd, WAL_SEGMENT_MAX, NULL, NULL, &b, path,
	    sizeof(path)), 0);
	close(fd);
	ck_assert_uint_eq(b.len, strlen(big));
	ck_assert_int_eq(memcmp(b.data, big, b.len), 0);
	snprintf(path, sizeof(path), "%s/00000002.history", tmp);
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	ck_assert_int_eq(read(fd, back, sizeof(back)), 31);
	close(fd);
	/* The same again is success; other content is refused, both checksums named. */
	buf_reset(&b);
	encode(&b, "000000010000000000000007", big, 1);
	encode(&b, "00000002.history", "1\t0/3000000\tno recovery target\n", 0);
	buf_puts(&b, "SYNC\n");
	ans = receive(b.data, b.len, &rc);
	ck_assert_ptr_nonnull(strstr(ans, "OK 000000010000000000000007.lz4 same"));
	buf_reset(&b);
	encode(&b, "00000002.history", "2\t0/4000000\tforged\n", 1);
	buf_puts(&b, "SYNC\n");
	ans = receive(b.data, b.len, &rc);
	ck_assert_ptr_nonnull(strstr(ans, "ERR 00000002.history already archived"));
	ck_assert_ptr_nonnull(strstr(strstr(ans, "sha256:") + 1, "sha256:"));
	buf_free(&b);
}
END_TEST

#define RAW(x)	{ x, sizeof(x) - 1 }

START_TEST(stream_hostile)
{
	static const struct { const char *s; size_t len; } bad[] = {
		RAW("PUT ../../etc/passwd 3\n\0\0\0\3\0\0\0\3abcSYNC\n"),
		RAW("PUT 000000010000000000000001 99999999999\n"),
		RAW("PUT 000000010000000000000001 3\n\0\0\0\3\0\0\0\4abcdSYNC\n"),	/* stored > raw */
		RAW("PUT 000000010000000000000001 3\n\0\0\0\5\0\0\0\5abcdeSYNC\n"),	/* chunk > file */
		RAW("PUT 000000010000000000000001 3\n\0\0\0\3\0\0\0\2abSYNC\n"),	/* bad lz4 */
		RAW("PUT 000000010000000000000001 3\n\0\0\0\3"),			/* truncated */
		RAW("HELLO\n"),
	};
	int rc;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		receive(bad[i].s, bad[i].len, &rc);
		ck_assert_int_ne(rc, 0);
		ck_assert(!exists("000000010000000000000001"));
	}
	ck_assert(access("/etc/passwd.tmp", F_OK) != 0);
}
END_TEST

/* An LZ4 frame of head then zeros up to size bytes, built a block at a
 * time: 1 GiB of zeros is a ~4 MiB frame (LZ4's ~255:1). */
static void
lz4_zeros(struct buf *out, const void *head, size_t headlen, uint64_t size)
{
	enum { STEP = 4 << 20 };
	LZ4F_preferences_t prefs = { .frameInfo = { .blockSizeID = LZ4F_max4MB,
	    .contentChecksumFlag = LZ4F_contentChecksumEnabled } };
	LZ4F_compressionContext_t ctx;
	char *zero = calloc(1, STEP);
	size_t cap = LZ4F_compressBound(STEP, &prefs) + 64, n;

	ck_assert_ptr_nonnull(zero);
	ck_assert(!LZ4F_isError(LZ4F_createCompressionContext(&ctx, LZ4F_VERSION)));
	ck_assert_int_eq(buf_reserve(out, cap), 0);
	n = LZ4F_compressBegin(ctx, out->data + out->len, cap, &prefs);
	ck_assert(!LZ4F_isError(n));
	out->len += n;
	memcpy(zero, head, headlen);
	for (uint64_t done = 0; done < size;) {
		size_t take = size - done < STEP ? (size_t)(size - done) : STEP;

		ck_assert_int_eq(buf_reserve(out, cap), 0);
		n = LZ4F_compressUpdate(ctx, out->data + out->len, cap, zero, take, NULL);
		ck_assert(!LZ4F_isError(n));
		out->len += n;
		done += take;
		memset(zero, 0, headlen);
	}
	ck_assert_int_eq(buf_reserve(out, cap), 0);
	n = LZ4F_compressEnd(ctx, out->data + out->len, cap, NULL);
	ck_assert(!LZ4F_isError(n));
	out->len += n;
	LZ4F_freeCompressionContext(ctx);
	free(zero);
}

/* "PUT name size" and data as plain chunks, as a sender would. */
static void
put_plain(struct buf *b, const char *name, const char *data, size_t len)
{
	buf_printf(b, "PUT %s %zu\n", name, len);
	for (size_t off = 0; off < len;) {
		size_t take = len - off < WIRE_CHUNK ? len - off : WIRE_CHUNK;
		unsigned char hdr[8] = { (unsigned char)(take >> 24), (unsigned char)(take >> 16),
		    (unsigned char)(take >> 8), (unsigned char)take };

		memcpy(hdr + 4, hdr, 4);
		buf_append(b, (char *)hdr, 8);
		buf_append(b, data + off, take);
		off += take;
	}
}

/* Nothing in the archive directory but what the test put there itself. */
static int
dir_entries(void)
{
	char cmd[128];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", tmp);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	ck_assert_int_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

/* A 4 MiB upload that expands past the largest segment (1 GiB + 4 MiB):
 * refused before SYNC answers, nothing left, the expansion never written. */
START_TEST(lz4_bomb_upload)
{
	struct buf frame = BUF_INIT, b = BUF_INIT;
	char *ans;
	int rc;

	lz4_zeros(&frame, "", 0, WAL_SEGMENT_MAX + (4 << 20));
	ck_assert_uint_lt(frame.len, 8 << 20);
	put_plain(&b, "000000010000000000000009.lz4", frame.data, frame.len);
	buf_puts(&b, "SYNC\n");
	ans = receive(b.data, b.len, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(ans, "ERR 000000010000000000000009.lz4 LZ4 frame"
	    " decompresses past 1073741824 bytes"));
	ck_assert_int_eq(dir_entries(), 0);
	/* The API itself: nothing past the bound reaches the output. */
	buf_reset(&b);
	{
		char path[256], why[256];
		int fd;

		snprintf(path, sizeof(path), "%s/bomb", tmp);
		ck_assert_int_ne(fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), -1);
		ck_assert_int_eq(write(fd, frame.data, frame.len), (ssize_t)frame.len);
		lseek(fd, 0, SEEK_SET);
		ck_assert_int_eq(lz4file_decompress(fd, 3 << 20, NULL, NULL, &b, why, sizeof(why)), -1);
		ck_assert_ptr_nonnull(strstr(why, "decompresses past 3145728 bytes"));
		ck_assert_uint_le(b.len, 3 << 20);
		close(fd);
		unlink(path);
	}
	buf_free(&frame);
	buf_free(&b);
}
END_TEST

/* Frames that are not exactly one whole good frame are refused, not
 * stored: damaged checksum, truncated, trailing bytes. */
START_TEST(lz4_bad_frames)
{
	struct buf frame = BUF_INIT, b = BUF_INIT;
	char data[5000], *ans;
	int rc;

	memset(data, 'x', sizeof(data));
	ck_assert_int_eq(lz4file_compress(&frame, data, sizeof(data)), 0);
	frame.data[frame.len - 1] ^= 1;		/* content checksum */
	put_plain(&b, "00000001000000000000000A.lz4", frame.data, frame.len);
	put_plain(&b, "00000001000000000000000B.lz4", frame.data, frame.len / 2);
	frame.data[frame.len - 1] ^= 1;
	buf_append(&frame, "junk", 4);
	put_plain(&b, "00000001000000000000000C.lz4", frame.data, frame.len);
	put_plain(&b, "00000001000000000000000D.lz4", frame.data, frame.len - 4);
	buf_puts(&b, "SYNC\n");
	ans = receive(b.data, b.len, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(ans, "ERR 00000001000000000000000A.lz4 damaged LZ4 frame"));
	ck_assert_ptr_nonnull(strstr(ans, "ERR 00000001000000000000000B.lz4 truncated LZ4 frame"));
	ck_assert_ptr_nonnull(strstr(ans, "ERR 00000001000000000000000C.lz4 bytes after the end"));
	ck_assert_ptr_nonnull(strstr(ans, "OK 00000001000000000000000D.lz4 new"));
	ck_assert_int_eq(dir_entries(), 1);
	buf_free(&frame);
	buf_free(&b);
}
END_TEST

/* Bounds per name and before a SYNC: a history file larger than any can
 * be, a segment over 1 GiB, more files than a batch: the stream is refused
 * and every temporary removed. */
START_TEST(stream_bounds)
{
	struct buf b = BUF_INIT;
	char *big = calloc(1, (1 << 20) + 1);
	int rc;

	ck_assert_ptr_nonnull(big);
	put_plain(&b, "00000002.history", big, (1 << 20) + 1);
	buf_puts(&b, "SYNC\n");
	receive(b.data, b.len, &rc);
	ck_assert_int_ne(rc, 0);
	ck_assert_int_eq(dir_entries(), 0);
	buf_reset(&b);
	buf_printf(&b, "PUT 000000010000000000000001 %llu\n", WAL_SEGMENT_MAX + 1);
	receive(b.data, b.len, &rc);
	ck_assert_int_ne(rc, 0);
	buf_reset(&b);
	for (int i = 0; i <= WIRE_MAX_PENDING; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%08X.history", i + 2);
		put_plain(&b, name, "1\t0/3000000\tx\n", 14);
	}
	buf_puts(&b, "SYNC\n");
	receive(b.data, b.len, &rc);
	ck_assert_int_ne(rc, 0);
	ck_assert_int_eq(dir_entries(), 0);
	free(big);
	buf_free(&b);
}
END_TEST

/* Restore: a stored frame decodes to at most the size its own header
 * gives; one that holds more, or no header, is refused and dest removed. */
START_TEST(lz4_restore_bound)
{
	const char *name = "000000010000000000000003";
	unsigned char h[40];
	struct buf frame = BUF_INIT;
	char path[256], dest[256], why[512];
	uint32_t seg = 1 << 20;
	int fd;

	header(h, 1, 3ULL * seg, seg);
	snprintf(path, sizeof(path), "%s/%s.lz4", tmp, name);
	snprintf(dest, sizeof(dest), "%s/RECOVERYXLOG", tmp);
	lz4_zeros(&frame, h, sizeof(h), 64ULL * seg);	/* 64 MiB behind a 1 MiB header */
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), -1);
	ck_assert_int_eq(write(fd, frame.data, frame.len), (ssize_t)frame.len);
	close(fd);
	ck_assert_int_eq(copy_restore(tmp, name, dest, why, sizeof(why)), COPY_FAILED);
	ck_assert_ptr_nonnull(strstr(why, "decompresses past the 1048576 bytes its header gives"));
	ck_assert_int_ne(access(dest, F_OK), 0);
	buf_reset(&frame);
	lz4_zeros(&frame, "", 0, 64ULL * seg);		/* no header at all */
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), -1);
	ck_assert_int_eq(write(fd, frame.data, frame.len), (ssize_t)frame.len);
	close(fd);
	ck_assert_int_eq(copy_restore(tmp, name, dest, why, sizeof(why)), COPY_FAILED);
	ck_assert_ptr_nonnull(strstr(why, "no WAL segment header"));
	ck_assert_int_ne(access(dest, F_OK), 0);
	buf_reset(&frame);
	lz4_zeros(&frame, h, sizeof(h), seg);		/* the right size: restored */
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), -1);
	ck_assert_int_eq(write(fd, frame.data, frame.len), (ssize_t)frame.len);
	close(fd);
	ck_assert_int_eq(copy_restore(tmp, name, dest, why, sizeof(why)), COPY_OK);
	buf_free(&frame);
}
END_TEST

START_TEST(ship_conf)
{
	struct ship_conf c;
	char path[256], why[256];

	snprintf(path, sizeof(path), "%s/c.conf", tmp);
	touch("c.conf", "self = a\nnodes = a=10.0.0.1 b=10.0.0.2:2222\narchive_dir = /a\n"
	    "ssh_user = postgres\nssh_key = /k\nknown_hosts = /kh\nremote_program = /p\n");
	ck_assert_int_eq(ship_conf_load(path, &c, why, sizeof(why)), 0);
	ck_assert_int_eq(c.require_all, 1);
	ck_assert_int_eq(c.compress, 1);
	ck_assert_uint_eq(c.nodes.n, 2);
	ship_conf_free(&c);
	touch("c.conf", "self = z\nnodes = a=10.0.0.1\narchive_dir = /a\n"
	    "ssh_user = postgres\nssh_key = /k\nknown_hosts = /kh\nremote_program = /p\n");
	ck_assert_int_eq(ship_conf_load(path, &c, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "not one of nodes"));
	touch("c.conf", "self = a\nnodes = a=10.0.0.1\narchive_dir = /a\nssh_user = u\n"
	    "ssh_key = /k\nknown_hosts = /kh\nremote_program = /p\narchive_require = most\n");
	ck_assert_int_eq(ship_conf_load(path, &c, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "archive_require"));
	touch("c.conf", "self = a\n");
	ck_assert_int_eq(ship_conf_load(path, &c, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "missing setting"));
}
END_TEST


static size_t
be(char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (char)(v & 0xff);
	return 8;
}

/* The primary's messages, and what is refused. */
START_TEST(recv_messages)
{
	char msg[64], why[256];
	struct recv_msg m;
	unsigned char st[34];

	msg[0] = 'w';
	be(msg + 1, 0x3000000);
	be(msg + 9, 0x3000100);
	be(msg + 17, 0);
	memcpy(msg + 25, "walbytes", 8);
	ck_assert_int_eq(recv_msg_parse(msg, 33, &m, why, sizeof(why)), 0);
	ck_assert_int_eq(m.kind, RECV_MSG_DATA);
	ck_assert_uint_eq(m.start, 0x3000000);
	ck_assert_uint_eq(m.server_end, 0x3000100);
	ck_assert_uint_eq(m.len, 8);
	ck_assert_int_eq(memcmp(m.data, "walbytes", 8), 0);
	ck_assert_int_eq(recv_msg_parse(msg, 24, &m, why, sizeof(why)), -1);	/* short */
	be(msg + 1, UINT64_MAX - 3);						/* wraps */
	ck_assert_int_eq(recv_msg_parse(msg, 33, &m, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "wraps"));
	msg[0] = 'k';
	be(msg + 1, 0x4000000);
	be(msg + 9, 0);
	msg[17] = 1;
	ck_assert_int_eq(recv_msg_parse(msg, 18, &m, why, sizeof(why)), 0);
	ck_assert_int_eq(m.kind, RECV_MSG_KEEPALIVE);
	ck_assert_int_eq(m.reply, 1);
	ck_assert_int_eq(recv_msg_parse(msg, 17, &m, why, sizeof(why)), -1);
	msg[0] = 'x';
	ck_assert_int_eq(recv_msg_parse(msg, 18, &m, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "unknown"));
	ck_assert_int_eq(recv_msg_parse(msg, 0, &m, why, sizeof(why)), -1);
	{	/* more than the walsender ever sends */
		size_t n = 25 + RECV_DATA_MAX + 1;
		char *big = calloc(1, n);

		big[0] = 'w';
		ck_assert_int_eq(recv_msg_parse(big, n, &m, why, sizeof(why)), -1);
		free(big);
	}
	/* The status reports written = flushed, never applied. */
	ck_assert_uint_eq(recv_status_update(st, 0x123456789, 42, 1), 34);
	ck_assert_int_eq(st[0], 'r');
	ck_assert_int_eq(memcmp(st + 1, st + 9, 8), 0);
	ck_assert_int_eq(st[8], 0x89);
	for (int i = 17; i < 25; i++)
		ck_assert_int_eq(st[i], 0);
	ck_assert_int_eq(st[33], 1);
}
END_TEST

/* Where streaming resumes from what the archive holds. */
START_TEST(recv_start)
{
	const uint64_t seg = 16 << 20;
	struct recv_file f[] = {
		{ 1, 3, 0 }, { 1, 4, 0 }, { 1, 5, 1 },		/* 5 in progress */
		{ 3, 9, 0 },					/* a newer timeline */
	};
	struct wal_pos p;

	ck_assert_int_eq(recv_start_from(f, 0, 1, seg, &p), 0);
	ck_assert_int_eq(recv_start_from(f, 3, 1, seg, &p), 1);
	ck_assert_uint_eq(p.tli, 1);
	ck_assert_uint_eq(p.lsn, 5 * seg);		/* the partial's start */
	ck_assert_int_eq(recv_start_from(f, 2, 1, seg, &p), 1);
	ck_assert_uint_eq(p.lsn, 5 * seg);		/* after the last complete */
	ck_assert_int_eq(recv_start_from(f, 4, 2, seg, &p), 1);
	ck_assert_uint_eq(p.lsn, 5 * seg);		/* timeline 3 is not this server's */
	ck_assert_int_eq(recv_start_from(f, 4, 3, seg, &p), 1);
	ck_assert_uint_eq(p.tli, 3);
	ck_assert_uint_eq(p.lsn, 10 * seg);
	{	/* PostgreSQL's partial of a timeline left, the next one complete */
		struct recv_file g[] = { { 1, 7, 1 }, { 2, 7, 0 } };

		ck_assert_int_eq(recv_start_from(g, 2, 2, seg, &p), 1);
		ck_assert_uint_eq(p.tli, 2);
		ck_assert_uint_eq(p.lsn, 8 * seg);
	}
	ck_assert_uint_eq(recv_segsz_parse("16MB"), seg);
	ck_assert_uint_eq(recv_segsz_parse("1GB"), 1ULL << 30);
	ck_assert_uint_eq(recv_segsz_parse("1024kB"), 1 << 20);
	ck_assert_uint_eq(recv_segsz_parse("2GB"), 0);
	ck_assert_uint_eq(recv_segsz_parse("3MB"), 0);
	ck_assert_uint_eq(recv_segsz_parse("512kB"), 0);
	ck_assert_uint_eq(recv_segsz_parse("16 MB"), 0);
	ck_assert_uint_eq(recv_segsz_parse("99999999999999999999GB"), 0);
}
END_TEST

START_TEST(recv_status_text)
{
	struct recv_status a = { 77, RECV_REFUSED, "10.0.0.2", { 2, 0x5000060 }, 0x5000100, 9,
	    "refusing\nnewline" }, b;
	char text[2048];
	size_t n = recv_status_format(&a, text, sizeof(text));

	ck_assert_int_eq(recv_status_parse(text, n, &b), 0);
	ck_assert_int_eq(b.state, RECV_REFUSED);
	ck_assert_uint_eq(b.flushed.tli, 2);
	ck_assert_uint_eq(b.flushed.lsn, 0x5000060);
	ck_assert_uint_eq(b.server_end, 0x5000100);
	ck_assert_str_eq(b.reason, "refusing?newline");	/* one line, always */
	ck_assert_int_eq(recv_status_parse(text, n - 4, &b), -1);	/* no "end": half written */
	{
		const char *bogus = "pid 1\nstate bogus\nflushed 1/2\nend\n";

		ck_assert_int_eq(recv_status_parse(bogus, strlen(bogus), &b), -1);
	}
}
END_TEST

static void
put(const char *name, const char *content, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), -1);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
}

/* The archive's one rule, whoever lands the file. */
START_TEST(archive_rule)
{
	const char *seg = "000000010000000000000003";
	char why[512], path[256], part[64];
	int dir = open(tmp, O_RDONLY | O_DIRECTORY);
	struct buf b = BUF_INIT;

	put("t1", "AAAA", 4);
	ck_assert_int_eq(archland(dir, "t1", seg, why, sizeof(why)), ARCHLAND_NEW);
	ck_assert_int_eq(archland(dir, "t1", seg, why, sizeof(why)), ARCHLAND_SAME);
	put("t2", "AAAB", 4);
	ck_assert_int_eq(archland(dir, "t2", seg, why, sizeof(why)), ARCHLAND_FAILED);
	ck_assert_ptr_nonnull(strstr(why, "sha256:"));
	ck_assert_int_eq(archland_content(dir, seg, seg, &b), 0);
	ck_assert_int_eq(memcmp(b.data, "AAAA", 4), 0);		/* not overwritten */
	buf_free(&b);
	/* The other stored form counts: NAME.lz4 holding the same segment. */
	{
		struct buf z = BUF_INIT;
		char lz[64];

		ck_assert_int_eq(lz4file_compress(&z, "CCCC", 4), 0);
		snprintf(lz, sizeof(lz), "%s.lz4", "000000010000000000000004");
		put(lz, z.data, z.len);
		buf_free(&z);
		put("t3", "CCCC", 4);
		ck_assert_int_eq(archland(dir, "t3", "000000010000000000000004", why, sizeof(why)),
		    ARCHLAND_SAME);
		put("t3", "CCCD", 4);
		ck_assert_int_eq(archland(dir, "t3", "000000010000000000000004", why, sizeof(why)),
		    ARCHLAND_FAILED);
		snprintf(path, sizeof(path), "%s/000000010000000000000004", tmp);
		ck_assert_int_eq(access(path, F_OK), -1);
	}
	/* A stream's partial (prefix, zeros after) gives way to PostgreSQL's. */
	snprintf(part, sizeof(part), "%s.partial", "000000010000000000000005");
	put(part, "DD\0\0\0\0", 6);
	put("t4", "DDEEFF", 6);
	ck_assert_int_eq(archland(dir, "t4", part, why, sizeof(why)), ARCHLAND_REPLACED);
	ck_assert_int_eq(archland_content(dir, part, part, &b), 0);
	ck_assert_int_eq(memcmp(b.data, "DDEEFF", 6), 0);
	buf_free(&b);
	/* One that held other content is kept aside, never lost. */
	put("t5", "XXEEFF", 6);
	why[0] = '\0';
	ck_assert_int_eq(archland(dir, "t5", part, why, sizeof(why)), ARCHLAND_REPLACED);
	ck_assert_ptr_nonnull(strstr(why, ".diverged-"));
	{
		char aside[128], *at = strstr(why, "kept as ");

		ck_assert_ptr_nonnull(at);
		snprintf(aside, sizeof(aside), "%s/%s", tmp, at + 8);
		ck_assert_int_eq(access(aside, F_OK), 0);
	}
	/* The primary ships its partial compressed where the stream wrote
	 * it plain: it lands, the plain one goes (it held a prefix). */
	{
		struct buf z = BUF_INIT;
		char plain[64], lz[80];

		snprintf(plain, sizeof(plain), "%s.partial", "000000010000000000000007");
		snprintf(lz, sizeof(lz), "%s.lz4", plain);
		put(plain, "GG\0\0", 4);
		ck_assert_int_eq(lz4file_compress(&z, "GGHH", 4), 0);
		put("t7", z.data, z.len);
		buf_free(&z);
		ck_assert_int_eq(archland(dir, "t7", lz, why, sizeof(why)), ARCHLAND_REPLACED);
		snprintf(path, sizeof(path), "%s/%s", tmp, plain);
		ck_assert_int_eq(access(path, F_OK), -1);
		snprintf(path, sizeof(path), "%s/%s", tmp, lz);
		ck_assert_int_eq(access(path, F_OK), 0);
	}
	/* A symlink planted under the name is never followed. */
	snprintf(path, sizeof(path), "%s/000000010000000000000006", tmp);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	put("t6", "root", 4);
	ck_assert_int_eq(archland(dir, "t6", "000000010000000000000006", why, sizeof(why)),
	    ARCHLAND_FAILED);
	close(dir);
}
END_TEST

/* When a promotion may go on: never before the startup process was woken
 * and moved, never claiming a stream end on another timeline. */
START_TEST(replay_done)
{
	const uint64_t seg = 16 << 20;
	struct replay_wait none = { 0, { 0, 0 } }, w = { 1000, { 2, 0x5000000 } };
	struct wal_pos target = { 2, 0x5000400 }, unknown = { 0, 0 };
	struct wal_pos waiting = { 2, 0x5000000 }, moved = { 2, 0x50003F0 }, reached = { 2, 0x5000400 };
	struct wal_pos other_tli = { 3, 0x5000400 };

	ck_assert_int_eq(replay_stream_done(&none, &reached, &target, 0, seg, 0), REPLAY_AT_END);
	/* Still, but before any wake: it was waiting for the segment. */
	ck_assert_int_eq(replay_stream_done(&none, &waiting, &target, 50, seg, 99999),
	    REPLAY_NOT_YET);
	/* Woken, not moved, still: not yet, until 2 s passed. */
	ck_assert_int_eq(replay_stream_done(&w, &waiting, &target, 10, seg, 1500), REPLAY_NOT_YET);
	ck_assert_int_eq(replay_stream_done(&w, &waiting, &target, 10, seg, 3001), REPLAY_GAVE_UP);
	/* Moved and holding still short of the end (a record cut by the
	 * stream's end): at the end, within the segment only. */
	ck_assert_int_eq(replay_stream_done(&w, &moved, &target, 1, seg, 1100), REPLAY_NOT_YET);
	ck_assert_int_eq(replay_stream_done(&w, &moved, &target, 3, seg, 1100), REPLAY_AT_END);
	{
		struct wal_pos far = { 2, 0x5000400 + 2 * seg };

		ck_assert_int_eq(replay_stream_done(&w, &moved, &far, 3, seg, 1100), REPLAY_NOT_YET);
	}
	/* A target on another timeline is never claimed by movement. */
	ck_assert_int_eq(replay_stream_done(&w, &moved, &other_tli, 3, seg, 1100), REPLAY_NOT_YET);
	/* Unknown target: moved and still is the end of the partial. */
	ck_assert_int_eq(replay_stream_done(&w, &moved, &unknown, 3, seg, 1100), REPLAY_AT_END);
	ck_assert_int_eq(replay_stream_done(&w, &waiting, &unknown, 3, seg, 1100), REPLAY_NOT_YET);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("pgwarm");
	TCase *tc = tcase_create("pgwarm");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);	/* the LZ4 bombs decode 1 GiB */
	tcase_add_test(tc, names);
	tcase_add_test(tc, command_paths);
	tcase_add_test(tc, verify);
	tcase_add_test(tc, cleanup);
	tcase_add_test(tc, stream_round_trip);
	tcase_add_test(tc, stream_hostile);
	tcase_add_test(tc, lz4_bomb_upload);
	tcase_add_test(tc, lz4_bad_frames);
	tcase_add_test(tc, stream_bounds);
	tcase_add_test(tc, lz4_restore_bound);
	tcase_add_test(tc, ship_conf);
	tcase_add_test(tc, recv_messages);
	tcase_add_test(tc, recv_start);
	tcase_add_test(tc, recv_status_text);
	tcase_add_test(tc, archive_rule);
	tcase_add_test(tc, replay_done);
	suite_add_tcase(s, tc);
	return s;
}
