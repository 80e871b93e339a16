/*
 * http_int.h: seams into the HTTP client for tests; not installed and not
 * exported (cl__ names).
 */
#ifndef CLOSELOOP_HTTP_INT_H
#define CLOSELOOP_HTTP_INT_H

#include <stdint.h>
#include <closeloop/http.h>

/*
 * Replace the random source of the backoff jitter; NULL restores the
 * default (a per-thread xorshift, not for cryptography). fn returns a
 * value in [0, UINT32_MAX]: 0 means no wait, UINT32_MAX the whole cap.
 * Set it before any cl_http is driven; it is process-wide.
 */
void cl__http_set_random(uint32_t (*fn)(void *payload), void *payload);

/*
 * The jittered wait before attempt k (k >= 1, the first retry is 1), in
 * milliseconds: uniformly random in
 * [0, min(backoff_max_ms, backoff_base_ms * 2^(k-1))].
 */
long cl__http_backoff_ms(const cl_http_opts *opts, int attempt);

#endif
