/* zmworker's parsers and merge rules: request validation with hostile
 * documents (each refusal names the field), IDNA labels, zonemaster-cli's
 * argv, output lines, a run's confinement (user, fds, cwd, environment),
 * and the document store: claims, union merges in any order, departed
 * members, cancel, save and load, which saves fsync; hostile spool
 * entries. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../helpers/zmworker/zmdoc.h"
#include "../../helpers/zmworker/zmreq.h"
#include "../../helpers/zmworker/zmrun.h"
#include "../../helpers/zmworker/zmspool.h"
#include "check_main.h"

/* Linked with -Wl,--wrap=fsync: counts the store's fsyncs. */
int	__real_fsync(int);
int	__wrap_fsync(int);
static int fsyncs;

int
__wrap_fsync(int fd)
{
	fsyncs++;
	return __real_fsync(fd);
}

/* Checks text; returns the reason ("" when accepted). */
static const char *
check_text(const char *text)
{
	static char why[512];
	struct zm_req req;
	json_error_t jerr;
	json_t *doc = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

	ck_assert_msg(doc != NULL, "test JSON broken: %s", text);
	why[0] = '\0';
	if (zm_req_check(doc, &req, why, sizeof(why)) == 0)
		why[0] = '\0';
	else
		ck_assert_msg(why[0] != '\0', "refused without a reason: %s", text);
	json_decref(doc);
	return why;
}

#define REFUSED(text, field) do { \
	const char *w_ = check_text(text); \
	ck_assert_msg(strncmp(w_, field, strlen(field)) == 0, \
	    "%s: want a refusal naming %s, got \"%s\"", text, field, w_); \
} while (0)
#define ACCEPTED(text) do { \
	const char *w_ = check_text(text); \
	ck_assert_msg(w_[0] == '\0', "%s refused: %s", text, w_); \
} while (0)

#define DS2 "40079DDF8D09E7F10BB248A69B6630478A28EF969DDE399F95BC3B39F8CBACD7"
#define DS1 "EF5D421412A5EAF1230071AFFD4F585E3B2B1A60"

START_TEST(seed_requests)
{
	ACCEPTED("{\"name\": \"räksmörgås.se\", \"request\": {}}");
	ACCEPTED("{\"name\": \"example.test\"}");
	ACCEPTED("{\"name\": \"räksmörgås.se\", \"request\": {\"ds\": ["
	    "{\"keytag\": 4711, \"algorithm\": 5, \"type\": 2, \"digest\": \"" DS2 "\"},"
	    "{\"keytag\": 4711, \"algorithm\": 5, \"type\": 1, \"digest\": \"" DS1 "\"}],"
	    "\"ns\": {\"ns.nic.se.\": [\"212.247.7.228\", \"2a00:801:f0:53::53\"],"
	    "\"ns3.nic.se.\": [\"212.247.8.152\", \"2a00:801:f0:211::152\"]},"
	    "\"ipv4\": true, \"ipv6\": true}}");
	ACCEPTED("{\"name\": \"example.test.\"}");
	ACCEPTED("{\"name\": \"_dmarc.example.test\"}");
	/* Out-of-zone NS without addresses: zonemaster-cli looks them up. */
	ACCEPTED("{\"name\": \"example.test\", \"request\": {\"ns\": {\"ns.other.test\": []}}}");
}
END_TEST

