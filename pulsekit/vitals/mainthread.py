"""The causes behind TBT and INP: a page's long tasks and main-thread breakdown, from Chromium's trace."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, html_view, json_safe, no_time_axis
from pulsekit._util import parse_duration
from pulsekit.errors import VitalsError
from pulsekit.vitals import _browser, _trace
from pulsekit.vitals._sync import run_sync
from pulsekit.vitals.profiles import ThrottleProfile, get_profile

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "v8.execute",
    "toplevel",
    "blink.user_timing",
]


@dataclass(frozen=True)
class MainThreadProfile(ResultMixin):
    """One traced page load (and clicks): long tasks (> 50 ms) and where main-thread time went.

    Measured in a separate, traced load: tracing slows the page by about a fifth, so read the
    shares and the causes here and the vitals themselves from :func:`pulsekit.vitals.collect`.
    """

    url: str
    profile: str
    window_ms: float  # from the first to the last task of the main thread
    long_tasks: pd.DataFrame  # start_ms, duration_ms, blocking_ms, cause, top_event, script
    breakdown: pd.DataFrame  # group, ms, pct (self time inside top-level tasks)

    @property
    def blocking_ms(self) -> float:
        """Sum over long tasks of the time past 50 ms (TBT's quantity, over the whole window)."""
        return float(self.long_tasks["blocking_ms"].sum()) if len(self.long_tasks) else 0.0

    def to_frame(self) -> pd.DataFrame:
        """One row per long task: start_ms, duration_ms, blocking_ms, cause, top_event, script."""
        return self.long_tasks.copy()

    def summary(self) -> str:
        lines = [
            f"main thread of {self.url} ({self.profile} profile, {self.window_ms:.0f} ms traced): "
            f"{len(self.long_tasks)} long tasks, {self.blocking_ms:.0f} ms blocking"
        ]
        for row in self.long_tasks.itertuples():
            where = f" {row.script!s}" if row.script else ""
            lines.append(
                f"  at {row.start_ms:7.0f} ms  {row.duration_ms:6.0f} ms  {row.cause} "
                f"({row.top_event}{where})"
            )
        for row in self.breakdown.head(4).itertuples():
            lines.append(f"  {row.group:<26} {row.ms:7.0f} ms  {row.pct:4.0f}%")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Window, blocking time, long tasks and the breakdown, JSON-safe."""
        return json_safe(self._dict())  # type: ignore[no-any-return]

    def _dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "profile": self.profile,
            "window_ms": round(self.window_ms, 1),
            "blocking_ms": round(self.blocking_ms, 1),
            "long_tasks": self.long_tasks.round(1).to_dict(orient="records"),
            "breakdown": self.breakdown.round(1).to_dict(orient="records"),
        }

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """Horizontal bars: main-thread time per group (no time axis: ``faults`` must be empty)."""
        from pulsekit._plotting import axes_or_new

        no_time_axis(faults, "MainThreadProfile.plot (time per group)")
        ax = axes_or_new(ax, (8, 3))
        rows = self.breakdown.iloc[::-1]
        ax.barh(rows["group"], rows["ms"])
        ax.set_xlabel("main-thread self time (ms)")
        ax.set_title(f"{self.url}: {len(self.long_tasks)} long tasks")
        return ax

    def _repr_html_(self) -> str:
        return html_view(self.summary(), self.long_tasks)


def analyse_trace(
    raw: bytes | str | Any, *, url: str = "", profile: str = "none"
) -> MainThreadProfile:
    """A MainThreadProfile from a Chromium trace (bytes from ``stop_tracing`` or a parsed doc)."""
    import pandas as pd

    events = _trace.events_of(raw)
    thread = _trace.main_thread(events)
    if thread is None:
        raise VitalsError(
            "the trace has no renderer main thread (CrRendererMain); trace a page load"
        )
    timed = _trace.self_times(_trace.complete_events(events, thread))
    tasks = [e for e in timed if e["name"] in _trace.TASKS and e["task"] == id(e)]
    origin = min((e["ts"] for e in tasks), default=0.0)
    end = max((e["ts"] + e["dur"] for e in tasks), default=origin)
    by_task: dict[int, list[dict[str, Any]]] = {}
    for ev in timed:
        if ev.get("task") is not None:
            by_task.setdefault(ev["task"], []).append(ev)
    rows = []
    for task in tasks:
        if task["dur"] <= _trace.LONG_TASK_US:
            continue
        inside = by_task.get(id(task), [])
        groups: dict[str, float] = {}
        for ev in inside:
            group = _trace.GROUP_OF.get(ev["name"], "other")
            groups[group] = groups.get(group, 0.0) + ev["self"]
        cause = max(groups, key=lambda g: groups[g]) if groups else "other"
        named = [e for e in inside if _trace.GROUP_OF.get(e["name"]) == cause] or inside
        top = max(named, key=lambda e: e["self"]) if named else task
        script = next((_trace.script_url(e) for e in named if _trace.script_url(e)), "")
        rows.append(
            {
                "start_ms": (task["ts"] - origin) / 1000.0,
                "duration_ms": task["dur"] / 1000.0,
                "blocking_ms": (task["dur"] - _trace.LONG_TASK_US) / 1000.0,
                "cause": cause,
                "top_event": top["name"],
                "script": script,
            }
        )
    totals: dict[str, float] = {}
    for ev in timed:
        if ev.get("task") is not None:
            group = _trace.GROUP_OF.get(ev["name"], "other")
            totals[group] = totals.get(group, 0.0) + ev["self"] / 1000.0
    all_ms = sum(totals.values()) or 1.0
    breakdown = pd.DataFrame(
        [{"group": g, "ms": ms, "pct": 100.0 * ms / all_ms} for g, ms in totals.items()],
        columns=["group", "ms", "pct"],
    ).sort_values("ms", ascending=False, ignore_index=True)
    columns = ["start_ms", "duration_ms", "blocking_ms", "cause", "top_event", "script"]
    return MainThreadProfile(
        url=url,
        profile=profile,
        window_ms=(end - origin) / 1000.0,
        long_tasks=pd.DataFrame(rows, columns=columns),
        breakdown=breakdown,
    )


async def amain_thread(
    url: str,
    *,
    clicks: Iterable[str] = (),
    profile: str | ThrottleProfile = "none",
    settle: str | float = "1s",
    timeout: str | float = "30s",
    chromium: str | None = None,
) -> MainThreadProfile:
    """Async :func:`main_thread`."""
    from pulsekit.vitals.collector import _check_url, _navigation_error

    _check_url(url)
    prof = get_profile(profile)
    settle_s = parse_duration(settle, field="settle")
    timeout_s = parse_duration(timeout, field="timeout")
    executable = _browser.find_chromium(chromium)
    async with _browser.async_playwright() as pw:
        browser = await _browser.launch(pw, executable)
        try:
            context = await browser.new_context(
                viewport={"width": prof.width, "height": prof.height}
            )
            page = await context.new_page()
            if prof.throttles_network or prof.cpu_slowdown != 1:
                cdp = await context.new_cdp_session(page)
                await cdp.send("Network.enable")
                await cdp.send("Network.emulateNetworkConditions", prof.network_conditions())
                await cdp.send("Emulation.setCPUThrottlingRate", {"rate": prof.cpu_slowdown})
            await browser.start_tracing(page=page, categories=CATEGORIES)
            try:
                from playwright.async_api import Error as PlaywrightError

                try:
                    await page.goto(url, wait_until="load", timeout=timeout_s * 1000)
                except PlaywrightError as exc:
                    raise _navigation_error(url, exc, timeout_s) from exc
                await asyncio.sleep(settle_s)  # let late timers and paints land in the trace
                for selector in clicks:
                    if await page.locator(selector).count() == 0:
                        raise VitalsError(f"no element matches {selector!r} on {url}")
                    await page.locator(selector).first.click(timeout=5000)
                    await page.evaluate(
                        "() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))"
                    )
            finally:
                raw = await browser.stop_tracing()
        finally:
            await browser.close()
    return analyse_trace(raw, url=url, profile=prof.name)


def main_thread(
    url: str,
    *,
    clicks: Iterable[str] = (),
    profile: str | ThrottleProfile = "none",
    settle: str | float = "1s",
    timeout: str | float = "30s",
    chromium: str | None = None,
) -> MainThreadProfile:
    """Trace one load of ``url`` (then ``clicks``) in headless Chromium; long tasks and their causes.

    >>> mt = vitals.main_thread(shop.url + "/", clicks=["#more"])   # doctest: +SKIP
    >>> print(mt.summary())   # each long task: when, how long, script evaluation / style and layout...
    """
    return run_sync(
        amain_thread(
            url, clicks=clicks, profile=profile, settle=settle, timeout=timeout, chromium=chromium
        )
    )
