#!/usr/bin/env python3
"""Writes the Gitea payload files of this folder (see README).

No Gitea runs on the build machines, so the payloads are written from
Gitea's own structs (modules/structs: IssuePayload, IssueCommentPayload,
Issue, Comment, TimelineComment, User, Repository; Gitea 1.21 field
order) and encoded the way Gitea encodes them:
  - webhook bodies with json.MarshalIndent(p, "", "  "): pretty-printed,
    no final newline;
  - API answers compact, with a final newline (json.Encoder);
  - both escape <, > and & as \\u003c, \\u003e, \\u0026 (Go's default), so
    closeloop's marker arrives as \\u003c!-- closeloop --\\u003e.
Form-encoded hooks send payload=<url.Values encoding of the JSON> and
sign the JSON; the signatures file holds HMAC-SHA256 hex over what Gitea
signs, with the secret in SECRET, computed here independently of the C
code under test.

Run it from anywhere: python3 tests/data/gitea/generate.py
"""
import hashlib
import hmac
import json
import os
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "gitea-webhook-s3cret"
BASE = "https://git.example.com"


def go_escape(text):
    return (text.replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def pretty(obj):
    return go_escape(json.dumps(obj, indent=2, ensure_ascii=False))


def compact(obj):
    return go_escape(json.dumps(obj, separators=(",", ":"),
                                ensure_ascii=False)) + "\n"


def user(uid, login, full_name):
    return {
        "id": uid,
        "login": login,
        "login_name": "",
        "source_id": 0,
        "full_name": full_name,
        "email": login + "@noreply.git.example.com",
        "avatar_url": BASE + "/avatars/" + hashlib.md5(login.encode()).hexdigest(),
        "html_url": BASE + "/" + login,
        "language": "",
        "is_admin": False,
        "last_login": "0001-01-01T00:00:00Z",
        "created": "2024-04-01T08:00:00+02:00",
        "restricted": False,
        "active": False,
        "prohibit_login": False,
        "location": "",
        "website": "",
        "description": "",
        "visibility": "public",
        "followers_count": 0,
        "following_count": 0,
        "starred_repos_count": 0,
        "username": login,
    }


ACME = {
    "id": 2, "login": "acme", "login_name": "", "source_id": 0,
    "full_name": "ACME Support", "email": "", "avatar_url": BASE + "/avatars/2",
    "html_url": BASE + "/acme", "language": "", "is_admin": False,
    "last_login": "0001-01-01T00:00:00Z", "created": "2024-04-01T08:00:00+02:00",
    "restricted": False, "active": False, "prohibit_login": False,
    "location": "", "website": "", "description": "", "visibility": "public",
    "followers_count": 0, "following_count": 0, "starred_repos_count": 0,
    "username": "acme",
}
ALICE = user(3, "alice", "Alice Support")
BOB = user(4, "bob", "Bob Builder")
CAROL = user(5, "carol", "Carol Dev")
BOT = user(9, "closeloop-bot", "closeloop")


def repository(full_name="acme/web"):
    owner, name = full_name.split("/")
    return {
        "id": 12,
        "owner": ACME,
        "name": name,
        "full_name": full_name,
        "description": "",
        "empty": False,
        "private": True,
        "fork": False,
        "template": False,
        "parent": None,
        "mirror": False,
        "size": 120,
        "language": "",
        "languages_url": BASE + "/api/v1/repos/" + full_name + "/languages",
        "html_url": BASE + "/" + full_name,
        "url": BASE + "/api/v1/repos/" + full_name,
        "link": "",
        "ssh_url": "git@git.example.com:" + full_name + ".git",
        "clone_url": BASE + "/" + full_name + ".git",
        "original_url": "",
        "website": "",
        "stars_count": 0,
        "forks_count": 0,
        "watchers_count": 1,
        "open_issues_count": 3,
        "open_pr_counter": 0,
        "release_counter": 0,
        "default_branch": "main",
        "archived": False,
        "created_at": "2024-04-02T09:12:40+02:00",
        "updated_at": "2024-05-02T10:11:12+02:00",
        "archived_at": "1970-01-01T01:00:00+01:00",
        "permissions": {"admin": True, "push": True, "pull": True},
        "has_issues": True,
        "internal_tracker": {
            "enable_time_tracker": True,
            "allow_only_contributors_to_track_time": True,
            "enable_issue_dependencies": True,
        },
        "has_wiki": True,
        "has_pull_requests": True,
        "has_projects": True,
        "has_releases": True,
        "has_packages": True,
        "has_actions": False,
        "ignore_whitespace_conflicts": False,
        "allow_merge_commits": True,
        "allow_rebase": True,
        "allow_rebase_explicit": True,
        "allow_squash_merge": True,
        "allow_rebase_update": True,
        "default_delete_branch_after_merge": False,
        "default_merge_style": "merge",
        "default_allow_maintainer_edit": False,
        "avatar_url": "",
        "internal": False,
        "mirror_interval": "",
        "mirror_updated": "0001-01-01T00:00:00Z",
        "repo_transfer": None,
    }


def label(lid, name, color):
    return {
        "id": lid,
        "name": name,
        "exclusive": False,
        "is_archived": False,
        "color": color,
        "description": "",
        "url": BASE + "/api/v1/repos/acme/web/labels/%d" % lid,
    }


RESOLVED = label(5, "Resolved", "0e8a16")
BUG = label(1, "bug", "ee0701")


def issue(number=7, state="open", assignees=None, labels=None,
          updated="2024-05-02T10:11:12+02:00", pull=None, title=None,
          full_name="acme/web", closed_at=None):
    owner, name = full_name.split("/")
    return {
        "id": 34 + number,
        "url": BASE + "/api/v1/repos/%s/issues/%d" % (full_name, number),
        "html_url": BASE + "/%s/issues/%d" % (full_name, number),
        "number": number,
        "user": ALICE,
        "original_author": "",
        "original_author_id": 0,
        "title": title or "Invoice shows wrong VAT",
        "body": "Customer writes: the VAT on invoice 2024-0042 is 25% & should be 12%.",
        "ref": "",
        "assets": [],
        "labels": labels if labels is not None else [],
        "milestone": None,
        # Gitea fills the old single assignee with the first of the list
        "assignee": assignees[0] if assignees else None,
        # a nil slice: null, not [], when nobody is assigned
        "assignees": assignees if assignees else None,
        "state": state,
        "is_locked": False,
        "comments": 2,
        "created_at": "2024-05-01T08:30:00+02:00",
        "updated_at": updated,
        "closed_at": closed_at,
        "due_date": None,
        "pull_request": pull,
        "repository": {"id": 12, "name": name, "owner": owner,
                       "full_name": full_name},
        "pin_order": 0,
    }


def issue_payload(action, iss, sender, changes=None, commit_id="",
                  full_name="acme/web"):
    p = {"action": action, "number": iss["number"]}
    if changes is not None:
        p["changes"] = changes
    p["issue"] = iss
    p["repository"] = repository(full_name)
    p["sender"] = sender
    p["commit_id"] = commit_id
    return p


def comment(cid, poster, body, created, updated=None, pr=False):
    return {
        "id": cid,
        "html_url": BASE + "/acme/web/%s/7#issuecomment-%d" % (
            "pulls" if pr else "issues", cid),
        "pull_request_url": BASE + "/acme/web/pulls/7" if pr else "",
        "issue_url": "" if pr else BASE + "/acme/web/issues/7",
        "user": poster,
        "original_author": "",
        "original_author_id": 0,
        "body": body,
        "assets": [],
        "created_at": created,
        "updated_at": updated or created,
    }


def comment_payload(action, iss, cmt, sender, is_pull=False, changes=None):
    p = {"action": action, "issue": iss}
    if is_pull:
        p["pull_request"] = None  # trimmed: closeloop never reads it
    p["comment"] = cmt
    if changes is not None:
        p["changes"] = changes
    p["repository"] = repository()
    p["sender"] = sender
    p["is_pull"] = is_pull
    return p


def timeline_entry(eid, kind, poster, created, body="", lab=None,
                   assignee=None):
    return {
        "id": eid,
        "type": kind,
        "html_url": BASE + "/acme/web/issues/7#issuecomment-%d" % eid,
        "pull_request_url": "",
        "issue_url": BASE + "/acme/web/issues/7",
        "user": poster,
        "body": body,
        "created_at": created,
        "updated_at": created,
        "old_project_id": 0,
        "project_id": 0,
        "old_milestone": None,
        "milestone": None,
        "tracked_time": None,
        "old_title": "",
        "new_title": "",
        "old_ref": "",
        "new_ref": "",
        "ref_issue": None,
        "ref_comment": None,
        "ref_action": "",
        "ref_commit_sha": "",
        "review_id": 0,
        "label": lab,
        "assignee": assignee,
        "assignee_team": None,
        "removed_assignee": False,
        "resolve_doer": None,
        "dependent_issue": None,
    }


def write(name, text):
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="") as f:
        f.write(text)


