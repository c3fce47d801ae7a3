"""`doctor --explain`: each classic error string maps to its cause and fix."""

from __future__ import annotations

import pytest

from lambdaserve.doctor.explanations import PATTERNS, explain

# The strings as AWS, docker and Python print them (lambda-facts.md and the field).
SEEN = {
    "no-basic-auth": "denied: no basic auth credentials",
    "ecr-token-expired": "denied: Your authorization token has expired. Reauthenticate and try again.",
    "manifest-media-type": "InvalidParameterValueException: The image manifest, config or layer media type "
                           "for the source image 1234.dkr.ecr... is not supported.",
    "rollback-complete": "Stack:arn:aws:cloudformation:us-east-1:1:stack/x/1 is in ROLLBACK_COMPLETE state "
                         "and can not be updated.",
    "update-in-progress": "ResourceConflictException: The operation cannot be performed at this time. "
                          "An update is in progress for resource: arn:aws:lambda:...",
    "unzipped-too-big": "Unzipped size must be smaller than 262144000 bytes",
    "wrong-platform-wheels": "No module named 'numpy.core._multiarray_umath'",
    "glibc": "OSError: /lib64/libc.so.6: version `GLIBC_2.28' not found (required by onnxruntime)",
    "errno-38": "OSError: [Errno 38] Function not implemented",
    "read-only-fs": "OSError: [Errno 30] Read-only file system: '/home/sbx_user1051'",
    "import-module": '{"errorType": "Runtime.ImportModuleError", "errorMessage": "Unable to import module"}',
    "init-timeout": "INIT_REPORT Init Duration: 10000.11 ms\tPhase: init\tStatus: timeout",
    "task-timed-out": "2026-12-03T09:00:00Z abc Task timed out after 3.00 seconds",
    "out-of-memory": "Error: Runtime exited with error: signal: killed Runtime.OutOfMemory",
    "malformed-proxy": "Execution failed due to configuration error: Malformed Lambda proxy response",
    "internal-server-error": '{"message": "Internal server error"}',
    "endpoint-timeout": '{"message": "Endpoint request timed out"}',
    "payload-too-large": "Exceeded maximum allowed payload size (6291556 bytes).",
    "missing-auth-token": '{"message":"Missing Authentication Token"}',
    "access-denied": "User: arn:aws:iam::1:user/a is not authorized to perform: iam:CreateRole on resource",
}


@pytest.mark.parametrize("name", sorted(SEEN))
def test_each_error_string_is_explained(name):
    found = explain(SEEN[name])
    assert name in [e.name for e in found], found
    first = next(e for e in found if e.name == name)
    assert first.cause and first.fix


def test_every_pattern_has_a_sample():
    assert {p.name for p in PATTERNS} - set(SEEN) <= {
        "handler-not-found", "syntax-error", "exit-error", "no-credentials", "expired-credentials"}


def test_a_log_is_explained_in_order_and_unknown_text_is_not():
    log = ("START RequestId: 1\n[ERROR] OSError: [Errno 38] Function not implemented\n"
           "Task timed out after 3.00 seconds")
    assert [e.name for e in explain(log)] == ["errno-38", "task-timed-out"]
    assert explain("all good, 200 OK") == []


def test_oom_from_the_report_line():
    report = ("REPORT RequestId: 1\tDuration: 9.1 ms\tBilled Duration: 10 ms\tMemory Size: 512 MB\t"
              "Max Memory Used: 512 MB")
    assert [e.name for e in explain(report)] == ["out-of-memory"]
    assert explain(report.replace("Used: 512", "Used: 88")) == []
