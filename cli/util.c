/*
 * util.c: what closeloop's commands share: error output, configuration
 * loading with its diagnostics, and writing reports.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_fail(int exit_code, const char *fmt, ...)
{
	va_list ap;

	fputs("closeloop: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return exit_code;
}

int cli_fail_lib(int code, const char *what)
{
	const cl_error *e = cl_error_last();

	if (what)
		fprintf(stderr, "closeloop: error: %s: %s\n", what, e->message);
	else
		fprintf(stderr, "closeloop: error: %s\n", e->message);
	return cl_exit_code(code);
}

int cli_usage(const cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "closeloop %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\nSee 'closeloop help %s'.\n", cmd->usage,
		cmd->name);
	return CL_EXIT_USAGE;
}

void cli_print_diag(FILE *f, const cl_diag *d)
{
	if (d->file && d->line > 0)
		fprintf(f, "%s:%d: ", d->file, d->line);
	else if (d->file)
		fprintf(f, "%s: ", d->file);
	fputs(d->severity == CL_DIAG_ERROR ? "error: " : "warning: ", f);
	if (d->key)
		fprintf(f, "%s: ", d->key);
	fprintf(f, "%s\n", d->message);
}

int cli_load_config(cl_config **out, const cli_globals *g, int verbose)
{
	cl_config *cfg = NULL;
	int error = cl_config_load(&cfg, g->config_path, NULL);
	size_t i;

	*out = NULL;
	if (cfg == NULL)
		return cli_fail_lib(error, "cannot load the configuration");
	for (i = 0; i < cl_config_diag_count(cfg); i++) {
		const cl_diag *d = cl_config_diag(cfg, i);

		if (verbose || d->severity == CL_DIAG_ERROR)
			cli_print_diag(stderr, d);
	}
	if (error < 0) {
		cl_config_free(cfg);
		return CL_EXIT_USAGE;
	}
	*out = cfg;
	return 0;
}

int cli_open_store(cl_store **out, const cl_config *cfg)
{
	const char *location = NULL;
	int error;

	cl_config_get_string(&location, cfg, "closeloop.store");
	if ((error = cl_store_open(out, location)) < 0) {
		cli_fail_lib(error, "store");
		return error == CL_EINVALID ? CL_EXIT_USAGE : CL_EXIT_UNREACHABLE;
	}
	return 0;
}

int cli_write_output(const char *path, const char *text)
{
	FILE *f;

	if (path == NULL || strcmp(path, "-") == 0) {
		if (fputs(text, stdout) == EOF || fflush(stdout) == EOF)
			return cli_fail(CL_EXIT_CHECK, "cannot write output: %s",
				strerror(errno));
		return 0;
	}
	if ((f = fopen(path, "w")) == NULL)
		return cli_fail(CL_EXIT_USAGE, "cannot write %s: %s", path,
			strerror(errno));
	if (fputs(text, f) == EOF) {
		fclose(f);
		return cli_fail(CL_EXIT_CHECK, "cannot write %s: %s", path,
			strerror(errno));
	}
	if (fclose(f) == EOF)
		return cli_fail(CL_EXIT_CHECK, "cannot write %s: %s", path,
			strerror(errno));
	return 0;
}

int cli_open_trackers(cl_tracker ***out, size_t *n, const cl_config *cfg,
	const char *only)
{
	size_t count = cl_config_tracker_count(cfg), i;
	cl_tracker **t = calloc(count + 1, sizeof(*t));

	*out = NULL;
	*n = 0;
	if (t == NULL)
		return cli_fail_lib(CL_ENOMEM, "trackers");
	for (i = 0; i < count; i++) {
		const char *name = cl_config_tracker_name(cfg, i);

		if (only && strcmp(only, name) != 0)
			continue;
		if (cl_tracker_open(&t[*n], cfg, name) < 0) {
			int code = cli_fail_lib(cl_error_last()->code, "tracker");

			cli_close_trackers(t, *n);
			*n = 0;
			return code;
		}
		(*n)++;
	}
	*out = t;
	return 0;
}

void cli_close_trackers(cl_tracker **trackers, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cl_tracker_free(trackers[i]);
	free(trackers);
}
