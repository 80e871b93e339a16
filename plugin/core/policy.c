/*
 * policy.c: the rules of DESIGN.md ("Rules") as pure functions.
 *
 * Nothing here does I/O, reads the clock or allocates: the caller passes
 * the ticket state, the time and the reminder history, and acts on the
 * verdicts that come back. That keeps every rule testable in every mode
 * and lets the hook, the receiver and `closeloop remind` share one
 * definition of what the rules mean.
 *
 * Every function is defensive about NULL and out-of-range input: it
 * answers "nothing to do" (0, CL_ACTION_NONE, CL_MODE_OFF) rather than
 * crash, since a policy bug must never take a git server down.
 */
#include "internal.h"

/* ------------------------------------------------------------------ */
/* Names                                                              */
/* ------------------------------------------------------------------ */

/* Indexed by cl_rule; the spelling used in config ([rule "NAME"]). */
static const char *const rule_names[CL_RULE__COUNT] = {
	"ticket-exists",
	"owner-required",
	"reply-before-close",
	"handoff-ack",
	"reply-due",
	"association"
};

/* Indexed by cl_mode. */
static const char *const mode_names[] = { "off", "warn", "enforce" };

#define MODE_COUNT (sizeof(mode_names) / sizeof(mode_names[0]))

const char *cl_rule_name(cl_rule rule)
{
	/* The cast keeps a negative (out-of-range) enum value out. */
	if ((unsigned)rule >= CL_RULE__COUNT)
		return NULL;
	return rule_names[rule];
}

int cl_rule_from_name(cl_rule *out, const char *name)
{
	unsigned i;

	if (out == NULL || name == NULL)
		return cl__error(CL_EINVALID, "no rule name given");
	for (i = 0; i < CL_RULE__COUNT; i++) {
		if (cl__strcasecmp(name, rule_names[i]) == 0) {
			*out = (cl_rule)i;
			return CL_OK;
		}
	}
	return cl__error(CL_ENOTFOUND, "unknown rule '%s' (expected "
		"ticket-exists, owner-required, reply-before-close, "
		"handoff-ack, reply-due or association)", name);
}

const char *cl_mode_name(cl_mode mode)
{
	if ((unsigned)mode >= MODE_COUNT)
		return NULL;
	return mode_names[mode];
}

int cl_mode_from_name(cl_mode *out, const char *name)
{
	unsigned i;

	if (out == NULL || name == NULL)
		return cl__error(CL_EINVALID, "no mode name given");
	for (i = 0; i < MODE_COUNT; i++) {
		if (cl__strcasecmp(name, mode_names[i]) == 0) {
			*out = (cl_mode)i;
			return CL_OK;
		}
	}
	return cl__error(CL_ENOTFOUND,
		"unknown mode '%s' (expected off, warn or enforce)", name);
}

/* ------------------------------------------------------------------ */
/* Configuration                                                      */
/* ------------------------------------------------------------------ */

void cl_policy_init(cl_policy *policy)
{
	unsigned i;

	if (policy == NULL)
		return;
	for (i = 0; i < CL_RULE__COUNT; i++)
		policy->mode[i] = CL_MODE_ENFORCE;
	/* association rejects commits without a ticket: opt-in only. */
	policy->mode[CL_RULE_ASSOCIATION] = CL_MODE_OFF;
	policy->reply_after = 4 * 3600;
	policy->unowned_after = 1 * 3600;
	policy->handoff_after = 2 * 3600;
	policy->repeat = 24 * 3600;
	policy->escalate_after = 2;
	policy->quiet_start = -1;
	policy->quiet_end = -1;
}

static int mode_valid(cl_mode mode)
{
	return (unsigned)mode < MODE_COUNT;
}

cl_mode cl_policy_combine(cl_mode global, int enabled, cl_mode rule)
{
	if (!mode_valid(global) || !mode_valid(rule))
		return CL_MODE_OFF;
	if (global == CL_MODE_OFF || !enabled || rule == CL_MODE_OFF)
		return CL_MODE_OFF;
	if (global == CL_MODE_WARN || rule == CL_MODE_WARN)
		return CL_MODE_WARN;
	return CL_MODE_ENFORCE;
}

