"""The package itself: a fast, side-effect-free import, a complete facade, one error tree."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest

import pulsekit
from pulsekit import errors
from pulsekit._util import check_host_allowed, parse_duration
from pulsekit.errors import DurationError, NotAllowedError, PulsekitError

HEAVY = [
    "locust",
    "gevent",
    "playwright",
    "duckdb",
    "chaoslib",
    "jupyter",
    "jupyter_client",
    "matplotlib",
    "pandas",
    "aiohttp",
    "prometheus_client",
]
LAZY = [
    f"pulsekit.{p}"
    for p in ("chaos", "costs", "gameday", "incidents", "load", "observe", "profile", "vitals")
]


def test_import_is_fast_and_imports_no_heavy_library() -> None:
    """`import pulsekit` pulls in none of the heavy libraries and takes well under 0.5 s."""
    code = (
        "import json, sys, time; t = time.perf_counter(); import pulsekit; "
        "d = time.perf_counter() - t; "
        f"print(json.dumps({{'t': d, 'heavy': [m for m in {HEAVY!r} if m in sys.modules], "
        f"'lazy': [m for m in {LAZY!r} if m in sys.modules]}}))"
    )
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    ]
    assert all(r["heavy"] == [] for r in runs), runs
    assert all(r["lazy"] == [] for r in runs), runs  # pulsekit.load etc. load when first named
    # best of three: a cold disk cache on a loaded CI machine should not decide this
    assert min(r["t"] for r in runs) < 0.5, runs


def test_facade_all_is_sorted_and_complete() -> None:
    """`pulsekit.__all__` is sorted and every name in it exists."""
    assert list(pulsekit.__all__) == sorted(pulsekit.__all__)
    for name in pulsekit.__all__:
        assert hasattr(pulsekit, name), name
    public = {
        n
        for n in vars(pulsekit)
        if not n.startswith("_") and not inspect.ismodule(getattr(pulsekit, n))
    }
    assert public <= set(pulsekit.__all__) | {"annotations"}


def test_every_error_is_in_the_tree_and_documented() -> None:
    """Each error class derives from PulsekitError, has a one-line docstring and is drawn in the tree."""
    classes = [
        c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__
    ]
    assert PulsekitError in classes
    for cls in classes:
        assert issubclass(cls, PulsekitError), cls
        assert cls.__doc__ and "\n" not in cls.__doc__.strip(), cls
        assert cls.__name__ in (errors.__doc__ or ""), (
            f"{cls.__name__} missing from the tree drawing"
        )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("1m30s", 90.0),
        ("250ms", 0.25),
        ("2h", 7200.0),
        ("30d", 2592000.0),
        (5, 5.0),
        ("10", 10.0),
    ],
)
def test_durations_parse(text: str | int, seconds: float) -> None:
    """Durations accept seconds and k6-style unit strings."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "3 minutes", "1x", "-5s", -1, True, "s"])
def test_bad_durations_name_the_field(bad: object) -> None:
    """A bad duration raises DurationError naming the field and showing valid forms."""
    with pytest.raises(DurationError, match=r"ttl=.*'30s'"):
        parse_duration(bad, field="ttl")  # type: ignore[arg-type]


def test_only_loopback_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback passes; another host is refused with the fix, unless allow-listed."""
    monkeypatch.delenv("PULSEKIT_ALLOW_HOSTS", raising=False)
    assert check_host_allowed("http://127.0.0.1:8080/x") == "127.0.0.1"
    assert check_host_allowed("http://localhost/") == "localhost"
    assert check_host_allowed("[::1]:80") == "::1"
    with pytest.raises(NotAllowedError, match=r'allow=\["10.0.0.5"\].*PULSEKIT_ALLOW_HOSTS'):
        check_host_allowed("http://10.0.0.5:80/")
    assert check_host_allowed("http://staging.example:80", allow=["staging.example"])
    monkeypatch.setenv("PULSEKIT_ALLOW_HOSTS", "10.0.0.5, other")
    assert check_host_allowed("10.0.0.5:80") == "10.0.0.5"


def test_cli_lists_the_practices_and_prints_errors_without_traceback() -> None:
    """`pulsekit --help` lists the command groups; a PulsekitError is one line on stderr, exit 1."""
    result = subprocess.run(
        [sys.executable, "-m", "pulsekit", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "sandbox" in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "pulsekit", "sandbox", "up", "--db-replicas", "-2"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("Error: db_replicas=-2") and "Traceback" not in bad.stderr
