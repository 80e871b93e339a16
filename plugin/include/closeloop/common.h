/*
 * common.h: export macro, error codes and the last-error API shared by every
 * part of libcloseloop.
 */
#ifndef CLOSELOOP_COMMON_H
#define CLOSELOOP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CL_EXTERN(type) extern __attribute__((visibility("default"))) type
#else
#define CL_EXTERN(type) extern type
#endif

/*
 * Return codes. 0 is success, failures are negative. The list is only ever
 * appended to; cl_strerror() names each.
 */
typedef enum {
	CL_OK = 0,
	CL_ERROR = -1,     /* generic failure; see cl_error_last() */
	CL_ENOMEM = -2,    /* out of memory */
	CL_ENOTFOUND = -3, /* the thing asked for does not exist */
	CL_EINVALID = -4,  /* bad input: a value, a message, an argument */
	CL_ECONFIG = -5,   /* the configuration has errors */
	CL_ESTORE = -6,    /* the store failed or is unreachable */
	CL_ETRACKER = -7,  /* the tracker failed or is unreachable */
	CL_ETIMEOUT = -8,  /* a deadline passed */
	CL_EIO = -9,       /* a file could not be read or written */
	CL_EVERSION = -10, /* a backend or schema of an unknown version */
	CL_EEXISTS = -11,  /* the thing to create is already there */
	CL_EAUTH = -12     /* a signature, secret or token was missing or wrong */
} cl_error_code;

/* Exit codes of every closeloop program (DESIGN.md "The admin CLI"). */
enum {
	CL_EXIT_OK = 0,
	CL_EXIT_CHECK = 1,  /* the check failed: violations found, push rejected */
	CL_EXIT_USAGE = 2,  /* usage or configuration error */
	CL_EXIT_UNREACHABLE = 3 /* store or tracker unreachable */
};

typedef struct {
	int code;            /* a cl_error_code */
	const char *message; /* never NULL; "no error" when nothing is set */
} cl_error;

/*
 * The last error set on this thread. The pointer is valid until the next
 * libcloseloop call on the same thread.
 */
CL_EXTERN(const cl_error *) cl_error_last(void);

/* Forget the last error on this thread. */
CL_EXTERN(void) cl_error_clear(void);

/* A short name for a return code ("not found"). */
CL_EXTERN(const char *) cl_strerror(int code);

/* Map a return code to a program exit code (CL_EXIT_*). */
CL_EXTERN(int) cl_exit_code(int code);

/* The library version, "MAJOR.MINOR.PATCH". */
CL_EXTERN(const char *) cl_version(void);

#ifdef __cplusplus
}
#endif
#endif
