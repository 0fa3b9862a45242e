/* Notify variables: Pacemaker's space-separated lists ("" or " " = empty). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "understudy/ocf.h"

int
ocf_list_parse(const char *s, struct ocf_list *l)
{
	l->v = NULL;
	l->n = 0;
	while (s && *s) {
		size_t n;
		char **nv;

		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		for (n = 0; s[n] && !isspace((unsigned char)s[n]); n++)
			;
		if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL)
			goto fail;
		l->v = nv;
		if ((l->v[l->n] = strndup(s, n)) == NULL)
			goto fail;
		l->n++;
		s += n;
	}
	return 0;
fail:
	ocf_list_free(l);
	return -1;
}

void
ocf_list_free(struct ocf_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
ocf_list_has(const struct ocf_list *l, const char *word)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], word) == 0)
			return 1;
	return 0;
}

int
ocf_notify_list(const char *what, struct ocf_list *l)
{
	char var[128];

	snprintf(var, sizeof(var), "OCF_RESKEY_CRM_meta_notify_%s", what);
	return ocf_list_parse(getenv(var), l);
}

static const char *
env_word(const char *var)
{
	const char *v = getenv(var);

	return v && *v && !isspace((unsigned char)*v) ? v : NULL;
}

const char *
ocf_notify_type(void)
{
	return env_word("OCF_RESKEY_CRM_meta_notify_type");
}

const char *
ocf_notify_operation(void)
{
	return env_word("OCF_RESKEY_CRM_meta_notify_operation");
}
