/*
 * config.c: layered configuration. Each file is parsed by libgit2, so the
 * syntax is exactly git's; closeloop then checks every key against the
 * option table (options.c) and keeps the parsed values, the file and the
 * line each came from, and a list of diagnostics for `closeloop doctor`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>

#include "internal.h"
#include "options.h"

#ifndef CL_SYSCONFDIR
#define CL_SYSCONFDIR "/etc"
#endif

typedef struct {
	const cl_option *opt;
	char *sub;             /* subsection ("support"), NULL for plain sections */
	cl_config_level level; /* 0 for a default */
	char *file;
	int line;
	cl_value value;
} cl_entry;

typedef struct {
	cl_diag pub;
	char *file, *key, *message;
} cl_diag_own;

typedef struct {
	char *name;
	char *file; /* where the section was first seen */
} cl_tracker_sec;

struct cl_config {
	cl_entry *entries;
	size_t nentries, entries_cap;
	cl_diag_own *diags;
	size_t ndiags, diags_cap;
	cl_tracker_sec *trackers;
	size_t ntrackers, trackers_cap;
};

/* Growing arrays */

static int grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = cl__realloc(*ptr, n * elem);
	if (p == NULL)
		return CL_ENOMEM;
	*ptr = p;
	*cap = n;
	return 0;
}

/* Diagnostics */

static int add_diag(cl_config *cfg, cl_diag_severity sev, const char *file,
	int line, const char *key, const char *message)
{
	cl_diag_own *d;

	if (grow((void **)&cfg->diags, &cfg->diags_cap, cfg->ndiags + 1,
		 sizeof(*cfg->diags)) < 0)
		return CL_ENOMEM;
	d = &cfg->diags[cfg->ndiags];
	memset(d, 0, sizeof(*d));
	d->file = file ? cl__strdup(file) : NULL;
	d->key = key ? cl__strdup(key) : NULL;
	d->message = cl__strdup(message);
	if ((file && !d->file) || (key && !d->key) || !d->message) {
		free(d->file);
		free(d->key);
		free(d->message);
		return CL_ENOMEM;
	}
	d->pub.severity = sev;
	d->pub.file = d->file;
	d->pub.line = line;
	d->pub.key = d->key;
	d->pub.message = d->message;
	cfg->ndiags++;
	return 0;
}

size_t cl_config_diag_count(const cl_config *cfg)
{
	return cfg ? cfg->ndiags : 0;
}

const cl_diag *cl_config_diag(const cl_config *cfg, size_t i)
{
	return (cfg && i < cfg->ndiags) ? &cfg->diags[i].pub : NULL;
}

size_t cl_config_error_count(const cl_config *cfg)
{
	size_t i, n = 0;

	for (i = 0; cfg && i < cfg->ndiags; i++)
		n += cfg->diags[i].pub.severity == CL_DIAG_ERROR;
	return n;
}

/* Entries */

static int sub_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static cl_entry *find_entry(const cl_config *cfg, const cl_option *opt,
	const char *sub)
{
	size_t i;

	for (i = 0; i < cfg->nentries; i++) {
		cl_entry *e = &cfg->entries[i];

		if (e->opt == opt && sub_equal(e->sub, sub))
			return e;
	}
	return NULL;
}

static void entry_clear(cl_entry *e)
{
	free(e->sub);
	free(e->file);
	cl__value_clear(&e->value);
}

/*
 * Store a parsed value. A higher level replaces a lower one; at the same
 * level a list grows (git's multivars) and anything else is replaced, as
 * git's last-one-wins reading does.
 */
