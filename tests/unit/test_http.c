/*
 * test_http.c: the HTTP client over real HTTP on loopback, against the
 * stub server: what arrives, concurrency and keep-alive, retries and their
 * waits, deadlines, limits, redirects, and that no secret reaches a
 * message. The jitter seam is zero unless a test says otherwise, so that
 * retries are quick and waits come only from what the server asked for.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"
#include "internal.h"
#include "http_int.h"
#include "httpstub.h"

static httpstub *stub;

static uint32_t zero_random(void *payload)
{
	(void)payload;
	return 0;
}

static uint32_t max_random(void *payload)
{
	(void)payload;
	return UINT32_MAX;
}

/* A fixed sequence spread over the range. */
static uint32_t lcg_random(void *payload)
{
	uint32_t *state = payload;

	*state = *state * 1664525u + 1013904223u;
	return *state;
}

static void setup(void)
{
	stub = httpstub_start();
	ck_assert_ptr_nonnull(stub);
	cl__http_set_random(zero_random, NULL);
}

static void teardown(void)
{
	httpstub_stop(stub);
	stub = NULL;
	cl__http_set_random(NULL, NULL);
}

/* Helpers *****************************************************************/

static const char *url(const char *path)
{
	static char buf[8][256];
	static int next;
	char *out = buf[next++ % 8];

	snprintf(out, sizeof(buf[0]), "%s%s", httpstub_url(stub), path);
	return out;
}

static cl_http *client(int max_retries)
{
	cl_http_opts opts = CL_HTTP_OPTS_INIT;
	cl_http *http = NULL;

	opts.max_retries = max_retries;
	ck_assert_int_eq(cl_http_new(&http, &opts), 0);
	return http;
}

static cl_http *client_opts(const cl_http_opts *opts)
{
	cl_http *http = NULL;

	ck_assert_int_eq(cl_http_new(&http, opts), 0);
	return http;
}

static int64_t in_ms(int64_t ms)
{
	return cl_http_now_ms() + ms;
}

/* What a callback saw, copied. */
typedef struct {
	int calls;
	long status;
	char *body;
	size_t body_len;
	long retry_after;
	int attempts;
	int error;
	char *message;
	int64_t done_ms;
} result;

static void collect(const cl_http_response *r, void *payload)
{
	result *res = payload;

	res->calls++;
	ck_assert_ptr_nonnull(r->body);
	ck_assert_int_eq(r->body[r->body_len], '\0');
	if (r->error)
		ck_assert_ptr_nonnull(r->error_message);
	else
		ck_assert_ptr_null(r->error_message);
	free(res->body);
	free(res->message);
	res->status = r->status;
	res->body = strdup(r->body);
	res->body_len = r->body_len;
	res->retry_after = r->retry_after;
	res->attempts = r->attempts;
	res->error = r->error;
	res->message = r->error_message ? strdup(r->error_message) : NULL;
	res->done_ms = cl_http_now_ms();
}

static void result_clear(result *res)
{
	free(res->body);
	free(res->message);
	memset(res, 0, sizeof(*res));
}

static cl_http_request request(const char *method, const char *u,
	const char *const *headers, const char *body, int idempotent)
{
	cl_http_request req;

	req.method = method;
	req.url = u;
	req.headers = headers;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.idempotent = idempotent;
	return req;
}

/* Submit one request and run until it is done or the deadline. */
static int run_one(result *res, cl_http *http, const cl_http_request *req,
	int64_t deadline)
{
	ck_assert_int_eq(cl_http_submit(http, req, collect, res), 0);
	return cl_http_run(http, deadline);
}

/* A port nothing listens on: bound for a moment, then closed. */
static unsigned short closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* What arrives ************************************************************/

