"""Deploy's steps: each a small typed record of one thing deploy will do.

``describe()`` is the line ``lambdaserve deploy --dry-run`` prints; ``cloud/stack/plan.py`` chooses
them (describe and list calls only) and ``cloud/stack/execute.py`` performs them in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lambdaserve.cloud.stack.changeset import MAX_TEMPLATE_BODY, TemplateUpload
from lambdaserve.cloud.store.artifact_ref import ZipArtifact

ChangeType = Literal["CREATE", "UPDATE"]  # CloudFormation's ChangeSetType


@dataclass(frozen=True)
class WaitForStack:
    stack: str
    stack_id: str
    status: str

    def describe(self) -> str:
        return f"wait for stack {self.stack} to finish {self.status}, then read its state again"


@dataclass(frozen=True)
class DeleteFailedStack:
    stack: str
    stack_id: str
    status: str

    def describe(self) -> str:
        return (f"delete stack {self.stack} ({self.status}): its first create failed and it cannot be "
                "updated (asks first unless --yes)")


@dataclass(frozen=True)
class ContinueRollback:
    stack: str
    stack_id: str

    def describe(self) -> str:
        return f"continue the update rollback of stack {self.stack} (UPDATE_ROLLBACK_FAILED)"


@dataclass(frozen=True)
class CreateBucket:
    name: str

    def describe(self) -> str:
        return f"create artifact bucket {self.name} (private, versioned)"


@dataclass(frozen=True)
class UploadArtifact:
    artifact: ZipArtifact
    path: Path
    size: int

    def describe(self) -> str:
        size = f"{self.size / 1e6:.1f} MB" if self.size >= 100_000 else f"{self.size:,} bytes"
        return (f"upload artifact {self.path.name} ({size}) to "
                f"s3://{self.artifact.bucket}/{self.artifact.key}")


@dataclass(frozen=True)
class UploadModel:
    bucket: str
    key: str
    path: Path
    sha256: str
    replaces: bool  # a different model is there now

    def describe(self) -> str:
        size = self.path.stat().st_size
        line = (f"upload the model {self.path.name} ({size / 1e6:.1f} MB, sha256 {self.sha256[:12]}…) to "
                f"s3://{self.bucket}/{self.key} (model.s3_uri)")
        if self.replaces:
            line += (": it replaces a different model there, so a rollback to a version built with that "
                     "one fails at init until you deploy it again")
        return line


@dataclass(frozen=True)
class CreateRepository:
    name: str

    def describe(self) -> str:
        return f"create ECR repository {self.name} (scan on push, lifecycle policy)"


@dataclass(frozen=True)
class PushImage:
    repository: str
    uri: str  # "" while the repository does not exist yet

    def describe(self) -> str:
        return f"build the image and push it to {self.uri or self.repository}:latest"


@dataclass(frozen=True)
class UploadTemplate:
    upload: TemplateUpload

    def describe(self) -> str:
        return (f"upload the template ({len(self.upload.body):,} bytes, over the {MAX_TEMPLATE_BODY:,}-byte "
                f"inline limit) to s3://{self.upload.bucket}/{self.upload.key}")


@dataclass(frozen=True)
class CreateChangeSet:
    stack: str
    change_type: ChangeType

    def describe(self) -> str:
        article = "an" if self.change_type == "UPDATE" else "a"
        return f"create {article} {self.change_type} change set for stack {self.stack} and show its changes"


@dataclass(frozen=True)
class ExecuteChangeSet:
    stack: str

    def describe(self) -> str:
        return "execute the change set (asks first unless --yes) and stream the stack's events"


@dataclass(frozen=True)
class SmokeTest:
    url: str  # "" while the API does not exist yet
    golden: int = 0  # golden requests to POST after /health
    function: str = ""  # whose alias goes back on a failure ("" when the template has no alias)
    alias: str = ""
    previous: str = ""  # the version the alias served before this deploy ("" on a first deploy)

    def describe(self) -> str:
        posts = f", then POST {self.golden} golden requests and compare the answers" if self.golden else ""
        back = ""
        if self.alias:
            back = (f"; on a failure, point {self.alias!r} back at version {self.previous}" if self.previous
                    else "; a first deploy has no previous version to go back to on a failure")
        return f"smoke test: GET {self.url or '<ApiUrl>'}/health{posts}{back}"


@dataclass(frozen=True)
class PruneVersions:
    function: str
    alias: str
    keep: int = 2  # the alias's version and the one before it, for a rollback

    def describe(self) -> str:
        return (f"delete {self.function}'s published versions except the {self.alias!r} alias's and the "
                "one before it (each deploy publishes one; the code storage quota is 75 GB)")


Step = (WaitForStack | DeleteFailedStack | ContinueRollback | CreateBucket | UploadArtifact | UploadModel
        | CreateRepository | PushImage | UploadTemplate | CreateChangeSet | ExecuteChangeSet
        | PruneVersions | SmokeTest)
RECOVERY = (WaitForStack, DeleteFailedStack, ContinueRollback)
