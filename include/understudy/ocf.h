/* The OCF core: one declaration per agent (a parameter table and an action
 * table) drives the meta-data XML, parameter parsing and validation, action
 * dispatch and the legacy Heartbeat v1 face. */
#ifndef UNDERSTUDY_OCF_H
#define UNDERSTUDY_OCF_H

#include <stddef.h>
#include "buf.h"

/* The OCF result codes (resource-agents' OCF dev guide, Pacemaker's
 * enum ocf_exitcode). Never return a bare number from an agent. */
enum ocf_exitcode {
	OCF_SUCCESS		= 0,
	OCF_ERR_GENERIC		= 1,
	OCF_ERR_ARGS		= 2,
	OCF_ERR_UNIMPLEMENTED	= 3,
	OCF_ERR_PERM		= 4,
	OCF_ERR_INSTALLED	= 5,
	OCF_ERR_CONFIGURED	= 6,
	OCF_NOT_RUNNING		= 7,
	OCF_RUNNING_PROMOTED	= 8,
	OCF_FAILED_PROMOTED	= 9
};

enum ocf_type {
	OCF_STRING,
	OCF_INTEGER,
	OCF_BOOLEAN
};

#define OCF_P_REQUIRED		0x01
#define OCF_P_UNIQUE		0x02
#define OCF_P_POSITIONAL	0x04	/* filled by legacy Heartbeat args, in table order */
#define OCF_P_SECRET		0x08	/* value never logged */

/* Checks one (non-empty) value. Returns OCF_SUCCESS, or the code that tells
 * the truth (ERR_CONFIGURED for a bad value, ERR_INSTALLED for something
 * missing on this node) with a reason in why. */
typedef enum ocf_exitcode (*ocf_validator)(const char *value, char *why, size_t whylen);

struct ocf_param {
	const char	*name;
	enum ocf_type	 type;
	unsigned	 flags;
	const char	*dflt;		/* NULL: no default */
	long		 min, max;	/* integers: accepted range when min < max */
	ocf_validator	 validate;	/* NULL: type check only */
	const char	*shortdesc;
	const char	*longdesc;
};

struct ocf_rsc;
typedef enum ocf_exitcode (*ocf_handler)(struct ocf_rsc *);

struct ocf_action {
	const char	*name;
	ocf_handler	 fn;
	unsigned	 timeout_s;
	unsigned	 interval_s;	/* 0: not shown */
	const char	*role;		/* "Promoted", "Unpromoted" or NULL */
	unsigned	 depth;
};

struct ocf_agent {
	const char		*name;
	const char		*version;
	const char		*shortdesc;
	const char		*longdesc;
	const struct ocf_param	*params;	/* ends with { NULL } */
	const struct ocf_action	*actions;	/* ends with { NULL }; meta-data,
						 * validate-all and usage are the core's */
	/* Cross-parameter checks after every parameter passed its own;
	 * writes the reason into why, the core reports it. */
	enum ocf_exitcode	(*validate)(struct ocf_rsc *, char *why, size_t whylen);
	/* Runs before every action but meta-data/usage: allocate r->priv. */
	void			(*setup)(struct ocf_rsc *);
	void			(*teardown)(struct ocf_rsc *);
};

union ocf_value {
	const char	*s;
	long		 i;
	int		 b;
};

struct ocf_rsc {
	const struct ocf_agent	*agent;
	const char		*action;
	char			 instance[128];	/* OCF_RESOURCE_INSTANCE, e.g. "db:1" */
	char			 base[128];	/* instance without the clone suffix */
	int			 clone;		/* clone number, -1 when not a clone */
	long			 interval_ms;	/* OCF_RESKEY_CRM_meta_interval */
	int			 legacy;	/* invoked the Heartbeat v1 way */
	size_t			 nparams;
	const char		**raw;		/* value as given (or default), NULL if unset */
	union ocf_value		*val;		/* typed value */
	void			*priv;
};

/* Where parameter values come from: OCF_RESKEY_* or a legacy config. */
typedef const char *(*ocf_lookup_fn)(void *ctx, const char *name);

int	 ocf_main(const struct ocf_agent *, int argc, char **argv);

void	 ocf_meta_data(const struct ocf_agent *, struct buf *);
/* The same tables as a man page (section 7); `AGENT man-page` prints it. */
void	 ocf_man_page(const struct ocf_agent *, struct buf *);
const char *ocf_exitcode_name(enum ocf_exitcode);

/* Parses and validates every parameter; on failure writes the reason. */
enum ocf_exitcode ocf_params_load(struct ocf_rsc *, ocf_lookup_fn, void *ctx,
	    char *why, size_t whylen);
void	 ocf_rsc_init(struct ocf_rsc *, const struct ocf_agent *, const char *action);
void	 ocf_rsc_free(struct ocf_rsc *);
/* Instance, clone number and interval from Pacemaker's environment. */
void	 ocf_rsc_from_env(struct ocf_rsc *);
int	 ocf_param_index(const struct ocf_agent *, const char *name);

