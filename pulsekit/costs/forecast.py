"""A monthly cost forecast with a band: a linear trend of cost per day, and its prediction interval."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pulsekit.costs._engine import query_df
from pulsekit.costs.results import CostTable, money, new_axes, shade_days
from pulsekit.errors import CostError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pulsekit.costs.dataset import CostData

Z = {0.8: 1.2816, 0.9: 1.6449, 0.95: 1.96}


class ForecastTable(CostTable):
    """Actual and forecast monthly cost; ``plot()`` draws the band."""

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """Actual and forecast cost per month, the band shaded, ``faults`` too."""
        ax = new_axes(ax)
        df = self.df
        actual = df[df["kind"] == "actual"]
        fc = df[df["kind"] == "forecast"]
        ax.plot(actual["period"], actual["cost"], marker="o", label="actual")
        ax.plot(fc["period"], fc["cost"], marker="o", linestyle="--", label="forecast")
        ax.fill_between(fc["period"], fc["lower"], fc["upper"], alpha=0.25, label="band")
        ax.set_title(self.title)
        ax.set_ylabel("EffectiveCost per month")
        ax.legend(loc="upper left")
        shade_days(ax, faults)
        return ax


def _add_months(d: datetime, n: int) -> datetime:
    m = d.month - 1 + n
    return datetime(d.year + m // 12, m % 12 + 1, 1)


def forecast(
    data: CostData,
    *,
    months: int = 3,
    history: int = 12,
    level: float = 0.9,
    charge_category: str = "Usage",
) -> ForecastTable:
    """Forecast ``months`` complete months of EffectiveCost from the last ``history`` complete ones.

    Fits cost per day against month index by least squares (so February's shortness is not a
    trend), multiplies by the days of each future month, and gives the ordinary-least-squares
    prediction interval at ``level`` (0.8, 0.9 or 0.95) as ``lower``/``upper``.
    """
    import numpy as np
    import pandas as pd

    if level not in Z:
        raise CostError(f"level={level} is not supported; use one of {sorted(Z)}")
    if months < 1:
        raise CostError(f"months={months} must be at least 1")
    _, last, _ = data.coverage()
    end = datetime(last.year, last.month, 1)
    sql = """
        SELECT date_trunc('month', ChargePeriodStart) AS period, sum(EffectiveCost) AS cost
        FROM focus WHERE ChargeCategory = ? AND ChargePeriodStart < ? GROUP BY ALL ORDER BY period"""
    df = query_df(data.con, sql, [charge_category, end]).tail(history).reset_index(drop=True)
    if len(df) < 3:
        raise CostError(f"a forecast needs at least 3 complete months of data; found {len(df)}")
    df["period"] = pd.to_datetime(df["period"])
    days = np.array([(_add_months(p, 1) - p).days for p in df["period"]], dtype=float)
    x = np.arange(len(df), dtype=float)
    y = df["cost"].to_numpy() / days
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (slope * x + intercept)
    n = len(x)
    s = math.sqrt(float((resid**2).sum()) / max(n - 2, 1))
    sxx = float(((x - x.mean()) ** 2).sum())
    rows: list[dict[str, Any]] = [
        {"period": p, "kind": "actual", "cost": float(c), "lower": None, "upper": None}
        for p, c in zip(df["period"], df["cost"], strict=True)
    ]
    first = df["period"].iloc[-1].to_pydatetime()
    for h in range(1, months + 1):
        p = _add_months(first, h)
        xi = n - 1 + h
        ndays = (_add_months(p, 1) - p).days
        per_day = slope * xi + intercept
        half = Z[level] * s * math.sqrt(1 + 1 / n + (xi - x.mean()) ** 2 / sxx)
        rows.append(
            {
                "period": pd.Timestamp(p),
                "kind": "forecast",
                "cost": per_day * ndays,
                "lower": (per_day - half) * ndays,
                "upper": (per_day + half) * ndays,
            }
        )
    out = pd.DataFrame(rows)
    out["lower"] = out["lower"].astype(float)
    out["upper"] = out["upper"].astype(float)
    nxt = out[out["kind"] == "forecast"].iloc[0]
    return ForecastTable(
        df=out,
        title=f"{charge_category} EffectiveCost per month: {n} months and a {months}-month forecast",
        chart="line",
        x="period",
        y="cost",
        notes=(
            f"next month {nxt['period']:%Y-%m}: {money(nxt['cost'])} "
            f"({level:.0%} band {money(nxt['lower'])} to {money(nxt['upper'])}); "
            f"trend {money(slope * 30.4)} per month per month",
        ),
    )
