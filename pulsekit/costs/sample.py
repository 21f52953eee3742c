"""A deterministic FOCUS 1.2 sample of a marketplace platform, with injected cost stories.

``generate(out)`` writes ``focus.parquet``, ``business_metrics.parquet`` and a README; the stories
are documented in ``sample_data/README.md`` (shipped with the package).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pulsekit.costs import _sample_stories, _schema
from pulsekit.costs._sample_rows import (
    MONTHLY_GROWTH,
    SP_HOURLY_COMMITMENT,
    SP_RATE,
    SP_START,
    SPIKE_DAYS,
    START,
    Rows,
    hash_str,
    month_bounds,
    tag_json,
    usage,
)
from pulsekit.costs.prices import PRICES
from pulsekit.errors import CostError

SAMPLE_DIR = Path(__file__).parent / "sample_data"
# business service -> requests per day at the start
TRAFFIC = {
    "web": 4e6,
    "catalog": 2.5e6,
    "search": 1.2e6,
    "recommendations": 0.8e6,
    "checkout": 60e3,
    "payments": 25e3,
}
ORDERS_PER_DAY = 12_000.0


@dataclass(frozen=True)
class SampleFiles:
    """Where a generated sample was written."""

    focus: Path
    metrics: Path
    readme: Path
    rows: int


# (business service, team, instance type, $/h, count at start, tag style, account, az)
INSTANCES = [
    ("web", "storefront", "m6i.2xlarge", 0.384, 8, "std", "prod", "us-east-1a"),
    ("catalog", "catalog", "m6i.2xlarge", 0.384, 6, "messy", "prod", "us-east-1c"),
    ("search", "discovery", "r6i.2xlarge", 0.504, 6, "std", "prod", "us-east-1a"),
    ("recommendations", "discovery", "r6i.4xlarge", 1.008, 4, "std", "prod", "us-east-1b"),
    ("checkout", "checkout", "c6i.2xlarge", 0.34, 4, "std", "prod", "us-east-1c"),
    ("payments", "payments", "c6i.xlarge", 0.17, 3, "std", "prod", "us-east-1c"),
    ("etl", "data", "r6i.4xlarge", 1.008, 6, "none", "data", "us-east-1a"),
    ("staging", None, "m6i.large", 0.096, 8, "none", "staging", "us-east-1a"),
]
# (volume id, business service, team, type, GB, account, tag style)
VOLUMES = [
    ("vol-0search0data01", "search", "discovery", "gp2", 2000, "prod", "std"),
    ("vol-0search0data02", "search", "discovery", "gp2", 2000, "prod", "std"),
    ("vol-0recs0feature1", "recommendations", "discovery", "gp2", 500, "prod", "std"),
    ("vol-0web0logs00001", "web", "storefront", "gp2", 100, "prod", "std"),
    ("vol-0etl0scratch01", None, None, "gp2", 4000, "data", "none"),
    ("vol-0etl0scratch02", None, None, "gp2", 4000, "data", "none"),
    ("vol-0stg0app000001", None, None, "gp2", 250, "staging", "none"),
    ("vol-0stg0app000002", None, None, "gp2", 250, "staging", "none"),
    ("vol-0stg0app000003", None, None, "gp2", 250, "staging", "none"),
    ("vol-0pay0ledger001", "payments", "payments", "gp3", 500, "prod", "std"),
    ("vol-0chk0queue0001", "checkout", "checkout", "gp3", 1000, "prod", "std"),
]


def generate_frames(*, seed: int = 42, months: int = 13, start: date = START) -> tuple[Any, Any]:
    """The FOCUS table and the business-metrics table as pyarrow Tables (deterministic)."""
    import numpy as np
    import pyarrow as pa

    if months < 1 or months > 60:
        raise CostError(f"months={months} is out of range; use 1 to 60")
    rng = np.random.default_rng(seed)
    end = date(
        start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1, 1
    )
    rows = Rows()
    metrics: dict[str, list[Any]] = {"date": [], "service": [], "requests": [], "orders": []}
    day = start
    while day < end:
        t = (day - start).days / 30.4
        growth = (1 + MONTHLY_GROWTH) ** t
        weekly = 1.1 if day.weekday() >= 5 else 1.0
        traffic = growth * weekly

        def noise(sigma: float = 0.03) -> float:
            return float(np.exp(rng.normal(0, sigma)))

        spike = SPIKE_DAYS[0] <= day < SPIKE_DAYS[1]
        dim = (month_bounds(day)[1] - month_bounds(day)[0]).days
        # business metrics
        for svc, base in TRAFFIC.items():
            metrics["date"].append(day)
            metrics["service"].append(svc)
            metrics["requests"].append(float(round(base * traffic * noise(0.04))))
            orders = ORDERS_PER_DAY * traffic * noise(0.04) if svc == "checkout" else 0.0
            metrics["orders"].append(float(round(orders)))
        # compute, with the Savings Plan covering prod instances first-come
        commitment = SP_HOURLY_COMMITMENT * 24 if day >= SP_START else 0.0
        used = 0.0
        for svc, team, itype, rate, count, style, acct, az in INSTANCES:
            n = count if acct != "prod" else int(round(count * (1 + 0.6 * (growth - 1))))
            for k in range(n):
                hours = 24.0
                covered_hours = 0.0
                if acct == "prod" and commitment > used:
                    covered_hours = min(hours, (commitment - used) / (rate * SP_RATE))
                    used += covered_hours * rate * SP_RATE
                tags = tag_json(
                    team,
                    svc if svc not in ("etl", "staging") else None,
                    "staging" if acct == "staging" else "prod",
                    style=style,
                )
                parts = [(covered_hours, True), (hours - covered_hours, False)]
                for qty, covered in parts:
                    if qty <= 1e-9:
                        continue
                    usage(
                        rows,
                        day,
                        account=acct,
                        svc="ec2",
                        usage_type=f"BoxUsage:{itype}",
                        quantity=round(qty, 6),
                        unit="Hours",
                        price=rate,
                        description=f"${rate} per On Demand Linux {itype} Instance Hour",
                        resource=f"i-0{svc[:4]}{k:03d}{hash_str(svc) % 10**6:06d}",
                        resource_type="Instance",
                        az=az,
                        tags=tags,
                        operation="RunInstances",
                        committed=qty * rate * SP_RATE if covered else None,
                    )
        _sample_stories.eu_instances(rows, day)
        if commitment:
            _sample_stories.savings_plan(rows, day, commitment, used)
        # EBS volumes (the gp2 story)
        for vol, vsvc, vteam, vtype, gb, acct, style in VOLUMES:
            price = PRICES["ebs_gp2_gb_month"] if vtype == "gp2" else PRICES["ebs_gp3_gb_month"]
            usage(
                rows,
                day,
                account=acct,
                svc="ebs",
                usage_type=f"EBS:VolumeUsage.{vtype}",
                quantity=gb / dim,
                unit="GB-Month",
                price=price,
                resource=vol,
                resource_type="Volume",
                az="us-east-1a",
                description=f"${price} per GB-month of General Purpose ({vtype}) provisioned storage",
                tags=tag_json(vteam, vsvc, "staging" if acct == "staging" else "prod", style=style),
            )
        usage(
            rows,
            day,
            account="prod",
            svc="ebs",
            usage_type="EBS:VolumeP-IOPS.gp3",
            quantity=3000 / dim,
            unit="IOPS-Month",
            price=PRICES["ebs_gp3_iops_month"],
            resource="vol-0pay0ledger001",
            resource_type="Volume",
            az="us-east-1c",
            description="$0.005 per provisioned IOPS-month of gp3",
            tags=tag_json("payments", "payments", "prod"),
        )
        _sample_stories.network(rows, day, traffic, noise, spike)
        _sample_stories.platform(rows, day, traffic, growth, noise, spike, dim)
        day += timedelta(days=1)
    _sample_stories.credits_and_tax(rows, start, end)
    table = pa.table({c: rows.cols[c] for c in _schema.COLUMNS}, schema=_schema.arrow_schema())
    mtable = pa.table(
        {
            "date": pa.array(metrics["date"], pa.date32()),
            "service": pa.array(metrics["service"], pa.string()),
            "requests": pa.array(metrics["requests"], pa.float64()),
            "orders": pa.array(metrics["orders"], pa.float64()),
        }
    )
    return table, mtable


def generate(
    out: str | os.PathLike[str], *, seed: int = 42, months: int = 13, start: date = START
) -> SampleFiles:
    """Write the sample (``focus.parquet``, ``business_metrics.parquet``, ``README.md``) to ``out``."""
    import pyarrow.parquet as pq

    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    table, mtable = generate_frames(seed=seed, months=months, start=start)
    focus, metrics = target / "focus.parquet", target / "business_metrics.parquet"
    for tbl, path in ((table, focus), (mtable, metrics)):
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(tbl, tmp, compression="zstd")
        os.replace(tmp, path)
    readme = target / "README.md"
    if readme.resolve() != (SAMPLE_DIR / "README.md").resolve():
        shutil.copyfile(SAMPLE_DIR / "README.md", readme)
    return SampleFiles(focus=focus, metrics=metrics, readme=readme, rows=table.num_rows)
