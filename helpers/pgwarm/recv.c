/* The connection-free parts of pgwarm-receive; see recv.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lz4file.h"
#include "recv.h"
#include "wal.h"

static uint64_t
be64(const char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | (unsigned char)p[i];
	return v;
}

static void
put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

int
recv_msg_parse(const char *buf, size_t len, struct recv_msg *m, char *why, size_t whylen)
{
	memset(m, 0, sizeof(*m));
	if (len == 0) {
		snprintf(why, whylen, "empty message");
		return -1;
	}
	switch (buf[0]) {
	case 'w':	/* XLogData: start, end of WAL, send time, data */
		if (len < 25) {
			snprintf(why, whylen, "XLogData of %zu bytes, shorter than its header", len);
			return -1;
		}
		m->kind = RECV_MSG_DATA;
		m->start = be64(buf + 1);
		m->server_end = be64(buf + 9);
		m->data = buf + 25;
		m->len = len - 25;
		if (m->len > RECV_DATA_MAX) {
			snprintf(why, whylen, "XLogData of %zu bytes (at most %u)", m->len,
			    RECV_DATA_MAX);
			return -1;
		}
		if (m->start > UINT64_MAX - m->len) {
			snprintf(why, whylen, "XLogData at %016" PRIX64 " wraps", m->start);
			return -1;
		}
		return 0;
	case 'k':	/* keepalive: end of WAL, send time, reply requested */
		if (len < 18) {
			snprintf(why, whylen, "keepalive of %zu bytes, want 18", len);
			return -1;
		}
		m->kind = RECV_MSG_KEEPALIVE;
		m->server_end = be64(buf + 1);
		m->reply = buf[17] != 0;
		return 0;
	default:
		snprintf(why, whylen, "unknown message type 0x%02x", (unsigned char)buf[0]);
		return -1;
	}
}

size_t
recv_status_update(unsigned char out[34], uint64_t pos, int64_t now_us, int reply)
{
	out[0] = 'r';
	put_be64(out + 1, pos);		/* written */
	put_be64(out + 9, pos);		/* flushed: we only report what is fsynced */
	put_be64(out + 17, 0);		/* applied: nothing is applied here */
	put_be64(out + 25, (uint64_t)now_us);
	out[33] = reply ? 1 : 0;
	return 34;
}

int
recv_start_from(const struct recv_file *f, size_t n, uint32_t max_tli, uint64_t segsz,
    struct wal_pos *start)
{
	const struct recv_file *full = NULL, *part = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct recv_file **best = f[i].partial ? &part : &full;

		if (f[i].tli == 0 || f[i].tli > max_tli)
			continue;
		if (*best == NULL || f[i].segno > (*best)->segno ||
		    (f[i].segno == (*best)->segno && f[i].tli > (*best)->tli))
			*best = &f[i];
	}
	if (part && (full == NULL || part->segno > full->segno)) {
		start->tli = part->tli;
		start->lsn = part->segno * segsz;
		return 1;
	}
	if (full) {
		start->tli = full->tli;
		start->lsn = (full->segno + 1) * segsz;
		return 1;
	}
	return 0;
}

/* The segment number a name gives: log * (4 GiB / segsz) + seg. */
static uint64_t
name_segno(const char *name, uint64_t segsz)
{
	char log[9], seg[9];

	memcpy(log, name + 8, 8);
	memcpy(seg, name + 16, 8);
	log[8] = seg[8] = '\0';
	return strtoull(log, NULL, 16) * (0x100000000ULL / segsz) + strtoull(seg, NULL, 16);
}

/* The segment field below 4 GiB / segsz, and the position representable. */
static int
name_in_range(const char *name, uint64_t segsz)
{
	char log[9], seg[9];
	uint64_t per = 0x100000000ULL / segsz;

	memcpy(log, name + 8, 8);
	memcpy(seg, name + 16, 8);
	log[8] = seg[8] = '\0';
	return strtoull(seg, NULL, 16) < per && strtoull(log, NULL, 16) < 0xFFFFFFFFULL;
}

