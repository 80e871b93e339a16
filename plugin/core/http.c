/*
 * http.c: the HTTP client trackers use, on libcurl's multi interface.
 *
 * Every submitted request is an http_req on one FIFO list. A request is
 * either waiting (no easy handle; it may start at not_before) or running
 * (an easy handle in the multi). cl_http_poll expires requests whose
 * deadline passed, starts due ones while fewer than max_connections run,
 * lets curl work, and ends attempts: each ends in a completion (the
 * callback, exactly once) or a retry (back to waiting, with a later
 * not_before). Nothing here sleeps except the wait in cl_http_run and
 * cl_http_perform, which curl ends as soon as any transfer has work, so a
 * request backing off never holds up the others.
 *
 * Easy handles live for one attempt. Connections outlive them in the
 * multi handle's connection cache, which is what keeps them alive across
 * requests to the same host.
 *
 * Request headers carry tokens and bodies carry customer text: neither is
 * ever logged or put into a message. Messages name the method, the URL
 * without userinfo or query string, and curl's error text.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "internal.h"
#include "http_int.h"

#define NO_DEADLINE INT64_MAX

/* Longest wait a server may ask for; beyond it the hint is nonsense. */
#define HINT_MAX_SECONDS 86400

/*
 * x-ratelimit-reset is documented as epoch seconds, but some servers send
 * seconds until the reset. No epoch value can be this small any more.
 */
#define EPOCH_FLOOR 1000000000

/* The longest single wait, so that a stuck loop still looks around. */
#define WAIT_MAX_MS 1000

/* Why an attempt failed, for the message. */
typedef enum {
	WHY_NONE = 0,
	WHY_CURL,      /* curl's error text */
	WHY_TOO_BIG,   /* the body passed max_body */
	WHY_DEADLINE,  /* expired while waiting or running */
	WHY_NOMEM      /* the transfer could not be set up */
} http_why;

/* What the response headers said about waiting. */
typedef struct {
	long ra_delta;        /* Retry-After delta-seconds; -1 */
	int64_t ra_date;      /* Retry-After HTTP-date, epoch; -1 */
	int64_t date;         /* Date, epoch; -1 */
	int rl_exhausted;     /* x-ratelimit-remaining: 0 */
	int64_t rl_reset;     /* x-ratelimit-reset; -1 */
} http_hints;

typedef struct http_req http_req;

struct http_req {
	http_req *prev;
	http_req *next;
	cl_http *http;

	/* The request, copied. */
	char *method;
	char *url;
	char *safe_url;          /* url fit for messages */
	char *body;
	size_t body_len;
	struct curl_slist *headers;
	int idempotent;
	cl_http_done_cb cb;
	void *payload;

	int64_t deadline;        /* monotonic ms; NO_DEADLINE */
	int64_t not_before;      /* do not start before (backoff) */
	CURL *easy;              /* set while an attempt runs */
	int attempts;
	int deadline_cut;        /* this attempt's timeout is the deadline */

	/* The latest attempt's outcome. */
	cl_buf resp_body;
	http_hints hints;
	long status;
	long retry_after;
	int error;
	http_why why;
	CURLcode rc;
	char errbuf[CURL_ERROR_SIZE];
};

struct cl_http {
	cl_http_opts opts;
	char *ca_file;
	CURLM *multi;
	http_req *head;
	http_req *tail;
	int pending;             /* submitted, not completed */
	int running;             /* easy handles in the multi */
	int64_t run_deadline;    /* cl_http_run's, for requests it sees */
	unsigned int deadline_hits; /* requests a deadline cut short */
	long last_retry_after;   /* of the last completed request */
};

static char empty_text[] = "";
static char nomem_text[] = "out of memory";

/* Global setup ************************************************************/

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_status = CURLE_FAILED_INIT;

