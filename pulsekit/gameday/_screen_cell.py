"""The GameDay screen inside a notebook: one output redrawn in place about once a second (a display
handle) with the steps, each window's verdict so far, and requests/s, p95 and errors per second."""

from __future__ import annotations

import html
import time
from typing import Any

from pulsekit.gameday._screen_state import ScreenState

W, H = 420, 90


class NotebookView:
    def __init__(self, state: ScreenState, url: str) -> None:
        from IPython.display import HTML, display

        self.state = state
        self.url = url
        self._html = HTML
        self._last = 0.0
        self.handle = display(HTML(self.render()), display_id=True)

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.9:
            return
        self._last = now
        if self.handle is not None:
            self.handle.update(self._html(self.render()))

    def render(self) -> str:
        s = self.state.snapshot()
        plan = s["plan"]
        now = s["now_t"]
        clock = "starting" if now is None else f"T+{min(now, plan['duration_s']):.0f} s"
        head = (
            f"<b>{html.escape(plan['title'])}</b> — {html.escape(str(s['status']))}"
            f"{': ' + html.escape(s['reason']) if s['reason'] else ''} — {clock} / "
            f"{plan['duration_s']:g} s — <a href='{self.url}' target='_blank'>screen with HALT</a>"
            " (or <code>gameday.halt()</code> from another thread)"
        )
        applied = {e["data"]["step"]: e for e in s["events"] if e["type"] == "step.applied"}
        reverted = {e["data"]["step"] for e in s["events"] if e["type"] == "step.reverted"}
        steps = []
        for step in plan["steps"]:
            name = step["name"]
            state = "done" if name in reverted else "applied" if name in applied else "next"
            if state == "applied" and s["status"] != "running":
                state = "done"
            steps.append(f"{html.escape(name)} (T+{step['at_s']:g} s): <b>{state}</b>")
        verdicts = []
        for w in plan["windows"]:
            checks = s["verdicts"].get(w["name"], [])
            if not checks:
                word = "not started"
            elif any(c["passed"] is False for c in checks):
                word = "✗ broken so far" if s["status"] == "running" else "✗ broken"
            elif all(c["passed"] for c in checks):
                word = "✓ holding so far" if s["status"] == "running" else "✓ held"
            else:
                word = "no data yet"
            verdicts.append(f"{html.escape(w['name'])}: {word}")
        series = s["series"]
        charts = "".join(
            _spark(series["t"], series[key], plan, label)
            for key, label in (("rps", "requests"), ("p95", "p95 ms"), ("err", "error share"))
        )
        return (
            f"<div style='font-family:sans-serif'>{head}<br>Steps: {'; '.join(steps) or 'none'}"
            f"<br>Hypothesis: {'; '.join(verdicts) or 'none'}<br>{charts}</div>"
        )


def _spark(ts: list[float], values: list[Any], plan: dict[str, Any], label: str) -> str:
    dur = max([plan["duration_s"], *ts]) or 1.0
    top = max([v for v in values if v is not None] or [0.0]) or 1.0
    shade = "".join(
        f"<rect x='{W * st['at_s'] / dur:.1f}' y='0' height='{H}' fill='#d55e00' opacity='0.2' "
        f"width='{W * (st['duration_s'] or dur - st['at_s']) / dur:.1f}'/>"
        for st in plan["steps"]
    )
    points = " ".join(
        f"{W * t / dur:.1f},{H - 4 - (H - 8) * v / top:.1f}"
        for t, v in zip(ts, values, strict=False)
        if v is not None
    )
    last = next((v for v in reversed(values) if v is not None), None)
    shown = "–" if last is None else f"{last:.4g}"
    return (
        f"<svg width='{W}' height='{H + 16}' style='margin-right:8px;background:#f7f7f7'>{shade}"
        f"<polyline fill='none' stroke='#0072b2' stroke-width='2' points='{points}'/>"
        f"<text x='4' y='{H + 13}' font-size='12'>{label} each second, now {shown} "
        f"(max {top:.4g})</text></svg>"
    )