int
recv_scan(const char *dir, uint64_t segsz, struct recv_file **out, size_t *n, char *why,
    size_t whylen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (d == NULL) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		enum wal_kind k = wal_kind_stored(de->d_name);
		struct recv_file *v;

		if (k != WAL_SEGMENT && k != WAL_PARTIAL)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((v = realloc(*out, cap * sizeof(**out))) == NULL) {
				closedir(d);
				free(*out);
				*out = NULL;
				snprintf(why, whylen, "out of memory");
				return -1;
			}
			*out = v;
		}
		if (!name_in_range(de->d_name, segsz))
			continue;	/* no segment of this size: not ours to resume from */
		(*out)[(*n)++] = (struct recv_file){ wal_timeline(de->d_name),
		    name_segno(de->d_name, segsz), k == WAL_PARTIAL };
	}
	closedir(d);
	return 0;
}

uint64_t
recv_segsz_parse(const char *s)
{
	char *end;
	unsigned long long v;
	uint64_t mult;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	if (strcmp(end, "kB") == 0)
		mult = 1ULL << 10;
	else if (strcmp(end, "MB") == 0)
		mult = 1ULL << 20;
	else if (strcmp(end, "GB") == 0)
		mult = 1ULL << 30;
	else if (*end == '\0')
		mult = 1;
	else
		return 0;
	if (v > WAL_SEGMENT_MAX / mult)
		return 0;
	v *= mult;
	return v >= WAL_SEGMENT_MIN && v <= WAL_SEGMENT_MAX && (v & (v - 1)) == 0 ? v : 0;
}

static const char *const state_names[] = { "connecting", "streaming", "refused", "error",
    "stopped" };

const char *
recv_state_name(enum recv_state s)
{
	return s <= RECV_STOPPED ? state_names[s] : "unknown";
}

/* Keeps a value on its line: control characters become '?'. */
static void
one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

size_t
recv_status_format(const struct recv_status *st, char *out, size_t outlen)
{
	char primary[sizeof(st->primary)], reason[sizeof(st->reason)];
	int n;

	snprintf(primary, sizeof(primary), "%s", st->primary);
	snprintf(reason, sizeof(reason), "%s", st->reason);
	one_line(primary);
	one_line(reason);
	n = snprintf(out, outlen, "pid %ld\nstate %s\nprimary %s\nflushed %08" PRIX32 "/%016"
	    PRIX64 "\nserver_end %016" PRIX64 "\nsince %ld\nreason %s\nend\n", st->pid,
	    recv_state_name(st->state), primary, st->flushed.tli, st->flushed.lsn,
	    st->server_end, st->since, reason);
	return n < 0 ? 0 : (size_t)n >= outlen ? outlen - 1 : (size_t)n;
}

int
recv_status_parse(const char *text, size_t len, struct recv_status *st)
{
	char buf[2048], *line, *save = NULL;
	int seen = 0, ended = 0;

	memset(st, 0, sizeof(*st));
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, ' ');

		if (strcmp(line, "end") == 0) {
			ended = 1;
			break;
		}
		if (v == NULL)
			return -1;
		*v++ = '\0';
		if (strcmp(line, "pid") == 0) {
			st->pid = strtol(v, NULL, 10);
			seen |= 1;
		} else if (strcmp(line, "state") == 0) {
			int found = -1;

			for (int i = 0; i <= RECV_STOPPED; i++)
				if (strcmp(v, state_names[i]) == 0)
					found = i;
			if (found == -1)
				return -1;
			st->state = (enum recv_state)found;
			seen |= 2;
		} else if (strcmp(line, "primary") == 0) {
			snprintf(st->primary, sizeof(st->primary), "%s", v);
		} else if (strcmp(line, "flushed") == 0) {
			if (sscanf(v, "%8" SCNx32 "/%16" SCNx64, &st->flushed.tli,
			    &st->flushed.lsn) != 2)
				return -1;
			seen |= 4;
		} else if (strcmp(line, "server_end") == 0) {
			st->server_end = strtoull(v, NULL, 16);
		} else if (strcmp(line, "since") == 0) {
			st->since = strtol(v, NULL, 10);
		} else if (strcmp(line, "reason") == 0) {
			snprintf(st->reason, sizeof(st->reason), "%s", v);
		}
	}
	return ended && seen == 7 ? 0 : -1;
}
