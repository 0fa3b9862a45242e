/* Heartbeat v1 haresources files:
 *   # comment
 *   nodeA 192.168.85.1 mirror httpd
 *   nodeB IPaddr::10.0.0.5/24/eth0 Filesystem::/dev/sdb1::/srv::ext4 \
 *         postgresql
 * Each line (continued by a trailing backslash) names the preferred node
 * and the resources it starts in order, "script::arg::arg". hr_parse reads
 * one into a struct; hr_emit writes it as crm configure or pcs commands:
 * a group per line, in line order, with a location preference. */
#ifndef HR_HARES_H
#define HR_HARES_H

#include <stddef.h>
#include "understudy/buf.h"

enum hr_kind {
	HR_IPADDR2,		/* bare address, IPaddr::, IPaddr2:: */
	HR_IPV6,		/* IPv6addr:: */
	HR_FILESYSTEM,		/* Filesystem::dev::dir[::fstype[::options]] */
	HR_UNDERSTUDY,		/* pgwarm, mirror, dnsrr, zmworker */
	HR_SERVICE		/* an init script: lsb: or systemd: */
};

struct hr_param {
	char	*name;
	char	*value;
};

struct hr_rsc {
	enum hr_kind	 kind;
	char		*text;		/* the token as written */
	char		*script;	/* as written, before the first "::" */
	struct hr_param	*params;
	size_t		 nparams;
	int		 line, col;
};

struct hr_group {
	char		*node;
	struct hr_rsc	*rsc;
	size_t		 nrsc;
	int		 line;
};

struct hr_file {
	struct hr_group	*groups;
	size_t		 ngroups;
};

/* Settings of an understudy agent, as its legacy /etc/understudy/AGENT.conf
 * holds them: calls add(name, value, arg) for each; -1 when there is none. */
typedef void (*hr_add_fn)(const char *name, const char *value, void *arg);
typedef int (*hr_conf_fn)(const char *agent, hr_add_fn add, void *arg, void *ctx);

/* Parses text; on error -1 and "LINE:COL: reason" in why. */
int	 hr_parse(const char *text, size_t len, hr_conf_fn, void *ctx, struct hr_file *,
	    char *why, size_t whylen);
void	 hr_free(struct hr_file *);

enum hr_format { HR_CRM, HR_PCS };
/* systemd: init scripts become systemd: instead of lsb:. */
void	 hr_emit(const struct hr_file *, enum hr_format, int systemd, struct buf *);

#endif
