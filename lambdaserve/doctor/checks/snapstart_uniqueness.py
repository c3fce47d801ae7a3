"""SnapStart: state drawn or opened at init is shared by every restored environment.

A static scan (ast) of the Python that ships as the user's code (as the package selects it), only
for a SnapStart project: random draws, uuids and OS randomness, and network or database
connections, made at init (module level, or in a predictor's ``load`` / ``__init__``). Each is
reported as a warning unless the project has an
after-restore hook (a predictor's ``after_restore`` or ``snapshot_restore_py.register_after_restore``),
which is where such state must be made again. The runtime reseeds ``random`` and numpy's and
torch's global generators after each restore, but a value already drawn at init stays shared.
"""

from __future__ import annotations

import ast

from lambdaserve.doctor.checks.multiprocessing_scan import _callee
from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, ok, skipped, warning

# (dotted call name suffix, what it is); matched on the last one or two parts of the callee.
_RANDOM = ("random.random", "random.randint", "random.getrandbits", "random.choice", "random.uniform",
           "random.randrange", "random.shuffle", "random.sample", "uuid.uuid1", "uuid.uuid4", "os.urandom",
           "secrets.token_hex", "secrets.token_bytes", "secrets.token_urlsafe", "random.rand",
           "random.randn", "random.default_rng")
_CONNECT = ("socket.socket", "socket.create_connection", "boto3.client", "boto3.resource",
            "requests.Session", "httpx.Client", "sqlite3.connect", "psycopg2.connect", "psycopg.connect",
            "pymysql.connect", "redis.Redis", "pymongo.MongoClient", "urllib3.PoolManager")
_INIT_METHODS = ("load", "__init__")
HINT = ("Draw or open it again after each restore: define after_restore(self) on the predictor, or "
        "register a function with snapshot_restore_py.register_after_restore (README: SnapStart hooks).")


def _kind(name: str) -> str | None:
    tail = ".".join(name.split(".")[-2:])
    if tail in _RANDOM:
        return "is drawn at init"
    if tail in _CONNECT:
        return "is opened at init"
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, label: str) -> None:
        self.label = label
        self.depth = 0  # inside a function that is not a predictor's load/__init__
        self.hooked = False
        self.findings: list[Finding] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name == "after_restore":
            self.hooked = True
        inert = node.name not in _INIT_METHODS
        self.depth += inert
        self.generic_visit(node)
        self.depth -= inert

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Call(self, node: ast.Call) -> None:
        name = _callee(node)
        if name.endswith("register_after_restore"):
            self.hooked = True
        elif self.depth == 0 and (kind := _kind(name)) is not None:
            self.findings.append(warning(
                f"{name}() {kind} and is the same in every environment restored from the snapshot",
                HINT, file=self.label, line=node.lineno))
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "register_after_restore":  # @register_after_restore as a decorator
            self.hooked = True
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "register_after_restore":
            self.hooked = True


def scan(files: list[tuple[str, str]]) -> list[Finding]:
    """Warnings for init-time draws and connections, unless some file has an after-restore hook."""
    found: list[Finding] = []
    hooked = False
    for label, text in files:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue  # the multiprocessing check reports it
        scanner = _Scanner(label)
        scanner.visit(tree)
        hooked = hooked or scanner.hooked
        found += scanner.findings
    return [] if hooked else found


def run(ctx: DoctorContext) -> list[Finding]:
    if ctx.config is None or not ctx.config.function.snapstart:
        return [skipped("skipped: function.snapstart is off")]
    files = [(p.relative_to(ctx.project_dir).as_posix(), p.read_text(encoding="utf-8", errors="replace"))
             for p in ctx.user_files()]
    return scan(files) or [ok(f"no init-time randomness or connections left without an after-restore "
                              f"hook in the {len(files)} Python file(s) that ship")]


CHECK = Check("snapstart-uniqueness", "code",
              "SnapStart: random values and connections made at init without an after-restore hook", run)
