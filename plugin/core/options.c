/*
 * options.c: the table of configuration keys and the parsers for their
 * value types. Keep the table, README.md and doc/closeloop.conf.5 in step;
 * tests/unit/test_config.c checks the man page names every row.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "options.h"

#ifndef CL_LOCALSTATEDIR
#define CL_LOCALSTATEDIR "/var"
#endif

const cl_option cl__options[] = {
	{ CL_SECTION_CLOSELOOP, "store", CL_OPT_STRING,
	  CL_LOCALSTATEDIR "/lib/closeloop/ledger.db", 0, NULL,
	  "the ledger: an SQLite path, or a postgresql:// URI" },
	{ CL_SECTION_CLOSELOOP, "tracker", CL_OPT_STRING, NULL, 0, NULL,
	  "the [tracker \"NAME\"] this repository uses" },
	{ CL_SECTION_CLOSELOOP, "mode", CL_OPT_ENUM, "enforce", 0,
	  "enforce|warn|off", "caps every rule's mode" },
	{ CL_SECTION_CLOSELOOP, "protectedBranches", CL_OPT_WORDS,
	  "refs/heads/*", 0, NULL, "refs the hooks check (glob patterns)" },
	{ CL_SECTION_CLOSELOOP, "onTrackerError", CL_OPT_ENUM, "allow", 0,
	  "allow|reject", "what a push gets when the tracker cannot answer" },
	{ CL_SECTION_CLOSELOOP, "hookTimeout", CL_OPT_DURATION, "5s", 0, NULL,
	  "the pre-receive hook's whole budget" },
	{ CL_SECTION_CLOSELOOP, "overrideUsers", CL_OPT_WORDS, "", 0, NULL,
	  "pushers allowed to use -o closeloop.override=REASON" },

	{ CL_SECTION_TRACKER, "type", CL_OPT_ENUM, NULL, CL_OPT_REQUIRED,
	  "redmine|gitea|github|gitlab|jira", "the tracker's kind" },
	{ CL_SECTION_TRACKER, "url", CL_OPT_URL, NULL, CL_OPT_REQUIRED, NULL,
	  "the tracker's base URL" },
	{ CL_SECTION_TRACKER, "tokenFile", CL_OPT_SECRET, NULL, 0, NULL,
	  "file holding the API token" },
	{ CL_SECTION_TRACKER, "project", CL_OPT_STRING, NULL, CL_OPT_REQUIRED,
	  NULL, "Redmine project, owner/repo, GitLab path or Jira key" },
	{ CL_SECTION_TRACKER, "replyField", CL_OPT_STRING, "Customer reply", 0,
	  NULL, "the custom field holding the customer reply link" },
	{ CL_SECTION_TRACKER, "ownerField", CL_OPT_STRING, NULL, 0, NULL,
	  "a field naming the owner instead of the assignee" },
	{ CL_SECTION_TRACKER, "reopenStatus", CL_OPT_STRING, "In Progress", 0,
	  NULL, "the status a ticket closed without a reply goes back to" },
	{ CL_SECTION_TRACKER, "resolvedStatuses", CL_OPT_NAMES, "Resolved", 0,
	  NULL, "statuses that mean the work is done" },
	{ CL_SECTION_TRACKER, "resolvedLabels", CL_OPT_NAMES, "", 0, NULL,
	  "labels that mean the work is done" },
	{ CL_SECTION_TRACKER, "webhookSecretFile", CL_OPT_SECRET, NULL, 0, NULL,
	  "file holding the webhook secret" },

	{ CL_SECTION_RULE, "enabled", CL_OPT_BOOL, "true", 0, NULL,
	  "whether the rule runs (association: false by default)" },
	{ CL_SECTION_RULE, "mode", CL_OPT_ENUM, "enforce", 0, "enforce|warn|off",
	  "enforce, or only report" },

	{ CL_SECTION_REMIND, "replyAfter", CL_OPT_DURATION, "4h", 0, NULL,
	  "work done but undelivered for this long: remind the owner" },
	{ CL_SECTION_REMIND, "unownedAfter", CL_OPT_DURATION, "1h", 0, NULL,
	  "open and unowned for this long: remind" },
	{ CL_SECTION_REMIND, "handoffAfter", CL_OPT_DURATION, "2h", 0, NULL,
	  "handoff not acknowledged for this long: remind both owners" },
	{ CL_SECTION_REMIND, "repeat", CL_OPT_DURATION, "24h", 0, NULL,
	  "at most one reminder per ticket and rule this often" },
	{ CL_SECTION_REMIND, "escalateAfter", CL_OPT_INT, "2", 0, NULL,
	  "after this many reminders also name escalateTo (0: never)" },
	{ CL_SECTION_REMIND, "escalateTo", CL_OPT_STRING, NULL, 0, NULL,
	  "who escalated reminders name" },
	{ CL_SECTION_REMIND, "quietHours", CL_OPT_TIMERANGE, NULL, 0, NULL,
	  "local hours when reminders wait, as 18:00-08:00" },

	{ CL_SECTION_RECEIVER, "listen", CL_OPT_LISTEN, "127.0.0.1:8088", 0,
	  NULL, "address and port of closeloopd" },
	{ CL_SECTION_RECEIVER, "syncInterval", CL_OPT_DURATION, "60s", 0, NULL,
	  "how often to poll trackers" },
	{ CL_SECTION_RECEIVER, "apiTokenFile", CL_OPT_SECRET, NULL, 0, NULL,
	  "file holding the bearer token of the /v1 API" },
	{ CL_SECTION_RECEIVER, "maxBodySize", CL_OPT_SIZE, "25M", 0, NULL,
	  "largest webhook body accepted" },
};

const size_t cl__options_count = sizeof(cl__options) / sizeof(cl__options[0]);

static const char *const section_names[] = {
	"closeloop", "tracker", "rule", "remind", "receiver"
};

const char *cl__section_name(cl_section section)
{
	return section_names[section];
}

int cl__section_from_name(cl_section *out, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(section_names) / sizeof(section_names[0]); i++) {
		if (cl__strcasecmp(section_names[i], name) == 0) {
			*out = (cl_section)i;
			return 0;
		}
	}
	return CL_ENOTFOUND;
}

int cl__section_has_sub(cl_section section)
{
	return section == CL_SECTION_TRACKER || section == CL_SECTION_RULE;
}

const cl_option *cl__option_find(cl_section section, const char *name)
{
	size_t i;

	for (i = 0; i < cl__options_count; i++) {
		if (cl__options[i].section == section &&
		    cl__strcasecmp(cl__options[i].name, name) == 0)
			return &cl__options[i];
	}
	return NULL;
}

/* Parsers for the value types */

