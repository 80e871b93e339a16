/*
 * test_policy.c: unit tests of the pure rule functions in policy.c.
 *
 * Every rule is driven through enforce, warn and off; the tables say what
 * each mode must produce so that adding a case is adding a row. Times are
 * offsets from a fixed T, never the real clock.
 */
#include <string.h>

#include <check.h>
#include <closeloop/closeloop.h>

#include "runner.h"

#define T ((int64_t)1700000000)
#define HOUR ((int64_t)3600)
#define MIN(h, m) ((h) * 60 + (m))

static cl_policy policy;
static cl_reminder_history history[CL_RULE__COUNT];
static cl_reminder rem[4];

static void setup(void)
{
	cl_policy_init(&policy);
	memset(history, 0, sizeof(history));
	memset(rem, 0xab, sizeof(rem));
	cl_error_clear();
}

static void set_all_modes(cl_mode mode)
{
	int i;

	for (i = 0; i < CL_RULE__COUNT; i++)
		policy.mode[i] = mode;
}

/* An open, existing ticket with an owner and nothing pending. */
static cl_ticket_state open_ticket(void)
{
	cl_ticket_state t;

	memset(&t, 0, sizeof(t));
	t.exists = 1;
	t.owner = "morten";
	t.opened_at = T;
	return t;
}

static size_t due(const cl_ticket_state *t, int64_t now)
{
	return cl_policy_reminders_due(rem, &policy, t, history, now, MIN(12, 0));
}

/* ------------------------------------------------------------------ */
/* Names                                                              */
/* ------------------------------------------------------------------ */

static const char *const rule_names[CL_RULE__COUNT] = {
	"ticket-exists", "owner-required", "reply-before-close",
	"handoff-ack", "reply-due", "association"
};

START_TEST(rule_name_round_trip)
{
	cl_rule rule = CL_RULE__COUNT;

	ck_assert_str_eq(cl_rule_name((cl_rule)_i), rule_names[_i]);
	ck_assert_int_eq(cl_rule_from_name(&rule, rule_names[_i]), CL_OK);
	ck_assert_int_eq(rule, _i);
}
END_TEST

START_TEST(rule_from_name_ignores_case)
{
	cl_rule rule = CL_RULE_TICKET_EXISTS;

	ck_assert_int_eq(cl_rule_from_name(&rule, "Reply-Before-CLOSE"), CL_OK);
	ck_assert_int_eq(rule, CL_RULE_REPLY_BEFORE_CLOSE);
}
END_TEST

START_TEST(rule_from_name_unknown)
{
	cl_rule rule = CL_RULE_HANDOFF_ACK;

	ck_assert_int_eq(cl_rule_from_name(&rule, "reply-before"), CL_ENOTFOUND);
	ck_assert_int_eq(rule, CL_RULE_HANDOFF_ACK);
	ck_assert_int_eq(cl_error_last()->code, CL_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "reply-before"));
	ck_assert_int_eq(cl_rule_from_name(&rule, ""), CL_ENOTFOUND);
	ck_assert_int_eq(cl_rule_from_name(&rule, "ticket-exists "), CL_ENOTFOUND);
}
END_TEST

START_TEST(rule_from_name_null)
{
	cl_rule rule;

	ck_assert_int_lt(cl_rule_from_name(&rule, NULL), 0);
	ck_assert_int_lt(cl_rule_from_name(NULL, "reply-due"), 0);
}
END_TEST

START_TEST(rule_name_out_of_range)
{
	ck_assert_ptr_null(cl_rule_name(CL_RULE__COUNT));
	ck_assert_ptr_null(cl_rule_name((cl_rule)-1));
}
END_TEST

static const char *const mode_names[] = { "off", "warn", "enforce" };

START_TEST(mode_name_round_trip)
{
	cl_mode mode = (cl_mode)7;

	ck_assert_str_eq(cl_mode_name((cl_mode)_i), mode_names[_i]);
	ck_assert_int_eq(cl_mode_from_name(&mode, mode_names[_i]), CL_OK);
	ck_assert_int_eq(mode, _i);
}
END_TEST

START_TEST(mode_from_name_ignores_case)
{
	cl_mode mode = CL_MODE_OFF;

	ck_assert_int_eq(cl_mode_from_name(&mode, "WARN"), CL_OK);
	ck_assert_int_eq(mode, CL_MODE_WARN);
	ck_assert_int_eq(cl_mode_from_name(&mode, "Enforce"), CL_OK);
	ck_assert_int_eq(mode, CL_MODE_ENFORCE);
}
END_TEST

START_TEST(mode_from_name_unknown)
{
	cl_mode mode = CL_MODE_WARN;

	ck_assert_int_eq(cl_mode_from_name(&mode, "on"), CL_ENOTFOUND);
	ck_assert_int_eq(mode, CL_MODE_WARN);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "'on'"));
	ck_assert_int_lt(cl_mode_from_name(&mode, NULL), 0);
	ck_assert_int_lt(cl_mode_from_name(NULL, "off"), 0);
}
END_TEST

