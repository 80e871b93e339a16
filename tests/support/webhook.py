#!/usr/bin/env python3
"""Send webhooks to closeloopd the way GitHub and Gitea send them, for the
receiver's tests.

  webhook.py post URL SECRET EVENT FILE [--delivery ID] [--gitea]
                 [--no-sig] [--bad-sig] [--event-type T] [--form]
      POST FILE's bytes (signed over the raw body) and print
      "STATUS BODY".
  webhook.py make KIND ACTION REPO NUMBER [--state S] [--assignee A]
                 [--sender S] [--body TEXT] [--gitea]
      Print a payload built from the real example of that kind and action
      (tests/data/octokit) with the given repository, issue and people.
  webhook.py replay URL SECRET INDEX
      POST every issues and issue_comment example of INDEX (the octokit
      examples) with a fresh delivery id; print one line per example and
      exit 1 unless every one was answered 202.
"""
import hashlib
import hmac
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid


def post(url, body, headers):
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def sign(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers_for(secret, event, body, delivery, gitea, no_sig=False,
                bad_sig=False, event_type=None, form=False):
    h = {"Content-Type": "application/json", "User-Agent": "test-sender"}
    sig = sign(secret, body)
    if form:
        # Gitea's form-encoded hooks sign the JSON, not the body sent
        h["Content-Type"] = "application/x-www-form-urlencoded"
        value = urllib.parse.parse_qs(body.decode())["payload"][0]
        sig = sign(secret, value.encode())
    if bad_sig:
        sig = sign(secret + "x", body)
    if gitea:
        h["X-Gitea-Event"] = event
        h["X-Gitea-Event-Type"] = event_type or event
        h["X-Gitea-Delivery"] = delivery
        h["X-Gitea-Signature"] = "" if no_sig else sig
    else:
        h["X-GitHub-Event"] = event
        h["X-GitHub-Delivery"] = delivery
        if not no_sig:
            h["X-Hub-Signature-256"] = "sha256=" + sig
    return h


def example(kind, action):
    top = os.environ.get("top_srcdir", ".")
    with open(os.path.join(top, "tests/data/octokit/index.json")) as f:
        for e in json.load(f):
            if e["name"] != kind:
                continue
            for x in e["examples"]:
                if x.get("action") == action and \
                        not x.get("issue", {}).get("pull_request"):
                    return x
    # "closed" has no example: take "reopened" and turn it around
    if kind == "issues" and action == "closed":
        x = example("issues", "reopened")
        x["action"] = "closed"
        return x
    raise SystemExit("no example for %s %s" % (kind, action))


def cmd_make(args):
    kind, action, repo, number = args[:4]
    opts = dict(zip(args[4::2], args[5::2]))
    x = example(kind, action)
    owner, name = repo.split("/")
    x["repository"]["full_name"] = repo
    x["repository"]["name"] = name
    x["repository"]["owner"]["login"] = owner
    x["issue"]["number"] = int(number)
    x["issue"].pop("pull_request", None)
    if "--gitea" in args:
        x["issue"]["pull_request"] = None
    if "--state" in opts:
        x["issue"]["state"] = opts["--state"]
    if "--assignee" in opts:
        a = opts["--assignee"]
        x["issue"]["assignee"] = {"login": a} if a else None
        x["issue"]["assignees"] = [{"login": a}] if a else []
    if "--sender" in opts:
        x["sender"]["login"] = opts["--sender"]
        if kind == "issue_comment":
            x["comment"]["user"]["login"] = opts["--sender"]
    if "--body" in opts and kind == "issue_comment":
        x["comment"]["body"] = opts["--body"]
    print(json.dumps(x, indent=2))


def cmd_post(args):
    url, secret, event, path = args[:4]
    rest = args[4:]
    delivery = str(uuid.uuid4())
    event_type = None
    if "--delivery" in rest:
        delivery = rest[rest.index("--delivery") + 1]
    if "--event-type" in rest:
        event_type = rest[rest.index("--event-type") + 1]
    with open(path, "rb") as f:
        body = f.read()
    h = headers_for(secret, event, body, delivery, "--gitea" in rest,
                    "--no-sig" in rest, "--bad-sig" in rest, event_type,
                    "--form" in rest)
    status, text = post(url, body, h)
    print(status, text)


def cmd_replay(args):
    url, secret, index = args[:3]
    with open(index) as f:
        data = json.load(f)
    bad = 0
    for e in data:
        if e["name"] not in ("issues", "issue_comment"):
            continue
        for x in e["examples"]:
            body = json.dumps(x).encode()
            h = headers_for(secret, e["name"], body, str(uuid.uuid4()), False)
            status, text = post(url, body, h)
            print(e["name"], x.get("action"), status, text)
            if status != 202:
                bad += 1
    sys.exit(1 if bad else 0)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"make": cmd_make, "post": cmd_post, "replay": cmd_replay}[cmd](args)


if __name__ == "__main__":
    main()
