"""Requirement strings, read with ``packaging``: the one place lambdaserve parses them; and the
version of a requirement installed in an environment (``importlib.metadata``)."""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Sequence

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name


def parsed(requirement: str) -> Requirement | None:
    try:
        return Requirement(requirement)
    except InvalidRequirement:
        return None  # pip says what is wrong with it, in its own words, when it resolves


def requirement_name(requirement: str) -> str:
    """The canonical project name of a requirement string ('Scikit_Learn==1.9' -> 'scikit-learn')."""
    found = parsed(requirement)
    return canonicalize_name(found.name) if found else requirement.strip().lower()


def is_pinned(requirement: str) -> bool:
    """Exactly one release: name==version (no wildcard), name===version, or name @ url."""
    found = parsed(requirement)
    if found is None:
        return False
    if found.url:
        return True
    specs = list(found.specifier)
    return len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version


def pinned_version(requirement: str) -> str | None:
    """The one version ``name==version`` names, else None."""
    found = parsed(requirement)
    if found is None or found.url or not is_pinned(requirement):
        return None
    return next(iter(found.specifier)).version


# Distributions that install the same modules: either one meets the need (init pins xgboost-cpu,
# most training environments have xgboost).
SAME_MODULES = {"xgboost": "xgboost-cpu", "xgboost-cpu": "xgboost"}


def installed_distribution(name: str,
                           path: Sequence[str] | None = None) -> importlib.metadata.Distribution | None:
    """The distribution ``name`` (or one installing the same modules) as installed in ``path``
    (default: this interpreter's sys.path), or None."""
    for candidate in (name, *([SAME_MODULES[name]] if name in SAME_MODULES else [])):
        found = next(iter(importlib.metadata.distributions(name=candidate, path=list(path or sys.path))),
                     None)
        if found is not None:
            return found
    return None


def release(dist: importlib.metadata.Distribution) -> str:
    """Its version as a pin names it: torch's "+cpu" is a local tag, and ==2.13.0 matches it."""
    return dist.version.split("+", 1)[0]


def installed_version(name: str, path: Sequence[str] | None = None) -> str | None:
    """The release of ``name`` installed in ``path`` (default: this interpreter's), or None."""
    dist = installed_distribution(name, path)
    return None if dist is None else release(dist)
