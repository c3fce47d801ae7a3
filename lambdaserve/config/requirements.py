"""Requirement strings, read with ``packaging``: the one place lambdaserve parses them."""

from __future__ import annotations

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
