/*
 * clock.h: the one place libcloseloop reads the time. Tests and
 * simulations replace the clock instead of sleeping.
 */
#ifndef CLOSELOOP_CLOCK_H
#define CLOSELOOP_CLOCK_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Returns Unix seconds. */
typedef int64_t (*cl_clock_fn)(void *payload);

/* Replace the process clock; NULL restores the system clock. */
CL_EXTERN(void) cl_clock_set(cl_clock_fn fn, void *payload);

/*
 * CLOSELOOP_NOW, when set, fixes the clock of this process: a time
 * ("2026-11-24T09:00:00Z") or "+DURATION" from the real now ("+5h"), to
 * see what a reminder pass would do then, and for tests. The admin CLI
 * and the hooks call this at start; CL_EINVALID for a value that is
 * neither (the clock is left alone).
 */
CL_EXTERN(int) cl_clock_set_from_env(void);

/* Now, in Unix seconds, from the current clock. */
CL_EXTERN(int64_t) cl_clock_now(void);

/* Format t as "2026-11-23T09:30:00Z" into buf (at least 21 bytes). */
CL_EXTERN(int) cl_time_format(char *buf, size_t len, int64_t t);

/*
 * Parse a time as users give it: "2026-11-23", "2026-11-23T09:30:00Z",
 * "2026-11-23 09:30", "2026-11-23T10:30:00+01:00" (no zone: UTC), or
 * relative "7d" / "4h" (that long before now).
 */
CL_EXTERN(int) cl_time_parse(int64_t *out, const char *text);

#ifdef __cplusplus
}
#endif
#endif
