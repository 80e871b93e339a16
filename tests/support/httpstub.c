/*
 * httpstub.c: the HTTP stand-in server of the tests, on libmicrohttpd.
 *
 * One mutex guards routes, records and counters. Answers are chosen and
 * requests recorded under it; delays and sending happen outside it, and a
 * delay is a wait on a condition variable so that httpstub_stop can cut
 * it short instead of waiting out a test's three-second stall.
 *
 * Test support: an allocation failure aborts.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <microhttpd.h>

#include "httpstub.h"

/* A response held by the stub: everything copied. */
struct httpstub_reply {
	int status;
	char *body;
	size_t body_len;
	char **headers;          /* NULL-terminated */
	long delay_ms;
	int chunked;
	int set;
};

typedef struct stub_route {
	struct stub_route *next;
	char *method;
	char *path;
	struct httpstub_reply *replies;
	size_t n;
	size_t pos;
} stub_route;

/* One request in progress on a connection. */
typedef struct {
	char *uri;               /* the request target, raw */
	char *body;
	size_t body_len;
	int started;
} stub_conn;

struct httpstub {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
	unsigned short port;
	char url[40];
	stub_route *routes;
	httpstub_req **records;
	size_t n_records;
	size_t connections;
	httpstub_handler handler;
	void *handler_payload;
};

static const char not_stubbed[] = "{\"error\":\"not stubbed\"}";

/* Memory *******************************************************************/

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		abort();
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		abort();
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* Canned replies ***********************************************************/

static char **headers_copy(const char *const *headers)
{
	size_t n = 0, i;
	char **out;

	while (headers && headers[n])
		n++;
	out = xmalloc((n + 1) * sizeof(*out));
	for (i = 0; i < n; i++)
		out[i] = xstrdup(headers[i]);
	out[n] = NULL;
	return out;
}

static void reply_fill(struct httpstub_reply *r, const httpstub_resp *resp)
{
	const char *body = resp->body ? resp->body : "";
	size_t len = resp->body_len ? resp->body_len : strlen(body);

	r->status = resp->status;
	r->body = xstrndup(body, len);
	r->body_len = len;
	r->headers = headers_copy(resp->headers);
	r->delay_ms = resp->delay_ms;
	r->chunked = resp->chunked;
	r->set = 1;
}

static void reply_copy(struct httpstub_reply *to,
	const struct httpstub_reply *from)
{
	httpstub_resp resp = { from->status, from->body, from->body_len,
		(const char *const *)from->headers, from->delay_ms,
		from->chunked };

	/* A reply with an empty body has body_len 0: strlen("") is 0 too. */
	reply_fill(to, &resp);
}