START_TEST(hostile_requests)
{
	REFUSED("[]", "document");
	REFUSED("\"example.test\"", "document");
	REFUSED("{}", "name: missing");
	REFUSED("{\"name\": 7}", "name: not a string");
	REFUSED("{\"name\": \"\"}", "name: empty");
	REFUSED("{\"name\": \"a..b\"}", "name: empty label");
	REFUSED("{\"name\": \".\"}", "name:");
	REFUSED("{\"name\": \"-a.test\"}", "name:");
	REFUSED("{\"name\": \"a b.test\"}", "name:");
	REFUSED("{\"name\": \"a\\u0000b.test\"}", "name: contains a NUL");
	REFUSED("{\"name\": \"a;rm -rf.test\"}", "name:");
	REFUSED("{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test\"}",
	    "name: not a valid IDNA name (domain label longer than 63");
	REFUSED("{\"name\": \"x.test\", \"request\": [], \"extra\": 1}", "extra: unknown key");
	REFUSED("{\"name\": \"x.test\", \"_id\": \"abc\"}", "_id: set by zmworker");
	REFUSED("{\"name\": \"x.test\", \"results\": []}", "results: set by zmworker");
	REFUSED("{\"name\": \"x.test\", \"request\": 5}", "request: not an object");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"level\": 1}}", "request.level: unknown key");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ipv4\": \"yes\"}}", "request.ipv4: not true");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ipv4\": false, \"ipv6\": false}}",
	    "request.ipv4/ipv6");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ds\": {}}}", "request.ds: not an array");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ds\": [1]}}", "request.ds[0]: not an object");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ds\": [{\"keytag\": 65536, \"algorithm\": 5,"
	    "\"type\": 2, \"digest\": \"" DS2 "\"}]}}", "request.ds[0].keytag: 65536 out of range");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ds\": [{\"keytag\": -1, \"algorithm\": 5,"
	    "\"type\": 2, \"digest\": \"" DS2 "\"}]}}", "request.ds[0].keytag");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ds\": [{\"keytag\": 1.5, \"algorithm\": 5,"
	    "\"type\": 2, \"digest\": \"" DS2 "\"}]}}", "request.ds[0].keytag: not an integer");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ds\": [{\"keytag\": 1, \"algorithm\": 256,"
	    "\"type\": 2, \"digest\": \"" DS2 "\"}]}}", "request.ds[0].algorithm");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ds\": [{\"keytag\": 1, \"algorithm\": 5,"
	    "\"type\": 2, \"digest\": \"" DS1 "\"}]}}", "request.ds[0].digest: 40 hex digits, digest type 2 needs 64");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ds\": [{\"keytag\": 1, \"algorithm\": 5,"
	    "\"type\": 1, \"digest\": \"" DS2 "\"}]}}", "request.ds[0].digest: 64 hex digits");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ds\": [{\"keytag\": 1, \"algorithm\": 5,"
	    "\"type\": 9, \"digest\": \"AB\"}]}}", "request.ds[0].type: digest type 9");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ds\": [{\"keytag\": 1, \"algorithm\": 5,"
	    "\"type\": 1, \"digest\": \"ZZ5D421412A5EAF1230071AFFD4F585E3B2B1A60\"}]}}",
	    "request.ds[0].digest: not hexadecimal");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ds\": [{\"keytag\": 1, \"algorithm\": 5,"
	    "\"type\": 1, \"digest\": \"" DS1 "\", \"x\": 1}]}}", "request.ds[0].x: unknown key");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ds\": [{\"algorithm\": 5,"
	    "\"type\": 1, \"digest\": \"" DS1 "\"}]}}", "request.ds[0].keytag: missing");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ns\": []}}", "request.ns: not an object");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ns\": {\"ns1.x.test\": []}}}",
	    "request.ns.\"ns1.x.test\": inside the tested zone");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ns\": {\"x.test\": []}}}",
	    "request.ns.\"x.test\": inside");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ns\": {\"ns1.x.test\": [\"300.1.1.1\"]}}}",
	    "request.ns.\"ns1.x.test\"[0]: \"300.1.1.1\" is not");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ns\": {\"ns1.x.test\": [7]}}}",
	    "request.ns.\"ns1.x.test\"[0]: not a string");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ns\": {\"bad..ns\": [\"1.2.3.4\"]}}}",
	    "request.ns.\"bad..ns\": empty label");
	REFUSED("{\"name\": \"x.test\", \"request\": {\"ns\": {\"ns1.x.test\": \"1.2.3.4\"}}}",
	    "request.ns.\"ns1.x.test\": not an array");
}
END_TEST

START_TEST(labels)
{
	char a[ZM_NAME_MAX + 1], why[160];

	ck_assert_int_eq(zm_name_alabel("räksmörgås.se", a, sizeof(a), why, sizeof(why)), 0);
	ck_assert_str_eq(a, "xn--rksmrgs-5wao1o.se");
	ck_assert_int_eq(zm_name_alabel("högskoleverket.se", a, sizeof(a), why, sizeof(why)), 0);
	ck_assert_str_eq(a, "xn--hgskoleverket-imb.se");
	ck_assert_int_eq(zm_name_alabel("Example.TEST.", a, sizeof(a), why, sizeof(why)), 0);
	ck_assert_str_eq(a, "example.test");
	ck_assert_int_eq(zm_name_alabel("xn--rksmrgs-5wao1o.se", a, sizeof(a), why, sizeof(why)), 0);
	ck_assert_str_eq(a, "xn--rksmrgs-5wao1o.se");
	ck_assert_int_eq(zm_name_alabel("\xff\xfe.se", a, sizeof(a), why, sizeof(why)), -1);
	ck_assert_int_eq(zm_name_alabel("a.", a, sizeof(a), why, sizeof(why)), 0);
	ck_assert_str_eq(a, "a");
}
END_TEST