static void global_setup(void)
{
	global_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* curl_global_init is not thread-safe; the library may be used from
 * threads, so it runs exactly once. */
static int global_init(void)
{
	pthread_once(&global_once, global_setup);
	if (global_status != CURLE_OK)
		return cl__error(CL_ERROR, "cannot initialise libcurl: %s",
			curl_easy_strerror(global_status));
	return 0;
}

/* Time and randomness *****************************************************/

long cl_http_retry_after(const cl_http *http)
{
	return http ? http->last_retry_after : -1;
}

int64_t cl_http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static _Thread_local uint32_t xorshift_state;

static uint32_t xorshift_seed(void)
{
	struct timespec ts;
	uint32_t x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec ^
		((uint32_t)getpid() << 16) ^
		(uint32_t)(uintptr_t)&xorshift_state;
	return x ? x : 0x9e3779b9u;
}

/* Jitter only spreads retries apart; it need not be unpredictable. */
static uint32_t default_random(void *payload)
{
	uint32_t x = xorshift_state;

	(void)payload;
	if (x == 0)
		x = xorshift_seed();
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	xorshift_state = x;
	return x;
}

static uint32_t (*random_fn)(void *) = default_random;
static void *random_payload;

void cl__http_set_random(uint32_t (*fn)(void *payload), void *payload)
{
	random_fn = fn ? fn : default_random;
	random_payload = fn ? payload : NULL;
}

long cl__http_backoff_ms(const cl_http_opts *opts, int attempt)
{
	uint64_t cap = opts->backoff_base_ms > 0 ?
		(uint64_t)opts->backoff_base_ms : 0;
	uint64_t max = opts->backoff_max_ms > 0 ?
		(uint64_t)opts->backoff_max_ms : 0;
	int k;

	for (k = 1; k < attempt && cap < max; k++)
		cap *= 2;
	if (cap > max)
		cap = max;
	/* Keeps cap * UINT32_MAX inside 64 bits. */
	if (cap > INT32_MAX)
		cap = INT32_MAX;
	/* Scaled, not taken modulo, so that the largest draw is the cap. */
	return (long)(cap * random_fn(random_payload) / UINT32_MAX);
}

/* Messages ****************************************************************/

/* The URL without userinfo (a password) or query string (a key=). */
static char *url_for_message(const char *url)
{
	const char *sep = strstr(url, "://");
	const char *host = sep ? sep + 3 : url;
	size_t host_len = strcspn(host, "/?#");
	const char *path = host + host_len;
	size_t path_len = strcspn(path, "?#");
	size_t i;
	cl_buf buf = CL_BUF_INIT;

	for (i = host_len; i > 0; i--) {
		if (host[i - 1] == '@')
			break;
	}
	cl__buf_put(&buf, url, (size_t)(host - url));
	cl__buf_put(&buf, host + i, host_len - i);
	cl__buf_put(&buf, path, path_len);
	return cl__buf_detach(&buf);
}

/* curl's error buffer may end in a newline. */
static void put_trimmed(cl_buf *buf, const char *s)
{
	size_t len = strlen(s);

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	cl__buf_put(buf, s, len);
}

/* "GET http://host/path: what went wrong (after 4 attempts)" */
static char *error_text(const http_req *req)
{
	cl_buf buf = CL_BUF_INIT;

	cl__buf_printf(&buf, "%s %s: ", req->method, req->safe_url);
	switch (req->why) {
	case WHY_TOO_BIG:
		cl__buf_printf(&buf, "response larger than %zu bytes",
			req->http->opts.max_body);
		break;
	case WHY_DEADLINE:
		cl__buf_puts(&buf, "deadline passed");
		break;
	case WHY_NOMEM:
		cl__buf_puts(&buf, "out of memory");
		break;
	default:
		put_trimmed(&buf, req->errbuf[0] ? req->errbuf :
			curl_easy_strerror(req->rc));
		break;
	}
	if (req->attempts > 1)
		cl__buf_printf(&buf, " (after %d attempts)", req->attempts);
	return cl__buf_detach(&buf);
}

/* Response headers ********************************************************/

static void hints_reset(http_hints *h)
{
	h->ra_delta = -1;
	h->ra_date = -1;
	h->date = -1;
	h->rl_exhausted = 0;
	h->rl_reset = -1;
}

/*
 * If line is the header name, point *value at its trimmed value. Header
 * lines come from curl unterminated, with their CRLF.
 */
static int header_is(const char **value, size_t *value_len,
	const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len <= n || line[n] != ':' || cl__strncasecmp(line, name, n) != 0)
		return 0;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
		    line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	*value = line;
	*value_len = len;
	return 1;
}

