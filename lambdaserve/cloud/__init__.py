"""The AWS side: templates, the deployer's policy, deploys, and the deployed app's operations.

aws.py    the only module that creates boto3 clients (endpoint URL, retries, error wording)
local.py  the local cloud: moto as the control plane for `deploy --target local`
ui.py     what cloud operations report while they run
cfn/      the CloudFormation template and its SAM export (pure)
iam/      who deploys, and the least-privilege policy they need
store/    the artifact bucket and ECR repository, and artifact references
stack/    deploy through change sets, stack events, outputs, destroy, status
ops/      the deployed function's logs and remote invokes
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.cloud.aws import AwsClients, explain, make_session
    from lambdaserve.cloud.local import ENV_ENDPOINT, LOCAL_REGION, LocalCloud, start_local_cloud
    from lambdaserve.cloud.region import resolve_region
    from lambdaserve.cloud.ui import CloudUI

_EXPORTS = {
    "AwsClients": "lambdaserve.cloud.aws",
    "CloudUI": "lambdaserve.cloud.ui",
    "ENV_ENDPOINT": "lambdaserve.cloud.local",
    "LOCAL_REGION": "lambdaserve.cloud.local",
    "LocalCloud": "lambdaserve.cloud.local",
    "explain": "lambdaserve.cloud.aws",
    "make_session": "lambdaserve.cloud.aws",
    "resolve_region": "lambdaserve.cloud.region",
    "start_local_cloud": "lambdaserve.cloud.local",
}
__all__ = [
    "AwsClients",
    "CloudUI",
    "ENV_ENDPOINT",
    "LOCAL_REGION",
    "LocalCloud",
    "explain",
    "make_session",
    "resolve_region",
    "start_local_cloud",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
