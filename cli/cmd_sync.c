/*
 * cmd_sync.c: `closeloop sync`: one pass of what the receiver does every
 * syncInterval, from the command line (cron, or to catch up by hand):
 * each tracker's tickets changed since the last sync are read, a ticket
 * closed without a customer reply is reopened with a comment, and the
 * outbox's due actions are sent.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <closeloop/engine.h>
#include <closeloop/queue.h>

#include "cli.h"

/* A whole pass, all trackers, gets this long. */
#define SYNC_TIMEOUT_MS 120000

const cli_command cli_sync = {
	"sync", "reconcile with the trackers, as the receiver's sync does",
	"closeloop sync [--since TIME] [--tracker NAME]",
	"Reads each tracker's tickets changed since the last sync (kept in the\n"
	"store; the first sync looks back one hour) and acts as the receiver\n"
	"does: a ticket closed without a customer reply linked since it was last\n"
	"opened is reopened, with a comment that names its owner and how to link\n"
	"the reply (mode warn: recorded only). Then sends the tracker actions\n"
	"waiting in the outbox. Prints what it did.\n\n"
	"  --since TIME    look at changes since TIME (2026-11-23T10:00:00Z, or\n"
	"                  a duration ago: 2h, 3d) instead of the saved cursor\n"
	"  --tracker NAME  only this [tracker \"NAME\"]\n\n"
	"Exit 3 when a tracker or the store could not be reached; what was done\n"
	"before is kept and the next sync goes on from there.\n",
	cmd_sync
};

static int parse_since(int64_t *out, const char *text)
{
	int64_t ago;

	if (cl_time_parse(out, text) == 0)
		return 0;
	if (cl_parse_duration(&ago, text) == 0) {
		*out = cl_clock_now() - ago;
		return 0;
	}
	return -1;
}

int cmd_sync(int argc, char **argv, const cli_globals *g)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "tracker", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const char *only = NULL;
	cl_config *cfg = NULL;
	cl_store *store = NULL;
	cl_engine *engine = NULL;
	cl_tracker **trackers = NULL;
	cl_engine_stats st;
	int64_t since = 0, pending = 0, failed = 0;
	size_t n = 0, i, seen, sent = 0;
	int c, error = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 's') {
			if (parse_since(&since, optarg) < 0)
				return cli_usage(&cli_sync, "--since: '%.100s' is neither "
					"a time (2026-11-23T10:00:00Z) nor a duration (2h)",
					optarg);
		} else if (c == 't')
			only = optarg;
		else if (c == ':')
			return cli_usage(&cli_sync, "%s needs a value", argv[optind - 1]);
		else
			return cli_usage(&cli_sync, "unknown option '%s'", argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage(&cli_sync, "unexpected argument '%s'", argv[optind]);
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
		error = cli_usage(&cli_sync, "no [tracker \"%s\"] in the configuration",
			only);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (cl_engine_sync(engine, trackers[i], since, &seen,
				cl_http_now_ms() + SYNC_TIMEOUT_MS) < 0) {
			fprintf(stderr, "closeloop: sync %s: %s\n",
				cl_tracker_name(trackers[i]), cl_error_last()->message);
			error = CL_EXIT_UNREACHABLE;
			continue;
		}
		printf("%s: %zu ticket%s changed\n", cl_tracker_name(trackers[i]),
			seen, seen == 1 ? "" : "s");
	}
	if (cl_engine_flush(engine, trackers, n, &sent,
			cl_http_now_ms() + SYNC_TIMEOUT_MS) < 0) {
		fprintf(stderr, "closeloop: outbox: %s\n", cl_error_last()->message);
		error = CL_EXIT_UNREACHABLE;
	}
	cl_engine_stats_get(engine, &st);
	cl_store_outbox_count(store, &pending, &failed);
	printf("closed without a reply: %llu; tracker actions sent: %zu, "
		"retrying: %llu, waiting: %lld, given up: %lld\n",
		(unsigned long long)st.closed_without_reply, sent,
		(unsigned long long)st.actions_retried, (long long)pending,
		(long long)failed);
	if (pending > 0 && st.actions_retried > 0 && error == 0)
		error = CL_EXIT_UNREACHABLE;
out:
	cli_close_trackers(trackers, n);
	cl_engine_free(engine);
	cl_store_free(store);
	cl_config_free(cfg);
	return error;
}