START_TEST(argv_from_request)
{
	json_t *doc = json_loads("{\"name\": \"räksmörgås.se\", \"request\": {\"ds\": ["
	    "{\"keytag\": 4711, \"algorithm\": 5, \"type\": 1, \"digest\": \"" DS1 "\"}],"
	    "\"ns\": {\"ns.nic.se.\": [\"212.247.7.228\", \"2a00:801:f0:53::53\"],"
	    "\"ns.other.test\": []}, \"ipv6\": false}}", 0, NULL);
	const char *extra[] = { "--hints", "/h", NULL };
	char **v = zm_req_argv(doc, "zonemaster-cli", extra);
	char line[2048] = "";

	ck_assert_ptr_nonnull(v);
	for (char **p = v; *p; p++) {
		strcat(line, *p);
		strcat(line, "|");
	}
	ck_assert_str_eq(line, "zonemaster-cli|--json-stream|--raw|--no-progress|--ipv4|--no-ipv6|"
	    "--ns|ns.nic.se/212.247.7.228|--ns|ns.nic.se/2a00:801:f0:53::53|--ns|ns.other.test|"
	    "--ds|4711,5,1," DS1 "|--hints|/h|xn--rksmrgs-5wao1o.se|");
	zm_argv_free(v);
	json_decref(doc);
}
END_TEST

START_TEST(output_lines)
{
	const char *ok = "{\"args\":{},\"level\":\"ERROR\",\"module\":\"ADDRESS\","
	    "\"tag\":\"NAMESERVER_IP_PRIVATE_NETWORK\",\"testcase\":\"ADDRESS01\",\"timestamp\":0.029}";
	json_t *m = zm_msg_parse(ok, strlen(ok));

	ck_assert_ptr_nonnull(m);
	json_decref(m);
	ck_assert_ptr_null(zm_msg_parse("", 0));
	ck_assert_ptr_null(zm_msg_parse("Looks OK.", 9));
	ck_assert_ptr_null(zm_msg_parse("[1,2]", 5));
	ck_assert_ptr_null(zm_msg_parse("{\"level\":\"INFO\"}", 16));
	ck_assert_ptr_null(zm_msg_parse("{\"tag\":1,\"level\":\"INFO\"}", 24));
	ck_assert_ptr_null(zm_msg_parse("{\"tag\":\"A\",\"tag\":\"B\",\"level\":\"X\"}", 34));
}
END_TEST

/* ------------------------------------------------------------ store */

static const char *gone_node = "";

static int
member(const char *name, void *ctx)
{
	(void)ctx;
	return strcmp(name, gone_node) != 0;
}

static char dir[64];

static void
store_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-zm-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	gone_node = "";
}

static void
store_teardown(void)
{
	const char *argv[] = { "rm", "-rf", dir, NULL };

	if (fork() == 0) {
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	while (wait(NULL) > 0)
		;
}

static json_t *
request(const char *id, const char *name)
{
	return json_pack("{ss ss s{} s[]}", "_id", id, "name", name, "request", "results");
}

static json_t *
result(const char *node, double start, int finished, int nmsg)
{
	json_t *r = json_pack("{ss ss ss sf s[]}", "alabel", "x.test", "ulabel", "x.test",
	    "nodename", node, "start_time", start, "messages");

	for (int i = 0; i < nmsg; i++)
		json_array_append_new(json_object_get(r, "messages"), json_pack("{si ss ss}",
		    "n", i, "tag", "T", "level", "INFO"));
	if (finished)
		json_object_set_new(r, "end_time", json_real(start + 1));
	return r;
}

/* Runs argv as user to the end, reading as zmworkerd does; the status. */
static int
run_to_end(char *const argv[], const char *user, struct zm_run *r)
{
	char why[256] = "";
	int st;

	memset(r, 0, sizeof(*r));
	ck_assert_msg(zm_run_start(r, argv, user, 10, why, sizeof(why)) == 0, "%s", why);
	while (r->out_fd >= 0 || r->err_fd >= 0) {
		struct pollfd p[2] = { { r->out_fd, POLLIN, 0 }, { r->err_fd, POLLIN, 0 } };

		poll(p, 2, 1000);
		for (int i = 0; i < 2; i++)
			if (p[i].fd >= 0 && p[i].revents && zm_run_read(r, p[i].fd))
				close(p[i].fd);
	}
	ck_assert_int_eq(waitpid(r->pid, &st, 0), r->pid);
	r->pid = 0;
	r->wstatus = st;
	return st;
}

/* The first message's args of a probe that must succeed. */
static json_t *
run_probe(char *const argv[], const char *user, struct zm_run *r)
{
	int st = run_to_end(argv, user, r);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "probe failed: %s",
	    r->err.data ? r->err.data : "");
	ck_assert_uint_eq(json_array_size(r->messages), 1);
	return json_object_get(json_array_get(r->messages, 0), "args");
}

