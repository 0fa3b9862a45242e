#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "understudy/ocf.h"
#include "understudy/run.h"
#include "check_main.h"

#define USDUMMY	TOP_BUILDDIR "/tests/agent/usdummy"

enum { P_NAME, P_COUNT, P_FLAG, P_PROG, P_SECRET, P_NODES };

static const struct ocf_param params[] = {
	{ "name", OCF_STRING, OCF_P_REQUIRED | OCF_P_UNIQUE, NULL, 0, 0, NULL,
	  "A name", "The <name> & \"quotes\"." },
	{ "count", OCF_INTEGER, 0, "5", 1, 10, NULL, "Count", NULL },
	{ "flag", OCF_BOOLEAN, 0, "no", 0, 0, NULL, "Flag", NULL },
	{ "prog", OCF_STRING, 0, NULL, 0, 0, ocf_v_program, "Program", NULL },
	{ "secret", OCF_STRING, OCF_P_SECRET, NULL, 0, 0, ocf_v_abs_path, "Secret", NULL },
	{ "nodes", OCF_STRING, 0, NULL, 0, 0, ocf_v_nodes, "Nodes", NULL },
	{ NULL }
};

static enum ocf_exitcode
nop(struct ocf_rsc *r)
{
	return OCF_SUCCESS;
}

static const struct ocf_action actions[] = {
	{ "start", nop, 30, 0, NULL, 0 },
	{ "monitor", nop, 20, 10, NULL, 0 },
	{ "monitor", nop, 20, 11, "Promoted", 0 },
	{ NULL }
};

static const struct ocf_agent agent = {
	.name = "testagent", .version = "1.0", .shortdesc = "Test",
	.longdesc = "Test agent.", .params = params, .actions = actions,
};

/* key=value pairs standing in for OCF_RESKEY_* */
static const char *const *kv;

static const char *
lookup(void *ctx, const char *name)
{
	for (int i = 0; kv[i]; i += 2)
		if (strcmp(kv[i], name) == 0)
			return kv[i + 1];
	return NULL;
}

static enum ocf_exitcode
load(const char *const *pairs, struct ocf_rsc *r, char *why)
{
	kv = pairs;
	ocf_rsc_init(r, &agent, "start");
	why[0] = '\0';
	return ocf_params_load(r, lookup, NULL, why, 512);
}

START_TEST(defaults_and_types)
{
	static const char *const in[] = { "name", "x", "flag", "True", NULL };
	struct ocf_rsc r;
	char why[512];

	ck_assert_int_eq(load(in, &r, why), OCF_SUCCESS);
	ck_assert_str_eq(ocf_str(&r, P_NAME), "x");
	ck_assert_int_eq(ocf_int(&r, P_COUNT), 5);
	ck_assert_int_eq(ocf_bool(&r, P_FLAG), 1);
	ck_assert(!ocf_is_set(&r, P_PROG));
	ck_assert_str_eq(ocf_str(&r, P_PROG), "");
	ocf_rsc_free(&r);
}
END_TEST

START_TEST(required_missing)
{
	static const char *const in[] = { "count", "3", NULL };
	static const char *const empty[] = { "name", "", NULL };
	struct ocf_rsc r;
	char why[512];

	ck_assert_int_eq(load(in, &r, why), OCF_ERR_CONFIGURED);
	ck_assert_str_eq(why, "required parameter name is not set");
	ocf_rsc_free(&r);
	ck_assert_int_eq(load(empty, &r, why), OCF_ERR_CONFIGURED);
	ocf_rsc_free(&r);
}
END_TEST

START_TEST(bad_values_name_the_parameter)
{
	static const char *const cases[][5] = {
		{ "name", "x", "count", "abc", "count=\"abc\": is not an integer" },
		{ "name", "x", "count", "11", "count=\"11\": is out of range 1..10" },
		{ "name", "x", "count", "5x", "count=\"5x\": is not an integer" },
		{ "name", "x", "count", "99999999999999999999999", "is not an integer" },
		{ "name", "x", "flag", "maybe", "flag=\"maybe\": is not a boolean" },
		{ "name", "x", "nodes", "a=1 a=2", "nodes=\"a=1 a=2\": node \"a\" listed twice" },
		{ "name", "x", "nodes", "a=1:0", "bad address or port" },
	};
	struct ocf_rsc r;
	char why[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *in[] = { cases[i][0], cases[i][1], cases[i][2], cases[i][3], NULL };

		ck_assert_int_eq(load(in, &r, why), OCF_ERR_CONFIGURED);
		ck_assert_msg(strstr(why, cases[i][4]) != NULL, "got \"%s\"", why);
		ocf_rsc_free(&r);
	}
}
END_TEST

