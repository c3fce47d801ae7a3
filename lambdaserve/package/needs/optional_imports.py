"""Which traced modules a custom predictor needs, and which it imported only because they were
installed here.

Libraries import some modules optionally: scikit-learn 1.9 imports ``rich.progress`` in a
``try`` whose ``except ImportError`` goes on without it, so wherever rich is installed (any venv
with lambdaserve in it) a trace sees it imported. Pinning it would ship the tool's own
dependencies in the function. The rule: an import is optional when a third-party module makes
it in a ``try`` whose handler catches ImportError and raises nothing (trace_probe.py reads
that), and that library's own metadata does not pull the module's distribution in. A module is
needed when the project's code, the runtime or the probe imports it (in a ``try`` or not), or a
needed library imports it in any other way; one reachable only through optional imports (or
through modules that are) is not. A module the trace saw no importer for is kept.

What this cannot see: a library that imports a module optionally and then uses it on the
predictor's path (joblib reading an lz4-compressed file). The build's proof runs the zip and
fails on it, naming the missing distribution and the requirements line that fixes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from lambdaserve.package.needs.resolve import distribution_of, installed_with


def _declared(importer: str, module: str) -> bool:
    """The importer's distribution (or what it pulls in, as its metadata says) provides ``module``:
    unknown either way counts as declared, so the import stays needed."""
    owner, provider = distribution_of(importer), distribution_of(module)
    if owner is None or provider is None:
        return True
    return provider in installed_with([owner])


def optional_only(modules: Iterable[str], importers: Sequence[Sequence[Any]]) -> dict[str, str]:
    """{module: where it was optionally imported} for the traced ``modules`` that only optional
    imports reach. ``importers``: the probe's [module, importer ("" for the project, the runtime
    or the probe), optional, file:line] records."""
    traced = set(modules)
    hard: dict[str, set[str]] = {}  # importer -> modules it needs
    roots: set[str] = set()
    seen: set[str] = set()
    optional_at: dict[str, str] = {}
    for module, importer, optional, where in importers:
        module, importer = str(module), str(importer)
        seen.add(module)
        if not importer:
            roots.add(module)
        elif optional and not _declared(importer, module):
            optional_at.setdefault(module, f"{importer} imports it optionally ({where})")
        else:
            hard.setdefault(importer, set()).add(module)
    needed: set[str] = set()
    todo = list(roots | (traced - seen))  # a module no importer was seen for is kept
    while todo:
        module = todo.pop()
        if module not in needed:
            needed.add(module)
            todo += hard.get(module, ())
    return {m: optional_at.get(m, "imported only by modules that are imported optionally")
            for m in sorted(traced - needed)}
