"""Config checks for what AWS or the installer would refuse only later, each its own function.

Every command loads the config first, so a value refused here is refused by `doctor`, `serve`
and `invoke` alike, instead of by CloudFormation, Lambda or uv minutes into a deploy.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from lambdaserve.errors import ConfigError
from lambdaserve.runtime.s3_model import parse_s3_uri

# Lambda's quota: "Environment variables: 4 KB, for all environment variables associated with
# the function, in aggregate" (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
# Measured as the JSON object of every variable, the larger of the ways to count it.
ENV_TOTAL_LIMIT = 4096


def model_inside_project(toml: Path, written: str) -> Path:
    """The model's path, resolved, refusing one outside the project folder: `build` packs what
    model.path names, and a path such as ../../etc/passwd (or a symlink to it) would ship a host
    file. A folder's symlinks must stay inside too."""
    project = toml.parent.resolve()
    literal = Path(os.path.normpath(toml.parent / written))
    resolved = literal.resolve()
    hint = ("Copy or move the model into the project folder (the one holding lambdaserve.toml); "
            "lambdaserve packs only what is inside it.")
    if not resolved.is_relative_to(project):
        how = (f"is a symlink to {resolved}, outside the project folder {project}"
               if literal.is_relative_to(project) else f"is outside the project folder {project}")
        raise ConfigError(f"{toml.name}: model.path = {written!r} {how}", hint=hint)
    if resolved.is_dir():
        for folder, dirs, files in os.walk(resolved):
            for name in dirs + files:
                entry = Path(folder) / name
                if entry.is_symlink() and not entry.resolve().is_relative_to(project):
                    raise ConfigError(
                        f"{toml.name}: model.path = {written!r}: {entry.relative_to(resolved)} is a "
                        f"symlink to {entry.resolve()}, outside the project folder {project}",
                        hint="Replace the symlink with the file itself, or remove it.")
    return resolved


