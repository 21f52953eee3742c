"""Measure web vitals in headless Chromium: an async core and a sync wrapper that works in Jupyter too."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pulsekit._util import parse_duration
from pulsekit.errors import ConfigError, VitalsError
from pulsekit.vitals import _browser, _metrics
from pulsekit.vitals._sync import run_sync
from pulsekit.vitals.interactions import Interaction, as_interactions
from pulsekit.vitals.profiles import ThrottleProfile, get_profile
from pulsekit.vitals.result import RunVitals, VitalsResult

if TYPE_CHECKING:
    from playwright.async_api import Browser

_MAX_RUNS = 50
_POLL_S = 0.05
_MAX_SETTLE_S = 10.0  # a page that never goes quiet is measured after this
_INTERACTION_WAIT_MS = 1000
_NUDGE = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
# web-vitals' e2e trick: pretend the tab was hidden so pages' own reporters flush their final values.
_HIDE = """() => {
  Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
  Object.defineProperty(document, 'hidden', {value: true, configurable: true});
  document.dispatchEvent(new Event('visibilitychange'));
  return true;
}"""
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_MOBILE_UA = (
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36"
)


def _observer_js() -> str:
    return resources.files("pulsekit.vitals").joinpath("_observer.js").read_text(encoding="utf-8")


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"url={url!r} is not an http(s) URL; use e.g. http://127.0.0.1:8080/")
    return url


def _check_runs(runs: int, parallel: int) -> None:
    if not isinstance(runs, int) or not 1 <= runs <= _MAX_RUNS:
        raise ConfigError(f"runs={runs!r} must be an integer from 1 to {_MAX_RUNS}")
    if not isinstance(parallel, int) or parallel < 1:
        raise ConfigError(f"parallel={parallel!r} must be an integer >= 1")


async def _settle(page: Any, inflight: dict[str, int], quiet_s: float, max_s: float) -> bool:
    """Wait until no request is in flight and no new paint/shift/long task came for ``quiet_s``.

    Returns False when the page was still busy after ``max_s`` (it is then measured as it is).
    """
    deadline = time.monotonic() + max_s
    while time.monotonic() < deadline:
        now, last = await page.evaluate(
            "() => [performance.now(), window.__pk ? window.__pk.last : 0]"
        )
        if inflight["n"] <= 0 and now - last >= quiet_s * 1000:
            return True
        await asyncio.sleep(_POLL_S)
    return False


async def _interact(page: Any, action: Interaction, *, touch: bool = False) -> str | None:
    """Play one interaction and wait for its Event Timing entry; returns a warning or None.

    With ``touch`` (the mobile profile) a click is a tap, as on a phone.
    """
    from playwright.async_api import Error as PlaywrightError

    since = await page.evaluate("() => performance.now()")
    if action.selector and await page.locator(action.selector).count() == 0:
        raise VitalsError(
            f"interaction '{action}' failed on {page.url}: no element matches {action.selector!r}; "
            "check the CSS selector"
        )
    try:
        if action.action == "click" and touch:
            await page.locator(action.selector).first.tap(timeout=5000)
        elif action.action == "click":
            await page.locator(action.selector).first.click(timeout=5000)
        elif action.action == "type":
            await page.locator(action.selector).first.press_sequentially(action.text, timeout=5000)
        else:
            await page.keyboard.press(action.text)
    except PlaywrightError as exc:
        raise VitalsError(
            f"interaction '{action}' failed on {page.url}: {str(exc).splitlines()[0]}; "
            "check the CSS selector matches a visible element"
        ) from exc
    # headless starves requestIdleCallback until a frame is forced; Event Timing needs a presentation
    await page.evaluate(_NUDGE)
    seen = await page.evaluate(
        f"() => window.__pk.waitInteraction({since}, {_INTERACTION_WAIT_MS})"
    )
    if not seen and await page.evaluate("() => window.scrollY > 0"):
        # observed with Chromium 156 headless: no Event Timing entry once the page is scrolled
        return (
            f"INP: '{action}' needed a scroll and Chromium reported no Event Timing entry for it; "
            "put interaction targets in the first viewport"
        )
    return None


def _navigation_error(url: str, exc: Exception, timeout_s: float) -> VitalsError:
    message = str(exc).splitlines()[0]
    if type(exc).__name__ == "TimeoutError":
        return VitalsError(
            f"{url} did not finish loading within {timeout_s:g} s (navigation timeout); "
            "raise timeout= / --timeout or check the server"
        )
    if "ERR_CONNECTION_REFUSED" in message or "ERR_NAME_NOT_RESOLVED" in message:
        return VitalsError(
            f"{url} is unreachable ({message}); is the server running at that address?"
        )
    return VitalsError(f"{url} could not be loaded: {message}")


async def _measure(
    browser: Any,
    url: str,
    profile: ThrottleProfile,
    interactions: tuple[Interaction, ...],
    *,
    timeout_s: float,
    settle_s: float,
    script: str,
) -> RunVitals:
    """One cold page load in a fresh browser context, with interactions, flushed and read back."""
    from playwright.async_api import Error as PlaywrightError

    started = time.monotonic()
    context = await browser.new_context(
        viewport={"width": profile.width, "height": profile.height},
        device_scale_factor=profile.device_scale_factor,
        # a phone: mobile viewport (meta viewport honoured) and touch; the early shifts this marks
        # "after input" are told apart from real input in _metrics.after_input
        is_mobile=profile.mobile,
        has_touch=profile.mobile,
        user_agent=_MOBILE_UA if profile.mobile else None,
    )
    try:
        page = await context.new_page()
        page.set_default_timeout(timeout_s * 1000)
        await page.add_init_script(script=script)
        if profile.throttles_network or profile.cpu_slowdown != 1:
            cdp = await context.new_cdp_session(page)
            await cdp.send("Network.enable")
            await cdp.send("Network.emulateNetworkConditions", profile.network_conditions())
            await cdp.send("Emulation.setCPUThrottlingRate", {"rate": profile.cpu_slowdown})
        inflight = {"n": 0}

        def _start(_: Any) -> None:
            inflight["n"] += 1

        def _end(_: Any) -> None:
            inflight["n"] -= 1

        page.on("request", _start)
        page.on("requestfinished", _end)
        page.on("requestfailed", _end)
        try:
            response = await page.goto(url, wait_until="load", timeout=timeout_s * 1000)
        except PlaywrightError as exc:
            raise _navigation_error(url, exc, timeout_s) from exc
        if response is None:
            raise VitalsError(f"{url} gave no HTTP response; measure an http(s) page")
        if response.status >= 400:
            raise VitalsError(
                f"{url} answered HTTP {response.status}; vitals of an error page mean nothing, "
                "check the URL"
            )
        ctype = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
        if ctype not in _HTML_TYPES:
            raise VitalsError(
                f"{url} is not an HTML page (Content-Type {ctype or 'missing'!r}); "
                "web vitals need a page the browser renders, e.g. the site's / or a product page"
            )
        budget = min(_MAX_SETTLE_S, max(timeout_s - (time.monotonic() - started), 1.0))
        warnings = []
        if not await _settle(page, inflight, settle_s, budget):
            warnings.append(
                f"the page never went quiet (requests or paints kept coming) within {budget:.0f} s "
                "after load; it was measured at that point"
            )
        for action in interactions:
            warning = await _interact(page, action, touch=profile.mobile)
            if warning:
                warnings.append(warning)
        await page.evaluate(_NUDGE)
        await page.evaluate(_HIDE)
        raw = await page.evaluate("() => window.__pk ? window.__pk.snapshot() : null")
        if raw is None:
            raise VitalsError(
                f"{url}: the observer script did not run (a non-HTML or sandboxed page?)"
            )
        values = _metrics.compute(raw, interactions=len(interactions))
        return RunVitals(
            lcp=values["LCP"],
            cls=values["CLS"],
            inp=values["INP"],
            fcp=values["FCP"],
            ttfb=values["TTFB"],
            tbt=values["TBT"],
            lcp_element=values["lcp_element"],
            interactions=len(interactions),
            status=response.status,
            wall_s=round(time.monotonic() - started, 3),
            warnings=tuple(warnings),
        )
    finally:
        await context.close()


@dataclass(frozen=True)
class _Plan:
    """Validated arguments of one measurement request."""

    targets: tuple[str, ...]
    runs: int
    parallel: int
    profile: ThrottleProfile
    actions: tuple[Interaction, ...]
    timeout_s: float
    settle_s: float
    progress: bool


def make_plan(
    urls: Sequence[str],
    *,
    runs: int = 5,
    profile: str | ThrottleProfile = "mobile",
    interactions: Iterable[Interaction | str] | None = None,
    parallel: int = 1,
    timeout: str | float = "30s",
    settle: str | float = "1s",
    progress: bool = False,
) -> _Plan:
    """Check every argument before a browser is started (ConfigError names the bad one)."""
    if isinstance(urls, str):
        urls = [urls]
    targets = tuple(_check_url(u) for u in urls)
    if not targets:
        raise ConfigError("urls is empty; pass at least one page URL")
    _check_runs(runs, parallel)
    return _Plan(
        targets=targets,
        runs=runs,
        parallel=parallel,
        profile=get_profile(profile),
        actions=as_interactions(interactions),
        timeout_s=_check_timeout(parse_duration(timeout, field="timeout"), timeout),
        settle_s=parse_duration(settle, field="settle"),
        progress=progress,
    )


# Playwright hands timeouts to Node's timers: 0 means "no timeout at all", and past 2^31-1 ms
# the timer overflows and fires at once (a false "did not finish loading" on a healthy page)
_MAX_TIMEOUT_S = (2**31 - 1) / 1000.0


def _check_timeout(seconds: float, given: str | float) -> float:
    if not 0 < seconds <= _MAX_TIMEOUT_S:
        raise ConfigError(
            f"timeout={given!r} must be above 0 and at most 24 days (the browser's timer limit); "
            "use a value like '30s'"
        )
    return seconds


async def run_plan(browser: Browser, plan: _Plan) -> list[VitalsResult]:
    """Measure every target ``plan.runs`` times in an open browser, ``plan.parallel`` at a time."""
    script = _observer_js()
    jobs = [(i, u) for i, u in enumerate(plan.targets) for _ in range(plan.runs)]
    measured: dict[int, list[RunVitals]] = {i: [] for i in range(len(plan.targets))}
    bar = None
    if plan.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="vitals", unit="load")
    gate = asyncio.Semaphore(plan.parallel)

    async def one(index: int, target: str) -> None:
        async with gate:
            run = await _measure(
                browser,
                target,
                plan.profile,
                plan.actions,
                timeout_s=plan.timeout_s,
                settle_s=plan.settle_s,
                script=script,
            )
        measured[index].append(run)
        if bar is not None:
            bar.update(1)

    try:
        async with asyncio.TaskGroup() as group:
            for index, target in jobs:
                group.create_task(one(index, target))
    except BaseExceptionGroup as group_error:
        # surface the first of our own errors rather than the group wrapper
        for exc in group_error.exceptions:
            if isinstance(exc, VitalsError | ConfigError):
                raise exc from None
        raise
    finally:
        if bar is not None:
            bar.close()
    prof = plan.profile
    excluded = prof.latency_ms if prof.throttles_network else 0.0
    return [
        VitalsResult.from_runs(
            u,
            tuple(measured[i]),
            profile=prof.name,
            scoring=prof.scoring,
            ttfb_excludes_latency_ms=excluded,
        )
        for i, u in enumerate(plan.targets)
    ]


async def acollect_many(
    urls: Sequence[str],
    *,
    runs: int = 5,
    profile: str | ThrottleProfile = "mobile",
    interactions: Iterable[Interaction | str] | None = None,
    parallel: int = 1,
    timeout: str | float = "30s",
    settle: str | float = "1s",
    chromium: str | None = None,
    progress: bool = False,
) -> list[VitalsResult]:
    """Measure several pages with one browser; ``parallel`` browser contexts load at the same time.

    Parallel loads share the machine's CPU, so keep ``parallel=1`` when the numbers must be comparable
    with a single measurement (CPU throttling multiplies any contention).
    """
    plan = make_plan(
        urls,
        runs=runs,
        profile=profile,
        interactions=interactions,
        parallel=parallel,
        timeout=timeout,
        settle=settle,
        progress=progress,
    )
    executable = _browser.find_chromium(chromium)
    async with _browser.async_playwright() as pw:
        browser = await _browser.launch(pw, executable)
        try:
            return await run_plan(browser, plan)
        finally:
            await browser.close()


async def acollect(
    url: str,
    *,
    runs: int = 5,
    profile: str | ThrottleProfile = "mobile",
    interactions: Iterable[Interaction | str] | None = None,
    parallel: int = 1,
    timeout: str | float = "30s",
    settle: str | float = "1s",
    chromium: str | None = None,
    progress: bool = False,
) -> VitalsResult:
    """Async :func:`collect`."""
    results = await acollect_many(
        [url],
        runs=runs,
        profile=profile,
        interactions=interactions,
        parallel=parallel,
        timeout=timeout,
        settle=settle,
        chromium=chromium,
        progress=progress,
    )
    return results[0]


def collect(
    url: str,
    *,
    runs: int = 5,
    profile: str | ThrottleProfile = "mobile",
    interactions: Iterable[Interaction | str] | None = None,
    parallel: int = 1,
    timeout: str | float = "30s",
    settle: str | float = "1s",
    chromium: str | None = None,
    progress: bool = False,
) -> VitalsResult:
    """Load ``url`` ``runs`` times in headless Chromium and return its web vitals at p75.

    Each run is a cold load in a fresh browser context with the throttling ``profile`` ("mobile":
    Lighthouse's Slow 4G + 4x CPU, "desktop", "none"); ``interactions`` (CSS selectors to click, or
    :func:`click` / :func:`type_text` / :func:`press`) are played once the page settled, which gives INP.

    >>> from pulsekit import vitals
    >>> result = vitals.collect("http://127.0.0.1:8080/", runs=3, interactions=["#buy"])  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    """
    return run_sync(
        acollect(
            url,
            runs=runs,
            profile=profile,
            interactions=interactions,
            parallel=parallel,
            timeout=timeout,
            settle=settle,
            chromium=chromium,
            progress=progress,
        )
    )


def collect_many(
    urls: Sequence[str],
    *,
    runs: int = 5,
    profile: str | ThrottleProfile = "mobile",
    interactions: Iterable[Interaction | str] | None = None,
    parallel: int = 1,
    timeout: str | float = "30s",
    settle: str | float = "1s",
    chromium: str | None = None,
    progress: bool = False,
) -> list[VitalsResult]:
    """Sync :func:`acollect_many`: one browser, one result per URL, in the order given."""
    return run_sync(
        acollect_many(
            urls,
            runs=runs,
            profile=profile,
            interactions=interactions,
            parallel=parallel,
            timeout=timeout,
            settle=settle,
            chromium=chromium,
            progress=progress,
        )
    )
