"""Check 6a: code that needs /dev/shm, which Lambda lacks ([Errno 38] Function not implemented).

A static scan (ast) of the Python that ships as the user's code (the predictor's module, as the
package selects it; not scripts beside it, virtualenvs or lambdaserve's cache): multiprocessing's
locks, queues, pools and managers, ProcessPoolExecutor, DataLoader(num_workers > 0), and n_jobs
(joblib falls back to serial on Lambda, with a warning). Process and Pipe work, so they are not reported.
"""

from __future__ import annotations

import ast
from pathlib import Path

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, error, ok, skipped, warning

SEMLOCK = frozenset({"Pool", "Queue", "JoinableQueue", "SimpleQueue", "Lock", "RLock", "Semaphore",
                     "BoundedSemaphore", "Event", "Condition", "Barrier", "Manager", "Value", "Array"})
FIX = ("Lambda has no /dev/shm: use threads (concurrent.futures.ThreadPoolExecutor, "
       "multiprocessing.dummy) or multiprocessing.Process with Pipe.")


def _callee(node: ast.Call) -> str:
    func = node.func
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    elif isinstance(func, ast.Call):  # mp.get_context("spawn").Queue()
        parts.append(_callee(func) + "()")
    return ".".join(reversed(parts))


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: Path, label: str) -> None:
        self.label = label
        self.mp_modules: set[str] = set()  # names bound to multiprocessing (or its context)
        self.mp_names: set[str] = set()  # names imported from multiprocessing
        self.findings: list[Finding] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name in ("multiprocessing", "torch.multiprocessing"):
                self.mp_modules.add(alias.asname or alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module in ("multiprocessing", "torch.multiprocessing"):
            self.mp_names |= {a.asname or a.name for a in node.names if a.name in SEMLOCK}
        if node.module == "torch" and any(a.name == "multiprocessing" for a in node.names):
            self.mp_modules.add("multiprocessing")

    def _add(self, node: ast.AST, finding: str, severe: bool = True, hint: str = FIX) -> None:
        make = error if severe else warning
        self.findings.append(make(finding, hint, file=self.label, line=getattr(node, "lineno", None)))

    def visit_Call(self, node: ast.Call) -> None:
        name = _callee(node)
        head, _, last = name.rpartition(".")
        if (last in SEMLOCK and head and head.split(".")[0] in self.mp_modules) or name in self.mp_names:
            self._add(node, f"multiprocessing.{last} needs /dev/shm: on Lambda it raises "
                            "OSError: [Errno 38] Function not implemented")
        elif last == "ProcessPoolExecutor":
            self._add(node, "ProcessPoolExecutor needs /dev/shm: on Lambda it raises [Errno 38]")
        elif last == "DataLoader":
            workers = _keyword(node, "num_workers")
            if isinstance(workers, ast.Constant) and isinstance(workers.value, int):
                if workers.value > 0:
                    self._add(node, f"DataLoader(num_workers={workers.value}) starts worker processes "
                                    "with queues: on Lambda it fails with [Errno 38]",
                              hint="Use num_workers=0 in the function (batching in-process is enough).")
            elif workers is not None:
                self._add(node, "DataLoader(num_workers=<computed>) fails on Lambda if it is > 0",
                          severe=False, hint="Use num_workers=0 in the function.")
        jobs = _keyword(node, "n_jobs")
        if jobs is not None and not (isinstance(jobs, ast.Constant) and jobs.value in (None, 1)):
            shown = ast.unparse(jobs)
            self._add(node, f"{last or name}(n_jobs={shown}): joblib cannot use processes on Lambda "
                            "and falls back to one core with '[Errno 38] ... serial mode'", severe=False,
                      hint="Use n_jobs=1, or joblib's threading backend, in the function.")
        self.generic_visit(node)


def scan_source(text: str, label: str) -> list[Finding]:
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        return [warning(f"cannot parse: {exc.msg}", "Fix the syntax.", file=label, line=exc.lineno)]
    scanner = _Scanner(Path(label), label)
    scanner.visit(tree)
    return scanner.findings


def run(ctx: DoctorContext) -> list[Finding]:
    if ctx.config is None:
        return [skipped("no project")]
    files = ctx.user_files()
    if not files:
        model = ctx.config.model
        return [ok("no Python of yours ships: " + (
            f"model.predictor's module is not in the project folder ({model.predictor})" if model.predictor
            else f"the runtime's {model.framework} loader loads the model"))]
    found: list[Finding] = []
    for path in files:
        label = path.relative_to(ctx.project_dir).as_posix()
        found += scan_source(path.read_text(encoding="utf-8", errors="replace"), label)
    return found or [ok(f"no /dev/shm users in the {len(files)} Python file(s) that ship")]


CHECK = Check("multiprocessing", "code", "multiprocessing, DataLoader workers and n_jobs in your code", run)
