/*
 * github.c: the GitHub (and GitHub Enterprise Server) tracker backend.
 *
 * The REST engine is shared with Gitea (forge.c); what is GitHub's own:
 *   - the API base is the url as configured: https://api.github.com, or
 *     https://HOST/api/v3 for GHES;
 *   - "Authorization: Bearer T", the media type and the pinned API
 *     version GitHub asks clients to send (a User-Agent, which GitHub
 *     refuses requests without, is set by the HTTP layer);
 *   - reopens are read from the issue events ("reopened"), comments from
 *     /comments, both at once, 100 to a page;
 *   - the sync lists issues by update time, oldest first, and skips the
 *     pull requests GitHub lists among them;
 *   - webhooks are signed in X-Hub-Signature-256 ("sha256=" and the hex
 *     HMAC of the raw body, whatever the content type) and carry a
 *     delivery GUID in X-GitHub-Delivery that redeliveries keep.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "forge_int.h"

#define SIGNATURE "X-Hub-Signature-256"

static int github__webhook_verify(cl_tracker_backend *backend,
	const cl_webhook *hook, const char *secret, size_t secret_len)
{
	static const char prefix[] = "sha256=";
	const char *sig = cl_webhook_header(hook, SIGNATURE);

	(void)backend;
	if (sig == NULL || *sig == '\0')
		return cl__error(CL_EAUTH, "missing " SIGNATURE " header");
	if (strncmp(sig, prefix, sizeof(prefix) - 1) != 0)
		return cl__error(CL_EAUTH, SIGNATURE " does not start with sha256=");
	return cl__forge_check_mac(SIGNATURE, sig + sizeof(prefix) - 1, secret,
		secret_len, hook->body, hook->body_len);
}

/* A GUID; anything else is no id of GitHub's. */
static int is_delivery_id(const char *id, size_t len)
{
	size_t i, n = strlen(id);

	if (n == 0 || n >= len || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F') || c == '-'))
			return 0;
	}
	return 1;
}

static int github__webhook_id(cl_tracker_backend *backend,
	const cl_webhook *hook, char *buf, size_t len)
{
	const char *id = cl_webhook_header(hook, "X-GitHub-Delivery");

	(void)backend;
	if (id == NULL || *id == '\0')
		return cl__error(CL_ENOTFOUND, "no X-GitHub-Delivery header");
	if (buf == NULL || !is_delivery_id(id, len))
		return cl__error(CL_EINVALID,
			"X-GitHub-Delivery is not a delivery id");
	memcpy(buf, id, strlen(id) + 1);
	return 0;
}

static int github__webhook_parse(cl_tracker_backend *backend,
	const cl_webhook *hook, cl_tevent *ev)
{
	const char *event = cl_webhook_header(hook, "X-GitHub-Event");
	cl__forge_hook_ctx ctx;
	char *decoded = NULL;
	size_t len;
	int error;

	cl_tevent_init(ev);
	if (event == NULL || *event == '\0')
		return cl__error(CL_EINVALID, "missing X-GitHub-Event header");
	cl__forge_hook_ctx_init(&ctx, backend, event);
	if (strcmp(event, "issues") != 0 && strcmp(event, "issue_comment") != 0)
		return cl__forge_parse_event(ev, NULL, 0, &ctx);
	/* a form-encoded delivery: payload=<JSON> */
	if ((error = cl__forge_hook_json(&decoded, &len, hook)) < 0)
		return error;
	if (decoded)
		error = cl__forge_parse_event(ev, decoded, len, &ctx);
	else
		error = cl__forge_parse_event(ev, hook->body, hook->body_len, &ctx);
	free(decoded);
	return error;
}

static const char *const github_headers[] = {
	"Accept: application/vnd.github+json",
	"X-GitHub-Api-Version: 2022-11-28",
	NULL
};

static const cl__forge_source github_sources[] = {
	CL__FORGE_EVENTS, CL__FORGE_COMMENTS
};

static const cl__forge_dialect github_dialect = {
	"github",
	"GitHub",
	"",
	"Authorization: Bearer ",
	github_headers,
	100,
	"per_page",
	"state=all&sort=updated&direction=asc",
	github_sources,
	sizeof(github_sources) / sizeof(github_sources[0]),
	/* issue numbers are 32-bit on GitHub */
	2147483647u,
	github__webhook_verify,
	github__webhook_id,
	github__webhook_parse
};

int cl_tracker_backend_github(cl_tracker_backend **out,
	const cl_tracker_settings *settings)
{
	return cl__forge_backend_new(out, settings, &github_dialect);
}