const char *ocf_str(const struct ocf_rsc *, int idx);	/* "" when unset */
long	 ocf_int(const struct ocf_rsc *, int idx);
int	 ocf_bool(const struct ocf_rsc *, int idx);
int	 ocf_is_set(const struct ocf_rsc *, int idx);
int	 ocf_is_probe(const struct ocf_rsc *);
/* What a stop may spend: the operation timeout (OCF_RESKEY_CRM_meta_timeout,
 * 120 s when unset) less a margin for killing what overstays. */
long	 ocf_stop_budget_ms(void);
/* HA_RSCTMP/AGENT-INSTANCE.SUFFIX (/run/resource-agents when HA_RSCTMP is
 * unset): per-resource state that a reboot clears. */
void	 ocf_rsctmp_path(const struct ocf_rsc *, const char *suffix, char *out, size_t outlen);
/* The "started here" marker, set by start and cleared by stop: a daemon
 * found dead while it is set is a failure, not a stopped resource. */
void	 ocf_started_set(const struct ocf_rsc *, int on);
int	 ocf_started_is_set(const struct ocf_rsc *);

int	 ocf_parse_bool(const char *, int *out);
int	 ocf_parse_long(const char *, long *out);

/* Logs the reason, prints "ocf-exit-reason:<reason>" on stderr, returns rc. */
enum ocf_exitcode ocf_fail(enum ocf_exitcode rc, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Notify support. Pacemaker passes lists as space-separated words, and an
 * empty list as a single space. */
struct ocf_list {
	char	**v;
	size_t	  n;
};
int	 ocf_list_parse(const char *s, struct ocf_list *);
void	 ocf_list_free(struct ocf_list *);
int	 ocf_list_has(const struct ocf_list *, const char *word);
/* Reads OCF_RESKEY_CRM_meta_notify_<what>, e.g. "promote_uname". */
int	 ocf_notify_list(const char *what, struct ocf_list *);
const char *ocf_notify_type(void);		/* "pre", "post" or NULL */
const char *ocf_notify_operation(void);		/* "start", "promote", … or NULL */

/* Node attributes and promotion scores, through Pacemaker's own tools. */
enum ocf_exitcode ocf_attr_set(const char *name, const char *value);
enum ocf_exitcode ocf_attr_get(const char *name, char *out, size_t outlen);
enum ocf_exitcode ocf_attr_delete(const char *name);
/* Every node's value of a node attribute (parallel lists); -1 on failure. */
int	 ocf_attr_get_all(const char *name, struct ocf_list *hosts, struct ocf_list *values);
/* Permanent node attributes of any node: 1 found, 0 none, -1 query failed. */
int	 ocf_node_attr_get(const char *node, const char *name, char *out, size_t outlen);
enum ocf_exitcode ocf_node_attr_set(const char *node, const char *name, const char *value);
enum ocf_exitcode ocf_node_attr_delete(const char *node, const char *name);
/* The nodes that are cluster members now (crm_node -l); -1 when unknown. */
int	 ocf_cluster_members(struct ocf_list *);
/* Whether this node's partition has quorum (crm_node -q): 1, 0, -1 unknown. */
int	 ocf_cluster_quorate(void);
/* crm_mon's node list (XML), read once for as many questions as needed. */
enum ocf_exitcode ocf_cluster_nodes_xml(struct buf *);
/* From that list: whether the cluster holds NODE for down, offline and not
 * unclean (fenced, or it left cleanly), or not a node it knows (removed).
 * 1 yes, 0 no (online, or lost and not fenced yet), -1 unreadable. */
int	 ocf_nodes_xml_down_clean(const char *xml, const char *node);
/* A cluster option (crm_config): 1 set, 0 not set (the default applies), -1 failed. */
int	 ocf_cluster_option_get(const char *name, char *out, size_t outlen);
#define OCF_SCORE_NEVER	(-1000000)	/* -INFINITY: this instance must not be promoted */
enum ocf_exitcode ocf_promotion_set(const struct ocf_rsc *, long score);
enum ocf_exitcode ocf_promotion_delete(const struct ocf_rsc *);

/* Stock validators. */
enum ocf_exitcode ocf_v_abs_path(const char *, char *, size_t);
enum ocf_exitcode ocf_v_dir(const char *, char *, size_t);
enum ocf_exitcode ocf_v_program(const char *, char *, size_t);
enum ocf_exitcode ocf_v_user(const char *, char *, size_t);
enum ocf_exitcode ocf_v_nodes(const char *, char *, size_t);
/* Readable, and trusted as lib/ssh.c trusts key files (ssh_path_trusted):
 * a file others can write is OCF_ERR_INSTALLED. */
enum ocf_exitcode ocf_v_readable(const char *, char *, size_t);

#endif
