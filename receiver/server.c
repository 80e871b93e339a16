/*
 * server.c: closeloopd's HTTP side, on libmicrohttpd. A webhook is read
 * whole (up to maxBodySize), verified and parsed at once, so that a bad
 * signature or a malformed payload is told to the sender; a good one is
 * handed to the committer, as the tracker event it parsed into, and its
 * connection suspended until that is on disk, then answered 202. Nothing
 * a sender was told was accepted can be lost.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "receiver.h"

/* Most HTTP polling threads, whatever the number of cores. */
#define POOL_MAX 8
/* /v1 bodies are small JSON objects. */
#define API_MAX_BODY (64 * 1024)

typedef enum {
	ROUTE_NONE = 0,
	ROUTE_HOOK,
	ROUTE_REPLIES,
	ROUTE_TICKET,
	ROUTE_HEALTHZ,
	ROUTE_METRICS
} route;

typedef struct {
	route route;
	generation *g;              /* pinned at the request's start */
	int tracker;
	char *body;
	size_t len, cap, max;
	int too_big;
	int suspended;
	pending_delivery pd;
	char id[CL_DELIVERY_ID_MAX];
	char *tevent;               /* the parsed event, stored (JSON) */
} request;

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned int status,
	const char *json)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* {"error":"..."} with the message escaped by json-c. */
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned int status,
	const char *message)
{
	json_object *o = json_object_new_object();
	enum MHD_Result ret;

	json_object_object_add(o, "error", json_object_new_string(message));
	ret = send_json(c, status, json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return ret;
}

int generation_tracker(const generation *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n_trackers; i++)
		if (strcmp(cl_tracker_name(g->trackers[i]), name) == 0)
			return (int)i;
	return -1;
}

/* Headers */

typedef struct {
	cl_header *items;
	size_t n, cap;
	int failed;
} header_list;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind,
	const char *key, const char *value)
{
	header_list *h = cls;

	(void)kind;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 32;
		cl_header *p = realloc(h->items, cap * sizeof(*p));

		if (p == NULL) {
			h->failed = 1;
			return MHD_NO;
		}
		h->items = p;
		h->cap = cap;
	}
	h->items[h->n].name = key;
	h->items[h->n].value = value ? value : "";
	h->n++;
	return MHD_YES;
}

/* Webhooks */

static enum MHD_Result hook_reject(receiver *r, request *q,
	struct MHD_Connection *c, unsigned int status, const char *why)
{
	metrics_count(&r->m, q->g->metric[q->tracker], RESULT_REJECTED);
	cl_log(CL_LOG_INFO, "webhook for %s refused (%u): %s",
		cl_tracker_name(q->g->trackers[q->tracker]), status, why);
	return send_error(c, status, why);
}

static enum MHD_Result hook_finish(receiver *r, request *q,
	struct MHD_Connection *c)
{
	cl_tracker *t = q->g->trackers[q->tracker];
	header_list h = { NULL, 0, 0, 0 };
	cl_webhook hook;
	cl_tevent ev;
	char why[512];
	int error;

	if (q->too_big) {
		snprintf(why, sizeof(why), "the body is larger than %zu bytes "
			"(receiver.maxBodySize)", q->max);
		return hook_reject(r, q, c, MHD_HTTP_CONTENT_TOO_LARGE, why);
	}
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &h);
	if (h.failed) {
		free(h.items);
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
	}
	hook.headers = h.items;
	hook.n_headers = h.n;
	hook.body = q->body ? q->body : "";
	hook.body_len = q->len;
	cl_tevent_init(&ev);
	/* no lock: the webhook calls read only the tracker's configuration
	 * (sys/tracker.h), and every polling thread runs them at once */
	error = cl_tracker_webhook_verify(t, &hook);
	if (error == 0)
		error = cl_tracker_webhook_parse(t, &hook, &ev);
	if (error == 0 && ev.kind != CL_TEVENT_IGNORED)
		error = cl_tracker_webhook_id(t, &hook, q->id, sizeof(q->id));
	if (error < 0)
		snprintf(why, sizeof(why), "%s", cl_error_last()->message);
	free(h.items);
	/* what is stored is what was parsed, not the payload: see tevent_json.c */
	if (error == 0 && ev.kind != CL_TEVENT_IGNORED &&
	    (error = cl_tevent_to_json(&ev, &q->tevent)) < 0) {
		cl_tevent_clear(&ev);
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			cl_error_last()->message);
	}
	if (error < 0) {
		cl_tevent_clear(&ev);
		return hook_reject(r, q, c, error == CL_EAUTH ?
			MHD_HTTP_UNAUTHORIZED : MHD_HTTP_BAD_REQUEST, why);
	}
	if (ev.kind == CL_TEVENT_IGNORED) {
		json_object *o = json_object_new_object();
		enum MHD_Result ret;

		metrics_count(&r->m, q->g->metric[q->tracker], RESULT_IGNORED);
		json_object_object_add(o, "status", json_object_new_string("ignored"));
		json_object_object_add(o, "reason", json_object_new_string(
			ev.reason ? ev.reason : "nothing closeloop acts on"));
		ret = send_json(c, MHD_HTTP_ACCEPTED, json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		cl_tevent_clear(&ev);
		return ret;
	}
	cl_tevent_clear(&ev);
	memset(&q->pd, 0, sizeof(q->pd));
	q->pd.d.tracker = cl_tracker_name(t);
	q->pd.d.id = q->id;
	q->pd.d.tevent = q->tevent;
	/* a suspended request holds the small event, not the payload */
	free(q->body);
	q->body = NULL;
	q->len = q->cap = 0;
	q->pd.connection = c;
	q->suspended = 1;
	MHD_suspend_connection(c);
	if (committer_submit(&r->commit, &q->pd) < 0) {
		/* shutting down: answered 503 when the connection resumes */
		q->pd.error = 1;
		MHD_resume_connection(c);
	}
	return MHD_YES;
}