START_TEST(mode_name_out_of_range)
{
	ck_assert_ptr_null(cl_mode_name((cl_mode)3));
	ck_assert_ptr_null(cl_mode_name((cl_mode)-1));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Defaults and combining modes                                       */
/* ------------------------------------------------------------------ */

START_TEST(init_modes)
{
	ck_assert_int_eq(policy.mode[CL_RULE_TICKET_EXISTS], CL_MODE_ENFORCE);
	ck_assert_int_eq(policy.mode[CL_RULE_OWNER_REQUIRED], CL_MODE_ENFORCE);
	ck_assert_int_eq(policy.mode[CL_RULE_REPLY_BEFORE_CLOSE], CL_MODE_ENFORCE);
	ck_assert_int_eq(policy.mode[CL_RULE_HANDOFF_ACK], CL_MODE_ENFORCE);
	ck_assert_int_eq(policy.mode[CL_RULE_REPLY_DUE], CL_MODE_ENFORCE);
	ck_assert_int_eq(policy.mode[CL_RULE_ASSOCIATION], CL_MODE_OFF);
}
END_TEST

START_TEST(init_timings)
{
	ck_assert_int_eq(policy.reply_after, 4 * HOUR);
	ck_assert_int_eq(policy.unowned_after, 1 * HOUR);
	ck_assert_int_eq(policy.handoff_after, 2 * HOUR);
	ck_assert_int_eq(policy.repeat, 24 * HOUR);
	ck_assert_int_eq(policy.escalate_after, 2);
	ck_assert_int_eq(policy.quiet_start, -1);
	ck_assert_int_eq(policy.quiet_end, -1);
}
END_TEST

START_TEST(init_null)
{
	cl_policy_init(NULL); /* must not crash */
}
END_TEST

static const struct {
	cl_mode global;
	int enabled;
	cl_mode rule;
	cl_mode want;
} combine_cases[] = {
	{ CL_MODE_ENFORCE, 1, CL_MODE_ENFORCE, CL_MODE_ENFORCE },
	{ CL_MODE_ENFORCE, 1, CL_MODE_WARN, CL_MODE_WARN },
	{ CL_MODE_ENFORCE, 1, CL_MODE_OFF, CL_MODE_OFF },
	{ CL_MODE_ENFORCE, 0, CL_MODE_ENFORCE, CL_MODE_OFF },
	{ CL_MODE_ENFORCE, 0, CL_MODE_WARN, CL_MODE_OFF },
	{ CL_MODE_ENFORCE, 0, CL_MODE_OFF, CL_MODE_OFF },
	{ CL_MODE_WARN, 1, CL_MODE_ENFORCE, CL_MODE_WARN },
	{ CL_MODE_WARN, 1, CL_MODE_WARN, CL_MODE_WARN },
	{ CL_MODE_WARN, 1, CL_MODE_OFF, CL_MODE_OFF },
	{ CL_MODE_WARN, 0, CL_MODE_ENFORCE, CL_MODE_OFF },
	{ CL_MODE_WARN, 0, CL_MODE_WARN, CL_MODE_OFF },
	{ CL_MODE_WARN, 0, CL_MODE_OFF, CL_MODE_OFF },
	{ CL_MODE_OFF, 1, CL_MODE_ENFORCE, CL_MODE_OFF },
	{ CL_MODE_OFF, 1, CL_MODE_WARN, CL_MODE_OFF },
	{ CL_MODE_OFF, 1, CL_MODE_OFF, CL_MODE_OFF },
	{ CL_MODE_OFF, 0, CL_MODE_ENFORCE, CL_MODE_OFF },
	{ CL_MODE_OFF, 0, CL_MODE_WARN, CL_MODE_OFF },
	{ CL_MODE_OFF, 0, CL_MODE_OFF, CL_MODE_OFF },
	/* any non-zero enabled counts as enabled */
	{ CL_MODE_ENFORCE, 2, CL_MODE_ENFORCE, CL_MODE_ENFORCE },
	/* corrupt modes are off */
	{ (cl_mode)9, 1, CL_MODE_ENFORCE, CL_MODE_OFF },
	{ CL_MODE_ENFORCE, 1, (cl_mode)-1, CL_MODE_OFF },
};

#define NCOMBINE (int)(sizeof(combine_cases) / sizeof(combine_cases[0]))

START_TEST(combine_table)
{
	ck_assert_int_eq(cl_policy_combine(combine_cases[_i].global,
		combine_cases[_i].enabled, combine_cases[_i].rule),
		combine_cases[_i].want);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Pre-receive: one referenced ticket                                 */
/* ------------------------------------------------------------------ */

#define E CL_MODE_ENFORCE
#define W CL_MODE_WARN
#define O CL_MODE_OFF
#define V(rule, kind, problem) \
	{ CL_RULE_##rule, CL_VERDICT_##kind, CL_PROBLEM_##problem }

static const struct {
	const char *what;
	cl_mode exists_mode, owner_mode, reply_mode;
	int exists;
	const char *owner;
	const char *new_owner;
	int delivered;
	int closing;
	int reply_in_push;
	size_t nwant;
	cl_verdict want[3];
} ref_cases[] = {
	{ "missing ticket, enforce", E, E, E, 0, NULL, NULL, 0, 0, 0,
		1, { V(TICKET_EXISTS, REJECT, NO_TICKET) } },
	{ "missing ticket, warn", W, E, E, 0, NULL, NULL, 0, 0, 0,
		1, { V(TICKET_EXISTS, WARN, NO_TICKET) } },
	{ "missing ticket, off", O, E, E, 0, NULL, NULL, 0, 0, 0,
		0, { V(TICKET_EXISTS, PASS, NONE) } },
	{ "missing closed ticket: nothing else checked", E, E, E,
		0, NULL, NULL, 0, 1, 0,
		1, { V(TICKET_EXISTS, REJECT, NO_TICKET) } },
	{ "missing closed ticket, exists off: nothing at all", O, E, E,
		0, NULL, NULL, 0, 1, 0,
		0, { V(TICKET_EXISTS, PASS, NONE) } },
	{ "mention of unowned undelivered ticket", E, E, E,
		1, NULL, NULL, 0, 0, 0,
		0, { V(TICKET_EXISTS, PASS, NONE) } },
	{ "mention with a reply trailer", E, E, E,
		1, "morten", NULL, 0, 0, 1,
		0, { V(TICKET_EXISTS, PASS, NONE) } },
	{ "close owned delivered", E, E, E, 1, "morten", NULL, 1, 1, 0,
		0, { V(TICKET_EXISTS, PASS, NONE) } },
	{ "close unowned, enforce", E, E, E, 1, NULL, NULL, 1, 1, 0,
		1, { V(OWNER_REQUIRED, REJECT, NO_OWNER) } },
	{ "close unowned, warn", E, W, E, 1, NULL, NULL, 1, 1, 0,
		1, { V(OWNER_REQUIRED, WARN, NO_OWNER) } },
	{ "close unowned, off", E, O, E, 1, NULL, NULL, 1, 1, 0,
		0, { V(TICKET_EXISTS, PASS, NONE) } },
	{ "close with empty owner", E, E, E, 1, "", NULL, 1, 1, 0,
		1, { V(OWNER_REQUIRED, REJECT, NO_OWNER) } },
	{ "pending new owner does not count", E, E, E,
		1, NULL, "lena", 1, 1, 0,
		1, { V(OWNER_REQUIRED, REJECT, NO_OWNER) } },
	{ "close undelivered, enforce", E, E, E, 1, "morten", NULL, 0, 1, 0,
		1, { V(REPLY_BEFORE_CLOSE, REJECT, NO_REPLY) } },
	{ "close undelivered, warn", E, E, W, 1, "morten", NULL, 0, 1, 0,
		1, { V(REPLY_BEFORE_CLOSE, WARN, NO_REPLY) } },
	{ "close undelivered, off", E, E, O, 1, "morten", NULL, 0, 1, 0,
		0, { V(TICKET_EXISTS, PASS, NONE) } },
	{ "close undelivered, reply in push", E, E, E,
		1, "morten", NULL, 0, 1, 1,
		0, { V(TICKET_EXISTS, PASS, NONE) } },
	{ "close unowned undelivered: both, in rule order", E, E, E,
		1, NULL, NULL, 0, 1, 0,
		2, { V(OWNER_REQUIRED, REJECT, NO_OWNER),
			V(REPLY_BEFORE_CLOSE, REJECT, NO_REPLY) } },
	{ "mixed modes", E, W, E, 1, NULL, NULL, 0, 1, 0,
		2, { V(OWNER_REQUIRED, WARN, NO_OWNER),
			V(REPLY_BEFORE_CLOSE, REJECT, NO_REPLY) } },
	{ "exists off does not disable the others", O, E, E,
		1, NULL, NULL, 0, 1, 0,
		2, { V(OWNER_REQUIRED, REJECT, NO_OWNER),
			V(REPLY_BEFORE_CLOSE, REJECT, NO_REPLY) } },
	{ "all warn", W, W, W, 1, NULL, NULL, 0, 1, 0,
		2, { V(OWNER_REQUIRED, WARN, NO_OWNER),
			V(REPLY_BEFORE_CLOSE, WARN, NO_REPLY) } },
	{ "all off", O, O, O, 1, NULL, NULL, 0, 1, 0,
		0, { V(TICKET_EXISTS, PASS, NONE) } },
};

#define NREF (int)(sizeof(ref_cases) / sizeof(ref_cases[0]))

START_TEST(check_ref_table)
{
	cl_ticket_state t = open_ticket();
	cl_push_ref ref;
	cl_verdict out[CL_RULE__COUNT];
	size_t n, k;

	policy.mode[CL_RULE_TICKET_EXISTS] = ref_cases[_i].exists_mode;
	policy.mode[CL_RULE_OWNER_REQUIRED] = ref_cases[_i].owner_mode;
	policy.mode[CL_RULE_REPLY_BEFORE_CLOSE] = ref_cases[_i].reply_mode;
	t.exists = ref_cases[_i].exists;
	t.owner = ref_cases[_i].owner;
	t.new_owner = ref_cases[_i].new_owner;
	t.handoff_at = t.new_owner ? T : 0;
	t.delivered = ref_cases[_i].delivered;
	ref.ticket = &t;
	ref.closing = ref_cases[_i].closing;
	ref.reply_in_push = ref_cases[_i].reply_in_push;

	n = cl_policy_check_ref(out, &policy, &ref);
	ck_assert_msg(n == ref_cases[_i].nwant, "%s: %zu verdicts, want %zu",
		ref_cases[_i].what, n, ref_cases[_i].nwant);
	for (k = 0; k < n; k++) {
		ck_assert_msg(out[k].rule == ref_cases[_i].want[k].rule &&
			out[k].kind == ref_cases[_i].want[k].kind &&
			out[k].problem == ref_cases[_i].want[k].problem,
			"%s: verdict %zu is %d/%d/%d", ref_cases[_i].what, k,
			out[k].rule, out[k].kind, out[k].problem);
	}
}
END_TEST

START_TEST(check_ref_null)
{
	cl_ticket_state t = open_ticket();
	cl_push_ref ref = { &t, 1, 0 };
	cl_push_ref no_ticket = { NULL, 1, 0 };
	cl_verdict out[CL_RULE__COUNT];

	t.owner = NULL;
	ck_assert_uint_eq(cl_policy_check_ref(NULL, &policy, &ref), 0);
	ck_assert_uint_eq(cl_policy_check_ref(out, NULL, &ref), 0);
	ck_assert_uint_eq(cl_policy_check_ref(out, &policy, NULL), 0);
	ck_assert_uint_eq(cl_policy_check_ref(out, &policy, &no_ticket), 0);
}
END_TEST

START_TEST(check_ref_corrupt_mode_is_off)
{
	cl_ticket_state t = open_ticket();
	cl_push_ref ref = { &t, 1, 0 };
	cl_verdict out[CL_RULE__COUNT];

	t.owner = NULL;
	t.delivered = 1;
	policy.mode[CL_RULE_OWNER_REQUIRED] = (cl_mode)42;
	ck_assert_uint_eq(cl_policy_check_ref(out, &policy, &ref), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Pre-receive: association                                           */
/* ------------------------------------------------------------------ */

START_TEST(association_off_by_default)
{
	cl_verdict v;

	ck_assert_int_eq(cl_policy_check_association(&v, &policy, 0), 0);
}
END_TEST

static const struct {
	cl_mode mode;
	size_t nrefs;
	int want;
	cl_verdict_kind kind;
} assoc_cases[] = {
	{ CL_MODE_ENFORCE, 0, 1, CL_VERDICT_REJECT },
	{ CL_MODE_WARN, 0, 1, CL_VERDICT_WARN },
	{ CL_MODE_OFF, 0, 0, CL_VERDICT_PASS },
	{ CL_MODE_ENFORCE, 1, 0, CL_VERDICT_PASS },
	{ CL_MODE_WARN, 3, 0, CL_VERDICT_PASS },
	{ CL_MODE_OFF, 2, 0, CL_VERDICT_PASS },
};

#define NASSOC (int)(sizeof(assoc_cases) / sizeof(assoc_cases[0]))

START_TEST(association_table)
{
	cl_verdict v;

	policy.mode[CL_RULE_ASSOCIATION] = assoc_cases[_i].mode;
	ck_assert_int_eq(cl_policy_check_association(&v, &policy,
		assoc_cases[_i].nrefs), assoc_cases[_i].want);
	if (assoc_cases[_i].want) {
		ck_assert_int_eq(v.rule, CL_RULE_ASSOCIATION);
		ck_assert_int_eq(v.kind, assoc_cases[_i].kind);
		ck_assert_int_eq(v.problem, CL_PROBLEM_NO_REFERENCE);
	}
}
END_TEST

START_TEST(association_null)
{
	cl_verdict v;

	policy.mode[CL_RULE_ASSOCIATION] = CL_MODE_ENFORCE;
	ck_assert_int_eq(cl_policy_check_association(NULL, &policy, 0), 0);
	ck_assert_int_eq(cl_policy_check_association(&v, NULL, 0), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Tracker events: a ticket was closed                                */
/* ------------------------------------------------------------------ */

static const struct {
	const char *what;
	cl_mode mode;
	int exists;
	int delivered;
	const char *owner;
	cl_action want;
	cl_verdict_kind kind;
} close_cases[] = {
	{ "undelivered, enforce", E, 1, 0, "morten",
		CL_ACTION_REOPEN, CL_VERDICT_REJECT },
	{ "undelivered, warn", W, 1, 0, "morten",
		CL_ACTION_RECORD, CL_VERDICT_WARN },
	{ "undelivered, off", O, 1, 0, "morten",
		CL_ACTION_NONE, CL_VERDICT_PASS },
	{ "delivered, enforce", E, 1, 1, "morten",
		CL_ACTION_NONE, CL_VERDICT_PASS },
	{ "delivered, warn", W, 1, 1, "morten",
		CL_ACTION_NONE, CL_VERDICT_PASS },
	{ "missing ticket", E, 0, 0, "morten",
		CL_ACTION_NONE, CL_VERDICT_PASS },
	{ "unowned undelivered is still reopened", E, 1, 0, NULL,
		CL_ACTION_REOPEN, CL_VERDICT_REJECT },
	{ "unowned delivered: owner-required is not for closing events", E,
		1, 1, NULL, CL_ACTION_NONE, CL_VERDICT_PASS },
};

#define NCLOSE (int)(sizeof(close_cases) / sizeof(close_cases[0]))

START_TEST(on_close_table)
{
	cl_ticket_state t = open_ticket();
	cl_verdict v;
	cl_action a;

	policy.mode[CL_RULE_REPLY_BEFORE_CLOSE] = close_cases[_i].mode;
	t.closed = 1;
	t.exists = close_cases[_i].exists;
	t.delivered = close_cases[_i].delivered;
	t.owner = close_cases[_i].owner;
	a = cl_policy_on_close(&v, &policy, &t);
	ck_assert_msg(a == close_cases[_i].want, "%s: action %d",
		close_cases[_i].what, a);
	ck_assert_int_eq(v.kind, close_cases[_i].kind);
	if (a != CL_ACTION_NONE) {
		ck_assert_int_eq(v.rule, CL_RULE_REPLY_BEFORE_CLOSE);
		ck_assert_int_eq(v.problem, CL_PROBLEM_NO_REPLY);
	} else {
		ck_assert_int_eq(v.problem, CL_PROBLEM_NONE);
	}
}
END_TEST

START_TEST(on_close_null)
{
	cl_ticket_state t = open_ticket();
	cl_verdict v;

	ck_assert_int_eq(cl_policy_on_close(&v, &policy, NULL), CL_ACTION_NONE);
	ck_assert_int_eq(cl_policy_on_close(&v, NULL, &t), CL_ACTION_NONE);
	ck_assert_int_eq(cl_policy_on_close(NULL, &policy, &t), CL_ACTION_NONE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Quiet hours                                                        */
/* ------------------------------------------------------------------ */

static const struct {
	int start, end, minute, want;
} quiet_cases[] = {
	/* 18:00-08:00 wraps midnight */
	{ MIN(18, 0), MIN(8, 0), MIN(18, 0), 1 },
	{ MIN(18, 0), MIN(8, 0), MIN(17, 59), 0 },
	{ MIN(18, 0), MIN(8, 0), MIN(23, 59), 1 },
	{ MIN(18, 0), MIN(8, 0), MIN(0, 0), 1 },
	{ MIN(18, 0), MIN(8, 0), MIN(7, 59), 1 },
	{ MIN(18, 0), MIN(8, 0), MIN(8, 0), 0 },
	{ MIN(18, 0), MIN(8, 0), MIN(12, 0), 0 },
	/* 12:00-13:00 does not wrap */
	{ MIN(12, 0), MIN(13, 0), MIN(11, 59), 0 },
	{ MIN(12, 0), MIN(13, 0), MIN(12, 0), 1 },
	{ MIN(12, 0), MIN(13, 0), MIN(12, 59), 1 },
	{ MIN(12, 0), MIN(13, 0), MIN(13, 0), 0 },
	{ MIN(12, 0), MIN(13, 0), MIN(0, 0), 0 },
	/* 00:00-06:00 starts at midnight */
	{ MIN(0, 0), MIN(6, 0), MIN(0, 0), 1 },
	{ MIN(0, 0), MIN(6, 0), MIN(23, 59), 0 },
	/* 22:00-00:00 ends at midnight: wraps to an empty morning part */
	{ MIN(22, 0), MIN(0, 0), MIN(23, 59), 1 },
	{ MIN(22, 0), MIN(0, 0), MIN(0, 0), 0 },
	/* start == end: no quiet time at all */
	{ MIN(10, 0), MIN(10, 0), MIN(10, 0), 0 },
	{ MIN(10, 0), MIN(10, 0), MIN(3, 0), 0 },
	/* -1: none configured */
	{ -1, -1, MIN(3, 0), 0 },
	{ -1, MIN(8, 0), MIN(3, 0), 0 },
	{ MIN(18, 0), -1, MIN(20, 0), 0 },
	/* nonsense minutes are never quiet */
	{ MIN(18, 0), MIN(8, 0), -1, 0 },
	{ MIN(18, 0), MIN(8, 0), 1440, 0 },
	{ 1440, MIN(8, 0), MIN(3, 0), 0 },
};

#define NQUIET (int)(sizeof(quiet_cases) / sizeof(quiet_cases[0]))

START_TEST(quiet_table)
{
	policy.quiet_start = quiet_cases[_i].start;
	policy.quiet_end = quiet_cases[_i].end;
	ck_assert_msg(cl_policy_is_quiet(&policy, quiet_cases[_i].minute) ==
		quiet_cases[_i].want, "%d-%d at %d", quiet_cases[_i].start,
		quiet_cases[_i].end, quiet_cases[_i].minute);
}
END_TEST

START_TEST(quiet_default_none)
{
	int m;

	for (m = 0; m < 1440; m++)
		ck_assert_int_eq(cl_policy_is_quiet(&policy, m), 0);
	ck_assert_int_eq(cl_policy_is_quiet(NULL, MIN(3, 0)), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Reminders: each rule in each mode                                  */
/* ------------------------------------------------------------------ */

/* Puts ticket t into the state where rule's clock is due at T + 10h. */
static void arm(cl_ticket_state *t, cl_rule rule)
{
	switch (rule) {
	case CL_RULE_OWNER_REQUIRED:
		t->owner = NULL;
		break;
	case CL_RULE_HANDOFF_ACK:
		t->new_owner = "lena";
		t->handoff_at = T + HOUR;
		break;
	default:
		t->work_done_at = T + 2 * HOUR;
		break;
	}
}

static const struct {
	cl_rule rule;
	cl_mode mode;
	size_t nwant;
	cl_action action;
	int64_t since;
} remind_mode_cases[] = {
	{ CL_RULE_OWNER_REQUIRED, E, 1, CL_ACTION_REMIND, T },
	{ CL_RULE_OWNER_REQUIRED, W, 1, CL_ACTION_RECORD, T },
	{ CL_RULE_OWNER_REQUIRED, O, 0, CL_ACTION_NONE, 0 },
	{ CL_RULE_HANDOFF_ACK, E, 1, CL_ACTION_REMIND, T + HOUR },
	{ CL_RULE_HANDOFF_ACK, W, 1, CL_ACTION_RECORD, T + HOUR },
	{ CL_RULE_HANDOFF_ACK, O, 0, CL_ACTION_NONE, 0 },
	{ CL_RULE_REPLY_DUE, E, 1, CL_ACTION_REMIND, T + 2 * HOUR },
	{ CL_RULE_REPLY_DUE, W, 1, CL_ACTION_RECORD, T + 2 * HOUR },
	{ CL_RULE_REPLY_DUE, O, 0, CL_ACTION_NONE, 0 },
};

#define NREMIND_MODE \
	(int)(sizeof(remind_mode_cases) / sizeof(remind_mode_cases[0]))

START_TEST(remind_mode_table)
{
	cl_ticket_state t = open_ticket();
	size_t n;

	policy.mode[remind_mode_cases[_i].rule] = remind_mode_cases[_i].mode;
	arm(&t, remind_mode_cases[_i].rule);
	n = due(&t, T + 10 * HOUR);
	ck_assert_uint_eq(n, remind_mode_cases[_i].nwant);
	if (n == 1) {
		ck_assert_int_eq(rem[0].rule, remind_mode_cases[_i].rule);
		ck_assert_int_eq(rem[0].action, remind_mode_cases[_i].action);
		ck_assert_int_eq(rem[0].since, remind_mode_cases[_i].since);
		ck_assert_int_eq(rem[0].escalate, 0);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Reminders: when each clock fires                                   */
/* ------------------------------------------------------------------ */

START_TEST(owner_required_boundary)
{
	cl_ticket_state t = open_ticket();

	t.owner = NULL;
	ck_assert_uint_eq(due(&t, T + HOUR - 1), 0);
	ck_assert_uint_eq(due(&t, T + HOUR), 1);
	ck_assert_int_eq(rem[0].rule, CL_RULE_OWNER_REQUIRED);
	ck_assert_int_eq(rem[0].since, T);
}
END_TEST

START_TEST(owner_required_empty_owner)
{
	cl_ticket_state t = open_ticket();

	t.owner = "";
	ck_assert_uint_eq(due(&t, T + 2 * HOUR), 1);
	ck_assert_int_eq(rem[0].rule, CL_RULE_OWNER_REQUIRED);
}
END_TEST

START_TEST(owner_required_owned_ticket)
{
	cl_ticket_state t = open_ticket();

	ck_assert_uint_eq(due(&t, T + 100 * HOUR), 0);
}
END_TEST

START_TEST(owner_required_unknown_open_time)
{
	cl_ticket_state t = open_ticket();

	t.owner = NULL;
	t.opened_at = 0;
	ck_assert_uint_eq(due(&t, T), 0);
}
END_TEST

START_TEST(owner_required_pending_new_owner_counts_as_unowned)
{
	cl_ticket_state t = open_ticket();

	t.owner = NULL;
	t.new_owner = "lena";
	t.handoff_at = T + 5 * HOUR; /* not yet due */
	ck_assert_uint_eq(due(&t, T + 6 * HOUR), 1);
	ck_assert_int_eq(rem[0].rule, CL_RULE_OWNER_REQUIRED);
}
END_TEST

START_TEST(handoff_ack_boundary)
{
	cl_ticket_state t = open_ticket();

	t.new_owner = "lena";
	t.handoff_at = T + 3 * HOUR;
	ck_assert_uint_eq(due(&t, T + 5 * HOUR - 1), 0);
	ck_assert_uint_eq(due(&t, T + 5 * HOUR), 1);
	ck_assert_int_eq(rem[0].rule, CL_RULE_HANDOFF_ACK);
	ck_assert_int_eq(rem[0].since, T + 3 * HOUR);
}
END_TEST

START_TEST(handoff_ack_acknowledged)
{
	cl_ticket_state t = open_ticket();

	t.new_owner = NULL; /* acknowledged: the engine clears it */
	t.handoff_at = T + 3 * HOUR;
	ck_assert_uint_eq(due(&t, T + 50 * HOUR), 0);
	t.new_owner = "";
	ck_assert_uint_eq(due(&t, T + 50 * HOUR), 0);
}
END_TEST

START_TEST(handoff_ack_unknown_time)
{
	cl_ticket_state t = open_ticket();

	t.new_owner = "lena";
	t.handoff_at = 0;
	ck_assert_uint_eq(due(&t, T + 50 * HOUR), 0);
}
END_TEST

START_TEST(reply_due_boundary)
{
	cl_ticket_state t = open_ticket();

	t.work_done_at = T + 2 * HOUR;
	ck_assert_uint_eq(due(&t, T + 6 * HOUR - 1), 0);
	ck_assert_uint_eq(due(&t, T + 6 * HOUR), 1);
	ck_assert_int_eq(rem[0].rule, CL_RULE_REPLY_DUE);
	ck_assert_int_eq(rem[0].since, T + 2 * HOUR);
}
END_TEST

START_TEST(reply_due_delivered)
{
	cl_ticket_state t = open_ticket();

	t.work_done_at = T + 2 * HOUR;
	t.delivered = 1;
	ck_assert_uint_eq(due(&t, T + 50 * HOUR), 0);
}
END_TEST

START_TEST(reply_due_no_work_done)
{
	cl_ticket_state t = open_ticket();

	ck_assert_uint_eq(due(&t, T + 50 * HOUR), 0);
}
END_TEST

START_TEST(all_three_in_rule_order)
{
	cl_ticket_state t = open_ticket();

	t.owner = NULL;
	t.new_owner = "lena";
	t.handoff_at = T + HOUR;
	t.work_done_at = T + 2 * HOUR;
	ck_assert_uint_eq(due(&t, T + 10 * HOUR), 3);
	ck_assert_int_eq(rem[0].rule, CL_RULE_OWNER_REQUIRED);
	ck_assert_int_eq(rem[1].rule, CL_RULE_HANDOFF_ACK);
	ck_assert_int_eq(rem[2].rule, CL_RULE_REPLY_DUE);
	/* nothing past the third slot */
	ck_assert_int_eq(((unsigned char *)&rem[3])[0], 0xab);
}
END_TEST

START_TEST(mixed_modes_only_enabled_rules)
{
	cl_ticket_state t = open_ticket();

	t.owner = NULL;
	t.work_done_at = T + 2 * HOUR;
	policy.mode[CL_RULE_OWNER_REQUIRED] = CL_MODE_OFF;
	policy.mode[CL_RULE_REPLY_DUE] = CL_MODE_WARN;
	ck_assert_uint_eq(due(&t, T + 10 * HOUR), 1);
	ck_assert_int_eq(rem[0].rule, CL_RULE_REPLY_DUE);
	ck_assert_int_eq(rem[0].action, CL_ACTION_RECORD);
}
END_TEST

START_TEST(all_modes_off)
{
	cl_ticket_state t = open_ticket();

	set_all_modes(CL_MODE_OFF);
	t.owner = NULL;
	t.new_owner = "lena";
	t.handoff_at = T + HOUR;
	t.work_done_at = T + 2 * HOUR;
	ck_assert_uint_eq(due(&t, T + 10 * HOUR), 0);
}
END_TEST

START_TEST(clock_in_the_future)
{
	cl_ticket_state t = open_ticket();

	t.owner = NULL;
	t.opened_at = T + 10 * HOUR; /* a skewed clock */
	ck_assert_uint_eq(due(&t, T), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Reminders: tickets that get none                                   */
/* ------------------------------------------------------------------ */

/* A ticket with all three clocks due at T + 10h. */
static cl_ticket_state busy_ticket(void)
{
	cl_ticket_state t = open_ticket();

	arm(&t, CL_RULE_OWNER_REQUIRED);
	arm(&t, CL_RULE_HANDOFF_ACK);
	arm(&t, CL_RULE_REPLY_DUE);
	return t;
}

START_TEST(closed_ticket_gets_none)
{
	cl_ticket_state t = busy_ticket();

	t.closed = 1;
	ck_assert_uint_eq(due(&t, T + 10 * HOUR), 0);
}
END_TEST

START_TEST(snoozed_ticket_gets_none)
{
	cl_ticket_state t = busy_ticket();

	t.snoozed = 1;
	ck_assert_uint_eq(due(&t, T + 10 * HOUR), 0);
	t.snoozed = 0;
	ck_assert_uint_eq(due(&t, T + 10 * HOUR), 3);
}
END_TEST

START_TEST(missing_ticket_gets_none)
{
	cl_ticket_state t = busy_ticket();

	t.exists = 0;
	ck_assert_uint_eq(due(&t, T + 10 * HOUR), 0);
}
END_TEST

START_TEST(quiet_hours_hold_reminders)
{
	cl_ticket_state t = busy_ticket();
	int64_t now = T + 10 * HOUR;

	policy.quiet_start = MIN(18, 0);
	policy.quiet_end = MIN(8, 0);
	ck_assert_uint_eq(cl_policy_reminders_due(rem, &policy, &t, history,
		now, MIN(18, 0)), 0);
	ck_assert_uint_eq(cl_policy_reminders_due(rem, &policy, &t, history,
		now, MIN(2, 30)), 0);
	ck_assert_uint_eq(cl_policy_reminders_due(rem, &policy, &t, history,
		now, MIN(7, 59)), 0);
	ck_assert_uint_eq(cl_policy_reminders_due(rem, &policy, &t, history,
		now, MIN(8, 0)), 3);
	ck_assert_uint_eq(cl_policy_reminders_due(rem, &policy, &t, history,
		now, MIN(17, 59)), 3);
}
END_TEST

START_TEST(reminders_null_inputs)
{
	cl_ticket_state t = busy_ticket();
	int64_t now = T + 10 * HOUR;

	ck_assert_uint_eq(cl_policy_reminders_due(NULL, &policy, &t, history,
		now, 0), 0);
	ck_assert_uint_eq(cl_policy_reminders_due(rem, NULL, &t, history,
		now, 0), 0);
	ck_assert_uint_eq(cl_policy_reminders_due(rem, &policy, NULL, history,
		now, 0), 0);
}
END_TEST

START_TEST(reminders_null_history_is_never_sent)
{
	cl_ticket_state t = busy_ticket();

	ck_assert_uint_eq(cl_policy_reminders_due(rem, &policy, &t, NULL,
		T + 10 * HOUR, 0), 3);
	ck_assert_int_eq(rem[2].escalate, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Reminders: repeat and new clocks                                   */
/* ------------------------------------------------------------------ */

/* For each reminder rule: sent after its clock started, repeat applies. */
static const cl_rule remind_rules[] = {
	CL_RULE_OWNER_REQUIRED, CL_RULE_HANDOFF_ACK, CL_RULE_REPLY_DUE
};

START_TEST(repeat_holds_until_elapsed)
{
	cl_rule rule = remind_rules[_i];
	cl_ticket_state t = open_ticket();
	int64_t sent = T + 10 * HOUR;

	arm(&t, rule);
	history[rule].last_sent = sent;
	history[rule].count = 1;
	ck_assert_uint_eq(due(&t, sent + 1), 0);
	ck_assert_uint_eq(due(&t, sent + 24 * HOUR - 1), 0);
	ck_assert_uint_eq(due(&t, sent + 24 * HOUR), 1);
	ck_assert_int_eq(rem[0].rule, rule);
}
END_TEST

START_TEST(repeat_is_per_rule)
{
	cl_ticket_state t = busy_ticket();

	history[CL_RULE_HANDOFF_ACK].last_sent = T + 9 * HOUR;
	history[CL_RULE_HANDOFF_ACK].count = 1;
	ck_assert_uint_eq(due(&t, T + 10 * HOUR), 2);
	ck_assert_int_eq(rem[0].rule, CL_RULE_OWNER_REQUIRED);
	ck_assert_int_eq(rem[1].rule, CL_RULE_REPLY_DUE);
}
END_TEST

START_TEST(repeat_custom_interval)
{
	cl_ticket_state t = open_ticket();

	policy.repeat = 2 * HOUR;
	t.owner = NULL;
	history[CL_RULE_OWNER_REQUIRED].last_sent = T + HOUR;
	ck_assert_uint_eq(due(&t, T + 3 * HOUR - 1), 0);
	ck_assert_uint_eq(due(&t, T + 3 * HOUR), 1);
}
END_TEST

START_TEST(new_handoff_starts_new_clock)
{
	cl_ticket_state t = open_ticket();

	/* reminded about an earlier handoff at T + 3h */
	history[CL_RULE_HANDOFF_ACK].last_sent = T + 3 * HOUR;
	history[CL_RULE_HANDOFF_ACK].count = 1;
	/* a second handoff at T + 5h is due at T + 7h, within repeat */
	t.new_owner = "jonas";
	t.handoff_at = T + 5 * HOUR;
	ck_assert_uint_eq(due(&t, T + 7 * HOUR - 1), 0);
	ck_assert_uint_eq(due(&t, T + 7 * HOUR), 1);
	ck_assert_int_eq(rem[0].rule, CL_RULE_HANDOFF_ACK);
	ck_assert_int_eq(rem[0].since, T + 5 * HOUR);
}
END_TEST

START_TEST(reopen_starts_new_clock)
{
	cl_ticket_state t = open_ticket();

	/* reminded at T + 2h about the first opening; reopened at T + 3h */
	history[CL_RULE_OWNER_REQUIRED].last_sent = T + 2 * HOUR;
	t.owner = NULL;
	t.opened_at = T + 3 * HOUR;
	ck_assert_uint_eq(due(&t, T + 4 * HOUR), 1);
	ck_assert_int_eq(rem[0].since, T + 3 * HOUR);
}
END_TEST

START_TEST(new_work_done_starts_new_clock)
{
	cl_ticket_state t = open_ticket();

	history[CL_RULE_REPLY_DUE].last_sent = T + 6 * HOUR;
	history[CL_RULE_REPLY_DUE].count = 1;
	t.work_done_at = T + 8 * HOUR;
	ck_assert_uint_eq(due(&t, T + 12 * HOUR), 1);
	ck_assert_int_eq(rem[0].since, T + 8 * HOUR);
}
END_TEST

START_TEST(sent_at_clock_start_is_same_clock)
{
	cl_ticket_state t = open_ticket();

	/* last_sent == clock start: not older, so repeat still applies */
	t.new_owner = "lena";
	t.handoff_at = T + 5 * HOUR;
	history[CL_RULE_HANDOFF_ACK].last_sent = T + 5 * HOUR;
	ck_assert_uint_eq(due(&t, T + 8 * HOUR), 0);
	ck_assert_uint_eq(due(&t, T + 29 * HOUR), 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Reminders: escalation                                              */
/* ------------------------------------------------------------------ */

static const struct {
	int escalate_after;
	int count;
	int want;
} escalate_cases[] = {
	{ 2, 0, 0 },
	{ 2, 1, 0 },
	{ 2, 2, 1 }, /* after two reminders, the third names escalateTo */
	{ 2, 3, 1 },
	{ 1, 0, 0 },
	{ 1, 1, 1 },
	{ 0, 0, 0 }, /* 0: never escalate */
	{ 0, 100, 0 },
	{ -1, 5, 0 },
	{ 5, 4, 0 },
	{ 5, 5, 1 },
};

#define NESCALATE (int)(sizeof(escalate_cases) / sizeof(escalate_cases[0]))

START_TEST(escalate_table)
{
	cl_ticket_state t = open_ticket();

	policy.escalate_after = escalate_cases[_i].escalate_after;
	t.work_done_at = T + 2 * HOUR;
	history[CL_RULE_REPLY_DUE].count = escalate_cases[_i].count;
	if (escalate_cases[_i].count > 0)
		history[CL_RULE_REPLY_DUE].last_sent = T + 6 * HOUR;
	ck_assert_uint_eq(due(&t, T + 30 * HOUR), 1);
	ck_assert_int_eq(rem[0].rule, CL_RULE_REPLY_DUE);
	ck_assert_int_eq(rem[0].escalate, escalate_cases[_i].want);
}
END_TEST

START_TEST(escalate_only_reply_due)
{
	cl_ticket_state t = busy_ticket();
	int i;

	for (i = 0; i < CL_RULE__COUNT; i++)
		history[i].count = 10;
	ck_assert_uint_eq(due(&t, T + 10 * HOUR), 3);
	ck_assert_int_eq(rem[0].escalate, 0);
	ck_assert_int_eq(rem[1].escalate, 0);
	ck_assert_int_eq(rem[2].escalate, 1);
}
END_TEST

START_TEST(escalate_in_warn_mode)
{
	cl_ticket_state t = open_ticket();

	policy.mode[CL_RULE_REPLY_DUE] = CL_MODE_WARN;
	t.work_done_at = T + 2 * HOUR;
	history[CL_RULE_REPLY_DUE].count = 2;
	ck_assert_uint_eq(due(&t, T + 10 * HOUR), 1);
	ck_assert_int_eq(rem[0].action, CL_ACTION_RECORD);
	ck_assert_int_eq(rem[0].escalate, 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Suite                                                              */
/* ------------------------------------------------------------------ */

static TCase *tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, NULL);
	return tc;
}

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase("names");
	tcase_add_loop_test(tc, rule_name_round_trip, 0, CL_RULE__COUNT);
	tcase_add_test(tc, rule_from_name_ignores_case);
	tcase_add_test(tc, rule_from_name_unknown);
	tcase_add_test(tc, rule_from_name_null);
	tcase_add_test(tc, rule_name_out_of_range);
	tcase_add_loop_test(tc, mode_name_round_trip, 0, 3);
	tcase_add_test(tc, mode_from_name_ignores_case);
	tcase_add_test(tc, mode_from_name_unknown);
	tcase_add_test(tc, mode_name_out_of_range);
	suite_add_tcase(s, tc);

	tc = tcase("config");
	tcase_add_test(tc, init_modes);
	tcase_add_test(tc, init_timings);
	tcase_add_test(tc, init_null);
	tcase_add_loop_test(tc, combine_table, 0, NCOMBINE);
	suite_add_tcase(s, tc);

	tc = tcase("check_ref");
	tcase_add_loop_test(tc, check_ref_table, 0, NREF);
	tcase_add_test(tc, check_ref_null);
	tcase_add_test(tc, check_ref_corrupt_mode_is_off);
	suite_add_tcase(s, tc);

	tc = tcase("association");
	tcase_add_test(tc, association_off_by_default);
	tcase_add_loop_test(tc, association_table, 0, NASSOC);
	tcase_add_test(tc, association_null);
	suite_add_tcase(s, tc);

	tc = tcase("on_close");
	tcase_add_loop_test(tc, on_close_table, 0, NCLOSE);
	tcase_add_test(tc, on_close_null);
	suite_add_tcase(s, tc);

	tc = tcase("quiet");
	tcase_add_loop_test(tc, quiet_table, 0, NQUIET);
	tcase_add_test(tc, quiet_default_none);
	suite_add_tcase(s, tc);

	tc = tcase("remind");
	tcase_add_loop_test(tc, remind_mode_table, 0, NREMIND_MODE);
	tcase_add_test(tc, owner_required_boundary);
	tcase_add_test(tc, owner_required_empty_owner);
	tcase_add_test(tc, owner_required_owned_ticket);
	tcase_add_test(tc, owner_required_unknown_open_time);
	tcase_add_test(tc, owner_required_pending_new_owner_counts_as_unowned);
	tcase_add_test(tc, handoff_ack_boundary);
	tcase_add_test(tc, handoff_ack_acknowledged);
	tcase_add_test(tc, handoff_ack_unknown_time);
	tcase_add_test(tc, reply_due_boundary);
	tcase_add_test(tc, reply_due_delivered);
	tcase_add_test(tc, reply_due_no_work_done);
	tcase_add_test(tc, all_three_in_rule_order);
	tcase_add_test(tc, mixed_modes_only_enabled_rules);
	tcase_add_test(tc, all_modes_off);
	tcase_add_test(tc, clock_in_the_future);
	suite_add_tcase(s, tc);

	tc = tcase("remind_skip");
	tcase_add_test(tc, closed_ticket_gets_none);
	tcase_add_test(tc, snoozed_ticket_gets_none);
	tcase_add_test(tc, missing_ticket_gets_none);
	tcase_add_test(tc, quiet_hours_hold_reminders);
	tcase_add_test(tc, reminders_null_inputs);
	tcase_add_test(tc, reminders_null_history_is_never_sent);
	suite_add_tcase(s, tc);

	tc = tcase("remind_repeat");
	tcase_add_loop_test(tc, repeat_holds_until_elapsed, 0,
		(int)(sizeof(remind_rules) / sizeof(remind_rules[0])));
	tcase_add_test(tc, repeat_is_per_rule);
	tcase_add_test(tc, repeat_custom_interval);
	tcase_add_test(tc, new_handoff_starts_new_clock);
	tcase_add_test(tc, reopen_starts_new_clock);
	tcase_add_test(tc, new_work_done_starts_new_clock);
	tcase_add_test(tc, sent_at_clock_start_is_same_clock);
	suite_add_tcase(s, tc);

	tc = tcase("escalate");
	tcase_add_loop_test(tc, escalate_table, 0, NESCALATE);
	tcase_add_test(tc, escalate_only_reply_due);
	tcase_add_test(tc, escalate_in_warn_mode);
	suite_add_tcase(s, tc);

	return s;
}

CL_TEST_MAIN(policy_suite)
