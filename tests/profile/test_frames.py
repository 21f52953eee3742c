"""Profiles as data: speedscope parsing, self/total shares, top, compare with noise, flame graphs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulsekit.errors import ConfigError, ProfileError
from pulsekit.profile import Profile, compare, from_speedscope
from pulsekit.profile._pyspy import explain
from pulsekit.profile._speedscope import parse, short_file
from pulsekit.profile.recorder import _resolve

MAIN = ("main", "app.py")
HANDLER = ("handler", "app.py")
QUERY = ("query", "db.py")
JSON = ("dumps", "json/__init__.py")


def make(stacks: dict[tuple[tuple[str, str], ...], int], target: str = "t") -> Profile:
    return Profile(target=target, pid=1, duration_s=1.0, rate_hz=100, stacks=stacks)


def speedscope_doc() -> dict[str, object]:
    return {
        "shared": {
            "frames": [
                {"name": "main", "file": "/srv/app.py", "line": 1},
                {"name": "handler", "file": "/srv/app.py", "line": 9},
                {"name": "query", "file": "/venv/lib/python3.11/site-packages/db.py", "line": 3},
            ]
        },
        "profiles": [
            {"type": "sampled", "samples": [[0, 1, 2], [0, 1, 2], [0, 1]], "weights": [0.01] * 3},
            {"type": "evented", "events": []},
        ],
    }


def test_speedscope_stacks_are_root_first_with_short_files() -> None:
    """Frames keep their order (root first), files lose their site-packages prefix."""
    stacks, seconds = parse(speedscope_doc())
    assert stacks == {
        (("main", "srv/app.py"), ("handler", "srv/app.py"), ("query", "db.py")): 2,
        (("main", "srv/app.py"), ("handler", "srv/app.py")): 1,
    }
    assert seconds == pytest.approx(0.03)
    assert short_file("/x/site-packages/aiohttp/web.py") == "aiohttp/web.py"


def test_from_speedscope_reads_a_file(tmp_path: Path) -> None:
    """A speedscope file written earlier becomes a Profile with its samples."""
    path = tmp_path / "p.speedscope.json"
    path.write_text(json.dumps(speedscope_doc()))
    prof = from_speedscope(path)
    assert prof.samples == 3
    assert prof.top(1).iloc[0]["function"] == "query"


def test_not_speedscope_is_a_clear_error(tmp_path: Path) -> None:
    """A file of another format names speedscope and how to record it."""
    path = tmp_path / "x.json"
    path.write_text("{}")
    with pytest.raises(ProfileError, match="speedscope"):
        from_speedscope(path)


def test_self_is_the_leaf_and_total_counts_once_per_sample() -> None:
    """Self share = leaf samples; total share = samples with the function anywhere (recursion once)."""
    prof = make({(MAIN, HANDLER, QUERY): 6, (MAIN, HANDLER, HANDLER): 3, (MAIN, JSON): 1})
    table = prof.to_frame().set_index("function")
    assert table.loc["query", "self_pct"] == 60.0
    assert table.loc["handler", "total_pct"] == 90.0  # recursion counted once
    assert table.loc["handler", "self_pct"] == 30.0
    assert table.loc["main", "total_pct"] == 100.0
    assert table.loc["main", "self_pct"] == 0.0
    assert list(prof.top(2)["function"]) == ["query", "handler"]
    assert list(prof.top(1, by="total")["function"]) == ["handler"]  # main is the trunk
    assert list(prof.top(1, by="total", trunk=True)["function"]) == ["main"]
    assert prof.share("query") == 60.0
    # a trunk that sometimes runs itself (a loop calling a C function) is still the trunk
    looping = make({(MAIN, HANDLER, QUERY): 6, (MAIN, HANDLER): 3, (MAIN,): 1})
    assert list(looping.top(1, by="total")["function"]) == ["handler"]
    # but a function on every sample that mostly runs itself is the answer
    hot = make({(MAIN,): 8, (MAIN, HANDLER): 2})
    assert list(hot.top(1, by="total")["function"]) == ["main"]
    with pytest.raises(ConfigError, match="by="):
        prof.top(3, by="wall")


def test_compare_flags_changes_past_the_noise_only() -> None:
    """A 40-point shift over 1000 samples is significant; a 1-point wobble is not."""
    before = make({(MAIN, HANDLER, QUERY): 500, (MAIN, JSON): 500}, "before")
    after = make({(MAIN, HANDLER, QUERY): 900, (MAIN, JSON): 100}, "after")
    diff = compare(before, after)
    rows = diff.significant().set_index("function")
    assert rows.loc["query", "delta_pp"] == pytest.approx(40.0)
    assert rows.loc["dumps", "delta_pp"] == pytest.approx(-40.0)
    assert "main" not in rows.index  # 100% on both sides
    wobble = compare(before, make({(MAIN, HANDLER, QUERY): 510, (MAIN, JSON): 490}))
    assert wobble.significant().empty
    assert "no function changed" in wobble.summary()
    assert "+40.0 pp" in diff.summary()


def test_compare_needs_samples_on_both_sides() -> None:
    """An idle (empty) profile cannot be compared; the error says to record under load."""
    with pytest.raises(ConfigError, match="under load"):
        compare(make({}), make({(MAIN,): 1}))


def test_flame_graph_svg_is_written(tmp_path: Path) -> None:
    """write_svg saves an SVG naming the frames that are wide enough."""
    prof = make({(MAIN, HANDLER, QUERY): 60, (MAIN, JSON): 40})
    path = prof.write_svg(tmp_path / "flame.svg")
    text = path.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "handler" in text and "query" in text


def test_targets_resolve_to_pids_or_clear_errors() -> None:
    """A pid, a digit string or a service of a services map resolve; anything else says why."""
    assert _resolve(42, None) == (42, "pid 42")
    assert _resolve("42", None) == (42, "pid 42")
    assert _resolve("api-1", {"api-1": {"pid": 7}}) == (7, "api-1 (pid 7)")
    with pytest.raises(ConfigError, match="sandbox=shop"):
        _resolve("api-1", None)
    with pytest.raises(ConfigError, match="the services are: api-1"):
        _resolve("api-9", {"api-1": {"pid": 7}})
    with pytest.raises(ConfigError, match="pid"):
        _resolve(True, None)


def test_ptrace_refusal_names_the_ways_round() -> None:
    """py-spy's permission error becomes a message with sudo, SYS_PTRACE and ptrace_scope."""
    message = explain("Error: Permission Denied: Try running again with elevated permissions", 9)
    assert "pid 9" in message and "SYS_PTRACE" in message and "ptrace_scope" in message


def test_without_and_focus_filter_samples() -> None:
    """without() drops samples by exact leaf name; focus() keeps stacks through a function."""
    prof = make({(MAIN,): 5, (MAIN, HANDLER, QUERY): 3, (MAIN, JSON): 2})
    assert prof.without("main").samples == 5
    assert prof.without("main").share("query", by="self") == 60.0
    assert prof.focus("handler").samples == 3
    assert prof.without("mai").samples == 10  # exact names only
    busy = make({(MAIN, HANDLER): 10})  # the hot leaf is on every sample but is no trunk
    assert list(busy.top(5, by="total")["function"]) == ["handler"]
