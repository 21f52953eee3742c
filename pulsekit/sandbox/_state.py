"""State files of named sandboxes, so a detached one is found again by ``status`` and ``down``."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from pulsekit._util import atomic_write
from pulsekit.errors import ConfigError
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


def load(name: str) -> dict[str, Any] | None:
    try:
        return dict(json.loads((directory(name) / "state.json").read_text()))
    except (OSError, ValueError):
        return None


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
        pids.append((int(state["prometheus_pid"]), None))
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
    state = load(name)
    if state is None:
        return {"name": name, "stopped": 0, "was_running": False}
    pids = _pids(state)
    helpers = {int(h["pid"]) for h in state.get("helpers", {}).values()}  # not counted as services
    alive = [p for p in pids if p[0] not in helpers and _procs.alive(*p)]
    _procs.terminate(pids)
    clear(name)
    return {"name": name, "stopped": len(alive), "was_running": bool(alive)}
