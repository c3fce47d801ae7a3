"""The CloudFormation template deploy uses and its SAM export: pure functions of (config, artifact)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.cloud.cfn.common import (
        ALIAS_NAME,
        DOCS_GET_PATHS,
        access_log_format,
        api_log_group_name,
        function_log_group_name,
        public_paths,
    )
    from lambdaserve.cloud.cfn.function import Release
    from lambdaserve.cloud.cfn.render import render_sam, render_template, to_json, to_yaml

_EXPORTS = {
    "ALIAS_NAME": "lambdaserve.cloud.cfn.common",
    "DOCS_GET_PATHS": "lambdaserve.cloud.cfn.common",
    "Release": "lambdaserve.cloud.cfn.function",
    "access_log_format": "lambdaserve.cloud.cfn.common",
    "api_log_group_name": "lambdaserve.cloud.cfn.common",
    "function_log_group_name": "lambdaserve.cloud.cfn.common",
    "public_paths": "lambdaserve.cloud.cfn.common",
    "render_sam": "lambdaserve.cloud.cfn.render",
    "render_template": "lambdaserve.cloud.cfn.render",
    "to_json": "lambdaserve.cloud.cfn.render",
    "to_yaml": "lambdaserve.cloud.cfn.render",
}
__all__ = [
    "ALIAS_NAME",
    "DOCS_GET_PATHS",
    "Release",
    "access_log_format",
    "api_log_group_name",
    "function_log_group_name",
    "public_paths",
    "render_sam",
    "render_template",
    "to_json",
    "to_yaml",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