static void reply_clear(struct httpstub_reply *r)
{
	size_t i;

	if (r->headers)
		for (i = 0; r->headers[i]; i++)
			free(r->headers[i]);
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

void httpstub_answer(httpstub_reply *reply, const httpstub_resp *resp)
{
	reply_clear(reply);
	reply_fill(reply, resp);
}

static void route_free(stub_route *route)
{
	size_t i;

	for (i = 0; i < route->n; i++)
		reply_clear(&route->replies[i]);
	free(route->replies);
	free(route->method);
	free(route->path);
	free(route);
}

static stub_route *route_find(httpstub *stub, const char *method,
	const char *path)
{
	stub_route *r;

	for (r = stub->routes; r != NULL; r = r->next) {
		if (strcmp(r->method, method) == 0 &&
		    strcmp(r->path, path) == 0)
			return r;
	}
	return NULL;
}

void httpstub_expect_resp(httpstub *stub, const char *method,
	const char *path, const httpstub_resp *resp)
{
	stub_route *route;

	pthread_mutex_lock(&stub->lock);
	if ((route = route_find(stub, method, path)) == NULL) {
		route = xmalloc(sizeof(*route));
		memset(route, 0, sizeof(*route));
		route->method = xstrdup(method);
		route->path = xstrdup(path);
		route->next = stub->routes;
		stub->routes = route;
	}
	route->replies = xrealloc(route->replies,
		(route->n + 1) * sizeof(*route->replies));
	reply_fill(&route->replies[route->n++], resp);
	pthread_mutex_unlock(&stub->lock);
}

void httpstub_expect(httpstub *stub, const char *method, const char *path,
	int status, const char *body, const char *const *headers)
{
	httpstub_resp resp = { status, body, 0, headers, 0, 0 };

	httpstub_expect_resp(stub, method, path, &resp);
}

void httpstub_set_handler(httpstub *stub, httpstub_handler fn,
	void *payload)
{
	pthread_mutex_lock(&stub->lock);
	stub->handler = fn;
	stub->handler_payload = payload;
	pthread_mutex_unlock(&stub->lock);
}

/* Records ******************************************************************/

static void req_free(httpstub_req *req)
{
	size_t i;

	for (i = 0; i < req->n_headers; i++) {
		free((char *)req->headers[i].name);
		free((char *)req->headers[i].value);
	}
	free(req->headers);
	free(req->method);
	free(req->path);
	free(req->query);
	free(req->body);
	free(req);
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind,
	const char *key, const char *value)
{
	httpstub_req *req = cls;
	httpstub_header *h;

	(void)kind;
	req->headers = xrealloc(req->headers,
		(req->n_headers + 1) * sizeof(*req->headers));
	h = &req->headers[req->n_headers++];
	h->name = xstrdup(key);
	h->value = xstrdup(value ? value : "");
	return MHD_YES;
}

/* Takes the connection's body. */
static httpstub_req *req_new(struct MHD_Connection *c, const char *method,
	stub_conn *conn)
{
	httpstub_req *req = xmalloc(sizeof(*req));
	const char *uri = conn->uri ? conn->uri : "";
	size_t path_len = strcspn(uri, "?");

	memset(req, 0, sizeof(*req));
	req->method = xstrdup(method);
	req->path = xstrndup(uri, path_len);
	req->query = xstrdup(uri[path_len] ? uri + path_len + 1 : "");
	req->body = conn->body ? conn->body : xstrdup("");
	req->body_len = conn->body_len;
	conn->body = NULL;
	conn->body_len = 0;
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, req);
	return req;
}

static void record(httpstub *stub, httpstub_req *req)
{
	stub->records = xrealloc(stub->records,
		(stub->n_records + 1) * sizeof(*stub->records));
	stub->records[stub->n_records++] = req;
}

size_t httpstub_count(httpstub *stub)
{
	size_t n;

	pthread_mutex_lock(&stub->lock);
	n = stub->n_records;
	pthread_mutex_unlock(&stub->lock);
	return n;
}

const httpstub_req *httpstub_request(httpstub *stub, size_t i)
{
	const httpstub_req *req = NULL;

	pthread_mutex_lock(&stub->lock);
	if (i < stub->n_records)
		req = stub->records[i];
	pthread_mutex_unlock(&stub->lock);
	return req;
}

const char *httpstub_req_header(const httpstub_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->n_headers; i++) {
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	}
	return NULL;
}

size_t httpstub_connections(httpstub *stub)
{
	size_t n;

	pthread_mutex_lock(&stub->lock);
	n = stub->connections;
	pthread_mutex_unlock(&stub->lock);
	return n;
}

/* Answering ****************************************************************/

/*
 * Picks the reply and records the request. The handler runs outside the
 * lock (it may take its time, or call us), before the request is
 * recorded: once recorded, a reset may free it.
 */
