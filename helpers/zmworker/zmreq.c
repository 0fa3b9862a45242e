/* Request validation. Every refusal names the JSON path of the field
 * (request.ds[1].digest) so a user can fix a document without guessing. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <idn2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zmreq.h"

#define DS_MAX	64
#define NS_MAX	32
#define ADDR_MAX 32

static int
why_set(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Host-name syntax on the A-label form: letters, digits, '-' and '_'
 * (service labels), labels of 1..63 octets, 253 in all. */
static int
alabel_syntax(const char *a, char *why, size_t whylen)
{
	size_t len = strlen(a), lab = 0;
	const char *p;

	if (len == 0)
		return why_set(why, whylen, "empty name");
	if (len > 253)
		return why_set(why, whylen, "name is %zu octets long, at most 253", len);
	for (p = a; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (lab == 0)
				return why_set(why, whylen, "empty label");
			if (lab > 63)
				return why_set(why, whylen, "label of %zu octets, at most 63", lab);
			if (p[-1] == '-' || p[-(long)lab] == '-')
				return why_set(why, whylen, "label starts or ends with '-'");
			if (*p == '\0')
				return 0;
			lab = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return why_set(why, whylen, "character 0x%02x not allowed in a host name",
			    (unsigned char)*p);
		lab++;
	}
}

int
zm_name_alabel(const char *name, char *out, size_t outlen, char *why, size_t whylen)
{
	char buf[4 * ZM_NAME_MAX], *a = NULL;
	size_t len = strlen(name);
	int rc;

	if (len == 0)
		return why_set(why, whylen, "empty name");
	if (len >= sizeof(buf))
		return why_set(why, whylen, "name too long");
	memcpy(buf, name, len + 1);
	if (len > 1 && buf[len - 1] == '.')
		buf[len - 1] = '\0';		/* one trailing dot: absolute form */
	rc = idn2_to_ascii_8z(buf, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK)
		return why_set(why, whylen, "not a valid IDNA name (%s)", idn2_strerror(rc));
	for (char *p = a; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (alabel_syntax(a, why, whylen) < 0 || strlen(a) >= outlen) {
		if (strlen(a) >= outlen)
			why_set(why, whylen, "name too long");
		idn2_free(a);
		return -1;
	}
	strcpy(out, a);
	idn2_free(a);
	return 0;
}

/* Only the listed keys may appear in obj. */
static int
known_keys(json_t *obj, const char *const *keys, const char *where,
    char *why, size_t whylen)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		const char *const *p;

		for (p = keys; *p != NULL && strcmp(*p, k) != 0; p++)
			;
		if (*p == NULL)
			return why_set(why, whylen, "%s%s: unknown key", where, k);
	}
	return 0;
}

static int
int_field(json_t *o, const char *key, long lo, long hi, const char *where,
    long *out, char *why, size_t whylen)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return why_set(why, whylen, "%s.%s: missing", where, key);
	if (!json_is_integer(v))
		return why_set(why, whylen, "%s.%s: not an integer", where, key);
	*out = (long)json_integer_value(v);
	if (*out < lo || *out > hi)
		return why_set(why, whylen, "%s.%s: %ld out of range %ld..%ld", where, key,
		    *out, lo, hi);
	return 0;
}

/* Digest lengths of the DS digest types Zonemaster knows (RFC 4034, 4509,
 * 5933, 6605). */
static int
digest_hex_len(long type)
{
	switch (type) {
	case 1: return 40;	/* SHA-1 */
	case 2: return 64;	/* SHA-256 */
	case 3: return 64;	/* GOST R 34.11-94 */
	case 4: return 96;	/* SHA-384 */
	default: return -1;
	}
}

