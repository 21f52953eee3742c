"""Daily cost anomalies: a robust z-score over a trailing median, an impact floor, root causes.

The output mirrors AWS Cost Anomaly Detection's ``Anomaly`` object (``AnomalyReport.to_cad()``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, frame_records, json_safe
from pulsekit.costs._engine import query_df
from pulsekit.costs._window import DateLike, Window, parse_window
from pulsekit.costs.results import money, new_axes, shade_days
from pulsekit.errors import CostError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from pulsekit.costs.dataset import CostData


@dataclass(frozen=True)
class RootCause:
    """One contributor to an anomaly, as CAD names them, plus the resource."""

    service: str | None
    region: str | None
    account: str | None
    account_name: str | None
    usage_type: str | None
    resource: str | None
    impact: float


@dataclass(frozen=True)
class Anomaly:
    """Consecutive anomalous days of one dimension value."""

    anomaly_id: str
    start: date
    end: date  # last anomalous day, inclusive (as CAD's AnomalyEndDate)
    dimension: str
    value: str
    max_score: float
    total_actual: float
    total_expected: float
    root_causes: tuple[RootCause, ...]
    feedback: str | None = None

    @property
    def total_impact(self) -> float:
        """Actual minus expected spend over the anomaly."""
        return self.total_actual - self.total_expected

    @property
    def impact_pct(self) -> float:
        """Impact as a percentage of the expected spend."""
        return 100.0 * self.total_impact / self.total_expected if self.total_expected else 0.0

    def to_cad(self) -> dict[str, Any]:
        """This anomaly shaped like AWS Cost Anomaly Detection's ``Anomaly``."""
        return {
            "AnomalyId": self.anomaly_id,
            "AnomalyStartDate": self.start.isoformat(),
            "AnomalyEndDate": self.end.isoformat(),
            "DimensionValue": self.value,
            "MonitorArn": f"pulsekit:robust-z:{self.dimension}",
            "RootCauses": [
                {
                    "Service": rc.service,
                    "Region": rc.region,
                    "LinkedAccount": rc.account,
                    "LinkedAccountName": rc.account_name,
                    "UsageType": rc.usage_type,
                    "ResourceId": rc.resource,  # not in CAD's RootCause; billing has it
                    "Impact": {"Contribution": round(rc.impact, 2)},
                }
                for rc in self.root_causes
            ],
            "AnomalyScore": {"MaxScore": round(self.max_score, 2), "CurrentScore": 0.0},
            "Impact": {
                "MaxImpact": round(self.total_impact, 2),
                "TotalImpact": round(self.total_impact, 2),
                "TotalActualSpend": round(self.total_actual, 2),
                "TotalExpectedSpend": round(self.total_expected, 2),
                "TotalImpactPercentage": round(self.impact_pct, 2),
            },
            "Feedback": self.feedback,
        }

    def describe(self) -> str:
        """One stable line: when, what, how much, and the top root cause."""
        days = (self.end - self.start).days + 1
        line = (
            f"{self.start} to {self.end} ({days} d) {self.dimension}={self.value}: impact "
            f"{money(self.total_impact)} (+{self.impact_pct:.0f}% over {money(self.total_expected)}"
            f" expected), score {self.max_score:.0f}"
        )
        if self.root_causes:
            rc = self.root_causes[0]
            line += (
                f"; top root cause {rc.usage_type} on {rc.resource or '(no resource)'} in "
                f"{rc.account_name or rc.account} {rc.region or ''} ({money(rc.impact)})".rstrip()
            )
        if self.feedback:
            line += f" [{self.feedback}]"
        return line