def hooks():
    iss_open = issue()
    write("hook_issues_opened.json", pretty(issue_payload(
        "opened", issue(assignees=None, updated="2024-05-01T08:30:00+02:00"),
        ALICE)))
    closed = issue(state="closed", assignees=[BOB],
                   updated="2024-05-01T09:05:00+02:00",
                   closed_at="2024-05-01T09:05:00+02:00")
    write("hook_issues_closed.json", pretty(issue_payload(
        "closed", closed, BOB, commit_id="9f3c2a1b4d5e6f708192a3b4c5d6e7f809112233")))
    write("hook_issues_reopened.json", pretty(issue_payload(
        "reopened", issue(assignees=[BOB], updated="2024-05-02T08:00:00+02:00"),
        BOT)))
    # issue_assign: no top-level "assignee"; the list after the change
    write("hook_issue_assign_assigned.json", pretty(issue_payload(
        "assigned", issue(assignees=[CAROL, BOB]), ALICE)))
    write("hook_issue_assign_unassigned.json", pretty(issue_payload(
        "unassigned", issue(assignees=None), ALICE)))
    # issue_label: no label named; the labels after the change
    write("hook_issue_label_updated.json", pretty(issue_payload(
        "label_updated", issue(assignees=[BOB], labels=[BUG, RESOLVED]), BOB)))
    write("hook_issue_label_cleared.json", pretty(issue_payload(
        "label_cleared", issue(assignees=[BOB], labels=[]), BOB)))
    write("hook_issues_edited.json", pretty(issue_payload(
        "edited", issue(assignees=[BOB], title="Invoice shows wrong VAT (EU)"),
        ALICE, changes={"title": {"from": "Invoice shows wrong VAT"}})))
    write("hook_issues_other_repo.json", pretty(issue_payload(
        "opened", issue(full_name="acme/intranet"), ALICE,
        full_name="acme/intranet")))
    write("hook_issue_comment_created.json", pretty(comment_payload(
        "created", iss_open, comment(
            118, ALICE,
            "Called her back, all sorted.\r\n\r\ncustomer-reply:   https://crm.example.com/call/77?a=1&b=2  \r\n",
            "2024-05-02T10:11:12+02:00"), ALICE)))
    write("hook_issue_comment_closeloop.json", pretty(comment_payload(
        "created", iss_open, comment(
            119, BOT,
            "Customer-Reply: <4711@mail.example.com>\n\n<!-- closeloop -->",
            "2024-05-02T10:12:00+02:00"), BOT)))
    write("hook_issue_comment_edited.json", pretty(comment_payload(
        "edited", iss_open, comment(
            118, ALICE, "Called her back.", "2024-05-02T10:11:12+02:00",
            "2024-05-02T10:20:00+02:00"), ALICE,
        changes={"body": {"from": "Called her back, all sorted."}})))
    write("hook_issue_comment_deleted.json", pretty(comment_payload(
        "deleted", iss_open, comment(
            118, ALICE, "Called her back.", "2024-05-02T10:11:12+02:00"),
        ALICE)))
    write("hook_pull_request_comment_created.json", pretty(comment_payload(
        "created", issue(number=9, pull={"merged": False, "merged_at": None},
                         title="Fix VAT rounding"),
        comment(120, CAROL, "LGTM", "2024-05-02T11:00:00+02:00", pr=True),
        CAROL, is_pull=True)))
    write("hook_push.json", pretty({
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": "9f3c2a1b4d5e6f708192a3b4c5d6e7f809112233",
        "compare_url": BASE + "/acme/web/compare/main",
        "commits": [],
        "total_commits": 0,
        "head_commit": None,
        "repository": repository(),
        "pusher": BOB,
        "sender": BOB,
    }))
    # the form-encoded twin of hook_issues_closed.json, as url.Values
    # encodes it (spaces as +)
    with open(os.path.join(HERE, "hook_issues_closed.json"), encoding="utf-8") as f:
        closed_json = f.read()
    write("hook_issues_closed.form",
          urllib.parse.urlencode({"payload": closed_json}))