/* Digits only, as delta-seconds are; -1 for anything else or too big. */
static int64_t parse_digits(const char *s, size_t len)
{
	int64_t v = 0;
	size_t i;

	if (len == 0 || len > 15)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* An HTTP-date as epoch seconds; -1 if it is not one. */
static int64_t parse_date(const char *s, size_t len)
{
	char tmp[64];
	time_t t;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	t = curl_getdate(tmp, NULL);
	return t < 0 ? -1 : (int64_t)t;
}

static void hints_parse(http_hints *h, const char *line, size_t len)
{
	const char *v;
	size_t vlen;

	if (header_is(&v, &vlen, line, len, "Retry-After")) {
		h->ra_delta = (long)parse_digits(v, vlen);
		if (h->ra_delta < 0)
			h->ra_date = parse_date(v, vlen);
	} else if (header_is(&v, &vlen, line, len, "Date")) {
		h->date = parse_date(v, vlen);
	} else if (header_is(&v, &vlen, line, len, "X-RateLimit-Remaining")) {
		h->rl_exhausted = parse_digits(v, vlen) == 0;
	} else if (header_is(&v, &vlen, line, len, "X-RateLimit-Reset")) {
		h->rl_reset = parse_digits(v, vlen);
	}
}

static size_t header_cb(char *data, size_t size, size_t n, void *p)
{
	http_req *req = p;
	size_t len = size * n;

	/* A status line starts a response: forget a 100 Continue's. */
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0)
		hints_reset(&req->hints);
	else
		hints_parse(&req->hints, data, len);
	return len;
}

static long clamp_seconds(int64_t s)
{
	if (s < 0)
		return 0;
	return s > HINT_MAX_SECONDS ? HINT_MAX_SECONDS : (long)s;
}

/*
 * How long the server asked us to wait, in seconds; -1 if it did not.
 * Dates are measured against the response's own Date when it has one, so
 * that a skewed local clock does not matter.
 */
static long hints_seconds(const http_hints *h)
{
	int64_t now = h->date >= 0 ? h->date : (int64_t)time(NULL);

	if (h->ra_delta >= 0)
		return clamp_seconds(h->ra_delta);
	if (h->ra_date >= 0)
		return clamp_seconds(h->ra_date - now);
	if (h->rl_exhausted && h->rl_reset >= 0) {
		if (h->rl_reset < EPOCH_FLOOR)
			return clamp_seconds(h->rl_reset);
		return clamp_seconds(h->rl_reset - now);
	}
	return -1;
}

static size_t write_cb(char *data, size_t size, size_t n, void *p)
{
	http_req *req = p;
	size_t len = size * n;

	/* Returning short makes curl abort the transfer. */
	if (len > req->http->opts.max_body - req->resp_body.len) {
		req->why = WHY_TOO_BIG;
		return 0;
	}
	if (cl__buf_put(&req->resp_body, data, len) < 0) {
		req->why = WHY_NOMEM;
		return 0;
	}
	return len;
}

/* The request list ********************************************************/

static void list_append(cl_http *http, http_req *req)
{
	req->prev = http->tail;
	req->next = NULL;
	if (http->tail)
		http->tail->next = req;
	else
		http->head = req;
	http->tail = req;
}

static void list_remove(cl_http *http, http_req *req)
{
	if (req->prev)
		req->prev->next = req->next;
	else
		http->head = req->next;
	if (req->next)
		req->next->prev = req->prev;
	else
		http->tail = req->prev;
	req->prev = req->next = NULL;
}

static void req_drop_easy(cl_http *http, http_req *req)
{
	if (req->easy == NULL)
		return;
	curl_multi_remove_handle(http->multi, req->easy);
	curl_easy_cleanup(req->easy);
	req->easy = NULL;
	http->running--;
}

static void req_free(http_req *req)
{
	if (req == NULL)
		return;
	free(req->method);
	free(req->url);
	free(req->safe_url);
	free(req->body);
	curl_slist_free_all(req->headers);
	cl__buf_free(&req->resp_body);
	free(req);
}

/* Forgets a request without its callback. */
static void req_discard(cl_http *http, http_req *req)
{
	list_remove(http, req);
	http->pending--;
	req_drop_easy(http, req);
	req_free(req);
}

/* Attempts ****************************************************************/

static CURLcode set_method(CURL *e, const http_req *req)
{
	CURLcode rc;

	if (strcmp(req->method, "GET") == 0)
		return curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	if (strcmp(req->method, "HEAD") == 0)
		return curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (strcmp(req->method, "POST") != 0 &&
	    (rc = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST,
		    req->method)) != CURLE_OK)
		return rc;
	if (req->body == NULL && strcmp(req->method, "DELETE") == 0)
		return CURLE_OK;
	/* Without a body, an empty one: a PUT still needs Content-Length. */
	if ((rc = curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len)) != CURLE_OK)
		return rc;
	return curl_easy_setopt(e, CURLOPT_POSTFIELDS,
		req->body ? req->body : empty_text);
}