static int
check_ds(json_t *ds, char *why, size_t whylen)
{
	static const char *const keys[] = { "keytag", "algorithm", "type", "digest", NULL };
	size_t i;
	json_t *e;

	if (!json_is_array(ds))
		return why_set(why, whylen, "request.ds: not an array");
	if (json_array_size(ds) > DS_MAX)
		return why_set(why, whylen, "request.ds: more than %d records", DS_MAX);
	json_array_foreach(ds, i, e) {
		char where[48], pre[52];
		long keytag, alg, type;
		const char *dg;
		size_t n;
		int want;

		snprintf(where, sizeof(where), "request.ds[%zu]", i);
		if (!json_is_object(e))
			return why_set(why, whylen, "%s: not an object", where);
		snprintf(pre, sizeof(pre), "%s.", where);
		if (known_keys(e, keys, pre, why, whylen) < 0)
			return -1;
		if (int_field(e, "keytag", 0, 65535, where, &keytag, why, whylen) < 0 ||
		    int_field(e, "algorithm", 0, 255, where, &alg, why, whylen) < 0 ||
		    int_field(e, "type", 0, 255, where, &type, why, whylen) < 0)
			return -1;
		if (!json_is_string(json_object_get(e, "digest")))
			return why_set(why, whylen, "%s.digest: missing or not a string", where);
		dg = json_string_value(json_object_get(e, "digest"));
		n = strlen(dg);
		for (size_t j = 0; j < n; j++)
			if (!isxdigit((unsigned char)dg[j]))
				return why_set(why, whylen, "%s.digest: not hexadecimal at "
				    "position %zu", where, j + 1);
		want = digest_hex_len(type);
		if (want < 0)
			return why_set(why, whylen, "%s.type: digest type %ld is not one of "
			    "1 (SHA-1), 2 (SHA-256), 3 (GOST), 4 (SHA-384)", where, type);
		if ((int)n != want)
			return why_set(why, whylen, "%s.digest: %zu hex digits, digest type %ld "
			    "needs %d", where, n, type, want);
	}
	return 0;
}

/* Is ns equal to or below zone (both A-labels, no trailing dot)? */
static int
in_zone(const char *ns, const char *zone)
{
	size_t ln = strlen(ns), lz = strlen(zone);

	if (ln == lz)
		return strcmp(ns, zone) == 0;
	return ln > lz && ns[ln - lz - 1] == '.' && strcmp(ns + ln - lz, zone) == 0;
}

static int
check_ns(json_t *ns, const char *zone, char *why, size_t whylen)
{
	const char *name;
	json_t *addrs;

	if (!json_is_object(ns))
		return why_set(why, whylen, "request.ns: not an object (name: [addresses])");
	if (json_object_size(ns) > NS_MAX)
		return why_set(why, whylen, "request.ns: more than %d name servers", NS_MAX);
	json_object_foreach(ns, name, addrs) {
		char a[ZM_NAME_MAX + 1], r[160];
		size_t i;
		json_t *ip;

		if (zm_name_alabel(name, a, sizeof(a), r, sizeof(r)) < 0)
			return why_set(why, whylen, "request.ns.\"%.64s\": %s", name, r);
		if (!json_is_array(addrs))
			return why_set(why, whylen, "request.ns.\"%.64s\": not an array of "
			    "addresses", name);
		if (json_array_size(addrs) > ADDR_MAX)
			return why_set(why, whylen, "request.ns.\"%.64s\": more than %d addresses",
			    name, ADDR_MAX);
		if (json_array_size(addrs) == 0 && in_zone(a, zone))
			return why_set(why, whylen, "request.ns.\"%.64s\": inside the tested "
			    "zone, so it needs addresses (glue)", name);
		json_array_foreach(addrs, i, ip) {
			unsigned char bin[16];
			const char *s = json_string_value(ip);

			if (s == NULL)
				return why_set(why, whylen, "request.ns.\"%.64s\"[%zu]: not a "
				    "string", name, i);
			if (inet_pton(AF_INET, s, bin) != 1 && inet_pton(AF_INET6, s, bin) != 1)
				return why_set(why, whylen, "request.ns.\"%.64s\"[%zu]: \"%.64s\" is "
				    "not an IPv4 or IPv6 address", name, i, s);
		}
	}
	return 0;
}

