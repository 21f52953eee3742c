"""Shared fixtures: system parts (skip, or fail under PULSEKIT_REQUIRE_ALL=1) and a shared sandbox."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator

import pytest

from pulsekit._util import find_executable

# A runner that starts the suite in the background (bash without job control, `cmd &`) ignores
# SIGINT, and every child inherits SIG_IGN, so the tests that press Ctrl-C on a child would see nothing
# happen. Python's own handler is reset to the default at exec, so each child gets Ctrl-C again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REQUIRE_ALL = os.environ.get("PULSEKIT_REQUIRE_ALL", "") not in ("", "0", "false", "no")


def skip_or_fail(message: str) -> None:
    """Skip the test, or fail it when PULSEKIT_REQUIRE_ALL=1 (CI must never pass by skipping)."""
    if REQUIRE_ALL:
        pytest.fail(f"PULSEKIT_REQUIRE_ALL=1 and {message}")
    pytest.skip(message)


def missing(what: str, install: str) -> None:
    """Skip (fail under PULSEKIT_REQUIRE_ALL=1): ``what`` is not installed."""
    skip_or_fail(f"{what} is not installed; install it with: {install}")


def require_netns() -> None:
    """Skip (fail under PULSEKIT_REQUIRE_ALL=1) when Linux network namespaces cannot be made."""
    from pulsekit.testing._netns import unavailable

    why = unavailable()
    if why:
        skip_or_fail(f"network namespaces cannot be made here: {why} (CI runs these as root)")


@pytest.fixture(scope="session")
def require_binary() -> Callable[..., str]:
    """Return a function that finds a binary or skips/fails the test with the install command."""

    def _require(name: str, *, env_var: str | None = None, install: str | None = None) -> str:
        path = find_executable(name, env_var=env_var or f"PULSEKIT_{name.upper()}")
        if path is None:
            missing(name, install or f"sudo apt-get install {name}")
        assert path is not None
        return path

    return _require


@pytest.fixture(scope="session")
def shop() -> Iterator[object]:
    """One healthy sandbox shared by the whole session; tests that break it must repair it."""
    from pulsekit.sandbox import Sandbox

    with Sandbox() as sandbox:
        yield sandbox


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` (full-length GameDays) run under ``make test-slow`` (``-m slow``), not
    in ``make test``: they are left out unless the marker expression names them."""
    if "slow" in str(config.getoption("markexpr") or ""):
        return
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item.get_closest_marker("slow") is None]
