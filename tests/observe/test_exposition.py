"""Parsing Prometheus text exposition and canonical label strings."""

from __future__ import annotations

import pytest

from pulsekit.errors import ExpositionError
from pulsekit.observe._exposition import format_labels, parse_exposition, parse_labels

TEXT = """# HELP shop_http_requests_total requests
# TYPE shop_http_requests_total counter
shop_http_requests_total{route="/a",status="200"} 7.0
# HELP shop_http_requests_created requests
# TYPE shop_http_requests_created gauge
shop_http_requests_created{route="/a",status="200"} 1.7e+09
# TYPE lat histogram
lat_bucket{le="0.1"} 1.0
lat_bucket{le="+Inf"} 3.0
lat_count 3.0
lat_sum 0.9
"""


def test_parse_yields_samples_and_drops_created_series() -> None:
    """Counters keep their _total name, histograms their _bucket/_count/_sum, _created is dropped."""
    rows = parse_exposition(TEXT)
    names = [name for name, _, _ in rows]
    assert ("shop_http_requests_total", 'route="/a",status="200"', 7.0) in rows
    assert ("lat_bucket", 'le="+Inf"', 3.0) in rows
    assert "shop_http_requests_created" not in names
    assert "shop_http_requests_created" in [
        n for n, _, _ in parse_exposition(TEXT, keep_created=True)
    ]


@pytest.mark.parametrize("text", ["foo{ 1", "foo bar\n", 'foo{a="b} 1\n'])
def test_malformed_text_raises_exposition_error(text: str) -> None:
    """Malformed exposition raises our ExpositionError naming the first line, with the cause kept."""
    with pytest.raises(ExpositionError, match="malformed Prometheus exposition") as info:
        parse_exposition(text)
    assert info.value.__cause__ is not None
    assert text.splitlines()[0][:10] in str(info.value)


def test_labels_round_trip_with_escapes() -> None:
    """format_labels is sorted and escaped, and parse_labels inverts it exactly."""
    labels = {"z": "last", "a": 'quote " and \\ backslash', "n": "new\nline"}
    text = format_labels(labels)
    assert text.startswith('a="quote \\" and')
    assert parse_labels(text) == labels
    assert parse_labels("") == {}
