"""Find the system Chromium and launch it through Playwright (never downloads a browser)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from pulsekit.errors import BrowserNotFoundError, MissingDependencyError

INSTALL_HINT = "sudo apt-get install chromium"
# Without the background-networking flags a closed network refuses Chromium's own connections.
LAUNCH_ARGS = (
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def find_chromium(explicit: str | None = None) -> str:
    """Path of the browser: ``explicit``, then ``PULSEKIT_CHROMIUM``, PATH ``chromium``, /usr/bin/chromium."""
    for source, candidate in (
        ("chromium=", explicit),
        ("PULSEKIT_CHROMIUM=", os.environ.get("PULSEKIT_CHROMIUM")),
    ):
        if candidate:
            path = shutil.which(candidate) or candidate
            if not Path(path).is_file():
                raise BrowserNotFoundError(
                    f"{source}{candidate!r} is not an executable file; point it at a Chromium binary "
                    f"or install one with: {INSTALL_HINT}"
                )
            return path
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    raise BrowserNotFoundError(
        "no Chromium found (checked PULSEKIT_CHROMIUM, PATH and /usr/bin/chromium); "
        f"install it with: {INSTALL_HINT}, or set PULSEKIT_CHROMIUM=/path/to/chromium"
    )


def async_playwright() -> Any:
    """``playwright.async_api.async_playwright`` imported on demand, with an install hint."""
    try:
        from playwright.async_api import async_playwright as factory
    except ImportError as exc:  # pragma: no cover - playwright is a hard dependency
        raise MissingDependencyError(
            "the playwright package is missing; install it with: pip install playwright "
            "(do not run 'playwright install': pulsekit uses the system Chromium)"
        ) from exc
    return factory()


async def launch(playwright: Any, executable: str) -> Any:
    """Launch headless Chromium from ``executable`` with flags that work as root in a container."""
    from playwright.async_api import Error as PlaywrightError

    try:
        return await playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            chromium_sandbox=False,
            args=list(LAUNCH_ARGS),
        )
    except PlaywrightError as exc:
        raise BrowserNotFoundError(
            f"Chromium at {executable} did not start: {str(exc).splitlines()[0]}; check it runs "
            f"('{executable} --version') or reinstall it with: {INSTALL_HINT}"
        ) from exc
