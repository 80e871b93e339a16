/*
 * main.c: closeloop, the admin command. Parses the options every command
 * shares, then hands over to the command.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int cmd_help(int argc, char **argv, const cli_globals *g);
static int cmd_version(int argc, char **argv, const cli_globals *g);

static const cli_command cli_help = {
	"help", "show help for closeloop or one command",
	"closeloop help [COMMAND]",
	"Without COMMAND, list the commands. With one, show what it does and\n"
	"its options. 'closeloop COMMAND --help' shows the same.\n",
	cmd_help
};

static const cli_command cli_version = {
	"version", "print the version",
	"closeloop version",
	"Print closeloop's version and the library's. Same as --version.\n",
	cmd_version
};

static const cli_command *const commands[] = {
	&cli_audit, &cli_doctor, &cli_help, &cli_install_hook, &cli_remind,
	&cli_reply, &cli_status, &cli_sync, &cli_version, NULL
};

const cli_command *cli_find(const char *name)
{
	size_t i;

	for (i = 0; commands[i]; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

void cli_print_help(const cli_command *cmd)
{
	printf("usage: %s\n\n%s\n%s", cmd->usage, cmd->summary, cmd->help);
	printf("\nEvery command also takes --config FILE and --help.\n"
	       "Exit status: 0 fine, 1 check failed, 2 usage or configuration"
	       " error,\n3 store or tracker unreachable.\n");
}

static void print_overview(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: closeloop [--config FILE] COMMAND [ARGS]\n"
		"       closeloop --version | --help\n\n"
		"closeloop keeps every ticket owned until the customer has been"
		" answered.\n\nCommands:\n");
	for (i = 0; commands[i]; i++)
		fprintf(f, "  %-13s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f,
		"\nConfiguration is read from %s,\n"
		"$CLOSELOOP_CONFIG and --config FILE, later ones winning"
		" (closeloop.conf(5)).\n"
		"See 'closeloop help COMMAND' for one command.\n",
		cl_config_system_path()[0] ? cl_config_system_path() :
		"(no system file)");
}

static int cmd_help(int argc, char **argv, const cli_globals *g)
{
	const cli_command *cmd;

	(void)g;
	if (argc < 2) {
		print_overview(stdout);
		return 0;
	}
	if (argc > 2)
		return cli_usage(&cli_help, "too many arguments");
	if ((cmd = cli_find(argv[1])) == NULL)
		return cli_fail(CL_EXIT_USAGE,
			"'%s' is not a closeloop command; see 'closeloop help'",
			argv[1]);
	cli_print_help(cmd);
	return 0;
}

static int cmd_version(int argc, char **argv, const cli_globals *g)
{
	(void)argv;
	(void)g;
	if (argc > 1)
		return cli_usage(&cli_version, "too many arguments");
	printf("closeloop %s (libcloseloop %s)\n", PACKAGE_VERSION, cl_version());
	return 0;
}

/* Take --config FILE (or --config=FILE) out of argv, wherever it is
 * before "--"; returns the new argc or -1 on a missing value. */
static int take_config(int argc, char **argv, cli_globals *g)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc)
				return -1;
			g->config_path = argv[++i];
			continue;
		}
		if (strncmp(argv[i], "--config=", 9) == 0) {
			g->config_path = argv[i] + 9;
			continue;
		}
		argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

int main(int argc, char **argv)
{
	cli_globals g = { NULL };
	const cli_command *cmd;
	int i;

	argc = take_config(argc, argv, &g);
	if (argc < 0)
		return cli_fail(CL_EXIT_USAGE, "--config needs a FILE");
	if (argc < 2) {
		print_overview(stderr);
		return CL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return cmd_version(1, argv + 1, &g);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(1, argv + 1, &g);
	if (argv[1][0] == '-')
		return cli_fail(CL_EXIT_USAGE,
			"unknown option '%s'; see 'closeloop help'", argv[1]);
	if ((cmd = cli_find(argv[1])) == NULL)
		return cli_fail(CL_EXIT_USAGE,
			"'%s' is not a closeloop command; see 'closeloop help'",
			argv[1]);
	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_print_help(cmd);
			return 0;
		}
	}
	if (cl_clock_set_from_env() < 0)
		return cli_fail(CL_EXIT_USAGE, "%s", cl_error_last()->message);
	return cmd->run(argc - 1, argv + 1, &g);
}