/* zonemaster-cli parses what hostile name servers say: it gets nothing of
 * ours. The probe uses shell builtins only, so every fd it lists is one
 * it inherited. */
#define PROBE "fds=; for f in /proc/$$/fd/*; do [ -e \"$f\" ] && fds=\"$fds${fds:+,}${f##*/}\"; done; " \
	"while read k v rest; do [ \"$k\" = Uid: ] && uid=$v; done </proc/self/status; " \
	"printf '{\"tag\":\"P\",\"level\":\"INFO\",\"args\":{\"uid\":%s,\"fds\":\"%s\"," \
	"\"cwd\":\"%s\",\"path\":\"%s\",\"home\":\"%s\",\"leak\":\"%s\"}}\\n' " \
	"\"$uid\" \"$fds\" \"$PWD\" \"$PATH\" \"$HOME\" \"${ZMTEST_SECRET:-}\""

START_TEST(run_confined)
{
	char sh[] = "sh", c[] = "-c", probe[] = PROBE, *argv[] = { sh, c, probe, NULL };
	struct passwd *pw = getpwnam("nobody");
	int leaked = open("/dev/null", O_RDONLY);	/* no O_CLOEXEC: as libqb's */
	struct zm_run r;
	json_t *a;

	ck_assert_int_ge(leaked, 3);
	setenv("ZMTEST_SECRET", "from the daemon", 1);
	a = run_probe(argv, geteuid() == 0 && pw ? "nobody" : NULL, &r);
	if (geteuid() == 0 && pw)
		ck_assert_int_eq(json_integer_value(json_object_get(a, "uid")), (int)pw->pw_uid);
	ck_assert_str_eq(json_string_value(json_object_get(a, "fds")), "0,1,2");
	ck_assert_str_eq(json_string_value(json_object_get(a, "cwd")), "/");
	ck_assert_str_eq(json_string_value(json_object_get(a, "path")),
	    "/usr/local/bin:/usr/bin:/bin");
	ck_assert_str_eq(json_string_value(json_object_get(a, "leak")), "");
	if (geteuid() == 0 && pw)
		ck_assert_str_eq(json_string_value(json_object_get(a, "home")), pw->pw_dir);
	zm_run_free(&r);
	close(leaked);
	unsetenv("ZMTEST_SECRET");
}
END_TEST

/* A test that prints without end (runaway, or owned by a name server's
 * answer) is killed at ZM_OUTPUT_MAX: the root daemon's memory is bounded. */
START_TEST(run_output_bounded)
{
	char sh[] = "sh", c[] = "-c",
	    flood[] = "yes '{\"tag\":\"T\",\"level\":\"INFO\",\"args\":{}}' | head -c 40000000";
	char *argv[] = { sh, c, flood, NULL };
	struct zm_run r;
	json_t *entry = json_pack("{ss s[]}", "nodename", "n1", "messages"), *res, *m, *note = NULL;
	size_t i;

	run_to_end(argv, NULL, &r);
	ck_assert_int_eq(r.killed, ZM_KILL_OUTPUT);
	ck_assert_uint_le(json_array_size(r.messages), ZM_OUTPUT_MAX / 30);
	res = zm_run_result(&r, entry);
	json_array_foreach(json_object_get(res, "messages"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "tag")), "TEST_FAILED") == 0)
			note = m;
	ck_assert_ptr_nonnull(note);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(note, "args"),
	    "output_limit")), ZM_OUTPUT_MAX);
	json_decref(res);
	json_decref(entry);
	zm_run_free(&r);
}
END_TEST

