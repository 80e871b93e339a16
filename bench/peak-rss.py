#!/usr/bin/env python3
"""peak-rss.py CMD...: run CMD (stdin passed through) and print the peak
resident memory, in KiB, of CMD's own process, without its children.
(/usr/bin/time reports the largest of a process and the children it
waited for, which for the hook is usually the git it runs.) The kernel
keeps each process's high-water mark (VmHWM); it is sampled until the
process exits, so growth in its last millisecond could be missed."""
import subprocess
import sys
import time

p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
peak = 0
path = "/proc/%d/status" % p.pid
while p.poll() is None:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    except OSError:
        pass
    time.sleep(0.001)
print(peak)
sys.exit(p.returncode)
