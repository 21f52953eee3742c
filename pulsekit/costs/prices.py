"""Public AWS us-east-1 list prices (USD) used by the sample and the savings estimates.

Prices change: verify on https://aws.amazon.com/ebs/pricing/, /vpc/pricing/ and /ec2/pricing/.
"""

from __future__ import annotations

from types import MappingProxyType

PRICES_AS_OF = "2025-09"  # the date of the AWS price strings these figures were taken from

PRICES = MappingProxyType(
    {
        "ebs_gp2_gb_month": 0.10,
        "ebs_gp3_gb_month": 0.08,
        "ebs_gp3_iops_month": 0.005,  # per provisioned IOPS-month above 3,000
        "ebs_gp3_mibps_month": 0.04,  # per provisioned MiB/s-month above 125
        "internet_out_gb": 0.09,  # first 10 TB/month beyond the 100 GB free tier
        "nat_gateway_hour": 0.045,
        "nat_gateway_gb": 0.045,
        "inter_az_gb": 0.01,  # each direction
        "inter_region_us_gb": 0.02,
        "public_ipv4_hour": 0.005,
        "alb_hour": 0.0225,
        "alb_lcu_hour": 0.008,
        "cloudfront_us_gb": 0.085,
        "s3_standard_gb_month": 0.023,
        "s3_get_per_1k": 0.0004,
        "s3_put_per_1k": 0.005,
        "cloudwatch_logs_gb": 0.50,
    }
)

GP3_BASE_IOPS = 3000
GP3_BASE_MIBPS = 125
