/* The dnsrr parsers: BIND key files and the seed's check_server lines. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../helpers/dnsrr/check.h"
#include "../../helpers/dnsrr/monconf.h"
#include "../../helpers/dnsrr/normaldns.h"
#include "../../helpers/dnsrr/tsig.h"
#include "check_main.h"

static int
key(const char *text, const char *want, struct tsig_key *k, char *why)
{
	return tsig_parse(text, strlen(text), want, k, why, 256);
}

START_TEST(tsig_keygen_output)
{
	struct tsig_key k;
	char why[256];

	ck_assert_int_eq(key("key \"lab-key\" {\n\talgorithm hmac-sha256;\n\tsecret "
	    "\"yWQ8JFAbUGJ3AXUiW+Z1mzjDt0Mf6OyZ8m2/7SMNwYk=\";\n};\n", NULL, &k, why), 0);
	ck_assert_str_eq(k.name, "lab-key.");
	ck_assert_str_eq(k.algorithm, "hmac-sha256.");
	ck_assert_str_eq(k.secret, "yWQ8JFAbUGJ3AXUiW+Z1mzjDt0Mf6OyZ8m2/7SMNwYk=");
}
END_TEST

START_TEST(comments_several_keys_and_md5)
{
	struct tsig_key k;
	char why[256];
	const char *text = "# two keys\n// c++ style\n/* block\n comment */\n"
	    "key one { algorithm HMAC-SHA1; secret \"b25l\"; };\n"
	    "key \"two.example.\" { secret \"dHdvdHdv\"; algorithm hmac-md5; };\n";

	ck_assert_int_eq(key(text, NULL, &k, why), 0);
	ck_assert_str_eq(k.name, "one.");
	ck_assert_str_eq(k.algorithm, "hmac-sha1.");
	ck_assert_int_eq(key(text, "two.example", &k, why), 0);
	ck_assert_str_eq(k.algorithm, "hmac-md5.sig-alg.reg.int.");
	ck_assert_int_eq(key(text, "three", &k, why), -1);
	ck_assert_str_eq(why, "no key named \"three\"");
	ck_assert_int_eq(key(text, "on", &k, why), -1);
}
END_TEST

START_TEST(tsig_hostile)
{
	static const char *bad[][2] = {
		{ "", "no key in file" },
		{ "key", "line 1: key needs a name" },
		{ "key x { algorithm hmac-sha256; };", "lacks a secret" },
		{ "key x { secret \"YWJj\"; };", "lacks an algorithm" },
		{ "key x { algorithm rot13; secret \"YWJj\"; };", "unknown algorithm" },
		{ "key x { algorithm hmac-sha256; secret \"not base64\"; };", "not valid base64" },
		{ "key x { algorithm hmac-sha256; secret \"YWJ\"; };", "not valid base64" },
		{ "key x { algorithm hmac-sha256; secret \"YWJj\" };", "expected \";\"" },
		{ "key x { algorithm hmac-sha256; secret \"YWJj\"; }", "expected \";\"" },
		{ "key x { algorithm hmac-sha256; secret \"YWJj", "unterminated string" },
		{ "key x { algorithm hmac-sha256; owner root; };", "unknown key option" },
		{ "key \"a;b\" { };", "bad key name" },
		{ "zone x { };", "expected \"key\"" },
		{ "key x { algorithm", "line 1:" },
		{ "\n\nkey x {\n algorithm hmac-sha256;\n secret \"!!!!\";\n};", "line 5:" },
	};
	struct tsig_key k;
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(key(bad[i][0], NULL, &k, why) == -1, "accepted: %s", bad[i][0]);
		ck_assert_msg(strstr(why, bad[i][1]) != NULL, "for %s: got \"%s\"", bad[i][0], why);
		ck_assert_msg(k.secret[0] == '\0', "secret left behind");
	}
}
END_TEST

/* True when why holds any 4-byte run of secret. */
static int
leaks(const char *why, const char *secret)
{
	size_t n = strlen(secret);

	for (size_t i = 0; i + 4 <= n; i++)
		for (const char *w = why; *w; w++)
			if (strncmp(w, secret + i, 4) == 0)
				return 1;
	return 0;
}

/* tmpl with each @ replaced by secret. */
static void
fill(char *out, size_t outlen, const char *tmpl, const char *secret)
{
	size_t o = 0;

	for (; *tmpl && o + strlen(secret) + 1 < outlen; tmpl++)
		if (*tmpl == '@') {
			memcpy(out + o, secret, strlen(secret));
			o += strlen(secret);
		} else
			out[o++] = *tmpl;
	out[o] = '\0';
}

