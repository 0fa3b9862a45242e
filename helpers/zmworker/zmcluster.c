/* The cluster side of zmworkerd: CPG membership and the protocol, every
 * message a JSON object {"t": TYPE, ...} multicast in agreed order:
 *   hello      {node, max}            who a member is (sent on every view)
 *   submit     {doc, claim?}          a new request, claimed by its sender
 *                                     when it has a free slot
 *   claim      {id, node, start}      the first one delivered wins
 *   progress   {id, node, start, from, messages}
 *   done       {id, result}
 *   cancel     {id, when}
 *   state      {docs: [...]}          a member's documents, after a view change
 *   sync-end   {view}                 its last state message for that view
 * Every node applies the same messages in the same order to the same state,
 * so each decides every claim the same way. After a view change the state
 * differs until every member's documents arrived (sync-end from all): claims
 * delivered in that window are void on every node, and no node claims then
 * or without quorum. Merges are unions (zmdoc.h), so a partition that heals
 * keeps both sides' results. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "understudy/log.h"
#include "zmd.h"
#include "zmreq.h"

struct zmd_out {
	STAILQ_ENTRY(zmd_out) link;
	char	*text;
	size_t	 len;
};

struct zmd_sendq {
	STAILQ_HEAD(, zmd_out) q;
	qb_loop_timer_handle timer;
	int	 timer_set;
};

static struct zmd_sendq sendq = { STAILQ_HEAD_INITIALIZER(sendq.q), 0, 0 };

static void flush(void);

static void
flush_timer(void *data)
{
	(void)data;
	sendq.timer_set = 0;
	flush();
}

static void
flush(void)
{
	struct zmd_out *o;

	while ((o = STAILQ_FIRST(&sendq.q)) != NULL) {
		struct iovec iov = { o->text, o->len };
		cs_error_t rc = cpg_mcast_joined(zmd.cpg, CPG_TYPE_AGREED, &iov, 1);

		if (rc == CS_ERR_TRY_AGAIN) {
			if (!sendq.timer_set) {
				sendq.timer_set = 1;
				qb_loop_timer_add(zmd.loop, QB_LOOP_HIGH, 5 * QB_TIME_NS_IN_MSEC,
				    NULL, flush_timer, &sendq.timer);
			}
			return;
		}
		if (rc != CS_OK)
			fatal(1, "zmworkerd: multicast failed (error %d): lost corosync", rc);
		zmd.unacked++;
		STAILQ_REMOVE_HEAD(&sendq.q, link);
		free(o->text);
		free(o);
	}
}

void
zmd_send(json_t *msg)
{
	struct zmd_out *o = calloc(1, sizeof(*o));

	if (o == NULL || (o->text = json_dumps(msg, JSON_COMPACT)) == NULL)
		abort();
	o->len = strlen(o->text);
	json_decref(msg);
	STAILQ_INSERT_TAIL(&sendq.q, o, link);
	flush();
}

int
zmd_send_idle(void)
{
	return STAILQ_EMPTY(&sendq.q) && zmd.unacked == 0;
}

double
zmd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000) / 1e6;
}

/* ------------------------------------------------------------ members */

static struct zmd_member *
member_find(uint32_t nodeid, uint32_t pid)
{
	for (size_t i = 0; i < zmd.nmembers; i++)
		if (zmd.members[i].nodeid == nodeid && zmd.members[i].pid == pid)
			return &zmd.members[i];
	return NULL;
}

int
zmd_is_member_name(const char *name, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < zmd.nmembers; i++)
		if (strcmp(zmd.members[i].name, name) == 0)
			return 1;
	return 0;
}

