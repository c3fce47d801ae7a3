"""The pre-traffic hook's own zip: its code (runtime/hook.py and the golden comparison it
reuses) and the build's golden requests, a few KB whatever the model weighs.

Deterministic (zip/writer.py), so the same golden set gives the same bytes and the same S3 key.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import lambdaserve
from lambdaserve.errors import BuildError
from lambdaserve.package.zip.writer import Member, write_zip
from lambdaserve.runtime import golden as golden_module
from lambdaserve.runtime import hook as hook_module
from lambdaserve.runtime.golden import GoldenSet

# What the hook imports: lambdaserve.runtime.hook -> lambdaserve.runtime.golden (stdlib only).
_CODE = {
    "lambdaserve/__init__.py": Path(lambdaserve.__file__),
    "lambdaserve/runtime/__init__.py": Path(golden_module.__file__).with_name("__init__.py"),
    "lambdaserve/runtime/golden.py": Path(golden_module.__file__),
    "lambdaserve/runtime/hook.py": Path(hook_module.__file__),
}


def build_hook_zip(golden: GoldenSet | None, out: Path) -> Path:
    """Write the hook's zip to ``out``. Refuses a golden set without recorded answers: the hook
    would then only check that the new version answers, and call that a pass."""
    if golden is None or not golden.requests or not golden.recorded:
        raise BuildError(
            "a traffic shift needs golden requests with recorded answers for its pre-traffic hook",
            hint="Build the zip with `lambdaserve build` (it records them in build.json), or set "
                 'deploy.traffic_shift = "" to deploy without CodeDeploy.')
    with tempfile.TemporaryDirectory(prefix="lambdaserve-hook-") as tmp:
        record = Path(tmp) / hook_module.GOLDEN_FILE
        record.write_text(json.dumps(golden.to_dict(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        members = [Member(name, source) for name, source in _CODE.items()]
        members.append(Member(hook_module.GOLDEN_FILE, record))
        out.parent.mkdir(parents=True, exist_ok=True)
        write_zip(out, members)
    return out
