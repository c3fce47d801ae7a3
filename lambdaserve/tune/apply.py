"""``tune --apply``: write the chosen memory into lambdaserve.toml, keeping everything else.

tomlkit round-trips the document, so comments, order and formatting stay as the user wrote them.
"""

from __future__ import annotations

from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from lambdaserve.errors import ConfigError
from lambdaserve.runtime.limits import MEMORY_MAX_MB as MAX_MB
from lambdaserve.runtime.limits import MEMORY_MIN_MB as MIN_MB


def set_memory(config_file: Path, memory_mb: int) -> int | None:
    """Set function.memory; returns the value it replaces (None if it was unset)."""
    if not MIN_MB <= memory_mb <= MAX_MB:
        raise ConfigError(f"memory {memory_mb} MB is outside Lambda's {MIN_MB}-{MAX_MB} MB",
                          hint="Pick a size Lambda allows.")
    text = config_file.read_text(encoding="utf-8")
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(f"{config_file}: not valid TOML: {exc}", hint="Fix the syntax first.") from exc
    function = doc.get("function")
    if function is None:
        function = tomlkit.table()
        doc["function"] = function
    old = function.get("memory")
    function["memory"] = memory_mb
    config_file.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return int(old) if old is not None else None
