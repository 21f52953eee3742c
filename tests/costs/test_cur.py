"""AWS CUR 2.0 (Parquet and CSV) mapped to FOCUS: amortized cost per line type, tags, categories."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

import pulsekit.costs as pc
from pulsekit.errors import SchemaError

D = datetime(2025, 6, 1)
E = datetime(2025, 6, 2)
# (line type, product code, usage type, unblended, on demand, sp eff, sp total, sp used, ri eff,
#  ri unused upfront, ri unused recurring, tags)
LINES = [
    (
        "Usage",
        "AmazonEC2",
        "BoxUsage:m6i.large",
        10.0,
        10.0,
        None,
        None,
        None,
        None,
        None,
        None,
        {"user_team": "payments", "user_env": ""},
    ),
    (
        "SavingsPlanCoveredUsage",
        "AmazonEC2",
        "BoxUsage:m6i.large",
        5.0,
        5.0,
        3.6,
        None,
        None,
        None,
        None,
        None,
        {"user_team": "search"},
    ),
    (
        "SavingsPlanNegation",
        "AmazonEC2",
        "BoxUsage:m6i.large",
        -5.0,
        0.0,
        None,
        None,
        None,
        None,
        None,
        None,
        {},
    ),
    (
        "SavingsPlanRecurringFee",
        "ComputeSavingsPlans",
        "ComputeSP:1yrNoUpfront",
        4.0,
        0.0,
        None,
        4.0,
        3.6,
        None,
        None,
        None,
        {},
    ),
    (
        "DiscountedUsage",
        "AmazonRDS",
        "InstanceUsage:db.r6g.large",
        0.0,
        4.0,
        None,
        None,
        None,
        2.5,
        None,
        None,
        {},
    ),
    (
        "RIFee",
        "AmazonRDS",
        "HeavyUsage:db.r6g.large",
        2.0,
        0.0,
        None,
        None,
        None,
        None,
        0.1,
        0.2,
        {},
    ),
    ("Tax", "AmazonEC2", "", 1.5, 0.0, None, None, None, None, None, None, {}),
    ("Credit", "AmazonEC2", "", -3.0, 0.0, None, None, None, None, None, None, {}),
    (
        "Usage",
        "AmazonEC2",
        "NatGateway-Bytes",
        0.45,
        0.45,
        None,
        None,
        None,
        None,
        None,
        None,
        {"user_team": "platform"},
    ),
]
COLS = [
    "line_item_line_item_type",
    "line_item_product_code",
    "line_item_usage_type",
    "line_item_unblended_cost",
    "pricing_public_on_demand_cost",
    "savings_plan_savings_plan_effective_cost",
    "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment",
    "reservation_effective_cost",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee",
]


def _table() -> dict[str, list]:
    data: dict[str, list] = {c: [line[i] for line in LINES] for i, c in enumerate(COLS)}
    n = len(LINES)
    data.update(
        bill_billing_period_start_date=[datetime(2025, 6, 1)] * n,
        bill_billing_period_end_date=[datetime(2025, 7, 1)] * n,
        line_item_usage_start_date=[D] * n,
        line_item_usage_end_date=[E] * n,
        line_item_usage_account_id=["111111111111"] * n,
        line_item_usage_account_name=["prod"] * n,
        bill_payer_account_id=["999999999999"] * n,
        line_item_resource_id=["i-1", "i-2", "i-2", "", "db-1", "", "", "", "nat-1"],
        product_region_code=["us-east-1"] * n,
        line_item_usage_amount=[24.0] * n,
        pricing_unit=["Hrs"] * n,
    )
    data["resource_tags"] = [line[-1] for line in LINES]
    data["product"] = [
        {"product_name": "Amazon Elastic Compute Cloud"} if line[1] == "AmazonEC2" else {}
        for line in LINES
    ]
    return data


def _check(data) -> None:
    df = data.sql(
        "SELECT sum(EffectiveCost) AS eff, sum(BilledCost) AS billed, "
        "sum(EffectiveCost) FILTER (WHERE x_UsageType = 'ComputeSP:1yrNoUpfront') AS fee_eff, "
        "sum(EffectiveCost) FILTER (WHERE x_UsageType LIKE 'HeavyUsage%') AS ri_fee_eff "
        "FROM focus"
    ).iloc[0]
    assert round(df["eff"], 2) == 15.75
    assert round(df["billed"], 2) == 14.95
    assert round(df["fee_eff"], 2) == 0.4  # unused commitment only
    assert round(df["ri_fee_eff"], 2) == 0.3
    cats = data.cost_by("charge_category", "total").df.set_index("charge_category")
    assert set(cats.index) == {"Usage", "Purchase", "Tax", "Credit"}
    assert round(cats.loc["Credit", "EffectiveCost"], 2) == -3.0
    teams = data.cost_by("tag:team", "total").df.set_index("tag:team")["EffectiveCost"]
    assert round(teams["payments"], 2) == 10.0  # user_ prefix stripped, empty values dropped
    assert round(teams["search"], 2) == 3.6
    tags = data.sql("SELECT Tags FROM focus WHERE ResourceId = 'i-1'")["Tags"][0]
    assert json.loads(tags) == {"team": "payments"}
    egress = data.egress("total").df
    assert list(egress["egress"]) == ["nat_processing"]
    services = set(data.cost_by("service", "total").df["service"])
    assert "Amazon Elastic Compute Cloud" in services and "AmazonRDS" in services


def test_cur_parquet_maps_to_focus(tmp_path: Path) -> None:
    """CUR 2.0 Parquet (MAP tags/product) gives AWS's amortized cost per line item type."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = _table()
    m = pa.map_(pa.string(), pa.string())
    arrays = {
        k: pa.array([list(d.items()) for d in v], m)
        if k in ("resource_tags", "product")
        else pa.array(v)
        for k, v in data.items()
    }
    src = tmp_path / "cur.parquet"
    pq.write_table(pa.table(arrays), src)
    with pc.open(src, cache_dir=tmp_path / "c") as costs:
        _check(costs)


def test_cur_csv_maps_to_focus(tmp_path: Path) -> None:
    """CUR 2.0 CSV (maps as JSON text, empty strings for nulls) maps the same way."""
    import csv

    data = _table()
    src = tmp_path / "cur.csv"
    with src.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(data))
        for i in range(len(LINES)):
            row = []
            for values in data.values():
                v = values[i]
                if isinstance(v, dict):
                    v = json.dumps(v)
                elif isinstance(v, datetime):
                    v = v.strftime("%Y-%m-%dT%H:%M:%SZ")
                row.append("" if v is None else v)
            writer.writerow(row)
    with pc.open(src, cache_dir=tmp_path / "c") as costs:
        _check(costs)


def test_cur_missing_required_columns(tmp_path: Path) -> None:
    """A CUR file without its cost and time columns names all of them."""
    src = tmp_path / "cur.csv"
    src.write_text("line_item_line_item_type,line_item_product_code\nUsage,AmazonEC2\n")
    with pytest.raises(SchemaError) as err:
        pc.open(src, cache_dir=tmp_path / "c")
    for col in (
        "line_item_unblended_cost",
        "line_item_usage_start_date",
        "bill_billing_period_end_date",
    ):
        assert col in str(err.value)
