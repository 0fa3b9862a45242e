/* zmworkerd's IPC face for zmctl. submit answers once the request is on
 * disk here and delivered back by the cluster (so every member has it);
 * wait answers when the document is done or cancelled; cancel when the
 * cancel is delivered. Only root and the daemon's own user may connect. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "understudy/log.h"
#include "zmd.h"
#include "zmipc.h"

enum wait_kind { W_SUBMIT, W_DONE, W_CANCEL, W_BULK };

struct waiter {
	LIST_ENTRY(waiter) link;
	qb_ipcs_connection_t	*c;
	char			 id[ZM_ID_MAX];
	enum wait_kind		 kind;
	json_t			*answer;	/* W_BULK: [{"id"} | {"error"}] */
	json_t			*left;		/* W_BULK: ids not delivered yet */
};

static LIST_HEAD(, waiter) waiters = LIST_HEAD_INITIALIZER(waiters);

static void
respond(qb_ipcs_connection_t *c, json_t *v)
{
	struct qb_ipc_response_header *h;
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t len = text ? strlen(text) : 0;

	json_decref(v);
	if (text == NULL)
		return;
	if (len + sizeof(*h) + 1 > ZM_IPC_MAX) {
		free(text);
		text = strdup("{\"error\":\"answer too large for IPC\"}");
		len = strlen(text);
	}
	h = calloc(1, sizeof(*h) + len + 1);
	if (h == NULL)
		abort();
	h->id = ZM_IPC_ID;
	h->size = (int32_t)(sizeof(*h) + len + 1);
	memcpy(h + 1, text, len + 1);
	if (qb_ipcs_response_send(c, h, (size_t)h->size) < 0)
		log_warn("zmworkerd: cannot answer zmctl");
	free(h);
	free(text);
}

static json_t *
error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *
error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{ss}", "error", msg);
}

static void
wait_add(qb_ipcs_connection_t *c, const char *id, enum wait_kind kind)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (w == NULL)
		abort();
	w->c = c;
	w->kind = kind;
	snprintf(w->id, sizeof(w->id), "%s", id);
	qb_ipcs_connection_ref(c);
	LIST_INSERT_HEAD(&waiters, w, link);
}

static void
wait_free(struct waiter *w)
{
	json_decref(w->answer);
	json_decref(w->left);
	LIST_REMOVE(w, link);
	qb_ipcs_connection_unref(w->c);
	free(w);
}

static int
wait_ready(const struct waiter *w, struct zm_doc *d)
{
	enum zm_status st = zm_doc_status(d);

	switch (w->kind) {
	case W_SUBMIT:
		return 1;
	case W_BULK:
		json_object_del(w->left, d->id);
		return json_object_size(w->left) == 0;
	case W_DONE:
		return st == ZM_DONE || st == ZM_CANCELLED;
	case W_CANCEL:
		return json_object_get(d->doc, "cancelled") != NULL;
	}
	return 0;
}

static json_t *
doc_view(struct zm_doc *d)
{
	json_t *v = json_deep_copy(d->doc);

	json_object_set_new(v, "status", json_string(zm_status_name(zm_doc_status(d))));
	return v;
}

void
zmd_ipc_doc_changed(struct zm_doc *d)
{
	struct waiter *w, *next;

	for (w = LIST_FIRST(&waiters); w != NULL; w = next) {
		next = LIST_NEXT(w, link);
		if (w->kind == W_BULK) {
			if (wait_ready(w, d)) {
				respond(w->c, json_incref(w->answer));
				wait_free(w);
			}
			continue;
		}
		if (strcmp(w->id, d->id) != 0 || !wait_ready(w, d))
			continue;
		if (w->kind == W_SUBMIT)
			respond(w->c, json_pack("{ss}", "id", d->id));
		else
			respond(w->c, doc_view(d));
		wait_free(w);
	}
}

static json_t *
cmd_list(const json_t *req)
{
	const char *want = json_string_value(json_object_get(req, "status"));
	qb_map_iter_t *it = qb_map_iter_create(zmd.store->all);
	json_t *out = json_array();
	void *v;

	while (qb_map_iter_next(it, &v) != NULL) {
		struct zm_doc *d = v;
		const char *st = zm_status_name(zm_doc_status(d));

		if (want != NULL && strcmp(want, st) != 0)
			continue;
		json_array_append_new(out, json_pack("{sO sO ss si}", "_id",
		    json_object_get(d->doc, "_id"), "name", json_object_get(d->doc, "name"),
		    "status", st, "results",
		    (int)json_array_size(json_object_get(d->doc, "results"))));
	}
	qb_map_iter_free(it);
	return out;
}

/* Many requests in one call (CouchDB's _bulk_docs habit): one answer per
 * request, in order, once every accepted one is delivered. */
static json_t *
submit_bulk(qb_ipcs_connection_t *c, json_t *docs)
{
	json_t *answer = json_array(), *left = json_object(), *doc;
	char newid[ZM_ID_MAX], why[512];
	struct waiter *w;
	size_t i;

	json_array_foreach(docs, i, doc) {
		if (zmd_submit(doc, newid, sizeof(newid), why, sizeof(why)) < 0) {
			json_array_append_new(answer, json_pack("{ss}", "error", why));
			continue;
		}
		json_array_append_new(answer, json_pack("{ss}", "id", newid));
		json_object_set_new(left, newid, json_true());
	}
	if (json_object_size(left) == 0) {
		json_decref(left);
		return answer;
	}
	wait_add(c, "", W_BULK);
	w = LIST_FIRST(&waiters);
	w->answer = answer;
	w->left = left;
	return NULL;
}

