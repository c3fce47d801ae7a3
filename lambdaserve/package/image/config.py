"""The image config and manifest we write on top of a base image's (pure functions)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from lambdaserve.package.image.layers import Layer
from lambdaserve.package.registry.oci import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    GZIP_LAYERS,
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
    PLATFORM_ARCH,
    Descriptor,
)
from lambdaserve.runtime.system_libraries import library_path

HANDLER = "lambdaserve.runtime.handler.lambda_handler"
TASK_ROOT = "/var/task"
# A base without Lambda's own bootstrap (e.g. plain Debian) runs the runtime interface client.
RIC_ENTRYPOINT = ["python3", "-m", "awslambdaric"]
EPOCH = "1970-01-01T00:00:00Z"  # a fixed date keeps the config digest reproducible


def needs_ric(base_config: Mapping[str, Any]) -> bool:
    """True when the base has no entrypoint, so awslambdaric must be installed and run."""
    return not (base_config.get("config") or {}).get("Entrypoint")


def ric_env(base_library_path: str = "") -> dict[str, str]:
    """What Lambda's bases set and a plain base lacks: the task root, the handler's import path,
    and the library path that finds a shipped lib/ (libgomp.so.1 beside LightGBM)."""
    return {"LAMBDA_TASK_ROOT": TASK_ROOT, "PYTHONPATH": TASK_ROOT,
            "LD_LIBRARY_PATH": library_path(TASK_ROOT, base_library_path)}


def _merge_env(base: Sequence[str], extra: Mapping[str, str]) -> list[str]:
    merged: dict[str, str] = {}
    for item in base:
        key, _, value = item.partition("=")
        merged[key] = value
    for key in sorted(extra):
        merged[key] = extra[key]
    return [f"{k}={v}" for k, v in merged.items()]


def image_config(base_config: Mapping[str, Any], layers: Sequence[Layer], env: Mapping[str, str],
                 architecture: str) -> dict[str, Any]:
    """The base's config with our layers, CMD, ENV and WorkingDir; reproducible."""
    cfg: dict[str, Any] = copy.deepcopy(dict(base_config))
    inner = cfg.setdefault("config", {}) or {}
    cfg["config"] = inner
    extra = dict(env)
    if needs_ric(base_config):
        inner["Entrypoint"] = list(RIC_ENTRYPOINT)
        base_env = dict(item.partition("=")[::2] for item in inner.get("Env") or [])
        for key, value in ric_env(base_env.get("LD_LIBRARY_PATH", "")).items():
            extra.setdefault(key, value)
    inner["Cmd"] = [HANDLER]
    inner["WorkingDir"] = TASK_ROOT
    inner["Env"] = _merge_env(inner.get("Env") or [], extra)
    cfg["architecture"] = PLATFORM_ARCH[architecture]
    cfg["os"] = "linux"
    cfg["created"] = EPOCH
    rootfs = cfg.setdefault("rootfs", {"type": "layers", "diff_ids": []})
    rootfs["diff_ids"] = list(rootfs.get("diff_ids", [])) + [layer.diff_id for layer in layers]
    history = list(cfg.get("history") or [])
    history += [{"created": EPOCH, "created_by": f"lambdaserve: {layer.name} layer"} for layer in layers]
    history.append({"created": EPOCH, "created_by": f"lambdaserve: CMD [\"{HANDLER}\"]", "empty_layer": True})
    cfg["history"] = history
    return cfg


def manifest(base_layers: Sequence[Descriptor], layers: Sequence[Layer], config_digest: str,
             config_size: int, oci: bool) -> dict[str, Any]:
    """A single-platform manifest (never an index: Lambda refuses attestation indexes)."""
    layer_type = OCI_LAYER if oci else DOCKER_LAYER
    out_layers = []
    for desc in base_layers:
        media_type = desc.media_type
        if media_type in GZIP_LAYERS and media_type != layer_type:
            media_type = layer_type  # same gzip bytes under the manifest's vocabulary
        out_layers.append(Descriptor(media_type, desc.digest, desc.size, urls=desc.urls).to_json())
    out_layers += [Descriptor(layer_type, layer.digest, layer.size).to_json() for layer in layers]
    return {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST if oci else DOCKER_MANIFEST,
        "config": {"mediaType": OCI_CONFIG if oci else DOCKER_CONFIG, "digest": config_digest,
                   "size": config_size},
        "layers": out_layers,
    }


def wants_oci(base_layers: Sequence[Descriptor]) -> bool:
    """Docker v2 schema 2 unless a base layer is something only OCI can name (e.g. zstd)."""
    return any(desc.media_type not in GZIP_LAYERS for desc in base_layers)