/* Mangled key files put the secret where a token is quoted back: an option
 * name, an algorithm, a key name, what follows a secret statement. */
START_TEST(tsig_errors_never_quote_the_secret)
{
	static const char secret[] = "Qz7xWvK9pRt2Yd4NmUo8Ej6Hs3Lg5Fb1";
	static const char *fmt[] = {
		"key x { algorithm hmac-sha256; secret \"@",			/* unterminated */
		"key x { algorithm hmac-sha256; secret \"@\n\";};",		/* newline in it */
		"key x { algorithm hmac-sha256; secret \"@!\"; };",		/* bad base64 char */
		"key x { algorithm hmac-sha256; secret \"Qz7x!@\"; };",
		"key x { algorithm hmac-sha256; secret \"@\" garbage; };",
		"key x { algorithm hmac-sha256; secret Qz7x; @; };",		/* garbage after */
		"key x { algorithm hmac-sha256; secret Qz7x;@ };",
		"key x { algorithm hmac-sha256; secret \"Qz7x\"@\"; };",	/* stray quote */
		"key x { algorithm hmac-sha256; secret Qz7x}@; };",
		"key x { @ };",						/* no option word */
		"key x { @; };",
		"key x { algorithm @; secret hmac-sha256; };",			/* swapped */
		"key x { algorithm \"@\"; };",
		"key @ { algorithm hmac-sha256; };",				/* as the name */
		"key \"@\" { };",
		"@ { };",
		"key x { algorithm hmac-sha256; secret \"YWJj\"; } @;",
	};
	struct tsig_key k;
	char text[512], why[256];

	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		fill(text, sizeof(text), fmt[i], secret);
		why[0] = '\0';
		ck_assert_msg(key(text, NULL, &k, why) == -1, "accepted: %s", text);
		ck_assert_msg(why[0] != '\0' && strstr(why, "line ") == why,
		    "for %s: no line in \"%s\"", text, why);
		ck_assert_msg(!leaks(why, secret), "for %s: \"%s\" quotes the secret", text,
		    why);
		ck_assert_msg(k.secret[0] == '\0', "secret left behind");
	}
}
END_TEST

START_TEST(tsig_load_names_file_and_line)
{
	char path[] = "/tmp/test-tsig-XXXXXX", why[512];
	struct tsig_key k;
	FILE *f;
	int fd;

	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	fputs("key \"rr\" {\n\talgorithm hmac-sha256;\n\tsecret \"Qz7xWvK9pRt2\" Yd4NmUo8;\n};\n",
	    f);
	fclose(f);
	ck_assert_int_eq(tsig_load(path, NULL, &k, why, sizeof(why)), -1);
	ck_assert_ptr_eq(strstr(why, path), why);
	ck_assert_ptr_nonnull(strstr(why, ": line 3: expected \";\""));
	ck_assert(!leaks(why + strlen(path), "Qz7xWvK9pRt2Yd4NmUo8"));
	unlink(path);
}
END_TEST

