/*
 * gitea.c: the Gitea (and Forgejo) tracker backend.
 *
 * The REST engine is shared with GitHub (forge.c); what is Gitea's own:
 *   - the API lives under the server's url at /api/v1, with
 *     "Authorization: token T";
 *   - reopens and comments are both read from the timeline
 *     (types "reopen" and "comment"), 50 to a page (the server's default
 *     MAX_RESPONSE_ITEMS);
 *   - the sync lists with type=issues, so no pull request comes back;
 *   - webhooks, whose traps are many (notes/trackers.md):
 *       * X-Gitea-Signature (Forgejo: also X-Forgejo-Signature) is the
 *         bare hex HMAC, and is sent empty when the hook has no secret:
 *         empty counts as missing;
 *       * a form-encoded hook sends payload=<urlencoded JSON> and signs
 *         the JSON, not the body received;
 *       * X-Gitea-Event folds issue_assign, issue_label and
 *         issue_milestone into "issues", and pull request comments into
 *         "issue_comment": the exact kind is in X-Gitea-Event-Type;
 *       * label changes are label_updated / label_cleared with no label
 *         named, and "assigned" has no top-level assignee: the issue's
 *         labels and assignees after the change are what counts;
 *       * every issue carries "pull_request": null;
 *       * a manual redelivery gets a new X-Gitea-Delivery, so the only
 *         key stable across redeliveries is the body's hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "forge_int.h"

/* The first of the headers that is set and not empty. */
static const char *header_of(const cl_webhook *hook,
	const char *const *names)
{
	const char *v;

	for (; *names; names++)
		if ((v = cl_webhook_header(hook, *names)) != NULL && *v != '\0')
			return v;
	return NULL;
}

static const char *const signature_headers[] = {
	"X-Gitea-Signature", "X-Forgejo-Signature", NULL
};
static const char *const event_headers[] = {
	"X-Gitea-Event", "X-Forgejo-Event", "X-Gogs-Event", NULL
};
static const char *const type_headers[] = {
	"X-Gitea-Event-Type", "X-Forgejo-Event-Type", NULL
};

static int gitea__webhook_verify(cl_tracker_backend *backend,
	const cl_webhook *hook, const char *secret, size_t secret_len)
{
	const char *sig = header_of(hook, signature_headers);
	char *decoded = NULL, why[256];
	size_t len;
	int error;

	(void)backend;
	if (sig == NULL)
		return cl__error(CL_EAUTH, "missing X-Gitea-Signature header "
			"(has the webhook a secret?)");
	if ((error = cl__forge_hook_json(&decoded, &len, hook)) < 0) {
		if (error == CL_ENOMEM)
			return error;
		/* the message lives in the buffer cl__error writes */
		snprintf(why, sizeof(why), "%s", cl_error_last()->message);
		return cl__error(CL_EAUTH, "%s", why);
	}
	if (decoded)
		error = cl__forge_check_mac("X-Gitea-Signature", sig, secret,
			secret_len, decoded, len);
	else
		error = cl__forge_check_mac("X-Gitea-Signature", sig, secret,
			secret_len, hook->body, hook->body_len);
	free(decoded);
	return error;
}

static int gitea__webhook_id(cl_tracker_backend *backend,
	const cl_webhook *hook, char *buf, size_t len)
{
	(void)backend;
	(void)hook;
	(void)buf;
	(void)len;
	return cl__error(CL_ENOTFOUND,
		"gitea's delivery id changes on redelivery: the body is the key");
}

static int gitea__webhook_parse(cl_tracker_backend *backend,
	const cl_webhook *hook, cl_tevent *ev)
{
	const char *event = header_of(hook, event_headers);
	const char *type = header_of(hook, type_headers);
	cl__forge_hook_ctx ctx;
	char *decoded = NULL;
	size_t len;
	int error;

	cl_tevent_init(ev);
	if (event == NULL)
		return cl__error(CL_EINVALID, "missing X-Gitea-Event header");
	/* pull_request_comment arrives as "issue_comment" */
	if (type != NULL && strncmp(type, "pull_request", 12) == 0) {
		ev->kind = CL_TEVENT_IGNORED;
		ev->reason = "a pull request";
		return 0;
	}
	cl__forge_hook_ctx_init(&ctx, backend, event);
	if (strcmp(event, "issues") != 0 && strcmp(event, "issue_comment") != 0)
		return cl__forge_parse_event(ev, NULL, 0, &ctx);
	if ((error = cl__forge_hook_json(&decoded, &len, hook)) < 0)
		return error;
	if (decoded)
		error = cl__forge_parse_event(ev, decoded, len, &ctx);
	else
		error = cl__forge_parse_event(ev, hook->body, hook->body_len, &ctx);
	free(decoded);
	return error;
}

static const char *const gitea_headers[] = {
	"Accept: application/json",
	NULL
};

static const cl__forge_source gitea_sources[] = {
	CL__FORGE_TIMELINE
};

static const cl__forge_dialect gitea_dialect = {
	"gitea",
	"Gitea",
	"/api/v1",
	"Authorization: token ",
	gitea_headers,
	50,
	"limit",
	"state=all&type=issues",
	gitea_sources,
	sizeof(gitea_sources) / sizeof(gitea_sources[0]),
	/* issue indexes are int64 in Gitea's schema */
	(uint64_t)INT64_MAX,
	gitea__webhook_verify,
	gitea__webhook_id,
	gitea__webhook_parse
};

int cl_tracker_backend_gitea(cl_tracker_backend **out,
	const cl_tracker_settings *settings)
{
	return cl__forge_backend_new(out, settings, &gitea_dialect);
}
