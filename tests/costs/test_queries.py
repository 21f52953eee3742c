"""Queries on the bundled sample: cost_by, movers, egress, unit cost, window cost, tags, errors."""

from __future__ import annotations

import pytest

from pulsekit.errors import CostError


def test_cost_by_service_per_month(sample) -> None:
    """13 monthly periods, EC2 the largest service, totals equal the raw sum."""
    table = sample.cost_by("service", "month")
    df = table.df
    assert df["period"].nunique() == 13
    total = sample.sql("SELECT sum(EffectiveCost) AS t FROM focus")["t"][0]
    assert abs(df["EffectiveCost"].sum() - total) < 1e-6
    by = df.groupby("service")["EffectiveCost"].sum().sort_values()
    assert by.index[-1] == "Amazon Elastic Compute Cloud"
    assert table.summary().startswith("EffectiveCost by service per month")


def test_billed_and_effective_differ_under_the_savings_plan(sample) -> None:
    """EC2 EffectiveCost is above BilledCost (covered usage bills 0) and ListCost above both."""
    eff = sample.cost_by("service", "total", window="2025-06").df.set_index("service")
    billed = sample.cost_by("service", "total", metric="BilledCost", window="2025-06").df
    lst = sample.cost_by("service", "total", metric="ListCost", window="2025-06").df
    ec2 = "Amazon Elastic Compute Cloud"
    e = eff.loc[ec2, "EffectiveCost"]
    b = billed.set_index("service").loc[ec2, "BilledCost"]
    list_cost = lst.set_index("service").loc[ec2, "ListCost"]
    assert b < e < list_cost


def test_top_and_tag_dimensions(sample) -> None:
    """top= folds small services into (other); tag:team matches the messy 'Team' key too."""
    top = sample.cost_by("service", "total", top=3).df
    assert list(top["service"])[-1] == "(other)" and len(top) == 4
    every = sample.cost_by("service", "total").df.set_index("service")["EffectiveCost"]
    largest = every.sort_values(ascending=False)
    # the three kept are the three largest, and (other) is exactly the rest
    assert set(top["service"][:3]) == set(largest.index[:3])
    other = top.set_index("service").loc["(other)", "EffectiveCost"]
    assert other == pytest.approx(largest.iloc[3:].sum())
    teams = set(sample.cost_by("tag:team", "total").df["tag:team"])
    assert {"catalog", "storefront", "discovery", "(none)"} <= teams


def test_bad_arguments_raise_clear_errors(sample) -> None:
    """Unknown dimension, metric or period, and a window with no data, raise CostError."""
    with pytest.raises(CostError, match="dimension 'colour' is unknown; use one of service"):
        sample.cost_by("colour")
    with pytest.raises(CostError, match="metric 'Cost' is unknown"):
        sample.cost_by("service", metric="Cost")
    with pytest.raises(CostError, match="period 'fortnight' is unknown"):
        sample.cost_by("service", "fortnight")
    with pytest.raises(
        CostError, match="no cost data in window '2019-01'; the data cover 2025-01-01"
    ):
        sample.cost_by("service", window="2019-01")
    with pytest.raises(CostError, match="no cost data in window 2019-01-01 00:00 to 2019-03-01"):
        sample.top_movers(month="2019-02")
    with pytest.raises(CostError, match="not understood"):
        sample.cost_by("service", window="last tuesday")


def test_top_movers_month_over_month(sample) -> None:
    """November 2025 vs October: EC2 moved most (the NAT spike), with previous/current columns."""
    movers = sample.top_movers(month="2025-11", n=3)
    df = movers.df
    assert movers.meta == {"month": "2025-11", "previous": "2025-10"}
    assert df["service"][0] == "Amazon Elastic Compute Cloud"
    assert (df["change"] == df["current"] - df["previous"]).all()
    moves = df["change"].abs().tolist()
    assert moves == sorted(moves, reverse=True)  # largest move first, whatever its sign


def test_egress_breakdown_classes(sample) -> None:
    """All five egress classes appear; NAT processing is much higher in November 2025."""
    df = sample.egress("month").df
    assert {"internet_out", "inter_region", "inter_az", "nat_processing", "cloudfront"} <= set(
        df["egress"]
    )
    nat = df[df["egress"] == "nat_processing"].set_index("period")["cost"]
    assert nat["2025-11-01"] > 1.3 * nat["2025-10-01"]


def test_unit_cost_per_request_and_order(sample) -> None:
    """Unit cost joins cost to business metrics; per-service per-order uses platform orders."""
    per_req = sample.unit_cost("requests").df
    assert len(per_req) == 13
    assert (per_req["unit_cost"] == per_req["cost"] / per_req["units"] * 1000).all()
    per_order = sample.unit_cost("orders", by="service", period="total").df
    assert set(per_order["service"]) == {
        "web",
        "catalog",
        "search",
        "recommendations",
        "checkout",
        "payments",
    }
    assert per_order["units"].nunique() == 1  # everyone divides by the platform's orders
    with pytest.raises(CostError, match="per='users'"):
        sample.unit_cost("users")


def test_window_cost_of_an_incident(sample) -> None:
    """A 4-hour window in the NAT spike costs more than the same window a week earlier, mostly EC2."""
    table = sample.window_cost("2025-11-12 10:00", "2025-11-12 14:00")
    assert table.meta["extra"] > 40
    assert table.df["service"][0] == "Amazon Elastic Compute Cloud"
    quiet = sample.window_cost("2025-10-15 10:00", "2025-10-15 14:00")
    assert abs(quiet.meta["extra"]) < 0.1 * quiet.meta["actual"]


def test_tag_keys_show_messy_spellings(sample) -> None:
    """The catalog team's 'Team'/'Service' keys are reported as written several ways."""
    table = sample.tag_keys()
    assert "keys written several ways: service, team" in table.summary()


def test_plots_return_axes(sample) -> None:
    """Charts return matplotlib Axes of the standard size."""
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    for table in (
        sample.cost_by("service", "month", top=4),
        sample.egress("total"),
        sample.unit_cost(),
    ):
        ax = table.plot()
        assert isinstance(ax, Axes)
        assert tuple(ax.figure.get_size_inches()) == (9.0, 4.0)
        plt.close(ax.figure)


def test_window_offsets_are_converted_to_utc(sample) -> None:
    """A window given with a +02:00 offset is the same as its UTC equivalent."""
    local = sample.window_cost("2025-11-12T12:00:00+02:00", "2025-11-12T16:00:00+02:00")
    utc = sample.window_cost("2025-11-12 10:00", "2025-11-12 14:00")
    assert local.meta == utc.meta