START_TEST(tsig_nul_and_huge)
{
	struct tsig_key k;
	char why[256], big[5000];

	ck_assert_int_eq(tsig_parse("key x\0y { };", 12, NULL, &k, why, sizeof(why)), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(key(big, NULL, &k, why), -1);
	ck_assert_int_eq(tsig_load("/nonexistent", NULL, &k, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "/nonexistent: No such file"));
}
END_TEST

START_TEST(seed_line)
{
	struct seed_check sc;
	char why[256];

	ck_assert_int_eq(seed_check_parse("192.168.0.1|www.mydomain.com|http|apache|"
	    "GET /robots.txt HTTP/1.0|httpd is working\n", &sc, why, sizeof(why)), 0);
	ck_assert_str_eq(sc.spec.host, "192.168.0.1");
	ck_assert_str_eq(sc.name, "www.mydomain.com");
	ck_assert_uint_eq(sc.spec.port, 80);
	ck_assert_str_eq(sc.script, "apache");
	ck_assert_str_eq(sc.spec.send, "GET /robots.txt HTTP/1.0");
	ck_assert_str_eq(sc.spec.expect, "httpd is working");
	ck_assert_int_eq(seed_check_parse("192.168.0.4|pop.mydomain.com|pop3|inetd|QUIT|OK",
	    &sc, why, sizeof(why)), 0);
	ck_assert_uint_eq(sc.spec.port, 110);
	ck_assert_int_eq(seed_check_parse("2001:db8::1|smtp.example|2525||QUIT|220",
	    &sc, why, sizeof(why)), 0);
	ck_assert_uint_eq(sc.spec.port, 2525);
}
END_TEST

START_TEST(seed_line_hostile)
{
	static const char *bad[][2] = {
		{ "", "expected 6 fields" },
		{ "1.2.3.4|a|http|x|y", "expected 6 fields" },
		{ "1.2.3.4|a|http|x|y|z|extra", "expected 6 fields" },
		{ "www.example|a|http|x|y|z", "field 1 (ip)" },
		{ "1.2.3.4|a..b|http|x|y|z", "field 2 (hostname)" },
		{ "1.2.3.4|a b|http|x|y|z", "field 2 (hostname)" },
		{ "1.2.3.4|a|no-such-service-x|x|y|z", "not in /etc/services" },
		{ "1.2.3.4|a|70000|x|y|z", "out of range" },
		{ "1.2.3.4|a|http|/etc/init.d/x|y|z", "field 4 (script)" },
		{ "1.2.3.4|a|http|x;rm|y|z", "field 4 (script)" },
		{ "1.2.3.4|a|http|x|GET\x01|z", "field 5" },
		{ "1.2.3.4|a|http|x|y|\x7f", "field 6" },
	};
	struct seed_check sc;
	char why[256], huge[3000];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(seed_check_parse(bad[i][0], &sc, why, sizeof(why)) == -1,
		    "accepted: %s", bad[i][0]);
		ck_assert_msg(strstr(why, bad[i][1]) != NULL, "for %s: got \"%s\"", bad[i][0], why);
	}
	memset(huge, 'x', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	ck_assert_int_eq(seed_check_parse(huge, &sc, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "line longer than"));
}
END_TEST

static int
nd(const char *text, struct normaldns *n, char *why)
{
	return normaldns_parse(text, strlen(text), n, why, 256);
}

START_TEST(normal_dns_seed_form)
{
	struct normaldns n;
	char why[256];

	ck_assert_int_eq(nd("; baseline\nserver 127.0.0.1 5353\nzone domainname.com\n"
	    "update add www.domainname.com 1 A 192.168.0.1\n"
	    "update add www.domainname.com 1 A 192.168.0.2\r\n"
	    "update add smtp.domainname.com. 1 IN A 192.168.0.1\n"
	    "update add www.domainname.com 60 AAAA 2001:db8::1\n\n\nsend\n", &n, why), 0);
	ck_assert_str_eq(n.zone, "domainname.com");
	ck_assert_str_eq(n.servers, "127.0.0.1:5353");
	ck_assert_uint_eq(ldns_rr_list_rr_count(n.records), 4);
	ck_assert_uint_eq(ldns_rr_ttl(ldns_rr_list_rr(n.records, 0)), 1);
	normaldns_free(&n);
	ck_assert_int_eq(nd("server ::1\nupdate add a.b 5 A 10.0.0.1", &n, why), 0);
	ck_assert_str_eq(n.servers, "[::1]");
	ck_assert_str_eq(n.zone, "");
	normaldns_free(&n);
}
END_TEST

START_TEST(normal_dns_hostile)
{
	static const char *bad[][2] = {
		{ "", "no \"update add\" line" },
		{ "send\n", "no \"update add\" line" },
		{ "update delete www.x 1 A 1.2.3.4", "line 1: only \"update add\"" },
		{ "update add www.x A 1.2.3.4", "line 1: update add needs NAME TTL TYPE DATA" },
		{ "update add www.x 1 A 300.2.3.4", "line 1: bad record" },
		{ "update add www.x 1 CH A 1.2.3.4", "line 1: " },
		{ "\nprereq yxdomain www.x", "line 2: unsupported command" },
		{ "server", "line 1: server needs an address" },
		{ "server 1.2.3.4 53 54", "server takes an address and a port" },
		{ "server 1.2.3.4 0", "line 1: " },
		{ "server 1.2.3.4 http", "line 1: " },
		{ "zone a\nzone b", "line 2: zone takes one name, once" },
		{ "update add www.x 1 A 1.2.3.4\n$(reboot)", "line 2: unsupported command" },
	};
	struct normaldns n;
	char why[256], big[3000];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(nd(bad[i][0], &n, why) == -1, "accepted: %s", bad[i][0]);
		ck_assert_msg(strstr(why, bad[i][1]) != NULL, "for %s: got \"%s\"", bad[i][0], why);
		ck_assert_ptr_null(n.records);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(nd(big, &n, why), -1);
	ck_assert_str_eq(why, "line 1: too long");
	ck_assert_int_eq(normaldns_parse("zone a\0\n", 8, &n, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "line 1: NUL byte");
}
END_TEST

/* The seed's failover-monitor.config, verbatim, plus the key we need. */
START_TEST(monitor_conf_seed_verbatim)
{
	struct buf text = BUF_INIT, warn = BUF_INIT;
	struct monconf m;
	char why[512], chunk[4096];
	FILE *fp = fopen(SRCDIR "/tests/data/failover-monitor.config", "r");
	size_t n;

	ck_assert_ptr_nonnull(fp);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&text, chunk, n);
	fclose(fp);
	buf_puts(&text, "tsig_key_file = /etc/bind/rr.key\n");
	ck_assert_int_eq(monconf_parse(buf_str(&text), text.len, "fm.config", &m, &warn, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(m.nchecks, 7);
	ck_assert_uint_eq(m.servers.n, 2);
	ck_assert_str_eq(m.servers.v[1].addr, "192.168.0.2");
	ck_assert_str_eq(m.checks[2].script, "fasttrack");	/* check_server7, in file order */
	ck_assert_uint_eq(m.checks[3].spec.port, 25);
	ck_assert_uint_eq(m.checks[5].spec.port, 110);
	ck_assert_int_eq(m.interval_ms, 10000);
	ck_assert_ptr_nonnull(strstr(buf_str(&warn), ":6: password is obsolete"));
	ck_assert_ptr_nonnull(strstr(buf_str(&warn), "email is obsolete"));
	monconf_free(&m);
	buf_free(&text);
	buf_free(&warn);
}
END_TEST

START_TEST(monitor_conf_hostile)
{
	static const char *bad[][2] = {
		{ "tsig_key_file = /k\n", "f: no check_serverN" },
		{ "check_server1 = 1.2.3.4|a|http|x|y|z\n", "DNS servers" },
		{ "check_server1 = 1.2.3.4|a|http|x|y|z\nbind8_dns_server1 = 1.2.3.4\n",
		  "tsig_key_file is required" },
		{ "check_server1 = 1.2.3.4|a|http|x|y\n", "f:1: expected 6 fields" },
		{ "interval = 0\n", "f:1: interval must be a number from 1" },
		{ "rise = lots\n", "f:1: rise must be" },
		{ "restart = maybe\n", "f:1: restart must be yes or no" },
		{ "check_server1 = 1.2.3.4|a|nosuchsvc|x|y|z\n", "f:1: field 3" },
		{ "garbage line\n", "f:1: expected" },
		{ "check_server1 = 1.2.3.4|a|http|x|y|z\nbind8_dns_server1 = 1.2.3.4:99999\n"
		  "tsig_key_file = /k\n", "DNS servers" },
		{ "check_server1 = 1.2.3.4|a|http|x|y|z\nbind8_dns_server1 = 1.2.3.4\n"
		  "tsig_key_file = /k\nrestart = yes\n", "needs ssh_user" },
	};
	static const char good[] = "check_server1 = 1.2.3.4|a|http|x|y|z\nfrobnicate = 1\n"
	    "bind8_dns_server1 = 1.2.3.4\ntsig_key_file = /k\n";
	struct buf warn = BUF_INIT;
	struct monconf m;
	char why[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(monconf_parse(bad[i][0], strlen(bad[i][0]), "f", &m, &warn, why,
		    sizeof(why)) == -1, "accepted: %s", bad[i][0]);
		ck_assert_msg(strstr(why, bad[i][1]) != NULL, "for %s: got \"%s\"", bad[i][0], why);
		ck_assert_ptr_null(m.checks);
	}
	ck_assert_int_eq(monconf_parse(good, strlen(good), "f", &m, &warn, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(buf_str(&warn), "f:2: unknown key frobnicate ignored"));
	monconf_free(&m);
	buf_free(&warn);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("dnsrr_parse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, tsig_keygen_output);
	tcase_add_test(tc, comments_several_keys_and_md5);
	tcase_add_test(tc, tsig_hostile);
	tcase_add_test(tc, tsig_errors_never_quote_the_secret);
	tcase_add_test(tc, tsig_load_names_file_and_line);
	tcase_add_test(tc, tsig_nul_and_huge);
	tcase_add_test(tc, seed_line);
	tcase_add_test(tc, seed_line_hostile);
	tcase_add_test(tc, normal_dns_seed_form);
	tcase_add_test(tc, normal_dns_hostile);
	tcase_add_test(tc, monitor_conf_seed_verbatim);
	tcase_add_test(tc, monitor_conf_hostile);
	suite_add_tcase(s, tc);
	return s;
}
