"""The GameDay screen in a real browser (system Chromium through Playwright) on real short runs: the page
follows the run live, HALT aborts it and rolls every fault back, changing requests without the token or
from another origin are refused, and the replay of a finished run shows the same steps and alerts."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulsekit.errors import ConfigError
from pulsekit.gameday import read_events
from pulsekit.gameday._screen import Screen
from pulsekit.gameday._screen_state import replay_state
from tests.gameday.test_runs import assert_rolled_back, spec
from tests.sandbox.helpers import eventually

pytestmark = pytest.mark.integration
URL_LINE = re.compile(r"GameDay screen[^:]*: (http://127\.0\.0\.1:\d+/)")


def until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``check`` until it returns something truthy, or fail naming ``what``."""
    return eventually(check, timeout, 0.1, what=what)


@pytest.fixture(scope="module")
def browser(require_binary: Callable[..., str]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from pulsekit.vitals._browser import LAUNCH_ARGS, find_chromium

    require_binary("chromium", env_var="PULSEKIT_CHROMIUM", install="sudo apt-get install chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=find_chromium(),
            headless=True,
            chromium_sandbox=False,
            args=list(LAUNCH_ARGS),
        )
        yield b
        b.close()


class ScreenRun:
    """``pulsekit gameday run SPEC --screen`` in a subprocess, its URL read from stderr."""

    def __init__(self, tmp_path: Path, **changes: Any) -> None:
        path = tmp_path / "gameday.yaml"
        path.write_text(yaml.safe_dump(spec(**changes)))
        self.out = tmp_path / "out"
        self.journal = self.out / "journal.jsonl"
        cmd = [
            sys.executable,
            "-m",
            "pulsekit",
            "gameday",
            "run",
            str(path),
            "--out",
            str(self.out),
        ]
        cmd += ["--screen", "--no-progress", "--json", str(tmp_path / "result.json")]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stderr is not None
        line = until(self.proc.stderr.readline, 120, "the screen URL")
        match = URL_LINE.search(line)
        assert match, line
        self.url = match.group(1)

    def events(self) -> list[dict[str, Any]]:
        return read_events(self.journal) if self.journal.exists() else []

    def finish(self, timeout: float = 180) -> tuple[int, dict[str, Any], str]:
        try:
            _, err = self.proc.communicate(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        result = json.loads((self.out.parent / "result.json").read_text())
        return self.proc.returncode, result, err


def shown_steps(page: Any) -> dict[str, str]:
    return page.eval_on_selector_all(
        "#steps li[data-step]",
        "els => Object.fromEntries(els.map(e => [e.dataset.step, e.dataset.state]))",
    )


def shown_alerts(page: Any) -> list[str]:
    return page.eval_on_selector_all("#alerts li[data-rule]", "els => els.map(e => e.dataset.rule)")


def post_halt(url: str, headers: dict[str, str]) -> int:
    host, port = url.split("//")[1].rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("POST", "/halt", body=b"", headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def test_the_page_follows_a_live_run_and_its_replay_shows_the_same(
    tmp_path: Path, browser: Any
) -> None:
    """Page loads; the kill shows within 2 s of its journal time; the charts advance; after the end
    the process exits (the screen holds nothing open) and the replay shows the same steps and alerts."""
    slo = {"service": "gateway", "objective": 0.99, "latency": "5ms", "compress": "2m"}
    steps = [
        {"at": "2s", "action": "latency", "target": "api->db-primary", "ms": 40, "duration": "9s"},
        {"at": "6s", "action": "kill", "target": "db-replica-1"},
    ]
    run = ScreenRun(
        tmp_path,
        duration="14s",
        steps=steps,
        slo=slo,
        windows={"baseline": ["1s", "2s"], "fault": ["7s", "14s"]},
    )
    page = browser.new_page()
    try:
        page.goto(run.url)
        until(lambda: page.text_content("#title") == "test run", 20, "the title")
        assert page.locator("#halt").count() == 1
        assert "http_req_failed: rate>0.9 over 3s" in (page.text_content("#stops") or "")
        kill = until(
            lambda: next(
                (
                    e
                    for e in run.events()
                    if e["type"] == "step.applied" and e["data"]["action"] == "kill"
                ),
                None,
            ),
            120,
            "the kill in the journal",
        )
        seen_kill = until(
            lambda: shown_steps(page).get(kill["data"]["step"]) == "running", 10, "kill"
        )
        assert seen_kill
        delay = time.time() - kill_time(kill)
        assert delay < 2.0, f"the kill reached the page {delay:.2f} s after it happened"
        first = int(page.get_attribute("#chart-rps", "data-points") or 0)
        until(
            lambda: int(page.get_attribute("#chart-rps", "data-points") or 0) > first + 1,
            15,
            "the requests/s chart to advance",
        )
        assert "fault" in (page.text_content("#hypothesis") or "")
        code, result, err = run.finish()
        assert code == 0, err[-2000:]
        until(lambda: page.is_visible("#banner"), 10, "the 'screen is closed' banner")
        live_steps = shown_steps(page)
    finally:
        page.close()
    assert result["status"] == "completed"
    journal_alerts = [
        e["data"]["rule"] for e in read_events(run.journal) if e["type"] == "slo.alert"
    ]
    assert journal_alerts, "the 5 ms SLO should have paged during the run"
    cmd = [sys.executable, "-m", "pulsekit", "gameday", "screen", str(run.out), "--serve-for", "2m"]
    replay = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    page = browser.new_page()
    try:
        assert replay.stderr is not None
        match = URL_LINE.search(until(replay.stderr.readline, 60, "the replay URL"))
        assert match
        page.goto(match.group(1))
        until(lambda: page.text_content("#clock") == "replay", 20, "the replay")
        assert shown_steps(page) == live_steps == {s: "done" for s in live_steps}
        assert set(live_steps) == {"latency api->db-primary", "kill db-replica-1"}
        assert shown_alerts(page) == journal_alerts
        assert int(page.get_attribute("#chart-rps", "data-points") or 0) >= 10
        assert "completed" in (page.text_content("#status") or "")
        assert page.is_disabled("#halt")
    finally:
        page.close()
        replay.send_signal(signal.SIGINT)
        try:
            replay.wait(timeout=20)
        finally:
            if replay.poll() is None:
                replay.kill()
                replay.wait()
    assert replay.returncode == 0
    # the notebook's live view renders from the same state
    from pulsekit.gameday._screen_cell import NotebookView

    cell = NotebookView(replay_state(run.out), "http://127.0.0.1:1/").render()
    assert "kill db-replica-1 (T+6 s): <b>done</b>" in cell and "fault: ✓ held" in cell
    assert cell.count("<svg") == 3 and "<polyline" in cell


def kill_time(event: dict[str, Any]) -> float:
    from datetime import datetime

    return datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()


def test_halt_from_the_page_aborts_and_reverts_every_fault(tmp_path: Path, browser: Any) -> None:
    """Refused without the token, with another Origin or Host; the button halts: aborted, reason
    "halted from the screen", every fault reverted, the later step never applied."""
    steps = [
        {"at": "1s", "action": "latency", "target": "api->db-primary", "ms": 30},
        {"at": "2s", "action": "kill", "target": "db-replica-1"},
        {"at": "25s", "action": "freeze", "target": "api-1"},
    ]
    run = ScreenRun(tmp_path, duration="30s", steps=steps, windows={}, hypothesis={})
    page = browser.new_page()
    try:
        page.goto(run.url)
        until(lambda: shown_steps(page).get("kill db-replica-1") == "running", 120, "the kill")
        token = page.get_attribute('meta[name="pulsekit-token"]', "content")
        assert token and len(token) >= 20
        host = run.url.split("//")[1].rstrip("/")
        assert post_halt(run.url, {}) == 403
        assert post_halt(run.url, {"X-Pulsekit-Token": "wrong"}) == 403
        evil = {"X-Pulsekit-Token": token, "Origin": "http://evil.example"}
        assert post_halt(run.url, evil) == 403
        assert post_halt(run.url, {"X-Pulsekit-Token": token, "Host": "evil.example:80"}) == 403
        assert run.proc.poll() is None  # none of those halted the run
        page.on("dialog", lambda dialog: dialog.accept())
        page.click("#halt")
        until(lambda: "HALT sent" in (page.text_content("#banner") or ""), 10, "the HALT answer")
        code, result, err = run.finish()
    finally:
        page.close()
    assert code == 99, err[-2000:]
    assert result["status"] == "aborted" and result["abort_reason"] == "halted from the screen"
    events = read_events(run.journal)
    assert_rolled_back(events, "run.aborted")
    halts = [e for e in events if e["type"] == "halt.requested"]
    assert len(halts) == 1 and halts[0]["data"]["via"] == "screen"
    assert "freeze" not in [e["data"].get("action") for e in events if e["type"] == "step.applied"]
    assert events[-1]["data"]["reason"] == "halted from the screen"
    assert host  # the URL named the loopback host the Host check accepts


def test_the_screen_binds_loopback_only() -> None:
    from pulsekit.gameday._screen_state import ScreenState

    state = ScreenState({"title": "x", "steps": [], "windows": [], "stops": [], "duration_s": 1})
    with pytest.raises(ConfigError, match="SSH tunnel"):
        Screen(state, host="0.0.0.0")
    with Screen(state) as screen:
        assert screen.httpd.server_address[0] == "127.0.0.1"
        # a replay-only or finished screen has nothing to halt, even with the token
        status = post_halt(screen.url, {"X-Pulsekit-Token": screen.token})
        assert status == 409
        # a page under another name (DNS rebinding) cannot even read the page and its token
        conn = http.client.HTTPConnection("127.0.0.1", screen.port, timeout=10)
        conn.request("GET", "/", headers={"Host": f"evil.example:{screen.port}"})
        answer = conn.getresponse()
        assert answer.status == 403 and screen.token.encode() not in answer.read()
        conn.close()


def test_a_background_run_halts_from_its_handle(tmp_path: Path) -> None:
    """The notebook's lever: ``gameday.start()`` returns at once; ``handle.halt()`` aborts the run
    with its reason and every fault is rolled back."""
    from pulsekit import gameday

    steps = [{"at": "1s", "action": "kill", "target": "db-replica-1"}]
    handle = gameday.start(
        spec(duration="30s", steps=steps, windows={}, hypothesis={}), out=tmp_path / "out"
    )
    journal = tmp_path / "out" / "journal.jsonl"
    applied = lambda: journal.exists() and '"step.applied"' in journal.read_text()  # noqa: E731
    try:
        until(lambda: handle.done or applied(), 120, "the kill")
    except AssertionError:
        tail = journal.read_text()[-2000:] if journal.exists() else "(no journal)"
        raise AssertionError(f"no kill within 120 s; the journal so far:\n{tail}") from None
    assert not handle.done, (handle.result(timeout=5).status, handle.result(timeout=5).problems)
    assert handle.halt()
    result = handle.result(timeout=120)
    assert result.status == "aborted" and result.abort_reason == "halted from Python"
    assert result.load.duration_s < 25
    events = read_events(journal)
    assert_rolled_back(events, "run.aborted")
    assert [e["data"]["via"] for e in events if e["type"] == "halt.requested"] == ["api"]
    assert not handle.halt()  # it has ended
