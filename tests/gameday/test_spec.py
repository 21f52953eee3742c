"""GameDay specs: the flagship parses; every class of bad input fails before anything starts, naming
the key and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pulsekit.errors import SpecError
from pulsekit.gameday import load_spec
from pulsekit.gameday._params import parse_cli

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "gamedays" / "01_db_replica_loss"


def base(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "title": "t",
        "load": {"users": 10},
        "duration": "20s",
        "windows": {"baseline": ["2s", "8s"], "fault": ["10s", "20s"]},
        "hypothesis": {"fault": ["http_req_failed: rate<0.01"]},
        "steps": [{"at": "9s", "action": "kill", "target": "db-replica-1"}],
        "stop_when": ["http_req_failed: rate>0.5 over 5s"],
    }
    spec.update(changes)
    return spec


def test_the_flagship_spec_parses_with_the_issue_contract() -> None:
    """The folder's gameday.yaml is the 1000-user replica loss with two windows and one kill."""
    spec = load_spec(FLAGSHIP)
    assert spec.load.users == 1000 and spec.load.mix == "vendor"
    assert spec.duration_s == 60
    assert [(w.name, w.start_s, w.end_s) for w in spec.windows] == [
        ("baseline", 15, 25),
        ("fault", 27, 60),
    ]
    assert [(s.at_s, s.action, s.target) for s in spec.steps] == [(25, "kill", "db-replica-1")]
    assert spec.stop_when[0].over_s == 5 and spec.stop_when[0].threshold is not None
    assert "fault [27s, 60s): http_req_duration: p(95)<1000" in spec.hypothesis_text()[1]
    assert spec.price is not None and spec.price.instances == 8  # every service of the sandbox
    assert spec.price.cost(3600, 1_000_000) == pytest.approx(8 * 0.0416 + 1.0)


def test_params_override_keys_by_dotted_path_and_kwargs() -> None:
    """--param load.users=40 and load__users=40 set the same key; values are read as YAML."""
    params = parse_cli(["load.users=40", "duration=12s", "steps.0.at=6s"])
    assert params == {"load.users": 40, "duration": "12s", "steps.0.at": "6s"}
    spec = load_spec(FLAGSHIP, **params, windows={"baseline": [2, 5], "fault": [7, 12]})
    assert (spec.load.users, spec.duration_s, spec.steps[0].at_s) == (40, 12, 6)
    assert load_spec(FLAGSHIP, load__users=41).load.users == 41


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        (base(colour="red"), ["colour", "is not a known key", "stop_when"]),
        (base(load={"users": 10, "userz": 3}), ["load.userz", "is not a known key"]),
        (
            base(steps=[{"at": "25s", "action": "kill", "target": "db-replica-1"}]),
            ["steps[0].at", "after the end of the run", "earlier"],
        ),
        (
            base(
                steps=[
                    {
                        "at": "15s",
                        "action": "latency",
                        "target": "api->db-replica-1",
                        "ms": 9,
                        "duration": "10s",
                    }
                ]
            ),
            ["steps[0].duration", "after the run"],
        ),
        (base(windows={"fault": ["10s", "30s"]}), ["windows.fault", "outside the run"]),
        (base(windows={"fault": ["10s", "5s"]}), ["windows.fault", "start < end"]),
        (base(windows={"fault": ["1.5s", "5s"]}), ["windows.fault", "whole second"]),
        (
            base(steps=[{"at": "9s", "action": "kill", "target": "db-replica-3"}]),
            ["steps[0].target", "'db-replica-3' is not a service", "db-replica-2"],
        ),
        (
            base(steps=[{"at": "9s", "action": "latency", "target": "db-replica-1"}]),
            ["steps[0].target", "is not a link", "api->db-replica-1"],
        ),
        (
            base(steps=[{"at": "9s", "action": "explode", "target": "api-1"}]),
            ["steps[0].action", "kill"],
        ),
        (
            base(hypothesis={"fault": ["http_req_duration: p95<200"]}),
            ["hypothesis.fault[0]", "does not parse", "p(95)<200"],
        ),
        (base(stop_when=["errors > lots over 5s"]), ["stop_when[0]", "does not parse"]),
        (
            base(hypothesis={"recovery": ["http_req_failed: rate<0.01"]}),
            ["hypothesis.recovery", "baseline, fault"],
        ),
        (base(duration="a while"), ["duration", "not a duration"]),
        (base(title=None), ["title", "missing"]),
        (base(load={"users": 10, "rate": 5}), ["load", "one of them"]),
        (base(stop_when=["slo: burn_rate>14.4 over 1m"]), ["stop_when[0]", "no slo: section"]),
        (base(price={"instances": 3}), ["price", "needs instance_hour"]),
        (base(price={"instance_hour": "cheap"}), ["price.instance_hour", "must be a number"]),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else None,
)
def test_bad_input_is_one_clear_error_naming_the_key(
    spec: dict[str, Any], names: list[str]
) -> None:
    """Unknown keys, late steps, windows outside the run, unknown targets and bad thresholds each
    raise SpecError whose message names the key and what to do."""
    with pytest.raises(SpecError) as info:
        load_spec(spec)
    message = str(info.value)
    for name in names:
        assert name in message, message
    assert "\n" not in message


def test_a_file_that_is_not_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    """Broken YAML names the file and the line."""
    bad = tmp_path / "gameday.yaml"
    bad.write_text("title: x\nload: {users: 10\nduration: 5s\n")
    with pytest.raises(SpecError, match=r"gameday.yaml is not YAML at line \d+"):
        load_spec(tmp_path)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(SpecError, match="not a YAML mapping"):
        load_spec(bad)
    with pytest.raises(SpecError, match="no such spec file"):
        load_spec(tmp_path / "missing")


def test_a_url_target_has_no_services_to_kill() -> None:
    """Steps acting on services need the sandbox; a URL target says so."""
    with pytest.raises(SpecError, match=r"steps\[0\] kill needs target: sandbox"):
        load_spec(base(target={"url": "http://127.0.0.1:9"}))


def test_a_param_that_names_no_key_fails() -> None:
    """--param must name a key or a list index of the spec."""
    with pytest.raises(SpecError, match="must look like key=value"):
        parse_cli(["load.users"])
    with pytest.raises(SpecError, match="param 'title.x'"):
        load_spec(base(), **{"title.x": 1})


def test_the_cli_refuses_a_bad_spec_with_exit_1_and_one_line(tmp_path: Path) -> None:
    """`pulsekit gameday run` on a bad spec prints one error line and exits 1, starting nothing."""
    import subprocess
    import sys

    bad = tmp_path / "gameday.yaml"
    bad.write_text("title: x\nload: {users: 5}\nduration: 10s\nbogus: 1\n")
    done = subprocess.run(
        [sys.executable, "-m", "pulsekit", "gameday", "run", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Error: {bad}: bogus is not a known key; use one of title, description, target, "
        "sandbox, load, duration, windows, hypothesis, steps, stop_when, slo, price, counters, "
        "knee, rehearsal"
    ]
    assert not (tmp_path / "runs").exists()
