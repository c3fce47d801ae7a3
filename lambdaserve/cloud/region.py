"""The one region resolution every cloud verb uses (deploy, policy, status, doctor ...).

Order: --region, then deploy.region in lambdaserve.toml, then what the session resolves
(AWS_REGION, AWS_DEFAULT_REGION, the profile's `region` in ~/.aws/config), as the AWS CLI does.
"""

from __future__ import annotations

import boto3

from lambdaserve.errors import CloudError


def resolve_region(flag: str | None, configured: str | None, session: boto3.Session) -> str:
    """The region to work in, or a CloudError saying every place that was looked at."""
    region = flag or configured or session.region_name or ""
    if not region:
        raise CloudError("no AWS region is set: not by --region, deploy.region, AWS_REGION, "
                         "AWS_DEFAULT_REGION nor the profile's region",
                         hint="Pass --region eu-west-1, set deploy.region in lambdaserve.toml, or export "
                              "AWS_REGION.")
    return region