static int
member_cmp(const void *a, const void *b)
{
	const struct zmd_member *x = a, *y = b;

	if (x->nodeid != y->nodeid)
		return x->nodeid < y->nodeid ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static size_t
my_rank(void)
{
	for (size_t i = 0; i < zmd.nmembers; i++)
		if (zmd.members[i].nodeid == zmd.nodeid && zmd.members[i].pid == zmd.pid)
			return i;
	return 0;
}

/* ------------------------------------------------------------ claims */

static int
inflight_has(const char *id)
{
	for (size_t i = 0; i < zmd.ninflight; i++)
		if (strcmp(zmd.inflight[i], id) == 0)
			return 1;
	return 0;
}

static void
inflight_del(const char *id)
{
	for (size_t i = 0; i < zmd.ninflight; i++)
		if (strcmp(zmd.inflight[i], id) == 0) {
			memmove(zmd.inflight[i], zmd.inflight[i + 1],
			    (zmd.ninflight - i - 1) * sizeof(zmd.inflight[0]));
			zmd.ninflight--;
			return;
		}
}

static unsigned
id_hash(const char *id)
{
	unsigned h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h;
}

static double
claim_time(void)
{
	static double last;
	double start = zmd_now();

	if (start <= last)
		start = last + 1e-6;	/* a run is named by node and start */
	last = start;
	return start;
}

/* Free slots for new claims; 0 when this node may not claim at all. */
static long
can_claim(void)
{
	long free = (long)zmd.max_parallel - (long)zmd.nruns - (long)zmd.ninflight;

	if (zmd.stopping || !zmd.synced || !zmd.quorate || free <= 0)
		return 0;
	return free;
}

static void
claim(const char *id)
{
	double start = claim_time();

	strcpy(zmd.inflight[zmd.ninflight++], id);
	zmd_send(json_pack("{ss ss ss sf}", "t", "claim", "id", id, "node", zmd.nodename,
	    "start", start));
}

/* Claims up to the free slots: first the pending documents whose hash
 * points at this member (so idle nodes rarely race for the same one), then
 * any other; a lost race only costs a message. */
void
zmd_schedule(void)
{
	size_t nm = zmd.nmembers ? zmd.nmembers : 1, rank = my_rank();
	long free = can_claim();

	for (int pass = 0; pass < 2 && free > 0; pass++) {
		qb_map_iter_t *it = qb_map_iter_create(zmd.store->pending);
		const char *id;
		void *v;

		while (free > 0 && (id = qb_map_iter_next(it, &v)) != NULL) {
			if (inflight_has(id))
				continue;
			if (pass == 0 && id_hash(id) % nm != rank)
				continue;
			claim(id);
			free--;
		}
		qb_map_iter_free(it);
	}
}

/* ------------------------------------------------------------ delivery */

static void
save(struct zm_doc *d, int durable)
{
	zm_doc_save(zmd.store, d, durable);
}

static void
on_submit(json_t *m, int mine)
{
	json_t *c;
	int changed;
	struct zm_doc *d = zm_store_merge(zmd.store, json_object_get(m, "doc"), &changed);

	if (d == NULL) {
		log_warn("zmworkerd: a malformed submit was ignored");
		return;
	}
	if (changed && !mine)
		save(d, 0);
	/* The sender's claim (see zmd_submit): valid even while a view syncs,
	 * nobody else can have claimed a document that was just born. */
	if ((c = json_object_get(m, "claim")) != NULL && !mine &&
	    json_is_string(json_object_get(c, "node")))
		zm_doc_claim(zmd.store, d, json_string_value(json_object_get(c, "node")),
		    json_number_value(json_object_get(c, "start")));
	zmd_ipc_doc_changed(d);
}

/* c = {node, start}, for d (NULL: unknown here). */
static void
decide_claim(struct zm_doc *d, json_t *c, int mine)
{
	const char *node = json_string_value(json_object_get(c, "node"));
	double start = json_number_value(json_object_get(c, "start"));
	int won = 0;

	if (node == NULL)
		return;
	if (mine && d != NULL)
		inflight_del(d->id);
	/* Void while the view is syncing: every member knows it is. */
	if (d != NULL && zmd.synced)
		won = zm_doc_claim(zmd.store, d, node, start);
	if (!mine)
		return;
	if (won) {
		zmd.claims_won++;
		zmd_run_begin(d, start);
	} else
		zmd.claims_lost++;
}

static void
on_claim(json_t *m, int mine)
{
	const char *id = json_string_value(json_object_get(m, "id"));
	struct zm_doc *d = id ? zm_store_get(zmd.store, id) : NULL;

	if (mine && d == NULL && id != NULL)
		inflight_del(id);
	decide_claim(d, m, mine);
}

static void
on_progress(json_t *m)
{
	const char *id = json_string_value(json_object_get(m, "id"));
	const char *node = json_string_value(json_object_get(m, "node"));
	struct zm_doc *d = id ? zm_store_get(zmd.store, id) : NULL;

	if (d == NULL || node == NULL)
		return;
	zm_doc_progress(d, node, json_number_value(json_object_get(m, "start")),
	    (size_t)json_integer_value(json_object_get(m, "from")),
	    json_object_get(m, "messages"));
}

static void
on_done(json_t *m, int mine)
{
	const char *id = json_string_value(json_object_get(m, "id"));
	struct zm_doc *d = id ? zm_store_get(zmd.store, id) : NULL;

	if (d == NULL)
		return;
	if (zm_doc_finish(zmd.store, d, json_object_get(m, "result")) && !mine)
		save(d, 0);
	zmd_ipc_doc_changed(d);
}

static void
on_cancel(json_t *m)
{
	const char *id = json_string_value(json_object_get(m, "id"));
	struct zm_doc *d = id ? zm_store_get(zmd.store, id) : NULL;

	if (d == NULL)
		return;
	if (zm_doc_cancel(zmd.store, d, json_number_value(json_object_get(m, "when"))))
		save(d, 0);
	zmd_run_cancel(id);
	zmd_ipc_doc_changed(d);
}

static void
on_state(json_t *m)
{
	json_t *doc;
	size_t i;

	json_array_foreach(json_object_get(m, "docs"), i, doc) {
		int changed;
		struct zm_doc *d = zm_store_merge(zmd.store, doc, &changed);

		if (d != NULL && changed) {
			save(d, 0);
			zmd_ipc_doc_changed(d);
		}
	}
}

static void
on_sync_end(json_t *m, uint32_t nodeid, uint32_t pid)
{
	const char *view = json_string_value(json_object_get(m, "view"));
	struct zmd_member *mb = member_find(nodeid, pid);

	if (view == NULL || mb == NULL || strcmp(view, zmd.view) != 0 || zmd.synced)
		return;
	mb->sync_done = 1;
	for (size_t i = 0; i < zmd.nmembers; i++)
		if (!zmd.members[i].sync_done)
			return;
	zmd.synced = 1;
	log_info("zmworkerd: view [%s] synced: %zu pending, %zu running, %zu done", zmd.view,
	    zm_store_count(zmd.store, ZM_PENDING), zm_store_count(zmd.store, ZM_RUNNING),
	    zm_store_count(zmd.store, ZM_DONE));
}

static void
deliver_cb(cpg_handle_t h, const struct cpg_name *g, uint32_t nodeid, uint32_t pid,
    void *msg, size_t len)
{
	int mine = nodeid == zmd.nodeid && pid == zmd.pid;
	json_error_t jerr;
	json_t *m = json_loadb(msg, len, 0, &jerr);
	const char *t = json_string_value(json_object_get(m, "t"));

	(void)h;
	(void)g;
	if (mine && zmd.unacked > 0)
		zmd.unacked--;
	if (t == NULL) {
		log_warn("zmworkerd: an unreadable message from node %u was ignored", nodeid);
		json_decref(m);
		return;
	}
	if (strcmp(t, "hello") == 0) {
		struct zmd_member *mb = member_find(nodeid, pid);
		const char *name = json_string_value(json_object_get(m, "node"));

		if (mb != NULL && name != NULL) {
			snprintf(mb->name, sizeof(mb->name), "%s", name);
			mb->max_parallel = (int)json_integer_value(json_object_get(m, "max"));
		}
	} else if (strcmp(t, "submit") == 0)
		on_submit(m, mine);
	else if (strcmp(t, "claim") == 0)
		on_claim(m, mine);
	else if (strcmp(t, "progress") == 0)
		on_progress(m);
	else if (strcmp(t, "done") == 0)
		on_done(m, mine);
	else if (strcmp(t, "cancel") == 0)
		on_cancel(m);
	else if (strcmp(t, "state") == 0)
		on_state(m);
	else if (strcmp(t, "sync-end") == 0)
		on_sync_end(m, nodeid, pid);
	json_decref(m);
	zmd_schedule();
	zmd_maybe_exit();
}

/* Our documents in messages of at most ZMD_MSG_MAX bytes. */
static void
send_state(void)
{
	qb_map_iter_t *it = qb_map_iter_create(zmd.store->all);
	json_t *docs = json_array();
	size_t bytes = 0;
	void *v;

	while (qb_map_iter_next(it, &v) != NULL) {
		struct zm_doc *d = v;
		size_t sz = json_dumpb(d->doc, NULL, 0, JSON_COMPACT);

		if (json_array_size(docs) > 0 && bytes + sz > ZMD_MSG_MAX / 2) {
			zmd_send(json_pack("{ss so}", "t", "state", "docs", docs));
			docs = json_array();
			bytes = 0;
		}
		json_array_append(docs, d->doc);
		bytes += sz;
	}
	qb_map_iter_free(it);
	if (json_array_size(docs) > 0)
		zmd_send(json_pack("{ss so}", "t", "state", "docs", docs));
	else
		json_decref(docs);
}

static void
confchg_cb(cpg_handle_t h, const struct cpg_name *g,
    const struct cpg_address *members, size_t nmembers,
    const struct cpg_address *left, size_t nleft,
    const struct cpg_address *joined, size_t njoined)
{
	struct zmd_member old[ZMD_MEMBERS_MAX];
	size_t nold = zmd.nmembers, dropped, off = 0;

	(void)h;
	(void)g;
	(void)joined;
	memcpy(old, zmd.members, sizeof(old));
	zmd.nmembers = 0;
	for (size_t i = 0; i < nmembers && i < ZMD_MEMBERS_MAX; i++) {
		struct zmd_member *mb = &zmd.members[zmd.nmembers++];

		memset(mb, 0, sizeof(*mb));
		mb->nodeid = members[i].nodeid;
		mb->pid = members[i].pid;
		for (size_t j = 0; j < nold; j++)
			if (old[j].nodeid == mb->nodeid && old[j].pid == mb->pid) {
				memcpy(mb->name, old[j].name, sizeof(mb->name));
				mb->max_parallel = old[j].max_parallel;
			}
	}
	qsort(zmd.members, zmd.nmembers, sizeof(zmd.members[0]), member_cmp);
	zmd.view[0] = '\0';
	for (size_t i = 0; i < zmd.nmembers; i++)
		off += (size_t)snprintf(zmd.view + off, off < sizeof(zmd.view) ?
		    sizeof(zmd.view) - off : 0, "%s%u:%u", i ? " " : "",
		    zmd.members[i].nodeid, zmd.members[i].pid);
	for (size_t i = 0; i < nleft; i++)
		log_info("zmworkerd: member %u:%u left (reason %u)", left[i].nodeid, left[i].pid,
		    left[i].reason);
	/* A member that left (even one back under a new pid) runs nothing. */
	dropped = zm_store_drop_gone(zmd.store);
	if (dropped > 0)
		log_info("zmworkerd: %zu run(s) of departed members are pending again", dropped);
	zmd.joined = member_find(zmd.nodeid, zmd.pid) != NULL;
	zmd.synced = 0;
	log_info("zmworkerd: view [%s], %zu joined, %zu left: syncing", zmd.view, njoined, nleft);
	if (!zmd.joined)
		return;
	zmd_send(json_pack("{ss ss si}", "t", "hello", "node", zmd.nodename, "max",
	    zmd.max_parallel));
	send_state();
	zmd_send(json_pack("{ss ss}", "t", "sync-end", "view", zmd.view));
}

/* ------------------------------------------------------------ setup */

static int
cpg_dispatch_cb(int32_t fd, int32_t revents, void *data)
{
	(void)fd;
	(void)data;
	if ((revents & (POLLERR | POLLHUP)) ||
	    cpg_dispatch(zmd.cpg, CS_DISPATCH_ALL) != CS_OK)
		fatal(1, "zmworkerd: lost the connection to corosync");
	return 0;
}

static void
quorum_cb(quorum_handle_t h, uint32_t quorate, uint64_t ring_seq, uint32_t n,
    uint32_t *view)
{
	(void)h;
	(void)ring_seq;
	(void)n;
	(void)view;
	if ((int)quorate != zmd.quorate)
		log_info("zmworkerd: quorum %s", quorate ? "gained" : "lost: not claiming");
	zmd.quorate = (int)quorate;
	zmd_schedule();
}

static int
quorum_dispatch_cb(int32_t fd, int32_t revents, void *data)
{
	(void)fd;
	(void)data;
	if ((revents & (POLLERR | POLLHUP)) ||
	    quorum_dispatch(zmd.quorum, CS_DISPATCH_ALL) != CS_OK)
		fatal(1, "zmworkerd: lost the connection to corosync's quorum service");
	return 0;
}

static cs_error_t
retry(cs_error_t (*fn)(void *), void *arg)
{
	cs_error_t rc;

	for (int i = 0; i < 50; i++) {
		if ((rc = fn(arg)) != CS_ERR_TRY_AGAIN)
			return rc;
		usleep(100000);
	}
	return rc;
}

static cs_error_t
do_join(void *arg)
{
	return cpg_join(zmd.cpg, arg);
}

int
zmd_cluster_init(void)
{
	static cpg_model_v1_data_t model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = deliver_cb,
		.cpg_confchg_fn = confchg_cb,
	};
	static quorum_callbacks_t qcb = { .quorum_notify_fn = quorum_cb };
	struct cpg_name name;
	uint32_t qtype;
	int fd, q = 0;
	cs_error_t rc;

	if (strlen(zmd.group) >= sizeof(name.value))
		fatal(1, "zmworkerd: group name too long");
	if ((rc = cpg_model_initialize(&zmd.cpg, CPG_MODEL_V1, (cpg_model_data_t *)&model,
	    NULL)) != CS_OK)
		fatal(1, "zmworkerd: cannot connect to corosync's CPG service (error %d): "
		    "is corosync running?", rc);
	cpg_local_get(zmd.cpg, &zmd.nodeid);
	zmd.pid = (uint32_t)getpid();
	if ((rc = quorum_initialize(&zmd.quorum, &qcb, &qtype)) != CS_OK)
		fatal(1, "zmworkerd: cannot connect to corosync's quorum service (error %d)", rc);
	quorum_trackstart(zmd.quorum, CS_TRACK_CHANGES);
	quorum_getquorate(zmd.quorum, &q);
	zmd.quorate = q;
	name.length = (uint32_t)strlen(zmd.group);
	memcpy(name.value, zmd.group, name.length);
	if ((rc = retry(do_join, &name)) != CS_OK)
		fatal(1, "zmworkerd: cannot join CPG group %s (error %d)", zmd.group, rc);
	cpg_fd_get(zmd.cpg, &fd);
	qb_loop_poll_add(zmd.loop, QB_LOOP_HIGH, fd, POLLIN, NULL, cpg_dispatch_cb);
	quorum_fd_get(zmd.quorum, &fd);
	qb_loop_poll_add(zmd.loop, QB_LOOP_HIGH, fd, POLLIN, NULL, quorum_dispatch_cb);
	log_info("zmworkerd: node %s (id %u) joining group %s, %s", zmd.nodename, zmd.nodeid,
	    zmd.group, q ? "quorate" : "not quorate");
	return 0;
}

