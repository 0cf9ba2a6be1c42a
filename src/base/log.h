/*
 * Logging for the core. The core never prints: it hands messages to a sink that the front
 * end installs (stderr, syslog, a file). Without a sink, messages are dropped.
 * Never log keys, passwords or plaintext names.
 */
#ifndef VEILFS_BASE_LOG_H
#define VEILFS_BASE_LOG_H

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

typedef void (*log_sink_fn)(enum log_level level, const char *msg);

/* Install the sink (NULL drops messages) and the most verbose level it receives. */
void log_set_sink(log_sink_fn sink, enum log_level max_level);
void vlog(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) vlog(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) vlog(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) vlog(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) vlog(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
