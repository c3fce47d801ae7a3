"""What destroy does with the REST API's logging role, which the stack retains (issue 17 item 14).

API Gateway writes REST access logs through one CloudWatch role per account and region
(``AWS::ApiGateway::Account``). The stack that set it keeps it on delete, because every REST API
in the region, this app's or not, logs through whichever role the account names. So on destroy:
a retained role the account still names stays, and destroy says so and how to remove it; one the
account no longer names (another stack set its own since) is unused, and destroy deletes it.
Nothing is left behind without a word.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from lambdaserve.cloud.aws import AwsClients, error_code
from lambdaserve.cloud.cfn.rest_api import ACCOUNT_ROLE, LOGS_POLICY, logs_policy_arn
from lambdaserve.cloud.ui import CloudUI

LOGICAL_ID = ACCOUNT_ROLE  # the template's logging role


def retained_role(clients: AwsClients, stack_id: str) -> str | None:
    """The name of the stack's API Gateway logging role, read before the stack goes; None without one."""
    # all of them (a stack holds under 100 here): moto fails on a LogicalResourceId it does not hold
    found = clients.call("cloudformation", "describe_stack_resources", StackName=stack_id)["StackResources"]
    names = [str(r["PhysicalResourceId"]) for r in found
             if r.get("LogicalResourceId") == LOGICAL_ID and r.get("PhysicalResourceId")]
    return names[0] if names else None


def settle_retained_role(clients: AwsClients, ui: CloudUI, role: str) -> bool:
    """After the stack is gone: delete ``role`` unless API Gateway's account names it; True if deleted."""
    account_role = str(clients.call("apigateway", "get_account").get("cloudwatchRoleArn") or "")
    region = clients.region
    if account_role.rsplit("/", 1)[-1] == role:
        partition = account_role.split(":")[1] if account_role.startswith("arn:") else "aws"
        ui.info(f"kept IAM role {role}: API Gateway's CloudWatch role for the whole account in {region}, "
                "through which every REST API there writes its logs. Once none needs it: "
                f"aws iam detach-role-policy --role-name {role} --policy-arn "
                f"{logs_policy_arn(partition)} && aws iam delete-role --role-name {role}")
        return False
    try:
        attached = clients.call("iam", "list_attached_role_policies", RoleName=role)["AttachedPolicies"]
        for policy in attached:  # only the one the template attached: the deployer may detach no other
            if str(policy["PolicyArn"]).endswith(f":policy/{LOGS_POLICY}"):
                clients.call("iam", "detach_role_policy", RoleName=role, PolicyArn=policy["PolicyArn"])
        clients.call("iam", "delete_role", RoleName=role)
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return False  # already gone
        if error_code(exc) == "DeleteConflict":
            ui.warn(f"kept IAM role {role}, the stack's old API Gateway logging role: someone attached "
                    "more policies to it; detach them and delete it if nothing uses it")
            return False
        raise
    ui.info(f"deleted IAM role {role}: the stack's API Gateway logging role, which the account in "
            f"{region} no longer uses")
    return True
