"""Anomalies, savings and forecast on the bundled sample, and on small made-up series."""

from __future__ import annotations

from datetime import date

import pytest

from pulsekit.costs.savings import gp3_monthly_cost
from pulsekit.errors import CostError


def test_anomalies_find_the_two_stories(sample) -> None:
    """By service: the inter-AZ step (Data Transfer) and the NAT spike (EC2), nothing else."""
    report = sample.anomalies()
    assert [(a.value, a.start, a.end) for a in report.anomalies] == [
        ("AWS Data Transfer", date(2025, 9, 15), date(2025, 9, 28)),
        ("Amazon Elastic Compute Cloud", date(2025, 11, 10), date(2025, 11, 14)),
    ]
    nat = report.anomalies[1]
    assert nat.root_causes[0].usage_type == "NatGateway-Bytes"
    assert nat.root_causes[0].resource == "nat-0prodb0000000001"
    assert 1200 < nat.total_impact < 1600


def test_anomaly_output_is_shaped_like_cad(sample) -> None:
    """to_cad() carries CAD's keys: Impact totals, AnomalyScore, RootCauses with contributions."""
    cad = sample.anomalies().to_cad()[1]
    assert cad["AnomalyStartDate"] == "2025-11-10" and cad["AnomalyEndDate"] == "2025-11-14"
    assert set(cad["Impact"]) == {
        "MaxImpact",
        "TotalImpact",
        "TotalActualSpend",
        "TotalExpectedSpend",
        "TotalImpactPercentage",
    }
    impact = cad["Impact"]
    assert (
        abs(impact["TotalActualSpend"] - impact["TotalExpectedSpend"] - impact["TotalImpact"])
        < 0.02
    )
    assert cad["RootCauses"][0]["UsageType"] == "NatGateway-Bytes"
    assert cad["RootCauses"][0]["LinkedAccountName"] == "marketplace-prod"


def test_planned_windows_are_marked(sample) -> None:
    """An anomaly overlapping a planned window (a GameDay) gets Feedback PLANNED_ACTIVITY."""
    report = sample.anomalies(planned=[("2025-11-12", "2025-11-13")])
    feedback = {a.value: a.feedback for a in report.anomalies}
    assert feedback["Amazon Elastic Compute Cloud"] == "PLANNED_ACTIVITY"
    assert feedback["AWS Data Transfer"] is None


def test_quiet_months_have_no_anomaly_and_one_spike_is_found(tmp_path) -> None:
    """Two story-free months (flat, weekly-seasonal, growing series) give no anomaly by resource;
    one injected $500 extra on one day gives exactly that one-day anomaly."""
    import duckdb

    import pulsekit.costs as pc
    from pulsekit.costs.sample import generate

    files = generate(tmp_path / "s", months=2)
    with pc.open(files.focus) as data:
        assert len(data.anomalies(by="resource", min_impact=1.0)) == 0
    spiked = tmp_path / "spiked.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{files.focus}') UNION ALL "
        f"SELECT * REPLACE (500.0 AS EffectiveCost) FROM read_parquet('{files.focus}') "
        "WHERE ResourceId = 'E2STOREFRONT00' AND ChargePeriodStart = TIMESTAMP '2025-02-20' "
        f"AND x_UsageType = 'US-DataTransfer-Out-Bytes') TO '{spiked}' (FORMAT parquet)"
    )
    con.close()
    with pc.open(spiked, cache_dir=tmp_path / "c") as data:
        found = data.anomalies(by="resource").anomalies
        assert [(a.value, a.start, a.end) for a in found] == [
            ("E2STOREFRONT00", date(2025, 2, 20), date(2025, 2, 20))
        ]
        assert found[0].root_causes[0].usage_type == "US-DataTransfer-Out-Bytes"


def test_anomaly_parameters_are_checked(sample) -> None:
    """min_history larger than lookback is refused."""
    with pytest.raises(CostError, match="min_history"):
        sample.anomalies(lookback=7, min_history=14)


def test_gp3_matching_worked_examples() -> None:
    """2,000 GB gp2 ($200) -> $180 gp3 at 6,000 IOPS/250 MiB/s; 100 GB -> $8 at the gp3 baseline."""
    assert gp3_monthly_cost(2000) == pytest.approx((180.0, 6000, 250))
    assert gp3_monthly_cost(500) == pytest.approx((45.0, 3000, 250))
    assert gp3_monthly_cost(100) == pytest.approx((8.0, 3000, 125))