static int set_entry(cl_config *cfg, const cl_option *opt, const char *sub,
	cl_config_level level, const char *file, int line, const char *text)
{
	cl_entry *e = find_entry(cfg, opt, sub);
	int is_list = opt->type == CL_OPT_WORDS || opt->type == CL_OPT_NAMES;
	cl_value v;
	int error;

	if (e != NULL && e->level > level)
		return 0;
	memset(&v, 0, sizeof(v));
	if (e != NULL && e->level == level && is_list && level != 0) {
		/* parse into the existing list */
		return cl__option_parse(&e->value, opt, text);
	}
	if ((error = cl__option_parse(&v, opt, text)) < 0) {
		cl__value_clear(&v);
		return error;
	}
	if (e == NULL) {
		if (grow((void **)&cfg->entries, &cfg->entries_cap,
			 cfg->nentries + 1, sizeof(*cfg->entries)) < 0) {
			cl__value_clear(&v);
			return CL_ENOMEM;
		}
		e = &cfg->entries[cfg->nentries++];
		memset(e, 0, sizeof(*e));
		e->opt = opt;
		if (sub && (e->sub = cl__strdup(sub)) == NULL)
			goto nomem;
	} else {
		free(e->file);
		e->file = NULL;
		cl__value_clear(&e->value);
	}
	e->level = level;
	e->line = line;
	e->value = v;
	if (file && (e->file = cl__strdup(file)) == NULL)
		return CL_ENOMEM;
	return 0;
nomem:
	cl__value_clear(&v);
	return CL_ENOMEM;
}

static int set_defaults(cl_config *cfg, cl_section section, const char *sub)
{
	size_t i;
	int error;

	for (i = 0; i < cl__options_count; i++) {
		const cl_option *opt = &cl__options[i];
		const char *def = opt->def;

		if (opt->section != section || def == NULL)
			continue;
		/* The one rule that starts disabled. */
		if (section == CL_SECTION_RULE && sub &&
		    strcmp(sub, "association") == 0 &&
		    strcmp(opt->name, "enabled") == 0)
			def = "false";
		if ((error = set_entry(cfg, opt, sub, 0, NULL, 0, def)) < 0)
			return error;
	}
	return 0;
}

int cl_config_new(cl_config **out)
{
	cl_config *cfg;
	int r;

	*out = NULL;
	if ((cfg = cl__calloc(1, sizeof(*cfg))) == NULL)
		return CL_ENOMEM;
	if (set_defaults(cfg, CL_SECTION_CLOSELOOP, NULL) < 0 ||
	    set_defaults(cfg, CL_SECTION_REMIND, NULL) < 0 ||
	    set_defaults(cfg, CL_SECTION_RECEIVER, NULL) < 0)
		goto fail;
	for (r = 0; r < CL_RULE__COUNT; r++)
		if (set_defaults(cfg, CL_SECTION_RULE, cl_rule_name(r)) < 0)
			goto fail;
	git_libgit2_init();
	*out = cfg;
	return 0;
fail:
	cl_config_free(cfg);
	git_libgit2_init(); /* balanced by the shutdown in free */
	return CL_ENOMEM;
}

void cl_config_free(cl_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nentries; i++)
		entry_clear(&cfg->entries[i]);
	for (i = 0; i < cfg->ndiags; i++) {
		free(cfg->diags[i].file);
		free(cfg->diags[i].key);
		free(cfg->diags[i].message);
	}
	for (i = 0; i < cfg->ntrackers; i++) {
		free(cfg->trackers[i].name);
		free(cfg->trackers[i].file);
	}
	free(cfg->entries);
	free(cfg->diags);
	free(cfg->trackers);
	free(cfg);
	git_libgit2_shutdown();
}

static int add_tracker(cl_config *cfg, const char *name, const char *file)
{
	cl_tracker_sec *t;
	size_t i;

	for (i = 0; i < cfg->ntrackers; i++)
		if (strcmp(cfg->trackers[i].name, name) == 0)
			return 0;
	if (grow((void **)&cfg->trackers, &cfg->trackers_cap,
		 cfg->ntrackers + 1, sizeof(*cfg->trackers)) < 0)
		return CL_ENOMEM;
	t = &cfg->trackers[cfg->ntrackers];
	t->name = cl__strdup(name);
	t->file = file ? cl__strdup(file) : NULL;
	if (t->name == NULL || (file && t->file == NULL)) {
		free(t->name);
		free(t->file);
		return CL_ENOMEM;
	}
	cfg->ntrackers++;
	return set_defaults(cfg, CL_SECTION_TRACKER, name);
}