/* Called again after the committer resumed the connection. */
static enum MHD_Result hook_answer(receiver *r, request *q,
	struct MHD_Connection *c)
{
	json_object *o;
	enum MHD_Result ret;

	q->suspended = 0;
	if (q->pd.error) {
		metrics_count(&r->m, q->g->metric[q->tracker], RESULT_REJECTED);
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			"the delivery could not be stored; send it again");
	}
	metrics_count(&r->m, q->g->metric[q->tracker],
		q->pd.dup ? RESULT_DUPLICATE : RESULT_ACCEPTED);
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string(
		q->pd.dup ? "duplicate" : "accepted"));
	json_object_object_add(o, "delivery", json_object_new_string(q->id));
	ret = send_json(c, MHD_HTTP_ACCEPTED, json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return ret;
}

void server_resume(receiver *r, pending_delivery *p)
{
	(void)r;
	MHD_resume_connection(p->connection);
}

/* Routing */

static route find_route(request *q, const char *url)
{
	if (strncmp(url, "/hooks/", 7) == 0) {
		q->tracker = generation_tracker(q->g, url + 7);
		return ROUTE_HOOK;
	}
	if (strcmp(url, "/v1/replies") == 0)
		return ROUTE_REPLIES;
	if (strncmp(url, "/v1/tickets/", 12) == 0 && url[12] != '\0')
		return ROUTE_TICKET;
	if (strcmp(url, "/healthz") == 0)
		return ROUTE_HEALTHZ;
	if (strcmp(url, "/metrics") == 0)
		return ROUTE_METRICS;
	return ROUTE_NONE;
}

static const char *route_method(route rt)
{
	return rt == ROUTE_HOOK || rt == ROUTE_REPLIES ? "POST" : "GET";
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned int status,
	char *text, const char *type)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (text == NULL)
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
	resp = MHD_create_response_from_buffer(strlen(text), text,
		MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result healthz(receiver *r, struct MHD_Connection *c)
{
	int version = 0, error;

	pthread_mutex_lock(&r->api_lock);
	error = cl_store_schema_version(r->api_store, &version);
	pthread_mutex_unlock(&r->api_lock);
	if (error < 0)
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			"the store does not answer");
	return send_json(c, MHD_HTTP_OK, "{\"status\":\"ok\"}");
}