int cl_parse_bool(int *out, const char *text)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0", "" };
	size_t i;

	if (text == NULL) { /* a bare key: git reads it as true */
		*out = 1;
		return 0;
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (cl__strcasecmp(text, yes[i]) == 0)
			return (*out = 1, 0);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (cl__strcasecmp(text, no[i]) == 0)
			return (*out = 0, 0);
	return cl__error(CL_EINVALID,
		"bad boolean '%s': use true or false", text);
}

/* An unsigned decimal number at *p; advances p. */
static int read_number(int64_t *out, const char **p)
{
	int64_t v = 0;

	if (!isdigit((unsigned char)**p))
		return -1;
	while (isdigit((unsigned char)**p)) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

int cl_parse_duration(int64_t *out, const char *text)
{
	const char *p = text;
	int64_t total = 0;

	if (text == NULL || *text == '\0')
		return cl__error(CL_EINVALID, "empty duration");
	if (strcmp(text, "0") == 0)
		return (*out = 0, 0);
	while (*p) {
		int64_t n, unit;

		if (read_number(&n, &p) < 0)
			goto bad;
		switch (*p) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: goto bad;
		}
		p++;
		if (n > (INT64_MAX - total) / unit)
			goto bad;
		total += n * unit;
	}
	*out = total;
	return 0;
bad:
	return cl__error(CL_EINVALID,
		"bad duration '%s': use a number and a unit s, m, h or d (30s, 5m, 4h, 2d)",
		text);
}

int cl__parse_size(int64_t *out, const char *text)
{
	const char *p = text;
	int64_t n, mult = 1;

	if (text == NULL || read_number(&n, &p) < 0)
		goto bad;
	switch (*p) {
	case '\0': break;
	case 'k': case 'K': mult = 1024; p++; break;
	case 'm': case 'M': mult = 1024 * 1024; p++; break;
	case 'g': case 'G': mult = 1024 * 1024 * 1024; p++; break;
	default: goto bad;
	}
	if (*p != '\0' || n > INT64_MAX / mult)
		goto bad;
	*out = n * mult;
	return 0;
bad:
	return cl__error(CL_EINVALID,
		"bad size '%s': use a number with an optional k, M or G",
		text ? text : "");
}

