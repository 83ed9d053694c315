"""Run a command and report its peak memory as JSON on stdout (stdlib only; run with python -S).

A process forked straight from the big benchmark process would report the parent's
resident size as its own peak (Linux carries the high-water mark across fork and
exec), so the benchmark starts this small launcher, which forks the measured
command from its own small image. Besides ``ru_maxrss`` (all resident pages) it
samples /proc/PID/status every few milliseconds for the anonymous part (heap,
buffers) and the file-backed part (mapped files, which the kernel can drop).
"""

import json
import os
import resource
import sys
import time

FIELDS = ("VmRSS", "RssAnon", "RssFile", "RssShmem")


def _sample(pid, peaks):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in FIELDS:
                    kib = int(value.split()[0])
                    peaks[name] = max(peaks.get(name, 0), kib)
    except (OSError, ValueError):
        pass


def main(argv):
    command = argv[1:]
    if not command:
        print("usage: rss_launcher.py COMMAND [ARG...]", file=sys.stderr)
        return 2
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    peaks = {}
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        _sample(pid, peaks)
        time.sleep(0.003)
    seconds = time.perf_counter() - started
    result = {"exit": os.waitstatus_to_exitcode(status), "seconds": seconds, "maxrss_kib": usage.ru_maxrss,
              "sampled_peak_kib": peaks, "launcher_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
