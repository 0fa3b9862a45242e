/* zmctl <-> zmworkerd over libqb IPC (shared memory rings): one JSON
 * object per message after libqb's header. Requests {"cmd": ...};
 * answers are a JSON value, or {"error": "..."}. */
#ifndef ZM_IPC_H
#define ZM_IPC_H

/* The service name for a CPG group (one daemon per group and node). */
#define ZM_IPC_PREFIX	"understudy-zm-"
#define ZM_IPC_ID	1

#endif
