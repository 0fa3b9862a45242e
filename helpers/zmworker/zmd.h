/* zmworkerd's state, shared by its parts: zmcluster.c (CPG membership,
 * the agreed-order protocol, claims), zmserve.c (zmctl's IPC), zmworkerd.c
 * (options, runs, spool, timers). One daemon per node and group. */
#ifndef ZM_D_H
#define ZM_D_H

#include <stdint.h>
#include <corosync/cpg.h>
#include <corosync/quorum.h>
#include <jansson.h>
#include <qb/qbipcs.h>
#include <qb/qbloop.h>

#include "zmdoc.h"
#include "zmrun.h"

#define ZMD_MEMBERS_MAX	64
#define ZMD_NAME_MAX	64
#define ZMD_MSG_MAX	(512 * 1024)		/* largest CPG message we send */

struct zmd_member {
	uint32_t	 nodeid, pid;
	char		 name[ZMD_NAME_MAX];	/* from its hello; "" until then */
	int		 max_parallel;
	int		 sync_done;		/* sent sync-end for this view */
};

struct zmd_sendq;

struct zmd {
	/* configuration */
	const char	*state_dir;
	const char	*group;
	const char	*nodename;
	const char	*zonemaster;
	const char	*spool;
	const char	*ipc_name;
	const char	*user;			/* zonemaster-cli runs as; NULL: as us */
	char		**extra;		/* zonemaster-cli arguments */
	int		 max_parallel;
	long		 test_timeout;		/* s; 0 = none */
	long		 drain_s;		/* on SIGTERM; 0 = wait for every run */

	qb_loop_t	*loop;
	struct zm_store	*store;
	cpg_handle_t	 cpg;
	quorum_handle_t	 quorum;
	uint32_t	 nodeid, pid;
	struct zmd_member members[ZMD_MEMBERS_MAX];
	size_t		 nmembers;
	char		 view[1024];		/* "nodeid:pid ..." of the members */
	int		 joined, synced, quorate, stopping;
	long		 stop_deadline_ms;

	struct zm_run	**runs;
	size_t		 nruns;
	char		 (*inflight)[ZM_ID_MAX];	/* claims sent, not yet delivered */
	size_t		 ninflight;
	struct zmd_sendq *sendq;
	unsigned long	 unacked;		/* own messages not yet delivered back */
	unsigned long	 claims_won, claims_lost, started;

	qb_ipcs_service_t *ipcs;
};

extern struct zmd zmd;

/* zmcluster.c */
int	 zmd_cluster_init(void);
void	 zmd_cluster_fini(void);
/* Queues msg (reference stolen) for multicast in agreed order. */
void	 zmd_send(json_t *msg);
int	 zmd_send_idle(void);
void	 zmd_schedule(void);
int	 zmd_is_member_name(const char *name, void *ctx);
/* A request from zmctl or the spool: stored durably, then multicast.
 * Fills id; -1 with the reason in why. */
int	 zmd_submit(json_t *request, char *id, size_t idlen, char *why, size_t whylen);
json_t	*zmd_status(void);

/* zmworkerd.c */
void	 zmd_run_begin(struct zm_doc *, double start);
void	 zmd_run_cancel(const char *id);
void	 zmd_maybe_exit(void);
double	 zmd_now(void);

/* zmserve.c */
int	 zmd_ipc_init(void);
void	 zmd_ipc_fini(void);
/* Answers the zmctl calls waiting on this document. */
void	 zmd_ipc_doc_changed(struct zm_doc *);

#endif
