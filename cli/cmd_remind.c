/*
 * cmd_remind.c: `closeloop remind`: one reminder pass, what the receiver
 * does after each sync, for sites that run no receiver (cron) or want to
 * see what would be posted (--dry-run).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <closeloop/engine.h>
#include <closeloop/queue.h>

#include "cli.h"

/* A whole pass, all trackers, gets this long. */
#define REMIND_TIMEOUT_MS 120000

const cli_command cli_remind = {
	"remind", "post the reminders that are due (one pass, for cron)",
	"closeloop remind [--dry-run] [--tracker NAME]",
	"Looks at every open ticket the ledger knows and posts, as a tracker\n"
	"comment, each reminder that is due (closeloop.conf(5), [remind]):\n"
	"  reply-due       work done, no customer reply linked after replyAfter;\n"
	"                  after escalateAfter reminders also names escalateTo\n"
	"  owner-required  open and unowned for unownedAfter\n"
	"  handoff-ack     a handoff not acknowledged in handoffAfter; names\n"
	"                  the new owner and the previous one\n"
	"At most one per ticket and rule every repeat; none during quietHours\n"
	"(local time of this process: set TZ); none for tickets labelled\n"
	"closeloop:snooze (Redmine: a custom field with that value). Reminders\n"
	"address the owner, never the customer: where the tracker has private\n"
	"or internal notes (Redmine) they are posted as such. Each is recorded\n"
	"in the ledger (reminder.sent); rules in warn mode record without\n"
	"posting. Then sends the tracker actions waiting in the outbox.\n\n"
	"  --dry-run       print what would be posted; post and record nothing\n"
	"  --tracker NAME  only this [tracker \"NAME\"]\n\n"
	"Exit 3 when a tracker or the store could not be reached; what was\n"
	"done before is kept and the next pass goes on.\n",
	cmd_remind
};

static void print_note(const cl_reminder_note *n, void *payload)
{
	const int *dry_run = payload;
	const char *p;

	printf("%s  %s  to %s", n->ticket, cl_rule_name(n->rule),
		n->owner ? n->owner : "(no owner)");
	if (n->previous)
		printf(" and %s", n->previous);
	if (n->escalate_to)
		printf(", escalated to %s", n->escalate_to);
	printf("  (reminder %d%s%s)\n", n->count,
		n->internal ? ", private note" : "",
		*dry_run ? ", not posted: dry run" :
		n->posted ? "" : ", not posted: rule in warn mode");
	if (!*dry_run)
		return;
	/* the comment itself, indented */
	for (p = n->text; *p; ) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		printf("    | %.*s\n", (int)len, p);
		p += len + (nl != NULL);
	}
}

int cmd_remind(int argc, char **argv, const cli_globals *g)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "tracker", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const char *only = NULL;
	cl_config *cfg = NULL;
	cl_store *store = NULL;
	cl_engine *engine = NULL;
	cl_tracker **trackers = NULL;
	cl_engine_stats st;
	int64_t pending = 0, failed = 0;
	size_t n = 0, i, due, total = 0, sent = 0;
	int c, error = 0, dry_run = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 'n')
			dry_run = 1;
		else if (c == 't')
			only = optarg;
		else if (c == ':')
			return cli_usage(&cli_remind, "%s needs a value",
				argv[optind - 1]);
		else
			return cli_usage(&cli_remind, "unknown option '%s'",
				argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage(&cli_remind, "unexpected argument '%s'",
			argv[optind]);
	if ((error = cli_load_config(&cfg, g, 0)) != 0)
		return error;
	if ((error = cli_open_store(&store, cfg)) != 0)
		goto out;
	if ((error = cl_engine_new(&engine, cfg, store)) < 0) {
		error = cli_fail_lib(error, "engine");
		goto out;
	}
	if ((error = cli_open_trackers(&trackers, &n, cfg, only)) != 0)
		goto out;
	if (only && n == 0) {
		error = cli_usage(&cli_remind,
			"no [tracker \"%s\"] in the configuration", only);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (cl_engine_remind(engine, trackers[i],
				dry_run ? CL_REMIND_DRY_RUN : 0, print_note, &dry_run,
				&due, cl_http_now_ms() + REMIND_TIMEOUT_MS) < 0) {
			fprintf(stderr, "closeloop: remind %s: %s\n",
				cl_tracker_name(trackers[i]), cl_error_last()->message);
			error = CL_EXIT_UNREACHABLE;
		}
		total += due;
	}
	if (dry_run) {
		printf("%zu reminder%s due; dry run: nothing posted or recorded\n",
			total, total == 1 ? "" : "s");
		goto out;
	}
	if (cl_engine_flush(engine, trackers, n, &sent,
			cl_http_now_ms() + REMIND_TIMEOUT_MS) < 0) {
		fprintf(stderr, "closeloop: outbox: %s\n", cl_error_last()->message);
		error = CL_EXIT_UNREACHABLE;
	}
	cl_engine_stats_get(engine, &st);
	cl_store_outbox_count(store, &pending, &failed);
	printf("%zu reminder%s due; tracker actions sent: %zu, waiting: %lld, "
		"given up: %lld\n", total, total == 1 ? "" : "s", sent,
		(long long)pending, (long long)failed);
	if (pending > 0 && st.actions_retried > 0 && error == 0)
		error = CL_EXIT_UNREACHABLE;
out:
	cli_close_trackers(trackers, n);
	cl_engine_free(engine);
	cl_store_free(store);
	cl_config_free(cfg);
	return error;
}
