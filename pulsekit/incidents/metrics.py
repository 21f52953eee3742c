"""Incident metrics named for what they measure, their distributions, and the cost of an incident.

Definitions (seconds, from stored milestones; unknown when a milestone is missing):

* ``time_to_detect``      impact started → detected
* ``time_to_acknowledge`` detected → acknowledged
* ``time_to_mitigate``    detected → mitigated (user impact stopped)
* ``time_to_resolve``     detected → resolved (full fix)
* ``impact_duration``     impact started → mitigated (what users felt)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, frame_records, html_view, json_safe, no_time_axis
from pulsekit.errors import ConfigError, IncidentError
from pulsekit.incidents._store import RECORD_FILE
from pulsekit.incidents.model import MILESTONES, Role, utc

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from pulsekit.incidents.record import Incident

METRICS: dict[str, tuple[str, str]] = {
    "time_to_detect": ("impact_started", "detected"),
    "time_to_acknowledge": ("detected", "acknowledged"),
    "time_to_mitigate": ("detected", "mitigated"),
    "time_to_resolve": ("detected", "resolved"),
    "impact_duration": ("impact_started", "mitigated"),
}
"""metric name -> (from milestone, to milestone)."""


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def human_duration(seconds: float | None) -> str:
    """``"4m 05s"``-style text, rounded to the second (``"unknown"`` for None)."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "unknown"
    total = round(seconds)
    hours, rest = divmod(abs(total), 3600)
    minutes, secs = divmod(rest, 60)
    sign = "-" if total < 0 else ""
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