START_TEST(get_sends_headers_and_query)
{
	const char *headers[] = { "X-Redmine-API-Key: k3y",
		"Accept: application/json", NULL };
	cl_http_request req = request("GET",
		url("/issues.json?issue_id=1,2&status_id=*"), headers, NULL, 1);
	cl_http *http = client(3);
	cl_http_response *resp = NULL;
	const httpstub_req *got;

	httpstub_expect(stub, "GET", "/issues.json", 200,
		"{\"issues\":[]}", NULL);
	ck_assert_int_eq(cl_http_perform(&resp, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(resp->status, 200);
	ck_assert_str_eq(resp->body, "{\"issues\":[]}");
	ck_assert_uint_eq(resp->body_len, 13);
	ck_assert_int_eq(resp->attempts, 1);
	ck_assert_int_eq(resp->error, 0);
	ck_assert_ptr_null(resp->error_message);
	ck_assert_int_eq(resp->retry_after, -1);

	ck_assert_uint_eq(httpstub_count(stub), 1);
	got = httpstub_request(stub, 0);
	ck_assert_str_eq(got->method, "GET");
	ck_assert_str_eq(got->path, "/issues.json");
	ck_assert_str_eq(got->query, "issue_id=1,2&status_id=*");
	ck_assert_str_eq(httpstub_req_header(got, "x-redmine-api-key"), "k3y");
	ck_assert_str_eq(httpstub_req_header(got, "Accept"),
		"application/json");
	ck_assert_str_eq(httpstub_req_header(got, "User-Agent"),
		"closeloop/0.1.0");
	ck_assert_uint_eq(got->body_len, 0);
	cl_http_response_free(resp);
	cl_http_free(http);
}
END_TEST

START_TEST(bodies_arrive_exactly)
{
	const char *json[] = { "Content-Type: application/json",
		"Authorization: Basic dXNlcjpwdw==", NULL };
	const char *post_body = "{\"issue\":{\"notes\":\"Fixed in a1b2\"}}";
	char *big = repeat('b', 300 * 1024);
	cl_http *http = client(0);
	cl_http_response *resp = NULL;
	cl_http_request req;
	const httpstub_req *got;

	httpstub_expect(stub, "POST", "/issues.json", 201, "{}", NULL);
	httpstub_expect(stub, "PUT", "/issues/1.json", 204, NULL, NULL);
	httpstub_expect(stub, "PATCH", "/issues/1.json", 200, "{}", NULL);
	httpstub_expect(stub, "DELETE", "/issues/1.json", 204, NULL, NULL);

	req = request("POST", url("/issues.json"), json, post_body, 0);
	ck_assert_int_eq(cl_http_perform(&resp, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(resp->status, 201);
	cl_http_response_free(resp);
	got = httpstub_request(stub, 0);
	ck_assert_str_eq(got->method, "POST");
	ck_assert_str_eq(got->body, post_body);
	ck_assert_uint_eq(got->body_len, strlen(post_body));
	ck_assert_str_eq(httpstub_req_header(got, "Content-Type"),
		"application/json");
	ck_assert_str_eq(httpstub_req_header(got, "Authorization"),
		"Basic dXNlcjpwdw==");

	/* A body with a NUL in it: body_len counts, not strlen. */
	req = request("PUT", url("/issues/1.json"), json, "a\0b", 1);
	req.body_len = 3;
	ck_assert_int_eq(cl_http_perform(&resp, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(resp->status, 204);
	ck_assert_uint_eq(resp->body_len, 0);
	ck_assert_str_eq(resp->body, "");
	cl_http_response_free(resp);
	got = httpstub_request(stub, 1);
	ck_assert_str_eq(got->method, "PUT");
	ck_assert_uint_eq(got->body_len, 3);
	ck_assert_mem_eq(got->body, "a\0b", 3);

	/* A PUT without a body still says how long it is. */
	req = request("PUT", url("/issues/1.json"), NULL, NULL, 1);
	ck_assert_int_eq(cl_http_perform(&resp, http, &req, in_ms(5000)), 0);
	cl_http_response_free(resp);
	got = httpstub_request(stub, 2);
	ck_assert_str_eq(httpstub_req_header(got, "Content-Length"), "0");
	ck_assert_uint_eq(got->body_len, 0);

	req = request("PATCH", url("/issues/1.json"), json, "{\"p\":1}", 0);
	ck_assert_int_eq(cl_http_perform(&resp, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(resp->status, 200);
	cl_http_response_free(resp);
	got = httpstub_request(stub, 3);
	ck_assert_str_eq(got->method, "PATCH");
	ck_assert_str_eq(got->body, "{\"p\":1}");

	req = request("DELETE", url("/issues/1.json"), NULL, NULL, 1);
	ck_assert_int_eq(cl_http_perform(&resp, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(resp->status, 204);
	cl_http_response_free(resp);
	ck_assert_str_eq(httpstub_request(stub, 4)->method, "DELETE");

	/* Large bodies go without an Expect: 100-continue round trip. */
	req = request("POST", url("/issues.json"), json, big, 0);
	ck_assert_int_eq(cl_http_perform(&resp, http, &req, in_ms(5000)), 0);
	cl_http_response_free(resp);
	got = httpstub_request(stub, 5);
	ck_assert_uint_eq(got->body_len, 300 * 1024);
	ck_assert_str_eq(got->body, big);
	ck_assert_ptr_null(httpstub_req_header(got, "Expect"));
	free(big);
	cl_http_free(http);
}
END_TEST

START_TEST(bad_input_refused)
{
	cl_http_opts opts = CL_HTTP_OPTS_INIT;
	cl_http *http = NULL;
	cl_http_request req = request("get x", url("/"), NULL, NULL, 1);
	result res = { 0 };

	opts.version = 99;
	ck_assert_int_eq(cl_http_new(&http, &opts), CL_EVERSION);
	ck_assert_ptr_null(http);
	opts.version = CL_HTTP_OPTS_VERSION;
	opts.max_connections = 0;
	ck_assert_int_eq(cl_http_new(&http, &opts), CL_EINVALID);
	ck_assert_int_eq(cl_http_new(&http, NULL), 0);
	ck_assert_int_eq(cl_http_submit(http, &req, collect, &res),
		CL_EINVALID);
	req.method = "GET";
	req.url = NULL;
	ck_assert_int_eq(cl_http_submit(http, &req, collect, &res),
		CL_EINVALID);
	ck_assert_int_eq(cl_http_poll(http), 0);
	ck_assert_int_eq(res.calls, 0);
	cl_http_free(http);
}
END_TEST

/* Many at once ************************************************************/

#define MANY 50

START_TEST(many_concurrent_requests)
{
	httpstub_resp slow = { 200, "ok", 0, NULL, 100, 0 };
	cl_http_opts opts = CL_HTTP_OPTS_INIT;
	cl_http_request req = request("GET", url("/item"), NULL, NULL, 1);
	result res[MANY];
	cl_http *http;
	int64_t start;
	int i;

	memset(res, 0, sizeof(res));
	opts.max_connections = 16;
	http = client_opts(&opts);
	httpstub_expect_resp(stub, "GET", "/item", &slow);
	for (i = 0; i < MANY; i++)
		ck_assert_int_eq(cl_http_submit(http, &req, collect,
			&res[i]), 0);
	ck_assert_int_eq(cl_http_poll(http), MANY);
	start = cl_http_now_ms();
	ck_assert_int_eq(cl_http_run(http, in_ms(10000)), 0);
	/* One after another would take 5 s; 16 at a time about 0.4 s. */
	ck_assert_int_lt(cl_http_now_ms() - start, 2500);
	for (i = 0; i < MANY; i++) {
		ck_assert_int_eq(res[i].calls, 1);
		ck_assert_int_eq(res[i].status, 200);
		ck_assert_str_eq(res[i].body, "ok");
		result_clear(&res[i]);
	}
	ck_assert_uint_eq(httpstub_count(stub), MANY);
	ck_assert_uint_le(httpstub_connections(stub), 16);
	ck_assert_int_eq(cl_http_poll(http), 0);
	cl_http_free(http);
}
END_TEST

START_TEST(connections_are_kept_alive)
{
	cl_http_request req = request("GET", url("/issues/1.json"), NULL,
		NULL, 1);
	cl_http *http = client(0);
	cl_http_response *resp;
	int i;

	httpstub_expect(stub, "GET", "/issues/1.json", 200, "{}", NULL);
	for (i = 0; i < 10; i++) {
		resp = NULL;
		ck_assert_int_eq(cl_http_perform(&resp, http, &req,
			in_ms(5000)), 0);
		ck_assert_int_eq(resp->status, 200);
		cl_http_response_free(resp);
	}
	ck_assert_uint_eq(httpstub_count(stub), 10);
	ck_assert_uint_eq(httpstub_connections(stub), 1);
	cl_http_free(http);
}
END_TEST

/* A callback that submits the next page. */
typedef struct {
	cl_http *http;
	result first;
	result second;
} chain;

static void chain_first(const cl_http_response *r, void *payload)
{
	chain *c = payload;
	cl_http_request req = request("GET", url("/page2"), NULL, NULL, 1);

	collect(r, &c->first);
	ck_assert_int_eq(cl_http_submit(c->http, &req, collect, &c->second),
		0);
}

START_TEST(callbacks_once_and_may_submit)
{
	cl_http_request req = request("GET", url("/page1"), NULL, NULL, 1);
	chain c;

	memset(&c, 0, sizeof(c));
	c.http = client(0);
	httpstub_expect(stub, "GET", "/page1", 200, "1", NULL);
	httpstub_expect(stub, "GET", "/page2", 200, "2", NULL);
	ck_assert_int_eq(cl_http_submit(c.http, &req, chain_first, &c), 0);
	ck_assert_int_eq(cl_http_run(c.http, in_ms(5000)), 0);
	ck_assert_int_eq(c.first.calls, 1);
	ck_assert_int_eq(c.second.calls, 1);
	ck_assert_str_eq(c.second.body, "2");
	result_clear(&c.first);
	result_clear(&c.second);
	cl_http_free(c.http);
}
END_TEST

START_TEST(free_drops_unfinished_silently)
{
	httpstub_resp slow = { 200, "late", 0, NULL, 3000, 0 };
	cl_http_request queued = request("GET", url("/q"), NULL, NULL, 1);
	cl_http_request running = request("GET", url("/slow"), NULL, NULL, 1);
	cl_http *http = client(0);
	result res[2];
	int64_t start = cl_http_now_ms();

	memset(res, 0, sizeof(res));
	httpstub_expect_resp(stub, "GET", "/slow", &slow);
	ck_assert_int_eq(cl_http_submit(http, &running, collect, &res[0]), 0);
	ck_assert_int_eq(cl_http_poll(http), 1);
	ck_assert_int_eq(cl_http_submit(http, &queued, collect, &res[1]), 0);
	cl_http_free(http);
	ck_assert_int_eq(res[0].calls, 0);
	ck_assert_int_eq(res[1].calls, 0);
	ck_assert_int_lt(cl_http_now_ms() - start, 1000);
}
END_TEST

/* Retries *****************************************************************/

START_TEST(retry_503_then_200_when_idempotent)
{
	cl_http_request get = request("GET", url("/flaky"), NULL, NULL, 1);
	cl_http_request post = request("POST", url("/flaky-post"), NULL,
		"{}", 0);
	cl_http *http = client(3);
	result res = { 0 };

	httpstub_expect(stub, "GET", "/flaky", 503, "busy", NULL);
	httpstub_expect(stub, "GET", "/flaky", 200, "fine", NULL);
	ck_assert_int_eq(run_one(&res, http, &get, in_ms(5000)), 0);
	ck_assert_int_eq(res.calls, 1);
	ck_assert_int_eq(res.status, 200);
	ck_assert_str_eq(res.body, "fine");
	ck_assert_int_eq(res.attempts, 2);
	ck_assert_uint_eq(httpstub_count(stub), 2);
	result_clear(&res);

	/* Not idempotent: a second POST could create a second comment. */
	httpstub_expect(stub, "POST", "/flaky-post", 503, "busy", NULL);
	httpstub_expect(stub, "POST", "/flaky-post", 200, "fine", NULL);
	ck_assert_int_eq(run_one(&res, http, &post, in_ms(5000)), 0);
	ck_assert_int_eq(res.calls, 1);
	ck_assert_int_eq(res.status, 503);
	ck_assert_str_eq(res.body, "busy");
	ck_assert_int_eq(res.attempts, 1);
	ck_assert_int_eq(res.error, 0);
	ck_assert_uint_eq(httpstub_count(stub), 3);
	result_clear(&res);
	cl_http_free(http);
}
END_TEST

START_TEST(retry_limits_and_statuses)
{
	static const struct {
		int status;
		int attempts;
	} cases[] = {
		{ 503, 4 }, { 502, 4 }, { 504, 4 }, { 429, 4 },
		{ 500, 1 }, { 404, 1 }, { 401, 1 }, { 200, 1 },
	};
	cl_http *http = client(3);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[32];
		cl_http_request req;
		result res = { 0 };

		snprintf(path, sizeof(path), "/status/%d", cases[i].status);
		req = request("GET", url(path), NULL, NULL, 1);
		httpstub_reset(stub);
		httpstub_expect(stub, "GET", path, cases[i].status, "x", NULL);
		ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
		ck_assert_int_eq(res.calls, 1);
		ck_assert_int_eq(res.status, cases[i].status);
		ck_assert_int_eq(res.attempts, cases[i].attempts);
		ck_assert_uint_eq(httpstub_count(stub),
			(size_t)cases[i].attempts);
		result_clear(&res);
	}
	cl_http_free(http);
}
END_TEST

START_TEST(retry_after_is_honoured_without_blocking_others)
{
	const char *wait1[] = { "Retry-After: 1", NULL };
	cl_http_request slow = request("GET", url("/limited"), NULL, NULL, 1);
	cl_http_request fast = request("GET", url("/fast"), NULL, NULL, 1);
	cl_http *http = client(3);
	result a = { 0 }, b = { 0 };
	int64_t start;

	httpstub_expect(stub, "GET", "/limited", 503, "", wait1);
	httpstub_expect(stub, "GET", "/limited", 200, "now", NULL);
	httpstub_expect(stub, "GET", "/fast", 200, "fast", NULL);
	start = cl_http_now_ms();
	ck_assert_int_eq(cl_http_submit(http, &slow, collect, &a), 0);
	ck_assert_int_eq(cl_http_poll(http), 1);
	/* Submitted while the first one already waits out its second. */
	while (httpstub_count(stub) < 1)
		cl_http_poll(http);
	ck_assert_int_eq(cl_http_submit(http, &fast, collect, &b), 0);
	ck_assert_int_eq(cl_http_run(http, in_ms(5000)), 0);
	ck_assert_int_eq(a.status, 200);
	ck_assert_int_eq(a.attempts, 2);
	ck_assert_int_ge(a.done_ms - start, 1000);
	ck_assert_int_eq(b.status, 200);
	ck_assert_int_lt(b.done_ms - start, 900);
	ck_assert_int_lt(b.done_ms, a.done_ms);
	result_clear(&a);
	result_clear(&b);
	cl_http_free(http);
}
END_TEST

START_TEST(retry_after_is_reported)
{
	const char *wait7[] = { "Retry-After: 7", NULL };
	cl_http_request req = request("GET", url("/limited"), NULL, NULL, 1);
	cl_http *http = client(0);
	result res = { 0 };

	httpstub_expect(stub, "GET", "/limited", 429, "", wait7);
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(res.status, 429);
	ck_assert_int_eq(res.retry_after, 7);
	ck_assert_int_eq(res.attempts, 1);
	result_clear(&res);
	cl_http_free(http);
}
END_TEST

static void http_date(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "Retry-After: %a, %d %b %Y %H:%M:%S GMT", &tm);
}

START_TEST(retry_after_beyond_deadline_stops_retrying)
{
	char line[80];
	const char *headers[] = { line, NULL };
	cl_http_request req = request("GET", url("/later"), NULL, NULL, 1);
	cl_http *http = client(3);
	result res = { 0 };
	int64_t start;

	http_date(line, sizeof(line), time(NULL) + 3600);
	httpstub_expect(stub, "GET", "/later", 503, "come back later", headers);
	start = cl_http_now_ms();
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(2000)), 0);
	ck_assert_int_lt(cl_http_now_ms() - start, 1000);
	ck_assert_int_eq(res.status, 503);
	ck_assert_str_eq(res.body, "come back later");
	ck_assert_int_eq(res.attempts, 1);
	ck_assert_int_eq(res.error, 0);
	ck_assert_int_ge(res.retry_after, 3598);
	ck_assert_int_le(res.retry_after, 3601);
	result_clear(&res);
	cl_http_free(http);
}
END_TEST

START_TEST(rate_limit_reset_is_honoured)
{
	char reset[64];
	const char *exhausted[] = { "X-RateLimit-Remaining: 0", reset, NULL };
	const char *plenty[] = { "X-RateLimit-Remaining: 5", reset, NULL };
	cl_http_request req = request("GET", url("/rl"), NULL, NULL, 1);
	cl_http *http = client(3);
	result res = { 0 };
	int64_t start;

	/* Two seconds of epoch time is at least one whole second. */
	snprintf(reset, sizeof(reset), "X-RateLimit-Reset: %lld",
		(long long)time(NULL) + 2);
	httpstub_expect(stub, "GET", "/rl", 429, "", exhausted);
	httpstub_expect(stub, "GET", "/rl", 200, "ok", NULL);
	start = cl_http_now_ms();
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(res.status, 200);
	ck_assert_int_eq(res.attempts, 2);
	ck_assert_int_ge(cl_http_now_ms() - start, 1000);
	result_clear(&res);

	/* Requests left: the reset time is no reason to wait. */
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/rl", 503, "", plenty);
	httpstub_expect(stub, "GET", "/rl", 200, "ok", NULL);
	start = cl_http_now_ms();
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(res.attempts, 2);
	ck_assert_int_lt(cl_http_now_ms() - start, 900);
	result_clear(&res);
	cl_http_free(http);
}
END_TEST

START_TEST(jitter_stays_within_the_cap)
{
	cl_http_opts opts = CL_HTTP_OPTS_INIT;
	uint32_t state = 1;
	long cap;
	int k, i;

	opts.backoff_base_ms = 100;
	opts.backoff_max_ms = 5000;
	cl__http_set_random(max_random, NULL);
	for (k = 1, cap = 100; k <= 64; k++, cap = cap * 2 > 5000 ? 5000 :
		    cap * 2)
		ck_assert_int_eq(cl__http_backoff_ms(&opts, k), cap);
	cl__http_set_random(zero_random, NULL);
	for (k = 1; k <= 64; k++)
		ck_assert_int_eq(cl__http_backoff_ms(&opts, k), 0);
	cl__http_set_random(lcg_random, &state);
	for (i = 0; i < 1000; i++) {
		long w = cl__http_backoff_ms(&opts, 3);

		ck_assert_int_ge(w, 0);
		ck_assert_int_le(w, 400);
	}
	cl__http_set_random(NULL, NULL);
	for (i = 0; i < 1000; i++) {
		long w = cl__http_backoff_ms(&opts, 1 + i % 10);

		ck_assert_int_ge(w, 0);
		ck_assert_int_le(w, 5000);
	}
	/* No overflow with huge settings. */
	opts.backoff_base_ms = 1L << 40;
	opts.backoff_max_ms = 1L << 50;
	cl__http_set_random(max_random, NULL);
	ck_assert_int_le(cl__http_backoff_ms(&opts, 200), 1L << 50);
	ck_assert_int_gt(cl__http_backoff_ms(&opts, 200), 0);
}
END_TEST

START_TEST(backoff_waits_are_capped)
{
	cl_http_opts opts = CL_HTTP_OPTS_INIT;
	cl_http_request req = request("GET", url("/down"), NULL, NULL, 1);
	result res = { 0 };
	cl_http *http;
	int64_t start, elapsed;

	opts.max_retries = 3;
	opts.backoff_base_ms = 100;
	opts.backoff_max_ms = 150;
	http = client_opts(&opts);
	cl__http_set_random(max_random, NULL);
	httpstub_expect(stub, "GET", "/down", 503, "", NULL);
	start = cl_http_now_ms();
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	elapsed = cl_http_now_ms() - start;
	ck_assert_int_eq(res.attempts, 4);
	/* 100 + 150 + 150: the largest draw is the cap, never more. */
	ck_assert_int_ge(elapsed, 400);
	ck_assert_int_lt(elapsed, 1000);
	result_clear(&res);
	cl_http_free(http);
}
END_TEST

/* Deadlines and failures **************************************************/

START_TEST(deadline_cuts_a_slow_response)
{
	httpstub_resp slow = { 200, "late", 0, NULL, 3000, 0 };
	cl_http_request req = request("GET", url("/slow"), NULL, NULL, 1);
	cl_http *http = client(3);
	cl_http_response *resp = (cl_http_response *)&resp;
	result res = { 0 };
	int64_t start;

	httpstub_expect_resp(stub, "GET", "/slow", &slow);
	start = cl_http_now_ms();
	ck_assert_int_eq(cl_http_perform(&resp, http, &req, in_ms(300)),
		CL_ETIMEOUT);
	ck_assert_int_lt(cl_http_now_ms() - start, 1000);
	ck_assert_int_ge(cl_http_now_ms() - start, 250);
	ck_assert_ptr_null(resp);
	ck_assert_int_eq(cl_error_last()->code, CL_ETIMEOUT);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "/slow"));

	start = cl_http_now_ms();
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(300)), CL_ETIMEOUT);
	ck_assert_int_lt(cl_http_now_ms() - start, 1000);
	ck_assert_int_eq(res.calls, 1);
	ck_assert_int_eq(res.error, CL_ETIMEOUT);
	ck_assert_int_eq(res.status, 0);
	ck_assert_str_eq(res.body, "");
	result_clear(&res);
	cl_http_free(http);
}
END_TEST

START_TEST(attempt_timeout_is_retried)
{
	httpstub_resp slow = { 200, "late", 0, NULL, 3000, 0 };
	cl_http_opts opts = CL_HTTP_OPTS_INIT;
	cl_http_request req = request("GET", url("/slow"), NULL, NULL, 1);
	result res = { 0 };
	cl_http *http;
	int64_t start;

	opts.max_retries = 1;
	opts.request_timeout_ms = 200;
	http = client_opts(&opts);
	httpstub_expect_resp(stub, "GET", "/slow", &slow);
	start = cl_http_now_ms();
	/* The attempts time out, not the run: run itself succeeds. */
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_ge(cl_http_now_ms() - start, 400);
	ck_assert_int_lt(cl_http_now_ms() - start, 1500);
	ck_assert_int_eq(res.error, CL_ETIMEOUT);
	ck_assert_int_eq(res.attempts, 2);
	ck_assert_ptr_nonnull(strstr(res.message, "after 2 attempts"));
	result_clear(&res);
	cl_http_free(http);
}
END_TEST

START_TEST(deadline_already_passed)
{
	cl_http_request req = request("GET", url("/x"), NULL, NULL, 1);
	cl_http *http = client(3);
	result res = { 0 };

	ck_assert_int_eq(run_one(&res, http, &req, cl_http_now_ms() - 1),
		CL_ETIMEOUT);
	ck_assert_int_eq(res.calls, 1);
	ck_assert_int_eq(res.error, CL_ETIMEOUT);
	ck_assert_int_eq(res.attempts, 0);
	ck_assert_ptr_nonnull(strstr(res.message, "deadline passed"));
	ck_assert_uint_eq(httpstub_count(stub), 0);
	result_clear(&res);
	cl_http_free(http);
}
END_TEST

START_TEST(connection_refused_after_retries)
{
	char u[128], shown[128];
	cl_http_request req;
	cl_http *http = client(2);
	cl_http_response *resp = NULL;
	result res = { 0 };
	unsigned short port = closed_port();

	snprintf(u, sizeof(u),
		"http://user:pa55@127.0.0.1:%u/issues.json?key=s3cret",
		(unsigned int)port);
	snprintf(shown, sizeof(shown), "GET http://127.0.0.1:%u/issues.json:",
		(unsigned int)port);
	req = request("GET", u, NULL, NULL, 1);
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(res.calls, 1);
	ck_assert_int_eq(res.error, CL_ETRACKER);
	ck_assert_int_eq(res.status, 0);
	ck_assert_int_eq(res.attempts, 3);
	ck_assert_ptr_nonnull(strstr(res.message, shown));
	ck_assert_ptr_nonnull(strstr(res.message, "after 3 attempts"));
	ck_assert_ptr_null(strstr(res.message, "s3cret"));
	ck_assert_ptr_null(strstr(res.message, "pa55"));
	result_clear(&res);

	ck_assert_int_eq(cl_http_perform(&resp, http, &req, in_ms(5000)),
		CL_ETRACKER);
	ck_assert_ptr_null(resp);
	ck_assert_int_eq(cl_error_last()->code, CL_ETRACKER);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, shown));

	/* Not idempotent: one attempt only. */
	req = request("POST", u, NULL, "{}", 0);
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(res.error, CL_ETRACKER);
	ck_assert_int_eq(res.attempts, 1);
	result_clear(&res);
	cl_http_free(http);
}
END_TEST

