/* The client side of zmworkerd's IPC, for zmctl and the agent. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qb/qbipcc.h>

#include "understudy/clock.h"
#include "understudy/net.h"
#include "zmipc.h"

/* A blocking receive on shared memory never notices that the daemon died
 * (kill -9 in the middle of a request): wait in slices, and look at the
 * connection between them. */
static ssize_t
recv_answer(qb_ipcc_connection_t *c, char *resp, int timeout_ms)
{
	long deadline = timeout_ms >= 0 ? clock_ms() + timeout_ms : -1;
	ssize_t n;

	for (;;) {
		int slice = 500;

		if (deadline >= 0) {
			long left = deadline - clock_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			if (left < slice)
				slice = (int)left;
		}
		n = qb_ipcc_recv(c, resp, ZM_IPC_MAX, slice);
		if (n != -ETIMEDOUT && n != -EAGAIN)
			return n;
		if (!qb_ipcc_is_connected(c))
			return -ENOTCONN;
	}
}

/* The project's one way to trust a local socket (net_peer_is: the
 * kernel's SO_PEERCRED), on libqb's connection socket: root, or our own
 * user for a zmworkerd a user runs for itself. Anyone else took the name
 * first. */
static int
server_trusted(qb_ipcc_connection_t *c, const char *name, char *why, size_t whylen)
{
	char peer[256];
	int32_t fd = -1;

	if (qb_ipcc_fd_get(c, &fd) != 0 || fd < 0) {
		snprintf(why, whylen, "%s: no socket to learn who serves it: refused", name);
		return 0;
	}
	if (net_peer_is(fd, 0, NULL, NULL, peer, sizeof(peer)) == 0 ||
	    (geteuid() != 0 && net_peer_is(fd, geteuid(), NULL, NULL, peer, sizeof(peer)) == 0))
		return 1;
	snprintf(why, whylen, "%s is served by %s, not by root%s: not zmworkerd, refused "
	    "(another process took its name)", name, peer, geteuid() == 0 ? "" : " or us");
	return 0;
}

enum zm_call_result
zm_call(const char *group, json_t *req, int timeout_ms, json_t **answer, char *why,
    size_t whylen)
{
	struct qb_ipc_request_header *h;
	const size_t hl = sizeof(struct qb_ipc_response_header);
	char name[160], *text = json_dumps(req, JSON_COMPACT), *resp;
	size_t len = text ? strlen(text) : 0;
	qb_ipcc_connection_t *c;
	json_error_t jerr;
	ssize_t n;

	*answer = NULL;
	snprintf(name, sizeof(name), "%s%s", ZM_IPC_PREFIX, group);
	if (text == NULL || len + sizeof(*h) + 1 > ZM_IPC_MAX) {
		free(text);
		snprintf(why, whylen, "request too large");
		return ZM_CALL_NODAEMON;
	}
	if ((c = qb_ipcc_connect(name, ZM_IPC_MAX)) == NULL) {
		snprintf(why, whylen, "no zmworkerd for group %s here: %s", group,
		    strerror(errno));
		free(text);
		return ZM_CALL_NODAEMON;
	}
	if (!server_trusted(c, name, why, whylen)) {
		qb_ipcc_disconnect(c);
		free(text);
		return ZM_CALL_UNTRUSTED;
	}
	h = calloc(1, sizeof(*h) + len + 1);
	resp = malloc(ZM_IPC_MAX);
	if (h == NULL || resp == NULL)
		abort();
	h->id = ZM_IPC_ID;
	h->size = (int32_t)(sizeof(*h) + len + 1);
	memcpy(h + 1, text, len + 1);
	free(text);
	n = qb_ipcc_send(c, h, (size_t)h->size);
	free(h);
	if (n >= 0)
		n = recv_answer(c, resp, timeout_ms);
	qb_ipcc_disconnect(c);
	if (n == -ETIMEDOUT || n == -EAGAIN) {
		free(resp);
		snprintf(why, whylen, "no answer within %d ms", timeout_ms);
		return ZM_CALL_TIMEOUT;
	}
	if (n < (ssize_t)hl) {
		snprintf(why, whylen, "no answer from zmworkerd: %s",
		    n < 0 ? strerror((int)-n) : "short reply");
		free(resp);
		return ZM_CALL_NODAEMON;
	}
	*answer = json_loadb(resp + hl, strnlen(resp + hl, (size_t)n - hl), JSON_DECODE_ANY, &jerr);
	free(resp);
	if (*answer == NULL) {
		snprintf(why, whylen, "unreadable answer: %s", jerr.text);
		return ZM_CALL_NODAEMON;
	}
	return ZM_CALL_OK;
}
