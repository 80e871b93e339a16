/*
 * tracker.c: the cl_tracker handle. It resolves a [tracker "NAME"] section
 * into cl_tracker_settings, picks the backend by type from one table, checks
 * what the backend says it is, owns the HTTP client the backend works on,
 * and calls only through the backend's slots (closeloop/sys/tracker.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <closeloop/tracker.h>
#include <closeloop/sys/tracker.h>

/* Every type the configuration accepts; ctor NULL: not in this build. */
static const struct {
	const char *type;
	cl_tracker_ctor ctor;
} backends[] = {
	{ "redmine", cl_tracker_backend_redmine },
	{ "gitea", cl_tracker_backend_gitea },
	{ "github", cl_tracker_backend_github },
	{ "gitlab", NULL },
	{ "jira", NULL },
};

struct cl_tracker {
	char *name;
	cl_tracker_backend *backend;
	cl_http *http;
	char *secret;  /* webhookSecretFile's value; NULL when unset */
};

/* Opening */

static int section_exists(const cl_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cl_config_tracker_count(cfg); i++)
		if (strcmp(cl_config_tracker_name(cfg, i), name) == 0)
			return 1;
	return 0;
}

/* Which section: the one named, closeloop.tracker, or the only one. */
static int resolve_name(const char **out, const cl_config *cfg,
	const char *name)
{
	const char *chosen = NULL;
	size_t n = cl_config_tracker_count(cfg);

	*out = NULL;
	if (name != NULL && *name != '\0') {
		if (!section_exists(cfg, name))
			return cl__error(CL_ECONFIG,
				"no [tracker \"%s\"] section in the configuration",
				name);
		*out = name;
		return 0;
	}
	if (cl_config_get_string(&chosen, cfg, "closeloop.tracker") == 0 &&
	    chosen != NULL && *chosen != '\0') {
		if (!section_exists(cfg, chosen))
			return cl__error(CL_ECONFIG,
				"closeloop.tracker names '%s', but there is no [tracker \"%s\"] section",
				chosen, chosen);
		*out = chosen;
		return 0;
	}
	if (n == 1) {
		*out = cl_config_tracker_name(cfg, 0);
		return 0;
	}
	if (n == 0)
		return cl__error(CL_ECONFIG,
			"no tracker is configured: add a [tracker \"NAME\"] section");
	return cl__error(CL_ECONFIG,
		"%zu trackers are configured and closeloop.tracker is unset: "
		"set it (git config closeloop.tracker NAME)", n);
}

/* "tracker.NAME.key" as a string: NULL when unset (or empty). */
static int get_key(const char **out, const cl_config *cfg, const char *name,
	const char *key, int required)
{
	cl_buf full = CL_BUF_INIT;
	int error;

	*out = NULL;
	cl__buf_printf(&full, "tracker.%s.%s", name, key);
	if (full.failed)
		return CL_ENOMEM;
	error = cl_config_get_string(out, cfg, full.ptr);
	cl__buf_free(&full);
	if (error == CL_ENOTFOUND || (error == 0 && (*out == NULL ||
						     **out == '\0'))) {
		*out = NULL;
		if (required)
			return cl__error(CL_ECONFIG,
				"[tracker \"%s\"] has no %s", name, key);
		return 0;
	}
	return error;
}

/* The token, read now. Messages name the file, never its content. */
static int read_token(char **out, const char *name, const char *path)
{
	char why[512];
	int loose = 0, error;

	if ((error = cl_secret_read(out, &loose, path)) == 0) {
		if (loose)
			cl_log(CL_LOG_WARNING,
				"tracker %s: token file %s can be read by others (chmod 600 it)",
				name, path);
		return 0;
	}
	if (error == CL_ENOMEM)
		return error;
	/* cl__error writes the buffer the old message is in: copy it first */
	snprintf(why, sizeof(why), "%s", cl_error_last()->message);
	return cl__error(error == CL_EIO ? CL_EIO : CL_ECONFIG,
		"tracker %s: %s", name, why);
}

static int find_ctor(cl_tracker_ctor *out, const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (strcmp(backends[i].type, type) != 0)
			continue;
		if (backends[i].ctor == NULL)
			return cl__error(CL_ECONFIG,
				"tracker type '%s' is not supported by this build yet",
				type);
		*out = backends[i].ctor;
		return 0;
	}
	return cl__error(CL_ECONFIG, "unknown tracker type '%s'", type);
}