START_TEST(body_size_is_limited)
{
	cl_http_opts opts = CL_HTTP_OPTS_INIT;
	char *exact = repeat('e', 1000);
	char *big = repeat('b', 2000);
	httpstub_resp chunked = { 200, big, 0, NULL, 0, 1 };
	cl_http_request req;
	result res = { 0 };
	cl_http *http;

	opts.max_body = 1000;
	http = client_opts(&opts);
	httpstub_expect(stub, "GET", "/exact", 200, exact, NULL);
	httpstub_expect(stub, "GET", "/big", 200, big, NULL);
	httpstub_expect_resp(stub, "GET", "/chunked", &chunked);

	req = request("GET", url("/exact"), NULL, NULL, 1);
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(res.error, 0);
	ck_assert_uint_eq(res.body_len, 1000);
	result_clear(&res);

	/* Announced too big (Content-Length), and found too big. */
	req = request("GET", url("/big"), NULL, NULL, 1);
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(res.error, CL_ETRACKER);
	ck_assert_int_eq(res.attempts, 1);
	ck_assert_str_eq(res.body, "");
	ck_assert_ptr_nonnull(strstr(res.message,
		"response larger than 1000 bytes"));
	result_clear(&res);

	req = request("GET", url("/chunked"), NULL, NULL, 1);
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(res.error, CL_ETRACKER);
	ck_assert_int_eq(res.attempts, 1);
	ck_assert_ptr_nonnull(strstr(res.message,
		"response larger than 1000 bytes"));
	result_clear(&res);
	free(exact);
	free(big);
	cl_http_free(http);
}
END_TEST

