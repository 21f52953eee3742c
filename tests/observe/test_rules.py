"""Exports: Prometheus rules that promtool accepts, and OpenSLO v1 YAML."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pulsekit.observe import SLO, availability, latency

SLOS = [
    SLO(objective=0.999, window="30d"),
    SLO(objective=0.99, window="28d", sli=latency("api-.*", threshold="250ms", route="/api/.*")),
    SLO(objective=0.995, sli=availability("gateway")).compressed("10m"),
]


@pytest.mark.parametrize("slo", SLOS, ids=["availability-30d", "latency-28d", "gameday-10m"])
def test_promtool_accepts_rules(
    slo: SLO, tmp_path: Path, require_binary: Callable[..., str]
) -> None:
    """Debian's promtool checks the generated recording and alerting rules without errors."""
    promtool = require_binary("promtool", install="sudo apt-get install prometheus")
    path = tmp_path / "rules.yml"
    path.write_text(slo.to_prometheus_rules())
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rules_shape() -> None:
    """Rules follow Sloth's naming and AND the long and short windows per alert."""
    doc = yaml.safe_load(SLO(objective=0.999).to_prometheus_rules())
    recording, alerting = doc["groups"]
    records = {r["record"] for r in recording["rules"]}
    assert {
        "slo:sli_error:ratio_rate5m",
        "slo:sli_error:ratio_rate3d",
        "slo:objective:ratio",
    } <= records
    page = alerting["rules"][0]
    assert page["labels"]["severity"] == "page"
    assert "ratio_rate1h" in page["expr"] and "ratio_rate5m" in page["expr"]
    assert "(14.4 * 0.001)" in page["expr"] and " and " in page["expr"]
    assert len(alerting["rules"]) == 4


def test_latency_rules_match_both_le_spellings() -> None:
    """A latency SLI's bucket matcher accepts Python's "1.0" and Go's "1" spellings of le."""
    text = SLO(objective=0.99, sli=latency(threshold="1s")).to_prometheus_rules()
    assert 'le=~"1|1\\\\.0"' in text or 'le=~"1\\\\.0|1"' in text


def test_openslo_document() -> None:
    """OpenSLO v1: an SLO with a ratio indicator, rolling window, target and one policy per rule."""
    doc = yaml.safe_load(SLO(objective=0.999, window="30d").to_openslo())
    assert doc["apiVersion"] == "openslo/v1" and doc["kind"] == "SLO"
    spec = doc["spec"]
    assert spec["timeWindow"] == [{"duration": "30d", "isRolling": True}]
    assert spec["budgetingMethod"] == "Occurrences"
    assert spec["objectives"][0]["target"] == 0.999
    ratio = spec["indicator"]["spec"]["ratioMetric"]
    assert (
        ratio["counter"] is True
        and 'status=~"5.."' in ratio["bad"]["metricSource"]["spec"]["query"]
    )
    thresholds = [
        p["spec"]["conditions"][0]["spec"]["condition"]["threshold"] for p in spec["alertPolicies"]
    ]
    assert thresholds == [14.4, 6.0, 3.0, 1.0]
