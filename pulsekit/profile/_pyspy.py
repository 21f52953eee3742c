"""Drive the py-spy binary: find it, attach it to a PID for a while, turn its refusals into our errors."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

from pulsekit.errors import MissingDependencyError, ProfileError

INSTALL = "pip install py-spy (or: pip install 'pulsekit[profile]')"
_GRACE_S = 30.0  # py-spy writes its file and exits about 0.1 s after --duration; this is the bound


def find_pyspy() -> str:
    """The py-spy binary: ``$PULSEKIT_PYSPY``, beside this interpreter (a venv), or on PATH."""
    from pulsekit._util import find_executable

    if os.environ.get("PULSEKIT_PYSPY"):
        return os.environ["PULSEKIT_PYSPY"]
    beside = Path(sys.executable).with_name("py-spy")
    if beside.exists():
        return str(beside)
    found = find_executable("py-spy")
    if found is None:
        raise MissingDependencyError(f"py-spy is not installed; install it with: {INSTALL}")
    return found


def record_argv(
    binary: str, pid: int, *, seconds: float, rate: int, out: Path, idle: bool, native: bool
) -> list[str]:
    argv = [
        binary,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, math.ceil(seconds))),  # py-spy takes whole seconds
        "--rate",
        str(rate),
        "--format",
        "speedscope",
        "--output",
        str(out),
    ]
    if idle:
        argv.append("--idle")
    if native:
        argv.append("--native")
    return argv


def run_record(argv: list[str], *, seconds: float, pid: int) -> str:
    """Run ``py-spy record`` to completion; return its stderr (its own report) or raise ProfileError."""
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=math.ceil(seconds) + _GRACE_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ProfileError(
            f"py-spy did not finish within {math.ceil(seconds) + _GRACE_S:.0f} s on pid {pid}; "
            "is the process frozen (SIGSTOP)? thaw it and try again"
        ) from exc
    text = (done.stderr or b"").decode(errors="replace") + (done.stdout or b"").decode(
        errors="replace"
    )
    if done.returncode != 0:
        raise ProfileError(explain(text, pid))
    return text


def explain(text: str, pid: int) -> str:
    """One message saying why py-spy could not attach, and the way round."""
    lowered = text.lower()
    last = next((line for line in reversed(text.strip().splitlines()) if line.strip()), "")
    if "permission denied" in lowered or "operation not permitted" in lowered:
        return (
            f"py-spy may not attach to pid {pid} (ptrace refused: {last.strip()}); run as the "
            "process's owner, with sudo, in a container with --cap-add=SYS_PTRACE, or set "
            "/proc/sys/kernel/yama/ptrace_scope to 0 on a throwaway CI machine"
        )
    if "no such process" in lowered or "failed to find python" in lowered:
        return f"pid {pid} is not a running Python process py-spy can read ({last.strip()})"
    return f"py-spy failed on pid {pid}: {last.strip() or 'no output'}"