/* Returns the answer, or NULL when the answer comes later (a waiter). */
static json_t *
handle(qb_ipcs_connection_t *c, const json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	const char *id = json_string_value(json_object_get(req, "id"));
	struct zm_doc *d = NULL;
	char newid[ZM_ID_MAX], why[512];

	if (cmd == NULL)
		return error("no command");
	if (strcmp(cmd, "status") == 0)
		return zmd_status();
	if (strcmp(cmd, "list") == 0)
		return cmd_list(req);
	if (strcmp(cmd, "submit") == 0 && json_is_array(json_object_get(req, "doc")))
		return submit_bulk(c, json_object_get(req, "doc"));
	if (strcmp(cmd, "submit") == 0) {
		if (zmd_submit(json_object_get(req, "doc"), newid, sizeof(newid), why,
		    sizeof(why)) < 0)
			return error("%s", why);
		wait_add(c, newid, W_SUBMIT);
		return NULL;
	}
	if (id == NULL || !zm_id_valid(id))
		return error("%s: a document id is needed", cmd);
	if ((d = zm_store_get(zmd.store, id)) == NULL)
		return error("%s: no such document", id);
	if (strcmp(cmd, "get") == 0)
		return doc_view(d);
	if (strcmp(cmd, "wait") == 0) {
		struct waiter probe = { .kind = W_DONE };

		if (wait_ready(&probe, d))
			return doc_view(d);
		wait_add(c, id, W_DONE);
		return NULL;
	}
	if (strcmp(cmd, "cancel") == 0) {
		enum zm_status st = zm_doc_status(d);

		if (st == ZM_DONE || st == ZM_CANCELLED)
			return doc_view(d);
		zmd_send(json_pack("{ss ss sf}", "t", "cancel", "id", id, "when", zmd_now()));
		wait_add(c, id, W_CANCEL);
		return NULL;
	}
	return error("%s: unknown command", cmd);
}

static int32_t
msg_process(qb_ipcs_connection_t *c, void *data, size_t size)
{
	const struct qb_ipc_request_header *h = data;
	json_error_t jerr;
	json_t *req, *ans;

	if (size < sizeof(*h)) {
		respond(c, error("short request"));
		return 0;
	}
	req = json_loadb((const char *)(h + 1), size - sizeof(*h) -
	    (((const char *)data)[size - 1] == '\0'), JSON_REJECT_DUPLICATES, &jerr);
	if (req == NULL) {
		respond(c, error("request: %s", jerr.text));
		return 0;
	}
	ans = handle(c, req);
	json_decref(req);
	if (ans != NULL)
		respond(c, ans);
	return 0;
}

static int32_t
conn_accept(qb_ipcs_connection_t *c, uid_t uid, gid_t gid)
{
	(void)c;
	(void)gid;
	return uid == 0 || uid == geteuid() ? 0 : -EPERM;
}

static void
conn_destroyed(qb_ipcs_connection_t *c)
{
	struct waiter *w, *next;

	for (w = LIST_FIRST(&waiters); w != NULL; w = next) {
		next = LIST_NEXT(w, link);
		if (w->c == c)
			wait_free(w);
	}
}

static int32_t
conn_closed(qb_ipcs_connection_t *c)
{
	conn_destroyed(c);
	return 0;
}

static int32_t
dispatch_add(enum qb_loop_priority p, int32_t fd, int32_t evts, void *data,
    qb_ipcs_dispatch_fn_t fn)
{
	return qb_loop_poll_add(zmd.loop, p, fd, evts, data, fn);
}

static int32_t
dispatch_mod(enum qb_loop_priority p, int32_t fd, int32_t evts, void *data,
    qb_ipcs_dispatch_fn_t fn)
{
	return qb_loop_poll_mod(zmd.loop, p, fd, evts, data, fn);
}

static int32_t
dispatch_del(int32_t fd)
{
	return qb_loop_poll_del(zmd.loop, fd);
}

static int32_t
job_add(enum qb_loop_priority p, void *data, qb_loop_job_dispatch_fn fn)
{
	return qb_loop_job_add(zmd.loop, p, data, fn);
}

int
zmd_ipc_init(void)
{
	static struct qb_ipcs_service_handlers sh = {
		.connection_accept = conn_accept,
		.msg_process = msg_process,
		.connection_closed = conn_closed,
		.connection_destroyed = conn_destroyed,
	};
	static struct qb_ipcs_poll_handlers ph = {
		.job_add = job_add,
		.dispatch_add = dispatch_add,
		.dispatch_mod = dispatch_mod,
		.dispatch_del = dispatch_del,
	};
	int rc;

	zmd.ipcs = qb_ipcs_create(zmd.ipc_name, 0, QB_IPC_SHM, &sh);
	if (zmd.ipcs == NULL)
		return -1;
	qb_ipcs_enforce_buffer_size(zmd.ipcs, ZM_IPC_MAX);
	qb_ipcs_poll_handlers_set(zmd.ipcs, &ph);
	if ((rc = qb_ipcs_run(zmd.ipcs)) != 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

void
zmd_ipc_fini(void)
{
	if (zmd.ipcs != NULL)
		qb_ipcs_destroy(zmd.ipcs);
}