@dataclass(frozen=True, eq=False)
class AnomalyReport(ResultMixin):
    """Anomalies found, the scored daily series behind them, and the parameters used."""

    anomalies: tuple[Anomaly, ...]
    daily: pd.DataFrame
    params: dict[str, Any]

    @property
    def df(self) -> pd.DataFrame:
        """One row per anomaly (CAD-like columns)."""
        import pandas as pd

        rows = [
            {
                "anomaly_id": a.anomaly_id,
                "start": a.start,
                "end": a.end,
                "dimension": a.dimension,
                "value": a.value,
                "max_score": a.max_score,
                "actual": a.total_actual,
                "expected": a.total_expected,
                "impact": a.total_impact,
                "impact_pct": a.impact_pct,
                "top_usage_type": a.root_causes[0].usage_type if a.root_causes else None,
                "top_resource": a.root_causes[0].resource if a.root_causes else None,
                "feedback": a.feedback,
            }
            for a in self.anomalies
        ]
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """Same as :attr:`df`."""
        return self.df

    def to_dict(self) -> dict[str, Any]:
        """The parameters and one record per anomaly, JSON-safe."""
        return {"params": json_safe(self.params), "anomalies": frame_records(self.df)}

    def to_cad(self) -> list[dict[str, Any]]:
        """The anomalies as AWS Cost Anomaly Detection ``Anomaly`` dicts."""
        return [a.to_cad() for a in self.anomalies]

    def __len__(self) -> int:
        return len(self.anomalies)

    def summary(self) -> str:
        """A count, the method, and one line per anomaly."""
        p = self.params
        head = (
            f"{len(self.anomalies)} anomalies by {p['by']} (robust z > {p['threshold']} and impact "
            f">= {money(p['min_impact'])} against the median of the previous {p['lookback']} days)"
        )
        return "\n".join([head, *(f"- {a.describe()}" for a in self.anomalies)])

    def plot(self, ax: Axes | None = None, *, index: int = 0, faults: Any = ()) -> Axes:
        """The daily cost of the ``index``-th anomaly's dimension value, its expected median and
        the anomalous days; ``faults`` (e.g. a GameDay) shaded."""
        ax = new_axes(ax)
        if not self.anomalies:
            ax.set_title("No anomalies")
            shade_days(ax, faults)
            return ax
        a = self.anomalies[index]
        d = self.daily[self.daily["value"] == a.value]
        ax.plot(d["day"], d["cost"], label="daily cost")
        ax.plot(d["day"], d["expected"], linestyle="--", label="expected (trailing median)")
        flagged = d[d["flagged"]]
        ax.scatter(flagged["day"], flagged["cost"], color="red", zorder=3, label="anomalous")
        ax.set_title(f"{a.dimension}={a.value}")
        ax.set_ylabel("EffectiveCost per day")
        ax.legend(loc="upper left")
        shade_days(ax, faults)
        return ax


def detect(
    data: CostData,
    *,
    by: str = "service",
    lookback: int = 28,
    min_history: int = 14,
    threshold: float = 3.5,
    min_impact: float = 20.0,
    rel_floor: float = 0.05,
    window: Window = None,
    planned: Sequence[tuple[DateLike, DateLike]] = (),
    root_causes: int = 3,
) -> AnomalyReport:
    """Flag days whose usage cost is far above the trailing median of that dimension value.

    score = 0.6745 * (cost - median) / max(MAD, rel_floor * median, $1) over the previous ``lookback``
    days (at least ``min_history``); a day is anomalous when score > ``threshold`` and
    cost - median >= ``min_impact`` dollars. Consecutive days form one anomaly. Windows in
    ``planned`` (e.g. a GameDay) mark overlapping anomalies ``PLANNED_ACTIVITY``.
    """
    if lookback < 2 or min_history < 2 or min_history > lookback:
        raise CostError(
            f"lookback={lookback}, min_history={min_history}: need 2 <= min_history <= lookback"
        )
    data.dimension(by)  # validates the name before any query
    sub, (label,) = data._preaggregated(
        [by], {"cost": "EffectiveCost"}, "WHERE ChargeCategory = 'Usage'"
    )
    sql = f"""
        WITH daily AS (
            SELECT CAST(ChargePeriodStart AS DATE) AS day, {label} AS value, sum(cost) AS cost
            FROM {sub} GROUP BY ALL),
        hist AS (
            SELECT day, value, cost, list(cost) OVER (PARTITION BY value ORDER BY day
                RANGE BETWEEN INTERVAL {int(lookback)} DAYS PRECEDING
                AND INTERVAL 1 DAY PRECEDING) AS h
            FROM daily),
        med AS (SELECT day, value, cost, h, list_median(h) AS expected FROM hist)
        SELECT day, value, cost, len(h) AS n, expected,
            0.6745 * (cost - expected) / greatest(
                list_median(list_transform(h, x -> abs(x - expected))),
                {float(rel_floor)} * abs(expected), 1.0
            ) AS score
        FROM med ORDER BY value, day"""
    daily = query_df(data.con, sql)
    if len(daily) == 0:
        raise CostError("no usage charges to look for anomalies in; check the source")
    daily["day"] = daily["day"].astype("datetime64[ns]")
    daily["flagged"] = (
        (daily["n"] >= min_history)
        & (daily["score"] > threshold)
        & ((daily["cost"] - daily["expected"]) >= min_impact)
    )
    span = parse_window(window)
    if span is not None:
        inside = (daily["day"] >= span[0]) & (daily["day"] < span[1])
        daily["flagged"] &= inside
    windows = [parse_window((s, e)) for s, e in planned]
    found: list[Anomaly] = []
    for value, group in daily[daily["flagged"]].groupby("value", sort=True):
        days = list(group.itertuples(index=False))
        runs: list[list[Any]] = [[days[0]]]
        for row in days[1:]:
            if (row.day - runs[-1][-1].day).days <= 1:
                runs[-1].append(row)
            else:
                runs.append([row])
        for run in runs:
            start, end = run[0].day.date(), run[-1].day.date()
            feedback = None
            for w in windows:
                if (
                    w
                    and w[0] <= datetime.combine(end, datetime.min.time())
                    and w[1] > datetime(start.year, start.month, start.day)
                ):
                    feedback = "PLANNED_ACTIVITY"
            found.append(
                Anomaly(
                    anomaly_id=hashlib.sha1(f"{by}|{value}|{start}".encode()).hexdigest()[:12],
                    start=start,
                    end=end,
                    dimension=by,
                    value=str(value),
                    max_score=float(max(r.score for r in run)),
                    total_actual=float(sum(r.cost for r in run)),
                    total_expected=float(sum(r.expected for r in run)),
                    root_causes=(),
                    feedback=feedback,
                )
            )
    causes = _root_causes(data, by, found, lookback, root_causes)
    # keep contributors that explain a real part of the impact, not month-length noise
    found = [
        replace(
            a,
            root_causes=tuple(
                c for c in causes.get(a.anomaly_id, ()) if c.impact >= 0.05 * a.total_impact
            ),
        )
        for a in found
    ]
    found.sort(key=lambda a: (a.start, -a.total_impact))
    values = {a.value for a in found}
    kept = daily[daily["value"].isin(values)].reset_index(drop=True)
    params = {
        "by": by,
        "lookback": lookback,
        "min_history": min_history,
        "threshold": threshold,
        "min_impact": min_impact,
        "rel_floor": rel_floor,
    }
    return AnomalyReport(anomalies=tuple(found), daily=kept, params=params)


