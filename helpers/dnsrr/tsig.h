/* TSIG keys from a BIND key file, as `tsig-keygen` writes it:
 *   key "name" { algorithm hmac-sha256; secret "base64"; };  */
#ifndef UNDERSTUDY_DNSRR_TSIG_H
#define UNDERSTUDY_DNSRR_TSIG_H

#include <stddef.h>

struct tsig_key {
	char	name[256];	/* absolute, with the trailing dot */
	char	algorithm[32];	/* as ldns names it: "hmac-sha256." */
	char	secret[512];	/* base64; never logged */
};

/* Parses the first key in text (or the key named want, if not NULL).
 * Errors say "line N: what was expected" and never quote a byte of the
 * text: in a mangled file any token may be part of the secret. tsig_load's
 * errors start with the path. */
int	 tsig_parse(const char *text, size_t len, const char *want, struct tsig_key *,
	    char *why, size_t whylen);
int	 tsig_load(const char *path, const char *want, struct tsig_key *, char *why, size_t whylen);

#endif
