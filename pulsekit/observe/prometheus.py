"""A small Prometheus HTTP API client whose answers are pandas DataFrames."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pulsekit._types import Instant
from pulsekit._util import parse_duration
from pulsekit.errors import ConfigError, ObserveError, QueryError
from pulsekit.observe._exposition import format_labels
from pulsekit.observe._http import get_status, get_text, post_form_json
from pulsekit.observe._series import to_timestamp
from pulsekit.observe.scrape import samples_frame

if TYPE_CHECKING:
    import pandas as pd

MAX_POINTS = 11_000  # Prometheus refuses query_range answers longer than this per series


def _value(text: Any) -> float:
    return float(text)  # Prometheus sends "NaN", "+Inf", "-Inf" as strings: float() reads them


class Prometheus:
    """Query a Prometheus server; every answer is a DataFrame.

    >>> prom = Prometheus("http://127.0.0.1:9090")  # doctest: +SKIP
    >>> prom.query('sum by (job) (rate(shop_http_requests_total[30s]))')  # doctest: +SKIP
    """

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"Prometheus url={url!r} is not an http(s) URL like http://127.0.0.1:9090"
            )
        self.url = url.rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Prometheus({self.url!r})"

    def _call(self, path: str, params: dict[str, str]) -> Any:
        try:
            status, body = post_form_json(f"{self.url}{path}", params, timeout=self.timeout)
        except OSError as exc:
            raise ObserveError(
                f"cannot reach Prometheus at {self.url} ({exc}); is it running? "
                "start one with pulsekit.observe.PrometheusServer or `pulsekit sandbox up --prometheus`"
            ) from exc
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error", body) if isinstance(body, dict) else body
            kind = body.get("errorType", "error") if isinstance(body, dict) else "error"
            raise QueryError(
                f"Prometheus rejected {params.get('query', path)!r} (HTTP {status}, {kind}): {error}"
            )
        return body["data"]

    def ready(self) -> bool:
        """True when ``/-/ready`` answers 200."""
        return get_status(f"{self.url}/-/ready", timeout=min(self.timeout, 2.0)) == 200

    def query(self, expr: str, *, at: Instant | None = None) -> pd.DataFrame:
        """An instant query: one row per series (``time``, label columns, ``value``)."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{_unix(at):.3f}"
        data = self._call("/api/v1/query", params)
        kind, result = data["resultType"], data["result"]
        if kind in ("scalar", "string"):
            rows = [{"time": result[0], "value": _value(result[1])}]
        else:
            rows = [
                {**s["metric"], "time": s["value"][0], "value": _value(s["value"][1])}
                for s in result
            ]
        return _frame(rows)

    def query_range(
        self, expr: str, *, start: Instant, end: Instant | None = None, step: str | float = "1s"
    ) -> pd.DataFrame:
        """A range query: one row per series and step (long format)."""
        t0, t1 = _unix(start), _unix(end if end is not None else time.time())
        s = parse_duration(step, field="step")
        if s <= 0 or t1 < t0:
            raise ConfigError(f"query_range needs start <= end and step > 0 (got step={step!r})")
        if (t1 - t0) / s > MAX_POINTS:
            raise ConfigError(
                f"query_range of {t1 - t0:.0f}s at step {s:g}s exceeds Prometheus's {MAX_POINTS} "
                "points per series; pass a larger step"
            )
        params = {"query": expr, "start": f"{t0:.3f}", "end": f"{t1:.3f}", "step": f"{s:g}"}
        data = self._call("/api/v1/query_range", params)
        rows = [
            {**series["metric"], "time": ts, "value": _value(v)}
            for series in data["result"]
            for ts, v in series["values"]
        ]
        return _frame(rows)

    def samples(
        self,
        metrics: Sequence[str],
        *,
        start: Instant | None = None,
        end: Instant | None = None,
        step: str | float = "1s",
        lookback: str | float = "5m",
    ) -> pd.DataFrame:
        """Raw series of ``metrics`` as tidy samples (target = the ``job`` label)."""
        import pandas as pd

        t1 = _unix(end) if end is not None else time.time()
        t0 = _unix(start) if start is not None else t1 - parse_duration(lookback, field="lookback")
        names = "|".join(re.escape(m) for m in metrics)
        frame = self.query_range(f'{{__name__=~"{names}"}}', start=t0, end=t1, step=step)
        if frame.empty:
            return samples_frame([])
        label_cols = [
            c for c in frame.columns if c not in ("time", "value", "metric", "job", "instance")
        ]
        labels = [
            format_labels(
                {k: v for k, v in zip(label_cols, vals, strict=True) if isinstance(v, str)}
            )
            for vals in frame[label_cols].itertuples(index=False, name=None)
        ]
        job = frame["job"] if "job" in frame else pd.Series("", index=frame.index)
        rows = list(
            zip(
                (frame["time"] - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1),
                job.astype(str),
                frame["metric"].astype(str),
                labels,
                frame["value"],
                strict=True,
            )
        )
        return samples_frame(rows)

    def targets(self) -> pd.DataFrame:
        """Active scrape targets: ``job``, ``url``, ``health``, ``last_error``."""
        import json

        try:
            body = json.loads(get_text(f"{self.url}/api/v1/targets", timeout=self.timeout))
        except OSError as exc:
            raise ObserveError(f"cannot reach Prometheus at {self.url} ({exc})") from exc
        rows = [
            {
                "job": t["labels"].get("job", ""),
                "url": t.get("scrapeUrl", ""),
                "health": t.get("health", ""),
                "last_error": t.get("lastError", ""),
            }
            for t in body["data"]["activeTargets"]
        ]
        return _frame(rows, times=False)


def _unix(value: Instant) -> float:
    return float(to_timestamp(value).value / 1e9)


def _frame(rows: list[dict[str, Any]], *, times: bool = True) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows)
    if "__name__" in frame.columns:
        frame = frame.rename(columns={"__name__": "metric"})
    if times:
        if frame.empty:
            return pd.DataFrame({"time": pd.Series(dtype="datetime64[ns, UTC]"), "value": []})
        frame["time"] = pd.to_datetime(frame["time"].astype(float), unit="s", utc=True)
        labels = sorted(c for c in frame.columns if c not in ("time", "value"))
        frame = frame[["time", *labels, "value"]]
    return frame
