/* Promotion safety (DESIGN.md §4a): position records, the election's
 * verdicts (failing closed), timeline histories and divergence; and the
 * as-user file jobs the agent does in PGDATA (DESIGN.md §10). */
#include "config.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/mman.h>

#include "check_main.h"
#include "understudy/asuser.h"
#include "../../helpers/pgwarm/elect.h"
#include "../../helpers/pgwarm/tlhist.h"

/* Linked with -Wl,--wrap=fsync: counts the fsyncs of regular files and of
 * directories, in a page the as-user child shares with the test. */
int	__real_fsync(int);
int	__wrap_fsync(int);
static int *synced;	/* [0] files, [1] directories */

int
__wrap_fsync(int fd)
{
	struct stat st;

	if (synced && fstat(fd, &st) == 0)
		synced[S_ISDIR(st.st_mode) ? 1 : 0]++;
	return __real_fsync(fd);
}

START_TEST(records)
{
	struct wal_pos p = { 1, 0x30000A0 }, q;
	enum elect_role role;
	char s[64];

	elect_record_format(ELECT_STANDBY, &p, s, sizeof(s));
	ck_assert_str_eq(s, "standby 00000001/00000000030000A0");
	ck_assert_int_eq(elect_record_parse(s, &role, &q), 0);
	ck_assert_int_eq(role, ELECT_STANDBY);
	ck_assert_int_eq(wal_pos_compare(&p, &q), 0);
	ck_assert_int_eq(elect_record_parse("primary 00000002/0000000005000000", &role, &q), 0);
	ck_assert_int_eq(role, ELECT_PRIMARY);
	ck_assert_uint_eq(q.tli, 2);
	/* hostile or damaged values are refused, never read as "behind" */
	static const char *const bad[] = { "", "standby", "standby ", "Standby 00000001/0000000000000000",
	    "standby 00000001/000000000300000", "standby 00000001/00000000030000A0 ",
	    "standby 00000001-00000000030000A0", "standby 0000000g/00000000030000A0",
	    "standby 00000000/00000000030000A0", "primary 00000001/00000000030000a0",
	    "standby 00000001/00000000030000A0x", "leader 00000001/00000000030000A0", NULL };
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(elect_record_parse(bad[i], &role, &q) == -1, "accepted \"%s\"", bad[i]);
}
END_TEST

static struct elect_peer
peer(const char *name, int online, int queried, enum elect_role role, uint32_t tli, uint64_t lsn)
{
	return (struct elect_peer){ name, online, queried, role, { tli, lsn } };
}

START_TEST(verdicts)
{
	struct wal_pos mine = { 1, 0x3000000 };
	struct elect_peer p[3];
	char why[1024];

	/* the race: the other node has not published yet */
	p[0] = peer("node1", 1, 1, ELECT_NONE, 0, 0);
	ck_assert_int_eq(elect_judge("node2", &mine, p, 1, why, sizeof(why)), ELECT_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(why, "node1"));
	/* ... and then it has, ahead of us */
	p[0] = peer("node1", 1, 1, ELECT_STANDBY, 1, 0x30000A0);
	ck_assert_int_eq(elect_judge("node2", &mine, p, 1, why, sizeof(why)), ELECT_BEHIND);
	ck_assert_ptr_nonnull(strstr(why, "ahead"));
	/* the one ahead sees us behind: best */
	p[0] = peer("node2", 1, 1, ELECT_STANDBY, 1, 0x3000000);
	mine.lsn = 0x30000A0;
	ck_assert_int_eq(elect_judge("node1", &mine, p, 1, why, sizeof(why)), ELECT_BEST);
	/* a query that failed is unknown, whatever the rest says */
	p[1] = peer("node3", 1, 0, ELECT_NONE, 0, 0);
	ck_assert_int_eq(elect_judge("node1", &mine, p, 2, why, sizeof(why)), ELECT_UNKNOWN);
	/* membership unknown: unknown */
	p[1] = peer("node3", -1, 1, ELECT_STANDBY, 1, 0);
	ck_assert_int_eq(elect_judge("node1", &mine, p, 2, why, sizeof(why)), ELECT_UNKNOWN);
	/* a node that is down still counts by its last record */
	p[1] = peer("node3", 0, 1, ELECT_STANDBY, 1, 0x4000000);
	ck_assert_int_eq(elect_judge("node1", &mine, p, 2, why, sizeof(why)), ELECT_BEHIND);
	/* one that is down and never recorded anything does not block */
	p[1] = peer("node3", 0, 1, ELECT_NONE, 0, 0);
	ck_assert_int_eq(elect_judge("node1", &mine, p, 2, why, sizeof(why)), ELECT_BEST);
	/* a crashed primary's record does not block its failover */
	p[1] = peer("node3", 0, 1, ELECT_PRIMARY, 1, 0x9000000);
	ck_assert_int_eq(elect_judge("node1", &mine, p, 2, why, sizeof(why)), ELECT_BEST);
	/* a newer timeline beats any LSN */
	p[1] = peer("node3", 1, 1, ELECT_STANDBY, 2, 0x1000000);
	ck_assert_int_eq(elect_judge("node1", &mine, p, 2, why, sizeof(why)), ELECT_BEHIND);
	/* ties: the lower name wins, deterministically, on both sides */
	p[0] = peer("node1", 1, 1, ELECT_STANDBY, 1, 0x30000A0);
	ck_assert_int_eq(elect_judge("node2", &mine, p, 1, why, sizeof(why)), ELECT_TIED);
	p[0] = peer("node2", 1, 1, ELECT_STANDBY, 1, 0x30000A0);
	ck_assert_int_eq(elect_judge("node1", &mine, p, 1, why, sizeof(why)), ELECT_BEST);
	/* why names everyone compared, for the promotion's log line */
	p[1] = peer("node3", 0, 1, ELECT_STANDBY, 1, 0x2000000);
	elect_judge("node1", &mine, p, 2, why, sizeof(why));
	ck_assert_ptr_nonnull(strstr(why, "node1 at 00000001/00000000030000A0"));
	ck_assert_ptr_nonnull(strstr(why, "node2 00000001/00000000030000A0 (tie)"));
	ck_assert_ptr_nonnull(strstr(why, "node3 offline 00000001/0000000002000000 (behind)"));
	/* a tiny why buffer is never overrun */
	char small[8];
	elect_judge("node1", &mine, p, 2, small, sizeof(small));
	ck_assert_uint_lt(strlen(small), sizeof(small));
}
END_TEST

