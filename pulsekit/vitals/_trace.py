"""Read a Chromium trace: the page's renderer main thread, its long tasks and a self-time breakdown."""

from __future__ import annotations

import json
from typing import Any

LONG_TASK_US = 50_000
TASKS = ("RunTask", "ThreadControllerImpl::RunTask")
# Lighthouse's task groups (core/lib/tracehouse/task-groups.js), by trace event name
GROUPS: dict[str, tuple[str, ...]] = {
    "script evaluation": (
        "EventDispatch",
        "EvaluateScript",
        "v8.evaluateModule",
        "FunctionCall",
        "TimerFire",
        "FireIdleCallback",
        "FireAnimationFrame",
        "RunMicrotasks",
        "V8.Execute",
        "v8.execute",
    ),
    "script parse and compile": (
        "v8.compile",
        "v8.compileModule",
        "v8.parseOnBackground",
        "V8.CompileCode",
        "v8.produceCache",
        "v8.produceModuleCache",
        "v8.deserializeOnBackground",
    ),
    "style and layout": (
        "ScheduleStyleRecalculation",
        "UpdateLayoutTree",
        "RecalculateStyles",
        "InvalidateLayout",
        "Layout",
    ),
    "paint and composite": (
        "Animation",
        "RequestMainThreadFrame",
        "ActivateLayerTree",
        "DrawFrame",
        "HitTest",
        "PaintSetup",
        "Paint",
        "PaintImage",
        "Rasterize",
        "RasterTask",
        "ScrollLayer",
        "UpdateLayer",
        "UpdateLayerTree",
        "CompositeLayers",
        "PrePaint",
        "Layerize",
        "Commit",
    ),
    "HTML and CSS parsing": ("ParseHTML", "ParseAuthorStyleSheet"),
    "garbage collection": (
        "GCEvent",
        "MinorGC",
        "MajorGC",
        "ThreadState::performIdleLazySweep",
        "ThreadState::completeSweep",
        "BlinkGCMarking",
        "BlinkGC.AtomicPhase",
        "V8.GCScavenger",
        "V8.GCFinalizeMC",
        "V8.GCCompactor",
    ),
}
GROUP_OF = {name: group for group, names in GROUPS.items() for name in names}


def events_of(raw: bytes | str | Any) -> list[dict[str, Any]]:
    doc = json.loads(raw) if isinstance(raw, bytes | str) else raw
    return list(doc["traceEvents"] if isinstance(doc, dict) else doc)


def main_thread(events: list[dict[str, Any]]) -> tuple[int, int] | None:
    """(pid, tid) of the outermost main frame's renderer main thread (CrRendererMain)."""
    pid = None
    for ev in events:
        if ev.get("name") == "TracingStartedInBrowser":
            frames = ((ev.get("args") or {}).get("data") or {}).get("frames") or []
            main = [f for f in frames if f.get("isOutermostMainFrame")] or [
                f for f in frames if not f.get("parent")
            ]
            if main and main[0].get("processId"):
                pid = int(main[0]["processId"])
    threads = [
        (int(ev["pid"]), int(ev["tid"]))
        for ev in events
        if ev.get("ph") == "M"
        and ev.get("name") == "thread_name"
        and (ev.get("args") or {}).get("name") == "CrRendererMain"
    ]
    if pid is not None:
        threads = [t for t in threads if t[0] == pid] or threads
    if not threads:
        return None
    # several renderers (a closing tab): the busiest one
    busy = {t: 0.0 for t in threads}
    for ev in events:
        key = (ev.get("pid"), ev.get("tid"))
        if key in busy and ev.get("name") in TASKS:
            busy[key] += float(ev.get("dur") or 0)  # type: ignore[index]
    return max(threads, key=lambda t: busy[t])


def complete_events(events: list[dict[str, Any]], thread: tuple[int, int]) -> list[dict[str, Any]]:
    """The thread's duration events as complete ones (B/E pairs joined), sorted by start."""
    out: list[dict[str, Any]] = []
    open_: dict[str, list[dict[str, Any]]] = {}
    for ev in events:
        if (ev.get("pid"), ev.get("tid")) != thread:
            continue
        ph = ev.get("ph")
        if ph == "X" and ev.get("dur") is not None:
            out.append(
                {
                    "name": ev["name"],
                    "ts": float(ev["ts"]),
                    "dur": float(ev["dur"]),
                    "args": ev.get("args") or {},
                }
            )
        elif ph == "B":
            open_.setdefault(ev["name"], []).append(ev)
        elif ph == "E" and open_.get(str(ev.get("name"))):
            begin = open_[ev["name"]].pop()
            out.append(
                {
                    "name": ev["name"],
                    "ts": float(begin["ts"]),
                    "dur": float(ev["ts"]) - float(begin["ts"]),
                    "args": begin.get("args") or {},
                }
            )
    return sorted(out, key=lambda e: (e["ts"], -e["dur"]))


def self_times(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each event with ``self`` (µs: its time minus its children's) and ``task`` (its top-level task)."""
    stack: list[dict[str, Any]] = []
    for ev in events:
        ev["self"] = ev["dur"]
        while stack and stack[-1]["ts"] + stack[-1]["dur"] <= ev["ts"]:
            stack.pop()
        if stack:
            stack[-1]["self"] -= min(ev["dur"], stack[-1]["ts"] + stack[-1]["dur"] - ev["ts"])
            ev["task"] = stack[0]["task"]
        else:
            ev["task"] = id(ev) if ev["name"] in TASKS else None
        stack.append(ev)
    return events


def script_url(ev: dict[str, Any]) -> str:
    data = (ev.get("args") or {}).get("data") or {}
    return str(data.get("url") or data.get("scriptName") or "")