/* Nothing but HTTP(S): a URL from a config file must not reach file://. */
static CURLcode set_protocols(CURL *e)
{
#if LIBCURL_VERSION_NUM >= 0x075500
	return curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	return curl_easy_setopt(e, CURLOPT_PROTOCOLS,
		(long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

/* What never changes between attempts: safety first. */
static CURLcode set_fixed(CURL *e, http_req *req)
{
	const cl_http *http = req->http;

	if (curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK ||
	    set_protocols(e) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    (http->ca_file && curl_easy_setopt(e, CURLOPT_CAINFO,
		    http->ca_file) != CURLE_OK) ||
	    /* A redirect could carry the token to another host. */
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT,
		    "closeloop/" PACKAGE_VERSION) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers) != CURLE_OK)
		return CURLE_FAILED_INIT;
	return CURLE_OK;
}

static CURLcode set_callbacks(CURL *e, http_req *req)
{
	if (curl_easy_setopt(e, CURLOPT_PRIVATE, req) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errbuf) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, req) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION,
		    header_cb) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERDATA, req) != CURLE_OK)
		return CURLE_FAILED_INIT;
	/* Refuses a body announced too big before it comes; a HEAD
	 * announces the size of a body it does not send. */
	if (strcmp(req->method, "HEAD") == 0)
		return CURLE_OK;
	return curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
		(curl_off_t)req->http->opts.max_body);
}

/* The attempt's timeouts, never beyond the request's deadline. */
static CURLcode set_timeouts(CURL *e, http_req *req, int64_t now)
{
	const cl_http_opts *opts = &req->http->opts;
	int64_t timeout = opts->request_timeout_ms;
	int64_t connect = opts->connect_timeout_ms;

	req->deadline_cut = 0;
	if (req->deadline != NO_DEADLINE && req->deadline - now < timeout) {
		timeout = req->deadline - now;
		req->deadline_cut = 1;
	}
	/* 0 would mean no timeout at all. */
	if (timeout < 1)
		timeout = 1;
	if (connect > timeout)
		connect = timeout;
	if (curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
		    (long)timeout) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
		    (long)connect) != CURLE_OK)
		return CURLE_FAILED_INIT;
	return CURLE_OK;
}

static void attempt_reset(http_req *req)
{
	cl__buf_free(&req->resp_body);
	hints_reset(&req->hints);
	req->status = 0;
	req->retry_after = -1;
	req->error = 0;
	req->why = WHY_NONE;
	req->rc = CURLE_OK;
	req->errbuf[0] = '\0';
}

static int attempt_start(cl_http *http, http_req *req, int64_t now)
{
	CURL *e = curl_easy_init();

	attempt_reset(req);
	if (e == NULL)
		return CL_ENOMEM;
	if (set_fixed(e, req) != CURLE_OK ||
	    set_method(e, req) != CURLE_OK ||
	    set_callbacks(e, req) != CURLE_OK ||
	    set_timeouts(e, req, now) != CURLE_OK ||
	    curl_multi_add_handle(http->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		return CL_ENOMEM;
	}
	req->easy = e;
	req->attempts++;
	http->running++;
	return 0;
}

/* Completion **************************************************************/

/* The one place a request ends: its callback runs, then it is freed. */
static void complete(cl_http *http, http_req *req)
{
	cl_http_response resp;
	char *message = NULL;

	list_remove(http, req);
	http->pending--;
	req_drop_easy(http, req);
	if (req->error != 0) {
		message = error_text(req);
		cl__buf_free(&req->resp_body);
	}
	resp.status = req->status;
	resp.body = req->resp_body.ptr ? req->resp_body.ptr : empty_text;
	resp.body_len = req->resp_body.len;
	resp.retry_after = req->retry_after;
	http->last_retry_after = req->retry_after;
	resp.attempts = req->attempts;
	resp.error = req->error;
	resp.error_message = req->error ?
		(message ? message : nomem_text) : NULL;
	req->cb(&resp, req->payload);
	free(message);
	req_free(req);
}

/* Ends a request the deadline caught, running or waiting. */
static void expire(cl_http *http, http_req *req)
{
	req_drop_easy(http, req);
	attempt_reset(req);
	req->error = CL_ETIMEOUT;
	req->why = WHY_DEADLINE;
	http->deadline_hits++;
	complete(http, req);
}

/* Worth trying again: the server or the path may recover. */
static int transient_rc(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return 1;
	default:
		return 0;
	}
}

