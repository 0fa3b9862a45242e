/* The peer list of the `nodes` parameter ("name=address[:port] ...",
 * separated by blanks or commas) and
 * this node's own name. */
#ifndef UNDERSTUDY_NODE_H
#define UNDERSTUDY_NODE_H

#include <stddef.h>

#define NODE_NAME_MAX	64
#define NODE_ADDR_MAX	256

struct node {
	char		name[NODE_NAME_MAX];
	char		addr[NODE_ADDR_MAX];	/* host name or address, no brackets */
	unsigned	port;			/* 0 = not given */
};

struct node_list {
	struct node	*v;
	size_t		 n;
};

/* Parses spec into list. On error returns -1 and writes a reason naming
 * the offending entry into why. */
int	 node_list_parse(const char *spec, struct node_list *, char *why, size_t whylen);
/* "address[:port] ..." (servers): entries named "1", "2", …; at least one. */
int	 node_addr_list_parse(const char *spec, struct node_list *, char *why, size_t whylen);
void	 node_list_free(struct node_list *);
const struct node *node_list_find(const struct node_list *, const char *name);
/* This node's name: OCF_RESKEY_CRM_meta_on_node, then `crm_node -n`,
 * then uname(2). Returns 0 on success. */
int	 node_self(char *out, size_t outlen);

#endif
