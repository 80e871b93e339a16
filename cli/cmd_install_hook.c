/*
 * cmd_install_hook.c: `closeloop install-hook`: put closeloop's hooks where
 * the git server runs custom hooks, keeping any hook already there working.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "cli.h"

#ifndef CL_PKGLIBEXECDIR
#define CL_PKGLIBEXECDIR "/usr/local/libexec/closeloop"
#endif

/* The line that marks a hook file as ours, so that installing is
 * idempotent and never chains closeloop to itself. */
#define HOOK_MARK "# closeloop-hook: installed by closeloop install-hook"
#define CHAINED_SUFFIX ".closeloop-chained"

const cli_command cli_install_hook = {
	"install-hook", "install the pre-/post-receive hooks into repositories",
	"closeloop install-hook [--force] REPO...",
	"Installs closeloop-pre-receive and closeloop-post-receive into each\n"
	"repository, where its server runs custom hooks:\n"
	"  hooks/pre-receive.d/ when the repository has one (Gitea, Forgejo),\n"
	"  custom_hooks/pre-receive.d/ when it has custom_hooks/ (GitLab),\n"
	"  else hooks/pre-receive and hooks/post-receive.\n"
	"A hook already there keeps working: it is renamed to HOOK" CHAINED_SUFFIX "\n"
	"and runs first, with the same input; --force replaces it instead.\n"
	"Installing again changes nothing. It also sets\n"
	"receive.advertisePushOptions, so that pushers can override with\n"
	"  git push -o closeloop.override=\"REASON\"\n"
	"The hook programs are looked up in " CL_PKGLIBEXECDIR "\n"
	"($CLOSELOOP_LIBEXECDIR replaces it).\n\n"
	"  --force   replace existing hooks instead of chaining them\n",
	cmd_install_hook
};

