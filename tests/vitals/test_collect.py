"""Measurements in the real system Chromium against a local reference page."""

from __future__ import annotations

import asyncio

import psutil
import pytest

from pulsekit.vitals import VitalsResult, collect, collect_many

from .conftest import PAGE, PageServer, browser_processes, wait_no_browser

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def measured(chromium: str, pages: PageServer) -> VitalsResult:
    """Two unthrottled runs of the reference page, in parallel contexts, with a click on #buy."""
    return collect(
        pages.url + "/",
        runs=2,
        parallel=2,
        profile="none",
        interactions=["#buy"],
        chromium=chromium,
    )


def test_lcp_is_the_late_element(measured: VitalsResult) -> None:
    """LCP is the text block inserted at 1200 ms, not the heading painted first."""
    assert all(r.lcp_element == "p#hero" for r in measured.runs)
    assert all(r.lcp is not None and r.lcp >= PAGE.lcp_at_ms for r in measured.runs)
    assert measured.p75["FCP"] is not None and measured.p75["FCP"] < PAGE.lcp_at_ms


def test_cls_matches_the_designed_shift(measured: VitalsResult) -> None:
    """The banner's shift scores impact fraction x distance fraction, as designed, in every run."""
    for r in measured.runs:
        assert r.cls == pytest.approx(PAGE.expected_cls(1350, 940), abs=0.002)


def test_click_gives_inp_and_tbt(measured: VitalsResult) -> None:
    """The 150 ms busy click handler shows up as INP >= 150 ms and as blocking time."""
    assert measured.p75["INP"] is not None and measured.p75["INP"] >= PAGE.click_ms
    assert measured.p75["TBT"] is not None and measured.p75["TBT"] >= PAGE.click_ms - 50
    assert measured.p75["TTFB"] is not None and measured.p75["TTFB"] >= 0
    assert measured.ttfb_excludes_latency_ms == 0  # no emulation, nothing to flag


def test_result_is_rated_and_scored(measured: VitalsResult) -> None:
    """The result carries ratings, a Lighthouse-style score and the per-run table."""
    assert measured.ratings["CLS"] == "good"
    assert measured.score is not None and 0 <= measured.score <= 100
    assert len(measured.df) == 2
    assert "Core Web Vitals" in measured.summary()


def test_mobile_profile_throttles_and_flags_ttfb(chromium: str, pages: PageServer) -> None:
    """Under Slow 4G + 4x CPU the first paint is later than the emulated latency and TTFB is flagged."""
    res = collect(pages.url + "/plain", runs=1, profile="mobile", settle="0.3s", chromium=chromium)
    assert res.ttfb_excludes_latency_ms == pytest.approx(562.5)
    assert res.p75["FCP"] is not None and res.p75["FCP"] > 562.5
    assert res.p75["INP"] is None
    assert "excludes the emulated 562.5 ms" in res.summary()


def test_mobile_profile_taps_and_reports_cls_and_inp(chromium: str, pages: PageServer) -> None:
    """The mobile profile is a phone (412 px mobile viewport, touch): the banner's shift scores as
    designed for 412x823 and a tap on the busy button gives INP, in the same throttled run."""
    res = collect(
        pages.url + "/", runs=1, profile="mobile", interactions=["#buy"], chromium=chromium
    )
    (run,) = res.runs
    assert run.cls == pytest.approx(PAGE.expected_cls(412, 823), abs=0.002)
    assert run.inp is not None and run.inp >= PAGE.click_ms
    assert run.warnings == ()


@pytest.mark.parametrize("profile", ["mobile", "none"])
def test_inp_for_a_click_after_a_scroll(chromium: str, pages: PageServer, profile: str) -> None:
    """A target below the fold is scrolled to and clicked (tapped on mobile): INP is reported."""
    res = collect(
        pages.url + "/tall", runs=1, profile=profile, interactions=["#later"], chromium=chromium
    )
    (run,) = res.runs
    assert run.inp is not None and run.inp >= PAGE.click_ms
    assert not any("scroll" in w for w in run.warnings)


def test_pages_in_parallel_contexts(chromium: str, pages: PageServer) -> None:
    """Several pages measured with parallel contexts come back one result per URL, in order."""
    urls = [pages.url + "/plain", pages.url + "/plain?b"]
    results = collect_many(
        urls, runs=1, profile="none", parallel=2, settle="0.3s", chromium=chromium
    )
    assert [r.url for r in results] == urls
    assert all(len(r.runs) == 1 and r.p75["LCP"] is not None for r in results)
    assert wait_no_browser() == []


def test_sync_wrapper_works_inside_a_running_loop(chromium: str, pages: PageServer) -> None:
    """collect() called from code running inside an event loop (as in Jupyter) still works."""

    async def notebook_cell() -> VitalsResult:
        return collect(
            pages.url + "/plain", runs=1, profile="none", settle="0.3s", chromium=chromium
        )

    res = asyncio.run(notebook_cell())
    assert res.p75["FCP"] is not None


def test_session_reuses_one_browser(chromium: str, pages: PageServer) -> None:
    """A Session measures several times with one Chromium, survives bad pages and closes it all."""
    from pulsekit.errors import VitalsError
    from pulsekit.vitals import Session

    with Session(chromium=chromium) as browser:
        first = browser.collect(pages.url + "/plain", runs=1, profile="none", settle="0.3s")
        launched = _main_browser_pids()
        with pytest.raises(VitalsError, match="not an HTML page"):
            browser.collect(pages.url + "/api.json", runs=1, profile="none")
        second = browser.collect(pages.url + "/plain", runs=1, profile="none", settle="0.3s")
        busy = browser.collect(pages.url + "/busy", runs=1, profile="none", timeout="2.5s")
        assert launched and launched == _main_browser_pids()  # the same browser process
    assert first.p75["FCP"] is not None and second.p75["FCP"] is not None
    assert any("never went quiet" in note for note in busy.notes)  # measured anyway, with a note
    assert busy.p75["LCP"] is not None
    assert wait_no_browser() == []


def _main_browser_pids() -> set[int]:
    """Chromium main processes (their parent is Playwright's driver, not another Chromium)."""
    out = set()
    for proc in browser_processes():
        try:
            parent = proc.parent()
            if parent is not None and "chrom" not in parent.name().lower():
                out.add(proc.pid)
        except psutil.NoSuchProcess:
            continue  # a renderer that just exited
    return out
