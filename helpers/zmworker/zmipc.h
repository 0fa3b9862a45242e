/* zmctl <-> zmworkerd over libqb IPC (shared memory rings): one JSON
 * object per message after libqb's header. Requests {"cmd": ...};
 * answers are a JSON value, or {"error": "..."}. */
#ifndef ZM_IPC_H
#define ZM_IPC_H

/* The service name for a CPG group (one daemon per group and node). */
#define ZM_IPC_PREFIX	"understudy-zm-"
#define ZM_IPC_ID	1
#define ZM_IPC_MAX	(4 * 1024 * 1024)	/* largest message, both ways */

#include <jansson.h>

enum zm_call_result {
	ZM_CALL_OK,
	ZM_CALL_NODAEMON,	/* no zmworkerd for the group, or it went away */
	ZM_CALL_TIMEOUT		/* no answer within timeout_ms */
};

/* One request, one answer (a JSON value, or {"error": ...} when refused).
 * timeout_ms < 0 waits for ever. The reason of a failure goes to why. */
enum zm_call_result zm_call(const char *group, json_t *req, int timeout_ms,
	    json_t **answer, char *why, size_t whylen);

#endif
