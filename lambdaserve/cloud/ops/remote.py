"""`lambdaserve invoke --remote`: call the deployed function and show its log tail."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from botocore.exceptions import ClientError

from lambdaserve.cloud.aws import AwsClients, error_code, error_message
from lambdaserve.errors import CloudError


@dataclass(frozen=True)
class RemoteInvokeResult:
    status: int  # the Invoke API's HTTP status (200 even when the handler raised)
    payload: bytes
    function_error: str  # "Unhandled" / "Handled" when the function failed, else ""
    log_tail: str  # the last 4 KB of the invocation's log, REPORT line included
    version: str


def remote_invoke(clients: AwsClients, function_name: str, payload: bytes,
                  qualifier: str | None = None) -> RemoteInvokeResult:
    """A synchronous invoke with LogType=Tail."""
    params: dict[str, object] = {"FunctionName": function_name, "Payload": payload,
                                 "InvocationType": "RequestResponse", "LogType": "Tail"}
    if qualifier:
        params["Qualifier"] = qualifier
    try:
        answer = clients.call("lambda", "invoke", **params)
    except ClientError as exc:
        code = error_code(exc)
        hint = {"ResourceNotFoundException": "Deploy it first with `lambdaserve deploy`.",
                "RequestEntityTooLargeException": "Synchronous payloads are limited to 6 MB.",
                "TooManyRequestsException": "The function is throttled; raise its concurrency or retry.",
                }.get(code, "Check the function name and your permissions (lambda:InvokeFunction).")
        raise CloudError(f"invoking {function_name} failed: {code}: {error_message(exc)}", hint=hint) from exc
    logs = answer.get("LogResult")
    return RemoteInvokeResult(
        status=int(answer.get("StatusCode", 0)), payload=answer["Payload"].read(),
        function_error=str(answer.get("FunctionError", "")),
        log_tail=base64.b64decode(logs).decode("utf-8", "replace") if logs else "",
        version=str(answer.get("ExecutedVersion", "")))
