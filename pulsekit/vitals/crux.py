"""CrUX API records (field data: p75 and histograms) parsed into the same VitalsResult shape."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulsekit.errors import VitalsError
from pulsekit.vitals.result import Bin, VitalsResult

#: CrUX metric name -> pulsekit metric.
CRUX_METRICS: Mapping[str, str] = {
    "largest_contentful_paint": "LCP",
    "interaction_to_next_paint": "INP",
    "cumulative_layout_shift": "CLS",
    "first_contentful_paint": "FCP",
    "experimental_time_to_first_byte": "TTFB",
}
_FORM_FACTORS = {"PHONE": "mobile", "DESKTOP": "desktop", "TABLET": "tablet", None: "all devices"}


def _number(value: Any, where: str) -> float:
    try:
        return float(value)  # CLS values arrive as strings such as "0.05"
    except (TypeError, ValueError):
        raise VitalsError(f"CrUX record: {where}={value!r} is not a number") from None


def _period(record: Mapping[str, Any]) -> str | None:
    period = record.get("collectionPeriod") or {}
    try:
        first, last = period["firstDate"], period["lastDate"]
        return (
            f"{first['year']:04d}-{first['month']:02d}-{first['day']:02d} to "
            f"{last['year']:04d}-{last['month']:02d}-{last['day']:02d}"
        )
    except (KeyError, TypeError):
        return None


def from_crux(data: Mapping[str, Any] | str | Path) -> VitalsResult:
    """Parse a CrUX API ``records:queryRecord`` response (dict, JSON text or file) into a result.

    The result has ``source="field"``, no runs, p75 values straight from CrUX and the histograms in
    ``.histograms``; ``.score`` is ``None`` (a lab notion).
    """
    if isinstance(data, Path) or (isinstance(data, str) and not data.lstrip().startswith("{")):
        try:
            data = Path(data).read_text(encoding="utf-8")
        except OSError as exc:
            raise VitalsError(
                f"CrUX file {data}: {exc.strerror}; pass a saved API response"
            ) from exc
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise VitalsError(
                f"CrUX response is not JSON ({exc.msg} at line {exc.lineno})"
            ) from exc
    if not isinstance(data, Mapping):
        raise VitalsError("CrUX response must be a JSON object with a 'record' key")
    record = data.get("record", data)
    key = record.get("key")
    metrics = record.get("metrics")
    if not isinstance(key, Mapping) or not isinstance(metrics, Mapping):
        raise VitalsError(
            "CrUX response has no record.key / record.metrics; pass the body returned by "
            "records:queryRecord"
        )
    p75: dict[str, float | None] = {}
    histograms: dict[str, tuple[Bin, ...]] = {}
    for crux_name, metric in CRUX_METRICS.items():
        entry = metrics.get(crux_name)
        if not isinstance(entry, Mapping):
            continue
        pct = (entry.get("percentiles") or {}).get("p75")
        p75[metric] = None if pct is None else _number(pct, f"{crux_name}.percentiles.p75")
        bins = []
        for i, b in enumerate(entry.get("histogram") or ()):
            where = f"{crux_name}.histogram[{i}]"
            end = b.get("end")
            bins.append(
                Bin(
                    start=_number(b.get("start", 0), where + ".start"),
                    end=None if end is None else _number(end, where + ".end"),
                    density=_number(b.get("density", 0), where + ".density"),
                )
            )
        histograms[metric] = tuple(bins)
    form = _FORM_FACTORS.get(key.get("formFactor"), str(key.get("formFactor")).lower())
    notes = []
    if (period := _period(record)) is not None:
        notes.append(f"CrUX collection period {period} (28-day rolling window)")
    return VitalsResult(
        url=str(key.get("url") or key.get("origin") or "?"),
        profile=form,
        p75=p75,
        source="field",
        scoring="desktop" if form == "desktop" else "mobile",
        histograms=histograms,
        notes=tuple(notes),
    )


def sample_crux() -> VitalsResult:
    """A bundled CrUX phone record of a made-up shop origin, for dojos and docs (no API key needed)."""
    from importlib import resources

    text = (
        resources.files("pulsekit.vitals").joinpath("crux_sample.json").read_text(encoding="utf-8")
    )
    return from_crux(text)
