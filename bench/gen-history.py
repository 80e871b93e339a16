#!/usr/bin/env python3
"""Write a git fast-import stream of N commits on top of FROM (or a root),
whose messages reference T distinct tickets: one in ten closes its ticket,
the rest mention it, in the styles real histories use.

usage: gen-history.py N T REF [FROM [SKIP]]
Commit i is dated SKIP + i seconds after a fixed time: commits on top of
FROM must be dated after it (pass FROM's count), as real ones are; git's
walk relies on dates to stop early."""
import sys

n = int(sys.argv[1])
tickets = int(sys.argv[2])
ref = sys.argv[3]
parent = sys.argv[4] if len(sys.argv) > 4 else None
skip = int(sys.argv[5]) if len(sys.argv) > 5 else 0
out = sys.stdout.buffer
t0 = 1795392000
for i in range(1, n + 1):
    t = 1 + (i * 7919) % tickets
    if i % 10 == 0:
        msg = "Fix rounding in invoice export\n\nThe totals were off by one cent.\n\nFixes #%d\n" % t
    elif i % 3 == 0:
        msg = "Refs #%d: log the request id\n" % t
    else:
        msg = "Tidy up handler %d (see #%d)\n\nNo functional change.\n" % (i, t)
    data = msg.encode()
    blob = b"line %d\n" % i
    out.write(b"commit %s\n" % ref.encode())
    out.write(b"mark :%d\n" % i)
    out.write(b"author Bench <bench@example.com> %d +0000\n" % (t0 + skip + i))
    out.write(b"committer Bench <bench@example.com> %d +0000\n" % (t0 + skip + i))
    out.write(b"data %d\n%s" % (len(data), data))
    if i == 1 and parent:
        out.write(b"from %s\n" % parent.encode())
    out.write(b"M 644 inline file%d\ndata %d\n%s\n" % (i % 50, len(blob), blob))
out.write(b"done\n")
