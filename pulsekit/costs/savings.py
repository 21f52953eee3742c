"""Savings opportunities from billing data alone, each with its assumptions and price date.

gp2 -> gp3 (performance-matched), idle resources (NAT gateways, load balancers, public IPv4),
NAT traffic that S3/DynamoDB gateway endpoints would make free, and the untagged share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, frame_records, no_time_axis
from pulsekit.costs._engine import query_df
from pulsekit.costs._window import parse_window, tag_sql
from pulsekit.costs.prices import GP3_BASE_IOPS, GP3_BASE_MIBPS, PRICES, PRICES_AS_OF
from pulsekit.costs.results import CostTable, money, new_axes, text_table
from pulsekit.errors import CostError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from pulsekit.costs.dataset import CostData


def gp3_monthly_cost(gb: float) -> tuple[float, int, int]:
    """gp3 monthly cost matched to a gp2 volume of ``gb`` GB, and the IOPS and MiB/s it buys.

    gp2 gives 3 IOPS/GB (100 to 16,000) and, past 150 GB, up to 250 MiB/s (the AWS
    Well-Architected Labs rule); gp3 includes 3,000 IOPS and 125 MiB/s.
    """
    iops = int(min(max(3 * gb, 100), 16000))
    mibps = 250 if gb > 150 else GP3_BASE_MIBPS
    cost = (
        gb * PRICES["ebs_gp3_gb_month"]
        + max(0, iops - GP3_BASE_IOPS) * PRICES["ebs_gp3_iops_month"]
        + max(0, mibps - GP3_BASE_MIBPS) * PRICES["ebs_gp3_mibps_month"]
    )
    return cost, max(iops, GP3_BASE_IOPS), mibps


def last_full_month(data: CostData) -> tuple[datetime, datetime]:
    """[start, end) of the last complete calendar month of the data."""
    _, last, _ = data.coverage()
    end = datetime(last.year, last.month, 1)
    start = datetime(end.year - (end.month == 1), (end.month - 2) % 12 + 1, 1)
    return start, end


def _month(data: CostData, month: str | None) -> tuple[datetime, datetime]:
    if month is None:
        return last_full_month(data)
    span = parse_window(month)
    assert span is not None
    return span


def gp2_to_gp3(data: CostData, *, month: str | None = None) -> CostTable:
    """Per gp2 volume: size, gp2 cost, performance-matched gp3 cost and the monthly saving."""
    start, end = _month(data, month)
    sql = """
        SELECT ResourceId AS volume, any_value(SubAccountName) AS account,
               sum(PricingQuantity) AS gb, sum(EffectiveCost) AS billed_gp2
        FROM focus WHERE x_UsageType LIKE '%VolumeUsage.gp2' AND ChargeCategory = 'Usage'
          AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
        GROUP BY ALL ORDER BY gb DESC, volume"""
    df = query_df(data.con, sql, [start, end])
    df["gb"] = df["gb"].round(0)
    df["gp2_monthly"] = df["gb"] * PRICES["ebs_gp2_gb_month"]
    matched = [gp3_monthly_cost(float(gb)) for gb in df["gb"]]
    df["gp3_iops"] = [m[1] for m in matched]
    df["gp3_mibps"] = [m[2] for m in matched]
    df["gp3_monthly"] = [round(m[0], 2) for m in matched]
    df["saving"] = df["gp2_monthly"] - df["gp3_monthly"]
    total = float(df["saving"].sum()) if len(df) else 0.0
    return CostTable(
        df=df,
        title=f"gp2 -> gp3 (performance-matched), {start:%Y-%m}",
        chart="bar",
        x="volume",
        y="saving",
        notes=(f"{len(df)} gp2 volumes, saving {money(total)} per month",),
        meta={"total": total},
    )


def idle_resources(
    data: CostData, *, month: str | None = None, idle_nat_gb: float = 1.0
) -> CostTable:
    """NAT gateways that process almost nothing, load balancers with no LCU, idle public IPv4."""
    start, end = _month(data, month)
    sql = """
        WITH r AS (
          SELECT ResourceId, any_value(SubAccountName) AS account,
            sum(EffectiveCost) FILTER (WHERE x_UsageType LIKE '%NatGateway-Hours') AS nat_hours_cost,
            sum(PricingQuantity) FILTER (WHERE x_UsageType LIKE '%NatGateway-Bytes') AS nat_gb,
            sum(EffectiveCost) FILTER (WHERE x_UsageType LIKE '%LoadBalancerUsage') AS lb_cost,
            sum(PricingQuantity) FILTER (WHERE x_UsageType LIKE '%LCUUsage') AS lcu,
            sum(EffectiveCost) FILTER (WHERE x_UsageType LIKE '%IdleAddress%') AS ip_cost
          FROM focus WHERE ChargeCategory = 'Usage' AND ResourceId IS NOT NULL
            AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
            AND (x_UsageType LIKE '%NatGateway-%' OR x_UsageType LIKE '%LoadBalancerUsage'
                 OR x_UsageType LIKE '%LCUUsage' OR x_UsageType LIKE '%IdleAddress%')
          GROUP BY ResourceId)
        SELECT ResourceId AS resource, account, 'NAT gateway' AS kind,
               'processed ' || round(coalesce(nat_gb, 0), 2) || ' GB' AS evidence,
               nat_hours_cost + coalesce(nat_gb, 0) * ? AS monthly_cost
          FROM r WHERE nat_hours_cost > 0 AND coalesce(nat_gb, 0) < ?
        UNION ALL
        SELECT ResourceId, account, 'load balancer', 'used ' || round(coalesce(lcu, 0), 2)
               || ' LCU-hours', lb_cost FROM r WHERE lb_cost > 0 AND coalesce(lcu, 0) < 1
        UNION ALL
        SELECT ResourceId, account, 'public IPv4 (idle)', 'not attached', ip_cost
          FROM r WHERE ip_cost > 0
        ORDER BY monthly_cost DESC, resource"""
    df = query_df(data.con, sql, [start, end, PRICES["nat_gateway_gb"], idle_nat_gb])
    df["saving"] = df["monthly_cost"]
    total = float(df["saving"].sum()) if len(df) else 0.0
    return CostTable(
        df=df,
        title=f"Idle resources, {start:%Y-%m}",
        chart="bar",
        x="resource",
        y="saving",
        notes=(f"{len(df)} idle resources, {money(total)} per month",),
        meta={"total": total},
    )


def nat_endpoints(
    data: CostData, *, month: str | None = None, endpoint_share: float = 0.5
) -> CostTable:
    """NAT processing cost that S3/DynamoDB gateway endpoints (free) would remove.

    Billing data cannot tell where NAT traffic goes: ``endpoint_share`` is the assumed share of
    NAT-processed bytes bound for S3 or DynamoDB in the same region (check VPC Flow Logs).
    """
    if not 0 <= endpoint_share <= 1:
        raise CostError(f"endpoint_share={endpoint_share} must be between 0 and 1")
    start, end = _month(data, month)
    sql = """
        SELECT ResourceId AS nat_gateway, any_value(SubAccountName) AS account,
               sum(PricingQuantity) AS gb, sum(EffectiveCost) AS processing_cost
        FROM focus WHERE x_UsageType LIKE '%NatGateway-Bytes' AND ChargeCategory = 'Usage'
          AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
        GROUP BY ALL ORDER BY processing_cost DESC, nat_gateway"""
    df = query_df(data.con, sql, [start, end])
    df["saving"] = df["processing_cost"] * endpoint_share
    total = float(df["saving"].sum()) if len(df) else 0.0
    return CostTable(
        df=df,
        title=f"NAT processing avoidable with gateway endpoints, {start:%Y-%m}",
        chart="bar",
        x="nat_gateway",
        y="saving",
        notes=(
            f"saving {money(total)} per month if {endpoint_share:.0%} of bytes go to S3/DynamoDB",
        ),
        meta={"total": total},
    )


def untagged(data: CostData, *, tag: str = "team", month: str | None = None) -> CostTable:
    """Usage spend without tag ``tag`` (any spelling of its key), by account."""
    start, end = _month(data, month)
    sql = f"""
        SELECT SubAccountName AS account, sum(EffectiveCost) AS cost,
               sum(EffectiveCost) FILTER (WHERE {tag_sql(tag)} IS NULL) AS untagged
        FROM focus WHERE ChargeCategory = 'Usage' AND ChargePeriodStart >= ?
          AND ChargePeriodStart < ? GROUP BY ALL ORDER BY untagged DESC NULLS LAST, account"""
    df = query_df(data.con, sql, [start, end]).fillna({"untagged": 0.0})
    df["share_pct"] = (100 * df["untagged"] / df["cost"]).round(1)
    total, bad = float(df["cost"].sum()), float(df["untagged"].sum())
    share = bad / total if total else 0.0
    return CostTable(
        df=df,
        title=f"Usage spend without a '{tag}' tag, {start:%Y-%m}",
        chart="bar",
        x="account",
        y="untagged",
        notes=(f"untagged share {share:.1%} ({money(bad)} of {money(total)})",),
        meta={"share": share, "untagged": bad, "total": total},
    )


@dataclass(frozen=True, eq=False)
class SavingsReport(ResultMixin):
    """Savings opportunities for one month, with the assumptions behind each figure."""

    month: str
    opportunities: pd.DataFrame
    parts: dict[str, CostTable]
    untagged_share: float
    assumptions: tuple[str, ...]
    prices_as_of: str = PRICES_AS_OF
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def df(self) -> pd.DataFrame:
        """One row per kind of opportunity: monthly saving and resources concerned."""
        return self.opportunities

    @property
    def total(self) -> float:
        """Monthly saving over all opportunities."""
        return float(self.opportunities["monthly_saving"].sum())

    def summary(self) -> str:
        """The opportunities, the untagged share, the assumptions and the price date."""
        lines = [
            f"Savings for {self.month}: {money(self.total)} per month",
            text_table(self.opportunities),
            f"untagged usage spend: {self.untagged_share:.1%}",
            "assumptions:",
            *(f"- {a}" for a in self.assumptions),
            f"prices: AWS us-east-1 list prices as of {self.prices_as_of} "
            "(verify on aws.amazon.com/pricing)",
        ]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per kind of opportunity (a copy of ``df``)."""
        return self.opportunities.copy()

    def to_dict(self) -> dict[str, Any]:
        """Month, total, untagged share, assumptions, price date and the opportunities."""
        return {
            "month": self.month,
            "total_monthly_saving": self.total,
            "untagged_share": self.untagged_share,
            "assumptions": list(self.assumptions),
            "prices_as_of": self.prices_as_of,
            "opportunities": frame_records(self.opportunities),
        }

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """Monthly saving per opportunity (no time axis: ``faults`` must be empty)."""
        no_time_axis(faults, "SavingsReport.plot (saving per opportunity)")
        ax = new_axes(ax)
        df = self.opportunities
        ax.barh(list(df["opportunity"])[::-1], list(df["monthly_saving"])[::-1])
        ax.set_title(f"Savings per month, {self.month}")
        ax.set_xlabel("USD per month")
        return ax