/* What the core relies on before it calls through the struct. */
static int check_backend(const cl_tracker_backend *b, const char *type)
{
	if (b->version != CL_TRACKER_BACKEND_VERSION)
		return cl__error(CL_EVERSION,
			"tracker backend '%s' has version %u; this build speaks %d",
			type, b->version, CL_TRACKER_BACKEND_VERSION);
	if (b->type == NULL || b->fetch == NULL || b->free == NULL)
		return cl__error(CL_EVERSION,
			"tracker backend '%s' lacks a required method", type);
	return 0;
}

/* The section's keys, borrowed from cfg; url still as written. */
static int read_settings(cl_tracker_settings *s, const char **token_file,
	const cl_config *cfg, const char *name)
{
	cl_buf key = CL_BUF_INIT;
	int error;

	memset(s, 0, sizeof(*s));
	s->name = name;
	if ((error = get_key(&s->type, cfg, name, "type", 1)) < 0 ||
	    (error = get_key(&s->url, cfg, name, "url", 1)) < 0 ||
	    (error = get_key(&s->project, cfg, name, "project", 0)) < 0 ||
	    (error = get_key(&s->reply_field, cfg, name, "replyField", 0)) < 0 ||
	    (error = get_key(&s->owner_field, cfg, name, "ownerField", 0)) < 0 ||
	    (error = get_key(&s->reopen_status, cfg, name, "reopenStatus",
		     0)) < 0 ||
	    (error = get_key(token_file, cfg, name, "tokenFile", 0)) < 0)
		return error;
	cl__buf_printf(&key, "tracker.%s.resolvedStatuses", name);
	if (key.failed)
		return CL_ENOMEM;
	if (cl_config_get_list(&s->resolved_statuses, &s->n_resolved_statuses,
		    cfg, key.ptr) < 0) {
		s->resolved_statuses = NULL;
		s->n_resolved_statuses = 0;
	}
	cl__buf_free(&key);
	cl__buf_printf(&key, "tracker.%s.resolvedLabels", name);
	if (key.failed)
		return CL_ENOMEM;
	if (cl_config_get_list(&s->resolved_labels, &s->n_resolved_labels,
		    cfg, key.ptr) < 0) {
		s->resolved_labels = NULL;
		s->n_resolved_labels = 0;
	}
	cl__buf_free(&key);
	return 0;
}

/* Build the settings and the backend; the token is wiped once it is in. */
static int make_backend(cl_tracker_backend **out, const cl_config *cfg,
	const char *name)
{
	cl_tracker_settings s;
	cl_tracker_ctor ctor = NULL;
	const char *token_file = NULL;
	char *url = NULL, *token = NULL;
	size_t len;
	int error;

	*out = NULL;
	if ((error = read_settings(&s, &token_file, cfg, name)) < 0 ||
	    (error = find_ctor(&ctor, s.type)) < 0)
		return error;
	len = strlen(s.url);
	while (len > 0 && s.url[len - 1] == '/')
		len--;
	if ((url = cl__strndup(s.url, len)) == NULL)
		return CL_ENOMEM;
	s.url = url;
	if (token_file && (error = read_token(&token, name, token_file)) < 0) {
		free(url);
		return error;
	}
	s.token = token;
	error = ctor(out, &s);
	cl_secret_free(token);
	free(url);
	if (error < 0)
		return error;
	if (*out == NULL)
		return cl__error(CL_ETRACKER, "tracker backend '%s' made nothing",
			s.type);
	if ((error = check_backend(*out, s.type)) < 0) {
		if ((*out)->free)
			(*out)->free(*out);
		*out = NULL;
	}
	return error;
}

static int read_webhook_secret(cl_tracker *t, const cl_config *cfg)
{
	const char *path = NULL;
	int error;

	if ((error = get_key(&path, cfg, t->name, "webhookSecretFile", 0)) < 0)
		return error;
	if (path == NULL)
		return 0;
	return read_token(&t->secret, t->name, path);
}

