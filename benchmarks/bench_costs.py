"""Cost queries at scale: pulsekit (DuckDB over Parquet) against the same computations in pandas.

    .venv/bin/python benchmarks/bench_costs.py [--rows 5000000] [--runs 5] [--pandas-runs 3]
    .venv/bin/python benchmarks/bench_costs.py --only cost_by_month --paired 9   # pairs, see paired()
    .venv/bin/python benchmarks/bench_costs.py --codec zstd ...   # an export read in place

Generates a FOCUS 1.2 Parquet file of ``--rows`` rows into /tmp (once per codec; by default in
the codec pulsekit writes its converted files in, as ``costs.open`` would for a CSV or CUR
export), then runs each query in a
child process per engine, the two back to back, so each side's peak RSS is its own and both see
the same machine load. Both sides start from the Parquet
file on every run (pandas reads only the columns it needs). DuckDB uses 2 threads and a 1 GB
memory limit, as ``pulsekit.costs.open`` does by default.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DIR = Path("/tmp/pulsekit-bench-costs")
QUERIES = ("cost_by_month", "cost_by_tag", "egress", "top_movers", "anomalies", "gp2", "window")


def generate(path: Path, rows: int, codec: str) -> None:
    """A FOCUS Parquet file with ``rows`` rows over 395 days in time order (as billing exports
    are): 12 services, 30 accounts, 20k resources, 40 usage types (egress and gp2 among them),
    JSON tags with messy keys, and a 5-day NAT spike; compressed with ``codec`` (by default the
    one pulsekit writes its converted files in)."""
    from pulsekit.costs import _schema
    from pulsekit.costs._engine import connect

    con = connect(threads=2, memory_limit="1GB")
    usage_types = [
        "BoxUsage:m6i.large",
        "BoxUsage:c6i.xlarge",
        "EBS:VolumeUsage.gp2",
        "EBS:VolumeUsage.gp3",
        "DataTransfer-Out-Bytes",
        "USE1-USW2-AWS-Out-Bytes",
        "DataTransfer-Regional-Bytes",
        "NatGateway-Bytes",
        "NatGateway-Hours",
        "TimedStorage-ByteHrs",
        "Requests-Tier1",
        "Requests-Tier2",
        "LoadBalancerUsage",
        "LCUUsage",
        "PublicIPv4:IdleAddress",
    ] + [f"Other-{i}" for i in range(25)]
    services = [
        "Amazon Elastic Compute Cloud",
        "AWS Data Transfer",
        "Amazon Simple Storage Service",
        "Amazon Relational Database Service",
        "Amazon CloudFront",
        "Elastic Load Balancing",
        "Amazon ElastiCache",
        "AWS Lambda",
        "Amazon CloudWatch",
        "Amazon DynamoDB",
        "Amazon Simple Queue Service",
        "AWS Key Management Service",
    ]
    exprs = {
        "BilledCost": "round((h % 100000) / 1000.0, 4)",
        # a 5-day NAT spike (x30 on NatGateway-Bytes rows) so anomalies have root causes to find
        "EffectiveCost": "round((h % 100000) / 1000.0 * 0.9, 4) * CASE WHEN d BETWEEN 300 "
        "AND 304 AND (h // 7) % 40 = 7 THEN 30 ELSE 1 END",
        "ListCost": "round((h % 100000) / 1000.0 * 1.1, 4)",
        "ContractedCost": "round((h % 100000) / 1000.0, 4)",
        "BillingAccountId": "'100000000000'",
        "BillingAccountName": "'Bench Holdings'",
        "BillingCurrency": "'USD'",
        "ChargePeriodStart": "TIMESTAMP '2025-01-01' + to_days(CAST(d AS INTEGER))",
        "ChargePeriodEnd": "TIMESTAMP '2025-01-02' + to_days(CAST(d AS INTEGER))",
        "BillingPeriodStart": "date_trunc('month', TIMESTAMP '2025-01-01' + to_days(CAST(d AS INTEGER)))",
        "BillingPeriodEnd": "date_trunc('month', TIMESTAMP '2025-01-01' + to_days(CAST(d AS INTEGER))) + INTERVAL 1 MONTH",
        "ChargeCategory": "CASE WHEN h % 1000 = 0 THEN 'Tax' ELSE 'Usage' END",
        "ChargeDescription": "'bench row'",
        "InvoiceIssuerName": "'Amazon Web Services, Inc.'",
        "ProviderName": "'AWS'",
        "PublisherName": "'Amazon Web Services, Inc.'",
        "PricingQuantity": "(h % 5000) / 10.0",
        "PricingUnit": "CASE WHEN (h // 7) % 40 BETWEEN 4 AND 8 THEN 'GB' ELSE 'Hours' END",
        "ServiceCategory": "'Compute'",
        "ServiceName": f"{services}[1 + (h // 11) % {len(services)}]",
        "RegionId": "['us-east-1','us-west-2','eu-west-1','eu-central-1','ap-south-1','ap-northeast-1'][1 + (h // 13) % 6]",
        "ResourceId": "'r-' || ((h // 17) % 20000)",
        "SubAccountId": "CAST(100000000000 + (h // 19) % 30 AS VARCHAR)",
        "SubAccountName": "'account-' || ((h // 19) % 30)",
        "Tags": "CASE (h // 23) % 5 WHEN 0 THEN NULL "
        'WHEN 1 THEN \'{"Team":"team-\' || ((h // 29) % 12) || \'","env":"prod"}\' '
        'ELSE \'{"team":"team-\' || ((h // 29) % 12) || \'","service":"svc-\' || '
        '((h // 31) % 20) || \'","env":"prod"}\' END',
        "x_UsageType": f"{usage_types}[1 + (h // 7) % {len(usage_types)}]",
    }
    select = ", ".join(
        f'CAST({exprs.get(c, "NULL")} AS {t}) AS "{c}"' for c, t in _schema.COLUMNS.items()
    )
    tmp = path.with_suffix(".tmp")
    con.execute(
        f"COPY (SELECT {select} FROM (SELECT i, CAST(hash(i) >> 2 AS BIGINT) AS h, "
        f"CAST(i * 395 // {rows} AS INTEGER) AS d FROM range({rows}) t(i))) "
        f"TO '{tmp}' (FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE 122880)"
    )
    con.close()
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- pulsekit side
def duckdb_side(
    path: str, runs: int, queries: tuple[str, ...] = QUERIES, *, jobs_only: bool = False
) -> Any:
    from pulsekit.costs.dataset import CostData
    from pulsekit.costs.savings import gp2_to_gp3

    data = CostData(path, threads=2, memory_limit="1GB")
    month = "2026-01"
    jobs: dict[str, Callable[[], Any]] = {
        "cost_by_month": lambda: data.cost_by("service", "month").df,
        "cost_by_tag": lambda: data.cost_by("tag:team", "total").df,
        "egress": lambda: data.egress("month").df,
        "top_movers": lambda: data.top_movers(month="2025-12").df,
        "anomalies": lambda: data.anomalies().df,
        "gp2": lambda: gp2_to_gp3(data, month=month).df,
        "window": lambda: data.window_cost("2025-11-12 10:00", "2025-11-12 14:00").df,
    }
    data.cost_by("service", "total")  # warm-up: lazy imports (pandas), file metadata
    if jobs_only:
        return jobs
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out: dict[str, Any] = {}
    for name in queries:
        times, rows = [], 0
        for _ in range(runs):
            t0 = time.perf_counter()
            rows = len(jobs[name]())
            times.append(time.perf_counter() - t0)
        out[name] = {"median_s": statistics.median(times), "rows": rows}
    out["_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["_base_rss_mb"] = base_rss / 1024
    return out


# ----------------------------------------------------------------------------- pandas side
def pandas_side(
    path: str, runs: int, queries: tuple[str, ...] = QUERIES, *, jobs_only: bool = False
) -> Any:
    import numpy as np
    import pandas as pd

    def read(cols: list[str]) -> pd.DataFrame:
        return pd.read_parquet(path, columns=cols)

    def cost_by_month() -> pd.DataFrame:
        df = read(["ChargePeriodStart", "ServiceName", "EffectiveCost"])
        key = df["ChargePeriodStart"].dt.to_period("M")
        return df.groupby([key, "ServiceName"])["EffectiveCost"].sum().reset_index()

    def cost_by_tag() -> pd.DataFrame:
        df = read(["Tags", "EffectiveCost"])
        team = df["Tags"].str.extract(r'"\s*[Tt][Ee][Aa][Mm]\s*"\s*:\s*"([^"]*)"')[0]
        return df.groupby(team.fillna("(none)"))["EffectiveCost"].sum().reset_index()

    def egress() -> pd.DataFrame:
        df = read(
            [
                "ChargePeriodStart",
                "ChargeCategory",
                "ServiceName",
                "x_UsageType",
                "EffectiveCost",
                "PricingQuantity",
                "PricingUnit",
            ]
        )
        df = df[df["ChargeCategory"] == "Usage"]
        u, s = df["x_UsageType"].fillna(""), df["ServiceName"].fillna("")
        transfer = u.str.contains(r"(DataTransfer|-Bytes$|-OBytes$)")
        klass = np.select(
            [
                s.str.contains("cloudfront", case=False) & transfer,
                u.str.contains(r"NatGateway-Bytes$"),
                u.str.contains(r"-AWS-(Out|In)-Bytes$"),
                u.str.contains(r"DataTransfer-Regional-Bytes$"),
                u.str.contains(r"^([A-Z]{2,4}\d?-)?DataTransfer-Out-Bytes$"),
                transfer,
            ],
            [
                "cloudfront",
                "nat_processing",
                "inter_region",
                "inter_az",
                "internet_out",
                "other_transfer",
            ],
            default="",
        )
        df = df.assign(
            egress=klass,
            gb=df["PricingQuantity"].where(df["PricingUnit"].str.startswith("GB", na=False)),
        )
        df = df[df["egress"] != ""]
        key = df["ChargePeriodStart"].dt.to_period("M")
        return df.groupby([key, "egress"])[["EffectiveCost", "gb"]].sum().reset_index()

    def top_movers() -> pd.DataFrame:
        df = read(["ChargePeriodStart", "ServiceName", "EffectiveCost"])
        df = df[
            (df["ChargePeriodStart"] >= "2025-11-01") & (df["ChargePeriodStart"] < "2026-01-01")
        ]
        cur = df["ChargePeriodStart"] >= "2025-12-01"
        g = df.groupby(["ServiceName", cur])["EffectiveCost"].sum().unstack(fill_value=0)
        g["change"] = g[True] - g[False]
        return g.reindex(g["change"].abs().sort_values(ascending=False).index).head(10)

    def anomalies() -> pd.DataFrame:
        keys = ["ServiceName", "RegionId", "SubAccountId", "SubAccountName", "x_UsageType"]
        df = read(["ChargePeriodStart", "ChargeCategory", "EffectiveCost", "ResourceId", *keys])
        df = df[df["ChargeCategory"] == "Usage"]
        daily = (
            df.groupby(["ServiceName", df["ChargePeriodStart"].dt.floor("D")])["EffectiveCost"]
            .sum()
            .reset_index()
        )
        runs = []  # (service, first day, last day): consecutive anomalous days
        for service, g in daily.groupby("ServiceName"):
            c = g.set_index("ChargePeriodStart")["EffectiveCost"]
            hist = c.shift(1).rolling(28, min_periods=14)
            med = hist.median()
            mad = (
                c.shift(1)
                .rolling(28, min_periods=14)
                .apply(lambda x: np.median(np.abs(x - np.median(x))), raw=True)
            )
            z = 0.6745 * (c - med) / np.maximum(np.maximum(mad, 0.05 * med.abs()), 1.0)
            days = list(c.index[(z > 3.5) & ((c - med) >= 20)])
            for day in days:
                if runs and runs[-1][0] == service and day - runs[-1][2] <= pd.Timedelta("1D"):
                    runs[-1][2] = day
                else:
                    runs.append([service, day, day])
        causes = []  # root causes: the same computation as pulsekit's
        for service, first, last in runs:
            s, e = first, last + pd.Timedelta("1D")
            rows = df[
                (df["ServiceName"] == service)
                & (df["ChargePeriodStart"] >= s - pd.Timedelta("28D"))
                & (df["ChargePeriodStart"] < e)
            ]
            inside = rows[rows["ChargePeriodStart"] >= s]
            actual = inside.groupby(keys)["EffectiveCost"].sum()
            per_day = rows[rows["ChargePeriodStart"] < s].groupby(keys)["EffectiveCost"].sum() / 28
            impact = actual - per_day.reindex(actual.index).fillna(0) * (e - s).days
            top = impact.nlargest(3).reset_index(name="impact")
            biggest = inside.loc[
                inside.groupby(keys)["EffectiveCost"].idxmax(), [*keys, "ResourceId"]
            ]
            causes.append(
                top.merge(biggest, on=keys, how="left").assign(anomaly=f"{service} {first}")
            )
        return pd.concat(causes) if causes else pd.DataFrame()

    def gp2() -> pd.DataFrame:
        df = read(
            [
                "ChargePeriodStart",
                "ChargeCategory",
                "x_UsageType",
                "ResourceId",
                "PricingQuantity",
                "EffectiveCost",
            ]
        )
        m = (
            (df["ChargePeriodStart"] >= "2026-01-01")
            & (df["ChargePeriodStart"] < "2026-02-01")
            & (df["ChargeCategory"] == "Usage")
            & df["x_UsageType"].str.endswith("VolumeUsage.gp2", na=False)
        )
        return df[m].groupby("ResourceId")[["PricingQuantity", "EffectiveCost"]].sum().reset_index()

    def window() -> pd.DataFrame:
        df = read(
            [
                "ChargePeriodStart",
                "ChargePeriodEnd",
                "ChargeCategory",
                "ServiceName",
                "EffectiveCost",
            ]
        )
        out = {}
        for label, (s, e) in {
            "actual": ("2025-11-12 10:00", "2025-11-12 14:00"),
            "baseline": ("2025-11-05 10:00", "2025-11-05 14:00"),
        }.items():
            s, e = pd.Timestamp(s), pd.Timestamp(e)
            w = df[
                (df["ChargeCategory"] == "Usage")
                & (df["ChargePeriodEnd"] > s)
                & (df["ChargePeriodStart"] < e)
            ]
            overlap = np.minimum(w["ChargePeriodEnd"], e) - np.maximum(w["ChargePeriodStart"], s)
            frac = (
                overlap.dt.total_seconds()
                / (w["ChargePeriodEnd"] - w["ChargePeriodStart"]).dt.total_seconds()
            )
            out[label] = (w["EffectiveCost"] * frac).groupby(w["ServiceName"]).sum()
        return pd.DataFrame(out)

    read(["EffectiveCost"])  # warm-up: imports, file metadata
    jobs = {
        "cost_by_month": cost_by_month,
        "cost_by_tag": cost_by_tag,
        "egress": egress,
        "top_movers": top_movers,
        "anomalies": anomalies,
        "gp2": gp2,
        "window": window,
    }
    if jobs_only:
        return jobs
    out: dict[str, Any] = {}
    for name in queries:
        times, rows = [], 0
        for _ in range(runs):
            t0 = time.perf_counter()
            rows = len(jobs[name]())
            times.append(time.perf_counter() - t0)
        out[name] = {"median_s": statistics.median(times), "rows": rows}
    out["_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def serve(side: str, path: str) -> None:
    """A long-lived child for --paired: runs the query named on each stdin line, prints timings."""
    jobs = (duckdb_side if side == "duckdb" else pandas_side)(path, 0, jobs_only=True)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        t0, c0 = time.perf_counter(), time.process_time()
        rows = len(jobs[line.strip()]())
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(json.dumps({"wall": wall, "cpu": cpu, "rows": rows}), flush=True)


def paired(path: Path, queries: tuple[str, ...], pairs: int) -> None:
    """One warm child per engine; each run is a pulsekit run and a pandas run back to back (the
    order alternates), so each pair sees the same machine load. Prints the median of the pairs'
    ratios in wall time and in CPU time (the CPU ratio hardly moves with the load)."""
    procs = {
        side: subprocess.Popen(
            [sys.executable, __file__, "--serve", side, "--path", str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for side in ("duckdb", "pandas")
    }

    def ask(side: str, query: str | None = None) -> dict[str, Any]:
        proc = procs[side]
        assert proc.stdin is not None and proc.stdout is not None
        if query is not None:
            proc.stdin.write(query + "\n")
            proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"{side} child failed")
        return dict(json.loads(line))

    try:
        for side in procs:
            ask(side)  # ready
        print("| query | pairs | pulsekit s | pandas s | speed-up (wall) | speed-up (CPU) |")
        print("|---|---:|---:|---:|---:|---:|")
        for q in queries:
            ask("duckdb", q)  # one untimed run each: first-run effects out of the pairs
            ask("pandas", q)
            walls, ratios, cpus = [], [], []
            for i in range(pairs):
                order = ("duckdb", "pandas") if i % 2 == 0 else ("pandas", "duckdb")
                got = {side: ask(side, q) for side in order}
                d, p = got["duckdb"], got["pandas"]
                walls.append((d["wall"], p["wall"]))
                ratios.append(p["wall"] / d["wall"])
                cpus.append(p["cpu"] / d["cpu"])
            print(
                f"| {q} | {pairs} | {statistics.median(w[0] for w in walls):.3f} | "
                f"{statistics.median(w[1] for w in walls):.2f} | "
                f"{statistics.median(ratios):.1f}x (min {min(ratios):.1f}x) | "
                f"{statistics.median(cpus):.1f}x |"
            )
    finally:
        for proc in procs.values():
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(60)


def child(side: str, path: Path, runs: int, query: str) -> dict[str, Any]:
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            side,
            "--path",
            str(path),
            "--runs",
            str(runs),
            "--query",
            query,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{side} child failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pandas-runs", type=int, default=3)
    parser.add_argument("--child", choices=("duckdb", "pandas"))
    parser.add_argument("--serve", choices=("duckdb", "pandas"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--paired",
        type=int,
        metavar="N",
        help="N back-to-back pairs per query in two warm children (ratio per pair, median)",
    )
    parser.add_argument(
        "--codec",
        help="Parquet compression of the generated file (default: the one pulsekit converts to, "
        "lz4_raw; zstd or snappy for an export read in place)",
    )
    parser.add_argument("--path")
    parser.add_argument("--query", choices=QUERIES)
    parser.add_argument("--dir", default=str(DIR), help="where the generated Parquet file lives")
    parser.add_argument(
        "--only", help="comma-separated queries to run (default: all), e.g. cost_by_month"
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.path)
        return
    if args.child:
        fn = duckdb_side if args.child == "duckdb" else pandas_side
        print(json.dumps(fn(args.path, args.runs, (args.query,) if args.query else QUERIES)))
        return
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    from pulsekit.costs._engine import PARQUET_CODEC

    codec = args.codec or PARQUET_CODEC
    path = folder / f"focus_{args.rows}_{codec}.parquet"
    queries = tuple(args.only.split(",")) if args.only else QUERIES
    if not path.exists():
        t0 = time.perf_counter()
        generate(path, args.rows, codec)
        print(
            f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s -> {path} "
            f"({path.stat().st_size / 1e6:.0f} MB)"
        )
    if args.paired:
        print(f"{args.rows:,} FOCUS rows, Parquet {codec}, {path.stat().st_size / 1e6:.0f} MB")
        paired(path, queries, args.paired)
        return
    # one child per engine and query, run back to back, so both sides of a row see the same
    # machine load; each child's peak RSS is its own
    duck: dict[str, Any] = {"_rss_mb": 0.0, "_base_rss_mb": 0.0}
    pand: dict[str, Any] = {"_rss_mb": 0.0}
    for q in queries:
        d, p = child("duckdb", path, args.runs, q), child("pandas", path, args.pandas_runs, q)
        duck[q], pand[q] = d[q], p[q]
        duck["_rss_mb"] = max(duck["_rss_mb"], d["_rss_mb"])
        duck["_base_rss_mb"] = max(duck["_base_rss_mb"], d["_base_rss_mb"])
        pand["_rss_mb"] = max(pand["_rss_mb"], p["_rss_mb"])
    print(
        f"\n{args.rows:,} FOCUS rows, Parquet {codec} {path.stat().st_size / 1e6:.0f} MB, "
        f"{os.cpu_count()} CPUs; medians of {args.runs} (pulsekit) and {args.pandas_runs} (pandas) runs\n"
    )
    print("| query | pulsekit (DuckDB) s | pandas s | speed-up | rows out |")
    print("|---|---:|---:|---:|---:|")
    for q in queries:
        d, p = duck[q]["median_s"], pand[q]["median_s"]
        print(f"| {q} | {d:.3f} | {p:.2f} | {p / d:.0f}x | {duck[q]['rows']} |")
    print(
        f"\npeak RSS: pulsekit child {duck['_rss_mb']:.0f} MB (of which {duck['_base_rss_mb']:.0f} MB "
        f"after imports), pandas child {pand['_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
