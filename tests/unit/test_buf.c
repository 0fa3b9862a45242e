#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "understudy/buf.h"
#include "check_main.h"

START_TEST(grows_and_terminates)
{
	struct buf b = BUF_INIT;

	ck_assert_str_eq(buf_str(&b), "");
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(buf_append(&b, "x", 1), 0);
	ck_assert_uint_eq(b.len, 10000);
	ck_assert_int_eq(b.data[b.len], '\0');
	buf_free(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(printf_and_reset)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s=%d", "a", 42);
	buf_printf(&b, " %s", "tail");
	ck_assert_str_eq(buf_str(&b), "a=42 tail");
	buf_reset(&b);
	ck_assert_str_eq(buf_str(&b), "");
	buf_free(&b);
}
END_TEST

START_TEST(binary_data)
{
	struct buf b = BUF_INIT;

	buf_append(&b, "a\0b", 3);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_int_eq(memcmp(b.data, "a\0b", 3), 0);
	buf_free(&b);
}
END_TEST

START_TEST(xml_escape)
{
	struct buf b = BUF_INIT;

	buf_xml_escape(&b, "<a href=\"x\">&'</a>");
	ck_assert_str_eq(buf_str(&b), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
	buf_free(&b);
}
END_TEST

START_TEST(steal_leaves_empty)
{
	struct buf b = BUF_INIT;
	char *s;

	s = buf_steal(&b);
	ck_assert_str_eq(s, "");
	free(s);
	buf_puts(&b, "owned");
	s = buf_steal(&b);
	ck_assert_str_eq(s, "owned");
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_null(b.data);
	free(s);
}
END_TEST

START_TEST(reserve_overflow_refused)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "abc");
	ck_assert_int_eq(buf_reserve(&b, (size_t)-2), -1);
	ck_assert_str_eq(buf_str(&b), "abc");
	buf_free(&b);
}
END_TEST

START_TEST(write_file_replaces_atomically)
{
	char dir[] = "/tmp/test-buf-XXXXXX", path[64], tmp[96];
	struct buf b = BUF_INIT, back = BUF_INIT;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	buf_puts(&b, "first");
	ck_assert_int_eq(buf_write_file(&b, path, 0640), 0);
	buf_reset(&b);
	buf_puts(&b, "second");
	ck_assert_int_eq(buf_write_file(&b, path, 0640), 0);
	ck_assert_int_eq(buf_read_file(&back, path, 100), 0);
	ck_assert_str_eq(buf_str(&back), "second");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0640);
	snprintf(tmp, sizeof(tmp), "%s/none/f", dir);
	ck_assert_int_eq(buf_write_file(&b, tmp, 0600), -1);	/* no such directory */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);		/* no temporary left */
	buf_free(&b);
	buf_free(&back);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, grows_and_terminates);
	tcase_add_test(tc, printf_and_reset);
	tcase_add_test(tc, binary_data);
	tcase_add_test(tc, xml_escape);
	tcase_add_test(tc, steal_leaves_empty);
	tcase_add_test(tc, reserve_overflow_refused);
	tcase_add_test(tc, write_file_replaces_atomically);
	suite_add_tcase(s, tc);
	return s;
}