static enum MHD_Result finish(receiver *r, request *q,
	struct MHD_Connection *c, const char *url)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		"Authorization");
	char *out = NULL;
	int status;

	switch (q->route) {
	case ROUTE_HOOK:
		return q->suspended ? hook_answer(r, q, c) : hook_finish(r, q, c);
	case ROUTE_HEALTHZ:
		return healthz(r, c);
	case ROUTE_METRICS:
		return send_text(c, MHD_HTTP_OK, metrics_render(&r->m, r->api_store),
			"text/plain; version=0.0.4");
	case ROUTE_REPLIES:
		if (q->too_big)
			return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
				"the body is larger than 64 KiB");
		status = api_reply(r, q->g, auth, q->body ? q->body : "", q->len,
			&out);
		return send_text(c, (unsigned int)status, out, "application/json");
	case ROUTE_TICKET:
		status = api_ticket(r, q->g, auth, url + 12, &out);
		return send_text(c, (unsigned int)status, out, "application/json");
	case ROUTE_NONE:
		break;
	}
	return send_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
	const char *url, const char *method, const char *version,
	const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	receiver *r = cls;
	request *q = *con_cls;

	(void)version;
	if (q == NULL) {
		const char *cl;

		atomic_fetch_add(&r->m.http_requests, 1);
		if ((q = calloc(1, sizeof(*q))) == NULL)
			return MHD_NO;
		*con_cls = q;
		atomic_fetch_add(&r->in_flight, 1);
		q->g = atomic_load(&r->gen);
		q->route = find_route(q, url);
		q->max = q->route == ROUTE_HOOK ? q->g->max_body : API_MAX_BODY;
		if (q->route == ROUTE_NONE)
			return send_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
		if (strcmp(method, route_method(q->route)) != 0) {
			char why[64];

			snprintf(why, sizeof(why), "use %s", route_method(q->route));
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, why);
		}
		if (q->route == ROUTE_HOOK && q->tracker < 0)
			return send_error(c, MHD_HTTP_NOT_FOUND,
				"no [tracker] section of that name");
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
			"Content-Length");
		/* a declared oversize body is read and dropped, not kept:
		 * answering before the sender finished sending would cut
		 * the connection under it, and it would not see the 413 */
		if (cl && strtoull(cl, NULL, 10) > q->max)
			q->too_big = 1;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (q->too_big || q->len + n > q->max) {
			q->too_big = 1; /* read and drop the rest */
			return MHD_YES;
		}
		if (q->len + n + 1 > q->cap) {
			size_t cap = q->cap ? q->cap : 16384;
			char *p;

			while (cap < q->len + n + 1)
				cap *= 2;
			if ((p = realloc(q->body, cap)) == NULL)
				return MHD_NO;
			q->body = p;
			q->cap = cap;
		}
		memcpy(q->body + q->len, upload_data, n);
		q->len += n;
		q->body[q->len] = '\0';
		return MHD_YES;
	}
	return finish(r, q, c, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	enum MHD_RequestTerminationCode toe)
{
	request *q = *con_cls;

	(void)c;
	(void)toe;
	if (q == NULL)
		return;
	atomic_fetch_sub(&((receiver *)cls)->in_flight, 1);
	free(q->body);
	free(q->tevent);
	free(q);
	*con_cls = NULL;
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	cl_log(CL_LOG_WARNING, "http: %s", msg);
}

int server_start(receiver *r, const char *host, unsigned short port)
{
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
	struct sockaddr *addr;
	/* A polling thread per core: verifying and parsing a payload is
	 * most of a request's CPU (the fsync is the committer's). On 2 cores
	 * next to wrk: one thread 7,100-7,900 req/s, p99 13-15 ms; two
	 * 7,300-8,700 req/s, p99 9-11 ms. (Two threads were worse while the
	 * parse ran under a lock and payloads were written whole.) */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int pool = cpus < 1 ? 1 : cpus > POOL_MAX ? POOL_MAX :
		(unsigned int)cpus;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	memset(&v4, 0, sizeof(v4));
	memset(&v6, 0, sizeof(v6));
	if (inet_pton(AF_INET, host, &v4.sin_addr) == 1) {
		v4.sin_family = AF_INET;
		v4.sin_port = htons(port);
		addr = (struct sockaddr *)&v4;
	} else if (inet_pton(AF_INET6, host, &v6.sin6_addr) == 1) {
		v6.sin6_family = AF_INET6;
		v6.sin6_port = htons(port);
		addr = (struct sockaddr *)&v6;
		flags |= MHD_USE_IPv6;
	} else {
		cl_log(CL_LOG_ERROR, "receiver.listen: '%s' is not an IP address",
			host);
		return CL_ECONFIG;
	}
	/* the logger first: messages about the options go through it too */
	r->daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, r,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, r,
		MHD_OPTION_SOCK_ADDR, addr,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, r,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
		/* a pool of 1 is no pool: the option is left out */
		pool > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, pool,
		MHD_OPTION_END);
	if (r->daemon == NULL) {
		cl_log(CL_LOG_ERROR, "cannot listen on %s port %u", host,
			(unsigned int)port);
		return CL_EIO;
	}
	return 0;
}

void server_quiesce(receiver *r)
{
	if (r->daemon)
		MHD_quiesce_daemon(r->daemon);
}

void server_stop(receiver *r)
{
	if (r->daemon)
		MHD_stop_daemon(r->daemon);
	r->daemon = NULL;
}