START_TEST(redirects_are_not_followed)
{
	const char *to_local[] = { "Location: /new", NULL };
	const char *to_other[] = { "Location: http://127.0.0.2:1/steal", NULL };
	cl_http_request req = request("GET", url("/old"), NULL, NULL, 1);
	cl_http *http = client(3);
	result res = { 0 };

	httpstub_expect(stub, "GET", "/old", 302, "", to_local);
	httpstub_expect(stub, "GET", "/new", 200, "followed", NULL);
	httpstub_expect(stub, "GET", "/elsewhere", 301, "", to_other);
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(res.status, 302);
	ck_assert_int_eq(res.attempts, 1);
	ck_assert_int_eq(res.error, 0);
	result_clear(&res);
	req = request("GET", url("/elsewhere"), NULL, NULL, 1);
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(res.status, 301);
	result_clear(&res);
	ck_assert_uint_eq(httpstub_count(stub), 2);
	cl_http_free(http);
}
END_TEST

START_TEST(unknown_routes_answer_404)
{
	cl_http_request req = request("GET", url("/nowhere?x=1"), NULL, NULL,
		1);
	cl_http *http = client(3);
	result res = { 0 };

	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(res.status, 404);
	ck_assert_str_eq(res.body, "{\"error\":\"not stubbed\"}");
	ck_assert_int_eq(res.attempts, 1);
	result_clear(&res);
	cl_http_free(http);
}
END_TEST

