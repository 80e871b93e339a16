#!/usr/bin/env python3
"""audit-ledger.py: a ledger with known answers for the audit tests.

usage: audit-ledger.py LEDGER.db

Appends events to a ledger closeloop created (so the schema is its own),
the way any other SQLite client would. Times start at B, 2026-11-15T00:00Z;
the expected figures are written next to the events they come from and
checked by tests/cli/t0004-audit-formats.sh.
"""
import json
import sqlite3
import sys

B = 1794700800  # 2026-11-15T00:00:00Z
H = 3600


def d(**kw):
    return json.dumps(kw, separators=(",", ":"))


EVENTS = [
    # before the period of the --since tests: state only (unowned)
    (B - 2 * 86400, "ticket.opened", "support:6", "zoe", None,
     d(reopen=False, source="webhook", owner=None)),
    (B - 2 * 86400 + H, "work.done", "support:6", "zoe", "c6", d(source="push")),
    (B - 2 * 86400 + 2 * H, "reply.linked", "support:6", "zoe", None,
     d(link="https://mail/6", source="cli")),
    # support:1 -- wait 2h, owner alice
    (B, "ticket.opened", "support:1", "alice", None,
     d(reopen=False, source="webhook", owner="alice")),
    (B, "ticket.opened", "gh:acme/web#7", "erin", None,
     d(reopen=False, source="webhook", owner="erin")),
    (B, "ticket.opened", "jira:PROJ-12", "grace", None,
     d(reopen=False, source="webhook", owner=None)),
    (B, "ticket.opened", "support:4", "alice", None,
     d(reopen=False, source="webhook", owner="alice")),
    (B + H, "work.done", "support:1", "bob", "c1c1c1c1c1c1c1c1", d(source="push")),
    (B + H, "ticket.opened", "support:2", "carol", None,
     d(reopen=False, source="webhook", owner=None)),
    (B + H, "handoff", "gh:acme/web#7", "erin", None, d(**{"from": "erin", "to": "frank"})),
    (B + H, "handoff", "support:4", "alice", None, d(**{"from": "alice", "to": "heidi"})),
    (B + H, "work.done", "jira:PROJ-12", "grace", "c12", d(source="push")),
    (B + 2 * H, "handoff", "support:2", "carol", None, d(**{"from": None, "to": "carol"})),
    (B + 2 * H, "ticket.opened", "support:3", "dave", None,
     d(reopen=False, source="webhook", owner=None)),
    (B + 2 * H, "handoff.acknowledged", "gh:acme/web#7", "frank", None,
     d(**{"from": "erin", "to": "frank"})),
    (B + 2 * H, "work.done", "gh:acme/web#7", "frank", "c7", d(source="push")),
    # jira:PROJ-12: no owner, the replier counts: grace 1h
    (B + 2 * H, "reply.linked", "jira:PROJ-12", "grace", None,
     d(link="https://mail/12", source="webhook")),
    # support:4: closed without reply while handed over; closeloop reopens
    (B + 2 * H, "ticket.closed-without-reply", "support:4", "heidi", None,
     d(owner="heidi", source="webhook", action="reopen")),
    (B + 2 * H + 60, "ticket.reopened", "support:4", "closeloop", None,
     d(why="closed without a customer reply")),
    (B + 3 * H, "reply.linked", "support:1", "alice", None,
     d(link="https://mail/1", source="cli")),
    (B + 3 * H, "work.done", "support:2", "carol", "c2", d(source="push")),
    (B + 3 * H, "ticket.opened", "support:5", "ivan", None,
     d(reopen=False, source="webhook", owner="ivan")),
    (B + 3 * H, "ticket.closed-without-reply", "support:5", "ivan", None,
     d(owner="ivan", source="sync", action="record")),
    (B + 4 * H, "ticket.closed", "support:1", "alice", None,
     d(owner="alice", source="webhook")),
    (B + 5 * H, "work.done", "support:3", "dave", "c3c3c3c3c3c3c3c3", d(source="push")),
    (B + 5 * H, "override", None, "carol", None,
     d(outcome="override", refs=[], commits=3, tickets=["support:1", "support:2"],
       closing=[], problems=1, reason='hotfix <b>now</b>, "urgent"')),
    (B + 5 * H, "push.unverified", None, "bob", None,
     d(outcome="push.unverified", commits=1, tickets=["support:9"], closing=[],
       problems=0, tracker_error="timeout")),
    (B + 6 * H, "reply.linked", "gh:acme/web#7", "frank", None,
     d(link="https://mail/7", source="webhook")),
    (B + 6 * H, "reminder.sent", "support:3", "closeloop", None,
     d(rule="reply-due", to=["dave"], escalated=False, count=1, internal=True)),
    (B + 8 * H, "reminder.sent", "support:3", "closeloop", None,
     d(rule="reply-due", to=["dave", "lead"], escalated=True, count=2, internal=True)),
    (B + 8 * H, "reminder.sent", "support:2", "closeloop", None,
     d(rule="handoff-ack", to=["carol"], escalated=False, count=1, internal=False)),
    (B + 13 * H, "reply.linked", "support:2", "carol", None,
     d(link="https://mail/2", source="cli")),
    # hostile names from a tracker: must come out escaped
    (B + 14 * H, "ticket.opened", "x:<img src=x onerror=alert(1)>", "<b>mallory</b>",
     None, d(reopen=False, source="webhook", owner="<i>m</i>")),
    (B + 14 * H, "ticket.closed-without-reply", "x:<img src=x onerror=alert(1)>",
     "<b>mallory</b>", None, d(owner="<i>m</i>", source="webhook", action="record")),
]


def main():
    db = sqlite3.connect(sys.argv[1])
    db.executemany(
        "INSERT INTO events(time, type, ticket, actor, commit_id, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)", EVENTS)
    db.commit()


if __name__ == "__main__":
    main()
