#!/usr/bin/env python3
"""A Redmine REST stand-in for the hook's tests and benchmark: answers the
calls closeloop's hook makes (issues.json?issue_id=..., issue_statuses.json,
issues/N.json, users/N.json) for any issue number, every issue owned and
with a reply field value, and checks each request against the documented
API: the key header, the query parameters, at most 100 ids per batch.
GET /_stats returns the requests per path, how many times each issue id
was asked for in batches, and the errors found.

usage: redmine-standin.py [PORT [KEY]]   (prints the port it listens on)"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

KEY = sys.argv[2] if len(sys.argv) > 2 else "benchkey"
stats = {}
batch_ids = {}
errors = []
lock = threading.Lock()


def issue(n):
    return {
        "id": n, "project": {"id": 1, "name": "Bench"},
        "tracker": {"id": 3, "name": "Support"},
        "status": {"id": 2, "name": "In Progress", "is_closed": False},
        "subject": "ticket %d" % n,
        "assigned_to": {"id": 5, "name": "Dev Eloper"},
        "custom_fields": [{"id": 1, "name": "Customer reply",
                           "value": "https://mail.example.com/%d" % n}],
        "updated_on": "2026-11-23T09:00:00Z",
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: with Nagle on, the second
    # waits 40 ms for the client's delayed ACK
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def send(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        with lock:
            stats[u.path] = stats.get(u.path, 0) + 1
        if u.path == "/_stats":
            return self.send(200, {"requests": stats, "batch_ids": batch_ids,
                                   "errors": errors})
        if self.headers.get("X-Redmine-API-Key") != KEY:
            errors.append("missing or wrong key on " + u.path)
            return self.send(401, {})
        if u.path == "/issues.json":
            ids = q.get("issue_id", [""])[0].split(",")
            if len(ids) > 100 or q.get("status_id") != ["*"]:
                errors.append("bad batch query " + u.query)
            with lock:
                for i in ids:
                    batch_ids[i] = batch_ids.get(i, 0) + 1
            issues = [issue(int(i)) for i in ids if i.isdigit()]
            return self.send(200, {"issues": issues, "total_count": len(issues),
                                   "offset": 0, "limit": 100})
        if u.path == "/issue_statuses.json":
            return self.send(200, {"issue_statuses": [
                {"id": 1, "name": "New", "is_closed": False},
                {"id": 2, "name": "In Progress", "is_closed": False},
                {"id": 3, "name": "Resolved", "is_closed": False},
                {"id": 5, "name": "Closed", "is_closed": True}]})
        if u.path.startswith("/users/"):
            return self.send(200, {"user": {"id": 5, "login": "dev",
                                            "firstname": "Dev", "lastname": "Eloper"}})
        if u.path.startswith("/issues/") and u.path.endswith(".json"):
            n = int(u.path[len("/issues/"):-len(".json")])
            i = issue(n)
            i["journals"] = []
            return self.send(200, {"issue": i})
        errors.append("unexpected GET " + self.path)
        return self.send(404, {})


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
