/* OCF 1.1 meta-data XML from an agent's tables (valid against ra-api-1.dtd). */
#include "config.h"

#include <stdio.h>

#include "understudy/ocf.h"

static const char *
type_name(enum ocf_type t)
{
	switch (t) {
	case OCF_INTEGER:	return "integer";
	case OCF_BOOLEAN:	return "boolean";
	default:		return "string";
	}
}

static void
meta_desc(struct buf *b, const char *indent, const char *longd, const char *shortd)
{
	buf_printf(b, "%s<longdesc lang=\"en\">", indent);
	buf_xml_escape(b, longd ? longd : shortd);
	buf_printf(b, "</longdesc>\n%s<shortdesc lang=\"en\">", indent);
	buf_xml_escape(b, shortd);
	buf_puts(b, "</shortdesc>\n");
}

static void
meta_param(struct buf *b, const struct ocf_param *p)
{
	buf_puts(b, "<parameter name=\"");
	buf_xml_escape(b, p->name);
	buf_printf(b, "\" unique=\"%d\" required=\"%d\">\n",
	    (p->flags & OCF_P_UNIQUE) != 0, (p->flags & OCF_P_REQUIRED) != 0);
	meta_desc(b, "  ", p->longdesc, p->shortdesc);
	buf_printf(b, "  <content type=\"%s\"", type_name(p->type));
	if (p->dflt) {
		buf_puts(b, " default=\"");
		buf_xml_escape(b, p->dflt);
		buf_puts(b, "\"");
	}
	buf_puts(b, " />\n</parameter>\n");
}

static void
meta_action(struct buf *b, const char *name, unsigned timeout, unsigned interval,
    const char *role, unsigned depth)
{
	buf_printf(b, "<action name=\"%s\" timeout=\"%us\"", name, timeout);
	if (interval)
		buf_printf(b, " interval=\"%us\"", interval);
	if (role)
		buf_printf(b, " role=\"%s\"", role);
	if (interval)
		buf_printf(b, " depth=\"%u\"", depth);
	buf_puts(b, " />\n");
}

void
ocf_meta_data(const struct ocf_agent *a, struct buf *b)
{
	const struct ocf_param *p;
	const struct ocf_action *ac;

	buf_puts(b, "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"
	    "<resource-agent name=\"");
	buf_xml_escape(b, a->name);
	buf_printf(b, "\" version=\"%s\">\n<version>1.1</version>\n\n", a->version);
	meta_desc(b, "", a->longdesc, a->shortdesc);
	buf_puts(b, "\n<parameters>\n");
	for (p = a->params; p->name; p++)
		meta_param(b, p);
	buf_puts(b, "</parameters>\n\n<actions>\n");
	for (ac = a->actions; ac->name; ac++)
		meta_action(b, ac->name, ac->timeout_s, ac->interval_s, ac->role, ac->depth);
	meta_action(b, "meta-data", 5, 0, NULL, 0);
	meta_action(b, "validate-all", 20, 0, NULL, 0);
	buf_puts(b, "</actions>\n</resource-agent>\n");
}

/* troff: a backslash prints as \e, and a line must not start with . or '. */
static void
man_text(struct buf *b, const char *s)
{
	int bol = 1;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			buf_puts(b, "\\&");
		if (*s == '\\')
			buf_puts(b, "\\e");
		else if (*s == '-')
			buf_puts(b, "\\-");
		else
			buf_append(b, s, 1);
		bol = *s == '\n';
	}
}

void
ocf_man_page(const struct ocf_agent *a, struct buf *b)
{
	const struct ocf_param *p;
	const struct ocf_action *ac;

	buf_printf(b, ".TH OCF_UNDERSTUDY_%s 7 \"\" \"understudy %s\" \"OCF resource agents\"\n",
	    a->name, a->version);
	buf_puts(b, ".SH NAME\n");
	man_text(b, a->name);
	buf_puts(b, " \\- ");
	man_text(b, a->shortdesc);
	buf_puts(b, "\n.SH SYNOPSIS\n.B ");
	man_text(b, a->name);
	buf_puts(b, "\n.RB [ start | stop | monitor | meta\\-data | validate\\-all | ... ]\n");
	buf_puts(b, ".SH DESCRIPTION\n");
	man_text(b, a->longdesc ? a->longdesc : a->shortdesc);
	buf_puts(b, "\n.SH PARAMETERS\n");
	for (p = a->params; p->name; p++) {
		buf_puts(b, ".TP\n.B ");
		man_text(b, p->name);
		if (p->flags & OCF_P_REQUIRED)
			buf_puts(b, " (required)");
		if (p->dflt) {
			buf_puts(b, " (default: ");
			man_text(b, p->dflt);
			buf_puts(b, ")");
		}
		buf_puts(b, "\n");
		man_text(b, p->longdesc ? p->longdesc : p->shortdesc);
		buf_puts(b, "\n");
	}
	buf_puts(b, ".SH ACTIONS\n.nf\n");
	for (ac = a->actions; ac->name; ac++) {
		man_text(b, ac->name);
		buf_printf(b, " timeout=%us", ac->timeout_s);
		if (ac->interval_s)
			buf_printf(b, " interval=%us", ac->interval_s);
		if (ac->role)
			buf_printf(b, " role=%s", ac->role);
		buf_puts(b, "\n");
	}
	buf_puts(b, "meta\\-data\nvalidate\\-all\n.fi\n");
	buf_printf(b, ".SH SEE ALSO\n.BR crm (8),\n.BR pcs (8),\n.BR ocf\\-tester (8)\n");
}