int
zm_req_check(json_t *doc, struct zm_req *req, char *why, size_t whylen)
{
	static const char *const top[] = { "name", "request", NULL };
	static const char *const rkeys[] = { "ds", "ns", "ipv4", "ipv6", NULL };
	json_t *name, *r, *v;
	char reason[200];
	const char *s;

	if (!json_is_object(doc))
		return why_set(why, whylen, "document: not a JSON object");
	if (json_object_get(doc, "_id") != NULL || json_object_get(doc, "results") != NULL)
		return why_set(why, whylen, "%s: set by zmworker, not by a request",
		    json_object_get(doc, "_id") ? "_id" : "results");
	if (known_keys(doc, top, "", why, whylen) < 0)
		return -1;
	name = json_object_get(doc, "name");
	if (!json_is_string(name))
		return why_set(why, whylen, "name: %s", name ? "not a string" : "missing");
	s = json_string_value(name);
	if (strlen(s) != json_string_length(name))
		return why_set(why, whylen, "name: contains a NUL character");
	if (strlen(s) >= sizeof(req->ulabel))
		return why_set(why, whylen, "name: too long");
	if (zm_name_alabel(s, req->alabel, sizeof(req->alabel), reason, sizeof(reason)) < 0)
		return why_set(why, whylen, "name: %s", reason);
	strcpy(req->ulabel, s);
	r = json_object_get(doc, "request");
	if (r == NULL)
		return 0;			/* the same as "request": {} */
	if (!json_is_object(r))
		return why_set(why, whylen, "request: not an object");
	if (known_keys(r, rkeys, "request.", why, whylen) < 0)
		return -1;
	if ((v = json_object_get(r, "ds")) != NULL && check_ds(v, why, whylen) < 0)
		return -1;
	if ((v = json_object_get(r, "ns")) != NULL && check_ns(v, req->alabel, why, whylen) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		const char *k = i ? "ipv6" : "ipv4";

		v = json_object_get(r, k);
		if (v != NULL && !json_is_boolean(v))
			return why_set(why, whylen, "request.%s: not true or false", k);
	}
	if (json_is_false(json_object_get(r, "ipv4")) && json_is_false(json_object_get(r, "ipv6")))
		return why_set(why, whylen, "request.ipv4/ipv6: both false leaves no way to "
		    "reach a name server");
	return 0;
}

struct argv_b {
	char	**v;
	size_t	  n, cap;
};

static void
argv_add(struct argv_b *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (a->v == NULL)
			abort();
	}
	a->v[a->n] = strdup(s);
	if (a->v[a->n] == NULL)
		abort();
	a->v[++a->n] = NULL;
}

char **
zm_req_argv(json_t *doc, const char *prog, const char *const *extra)
{
	struct argv_b a = { NULL, 0, 0 };
	json_t *r = json_object_get(doc, "request"), *v, *addrs;
	char alabel[ZM_NAME_MAX + 1], why[160], tmp[512];
	const char *ns;
	size_t i;

	if (zm_name_alabel(json_string_value(json_object_get(doc, "name")), alabel,
	    sizeof(alabel), why, sizeof(why)) < 0)
		return NULL;
	argv_add(&a, prog);
	argv_add(&a, "--json-stream");
	argv_add(&a, "--raw");
	argv_add(&a, "--no-progress");
	argv_add(&a, json_is_false(json_object_get(r, "ipv4")) ? "--no-ipv4" : "--ipv4");
	argv_add(&a, json_is_false(json_object_get(r, "ipv6")) ? "--no-ipv6" : "--ipv6");
	json_object_foreach(json_object_get(r, "ns"), ns, addrs) {
		char nsa[ZM_NAME_MAX + 1];

		if (zm_name_alabel(ns, nsa, sizeof(nsa), why, sizeof(why)) < 0)
			continue;
		if (json_array_size(addrs) == 0) {
			argv_add(&a, "--ns");
			argv_add(&a, nsa);
		}
		json_array_foreach(addrs, i, v) {
			snprintf(tmp, sizeof(tmp), "%s/%s", nsa, json_string_value(v));
			argv_add(&a, "--ns");
			argv_add(&a, tmp);
		}
	}
	json_array_foreach(json_object_get(r, "ds"), i, v) {
		snprintf(tmp, sizeof(tmp), "%lld,%lld,%lld,%s",
		    (long long)json_integer_value(json_object_get(v, "keytag")),
		    (long long)json_integer_value(json_object_get(v, "algorithm")),
		    (long long)json_integer_value(json_object_get(v, "type")),
		    json_string_value(json_object_get(v, "digest")));
		argv_add(&a, "--ds");
		argv_add(&a, tmp);
	}
	for (; extra != NULL && *extra != NULL; extra++)
		argv_add(&a, *extra);
	argv_add(&a, alabel);
	return a.v;
}

void
zm_argv_free(char **v)
{
	for (char **p = v; p != NULL && *p != NULL; p++)
		free(*p);
	free(v);
}
