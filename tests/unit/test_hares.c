/* haresources2crm's parser and output: the seed's line, every resource
 * form, continuation lines and comments, and hostile lines refused with
 * line:column. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../helpers/haresources/hares.h"
#include "check_main.h"

static int
fake_conf(const char *agent, hr_add_fn add, void *arg, void *ctx)
{
	(void)ctx;
	if (strcmp(agent, "mirror") != 0)
		return -1;
	add("paths", "/srv/www/ /etc/passwd", arg);
	add("nodes", "nodeA=192.168.85.11 nodeB=192.168.85.12", arg);
	return 0;
}

static char *
convert(const char *text, enum hr_format fmt, char *why, size_t whylen)
{
	struct hr_file f;
	struct buf out = BUF_INIT;

	if (hr_parse(text, strlen(text), fake_conf, NULL, &f, why, whylen) != 0)
		return NULL;
	hr_emit(&f, fmt, 0, &out);
	hr_free(&f);
	return buf_steal(&out);
}

#define HAS(s, sub) ck_assert_msg(strstr((s), (sub)) != NULL, "no \"%s\" in:\n%s", (sub), (s))

START_TEST(seed_line)
{
	char why[256];
	char *crm = convert("nodeA 192.168.85.1 mirror httpd\n", HR_CRM, why, sizeof(why));

	ck_assert_msg(crm != NULL, "%s", why);
	HAS(crm, "primitive ip_192.168.85.1 ocf:heartbeat:IPaddr2 \\\n\tparams ip=192.168.85.1");
	HAS(crm, "primitive mirror ocf:understudy:mirror \\\n\tparams paths=\"/srv/www/ /etc/passwd\" "
	    "nodes=\"nodeA=192.168.85.11 nodeB=192.168.85.12\"");
	HAS(crm, "primitive httpd lsb:httpd");
	HAS(crm, "group grp_nodeA ip_192.168.85.1 mirror httpd\n");
	HAS(crm, "location prefer_grp_nodeA grp_nodeA 100: nodeA\n");
	free(crm);
	crm = convert("nodeA 192.168.85.1 mirror httpd\n", HR_PCS, why, sizeof(why));
	HAS(crm, "$PCS resource create mirror ocf:understudy:mirror paths='/srv/www/ /etc/passwd'");
	HAS(crm, "--group grp_nodeA\n");
	HAS(crm, "$PCS constraint location grp_nodeA prefers nodeA=100\n");
	free(crm);
}
END_TEST

START_TEST(forms)
{
	char why[256];
	char *crm = convert(
	    "# comment line\n"
	    "nodeB IPaddr::10.0.0.5/24/eth0/10.0.0.255 IPaddr2::10.0.0.6 \\\n"
	    "   Filesystem::/dev/sdb1::/srv/data::ext4::noatime   # trailing comment\n"
	    "\n"
	    "nodeB IPv6addr::2001:db8::5/64 mirror::/srv/www/ dnsrr::www.example.com "
	    "pgwarm::/var/lib/postgresql/15/main zmworker::8 postfix\n",
	    HR_CRM, why, sizeof(why));

	ck_assert_msg(crm != NULL, "%s", why);
	HAS(crm, "params ip=10.0.0.5 cidr_netmask=24 nic=eth0 broadcast=10.0.0.255");
	HAS(crm, "primitive ip_10.0.0.6 ocf:heartbeat:IPaddr2");
	HAS(crm, "primitive fs_srv_data ocf:heartbeat:Filesystem \\\n\tparams device=/dev/sdb1 "
	    "directory=/srv/data fstype=ext4 options=noatime");
	HAS(crm, "params ipv6addr=2001:db8::5 cidr_netmask=64");
	HAS(crm, "params paths=/srv/www/ nodes=");	/* the argument overrides the conf */
	HAS(crm, "ocf:understudy:dnsrr \\\n\tparams name=www.example.com");
	HAS(crm, "ocf:understudy:pgwarm \\\n\tparams pgdata=/var/lib/postgresql/15/main");
	HAS(crm, "ocf:understudy:zmworker \\\n\tparams max_parallel=8");
	HAS(crm, "group grp_nodeB ip_10.0.0.5 ip_10.0.0.6 fs_srv_data\n");
	HAS(crm, "group grp_nodeB_2 ip6_2001_db8__5 mirror dnsrr pgwarm zmworker postfix\n");
	HAS(crm, "# haresources line 2: nodeB IPaddr::10.0.0.5/24/eth0/10.0.0.255");
	HAS(crm, "# haresources line 5:");
	free(crm);
}
END_TEST