void
zmd_cluster_fini(void)
{
	cpg_finalize(zmd.cpg);
	quorum_finalize(zmd.quorum);
}

int
zmd_submit(json_t *request, char *id, size_t idlen, char *why, size_t whylen)
{
	struct zm_req req;
	struct zm_doc *d;
	json_t *doc, *msg;
	int changed;

	if (zm_req_check(request, &req, why, whylen) < 0)
		return -1;
	if (zmd.stopping || !zmd.joined) {
		snprintf(why, whylen, "this node is %s", zmd.stopping ? "stopping" :
		    "not in the cluster");
		return -1;
	}
	zm_id_new(id, idlen, zmd.nodeid);
	doc = json_deep_copy(request);
	json_object_set_new(doc, "_id", json_string(id));
	if (json_object_get(doc, "request") == NULL)
		json_object_set_new(doc, "request", json_object());
	json_object_set_new(doc, "results", json_array());
	d = zm_store_merge(zmd.store, doc, &changed);
	if (d == NULL || zm_doc_save(zmd.store, d, 1) < 0) {
		snprintf(why, whylen, "cannot store the request: %s", strerror(errno));
		json_decref(doc);
		return -1;
	}
	msg = json_pack("{ss sO}", "t", "submit", "doc", doc);
	/* With a free slot here, the claim rides with the request. No other
	 * node can know the id before this message (our own state messages
	 * follow it), so the claim is the first for it on every node: it wins
	 * for sure, and the test starts now instead of a round trip later. */
	if (can_claim() > 0) {
		double start = claim_time();

		json_object_set_new(msg, "claim", json_pack("{ss sf}", "node", zmd.nodename,
		    "start", start));
		zm_doc_claim(zmd.store, d, zmd.nodename, start);
		zmd.claims_won++;
		zmd_send(msg);		/* before any result of the run can be sent */
		zmd_run_begin(d, start);
	} else
		zmd_send(msg);
	json_decref(doc);
	return 0;
}

