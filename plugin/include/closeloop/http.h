/*
 * http.h: the HTTP client trackers use. Built on libcurl's multi
 * interface so that many lookups run at once inside one deadline; retries
 * idempotent calls with exponential backoff and full jitter, honours
 * Retry-After, keeps connections alive, verifies TLS, and never logs
 * request headers (they carry tokens).
 */
#ifndef CLOSELOOP_HTTP_H
#define CLOSELOOP_HTTP_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cl_http cl_http;

typedef struct {
	unsigned int version;   /* CL_HTTP_OPTS_VERSION */
	int max_retries;        /* extra attempts for idempotent calls; 3 */
	long backoff_base_ms;   /* first backoff cap; 100 */
	long backoff_max_ms;    /* largest backoff cap; 5000 */
	long connect_timeout_ms;/* per attempt; 3000 */
	long request_timeout_ms;/* per attempt; 10000 */
	size_t max_body;        /* largest response body kept; 16 MiB */
	int max_connections;    /* parallel transfers; 16 */
	const char *ca_file;    /* extra CA bundle; NULL for the system's */
} cl_http_opts;

#define CL_HTTP_OPTS_VERSION 1
#define CL_HTTP_OPTS_INIT { CL_HTTP_OPTS_VERSION, 3, 100, 5000, 3000, 10000, \
	16 * 1024 * 1024, 16, NULL }

typedef struct {
	const char *method;          /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *url;
	const char *const *headers;  /* NULL-terminated "Name: value" lines */
	const char *body;            /* NULL for none */
	size_t body_len;
	int idempotent;              /* may be retried (GET, PUT by id) */
} cl_http_request;

typedef struct {
	long status;          /* HTTP status; 0 when no response came */
	char *body;           /* NUL-terminated; may be empty, never NULL */
	size_t body_len;
	long retry_after;     /* seconds from Retry-After or rate-limit reset; -1 */
	int attempts;         /* how many tries were made */
	int error;            /* 0, or CL_ETIMEOUT / CL_ETRACKER for transport */
	char *error_message;  /* transport problem in words; NULL when none */
} cl_http_response;

/* Called once per request when it is finished (after retries). The
 * response is borrowed for the call. The callback may submit requests,
 * but must not drive transfers (poll, run, perform) or free the client. */
typedef void (*cl_http_done_cb)(const cl_http_response *resp, void *payload);

CL_EXTERN(int) cl_http_new(cl_http **out, const cl_http_opts *opts);

/*
 * Queue a request; it starts at the next cl_http_poll/cl_http_run. The
 * request's strings are copied.
 */
CL_EXTERN(int) cl_http_submit(cl_http *http, const cl_http_request *req,
	cl_http_done_cb cb, void *payload);

/* Move transfers along without waiting; returns how many are unfinished. */
CL_EXTERN(int) cl_http_poll(cl_http *http);

/*
 * Drive transfers until none is left or the deadline (monotonic ms from
 * cl_http_now_ms) passes; then every unfinished request completes with
 * error CL_ETIMEOUT and CL_ETIMEOUT is returned.
 */
CL_EXTERN(int) cl_http_run(cl_http *http, int64_t deadline_ms);

/*
 * One request, waited for until deadline_ms; other queued requests move
 * along meanwhile. Returns 0 when a response came (whatever its status),
 * with *out freed by cl_http_response_free; on a transport failure
 * returns CL_ETIMEOUT or CL_ETRACKER with the message set and *out NULL.
 */
CL_EXTERN(int) cl_http_perform(cl_http_response **out, cl_http *http,
	const cl_http_request *req, int64_t deadline_ms);

CL_EXTERN(void) cl_http_response_free(cl_http_response *resp);

/* Monotonic milliseconds, for deadlines. */
CL_EXTERN(int64_t) cl_http_now_ms(void);
/* Seconds the last response that asked to wait (Retry-After, a rate-limit
 * reset) asked for; -1 when the last response did not. For callers that
 * schedule their own retries (the outbox). */
CL_EXTERN(long) cl_http_retry_after(const cl_http *http);

/* Percent-encode s for a URL query or path segment; free with cl_free. */
CL_EXTERN(char *) cl_http_escape(const char *s);

/* Unfinished requests are dropped without calling their callbacks. */
CL_EXTERN(void) cl_http_free(cl_http *http);

#ifdef __cplusplus
}
#endif
#endif
