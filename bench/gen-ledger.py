#!/usr/bin/env python3
"""gen-ledger.py LEDGER N [DAYS]: append about N events to a ledger that
closeloop created (run any closeloop command on it first, so that the
schema is closeloop's own), spread over the last DAYS days (default 365).

The mix follows tickets through their lives as the hooks and the receiver
record them: opened (with or without an owner), handoffs and their
acknowledgements, pushes (accepted, warned, rejected, some unverified and
re-checked), work done, replies (most after the work, some never),
closes (some without a reply, then reopened by closeloop), reminders
(reply-due, owner-required, handoff-ack; some escalated), overrides.
Tickets come from three trackers: support:N, gh:acme/web#N, jira:PROJ-N.
Deterministic (seeded), so that runs compare."""
import json
import random
import sqlite3
import sys
import time

PEOPLE = ["user%02d" % i for i in range(60)]


def dj(**kw):
    return json.dumps(kw, separators=(",", ":"))


def ticket_name(rng, n):
    r = rng.random()
    if r < 0.6:
        return "support:%d" % n
    if r < 0.85:
        return "gh:acme/web#%d" % n
    return "jira:PROJ-%d" % n


def ticket_life(rng, tid, t0):
    """The events of one ticket, as (time, type, ticket, actor, commit, detail)."""
    ev = []
    t = t0
    owner = rng.choice(PEOPLE) if rng.random() < 0.8 else None
    opener = rng.choice(PEOPLE)
    ev.append((t, "ticket.opened", tid, opener, None,
               dj(reopen=False, source="webhook", owner=owner)))
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        t += rng.randint(600, 36000)
        new = rng.choice(PEOPLE)
        ev.append((t, "handoff", tid, opener, None, dj(**{"from": owner, "to": new})))
        if rng.random() < 0.85:
            t += rng.randint(60, 7200)
            ev.append((t, "handoff.acknowledged", tid, new, None,
                       dj(**{"from": owner, "to": new})))
        elif rng.random() < 0.5:
            t += 7200
            ev.append((t, "reminder.sent", tid, "closeloop", None,
                       dj(rule="handoff-ack", to=[new, owner] if owner else [new],
                          escalated=False, count=1, internal=True, posted=True,
                          since=t)))
        owner = new
    if owner is None and rng.random() < 0.5:
        t += 3600
        ev.append((t, "reminder.sent", tid, "closeloop", None,
                   dj(rule="owner-required", to=["lead"], escalated=False, count=1,
                      internal=True, posted=True, since=t)))
    dev = rng.choice(PEOPLE)
    for _ in range(rng.choice([1, 1, 2, 3])):
        t += rng.randint(600, 86400)
        commit = "%040x" % rng.getrandbits(160)
        kind = rng.random()
        if kind < 0.9:
            ev.append((t, "push.accepted", None, dev, None,
                       dj(outcome="push.accepted", refs=[{"ref": "refs/heads/main",
                          "old": "%040x" % rng.getrandbits(160), "new": commit}],
                          commits=rng.randint(1, 5), tickets=[tid], closing=[],
                          problems=0)))
        elif kind < 0.95:
            ev.append((t, "push.rejected", None, dev, None,
                       dj(outcome="push.rejected", refs=[], commits=1, tickets=[tid],
                          closing=[tid], problems=1)))
        elif kind < 0.98:
            ev.append((t, "push.warned", None, dev, None,
                       dj(outcome="push.warned", refs=[], commits=1, tickets=[tid],
                          closing=[tid], problems=1)))
        else:
            ev.append((t, "push.unverified", None, dev, None,
                       dj(outcome="push.unverified", refs=[], commits=1,
                          tickets=[tid], closing=[tid], problems=0,
                          tracker_error="timed out")))
            ev.append((t + 60, "push.rechecked", None, "closeloop", None,
                       dj(push=0, tickets=[tid], problems=[{"ticket": tid,
                          "rule": "reply-before-close"}] if rng.random() < 0.3 else [])))
        if rng.random() < 0.01:
            ev.append((t, "override", None, dev, None,
                       dj(outcome="override", refs=[], commits=2, tickets=[tid],
                          closing=[tid], problems=1,
                          reason="hotfix for outage %d" % rng.randint(1, 999))))
    t += rng.randint(60, 3600)
    ev.append((t, "work.done", tid, dev, "%040x" % rng.getrandbits(160),
               dj(source="push")))
    r = rng.random()
    if r < 0.75:
        for n in range(1, rng.choice([1, 1, 1, 2, 3])):
            ev.append((t + n * 14400, "reminder.sent", tid, "closeloop", None,
                       dj(rule="reply-due", to=[owner or dev] + (["lead"] if n > 1 else []),
                          escalated=n > 1, count=n, internal=True, posted=True,
                          since=t)))
        t += int(rng.expovariate(1 / 20000.0)) + 60
        ev.append((t, "reply.linked", tid, owner or dev, None,
                   dj(link="https://mail.example.com/thread/%d" % rng.getrandbits(32),
                      source=rng.choice(["cli", "webhook", "push", "api"]))))
        t += rng.randint(60, 86400)
        ev.append((t, "ticket.closed", tid, owner or dev, None,
                   dj(owner=owner, source="webhook")))
    elif r < 0.85:
        t += rng.randint(600, 86400)
        action = "reopen" if rng.random() < 0.8 else "record"
        ev.append((t, "ticket.closed", tid, dev, None, dj(owner=owner, source="webhook")))
        ev.append((t, "ticket.closed-without-reply", tid, dev, None,
                   dj(owner=owner, source="webhook", action=action)))
        if action == "reopen":
            ev.append((t + 30, "ticket.reopened", tid, "closeloop", None,
                       dj(why="closed without a customer reply")))
    # else: still waiting for a reply
    return ev


def main():
    path = sys.argv[1]
    n = int(sys.argv[2])
    days = int(sys.argv[3]) if len(sys.argv) > 3 else 365
    rng = random.Random(42)
    now = int(time.time())
    start = now - days * 86400
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    events = []
    tickets = 0
    while len(events) < n:
        tickets += 1
        tid = ticket_name(rng, tickets)
        t0 = start + int((len(events) / n) * days * 86400)
        events.extend(e for e in ticket_life(rng, tid, t0) if e[0] < now)
    del events[n:]
    # the ledger is in the order events were recorded
    events.sort(key=lambda e: e[0])
    db.executemany(
        "INSERT INTO events(time, type, ticket, actor, commit_id, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)", events)
    db.commit()
    db.close()
    print("%d events, %d tickets" % (len(events), tickets))


if __name__ == "__main__":
    main()
