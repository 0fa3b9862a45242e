/* zmctl — talks to the local zmworkerd; prints JSON.
 *
 *   zmctl [-g GROUP] submit [FILE|-]      prints {"id": ...}
 *   zmctl [-g GROUP] get ID
 *   zmctl [-g GROUP] list [--pending|--running|--done|--cancelled]
 *   zmctl [-g GROUP] wait [-t SECONDS] ID
 *   zmctl [-g GROUP] cancel ID
 *   zmctl [-g GROUP] status
 *
 * Exit status: 0 done, 1 refused by the daemon (the reason on stderr),
 * 2 usage, 3 no daemon, 4 wait timed out. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <qb/qbipcc.h>

#include "understudy/buf.h"
#include "zmipc.h"

#define EX_REFUSED	1
#define EX_USAGE_ZM	2
#define EX_NODAEMON	3
#define EX_TIMEOUT	4
#define IPC_MAX		(4 * 1024 * 1024)

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

static int
call(const char *group, json_t *req, int timeout_ms, json_t **answer)
{
	struct qb_ipc_request_header *h;
	char name[160], *text = json_dumps(req, JSON_COMPACT);
	size_t len = strlen(text);
	qb_ipcc_connection_t *c;
	char *resp;
	ssize_t n;
	json_error_t jerr;

	snprintf(name, sizeof(name), "%s%s", ZM_IPC_PREFIX, group);
	if ((c = qb_ipcc_connect(name, IPC_MAX)) == NULL) {
		fprintf(stderr, "zmctl: no zmworkerd for group %s here: %s\n", group,
		    strerror(errno));
		exit(EX_NODAEMON);
	}
	if (len + sizeof(*h) + 1 > IPC_MAX) {
		fprintf(stderr, "zmctl: request too large\n");
		exit(EX_REFUSED);
	}
	h = calloc(1, sizeof(*h) + len + 1);
	resp = malloc(IPC_MAX);
	if (h == NULL || resp == NULL)
		abort();
	h->id = ZM_IPC_ID;
	h->size = (int32_t)(sizeof(*h) + len + 1);
	memcpy(h + 1, text, len + 1);
	free(text);
	if ((n = qb_ipcc_send(c, h, (size_t)h->size)) < 0) {
		fprintf(stderr, "zmctl: send: %s\n", strerror((int)-n));
		exit(EX_NODAEMON);
	}
	free(h);
	n = qb_ipcc_recv(c, resp, IPC_MAX, timeout_ms);
	qb_ipcc_disconnect(c);
	if (n == -ETIMEDOUT || n == -EAGAIN) {
		free(resp);
		return EX_TIMEOUT;
	}
	if (n < (ssize_t)sizeof(struct qb_ipc_response_header)) {
		fprintf(stderr, "zmctl: no answer from zmworkerd: %s\n",
		    n < 0 ? strerror((int)-n) : "short reply");
		exit(EX_NODAEMON);
	}
	*answer = json_loadb(resp + sizeof(struct qb_ipc_response_header),
	    strnlen(resp + sizeof(struct qb_ipc_response_header),
	    (size_t)n - sizeof(struct qb_ipc_response_header)), JSON_DECODE_ANY, &jerr);
	free(resp);
	if (*answer == NULL) {
		fprintf(stderr, "zmctl: unreadable answer: %s\n", jerr.text);
		exit(EX_NODAEMON);
	}
	return 0;
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
	int timeout_ms = -1, ch, rc;

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
	rc = call(group, req, timeout_ms, &ans);
	json_decref(req);
	if (rc == EX_TIMEOUT) {
		fprintf(stderr, "zmctl: %s: not finished within the wait time\n", argv[optind]);
		return EX_TIMEOUT;
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
