"""The background scraper against real prometheus_client exporters on loopback."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pulsekit.errors import ConfigError, MetricNotFoundError
from pulsekit.observe import golden_signals, golden_timeline, scrape
from pulsekit.observe.scrape import Scraper, normalize_targets

pytestmark = pytest.mark.integration


def test_scrape_gives_tidy_frame_and_exact_golden_signals(api_exporter: str) -> None:
    """Samples are tidy; error ratio is the exporter's 1-in-10 and quantiles follow its buckets."""
    with scrape({"api-1": api_exporter}, every="0.5s") as scraper:
        scraper.wait_for(rounds=6)
    assert not scraper.running
    df = scraper.df
    assert list(df.columns) == ["time", "target", "metric", "labels", "value"]
    assert str(df["time"].dt.tz) == "UTC"
    assert {"shop_http_requests_total", "shop_http_request_duration_seconds_bucket", "up"} <= set(
        df["metric"]
    )
    row = golden_signals(scraper, window="2s").df.loc["api-1"]
    assert row.traffic_rps > 0
    assert row.error_ratio == pytest.approx(0.1, abs=0.03)
    # every request takes 40 ms: bucket (25, 50] ms, interpolated like histogram_quantile
    assert (row.p50_ms, row.p95_ms, row.p99_ms) == pytest.approx((37.5, 48.75, 49.75))
    assert row.in_flight == 2
    assert row.saturation == pytest.approx(0.4)  # 4 of 10 pool connections in use


def test_unreachable_target_is_a_recorded_gap(
    api_exporter: str, exporter: Callable[..., str]
) -> None:
    """A dead target never stops the others; its failed scrapes are gaps with up=0, not filled."""
    dead = "http://127.0.0.1:9/metrics"  # discard port: connection refused
    with Scraper({"api-1": api_exporter, "dead": dead}, every="0.3s") as scraper:
        scraper.wait_for(rounds=4)
    df = scraper.df
    up = df[df["metric"] == "up"].groupby("target")["value"].agg(["min", "max", "count"])
    assert up.loc["dead", "max"] == 0.0
    assert up.loc["api-1", "min"] == 1.0
    assert set(df[df["metric"] != "up"]["target"]) == {"api-1"}
    gaps = scraper.gaps
    assert set(gaps["target"]) == {"dead"}
    assert len(gaps) == up.loc["dead", "count"]
    assert "refused" in gaps["error"].iloc[0].lower()
    signals = golden_signals(scraper, window="2s")
    assert list(signals.df.index) == ["api-1"]


def test_malformed_metrics_endpoint_becomes_a_gap(api_exporter: str, garbage_url: str) -> None:
    """A target serving malformed text is recorded as a gap naming the parse problem."""
    scraper = Scraper({"ok": api_exporter, "bad": garbage_url}, every="1s")
    assert scraper.scrape_once() == 1
    assert "malformed Prometheus exposition" in scraper.gaps["error"].iloc[0]


def test_unknown_metric_names_the_known_ones(api_exporter: str) -> None:
    """Asking for a metric nobody exposes raises MetricNotFoundError listing what exists."""
    from pulsekit.observe import GoldenMetrics

    scraper = Scraper({"api-1": api_exporter})
    scraper.wait_for(rounds=2)
    with pytest.raises(MetricNotFoundError, match="did you mean shop_http_requests_total"):
        golden_signals(scraper, metrics=GoldenMetrics(requests="shop_http_request_total"))


def test_golden_timeline_has_one_row_per_step_and_target(api_exporter: str) -> None:
    """The timeline is long-format: a row per step and target with every signal column."""
    with scrape({"a": api_exporter, "b": api_exporter}, every="0.5s") as scraper:
        scraper.wait_for(rounds=6)
    timeline = golden_timeline(scraper, window="1s", step="0.5s")
    assert set(timeline.df["target"]) == {"a", "b"}
    assert {"traffic_rps", "error_ratio", "p95_ms", "saturation"} <= set(timeline.df.columns)
    assert timeline.df.groupby("target").size().min() >= 4
    assert "2 targets" in timeline.summary()


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({}, "empty"),
        ({"x": "ftp://127.0.0.1/metrics"}, "not an http"),
        (42, "pass a dict"),
    ],
)
def test_bad_targets_are_config_errors(targets: object, message: str) -> None:
    """Empty, non-http or odd targets raise ConfigError with the fix."""
    with pytest.raises(ConfigError, match=message):
        normalize_targets(targets)


def test_targets_accept_urls_and_sandbox_like_objects() -> None:
    """A bare URL gets /metrics; an object with .metrics_targets is used as is."""
    assert normalize_targets("http://127.0.0.1:1234") == {
        "127.0.0.1:1234": "http://127.0.0.1:1234/metrics"
    }

    class Shop:
        metrics_targets = {"gateway": "http://127.0.0.1:5/metrics"}

    assert normalize_targets(Shop()) == {"gateway": "http://127.0.0.1:5/metrics"}


def test_frozen_target_times_out_without_stalling_others(exporter: Callable[..., str]) -> None:
    """A SIGSTOPped target times out into gaps while the healthy one keeps being scraped."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    healthy = exporter()
    frozen = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("exporter.py"))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert frozen.stdout is not None
        url = f"http://127.0.0.1:{int(frozen.stdout.readline())}/metrics"
        os.kill(frozen.pid, signal.SIGSTOP)
        with Scraper({"ok": healthy, "frozen": url}, every="0.5s", timeout="0.5s") as scraper:
            scraper.wait_for(rounds=3)
        gaps = scraper.gaps
        assert set(gaps["target"]) == {"frozen"}
        assert "timed out" in gaps["error"].iloc[0].lower()
        ok_times = scraper.df.query("target == 'ok' and metric == 'up'")["time"]
        assert ok_times.nunique() >= 3
    finally:
        os.kill(frozen.pid, signal.SIGCONT)
        frozen.kill()
        frozen.wait(timeout=10)
