"""The canonical cost schema (FOCUS 1.2 column IDs), version aliases and query dimensions."""

from __future__ import annotations

# The 21 columns FOCUS 1.2 says must be present (nulls are tolerated: exports have conformance gaps).
MANDATORY: tuple[str, ...] = (
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "InvoiceIssuerName",
    "ProviderName",
    "PublisherName",
    "PricingQuantity",
    "PricingUnit",
    "ServiceCategory",
    "ServiceName",
)

# Every canonical column with its DuckDB type; absent optional columns are added as typed NULLs.
COLUMNS: dict[str, str] = {
    "BilledCost": "DOUBLE",
    "EffectiveCost": "DOUBLE",
    "ListCost": "DOUBLE",
    "ContractedCost": "DOUBLE",
    "BillingAccountId": "VARCHAR",
    "BillingAccountName": "VARCHAR",
    "BillingAccountType": "VARCHAR",
    "BillingCurrency": "VARCHAR",
    "BillingPeriodStart": "TIMESTAMP",
    "BillingPeriodEnd": "TIMESTAMP",
    "ChargePeriodStart": "TIMESTAMP",
    "ChargePeriodEnd": "TIMESTAMP",
    "ChargeCategory": "VARCHAR",
    "ChargeClass": "VARCHAR",
    "ChargeDescription": "VARCHAR",
    "ChargeFrequency": "VARCHAR",
    "InvoiceId": "VARCHAR",
    "InvoiceIssuerName": "VARCHAR",
    "ProviderName": "VARCHAR",
    "PublisherName": "VARCHAR",
    "PricingCategory": "VARCHAR",
    "PricingQuantity": "DOUBLE",
    "PricingUnit": "VARCHAR",
    "ServiceCategory": "VARCHAR",
    "ServiceName": "VARCHAR",
    "ServiceSubcategory": "VARCHAR",
    "AvailabilityZone": "VARCHAR",
    "RegionId": "VARCHAR",
    "RegionName": "VARCHAR",
    "ResourceId": "VARCHAR",
    "ResourceName": "VARCHAR",
    "ResourceType": "VARCHAR",
    "SubAccountId": "VARCHAR",
    "SubAccountName": "VARCHAR",
    "SubAccountType": "VARCHAR",
    "Tags": "VARCHAR",
    "ConsumedQuantity": "DOUBLE",
    "ConsumedUnit": "VARCHAR",
    "ListUnitPrice": "DOUBLE",
    "ContractedUnitPrice": "DOUBLE",
    "SkuId": "VARCHAR",
    "SkuPriceId": "VARCHAR",
    "CommitmentDiscountId": "VARCHAR",
    "CommitmentDiscountName": "VARCHAR",
    "CommitmentDiscountCategory": "VARCHAR",
    "CommitmentDiscountType": "VARCHAR",
    "CommitmentDiscountStatus": "VARCHAR",
    "x_UsageType": "VARCHAR",
    "x_Operation": "VARCHAR",
    "x_ServiceCode": "VARCHAR",
}

# Older and newer FOCUS names -> the 1.2 column they stand for (used only when the 1.2 name is absent).
ALIASES: dict[str, str] = {
    "ServiceProviderName": "ProviderName",  # 1.3+: replaces ProviderName (removed in 1.4)
    "HostProviderName": "PublisherName",  # 1.3+: PublisherName is deprecated, then removed
    "AmortizedCost": "EffectiveCost",  # 0.5
    "ChargeType": "ChargeCategory",  # 0.5
    "UsageQuantity": "ConsumedQuantity",  # 0.5
    "UsageUnit": "ConsumedUnit",  # 0.5
    "Region": "RegionId",  # 0.5
    "UsageType": "x_UsageType",
}

METRICS: tuple[str, ...] = (
    "EffectiveCost",
    "BilledCost",
    "ListCost",
    "ContractedCost",
    "PricingQuantity",
    "ConsumedQuantity",
)

# Friendly dimension names -> SQL expressions over the canonical columns.
DIMENSIONS: dict[str, str] = {
    "service": "ServiceName",
    "service_category": "ServiceCategory",
    "provider": "ProviderName",
    "billing_account": "BillingAccountName",
    "account": "SubAccountName",
    "account_id": "SubAccountId",
    "region": "RegionId",
    "az": "AvailabilityZone",
    "resource": "ResourceId",
    "resource_type": "ResourceType",
    "usage_type": "x_UsageType",
    "operation": "x_Operation",
    "charge_category": "ChargeCategory",
    "pricing_category": "PricingCategory",
    "commitment": "CommitmentDiscountName",
    "currency": "BillingCurrency",
    "sku": "SkuId",
}

GRAINS: tuple[str, ...] = ("hour", "day", "week", "month", "quarter", "year", "total")


def arrow_schema() -> object:
    """The canonical columns as a pyarrow schema (timestamps in microseconds, naive UTC)."""
    import pyarrow as pa

    kinds = {"DOUBLE": pa.float64(), "VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us")}
    return pa.schema([(c, kinds[t]) for c, t in COLUMNS.items()])


_NUMERIC = (
    "DOUBLE",
    "FLOAT",
    "DECIMAL",
    "INTEGER",
    "BIGINT",
    "SMALLINT",
    "TINYINT",
    "HUGEINT",
    "UB",
)


def typed(expr: str, raw_type: str, target: str) -> str:
    """SQL turning a raw column of ``raw_type`` into the canonical ``target`` type."""
    raw = raw_type.upper()
    if target == "DOUBLE":
        if raw.startswith(_NUMERIC):
            return f"CAST({expr} AS DOUBLE)"
        return f"TRY_CAST(NULLIF(trim(CAST({expr} AS VARCHAR)), '') AS DOUBLE)"
    if target == "TIMESTAMP":
        if raw == "TIMESTAMP":
            return expr
        if raw.startswith(("TIMESTAMP", "DATE")):
            return f"CAST({expr} AS TIMESTAMP)"
        return (
            f"CAST(TRY_CAST(NULLIF(trim(CAST({expr} AS VARCHAR)), '') AS TIMESTAMPTZ) AS TIMESTAMP)"
        )
    if raw.startswith(("MAP", "STRUCT")):
        return f"CAST(to_json({expr}) AS VARCHAR)"
    return f"CAST({expr} AS VARCHAR)"