/* Secrets *****************************************************************/

static void assert_no_secret(const char *message)
{
	ck_assert_ptr_nonnull(message);
	ck_assert_ptr_null(strstr(message, "topsecret"));
}

START_TEST(messages_never_show_secrets)
{
	const char *headers[] = { "X-Secret: topsecret",
		"Authorization: Bearer topsecret",
		"X-Redmine-API-Key: topsecret", NULL };
	httpstub_resp slow = { 200, "topsecret", 0, NULL, 3000, 0 };
	cl_http_opts opts = CL_HTTP_OPTS_INIT;
	char refused[128];
	char *big = repeat('t', 200);
	cl_http_request req;
	cl_http_response *resp = NULL;
	result res = { 0 };
	cl_http *http;

	opts.max_body = 100;
	opts.max_retries = 1;
	http = client_opts(&opts);
	snprintf(refused, sizeof(refused),
		"http://topsecret@127.0.0.1:%u/x?topsecret=1",
		(unsigned int)closed_port());
	httpstub_expect_resp(stub, "POST", "/slow", &slow);
	httpstub_expect(stub, "GET", "/big", 200, big, NULL);

	req = request("GET", refused, headers, "topsecret body", 1);
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(res.error, CL_ETRACKER);
	ck_assert_ptr_null(strstr(res.message, "?"));
	ck_assert_ptr_null(strstr(res.message, "@"));
	result_clear(&res);
	ck_assert_int_eq(cl_http_perform(&resp, http, &req, in_ms(5000)),
		CL_ETRACKER);
	assert_no_secret(cl_error_last()->message);

	req = request("POST", url("/slow"), headers, "topsecret body", 0);
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(200)), CL_ETIMEOUT);
	assert_no_secret(res.message);
	assert_no_secret(cl_error_last()->message);
	result_clear(&res);
	ck_assert_int_eq(cl_http_perform(&resp, http, &req, in_ms(200)),
		CL_ETIMEOUT);
	assert_no_secret(cl_error_last()->message);

	req = request("GET", url("/big"), headers, NULL, 1);
	ck_assert_int_eq(run_one(&res, http, &req, in_ms(5000)), 0);
	ck_assert_int_eq(res.error, CL_ETRACKER);
	assert_no_secret(res.message);
	result_clear(&res);
	ck_assert_int_eq(cl_http_perform(&resp, http, &req, in_ms(5000)),
		CL_ETRACKER);
	assert_no_secret(cl_error_last()->message);
	free(big);
	cl_http_free(http);
}
END_TEST

