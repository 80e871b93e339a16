/*
 * test_refs.c: unit tests of the commit message parser in refs.c.
 *
 * Most cases are rows of one table: a message as real projects write them
 * (kernel and git.git trailers, GitHub and GitLab keywords, Redmine "refs",
 * Jira keys, reverts, merges) and the tickets and replies it must yield.
 * Adding a case is adding a row. The tests after the table cover the API
 * edges: NULL, empty and huge messages, lengths and NUL bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <closeloop/closeloop.h>

#include "runner.h"

#define MAX_WANT 8

typedef struct {
	cl_ref_kind kind;
	const char *project;
	uint64_t number; /* 0 ends the list */
} want_ref;

typedef struct {
	int has_ref;
	const char *project;
	uint64_t number;
	const char *link; /* NULL ends the list */
} want_reply;

enum { JIRA_OFF, JIRA_ON, JIRA_LISTED };

typedef struct {
	const char *name;
	const char *message;
	int jira;
	want_ref refs[MAX_WANT];
	want_reply replies[MAX_WANT];
} refs_case;

#define M(n) { CL_REF_MENTION, NULL, (n) }
#define C(n) { CL_REF_CLOSE, NULL, (n) }
#define MP(p, n) { CL_REF_MENTION, (p), (n) }
#define CP(p, n) { CL_REF_CLOSE, (p), (n) }
#define REPLY(p, n, link) { 1, (p), (n), (link) }
#define NOREF(link) { 0, NULL, 0, (link) }
#define NONE { { CL_REF_MENTION, NULL, 0 } }

static const char *const listed_projects[] = { "PROJ", "ABC", NULL };

static cl_refs *refs;

static void setup(void)
{
	refs = NULL;
	cl_error_clear();
}

static void teardown(void)
{
	cl_refs_free(refs);
	refs = NULL;
}

/* ------------------------------------------------------------------ */
/* The table                                                          */
/* ------------------------------------------------------------------ */

