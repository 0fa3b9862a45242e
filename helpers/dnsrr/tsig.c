/* BIND key-file parser; see tsig.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "understudy/buf.h"
#include "tsig.h"

#define TSIG_FILE_MAX	65536

struct lexer {
	const char	*p, *end;
	int		 line;
	char		 tok[600];
	int		 quoted;
};

/* Skips blanks and the three comment styles named.conf allows. */
static void
lex_skip(struct lexer *lx)
{
	while (lx->p < lx->end) {
		if (*lx->p == '\n') {
			lx->line++;
			lx->p++;
		} else if (isspace((unsigned char)*lx->p)) {
			lx->p++;
		} else if (*lx->p == '#' || (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
			for (lx->p += 2; lx->p < lx->end && !(*lx->p == '*' &&
			    lx->p + 1 < lx->end && lx->p[1] == '/'); lx->p++)
				if (*lx->p == '\n')
					lx->line++;
			lx->p = lx->p < lx->end ? lx->p + 2 : lx->end;
		} else
			return;
	}
}

/* Next token into lx->tok; returns 0 at end, -1 on a bad token. */
static int
lex_next(struct lexer *lx)
{
	size_t n = 0;

	lex_skip(lx);
	lx->quoted = 0;
	if (lx->p >= lx->end)
		return 0;
	if (strchr("{};", *lx->p)) {
		lx->tok[0] = *lx->p++;
		lx->tok[1] = '\0';
		return 1;
	}
	if (*lx->p == '"') {
		lx->quoted = 1;
		for (lx->p++; lx->p < lx->end && *lx->p != '"'; lx->p++) {
			if (*lx->p == '\n' || *lx->p == '\0' || n + 1 >= sizeof(lx->tok))
				return -1;
			lx->tok[n++] = *lx->p;
		}
		if (lx->p >= lx->end)
			return -1;
		lx->p++;
	} else {
		for (; lx->p < lx->end && !isspace((unsigned char)*lx->p) &&
		    !strchr("{};\"", *lx->p); lx->p++) {
			if (*lx->p == '\0' || n + 1 >= sizeof(lx->tok))
				return -1;
			lx->tok[n++] = *lx->p;
		}
	}
	lx->tok[n] = '\0';
	return 1;
}

static int
expect(struct lexer *lx, const char *what, char *why, size_t whylen)
{
	if (lex_next(lx) != 1 || lx->quoted || strcmp(lx->tok, what) != 0) {
		snprintf(why, whylen, "line %d: expected \"%s\"", lx->line, what);
		return -1;
	}
	return 0;
}

static int
valid_base64(const char *s)
{
	size_t n = strlen(s), pad = 0;

	if (n == 0 || n % 4 != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad || !(isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '/'))
			return 0;
	}
	return pad <= 2;
}

static int
set_algorithm(struct tsig_key *k, const char *alg)
{
	static const char *known[] = { "hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256",
	    "hmac-sha384", "hmac-sha512", NULL };

	for (int i = 0; known[i]; i++)
		if (strcasecmp(alg, known[i]) == 0) {
			/* ldns wants the algorithm as a domain name. */
			snprintf(k->algorithm, sizeof(k->algorithm), "%s.%s", known[i],
			    i == 0 ? "sig-alg.reg.int." : "");
			return 0;
		}
	return -1;
}

/* The body of one key { … }; the lexer is past the "{". Messages name
 * the line and what was expected, never a token: a token can be (part of)
 * the secret when the file is mangled or its statements are swapped. */