def _root_causes(
    data: CostData, by: str, anomalies: list[Anomaly], lookback: int, limit: int
) -> dict[str, tuple[RootCause, ...]]:
    """Top contributors of every anomaly in one scan: spend in the anomaly minus the
    contributor's own average day over the ``lookback`` days before it, times its length.

    Contributors are CAD's (service, region, account, usage type); each names the resource
    with the largest charge inside the anomaly.
    """
    if not anomalies:
        return {}
    keys = ["ServiceName", "RegionId", "SubAccountId", "SubAccountName", "x_UsageType"]
    rows: list[str] = []
    params: list[Any] = []
    lo, hi = datetime.max, datetime.min
    for a in anomalies:
        s = datetime(a.start.year, a.start.month, a.start.day)
        e = datetime(a.end.year, a.end.month, a.end.day) + timedelta(days=1)
        rows.append("(?, ?, ?, ?, ?, ?)")
        params += [a.anomaly_id, a.value, s, e, s - timedelta(days=lookback), (e - s).days]
        lo, hi = min(lo, s - timedelta(days=lookback)), max(hi, e)
    # no pre-aggregation here: grouping by day and resource would keep almost every row
    label = f"coalesce(CAST({data.dimension(by)} AS VARCHAR), '(none)')"
    sub = (
        "(SELECT *, EffectiveCost AS cost FROM focus WHERE ChargeCategory = 'Usage' "
        "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?) AS pre"
    )
    cols = ", ".join(f"r.{k}" for k in keys)
    sql = f"""
        WITH a(id, value, s, e, bs, ndays) AS (VALUES {", ".join(rows)}),
        r AS (SELECT {label} AS value, ChargePeriodStart AS t, {", ".join(keys)}, ResourceId,
                     cost FROM {sub}),
        j AS (SELECT a.id, any_value(a.ndays) AS ndays, {cols},
                     sum(r.cost) FILTER (WHERE r.t >= a.s) AS actual,
                     arg_max(r.ResourceId, r.cost) FILTER (WHERE r.t >= a.s) AS ResourceId,
                     coalesce(sum(r.cost) FILTER (WHERE r.t < a.s), 0) / {int(lookback)} AS per_day
              FROM r JOIN a ON r.value = a.value AND r.t >= a.bs AND r.t < a.e
              GROUP BY a.id, {cols})
        SELECT *, actual - per_day * ndays AS impact FROM j WHERE actual IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY id ORDER BY impact DESC, x_UsageType) <= {limit}
        ORDER BY id, impact DESC"""
    df = query_df(data.con, sql, [*params, lo, hi])
    records: list[dict[Any, Any]] = df.astype(object).where(df.notna(), None).to_dict("records")
    out: dict[str, list[RootCause]] = {}
    for r in records:
        if float(r["impact"]) <= 0:
            continue
        out.setdefault(str(r["id"]), []).append(
            RootCause(
                service=r["ServiceName"],
                region=r["RegionId"],
                account=r["SubAccountId"],
                account_name=r["SubAccountName"],
                usage_type=r["x_UsageType"],
                resource=r["ResourceId"],
                impact=float(r["impact"]),
            )
        )
    return {k: tuple(v) for k, v in out.items()}
