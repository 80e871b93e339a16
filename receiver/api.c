/*
 * api.c: the receiver's own small API, for helpdesk tools and admins.
 * POST /v1/replies records a customer reply (ledger now, tracker through
 * the outbox); GET /v1/tickets/TICKET shows the ticket's ledger. Both want
 * "Authorization: Bearer TOKEN" with receiver.apiTokenFile's token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "receiver.h"

#define MAX_LINK 2048

static char *error_json(const char *message)
{
	json_object *o = json_object_new_object();
	char *out;

	json_object_object_add(o, "error", json_object_new_string(message));
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

static int refuse(char **out, int status, const char *message)
{
	*out = error_json(message);
	return status;
}

/* 0 when auth carries the API token; else the status to answer. */
static int authorized(const generation *g, const char *auth, char **out)
{
	if (g->api_token == NULL)
		return refuse(out, 403, "the API is off: set receiver.apiTokenFile");
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0)
		return refuse(out, 401, "missing Authorization: Bearer TOKEN");
	if (!cl_secret_equal(auth + 7, g->api_token))
		return refuse(out, 401, "wrong API token");
	return 0;
}

/* "support:42", "redmine:42" (a type, when one tracker has it),
 * "gh:acme/web#7": the tracker and the ticket's ref. */
static cl_tracker *parse_ticket(const generation *r, const char *text,
	cl_ref *ref, char *project, size_t plen)
{
	const char *colon = strchr(text, ':'), *num, *hash;
	cl_tracker *found = NULL;
	char name[256], *end;
	size_t i;

	memset(ref, 0, sizeof(*ref));
	ref->kind = CL_REF_MENTION;
	if (colon == NULL || (size_t)(colon - text) >= sizeof(name))
		return NULL;
	snprintf(name, sizeof(name), "%.*s", (int)(colon - text), text);
	for (i = 0; i < r->n_trackers && !found; i++)
		if (strcmp(cl_tracker_name(r->trackers[i]), name) == 0)
			found = r->trackers[i];
	for (i = 0; i < r->n_trackers && !found; i++)
		if (strcmp(cl_tracker_type(r->trackers[i]), name) == 0)
			found = r->trackers[i];
	if (found == NULL)
		return NULL;
	num = colon + 1;
	if ((hash = strrchr(num, '#')) != NULL) {
		if ((size_t)(hash - num) >= plen || hash == num)
			return NULL;
		snprintf(project, plen, "%.*s", (int)(hash - num), num);
		ref->project = project;
		num = hash + 1;
	}
	if (*num < '1' || *num > '9')
		return NULL;
	ref->number = strtoull(num, &end, 10);
	return *end == '\0' ? found : NULL;
}

static int valid_link(const char *link)
{
	size_t n = strlen(link);

	if (n == 0 || n > MAX_LINK || strpbrk(link, " \t\r\n") != NULL)
		return 0;
	if (strstr(link, "://") != NULL)
		return 1;
	return link[0] == '<' && link[n - 1] == '>' && strchr(link, '@');
}

static const char *member_string(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int api_reply(receiver *r, generation *g, const char *auth,
	const char *body, size_t len, char **out)
{
	json_tokener *tok;
	json_object *root, *o;
	const char *ticket, *link, *by;
	char project[256], id[600];
	cl_tracker *t;
	cl_ref ref;
	int status, error;

	if ((status = authorized(g, auth, out)) != 0)
		return status;
	if ((tok = json_tokener_new()) == NULL)
		return refuse(out, 503, "out of memory");
	root = json_tokener_parse_ex(tok, body, (int)len);
	json_tokener_free(tok);
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return refuse(out, 400, "the body is not a JSON object");
	}
	ticket = member_string(root, "ticket");
	link = member_string(root, "link");
	by = member_string(root, "by");
	if (ticket == NULL || link == NULL) {
		json_object_put(root);
		return refuse(out, 400, "\"ticket\" and \"link\" (strings) are required");
	}
	if (!valid_link(link)) {
		json_object_put(root);
		return refuse(out, 400, "\"link\" must be a URL or a <Message-ID>, "
			"without spaces");
	}
	if ((t = parse_ticket(g, ticket, &ref, project, sizeof(project))) == NULL) {
		json_object_put(root);
		return refuse(out, 400, "\"ticket\" must be TRACKER:NUMBER (or "
			"TRACKER:owner/repo#NUMBER) with a configured tracker");
	}
	pthread_mutex_lock(&r->api_lock);
	error = cl_engine_reply(r->api_engine, t, &ref, link, by, "api");
	if (error == 0)
		error = cl_tracker_ticket_id(id, sizeof(id), t, &ref);
	pthread_mutex_unlock(&r->api_lock);
	if (error < 0) {
		json_object_put(root);
		return refuse(out, error == CL_EINVALID ? 400 : 503,
			cl_error_last()->message);
	}
	atomic_fetch_add(&r->m.api_replies, 1);
	worker_kick(&r->work);
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("recorded"));
	json_object_object_add(o, "ticket", json_object_new_string(id));
	/* link points into root: root goes last */
	json_object_object_add(o, "link", json_object_new_string(link));
	*out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	json_object_put(root);
	return 202;
}

static int add_event(const cl_event *ev, void *payload)
{
	json_object *list = payload, *e = json_object_new_object();

	json_object_object_add(e, "id", json_object_new_int64(ev->id));
	json_object_object_add(e, "time", json_object_new_int64(ev->time));
	json_object_object_add(e, "type", json_object_new_string(ev->type));
	json_object_object_add(e, "actor", ev->actor ?
		json_object_new_string(ev->actor) : NULL);
	json_object_object_add(e, "commit", ev->commit ?
		json_object_new_string(ev->commit) : NULL);
	json_object_object_add(e, "detail", ev->detail ?
		json_tokener_parse(ev->detail) : NULL);
	json_object_array_add(list, e);
	return 0;
}

int api_ticket(receiver *r, generation *g, const char *auth,
	const char *ticket, char **out)
{
	cl_event_filter f = CL_EVENT_FILTER_INIT;
	json_object *o, *events;
	char project[256], id[600];
	cl_tracker *t;
	cl_ref ref;
	int status, error;

	if ((status = authorized(g, auth, out)) != 0)
		return status;
	if ((t = parse_ticket(g, ticket, &ref, project, sizeof(project))) == NULL ||
	    cl_tracker_ticket_id(id, sizeof(id), t, &ref) < 0)
		return refuse(out, 400, "the ticket must be TRACKER:NUMBER (or "
			"TRACKER:owner/repo#NUMBER) with a configured tracker");
	events = json_object_new_array();
	f.ticket = id;
	pthread_mutex_lock(&r->api_lock);
	error = cl_store_foreach(r->api_store, &f, add_event, events);
	pthread_mutex_unlock(&r->api_lock);
	if (error < 0) {
		json_object_put(events);
		return refuse(out, 503, cl_error_last()->message);
	}
	o = json_object_new_object();
	json_object_object_add(o, "ticket", json_object_new_string(id));
	json_object_object_add(o, "events", events);
	*out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return 200;
}
