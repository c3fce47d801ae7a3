"""Pure parts of the image build: config and manifest, references, platform choice, auth, builders."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.errors import BuildError
from lambdaserve.package.image.base import _pick
from lambdaserve.package.image.config import image_config, manifest, needs_ric, wants_oci
from lambdaserve.package.image.layers import Layer
from lambdaserve.package.image.tool_builder import detect_builder
from lambdaserve.package.registry.auth import Credentials, parse_challenge
from lambdaserve.package.registry.oci import (
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    OCI_LAYER,
    Descriptor,
    ImageRef,
    parse_ref,
)
from lambdaserve.package.registry.push import sudo_warning

D = "sha256:" + "a" * 64
LAYERS = [Layer("sha256:" + c * 64, "sha256:" + d * 64, 10, Path("/x"), n)
          for c, d, n in (("1", "4", "dependencies"), ("2", "5", "model"), ("3", "6", "code"))]
# The shape of public.ecr.aws/lambda/python:3.12's config (trimmed).
AWS_BASE: dict[str, Any] = {"architecture": "amd64", "os": "linux",
            "config": {"Env": ["LANG=en_US.UTF-8", "TZ=:/etc/localtime", "LAMBDA_TASK_ROOT=/var/task",
                               "LAMBDA_RUNTIME_DIR=/var/runtime"],
                       "Entrypoint": ["/lambda-entrypoint.sh"], "WorkingDir": "/var/task"},
            "rootfs": {"type": "layers", "diff_ids": [D]}, "history": [{"created_by": "base"}]}


def test_config_keeps_the_aws_bootstrap_and_adds_ours() -> None:
    cfg = image_config(AWS_BASE, LAYERS, {"LAMBDASERVE_MODEL_DIR": "/opt/ml/model", "TZ": ":UTC"}, "x86_64")
    inner = cfg["config"]
    assert inner["Entrypoint"] == ["/lambda-entrypoint.sh"] and not needs_ric(AWS_BASE)
    assert inner["Cmd"] == ["lambdaserve.runtime.handler.lambda_handler"]
    assert inner["WorkingDir"] == "/var/task"
    env = dict(e.split("=", 1) for e in inner["Env"])
    assert env["LAMBDASERVE_MODEL_DIR"] == "/opt/ml/model" and env["TZ"] == ":UTC"  # ours win
    assert "PYTHONPATH" not in env  # the AWS bootstrap already puts /var/task first
    assert cfg["rootfs"]["diff_ids"] == [D] + [layer.diff_id for layer in LAYERS]
    assert len([h for h in cfg["history"] if not h.get("empty_layer")]) == 4  # one per layer
    assert cfg["created"] == "1970-01-01T00:00:00Z"
    assert AWS_BASE["rootfs"]["diff_ids"] == [D]  # the base's config is not modified


def test_plain_base_runs_the_runtime_interface_client() -> None:
    plain = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
             "rootfs": {"type": "layers", "diff_ids": [D]}}
    assert needs_ric(plain)
    inner = image_config(plain, LAYERS, {}, "x86_64")["config"]
    assert inner["Entrypoint"] == ["python3", "-m", "awslambdaric"]
    # for parity: Lambda's LD_LIBRARY_PATH ends /var/task:/var/task/lib:/opt/lib (a zip's lib/)
    assert {"LAMBDA_TASK_ROOT=/var/task", "PYTHONPATH=/var/task",
            "LD_LIBRARY_PATH=/var/task:/var/task/lib:/opt/lib"} <= set(inner["Env"])


def test_plain_base_keeps_its_own_library_path_ahead_of_the_task_root() -> None:
    plain = {"architecture": "amd64", "os": "linux",
             "config": {"Cmd": ["/bin/sh"], "Env": ["LD_LIBRARY_PATH=/usr/local/lib:"]},
             "rootfs": {"type": "layers", "diff_ids": [D]}}
    env = dict(e.split("=", 1) for e in image_config(plain, LAYERS, {}, "x86_64")["config"]["Env"])
    # the base's empty entry (the working directory) is not carried on
    assert env["LD_LIBRARY_PATH"] == "/usr/local/lib:/var/task:/var/task/lib:/opt/lib"


def test_manifest_is_single_platform_in_one_vocabulary() -> None:
    base = [Descriptor(OCI_LAYER, D, 99)]
    man = manifest(base, LAYERS, "sha256:" + "c" * 64, 7, oci=wants_oci(base))
    assert man["mediaType"] == DOCKER_MANIFEST and "manifests" not in man
    assert [layer["mediaType"] for layer in man["layers"]] == [DOCKER_LAYER] * 4  # same gzip bytes
    assert [layer["digest"] for layer in man["layers"]] == [D] + [layer.digest for layer in LAYERS]
    assert wants_oci([Descriptor("application/vnd.oci.image.layer.v1.tar+zstd", D, 1)])


def test_pick_skips_attestations_and_refuses_a_missing_architecture() -> None:
    index = {"manifests": [
        {"mediaType": "m", "digest": "sha256:" + "1" * 64, "size": 1,
         "platform": {"os": "linux", "architecture": "arm64"}},
        {"mediaType": "m", "digest": "sha256:" + "2" * 64, "size": 1,
         "platform": {"os": "unknown", "architecture": "unknown"},
         "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
        {"mediaType": "m", "digest": "sha256:" + "3" * 64, "size": 1,
         "platform": {"os": "linux", "architecture": "amd64"}}]}
    ref = parse_ref("public.ecr.aws/lambda/python:3.12")
    assert _pick(index, "x86_64", ref).digest == "sha256:" + "3" * 64
    assert _pick(index, "arm64", ref).digest == "sha256:" + "1" * 64
    with pytest.raises(BuildError, match="no linux/amd64"):
        _pick({"manifests": index["manifests"][:2]}, "x86_64", ref)


@pytest.mark.parametrize(("text", "expected"), [
    ("public.ecr.aws/lambda/python:3.12", ImageRef("public.ecr.aws", "lambda/python", "3.12")),
    ("python", ImageRef("registry-1.docker.io", "library/python", "latest")),
    ("docker.io/me/app:v2", ImageRef("registry-1.docker.io", "me/app", "v2")),
    ("127.0.0.1:5000/base/debian-python:bookworm",
     ImageRef("127.0.0.1:5000", "base/debian-python", "bookworm")),
    ("localhost/app@" + D, ImageRef("localhost", "app", "", D)),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/m:latest",
     ImageRef("123456789012.dkr.ecr.us-east-1.amazonaws.com", "m", "latest")),
])
def test_parse_ref(text: str, expected: ImageRef) -> None:
    assert parse_ref(text) == expected


def test_parse_ref_refuses_nonsense_and_knows_plain_http_registries() -> None:
    with pytest.raises(BuildError, match="not a valid image reference"):
        parse_ref("Upper/Case:tag")
    assert parse_ref("127.0.0.1:5000/a:b").insecure and parse_ref("localhost:5000/a").insecure
    assert parse_ref("[::1]:5000/a").insecure
    assert not parse_ref("public.ecr.aws/lambda/python:3.12").insecure


def test_challenges_and_secrets() -> None:
    c = parse_challenge('Bearer realm="https://public.ecr.aws/token/",service="public.ecr.aws",'
                        'scope="aws"')
    assert (c.scheme, c.params["realm"], c.params["service"]) == ("bearer", "https://public.ecr.aws/token/",
                                                                  "public.ecr.aws")
    assert parse_challenge('Basic realm="x"').scheme == "basic"
    assert "hunter2" not in repr(Credentials("AWS", "hunter2"))


def test_sudo_warning_names_the_classic_failure() -> None:
    warning = sudo_warning({"SUDO_USER": "ana"}, euid=0)
    assert warning is not None and "root's" in warning and "ana" in warning
    assert sudo_warning({}, euid=0) is None  # root itself, not through sudo
    assert sudo_warning({"SUDO_USER": "ana"}, euid=1000) is None


def test_detect_builder_skips_docker_without_a_daemon() -> None:
    calls: list[list[str]] = []

    def runner(args: list[str], **_kw: object) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        return subprocess.CompletedProcess(args, 1, "", "Cannot connect to the Docker daemon")

    tools = {"docker": "/usr/bin/docker", "buildah": "/usr/bin/buildah"}
    found = detect_builder(which=tools.get, runner=runner)
    assert (found.name, found.path) == ("buildah", "/usr/bin/buildah") and calls[0][1] == "info"
    with pytest.raises(BuildError, match="daemon does not answer") as err:
        detect_builder(which={"docker": "/usr/bin/docker"}.get, runner=runner)
    assert "needs no docker" in err.value.hint
