"""Bad input is refused with a clear error before a single request is sent."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pulsekit.errors import ConfigError, DurationError, LoadError, NotAllowedError
from pulsekit.load import run


def _bad_calls(url: str) -> list[tuple[dict, type[Exception], str]]:
    return [
        ({"users": 2, "rate": 5}, ConfigError, "not both"),
        ({}, ConfigError, "users=N"),
        ({"users": 0}, ConfigError, "users=0"),
        ({"users": True}, ConfigError, "users=True"),
        ({"rate": -1}, ConfigError, "rate=-1"),
        ({"users": 1, "duration": "3 minutes"}, DurationError, "3 minutes"),
        ({"users": 1, "duration": 0}, ConfigError, "duration"),
        ({"users": 1, "spawn_rate": 0}, ConfigError, "spawn_rate"),
        ({"rate": 5, "spawn_rate": 2}, ConfigError, "spawn_rate"),
        ({"users": 1, "workers": -1}, ConfigError, "workers"),
        ({"users": 1, "thresholds": ["p95 < 200"]}, ConfigError, "p95 < 200"),
        ({"users": 1, "mix": "tourist"}, ConfigError, "tourist"),
        ({"users": 1, "locustfile": "missing.py"}, ConfigError, "missing.py"),
        ({"users": 1, "shape": "zigzag"}, ConfigError, "zigzag"),
        ({"rate": 5, "shape": int}, ConfigError, "LoadTestShape"),
        ({"users": 1, "schedule": [("9s", print)]}, ConfigError, "after the end"),
        ({"users": 1, "schedule": [("1s", 5)]}, ConfigError, "schedule"),
    ]


def test_bad_arguments_send_nothing(fresh_target) -> None:  # type: ignore[no-untyped-def]
    """Every invalid argument raises a PulsekitError naming it, and the target sees no request."""
    for kwargs, error, words in _bad_calls(fresh_target.url):
        with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
            run(fresh_target.url, duration=kwargs.pop("duration", "2s"), **kwargs)
    assert fresh_target.served() == 0


def test_unimportable_user_class_is_refused(fresh_target) -> None:  # type: ignore[no-untyped-def]
    """A class defined inside a function cannot reach the child process: say how to fix it."""

    class Local:
        pass

    with pytest.raises(ConfigError, match="locustfile="):
        run(fresh_target.url, users=1, duration="2s", user_class=Local)
    assert fresh_target.served() == 0


def test_host_not_on_allow_list_is_refused() -> None:
    """A non-loopback host is refused with the way to allow it."""
    with pytest.raises(NotAllowedError, match="allow="):
        run("http://10.255.255.1:8080", users=1, duration="2s")


def test_unreachable_url_is_refused() -> None:
    """A loopback port where nothing listens fails fast with LoadError."""
    from pulsekit._util import free_port

    with pytest.raises(LoadError, match="unreachable"):
        run(f"http://127.0.0.1:{free_port()}", users=1, duration="2s")


def test_not_a_url_is_refused() -> None:
    """Something that is not an http(s) URL is refused."""
    with pytest.raises(ConfigError, match="http"):
        run("ftp://127.0.0.1/x", users=1)


def test_import_stays_light() -> None:
    """Importing pulsekit.load imports none of locust, gevent, pandas or matplotlib."""
    code = (
        "import sys, pulsekit.load, pulsekit.load._cli; "
        "print(sorted(m for m in ('locust', 'gevent', 'pandas', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_broken_locustfile_is_a_load_error(target, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A locustfile that fails to import stops the run with LoadError carrying Locust's error."""
    bad = tmp_path / "broken_locustfile.py"
    bad.write_text("import locust\nraise RuntimeError('boom in locustfile')\n")
    with pytest.raises(LoadError, match="boom in locustfile"):
        run(target.url, users=1, duration="2s", locustfile=bad, progress=False)
