/*
 * policy.h: the rules of DESIGN.md as pure functions. Ticket state and
 * push or event facts go in, verdicts come out; nothing here does I/O or
 * reads the clock, so every rule can be tested in every mode.
 */
#ifndef CLOSELOOP_POLICY_H
#define CLOSELOOP_POLICY_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	CL_MODE_OFF = 0,
	CL_MODE_WARN = 1,   /* report, accept, change nothing in the tracker */
	CL_MODE_ENFORCE = 2
} cl_mode;

typedef enum {
	CL_RULE_TICKET_EXISTS = 0,
	CL_RULE_OWNER_REQUIRED,
	CL_RULE_REPLY_BEFORE_CLOSE,
	CL_RULE_HANDOFF_ACK,
	CL_RULE_REPLY_DUE,
	CL_RULE_ASSOCIATION,
	CL_RULE__COUNT
} cl_rule;

/* "reply-before-close" and back; NULL / CL_ENOTFOUND for unknown names. */
CL_EXTERN(const char *) cl_rule_name(cl_rule rule);
CL_EXTERN(int) cl_rule_from_name(cl_rule *out, const char *name);
CL_EXTERN(const char *) cl_mode_name(cl_mode mode);
CL_EXTERN(int) cl_mode_from_name(cl_mode *out, const char *name);

/* Everything the rules need to know about the configuration. */
typedef struct {
	cl_mode mode[CL_RULE__COUNT]; /* effective mode per rule */
	int64_t reply_after;          /* seconds; remind.replyAfter */
	int64_t unowned_after;        /* remind.unownedAfter */
	int64_t handoff_after;        /* remind.handoffAfter */
	int64_t repeat;               /* remind.repeat */
	int escalate_after;           /* reminders before escalation; 0 never */
	int quiet_start;              /* minute of day, -1 when no quiet hours */
	int quiet_end;                /* minute of day the quiet hours end */
} cl_policy;

/* Defaults: every rule enforced but association (off), DESIGN.md timings. */
CL_EXTERN(void) cl_policy_init(cl_policy *policy);

/* Effective mode: the global mode caps every rule's own mode. */
CL_EXTERN(cl_mode) cl_policy_combine(cl_mode global, int enabled, cl_mode rule);

/* What closeloop knows about one ticket. Times are Unix seconds, 0 unknown. */
typedef struct {
	int exists;
	int closed;
	int snoozed;               /* labelled closeloop:snooze */
	const char *owner;         /* accountable owner; NULL when unowned */
	const char *new_owner;     /* handoff not yet acknowledged; else NULL */
	int64_t handoff_at;        /* when the unacknowledged handoff happened */
	int delivered;             /* a reply linked since last (re)opened */
	int64_t opened_at;         /* created or last reopened */
	int64_t work_done_at;      /* first work done since opened; 0 none */
} cl_ticket_state;

typedef enum {
	CL_VERDICT_PASS = 0,
	CL_VERDICT_WARN,   /* report, accept */
	CL_VERDICT_REJECT  /* enforce: reject the push / act in the tracker */
} cl_verdict_kind;

typedef enum {
	CL_PROBLEM_NONE = 0,
	CL_PROBLEM_NO_TICKET,    /* the referenced ticket does not exist */
	CL_PROBLEM_NO_OWNER,     /* closing an unowned ticket */
	CL_PROBLEM_NO_REPLY,     /* closing an undelivered ticket */
	CL_PROBLEM_NO_REFERENCE  /* a commit that references no ticket */
} cl_problem;

typedef struct {
	cl_rule rule;
	cl_verdict_kind kind;
	cl_problem problem;
} cl_verdict;

/* What a push says about one ticket. */
typedef struct {
	const cl_ticket_state *ticket;
	int closing;        /* a closing reference ("Fixes #12") */
	int reply_in_push;  /* a Customer-Reply trailer for it in the same push */
} cl_push_ref;

/* Pre-receive, one referenced ticket: returns how many verdicts were
 * written to out (at most CL_RULE__COUNT), passes are not written. */
CL_EXTERN(size_t) cl_policy_check_ref(cl_verdict *out, const cl_policy *policy,
	const cl_push_ref *ref);

/* Pre-receive, one commit on a protected branch: 1 and a verdict when
 * a commit referencing nothing breaks the association rule, else 0. */
CL_EXTERN(int) cl_policy_check_association(cl_verdict *out,
	const cl_policy *policy, size_t nrefs);

/* What to do when the tracker says a ticket was closed. */
typedef enum {
	CL_ACTION_NONE = 0,
	CL_ACTION_RECORD,  /* warn: ledger event only, the tracker is untouched */
	CL_ACTION_REOPEN,  /* reopen, with a comment naming the owner */
	CL_ACTION_REMIND   /* post a reminder comment */
} cl_action;

CL_EXTERN(cl_action) cl_policy_on_close(cl_verdict *out,
	const cl_policy *policy, const cl_ticket_state *ticket);

/* Reminders sent so far for one ticket and rule. */
typedef struct {
	int64_t last_sent; /* 0 never */
	int count;
} cl_reminder_history;

typedef struct {
	cl_rule rule;      /* owner-required, handoff-ack or reply-due */
	cl_action action;  /* CL_ACTION_REMIND, or CL_ACTION_RECORD in warn mode */
	int escalate;      /* also name remind.escalateTo */
	int64_t since;     /* the start of the clock that fired */
} cl_reminder;

/* 1 when minute_of_day (0..1439, local time) is inside the quiet hours. */
CL_EXTERN(int) cl_policy_is_quiet(const cl_policy *policy, int minute_of_day);

/*
 * The reminders due for one ticket at now. history is indexed by cl_rule.
 * minute_of_day is now in the local time of the quiet hours. Returns how
 * many were written to out (at most 3).
 */
CL_EXTERN(size_t) cl_policy_reminders_due(cl_reminder *out,
	const cl_policy *policy, const cl_ticket_state *ticket,
	const cl_reminder_history history[CL_RULE__COUNT], int64_t now,
	int minute_of_day);

#ifdef __cplusplus
}
#endif
#endif
