"""The one stack failure deploy retries by itself: API Gateway refusing a logging role IAM has
not propagated yet.

``AWS::ApiGateway::Account`` checks that API Gateway may assume the role it is given. A role
created moments before by the same stack can still be unknown to that check, and the resource
fails with "The role ARN does not have required permissions set to API Gateway" (aws-cdk #2194).
Nothing is wrong with the template: the same stack succeeds once IAM has caught up. Deploy waits
and runs the change set once more; any other failure, or a second one, is reported as it is.
"""

from __future__ import annotations

from lambdaserve.cloud.stack.events import WaitResult

ACCOUNT_TYPE = "AWS::ApiGateway::Account"
REASON = "The role ARN does not have required permissions set to API Gateway"
# IAM propagation usually takes seconds; AWS documents no bound. One wait, then one retry.
PROPAGATION_WAIT_S = 30.0


def is_role_race(result: WaitResult) -> bool:
    """Whether the stack failed because of that one race, and of nothing else."""
    real = [f for f in result.failures
            if not f.reason.startswith(("Resource creation cancelled", "Resource update cancelled",
                                        "The following resource(s) failed"))]
    return bool(real) and all(f.resource_type == ACCOUNT_TYPE and REASON in f.reason for f in real)
