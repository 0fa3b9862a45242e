/* pgwarm's parsers and stream: WAL names and headers, cleanup, the archive
 * stream end to end through a pipe (including hostile input), and
 * pgwarm-archive.conf. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../helpers/pgwarm/lz4file.h"
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
	ck_assert_int_eq(write(in[1], input, len), (ssize_t)len);
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
	ck_assert_int_eq(lz4file_decompress(fd, -1, &b, path, sizeof(path)), 0);
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

Suite *
suite(void)
{
	Suite *s = suite_create("pgwarm");
	TCase *tc = tcase_create("pgwarm");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, names);
	tcase_add_test(tc, verify);
	tcase_add_test(tc, cleanup);
	tcase_add_test(tc, stream_round_trip);
	tcase_add_test(tc, stream_hostile);
	tcase_add_test(tc, ship_conf);
	suite_add_tcase(s, tc);
	return s;
}