json_t *
zmd_status(void)
{
	json_t *members = json_array();

	for (size_t i = 0; i < zmd.nmembers; i++) {
		const struct zmd_member *mb = &zmd.members[i];
		qb_map_iter_t *it = qb_map_iter_create(zmd.store->all);
		int running = 0;
		void *v;

		while (qb_map_iter_next(it, &v) != NULL) {
			const struct zm_doc *d = v;
			json_t *r;
			size_t j;

			json_array_foreach(json_object_get(d->doc, "results"), j, r)
				if (json_object_get(r, "end_time") == NULL &&
				    strcmp(json_string_value(json_object_get(r, "nodename")),
				    mb->name) == 0)
					running++;
		}
		qb_map_iter_free(it);
		json_array_append_new(members, json_pack("{si si ss si si}", "nodeid",
		    (int)mb->nodeid, "pid", (int)mb->pid, "name", mb->name, "max_parallel",
		    mb->max_parallel, "running", running));
	}
	return json_pack("{ss si ss sb sb sb sb so si si si si si si si}", "node", zmd.nodename,
	    "nodeid", (int)zmd.nodeid, "group", zmd.group, "joined", zmd.joined,
	    "synced", zmd.synced, "quorate", zmd.quorate, "stopping", zmd.stopping,
	    "members", members, "max_parallel", zmd.max_parallel,
	    "running_here", (int)zmd.nruns,
	    "pending", (int)zm_store_count(zmd.store, ZM_PENDING),
	    "running", (int)zm_store_count(zmd.store, ZM_RUNNING),
	    "done", (int)zm_store_count(zmd.store, ZM_DONE),
	    "cancelled", (int)zm_store_count(zmd.store, ZM_CANCELLED),
	    "started_here", (int)zmd.started);
}
