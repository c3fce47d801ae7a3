"""Who we deploy as, and the least-privilege IAM policy the deployer needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.cloud.iam.credentials import Identity, resolve_identity
    from lambdaserve.cloud.iam.policy import deployer_policy
    from lambdaserve.cloud.iam.rollout_rights import needs_rollout_policy, rollout_policy

_EXPORTS = {
    "Identity": "lambdaserve.cloud.iam.credentials",
    "deployer_policy": "lambdaserve.cloud.iam.policy",
    "needs_rollout_policy": "lambdaserve.cloud.iam.rollout_rights",
    "resolve_identity": "lambdaserve.cloud.iam.credentials",
    "rollout_policy": "lambdaserve.cloud.iam.rollout_rights",
}
__all__ = ["Identity", "deployer_policy", "needs_rollout_policy", "resolve_identity", "rollout_policy"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
