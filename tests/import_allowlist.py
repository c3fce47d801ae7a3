"""An import-linter contract type: the source packages may import only an allow-list.

import-linter's built-in contracts are deny-lists, so a new third-party import in the runtime
(`import requests`) would pass them. This one names what may be imported, and nothing else is.
"""

from __future__ import annotations

import sys

import grimp
from importlinter import Contract, ContractCheck, fields, output


def _allowed(name: str, external: set[str], sources: tuple[str, ...], modules: set[str]) -> bool:
    top = name.split(".")[0]
    if top in sys.stdlib_module_names or name in modules:
        return True
    if any(name == mod or name.startswith(mod + ".") for mod in sources):
        return True
    return top in external


class AllowListContract(Contract):
    """Every direct import of ``source_modules`` (and their descendants) is on the allow-list.

    - source_modules: the packages checked, which may also import each other.
    - allowed_modules: other modules they may import, each alone (not its descendants).
    - allowed_external: top-level third-party packages they may import (the model frameworks).
    The stdlib (sys.stdlib_module_names) is always allowed.
    """

    type_name = "allowlist"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_modules = fields.ListField(subfield=fields.ModuleField(), required=False)
    allowed_external = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        sources = tuple(m.name for m in self.source_modules)  # type: ignore[attr-defined]
        modules = {m.name for m in (self.allowed_modules or [])}  # type: ignore[attr-defined]
        external = set(self.allowed_external or [])  # type: ignore[arg-type]
        checked = set()
        for source in sources:
            checked |= {source, *graph.find_descendants(source)}
        bad = []
        for importer in sorted(checked):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if not _allowed(imported, external, sources, modules):
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = [d["line_number"] for d in details]
                    bad.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not bad, metadata={"bad": bad})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["bad"]:
            lines = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(f"{item['importer']} imports {item['imported']} ({lines}): not allowed")
            output.new_line()