def signatures():
    lines = []
    for name in sorted(os.listdir(HERE)):
        if not name.startswith("hook_"):
            continue
        with open(os.path.join(HERE, name), "rb") as f:
            data = f.read()
        if name.endswith(".form"):
            # Gitea signs the JSON it form-encodes, not the body
            data = urllib.parse.parse_qs(data.decode())["payload"][0].encode()
        mac = hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()
        lines.append("%s %s\n" % (name, mac))
    write("signatures", "".join(lines))


def api():
    write("api_user.json", compact(BOT))
    write("api_issue_7.json", compact(issue(assignees=[BOB, CAROL])))
    write("api_issue_7_reopened.json", compact(issue(assignees=[BOB])))
    write("api_issue_7_closed.json", compact(issue(
        state="closed", assignees=[BOB], updated="2024-05-01T09:05:00+02:00",
        closed_at="2024-05-01T09:05:00+02:00")))
    write("api_issue_8.json", compact(issue(
        number=8, state="closed", title="Password reset mail never arrives",
        updated="2024-05-03T12:00:00+02:00",
        closed_at="2024-05-03T12:00:00+02:00")))
    # 7: a reply, closed, reopened, then a reply by closeloop: delivered
    write("api_timeline_7.json", compact([
        timeline_entry(101, "comment", ALICE, "2024-05-01T09:00:00+02:00",
                       "Customer-Reply: https://mail.example.com/msg/1"),
        timeline_entry(102, "close", BOB, "2024-05-01T09:05:00+02:00"),
        timeline_entry(103, "reopen", BOT, "2024-05-02T08:00:00+02:00"),
        timeline_entry(104, "label", BOB, "2024-05-02T08:10:00+02:00",
                       "1", lab=RESOLVED),
        timeline_entry(105, "comment", BOB, "2024-05-02T09:00:00+02:00",
                       "Still broken for EU customers.\nCustomer-Reply is still missing"),
        timeline_entry(106, "comment", BOT, "2024-05-02T10:00:00+02:00",
                       "Customer-Reply: #7 <abc@mail.example.com>\n\n<!-- closeloop -->"),
    ]))
    # 8: the only reply came before the reopen: undelivered
    write("api_timeline_8.json", compact([
        timeline_entry(201, "comment", ALICE, "2024-05-01T09:00:00+02:00",
                       "Customer-Reply: https://mail.example.com/msg/2"),
        timeline_entry(202, "close", BOB, "2024-05-01T09:05:00+02:00"),
        timeline_entry(203, "reopen", ALICE, "2024-05-02T08:00:00+02:00"),
        timeline_entry(204, "assignees", ALICE, "2024-05-02T08:01:00+02:00",
                       assignee=BOB),
        timeline_entry(205, "close", BOB, "2024-05-03T12:00:00+02:00"),
    ]))
    # the sync's list: an open and a closed issue
    write("api_issues.json", compact([
        issue(assignees=[BOB, CAROL]),
        issue(number=8, state="closed", title="Password reset mail never arrives",
              updated="2024-05-03T12:00:00+02:00",
              closed_at="2024-05-03T12:00:00+02:00"),
    ]))


if __name__ == "__main__":
    hooks()
    signatures()
    api()