/* text parses as tli's history with two ancestors, left at end0 and end1. */
static void
parsed(uint32_t tli, const char *text, struct tlhist *h, uint64_t end0, uint64_t end1)
{
	char why[512];

	ck_assert_msg(tlhist_parse(tli, text, strlen(text), h, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(h->n, 2);
	ck_assert_uint_eq(h->v[0].end, end0);
	ck_assert_uint_eq(h->v[1].end, end1);
}

START_TEST(histories)
{
	struct tlhist h;
	struct wal_pos at;
	char why[512];
	const char *t3 = "1\t0/30000A0\tno recovery target specified\n\n"
	    "# a comment\n2\t0/5000028\tno recovery target specified\n";

	parsed(3, t3, &h, 0x30000A0, 0x5000028);
	ck_assert_uint_eq(h.v[0].tli, 1);
	/* on timeline 1 before the fork: can follow */
	at = (struct wal_pos){ 1, 0x3000000 };
	ck_assert_int_eq(tlhist_can_follow(&h, &at, why, sizeof(why)), 1);
	at.lsn = 0x30000A0;	/* exactly at it */
	ck_assert_int_eq(tlhist_can_follow(&h, &at, why, sizeof(why)), 1);
	/* past it: the stale standby */
	at.lsn = 0x30000A8;
	ck_assert_int_eq(tlhist_can_follow(&h, &at, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "past 0/030000A0 where timeline 2 forked off it"));
	at = (struct wal_pos){ 2, 0x6000000 };
	ck_assert_int_eq(tlhist_can_follow(&h, &at, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "timeline 3 forked"));
	at = (struct wal_pos){ 3, 0x9000000 };
	ck_assert_int_eq(tlhist_can_follow(&h, &at, why, sizeof(why)), 1);
	/* which timeline's file holds a position: the ancestor's before the
	 * segment where it was left, the child's from that segment on */
	ck_assert_uint_eq(tlhist_file_tli(&h, 0x2000000, 16 << 20), 1);
	ck_assert_uint_eq(tlhist_file_tli(&h, 0x3000000, 16 << 20), 2);
	ck_assert_uint_eq(tlhist_file_tli(&h, 0x4FFFFFF, 16 << 20), 2);
	ck_assert_uint_eq(tlhist_file_tli(&h, 0x5000000, 16 << 20), 3);
	/* a sibling timeline (not an ancestor) */
	const char *t5 = "1\t0/30000A0\tx\n4\t0/7000000\tx\n";
	ck_assert_int_eq(tlhist_parse(5, t5, strlen(t5), &h, why, sizeof(why)), 0);
	at = (struct wal_pos){ 2, 0x4000000 };
	ck_assert_int_eq(tlhist_can_follow(&h, &at, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "not a child"));
	/* The lab's 3-node cut: timeline 2 forked off 1 at 0/5018F38, and a
	 * standby still on 1 at 0/5000000 (it never got the fork's segment)
	 * was promoted to 3 there. PostgreSQL writes the later switchpoint
	 * before the earlier one; 3 left 1 at 0/5000000. */
	const char *back = "1\t0/5018F38\tno recovery target specified\n\n"
	    "2\t0/5000000\tno recovery target specified\n";
	parsed(3, back, &h, 0x5000000, 0x5000000);
	at = (struct wal_pos){ 1, 0x5000000 };
	ck_assert_int_eq(tlhist_can_follow(&h, &at, why, sizeof(why)), 1);
	at.lsn = 0x5018F38;	/* the old primary: has what 3 never had */
	ck_assert_int_eq(tlhist_can_follow(&h, &at, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "past 0/05000000 where timeline 3 forked off it"));
	ck_assert_uint_eq(tlhist_file_tli(&h, 0x4FFFFFF, 16 << 20), 1);
	ck_assert_uint_eq(tlhist_file_tli(&h, 0x5000000, 16 << 20), 3);
	/* hostile files */
	static const char *const bad[] = { "", "\n\n# only comments\n", "x\t0/1\tr\n",
	    "3\t0/1\tr\n" /* parent not older */, "0\t0/1\tr\n", "2 0/1\n2 0/2\n" /* repeated */,
	    "2 0/1\n1 0/2\n" /* not increasing */, "1\t123456789/0\tr\n", "1\t0/\tr\n", "1\t/0\tr\n",
	    "1\t0/1x\tr\n", "1", "-1\t0/1\n", "1\t0/1\n\0002\t0/2\n", NULL };
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(tlhist_parse(3, bad[i], strlen(bad[i]) + (i == 13 ? 8 : 0), &h, why,
		    sizeof(why)) == -1, "accepted case %d", i);
	/* more ancestors than kept */
	char big[TLHIST_MAX * 24 + 64];
	size_t used = 0;
	for (int i = 1; i <= TLHIST_MAX + 1; i++)
		used += (size_t)snprintf(big + used, sizeof(big) - used, "%d\t0/%X\tr\n", i, i);
	ck_assert_int_eq(tlhist_parse(TLHIST_MAX + 5, big, used, &h, why, sizeof(why)), -1);
	/* a line longer than the parser's line buffer is cut, not overrun */
	char longline[4096];
	memset(longline, '1', sizeof(longline));
	ck_assert_int_eq(tlhist_parse(3, longline, sizeof(longline), &h, why, sizeof(why)), -1);
}
END_TEST

/* What the agent writes in PGDATA survives a crash: the file's data and,
 * for a replacement, the directory holding the rename are fsynced, in the
 * child that does the work as the directory's owner. */
START_TEST(asuser_writes_durable)
{
	char dir[] = "/tmp/us-asuser.XXXXXX", path[256], why[512];
	struct passwd *pw = getpwnam("nobody");

	if (geteuid() != 0 || pw == NULL)
		return;	/* needs root and nobody (CI runs as root) */
	synced = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(synced, MAP_FAILED);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chown(dir, pw->pw_uid, pw->pw_gid), 0);
	snprintf(path, sizeof(path), "%s/pgwarm.conf", dir);
	ck_assert_int_eq(asuser_write_file("nobody", path, "x = 1\n", 6, 0600, why, sizeof(why)), 0);
	ck_assert_int_ge(synced[0], 1);		/* the data */
	ck_assert_int_ge(synced[1], 1);		/* the rename */
	synced[0] = synced[1] = 0;
	snprintf(path, sizeof(path), "%s/postgresql.conf", dir);
	ck_assert_int_eq(asuser_write_file("nobody", path, "port = 5432\n", 12, 0600, why,
	    sizeof(why)), 0);
	synced[0] = synced[1] = 0;
	ck_assert_int_eq(asuser_append_line("nobody", path, "include_if_exists = 'pgwarm.conf'",
	    NULL, why, sizeof(why)), 0);
	ck_assert_int_ge(synced[0], 1);		/* the appended line */
	unlink(path);
	snprintf(path, sizeof(path), "%s/pgwarm.conf", dir);
	unlink(path);
	rmdir(dir);
	munmap(synced, 4096);
	synced = NULL;
}
END_TEST

/* The symlink planted in PGDATA: the write done as the directory's owner
 * lands nowhere the owner could not write. */
START_TEST(asuser_symlink)
{
	char dir[] = "/tmp/us-asuser.XXXXXX", link[256], target[256], why[512];
	struct passwd *pw = getpwnam("nobody");
	struct stat st;
	int fd;

	if (geteuid() != 0 || pw == NULL)
		return;	/* needs root and nobody (CI runs as root) */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chown(dir, pw->pw_uid, pw->pw_gid), 0);
	/* root's file, which the planted symlinks point at */
	snprintf(target, sizeof(target), "%s.root", dir);
	ck_assert_int_ne(fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0644), -1);
	ck_assert_int_eq(write(fd, "root's\n", 7), 7);
	close(fd);
	snprintf(link, sizeof(link), "%s/standby.signal", dir);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(lchown(link, pw->pw_uid, pw->pw_gid), 0);
	/* refused (buf_write_file replaces no symlink), and root's file untouched */
	ck_assert_int_eq(asuser_write_file("nobody", link, "", 0, 0600, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "standby.signal"));
	ck_assert_int_eq(stat(target, &st), 0);
	ck_assert_int_eq(st.st_size, 7);
	ck_assert_int_eq(st.st_uid, 0);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	/* a symlink at the temporary's old name redirects nothing either */
	unlink(link);
	snprintf(link, sizeof(link), "%s/standby.signal.tmp", dir);
	ck_assert_int_eq(symlink(target, link), 0);
	snprintf(link, sizeof(link), "%s/standby.signal", dir);
	ck_assert_int_eq(asuser_write_file("nobody", link, "", 0, 0600, why, sizeof(why)), 0);
	ck_assert_int_eq(stat(target, &st), 0);
	ck_assert_int_eq(st.st_size, 7);
	ck_assert_int_eq(lstat(link, &st), 0);	/* written, as nobody */
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_uid, pw->pw_uid);
	snprintf(link, sizeof(link), "%s/standby.signal.tmp", dir);
	unlink(link);
	/* the append refuses to write through to root's file too */
	snprintf(link, sizeof(link), "%s/postgresql.conf", dir);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(asuser_append_line("nobody", link, "include_if_exists = 'x'", NULL, why,
	    sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "Permission denied"));
	ck_assert_int_eq(stat(target, &st), 0);
	ck_assert_int_eq(st.st_size, 7);
	/* a FIFO there does not hang the agent */
	unlink(link);
	ck_assert_int_eq(mkfifo(link, 0666), 0);
	ck_assert_int_eq(chown(link, pw->pw_uid, pw->pw_gid), 0);
	ck_assert_int_eq(asuser_append_line("nobody", link, "x", NULL, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "not a regular file"));
	/* append is idempotent and keeps what was there */
	unlink(link);
	ck_assert_int_ne(fd = open(link, O_WRONLY | O_CREAT, 0644), -1);
	ck_assert_int_eq(write(fd, "port = 5432", 11), 11);
	close(fd);
	ck_assert_int_eq(chown(link, pw->pw_uid, pw->pw_gid), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(asuser_append_line("nobody", link, "include_if_exists = 'x'", "why",
		    why, sizeof(why)), 0);
	char text[256] = "";
	ck_assert_int_ne(fd = open(link, O_RDONLY), -1);
	ck_assert_int_gt(read(fd, text, sizeof(text) - 1), 0);
	close(fd);
	ck_assert_str_eq(text, "port = 5432\n# why\ninclude_if_exists = 'x'\n");
	/* rename never replaces; unlink of a missing file is fine */
	snprintf(target, sizeof(target), "%s/other", dir);
	ck_assert_int_eq(asuser_rename("nobody", link, link, why, sizeof(why)), -1);
	ck_assert_int_eq(asuser_rename("nobody", link, target, why, sizeof(why)), 0);
	ck_assert_int_eq(asuser_unlink("nobody", target, why, sizeof(why)), 0);
	ck_assert_int_eq(asuser_unlink("nobody", target, why, sizeof(why)), 0);
	ck_assert_int_eq(asuser_unlink("no-such-user-here", target, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "does not exist"));
	snprintf(link, sizeof(link), "%s/standby.signal", dir);
	unlink(link);
	rmdir(dir);
	snprintf(target, sizeof(target), "%s.root", dir);
	unlink(target);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("pgwarm_elect");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, records);
	tcase_add_test(tc, verdicts);
	tcase_add_test(tc, histories);
	tcase_add_test(tc, asuser_symlink);
	tcase_add_test(tc, asuser_writes_durable);
	suite_add_tcase(s, tc);
	return s;
}
