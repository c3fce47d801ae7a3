"""`doctor --explain`: a pasted error (or a log) mapped to its cause and fix.

Patterns are the strings AWS, docker and Python print for the classic failures; the
first match per pattern is reported, in the order the text shows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: re.Pattern[str]
    cause: str
    fix: str


@dataclass(frozen=True)
class Explanation:
    name: str
    matched: str
    cause: str
    fix: str
    position: int = 0

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "matched": self.matched, "cause": self.cause, "fix": self.fix}


def _p(name: str, regex: str, cause: str, fix: str) -> Pattern:
    return Pattern(name, re.compile(regex, re.I), cause, fix)


PATTERNS: tuple[Pattern, ...] = (
    _p("no-basic-auth", r"no basic auth credentials",
       "docker has no login for the registry: usually sudo (root's docker config and AWS credentials) "
       "or a login made as another user",
       "Run without sudo; log in with `aws ecr get-login-password | docker login --username AWS "
       "--password-stdin <registry>`, or let `lambdaserve deploy` push (no docker login needed)."),
    _p("ecr-token-expired", r"authorization token has expired",
       "ECR logins last 12 hours; docker kept the old one",
       "Log in again (aws ecr get-login-password | docker login ...), or push with lambdaserve, which asks "
       "for a fresh token at every push."),
    _p("manifest-media-type", r"image manifest, config or layer media type.{0,80}not supported",
       "BuildKit pushed a multi-platform index with a provenance attestation; Lambda takes one "
       "single-platform manifest",
       "Build with `docker build --provenance=false --platform linux/amd64`, or use `lambdaserve build "
       "--package image` (one manifest)."),
    _p("rollback-complete", r"is in ROLLBACK_COMPLETE state and can ?not be updated",
       "the stack's first create failed; CloudFormation only lets you delete it",
       "`lambdaserve deploy` deletes and recreates it (asks first); `lambdaserve status` shows why it "
       "failed."),
    _p("update-in-progress", r"(ResourceConflictException.{0,80})?An update is in progress",
       "another update of the function or stack is still running", "Wait for it, then retry."),
    _p("unzipped-too-big", r"Unzipped size must be smaller than 262144000 bytes",
       "the zip and its layers unpack to more than Lambda's 250 MB",
       'Set function.package = "image" (10 GB), drop requirements, or use the ONNX path.'),
    _p("wrong-platform-wheels", r"No module named '?numpy\.core\._multiarray_umath'?",
       "the package holds wheels built for another OS or CPU (pip ran on macOS/Windows or for the wrong "
       "architecture)",
       "Rebuild with `lambdaserve build`: it installs manylinux wheels for the function's runtime."),
    _p("glibc", r"GLIBC_(\d+\.\d+)'? not found",
       "a wheel needs a newer glibc than the runtime's OS (python3.11 runs on Amazon Linux 2, glibc 2.26)",
       'Use function.python = "3.12" (Amazon Linux 2023, glibc 2.34) and rebuild.'),
    _p("errno-38", r"\[Errno 38\] Function not implemented",
       "Lambda has no /dev/shm: multiprocessing locks, queues, pools, managers and DataLoader(num_workers>0) "
       "fail",
       "Use threads (ThreadPoolExecutor, multiprocessing.dummy), num_workers=0, n_jobs=1; "
       "`lambdaserve doctor` lists the lines."),
    _p("read-only-fs", r"\[Errno 30\] Read-only file system: '([^']*)'",
       "only /tmp is writable on Lambda; a library wrote a cache under HOME or the code folder",
       "Point the cache at /tmp (e.g. HOME=/tmp, TORCH_HOME=/tmp, HF_HOME=/tmp, MPLCONFIGDIR=/tmp in "
       "function.environment)."),
    _p("import-module", r"Runtime\.ImportModuleError",
       "the handler's module (or something it imports) is missing from the package",
       "Add the missing package to function.requirements (pinned) and rebuild; `lambdaserve invoke` "
       "reproduces it locally."),
    _p("handler-not-found", r"Runtime\.HandlerNotFound",
       "the handler name does not exist in the module",
       "Check the handler setting; lambdaserve sets it for you."),
    _p("syntax-error", r"Runtime\.UserCodeSyntaxError",
       "your code does not compile for the function's Python", "Run python<version> -m py_compile on it."),
    _p("init-timeout", r"INIT_REPORT.{0,200}Status: timeout",
       "the init phase ran past Lambda's 10 s (loading the framework and the model)",
       "Raise function.memory, ship .pyc (lambdaserve build does), or use ONNX; `lambdaserve doctor --smoke` "
       "measures it."),
    _p("task-timed-out", r"Task timed out after [\d.]+ seconds",
       "the request ran past function.timeout; the environment was discarded",
       "Raise function.timeout (API Gateway still stops at 29 s), send fewer rows, or raise memory (CPU)."),
    _p("out-of-memory", r"Runtime\.OutOfMemory|signal: killed|Memory Size: (\d+) MB\s+Max Memory Used: \1 MB",
       "the function used all of function.memory and was killed",
       "Raise function.memory; `lambdaserve invoke` prints Max Memory Used."),
    _p("exit-error", r"Runtime exited with error: exit status \d+|Runtime\.ExitError",
       "the runtime process exited (sys.exit, a crash in native code)", "See the log lines before it."),
    _p("malformed-proxy", r"Malformed Lambda proxy response",
       "the function answered something API Gateway cannot read as {statusCode, headers, body}",
       "Return the proxy shape; lambdaserve's handler does — check custom code in between."),
    _p("internal-server-error", r"\"?message\"?\s*:\s*\"Internal server error\"|Internal server error",
       "API Gateway got an error or a malformed answer from Lambda; it never says which to the client",
       "Read the access log's integrationError ($context.integration.error) or `lambdaserve logs`; "
       "`lambdaserve doctor --remote` scans them."),
    _p("endpoint-timeout", r"Endpoint request timed out",
       "the function took longer than API Gateway's 29 s integration timeout",
       "Make requests faster (fewer rows, more memory), or warm the function (provisioned concurrency)."),
    _p("payload-too-large", r"Exceeded maximum allowed payload size \((\d+) bytes\)|RequestEntityTooLarge",
       "the request or response is over Lambda's 6 MB synchronous payload",
       "Send fewer rows per request, or compress the inputs."),
    _p("missing-auth-token", r"Missing Authentication Token",
       "REST API Gateway answers this for any unknown path or method, not only for missing auth",
       "Check the URL: the stage (/prod), api.path and POST; `lambdaserve status` prints the ApiUrl."),
    _p("no-credentials", r"Unable to locate credentials|NoCredentialsError|no AWS credentials found",
       "boto3 found no credentials (env, ~/.aws, SSO, instance role)",
       "Run `aws configure` or `aws sso login`; `lambdaserve doctor` says where it looked."),
    _p("expired-credentials", r"ExpiredToken|security token included in the request is expired|"
       r"Token has expired and refresh failed",
       "the AWS session (temporary keys or SSO) has expired", "Refresh it: `aws sso login`, or new keys."),
    _p("access-denied", r"is not authorized to perform: ([\w:*]+)",
       "the caller lacks an IAM permission",
       "Attach the policy `lambdaserve policy` prints; `lambdaserve doctor` simulates it."),
)


def explain(text: str) -> list[Explanation]:
    """Each pattern found in ``text`` once, in the order the text shows them."""
    found = []
    for pattern in PATTERNS:
        match = pattern.regex.search(text)
        if match:
            found.append(Explanation(pattern.name, match.group(0)[:200], pattern.cause, pattern.fix,
                                     match.start()))
    return sorted(found, key=lambda e: e.position)