static const refs_case cases[] = {
	/* Plain references */
	{ "bare hash in subject", "Fix crash in tokenizer #12", JIRA_OFF,
		{ M(12) }, { { 0 } } },
	{ "hash at start of subject", "#12 Fix crash in tokenizer", JIRA_OFF,
		{ M(12) }, { { 0 } } },
	{ "brackets and punctuation",
		"Tidy up (#1), [#2], {#3}, '#4', \"#5\" and #6.\n\n"
		"See #7: log", JIRA_OFF,
		{ M(1), M(2), M(3), M(4), M(5), M(6), M(7) }, { { 0 } } },
	{ "order of first appearance", "Touches #3, then #1, then #2 and #3",
		JIRA_OFF, { M(3), M(1), M(2) }, { { 0 } } },
	{ "repeated mention once", "#3 #3 #3\n\nAgain #3.", JIRA_OFF,
		{ M(3) }, { { 0 } } },
	{ "largest number", "See #18446744073709551615", JIRA_OFF,
		{ M(UINT64_MAX) }, { { 0 } } },
	{ "number too long",
		"See #18446744073709551616 and #99999999999999999999", JIRA_OFF,
		NONE, { { 0 } } },
	{ "zero and leading zeros", "Fixes #0, see #00 and #012", JIRA_OFF,
		NONE, { { 0 } } },
	{ "sentence end", "This was reported in #77.", JIRA_OFF,
		{ M(77) }, { { 0 } } },
	{ "UTF-8 prose",
		"Corrige le bogue #12 \xe2\x80\x94 merci \xc3\xa0 Ren\xc3\xa9",
		JIRA_OFF, { M(12) }, { { 0 } } },
	{ "squash merge suffix", "Bump version to 1.2.3 (#88)", JIRA_OFF,
		{ M(88) }, { { 0 } } },

	/* Closing keywords */
	{ "GitHub Fixes", "Fix login redirect\n\nFixes #12", JIRA_OFF,
		{ C(12) }, { { 0 } } },
	{ "close", "close #1", JIRA_OFF, { C(1) }, { { 0 } } },
	{ "closes", "Closes #2", JIRA_OFF, { C(2) }, { { 0 } } },
	{ "closed", "Closed #3", JIRA_OFF, { C(3) }, { { 0 } } },
	{ "fix", "fix #4", JIRA_OFF, { C(4) }, { { 0 } } },
	{ "fixed", "Fixed #5 by checking the length", JIRA_OFF,
		{ C(5) }, { { 0 } } },
	{ "resolve", "Resolve #6", JIRA_OFF, { C(6) }, { { 0 } } },
	{ "resolves", "This resolves #7.", JIRA_OFF, { C(7) }, { { 0 } } },
	{ "resolved", "resolved #8", JIRA_OFF, { C(8) }, { { 0 } } },
	{ "upper case keyword", "FIXES #9", JIRA_OFF, { C(9) }, { { 0 } } },
	{ "mixed case keyword", "ReSoLvEs #10", JIRA_OFF,
		{ C(10) }, { { 0 } } },
	{ "colon without space", "fixes:#11", JIRA_OFF, { C(11) }, { { 0 } } },
	{ "tab after keyword", "Fixes\t#12", JIRA_OFF, { C(12) }, { { 0 } } },
	{ "keyword wrapped to next line",
		"Handle empty input in the tokenizer; this fixes\n"
		"#13 for good.", JIRA_OFF, { C(13) }, { { 0 } } },
	{ "keyword inside a word", "Strip prefixes #14 and suffixes #15",
		JIRA_OFF, { M(14), M(15) }, { { 0 } } },
	{ "keyword with a dash", "Fixed-by: #16\nUnfixed #17", JIRA_OFF,
		{ M(16), M(17) }, { { 0 } } },
	{ "keyword not followed by reference",
		"Fix the crash reported in #18", JIRA_OFF,
		{ M(18) }, { { 0 } } },
	{ "keyword then blank line", "Fixes\n\n#19 is unrelated", JIRA_OFF,
		{ M(19) }, { { 0 } } },
	{ "two keywords", "Closes #12, closes #13", JIRA_OFF,
		{ C(12), C(13) }, { { 0 } } },

	/* Lists */
	{ "comma and list", "Fixes #12, #13 and #14", JIRA_OFF,
		{ C(12), C(13), C(14) }, { { 0 } } },
	{ "ampersand list", "fixes #1 & #2", JIRA_OFF,
		{ C(1), C(2) }, { { 0 } } },
	{ "trailer list", "Tidy\n\nCloses: #12, #13", JIRA_OFF,
		{ C(12), C(13) }, { { 0 } } },
	{ "oxford comma", "Fixes #1, #2, and #3", JIRA_OFF,
		{ C(1), C(2), C(3) }, { { 0 } } },
	{ "comma without space", "Fixes #21,#22", JIRA_OFF,
		{ C(21), C(22) }, { { 0 } } },
	{ "space separated", "Fix #23 #24", JIRA_OFF,
		{ C(23), C(24) }, { { 0 } } },
	{ "list wrapped over lines", "This fixes #31, #32,\n#33 and #34.",
		JIRA_OFF, { C(31), C(32), C(33), C(34) }, { { 0 } } },
	{ "list ends at prose", "Fixes #12 and improves #13", JIRA_OFF,
		{ C(12), M(13) }, { { 0 } } },
	{ "list ends at paragraph", "Fixes #12\n\n#13 is related", JIRA_OFF,
		{ C(12), M(13) }, { { 0 } } },
	{ "list of mixed forms",
		"Fixes #5, acme/widgets#6 and group/sub/proj#7", JIRA_OFF,
		{ C(5), CP("acme/widgets", 6), CP("group/sub/proj", 7) },
		{ { 0 } } },

	/* Mentions and merging */
	{ "Redmine refs", "refs #1234 @2h\n\nUpdate the importer", JIRA_OFF,
		{ M(1234) }, { { 0 } } },
	{ "Redmine fixes with time", "Fixes #1234 @1h30 importer crash",
		JIRA_OFF, { C(1234) }, { { 0 } } },
	{ "references and see",
		"Cache lookups\n\nReferences: #5\nSee #6, #7", JIRA_OFF,
		{ M(5), M(6), M(7) }, { { 0 } } },
	{ "Refs trailer", "Cache lookups\n\nRefs: #12", JIRA_OFF,
		{ M(12) }, { { 0 } } },
	{ "mention then close", "Prepare for #12\n\nFixes #12", JIRA_OFF,
		{ C(12) }, { { 0 } } },
	{ "close then mention", "Fixes #12\n\nSee #12 for context", JIRA_OFF,
		{ C(12) }, { { 0 } } },
	{ "close among mentions", "See #1 and #2\n\nFixes #2", JIRA_OFF,
		{ M(1), C(2) }, { { 0 } } },

	/* owner/repo and GitLab groups */
	{ "owner/repo", "Fixes octocat/hello-world#42", JIRA_OFF,
		{ CP("octocat/hello-world", 42) }, { { 0 } } },
	{ "GitLab subgroup", "Closes group/sub/proj#7", JIRA_OFF,
		{ CP("group/sub/proj", 7) }, { { 0 } } },
	{ "Gitea cross repository", "Part of ops/infra#3 and dev/api#4",
		JIRA_OFF, { MP("ops/infra", 3), MP("dev/api", 4) }, { { 0 } } },
	{ "same number two projects", "#7 and other/repo#7", JIRA_OFF,
		{ M(7), MP("other/repo", 7) }, { { 0 } } },
	{ "project case folded", "Owner/Repo#5, then owner/repo#5", JIRA_OFF,
		{ MP("Owner/Repo", 5) }, { { 0 } } },
	{ "repository with dots", "See acme/site.github.io#9", JIRA_OFF,
		{ MP("acme/site.github.io", 9) }, { { 0 } } },
	{ "host name is not a project", "See github.com/owner/repo#12",
		JIRA_OFF, NONE, { { 0 } } },
	{ "empty segment", "a/b/#12 and /x#1 and a//b#2", JIRA_OFF,
		NONE, { { 0 } } },

	/* Merges and reverts */
	{ "GitHub merge commit",
		"Merge pull request #45 from alice/fix-login\n\n"
		"Fix login redirect\n\n"
		"Fixes #12", JIRA_OFF,
		{ M(45), C(12) }, { { 0 } } },
	{ "Gitea merge commit",
		"Merge pull request 'Add dark mode' (#23) from feature into "
		"main\n\n"
		"Reviewed-on: https://gitea.example.com/org/app/pulls/23\n"
		"Reviewed-by: bob <bob@example.com>", JIRA_OFF,
		{ M(23) }, { { 0 } } },
	{ "git merge branch",
		"Merge branch 'maint'\n\n"
		"* maint:\n"
		"  Fix typo in README\n"
		"  Update docs", JIRA_OFF,
		NONE, { { 0 } } },
	{ "GitHub squash with bullets",
		"Add dark mode (#345)\n\n"
		"* Add toggle\n"
		"* Fix #346 regression\n\n"
		"Co-authored-by: Carol <carol@example.com>", JIRA_OFF,
		{ M(345), C(346) }, { { 0 } } },
	{ "revert of a squash",
		"Revert \"Fix crash (#12)\"\n\n"
		"This reverts commit 0123456789abcdef0123456789abcdef01234567.",
		JIRA_OFF, { M(12) }, { { 0 } } },
	{ "revert quoting a closing subject",
		"Revert \"Fixes #12: null dereference\"\n\n"
		"This reverts commit 89abcdef.\n"
		"Reverts octo/app#31", JIRA_OFF,
		{ M(12), MP("octo/app", 31) }, { { 0 } } },
	{ "revert that fixes a regression",
		"Revert \"Cache the parse tree\"\n\n"
		"This reverts commit 1234abcd.\n\n"
		"Fixes #40", JIRA_OFF,
		{ C(40) }, { { 0 } } },

	/* Linux kernel and git.git styles */
	{ "kernel trailers",
		"net: fix use-after-free in foo_bar()\n\n"
		"syzbot reported a use-after-free when the device goes away\n"
		"while a request is in flight.\n\n"
		"Fixes: 1234567890ab (\"net: add foo\")\n"
		"Reported-by: syzbot+abc123@syzkaller.appspotmail.com\n"
		"Closes: https://lore.kernel.org/r/0000abcd@google.com/#t\n"
		"Link: https://bugzilla.kernel.org/show_bug.cgi?id=12#c3\n"
		"Signed-off-by: A U Thor <author@example.org>\n", JIRA_OFF,
		NONE, { { 0 } } },
	{ "kernel Fixes trailer with subject",
		"drm/i915: handle #12 correctly\n\n"
		"Fixes: 1234567890ab (\"drm/i915: rework #13\")\n"
		"Cc: stable@vger.kernel.org # 5.15+\n", JIRA_OFF,
		{ M(12), M(13) }, { { 0 } } },
	{ "git.git style",
		"builtin/log: honour --follow with renames\n\n"
		"When a path is renamed, `git log --follow` lost track.\n\n"
		"    $ git log --follow -- a.c\n\n"
		"Helped-by: Junio C Hamano <gitster@pobox.com>\n"
		"Signed-off-by: Jane Doe <jane@example.com>", JIRA_OFF,
		NONE, { { 0 } } },

	/* Not references */
	{ "URL anchor", "See https://example.com/page#12 for details",
		JIRA_OFF, NONE, { { 0 } } },
	{ "URL then reference",
		"Docs at https://example.com/page#12; fixes #13", JIRA_OFF,
		{ C(13) }, { { 0 } } },
	{ "www anchor", "FAQ: www.example.com/faq#3", JIRA_OFF,
		NONE, { { 0 } } },
	{ "URL in parentheses", "(see https://example.com/a#4) #5", JIRA_OFF,
		{ M(5) }, { { 0 } } },
	{ "URL with balanced parentheses",
		"https://en.wikipedia.org/wiki/Foo_(bar)#12 and #6", JIRA_OFF,
		{ M(6) }, { { 0 } } },
	{ "URL in angle brackets", "<https://example.com/x#6>", JIRA_OFF,
		NONE, { { 0 } } },
	{ "issue URL is not a reference",
		"Fixes https://github.com/o/r/issues/12", JIRA_OFF,
		NONE, { { 0 } } },
	{ "keyword before URL and reference",
		"Fixes https://example.com/a#1 #2", JIRA_OFF,
		{ M(2) }, { { 0 } } },
	{ "code span", "Use `#12` literally, not `fixes #13`", JIRA_OFF,
		NONE, { { 0 } } },
	{ "double backtick span", "Use ``a ` #12`` now; fixes #3", JIRA_OFF,
		{ C(3) }, { { 0 } } },
	{ "code span then keyword", "Fixes `x` #2", JIRA_OFF,
		{ M(2) }, { { 0 } } },
	{ "unmatched backtick", "Don't `break #12", JIRA_OFF,
		{ M(12) }, { { 0 } } },
	{ "code span wraps lines", "Run `make\n#12` first, fixes #4",
		JIRA_OFF, { C(4) }, { { 0 } } },
	{ "fenced block",
		"Fix parser\n\n"
		"```c\n"
		"#include <x.h>\n"
		"foo(#12); // fixes #13\n"
		"```\n\n"
		"Fixes #4", JIRA_OFF,
		{ C(4) }, { { 0 } } },
	{ "fence closes only on a bare run",
		"Fix\n\n```\n#1\n```sh\n#2\n```\nRefs #3", JIRA_OFF,
		{ M(3) }, { { 0 } } },
	{ "tilde fence", "Fix\n\n~~~\n#1 and #2\n~~~\nRefs #3", JIRA_OFF,
		{ M(3) }, { { 0 } } },
	{ "unclosed fence", "Tidy #1\n\n```\n#2\n\nFixes #3", JIRA_OFF,
		{ M(1) }, { { 0 } } },
	{ "name glued to number", "#12abc fixes nothing; #12_x neither",
		JIRA_OFF, NONE, { { 0 } } },
	{ "version-like number", "Bump to #1.2 and see section #3.4",
		JIRA_OFF, NONE, { { 0 } } },
	{ "HTML entities", "Escape &#123; and &#x7B; and &#60;", JIRA_OFF,
		NONE, { { 0 } } },
	{ "C sharp and F sharp",
		"Port the bindings to C# and F#; needs C# 12", JIRA_OFF,
		NONE, { { 0 } } },
	{ "hash inside a word", "foo#12 and issue#13 and PR#14", JIRA_OFF,
		NONE, { { 0 } } },
	{ "Markdown heading", "# Changes\n\n## 1.2\n\n### Fixed", JIRA_OFF,
		NONE, { { 0 } } },
	{ "CSS colour declaration", "Set color: #123456; in the theme",
		JIRA_OFF, NONE, { { 0 } } },
	{ "CSS short colours",
		"background:#fff; fill: #333\n"
		"border-left-color : #1234 and #fa0", JIRA_OFF,
		NONE, { { 0 } } },
	{ "colour word inside a trailer key",
		"Port\n\nBackfill: #1234\nColour-Scheme: #222", JIRA_OFF,
		{ M(1234) }, { { 0 } } },
	{ "CSS semicolon", "Theme uses #222; and #112233;", JIRA_OFF,
		NONE, { { 0 } } },
	{ "semicolon after non-colour length", "Also #12; thanks", JIRA_OFF,
		{ M(12) }, { { 0 } } },
	{ "semicolon after keyword", "Fixes #1234; see log", JIRA_OFF,
		{ C(1234) }, { { 0 } } },

	/* Jira */
	{ "Jira key off", "PROJ-12: fix login", JIRA_OFF, NONE, { { 0 } } },
	{ "Jira key on", "PROJ-12: fix login", JIRA_ON,
		{ MP("PROJ", 12) }, { { 0 } } },
	{ "Jira closing", "ABC-7 Fix crash\n\nFixes ABC-7", JIRA_ON,
		{ CP("ABC", 7) }, { { 0 } } },
	{ "Jira list", "Resolves: PROJ-9, PROJ-10 and OPS_2-3", JIRA_ON,
		{ CP("PROJ", 9), CP("PROJ", 10), CP("OPS_2", 3) }, { { 0 } } },
	{ "Jira look-alikes",
		"Convert to UTF-8 from ISO-8859-1, hash with SHA-256\n"
		"(RFC-2822, CVE-2024-1234, X-1, AES-128, X86-64, UTC-5)",
		JIRA_ON, NONE, { { 0 } } },
	{ "Jira project list", "PROJ-1 and OTHER-2, ABC-3", JIRA_LISTED,
		{ MP("PROJ", 1), MP("ABC", 3) }, { { 0 } } },
	{ "Jira lower case", "proj-12 and Proj-13", JIRA_ON,
		NONE, { { 0 } } },
	{ "Jira inside a word", "fooPROJ-12 and PROJ-12x and a-PROJ-3",
		JIRA_ON, NONE, { { 0 } } },
	{ "Jira branch name", "Merge branch 'feature/PROJ-12-login'", JIRA_ON,
		{ MP("PROJ", 12) }, { { 0 } } },
	{ "Jira and hash", "PROJ-5 #6", JIRA_ON,
		{ MP("PROJ", 5), M(6) }, { { 0 } } },
	{ "Jira zero", "PROJ-0 and PROJ-007", JIRA_ON, NONE, { { 0 } } },

	/* Customer-Reply */
	{ "reply resolved to the closed ticket",
		"Fix login\n\n"
		"Fixes #12\n"
		"Customer-Reply: https://support.example.com/t/991", JIRA_OFF,
		{ C(12) },
		{ REPLY(NULL, 12, "https://support.example.com/t/991") } },
	{ "reply with its own ticket",
		"Fix login\n\n"
		"Fixes #12\n\n"
		"Customer-Reply: #9 <CAH123+x/y=@mail.gmail.com>", JIRA_OFF,
		{ C(12), M(9) },
		{ REPLY(NULL, 9, "<CAH123+x/y=@mail.gmail.com>") } },
	{ "reply with a bare message id",
		"Fix\n\n"
		"Closes: #4\n"
		"Customer-Reply: 20240101.abc@mail.example.com", JIRA_OFF,
		{ C(4) },
		{ REPLY(NULL, 4, "<20240101.abc@mail.example.com>") } },
	{ "reply URL in angle brackets",
		"Fix\n\n"
		"Fixes #4\n"
		"Customer-Reply: <https://desk.example.com/r/1>", JIRA_OFF,
		{ C(4) }, { REPLY(NULL, 4, "https://desk.example.com/r/1") } },
	{ "reply key case-insensitive",
		"Fix\n\n"
		"Fixes #4\n"
		"customer-reply : https://x.example/1", JIRA_OFF,
		{ C(4) }, { REPLY(NULL, 4, "https://x.example/1") } },
	{ "reply outside last paragraph",
		"Fix\n\n"
		"Customer-Reply: https://x.example/1\n\n"
		"Fixes #4", JIRA_OFF,
		{ C(4) }, { { 0 } } },
	{ "reply in the subject only", "Customer-Reply: <a@b.example>",
		JIRA_OFF, NONE, { { 0 } } },
	{ "reply in a one-paragraph message",
		"Fixes #4\nCustomer-Reply: <a@b.example>", JIRA_OFF,
		{ C(4) }, { REPLY(NULL, 4, "<a@b.example>") } },
	{ "reply when two tickets close",
		"Fix\n\n"
		"Fixes #1, #2\n"
		"Customer-Reply: https://x.example/1", JIRA_OFF,
		{ C(1), C(2) }, { NOREF("https://x.example/1") } },
	{ "reply when nothing closes",
		"Tidy\n\n"
		"Refs #1\n"
		"Customer-Reply: https://x.example/1", JIRA_OFF,
		{ M(1) }, { NOREF("https://x.example/1") } },
	{ "reply without link is ignored",
		"Fix\n\nFixes #3\nCustomer-Reply: #12", JIRA_OFF,
		{ C(3), M(12) }, { { 0 } } },
	{ "reply with junk link is ignored",
		"Fix\n\nFixes #3\nCustomer-Reply: see the ticket", JIRA_OFF,
		{ C(3) }, { { 0 } } },
	{ "reply naming owner/repo",
		"Fix\n\n"
		"Fixes #3\n"
		"Customer-Reply: acme/desk#8 https://x.example/8", JIRA_OFF,
		{ C(3), MP("acme/desk", 8) },
		{ REPLY("acme/desk", 8, "https://x.example/8") } },
	{ "reply naming a Jira key",
		"PROJ-1: fix\n\n"
		"Customer-Reply: SUP-44 <m1@mail.example>", JIRA_ON,
		{ MP("PROJ", 1), MP("SUP", 44) },
		{ REPLY("SUP", 44, "<m1@mail.example>") } },
	{ "reply naming a Jira key, Jira off",
		"Fix\n\n"
		"Fixes #2\n"
		"Customer-Reply: SUP-44 <m1@mail.example>", JIRA_OFF,
		{ C(2) }, { { 0 } } },
	{ "reply naming the closed ticket",
		"Fix\n\n"
		"Fixes #12\n"
		"Customer-Reply: #12 https://x.example/1", JIRA_OFF,
		{ C(12) }, { REPLY(NULL, 12, "https://x.example/1") } },
	{ "several replies",
		"Fix\n\n"
		"Fixes #7\n"
		"Customer-Reply: https://x.example/a\n"
		"Signed-off-by: Ann <ann@example.com>\n"
		"Customer-Reply: #8 <b@mail.example>\n"
		"Customer-Reply: https://x.example/c", JIRA_OFF,
		{ C(7), M(8) },
		{ REPLY(NULL, 7, "https://x.example/a"),
			REPLY(NULL, 8, "<b@mail.example>"),
			REPLY(NULL, 7, "https://x.example/c") } },
	{ "reply link with anchor",
		"Fix\n\n"
		"Fixes #5\n"
		"Customer-Reply: https://desk.example/t#12", JIRA_OFF,
		{ C(5) }, { REPLY(NULL, 5, "https://desk.example/t#12") } },
	{ "reply with text after link",
		"Fix\n\n"
		"Fixes #5\n"
		"Customer-Reply: <m@x.example> (sent by Bob, #6)", JIRA_OFF,
		{ C(5), M(6) }, { REPLY(NULL, 5, "<m@x.example>") } },
	{ "reply in a fenced block",
		"Fix\n\n"
		"Fixes #5\n"
		"```\n"
		"Customer-Reply: <m@x.example>\n"
		"```", JIRA_OFF,
		{ C(5) }, { { 0 } } },
	{ "reply indented is no trailer",
		"Fix\n\nFixes #5\n  Customer-Reply: <m@x.example>", JIRA_OFF,
		{ C(5) }, { { 0 } } },
	{ "reply in CRLF message",
		"Fix\r\n\r\n"
		"Fixes #12\r\n"
		"Customer-Reply: https://x.example/1\r\n", JIRA_OFF,
		{ C(12) }, { REPLY(NULL, 12, "https://x.example/1") } },
	{ "reply with www link is ignored",
		"Fix\n\n"
		"Fixes #5\n"
		"Customer-Reply: www.example.com/t/1", JIRA_OFF,
		{ C(5) }, { { 0 } } },
	{ "reply after trailing blank lines",
		"Fix\n\n"
		"Fixes #5\n"
		"Customer-Reply: <m@x.example>\n\n\n", JIRA_OFF,
		{ C(5) }, { REPLY(NULL, 5, "<m@x.example>") } },
	{ "typical support commit",
		"auth: accept SSO tokens with clock skew\n\n"
		"Tokens issued by the customer's IdP were rejected when its\n"
		"clock ran ahead of ours (see\n"
		"https://tools.ietf.org/html/rfc7519#section-4).\n\n"
		"Fixes #812\n"
		"Customer-Reply: https://help.example.com/t/4411#reply-2\n"
		"Signed-off-by: Dana <dana@example.com>", JIRA_OFF,
		{ C(812) },
		{ REPLY(NULL, 812, "https://help.example.com/t/4411#reply-2") }
	},
};

