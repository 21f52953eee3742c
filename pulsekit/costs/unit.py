"""Unit economics and windows: cost per 1,000 requests or per order, and what a time window cost."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pulsekit._util import parse_duration
from pulsekit.costs._engine import ident, query_df
from pulsekit.costs._window import DateLike, parse_window
from pulsekit.costs.results import CostTable, money
from pulsekit.errors import CostError

if TYPE_CHECKING:
    from pulsekit.costs.dataset import CostData

_USAGE = "ChargeCategory = 'Usage'"


def unit_cost(
    data: CostData,
    per: str = "requests",
    *,
    by: str | None = None,
    period: str = "month",
    service_tag: str = "service",
) -> CostTable:
    """EffectiveCost of usage per 1,000 requests or per order, from the business metrics.

    With ``by="service"`` cost is attributed by the ``service`` tag; per request uses each
    service's own requests, per order uses the platform's orders (each service's share of an
    order). Without ``by`` it is the whole platform, untagged spend included.
    """
    if not data.has_metrics:
        raise CostError("unit cost needs business metrics; open(source, metrics=PATH_OR_DF)")
    if per not in ("requests", "orders"):
        raise CostError(f"per={per!r} is unknown; use 'requests' or 'orders'")
    if by not in (None, "service"):
        raise CostError(f"by={by!r} is unknown for unit cost; use None or 'service'")
    grain = data._grain(period) or "DATE '2000-01-01'"
    mgrain = grain.replace("ChargePeriodStart", "date")
    scale = 1000.0 if per == "requests" else 1.0
    unit = "per 1k requests" if per == "requests" else "per order"
    dims = [f"tag:{service_tag}"] if by else []
    sub, labels = data._preaggregated(dims, {"cost": "EffectiveCost"}, f"WHERE {_USAGE}")
    service = f"{labels[0]} AS service, " if by else ""
    cost = f"(SELECT {grain} AS period, {service}sum(cost) AS cost FROM {sub} GROUP BY ALL)"
    if by is None:
        sql = f"""
            WITH c AS {cost},
                 b AS (SELECT {mgrain} AS period, sum({per}) AS units FROM metrics GROUP BY ALL)
            SELECT c.period, c.cost, b.units, c.cost / b.units * {scale} AS unit_cost
            FROM c JOIN b USING (period) ORDER BY period"""
    else:
        units = (
            "b.units"
            if per == "requests"
            else "(SELECT sum(orders) FROM metrics m2 "
            f"WHERE {mgrain.replace('date', 'm2.date')} = c.period)"
        )
        sql = f"""
            WITH c AS {cost},
                 b AS (SELECT {mgrain} AS period, service, sum({per}) AS units FROM metrics
                       GROUP BY ALL)
            SELECT c.period, c.service, c.cost, {units} AS units,
                   c.cost / {units} * {scale} AS unit_cost
            FROM c JOIN b USING (period, service) ORDER BY period, service"""
    df = query_df(data.con, sql)
    if len(df) == 0:
        raise CostError("cost and business metrics share no period/service; check their dates")
    df = df[df["units"] > 0].reset_index(drop=True)
    total = period == "total"
    if total:
        df = df.drop(columns="period")
    return CostTable(
        df=df,
        title=f"Unit cost ({unit})" + (" by service" if by else ""),
        chart="bar" if total else "line",
        x=("service" if by else None) if total else "period",
        y="unit_cost",
        series="service" if by and not total else None,
    )


def window_cost(
    data: CostData,
    start: DateLike,
    end: DateLike,
    *,
    by: str = "service",
    baseline: str = "7d",
) -> CostTable:
    """What a time window (a GameDay, an incident) cost, against the same window ``baseline``
    earlier. Charges are prorated by how much of their charge period falls in the window."""
    s, e = parse_window((start, end)) or (datetime.min, datetime.min)
    shift = timedelta(seconds=parse_duration(baseline, field="baseline"))
    expr = f"coalesce(CAST({data.dimension(by)} AS VARCHAR), '(none)')"

    def part(ws: datetime, we: datetime) -> str:
        overlap = (
            f"greatest(0, epoch(least(ChargePeriodEnd, TIMESTAMP '{we:%Y-%m-%d %H:%M:%S}')) "
            f"- epoch(greatest(ChargePeriodStart, TIMESTAMP '{ws:%Y-%m-%d %H:%M:%S}')))"
        )
        return (
            f"sum(EffectiveCost * {overlap} / greatest(epoch(ChargePeriodEnd) - "
            f"epoch(ChargePeriodStart), 1)) FILTER (WHERE ChargePeriodEnd > "
            f"TIMESTAMP '{ws:%Y-%m-%d %H:%M:%S}' AND ChargePeriodStart < "
            f"TIMESTAMP '{we:%Y-%m-%d %H:%M:%S}')"
        )

    bs, be = s - shift, e - shift
    sql = f"""
        SELECT {expr} AS {ident(by)}, coalesce({part(s, e)}, 0) AS actual,
               coalesce({part(bs, be)}, 0) AS baseline
        FROM focus WHERE {_USAGE} AND ChargePeriodEnd > ? AND ChargePeriodStart < ?
        GROUP BY ALL"""
    df = query_df(data.con, sql, [min(s, bs), max(e, be)])
    df = data._nonempty(df[df["actual"] != 0], (s, e), "usage charges")
    df["extra"] = df["actual"] - df["baseline"]
    df = df.sort_values("extra", ascending=False).reset_index(drop=True)
    actual, base = float(df["actual"].sum()), float(df["baseline"].sum())
    hours = (e - s).total_seconds() / 3600
    return CostTable(
        df=df,
        title=f"Cost of {s:%Y-%m-%d %H:%M} to {e:%Y-%m-%d %H:%M} ({hours:g} h) by {by}",
        chart="bar",
        x=by,
        y="extra",
        notes=(
            f"actual {money(actual)}, baseline {money(base)} ({baseline} earlier), "
            f"extra {money(actual - base)}",
        ),
        meta={"actual": actual, "baseline": base, "extra": actual - base},
    )
