#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "understudy/conf.h"
#include "check_main.h"

static int
parse(const char *text, struct conf *c, char *why)
{
	return conf_parse(text, strlen(text), c, why, 256);
}

START_TEST(basic)
{
	struct conf c;
	char why[256];

	ck_assert_int_eq(parse("# comment\n\npaths = /srv/www /etc/passwd\n"
	    "  interval=600  \nexclude = \"*.tmp  \"\nempty =\n", &c, why), 0);
	ck_assert_uint_eq(c.n, 4);
	ck_assert_str_eq(conf_get(&c, "paths"), "/srv/www /etc/passwd");
	ck_assert_str_eq(conf_get(&c, "interval"), "600");
	ck_assert_str_eq(conf_get(&c, "exclude"), "*.tmp  ");
	ck_assert_str_eq(conf_get(&c, "empty"), "");
	ck_assert_ptr_null(conf_get(&c, "missing"));
	ck_assert_int_eq(c.v[1].line, 4);
	conf_free(&c);
}
END_TEST

START_TEST(no_trailing_newline_and_crlf)
{
	struct conf c;
	char why[256];

	ck_assert_int_eq(parse("a = 1\r\nb = 2", &c, why), 0);
	ck_assert_str_eq(conf_get(&c, "a"), "1");
	ck_assert_str_eq(conf_get(&c, "b"), "2");
	conf_free(&c);
}
END_TEST

START_TEST(hostile)
{
	static const char *bad[] = {
		"novalue\n", "= value\n", "a b = c\n", "x = \"unterminated\n",
		"x = \"\n", "k = 1\nk = 2\n", "ключ = 1\n", "a;rm -rf / = 1\n", NULL
	};
	struct conf c;
	char why[256];

	for (int i = 0; bad[i]; i++) {
		why[0] = '\0';
		ck_assert_msg(parse(bad[i], &c, why) == -1, "accepted: %s", bad[i]);
		ck_assert_msg(strncmp(why, "line ", 5) == 0, "reason: %s", why);
		ck_assert_ptr_null(c.v);
	}
	ck_assert_int_eq(parse("k = 1\nk = 2\n", &c, why), -1);
	ck_assert_str_eq(why, "line 2: k already set on line 1");
}
END_TEST

START_TEST(nul_byte)
{
	struct conf c;
	char why[256];

	ck_assert_int_eq(conf_parse("a = x\0y\n", 8, &c, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "line 1: NUL byte in value");
}
END_TEST

START_TEST(load_names_path)
{
	struct conf c;
	char why[256], path[] = "/tmp/us-conf-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "a = 1\nbad line\n", 15), 15);
	close(fd);
	ck_assert_int_eq(conf_load(path, &c, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, path));
	ck_assert_ptr_nonnull(strstr(why, "line 2"));
	unlink(path);
	ck_assert_int_eq(conf_load(path, &c, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "No such file"));
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, basic);
	tcase_add_test(tc, no_trailing_newline_and_crlf);
	tcase_add_test(tc, hostile);
	tcase_add_test(tc, nul_byte);
	tcase_add_test(tc, load_names_path);
	suite_add_tcase(s, tc);
	return s;
}