size_t cl_config_tracker_count(const cl_config *cfg)
{
	return cfg ? cfg->ntrackers : 0;
}

const char *cl_config_tracker_name(const cl_config *cfg, size_t i)
{
	return (cfg && i < cfg->ntrackers) ? cfg->trackers[i].name : NULL;
}

/* Finding the line of a key */

/*
 * libgit2 gives no line for an entry, so for messages about a key find it
 * ourselves: the last line that sets it in its section (the one git uses).
 */
static int read_ident(const char **p, char *buf, size_t len, const char *stop)
{
	size_t n = 0;

	while (**p && !strchr(stop, **p)) {
		if (n + 1 < len)
			buf[n++] = **p;
		(*p)++;
	}
	buf[n] = '\0';
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	return (int)n;
}

static void parse_header(const char *p, char *sec, char *sub, size_t len)
{
	p++; /* '[' */
	while (*p == ' ' || *p == '\t')
		p++;
	read_ident(&p, sec, len, " \t\".]");
	sub[0] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '"') {
		p++;
		read_ident(&p, sub, len, "\"");
	} else if (*p == '.') {
		p++;
		read_ident(&p, sub, len, "]");
	}
}

static int locate_line(const char *path, const char *section, const char *sub,
	const char *key)
{
	char line[4096], sec[256] = "", cur_sub[256] = "", name[256];
	FILE *f = fopen(path, "r");
	int n = 0, found = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = line;

		n++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[') {
			parse_header(p, sec, cur_sub, sizeof(sec));
			continue;
		}
		read_ident(&p, name, sizeof(name), " \t=\r\n;#");
		if (name[0] && cl__strcasecmp(sec, section) == 0 &&
		    strcmp(cur_sub, sub ? sub : "") == 0 &&
		    cl__strcasecmp(name, key) == 0)
			found = n;
	}
	fclose(f);
	return found;
}

/* Reading one file */

typedef struct {
	cl_config *cfg;
	const char *path;
	cl_config_level level;
	int errors;
} add_ctx;

/* Split "section.sub.key": the subsection itself may hold dots. */
static int split_key(char *name, char **section, char **sub, char **key)
{
	char *first = strchr(name, '.');
	char *last = strrchr(name, '.');

	if (first == NULL)
		return -1;
	*first = '\0';
	*section = name;
	*key = last + 1;
	if (last == first) {
		*sub = NULL;
	} else {
		*last = '\0';
		*sub = first + 1;
	}
	return 0;
}

static int key_diag(add_ctx *ctx, cl_diag_severity sev, const char *section,
	const char *sub, const char *key, const char *full, const char *message)
{
	int line = locate_line(ctx->path, section, sub, key);

	if (sev == CL_DIAG_ERROR)
		ctx->errors++;
	return add_diag(ctx->cfg, sev, ctx->path, line, full, message);
}

