"""The database nodes' CPU groups: a sweep of stale groups spares the groups of live sandboxes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pulsekit.sandbox import _cgroup


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=30)
    return proc.pid


@pytest.fixture
def groups():
    made: list[_cgroup.CpuGroup] = []

    def make(name: str) -> _cgroup.CpuGroup:
        group = _cgroup.create(name, 0.5)
        if group is None:
            pytest.skip(f"no writable cgroup here ({_cgroup.describe()})")
        made.append(group)
        return group

    yield make
    for group in made:
        group.remove()


def test_clean_stale_removes_only_groups_whose_sandbox_died(groups) -> None:
    # an empty group of this (live) process: its node was killed and will be restarted
    live = groups(f"{os.getpid()}-test-db-replica-1")
    dead = groups(f"{_dead_pid()}-test-db-replica-1")
    assert live.path.is_dir() and dead.path.is_dir()
    _cgroup.clean_stale()
    assert live.path.is_dir(), "a live sandbox's empty group was swept: its restart would fail"
    assert not dead.path.is_dir(), "a group left by a dead sandbox was kept"
