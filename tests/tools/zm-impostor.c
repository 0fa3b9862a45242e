/* A libqb server that takes zmworkerd's IPC name and answers every call
 * with a forged status, as a local user who binds the name first would
 * (the class of CVE-2018-16877). Test-only.
 *
 *   zm-impostor NAME [USER]
 *
 * With USER (when started as root) it becomes that user before binding.
 * Prints "ready" once it serves NAME; runs until killed. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qb/qbipcs.h>
#include <qb/qbloop.h>

static qb_loop_t *loop;

static const char forged[] = "{\"joined\":true,\"synced\":true,\"quorate\":true,"
    "\"id\":\"forged\",\"status\":\"done\",\"results\":[]}";

static int32_t
accept_all(qb_ipcs_connection_t *c, uid_t uid, gid_t gid)
{
	(void)c;
	(void)uid;
	(void)gid;
	return 0;
}

static int32_t
answer(qb_ipcs_connection_t *c, void *data, size_t size)
{
	struct qb_ipc_response_header *h;
	size_t len = sizeof(*h) + sizeof(forged);

	(void)data;
	(void)size;
	if ((h = calloc(1, len)) == NULL)
		abort();
	h->id = 1;
	h->size = (int32_t)len;
	memcpy(h + 1, forged, sizeof(forged));
	qb_ipcs_response_send(c, h, len);
	free(h);
	return 0;
}

static int32_t
d_add(enum qb_loop_priority p, int32_t fd, int32_t ev, void *data, qb_ipcs_dispatch_fn_t fn)
{
	return qb_loop_poll_add(loop, p, fd, ev, data, fn);
}

static int32_t
d_mod(enum qb_loop_priority p, int32_t fd, int32_t ev, void *data, qb_ipcs_dispatch_fn_t fn)
{
	return qb_loop_poll_mod(loop, p, fd, ev, data, fn);
}

static int32_t
d_del(int32_t fd)
{
	return qb_loop_poll_del(loop, fd);
}

static int32_t
j_add(enum qb_loop_priority p, void *data, qb_loop_job_dispatch_fn fn)
{
	return qb_loop_job_add(loop, p, data, fn);
}

int
main(int argc, char **argv)
{
	struct qb_ipcs_service_handlers sh = { .connection_accept = accept_all,
	    .msg_process = answer };
	struct qb_ipcs_poll_handlers ph = { .job_add = j_add, .dispatch_add = d_add,
	    .dispatch_mod = d_mod, .dispatch_del = d_del };
	qb_ipcs_service_t *s;
	struct passwd *pw;
	int rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: zm-impostor NAME [USER]\n");
		return 2;
	}
	if (argc == 3) {
		if ((pw = getpwnam(argv[2])) == NULL || setgroups(0, NULL) < 0 ||
		    setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
			fprintf(stderr, "zm-impostor: cannot become %s\n", argv[2]);
			return 1;
		}
	}
	loop = qb_loop_create();
	if ((s = qb_ipcs_create(argv[1], 0, QB_IPC_SHM, &sh)) == NULL)
		return 1;
	qb_ipcs_enforce_buffer_size(s, 4 * 1024 * 1024);
	qb_ipcs_poll_handlers_set(s, &ph);
	if ((rc = qb_ipcs_run(s)) != 0) {
		fprintf(stderr, "zm-impostor: %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	qb_loop_run(loop);
	return 0;
}
