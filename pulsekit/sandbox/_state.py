"""State files of named sandboxes, so a detached one is found again by ``status`` and ``down``."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from pulsekit._util import atomic_write
from pulsekit.errors import ConfigError, SandboxError
from pulsekit.sandbox import _procs

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def root() -> Path:
    """``PULSEKIT_STATE_DIR``, else ``$XDG_STATE_HOME/pulsekit``, else ``~/.local/state/pulsekit``."""
    if os.environ.get("PULSEKIT_STATE_DIR"):
        return Path(os.environ["PULSEKIT_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "pulsekit"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(
            f"sandbox name {name!r} is not valid; use letters, digits, '.', '_' or '-' (e.g. 'default')"
        )
    return name


def directory(name: str) -> Path:
    return root() / "sandboxes" / check_name(name)


def save(name: str, state: dict[str, Any]) -> None:
    atomic_write(directory(name) / "state.json", json.dumps(state, indent=2))


def present(name: str) -> bool:
    """True when the named sandbox has a state file (readable or not)."""
    return (directory(name) / "state.json").exists()


def load(name: str) -> dict[str, Any] | None:
    """The saved state; None when there is none; :class:`SandboxError` when it is unreadable."""
    path = directory(name) / "state.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _unreadable(name, path, exc.strerror or str(exc)) from exc
    try:
        state = json.loads(text)
        for service in state["services"].values():
            int(service["pid"])
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise _unreadable(name, path, f"not a sandbox state ({type(exc).__name__})") from exc
    return dict(state)


def _unreadable(name: str, path: Path, why: str) -> SandboxError:
    pids = [p.pid for p in orphans(name)]
    found = (
        f"processes still running from its folder: {', '.join(map(str, pids))}; "
        f"`pulsekit sandbox down --name {name}` stops them"
        if pids
        else "no process of it is running; delete the file"
    )
    return SandboxError(f"sandbox {name!r}: state file {path} is unreadable ({why}); {found}")


def orphans(name: str) -> list[Any]:
    """Live processes whose output goes to the named sandbox's folder (found without its state)."""
    import psutil

    folder = str(directory(name).resolve()) + os.sep
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            out = os.readlink(f"/proc/{proc.pid}/fd/1")
        except OSError:
            continue
        if out.startswith(folder) and proc.status() != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


def remove(name: str) -> None:
    (directory(name) / "state.json").unlink(missing_ok=True)


def _pids(state: dict[str, Any]) -> list[tuple[int, float | None]]:
    pids = [
        (int(s["pid"]), s.get("started"))
        for s in state.get("services", {}).values()
        if s.get("pid")
    ]
    pids += [(int(h["pid"]), h.get("started")) for h in state.get("helpers", {}).values()]
    if state.get("prometheus_pid"):
        pids.append((int(state["prometheus_pid"]), state.get("prometheus_started")))
    return pids


def status(name: str) -> dict[str, Any]:
    """The saved state with each service's liveness checked now; ``running`` False when nothing is."""
    state = load(name)
    if state is None:
        return {"name": name, "running": False, "stale_cleaned": False, "services": {}}
    for service in state.get("services", {}).values():
        service["alive"] = _procs.alive(int(service["pid"]), service.get("started"))
    alive = [s for s in state["services"].values() if s["alive"]]
    state["running"] = bool(alive)
    state["stale_cleaned"] = False
    if not alive:  # every process is gone: the state file is stale
        helpers = [(int(h["pid"]), h.get("started")) for h in state.get("helpers", {}).values()]
        _procs.terminate(helpers)  # a PostgreSQL node's exporter outlives a killed node
        clear(name)
        state["stale_cleaned"] = True
    return state


def clear_if_stale(name: str) -> bool:
    return bool(status(name)["stale_cleaned"])


def clear(name: str) -> None:
    folder = directory(name)
    remove(name)
    shutil.rmtree(folder / "prometheus", ignore_errors=True)
    if (folder / "db").is_symlink() or (folder / "db").exists():  # the PostgreSQL tier's data
        from pulsekit.sandbox._pgcluster import clean_stale

        clean_stale(folder / "db")


def down(name: str) -> dict[str, Any]:
    """Stop every process of the named sandbox and remove its state file."""
    try:
        state = load(name)
    except SandboxError:  # unreadable state: stop what can still be found from its folder
        procs = orphans(name)
        _procs.terminate([(p.pid, p.create_time()) for p in procs])
        clear(name)
        return {"name": name, "stopped": len(procs), "was_running": bool(procs)}
    if state is None:
        return {"name": name, "stopped": 0, "was_running": False}
    pids = _pids(state)
    helpers = {int(h["pid"]) for h in state.get("helpers", {}).values()}  # not counted as services
    alive = [p for p in pids if p[0] not in helpers and _procs.alive(*p)]
    _procs.terminate(pids)
    clear(name)
    return {"name": name, "stopped": len(alive), "was_running": bool(alive)}