/* 500 is left out: it usually means the request itself breaks the server. */
static int transient_status(long status)
{
	return status == 429 || status == 502 || status == 503 ||
		status == 504;
}

/* Whether to try again, and after how many milliseconds. */
static int retry_wait(int64_t *wait, const http_req *req, int64_t now)
{
	const cl_http_opts *opts = &req->http->opts;
	int64_t w;

	if (!req->idempotent || req->attempts > opts->max_retries)
		return 0;
	if (req->error ? !(req->why == WHY_CURL && transient_rc(req->rc)) :
	    !transient_status(req->status))
		return 0;
	w = cl__http_backoff_ms(opts, req->attempts);
	if (req->retry_after >= 0 && (int64_t)req->retry_after * 1000 > w)
		w = (int64_t)req->retry_after * 1000;
	/* Better the last answer now than none at the deadline. */
	if (req->deadline != NO_DEADLINE && now + w >= req->deadline)
		return 0;
	*wait = w;
	return 1;
}

/* The write callback may already have said why it stopped curl. */
static void attempt_failed(http_req *req, CURLcode rc)
{
	req->rc = rc;
	if (rc == CURLE_FILESIZE_EXCEEDED)
		req->why = WHY_TOO_BIG;
	else if (req->why == WHY_NONE)
		req->why = WHY_CURL;
	if (req->why == WHY_NOMEM)
		req->error = CL_ENOMEM;
	else if (req->why == WHY_CURL && rc == CURLE_OPERATION_TIMEDOUT)
		req->error = CL_ETIMEOUT;
	else
		req->error = CL_ETRACKER;
}

static void attempt_done(cl_http *http, http_req *req, CURLcode rc)
{
	int64_t now = cl_http_now_ms();
	int64_t wait;
	long status = 0;

	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
	req_drop_easy(http, req);
	req->status = status;
	req->retry_after = hints_seconds(&req->hints);
	if (rc != CURLE_OK)
		attempt_failed(req, rc);
	if (retry_wait(&wait, req, now)) {
		req->not_before = now + wait;
		return;
	}
	if (req->error == CL_ETIMEOUT && req->deadline_cut)
		http->deadline_hits++;
	complete(http, req);
}

/* Driving *****************************************************************/

/*
 * Only requests that were on the list when the pass began are looked at:
 * a callback may submit more, and those wait for the next pass.
 */
static void expire_overdue(cl_http *http, int64_t now)
{
	http_req *req = http->head;
	http_req *last = http->tail;
	http_req *next;

	while (req != NULL) {
		next = req == last ? NULL : req->next;
		if (req->deadline <= now)
			expire(http, req);
		req = next;
	}
}

static void start_due(cl_http *http, int64_t now)
{
	http_req *req = http->head;
	http_req *last = http->tail;
	http_req *next;

	while (req != NULL && http->running < http->opts.max_connections) {
		next = req == last ? NULL : req->next;
		if (req->easy == NULL && req->not_before <= now &&
		    attempt_start(http, req, now) < 0) {
			req->error = CL_ENOMEM;
			req->why = WHY_NOMEM;
			complete(http, req);
		}
		req = next;
	}
}

static void reap(cl_http *http)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(http->multi, &left)) != NULL) {
		http_req *req = NULL;
		CURLcode rc = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &req);
		attempt_done(http, req, rc);
	}
}

int cl_http_poll(cl_http *http)
{
	int64_t now = cl_http_now_ms();
	int still;
	CURLMcode mc;

	expire_overdue(http, now);
	start_due(http, now);
	mc = curl_multi_perform(http->multi, &still);
	reap(http);
	if (mc != CURLM_OK)
		return cl__error(CL_ETRACKER, "HTTP transfers failed: %s",
			curl_multi_strerror(mc));
	return http->pending;
}

/*
 * When something of ours is due: a deadline, or the end of a backoff
 * that could start now. curl adds its own timers when we wait.
 */
static int64_t next_wakeup(const cl_http *http, int64_t now)
{
	int64_t next = now + WAIT_MAX_MS;
	int can_start = http->running < http->opts.max_connections;
	const http_req *req;

	for (req = http->head; req != NULL; req = req->next) {
		if (req->deadline < next)
			next = req->deadline;
		if (req->easy == NULL && can_start && req->not_before < next)
			next = req->not_before;
	}
	return next;
}

