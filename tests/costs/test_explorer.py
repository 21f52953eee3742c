"""Cost Explorer GetCostAndUsage: request shape, hand-made pagination, FOCUS rows (offline Stubber)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

import pulsekit.costs as pc
from pulsekit.costs.explorer import fetch
from pulsekit.errors import CostError

REQUEST = {
    "TimePeriod": {"Start": "2025-06-01", "End": "2025-06-03"},
    "Granularity": "DAILY",
    "Metrics": ["UnblendedCost", "AmortizedCost", "UsageQuantity"],
    "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "TAG", "Key": "Team"}],
}


def _money(amount: str) -> dict[str, dict[str, str]]:
    return {
        "UnblendedCost": {"Amount": amount, "Unit": "USD"},
        "AmortizedCost": {"Amount": str(float(amount) * 0.8), "Unit": "USD"},
        "UsageQuantity": {"Amount": "24", "Unit": "N/A"},
    }


def _page(day: str, nxt: str, groups: list[tuple[str, str, str]], token: str | None) -> dict:
    page = {
        "GroupDefinitions": REQUEST["GroupBy"],
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": day, "End": nxt},
                "Total": {},
                "Groups": [{"Keys": [s, t], "Metrics": _money(a)} for s, t, a in groups],
                "Estimated": day == "2025-06-02",
            }
        ],
        "DimensionValueAttributes": [],
    }
    if token:
        page["NextPageToken"] = token
    return page


@pytest.fixture
def client():
    """A real boto3 Cost Explorer client whose calls are answered by botocore's Stubber."""
    ce = boto3.client(
        "ce", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(ce) as stub:
        stub.add_response(
            "get_cost_and_usage",
            _page(
                "2025-06-01",
                "2025-06-02",
                [("Amazon EC2", "Team$payments", "10.0"), ("Amazon S3", "Team$", "4.0")],
                "page-2",
            ),
            expected_params=REQUEST,
        )
        stub.add_response(
            "get_cost_and_usage",
            _page("2025-06-02", "2025-06-03", [("Amazon EC2", "Team$payments", "12.5")], None),
            expected_params={**REQUEST, "NextPageToken": "page-2"},
        )
        yield ce
        stub.assert_no_pending_responses()


def test_pages_are_followed_and_mapped_to_focus(client, tmp_path: Path) -> None:
    """Both pages are fetched with the token, amounts parsed, tags split, untagged left empty."""
    out = pc.load_cost_explorer(
        tmp_path / "ce.parquet",
        client,
        start="2025-06-01",
        end="2025-06-03",
        group_by=("SERVICE", "tag:Team"),
    )
    with pc.open(out) as data:
        df = data.cost_by(["service", "tag:Team"], "day", metric="BilledCost").df
        assert len(df) == 3
        assert round(float(df["BilledCost"].sum()), 2) == 26.5
        eff = data.sql("SELECT sum(EffectiveCost) AS e FROM focus")["e"][0]
        assert round(float(eff), 2) == 21.2  # AmortizedCost, not UnblendedCost
        untagged = data.sql("SELECT count(*) AS n FROM focus WHERE Tags IS NULL")["n"][0]
        assert untagged == 1
        tags = data.sql("SELECT DISTINCT Tags FROM focus WHERE Tags IS NOT NULL")["Tags"][0]
        assert json.loads(tags) == {"Team": "payments"}
        assert data.sql("SELECT count(*) AS n FROM focus WHERE x_Estimated")["n"][0] == 1


def test_too_many_groups_is_refused_before_any_call() -> None:
    """Cost Explorer allows two GroupBy keys; a third raises CostError without a request."""
    with pytest.raises(CostError, match="at most 2"):
        fetch(object(), start="2025-06-01", end="2025-06-02", group_by=("SERVICE", "REGION", "AZ"))


def test_service_errors_become_cost_errors() -> None:
    """An AWS error (e.g. access denied) is re-raised as CostError with AWS's message."""
    ce = boto3.client(
        "ce", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(ce) as stub:
        stub.add_client_error("get_cost_and_usage", "AccessDeniedException", "not allowed")
        with pytest.raises(CostError, match="not allowed"):
            fetch(ce, start="2025-06-01", end="2025-06-02", group_by=("SERVICE",))