START_TEST(unique_ids)
{
	char why[256];
	char *crm = convert("a httpd 10.0.0.1\nb httpd 10.0.0.1\n", HR_CRM, why, sizeof(why));

	ck_assert_msg(crm != NULL, "%s", why);
	HAS(crm, "group grp_a httpd ip_10.0.0.1\n");
	HAS(crm, "group grp_b httpd_2 ip_10.0.0.1_2\n");
	free(crm);
}
END_TEST

START_TEST(quoting)
{
	char why[256];
	struct hr_file f;
	struct buf out = BUF_INIT;
	const char *text = "n mirror::/srv/it's\"here\\\n";

	ck_assert_int_eq(hr_parse(text, strlen(text), NULL, NULL, &f, why, sizeof(why)), 0);
	hr_emit(&f, HR_PCS, 0, &out);
	HAS(buf_str(&out), "paths='/srv/it'\\''s\"here'");
	buf_reset(&out);
	hr_emit(&f, HR_CRM, 1, &out);
	HAS(buf_str(&out), "paths=\"/srv/it's\\\"here\"");
	buf_free(&out);
	hr_free(&f);
}
END_TEST

static void
refused(const char *text, const char *want)
{
	char why[256] = "";
	struct hr_file f;

	ck_assert_msg(hr_parse(text, strlen(text), NULL, NULL, &f, why, sizeof(why)) == -1,
	    "accepted: %s", text);
	ck_assert_msg(strncmp(why, want, strlen(want)) == 0, "%s: want \"%s...\", got \"%s\"",
	    text, want, why);
}

START_TEST(hostile)
{
	refused("nodeA\n", "1:1: node nodeA has no resources");
	refused("node/A httpd\n", "1:1: \"node/A\": not a node name");
	refused("\n\n  n IPaddr::300.1.1.1\n", "3:5: \"300.1.1.1\": not IPv4");
	refused("n IPaddr::10.0.0.1/33\n", "1:3: \"10.0.0.1/33\": netmask bits");
	refused("n IPaddr::10.0.0.1/24/e;th0\n", "1:3: \"10.0.0.1/24/e;th0\": bad interface");
	refused("n IPaddr\n", "1:3: IPaddr takes one argument");
	refused("n IPaddr::a::b\n", "1:3: IPaddr takes one argument");
	refused("n 10.0.0.1/24/eth0/1.2.3.4/x\n", "1:3:");
	refused("n IPv6addr::zz::1\n", "1:3: \"zz::1\": not IPv6");
	refused("n Filesystem::/dev/sda\n", "1:3: Filesystem::device::directory");
	refused("n Filesystem::/dev/sda::srv\n", "1:3: Filesystem: the directory \"srv\" is not absolute");
	refused("n httpd::start\n", "1:3: httpd: an init script takes no arguments");
	refused("n mirror::a::b\n", "1:3: mirror takes one argument (paths), not 2");
	refused("n foo::\n", "1:8: empty argument");
	refused("n foo::::x\n", "1:8: empty argument");
	refused("n ../../bin/sh\n", "1:3: \"../../bin/sh\": not a resource");
	refused("n a;reboot\n", "1:3:");
	refused("n $(reboot)\n", "1:3:");
	refused("n `id`\n", "1:3:");
	refused("n http\001d\n", "1:7: control character 0x01");
	refused("a b\nn x \\\n   y::1\n", "3:4: y: an init script takes no arguments");
	refused("n a::1::2::3::4::5::6::7::8::9\n", "1:");
}
END_TEST

START_TEST(empty_and_comments)
{
	char why[256];
	struct hr_file f;

	ck_assert_int_eq(hr_parse("", 0, NULL, NULL, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.ngroups, 0);
	hr_free(&f);
	ck_assert_int_eq(hr_parse("# only\n   # comments\n\\\n", 23, NULL, NULL, &f, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(f.ngroups, 0);
	hr_free(&f);
	/* no newline at the end, CRLF */
	ck_assert_int_eq(hr_parse("n httpd\r\nm ftp", 14, NULL, NULL, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.ngroups, 2);
	hr_free(&f);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("haresources");
	TCase *t = tcase_create("convert");

	tcase_add_test(t, seed_line);
	tcase_add_test(t, forms);
	tcase_add_test(t, unique_ids);
	tcase_add_test(t, quoting);
	tcase_add_test(t, hostile);
	tcase_add_test(t, empty_and_comments);
	suite_add_tcase(s, t);
	return s;
}