static void wait_for_work(cl_http *http)
{
	int64_t now = cl_http_now_ms();
	int64_t wait = next_wakeup(http, now) - now;

	if (wait <= 0)
		return;
	curl_multi_poll(http->multi, NULL, 0, (int)wait, NULL);
}

int cl_http_run(cl_http *http, int64_t deadline_ms)
{
	unsigned int hits = http->deadline_hits;
	http_req *req;
	int n;

	for (req = http->head; req != NULL; req = req->next) {
		if (req->deadline > deadline_ms)
			req->deadline = deadline_ms;
	}
	http->run_deadline = deadline_ms;
	while ((n = cl_http_poll(http)) > 0)
		wait_for_work(http);
	http->run_deadline = NO_DEADLINE;
	if (n < 0)
		return n;
	if (http->deadline_hits != hits)
		return cl__error(CL_ETIMEOUT,
			"the deadline passed before %u HTTP requests finished",
			http->deadline_hits - hits);
	return 0;
}

/* Submitting **************************************************************/

/* A method goes into the request line as is: letters only. */
static int valid_method(const char *method)
{
	const char *p;

	if (method == NULL || *method == '\0')
		return 0;
	for (p = method; *p; p++) {
		if (*p < 'A' || *p > 'Z')
			return 0;
	}
	return 1;
}

static int has_header(const char *const *headers, const char *name)
{
	size_t n = strlen(name);

	for (; headers && *headers; headers++) {
		if (cl__strncasecmp(*headers, name, n) == 0 &&
		    (*headers)[n] == ':')
			return 1;
	}
	return 0;
}

static int req_headers(http_req *req, const char *const *headers)
{
	const char *const *h;
	struct curl_slist *l;

	for (h = headers; h && *h; h++) {
		if ((l = curl_slist_append(req->headers, *h)) == NULL)
			return cl__error_nomem();
		req->headers = l;
	}
	/* Expect: 100-continue would cost a round trip on large bodies. */
	if (!has_header(headers, "Expect")) {
		if ((l = curl_slist_append(req->headers, "Expect:")) == NULL)
			return cl__error_nomem();
		req->headers = l;
	}
	return 0;
}

static int req_copy(http_req *req, const cl_http_request *r)
{
	if ((req->method = cl__strdup(r->method)) == NULL ||
	    (req->url = cl__strdup(r->url)) == NULL ||
	    (req->safe_url = url_for_message(r->url)) == NULL)
		return CL_ENOMEM;
	if (r->body != NULL &&
	    (req->body = cl__strndup(r->body, r->body_len)) == NULL)
		return CL_ENOMEM;
	req->body_len = r->body ? r->body_len : 0;
	req->idempotent = r->idempotent;
	return req_headers(req, r->headers);
}

static int submit(http_req **out, cl_http *http, const cl_http_request *r,
	cl_http_done_cb cb, void *payload)
{
	http_req *req;
	int error;

	if (http == NULL || r == NULL || cb == NULL || r->url == NULL)
		return cl__error(CL_EINVALID, "HTTP request without a URL");
	if (!valid_method(r->method))
		return cl__error(CL_EINVALID, "bad HTTP method");
	if ((req = cl__calloc(1, sizeof(*req))) == NULL)
		return CL_ENOMEM;
	if ((error = req_copy(req, r)) < 0) {
		req_free(req);
		return error;
	}
	req->http = http;
	req->cb = cb;
	req->payload = payload;
	req->deadline = http->run_deadline;
	req->not_before = 0;
	attempt_reset(req);
	list_append(http, req);
	http->pending++;
	*out = req;
	return 0;
}

int cl_http_submit(cl_http *http, const cl_http_request *req,
	cl_http_done_cb cb, void *payload)
{
	http_req *r;

	return submit(&r, http, req, cb, payload);
}

/* cl_http_perform *********************************************************/

typedef struct {
	int done;
	int error;
	cl_http_response *resp;
} perform_state;

static cl_http_response *response_dup(const cl_http_response *r)
{
	cl_http_response *out = cl__calloc(1, sizeof(*out));

	if (out == NULL)
		return NULL;
	*out = *r;
	out->error_message = NULL;
	if ((out->body = cl__strndup(r->body, r->body_len)) == NULL) {
		free(out);
		return NULL;
	}
	return out;
}

