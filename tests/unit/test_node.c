#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "understudy/node.h"
#include "check_main.h"

START_TEST(forms)
{
	struct node_list l;
	char why[256];

	ck_assert_int_eq(node_list_parse("  a=10.0.0.1 b=host.example:2222\n"
	    "c=[::1]:22 d=fe80::1%eth0 e=[2001:db8::5] ", &l, why, sizeof(why)), 0);
	ck_assert_uint_eq(l.n, 5);
	ck_assert_str_eq(l.v[0].name, "a");
	ck_assert_str_eq(l.v[0].addr, "10.0.0.1");
	ck_assert_uint_eq(l.v[0].port, 0);
	ck_assert_str_eq(l.v[1].addr, "host.example");
	ck_assert_uint_eq(l.v[1].port, 2222);
	ck_assert_str_eq(l.v[2].addr, "::1");
	ck_assert_uint_eq(l.v[2].port, 22);
	ck_assert_str_eq(l.v[3].addr, "fe80::1%eth0");
	ck_assert_uint_eq(l.v[3].port, 0);
	ck_assert_str_eq(l.v[4].addr, "2001:db8::5");
	ck_assert_ptr_nonnull(node_list_find(&l, "c"));
	ck_assert_ptr_null(node_list_find(&l, "z"));
	node_list_free(&l);
}
END_TEST

START_TEST(empty_is_empty)
{
	struct node_list l;
	char why[256];

	ck_assert_int_eq(node_list_parse("   ", &l, why, sizeof(why)), 0);
	ck_assert_uint_eq(l.n, 0);
	node_list_free(&l);
}
END_TEST

START_TEST(hostile)
{
	static const char *bad[] = {
		"a", "=1.2.3.4", "a=", "a=1.2.3.4:", "a=1.2.3.4:0", "a=1.2.3.4:65536",
		"a=1.2.3.4:22x", "a=[::1", "a=[::1]x", "a=[::1]:", "-a=1.2.3.4",
		"a=-oProxyCommand=x", "a=h;rm", "a=h$(x)", "a b=1.2.3.4", "a=1 a=2",
		"a=1.2.3.4:99999999999", "a/b=1.2.3.4", NULL
	};
	struct node_list l;
	char why[256];

	for (int i = 0; bad[i]; i++) {
		why[0] = '\0';
		ck_assert_msg(node_list_parse(bad[i], &l, why, sizeof(why)) == -1,
		    "accepted: %s", bad[i]);
		ck_assert_msg(why[0] != '\0', "no reason for %s", bad[i]);
		ck_assert_ptr_null(l.v);
	}
	node_list_parse("a=1 a=2", &l, why, sizeof(why));
	ck_assert_str_eq(why, "node \"a\" listed twice");
}
END_TEST

START_TEST(long_name_refused)
{
	char spec[400], why[256];
	struct node_list l;

	memset(spec, 'n', 300);
	strcpy(spec + 300, "=1.2.3.4");
	ck_assert_int_eq(node_list_parse(spec, &l, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "bad node name"));
}
END_TEST

START_TEST(self_from_pacemaker)
{
	char name[64];

	setenv("OCF_RESKEY_CRM_meta_on_node", "node7", 1);
	ck_assert_int_eq(node_self(name, sizeof(name)), 0);
	ck_assert_str_eq(name, "node7");
	unsetenv("OCF_RESKEY_CRM_meta_on_node");
	ck_assert_int_eq(node_self(name, sizeof(name)), 0);
	ck_assert_int_gt(strlen(name), 0);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("node");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, forms);
	tcase_add_test(tc, empty_is_empty);
	tcase_add_test(tc, hostile);
	tcase_add_test(tc, long_name_refused);
	tcase_add_test(tc, self_from_pacemaker);
	suite_add_tcase(s, tc);
	return s;
}
