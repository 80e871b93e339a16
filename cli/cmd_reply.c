/*
 * cmd_reply.c: `closeloop reply TICKET LINK`: link the customer reply to a
 * ticket. It goes into the ledger first, so nothing is lost when the
 * tracker is down, then into the tracker.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"

/* How long the tracker gets to take the reply. */
#define REPLY_TIMEOUT_MS 10000
#define MAX_LINK 2048

const cli_command cli_reply = {
	"reply", "link the customer reply to a ticket",
	"closeloop reply TICKET LINK [--by LOGIN]",
	"Records LINK (a URL, or a mail Message-ID in <angle brackets>) as the\n"
	"answer that reached the customer of TICKET: in the ledger, then in the\n"
	"tracker (Redmine: the replyField custom field; where there is no such\n"
	"field, a comment \"Customer-Reply: LINK\"). A ticket with a reply linked\n"
	"since it was last opened counts as delivered and may be closed.\n\n"
	"  TICKET       support:42, #42 (the default tracker), owner/repo#7, PROJ-12\n"
	"  --by LOGIN   who answered the customer (default: $USER)\n\n"
	"Exit 3 when the tracker could not be updated; the reply is in the\n"
	"ledger all the same.\n",
	cmd_reply
};

static int valid_link(const char *link)
{
	size_t n = strlen(link);

	if (n == 0 || n > MAX_LINK || strpbrk(link, " \t\r\n") != NULL)
		return 0;
	if (strstr(link, "://") != NULL)
		return 1;
	return link[0] == '<' && link[n - 1] == '>' && strchr(link, '@');
}

static int record(const cl_config *cfg, const char *ticket, const char *link,
	const char *by)
{
	json_object *d = json_object_new_object();
	cl_store *store = NULL;
	cl_event ev;
	int error;

	if ((error = cli_open_store(&store, cfg)) != 0) {
		json_object_put(d);
		return error;
	}
	json_object_object_add(d, "link", json_object_new_string(link));
	json_object_object_add(d, "source", json_object_new_string("cli"));
	memset(&ev, 0, sizeof(ev));
	ev.type = CL_EVENT_REPLY;
	ev.ticket = ticket;
	ev.actor = by;
	ev.detail = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN);
	if ((error = cl_store_append(store, &ev)) < 0)
		error = cli_fail_lib(error, "ledger");
	json_object_put(d);
	cl_store_free(store);
	return error;
}

int cmd_reply(int argc, char **argv, const cli_globals *g)
{
	static const struct option longopts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	const char *by = getenv("USER");
	cl_config *cfg = NULL;
	cl_tracker *tracker = NULL;
	cli_ticket t;
	char id[600];
	int c, error;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 'b')
			by = optarg;
		else if (c == ':')
			return cli_usage(&cli_reply, "%s needs a value", argv[optind - 1]);
		else
			return cli_usage(&cli_reply, "unknown option '%s'", argv[optind - 1]);
	}
	if (argc - optind != 2)
		return cli_usage(&cli_reply, "give a TICKET and a LINK");
	if (!valid_link(argv[optind + 1]))
		return cli_usage(&cli_reply,
			"'%.100s' is not a link: give a URL or a <message-id@host>",
			argv[optind + 1]);
	if ((error = cli_load_config(&cfg, g, 0)) != 0)
		return error;
	if ((error = cli_open_ticket_tracker(&tracker, &t, cfg, argv[optind])) != 0)
		goto out;
	cl_tracker_ticket_id(id, sizeof(id), tracker, &t.ref);
	if ((error = record(cfg, id, argv[optind + 1], by)) != 0)
		goto out;
	if (cl_tracker_set_reply(tracker, &t.ref, argv[optind + 1], by,
		    cl_http_now_ms() + REPLY_TIMEOUT_MS) < 0) {
		fprintf(stderr, "closeloop: reply for %s is in the ledger, but the tracker was not updated: %s\n",
			id, cl_error_last()->message);
		error = CL_EXIT_UNREACHABLE;
		goto out;
	}
	printf("reply linked to %s: %s\n", id, argv[optind + 1]);
out:
	cl_tracker_free(tracker);
	cl_config_free(cfg);
	return error;
}
