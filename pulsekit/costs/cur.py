"""Map AWS CUR 2.0 (Data Exports ``COST_AND_USAGE_REPORT``, Parquet or CSV) to the FOCUS columns."""

from __future__ import annotations

from pulsekit.costs import _schema
from pulsekit.costs._engine import ident
from pulsekit.costs._schema import typed
from pulsekit.errors import SchemaError

# Without these a CUR file cannot be mapped to FOCUS.
CUR_REQUIRED: tuple[str, ...] = (
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
    "line_item_line_item_type",
    "line_item_unblended_cost",
    "line_item_product_code",
    "line_item_usage_account_id",
)

_TYPES: dict[str, str] = {
    "bill_billing_period_start_date": "TIMESTAMP",
    "bill_billing_period_end_date": "TIMESTAMP",
    "line_item_usage_start_date": "TIMESTAMP",
    "line_item_usage_end_date": "TIMESTAMP",
    "line_item_unblended_cost": "DOUBLE",
    "pricing_public_on_demand_cost": "DOUBLE",
    "savings_plan_savings_plan_effective_cost": "DOUBLE",
    "savings_plan_total_commitment_to_date": "DOUBLE",
    "savings_plan_used_commitment": "DOUBLE",
    "reservation_effective_cost": "DOUBLE",
    "reservation_unused_amortized_upfront_fee_for_billing_period": "DOUBLE",
    "reservation_unused_recurring_fee": "DOUBLE",
    "line_item_usage_amount": "DOUBLE",
    "pricing_public_on_demand_rate": "DOUBLE",
}

SERVICE_CATEGORIES: dict[str, str] = {
    "AmazonEC2": "Compute",
    "AWSLambda": "Compute",
    "AmazonECS": "Compute",
    "AmazonEKS": "Compute",
    "AmazonS3": "Storage",
    "AmazonEFS": "Storage",
    "AmazonRDS": "Databases",
    "AmazonDynamoDB": "Databases",
    "AmazonElastiCache": "Databases",
    "AmazonVPC": "Networking",
    "AWSELB": "Networking",
    "AmazonCloudFront": "Networking",
    "AWSDataTransfer": "Networking",
    "AmazonRoute53": "Networking",
    "AmazonCloudWatch": "Management and Governance",
    "AWSCloudTrail": "Management and Governance",
    "AWSSecurityHub": "Security",
    "awskms": "Security",
}

_CATEGORY = """CASE {t}
    WHEN 'Tax' THEN 'Tax'
    WHEN 'Credit' THEN 'Credit'
    WHEN 'Refund' THEN 'Credit'
    WHEN 'BundledDiscount' THEN 'Credit'
    WHEN 'Discount' THEN 'Credit'
    WHEN 'SavingsPlanRecurringFee' THEN 'Purchase'
    WHEN 'SavingsPlanUpfrontFee' THEN 'Purchase'
    WHEN 'RIFee' THEN 'Purchase'
    WHEN 'Fee' THEN 'Purchase'
    ELSE 'Usage' END"""

# AWS's documented amortized-cost formula, line item type by line item type.
_EFFECTIVE = """CASE {t}
    WHEN 'SavingsPlanCoveredUsage' THEN coalesce({sp_eff}, 0)
    WHEN 'SavingsPlanRecurringFee' THEN coalesce({sp_total} - {sp_used}, 0)
    WHEN 'SavingsPlanNegation' THEN 0
    WHEN 'SavingsPlanUpfrontFee' THEN 0
    WHEN 'DiscountedUsage' THEN coalesce({ri_eff}, 0)
    WHEN 'RIFee' THEN coalesce({ri_unused_upfront}, 0) + coalesce({ri_unused_recurring}, 0)
    ELSE coalesce({unblended}, 0) END"""


