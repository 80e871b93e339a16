/*
 * cli.h: the closeloop admin command: the command table and helpers the
 * commands share.
 */
#ifndef CLOSELOOP_CLI_H
#define CLOSELOOP_CLI_H

#include <stdio.h>

#include <closeloop/closeloop.h>
#include <closeloop/tracker.h>

/* Options every command accepts. */
typedef struct {
	const char *config_path; /* --config FILE */
} cli_globals;

typedef struct {
	const char *name;
	const char *summary; /* one line for `closeloop help` */
	const char *usage;   /* the synopsis */
	const char *help;    /* the rest of `closeloop help NAME` */
	int (*run)(int argc, char **argv, const cli_globals *g);
} cli_command;

const cli_command *cli_find(const char *name);
void cli_print_help(const cli_command *cmd);

/* "closeloop: error: ..." on stderr; returns exit_code. */
int cli_fail(int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The last library error as a message; returns the exit code for code. */
int cli_fail_lib(int code, const char *what);

/* Usage errors (exit 2) name the command and point at its help. */
int cli_usage(const cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Load configuration; print diagnostics to stderr (all of them when
 * verbose, else errors only). Returns 0 or an exit code. */
int cli_load_config(cl_config **out, const cli_globals *g, int verbose);

/* Print one diagnostic as FILE:LINE: severity: KEY: message. */
void cli_print_diag(FILE *f, const cl_diag *d);

/* Open the configured store; prints the problem. 0 or an exit code:
 * 2 for a malformed location, 3 for a store that cannot be used. */
int cli_open_store(cl_store **out, const cl_config *cfg);

/* Open every configured tracker, or only the one named (NULL: all);
 * *n may be 0 only when only names none that exists. 0 or an exit code;
 * free with cli_close_trackers. */
int cli_open_trackers(cl_tracker ***out, size_t *n, const cl_config *cfg,
	const char *only);
void cli_close_trackers(cl_tracker **trackers, size_t n);

/* Write text to path ("-" or NULL for stdout); an exit code. */
int cli_write_output(const char *path, const char *text);

/* A ticket named on the command line. */
typedef struct {
	const char *tracker; /* section name, NULL for the default tracker */
	cl_ref ref;          /* ref.project points into project */
	char project[256];
} cli_ticket;

/* 0, -1 not a ticket, -2 unknown tracker prefix. */
int cli_parse_ticket(cli_ticket *out, const cl_config *cfg, const char *text);
/* Parse text and open its tracker; 0 or an exit code, printed. */
int cli_open_ticket_tracker(cl_tracker **tracker, cli_ticket *t,
	const cl_config *cfg, const char *text);

int cmd_doctor(int argc, char **argv, const cli_globals *g);
int cmd_audit(int argc, char **argv, const cli_globals *g);
int cmd_install_hook(int argc, char **argv, const cli_globals *g);
int cmd_reply(int argc, char **argv, const cli_globals *g);
int cmd_status(int argc, char **argv, const cli_globals *g);
int cmd_remind(int argc, char **argv, const cli_globals *g);
int cmd_sync(int argc, char **argv, const cli_globals *g);

extern const cli_command cli_doctor;
extern const cli_command cli_audit;
extern const cli_command cli_install_hook;
extern const cli_command cli_reply;
extern const cli_command cli_status;
extern const cli_command cli_remind;
extern const cli_command cli_sync;

#endif
