"""Shared fixtures: system parts (skip, or fail under PULSEKIT_REQUIRE_ALL=1) and a shared sandbox."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REQUIRE_ALL = os.environ.get("PULSEKIT_REQUIRE_ALL", "") not in ("", "0", "false", "no")


def find_binary(name: str, env_var: str | None = None) -> str | None:
    """Path of a system binary: ``env_var`` first, then PATH, then /usr/bin."""
    if env_var and os.environ.get(env_var):
        return os.environ[env_var]
    found = shutil.which(name)
    if found:
        return found
    candidate = Path("/usr/bin") / name
    return str(candidate) if candidate.exists() else None


def missing(what: str, install: str) -> None:
    """Skip the test, or fail it when PULSEKIT_REQUIRE_ALL=1 (CI must never pass by skipping)."""
    message = f"{what} is not installed; install it with: {install}"
    if REQUIRE_ALL:
        pytest.fail(f"PULSEKIT_REQUIRE_ALL=1 and {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def require_binary() -> Callable[..., str]:
    """Return a function that finds a binary or skips/fails the test with the install command."""

    def _require(name: str, *, env_var: str | None = None, install: str | None = None) -> str:
        path = find_binary(name, env_var)
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
