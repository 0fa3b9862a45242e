/* Document store and the merge rules (see zmdoc.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "understudy/log.h"
#include "zmdoc.h"
#include "zmreq.h"

int
zm_id_valid(const char *id)
{
	size_t n = 0;

	for (; id[n] != '\0'; n++)
		if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'z') ||
		    id[n] == '-'))
			return 0;
	return n > 0 && n < ZM_ID_MAX && id[0] != '-';
}

void
zm_id_new(char *out, size_t outlen, unsigned nodeid)
{
	static unsigned counter;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, outlen, "%012llx-%x-%x",
	    (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000,
	    nodeid, ++counter);
}

struct zm_store *
zm_store_new(const char *dir, zm_member_fn member, void *ctx)
{
	struct zm_store *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->dir = strdup(dir)) == NULL)
		abort();
	s->all = qb_skiplist_create();
	s->pending = qb_skiplist_create();
	s->member = member;
	s->member_ctx = ctx;
	return s;
}

void
zm_store_free(struct zm_store *s)
{
	qb_map_iter_t *it;
	void *v;

	if (s == NULL)
		return;
	it = qb_map_iter_create(s->all);
	while (qb_map_iter_next(it, &v) != NULL) {
		struct zm_doc *d = v;

		json_decref(d->doc);
		free(d);
	}
	qb_map_iter_free(it);
	qb_map_destroy(s->pending);
	qb_map_destroy(s->all);
	free(s->dir);
	free(s);
}

static int
run_finished(const json_t *r)
{
	return json_object_get(r, "end_time") != NULL;
}

static double
run_start(const json_t *r)
{
	return json_number_value(json_object_get(r, "start_time"));
}

static const char *
run_node(const json_t *r)
{
	const char *n = json_string_value(json_object_get(r, "nodename"));

	return n ? n : "";
}

/* Start times are microseconds; a file round trip may change the last bit. */
static int
same_time(double a, double b)
{
	return fabs(a - b) < 5e-7;
}

/* Two runs are the same when the same node started them at the same time
 * (the claim's time travels in the message, so every node has it exact). */
static int
run_same(const json_t *a, const json_t *b)
{
	return strcmp(run_node(a), run_node(b)) == 0 && same_time(run_start(a), run_start(b));
}

enum zm_status
zm_doc_status(const struct zm_doc *d)
{
	json_t *results = json_object_get(d->doc, "results"), *r;
	int running = 0;
	size_t i;

	if (json_object_get(d->doc, "cancelled") != NULL)
		return ZM_CANCELLED;	/* whatever ran, the user said stop */
	json_array_foreach(results, i, r) {
		if (run_finished(r))
			return ZM_DONE;
		running = 1;
	}
	return running ? ZM_RUNNING : ZM_PENDING;
}

const char *
zm_status_name(enum zm_status st)
{
	static const char *const names[] = { "pending", "running", "done", "cancelled" };

	return names[st];
}

static void
refresh(struct zm_store *s, struct zm_doc *d)
{
	if (zm_doc_status(d) == ZM_PENDING)
		qb_map_put(s->pending, d->id, d);
	else
		qb_map_rm(s->pending, d->id);
}

struct zm_doc *
zm_store_get(struct zm_store *s, const char *id)
{
	return qb_map_get(s->all, id);
}

size_t
zm_store_count(struct zm_store *s, enum zm_status st)
{
	qb_map_iter_t *it;
	size_t n = 0;
	void *v;

	if (st == ZM_PENDING)
		return qb_map_count_get(s->pending);
	it = qb_map_iter_create(s->all);
	while (qb_map_iter_next(it, &v) != NULL)
		n += zm_doc_status(v) == st;
	qb_map_iter_free(it);
	return n;
}

json_t *
zm_doc_run(const struct zm_doc *d, const char *node, double start)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(d->doc, "results"), i, r)
		if (strcmp(run_node(r), node) == 0 && same_time(run_start(r), start))
			return r;
	return NULL;
}