START_TEST(installed_vs_configured)
{
	static const char *const missing[] = { "name", "x", "prog", "no-such-prog-us", NULL };
	static const char *const both[] = { "name", "x", "prog", "no-such-prog-us",
	    "count", "0", NULL };
	struct ocf_rsc r;
	char why[512];

	ck_assert_int_eq(load(missing, &r, why), OCF_ERR_INSTALLED);
	ck_assert_ptr_nonnull(strstr(why, "prog=\"no-such-prog-us\": program not found"));
	ocf_rsc_free(&r);
	/* A bad value anywhere outranks a program missing on this node. */
	ck_assert_int_eq(load(both, &r, why), OCF_ERR_CONFIGURED);
	ck_assert_ptr_nonnull(strstr(why, "count"));
	ocf_rsc_free(&r);
}
END_TEST

START_TEST(secret_not_echoed)
{
	static const char *const in[] = { "name", "x", "secret", "hunter2", NULL };
	struct ocf_rsc r;
	char why[512];

	ck_assert_int_eq(load(in, &r, why), OCF_ERR_CONFIGURED);
	ck_assert_ptr_null(strstr(why, "hunter2"));
	ck_assert_ptr_nonnull(strstr(why, "secret"));
	ocf_rsc_free(&r);
}
END_TEST