static const char *libexecdir(void)
{
	const char *env = getenv("CLOSELOOP_LIBEXECDIR");

	return (env && *env) ? env : CL_PKGLIBEXECDIR;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Is the file at path one of ours? */
static int is_ours(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int ours = 0;

	if (f == NULL)
		return 0;
	while (!ours && fgets(line, sizeof(line), f) != NULL)
		ours = strncmp(line, HOOK_MARK, strlen(HOOK_MARK)) == 0;
	fclose(f);
	return ours;
}

static int write_script(const char *path, const char *hook, int chain)
{
	char tmp[4480];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.closeloop-tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return cli_fail(CL_EXIT_CHECK, "cannot write %s: %s", tmp,
			strerror(errno));
	fprintf(f, "#!/bin/sh\n%s\n", HOOK_MARK);
	if (chain) {
		/* both hooks read the same input, so keep it */
		fprintf(f,
			"# The hook that was here before runs first, with the same input.\n"
			"input=$(cat)\n"
			"chained=\"$0%s\"\n"
			"if [ -x \"$chained\" ]; then\n"
			"\tprintf '%%s\\n' \"$input\" | \"$chained\" \"$@\" || exit $?\n"
			"fi\n"
			"printf '%%s\\n' \"$input\" | exec '%s/closeloop-%s'\n",
			CHAINED_SUFFIX, libexecdir(), hook);
	} else {
		fprintf(f, "exec '%s/closeloop-%s'\n", libexecdir(), hook);
	}
	if (fclose(f) != 0 || chmod(tmp, 0755) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return cli_fail(CL_EXIT_CHECK, "cannot write %s: %s", path,
			strerror(errno));
	}
	return 0;
}

/* hooks/HOOK: chain what is there unless forced. */
static int install_plain(const char *hooks_dir, const char *hook, int force)
{
	char path[4352], chained[4400];

	snprintf(path, sizeof(path), "%s/%s", hooks_dir, hook);
	snprintf(chained, sizeof(chained), "%s%s", path, CHAINED_SUFFIX);
	if (exists(path) && !is_ours(path)) {
		if (force) {
			printf("  replacing %s (--force)\n", path);
		} else {
			if (exists(chained))
				return cli_fail(CL_EXIT_CHECK,
					"%s exists and so does %s: move one away, or use --force",
					path, chained);
			if (rename(path, chained) != 0)
				return cli_fail(CL_EXIT_CHECK, "cannot rename %s: %s",
					path, strerror(errno));
			printf("  kept the existing hook as %s; it runs first\n",
				chained);
		}
	}
	if (force && exists(chained) && unlink(chained) != 0)
		return cli_fail(CL_EXIT_CHECK, "cannot remove %s: %s", chained,
			strerror(errno));
	return write_script(path, hook, !force);
}

/* HOOK.d/closeloop: the server runs every file there, nothing to chain. */
static int install_dir(const char *dir, const char *hook)
{
	char path[4352];

	if (!is_dir(dir) && mkdir(dir, 0755) != 0)
		return cli_fail(CL_EXIT_CHECK, "cannot create %s: %s", dir,
			strerror(errno));
	snprintf(path, sizeof(path), "%s/closeloop", dir);
	return write_script(path, hook, 0);
}

static int set_push_options(git_repository *repo, const char *where)
{
	git_config *cfg = NULL;
	int error;

	if ((error = git_repository_config(&cfg, repo)) == 0)
		error = git_config_set_bool(cfg, "receive.advertisePushOptions", 1);
	git_config_free(cfg);
	if (error < 0)
		return cli_fail(CL_EXIT_CHECK, "%s: cannot set receive.advertisePushOptions: %s",
			where, git_error_last() ? git_error_last()->message : "?");
	return 0;
}

static int install_one(const char *repo_path, int force)
{
	static const char *const hooks[] = { "pre-receive", "post-receive" };
	git_repository *repo = NULL;
	char dir[4096], sub[4224];
	const char *gitdir;
	size_t i;
	int error = 0;

	if (git_repository_open_ext(&repo, repo_path,
		    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return cli_fail(CL_EXIT_USAGE, "%s is not a git repository: %s",
			repo_path, git_error_last() ? git_error_last()->message : "?");
	gitdir = git_repository_path(repo);
	printf("%s:\n", repo_path);
	snprintf(dir, sizeof(dir), "%shooks", gitdir);
	if (!is_dir(dir) && mkdir(dir, 0755) != 0) {
		error = cli_fail(CL_EXIT_CHECK, "cannot create %s: %s", dir,
			strerror(errno));
		goto out;
	}
	for (i = 0; i < 2 && error == 0; i++) {
		const char *h = hooks[i];

		snprintf(sub, sizeof(sub), "%s/%s.d", dir, h);
		if (is_dir(sub)) {
			error = install_dir(sub, h);
			printf("  %s/closeloop\n", sub);
			continue;
		}
		snprintf(sub, sizeof(sub), "%s/custom_hooks", repo_path);
		if (is_dir(sub)) {
			snprintf(sub, sizeof(sub), "%s/custom_hooks/%s.d",
				repo_path, h);
			error = install_dir(sub, h);
			printf("  %s/closeloop\n", sub);
			continue;
		}
		error = install_plain(dir, h, force);
		printf("  %s/%s\n", dir, h);
	}
	if (error == 0)
		error = set_push_options(repo, repo_path);
out:
	git_repository_free(repo);
	return error;
}

int cmd_install_hook(int argc, char **argv, const cli_globals *g)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	char path[4096];
	int c, force = 0, error = 0, i;

	(void)g;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f", longopts, NULL)) != -1) {
		if (c == 'f')
			force = 1;
		else
			return cli_usage(&cli_install_hook, "unknown option '%s'",
				argv[optind - 1]);
	}
	if (optind >= argc)
		return cli_usage(&cli_install_hook, "name at least one repository");
	snprintf(path, sizeof(path), "%s/closeloop-pre-receive", libexecdir());
	if (access(path, X_OK) != 0)
		return cli_fail(CL_EXIT_USAGE,
			"%s is missing: is closeloop installed? ($CLOSELOOP_LIBEXECDIR)",
			path);
	git_libgit2_init();
	for (i = optind; i < argc; i++) {
		int r = install_one(argv[i], force);

		if (r != 0 && error == 0)
			error = r;
	}
	git_libgit2_shutdown();
	return error;
}
