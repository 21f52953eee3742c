"""Parse Prometheus text exposition into flat samples; canonical label strings."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from pulsekit.errors import ExpositionError

# metrics that carry no signal for us: prometheus_client's per-series start timestamps
_CREATED_PARENTS = ("counter", "histogram", "summary")


def format_labels(labels: Mapping[str, str]) -> str:
    """Canonical, sortable label string: ``method="GET",route="/x"`` (empty for none)."""
    parts = []
    for key in sorted(labels):
        value = str(labels[key]).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        parts.append(f'{key}="{value}"')
    return ",".join(parts)


@lru_cache(maxsize=65536)
def _parse_labels_cached(text: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        eq = text.index("=", i)
        key = text[i:eq]
        j = eq + 2  # skip ="
        out = []
        while text[j] != '"':
            if text[j] == "\\":
                nxt = text[j + 1]
                out.append("\n" if nxt == "n" else nxt)
                j += 2
            else:
                out.append(text[j])
                j += 1
        pairs.append((key, "".join(out)))
        i = j + 2  # skip closing quote and comma
    return tuple(pairs)


def parse_labels(text: str) -> dict[str, str]:
    """Inverse of :func:`format_labels`."""
    try:
        return dict(_parse_labels_cached(text))
    except (ValueError, IndexError) as exc:
        raise ExpositionError(
            f'labels {text!r} are not in the form key="value",...; build them with format_labels()'
        ) from exc


def parse_exposition(text: str, *, keep_created: bool = False) -> list[tuple[str, str, float]]:
    """Samples ``(name, labels, value)`` from Prometheus text format (``/metrics``).

    Raises :class:`ExpositionError` naming the problem when the text is malformed.
    """
    from prometheus_client.parser import text_string_to_metric_families

    try:
        families = list(text_string_to_metric_families(text))
    except Exception as exc:  # the parser raises ValueError, IndexError, TypeError...
        first = next((ln for ln in text.splitlines() if ln.strip()), "")[:120]
        raise ExpositionError(
            f"malformed Prometheus exposition text ({exc}); first line: {first!r}. "
            "Is the URL a /metrics endpoint serving text/plain; version=0.0.4?"
        ) from exc
    parents = {f.name for f in families if f.type in _CREATED_PARENTS}
    rows: list[tuple[str, str, float]] = []
    for family in families:
        if not keep_created and family.name.endswith("_created") and family.name[:-8] in parents:
            continue
        for sample in family.samples:
            if not keep_created and sample.name.endswith("_created") and family.type != "gauge":
                continue
            rows.append((sample.name, format_labels(sample.labels), float(sample.value)))
    return rows
