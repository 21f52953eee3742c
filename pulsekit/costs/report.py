"""A compact, JSON-ready overview of a billing dataset (what ``pulsekit costs report`` prints)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pulsekit.costs.results import money
from pulsekit.errors import CostError

if TYPE_CHECKING:
    from pulsekit.costs.dataset import CostData


def _r(value: Any) -> Any:
    return round(float(value), 2) if value is not None else None


def build_report(data: CostData) -> dict[str, Any]:
    """Coverage, spend per month, top services, movers, anomalies, savings and a forecast."""
    first, last, rows = data.coverage()
    months = data.sql(
        "SELECT strftime(date_trunc('month', ChargePeriodStart), '%Y-%m') AS month, "
        "sum(EffectiveCost) AS effective, sum(BilledCost) AS billed FROM focus "
        "GROUP BY ALL ORDER BY month"
    )
    report: dict[str, Any] = {
        "source": data.label,
        "rows": rows,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "totals": {
            "effective_cost": _r(months["effective"].sum()),
            "billed_cost": _r(months["billed"].sum()),
        },
        "months": [
            {"month": m, "effective_cost": _r(e), "billed_cost": _r(b)}
            for m, e, b in months.itertuples(index=False)
        ],
    }
    services = data.cost_by("service", "total", top=5).df
    report["top_services"] = [
        {"service": s, "effective_cost": _r(c)} for s, c in services.itertuples(index=False)
    ]
    try:
        movers = data.top_movers(n=5)
        report["top_movers"] = {
            "month": movers.meta["month"],
            "items": [
                {"service": r.service, "change": _r(r.change), "current": _r(r.current)}
                for r in movers.df.itertuples(index=False)
            ],
        }
    except CostError as exc:
        report["top_movers"] = {"error": str(exc)}
    anomalies = data.anomalies()
    report["anomalies"] = [
        {
            "start": a.start.isoformat(),
            "end": a.end.isoformat(),
            "service": a.value,
            "impact": _r(a.total_impact),
            "top_usage_type": a.root_causes[0].usage_type if a.root_causes else None,
            "top_resource": a.root_causes[0].resource if a.root_causes else None,
        }
        for a in anomalies.anomalies
    ]
    try:
        savings = data.savings()
        report["savings"] = {
            "month": savings.month,
            "monthly_total": _r(savings.total),
            "items": [
                {"opportunity": o, "resources": int(n), "monthly_saving": _r(s)}
                for o, n, s in savings.df.itertuples(index=False)
            ],
            "untagged_share": round(savings.untagged_share, 4),
            "prices_as_of": savings.prices_as_of,
        }
        fc = data.forecast(months=1).df
        nxt = fc[fc["kind"] == "forecast"].iloc[0]
        report["forecast"] = {
            "month": f"{nxt['period']:%Y-%m}",
            "effective_cost": _r(nxt["cost"]),
            "lower": _r(nxt["lower"]),
            "upper": _r(nxt["upper"]),
        }
    except CostError as exc:
        report["savings"] = report.get("savings") or {"error": str(exc)}
        report["forecast"] = {"error": str(exc)}
    return report


def format_report(report: dict[str, Any]) -> str:
    """The report as short human-readable text."""
    lines = [
        f"Source: {report['source']} ({report['rows']:,} rows, {report['first'][:10]} to "
        f"{report['last'][:10]})",
        f"Total EffectiveCost {money(report['totals']['effective_cost'])}, "
        f"BilledCost {money(report['totals']['billed_cost'])}",
        "Top services:",
        *(f"  {s['service']}: {money(s['effective_cost'])}" for s in report["top_services"]),
    ]
    movers = report.get("top_movers", {})
    if "items" in movers:
        lines.append(f"Top movers ({movers['month']} vs the month before):")
        lines += [f"  {m['service']}: {m['change']:+,.2f}" for m in movers["items"]]
    lines.append(f"Anomalies: {len(report['anomalies'])}")
    lines += [
        f"  {a['start']} to {a['end']} {a['service']}: {money(a['impact'])} "
        f"({a['top_usage_type']} on {a['top_resource']})"
        for a in report["anomalies"]
    ]
    sav = report.get("savings", {})
    if "items" in sav:
        lines.append(f"Savings ({sav['month']}, prices as of {sav['prices_as_of']}):")
        lines += [f"  {i['opportunity']}: {money(i['monthly_saving'])}/month" for i in sav["items"]]
        lines.append(f"  untagged usage spend: {sav['untagged_share']:.1%}")
    fc = report.get("forecast", {})
    if "month" in fc:
        lines.append(
            f"Forecast {fc['month']}: {money(fc['effective_cost'])} "
            f"({money(fc['lower'])} to {money(fc['upper'])})"
        )
    return "\n".join(lines)
