/*
 * cmd_doctor.c: `closeloop doctor`: is the configuration valid, does the
 * store answer, is each tracker's setup complete. Names every problem.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const cli_command cli_doctor = {
	"doctor", "check the configuration, the store and the trackers",
	"closeloop doctor [--config FILE]",
	"Reads the configuration as every closeloop program does (the system\n"
	"file, $CLOSELOOP_CONFIG, --config FILE) and reports each problem as\n"
	"FILE:LINE: error: KEY: what is wrong. Unknown keys, bad values and\n"
	"missing required keys are errors (exit 2); secret files readable by\n"
	"others are warnings. Then it opens the store, creating or migrating\n"
	"its schema (exit 3 when it cannot), and lists each tracker.\n",
	cmd_doctor
};

static void print_trackers(const cl_config *cfg)
{
	size_t i, n = cl_config_tracker_count(cfg);
	const char *chosen = NULL;

	cl_config_get_string(&chosen, cfg, "closeloop.tracker");
	for (i = 0; i < n; i++) {
		const char *name = cl_config_tracker_name(cfg, i);
		const char *type = "?", *url = "?", *project = "?", *token = NULL;
		char key[512];

		snprintf(key, sizeof(key), "tracker.%s.type", name);
		cl_config_get_string(&type, cfg, key);
		snprintf(key, sizeof(key), "tracker.%s.url", name);
		cl_config_get_string(&url, cfg, key);
		snprintf(key, sizeof(key), "tracker.%s.project", name);
		cl_config_get_string(&project, cfg, key);
		snprintf(key, sizeof(key), "tracker.%s.tokenFile", name);
		cl_config_get_string(&token, cfg, key);
		printf("tracker %s: %s at %s, project %s, token %s%s\n", name,
			type, url, project, token ? "from " : "not set",
			token ? token : "");
		if ((chosen && strcmp(chosen, name) == 0) || (!chosen && n == 1))
			printf("  used by default (closeloop.tracker)\n");
	}
	cl_error_clear();
}

int cmd_doctor(int argc, char **argv, const cli_globals *g)
{
	cl_config *cfg = NULL;
	cl_store *store = NULL;
	const char *location = NULL;
	int error, version = 0;
	size_t warnings;

	(void)argv;
	if (argc > 1)
		return cli_usage(&cli_doctor, "unexpected argument '%s'", argv[1]);
	if ((error = cli_load_config(&cfg, g, 1)) != 0)
		return error;
	warnings = cl_config_diag_count(cfg) - cl_config_error_count(cfg);
	printf("configuration: ok%s\n", warnings ? " (with warnings)" : "");

	if ((error = cli_open_store(&store, cfg)) != 0) {
		cl_config_free(cfg);
		return error;
	}
	cl_config_get_string(&location, cfg, "closeloop.store");
	cl_store_schema_version(store, &version);
	printf("store: %s %s, schema %d: ok\n", cl_store_backend_name(store),
		location, version);
	cl_store_free(store);

	print_trackers(cfg);
	cl_config_free(cfg);
	return 0;
}
