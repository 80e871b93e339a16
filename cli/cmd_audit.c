/*
 * cmd_audit.c: `closeloop audit`: the report over the ledger, for admins
 * and for cron (--fail-on violations).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

const cli_command cli_audit = {
	"audit", "report closes without reply, overrides, owners, reply waits",
	"closeloop audit [--since T] [--until T] [--format text|json|csv|html]"
	" [-o FILE] [--fail-on violations]",
	"Reads the ledger and reports, for the period:\n"
	"  - tickets closed without a customer reply, and whether closeloop\n"
	"    reopened them;\n"
	"  - overrides (who, when, reason, commits, tickets);\n"
	"  - pushes accepted unverified (tracker unreachable), and those that\n"
	"    broke a rule when re-checked later;\n"
	"  - reminders sent, per rule;\n"
	"  - time from work done to the customer reply: median and 90th\n"
	"    percentile, overall, per owner and per tracker project;\n"
	"  - a count of every event type;\n"
	"and, as the ledger stands at the end of the period:\n"
	"  - open tickets without an owner;\n"
	"  - handoffs the new owner has not acknowledged;\n"
	"  - tickets with work done and no customer reply yet, and for how long.\n"
	"Lists stop at 10000 items each; counts are always exact.\n\n"
	"  --since T, --until T  the period; T is 2026-11-23, 2026-11-23T09:30:00Z\n"
	"                        or a span back from now such as 7d or 12h\n"
	"  --format F            text (default), json, csv (one table, its first\n"
	"                        column names the section) or html (one\n"
	"                        self-contained page with charts)\n"
	"  -o, --output FILE     write the report to FILE instead of stdout\n"
	"  --fail-on violations  exit 1 when the report holds any violation:\n"
	"                        closes without a reply, overrides, pushes\n"
	"                        accepted unverified (unowned tickets and\n"
	"                        unacknowledged handoffs are listed, not counted)\n",
	cmd_audit
};

typedef struct {
	int64_t since, until;
	cl_audit_format format;
	const char *output;
	int fail_on_violations;
} audit_opts;

static int parse_opts(audit_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
		case 'u':
			if (cl_time_parse(c == 's' ? &o->since : &o->until,
				    optarg) < 0)
				return cli_usage(&cli_audit, "%s",
					cl_error_last()->message);
			break;
		case 'f':
			if (cl_audit_format_from_name(&o->format, optarg) < 0)
				return cli_usage(&cli_audit, "%s",
					cl_error_last()->message);
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "violations") != 0)
				return cli_usage(&cli_audit,
					"unknown --fail-on '%s': use violations",
					optarg);
			o->fail_on_violations = 1;
			break;
		case ':':
			return cli_usage(&cli_audit, "%s needs a value",
				argv[optind - 1]);
		default:
			return cli_usage(&cli_audit, "unknown option '%s'",
				argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage(&cli_audit, "unexpected argument '%s'",
			argv[optind]);
	return 0;
}

int cmd_audit(int argc, char **argv, const cli_globals *g)
{
	audit_opts o = { 0, 0, CL_AUDIT_TEXT, NULL, 0 };
	cl_config *cfg = NULL;
	cl_store *store = NULL;
	cl_audit *audit = NULL;
	char *text = NULL;
	int error;

	if ((error = parse_opts(&o, argc, argv)) != 0)
		return error;
	if ((error = cli_load_config(&cfg, g, 0)) != 0)
		return error;
	if ((error = cli_open_store(&store, cfg)) != 0)
		goto out;
	if ((error = cl_audit_run(&audit, store, o.since, o.until)) < 0 ||
	    (error = cl_audit_render(&text, audit, o.format)) < 0) {
		error = cli_fail_lib(error, "audit");
		goto out;
	}
	error = cli_write_output(o.output, text);
	if (error == 0 && o.fail_on_violations && cl_audit_violations(audit))
		error = CL_EXIT_CHECK;
out:
	cl_free(text);
	cl_audit_free(audit);
	cl_store_free(store);
	cl_config_free(cfg);
	return error;
}
