"""k6-style threshold parsing and evaluation."""

from __future__ import annotations

import pytest

from pulsekit.errors import ConfigError
from pulsekit.load.thresholds import evaluate, parse_threshold, parse_thresholds


class FakeStats:
    """A fixed set of running totals."""

    def __init__(self, p95: float | None = 150.0, requests: int = 200, failed: int = 4) -> None:
        self.p95, self.requests, self.failed = p95, requests, failed

    def trend(self, metric, name, agg, pct):  # type: ignore[no-untyped-def]
        return self.p95

    def count(self, metric, name):  # type: ignore[no-untyped-def]
        return {"http_reqs": self.requests, "http_req_failed": self.failed}.get(metric, 3)

    def elapsed(self) -> float:
        return 10.0


def test_parses_k6_percentile_syntax() -> None:
    """'http_req_duration: p(95)<200' becomes metric, percentile, operator and value."""
    t = parse_threshold("http_req_duration: p(95)<200")
    assert (t.metric, t.aggregation, t.percentile, t.op, t.value) == (
        "http_req_duration",
        "p",
        95.0,
        "<",
        200.0,
    )
    assert not t.abort_on_fail


def test_parses_options_units_and_endpoint_tags() -> None:
    """abortOnFail, delayAbortEval, a seconds unit and a {name:...} tag are understood."""
    t = parse_threshold(
        "http_req_duration{name:/api/search}: p(99.9)<=1.5s abortOnFail delayAbortEval=5s"
    )
    assert t.name == "/api/search" and t.value == 1500.0 and t.percentile == 99.9
    assert t.abort_on_fail and t.delay_abort_eval == 5.0


@pytest.mark.parametrize(
    "text",
    [
        "http_req_duration < 200",
        "latency: p(95)<200",
        "http_req_failed: p(95)<0.1",
        "http_req_duration: p(101)<200",
        "http_req_duration: p(95)<<200",
        "dropped_iterations{name:x}: count<1",
    ],
)
def test_rejects_malformed_thresholds(text: str) -> None:
    """Malformed thresholds raise ConfigError naming the threshold and the expected syntax."""
    with pytest.raises(ConfigError, match="threshold"):
        parse_threshold(text)


def test_mapping_form_flattens_like_k6() -> None:
    """{metric: [expr, ...]} gives one threshold per expression."""
    got = parse_thresholds({"http_req_duration": ["p(95)<200", "max<900"], "rps": "value>5"})
    assert [t.text for t in got] == [
        "http_req_duration: p(95)<200",
        "http_req_duration: max<900",
        "rps: value>5",
    ]


def test_k6_long_form_objects() -> None:
    """k6's {threshold, abortOnFail, delayAbortEval} objects are accepted in the mapping form."""
    (t,) = parse_thresholds(
        {
            "http_req_failed": [
                {"threshold": "rate<0.01", "abortOnFail": True, "delayAbortEval": "10s"}
            ]
        }
    )
    assert t.metric == "http_req_failed" and t.abort_on_fail and t.delay_abort_eval == 10.0


def test_evaluation_uses_observed_values() -> None:
    """Latency, failure rate, rps and counts are compared with the operator given."""
    stats = FakeStats()
    assert evaluate(parse_threshold("http_req_duration: p(95)<200"), stats).passed
    assert not evaluate(parse_threshold("http_req_duration: p(95)<100"), stats).passed
    failed = evaluate(parse_threshold("http_req_failed: rate<0.01"), stats)
    assert not failed.passed and failed.observed == pytest.approx(0.02)
    assert evaluate(parse_threshold("rps: value>=20"), stats).passed
    assert not evaluate(parse_threshold("dropped_iterations: count<1"), stats).passed
    assert "FAIL http_req_failed: rate<0.01" in str(failed)


def test_no_data_passes() -> None:
    """A latency threshold with no samples yet passes (nothing violated it), as in k6."""
    result = evaluate(parse_threshold("http_req_duration: p(95)<1"), FakeStats(p95=None))
    assert result.passed and result.observed is None