#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

static size_t want_count(const refs_case *c)
{
	size_t n = 0;

	while (n < MAX_WANT && c->refs[n].number != 0)
		n++;
	return n;
}

static size_t want_reply_count(const refs_case *c)
{
	size_t n = 0;

	while (n < MAX_WANT && c->replies[n].link != NULL)
		n++;
	return n;
}

static void check_project(const char *name, size_t i, const char *got,
	const char *want)
{
	if (want == NULL)
		ck_assert_msg(got == NULL,
			"%s: ref %zu: project '%s', want none", name, i, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, want) == 0,
			"%s: ref %zu: project '%s', want '%s'", name, i,
			got ? got : "(null)", want);
}

/* The offset must point at the reference as written. */
static void check_offset(const refs_case *c, size_t i, const cl_ref *r)
{
	const char *at = c->message + r->offset;

	ck_assert_msg(r->offset < strlen(c->message), "%s: ref %zu: offset",
		c->name, i);
	if (r->project)
		ck_assert_msg(strncmp(at, r->project, strlen(r->project)) == 0,
			"%s: ref %zu: offset %zu", c->name, i, r->offset);
	else
		ck_assert_msg(at[0] == '#', "%s: ref %zu: offset %zu",
			c->name, i, r->offset);
}

static void check_refs(const refs_case *c)
{
	size_t n = want_count(c), i;
	const cl_ref *r;

	ck_assert_msg(cl_refs_count(refs) == n, "%s: %zu refs, want %zu",
		c->name, cl_refs_count(refs), n);
	for (i = 0; i < n; i++) {
		r = cl_refs_get(refs, i);
		ck_assert_ptr_nonnull(r);
		ck_assert_msg(r->number == c->refs[i].number,
			"%s: ref %zu: number %llu, want %llu", c->name, i,
			(unsigned long long)r->number,
			(unsigned long long)c->refs[i].number);
		ck_assert_msg(r->kind == c->refs[i].kind,
			"%s: ref %zu: kind %d", c->name, i, (int)r->kind);
		check_project(c->name, i, r->project, c->refs[i].project);
		check_offset(c, i, r);
	}
	ck_assert_ptr_null(cl_refs_get(refs, n));
}