int cl_tracker_open(cl_tracker **out, const cl_config *cfg, const char *name)
{
	cl_http_opts opts = CL_HTTP_OPTS_INIT;
	cl_tracker *t;
	const char *section;
	int error;

	if (out == NULL)
		return cl__error(CL_EINVALID, "no place for the tracker");
	*out = NULL;
	if (cfg == NULL)
		return cl__error(CL_EINVALID, "no configuration");
	if ((error = resolve_name(&section, cfg, name)) < 0)
		return error;
	if ((t = cl__calloc(1, sizeof(*t))) == NULL)
		return CL_ENOMEM;
	if ((t->name = cl__strdup(section)) == NULL) {
		free(t);
		return CL_ENOMEM;
	}
	if ((error = make_backend(&t->backend, cfg, t->name)) < 0 ||
	    (error = read_webhook_secret(t, cfg)) < 0 ||
	    (error = cl_http_new(&t->http, &opts)) < 0) {
		cl_tracker_free(t);
		return error;
	}
	*out = t;
	return 0;
}

/* Getters */

const char *cl_tracker_name(const cl_tracker *tracker)
{
	return tracker ? tracker->name : NULL;
}

const char *cl_tracker_type(const cl_tracker *tracker)
{
	return tracker ? tracker->backend->type : NULL;
}

unsigned int cl_tracker_caps(const cl_tracker *tracker)
{
	return tracker ? tracker->backend->caps : 0;
}

cl_http *cl_tracker_http(cl_tracker *tracker)
{
	return tracker ? tracker->http : NULL;
}

/* Calls through the backend */

int cl_tracker_fetch(cl_tracker *tracker, const cl_ref *refs,
	const unsigned int *flags, size_t n, cl_ticket_cb cb, void *payload)
{
	if (tracker == NULL || (n > 0 && (refs == NULL || cb == NULL)))
		return cl__error(CL_EINVALID, "no tracker, tickets or callback");
	if (n == 0)
		return 0;
	return tracker->backend->fetch(tracker->backend, tracker->http, refs,
		flags, n, cb, payload);
}

int cl_tracker_run(cl_tracker *tracker, int64_t deadline_ms)
{
	if (tracker == NULL)
		return cl__error(CL_EINVALID, "no tracker");
	return cl_http_run(tracker->http, deadline_ms);
}

static int unsupported(const cl_tracker *tracker, const char *what)
{
	return cl__error(CL_ETRACKER, "tracker %s (%s) cannot %s",
		tracker->name, tracker->backend->type, what);
}

int cl_tracker_comment(cl_tracker *tracker, const cl_ref *ref,
	const char *text, int internal, int64_t deadline_ms)
{
	if (tracker == NULL || ref == NULL || text == NULL)
		return cl__error(CL_EINVALID, "no tracker, ticket or text");
	if (tracker->backend->comment == NULL)
		return unsupported(tracker, "comment");
	return tracker->backend->comment(tracker->backend, tracker->http, ref,
		text, internal, deadline_ms);
}

int cl_tracker_set_reply(cl_tracker *tracker, const cl_ref *ref,
	const char *link, const char *by, int64_t deadline_ms)
{
	cl_buf text = CL_BUF_INIT;
	int error;

	if (tracker == NULL || ref == NULL || link == NULL || *link == '\0')
		return cl__error(CL_EINVALID, "no tracker, ticket or link");
	if (tracker->backend->set_reply != NULL)
		return tracker->backend->set_reply(tracker->backend,
			tracker->http, ref, link, by, deadline_ms);
	/* No reply slot: the comment line is the record every backend reads
	 * (DESIGN.md "customer reply"). */
	if (tracker->backend->comment == NULL)
		return unsupported(tracker, "record a customer reply");
	cl__buf_printf(&text, "Customer-Reply: %s", link);
	if (text.failed)
		return CL_ENOMEM;
	error = tracker->backend->comment(tracker->backend, tracker->http, ref,
		text.ptr, 0, deadline_ms);
	cl__buf_free(&text);
	return error;
}

int cl_tracker_whoami(cl_tracker *tracker, char **login, int64_t deadline_ms)
{
	if (login != NULL)
		*login = NULL;
	if (tracker == NULL || login == NULL)
		return cl__error(CL_EINVALID, "no tracker or no place for the login");
	if (tracker->backend->whoami == NULL)
		return unsupported(tracker, "tell whose the token is");
	return tracker->backend->whoami(tracker->backend, tracker->http, login,
		deadline_ms);
}

/* The receiver and sync */

