/* What pgwarm-receive reads from others: the primary's CopyData messages
 * (XLogData, keepalives), the server's wal_segment_size text, and its own
 * status file as the agent (root) reads it back. Input: messages framed
 * as a 2-byte length and that many bytes; the whole input also as a
 * status file and a size. No crash, no read past a message, and a status
 * that parses prints back to one that parses the same. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helpers/pgwarm/recv.h"
#include "../../helpers/pgwarm/wal.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256], text[2048], *s;
	struct recv_status st, again;
	struct recv_msg m;
	size_t off = 0;

	while (off + 2 <= size) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];
		char *msg;

		off += 2;
		if (n > size - off)
			n = size - off;
		if ((msg = malloc(n ? n : 1)) == NULL)
			return 0;
		memcpy(msg, data + off, n);	/* exact size: ASan sees an overrun */
		if (recv_msg_parse(msg, n, &m, why, sizeof(why)) == 0) {
			if (m.kind == RECV_MSG_DATA && (m.len > RECV_DATA_MAX ||
			    m.data != msg + 25 || m.len != n - 25 || m.start > UINT64_MAX - m.len))
				abort();
			if (m.kind == RECV_MSG_DATA && m.len)
				(void)(volatile char)m.data[m.len - 1];
		}
		free(msg);
		off += n;
	}
	if (recv_status_parse((const char *)data, size, &st) == 0) {
		size_t n = recv_status_format(&st, text, sizeof(text));

		if (recv_status_parse(text, n, &again) != 0 || again.state != st.state ||
		    again.flushed.lsn != st.flushed.lsn || again.flushed.tli != st.flushed.tli ||
		    again.pid != st.pid)
			abort();
	}
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	{
		uint64_t v = recv_segsz_parse(s);

		if (v && (v < WAL_SEGMENT_MIN || v > WAL_SEGMENT_MAX || (v & (v - 1))))
			abort();
	}
	free(s);
	return 0;
}
