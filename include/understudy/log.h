/* Logging through libqb: stderr (which Pacemaker captures) and syslog.
 * ident is the resource instance for agents, the program name otherwise. */
#ifndef UNDERSTUDY_LOG_H
#define UNDERSTUDY_LOG_H

#include <qb/qblog.h>

void	 log_init(const char *ident, int to_stderr, int debug);
void	 log_fini(void);

#define log_err(fmt, ...)	qb_log(LOG_ERR, fmt, ##__VA_ARGS__)
#define log_warn(fmt, ...)	qb_log(LOG_WARNING, fmt, ##__VA_ARGS__)
#define log_info(fmt, ...)	qb_log(LOG_INFO, fmt, ##__VA_ARGS__)
#define log_debug(fmt, ...)	qb_log(LOG_DEBUG, fmt, ##__VA_ARGS__)

/* Logs and exits with the given code: for helpers whose caller reads the
 * exit status (agents return enum ocf_exitcode instead). */
void	 fatal(int code, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#endif