int cl_tracker_reopen(cl_tracker *tracker, const cl_ref *ref,
	int64_t deadline_ms)
{
	if (tracker == NULL || ref == NULL)
		return cl__error(CL_EINVALID, "no tracker or ticket");
	if (tracker->backend->reopen == NULL)
		return unsupported(tracker, "reopen");
	return tracker->backend->reopen(tracker->backend, tracker->http, ref,
		deadline_ms);
}

int cl_tracker_webhook_verify(cl_tracker *tracker, const cl_webhook *hook)
{
	if (tracker == NULL || hook == NULL)
		return cl__error(CL_EINVALID, "no tracker or request");
	if (tracker->backend->webhook_verify == NULL)
		return cl__error(CL_EINVALID,
			"tracker %s (%s) does not send webhooks", tracker->name,
			tracker->backend->type);
	if (tracker->secret == NULL)
		return cl__error(CL_EAUTH,
			"tracker %s has no webhookSecretFile: its webhooks cannot be verified",
			tracker->name);
	return tracker->backend->webhook_verify(tracker->backend, hook,
		tracker->secret, strlen(tracker->secret));
}

int cl_tracker_webhook_id(cl_tracker *tracker, const cl_webhook *hook,
	char *buf, size_t len)
{
	unsigned char digest[32];
	int error;

	if (tracker == NULL || hook == NULL || buf == NULL ||
	    len < CL_DELIVERY_ID_MAX)
		return cl__error(CL_EINVALID, "no tracker, request or buffer");
	if (tracker->backend->webhook_id != NULL) {
		error = tracker->backend->webhook_id(tracker->backend, hook, buf,
			len);
		if (error != CL_ENOTFOUND)
			return error;
	}
	/* no stable id from the sender: the body is the identity */
	if ((error = cl__sha256(digest, hook->body, hook->body_len)) < 0)
		return error;
	memcpy(buf, "sha256:", 7);
	cl__hex(buf + 7, digest, sizeof(digest));
	return 0;
}

int cl_tracker_webhook_parse(cl_tracker *tracker, const cl_webhook *hook,
	cl_tevent *ev)
{
	if (tracker == NULL || hook == NULL || ev == NULL)
		return cl__error(CL_EINVALID, "no tracker, request or event");
	if (tracker->backend->webhook_parse == NULL)
		return cl__error(CL_EINVALID,
			"tracker %s (%s) does not send webhooks", tracker->name,
			tracker->backend->type);
	return tracker->backend->webhook_parse(tracker->backend, hook, ev);
}

int cl_tracker_changes(cl_tracker *tracker, int64_t since, cl_ticket_cb cb,
	void *payload, int64_t *newest, int64_t deadline_ms)
{
	if (tracker == NULL || cb == NULL || newest == NULL)
		return cl__error(CL_EINVALID, "no tracker or callback");
	if (tracker->backend->changes == NULL)
		return unsupported(tracker, "sync");
	return tracker->backend->changes(tracker->backend, tracker->http, since,
		cb, payload, newest, deadline_ms);
}

int cl_tracker_ticket_id(char *buf, size_t len, const cl_tracker *tracker,
	const cl_ref *ref)
{
	int n;

	if (buf == NULL || len == 0 || tracker == NULL || ref == NULL)
		return cl__error(CL_EINVALID, "no buffer, tracker or ticket");
	if (ref->project == NULL)
		n = snprintf(buf, len, "%s:%" PRIu64, tracker->name, ref->number);
	else if (tracker->backend->caps & CL_TRACKER_CAP_JIRA_KEYS)
		n = snprintf(buf, len, "%s:%s-%" PRIu64, tracker->name,
			ref->project, ref->number);
	else
		n = snprintf(buf, len, "%s:%s#%" PRIu64, tracker->name,
			ref->project, ref->number);
	if (n < 0 || (size_t)n >= len)
		return cl__error(CL_EINVALID, "ticket id longer than %zu bytes",
			len - 1);
	return 0;
}

/* The HTTP client goes first: it drops requests whose callbacks point
 * into the backend, which then frees what they were waiting for. */
void cl_tracker_free(cl_tracker *tracker)
{
	if (tracker == NULL)
		return;
	cl_http_free(tracker->http);
	if (tracker->backend)
		tracker->backend->free(tracker->backend);
	cl_secret_free(tracker->secret);
	free(tracker->name);
	free(tracker);
}
