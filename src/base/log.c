/*
 * Log dispatch to the sink installed by the front end. Messages are formatted into a
 * bounded stack buffer; longer ones are truncated.
 */
#include <stdarg.h>
#include <stdio.h>
#include "base/log.h"

static log_sink_fn log_sink;
static enum log_level log_max = LOG_LEVEL_INFO;

void log_set_sink(log_sink_fn sink, enum log_level max_level)
{
	log_sink = sink;
	log_max = max_level;
}

void vlog(enum log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log_sink || level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_sink(level, msg);
}
