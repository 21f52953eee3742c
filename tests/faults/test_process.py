"""Process faults on own child PIDs: kill, freeze/thaw with a dead-man watchdog, CPU and memory hogs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import psutil
import pytest

from pulsekit import faults
from pulsekit.errors import ConfigError, NotAllowedError
from tests.faults.helpers import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture()
def child() -> Iterator[subprocess.Popen[bytes]]:
    """A sleeping child process of the test."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc
    proc.kill()
    proc.wait()


def _status(pid: int) -> str:
    return str(psutil.Process(pid).status())


def test_kill_sigkills_an_own_child(child) -> None:
    """kill() SIGKILLs a child PID and records it."""
    fault = faults.kill(child.pid)
    assert child.wait(10) == -9
    assert fault.record.kind == "kill" and fault.record.target == f"pid:{child.pid}"


def test_foreign_pid_is_refused() -> None:
    """A PID that is neither an own child nor a sandbox service is refused."""
    with pytest.raises(NotAllowedError, match="allow_foreign"):
        faults.kill(1)


def test_service_name_without_sandbox_is_a_config_error() -> None:
    """A service name without a sandbox says to pass one."""
    with pytest.raises(ConfigError, match="sandbox"):
        faults.freeze("db-replica-1")


def test_freeze_and_thaw_on_remove(child) -> None:
    """freeze() stops the process; leaving the block resumes it."""
    with faults.freeze(child.pid, ttl="1m"):
        wait_for(lambda: _status(child.pid) == psutil.STATUS_STOPPED, what="stopped")
    wait_for(lambda: _status(child.pid) != psutil.STATUS_STOPPED, what="resumed")


def test_freeze_watchdog_thaws_at_ttl_without_the_controller(child) -> None:
    """The detached watchdog resumes a frozen process at the TTL even if nobody calls remove()."""
    fault = faults.freeze(child.pid, ttl=0.5)
    wait_for(lambda: _status(child.pid) != psutil.STATUS_STOPPED, what="watchdog thaw")
    fault.remove()


def test_cpu_and_memory_hogs_exit_by_themselves_at_ttl() -> None:
    """cpu_hog and memory_hog children exit on their own when their TTL expires."""
    me = psutil.Process()
    with faults.cpu_hog(1, ttl=0.5), faults.memory_hog(20, ttl=0.5) as memory:
        hogs = [p for p in me.children() if "pulsekit.faults._hog" in " ".join(p.cmdline())]
        assert len(hogs) == 2
        wait_for(
            lambda: not any(p.is_running() and p.status() != "zombie" for p in hogs),
            what="hog exit",
        )
    assert memory.record.kind == "memory_hog" and not memory.active


def test_hog_ttl_is_bounded() -> None:
    """A hog TTL above the maximum is refused."""
    with pytest.raises(ConfigError, match="ttl"):
        faults.cpu_hog(1, ttl="2h")