def environment_size(toml: Path, variables: dict[str, str]) -> None:
    """Refuse variables (the user's and lambdaserve's own) over Lambda's 4 KB total."""
    size = len(json.dumps(variables, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > ENV_TOTAL_LIMIT:
        biggest = max(variables, key=lambda k: len(k) + len(variables[k]))
        raise ConfigError(
            f"{toml.name}: function.environment: the function's environment variables total {size} "
            f"bytes, over Lambda's 4 KB ({ENV_TOTAL_LIMIT} bytes) for all of them (the largest is "
            f"{biggest}); AWS would refuse the deploy",
            hint="Keep large values in a file in the project folder or in SSM Parameter Store, and "
                 "read them at init.")


def tensor_table(toml: Path, dotted: str, item: Any) -> None:
    """A [signature] input or output: name a non-empty string, dtype a string, shape a list of
    integers (-1 for any). TOML's booleans are Python ints, so `shape = [true, 4]` is refused
    by type, not by value."""
    def bad(problem: str) -> ConfigError:
        return ConfigError(f"{toml.name}: {dotted}: {problem}",
                           hint='Give each as { name = "input", dtype = "float32", shape = [-1, 4] }.')

    if not isinstance(item, dict):
        raise bad(f"{item!r} is not a table")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad(f"name = {name!r} is not a non-empty string")
    if "dtype" in item and not isinstance(item["dtype"], str):
        raise bad(f"input {name!r}: dtype = {item['dtype']!r} is not a string")
    shape = item.get("shape", [-1])
    if not isinstance(shape, list) or not all(type(d) is int and d >= -1 for d in shape):
        shown = json.dumps(shape) if isinstance(shape, list) else repr(shape)
        raise bad(f"input {name!r}: shape = {shown} is not a list of integers (-1 for any size)")


_REGION_SHAPE = re.compile(r"^[a-z]{2,}(-[a-z]+)+-\d+$")


@cache
def _known_regions() -> tuple[frozenset[str], tuple[str, ...]]:
    """Every region botocore's bundled endpoint data names, and each partition's region pattern
    (for regions newer than the installed botocore). Read offline, from files botocore ships."""
    from botocore.loaders import create_loader  # only when a region is set: not worth every start

    loader = create_loader()
    names: set[str] = set()
    for partition in loader.load_data("endpoints").get("partitions", []):
        names.update(partition.get("regions", {}))
    patterns = tuple(p.get("regionRegex", "") for p in loader.load_data("partitions").get("partitions", []))
    return frozenset(names), tuple(p for p in patterns if p)


def region(toml: Path, value: str) -> None:
    """deploy.region must be a region AWS has (or one botocore's partitions say it could name)."""
    if not value:
        return
    known, patterns = _known_regions()
    if value in known:
        return
    if _REGION_SHAPE.match(value) and any(re.match(p, value) for p in patterns):
        return  # newer than this botocore's endpoint list, but a region name AWS uses
    close = sorted(r for r in known if r.split("-")[-2:] == value.split("-")[-2:])[:4]
    raise ConfigError(f"{toml.name}: deploy.region = {value!r} is not an AWS region",
                      hint="Use a region such as eu-west-1 or us-east-1" +
                           (f" (similar: {', '.join(close)})" if close else "") +
                           ", or leave it empty to use your profile's region.")


def requirement(toml: Path, value: str) -> None:
    """A requirement is a package, never an installer option: '-e .' or '--index-url ...' would be
    read by uv as options (another index, an editable install from the build machine)."""
    if value.strip().startswith("-"):
        raise ConfigError(f"{toml.name}: function.requirements = {value!r} is an installer option, "
                          "not a requirement",
                          hint="List packages only, pinned like 'scikit-learn==1.9.1'; lambdaserve "
                               "chooses the index and options itself.")


def s3_model(toml: Path, uri: str, model: Path, package: str, ephemeral_mb: int) -> None:
    """model.s3_uri: a well-formed s3://bucket/key, a single model file, a zip, and room in /tmp."""
    try:
        parse_s3_uri(uri)
    except ValueError as exc:
        raise ConfigError(f"{toml.name}: model.s3_uri: {exc}",
                          hint="Write it as s3://bucket/path/model.onnx, or leave it empty to ship the model "
                               "in the package.") from None
    if model.is_dir():
        raise ConfigError(f"{toml.name}: model.s3_uri needs model.path to be one file ({model} is a folder)",
                          hint="Point model.path at the model file, or leave model.s3_uri empty.")
    if package != "zip":
        raise ConfigError(f"{toml.name}: model.s3_uri is for zip packages (function.package = {package!r})",
                          hint="An image holds 10 GB: leave model.s3_uri empty and the model ships in it.")
    size, room = model.stat().st_size, ephemeral_mb * 1024 * 1024
    if size > room:
        raise ConfigError(
            f"{toml.name}: the model ({size / 2**20:.0f} MB) does not fit in /tmp "
            f"(function.ephemeral_storage = {ephemeral_mb} MB), where the function downloads it",
            hint=f"Set function.ephemeral_storage to at least {-(-size // 2**20) + 64} (MB, up to 10240).")


_KMS_KEY_RE = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$")


def s3_kms_key(toml: Path, key: str, uri: str) -> None:
    """model.s3_kms_key: a KMS key ARN (IAM grants Decrypt on keys, not aliases), with model.s3_uri."""
    if not key:
        return
    if not uri:
        raise ConfigError(f"{toml.name}: model.s3_kms_key is set without model.s3_uri",
                          hint="Set model.s3_uri too, or remove model.s3_kms_key.")
    if not _KMS_KEY_RE.match(key):
        raise ConfigError(f"{toml.name}: model.s3_kms_key = {key!r} is not a KMS key ARN",
                          hint="Use the key's ARN, arn:aws:kms:REGION:ACCOUNT:key/KEY-ID (an alias "
                               "cannot be granted kms:Decrypt).")