/* Adds or improves one result; 1 when the document changed. */
static int
merge_run(struct zm_store *s, json_t *results, const json_t *r)
{
	json_t *have;
	size_t i;

	if (!json_is_object(r) || !json_is_string(json_object_get(r, "nodename")) ||
	    !json_is_number(json_object_get(r, "start_time")) ||
	    !json_is_array(json_object_get(r, "messages")))
		return 0;
	if (!run_finished(r) && s->member && !s->member(run_node(r), s->member_ctx))
		return 0;	/* a run of a node that is gone: it will run again */
	json_array_foreach(results, i, have) {
		if (!run_same(have, r))
			continue;
		if (run_finished(have))
			return 0;
		if (run_finished(r) || json_array_size(json_object_get(r, "messages")) >
		    json_array_size(json_object_get(have, "messages"))) {
			json_array_set_new(results, i, json_deep_copy(r));
			return 1;
		}
		return 0;
	}
	json_array_append_new(results, json_deep_copy(r));
	return 1;
}

static int
doc_shape_ok(const json_t *doc)
{
	const char *id = json_string_value(json_object_get(doc, "_id"));
	const json_t *res = json_object_get(doc, "results");

	return json_is_object(doc) && id != NULL && zm_id_valid(id) &&
	    json_is_string(json_object_get(doc, "name")) &&
	    (res == NULL || json_is_array(res));
}

struct zm_doc *
zm_store_merge(struct zm_store *s, const json_t *doc, int *changed)
{
	struct zm_doc *d;
	const json_t *r, *c;
	json_t *results;
	size_t i;

	*changed = 0;
	if (!doc_shape_ok(doc))
		return NULL;
	d = qb_map_get(s->all, json_string_value(json_object_get(doc, "_id")));
	if (d == NULL) {
		struct zm_req req;
		char why[256];
		json_t *copy = json_object();

		/* The request part must be one we would have accepted. */
		json_object_set(copy, "name", json_object_get(doc, "name"));
		if (json_object_get(doc, "request") != NULL)
			json_object_set(copy, "request", json_object_get(doc, "request"));
		if (zm_req_check(copy, &req, why, sizeof(why)) < 0) {
			json_decref(copy);
			return NULL;
		}
		if ((d = calloc(1, sizeof(*d))) == NULL)
			abort();
		snprintf(d->id, sizeof(d->id), "%s", json_string_value(json_object_get(doc, "_id")));
		json_object_set_new(copy, "_id", json_string(d->id));
		if (json_object_get(copy, "request") == NULL)
			json_object_set_new(copy, "request", json_object());
		json_object_set_new(copy, "results", json_array());
		d->doc = copy;
		qb_map_put(s->all, d->id, d);
		*changed = 1;
	}
	results = json_object_get(d->doc, "results");
	json_array_foreach(json_object_get(doc, "results"), i, r)
		*changed |= merge_run(s, results, r);
	c = json_object_get(doc, "cancelled");
	if (json_is_number(c))
		*changed |= zm_doc_cancel(s, d, json_number_value(c));
	refresh(s, d);
	return d;
}

int
zm_doc_claim(struct zm_store *s, struct zm_doc *d, const char *node, double start)
{
	const char *name = json_string_value(json_object_get(d->doc, "name"));
	char alabel[ZM_NAME_MAX + 1], why[160];
	json_t *r;

	if (zm_doc_status(d) != ZM_PENDING || zm_doc_run(d, node, start) != NULL ||
	    zm_name_alabel(name, alabel, sizeof(alabel), why, sizeof(why)) < 0)
		return 0;
	r = json_pack("{ss ss ss sf s[]}", "alabel", alabel, "ulabel", name,
	    "nodename", node, "start_time", start, "messages");
	json_array_append_new(json_object_get(d->doc, "results"), r);
	refresh(s, d);
	return 1;
}