static void choose(httpstub *stub, struct httpstub_reply *out,
	httpstub_req *req)
{
	stub_route *route;
	httpstub_handler handler;
	void *payload;

	pthread_mutex_lock(&stub->lock);
	route = route_find(stub, req->method, req->path);
	if (route != NULL) {
		reply_copy(out, &route->replies[route->pos]);
		if (route->pos + 1 < route->n)
			route->pos++;
	}
	handler = stub->handler;
	payload = stub->handler_payload;
	pthread_mutex_unlock(&stub->lock);
	if (route == NULL && handler != NULL && !handler(out, req, payload))
		reply_clear(out);
	pthread_mutex_lock(&stub->lock);
	record(stub, req);
	pthread_mutex_unlock(&stub->lock);
}

static void delay(httpstub *stub, long ms)
{
	struct timespec until;

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&stub->lock);
	while (!stub->stopping &&
	    pthread_cond_timedwait(&stub->wake, &stub->lock, &until) == 0)
		;
	pthread_mutex_unlock(&stub->lock);
}

static int has_content_type(char **headers)
{
	for (; *headers; headers++) {
		if (strncasecmp(*headers, "Content-Type:", 13) == 0)
			return 1;
	}
	return 0;
}

static void add_header(struct MHD_Response *resp, const char *line)
{
	const char *colon = strchr(line, ':');
	const char *value;
	char *name;

	if (colon == NULL)
		return;
	value = colon + 1;
	while (*value == ' ' || *value == '\t')
		value++;
	name = xstrndup(line, (size_t)(colon - line));
	MHD_add_response_header(resp, name, value);
	free(name);
}

/* A body sent in pieces of unknown total size. */
typedef struct {
	char *data;
	size_t len;
} stub_chunks;

static ssize_t chunks_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	stub_chunks *ch = cls;
	size_t n;

	if (pos >= ch->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = ch->len - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, ch->data + pos, n);
	return (ssize_t)n;
}

static void chunks_free(void *cls)
{
	stub_chunks *ch = cls;

	free(ch->data);
	free(ch);
}

static struct MHD_Response *response_new(const struct httpstub_reply *r)
{
	stub_chunks *ch;
	struct MHD_Response *resp;

	if (!r->chunked)
		return MHD_create_response_from_buffer(r->body_len, r->body,
			MHD_RESPMEM_MUST_COPY);
	ch = xmalloc(sizeof(*ch));
	ch->data = xstrndup(r->body, r->body_len);
	ch->len = r->body_len;
	/* Small blocks, so that a body arrives in several pieces. */
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 256,
		chunks_read, ch, chunks_free);
	if (resp == NULL)
		chunks_free(ch);
	return resp;
}

