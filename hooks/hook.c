/*
 * hook.c: helpers shared by the pre-receive and post-receive hooks.
 */
#include <errno.h>
#include <fnmatch.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hook.h"

void hook_say(const char *fmt, ...)
{
	va_list ap;

	fputs("closeloop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int add_update(hook_input *in, const char *old_hex, const char *new_hex,
	const char *ref)
{
	hook_update *u;

	if (in->count == in->cap) {
		size_t n = in->cap ? in->cap * 2 : 8;
		hook_update *p = realloc(in->updates, n * sizeof(*p));

		if (p == NULL)
			return -1;
		in->updates = p;
		in->cap = n;
	}
	u = &in->updates[in->count];
	if (git_oid_fromstr(&u->old_id, old_hex) < 0 ||
	    git_oid_fromstr(&u->new_id, new_hex) < 0)
		return -2;
	if ((u->ref = strdup(ref)) == NULL)
		return -1;
	in->count++;
	return 0;
}

int hook_read_input(hook_input *in, FILE *f)
{
	char line[HOOK_MAX_LINE];

	memset(in, 0, sizeof(*in));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *old_hex = line, *new_hex, *ref, *end;
		size_t len = strlen(line);
		int r;

		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			hook_say("error: a hook input line is longer than %d bytes",
				HOOK_MAX_LINE);
			return 1;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if ((new_hex = strchr(old_hex, ' ')) == NULL ||
		    (ref = strchr(new_hex + 1, ' ')) == NULL)
			goto bad;
		*new_hex++ = '\0';
		*ref++ = '\0';
		if ((end = strchr(ref, ' ')) != NULL)
			goto bad;
		if (in->count >= HOOK_MAX_UPDATES) {
			hook_say("error: more than %d ref updates in one push",
				HOOK_MAX_UPDATES);
			return 1;
		}
		if ((r = add_update(in, old_hex, new_hex, ref)) == -1) {
			hook_say("error: out of memory");
			return 1;
		}
		if (r < 0)
			goto bad;
	}
	return 0;
bad:
	hook_say("error: unexpected hook input line '%.200s' (want OLD NEW REF)",
		line);
	return 1;
}

void hook_input_free(hook_input *in)
{
	size_t i;

	for (i = 0; i < in->count; i++)
		free(in->updates[i].ref);
	free(in->updates);
	memset(in, 0, sizeof(*in));
}

int hook_ref_protected(const cl_config *cfg, const char *ref)
{
	const char *const *patterns = NULL;
	size_t i, n = 0;

	if (cl_config_get_list(&patterns, &n, cfg,
		    "closeloop.protectedBranches") < 0)
		return 0;
	for (i = 0; i < n; i++)
		/* no FNM_PATHNAME, so that a star also matches slashes
		 * (refs/heads/a/b), as git's own ref globs do */
		if (fnmatch(patterns[i], ref, 0) == 0)
			return 1;
	return 0;
}

const char *hook_pusher(void)
{
	static const char *const vars[] = {
		"GL_USERNAME", "GITEA_PUSHER_NAME", "GITHUB_USER_LOGIN",
		"REMOTE_USER", "USER"
	};
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return v;
	}
	return "unknown";
}

const char *hook_push_option(const char *name)
{
	const char *count = getenv("GIT_PUSH_OPTION_COUNT");
	size_t nlen = strlen(name);
	long i, n;

	if (count == NULL)
		return NULL;
	n = strtol(count, NULL, 10);
	for (i = 0; i < n && i < 1000; i++) {
		char var[64];
		const char *v;

		snprintf(var, sizeof(var), "GIT_PUSH_OPTION_%ld", i);
		v = getenv(var);
		if (v && strncmp(v, name, nlen) == 0 && v[nlen] == '=')
			return v + nlen + 1;
	}
	return NULL;
}

int hook_override_allowed(const cl_config *cfg, const char *user)
{
	const char *const *users = NULL;
	size_t i, n = 0;

	if (cl_config_get_list(&users, &n, cfg, "closeloop.overrideUsers") < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(users[i], user) == 0)
			return 1;
	return 0;
}

