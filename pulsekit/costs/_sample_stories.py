"""The injected stories of the sample: network, platform services, Savings Plan, credits, tax."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pulsekit.costs._sample_rows import (
    ACCOUNTS,
    BILLING,
    CHATTER_FROM,
    MONTHLY_GROWTH,
    SP_ARN,
    SP_HOURLY_COMMITMENT,
    TAX_RATE,
    Rows,
    month_bounds,
    tag_json,
    usage,
)
from pulsekit.costs.prices import PRICES


def eu_instances(rows: Rows, day: date) -> None:
    for k in range(2):
        usage(
            rows,
            day,
            account="prod",
            svc="ec2",
            usage_type="EU-BoxUsage:m6i.xlarge",
            quantity=24.0,
            unit="Hours",
            price=0.214,
            region="eu-west-1",
            az="eu-west-1a",
            description="$0.214 per On Demand Linux m6i.xlarge Instance Hour",
            resource=f"i-0euweb{k:03d}",
            resource_type="Instance",
            tags=tag_json("storefront", "web", "prod"),
            operation="RunInstances",
        )


def savings_plan(rows: Rows, day: date, commitment: float, used: float) -> None:
    bstart, bend = month_bounds(day)
    start = datetime(day.year, day.month, day.day)
    acct_id, acct_name = ACCOUNTS["prod"]
    common = dict(
        BillingAccountId=BILLING[0],
        BillingAccountName=BILLING[1],
        BillingCurrency="USD",
        BillingAccountType="Billing Account",
        BillingPeriodStart=bstart,
        BillingPeriodEnd=bend,
        ChargePeriodStart=start,
        ChargePeriodEnd=start + timedelta(days=1),
        InvoiceId=f"INV-{day:%Y%m}-{acct_id[:3]}",
        InvoiceIssuerName="Amazon Web Services, Inc.",
        ProviderName="AWS",
        PublisherName="Amazon Web Services, Inc.",
        ServiceCategory="Compute",
        ServiceName="Savings Plans for AWS Compute usage",
        SubAccountId=acct_id,
        SubAccountName=acct_name,
        SubAccountType="AWS Account",
        RegionId=None,
        CommitmentDiscountId=SP_ARN,
        CommitmentDiscountName="compute-sp-2025",
        CommitmentDiscountCategory="Spend",
        CommitmentDiscountType="Compute Savings Plan",
        x_ServiceCode="ComputeSavingsPlans",
        PricingUnit="Hours",
        ConsumedUnit="Hours",
        Tags=tag_json("platform", None, "prod"),
        ResourceId=SP_ARN,
        ResourceType="Savings Plan",
    )
    rows.add(
        **common,
        BilledCost=commitment,
        EffectiveCost=0.0,
        ListCost=0.0,
        ContractedCost=0.0,
        ChargeCategory="Purchase",
        ChargeFrequency="Recurring",
        PricingQuantity=24.0,
        ChargeDescription=f"1 year No Upfront Compute Savings Plan, ${SP_HOURLY_COMMITMENT}/hour",
        x_UsageType="ComputeSP:1yrNoUpfront",
    )
    unused = round(commitment - used, 6)
    if unused > 0:
        rows.add(
            **common,
            BilledCost=0.0,
            EffectiveCost=unused,
            ListCost=0.0,
            ContractedCost=0.0,
            ChargeCategory="Usage",
            ChargeFrequency="Usage-Based",
            PricingQuantity=0.0,
            CommitmentDiscountStatus="Unused",
            ChargeDescription="Unused Savings Plan commitment",
            x_UsageType="ComputeSP:1yrNoUpfront:Unused",
        )


def network(rows: Rows, day: date, traffic: float, noise: Any, spike: bool) -> None:
    net = tag_json("platform", "network", "prod")
    for az in "abc":
        nat = f"nat-0prod{az}0000000001"
        usage(
            rows,
            day,
            account="prod",
            svc="net",
            usage_type="NatGateway-Hours",
            quantity=24.0,
            unit="Hours",
            price=PRICES["nat_gateway_hour"],
            resource=nat,
            resource_type="NAT Gateway",
            az=f"us-east-1{az}",
            tags=net,
            operation="NatGateway",
            description="$0.045 per NAT Gateway Hour",
        )
        gb = 300 * traffic * noise()
        if spike and az == "b":
            gb += 6000 * noise(0.08)  # the re-sync job pulling images from S3 through the NAT
        usage(
            rows,
            day,
            account="prod",
            svc="net",
            usage_type="NatGateway-Bytes",
            quantity=round(gb, 3),
            unit="GB",
            price=PRICES["nat_gateway_gb"],
            resource=nat,
            resource_type="NAT Gateway",
            az=f"us-east-1{az}",
            tags=net,
            operation="NatGateway",
            description="$0.045 per GB Data Processed by NAT Gateways",
        )
    idle = "nat-0stagingidle0001"
    for utype, qty, price, desc in (
        ("NatGateway-Hours", 24.0, PRICES["nat_gateway_hour"], "$0.045 per NAT Gateway Hour"),
        ("NatGateway-Bytes", 0.02, PRICES["nat_gateway_gb"], "$0.045 per GB Data Processed"),
    ):
        usage(
            rows,
            day,
            account="staging",
            svc="net",
            usage_type=utype,
            quantity=qty,
            unit=("Hours" if utype.endswith("Hours") else "GB"),
            price=price,
            resource=idle,
            resource_type="NAT Gateway",
            az="us-east-1a",
            tags=tag_json(None, None, "staging"),
            operation="NatGateway",
            description=desc,
        )
    for k, (acct, utype) in enumerate(
        [("prod", "PublicIPv4:InUseAddress")] * 4
        + [("prod", "PublicIPv4:IdleAddress"), ("staging", "PublicIPv4:IdleAddress")] * 2
    ):
        usage(
            rows,
            day,
            account=acct,
            svc="net",
            usage_type=utype,
            quantity=24.0,
            unit="Hours",
            price=PRICES["public_ipv4_hour"],
            resource=f"eipalloc-0{k:02d}{acct}",
            resource_type="Elastic IP",
            tags=None if "Idle" in utype else net,
            description="$0.005 per public IPv4 address per hour",
            operation="AssociateAddress",
        )
    # inter-AZ chatter between search and its cache, much worse after a deploy
    chatter = (2500.0 if day >= CHATTER_FROM else 200.0) * traffic * noise()
    for op in ("InterZone-Out", "InterZone-In"):
        usage(
            rows,
            day,
            account="prod",
            svc="dt",
            usage_type="DataTransfer-Regional-Bytes",
            quantity=round(chatter, 3),
            unit="GB",
            price=PRICES["inter_az_gb"],
            operation=op,
            resource="i-0sear000search",
            tags=tag_json("discovery", "search", "prod"),
            description="$0.010 per GB - regional data transfer - in/out/between EC2 AZs",
        )
    usage(
        rows,
        day,
        account="prod",
        svc="dt",
        usage_type="DataTransfer-Out-Bytes",
        quantity=round(400 * traffic * noise(), 3),
        unit="GB",
        price=PRICES["internet_out_gb"],
        tags=tag_json("storefront", "web", "prod"),
        operation="RunInstances",
        description="$0.090 per GB - first 10 TB / month data transfer out beyond the free tier",
    )
    usage(
        rows,
        day,
        account="prod",
        svc="dt",
        usage_type="USE1-USW2-AWS-Out-Bytes",
        quantity=round(300 * traffic * noise(), 3),
        unit="GB",
        price=PRICES["inter_region_us_gb"],
        tags=tag_json("catalog", "catalog", "prod", style="messy"),
        operation="PutObject",
        description="$0.02 per GB - US East (Northern Virginia) data transfer to US West (Oregon)",
    )
    for geo, gb in (("US", 2000), ("EU", 500)):
        usage(
            rows,
            day,
            account="prod",
            svc="cf",
            usage_type=f"{geo}-DataTransfer-Out-Bytes",
            quantity=round(gb * traffic * noise(), 3),
            unit="GB",
            price=PRICES["cloudfront_us_gb"],
            resource="E2STOREFRONT00",
            region="us-east-1",
            resource_type="Distribution",
            tags=tag_json("storefront", "web", "prod"),
            description=f"$0.085 per GB - first 10 TB / month data transfer out ({geo})",
        )
    for name, acct, lcu in (
        ("app/storefront/0a1b", "prod", 60.0),
        ("app/legacy-admin/9f8e", "staging", 0.0),
    ):
        tags = (
            tag_json("storefront", "web", "prod")
            if acct == "prod"
            else tag_json(None, None, "staging")
        )
        usage(
            rows,
            day,
            account=acct,
            svc="elb",
            usage_type="LoadBalancerUsage",
            quantity=24.0,
            unit="Hours",
            price=PRICES["alb_hour"],
            resource=name,
            resource_type="Load Balancer",
            tags=tags,
            description="$0.0225 per Application LoadBalancer-hour",
        )
        usage(
            rows,
            day,
            account=acct,
            svc="elb",
            usage_type="LCUUsage",
            quantity=round(lcu * traffic * noise(), 3),
            unit="LCU-Hours",
            price=PRICES["alb_lcu_hour"],
            resource=name,
            resource_type="Load Balancer",
            tags=tags,
            description="$0.008 per used Application load balancer capacity unit-hour",
        )


def platform(
    rows: Rows, day: date, traffic: float, growth: float, noise: Any, spike: bool, dim: int
) -> None:
    images_gb = 40000 * growth
    lake_gb = 200000 * (1 + 0.05 * ((growth - 1) / MONTHLY_GROWTH))
    for bucket, acct, gb, tags in (
        (
            "marketplace-product-images",
            "prod",
            images_gb,
            tag_json("catalog", "catalog", "prod", style="messy"),
        ),
        ("data-lake-raw", "data", lake_gb, None),
    ):
        usage(
            rows,
            day,
            account=acct,
            svc="s3",
            usage_type="TimedStorage-ByteHrs",
            quantity=round(gb / dim, 3),
            unit="GB-Month",
            price=PRICES["s3_standard_gb_month"],
            resource=bucket,
            resource_type="Bucket",
            tags=tags,
            description="$0.023 per GB - first 50 TB / month of storage used",
        )
    gets = 30e6 * traffic * noise() + (60e6 * noise(0.08) if spike else 0.0)
    usage(
        rows,
        day,
        account="prod",
        svc="s3",
        usage_type="Requests-Tier2",
        quantity=round(gets),
        unit="Requests",
        price=PRICES["s3_get_per_1k"] / 1000,
        resource="marketplace-product-images",
        resource_type="Bucket",
        tags=tag_json("catalog", "catalog", "prod", style="messy"),  # the bucket's tags
        description="$0.0004 per 1,000 GET and all other requests",
        operation="GetObject",
    )
    for db, team, svc, rate, acct, region in (
        ("catalog-db", "catalog", "catalog", 1.798, "prod", "us-east-1"),
        ("orders-db", "checkout", "checkout", 1.798, "prod", "us-east-1"),
        ("payments-db", "payments", "payments", 0.90, "prod", "us-east-1"),
        ("catalog-db-dr", "catalog", "catalog", 0.45, "prod", "us-west-2"),
    ):
        usage(
            rows,
            day,
            account=acct,
            svc="rds",
            usage_type="InstanceUsage:db.r6g.2xl",
            quantity=24.0,
            unit="Hours",
            price=rate,
            resource=f"arn:aws:rds:{region}:111111111111:db:{db}",
            resource_type="DB Instance",
            region=region,
            tags=tag_json(team, svc, "prod", style="messy" if team == "catalog" else "std"),
            description=f"${rate} per RDS PostgreSQL instance hour (Multi-AZ)",
        )
    for k in range(3):
        usage(
            rows,
            day,
            account="prod",
            svc="cache",
            usage_type="NodeUsage:cache.r6g.xlarge",
            quantity=24.0,
            unit="Hours",
            price=0.411,
            resource=f"search-cache-00{k + 1}",
            resource_type="Cache Node",
            az="us-east-1b",
            tags=tag_json("discovery", "search", "prod"),
            description="$0.411 per Node Hour for cache.r6g.xlarge",
        )
    usage(
        rows,
        day,
        account="prod",
        svc="cw",
        usage_type="DataProcessing-Bytes",
        quantity=round(60 * traffic * noise(), 3),
        unit="GB",
        price=PRICES["cloudwatch_logs_gb"],
        tags=None,
        description="$0.50 per GB custom log data ingested",
    )
    usage(
        rows,
        day,
        account="prod",
        svc="lambda",
        usage_type="Lambda-GB-Second",
        quantity=round(2.5e6 * traffic * noise()),
        unit="GB-Seconds",
        price=0.0000166667,
        resource="image-resizer",
        resource_type="Function",
        tags=tag_json("catalog", "catalog", "prod"),
        description="AWS Lambda - Total Compute",
        operation="Invoke",
    )


def credits_and_tax(rows: Rows, start: date, end: date) -> None:
    cols = rows.cols
    monthly: dict[tuple[datetime, str], float] = {}
    for i in range(len(rows)):
        key = (cols["BillingPeriodStart"][i], cols["SubAccountId"][i])
        monthly[key] = monthly.get(key, 0.0) + cols["BilledCost"][i]
    names = {v[0]: v[1] for v in ACCOUNTS.values()}
    for (bstart, acct), billed in sorted(monthly.items()):
        bend = month_bounds(bstart.date())[1]
        base = dict(
            BillingAccountId=BILLING[0],
            BillingAccountName=BILLING[1],
            BillingCurrency="USD",
            BillingAccountType="Billing Account",
            BillingPeriodStart=bstart,
            BillingPeriodEnd=bend,
            ChargePeriodStart=bstart,
            ChargePeriodEnd=bend,
            InvoiceId=f"INV-{bstart:%Y%m}-{acct[:3]}",
            InvoiceIssuerName="Amazon Web Services, Inc.",
            ProviderName="AWS",
            PublisherName="Amazon Web Services, Inc.",
            SubAccountId=acct,
            SubAccountName=names[acct],
            SubAccountType="AWS Account",
            ChargeFrequency="One-Time",
        )
        if acct == ACCOUNTS["prod"][0] and date(2025, 4, 1) <= bstart.date() < date(2025, 7, 1):
            rows.add(
                **base,
                BilledCost=-1000.0,
                EffectiveCost=-1000.0,
                ListCost=0.0,
                ContractedCost=0.0,
                ChargeCategory="Credit",
                ChargeDescription="Migration Acceleration Program credit",
                ServiceCategory="Compute",
                ServiceName="Amazon Elastic Compute Cloud",
                x_ServiceCode="AmazonEC2",
            )
            billed -= 1000.0
        tax = round(billed * TAX_RATE, 2)
        rows.add(
            **base,
            BilledCost=tax,
            EffectiveCost=tax,
            ListCost=tax,
            ContractedCost=tax,
            ChargeCategory="Tax",
            ChargeDescription="Tax for the billing period",
            ServiceCategory="Other",
            ServiceName="Tax",
            x_ServiceCode="Tax",
        )