/* Helpers *****************************************************************/

START_TEST(escape_percent_encodes)
{
	char *s;

	s = cl_http_escape("a b&c/d=\xc3\xa9?#+");
	ck_assert_str_eq(s, "a%20b%26c%2Fd%3D%C3%A9%3F%23%2B");
	free(s);
	s = cl_http_escape("AZaz09-._~");
	ck_assert_str_eq(s, "AZaz09-._~");
	free(s);
	s = cl_http_escape("");
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_ptr_null(cl_http_escape(NULL));
	ck_assert_int_eq(cl_error_last()->code, CL_EINVALID);
}
END_TEST

START_TEST(clock_is_monotonic)
{
	int64_t a = cl_http_now_ms();
	int64_t b;

	usleep(20 * 1000);
	b = cl_http_now_ms();
	ck_assert_int_ge(b - a, 19);
	ck_assert_int_lt(b - a, 1000);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("loopback");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, get_sends_headers_and_query);
	tcase_add_test(tc, bodies_arrive_exactly);
	tcase_add_test(tc, bad_input_refused);
	tcase_add_test(tc, many_concurrent_requests);
	tcase_add_test(tc, connections_are_kept_alive);
	tcase_add_test(tc, callbacks_once_and_may_submit);
	tcase_add_test(tc, free_drops_unfinished_silently);
	tcase_add_test(tc, retry_503_then_200_when_idempotent);
	tcase_add_test(tc, retry_limits_and_statuses);
	tcase_add_test(tc, retry_after_is_honoured_without_blocking_others);
	tcase_add_test(tc, retry_after_is_reported);
	tcase_add_test(tc, retry_after_beyond_deadline_stops_retrying);
	tcase_add_test(tc, rate_limit_reset_is_honoured);
	tcase_add_test(tc, jitter_stays_within_the_cap);
	tcase_add_test(tc, backoff_waits_are_capped);
	tcase_add_test(tc, deadline_cuts_a_slow_response);
	tcase_add_test(tc, attempt_timeout_is_retried);
	tcase_add_test(tc, deadline_already_passed);
	tcase_add_test(tc, connection_refused_after_retries);
	tcase_add_test(tc, body_size_is_limited);
	tcase_add_test(tc, redirects_are_not_followed);
	tcase_add_test(tc, unknown_routes_answer_404);
	tcase_add_test(tc, messages_never_show_secrets);
	tcase_add_test(tc, escape_percent_encodes);
	tcase_add_test(tc, clock_is_monotonic);
	suite_add_tcase(s, tc);
	return s;
}

CL_TEST_MAIN(http_suite)