static void perform_done(const cl_http_response *r, void *payload)
{
	perform_state *st = payload;

	st->done = 1;
	if (r->error != 0) {
		st->error = cl__error(r->error, "%s", r->error_message);
		return;
	}
	if ((st->resp = response_dup(r)) == NULL)
		st->error = CL_ENOMEM;
}

/*
 * Only this request is waited for; others move along meanwhile but keep
 * their own deadlines.
 */
int cl_http_perform(cl_http_response **out, cl_http *http,
	const cl_http_request *req, int64_t deadline_ms)
{
	perform_state st = { 0, 0, NULL };
	http_req *r;
	int error;

	*out = NULL;
	if ((error = submit(&r, http, req, perform_done, &st)) < 0)
		return error;
	if (r->deadline > deadline_ms)
		r->deadline = deadline_ms;
	while (!st.done) {
		if ((error = cl_http_poll(http)) < 0 && !st.done) {
			/* Its callback points into this frame: drop it. */
			req_discard(http, r);
			return error;
		}
		if (!st.done)
			wait_for_work(http);
	}
	if (st.error < 0)
		return st.error;
	*out = st.resp;
	return 0;
}

/* The rest of the API *****************************************************/

void cl_http_response_free(cl_http_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	free(resp->error_message);
	free(resp);
}

char *cl_http_escape(const char *s)
{
	size_t len;
	char *escaped, *copy;

	if (s == NULL) {
		cl__error(CL_EINVALID, "nothing to escape");
		return NULL;
	}
	if ((len = strlen(s)) > INT_MAX) {
		cl__error(CL_EINVALID, "string too long to escape");
		return NULL;
	}
	if (global_init() < 0)
		return NULL;
	/* curl's memory is freed with curl_free; ours with cl_free. */
	if ((escaped = curl_easy_escape(NULL, s, (int)len)) == NULL) {
		cl__error_nomem();
		return NULL;
	}
	copy = cl__strdup(escaped);
	curl_free(escaped);
	return copy;
}

static int check_opts(const cl_http_opts *o)
{
	if (o->version != CL_HTTP_OPTS_VERSION)
		return cl__error(CL_EVERSION, "HTTP options version %u, not %u",
			o->version, CL_HTTP_OPTS_VERSION);
	if (o->max_retries < 0 || o->backoff_base_ms < 0 ||
	    o->backoff_max_ms < 0 || o->connect_timeout_ms <= 0 ||
	    o->request_timeout_ms <= 0 || o->max_body == 0 ||
	    o->max_connections <= 0)
		return cl__error(CL_EINVALID, "bad HTTP options");
	return 0;
}

static int multi_setup(cl_http *http)
{
	long n = http->opts.max_connections;

	if ((http->multi = curl_multi_init()) == NULL)
		return cl__error_nomem();
	if (curl_multi_setopt(http->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
		    n) != CURLM_OK ||
	    curl_multi_setopt(http->multi, CURLMOPT_MAXCONNECTS, n) != CURLM_OK)
		return cl__error(CL_ERROR, "cannot set up HTTP transfers");
	return 0;
}

int cl_http_new(cl_http **out, const cl_http_opts *opts)
{
	cl_http_opts defaults = CL_HTTP_OPTS_INIT;
	cl_http *http;
	int error;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if ((error = check_opts(opts)) < 0 || (error = global_init()) < 0)
		return error;
	if ((http = cl__calloc(1, sizeof(*http))) == NULL)
		return CL_ENOMEM;
	http->last_retry_after = -1;
	http->opts = *opts;
	http->run_deadline = NO_DEADLINE;
	if (opts->ca_file != NULL &&
	    (http->ca_file = cl__strdup(opts->ca_file)) == NULL) {
		cl_http_free(http);
		return CL_ENOMEM;
	}
	http->opts.ca_file = http->ca_file;
	if ((error = multi_setup(http)) < 0) {
		cl_http_free(http);
		return error;
	}
	*out = http;
	return 0;
}

/* Unfinished requests are dropped without their callbacks. */
void cl_http_free(cl_http *http)
{
	http_req *req;

	if (http == NULL)
		return;
	while ((req = http->head) != NULL)
		req_discard(http, req);
	if (http->multi)
		curl_multi_cleanup(http->multi);
	free(http->ca_file);
	free(http);
}
