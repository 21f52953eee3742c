"""A CPU budget per database node: a cgroup CPU quota (v2 ``cpu.max``, else v1 CFS quota) where writable.

Where neither can be written (not root, a read-only mount, v2 without the cpu controller delegated),
``create`` returns None and a node's capacity comes from its bounded pool and storage delay alone.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from pulsekit.sandbox._procs import alive

PERIOD_US = 100_000
_V2 = Path("/sys/fs/cgroup")
_V1 = (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup/cpu,cpuacct"))
PREFIX = "pulsekit-db-"


@dataclass(frozen=True)
class CpuGroup:
    """One node's cgroup: processes written to ``procs`` (and their children) share ``cpus``."""

    path: Path
    version: int
    cpus: float

    @property
    def procs(self) -> Path:
        return self.path / "cgroup.procs"

    def remove(self) -> None:
        """Remove the group once its processes are gone (a group in use stays; rmdir refuses)."""
        with contextlib.suppress(OSError):
            self.path.rmdir()


def _v2_parent() -> Path | None:
    controllers = _V2 / "cgroup.subtree_control"
    try:
        if "cpu" in controllers.read_text().split() and os.access(_V2, os.W_OK):
            return _V2
    except OSError:
        pass
    return None


def _v1_parent() -> Path | None:
    for path in _V1:
        if (path / "cpu.cfs_quota_us").exists() and os.access(path, os.W_OK):
            return path
    return None


def describe() -> str:
    """Which mechanism this machine allows, in words (for docs, doctor and benchmarks)."""
    if _v2_parent():
        return "cgroup v2 cpu.max"
    if _v1_parent():
        return "cgroup v1 cpu.cfs_quota_us (no cgroup v2 cpu controller here)"
    return "none writable here: bounded pool and storage delay only"


def create(name: str, cpus: float) -> CpuGroup | None:
    """A fresh group ``pulsekit-db-<name>`` limited to ``cpus`` CPUs, or None where not allowed."""
    quota = max(1000, int(cpus * PERIOD_US))
    for version, parent in ((2, _v2_parent()), (1, _v1_parent())):
        if parent is None:
            continue
        path = parent / f"{PREFIX}{name}"
        try:
            path.mkdir(exist_ok=True)
            if version == 2:
                (path / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            else:
                (path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (path / "cpu.cfs_quota_us").write_text(str(quota))
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
            continue
        return CpuGroup(path, version, cpus)
    return None


def clean_stale() -> int:
    """Remove empty ``pulsekit-db-*`` groups left by sandboxes that died; returns how many.

    A group is named after the pid of the process that owns its sandbox: while that process lives,
    its empty group is a node that was killed and will be restarted into it (another sandbox's
    start must not remove it from under the restart)."""
    removed = 0
    for parent in (_v2_parent(), _v1_parent()):
        if parent is None:
            continue
        for path in parent.glob(f"{PREFIX}*"):
            owner = path.name[len(PREFIX) :].split("-", 1)[0]
            if owner.isdigit() and alive(int(owner)):
                continue
            try:
                if not path.joinpath("cgroup.procs").read_text().strip():
                    path.rmdir()
                    removed += 1
            except OSError:
                continue
    return removed
    return True
