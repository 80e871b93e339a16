/*
 * error.c: the per-thread last error, return code names and exit codes.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define CL_ERROR_MAX 1024

static _Thread_local char error_text[CL_ERROR_MAX];
static _Thread_local cl_error last_error = { CL_OK, NULL };

int cl__error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error_text, sizeof(error_text), fmt, ap);
	va_end(ap);
	last_error.code = code;
	last_error.message = error_text;
	return code;
}

int cl__error_nomem(void)
{
	/* No formatting: it must work when nothing else can be allocated. */
	last_error.code = CL_ENOMEM;
	last_error.message = "out of memory";
	return CL_ENOMEM;
}

const cl_error *cl_error_last(void)
{
	if (last_error.message == NULL) {
		last_error.code = CL_OK;
		last_error.message = "no error";
	}
	return &last_error;
}

void cl_error_clear(void)
{
	last_error.code = CL_OK;
	last_error.message = NULL;
}

const char *cl_strerror(int code)
{
	switch (code) {
	case CL_OK: return "success";
	case CL_ERROR: return "error";
	case CL_ENOMEM: return "out of memory";
	case CL_ENOTFOUND: return "not found";
	case CL_EINVALID: return "invalid input";
	case CL_ECONFIG: return "configuration error";
	case CL_ESTORE: return "store error";
	case CL_ETRACKER: return "tracker error";
	case CL_ETIMEOUT: return "timed out";
	case CL_EIO: return "input/output error";
	case CL_EVERSION: return "version mismatch";
	case CL_EEXISTS: return "already exists";
	default: return "unknown error";
	}
}

int cl_exit_code(int code)
{
	switch (code) {
	case CL_OK:
		return CL_EXIT_OK;
	case CL_EINVALID:
	case CL_ECONFIG:
	case CL_EVERSION:
		return CL_EXIT_USAGE;
	case CL_ESTORE:
	case CL_ETRACKER:
	case CL_ETIMEOUT:
		return CL_EXIT_UNREACHABLE;
	default:
		return CL_EXIT_CHECK;
	}
}

const char *cl_version(void)
{
	return PACKAGE_VERSION;
}
