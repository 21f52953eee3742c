"""Bad input gives clear errors, and the browser is always closed (errors, cancellation, Ctrl-C)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time

import psutil
import pytest

from pulsekit._util import free_port
from pulsekit.errors import BrowserNotFoundError, ConfigError, VitalsError
from pulsekit.vitals import acollect, collect
from pulsekit.vitals._browser import find_chromium

from .conftest import PageServer, _alive, wait_no_browser

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"profile": "5g"}, "profile='5g' is unknown"),
        ({"runs": 0}, "runs=0"),
        ({"timeout": "soon"}, "timeout='soon'"),
    ],
)
def test_bad_arguments_fail_before_launching(kwargs: dict[str, object], message: str) -> None:
    """Invalid arguments raise ConfigError naming the field, without starting a browser."""
    with pytest.raises(ConfigError, match=message):
        collect("http://127.0.0.1:9/", **kwargs)  # type: ignore[arg-type]


def test_non_http_url_is_refused() -> None:
    """Only http(s) URLs are measured."""
    with pytest.raises(ConfigError, match="not an http"):
        collect("file:///etc/passwd")


def test_missing_browser_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """A PULSEKIT_CHROMIUM that does not exist says how to install Chromium."""
    monkeypatch.setenv("PULSEKIT_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(BrowserNotFoundError, match="sudo apt-get install chromium"):
        find_chromium()


def test_unreachable_url(chromium: str) -> None:
    """A port nobody listens on is reported as unreachable and the browser is closed."""
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(VitalsError, match="unreachable"):
        collect(url, runs=1, profile="none", settle="0.2s", chromium=chromium)
    assert wait_no_browser() == []


def test_bad_pages_are_refused_with_the_reason(chromium: str, pages: PageServer) -> None:
    """JSON, an HTTP error page, a hanging server and a missing click target each name the reason."""
    from pulsekit.vitals import _browser
    from pulsekit.vitals.collector import _measure, _observer_js
    from pulsekit.vitals.interactions import click
    from pulsekit.vitals.profiles import NONE

    cases = [
        ("/api.json", (), 10.0, "not an HTML page.*application/json"),
        ("/broken", (), 10.0, "HTTP 500"),
        ("/hang", (), 1.0, r"within 1 s \(navigation timeout\)"),
        ("/plain", (click("#nope"),), 10.0, "click #nope.*no element matches"),
    ]

    async def main() -> list[str]:
        messages = []
        async with _browser.async_playwright() as pw:
            browser = await _browser.launch(pw, chromium)
            try:
                for path, actions, timeout_s, _ in cases:
                    try:
                        await _measure(
                            browser,
                            pages.url + path,
                            NONE,
                            actions,
                            timeout_s=timeout_s,
                            settle_s=0.2,
                            script=_observer_js(),
                        )
                    except VitalsError as exc:
                        messages.append(str(exc))
                    else:
                        messages.append("no error")
            finally:
                await browser.close()
        return messages

    messages = asyncio.run(main())
    for (path, _, _, pattern), message in zip(cases, messages, strict=True):
        assert re.search(pattern, message), f"{path}: {message}"
    assert wait_no_browser() == []


def test_cancellation_closes_the_browser(chromium: str, pages: PageServer) -> None:
    """Cancelling the async collector mid-navigation still closes Chromium."""

    async def main() -> None:
        task = asyncio.create_task(
            acollect(pages.url + "/hang", runs=1, profile="none", settle="0.2s", chromium=chromium)
        )
        deadline = time.monotonic() + 30
        while not _browser_children() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert _browser_children(), "Chromium never started"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert wait_no_browser() == []


def _browser_children(pid: int | None = None) -> list[psutil.Process]:
    root = psutil.Process(pid or os.getpid())
    found = []
    for p in root.children(recursive=True):
        try:
            if "chrom" in p.name().lower():
                found.append(p)
        except psutil.NoSuchProcess:
            continue
    return found


def test_ctrl_c_closes_the_browser(chromium: str, pages: PageServer) -> None:
    """SIGINT to `pulsekit vitals` on a hanging page exits and leaves no Chromium behind."""
    env = {**os.environ, "PULSEKIT_CHROMIUM": chromium}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pulsekit.cli", "vitals", pages.url + "/hang", "--runs", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        browsers: list[psutil.Process] = []
        while time.monotonic() < deadline and proc.poll() is None:
            browsers = _browser_children(proc.pid)
            if browsers:
                break
            time.sleep(0.1)
        assert browsers, "Chromium never started under the CLI"
        descendants = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        assert proc.returncode != 0
        gone, alive = psutil.wait_procs(descendants, timeout=20)
        assert [p for p in alive if _alive(p)] == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
