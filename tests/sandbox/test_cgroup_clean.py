"""Another sandbox's start cleans up empty database CPU groups left by dead sandboxes, never the
empty group of a live sandbox's killed node (its restart writes into that group)."""

from __future__ import annotations

import os
import subprocess
import sys

from pulsekit.sandbox import _cgroup


def test_clean_stale_keeps_a_live_owners_empty_group_and_removes_a_dead_ones() -> None:
    live = _cgroup.create(f"{os.getpid()}-test-killed-node", 0.5)
    if live is None:  # no writable cgroup here: nothing to clean, and the sandbox says so
        assert "none writable" in _cgroup.describe() or "no cgroup" in _cgroup.describe()
        assert _cgroup.clean_stale() == 0
        return
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(gone.stdout)  # that process has exited
    dead = _cgroup.create(f"{dead_pid}-test-left-over", 0.5)
    assert dead is not None
    try:
        _cgroup.clean_stale()
        assert live.procs.exists()  # empty, but its owner (this process) lives
        assert not dead.path.exists()
    finally:
        live.remove()
        dead.remove()
    assert not live.path.exists()
