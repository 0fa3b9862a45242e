/* libFuzzer target: dnsrr-monitor's failover-monitor.config. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "../../helpers/dnsrr/monconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf warn = BUF_INIT;
	struct monconf m;
	char why[512];

	if (monconf_parse((const char *)data, size, "fuzz", &m, &warn, why, sizeof(why)) == 0) {
		if (m.nchecks == 0 || m.servers.n == 0 || m.tsig_key_file[0] == '\0')
			abort();
		monconf_free(&m);
	} else if (why[0] == '\0' || m.checks != NULL)
		abort();
	buf_free(&warn);
	return 0;
}
