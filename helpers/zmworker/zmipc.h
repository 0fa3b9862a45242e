/* zmctl <-> zmworkerd over libqb IPC (shared memory rings): one JSON
 * object per message after libqb's header. Requests {"cmd": ...};
 * answers are a JSON value, or {"error": "..."}. */
#ifndef ZM_IPC_H
#define ZM_IPC_H

/* The service name for a CPG group (one daemon per group and node). */
#define ZM_IPC_PREFIX	"understudy-zm-"
#define ZM_IPC_ID	1
#define ZM_IPC_MAX	(4 * 1024 * 1024)	/* largest message, both ways */
/* zonemaster-cli runs as this user by default; the Debian package creates it. */
#define ZM_USER_DEFAULT	"_zmworker"

#include <jansson.h>

enum zm_call_result {
	ZM_CALL_OK,
	ZM_CALL_NODAEMON,	/* no zmworkerd for the group, or it went away */
	ZM_CALL_TIMEOUT,	/* no answer within timeout_ms */
	ZM_CALL_UNTRUSTED	/* the server is not root or us: nothing was sent */
};

/* One request, one answer (a JSON value, or {"error": ...} when refused),
 * only to a server run by root or by our own user: libqb names are
 * abstract sockets anyone may bind first (CVE-2018-16877's class).
 * timeout_ms < 0 waits for ever. The reason of a failure goes to why. */
enum zm_call_result zm_call(const char *group, json_t *req, int timeout_ms,
	    json_t **answer, char *why, size_t whylen);

#endif
