/*
 * test_config.c: configuration files through libgit2, layering, typed
 * getters, and the diagnostics doctor prints (file, line, key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"
#include "internal.h"
#include "options.h"

static char tmpdir[] = "/tmp/cl-config-XXXXXX";
static char path_buf[512];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/cl-config-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	unsetenv("CLOSELOOP_CONFIG");
	setenv("CLOSELOOP_SYSTEM_CONFIG", "", 1);
}

static void teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *write_file(const char *name, const char *text, int mode)
{
	FILE *f;

	snprintf(path_buf, sizeof(path_buf), "%s/%s", tmpdir, name);
	f = fopen(path_buf, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path_buf, (mode_t)mode);
	return path_buf;
}

/* The diagnostic whose message contains needle, or NULL. */
static const cl_diag *find_diag(const cl_config *cfg, const char *needle)
{
	size_t i;

	for (i = 0; i < cl_config_diag_count(cfg); i++) {
		const cl_diag *d = cl_config_diag(cfg, i);

		if (strstr(d->message, needle))
			return d;
	}
	return NULL;
}

static cl_config *load_text(const char *text, int expect)
{
	cl_config *cfg = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s", write_file("c.conf", text, 0644));
	ck_assert_int_eq(cl_config_load(&cfg, path, NULL), expect);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

START_TEST(defaults)
{
	cl_config *cfg;
	const char *s;
	const char *const *list;
	size_t n;
	int64_t v;
	int b;

	ck_assert_int_eq(cl_config_new(&cfg), 0);
	ck_assert_int_eq(cl_config_get_string(&s, cfg, "closeloop.mode"), 0);
	ck_assert_str_eq(s, "enforce");
	ck_assert_int_eq(cl_config_get_duration(&v, cfg, "closeloop.hookTimeout"), 0);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(cl_config_get_duration(&v, cfg, "remind.replyAfter"), 0);
	ck_assert_int_eq(v, 4 * 3600);
	ck_assert_int_eq(cl_config_get_list(&list, &n, cfg, "closeloop.protectedBranches"), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0], "refs/heads/*");
	ck_assert_ptr_null(list[1]);
	ck_assert_int_eq(cl_config_get_list(&list, &n, cfg, "closeloop.overrideUsers"), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(list[0]);
	ck_assert_int_eq(cl_config_get_bool(&b, cfg, "rule.association.enabled"), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(cl_config_get_bool(&b, cfg, "rule.reply-before-close.enabled"), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(cl_config_get_string(&s, cfg, "closeloop.tracker"), CL_ENOTFOUND);
	ck_assert_int_eq(cl_config_get_string(&s, cfg, "closeloop.nope"), CL_EINVALID);
	ck_assert_int_eq(cl_config_get_bool(&b, cfg, "closeloop.mode"), CL_EINVALID);
	cl_config_free(cfg);
}
END_TEST

START_TEST(full_example)
{
	const char *text =
		"[closeloop]\n"
		"\tstore = /tmp/ledger.db      ; comment\n"
		"\ttracker = support\n"
		"\tmode = warn\n"
		"\tprotectedBranches = refs/heads/main refs/heads/release/*\n"
		"\tonTrackerError = reject\n"
		"\thookTimeout = 3s\n"
		"\toverrideUsers = alice, bob\n"
		"[tracker \"support\"]\n"
		"\ttype = redmine\n"
		"\turl = http://127.0.0.1:3000\n"
		"\tproject = support\n"
		"\treplyField = Customer reply\n"
		"\treopenStatus = In Progress\n"
		"\tresolvedStatuses = Resolved, Ready for test\n"
		"[rule \"association\"]\n"
		"\tenabled\n"
		"[remind]\n"
		"\treplyAfter = 1d2h\n"
		"\tquietHours = 18:00-08:00\n"
		"\tescalateTo = lead\n"
		"[receiver]\n"
		"\tlisten = 127.0.0.1:9000\n"
		"\tmaxBodySize = 1M\n";
	cl_config *cfg = load_text(text, 0);
	const char *s;
	const char *const *list;
	size_t n;
	int64_t v;
	int b;
	cl_policy p;

	ck_assert_int_eq(cl_config_get_string(&s, cfg, "closeloop.store"), 0);
	ck_assert_str_eq(s, "/tmp/ledger.db");
	ck_assert_int_eq(cl_config_get_string(&s, cfg, "closeloop.onTrackerError"), 0);
	ck_assert_str_eq(s, "reject");
	ck_assert_int_eq(cl_config_get_list(&list, &n, cfg, "closeloop.protectedBranches"), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[1], "refs/heads/release/*");
	ck_assert_int_eq(cl_config_get_list(&list, &n, cfg, "closeloop.overrideUsers"), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0], "alice");
	ck_assert_str_eq(list[1], "bob");
	ck_assert_int_eq(cl_config_get_list(&list, &n, cfg, "tracker.support.resolvedStatuses"), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[1], "Ready for test");
	ck_assert_int_eq(cl_config_get_string(&s, cfg, "TRACKER.support.URL"), 0);
	ck_assert_str_eq(s, "http://127.0.0.1:3000");
	/* the subsection is case-sensitive, as in git */
	ck_assert_int_eq(cl_config_get_string(&s, cfg, "tracker.Support.url"), CL_ENOTFOUND);
	ck_assert_int_eq(cl_config_get_duration(&v, cfg, "remind.replyAfter"), 0);
	ck_assert_int_eq(v, 26 * 3600);
	ck_assert_int_eq(cl_config_get_int(&v, cfg, "receiver.maxBodySize"), 0);
	ck_assert_int_eq(v, 1024 * 1024);
	ck_assert_int_eq(cl_config_get_bool(&b, cfg, "rule.association.enabled"), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_uint_eq(cl_config_tracker_count(cfg), 1);
	ck_assert_str_eq(cl_config_tracker_name(cfg, 0), "support");
	ck_assert_ptr_null(cl_config_tracker_name(cfg, 1));

	ck_assert_int_eq(cl_config_policy(&p, cfg), 0);
	ck_assert_int_eq(p.mode[CL_RULE_ASSOCIATION], CL_MODE_WARN);
	ck_assert_int_eq(p.mode[CL_RULE_REPLY_BEFORE_CLOSE], CL_MODE_WARN);
	ck_assert_int_eq(p.reply_after, 26 * 3600);
	ck_assert_int_eq(p.quiet_start, 18 * 60);
	ck_assert_int_eq(p.quiet_end, 8 * 60);
	cl_config_free(cfg);
}
END_TEST

START_TEST(policy_modes)
{
	cl_config *cfg = load_text(
		"[rule \"owner-required\"]\n\tmode = warn\n"
		"[rule \"reply-due\"]\n\tenabled = false\n", 0);
	cl_policy p;

	ck_assert_int_eq(cl_config_policy(&p, cfg), 0);
	ck_assert_int_eq(p.mode[CL_RULE_OWNER_REQUIRED], CL_MODE_WARN);
	ck_assert_int_eq(p.mode[CL_RULE_REPLY_DUE], CL_MODE_OFF);
	ck_assert_int_eq(p.mode[CL_RULE_TICKET_EXISTS], CL_MODE_ENFORCE);
	ck_assert_int_eq(p.mode[CL_RULE_ASSOCIATION], CL_MODE_OFF);
	ck_assert_int_eq(p.quiet_start, -1);
	cl_config_free(cfg);

	cfg = load_text("[closeloop]\n\tmode = off\n", 0);
	ck_assert_int_eq(cl_config_policy(&p, cfg), 0);
	ck_assert_int_eq(p.mode[CL_RULE_TICKET_EXISTS], CL_MODE_OFF);
	cl_config_free(cfg);
}
END_TEST

/* Each bad file: the expected message fragment, line and key. */
static const struct {
	const char *text;
	const char *message;
	int line;
	const char *key;
} bad[] = {
	{ "[closeloop]\n\tstore = x\n\tstroe = y\n", "unknown key 'stroe'", 3,
	  "closeloop.stroe" },
	{ "[closeloop]\n\thookTimeout = 5x\n", "bad duration '5x'", 2,
	  "closeloop.hookTimeout" },
	{ "[closeloop]\n\thookTimeout = 30\n", "bad duration '30'", 2,
	  "closeloop.hookTimeout" },
	{ "[closeloop]\n\tmode = strict\n", "use one of enforce|warn|off", 2,
	  "closeloop.mode" },
	{ "[closeloop]\n\n\tonTrackerError = maybe\n", "use one of allow|reject",
	  3, "closeloop.onTrackerError" },
	{ "[remind]\n\tquietHours = 6pm-8am\n", "bad time range", 2,
	  "remind.quietHours" },
	{ "[remind]\n\tescalateAfter = -1\n", "bad number", 2,
	  "remind.escalateAfter" },
	{ "[rule \"association\"]\n\tenabled = maybe\n", "bad boolean 'maybe'",
	  2, "rule.association.enabled" },
	{ "[rule \"no-such-rule\"]\n\tenabled = true\n", "unknown rule 'no-such-rule'",
	  2, "rule.no-such-rule.enabled" },
	{ "[trackers \"x\"]\n\ttype = redmine\n", "unknown section 'trackers'", 2,
	  "trackers.x.type" },
	{ "[tracker]\n\ttype = redmine\n", "needs a name", 2, "tracker.type" },
	{ "[remind \"x\"]\n\trepeat = 1h\n", "takes no subsection", 2,
	  "remind.x.repeat" },
	{ "[tracker \"t\"]\n\ttype = bugzilla\n\turl = http://127.0.0.1\n\tproject = p\n",
	  "use one of redmine|gitea|github|gitlab|jira", 2, "tracker.t.type" },
	{ "[tracker \"t\"]\n\ttype = redmine\n\turl = ftp://x\n\tproject = p\n",
	  "bad URL 'ftp://x'", 3, "tracker.t.url" },
	{ "[tracker \"t\"]\n\ttype = redmine\n\turl = http://127.0.0.1\n",
	  "missing required key 'project'", 0, "tracker.t.project" },
	{ "[tracker \"t\"]\n\turl = http://127.0.0.1\n\tproject = p\n",
	  "missing required key 'type'", 0, "tracker.t.type" },
	{ "[receiver]\n\tlisten = 8088\n", "bad address '8088'", 2,
	  "receiver.listen" },
	{ "[receiver]\n\tlisten = 127.0.0.1:70000\n", "bad address", 2,
	  "receiver.listen" },
	{ "[receiver]\n\tmaxBodySize = 25Q\n", "bad size", 2,
	  "receiver.maxBodySize" },
	{ "[closeloop]\n\ttracker = nosuch\n", "no [tracker \"nosuch\"] section",
	  2, "closeloop.tracker" },
	{ "[closeloop]\n\tstore\n", "missing value", 2, "closeloop.store" },
	{ "[closeloop\n\tstore = x\n", "missing ']'", 1, NULL },
	{ "[closeloop]\n\tstore = x\n\tbad key = 1\n", "invalid configuration key", 3,
	  NULL },
	{ "[tracker \"t\"]\n\ttype = redmine\n\turl = http://127.0.0.1\n"
	  "\tproject = p\n\ttokenFile = /nonexistent/token\n",
	  "cannot read secret file /nonexistent/token", 5, "tracker.t.tokenFile" },
};

START_TEST(bad_files)
{
	cl_config *cfg = load_text(bad[_i].text, CL_ECONFIG);
	const cl_diag *d = find_diag(cfg, bad[_i].message);
	char where[512];

	if (d == NULL) {
		size_t i;

		for (i = 0; i < cl_config_diag_count(cfg); i++)
			fprintf(stderr, "diag: %s\n", cl_config_diag(cfg, i)->message);
	}
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->severity, CL_DIAG_ERROR);
	snprintf(where, sizeof(where), "%s/c.conf", tmpdir);
	ck_assert_str_eq(d->file, where);
	ck_assert_int_eq(d->line, bad[_i].line);
	if (bad[_i].key)
		ck_assert_str_eq(d->key, bad[_i].key);
	ck_assert_uint_ge(cl_config_error_count(cfg), 1);
	ck_assert_int_eq(cl_error_last()->code, CL_ECONFIG);
	cl_config_free(cfg);
}
END_TEST

START_TEST(every_problem_reported)
{
	/* doctor shows all problems at once, and valid keys still count */
	cl_config *cfg = load_text("[closeloop]\n\tmode = x\n\thookTimeout = y\n"
		"\tstore = /tmp/kept.db\n\tfoo = 1\n", CL_ECONFIG);
	const char *s;

	ck_assert_uint_eq(cl_config_error_count(cfg), 3);
	ck_assert_int_eq(cl_config_get_string(&s, cfg, "closeloop.store"), 0);
	ck_assert_str_eq(s, "/tmp/kept.db");
	cl_config_free(cfg);
}
END_TEST

START_TEST(layers)
{
	cl_config *cfg = NULL;
	char sys[512], env[512], file[512];
	const char *s;
	const char *const *list;
	size_t n;

	snprintf(sys, sizeof(sys), "%s", write_file("sys.conf",
		"[closeloop]\n\tmode = warn\n\tstore = /sys.db\n\ttracker = a\n"
		"\toverrideUsers = root\n"
		"[tracker \"a\"]\n\ttype = redmine\n\turl = http://127.0.0.1:1\n\tproject = a\n",
		0644));
	snprintf(env, sizeof(env), "%s", write_file("env.conf",
		"[closeloop]\n\tstore = /env.db\n", 0644));
	snprintf(file, sizeof(file), "%s", write_file("file.conf",
		"[closeloop]\n\toverrideUsers = alice\n\toverrideUsers = bob\n", 0644));
	setenv("CLOSELOOP_SYSTEM_CONFIG", sys, 1);
	setenv("CLOSELOOP_CONFIG", env, 1);
	ck_assert_int_eq(cl_config_load(&cfg, file, NULL), 0);
	ck_assert_int_eq(cl_config_get_string(&s, cfg, "closeloop.mode"), 0);
	ck_assert_str_eq(s, "warn");
	ck_assert_int_eq(cl_config_get_string(&s, cfg, "closeloop.store"), 0);
	ck_assert_str_eq(s, "/env.db");
	/* a later layer replaces a list; the same layer's lines add up */
	ck_assert_int_eq(cl_config_get_list(&list, &n, cfg, "closeloop.overrideUsers"), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0], "alice");
	ck_assert_str_eq(list[1], "bob");
	cl_config_free(cfg);

	/* CLOSELOOP_CONFIG naming a missing file is an error */
	setenv("CLOSELOOP_CONFIG", "/nonexistent/closeloop.conf", 1);
	ck_assert_int_eq(cl_config_load(&cfg, NULL, NULL), CL_ECONFIG);
	ck_assert_ptr_nonnull(find_diag(cfg, "cannot read configuration"));
	cl_config_free(cfg);
	unsetenv("CLOSELOOP_CONFIG");

	/* a missing system file is fine */
	setenv("CLOSELOOP_SYSTEM_CONFIG", "/nonexistent/sys.conf", 1);
	ck_assert_int_eq(cl_config_load(&cfg, NULL, NULL), 0);
	cl_config_free(cfg);
}
END_TEST

START_TEST(repository_layer)
{
	cl_config *cfg = NULL;
	char cmd[4096], repo[600];
	const char *s;

	snprintf(repo, sizeof(repo), "%s/repo.git", tmpdir);
	snprintf(cmd, sizeof(cmd),
		"git init -q --bare '%s' && git --git-dir='%s' config closeloop.tracker b"
		" && git --git-dir='%s' config core.bare true", repo, repo, repo);
	ck_assert_int_eq(system(cmd), 0);
	write_file("c.conf",
		"[closeloop]\n\ttracker = a\n"
		"[tracker \"a\"]\n\ttype = redmine\n\turl = http://127.0.0.1:1\n\tproject = a\n"
		"[tracker \"b\"]\n\ttype = gitea\n\turl = http://127.0.0.1:2\n\tproject = o/r\n",
		0644);
	snprintf(cmd, sizeof(cmd), "%s/c.conf", tmpdir);
	ck_assert_int_eq(cl_config_load(&cfg, cmd, repo), 0);
	ck_assert_int_eq(cl_config_get_string(&s, cfg, "closeloop.tracker"), 0);
	ck_assert_str_eq(s, "b");
	cl_config_free(cfg);

	/* an unknown closeloop.* key in the repository is named too */
	snprintf(cmd, sizeof(cmd), "git --git-dir='%s' config closeloop.trackr x", repo);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/c.conf", tmpdir);
	ck_assert_int_eq(cl_config_load(&cfg, cmd, repo), CL_ECONFIG);
	ck_assert_ptr_nonnull(find_diag(cfg, "unknown key 'trackr'"));
	cl_config_free(cfg);
}
END_TEST

START_TEST(secrets)
{
	char *secret = NULL;
	char path[512];
	int loose = -1;

	snprintf(path, sizeof(path), "%s", write_file("token", "  s3cret\n\n", 0600));
	ck_assert_int_eq(cl_secret_read(&secret, &loose, path), 0);
	ck_assert_str_eq(secret, "s3cret");
	ck_assert_int_eq(loose, 0);
	cl_secret_free(secret);

	snprintf(path, sizeof(path), "%s", write_file("loose", "abc\n", 0644));
	ck_assert_int_eq(cl_secret_read(&secret, &loose, path), 0);
	ck_assert_int_eq(loose, 1);
	cl_secret_free(secret);

	snprintf(path, sizeof(path), "%s", write_file("empty", " \n", 0600));
	ck_assert_int_eq(cl_secret_read(&secret, &loose, path), CL_EINVALID);
	ck_assert_ptr_null(secret);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "empty"));

	ck_assert_int_eq(cl_secret_read(&secret, &loose, "/nonexistent/x"), CL_EIO);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "/nonexistent/x"));
	ck_assert_int_eq(cl_secret_read(&secret, &loose, tmpdir), CL_EIO);
	cl_secret_free(NULL);
}
END_TEST