def cur_select(columns: dict[str, str], what: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """The SELECT list mapping CUR 2.0 columns to canonical FOCUS columns, and the type checks."""
    missing = [c for c in CUR_REQUIRED if c not in columns]
    if missing:
        raise SchemaError(
            f"{what} looks like AWS CUR 2.0 but is missing {len(missing)} required column(s): "
            f"{', '.join(missing)}; export the COST_AND_USAGE_REPORT table with these columns"
        )
    checks: dict[str, tuple[str, str]] = {}

    def col(name: str, target: str | None = None) -> str:
        target = target or _TYPES.get(name, "VARCHAR")
        if name not in columns:
            return f"CAST(NULL AS {target})"
        conv = typed(ident(name), columns[name], target)
        if target != "VARCHAR" and columns[name].upper() == "VARCHAR":
            checks[name] = (ident(name), conv)
        return conv

    def product(key: str) -> str:
        if "product" not in columns:
            return "CAST(NULL AS VARCHAR)"
        if columns["product"].upper().startswith("MAP"):
            return f"CAST(product[{_lit(key)}] AS VARCHAR)"
        return f"json_extract_string(product, {_lit('$.' + key)})"

    t = col("line_item_line_item_type")
    unblended = col("line_item_unblended_cost")
    code = col("line_item_product_code")
    region = f"coalesce({col('product_region_code')}, {product('region')})"
    cat = (
        "CASE "
        + code
        + " "
        + " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in SERVICE_CATEGORIES.items())
    )
    effective = _EFFECTIVE.format(
        t=t,
        sp_eff=col("savings_plan_savings_plan_effective_cost"),
        sp_total=col("savings_plan_total_commitment_to_date"),
        sp_used=col("savings_plan_used_commitment"),
        ri_eff=col("reservation_effective_cost"),
        ri_unused_upfront=col("reservation_unused_amortized_upfront_fee_for_billing_period"),
        ri_unused_recurring=col("reservation_unused_recurring_fee"),
        unblended=unblended,
    )
    billed = f"coalesce({unblended}, 0)"
    list_cost = f"coalesce({col('pricing_public_on_demand_cost')}, {billed})"
    sp_arn = col("savings_plan_savings_plan_a_r_n")
    ri_arn = col("reservation_reservation_a_r_n")
    commitment = f"coalesce(NULLIF({sp_arn}, ''), NULLIF({ri_arn}, ''))"
    exprs: dict[str, str] = {
        "BilledCost": billed,
        "EffectiveCost": effective,
        "ListCost": list_cost,
        "ContractedCost": billed,
        "BillingAccountId": col("bill_payer_account_id"),
        "BillingAccountName": col("bill_payer_account_name"),
        "BillingAccountType": "CAST(NULL AS VARCHAR)",
        "BillingCurrency": f"coalesce({col('line_item_currency_code')}, 'USD')",
        "BillingPeriodStart": col("bill_billing_period_start_date"),
        "BillingPeriodEnd": col("bill_billing_period_end_date"),
        "ChargePeriodStart": col("line_item_usage_start_date"),
        "ChargePeriodEnd": col("line_item_usage_end_date"),
        "ChargeCategory": _CATEGORY.format(t=t),
        "ChargeClass": f"CASE WHEN {t} = 'Refund' THEN 'Correction' END",
        "ChargeDescription": col("line_item_line_item_description"),
        "ChargeFrequency": f"CASE WHEN {t} IN ('Tax', 'Credit', 'Refund') THEN 'One-Time' "
        f"WHEN {t} LIKE '%Fee' THEN 'Recurring' ELSE 'Usage-Based' END",
        "InvoiceId": col("bill_invoice_id"),
        "InvoiceIssuerName": f"coalesce({col('bill_invoicing_entity')}, 'Amazon Web Services, Inc.')",
        "ProviderName": "'AWS'",
        "PublisherName": f"coalesce({col('line_item_legal_entity')}, 'Amazon Web Services, Inc.')",
        "PricingCategory": f"CASE WHEN {t} IN ('SavingsPlanCoveredUsage', 'DiscountedUsage') "
        f"THEN 'Committed' WHEN {t} = 'Usage' THEN 'Standard' END",
        "PricingQuantity": col("line_item_usage_amount"),
        "PricingUnit": col("pricing_unit"),
        "ServiceCategory": f"coalesce({cat} END, 'Other')",
        "ServiceName": f"coalesce({product('product_name')}, {code})",
        "ServiceSubcategory": "CAST(NULL AS VARCHAR)",
        "AvailabilityZone": f"NULLIF({col('line_item_availability_zone')}, '')",
        "RegionId": f"NULLIF({region}, '')",
        "RegionName": col("product_location"),
        "ResourceId": f"NULLIF({col('line_item_resource_id')}, '')",
        "ResourceName": "CAST(NULL AS VARCHAR)",
        "ResourceType": "CAST(NULL AS VARCHAR)",
        "SubAccountId": col("line_item_usage_account_id"),
        "SubAccountName": col("line_item_usage_account_name"),
        "SubAccountType": "CAST(NULL AS VARCHAR)",
        "Tags": _tags(columns),
        "ConsumedQuantity": col("line_item_usage_amount"),
        "ConsumedUnit": col("pricing_unit"),
        "ListUnitPrice": col("pricing_public_on_demand_rate"),
        "ContractedUnitPrice": "CAST(NULL AS DOUBLE)",
        "SkuId": col("product_sku"),
        "SkuPriceId": "CAST(NULL AS VARCHAR)",
        "CommitmentDiscountId": commitment,
        "CommitmentDiscountName": commitment,
        "CommitmentDiscountCategory": f"CASE WHEN NULLIF({sp_arn}, '') IS NOT NULL THEN 'Spend' "
        f"WHEN NULLIF({ri_arn}, '') IS NOT NULL THEN 'Usage' END",
        "CommitmentDiscountType": f"CASE WHEN NULLIF({sp_arn}, '') IS NOT NULL THEN 'Savings Plan' "
        f"WHEN NULLIF({ri_arn}, '') IS NOT NULL THEN 'Reserved Instance' END",
        "CommitmentDiscountStatus": f"CASE WHEN {t} IN ('SavingsPlanCoveredUsage', "
        f"'DiscountedUsage') THEN 'Used' END",
        "x_UsageType": col("line_item_usage_type"),
        "x_Operation": col("line_item_operation"),
        "x_ServiceCode": code,
    }
    select = [f"{exprs[c]} AS {ident(c)}" for c in _schema.COLUMNS]
    return ",\n  ".join(select), checks


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _tags(columns: dict[str, str]) -> str:
    """``resource_tags`` (a MAP in Parquet, JSON text in CSV) as FOCUS JSON without ``user_``."""
    if "resource_tags" not in columns:
        return "CAST(NULL AS VARCHAR)"
    raw = ident("resource_tags")
    if not columns["resource_tags"].upper().startswith("MAP"):
        raw = f"json_transform(NULLIF({raw}, ''), '\"MAP(VARCHAR, VARCHAR)\"')"
    entries = (
        f"list_transform(list_filter(map_entries({raw}), e -> coalesce(e.value, '') <> ''), "
        "e -> {key: regexp_replace(e.key, '^user_', ''), value: e.value})"
    )
    return f"CASE WHEN len({entries}) > 0 THEN CAST(to_json(map_from_entries({entries})) AS VARCHAR) END"
