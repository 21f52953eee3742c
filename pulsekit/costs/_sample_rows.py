"""Machinery of the sample generator: constants, the row builder, tags (see ``sample.py``)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from pulsekit.costs import _schema

START = date(2025, 1, 1)
SP_START = date(2025, 3, 1)
SP_HOURLY_COMMITMENT = 10.0
SP_RATE = 0.72  # Savings Plan price as a share of on-demand
SPIKE_DAYS = (date(2025, 11, 10), date(2025, 11, 15))  # [start, end)
CHATTER_FROM = date(2025, 9, 15)
TAX_RATE = 0.06
BILLING = ("100000000000", "Marketplace Holdings")
ACCOUNTS = {
    "prod": ("111111111111", "marketplace-prod"),
    "staging": ("222222222222", "marketplace-staging"),
    "data": ("333333333333", "data-platform"),
}
SERVICES = {
    "ec2": ("Amazon Elastic Compute Cloud", "Compute", "AmazonEC2"),
    "ebs": ("Amazon Elastic Compute Cloud", "Storage", "AmazonEC2"),
    "net": ("Amazon Elastic Compute Cloud", "Networking", "AmazonEC2"),
    "dt": ("AWS Data Transfer", "Networking", "AWSDataTransfer"),
    "elb": ("Elastic Load Balancing", "Networking", "AWSELB"),
    "s3": ("Amazon Simple Storage Service", "Storage", "AmazonS3"),
    "cf": ("Amazon CloudFront", "Networking", "AmazonCloudFront"),
    "rds": ("Amazon Relational Database Service", "Databases", "AmazonRDS"),
    "cache": ("Amazon ElastiCache", "Databases", "AmazonElastiCache"),
    "cw": ("Amazon CloudWatch", "Management and Governance", "AmazonCloudWatch"),
    "lambda": ("AWS Lambda", "Compute", "AWSLambda"),
}
REGIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "Europe (Ireland)",
}
MONTHLY_GROWTH = 0.03


def tag_json(team: str | None, service: str | None, env: str, *, style: str = "std") -> str | None:
    if style == "none":
        return None
    tags: dict[str, str] = {}
    if style == "messy":  # the catalog team writes its keys its own way
        if team:
            tags["Team"] = team
        if service:
            tags["Service"] = service
        tags["environment"] = "production" if env == "prod" else env
    else:
        if team:
            tags["team"] = team
        if service:
            tags["service"] = service
        tags["env"] = env
    return json.dumps(tags, sort_keys=True)


def month_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, 1)
    end = datetime(day.year + day.month // 12, day.month % 12 + 1, 1)
    return start, end


class Rows:
    """Column lists of the FOCUS table being built."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {c: [] for c in _schema.COLUMNS}

    def add(self, **values: Any) -> None:
        for col, data in self.cols.items():
            data.append(values.get(col))

    def __len__(self) -> int:
        return len(self.cols["BilledCost"])


def usage(
    rows: Rows,
    day: date,
    *,
    account: str,
    svc: str,
    usage_type: str,
    quantity: float,
    unit: str,
    price: float,
    description: str,
    resource: str | None = None,
    resource_type: str | None = None,
    region: str = "us-east-1",
    az: str | None = None,
    tags: str | None = None,
    operation: str | None = None,
    committed: float | None = None,
) -> float:
    """Add one usage row; ``committed`` is the Savings Plan effective cost when covered."""
    acct_id, acct_name = ACCOUNTS[account]
    name, category, code = SERVICES[svc]
    bstart, bend = month_bounds(day)
    start = datetime(day.year, day.month, day.day)
    list_cost = round(quantity * price, 6)
    covered = committed is not None
    rows.add(
        BilledCost=0.0 if covered else list_cost,
        EffectiveCost=round(committed, 6) if committed is not None else list_cost,
        ListCost=list_cost,
        ContractedCost=list_cost,
        BillingAccountId=BILLING[0],
        BillingAccountName=BILLING[1],
        BillingAccountType="Billing Account",
        BillingCurrency="USD",
        BillingPeriodStart=bstart,
        BillingPeriodEnd=bend,
        ChargePeriodStart=start,
        ChargePeriodEnd=start + timedelta(days=1),
        ChargeCategory="Usage",
        ChargeDescription=description,
        ChargeFrequency="Usage-Based",
        InvoiceId=f"INV-{day:%Y%m}-{acct_id[:3]}",
        InvoiceIssuerName="Amazon Web Services, Inc.",
        ProviderName="AWS",
        PublisherName="Amazon Web Services, Inc.",
        PricingCategory="Committed" if covered else "Standard",
        PricingQuantity=quantity,
        PricingUnit=unit,
        ServiceCategory=category,
        ServiceName=name,
        AvailabilityZone=az,
        RegionId=region,
        RegionName=REGIONS[region],
        ResourceId=resource,
        ResourceName=resource,
        ResourceType=resource_type,
        SubAccountId=acct_id,
        SubAccountName=acct_name,
        SubAccountType="AWS Account",
        Tags=tags,
        ConsumedQuantity=quantity,
        ConsumedUnit=unit,
        ListUnitPrice=price,
        ContractedUnitPrice=price,
        SkuId=f"SKU-{abs(hash_str(usage_type + region)) % 10**8:08d}",
        CommitmentDiscountId=SP_ARN if covered else None,
        CommitmentDiscountName="compute-sp-2025" if covered else None,
        CommitmentDiscountCategory="Spend" if covered else None,
        CommitmentDiscountType="Compute Savings Plan" if covered else None,
        CommitmentDiscountStatus="Used" if covered else None,
        x_UsageType=usage_type,
        x_Operation=operation,
        x_ServiceCode=code,
    )
    return list_cost


SP_ARN = "arn:aws:savingsplans::100000000000:savingsplan/sp-0a1b2c3d4e5f"


def hash_str(text: str) -> int:
    """A stable (process-independent) hash of ``text``."""
    value = 2166136261
    for ch in text.encode():
        value = ((value ^ ch) * 16777619) % 2**32
    return value