START_TEST(secret_never_in_messages)
{
	cl_config *cfg;
	char text[1024];
	size_t i;

	write_file("tok", "TOPSECRETVALUE\n", 0644);
	snprintf(text, sizeof(text),
		"[tracker \"t\"]\n\ttype = redmine\n\turl = http://127.0.0.1\n"
		"\tproject = p\n\ttokenFile = %s/tok\n", tmpdir);
	cfg = load_text(text, 0);
	ck_assert_ptr_nonnull(find_diag(cfg, "readable by others"));
	ck_assert_int_eq(find_diag(cfg, "readable by others")->severity,
		CL_DIAG_WARNING);
	ck_assert_int_eq(find_diag(cfg, "readable by others")->line, 5);
	for (i = 0; i < cl_config_diag_count(cfg); i++)
		ck_assert_ptr_null(strstr(cl_config_diag(cfg, i)->message,
			"TOPSECRET"));
	cl_config_free(cfg);
}
END_TEST

START_TEST(remote_http_warns)
{
	cl_config *cfg = load_text("[tracker \"t\"]\n\ttype = gitea\n"
		"\turl = http://git.example.com\n\tproject = o/r\n", 0);

	ck_assert_ptr_nonnull(find_diag(cfg, "sends the token in clear"));
	cl_config_free(cfg);
}
END_TEST

START_TEST(man_page_names_every_key)
{
	/* the option table and closeloop.conf(5) must not drift apart */
	const char *srcdir = getenv("top_srcdir");
	char path[1024], *text;
	FILE *f;
	long len;
	size_t i;

	snprintf(path, sizeof(path), "%s/doc/closeloop.conf.5",
		srcdir ? srcdir : ".");
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = malloc((size_t)len + 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	text[len] = '\0';
	fclose(f);
	for (i = 0; i < cl__options_count; i++)
		ck_assert_msg(strstr(text, cl__options[i].name) != NULL,
			"closeloop.conf.5 does not document %s",
			cl__options[i].name);
	free(text);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, full_example);
	tcase_add_test(tc, policy_modes);
	tcase_add_loop_test(tc, bad_files, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, every_problem_reported);
	tcase_add_test(tc, layers);
	tcase_add_test(tc, repository_layer);
	tcase_add_test(tc, secrets);
	tcase_add_test(tc, secret_never_in_messages);
	tcase_add_test(tc, remote_http_warns);
	tcase_add_test(tc, man_page_names_every_key);
	suite_add_tcase(s, tc);
	return s;
}

CL_TEST_MAIN(config_suite)
