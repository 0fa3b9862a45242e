/* Logging through libqb; see include/understudy/log.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "understudy/log.h"

void
log_init(const char *ident, int to_stderr, int debug)
{
	qb_log_init(ident, LOG_DAEMON, debug ? LOG_DEBUG : LOG_INFO);
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_TRUE);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE,
	    "*", debug ? LOG_DEBUG : LOG_INFO);
	qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, to_stderr ? QB_TRUE : QB_FALSE);
	qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE,
	    "*", debug ? LOG_DEBUG : LOG_INFO);
	/* The shape of Pacemaker's own agents ("INFO: text"), plus who speaks,
	 * so that a merged log stays readable. */
	qb_log_format_set(QB_LOG_STDERR, "%N[%P]: %p: %b");
	qb_log_format_set(QB_LOG_SYSLOG, "%p: %b");
}

void
log_fini(void)
{
	qb_log_fini();
}

void
fatal(int code, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	qb_log(LOG_ERR, "%s", msg);
	qb_log_fini();
	exit(code);
}