static int parse_clock(int *out, const char *s, size_t len)
{
	int h, m;

	if (len != 5 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	*out = (h * 60 + m) % 1440;
	return 0;
}

int cl_parse_time_range(int *start, int *end, const char *text)
{
	const char *dash = text ? strchr(text, '-') : NULL;

	if (dash == NULL ||
	    parse_clock(start, text, (size_t)(dash - text)) < 0 ||
	    parse_clock(end, dash + 1, strlen(dash + 1)) < 0)
		return cl__error(CL_EINVALID,
			"bad time range '%s': use HH:MM-HH:MM, as 18:00-08:00",
			text ? text : "");
	return 0;
}

static int parse_enum(cl_value *value, const cl_option *opt, const char *text)
{
	const char *c = opt->choices;

	while (c && *c) {
		const char *bar = strchr(c, '|');
		size_t n = bar ? (size_t)(bar - c) : strlen(c);

		if (strlen(text) == n && cl__strncasecmp(c, text, n) == 0) {
			value->text = cl__strndup(c, n);
			return value->text ? 0 : CL_ENOMEM;
		}
		c = bar ? bar + 1 : NULL;
	}
	return cl__error(CL_EINVALID, "bad value '%s': use one of %s",
		text, opt->choices);
}

static int list_push(cl_value *value, const char *s, size_t n)
{
	char **list;

	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return 0;
	list = cl__realloc(value->list, (value->count + 2) * sizeof(char *));
	if (list == NULL)
		return CL_ENOMEM;
	value->list = list;
	list[value->count] = cl__strndup(s, n);
	if (list[value->count] == NULL)
		return CL_ENOMEM;
	list[++value->count] = NULL;
	return 0;
}

static int parse_list(cl_value *value, const char *text, int words)
{
	const char *p = text;

	/* An empty list still has its terminator, so getters never see NULL. */
	if (value->list == NULL) {
		value->list = cl__calloc(1, sizeof(char *));
		if (value->list == NULL)
			return CL_ENOMEM;
	}
	while (*p) {
		size_t n = words ? strcspn(p, ", \t") : strcspn(p, ",");

		if (list_push(value, p, n) < 0)
			return CL_ENOMEM;
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

static int parse_listen(const char *text)
{
	const char *colon = strrchr(text, ':');
	const char *p;
	int64_t port;

	if (colon == NULL || colon == text)
		goto bad;
	p = colon + 1;
	if (read_number(&port, &p) < 0 || *p != '\0' || port < 1 || port > 65535)
		goto bad;
	return 0;
bad:
	return cl__error(CL_EINVALID,
		"bad address '%s': use HOST:PORT, as 127.0.0.1:8088", text);
}

int cl__option_parse(cl_value *value, const cl_option *opt, const char *text)
{
	const char *p = text;
	int error = 0;

	if (text == NULL && opt->type != CL_OPT_BOOL)
		return cl__error(CL_EINVALID, "missing value");
	switch (opt->type) {
	case CL_OPT_BOOL:
		{
			int b;

			error = cl_parse_bool(&b, text);
			value->num = b;
		}
		break;
	case CL_OPT_INT:
		if (read_number(&value->num, &p) < 0 || *p != '\0')
			error = cl__error(CL_EINVALID,
				"bad number '%s': use a whole number, 0 or more",
				text);
		break;
	case CL_OPT_DURATION:
		error = cl_parse_duration(&value->num, text);
		break;
	case CL_OPT_SIZE:
		error = cl__parse_size(&value->num, text);
		break;
	case CL_OPT_TIMERANGE:
		error = cl_parse_time_range(&value->range[0], &value->range[1],
			text);
		break;
	case CL_OPT_ENUM:
		return parse_enum(value, opt, text);
	case CL_OPT_WORDS:
	case CL_OPT_NAMES:
		error = parse_list(value, text, opt->type == CL_OPT_WORDS);
		break;
	case CL_OPT_URL:
		if (strncmp(text, "http://", 7) != 0 &&
		    strncmp(text, "https://", 8) != 0)
			error = cl__error(CL_EINVALID,
				"bad URL '%s': use http:// or https://", text);
		break;
	case CL_OPT_LISTEN:
		error = parse_listen(text);
		break;
	case CL_OPT_STRING:
	case CL_OPT_PATH:
	case CL_OPT_SECRET:
		if (*text == '\0')
			error = cl__error(CL_EINVALID, "empty value");
		break;
	}
	if (error < 0)
		return error;
	if (value->text == NULL) {
		value->text = cl__strdup(text ? text : "true");
		if (value->text == NULL)
			return CL_ENOMEM;
	}
	return 0;
}

void cl__value_clear(cl_value *value)
{
	size_t i;

	free((char *)value->text);
	for (i = 0; i < value->count; i++)
		free(value->list[i]);
	free(value->list);
	memset(value, 0, sizeof(*value));
}
