"""SLIs, SLOs, error budgets, burn rates and the multiwindow multi-burn-rate alert table."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pulsekit._util import format_duration as format_duration  # re-exported: its old home
from pulsekit._util import parse_duration
from pulsekit.errors import ConfigError
from pulsekit.observe import burn as _burn
from pulsekit.observe import rules as _rules

if TYPE_CHECKING:
    import pandas as pd

    from pulsekit.observe._source import MetricsSource
    from pulsekit.observe.burn import SLOReport

DAY = 86400.0


@dataclass(frozen=True)
class SLI:
    """Good events over valid events of one service (``service`` = the target / job name).

    ``kind="availability"``: bad events are requests whose ``status`` matches ``errors``.
    ``kind="latency"``: good events are requests faster than ``threshold`` seconds (a bucket bound).
    """

    kind: str = "availability"
    service: str = "gateway"
    metric: str = "shop_http_requests_total"
    errors: str = "5.."
    threshold: float | None = None
    route: str | None = None
    status_label: str = "status"

    def __post_init__(self) -> None:
        if self.kind not in ("availability", "latency"):
            raise ConfigError(f"SLI kind={self.kind!r}: use 'availability' or 'latency'")
        if self.kind == "latency" and (self.threshold is None or self.threshold <= 0):
            raise ConfigError(f"latency SLI needs threshold > 0 seconds (got {self.threshold!r})")

    @property
    def description(self) -> str:
        """One line in words."""
        scope = f"{self.service}" + (f" route {self.route}" if self.route else "")
        if self.kind == "latency":
            return f"{scope}: requests served within {self.threshold * 1000:g} ms"  # type: ignore[operator]
        return f"{scope}: requests whose status does not match /{self.errors}/"


def availability(
    service: str = "gateway",
    *,
    metric: str = "shop_http_requests_total",
    errors: str = "5..",
    route: str | None = None,
) -> SLI:
    """Availability SLI: share of requests whose status does not match ``errors`` (a regex)."""
    return SLI("availability", service, metric, errors=errors, route=route)


def latency(
    service: str = "gateway",
    *,
    threshold: str | float = "300ms",
    metric: str = "shop_http_request_duration_seconds",
    route: str | None = None,
) -> SLI:
    """Latency SLI: share of requests faster than ``threshold`` (must be a histogram bucket bound)."""
    return SLI(
        "latency",
        service,
        metric,
        threshold=parse_duration(threshold, field="threshold"),
        route=route,
    )


@dataclass(frozen=True)
class AlertRule:
    """One row of the alert table; windows in seconds, ``burn_rate`` is the threshold."""

    severity: str
    budget_consumed: float
    long_window: float
    short_window: float
    burn_rate: float
    clamped: bool = False
    name: str = ""  # severity and nominal long window, e.g. "page-1h" (also when compressed)


# SRE workbook Table 5-8 plus Sloth's quick ticket: (severity, budget share, long, short) for 30 days
WORKBOOK_POLICY: tuple[tuple[str, float, float, float], ...] = (
    ("page", 0.02, 3600.0, 300.0),
    ("page", 0.05, 6 * 3600.0, 1800.0),
    ("ticket", 0.10, DAY, 2 * 3600.0),
    ("ticket", 0.10, 3 * DAY, 6 * 3600.0),
)


@dataclass(frozen=True)
class SLO:
    """An objective over a rolling window, e.g. ``SLO(objective=0.999, window="30d")``.

    ``time_scale`` < 1 compresses the alert windows for a GameDay (see :meth:`compressed`).
    """

    objective: float
    window: str | float = "30d"
    sli: SLI = field(default_factory=SLI)
    name: str = ""
    policy: tuple[tuple[str, float, float, float], ...] = WORKBOOK_POLICY
    time_scale: float = 1.0
    min_window: float = 0.0

    def __post_init__(self) -> None:
        obj = self.objective
        if isinstance(obj, bool) or not isinstance(obj, int | float) or not 0 < obj < 1:
            raise ConfigError(
                f"SLO objective={obj!r} must be a ratio strictly between 0 and 1, "
                "e.g. 0.999 for 99.9% (not 99.9)"
            )
        period = parse_duration(self.window, field="window")
        if period <= 0:
            raise ConfigError(f"SLO window={self.window!r} must be positive, e.g. '30d'")
        if not self.name:
            service = re.sub(r"[^A-Za-z0-9]+", "-", self.sli.service).strip("-") or "service"
            object.__setattr__(self, "name", f"{service}-{self.sli.kind}")

    @property
    def period(self) -> float:
        """SLO window in seconds."""
        return parse_duration(self.window, field="window")

    @property
    def error_budget(self) -> float:
        """Allowed share of bad events: ``1 - objective``."""
        return 1.0 - self.objective

    @property
    def budget_seconds(self) -> float:
        """The budget as time of full outage over the window (43.2 min for 99.9% over 30 days)."""
        return self.error_budget * self.period

    def burn_rate(self, error_ratio: float) -> float:
        """How fast an ``error_ratio`` spends the budget: 1 spends exactly all of it in the window."""
        return error_ratio / self.error_budget

    def time_to_exhaustion(self, burn_rate: float) -> float:
        """Seconds until the whole budget is gone at a constant ``burn_rate``."""
        return math.inf if burn_rate <= 0 else self.period / burn_rate

    def alert_rules(self) -> tuple[AlertRule, ...]:
        """The multiwindow multi-burn-rate rules: threshold = budget share x period / long window."""
        rules = []
        nominal_period = self.period / self.time_scale
        for severity, share, long_w, short_w in self.policy:
            burn = share * nominal_period / long_w
            lw, sw = long_w * self.time_scale, short_w * self.time_scale
            clamped = lw < self.min_window or sw < self.min_window
            rules.append(
                AlertRule(
                    severity,
                    share,
                    max(lw, self.min_window),
                    max(sw, self.min_window),
                    round(burn, 6),
                    clamped,
                    f"{severity}-{format_duration(long_w)}",
                )
            )
        return tuple(rules)

    def alert_table(self) -> pd.DataFrame:
        """The alert table as a DataFrame (one row per rule)."""
        import pandas as pd

        rows = [
            {
                "rule": r.name,
                "severity": r.severity,
                "budget_consumed": r.budget_consumed,
                "long_window": format_duration(r.long_window),
                "short_window": format_duration(r.short_window),
                "burn_rate": r.burn_rate,
                "error_ratio": r.burn_rate * self.error_budget,
                "exhausts_in": human_duration(self.time_to_exhaustion(r.burn_rate)),
                "clamped": r.clamped,
            }
            for r in self.alert_rules()
        ]
        return pd.DataFrame(rows)

    def compressed(self, to: str | float = "10m", *, min_window: str | float = "2s") -> SLO:
        """The same policy squeezed into a GameDay: windows scale by ``to / window``.

        Burn-rate thresholds stay 14.4 / 6 / 3 / 1; windows shorter than ``min_window`` (about two
        scrape intervals) are raised to it and flagged ``clamped``.
        """
        target = parse_duration(to, field="to")
        if not target > 0:
            raise ConfigError(f"compressed(to={to!r}) must be a positive duration such as '10m'")
        scale = self.time_scale * target / self.period
        return replace(
            self,
            window=target,
            time_scale=scale,
            min_window=parse_duration(min_window, field="min_window"),
        )

    def evaluate(self, source: MetricsSource, **kwargs: Any) -> SLOReport:
        """Burn rates, budget and alert timeline over ``source`` (see :func:`evaluate`)."""
        return _burn.evaluate(self, source, **kwargs)

    def to_openslo(self) -> str:
        """OpenSLO v1 YAML (SLO plus one AlertPolicy per rule)."""
        return _rules.to_openslo(self)

    def to_prometheus_rules(self) -> str:
        """Prometheus recording and alerting rules YAML (``promtool check rules`` accepts it)."""
        return _rules.to_prometheus_rules(self)


def human_duration(seconds: float) -> str:
    """Rounded duration for reading: ``50h``, ``2.5d``, ``41.7s``, ``never``."""
    if math.isinf(seconds):
        return "never"
    for unit, size in (("d", DAY), ("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        if seconds >= size * (2 if unit in ("d", "h") else 1):
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds * 1000:.3g}ms"


def slo_from_dict(spec: dict[str, Any]) -> SLO:
    """An SLO from a small mapping (as in ``slo.yaml``)::

    name: checkout-availability
    objective: 0.999
    window: 30d
    sli: {kind: availability, service: gateway, errors: "5.."}
    compress: 10m          # optional: a GameDay-sized copy
    """
    if not isinstance(spec, dict):
        raise ConfigError(f"an SLO spec must be a mapping with objective/window/sli, got {spec!r}")
    unknown = set(spec) - {"name", "objective", "window", "sli", "compress"}
    if unknown:
        raise ConfigError(
            f"SLO spec: unknown fields {sorted(unknown)}; use name, objective, window, sli, compress"
        )
    if "objective" not in spec:
        raise ConfigError("SLO spec: missing field 'objective' (e.g. objective: 0.999)")
    sli_spec = dict(spec.get("sli") or {})
    kind = sli_spec.pop("kind", "availability")
    allowed = {"service", "metric", "errors", "threshold", "route"}
    if set(sli_spec) - allowed:
        raise ConfigError(
            f"SLO spec sli: unknown fields {sorted(set(sli_spec) - allowed)}; use {sorted(allowed)}"
        )
    if kind == "latency":
        sli = latency(**sli_spec)
    elif kind == "availability":
        sli_spec.pop("threshold", None)
        sli = availability(**sli_spec)
    else:
        raise ConfigError(f"SLO spec sli.kind={kind!r}: use 'availability' or 'latency'")
    slo = SLO(
        objective=spec["objective"],
        window=spec.get("window", "30d"),
        sli=sli,
        name=spec.get("name", ""),
    )
    return slo.compressed(spec["compress"]) if spec.get("compress") else slo


def load_slo(path: str) -> SLO:
    """Read an SLO spec from a YAML file (see :func:`slo_from_dict`)."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            spec = yaml.safe_load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read SLO spec {path!r}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"SLO spec {path!r} is not valid YAML: {exc}") from exc
    return slo_from_dict(spec)
