/* "name = value" configuration files (/etc/understudy/AGENT.conf and the
 * like): one setting per line, '#' comments, optional double quotes. */
#ifndef UNDERSTUDY_CONF_H
#define UNDERSTUDY_CONF_H

#include <stddef.h>

struct conf_entry {
	char	*key;
	char	*value;
	int	 line;
};

struct conf {
	struct conf_entry *v;
	size_t		 n;
};

/* Parses text of length len. On error returns -1 with "line N: reason". */
int	 conf_parse(const char *text, size_t len, struct conf *, char *why, size_t whylen);
/* Reads and parses a file; errors name the path. */
int	 conf_load(const char *path, struct conf *, char *why, size_t whylen);
const char *conf_get(const struct conf *, const char *key);
void	 conf_free(struct conf *);
/* Blank-separated words, a backslash escaping the next character (a blank
 * inside a word): parameter values such as paths or extra arguments. */
int	 conf_words_parse(const char *spec, char ***, size_t *, char *why, size_t whylen);
void	 conf_words_free(char **, size_t);

#endif