static int take_entry(add_ctx *ctx, const char *full, const char *value)
{
	char *name = cl__strdup(full), *section, *sub, *key;
	const cl_option *opt;
	cl_section sec;
	cl_rule rule;
	char msg[512];
	int error = 0;

	if (name == NULL)
		return CL_ENOMEM;
	if (split_key(name, &section, &sub, &key) < 0)
		goto out;
	/* includes are libgit2's business; a repository config holds much
	 * more than closeloop's section, which is all we read there */
	if (cl__strcasecmp(section, "include") == 0 ||
	    cl__strcasecmp(section, "includeif") == 0)
		goto out;
	if (ctx->level == CL_CONFIG_LEVEL_REPO &&
	    cl__strcasecmp(section, "closeloop") != 0)
		goto out;
	if (cl__section_from_name(&sec, section) < 0) {
		snprintf(msg, sizeof(msg), "unknown section '%s'", section);
		error = key_diag(ctx, CL_DIAG_ERROR, section, sub, key, full, msg);
		goto out;
	}
	if (cl__section_has_sub(sec) != (sub != NULL)) {
		snprintf(msg, sizeof(msg), sub ?
			"section [%s] takes no subsection" :
			"section [%s] needs a name, as [%s \"NAME\"]",
			section, section);
		error = key_diag(ctx, CL_DIAG_ERROR, section, sub, key, full, msg);
		goto out;
	}
	if (sec == CL_SECTION_RULE && cl_rule_from_name(&rule, sub) < 0) {
		snprintf(msg, sizeof(msg),
			"unknown rule '%s': rules are ticket-exists, owner-required, "
			"reply-before-close, handoff-ack, reply-due, association", sub);
		error = key_diag(ctx, CL_DIAG_ERROR, section, sub, key, full, msg);
		goto out;
	}
	if ((opt = cl__option_find(sec, key)) == NULL) {
		snprintf(msg, sizeof(msg), "unknown key '%s' in [%s]", key, section);
		error = key_diag(ctx, CL_DIAG_ERROR, section, sub, key, full, msg);
		goto out;
	}
	if (sec == CL_SECTION_TRACKER &&
	    (error = add_tracker(ctx->cfg, sub, ctx->path)) < 0)
		goto out;
	error = set_entry(ctx->cfg, opt, sub, ctx->level, ctx->path,
		locate_line(ctx->path, section, sub, key), value);
	if (error == CL_EINVALID) {
		/* name the key as documented, not git's lower-cased form */
		if (sub)
			snprintf(msg, sizeof(msg), "%s.%s.%s", section, sub,
				opt->name);
		else
			snprintf(msg, sizeof(msg), "%s.%s", section, opt->name);
		error = key_diag(ctx, CL_DIAG_ERROR, section, sub, key, msg,
			cl_error_last()->message);
	}
out:
	free(name);
	return error;
}

static int foreach_cb(const git_config_entry *entry, void *payload)
{
	add_ctx *ctx = payload;

	return take_entry(ctx, entry->name, entry->value) == CL_ENOMEM ? -1 : 0;
}

/* "failed to parse config file: ... (in PATH:LINE)" -> LINE */
static int line_from_git_message(const char *msg)
{
	const char *end = strrchr(msg, ')');
	const char *p;

	if (end == NULL)
		return 0;
	p = end;
	while (p > msg && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == end || p == msg || p[-1] != ':')
		return 0;
	return atoi(p);
}

static int add_git_config(cl_config *cfg, git_config *gc, const char *path,
	cl_config_level level)
{
	add_ctx ctx = { cfg, path, level, 0 };

	if (git_config_foreach(gc, foreach_cb, &ctx) < 0)
		return CL_ENOMEM;
	return ctx.errors ? CL_ECONFIG : 0;
}

int cl_config_add_file(cl_config *cfg, const char *path,
	cl_config_level level, int optional)
{
	git_config *gc = NULL;
	struct stat st;
	int error;

	if (stat(path, &st) < 0) {
		char msg[512];

		if (optional && errno == ENOENT)
			return 0;
		snprintf(msg, sizeof(msg), "cannot read configuration: %s",
			strerror(errno));
		if (add_diag(cfg, CL_DIAG_ERROR, path, 0, NULL, msg) < 0)
			return CL_ENOMEM;
		return cl__error(CL_ECONFIG, "%s: %s", path, msg);
	}
	if (git_config_new(&gc) < 0 ||
	    git_config_add_file_ondisk(gc, path, GIT_CONFIG_LEVEL_APP, NULL, 0) < 0) {
		const git_error *ge = git_error_last();
		const char *m = ge ? ge->message : "cannot parse";
		int line = line_from_git_message(m);

		git_config_free(gc);
		if (add_diag(cfg, CL_DIAG_ERROR, path, line, NULL, m) < 0)
			return CL_ENOMEM;
		return cl__error(CL_ECONFIG, "%s", m);
	}
	error = add_git_config(cfg, gc, path, level);
	git_config_free(gc);
	return error;
}

