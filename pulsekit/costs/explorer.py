"""AWS Cost Explorer ``GetCostAndUsage`` through boto3, paginated by hand, into FOCUS Parquet.

Cost Explorer is coarse (time x at most two groups) and each request costs $0.01; use it when no
CUR/FOCUS export exists. ``client`` is any boto3 ``ce`` client (tests pass a stubbed one).
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pulsekit.costs import _schema
from pulsekit.costs._engine import PARQUET_CODEC
from pulsekit.errors import CostError

DIMENSION_COLUMNS = {
    "SERVICE": "ServiceName",
    "LINKED_ACCOUNT": "SubAccountId",
    "REGION": "RegionId",
    "AZ": "AvailabilityZone",
    "USAGE_TYPE": "x_UsageType",
    "OPERATION": "x_Operation",
    "INSTANCE_TYPE": "x_InstanceType",
    "RECORD_TYPE": "ChargeCategory",
}
RECORD_TYPES = {
    "Usage": "Usage",
    "Tax": "Tax",
    "Credit": "Credit",
    "Refund": "Credit",
    "Savings Plan Covered Usage": "Usage",
    "Savings Plan Negation": "Usage",
    "Savings Plan Recurring Fee": "Purchase",
    "Savings Plan Upfront Fee": "Purchase",
    "Recurring Reservation Fee": "Purchase",
    "Reservation Applied Usage": "Usage",
}


def _group_spec(name: str) -> dict[str, str]:
    if name.lower().startswith("tag:"):
        return {"Type": "TAG", "Key": name[4:]}
    if name.upper() in DIMENSION_COLUMNS:
        return {"Type": "DIMENSION", "Key": name.upper()}
    raise CostError(
        f"group {name!r} is unknown; use tag:<key> or one of {', '.join(DIMENSION_COLUMNS)}"
    )


def fetch(
    client: Any = None,
    *,
    start: str | date,
    end: str | date,
    granularity: str = "DAILY",
    group_by: tuple[str, ...] = ("SERVICE",),
    metrics: tuple[str, ...] = ("UnblendedCost", "AmortizedCost", "UsageQuantity"),
    filter: dict[str, Any] | None = None,
    max_pages: int = 50,
) -> list[dict[str, Any]]:
    """All ``GetCostAndUsage`` pages (``NextPageToken`` followed by hand: CE has no paginator)."""
    if granularity not in ("DAILY", "MONTHLY", "HOURLY"):
        raise CostError(f"granularity={granularity!r}; use DAILY, MONTHLY or HOURLY")
    if len(group_by) > 2:
        raise CostError(f"Cost Explorer groups by at most 2 keys; got {len(group_by)}: {group_by}")
    if client is None:
        import boto3

        client = boto3.client("ce", region_name="us-east-1")
    request: dict[str, Any] = {
        "TimePeriod": {"Start": str(start), "End": str(end)},
        "Granularity": granularity,
        "Metrics": list(metrics),
    }
    if group_by:
        request["GroupBy"] = [_group_spec(g) for g in group_by]
    if filter:
        request["Filter"] = filter
    pages: list[dict[str, Any]] = []
    token: str | None = None
    from botocore.exceptions import BotoCoreError, ClientError

    while True:
        kwargs = dict(request, NextPageToken=token) if token else request
        try:
            page = client.get_cost_and_usage(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise CostError(f"Cost Explorer GetCostAndUsage failed: {exc}") from exc
        pages.append(page)
        token = page.get("NextPageToken")
        if not token:
            return pages
        if len(pages) >= max_pages:
            raise CostError(
                f"Cost Explorer returned more than {max_pages} pages; narrow the time period "
                "or raise max_pages (each page costs $0.01)"
            )


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def to_rows(pages: list[dict[str, Any]], *, group_by: tuple[str, ...]) -> dict[str, list[Any]]:
    """FOCUS column lists from ``GetCostAndUsage`` pages."""
    cols: dict[str, list[Any]] = {c: [] for c in _schema.COLUMNS}
    extra: dict[str, list[Any]] = {"x_Estimated": []}

    def add(period: dict[str, Any], keys: list[str], m: dict[str, Any], estimated: bool) -> None:
        row: dict[str, Any] = {c: None for c in cols}
        start, end = _ts(period["Start"]), _ts(period["End"])
        bstart = datetime(start.year, start.month, 1)
        bend = datetime(bstart.year + bstart.month // 12, bstart.month % 12 + 1, 1)

        def amount(*names: str) -> float | None:
            for n in names:
                if n in m:
                    return float(m[n]["Amount"])
            return None

        billed = amount("UnblendedCost", "NetUnblendedCost", "BilledCost", "AmortizedCost") or 0.0
        unit = next((v.get("Unit") for k, v in m.items() if k.endswith("Cost")), "USD")
        tags: dict[str, str] = {}
        row.update(
            BilledCost=billed,
            EffectiveCost=amount("AmortizedCost", "NetAmortizedCost")
            if amount("AmortizedCost", "NetAmortizedCost") is not None
            else billed,
            ListCost=amount("PublicOnDemandCost", "ListCost") or billed,
            ContractedCost=billed,
            BillingCurrency=unit or "USD",
            BillingPeriodStart=bstart,
            BillingPeriodEnd=bend,
            ChargePeriodStart=start,
            ChargePeriodEnd=end,
            ChargeCategory="Usage",
            ChargeDescription="AWS Cost Explorer GetCostAndUsage",
            InvoiceIssuerName="Amazon Web Services, Inc.",
            ProviderName="AWS",
            PublisherName="Amazon Web Services, Inc.",
            PricingQuantity=amount("UsageQuantity"),
            ConsumedQuantity=amount("UsageQuantity"),
            ServiceCategory="Other",
            ServiceName="(all services)",
        )
        for spec, key in zip(group_by, keys, strict=False):
            if spec.lower().startswith("tag:"):
                name, _, value = key.partition("$")
                if value:
                    tags[name] = value
            else:
                col = DIMENSION_COLUMNS[spec.upper()]
                value = (
                    RECORD_TYPES.get(key, "Adjustment") if spec.upper() == "RECORD_TYPE" else key
                )
                if col in row:
                    row[col] = value
        row["Tags"] = json.dumps(tags, sort_keys=True) if tags else None
        for c in cols:
            cols[c].append(row[c])
        extra["x_Estimated"].append(bool(estimated))

    for page in pages:
        for result in page.get("ResultsByTime", []):
            estimated = bool(result.get("Estimated", False))
            if result.get("Groups"):
                for group in result["Groups"]:
                    add(result["TimePeriod"], group.get("Keys", []), group["Metrics"], estimated)
            elif result.get("Total"):
                add(result["TimePeriod"], [], result["Total"], estimated)
    return {**cols, **extra}


def load_cost_explorer(
    out: str | os.PathLike[str],
    client: Any = None,
    *,
    start: str | date | None = None,
    end: str | date | None = None,
    granularity: str = "DAILY",
    group_by: tuple[str, ...] = ("SERVICE",),
    metrics: tuple[str, ...] = ("UnblendedCost", "AmortizedCost", "UsageQuantity"),
    max_pages: int = 50,
) -> Path:
    """Fetch ``GetCostAndUsage`` (default: the last 30 days, daily, by service) into FOCUS
    Parquet at ``out``; open it with ``pulsekit.costs.open(out)``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    today = date.today()
    start = start or today - timedelta(days=30)
    end = end or today
    pages = fetch(
        client,
        start=start,
        end=end,
        granularity=granularity,
        group_by=group_by,
        metrics=metrics,
        max_pages=max_pages,
    )
    cols = to_rows(pages, group_by=group_by)
    if not cols["BilledCost"]:
        raise CostError(f"Cost Explorer returned no costs between {start} and {end}")
    schema = _schema.arrow_schema().append(pa.field("x_Estimated", pa.bool_()))  # type: ignore[attr-defined]
    table = pa.table(cols, schema=schema)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    pq.write_table(table, tmp, compression=PARQUET_CODEC)
    os.replace(tmp, target)
    return target