/* Set a libgit2 error so that callers report it like libgit2's own. */
static int rev_list_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static int rev_list_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	git_error_set_str(GIT_ERROR_INVALID, msg);
	return -1;
}

int hook_rev_list_start(hook_rev_list *rl, char *const *args)
{
	size_t n = 0, i;
	char **argv;
	int fds[2];

	rl->out = NULL;
	rl->pid = -1;
	rl->buf = NULL;
	rl->cap = 0;
	while (args[n])
		n++;
	if ((argv = calloc(n + 5, sizeof(char *))) == NULL)
		return rev_list_error("out of memory");
	argv[0] = "git";
	argv[1] = "rev-list";
	/* a message cannot hold NUL: git's formatter stops at one */
	argv[2] = "--no-commit-header";
	argv[3] = "--format=%H %at%n%an <%ae>%n%B%x00";
	for (i = 0; i < n; i++)
		argv[i + 4] = args[i];
	if (pipe(fds) < 0) {
		free(argv);
		return rev_list_error("cannot run git rev-list: %s", strerror(errno));
	}
	if ((rl->pid = fork()) == 0) {
		/* git flushes after every commit when its output is a pipe:
		 * one write (and one read here) per commit, otherwise */
		setenv("GIT_FLUSH", "0", 1);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp("git", argv);
		_exit(127);
	}
	free(argv);
	close(fds[1]);
	if (rl->pid < 0 || (rl->out = fdopen(fds[0], "r")) == NULL) {
		close(fds[0]);
		hook_rev_list_finish(rl);
		return rev_list_error("cannot run git rev-list: %s", strerror(errno));
	}
	return 0;
}

int hook_commit_parse(hook_commit *c, char *rec, size_t len)
{
	char *p = rec, *end = rec + len, *nl, *sp;

	/* "HEX TIME\nNAME <EMAIL>\nMESSAGE"; git ends each record with a
	 * newline, which leads the next one */
	if (p < end && *p == '\n')
		p++;
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
	    (sp = memchr(p, ' ', (size_t)(nl - p))) == NULL ||
	    sp - p != GIT_OID_HEXSZ)
		return -1;
	memcpy(c->hex, p, GIT_OID_HEXSZ);
	c->hex[GIT_OID_HEXSZ] = '\0';
	if (git_oid_fromstr(&c->id, c->hex) < 0)
		return -1;
	c->time = strtoll(sp + 1, NULL, 10);
	p = nl + 1;
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return -1;
	*nl = '\0';
	c->author = p;
	c->message = p = nl + 1;
	c->message_len = (size_t)(end - p);
	c->subject = p;
	while (p < end && *p != '\n')
		p++;
	c->subject_len = (size_t)(p - c->subject);
	return 0;
}

int hook_rev_list_next(hook_rev_list *rl, hook_commit *c)
{
	ssize_t n;

	if (rl->out == NULL ||
	    (n = getdelim(&rl->buf, &rl->cap, '\0', rl->out)) <= 0)
		return 0;
	if (n == 1 && rl->buf[0] == '\n')
		return 0; /* the newline after the last record */
	if (rl->buf[n - 1] != '\0')
		return rev_list_error("git rev-list ended in the middle of a commit");
	if (hook_commit_parse(c, rl->buf, (size_t)n - 1) < 0)
		return rev_list_error("git rev-list printed a record closeloop cannot read");
	return 1;
}

int hook_rev_list_finish(hook_rev_list *rl)
{
	int status = 0;

	if (rl->out)
		fclose(rl->out);
	rl->out = NULL;
	free(rl->buf);
	rl->buf = NULL;
	rl->cap = 0;
	if (rl->pid <= 0)
		return 0;
	if (waitpid(rl->pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		rl->pid = -1;
		return rev_list_error("git rev-list failed (exit status %d)",
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	rl->pid = -1;
	return 0;
}
