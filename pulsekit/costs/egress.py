"""Classify data-transfer charges (internet, inter-region, inter-AZ, NAT, CloudFront) by usage type."""

from __future__ import annotations

import re

EGRESS_CLASSES: tuple[str, ...] = (
    "internet_out",
    "inter_region",
    "inter_az",
    "nat_processing",
    "cloudfront",
    "other_transfer",
)

_INTERNET = re.compile(r"^([A-Z]{2,4}\d?-)?DataTransfer-Out-Bytes$")
_INTER_REGION = re.compile(r"-AWS-(Out|In)-Bytes$")
_INTER_AZ = re.compile(r"DataTransfer-Regional-Bytes$")
_NAT = re.compile(r"NatGateway-Bytes$")
_TRANSFER = re.compile(r"(DataTransfer|-Bytes$|-OBytes$)")


def classify_usage_type(usage_type: str | None, service: str | None = None) -> str | None:
    """The egress class of an AWS usage type, or None when it is not data transfer.

    No region prefix means us-east-1; CloudFront is recognised by its service, since its geography
    prefixes (``US-``, ``EU-``) look like region prefixes.

    >>> classify_usage_type("USE1-USW2-AWS-Out-Bytes")
    'inter_region'
    """
    if not usage_type:
        return None
    if service and "cloudfront" in service.lower() and _TRANSFER.search(usage_type):
        return "cloudfront"
    if _NAT.search(usage_type):
        return "nat_processing"
    if _INTER_REGION.search(usage_type):
        return "inter_region"
    if _INTER_AZ.search(usage_type):
        return "inter_az"
    if _INTERNET.search(usage_type):
        return "internet_out"
    if _TRANSFER.search(usage_type):
        return "other_transfer"
    return None


def egress_sql(usage: str = "x_UsageType", service: str = "ServiceName") -> str:
    """The same classification as a SQL CASE expression (NULL when not data transfer)."""
    return f"""CASE
        WHEN {usage} IS NULL THEN NULL
        WHEN {service} ILIKE '%cloudfront%' AND regexp_matches({usage}, '(DataTransfer|-Bytes$|-OBytes$)')
            THEN 'cloudfront'
        WHEN regexp_matches({usage}, 'NatGateway-Bytes$') THEN 'nat_processing'
        WHEN regexp_matches({usage}, '-AWS-(Out|In)-Bytes$') THEN 'inter_region'
        WHEN regexp_matches({usage}, 'DataTransfer-Regional-Bytes$') THEN 'inter_az'
        WHEN regexp_matches({usage}, '^([A-Z]{{2,4}}[0-9]?-)?DataTransfer-Out-Bytes$')
            THEN 'internet_out'
        WHEN regexp_matches({usage}, '(DataTransfer|-Bytes$|-OBytes$)') THEN 'other_transfer'
        ELSE NULL END"""
