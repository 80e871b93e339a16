/*
 * log.h: library code logs only through here, never to stdout. Programs
 * choose where messages go; the default writes warnings and errors to
 * stderr.
 */
#ifndef CLOSELOOP_LOG_H
#define CLOSELOOP_LOG_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	CL_LOG_ERROR = 0,
	CL_LOG_WARNING,
	CL_LOG_INFO,
	CL_LOG_DEBUG
} cl_log_level;

typedef void (*cl_log_fn)(cl_log_level level, const char *message,
	void *payload);

/* Send messages at or above level to fn; fn NULL restores the default. */
CL_EXTERN(void) cl_log_set(cl_log_level level, cl_log_fn fn, void *payload);

CL_EXTERN(void) cl_log(cl_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

#ifdef __cplusplus
}
#endif
#endif