static int
key_body(struct lexer *lx, struct tsig_key *k, char *why, size_t whylen)
{
	int have_alg = 0, have_secret = 0, rc;

	while ((rc = lex_next(lx)) == 1 && strcmp(lx->tok, "}") != 0) {
		const char *opt;

		if (strcmp(lx->tok, "algorithm") == 0)
			opt = "algorithm";
		else if (strcmp(lx->tok, "secret") == 0)
			opt = "secret";
		else {
			snprintf(why, whylen, "line %d: unknown key option (expected \"algorithm\" "
			    "or \"secret\")", lx->line);
			return -1;
		}
		if ((rc = lex_next(lx)) == -1) {
			snprintf(why, whylen, "line %d: unterminated string or bad token", lx->line);
			return -1;
		}
		if (rc == 0 || strchr("{};", lx->tok[0]) != NULL) {
			snprintf(why, whylen, "line %d: %s needs a value", lx->line, opt);
			return -1;
		}
		if (opt[0] == 'a') {
			if (set_algorithm(k, lx->tok) == -1) {
				snprintf(why, whylen, "line %d: unknown algorithm (expected hmac-md5, "
				    "hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 or "
				    "hmac-sha512)", lx->line);
				return -1;
			}
			have_alg = 1;
		} else {
			if (!valid_base64(lx->tok) || strlen(lx->tok) >= sizeof(k->secret)) {
				snprintf(why, whylen, "line %d: secret is not valid base64", lx->line);
				return -1;
			}
			snprintf(k->secret, sizeof(k->secret), "%s", lx->tok);
			have_secret = 1;
		}
		if (expect(lx, ";", why, whylen) == -1)
			return -1;
	}
	if (rc != 1) {
		snprintf(why, whylen, "line %d: unterminated key block", lx->line);
		return -1;
	}
	if (!have_alg || !have_secret) {
		snprintf(why, whylen, "line %d: key lacks %s", lx->line,
		    have_alg ? "a secret" : "an algorithm");
		return -1;
	}
	return expect(lx, ";", why, whylen);
}

static int
key_name(struct lexer *lx, struct tsig_key *k, char *why, size_t whylen)
{
	size_t n;

	if (lex_next(lx) != 1 || lx->tok[0] == '\0' || (!lx->quoted && strchr("{};", lx->tok[0]))) {
		snprintf(why, whylen, "line %d: key needs a name", lx->line);
		return -1;
	}
	n = strlen(lx->tok);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)lx->tok[i]) && !strchr("-_.", lx->tok[i])) {
			snprintf(why, whylen, "line %d: bad key name", lx->line);
			return -1;
		}
	if (n + 2 > sizeof(k->name)) {
		snprintf(why, whylen, "line %d: key name too long", lx->line);
		return -1;
	}
	memcpy(k->name, lx->tok, n);
	if (lx->tok[n - 1] != '.')
		k->name[n++] = '.';
	k->name[n] = '\0';
	return 0;
}

/* "lab-key" and "lab-key." name the same key. */
static int
same_name(const char *dotted, const char *want)
{
	size_t n = strlen(want);

	if (n > 0 && want[n - 1] == '.')
		n--;
	return strlen(dotted) == n + 1 && strncasecmp(dotted, want, n) == 0;
}

static int
parse(struct lexer *lx, const char *want, struct tsig_key *k, char *why, size_t whylen)
{
	int rc;

	while ((rc = lex_next(lx)) == 1) {
		memset(k, 0, sizeof(*k));
		if (lx->quoted || strcmp(lx->tok, "key") != 0) {
			snprintf(why, whylen, "line %d: expected \"key\"", lx->line);
			return -1;
		}
		if (key_name(lx, k, why, whylen) == -1 || expect(lx, "{", why, whylen) == -1 ||
		    key_body(lx, k, why, whylen) == -1)
			return -1;
		if (want == NULL || same_name(k->name, want))
			return 0;
	}
	if (rc == -1)
		snprintf(why, whylen, "line %d: unterminated string or bad token", lx->line);
	else if (want)
		snprintf(why, whylen, "no key named \"%.64s\"", want);
	else
		snprintf(why, whylen, "no key in file");
	return -1;
}

int
tsig_parse(const char *text, size_t len, const char *want, struct tsig_key *k,
    char *why, size_t whylen)
{
	struct lexer lx = { text, text + len, 1, "", 0 };
	int rc;

	if ((rc = parse(&lx, want, k, why, whylen)) == -1)
		explicit_bzero(k, sizeof(*k));
	/* The last token read may be the secret. */
	explicit_bzero(lx.tok, sizeof(lx.tok));
	return rc;
}

int
tsig_load(const char *path, const char *want, struct tsig_key *k, char *why, size_t whylen)
{
	struct buf text = BUF_INIT;
	char sub[200];
	int rc;

	if (buf_read_file(&text, path, TSIG_FILE_MAX) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		rc = -1;
	} else if ((rc = tsig_parse(buf_str(&text), text.len, want, k, sub, sizeof(sub))) == -1)
		snprintf(why, whylen, "%s: %s", path, sub);
	if (text.data)
		explicit_bzero(text.data, text.len);
	buf_free(&text);
	return rc;
}