int cl_config_add_repository(cl_config *cfg, const char *repo_path)
{
	git_repository *repo = NULL;
	git_config *gc = NULL;
	int error;

	if (git_repository_open_ext(&repo, repo_path,
		    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		const git_error *ge = git_error_last();

		return cl__error(CL_ECONFIG, "cannot open repository %s: %s",
			repo_path, ge ? ge->message : "unknown error");
	}
	if (git_repository_config_snapshot(&gc, repo) < 0) {
		const git_error *ge = git_error_last();

		git_repository_free(repo);
		return cl__error(CL_ECONFIG, "cannot read the config of %s: %s",
			repo_path, ge ? ge->message : "unknown error");
	}
	error = add_git_config(cfg, gc, git_repository_path(repo),
		CL_CONFIG_LEVEL_REPO);
	git_config_free(gc);
	git_repository_free(repo);
	return error;
}

/* Getters */

static int lookup(const cl_entry **out, const cl_config *cfg, const char *key)
{
	char *name, *section, *sub, *k;
	const cl_option *opt;
	cl_section sec;
	int error = 0;

	*out = NULL;
	if (cfg == NULL || key == NULL)
		return cl__error(CL_EINVALID, "no configuration or key");
	if ((name = cl__strdup(key)) == NULL)
		return CL_ENOMEM;
	if (split_key(name, &section, &sub, &k) < 0 ||
	    cl__section_from_name(&sec, section) < 0 ||
	    cl__section_has_sub(sec) != (sub != NULL) ||
	    (opt = cl__option_find(sec, k)) == NULL) {
		error = cl__error(CL_EINVALID, "unknown configuration key '%s'",
			key);
		goto out;
	}
	*out = find_entry(cfg, opt, sub);
	if (*out == NULL)
		error = cl__error(CL_ENOTFOUND, "'%s' is not set", key);
out:
	free(name);
	return error;
}

static int typed(const cl_entry **out, const cl_config *cfg, const char *key,
	int (*ok)(cl_opt_type))
{
	int error = lookup(out, cfg, key);

	if (error < 0)
		return error;
	if (!ok((*out)->opt->type))
		return cl__error(CL_EINVALID, "'%s' is not of that type", key);
	return 0;
}

static int is_string(cl_opt_type t)
{
	return t != CL_OPT_WORDS && t != CL_OPT_NAMES;
}
static int is_bool(cl_opt_type t) { return t == CL_OPT_BOOL; }
static int is_int(cl_opt_type t) { return t == CL_OPT_INT || t == CL_OPT_SIZE; }
static int is_duration(cl_opt_type t) { return t == CL_OPT_DURATION; }
static int is_list(cl_opt_type t) { return !is_string(t); }

int cl_config_get_string(const char **out, const cl_config *cfg,
	const char *key)
{
	const cl_entry *e;
	int error = typed(&e, cfg, key, is_string);

	*out = error ? NULL : e->value.text;
	return error;
}

int cl_config_get_bool(int *out, const cl_config *cfg, const char *key)
{
	const cl_entry *e;
	int error = typed(&e, cfg, key, is_bool);

	if (error == 0)
		*out = (int)e->value.num;
	return error;
}

int cl_config_get_int(int64_t *out, const cl_config *cfg, const char *key)
{
	const cl_entry *e;
	int error = typed(&e, cfg, key, is_int);

	if (error == 0)
		*out = e->value.num;
	return error;
}

int cl_config_get_duration(int64_t *out, const cl_config *cfg,
	const char *key)
{
	const cl_entry *e;
	int error = typed(&e, cfg, key, is_duration);

	if (error == 0)
		*out = e->value.num;
	return error;
}

int cl_config_get_list(const char *const **out, size_t *count,
	const cl_config *cfg, const char *key)
{
	const cl_entry *e;
	int error = typed(&e, cfg, key, is_list);

	if (error == 0) {
		*out = (const char *const *)e->value.list;
		*count = e->value.count;
	}
	return error;
}

/* The rules' view */

int cl_config_policy(cl_policy *out, const cl_config *cfg)
{
	const char *global_text;
	cl_mode global, rule_mode;
	const cl_entry *e;
	char key[64];
	int64_t n;
	int r, enabled;

	cl_policy_init(out);
	if (cl_config_get_string(&global_text, cfg, "closeloop.mode") < 0 ||
	    cl_mode_from_name(&global, global_text) < 0)
		return cl__error(CL_ECONFIG, "closeloop.mode is unusable");
	for (r = 0; r < CL_RULE__COUNT; r++) {
		const char *m;

		snprintf(key, sizeof(key), "rule.%s.enabled", cl_rule_name(r));
		if (cl_config_get_bool(&enabled, cfg, key) < 0)
			return CL_ECONFIG;
		snprintf(key, sizeof(key), "rule.%s.mode", cl_rule_name(r));
		if (cl_config_get_string(&m, cfg, key) < 0 ||
		    cl_mode_from_name(&rule_mode, m) < 0)
			return CL_ECONFIG;
		out->mode[r] = cl_policy_combine(global, enabled, rule_mode);
	}
	cl_config_get_duration(&out->reply_after, cfg, "remind.replyAfter");
	cl_config_get_duration(&out->unowned_after, cfg, "remind.unownedAfter");
	cl_config_get_duration(&out->handoff_after, cfg, "remind.handoffAfter");
	cl_config_get_duration(&out->repeat, cfg, "remind.repeat");
	if (cl_config_get_int(&n, cfg, "remind.escalateAfter") == 0)
		out->escalate_after = n > 1000000 ? 1000000 : (int)n;
	if (lookup(&e, cfg, "remind.quietHours") == 0) {
		out->quiet_start = e->value.range[0];
		out->quiet_end = e->value.range[1];
	}
	cl_error_clear();
	return 0;
}

/* Validation of the whole */

static int entry_diag(cl_config *cfg, cl_diag_severity sev, const cl_entry *e,
	const char *key, const char *message)
{
	return add_diag(cfg, sev, e ? e->file : NULL, e ? e->line : 0, key,
		message);
}

static int is_loopback_url(const char *url)
{
	const char *host = strstr(url, "://");

	host = host ? host + 3 : url;
	return strncmp(host, "127.", 4) == 0 ||
		strncmp(host, "localhost", 9) == 0 ||
		strncmp(host, "[::1]", 5) == 0;
}

static int check_secret(cl_config *cfg, const cl_entry *e, const char *key)
{
	char msg[600];
	char *secret = NULL;
	int loose = 0;

	if (cl_secret_read(&secret, &loose, e->value.text) < 0) {
		snprintf(msg, sizeof(msg), "%s", cl_error_last()->message);
		return entry_diag(cfg, CL_DIAG_ERROR, e, key, msg);
	}
	cl_secret_free(secret);
	if (loose) {
		snprintf(msg, sizeof(msg),
			"secret file %s is readable by others; run chmod 600 %s",
			e->value.text, e->value.text);
		return entry_diag(cfg, CL_DIAG_WARNING, e, key, msg);
	}
	return 0;
}

static void entry_key(char *buf, size_t len, const cl_entry *e)
{
	if (e->sub)
		snprintf(buf, len, "%s.%s.%s", cl__section_name(e->opt->section),
			e->sub, e->opt->name);
	else
		snprintf(buf, len, "%s.%s", cl__section_name(e->opt->section),
			e->opt->name);
}

static int check_tracker(cl_config *cfg, const cl_tracker_sec *t)
{
	char key[300], msg[400];
	size_t i;
	int error;

	for (i = 0; i < cl__options_count; i++) {
		const cl_option *opt = &cl__options[i];
		const cl_entry *e;

		if (opt->section != CL_SECTION_TRACKER)
			continue;
		e = find_entry(cfg, opt, t->name);
		snprintf(key, sizeof(key), "tracker.%s.%s", t->name, opt->name);
		if ((opt->flags & CL_OPT_REQUIRED) && e == NULL) {
			snprintf(msg, sizeof(msg),
				"missing required key '%s' in [tracker \"%s\"]",
				opt->name, t->name);
			if ((error = add_diag(cfg, CL_DIAG_ERROR, t->file, 0,
				     key, msg)) < 0)
				return error;
		}
		if (e && opt->type == CL_OPT_URL &&
		    !is_loopback_url(e->value.text) &&
		    strncmp(e->value.text, "http://", 7) == 0) {
			if ((error = entry_diag(cfg, CL_DIAG_WARNING, e, key,
				     "plain http to a remote host sends the token in clear; use https")) < 0)
				return error;
		}
	}
	return 0;
}

static int check_tracker_choice(cl_config *cfg)
{
	const cl_entry *e = NULL;
	const char *name = NULL;
	char msg[400];
	size_t i;

	lookup(&e, cfg, "closeloop.tracker");
	if (e != NULL) {
		name = e->value.text;
		for (i = 0; i < cfg->ntrackers; i++)
			if (strcmp(cfg->trackers[i].name, name) == 0)
				return 0;
		snprintf(msg, sizeof(msg),
			"closeloop.tracker names '%s', but there is no [tracker \"%s\"] section",
			name, name);
		return entry_diag(cfg, CL_DIAG_ERROR, e, "closeloop.tracker", msg);
	}
	/* after a file failed to parse, its sections are simply missing */
	if (cfg->ntrackers == 0 && cl_config_error_count(cfg) == 0)
		return add_diag(cfg, CL_DIAG_WARNING, NULL, 0, NULL,
			"no [tracker \"NAME\"] section: pushes are not checked against any tracker");
	if (cfg->ntrackers > 1)
		return add_diag(cfg, CL_DIAG_WARNING, NULL, 0, "closeloop.tracker",
			"several trackers and closeloop.tracker unset: each repository must set it (git config closeloop.tracker NAME)");
	return 0;
}

int cl_config_validate(cl_config *cfg)
{
	char key[300];
	size_t i;
	int error;

	for (i = 0; i < cfg->ntrackers; i++)
		if ((error = check_tracker(cfg, &cfg->trackers[i])) < 0)
			return error;
	if ((error = check_tracker_choice(cfg)) < 0)
		return error;
	for (i = 0; i < cfg->nentries; i++) {
		const cl_entry *e = &cfg->entries[i];

		if (e->opt->type != CL_OPT_SECRET || e->level == 0)
			continue;
		entry_key(key, sizeof(key), e);
		if ((error = check_secret(cfg, e, key)) < 0)
			return error;
	}
	cl_error_clear();
	if (cl_config_error_count(cfg) > 0)
		return cl__error(CL_ECONFIG, "the configuration has %zu error(s)",
			cl_config_error_count(cfg));
	return 0;
}

const char *cl_config_system_path(void)
{
	const char *env = getenv("CLOSELOOP_SYSTEM_CONFIG");

	/* an override for tests and unusual layouts; empty means none */
	if (env != NULL)
		return env;
	return CL_SYSCONFDIR "/closeloop/closeloop.conf";
}

int cl_config_load(cl_config **out, const char *path, const char *repo_path)
{
	const char *sys = cl_config_system_path();
	const char *env = getenv("CLOSELOOP_CONFIG");
	cl_config *cfg;
	int error, failed = 0;

	*out = NULL;
	if ((error = cl_config_new(&cfg)) < 0)
		return error;
	if (*sys && (error = cl_config_add_file(cfg, sys,
			     CL_CONFIG_LEVEL_SYSTEM, 1)) < 0)
		failed |= error != CL_ECONFIG;
	if (env && *env && (error = cl_config_add_file(cfg, env,
				    CL_CONFIG_LEVEL_ENV, 0)) < 0)
		failed |= error != CL_ECONFIG;
	if (path && (error = cl_config_add_file(cfg, path,
			     CL_CONFIG_LEVEL_FILE, 0)) < 0)
		failed |= error != CL_ECONFIG;
	if (repo_path && (error = cl_config_add_repository(cfg, repo_path)) < 0) {
		if (error == CL_ECONFIG && cl_config_error_count(cfg) == 0)
			add_diag(cfg, CL_DIAG_ERROR, repo_path, 0, NULL,
				cl_error_last()->message);
		failed |= error != CL_ECONFIG;
	}
	if (failed) {
		cl_config_free(cfg);
		return CL_ENOMEM;
	}
	error = cl_config_validate(cfg);
	*out = cfg;
	return error;
}