def estimate(
    data: CostData,
    *,
    month: str | None = None,
    endpoint_share: float = 0.5,
    tag: str = "team",
    idle_nat_gb: float = 1.0,
) -> SavingsReport:
    """All savings opportunities for ``month`` (default: the last complete month)."""
    import pandas as pd

    start, _ = _month(data, month)
    label = f"{start:%Y-%m}"
    parts = {
        "gp2 -> gp3": gp2_to_gp3(data, month=label),
        "idle resources": idle_resources(data, month=label, idle_nat_gb=idle_nat_gb),
        "NAT -> gateway endpoints": nat_endpoints(data, month=label, endpoint_share=endpoint_share),
    }
    opp = pd.DataFrame(
        [
            {"opportunity": k, "resources": len(v.df), "monthly_saving": v.meta["total"]}
            for k, v in parts.items()
        ]
    )
    tags = untagged(data, tag=tag, month=label)
    parts["untagged"] = tags
    assumptions = (
        "gp2 -> gp3: gp3 matched to gp2 performance (3 IOPS/GB up to 16,000; 250 MiB/s past "
        "150 GB); volumes ran the whole month; size = GB-months billed in the month",
        f"idle: NAT gateways processing < {idle_nat_gb:g} GB/month, load balancers with < 1 "
        "LCU-hour, public IPv4 addresses billed as idle; saving = their whole monthly cost",
        f"gateway endpoints: {endpoint_share:.0%} of NAT-processed bytes are assumed to go to "
        "S3/DynamoDB in the same region (check VPC Flow Logs); gateway endpoints cost $0",
        f"untagged: usage spend without a '{tag}' tag (any capitalisation or spacing of the key)",
    )
    return SavingsReport(
        month=label,
        opportunities=opp,
        parts=parts,
        untagged_share=float(tags.meta["share"]),
        assumptions=assumptions,
    )
