"""A real Debian prometheus on loopback: server lifecycle, queries, either-source parity, rules."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from pulsekit.errors import MissingDependencyError, ObserveError, QueryError
from pulsekit.observe import (
    SLO,
    Prometheus,
    PrometheusServer,
    availability,
    golden_signals,
    guard,
    scrape,
)

from .conftest import wait_until

pytestmark = pytest.mark.integration

# 10% errors against a 99.5% objective burns at 20x: the compressed page rule must fire
GAMEDAY_SLO = SLO(objective=0.995, sli=availability("api-1")).compressed("1h", min_window="4s")


@pytest.fixture(scope="module")
def prom(
    api_exporter: str, require_binary: Callable[..., str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusServer]:
    """One Prometheus scraping the module's exporter every second, with the SLO's rules loaded."""
    binary = require_binary(
        "prometheus", env_var="PULSEKIT_PROMETHEUS", install="sudo apt-get install prometheus"
    )
    rules = tmp_path_factory.mktemp("rules") / "slo.yml"
    rules.write_text(GAMEDAY_SLO.to_prometheus_rules())
    server = PrometheusServer(
        {"api-1": api_exporter}, scrape_interval="1s", binary=binary, rule_files=[rules]
    )
    with server:
        client = Prometheus(server.url)
        wait_until(
            lambda: len(client.query("shop_http_requests_total offset 2s")) > 0,
            timeout=60,
            what="prometheus to hold a few seconds of samples",
        )
        yield server


def test_server_is_loopback_ready_and_scraping(prom: PrometheusServer) -> None:
    """start() returned a ready loopback server whose one target is up under its job name."""
    assert prom.url.startswith("http://127.0.0.1:") and prom.pid
    client = Prometheus(prom.url)
    assert client.ready()
    targets = client.targets()
    assert list(targets["job"]) == ["api-1"] and list(targets["health"]) == ["up"]


def test_query_and_query_range_return_frames(prom: PrometheusServer) -> None:
    """Instant and range queries come back as DataFrames with label columns and float values."""
    client = Prometheus(prom.url)
    now = client.query("sum by (job) (rate(shop_http_requests_total[3s]))")
    assert list(now.columns) == ["time", "job", "value"]
    assert now["value"].iloc[0] > 0
    scalar = client.query("1 / 0")
    assert scalar["value"].iloc[0] == float("inf")
    end = now["time"].iloc[0]
    series = client.query_range("up", start=end - pd.Timedelta("3s"), end=end, step="1s")
    assert len(series) >= 3 and set(series["metric"]) == {"up"}


def test_bad_promql_carries_prometheus_message(prom: PrometheusServer) -> None:
    """A PromQL syntax error raises QueryError with Prometheus's own parse error text."""
    with pytest.raises(QueryError, match="parse error") as info:
        Prometheus(prom.url).query("rate(shop_http_requests_total[5m]")
    assert "bad_data" in str(info.value)


def test_golden_signals_agree_between_scraper_and_prometheus(
    prom: PrometheusServer, api_exporter: str
) -> None:
    """The same exporter gives the same error ratio and quantiles through either source."""
    with scrape({"api-1": api_exporter}, every="0.5s") as scraper:
        scraper.wait_for(rounds=5)
    ours = golden_signals(scraper, window="2s").df.loc["api-1"]
    theirs = golden_signals(prom.url, window="4s").df.loc["api-1"]
    assert theirs.error_ratio == pytest.approx(ours.error_ratio, abs=0.03)
    assert theirs.p95_ms == pytest.approx(ours.p95_ms) == pytest.approx(48.75)


def test_slo_evaluates_from_prometheus_and_its_rules_fire(prom: PrometheusServer) -> None:
    """The SLO evaluates from the Prometheus URL, and the exported page alert fires in Prometheus."""
    report = GAMEDAY_SLO.evaluate(prom.url)
    assert report.total > 0
    assert report.error_ratio == pytest.approx(0.1, abs=0.03)

    def page_firing() -> bool:
        with urllib.request.urlopen(f"{prom.url}/api/v1/alerts", timeout=5) as response:
            alerts = json.loads(response.read())["data"]["alerts"]
        return any(
            a["labels"].get("window") == "page-1h" and a["state"] == "firing" for a in alerts
        )

    wait_until(page_firing, timeout=60, what="the exported page-1h alert to fire")


def test_guard_aborts_from_prometheus(prom: PrometheusServer) -> None:
    """A guard reading Prometheus aborts: 10% errors burn a 99.5% budget at 20x > 14.4."""
    verdict = guard(GAMEDAY_SLO, max_burn=14.4, source=prom.url, window="10s")()
    assert verdict.action == "abort", verdict.reason
    assert verdict.burn_rate == pytest.approx(20, rel=0.3)


def test_unreachable_prometheus_is_a_clear_error() -> None:
    """Querying a port where nothing listens raises ObserveError saying how to start one."""
    with pytest.raises(ObserveError, match="cannot reach Prometheus"):
        Prometheus("http://127.0.0.1:9", timeout=2).query("up")


def test_missing_binary_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong PULSEKIT_PROMETHEUS or binary= raises MissingDependencyError naming apt-get."""
    monkeypatch.setenv("PULSEKIT_PROMETHEUS", "/nonexistent/prometheus")
    server = PrometheusServer({"x": "http://127.0.0.1:9/metrics"})
    with pytest.raises(MissingDependencyError, match="sudo apt-get install"):
        server.start()
    assert server.pid is None


def test_stop_removes_process_and_storage(
    api_exporter: str, require_binary: Callable[..., str]
) -> None:
    """After stop() the process is gone and the temporary storage directory is deleted."""
    binary = require_binary("prometheus", env_var="PULSEKIT_PROMETHEUS")
    server = PrometheusServer({"api-1": api_exporter}, binary=binary).start()
    pid, folder = server.pid, server.dir
    assert pid is not None and folder is not None and (folder / "prometheus.yml").exists()
    server.stop()
    assert not Path(folder).exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ObserveError, match="not started"):
        _ = server.url
