"""GameDays 04 (a bad deploy) and 05 (the cost of a short TTL) run headless, shortened by --param
overrides (the full specs run in the runbooks with full_run=True and under `make test-slow`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pulsekit import gameday
from pulsekit.gameday import read_events
from tests.gameday.test_runs import assert_rolled_back

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2] / "gamedays"

# the same shortened schedule as the runbooks' rehearsal (their papermill defaults)
SHORT_04 = {
    "duration": "21s",
    "load.users": 20,
    "windows.baseline": ["3s", "6s"],
    "windows.bad_deploy": ["10s", "14s"],
    "windows.after_rollback": ["18s", "21s"],
    "steps.0.at": "6s",
    "steps.1.at": "14s",
}
SHORT_05 = {  # the long-TTL window starts once the caches are warm (about 8 s at 20 users)
    "duration": "24s",
    "load.users": 20,
    "windows.long_ttl": ["8s", "14s"],
    "windows.short_ttl": ["16s", "21s"],
    "windows.restored": ["22s", "24s"],
    "steps.0.at": "15s",
    "steps.0.duration": "6s",
}


def _cli_params(params: dict[str, Any]) -> list[str]:
    out = []
    for key, value in params.items():
        text = json.dumps(value) if isinstance(value, list) else str(value)
        out += ["--param", f"{key}={text}"]
    return out


def test_04_bad_deploy_is_paged_and_rolled_back(tmp_path: Path) -> None:
    """The faulty build fails product reads only while deployed; the availability SLO pages after
    the deploy; TTD and TTM come from the journal; the rollback leaves the good build."""
    out, result_file = tmp_path / "out", tmp_path / "result.json"
    cmd = [sys.executable, "-m", "pulsekit", "gameday", "run", str(ROOT / "04_bad_deploy")]
    cmd += ["--out", str(out), "--json", str(result_file), "--no-progress"]
    done = subprocess.run(cmd + _cli_params(SHORT_04), capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    data = json.loads(result_file.read_text())
    windows = data["windows"]
    assert data["status"] == "completed" and data["hypothesis_held"] is True
    assert windows["baseline"]["error_rate"] < 0.01
    assert windows["bad_deploy"]["error_rate"] > 0.02  # the bad build did fail requests
    assert windows["after_rollback"]["error_rate"] < 0.01
    for name in ("baseline", "bad_deploy", "after_rollback"):
        assert all(t["passed"] for t in windows[name]["thresholds"]), windows[name]
    incident = data["incident"]
    assert incident["target"] == "api-2" and incident["version"] == "faulty"
    assert incident["ttd_s"] >= 0 and incident["ttm_s"] >= 0, incident
    assert incident["mitigated_by"] == "deploy"  # the rollback step, not the end-of-run ledger
    assert incident["impact_s"] == pytest.approx(incident["ttd_s"] + incident["ttm_s"], abs=0.11)
    assert 6 <= incident["live_t"] <= incident["detected_t"] <= incident["mitigated_t"]
    assert incident["in_rotation_ratio"] > 0.5  # /healthz passed: the gateway kept it in rotation
    assert any(a["severity"] == "page" for a in data["alerts"])
    events = read_events(Path(data["journal"]))
    assert_rolled_back(events, "run.ended")
    types = [e["type"] for e in events]
    assert "detected" in types and "mitigated" in types
    draft = Path(data["postmortem"]).read_text()
    assert "bad_deploy [10s, 14s): http_req_failed: rate<0.2" in draft
    report = Path(data["report"]).read_text()
    assert "## Time to detect and time to mitigate" in report and "TTD" in report
    rows = {
        line.split("|")[1].strip(): line
        for line in draft.splitlines()
        if line.startswith("| Time to ")
    }
    assert "unknown" not in rows["Time to detect"] and "unknown" not in rows["Time to mitigate"]


def test_05_short_ttl_multiplies_reads_and_prices_the_month(tmp_path: Path) -> None:
    """With the TTL at 2 s the api reads the database more often than at 300 s, the cache's hit
    ratio drops, and each window is priced from measured reads and bytes (and per month)."""
    result = gameday.run(
        ROOT / "05_short_ttl_cost", out=tmp_path / "out", progress=False, params=SHORT_05
    )
    data = result.to_dict()
    assert data["status"] == "completed" and data["hypothesis_held"] is True, result.summary()
    long, short = data["windows"]["long_ttl"], data["windows"]["short_ttl"]
    for w in (long, short):
        assert set(w["traffic"]) >= {"db_reads", "link_bytes", "cache_hits", "cache_misses"}
        assert w["traffic"]["db_reads_by_node"] and w["traffic"]["link_bytes_by_link"]
        assert w["cost_usd"] > 0 and w["cost_month_usd"] > 0
    long_rate = long["traffic"]["db_reads"] / long["requests"]
    short_rate = short["traffic"]["db_reads"] / short["requests"]
    assert short_rate > 1.3 * long_rate, (long["traffic"], short["traffic"])
    assert short["traffic"]["cache_hit_ratio"] < long["traffic"]["cache_hit_ratio"]
    price = result.spec.price
    assert price is not None
    expected = (
        short["traffic"]["db_reads"] / 1e6 * price.db_reads_per_million
        + short["traffic"]["link_bytes"] / 1e9 * price.egress_per_gb
    )
    assert result.windows["short_ttl"].cost_usd == pytest.approx(expected, rel=1e-9)
    events = read_events(result.journal)
    assert_rolled_back(events, "run.ended")
    ttl = [e for e in events if e["type"] == "fault.applied"]
    assert ttl[0]["data"]["seconds"] == 2 and ttl[0]["data"]["previous_seconds"] == [300.0]
    draft = Path(data["postmortem"]).read_text()
    assert "short_ttl [16s, 21s): http_req_failed: rate<0.01" in draft
    assert "## What each window cost" in Path(data["report"]).read_text()


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["04_bad_deploy", "05_short_ttl_cost"])
def test_full_spec_holds(folder: str, tmp_path: Path) -> None:
    """The specs as written (60 s, 40 users): what the briefings' "what we found" sections quote."""
    result = gameday.run(ROOT / folder, out=tmp_path / "out", progress=False)
    assert result.status == "completed" and result.hypothesis_held, result.summary()
    if folder == "04_bad_deploy":
        assert result.incident is not None and result.incident["ttd_s"] is not None
    else:
        long, short = result.windows["long_ttl"], result.windows["short_ttl"]
        assert long.traffic and short.traffic
        assert (
            short.traffic["db_reads"] / short.requests
            > 2 * long.traffic["db_reads"] / long.requests
        )


@pytest.mark.parametrize(
    ("folder", "short"), [("04_bad_deploy", SHORT_04), ("05_short_ttl_cost", SHORT_05)]
)
def test_the_specs_rehearsal_is_the_schedule_the_tests_and_runbooks_use(
    folder: str, short: dict[str, Any]
) -> None:
    """`pulsekit gameday run --rehearsal` runs exactly the short schedule tested here."""
    from pulsekit.gameday import load_spec

    rehearsed, overridden = (
        load_spec(ROOT / folder, rehearsal=True),
        load_spec(ROOT / folder, **short),
    )
    assert rehearsed.rehearsed and rehearsed.duration_s == overridden.duration_s
    assert rehearsed.windows == overridden.windows and rehearsed.steps == overridden.steps
    assert rehearsed.load == overridden.load
