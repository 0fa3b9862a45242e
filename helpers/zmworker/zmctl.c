/* zmctl — talks to the local zmworkerd; prints JSON.
 *
 *   zmctl [-g GROUP] submit [FILE|-]      prints {"id": ...}; a JSON array of
 *                                         requests gets an array of answers
 *   zmctl [-g GROUP] get ID
 *   zmctl [-g GROUP] list [--pending|--running|--done|--cancelled]
 *   zmctl [-g GROUP] wait [-t SECONDS] ID
 *   zmctl [-g GROUP] cancel ID
 *   zmctl [-g GROUP] status
 *
 * Exit status: 0 done, 1 refused by the daemon (the reason on stderr),
 * 2 usage, 3 no daemon (or none that answers within a minute), 4 wait
 * timed out, 5 the server is not zmworkerd (not run by root or by us). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include "zmipc.h"

#define EX_REFUSED	1
#define EX_USAGE_ZM	2
#define EX_NODAEMON	3
#define EX_TIMEOUT	4
#define EX_UNTRUSTED	5

static void
usage(void)
{
	fprintf(stderr,
	    "usage: zmctl [-g GROUP] submit [FILE|-]\n"
	    "       zmctl [-g GROUP] get ID\n"
	    "       zmctl [-g GROUP] list [--pending|--running|--done|--cancelled]\n"
	    "       zmctl [-g GROUP] wait [-t SECONDS] ID\n"
	    "       zmctl [-g GROUP] cancel ID\n"
	    "       zmctl [-g GROUP] status\n");
	exit(EX_USAGE_ZM);
}

static json_t *
read_doc(const char *path)
{
	json_error_t jerr;
	json_t *doc;

	if (strcmp(path, "-") == 0)
		doc = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	else
		doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "zmctl: %s: line %d: %s\n", path, jerr.line, jerr.text);
		exit(EX_REFUSED);
	}
	return doc;
}

int
main(int argc, char **argv)
{
	const char *group = "zmworker", *cmd;
	json_t *req, *ans = NULL;
	char why[512];
	int timeout_ms = 60000, ch, rc;	/* a daemon that answers nothing in a minute is stuck */

	while ((ch = getopt(argc, argv, "+g:h")) != -1) {
		if (ch == 'g')
			group = optarg;
		else
			usage();
	}
	if (optind >= argc)
		usage();
	cmd = argv[optind++];
	req = json_pack("{ss}", "cmd", cmd);
	if (strcmp(cmd, "submit") == 0) {
		if (argc - optind > 1)
			usage();
		json_object_set_new(req, "doc", read_doc(optind < argc ? argv[optind] : "-"));
	} else if (strcmp(cmd, "list") == 0) {
		if (optind < argc) {
			const char *f = argv[optind++];

			if (strncmp(f, "--", 2) != 0 || optind < argc)
				usage();
			json_object_set_new(req, "status", json_string(f + 2));
		}
	} else if (strcmp(cmd, "status") == 0) {
		if (optind < argc)
			usage();
	} else if (strcmp(cmd, "get") == 0 || strcmp(cmd, "wait") == 0 ||
	    strcmp(cmd, "cancel") == 0) {
		if (strcmp(cmd, "wait") == 0)
			timeout_ms = -1;
		if (strcmp(cmd, "wait") == 0 && optind + 1 < argc &&
		    strcmp(argv[optind], "-t") == 0) {
			char *end;
			double s = strtod(argv[optind + 1], &end);

			if (*end || s < 0)
				usage();
			timeout_ms = (int)(s * 1000);
			optind += 2;
		}
		if (argc - optind != 1)
			usage();
		json_object_set_new(req, "id", json_string(argv[optind]));
	} else
		usage();
	rc = zm_call(group, req, timeout_ms, &ans, why, sizeof(why));
	json_decref(req);
	if (rc == ZM_CALL_TIMEOUT && strcmp(cmd, "wait") == 0) {
		fprintf(stderr, "zmctl: %s: not finished within the wait time\n", argv[optind]);
		return EX_TIMEOUT;
	}
	if (rc == ZM_CALL_TIMEOUT) {
		fprintf(stderr, "zmctl: zmworkerd did not answer within %d s\n", timeout_ms / 1000);
		return EX_NODAEMON;
	}
	if (rc != ZM_CALL_OK) {
		fprintf(stderr, "zmctl: %s\n", why);
		return rc == ZM_CALL_UNTRUSTED ? EX_UNTRUSTED : EX_NODAEMON;
	}
	if (json_is_object(ans) && json_object_get(ans, "error") != NULL) {
		fprintf(stderr, "zmctl: %s\n", json_string_value(json_object_get(ans, "error")));
		json_decref(ans);
		return EX_REFUSED;
	}
	json_dumpf(ans, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(16));
	putchar('\n');
	json_decref(ans);
	return 0;
}