/* The rule's effective mode; a corrupt value counts as off. */
static cl_mode rule_mode(const cl_policy *policy, cl_rule rule)
{
	cl_mode mode = policy->mode[rule];

	return mode_valid(mode) ? mode : CL_MODE_OFF;
}

/* ------------------------------------------------------------------ */
/* Verdicts: pre-receive and tracker events                           */
/* ------------------------------------------------------------------ */

/* An owner is a non-empty login; a pending new owner does not count. */
static int has_text(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/*
 * Append a verdict for rule when the rule is on. Returns how many were
 * written (0 or 1), so callers can add it to their count.
 */
static size_t put_verdict(cl_verdict *out, const cl_policy *policy,
	cl_rule rule, cl_problem problem)
{
	cl_mode mode = rule_mode(policy, rule);

	if (mode == CL_MODE_OFF)
		return 0;
	out->rule = rule;
	out->kind = mode == CL_MODE_ENFORCE ? CL_VERDICT_REJECT : CL_VERDICT_WARN;
	out->problem = problem;
	return 1;
}

size_t cl_policy_check_ref(cl_verdict *out, const cl_policy *policy,
	const cl_push_ref *ref)
{
	const cl_ticket_state *ticket;
	size_t n = 0;

	if (out == NULL || policy == NULL || ref == NULL || ref->ticket == NULL)
		return 0;
	ticket = ref->ticket;

	/*
	 * Nothing else can be judged about a ticket that is not there, even
	 * with ticket-exists off: its owner and replies are unknown.
	 */
	if (!ticket->exists)
		return put_verdict(out, policy, CL_RULE_TICKET_EXISTS,
			CL_PROBLEM_NO_TICKET);

	/* A mention ("Refs #12") never blocks; only closing does. */
	if (!ref->closing)
		return 0;

	if (!has_text(ticket->owner))
		n += put_verdict(out + n, policy, CL_RULE_OWNER_REQUIRED,
			CL_PROBLEM_NO_OWNER);
	if (!ticket->delivered && !ref->reply_in_push)
		n += put_verdict(out + n, policy, CL_RULE_REPLY_BEFORE_CLOSE,
			CL_PROBLEM_NO_REPLY);
	return n;
}

int cl_policy_check_association(cl_verdict *out, const cl_policy *policy,
	size_t nrefs)
{
	if (out == NULL || policy == NULL || nrefs > 0)
		return 0;
	return (int)put_verdict(out, policy, CL_RULE_ASSOCIATION,
		CL_PROBLEM_NO_REFERENCE);
}

cl_action cl_policy_on_close(cl_verdict *out, const cl_policy *policy,
	const cl_ticket_state *ticket)
{
	if (out == NULL || policy == NULL || ticket == NULL)
		return CL_ACTION_NONE;

	/* Report a pass unless a rule below says otherwise. */
	out->rule = CL_RULE_REPLY_BEFORE_CLOSE;
	out->kind = CL_VERDICT_PASS;
	out->problem = CL_PROBLEM_NONE;

	if (!ticket->exists || ticket->delivered)
		return CL_ACTION_NONE;
	if (!put_verdict(out, policy, CL_RULE_REPLY_BEFORE_CLOSE,
			CL_PROBLEM_NO_REPLY))
		return CL_ACTION_NONE;
	/* warn mode leaves the tracker alone: the ledger records it. */
	return out->kind == CL_VERDICT_REJECT ? CL_ACTION_REOPEN : CL_ACTION_RECORD;
}

/* ------------------------------------------------------------------ */
/* Reminders                                                          */
/* ------------------------------------------------------------------ */

#define MINUTES_PER_DAY (24 * 60)

static int minute_valid(int minute)
{
	return minute >= 0 && minute < MINUTES_PER_DAY;
}

int cl_policy_is_quiet(const cl_policy *policy, int minute_of_day)
{
	int start, end;

	if (policy == NULL || !minute_valid(minute_of_day))
		return 0;
	start = policy->quiet_start;
	end = policy->quiet_end;
	/* -1 (or any nonsense) means no quiet hours; so does an empty range. */
	if (!minute_valid(start) || !minute_valid(end) || start == end)
		return 0;
	if (start < end)
		return minute_of_day >= start && minute_of_day < end;
	/* The range wraps midnight: 18:00-08:00 is [1080, 1440) + [0, 480). */
	return minute_of_day >= start || minute_of_day < end;
}

/*
 * Whether a reminder for a clock started at since may go out at now,
 * given the last one sent. A reminder sent before the clock (re)started
 * belongs to an earlier episode (an earlier handoff, an earlier piece of
 * work), so it does not hold the new one back; otherwise wait `repeat`.
 */
static int repeat_allows(const cl_policy *policy,
	const cl_reminder_history *history, int64_t since, int64_t now)
{
	if (history == NULL || history->last_sent == 0)
		return 1;
	if (history->last_sent < since)
		return 1;
	return now - history->last_sent >= policy->repeat;
}

/* The clock of one reminder rule: when it started, or 0 when not running. */
static int64_t clock_start(const cl_policy *policy,
	const cl_ticket_state *ticket, cl_rule rule, int64_t *after)
{
	switch (rule) {
	case CL_RULE_OWNER_REQUIRED:
		*after = policy->unowned_after;
		return has_text(ticket->owner) ? 0 : ticket->opened_at;
	case CL_RULE_HANDOFF_ACK:
		*after = policy->handoff_after;
		return has_text(ticket->new_owner) ? ticket->handoff_at : 0;
	case CL_RULE_REPLY_DUE:
		*after = policy->reply_after;
		return ticket->delivered ? 0 : ticket->work_done_at;
	default:
		*after = 0;
		return 0;
	}
}

/* Fill r and return 1 when rule's reminder is due at now. */
static int reminder_due(cl_reminder *r, const cl_policy *policy,
	const cl_ticket_state *ticket, const cl_reminder_history *history,
	cl_rule rule, int64_t now)
{
	cl_mode mode = rule_mode(policy, rule);
	const cl_reminder_history *h = history ? &history[rule] : NULL;
	int64_t after;
	int64_t since = clock_start(policy, ticket, rule, &after);

	/* A start of 0 is unknown: no clock is running. */
	if (mode == CL_MODE_OFF || since <= 0 || now - since < after)
		return 0;
	if (!repeat_allows(policy, h, since, now))
		return 0;
	r->rule = rule;
	r->action = mode == CL_MODE_ENFORCE ? CL_ACTION_REMIND : CL_ACTION_RECORD;
	/* DESIGN.md: only reply-due escalates, after escalateAfter reminders. */
	r->escalate = rule == CL_RULE_REPLY_DUE && h != NULL &&
		policy->escalate_after > 0 && h->count >= policy->escalate_after;
	r->since = since;
	return 1;
}

size_t cl_policy_reminders_due(cl_reminder *out, const cl_policy *policy,
	const cl_ticket_state *ticket,
	const cl_reminder_history history[CL_RULE__COUNT], int64_t now,
	int minute_of_day)
{
	/* In rule order, so the output order is stable. */
	static const cl_rule reminder_rules[] = {
		CL_RULE_OWNER_REQUIRED, CL_RULE_HANDOFF_ACK, CL_RULE_REPLY_DUE
	};
	size_t i, n = 0;

	if (out == NULL || policy == NULL || ticket == NULL)
		return 0;
	if (!ticket->exists || ticket->closed || ticket->snoozed)
		return 0;
	/* Held, not dropped: the next pass after the quiet hours sends them. */
	if (cl_policy_is_quiet(policy, minute_of_day))
		return 0;
	for (i = 0; i < sizeof(reminder_rules) / sizeof(reminder_rules[0]); i++)
		n += (size_t)reminder_due(&out[n], policy, ticket, history,
			reminder_rules[i], now);
	return n;
}
