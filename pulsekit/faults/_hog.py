"""Child process of cpu_hog / memory_hog / freeze watchdog: does its job and exits by itself at TTL."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["cpu", "memory", "thaw"])
    parser.add_argument("--ttl", type=float, required=True)
    parser.add_argument("--mb", type=int, default=0)
    parser.add_argument("--pid", type=int, default=0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.ttl
    if args.kind == "cpu":
        while time.monotonic() < deadline:
            sum(range(10_000))
    elif args.kind == "memory":
        block = bytearray(args.mb * 1024 * 1024)
        for i in range(0, len(block), 4096):  # touch every page so it is resident
            block[i] = 1
        while time.monotonic() < deadline:
            time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))
    else:  # dead-man switch of freeze(): SIGCONT the process at the TTL
        while time.monotonic() < deadline:
            time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))
        with contextlib.suppress(OSError):
            os.kill(args.pid, signal.SIGCONT)


if __name__ == "__main__":
    main()
