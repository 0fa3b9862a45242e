/* Zonemaster test requests in the seed's document format:
 *   {"name": "räksmörgås.se", "request": {"ds": [...], "ns": {...},
 *    "ipv4": true, "ipv6": true}}
 * zm_req_check validates one and names the field and the reason when it
 * is refused; zm_req_argv turns a valid one into zonemaster-cli's argv. */
#ifndef ZM_REQ_H
#define ZM_REQ_H

#include <stddef.h>
#include <jansson.h>

#define ZM_NAME_MAX	254	/* presentation form with the trailing dot */

struct zm_req {
	char	 ulabel[4 * ZM_NAME_MAX];	/* the name as given */
	char	 alabel[ZM_NAME_MAX + 1];	/* IDNA (UTS#46), lower case, no dot */
};

/* Checks doc (name, request; "_id" and "results" are refused: they are
 * the cluster's). 0 when valid, else -1 with "field: reason" in why. */
int	 zm_req_check(json_t *doc, struct zm_req *, char *why, size_t whylen);
/* A domain name in UTF-8 or A-labels to its A-label form. */
int	 zm_name_alabel(const char *name, char *out, size_t outlen, char *why, size_t whylen);

/* argv for one run: prog, the fixed flags, --ns/--ds/--ipv4/--ipv6 from
 * the request, extra (NULL-terminated, may be NULL), then the alabel.
 * Returns a NULL-terminated vector to free with zm_argv_free. */
char	**zm_req_argv(json_t *doc, const char *prog, const char *const *extra);
void	 zm_argv_free(char **);

#endif