def test_savings_report(sample) -> None:
    """The sample's savings: 9 gp2 volumes ($107), idle NAT/ALB/4 IPs, assumptions and price date."""
    report = sample.savings()
    parts = report.parts
    assert report.month == "2026-01"
    assert parts["gp2 -> gp3"].meta["total"] == pytest.approx(107.0)
    idle = parts["idle resources"].df
    assert set(idle["kind"]) == {"NAT gateway", "load balancer", "public IPv4 (idle)"}
    assert "nat-0stagingidle0001" in set(idle["resource"])
    assert (idle["kind"] == "public IPv4 (idle)").sum() == 4
    # ranked lists: idle resources by what they cost, gp2 volumes by size (largest first)
    ranked = {"idle resources": "saving", "gp2 -> gp3": "gb"}
    for name, col in ranked.items():
        values = parts[name].df[col].tolist()
        assert len(values) > 1 and values == sorted(values, reverse=True), name
    assert 0.25 < report.untagged_share < 0.35
    text = report.summary()
    assert "prices: AWS us-east-1 list prices as of 2025-09" in text
    assert "50% of NAT-processed bytes are assumed" in text
    with pytest.raises(CostError, match="endpoint_share"):
        sample.savings(endpoint_share=2)


def test_forecast_has_a_band(sample) -> None:
    """Three forecast months after 12 actual ones, each inside its lower/upper band."""
    table = sample.forecast(months=3)
    fc = table.df[table.df["kind"] == "forecast"]
    assert len(fc) == 3 and (table.df["kind"] == "actual").sum() == 12
    assert ((fc["lower"] < fc["cost"]) & (fc["cost"] < fc["upper"])).all()
    assert str(fc["period"].iloc[0].date()) == "2026-02-01"
    with pytest.raises(CostError, match="level"):
        sample.forecast(level=0.5)


def test_analysis_plots(sample) -> None:
    """Anomaly, savings and forecast charts return Axes."""
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    for ax in (sample.anomalies().plot(index=1), sample.savings().plot(), sample.forecast().plot()):
        assert isinstance(ax, Axes)
        plt.close(ax.figure)


def test_root_causes_are_ranked_by_impact(tmp_path) -> None:
    """An anomaly with several causes lists them largest impact first, and root_causes=1 keeps
    only the largest (the sample's anomalies each have a single cause, so they cannot show this)."""
    import duckdb

    import pulsekit.costs as pc
    from pulsekit.costs.sample import generate

    files = generate(tmp_path / "s", months=2)
    spiked = tmp_path / "two_causes.parquet"
    one_row = (
        f"FROM read_parquet('{files.focus}') WHERE ResourceId = 'E2STOREFRONT00' "
        "AND ChargePeriodStart = TIMESTAMP '2025-02-20' "
        "AND x_UsageType = 'US-DataTransfer-Out-Bytes'"
    )
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{files.focus}') "
        f"UNION ALL SELECT * REPLACE (200.0 AS EffectiveCost, 'Spike-Small' AS x_UsageType) {one_row} "
        f"UNION ALL SELECT * REPLACE (600.0 AS EffectiveCost, 'Spike-Large' AS x_UsageType) {one_row} "
        f"UNION ALL SELECT * REPLACE (350.0 AS EffectiveCost, 'Spike-Middle' AS x_UsageType) {one_row}"
        f") TO '{spiked}' (FORMAT parquet)"
    )
    con.close()
    with pc.open(spiked, cache_dir=tmp_path / "c") as data:
        (found,) = data.anomalies(by="resource").anomalies
        assert [c.usage_type for c in found.root_causes] == [
            "Spike-Large",
            "Spike-Middle",
            "Spike-Small",
        ]
        impacts = [c.impact for c in found.root_causes]
        assert impacts == sorted(impacts, reverse=True)
        assert impacts[0] == pytest.approx(600.0, abs=1.0)
        (top,) = data.anomalies(by="resource", root_causes=1).anomalies
        assert [c.usage_type for c in top.root_causes] == ["Spike-Large"]
        assert data.anomalies(by="resource").to_cad()[0]["RootCauses"][0]["UsageType"] == (
            "Spike-Large"
        )