START_TEST(parse_helpers)
{
	long v;
	int b;

	ck_assert_int_eq(ocf_parse_long(" 42 ", &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(ocf_parse_long("-7", &v), 0);
	ck_assert_int_eq(v, -7);
	ck_assert_int_eq(ocf_parse_long("", &v), -1);
	ck_assert_int_eq(ocf_parse_long("0x10", &v), -1);
	ck_assert_int_eq(ocf_parse_bool("YES", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(ocf_parse_bool("off", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(ocf_parse_bool("2", &b), -1);
}
END_TEST

START_TEST(meta_data_valid_against_dtd)
{
	struct buf b = BUF_INIT, out = BUF_INIT;
	char path[] = "/tmp/us-md-XXXXXX";
	const char *argv[] = { "xmllint", "--noout", "--dtdvalid", RA_API_DTD, path, NULL };
	struct run_cmd c = { .argv = argv, .out = &out, .merge_stderr = 1 };
	struct run_result r;
	FILE *fp;
	int fd = mkstemp(path);

	ocf_meta_data(&agent, &b);
	fp = fdopen(fd, "w");
	fputs(buf_str(&b), fp);
	fclose(fp);
	ck_assert_int_eq(run(&c, &r), RUN_EXITED);
	ck_assert_msg(r.exit_code == 0, "xmllint: %s", buf_str(&out));
	ck_assert_ptr_nonnull(strstr(buf_str(&b), "The &lt;name&gt; &amp; &quot;quotes&quot;."));
	ck_assert_ptr_nonnull(strstr(buf_str(&b),
	    "<parameter name=\"name\" unique=\"1\" required=\"1\">"));
	ck_assert_ptr_nonnull(strstr(buf_str(&b), "<content type=\"integer\" default=\"5\" />"));
	ck_assert_ptr_nonnull(strstr(buf_str(&b), "<content type=\"boolean\" default=\"no\" />"));
	ck_assert_ptr_nonnull(strstr(buf_str(&b),
	    "<action name=\"monitor\" timeout=\"20s\" interval=\"11s\" role=\"Promoted\""));
	ck_assert_ptr_nonnull(strstr(buf_str(&b), "<action name=\"validate-all\""));
	unlink(path);
	buf_free(&b);
	buf_free(&out);
}
END_TEST

START_TEST(man_page_from_the_same_tables)
{
	struct buf b = BUF_INIT;

	ocf_man_page(&agent, &b);
	ck_assert_ptr_nonnull(strstr(buf_str(&b), ".TH OCF_UNDERSTUDY_testagent 7"));
	ck_assert_ptr_nonnull(strstr(buf_str(&b), ".B count (default: 5)"));
	ck_assert_ptr_nonnull(strstr(buf_str(&b), ".B name (required)"));
	ck_assert_ptr_nonnull(strstr(buf_str(&b), "monitor timeout=20s interval=11s role=Promoted"));
	buf_free(&b);
}
END_TEST

START_TEST(notify_lists)
{
	struct ocf_list l;

	ck_assert_int_eq(ocf_list_parse(" ", &l), 0);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(ocf_list_parse(NULL, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(ocf_list_parse(" node1  node2\tnode3 ", &l), 0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.v[2], "node3");
	ck_assert(ocf_list_has(&l, "node2"));
	ck_assert(!ocf_list_has(&l, "node"));
	ocf_list_free(&l);
	setenv("OCF_RESKEY_CRM_meta_notify_promote_uname", "b ", 1);
	setenv("OCF_RESKEY_CRM_meta_notify_type", " ", 1);
	ck_assert_int_eq(ocf_notify_list("promote_uname", &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_ptr_null(ocf_notify_type());
	ocf_list_free(&l);
}
END_TEST

START_TEST(clone_instance)
{
	struct ocf_rsc r;

	ocf_rsc_init(&r, &agent, "monitor");
	setenv("OCF_RESOURCE_INSTANCE", "db:3", 1);
	setenv("OCF_RESKEY_CRM_meta_interval", "0", 1);
	ocf_rsc_from_env(&r);
	ck_assert_str_eq(r.base, "db");
	ck_assert_int_eq(r.clone, 3);
	ck_assert(ocf_is_probe(&r));
	setenv("OCF_RESOURCE_INSTANCE", "web-ip", 1);
	setenv("OCF_RESKEY_CRM_meta_interval", "10000", 1);
	ocf_rsc_from_env(&r);
	ck_assert_str_eq(r.base, "web-ip");
	ck_assert_int_eq(r.clone, -1);
	ck_assert(!ocf_is_probe(&r));
	setenv("OCF_RESOURCE_INSTANCE", "anon", 1);
	setenv("OCF_RESKEY_CRM_meta_clone", "2", 1);
	ocf_rsc_from_env(&r);
	ck_assert_str_eq(r.base, "anon");
	ck_assert_int_eq(r.clone, 2);
	unsetenv("OCF_RESKEY_CRM_meta_clone");
	unsetenv("OCF_RESOURCE_INSTANCE");
	unsetenv("OCF_RESKEY_CRM_meta_interval");
	ocf_rsc_free(&r);
}
END_TEST

/* crm_mon's node list, as Pacemaker 2.1.5 prints it (the lab's 3-node
 * cut: node3 lost and not fenced yet, then fenced), and hostile cases. */
START_TEST(nodes_xml_down_clean)
{
	const char *xml =
	    "<nodes>\n"
	    "<node name=\"node1\" id=\"1\" online=\"true\" standby=\"false\" unclean=\"false\" "
	    "type=\"member\"/>\n"
	    "<node name=\"node10\" id=\"10\" online=\"false\" unclean=\"false\"/>\n"
	    "<node name=\"node3\" id=\"3\" online=\"false\" pending=\"false\" unclean=\"true\" "
	    "type=\"member\"/>\n"
	    "<node name=\"node4\" id=\"4\" online=\"false\" unclean=\"false\" type=\"member\"/>\n"
	    "<node name=\"node5\" id=\"5\"/>\n"
	    "<node name=\"a&amp;b\" id=\"7\" online=\"true\" unclean=\"false\"/>\n"
	    "</nodes>\n";

	ck_assert_int_eq(ocf_nodes_xml_down_clean(xml, "node1"), 0);	/* online */
	ck_assert_int_eq(ocf_nodes_xml_down_clean(xml, "node3"), 0);	/* lost, not fenced */
	ck_assert_int_eq(ocf_nodes_xml_down_clean(xml, "node4"), 1);	/* fenced */
	ck_assert_int_eq(ocf_nodes_xml_down_clean(xml, "node10"), 1);	/* not node1's */
	ck_assert_int_eq(ocf_nodes_xml_down_clean(xml, "node5"), -1);	/* no state */
	ck_assert_int_eq(ocf_nodes_xml_down_clean(xml, "node2"), 1);	/* removed */
	ck_assert_int_eq(ocf_nodes_xml_down_clean(xml, "a&b"), 0);	/* escaped */
	/* a name cannot reach into another tag's attributes */
	ck_assert_int_eq(ocf_nodes_xml_down_clean(xml, "node3\" id=\"3\" online=\"false"), 1);
	ck_assert_int_eq(ocf_nodes_xml_down_clean("<nodes><node name=\"node4\" online=\"false\" "
	    "unclean=\"false\"", "node4"), -1);			/* cut off */
	ck_assert_int_eq(ocf_nodes_xml_down_clean("", "node4"), -1);	/* no list */
	ck_assert_int_eq(ocf_nodes_xml_down_clean("error: no connection", "node4"), -1);
	/* a tag longer than any real one is not read */
	char big[4096];
	int n = snprintf(big, sizeof(big), "<nodes><node name=\"node4\" online=\"false\" "
	    "unclean=\"false\"");
	memset(big + n, ' ', sizeof(big) - (size_t)n - 3);
	strcpy(big + sizeof(big) - 3, "/>");
	ck_assert_int_eq(ocf_nodes_xml_down_clean(big, "node4"), -1);
}
END_TEST

START_TEST(exit_code_names)
{
	ck_assert_str_eq(ocf_exitcode_name(OCF_ERR_CONFIGURED), "OCF_ERR_CONFIGURED");
	ck_assert_str_eq(ocf_exitcode_name(OCF_FAILED_PROMOTED), "OCF_FAILED_PROMOTED");
	ck_assert_str_eq(ocf_exitcode_name((enum ocf_exitcode)42), "OCF_UNKNOWN");
}
END_TEST

/* The dispatch paths, through the real test agent binary. */
static int
agent_run(const char *const *env, const char *const *args, struct buf *out, struct buf *err)
{
	const char *argv[8] = { USDUMMY };
	struct run_cmd c = { .argv = argv, .envp = env, .out = out, .err = err,
	    .timeout_ms = 10000 };
	struct run_result r;

	for (int i = 0; args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	ck_assert_int_eq(run(&c, &r), RUN_EXITED);
	return r.exit_code;
}

START_TEST(dispatch_exit_codes)
{
	const char *env_ok[] = { "OCF_ROOT=/usr/lib/ocf", "OCF_RESOURCE_INSTANCE=t",
	    "OCF_RESKEY_state=/tmp/us-unit-dispatch.state", NULL };
	const char *env_prog[] = { "OCF_ROOT=/usr/lib/ocf", "OCF_RESKEY_program=nope-us",
	    "OCF_RESKEY_state=/tmp/us-unit-dispatch.state", "OCF_RESKEY_CRM_meta_interval=0",
	    "PATH=/usr/bin:/bin", NULL };
	const char *env_bad[] = { "OCF_ROOT=/usr/lib/ocf", "OCF_RESKEY_delay=soon",
	    "OCF_RESKEY_state=/tmp/us-unit-dispatch.state", NULL };
	const char *a_stop[] = { "stop", NULL }, *a_mon[] = { "monitor", NULL };
	const char *a_start[] = { "start", NULL }, *a_bogus[] = { "frobnicate", NULL };
	const char *a_val[] = { "validate-all", NULL }, *a_none[] = { NULL };
	const char *a_extra[] = { "start", "extra", NULL };
	struct buf err = BUF_INIT;

	unlink("/tmp/us-unit-dispatch.state");
	ck_assert_int_eq(agent_run(env_ok, a_mon, NULL, NULL), OCF_NOT_RUNNING);
	ck_assert_int_eq(agent_run(env_ok, a_stop, NULL, NULL), OCF_SUCCESS);
	ck_assert_int_eq(agent_run(env_ok, a_start, NULL, NULL), OCF_SUCCESS);
	ck_assert_int_eq(agent_run(env_ok, a_mon, NULL, NULL), OCF_SUCCESS);
	ck_assert_int_eq(agent_run(env_ok, a_stop, NULL, NULL), OCF_SUCCESS);
	ck_assert_int_eq(agent_run(env_ok, a_bogus, NULL, NULL), OCF_ERR_UNIMPLEMENTED);
	ck_assert_int_eq(agent_run(env_ok, a_none, NULL, NULL), OCF_ERR_ARGS);
	ck_assert_int_eq(agent_run(env_ok, a_extra, NULL, NULL), OCF_ERR_ARGS);
	/* A program missing on this node: a probe says not running, stop
	 * succeeds, anything else is ERR_INSTALLED with a reason. */
	ck_assert_int_eq(agent_run(env_prog, a_mon, NULL, NULL), OCF_NOT_RUNNING);
	ck_assert_int_eq(agent_run(env_prog, a_stop, NULL, NULL), OCF_SUCCESS);
	ck_assert_int_eq(agent_run(env_prog, a_start, NULL, &err), OCF_ERR_INSTALLED);
	ck_assert_ptr_nonnull(strstr(buf_str(&err),
	    "ocf-exit-reason:parameter program=\"nope-us\": program not found"));
	buf_reset(&err);
	ck_assert_int_eq(agent_run(env_bad, a_val, NULL, &err), OCF_ERR_CONFIGURED);
	ck_assert_ptr_nonnull(strstr(buf_str(&err), "ocf-exit-reason:parameter delay=\"soon\""));
	ck_assert_int_eq(agent_run(env_bad, a_start, NULL, NULL), OCF_ERR_CONFIGURED);
	buf_free(&err);
}
END_TEST

START_TEST(legacy_heartbeat_mode)
{
	char conf[] = "/tmp/us-unit-conf-XXXXXX", envc[64];
	const char *env[] = { envc, "PATH=/usr/bin:/bin", NULL };
	const char *a_start[] = { "/tmp/us-unit-legacy.state", "start", NULL };
	const char *a_status[] = { "/tmp/us-unit-legacy.state", "status", NULL };
	const char *a_stop[] = { "/tmp/us-unit-legacy.state", "stop", NULL };
	const char *a_many[] = { "/tmp/x", "y", "start", NULL };
	struct buf out = BUF_INIT, err = BUF_INIT;
	FILE *fp;
	int fd = mkstemp(conf);

	fp = fdopen(fd, "w");
	fputs("# usdummy in Heartbeat mode\ndelay = 0\n", fp);
	fclose(fp);
	snprintf(envc, sizeof(envc), "UNDERSTUDY_CONF=%s", conf);
	unlink("/tmp/us-unit-legacy.state");
	ck_assert_int_eq(agent_run(env, a_status, &out, NULL), 3);
	ck_assert_str_eq(buf_str(&out), "stopped\n");
	ck_assert_int_eq(agent_run(env, a_start, NULL, NULL), 0);
	buf_reset(&out);
	ck_assert_int_eq(agent_run(env, a_status, &out, NULL), 0);
	ck_assert_str_eq(buf_str(&out), "running\n");
	ck_assert_int_eq(agent_run(env, a_stop, NULL, NULL), 0);
	ck_assert_int_eq(access("/tmp/us-unit-legacy.state", F_OK), -1);
	ck_assert_int_eq(agent_run(env, a_many, NULL, &err), 1);
	ck_assert_ptr_nonnull(strstr(buf_str(&err), "too many arguments"));
	fp = fopen(conf, "w");
	fputs("dealy = 1\n", fp);
	fclose(fp);
	buf_reset(&err);
	ck_assert_int_eq(agent_run(env, a_start, NULL, &err), 1);
	ck_assert_ptr_nonnull(strstr(buf_str(&err), "line 1: unknown parameter dealy"));
	unlink(conf);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("ocf");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, defaults_and_types);
	tcase_add_test(tc, required_missing);
	tcase_add_test(tc, bad_values_name_the_parameter);
	tcase_add_test(tc, installed_vs_configured);
	tcase_add_test(tc, secret_not_echoed);
	tcase_add_test(tc, parse_helpers);
	tcase_add_test(tc, meta_data_valid_against_dtd);
	tcase_add_test(tc, man_page_from_the_same_tables);
	tcase_add_test(tc, notify_lists);
	tcase_add_test(tc, clone_instance);
	tcase_add_test(tc, nodes_xml_down_clean);
	tcase_add_test(tc, exit_code_names);
	tcase_add_test(tc, dispatch_exit_codes);
	tcase_add_test(tc, legacy_heartbeat_mode);
	suite_add_tcase(s, tc);
	return s;
}