START_TEST(run_refusals)
{
	char sh[] = "sh", c[] = "-c", t[] = "true", nx[] = "/nonexistent/zm";
	char *argv[] = { sh, c, t, NULL }, *none[] = { nx, NULL };
	char why[256];
	struct zm_run r;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(zm_run_start(&r, argv, "no-such-user-zm", 10, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "user no-such-user-zm: no such user");
	zm_run_free(&r);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(zm_run_start(&r, none, NULL, 10, why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "/nonexistent/zm") != NULL, "%s", why);
	zm_run_free(&r);
	/* The profile and hints are read by the test's user. */
	ck_assert_int_eq(zm_run_can_read(NULL, "/etc/hostname", why, sizeof(why)), 0);
	ck_assert_int_eq(zm_run_can_read(NULL, "/nonexistent/profile", why, sizeof(why)), -1);
	ck_assert_str_eq(why, "No such file or directory");
	ck_assert_int_eq(zm_run_can_read("no-such-user-zm", "/etc/hostname", why, sizeof(why)), -1);
	if (geteuid() == 0 && getpwnam("nobody") != NULL) {
		char priv[] = "/tmp/test-zm-private-XXXXXX";
		int fd = mkstemp(priv);	/* 0600, root's */

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(zm_run_can_read("nobody", priv, why, sizeof(why)), -1);
		ck_assert_str_eq(why, "Permission denied");
		ck_assert_int_eq(zm_run_can_read(NULL, priv, why, sizeof(why)), 0);
		close(fd);
		unlink(priv);
	}
}
END_TEST

START_TEST(claims)
{
	struct zm_store *s = zm_store_new(dir, member, NULL);
	json_t *doc = request("01-1-1", "x.test");
	struct zm_doc *d;
	int changed;

	d = zm_store_merge(s, doc, &changed);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(changed, 1);
	ck_assert_int_eq(zm_doc_status(d), ZM_PENDING);
	ck_assert_uint_eq(zm_store_count(s, ZM_PENDING), 1);
	ck_assert_int_eq(zm_doc_claim(s, d, "node1", 100.5), 1);
	ck_assert_int_eq(zm_doc_claim(s, d, "node2", 100.6), 0);	/* the first one won */
	ck_assert_int_eq(zm_doc_status(d), ZM_RUNNING);
	ck_assert_uint_eq(zm_store_count(s, ZM_PENDING), 0);
	/* the same merge again changes nothing */
	zm_store_merge(s, doc, &changed);
	ck_assert_int_eq(changed, 0);
	/* node1 leaves: its run is forgotten, the request pending again */
	gone_node = "node1";
	ck_assert_uint_eq(zm_store_drop_gone(s), 1);
	ck_assert_int_eq(zm_doc_status(d), ZM_PENDING);
	ck_assert_int_eq(zm_doc_claim(s, d, "node2", 101.0), 1);
	json_decref(doc);
	zm_store_free(s);
}
END_TEST

/* Two sides of a partition both ran the test: in whichever order their
 * copies meet, both results are kept, and a finished result beats the
 * running copy of the same run. */
START_TEST(merge_any_order)
{
	json_t *a = request("01-1-2", "x.test"), *b = request("01-1-2", "x.test");
	json_t *c = request("01-1-2", "x.test");
	char *text[2];

	json_array_append_new(json_object_get(a, "results"), result("node1", 10.000001, 1, 3));
	json_array_append_new(json_object_get(b, "results"), result("node3", 11.5, 1, 2));
	json_array_append_new(json_object_get(c, "results"), result("node1", 10.000001, 0, 1));
	for (int order = 0; order < 2; order++) {
		struct zm_store *s = zm_store_new(dir, member, NULL);
		json_t *seq[3] = { order ? c : a, b, order ? a : c };
		struct zm_doc *d = NULL;
		int changed;

		for (int i = 0; i < 3; i++)
			d = zm_store_merge(s, seq[i], &changed);
		ck_assert_int_eq(zm_doc_status(d), ZM_DONE);
		ck_assert_uint_eq(json_array_size(json_object_get(d->doc, "results")), 2);
		ck_assert_ptr_nonnull(json_object_get(zm_doc_run(d, "node1", 10.000001), "end_time"));
		{
			/* compare as sets: sort by nodename */
			json_t *r = json_object_get(d->doc, "results");

			if (strcmp(json_string_value(json_object_get(json_array_get(r, 0), "nodename")),
			    "node1") != 0) {
				json_t *first = json_incref(json_array_get(r, 0));

				json_array_remove(r, 0);
				json_array_append_new(r, first);
			}
		}
		text[order] = json_dumps(d->doc, JSON_COMPACT | JSON_SORT_KEYS);
		zm_store_free(s);
	}
	ck_assert_str_eq(text[0], text[1]);
	free(text[0]);
	free(text[1]);
	json_decref(a);
	json_decref(b);
	json_decref(c);
}
END_TEST

START_TEST(progress_and_finish)
{
	struct zm_store *s = zm_store_new(dir, member, NULL);
	json_t *doc = request("01-1-3", "x.test"), *msgs = json_array(), *fin;
	struct zm_doc *d;
	int changed;

	d = zm_store_merge(s, doc, &changed);
	zm_doc_claim(s, d, "node1", 5.0);
	json_array_append_new(msgs, json_pack("{ss ss}", "tag", "A", "level", "INFO"));
	json_array_append_new(msgs, json_pack("{ss ss}", "tag", "B", "level", "INFO"));
	zm_doc_progress(d, "node1", 5.0, 0, msgs);
	zm_doc_progress(d, "node1", 5.0, 0, msgs);	/* a repeat adds nothing */
	ck_assert_uint_eq(json_array_size(json_object_get(zm_doc_run(d, "node1", 5.0), "messages")), 2);
	zm_doc_progress(d, "node1", 5.0, 5, msgs);	/* a gap is ignored */
	ck_assert_uint_eq(json_array_size(json_object_get(zm_doc_run(d, "node1", 5.0), "messages")), 2);
	fin = result("node1", 5.0, 1, 4);
	ck_assert_int_eq(zm_doc_finish(s, d, fin), 1);
	ck_assert_int_eq(zm_doc_finish(s, d, fin), 0);
	ck_assert_int_eq(zm_doc_status(d), ZM_DONE);
	/* a late running copy does not undo the finished result */
	json_array_append_new(json_object_get(doc, "results"), result("node1", 5.0, 0, 9));
	zm_store_merge(s, doc, &changed);
	ck_assert_int_eq(changed, 0);
	ck_assert_int_eq(zm_doc_status(d), ZM_DONE);
	/* cancel is sticky and keeps the earliest time */
	ck_assert_int_eq(zm_doc_cancel(s, d, 9.0), 1);
	ck_assert_int_eq(zm_doc_cancel(s, d, 12.0), 0);
	ck_assert_int_eq(zm_doc_status(d), ZM_CANCELLED);
	json_decref(fin);
	json_decref(msgs);
	json_decref(doc);
	zm_store_free(s);
}
END_TEST

START_TEST(save_and_load)
{
	struct zm_store *s = zm_store_new(dir, member, NULL);
	json_t *doc = request("01-1-4", "räksmörgås.se"), *doc2 = request("01-1-5", "y.test");
	struct zm_doc *d, *d2;
	char path[128];
	FILE *f;
	int changed;

	d = zm_store_merge(s, doc, &changed);
	d2 = zm_store_merge(s, doc2, &changed);
	zm_doc_claim(s, d2, "node1", 7.25);		/* running: not written */
	json_array_append_new(json_object_get(doc, "results"), result("node2", 1795409617.560831, 1, 2));
	zm_store_merge(s, doc, &changed);
	ck_assert_int_eq(zm_doc_save(s, d, 1), 0);
	ck_assert_int_eq(zm_doc_save(s, d2, 0), 0);
	zm_store_free(s);
	/* garbage beside them is set aside, not fatal */
	snprintf(path, sizeof(path), "%s/junk.json", dir);
	f = fopen(path, "w");
	fputs("{\"_id\": \"../../etc\", \"name\": \"x\"}", f);
	fclose(f);
	s = zm_store_new(dir, member, NULL);
	ck_assert_int_eq(zm_store_load(s), 2);
	d = zm_store_get(s, "01-1-4");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(zm_doc_status(d), ZM_DONE);
	ck_assert_ptr_nonnull(zm_doc_run(d, "node2", 1795409617.560831));
	ck_assert_int_eq(zm_doc_status(zm_store_get(s, "01-1-5")), ZM_PENDING);
	snprintf(path, sizeof(path), "%s/junk.json.bad", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	json_decref(doc);
	json_decref(doc2);
	zm_store_free(s);
}
END_TEST

/* A copy saved without fsync never replaces a durable file: a crash
 * between the rename and the write-back would leave the name with none of
 * its data, and the request that was acknowledged would be gone. */
START_TEST(save_never_tears_durable)
{
	struct zm_store *s = zm_store_new(dir, member, NULL);
	json_t *doc = request("01-1-6", "d.test"), *doc2 = request("01-1-7", "e.test");
	struct zm_doc *d, *d2;
	int changed, before;

	d = zm_store_merge(s, doc, &changed);
	d2 = zm_store_merge(s, doc2, &changed);
	fsyncs = 0;
	ck_assert_int_eq(zm_doc_save(s, d2, 0), 0);	/* a new name: may be torn */
	ck_assert_int_eq(fsyncs, 0);
	ck_assert_int_eq(zm_doc_save(s, d, 1), 0);	/* file and directory */
	ck_assert_int_eq(fsyncs, 2);
	zm_doc_cancel(s, d, 5.0);
	before = fsyncs;
	ck_assert_int_eq(zm_doc_save(s, d, 0), 0);	/* replaces the durable one */
	ck_assert_int_ge(fsyncs, before + 1);
	zm_store_free(s);
	/* What a restart finds is all there is: never replaced unsynced. */
	s = zm_store_new(dir, member, NULL);
	ck_assert_int_eq(zm_store_load(s), 2);
	d2 = zm_store_get(s, "01-1-7");
	zm_doc_cancel(s, d2, 6.0);
	before = fsyncs;
	ck_assert_int_eq(zm_doc_save(s, d2, 0), 0);
	ck_assert_int_ge(fsyncs, before + 1);
	json_decref(doc);
	json_decref(doc2);
	zm_store_free(s);
}
END_TEST

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Reads an entry; returns "" or the refusal. */
static const char *
spool_try(int dfd, const char *name)
{
	static char why[512];
	struct buf b = BUF_INIT;

	why[0] = '\0';
	if (zm_spool_read(dfd, name, &b, why, sizeof(why)) == 0)
		why[0] = '\0';
	else
		ck_assert_msg(why[0] != '\0', "%s refused without a reason", name);
	buf_free(&b);
	return why;
}

/* What a user who may write the spool plants for a root daemon: a symlink
 * to a secret, a fifo (an open would block the daemon), a hard link, a
 * huge file, and rejected/ as a symlink out of the spool. */
START_TEST(spool_hostile)
{
	char spool[128], secret[128], outside[128], p[256], q[256], big[ZM_SPOOL_MAX + 2];
	struct buf b = BUF_INIT;
	struct stat st;
	char why[512];
	int dfd;

	snprintf(spool, sizeof(spool), "%s/spool", dir);
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	snprintf(outside, sizeof(outside), "%s/outside", dir);
	ck_assert_int_eq(mkdir(spool, 0750), 0);
	ck_assert_int_eq(mkdir(outside, 0750), 0);
	write_text(secret, "root:SECRET-HASH:19000:0:99999:7:::\n");
	ck_assert_int_ge(dfd = open(spool, O_RDONLY | O_DIRECTORY), 0);

	snprintf(p, sizeof(p), "%s/good.json", spool);
	write_text(p, "{\"name\": \"x.test\"}");
	ck_assert_int_eq(zm_spool_read(dfd, "good.json", &b, why, sizeof(why)), 0);
	ck_assert_str_eq(b.data, "{\"name\": \"x.test\"}");
	buf_free(&b);

	snprintf(p, sizeof(p), "%s/link.json", spool);
	ck_assert_int_eq(symlink(secret, p), 0);
	ck_assert_str_eq(spool_try(dfd, "link.json"), "a symbolic link: refused");
	snprintf(p, sizeof(p), "%s/fifo.json", spool);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_str_eq(spool_try(dfd, "fifo.json"), "not a regular file: refused");
	snprintf(p, sizeof(p), "%s/hard.json", spool);
	ck_assert_int_eq(link(secret, p), 0);
	ck_assert_str_eq(spool_try(dfd, "hard.json"), "a file with 2 links: refused");
	snprintf(p, sizeof(p), "%s/big.json", spool);
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_text(p, big);
	ck_assert_str_eq(spool_try(dfd, "big.json"), "larger than 1048576 bytes: refused");
	ck_assert_str_eq(spool_try(dfd, "none.json"), "No such file or directory");

	/* rejected/ planted as a symlink out of the spool: moved aside. */
	snprintf(p, sizeof(p), "%s/rejected", spool);
	ck_assert_int_eq(symlink(outside, p), 0);
	zm_spool_reject(dfd, "link.json", "a symbolic link: refused");
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	snprintf(q, sizeof(q), "%s/link.json", outside);
	ck_assert_int_eq(access(q, F_OK), -1);
	/* the link itself moved, its target untouched */
	snprintf(q, sizeof(q), "%s/rejected/link.json", spool);
	ck_assert_int_eq(lstat(q, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(buf_read_file(&b, secret, 4096), 0);
	ck_assert_str_eq(b.data, "root:SECRET-HASH:19000:0:99999:7:::\n");
	buf_free(&b);
	snprintf(q, sizeof(q), "%s/rejected/link.json.why", spool);
	ck_assert_int_eq(buf_read_file(&b, q, 4096), 0);
	ck_assert_str_eq(b.data, "a symbolic link: refused\n");
	buf_free(&b);
	zm_spool_reject(dfd, "fifo.json", "not a regular file: refused");
	snprintf(q, sizeof(q), "%s/rejected/fifo.json", spool);
	ck_assert_int_eq(lstat(q, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	close(dfd);
}
END_TEST

START_TEST(hostile_documents)
{
	struct zm_store *s = zm_store_new(dir, member, NULL);
	const char *bad[] = {
		"{\"name\": \"x.test\"}",				/* no id */
		"{\"_id\": \"../x\", \"name\": \"x.test\"}",		/* a path */
		"{\"_id\": \"A-1\", \"name\": \"x.test\"}",		/* upper case */
		"{\"_id\": \"01-1\", \"name\": \"a..b\"}",		/* bad request */
		"{\"_id\": \"01-1\", \"name\": \"x.test\", \"results\": 3}",
		"{\"_id\": \"01-1\", \"name\": \"x.test\", \"request\": {\"x\": 1}}",
		"{\"_id\": \"0123456789012345678901234567890123456789012345678\", \"name\": \"x.test\"}",
		NULL
	};
	int changed;

	for (int i = 0; bad[i]; i++) {
		json_t *j = json_loads(bad[i], 0, NULL);

		ck_assert_msg(zm_store_merge(s, j, &changed) == NULL, "accepted %s", bad[i]);
		json_decref(j);
	}
	/* results with the wrong shape are skipped, the document kept */
	json_t *j = json_loads("{\"_id\": \"01-2\", \"name\": \"x.test\", \"results\": [1, {},"
	    "{\"nodename\": 5, \"start_time\": 1, \"messages\": []}]}", 0, NULL);
	struct zm_doc *d = zm_store_merge(s, j, &changed);

	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(json_array_size(json_object_get(d->doc, "results")), 0);
	json_decref(j);
	ck_assert_int_eq(zm_id_valid("01a206c0a269-1-1"), 1);
	ck_assert_int_eq(zm_id_valid(""), 0);
	ck_assert_int_eq(zm_id_valid("-1"), 0);
	ck_assert_int_eq(zm_id_valid("a/b"), 0);
	zm_store_free(s);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("zmworker");
	TCase *t = tcase_create("requests");
	TCase *st = tcase_create("store");

	/* run_output_bounded parses 16 MiB of a runaway's output: seconds
	 * under ASan on a loaded 2-core machine, past check's default 4. */
	tcase_set_timeout(t, 120);

	tcase_add_test(t, seed_requests);
	tcase_add_test(t, hostile_requests);
	tcase_add_test(t, labels);
	tcase_add_test(t, argv_from_request);
	tcase_add_test(t, output_lines);
	tcase_add_test(t, run_confined);
	tcase_add_test(t, run_output_bounded);
	tcase_add_test(t, run_refusals);
	suite_add_tcase(s, t);
	tcase_add_checked_fixture(st, store_setup, store_teardown);
	tcase_add_test(st, claims);
	tcase_add_test(st, merge_any_order);
	tcase_add_test(st, progress_and_finish);
	tcase_add_test(st, save_and_load);
	tcase_add_test(st, save_never_tears_durable);
	tcase_add_test(st, hostile_documents);
	tcase_add_test(st, spool_hostile);
	suite_add_tcase(s, st);
	return s;
}
