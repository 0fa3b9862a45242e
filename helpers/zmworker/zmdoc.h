/* The documents every node holds: one per request, in the seed's format
 * plus "_id" (and "cancelled" when cancelled):
 *   {"_id", "name", "request", "results": [{alabel, ulabel, nodename,
 *    start_time, end_time, messages}], "cancelled"}
 * A result without end_time is a run in progress. Every change is a
 * union (results keyed by nodename+start_time, a finished result beats the
 * running one, cancelled is sticky), so nodes that apply the same messages
 * in any order, and exchange their documents after a partition, agree.
 * Runs in progress live in memory only: the files in DIR hold requests and
 * finished results. */
#ifndef ZM_DOC_H
#define ZM_DOC_H

#include <stddef.h>
#include <jansson.h>
#include <qb/qbmap.h>

#define ZM_ID_MAX	48

enum zm_status { ZM_PENDING, ZM_RUNNING, ZM_DONE, ZM_CANCELLED };

struct zm_doc {
	char	 id[ZM_ID_MAX];
	json_t	*doc;
	int	 durable;	/* ID.json was fsynced, or found at load */
};

/* Decides whether a node's runs in progress still count. */
typedef int (*zm_member_fn)(const char *nodename, void *ctx);

struct zm_store {
	char		*dir;		/* one ID.json per document */
	qb_map_t	*all;		/* id -> struct zm_doc, in id (= submit) order */
	qb_map_t	*pending;	/* the subset that waits for a node */
	zm_member_fn	 member;
	void		*member_ctx;
};

int	 zm_id_valid(const char *id);
/* A new id: submit time (ms, hex, so ids sort by age), node id, counter. */
void	 zm_id_new(char *out, size_t outlen, unsigned nodeid);

struct zm_store *zm_store_new(const char *dir, zm_member_fn, void *ctx);
void	 zm_store_free(struct zm_store *);
/* Reads DIR/\*.json; unreadable files are logged and renamed *.bad. */
int	 zm_store_load(struct zm_store *);
struct zm_doc *zm_store_get(struct zm_store *, const char *id);
size_t	 zm_store_count(struct zm_store *, enum zm_status);

/* Merges a document (a new request, or another node's copy). Returns the
 * document, with *changed set when anything new was learnt; NULL when doc
 * is malformed. */
struct zm_doc *zm_store_merge(struct zm_store *, const json_t *doc, int *changed);
/* The first claim for a pending document wins: adds the running result
 * and returns 1; 0 when the document is not pending. */
int	 zm_doc_claim(struct zm_store *, struct zm_doc *, const char *node, double start);
/* Appends messages (those from index `from` on) to node's run. */
void	 zm_doc_progress(struct zm_doc *, const char *node, double start, size_t from,
	    const json_t *messages);
/* Records a finished result (replaces the running one). 1 when new. */
int	 zm_doc_finish(struct zm_store *, struct zm_doc *, const json_t *result);
int	 zm_doc_cancel(struct zm_store *, struct zm_doc *, double when);
/* Forgets the runs in progress of nodes that are no longer members;
 * their documents are pending again. Returns how many were dropped. */
size_t	 zm_store_drop_gone(struct zm_store *);

enum zm_status zm_doc_status(const struct zm_doc *);
const char *zm_status_name(enum zm_status);
/* The run of node started at start, or NULL. */
json_t	*zm_doc_run(const struct zm_doc *, const char *node, double start);
/* Writes DIR/ID.json without runs in progress; fsync when durable, and
 * whenever it replaces a file that was durable: a copy written without
 * fsync only ever takes a new name, so a crash never turns a durable
 * request into an empty file. */
int	 zm_doc_save(struct zm_store *, struct zm_doc *, int durable);

#endif
