/*
 * cmd_status.c: `closeloop status TICKET`: what the tracker and the ledger
 * know about one ticket: owner, state, replies, work done, open problems.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"

#define STATUS_TIMEOUT_MS 10000

const cli_command cli_status = {
	"status", "show what closeloop knows about a ticket",
	"closeloop status TICKET [--json]",
	"Asks the tracker for the ticket (owner, status, reply) and reads the\n"
	"ledger for it (replies linked, work done, pushes, overrides, reopens,\n"
	"reminders), counts the reminders sent, says whether the ticket is\n"
	"snoozed, then names the open problems: no owner, work done but no\n"
	"customer reply.\n\n"
	"  TICKET   support:42, #42 (the default tracker), owner/repo#7, PROJ-12\n"
	"  --json   print one JSON object\n\n"
	"Exit 3 when the tracker cannot be reached (the ledger part is still\n"
	"printed).\n",
	cmd_status
};

typedef struct {
	int answered, error;
	char message[512];
	cl_ticket t;
	char status[256], subject[512], owner[256], reply[2048];
} lookup;

static void copy(char *dst, size_t len, const char *src, const char **out)
{
	if (src == NULL) {
		*out = NULL;
		return;
	}
	snprintf(dst, len, "%s", src);
	*out = dst;
}

static void on_ticket(const cl_ticket *t, int error, const char *message,
	void *payload)
{
	lookup *l = payload;

	l->answered = 1;
	l->error = error;
	if (error) {
		snprintf(l->message, sizeof(l->message), "%s",
			message ? message : "tracker error");
		return;
	}
	l->t = *t;
	copy(l->status, sizeof(l->status), t->status, &l->t.status);
	copy(l->subject, sizeof(l->subject), t->subject, &l->t.subject);
	copy(l->owner, sizeof(l->owner), t->owner, &l->t.owner);
	copy(l->reply, sizeof(l->reply), t->reply, &l->t.reply);
}

static int collect(const cl_event *ev, void *payload)
{
	json_object *arr = payload, *o = json_object_new_object();
	char tb[32];

	cl_time_format(tb, sizeof(tb), ev->time);
	json_object_object_add(o, "time", json_object_new_string(tb));
	json_object_object_add(o, "type", json_object_new_string(ev->type));
	if (ev->actor)
		json_object_object_add(o, "actor", json_object_new_string(ev->actor));
	if (ev->commit)
		json_object_object_add(o, "commit", json_object_new_string(ev->commit));
	if (ev->detail) {
		json_object *d = json_tokener_parse(ev->detail);

		json_object_object_add(o, "detail",
			d ? d : json_object_new_string(ev->detail));
	}
	json_object_array_add(arr, o);
	return 0;
}

static size_t count_type(json_object *events, const char *type)
{
	size_t i, n = 0;

	for (i = 0; i < json_object_array_length(events); i++) {
		json_object *t = NULL;

		json_object_object_get_ex(json_object_array_get_idx(events, i),
			"type", &t);
		n += t && strcmp(json_object_get_string(t), type) == 0;
	}
	return n;
}

static json_object *problems(const lookup *l, json_object *events)
{
	json_object *p = json_object_new_array();
	int work = count_type(events, CL_EVENT_WORK_DONE) > 0;
	int replied = count_type(events, CL_EVENT_REPLY) > 0;

	if (!l->answered || l->error)
		return p;
	if (!l->t.exists) {
		json_object_array_add(p, json_object_new_string("the ticket does not exist"));
		return p;
	}
	if (!l->t.closed && l->t.owner == NULL)
		json_object_array_add(p, json_object_new_string("open and unowned"));
	if (work && l->t.delivered <= 0 && !replied)
		json_object_array_add(p, json_object_new_string(
			"work done, no customer reply linked"));
	if (l->t.closed && l->t.delivered == 0 && !replied)
		json_object_array_add(p, json_object_new_string(
			"closed without a customer reply"));
	return p;
}

static void print_text(const char *id, const lookup *l, json_object *events,
	json_object *probs)
{
	size_t i;

	printf("%s", id);
	if (l->answered && !l->error && l->t.exists)
		printf(": %s\n  status: %s\n  owner: %s\n  customer reply: %s\n",
			l->t.subject ? l->t.subject : "",
			l->t.status ? l->t.status : "?",
			l->t.owner ? l->t.owner : "(none)",
			l->t.reply ? l->t.reply :
			(l->t.delivered > 0 ? "linked" : "none"));
	else if (l->answered && !l->error)
		printf(": does not exist in the tracker\n");
	else
		printf(": tracker not reachable: %s\n", l->message);
	if (l->answered && !l->error && l->t.exists && l->t.snoozed)
		printf("  snoozed: labelled %s, no reminders\n", CL_SNOOZE_LABEL);
	printf("  reminders sent: %zu\n", count_type(events, CL_EVENT_REMINDER));
	printf("  ledger: %zu event%s\n", json_object_array_length(events),
		json_object_array_length(events) == 1 ? "" : "s");
	for (i = 0; i < json_object_array_length(events); i++) {
		json_object *e = json_object_array_get_idx(events, i), *v;

		json_object_object_get_ex(e, "time", &v);
		printf("    %s", json_object_get_string(v));
		json_object_object_get_ex(e, "type", &v);
		printf("  %s", json_object_get_string(v));
		if (json_object_object_get_ex(e, "actor", &v))
			printf("  by %s", json_object_get_string(v));
		if (json_object_object_get_ex(e, "commit", &v))
			printf("  commit %.10s", json_object_get_string(v));
		printf("\n");
	}
	for (i = 0; i < json_object_array_length(probs); i++)
		printf("  problem: %s\n",
			json_object_get_string(json_object_array_get_idx(probs, i)));
}

static json_object *as_json(const char *id, const lookup *l,
	json_object *events, json_object *probs)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ticket", json_object_new_string(id));
	if (l->answered && !l->error) {
		json_object_object_add(o, "exists", json_object_new_boolean(l->t.exists));
		if (l->t.exists) {
			json_object_object_add(o, "subject", l->t.subject ?
				json_object_new_string(l->t.subject) : NULL);
			json_object_object_add(o, "status", l->t.status ?
				json_object_new_string(l->t.status) : NULL);
			json_object_object_add(o, "closed", json_object_new_boolean(l->t.closed));
			json_object_object_add(o, "owner", l->t.owner ?
				json_object_new_string(l->t.owner) : NULL);
			json_object_object_add(o, "reply", l->t.reply ?
				json_object_new_string(l->t.reply) : NULL);
			json_object_object_add(o, "delivered", l->t.delivered < 0 ? NULL :
				json_object_new_boolean(l->t.delivered));
			json_object_object_add(o, "snoozed",
				json_object_new_boolean(l->t.snoozed));
		}
	} else {
		json_object_object_add(o, "tracker_error",
			json_object_new_string(l->message));
	}
	json_object_object_add(o, "reminders_sent", json_object_new_int64(
		(int64_t)count_type(events, CL_EVENT_REMINDER)));
	json_object_object_add(o, "events", json_object_get(events));
	json_object_object_add(o, "problems", json_object_get(probs));
	return o;
}

int cmd_status(int argc, char **argv, const cli_globals *g)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	cl_event_filter filter = CL_EVENT_FILTER_INIT;
	json_object *events = NULL, *probs = NULL;
	cl_config *cfg = NULL;
	cl_tracker *tracker = NULL;
	cl_store *store = NULL;
	unsigned int flags = CL_FETCH_DELIVERY;
	lookup l;
	cli_ticket t;
	char id[600];
	int c, json = 0, error;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else
			return cli_usage(&cli_status, "unknown option '%s'", argv[optind - 1]);
	}
	if (argc - optind != 1)
		return cli_usage(&cli_status, "give one TICKET");
	if ((error = cli_load_config(&cfg, g, 0)) != 0)
		return error;
	if ((error = cli_open_ticket_tracker(&tracker, &t, cfg, argv[optind])) != 0 ||
	    (error = cli_open_store(&store, cfg)) != 0)
		goto out;
	cl_tracker_ticket_id(id, sizeof(id), tracker, &t.ref);
	memset(&l, 0, sizeof(l));
	if (cl_tracker_fetch(tracker, &t.ref, &flags, 1, on_ticket, &l) == 0)
		cl_tracker_run(tracker, cl_http_now_ms() + STATUS_TIMEOUT_MS);
	if (!l.answered) {
		l.error = CL_ETRACKER;
		snprintf(l.message, sizeof(l.message), "%s", cl_error_last()->message);
	}
	events = json_object_new_array();
	filter.ticket = id;
	if ((error = cl_store_foreach(store, &filter, collect, events)) < 0) {
		error = cli_fail_lib(error, "ledger");
		goto out;
	}
	probs = problems(&l, events);
	if (json) {
		json_object *o = as_json(id, &l, events, probs);

		printf("%s\n", json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		print_text(id, &l, events, probs);
	}
	error = l.error ? CL_EXIT_UNREACHABLE : 0;
out:
	json_object_put(events);
	json_object_put(probs);
	cl_store_free(store);
	cl_tracker_free(tracker);
	cl_config_free(cfg);
	return error;
}
