/*
 * log.c: where library messages go. Library code never prints; programs
 * route messages (the daemon to its journal, the hooks to the pusher).
 */
#include <stdio.h>

#include "internal.h"

static cl_log_level log_level = CL_LOG_WARNING;
static cl_log_fn log_fn;
static void *log_payload;

void cl_log_set(cl_log_level level, cl_log_fn fn, void *payload)
{
	log_level = level;
	log_fn = fn;
	log_payload = payload;
}

static const char *level_name(cl_log_level level)
{
	switch (level) {
	case CL_LOG_ERROR: return "error";
	case CL_LOG_WARNING: return "warning";
	case CL_LOG_INFO: return "info";
	default: return "debug";
	}
}

void cl_log(cl_log_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_fn != NULL)
		log_fn(level, msg, log_payload);
	else
		fprintf(stderr, "closeloop: %s: %s\n", level_name(level), msg);
}