/* A reply's ticket is the list's entry for it, kind included. */
static void check_reply_ticket(const refs_case *c, size_t i,
	const cl_reply_ref *got)
{
	const want_reply *w = &c->replies[i];
	const cl_ref *r;
	size_t k;

	check_project(c->name, i, got->ref.project, w->project);
	ck_assert_msg(got->ref.number == w->number, "%s: reply %zu: number",
		c->name, i);
	for (k = 0; k < cl_refs_count(refs); k++) {
		r = cl_refs_get(refs, k);
		if (r->number == got->ref.number &&
				r->project == got->ref.project) {
			ck_assert_int_eq(r->kind, got->ref.kind);
			return;
		}
	}
	ck_abort_msg("%s: reply %zu: ticket not in the list", c->name, i);
}

static void check_replies(const refs_case *c)
{
	size_t n = want_reply_count(c), i;
	const cl_reply_ref *got;

	ck_assert_msg(cl_refs_reply_count(refs) == n,
		"%s: %zu replies, want %zu", c->name,
		cl_refs_reply_count(refs), n);
	for (i = 0; i < n; i++) {
		got = cl_refs_reply(refs, i);
		ck_assert_ptr_nonnull(got);
		ck_assert_ptr_nonnull(got->link);
		ck_assert_msg(strcmp(got->link, c->replies[i].link) == 0,
			"%s: reply %zu: link '%s'", c->name, i, got->link);
		ck_assert_msg(got->has_ref == c->replies[i].has_ref,
			"%s: reply %zu: has_ref %d", c->name, i, got->has_ref);
		if (got->has_ref)
			check_reply_ticket(c, i, got);
	}
	ck_assert_ptr_null(cl_refs_reply(refs, n));
}