static enum MHD_Result send_reply(struct MHD_Connection *c,
	const struct httpstub_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t i;

	resp = response_new(r);
	if (resp == NULL)
		return MHD_NO;
	for (i = 0; r->headers[i]; i++)
		add_header(resp, r->headers[i]);
	if (r->body_len > 0 && !has_content_type(r->headers))
		MHD_add_response_header(resp, "Content-Type",
			"application/json");
	ret = MHD_queue_response(c, (unsigned int)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void upload(stub_conn *conn, const char *data, size_t len)
{
	conn->body = xrealloc(conn->body, conn->body_len + len + 1);
	memcpy(conn->body + conn->body_len, data, len);
	conn->body_len += len;
	conn->body[conn->body_len] = '\0';
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
	const char *url, const char *method, const char *version,
	const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	httpstub *stub = cls;
	stub_conn *conn = *req_cls;
	struct httpstub_reply reply;
	httpstub_resp missing = { 404, not_stubbed, 0, NULL, 0, 0 };
	enum MHD_Result ret;

	(void)url;
	(void)version;
	/* The first call only announces the request; the body follows. */
	if (!conn->started) {
		conn->started = 1;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		upload(conn, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	memset(&reply, 0, sizeof(reply));
	choose(stub, &reply, req_new(c, method, conn));
	if (!reply.set)
		reply_fill(&reply, &missing);
	delay(stub, reply.delay_ms);
	ret = send_reply(c, &reply);
	reply_clear(&reply);
	return ret;
}

/* The raw target, before MHD decodes it; becomes the request's state. */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *c)
{
	stub_conn *conn = xmalloc(sizeof(*conn));

	(void)cls;
	(void)c;
	memset(conn, 0, sizeof(*conn));
	conn->uri = xstrdup(uri);
	return conn;
}

static void request_done(void *cls, struct MHD_Connection *c,
	void **req_cls, enum MHD_RequestTerminationCode toe)
{
	stub_conn *conn = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (conn == NULL)
		return;
	free(conn->uri);
	free(conn->body);
	free(conn);
	*req_cls = NULL;
}

static void connection_seen(void *cls, struct MHD_Connection *c,
	void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	httpstub *stub = cls;

	(void)c;
	(void)socket_context;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	pthread_mutex_lock(&stub->lock);
	stub->connections++;
	pthread_mutex_unlock(&stub->lock);
}

/* Life *********************************************************************/

static int sync_init(httpstub *stub)
{
	pthread_condattr_t attr;
	int error;

	if (pthread_mutex_init(&stub->lock, NULL) != 0)
		return -1;
	/* Delays are measured on the monotonic clock. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	error = pthread_cond_init(&stub->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (error != 0) {
		pthread_mutex_destroy(&stub->lock);
		return -1;
	}
	return 0;
}

static struct MHD_Daemon *daemon_start(httpstub *stub)
{
	struct sockaddr_in addr;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = 0;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return MHD_start_daemon(MHD_USE_AUTO |
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
		0, NULL, NULL, handle, stub,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_URI_LOG_CALLBACK, uri_seen, stub,
		MHD_OPTION_NOTIFY_COMPLETED, request_done, stub,
		MHD_OPTION_NOTIFY_CONNECTION, connection_seen, stub,
		MHD_OPTION_END);
}

httpstub *httpstub_start(void)
{
	httpstub *stub = xmalloc(sizeof(*stub));
	const union MHD_DaemonInfo *info;

	memset(stub, 0, sizeof(*stub));
	if (sync_init(stub) < 0) {
		free(stub);
		return NULL;
	}
	if ((stub->daemon = daemon_start(stub)) == NULL ||
	    (info = MHD_get_daemon_info(stub->daemon,
		    MHD_DAEMON_INFO_BIND_PORT)) == NULL ||
	    info->port == 0) {
		httpstub_stop(stub);
		return NULL;
	}
	stub->port = info->port;
	snprintf(stub->url, sizeof(stub->url), "http://127.0.0.1:%u",
		(unsigned int)stub->port);
	return stub;
}

const char *httpstub_url(httpstub *stub)
{
	return stub->url;
}

unsigned short httpstub_port(httpstub *stub)
{
	return stub->port;
}

/* Under the lock. */
static void forget(httpstub *stub)
{
	size_t i;

	while (stub->routes != NULL) {
		stub_route *next = stub->routes->next;

		route_free(stub->routes);
		stub->routes = next;
	}
	for (i = 0; i < stub->n_records; i++)
		req_free(stub->records[i]);
	free(stub->records);
	stub->records = NULL;
	stub->n_records = 0;
	stub->handler = NULL;
	stub->handler_payload = NULL;
}

/*
 * Safe while requests are in flight: a request is recorded only when it
 * is no longer looked at, so one in flight is just recorded afterwards.
 */
void httpstub_reset(httpstub *stub)
{
	pthread_mutex_lock(&stub->lock);
	forget(stub);
	pthread_mutex_unlock(&stub->lock);
}

void httpstub_stop(httpstub *stub)
{
	if (stub == NULL)
		return;
	pthread_mutex_lock(&stub->lock);
	stub->stopping = 1;
	pthread_cond_broadcast(&stub->wake);
	pthread_mutex_unlock(&stub->lock);
	if (stub->daemon)
		MHD_stop_daemon(stub->daemon);
	forget(stub);
	pthread_cond_destroy(&stub->wake);
	pthread_mutex_destroy(&stub->lock);
	free(stub);
}
