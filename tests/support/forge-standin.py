#!/usr/bin/env python3
"""A GitHub or Gitea REST stand-in for the receiver's tests: issues kept in
memory, answered the way the documented APIs answer, and every request
checked against them (the auth header each API wants, GitHub's Accept,
API-version and User-Agent headers, JSON bodies) and recorded.

usage: forge-standin.py github|gitea TOKEN   (prints the port it listens on)

Control endpoints (no auth), for the tests:
  POST /_seed     {"repo","number","state","assignees":[..],"comments":[..]}
  GET  /_requests every API request so far: method, path, query, body
  GET  /_errors   requests that broke the documented API
  POST /_outage   {"count": N, "status": 503, "retry_after": 1, "delay": 0}:
                  the next N API requests fail that way (or hang delay s)
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MODE = sys.argv[1] if len(sys.argv) > 1 else "github"
TOKEN = sys.argv[2] if len(sys.argv) > 2 else "forge-token"
PREFIX = "/api/v1" if MODE == "gitea" else ""
BOT = "closeloop-bot"

lock = threading.Lock()
issues = {}      # (repo, number) -> issue dict
requests = []
errors = []
outage = {"count": 0, "status": 503, "retry_after": 1, "delay": 0}
next_id = [1000]


def now_iso(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t or time.time()))


def new_id():
    next_id[0] += 1
    return next_id[0]


def issue_json(repo, i):
    owner = [{"login": a, "id": 10 + n} for n, a in enumerate(i["assignees"])]
    out = {
        "id": 500 + i["number"], "number": i["number"], "title": i["title"],
        "state": i["state"], "user": {"login": "customer-care"},
        "assignee": owner[0] if owner else None, "assignees": owner,
        "labels": [{"name": n} for n in i["labels"]],
        "created_at": i["created_at"], "updated_at": i["updated_at"],
        "closed_at": i["updated_at"] if i["state"] == "closed" else None,
        "comments": len(i["comments"]),
        "repository_url": "http://stand-in/repos/" + repo,
    }
    if MODE == "gitea":
        out["pull_request"] = None
        out["repository"] = {"full_name": repo}
    return out


def comment_json(c):
    return {"id": c["id"], "body": c["body"], "user": {"login": c["user"]},
            "created_at": c["created_at"], "updated_at": c["created_at"]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def send(self, code, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def error(self, what):
        with lock:
            errors.append("%s %s: %s" % (self.command, self.path, what))

    def check_api(self, raw):
        auth = self.headers.get("Authorization", "")
        want = ("Bearer " if MODE == "github" else "token ") + TOKEN
        if auth != want:
            self.error("Authorization is not '%s TOKEN'" % want.split()[0])
            return False
        if MODE == "github":
            if self.headers.get("Accept") != "application/vnd.github+json":
                self.error("Accept is not application/vnd.github+json")
            if self.headers.get("X-GitHub-Api-Version") != "2022-11-28":
                self.error("X-GitHub-Api-Version is not 2022-11-28")
            if not self.headers.get("User-Agent"):
                self.error("no User-Agent (GitHub refuses those)")
        if raw:
            if "json" not in (self.headers.get("Content-Type") or ""):
                self.error("a body without a JSON Content-Type")
            try:
                json.loads(raw)
            except ValueError:
                self.error("a body that is not JSON")
        return True

    def control(self, raw):
        u = urlparse(self.path)
        if u.path == "/_requests":
            with lock:
                return self.send(200, requests)
        if u.path == "/_errors":
            with lock:
                return self.send(200, errors)
        if u.path == "/_outage":
            with lock:
                outage.update(json.loads(raw))
            return self.send(200, outage)
        if u.path == "/_seed":
            s = json.loads(raw)
            t = now_iso(s.get("time"))
            comments = [{"id": new_id(), "body": c.get("body", ""),
                         "user": c.get("user", "someone"),
                         "created_at": c.get("created_at", t)}
                        for c in s.get("comments", [])]
            with lock:
                issues[(s["repo"], s["number"])] = {
                    "number": s["number"], "title": s.get("title", "Ticket"),
                    "state": s.get("state", "open"),
                    "assignees": s.get("assignees", []),
                    "labels": s.get("labels", []), "comments": comments,
                    "events": s.get("events", []), "created_at": t,
                    "updated_at": t}
            return self.send(201, {"seeded": s["number"]})
        return self.send(404, {"message": "no such control endpoint"})

    def handle_any(self):
        raw = self.body()
        u = urlparse(self.path)
        if u.path.startswith("/_"):
            return self.control(raw)
        with lock:
            requests.append({"method": self.command, "path": u.path,
                             "query": u.query,
                             "body": raw.decode("utf-8", "replace")})
            failing = outage["count"] > 0
            if failing:
                outage["count"] -= 1
                o = dict(outage)
        if failing:
            if o.get("delay"):
                time.sleep(o["delay"])
            return self.send(o["status"], {"message": "stand-in outage"},
                             {"Retry-After": str(o["retry_after"])})
        if not self.check_api(raw):
            return self.send(401, {"message": "Bad credentials"})
        path = u.path[len(PREFIX):] if u.path.startswith(PREFIX) else None
        if path is None:
            self.error("path outside %s" % (PREFIX or "/"))
            return self.send(404, {"message": "Not Found"})
        parts = path.strip("/").split("/")
        if parts == ["user"] and self.command == "GET":
            return self.send(200, {"login": BOT, "id": 1})
        if len(parts) >= 3 and parts[0] == "repos":
            repo = parts[1] + "/" + parts[2]
            rest = parts[3:]
            return self.repo(repo, rest, parse_qs(u.query), raw)
        self.error("unexpected %s %s" % (self.command, u.path))
        return self.send(404, {"message": "Not Found"})

    def repo(self, repo, rest, q, raw):
        if rest == ["issues"] and self.command == "GET":
            with lock:
                out = [issue_json(r, i) for (r, _), i in sorted(issues.items())
                       if r == repo]
            return self.send(200, out)
        if len(rest) < 2 or rest[0] != "issues" or not rest[1].isdigit():
            self.error("unexpected %s .../%s" % (self.command, "/".join(rest)))
            return self.send(404, {"message": "Not Found"})
        key = (repo, int(rest[1]))
        with lock:
            i = issues.get(key)
        if i is None:
            return self.send(404, {"message": "Not Found"})
        sub = rest[2:]
        if sub == [] and self.command == "GET":
            with lock:
                return self.send(200, issue_json(repo, i))
        if sub == [] and self.command == "PATCH":
            want = json.loads(raw or b"{}")
            with lock:
                if want.get("state") in ("open", "closed") and \
                        want["state"] != i["state"]:
                    i["state"] = want["state"]
                    i["events"].append({
                        "event": "reopened" if want["state"] == "open" else "closed",
                        "created_at": now_iso(), "actor": BOT})
                i["updated_at"] = now_iso()
                return self.send(200, issue_json(repo, i))
        if sub == ["comments"] and self.command == "GET":
            with lock:
                return self.send(200, [comment_json(c) for c in i["comments"]])
        if sub == ["comments"] and self.command == "POST":
            text = json.loads(raw or b"{}").get("body")
            if not isinstance(text, str) or not text:
                self.error("a comment without a body")
                return self.send(422, {"message": "Validation Failed"})
            c = {"id": new_id(), "body": text, "user": BOT,
                 "created_at": now_iso()}
            with lock:
                i["comments"].append(c)
                i["updated_at"] = now_iso()
            return self.send(201, comment_json(c))
        if sub in (["events"], ["timeline"]) and self.command == "GET":
            with lock:
                evs = list(i["events"])
            if MODE == "gitea":
                # Gitea's timeline holds the comments too, in time order
                with lock:
                    items = [(e["created_at"], 0, {
                        "type": "reopen" if e["event"] == "reopened" else "close",
                        "created_at": e["created_at"],
                        "user": {"login": e.get("actor", "someone")}})
                        for e in evs] + [(c["created_at"], 1, {
                            "type": "comment", "id": c["id"], "body": c["body"],
                            "created_at": c["created_at"],
                            "user": {"login": c["user"]}})
                        for c in i["comments"]]
                return self.send(200, [x[2] for x in sorted(items, key=lambda x: x[:2])])
            return self.send(200, [
                {"event": e["event"], "created_at": e["created_at"],
                 "actor": {"login": e.get("actor", "someone")}} for e in evs])
        self.error("unexpected %s .../%s" % (self.command, "/".join(rest)))
        return self.send(404, {"message": "Not Found"})

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = handle_any


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