@dataclass(frozen=True)
class IncidentMetrics(ResultMixin):
    """The MTTx durations of one incident, in seconds (None when a milestone is missing)."""

    time_to_detect: float | None
    time_to_acknowledge: float | None
    time_to_mitigate: float | None
    time_to_resolve: float | None
    impact_duration: float | None

    def as_dict(self) -> dict[str, float | None]:
        """Metric name -> seconds."""
        return {name: getattr(self, name) for name in METRICS}

    def summary(self) -> str:
        """One line per metric, durations rounded to the second."""
        return "\n".join(
            f"{name.replace('_', ' ')}: {human_duration(value)}"
            for name, value in self.as_dict().items()
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per metric: seconds (NaN when unknown), and the duration as text."""
        import pandas as pd

        rows = [
            {"metric": name, "seconds": value, "duration": human_duration(value)}
            for name, value in self.as_dict().items()
        ]
        frame = pd.DataFrame(rows).set_index("metric")
        frame["seconds"] = frame["seconds"].astype(float)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Metric name -> seconds (None when a milestone is missing)."""
        return json_safe(self.as_dict())  # type: ignore[no-any-return]

    def _repr_html_(self) -> str:
        return html_view(self.summary())

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """Horizontal bars: each known duration in minutes (no time axis: ``faults`` must be empty)."""
        from pulsekit._plotting import axes_or_new

        no_time_axis(faults, "IncidentMetrics.plot (durations)")
        ax = axes_or_new(ax, (8, 3))
        known = [(n, v) for n, v in self.as_dict().items() if v is not None][::-1]
        ax.barh([n.replace("_", " ") for n, _ in known], [v / 60.0 for _, v in known])
        for y, (_, value) in enumerate(known):
            ax.text(value / 60.0, y, f" {human_duration(value)}", va="center", fontsize=8)
        ax.set_xlabel("minutes")
        ax.set_title("incident durations")
        return ax


def metrics_from_milestones(milestones: dict[str, datetime | None]) -> IncidentMetrics:
    """Metrics from a milestone name -> time mapping."""
    values = {
        name: _seconds(milestones.get(start), milestones.get(end))
        for name, (start, end) in METRICS.items()
    }
    return IncidentMetrics(**values)


def incident_metrics(incident: Incident) -> IncidentMetrics:
    """The MTTx durations of one incident."""
    return metrics_from_milestones(incident.milestones)


# ------------------------------------------------------------------------- many incidents
@dataclass(frozen=True)
class MetricsTable(ResultMixin):
    """One row per incident (id, severity, service, the metrics in seconds); ``.df`` is the frame."""

    df: pd.DataFrame

    def by(self, key: str = "severity") -> pd.DataFrame:
        """Distribution of every metric per ``key`` (severity or service): count, median, p90, mean."""
        if key not in self.df.columns:
            raise ConfigError(f"by={key!r} is not a column; use 'severity' or 'service'")
        frame = self.df.explode("service") if key == "service" else self.df
        long = frame.melt(id_vars=[key], value_vars=list(METRICS), var_name="metric")
        long = long.dropna(subset=["value"])
        grouped = long.groupby([key, "metric"])["value"]
        out = grouped.agg(
            count="count",
            median="median",
            p90=lambda s: s.quantile(0.9),
            mean="mean",
        )
        return out.reset_index()

    def summary(self) -> str:
        """Median of each metric over all incidents, and the count per severity."""
        lines = [f"{len(self.df)} incidents"]
        counts = self.df["severity"].value_counts().sort_index()
        lines.append("by severity: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        for name in METRICS:
            values = self.df[name].dropna()
            if len(values):
                lines.append(
                    f"{name.replace('_', ' ')}: median {human_duration(float(values.median()))}, "
                    f"p90 {human_duration(float(values.quantile(0.9)))} (n={len(values)})"
                )
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per incident: id, title, severity, services, status, metrics in seconds."""
        return self.df.copy()

    def to_dict(self) -> dict[str, Any]:
        """One record per incident, and the distributions by severity, JSON-safe."""
        return {"incidents": frame_records(self.df), "by_severity": frame_records(self.by())}

    def plot(
        self,
        metric: str = "time_to_mitigate",
        *,
        by: str = "severity",
        ax: Axes | None = None,
        faults: Any = (),
    ) -> Axes:
        """Box plot of one metric (minutes) per severity or service (no time axis: ``faults``
        must be empty)."""
        from pulsekit._plotting import axes_or_new

        no_time_axis(faults, "MetricsTable.plot (a box per group)")
        if metric not in METRICS:
            raise ConfigError(f"metric={metric!r} is not one of {', '.join(METRICS)}")
        frame = self.df.explode("service") if by == "service" else self.df
        groups = sorted(str(g) for g in frame[by].dropna().unique())
        data = [
            (frame.loc[frame[by].astype(str) == g, metric].dropna() / 60.0).tolist() for g in groups
        ]
        new = ax is None
        ax = axes_or_new(ax, (8, 4))
        ax.boxplot(data, tick_labels=groups)
        ax.set_xlabel(by)
        ax.set_ylabel(f"{metric.replace('_', ' ')} (minutes)")
        ax.set_title(f"{metric.replace('_', ' ')} by {by}")
        if new:
            figure: Any = ax.figure
            figure.tight_layout()
        return ax


def _row(incident: Incident) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity.name,
        "service": list(incident.services) or ["unknown"],
        "status": incident.status.value,
    }
    row.update(incident.metrics().as_dict())
    return row


def metrics_table(source: Iterable[Incident] | str | Path | pd.DataFrame) -> MetricsTable:
    """Metrics over many incidents: a list of incidents, a folder of incident folders, or a frame.

    A DataFrame needs ``id``, ``severity``, optional ``service`` and the milestone columns
    (``impact_started``, ``detected``, ``acknowledged``, ``mitigated``, ``resolved``) as times.
    """
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return MetricsTable(_from_frame(source))
    if isinstance(source, str | Path):
        source = load_folder(source)
    rows = [_row(incident) for incident in source]
    if not rows:
        raise IncidentError("no incidents to measure; give a folder holding incident folders")
    frame = pd.DataFrame(rows)
    for name in METRICS:
        frame[name] = pd.to_numeric(frame[name], errors="coerce")
    return MetricsTable(frame)


def _from_frame(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    missing = [c for c in ("id", "severity") if c not in frame.columns]
    if missing:
        raise ConfigError(f"the incident frame misses column(s) {missing}")
    out = frame.copy()
    for name in MILESTONES:
        column = out[name] if name in out else pd.Series(pd.NaT, index=out.index)
        out[name] = pd.to_datetime(column, utc=True)
    for metric, (start, end) in METRICS.items():
        out[metric] = (out[end] - out[start]).dt.total_seconds()
    if "service" not in out:
        out["service"] = "unknown"
    out["service"] = out["service"].apply(lambda v: v if isinstance(v, list) else [v])
    return out


def load_folder(folder: str | Path) -> list[Incident]:
    """Every incident in ``folder`` (itself an incident folder, or a folder of them)."""
    from pulsekit.incidents.record import Incident  # upward: Incident.metrics() calls this module

    root = Path(folder)
    if (root / RECORD_FILE).exists():
        return [Incident.load(root)]
    found = sorted(p.parent for p in root.glob(f"*/{RECORD_FILE}"))
    if not found:
        raise IncidentError(f"no {RECORD_FILE} in {root} or its sub-folders")
    return [Incident.load(p) for p in found]


# ------------------------------------------------------------------------- cost
@dataclass(frozen=True)
class IncidentCost(ResultMixin):
    """Responder time by role, its cost, and lost revenue when the numbers are known."""

    hours_by_role: dict[str, float]
    weighted_hours: float
    hourly_rate: float
    response_cost: float
    lost_revenue: float | None
    review_hours: float = 0.0
    people: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """Response cost plus lost revenue (when known)."""
        return self.response_cost + (self.lost_revenue or 0.0)

    def summary(self) -> str:
        """A few lines: hours per role, response cost, lost revenue."""
        roles = ", ".join(f"{role} {hours:.2f} h" for role, hours in self.hours_by_role.items())
        lost = "unknown" if self.lost_revenue is None else f"{self.lost_revenue:,.2f}"
        return (
            f"responder time: {roles or 'none recorded'}\n"
            f"response cost: {self.response_cost:,.2f} ({self.weighted_hours:.2f} weighted h "
            f"x {self.hourly_rate:,.2f}/h)\n"
            f"lost revenue: {lost}"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per role: responder hours."""
        import pandas as pd

        rows = [{"role": r, "hours": h} for r, h in self.hours_by_role.items()]
        return pd.DataFrame(rows, columns=["role", "hours"]).set_index("role")

    def to_dict(self) -> dict[str, Any]:
        """Hours by role, the rate, response cost, lost revenue and total, JSON-safe."""
        return json_safe(  # type: ignore[no-any-return]
            {
                "hours_by_role": self.hours_by_role,
                "weighted_hours": self.weighted_hours,
                "hourly_rate": self.hourly_rate,
                "response_cost": self.response_cost,
                "lost_revenue": self.lost_revenue,
                "review_hours": self.review_hours,
                "total": self.total,
            }
        )

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """Responder hours per role (no time axis: ``faults`` must be empty)."""
        from pulsekit._plotting import axes_or_new

        no_time_axis(faults, "IncidentCost.plot (hours per role)")
        ax = axes_or_new(ax, (8, 3))
        roles = list(self.hours_by_role)[::-1]
        ax.barh(roles, [self.hours_by_role[r] for r in roles])
        ax.set_xlabel("responder hours")
        ax.set_title(f"response cost {self.response_cost:,.2f}")
        return ax


def cost(
    incident: Incident,
    *,
    hourly_rate: float | None = None,
    annual_employee_cost: float = 50_000.0,
    business_year_hours: float = 2_080.0,
    review: bool = False,
    until: datetime | str | None = None,
) -> IncidentCost:
    """Cost of an incident after Dispatch's classic model.

    Each role assignment counts from assumed until renounced or until the incident became stable,
    whichever came first (``until``/now while active), weighted by role (commander 1.0, scribe and liaison 0.75,
    responder 0.5, observer 0). ``review=True`` adds 1 h preparation + 0.5 h per participant.
    Lost revenue = ``impact.requests_failed`` x ``impact.revenue_per_failed_request``.
    """
    rate = (
        hourly_rate
        if hourly_rate is not None
        else math.ceil(annual_employee_cost / business_year_hours)
    )
    end_default = utc(until) if until else incident.now()
    if incident.stable_at is not None:
        end_default = min(end_default, incident.stable_at)
    hours_by_role: dict[str, float] = {}
    people: dict[str, float] = {}
    weighted = 0.0
    for assignment in incident.roles:
        end = min(assignment.renounced_at or end_default, end_default)
        hours = max(0.0, (end - assignment.assumed_at).total_seconds() / 3600.0)
        hours_by_role[assignment.role.value] = hours_by_role.get(assignment.role.value, 0.0) + hours
        people[assignment.person] = people.get(assignment.person, 0.0) + hours
        weighted += hours * Role(assignment.role).engagement
    participants = {r.person for r in incident.roles if r.role is not Role.OBSERVER}
    review_hours = (1.0 + 0.5 * len(participants)) if review else 0.0
    return IncidentCost(
        hours_by_role=hours_by_role,
        weighted_hours=weighted + review_hours,
        hourly_rate=float(rate),
        response_cost=(weighted + review_hours) * rate,
        lost_revenue=incident.impact.lost_revenue,
        review_hours=review_hours,
        people=people,
    )
