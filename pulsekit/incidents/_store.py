"""Files of an incident: durable JSON-lines appends and tolerant JSON-lines reads."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pulsekit.errors import IncidentError

RECORD_FILE = "incident.json"
TIMELINE_FILE = "timeline.jsonl"
LOCK_FILE = ".incident.lock"
PRIVATE = 0o600  # incident files hold the same narrative whichever writes them


class IncidentWarning(UserWarning):
    """Something was readable only in part (a torn line, a truncated journal); the rest was kept."""


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON object as a line and fsync it, so a crash never loses a finished entry."""
    line = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE)
    with open(fd, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on an incident folder (other processes and threads wait)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, PRIVATE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def read_jsonl(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """``(line number, object)`` pairs of every readable line, and one problem text per bad line."""
    records: list[tuple[int, dict[str, Any]]] = []
    problems: list[str] = []
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if "\ufffd" in line and "\ufffd".encode() not in raw.split(b"\n")[number - 1]:
            problems.append(f"{path.name} line {number}: invalid UTF-8 bytes shown as U+FFFD")
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            last = number == len(lines) and not text.endswith("\n")
            why = "truncated (the writer stopped mid-line)" if last else f"not JSON ({exc.msg})"
            problems.append(f"{path.name} line {number}: {why}; skipped")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{path.name} line {number}: not a JSON object; skipped")
            continue
        records.append((number, obj))
    return records, problems


def warn_all(problems: list[str]) -> None:
    """Emit one :class:`IncidentWarning` per problem."""
    for problem in problems:
        warnings.warn(problem, IncidentWarning, stacklevel=3)


def signature(path: Path) -> tuple[int, int, int]:
    """Inode, mtime and size: changes whenever a writer replaces the file."""
    st = path.stat()
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def read_record(folder: Path) -> tuple[dict[str, Any], tuple[int, int, int]]:
    """The ``incident.json`` of ``folder`` and its signature, or one clear :class:`IncidentError`."""
    path = folder / RECORD_FILE
    try:
        seen = signature(path)
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IncidentError(
            f"no {RECORD_FILE} in {folder}; create one with Incident(title, dir=...) "
            "or `pulsekit incident new TITLE --dir DIR`"
        ) from None
    except json.JSONDecodeError as exc:
        raise IncidentError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    except UnicodeDecodeError as exc:
        raise IncidentError(
            f"{path} is not UTF-8 text (byte {exc.start}); restore it from a backup or "
            "rebuild the incident from its timeline"
        ) from exc
    except (OSError, RecursionError) as exc:
        raise IncidentError(f"{path} cannot be read ({exc}); check the file") from exc
    if not isinstance(record, dict):
        raise IncidentError(f"{path} is not an incident record (a JSON object); check the file")
    return record, seen


_F = TypeVar("_F", bound=Callable[..., Any])


def mutation(method: _F) -> _F:
    """Run an Incident change under the folder's lock, on the record as another writer left it.

    Without it, two processes that each load, change and save the record lose one change.
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self._dir is None or self._changing:
            return method(self, *args, **kwargs)
        with locked(self._dir):
            _refresh(self)
            self._changing = True
            try:
                return method(self, *args, **kwargs)
            finally:
                self._changing = False

    return wrapper  # type: ignore[return-value]


def _refresh(inc: Any) -> None:
    """Reload the record and timeline if another writer replaced the file since ``inc`` read it."""
    try:
        seen = signature(inc._dir / RECORD_FILE)
    except FileNotFoundError:
        return
    if seen != inc._seen:
        fresh = type(inc).load(inc._dir, clock=inc._clock)
        inc.__dict__.update(fresh.__dict__)
