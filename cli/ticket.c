/*
 * ticket.c: tickets as users type them on the command line: "support:42",
 * "#42", "42", "gh:acme/web#7", "jira:PROJ-12". The prefix is a tracker
 * section name, or a tracker type when one tracker has that type.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *tracker_for_prefix(const cl_config *cfg, const char *prefix)
{
	size_t i, n = cl_config_tracker_count(cfg);
	const char *found = NULL;
	char key[300];

	for (i = 0; i < n; i++)
		if (strcmp(cl_config_tracker_name(cfg, i), prefix) == 0)
			return cl_config_tracker_name(cfg, i);
	for (i = 0; i < n; i++) {
		const char *name = cl_config_tracker_name(cfg, i), *type = NULL;

		snprintf(key, sizeof(key), "tracker.%s.type", name);
		if (cl_config_get_string(&type, cfg, key) == 0 &&
		    strcmp(type, prefix) == 0) {
			if (found)
				return NULL; /* ambiguous */
			found = name;
		}
	}
	return found;
}

static int parse_number(uint64_t *out, const char *s)
{
	uint64_t v = 0;

	if (*s == '\0' || *s == '0')
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

int cli_parse_ticket(cli_ticket *out, const cl_config *cfg, const char *text)
{
	const char *colon = strchr(text, ':'), *rest = text, *hash, *dash;

	memset(out, 0, sizeof(*out));
	if (strlen(text) >= sizeof(out->project))
		return -1;
	if (colon) {
		char prefix[256];

		snprintf(prefix, sizeof(prefix), "%.*s", (int)(colon - text), text);
		if ((out->tracker = tracker_for_prefix(cfg, prefix)) == NULL)
			return -2;
		rest = colon + 1;
	}
	if ((hash = strrchr(rest, '#')) != NULL) {
		if (hash != rest) {
			snprintf(out->project, sizeof(out->project), "%.*s",
				(int)(hash - rest), rest);
			out->ref.project = out->project;
		}
		return parse_number(&out->ref.number, hash + 1);
	}
	if (!isdigit((unsigned char)*rest) && (dash = strrchr(rest, '-')) != NULL) {
		snprintf(out->project, sizeof(out->project), "%.*s",
			(int)(dash - rest), rest);
		out->ref.project = out->project;
		return parse_number(&out->ref.number, dash + 1);
	}
	return parse_number(&out->ref.number, rest);
}

int cli_open_ticket_tracker(cl_tracker **tracker, cli_ticket *t,
	const cl_config *cfg, const char *text)
{
	int r = cli_parse_ticket(t, cfg, text);

	if (r == -2)
		return cli_fail(CL_EXIT_USAGE,
			"'%s': no tracker named by its prefix (see closeloop doctor)",
			text);
	if (r < 0)
		return cli_fail(CL_EXIT_USAGE,
			"'%s' is not a ticket: use TRACKER:42, #42, owner/repo#7 or PROJ-12",
			text);
	if (cl_tracker_open(tracker, cfg, t->tracker) < 0)
		return cli_fail_lib(CL_ECONFIG, "tracker");
	return 0;
}