void
zm_doc_progress(struct zm_doc *d, const char *node, double start, size_t from,
    const json_t *messages)
{
	json_t *r = zm_doc_run(d, node, start), *have, *m;
	size_t i;

	if (r == NULL || run_finished(r))
		return;
	have = json_object_get(r, "messages");
	json_array_foreach(messages, i, m)
		if (from + i == json_array_size(have))
			json_array_append(have, m);
}

int
zm_doc_finish(struct zm_store *s, struct zm_doc *d, const json_t *result)
{
	int changed = run_finished(result) &&
	    merge_run(s, json_object_get(d->doc, "results"), result);

	refresh(s, d);
	return changed;
}

int
zm_doc_cancel(struct zm_store *s, struct zm_doc *d, double when)
{
	json_t *c = json_object_get(d->doc, "cancelled");

	if (c != NULL && json_number_value(c) <= when)
		return 0;
	json_object_set_new(d->doc, "cancelled", json_real(when));
	refresh(s, d);
	return 1;
}

size_t
zm_store_drop_gone(struct zm_store *s)
{
	qb_map_iter_t *it = qb_map_iter_create(s->all);
	size_t dropped = 0;
	void *v;

	while (qb_map_iter_next(it, &v) != NULL) {
		struct zm_doc *d = v;
		json_t *results = json_object_get(d->doc, "results");

		for (size_t i = 0; i < json_array_size(results); ) {
			json_t *r = json_array_get(results, i);

			if (!run_finished(r) && !s->member(run_node(r), s->member_ctx)) {
				json_array_remove(results, i);
				dropped++;
			} else
				i++;
		}
		refresh(s, d);
	}
	qb_map_iter_free(it);
	return dropped;
}

/* Written without fsync unless durable: a copy held for another node is
 * re-sent by the cluster after a crash (a torn new file is set aside as
 * .bad at load); the receiving node's request and the runner's result are
 * the ones that must survive power loss. */
static int
write_file(const char *path, const char *text, int durable)
{
	char tmp[4200];
	size_t len = strlen(text), off = 0;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (durable && fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

int
zm_doc_save(struct zm_store *s, struct zm_doc *d, int durable)
{
	json_t *copy = json_deep_copy(d->doc), *results = json_object_get(copy, "results");
	char path[4096], *text;
	int rc;

	for (size_t i = 0; i < json_array_size(results); ) {
		if (!run_finished(json_array_get(results, i)))
			json_array_remove(results, i);
		else
			i++;
	}
	text = json_dumps(copy, JSON_COMPACT | JSON_REAL_PRECISION(16));
	json_decref(copy);
	if (text == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/%s.json", s->dir, d->id);
	/* Renaming an unsynced file over a durable one can leave, after a
	 * crash, the new name with none of its data: the request is gone. */
	durable |= d->durable;
	rc = write_file(path, text, durable);
	if (rc == 0 && durable) {
		int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			fsync(dfd);	/* the rename itself */
			close(dfd);
		}
		d->durable = 1;
	}
	if (rc < 0)
		log_err("zmworker: cannot write %s: %s", path, strerror(errno));
	free(text);
	return rc;
}

int
zm_store_load(struct zm_store *s)
{
	DIR *dir = opendir(s->dir);
	struct dirent *de;
	int n = 0;

	if (dir == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		char path[4096], bad[4200];
		size_t len = strlen(de->d_name);
		struct zm_doc *d;
		json_error_t jerr;
		json_t *doc;
		int changed;

		snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
		if (len > 9 && strcmp(de->d_name + len - 9, ".json.tmp") == 0) {
			unlink(path);	/* a write cut short; the original is intact */
			continue;
		}
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
		if (doc == NULL || (d = zm_store_merge(s, doc, &changed)) == NULL) {
			log_err("zmworker: %s: %s; kept as .bad", path,
			    doc ? "not a zmworker document" : jerr.text);
			snprintf(bad, sizeof(bad), "%s.bad", path);
			rename(path, bad);
		} else {
			d->durable = 1;	/* what survived is all we have: never torn */
			n++;
		}
		json_decref(doc);
	}
	closedir(dir);
	return n;
}