static int parse(const char *message, size_t len, int jira)
{
	cl_refs_opts opts = CL_REFS_OPTS_INIT;

	opts.jira_keys = jira != JIRA_OFF;
	if (jira == JIRA_LISTED)
		opts.jira_projects = listed_projects;
	return cl_refs_parse(&refs, message, len, &opts);
}

START_TEST(parse_table)
{
	const refs_case *c = &cases[_i];

	ck_assert_msg(parse(c->message, strlen(c->message), c->jira) == CL_OK,
		"%s: parse failed", c->name);
	check_refs(c);
	check_replies(c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* API edges                                                          */
/* ------------------------------------------------------------------ */

START_TEST(free_null)
{
	cl_refs_free(NULL);
	ck_assert_uint_eq(cl_refs_count(NULL), 0);
	ck_assert_uint_eq(cl_refs_reply_count(NULL), 0);
	ck_assert_ptr_null(cl_refs_get(NULL, 0));
	ck_assert_ptr_null(cl_refs_reply(NULL, 0));
}
END_TEST

START_TEST(null_message)
{
	refs = (cl_refs *)&refs; /* must be reset */
	ck_assert_int_eq(cl_refs_parse(&refs, NULL, 10, NULL), CL_EINVALID);
	ck_assert_ptr_null(refs);
	ck_assert_int_eq(cl_error_last()->code, CL_EINVALID);
}
END_TEST

START_TEST(null_out)
{
	ck_assert_int_eq(cl_refs_parse(NULL, "#1", 2, NULL), CL_EINVALID);
	ck_assert_int_eq(cl_error_last()->code, CL_EINVALID);
}
END_TEST

START_TEST(empty_message)
{
	ck_assert_int_eq(cl_refs_parse(&refs, "", 0, NULL), CL_OK);
	ck_assert_ptr_nonnull(refs);
	ck_assert_uint_eq(cl_refs_count(refs), 0);
	ck_assert_uint_eq(cl_refs_reply_count(refs), 0);
	ck_assert_ptr_null(cl_refs_get(refs, 0));
}
END_TEST

START_TEST(null_opts_means_no_jira)
{
	ck_assert_int_eq(cl_refs_parse(&refs, "PROJ-1 #2", 9, NULL), CL_OK);
	ck_assert_uint_eq(cl_refs_count(refs), 1);
	ck_assert_uint_eq(cl_refs_get(refs, 0)->number, 2);
}
END_TEST

/* len is the truth: no terminator is read, and nothing past it. */
START_TEST(length_not_terminator)
{
	static const char text[] = "Fixes #12345";
	char *exact = malloc(9);

	ck_assert_ptr_nonnull(exact);
	memcpy(exact, text, 9); /* "Fixes #12", no NUL */
	ck_assert_int_eq(cl_refs_parse(&refs, exact, 9, NULL), CL_OK);
	free(exact);
	ck_assert_uint_eq(cl_refs_count(refs), 1);
	ck_assert_uint_eq(cl_refs_get(refs, 0)->number, 12);
	ck_assert_int_eq(cl_refs_get(refs, 0)->kind, CL_REF_CLOSE);
}
END_TEST

START_TEST(nul_ends_message)
{
	static const char text[] = "Fixes #1\0 and #2\n\nCustomer-Reply: <a@b>";

	ck_assert_int_eq(cl_refs_parse(&refs, text, sizeof(text) - 1, NULL),
		CL_OK);
	ck_assert_uint_eq(cl_refs_count(refs), 1);
	ck_assert_uint_eq(cl_refs_get(refs, 0)->number, 1);
	ck_assert_uint_eq(cl_refs_reply_count(refs), 0);
}
END_TEST

START_TEST(offsets)
{
	static const char text[] =
		"Prepare #4\n\nFixes acme/app#4, #4 and PROJ-4";

	ck_assert_int_eq(parse(text, sizeof(text) - 1, JIRA_ON), CL_OK);
	ck_assert_uint_eq(cl_refs_count(refs), 3);
	ck_assert_uint_eq(cl_refs_get(refs, 0)->offset, 8);
	ck_assert_int_eq(cl_refs_get(refs, 0)->kind, CL_REF_CLOSE);
	ck_assert_uint_eq(cl_refs_get(refs, 1)->offset, 18);
	ck_assert_uint_eq(cl_refs_get(refs, 2)->offset, 37);
}
END_TEST

START_TEST(reply_offsets)
{
	static const char text[] =
		"Fix\n\nFixes #3\nCustomer-Reply: #3 <a@b.example>\n"
		"Customer-Reply: <c@d.example>";
	const cl_reply_ref *r;

	ck_assert_int_eq(cl_refs_parse(&refs, text, sizeof(text) - 1, NULL),
		CL_OK);
	ck_assert_uint_eq(cl_refs_reply_count(refs), 2);
	r = cl_refs_reply(refs, 0);
	/* Named: where the trailer names it. Resolved: the closing ref. */
	ck_assert_uint_eq(r->ref.offset, 30);
	ck_assert_int_eq(r->ref.kind, CL_REF_CLOSE);
	r = cl_refs_reply(refs, 1);
	ck_assert_int_eq(r->has_ref, 1);
	ck_assert_uint_eq(r->ref.offset, 11);
	ck_assert_ptr_null(r->ref.project);
}
END_TEST

START_TEST(unresolved_reply_is_zeroed)
{
	static const char text[] = "Fix\n\nCustomer-Reply: <c@d.example>";
	const cl_reply_ref *r;

	ck_assert_int_eq(cl_refs_parse(&refs, text, sizeof(text) - 1, NULL),
		CL_OK);
	r = cl_refs_reply(refs, 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->has_ref, 0);
	ck_assert_ptr_null(r->ref.project);
	ck_assert_uint_eq(r->ref.number, 0);
	ck_assert_str_eq(r->link, "<c@d.example>");
}
END_TEST

static char *filled(size_t len, char c)
{
	char *s = malloc(len);

	ck_assert_ptr_nonnull(s);
	memset(s, c, len);
	return s;
}

/* Only the first CL_REFS_MAX_MESSAGE bytes count. */
START_TEST(huge_message_cut)
{
	size_t len = CL_REFS_MAX_MESSAGE + 4096;
	char *s = filled(len, ' ');

	memcpy(s, "Fixes #5", 8);
	memcpy(s + CL_REFS_MAX_MESSAGE - 4, "#6 ", 3);
	memcpy(s + CL_REFS_MAX_MESSAGE + 10, "Fixes #7", 8);
	ck_assert_int_eq(cl_refs_parse(&refs, s, len, NULL), CL_OK);
	free(s);
	ck_assert_uint_eq(cl_refs_count(refs), 2);
	ck_assert_uint_eq(cl_refs_get(refs, 0)->number, 5);
	ck_assert_uint_eq(cl_refs_get(refs, 1)->number, 6);
	ck_assert_uint_eq(cl_refs_get(refs, 1)->offset,
		CL_REFS_MAX_MESSAGE - 4);
}
END_TEST

/* A megabyte of distinct tickets: each once, in order, and quickly. */
START_TEST(huge_message_many_refs)
{
	size_t len = CL_REFS_MAX_MESSAGE, pos = 0, n = 0, k;
	char *s = filled(len, ' ');
	char num[32];
	uint64_t v;

	memcpy(s, "Fixes ", 6);
	pos = 6;
	for (v = 1;; v++) {
		k = sizeof(num);
		num[--k] = ' ';
		for (uint64_t x = v; x; x /= 10)
			num[--k] = (char)('0' + x % 10);
		num[--k] = '#';
		if (pos + sizeof(num) - k > len)
			break;
		memcpy(s + pos, num + k, sizeof(num) - k);
		pos += sizeof(num) - k;
		n++;
	}
	ck_assert_int_eq(cl_refs_parse(&refs, s, len, NULL), CL_OK);
	free(s);
	ck_assert_uint_eq(cl_refs_count(refs), n);
	ck_assert_uint_eq(cl_refs_get(refs, 0)->number, 1);
	ck_assert_int_eq(cl_refs_get(refs, 0)->kind, CL_REF_CLOSE);
	ck_assert_uint_eq(cl_refs_get(refs, n - 1)->number, n);
	ck_assert_int_eq(cl_refs_get(refs, n - 1)->kind, CL_REF_CLOSE);
}
END_TEST

START_TEST(huge_message_repeats)
{
	size_t len = CL_REFS_MAX_MESSAGE, pos;
	char *s = filled(len, ' ');

	for (pos = 0; pos + 8 <= len; pos += 8)
		memcpy(s + pos, pos % 16 ? "a/b#7 , " : "#7  and ", 8);
	ck_assert_int_eq(cl_refs_parse(&refs, s, len, NULL), CL_OK);
	free(s);
	ck_assert_uint_eq(cl_refs_count(refs), 2);
}
END_TEST

/* Inputs that would be quadratic in a naive scanner. */
START_TEST(huge_message_pathological)
{
	size_t len = CL_REFS_MAX_MESSAGE, pos = 0, run = 1;
	char *s = filled(len, 'a');

	/* Backtick runs of growing length, none closed. */
	while (pos + run + 1 < len / 2) {
		memset(s + pos, '`', run);
		pos += run + 1;
		run = run % 40 + 1;
	}
	/* One long token of path characters, then a hash. */
	memset(s + len / 2, '/', len / 4);
	s[len - 3] = '#';
	s[len - 2] = '1';
	ck_assert_int_eq(cl_refs_parse(&refs, s, len, NULL), CL_OK);
	free(s);
	ck_assert_uint_eq(cl_refs_count(refs), 0);
}
END_TEST

START_TEST(parse_twice_is_independent)
{
	cl_refs *other = NULL;

	ck_assert_int_eq(cl_refs_parse(&refs, "Fixes #1", 8, NULL), CL_OK);
	ck_assert_int_eq(cl_refs_parse(&other, "See a/b#1", 9, NULL), CL_OK);
	ck_assert_int_eq(cl_refs_get(refs, 0)->kind, CL_REF_CLOSE);
	ck_assert_str_eq(cl_refs_get(other, 0)->project, "a/b");
	cl_refs_free(other);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Suite                                                              */
/* ------------------------------------------------------------------ */

static TCase *tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	return tc;
}

static Suite *refs_suite(void)
{
	Suite *s = suite_create("refs");
	TCase *tc;

	tc = tcase("table");
	tcase_add_loop_test(tc, parse_table, 0, NCASES);
	suite_add_tcase(s, tc);

	tc = tcase("api");
	tcase_add_test(tc, free_null);
	tcase_add_test(tc, null_message);
	tcase_add_test(tc, null_out);
	tcase_add_test(tc, empty_message);
	tcase_add_test(tc, null_opts_means_no_jira);
	tcase_add_test(tc, length_not_terminator);
	tcase_add_test(tc, nul_ends_message);
	tcase_add_test(tc, offsets);
	tcase_add_test(tc, reply_offsets);
	tcase_add_test(tc, unresolved_reply_is_zeroed);
	tcase_add_test(tc, parse_twice_is_independent);
	suite_add_tcase(s, tc);

	tc = tcase("huge");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, huge_message_cut);
	tcase_add_test(tc, huge_message_many_refs);
	tcase_add_test(tc, huge_message_repeats);
	tcase_add_test(tc, huge_message_pathological);
	suite_add_tcase(s, tc);

	return s;
}

CL_TEST_MAIN(refs_suite)
