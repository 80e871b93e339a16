/*
 * httpstub.h: a small HTTP server standing in for trackers in tests and
 * benchmarks. It listens on 127.0.0.1 on a free port, in its own threads
 * (libmicrohttpd, one thread per connection, so a delayed answer holds
 * up no other), answers from canned responses per method and path, and
 * records every request it receives. All functions are thread-safe.
 */
#ifndef CL_TEST_HTTPSTUB_H
#define CL_TEST_HTTPSTUB_H

#include <stddef.h>

typedef struct httpstub httpstub;

/* A canned response; the stub copies everything. */
typedef struct {
	int status;
	const char *body;            /* NULL for none */
	size_t body_len;             /* 0: strlen(body) */
	const char *const *headers;  /* NULL-terminated "Name: value" lines */
	long delay_ms;               /* wait this long before answering */
	int chunked;                 /* no Content-Length: chunked encoding */
} httpstub_resp;

typedef struct {
	const char *name;
	const char *value;
} httpstub_header;

/* A request as received. Valid until httpstub_reset or httpstub_stop. */
typedef struct {
	char *method;
	char *path;                /* as sent, without the query string */
	char *query;               /* after '?', as sent; "" when none */
	httpstub_header *headers;
	size_t n_headers;
	char *body;                /* NUL-terminated; "" when none */
	size_t body_len;
} httpstub_req;

/* Start on 127.0.0.1 and a free port; NULL on failure. */
httpstub *httpstub_start(void);

/* Stop, waking delayed answers at once, and free everything. */
void httpstub_stop(httpstub *stub);

/* "http://127.0.0.1:PORT", no trailing slash. */
const char *httpstub_url(httpstub *stub);
unsigned short httpstub_port(httpstub *stub);

/*
 * Add a response to the route method + path (path without query string).
 * A route given several responses answers with them in order, and with
 * the last one again once they are used up. Unknown routes answer 404
 * {"error":"not stubbed"}. A body without a Content-Type header is sent
 * as application/json.
 */
void httpstub_expect(httpstub *stub, const char *method, const char *path,
	int status, const char *body, const char *const *headers);
void httpstub_expect_resp(httpstub *stub, const char *method,
	const char *path, const httpstub_resp *resp);

/*
 * A handler answers what no route matches, by calling httpstub_answer
 * (which copies) and returning 1; returning 0 leaves the 404. It runs on
 * the stub's connection threads, several at once.
 */
typedef struct httpstub_reply httpstub_reply;
typedef int (*httpstub_handler)(httpstub_reply *reply,
	const httpstub_req *req, void *payload);

void httpstub_set_handler(httpstub *stub, httpstub_handler fn,
	void *payload);
void httpstub_answer(httpstub_reply *reply, const httpstub_resp *resp);

/* Requests received so far, in order of arrival of their last byte. */
size_t httpstub_count(httpstub *stub);
const httpstub_req *httpstub_request(httpstub *stub, size_t i);

/* A header of a request, by name in any case; NULL when absent. */
const char *httpstub_req_header(const httpstub_req *req, const char *name);

/* TCP connections accepted so far (keep-alive makes this small). */
size_t httpstub_connections(httpstub *stub);

/* Forget routes, the handler and recorded requests. */
void httpstub_reset(httpstub *stub);

#endif
