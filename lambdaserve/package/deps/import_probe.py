"""The smoke run behind ``build.trim_unimported``: runs INSIDE the target Python, over a task root.

The build passes this file's source to ``python -S -B -c`` with the task root as working
directory and PYTHONPATH, and the artifact's LAMBDASERVE_* variables, so it sees what Lambda's
/var/task would give: the stdlib plus the task root, never this machine's site-packages.
It imports the handler (the model loads and warms up), answers GET /metadata, GET
/openapi.json and a prediction on a zero row built from the signature (and one with
probabilities for a classifier that has them), all as API Gateway REST events, then writes
to argv[1] as JSON the answers, every module in sys.modules with its file, the files
opened (audit hook), the shared objects mapped (/proc/self/maps), every module name the
import system looked for (found or not: a file added under that name would change the run)
and the folders listed outside the import system (a file added there could too).

Stdlib only, and valid on every Python Lambda runs: the build's own code is not there.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

REQUEST_ID = "lambdaserve-trim-probe"


class NoRow(RuntimeError):
    """The model loaded, but no zero row can be built: the trace is incomplete, not the package broken."""


class _Context:
    aws_request_id = REQUEST_ID
    function_name = "lambdaserve-trim-probe"


def _event(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    return {
        "resource": path, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query, "pathParameters": None, "stageVariables": None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "requestContext": {"requestId": REQUEST_ID, "resourcePath": path, "httpMethod": method,
                           "stage": "prod", "path": "/prod" + path},
        "body": None if body is None else json.dumps(body), "isBase64Encoded": False,
    }


def _smoke() -> list[Any]:
    import lambdaserve.runtime.handler as handler  # the model loads and warms up here
    from lambdaserve.runtime.formats import zero_inputs

    runtime = handler._RUNTIME
    signature = runtime.model.signature
    zero = zero_inputs(signature)
    if zero is None:
        raise NoRow("the signature does not give every input's shape: no prediction can be built")
    api = runtime.settings.api_path
    events = [_event("GET", "/metadata"), _event("GET", "/openapi.json"),
              _event("POST", api, {"data": zero})]
    if signature.has_proba:
        events.append(_event("POST", api, {"data": zero}, {"probabilities": "true"}))
    answers = []
    for event in events:
        answer = handler.lambda_handler(event, _Context())
        if not isinstance(answer, dict) or answer.get("statusCode") != 200:
            raise RuntimeError(f"{event['httpMethod']} {event['path']} answered {str(answer)[:2000]}")
        answers.append(answer)
    return answers


def _mapped() -> list[str]:
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            paths = {line.split(None, 5)[5].strip() for line in fh if len(line.split(None, 5)) == 6}
    except OSError:
        return []
    return sorted(p for p in paths if p.startswith("/"))  # not [heap], [stack], [vdso]


class _Looked:
    """First on sys.meta_path: records every module name looked for, then lets the others find it."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        self.names.add(name)


_IMPORT_SYSTEM = ("<frozen importlib._bootstrap", "<frozen zipimport")


def _by_import_system() -> bool:
    """A listing made by the import system's path finders (their lookups are recorded by name)."""
    try:
        frame = sys._getframe(2)  # 0 is this, 1 the hook, 2 what called os.listdir or os.scandir
    except ValueError:
        return False
    return frame.f_code.co_filename.startswith(_IMPORT_SYSTEM)


def main(argv: list[str]) -> int:
    opened: set[str] = set()
    listed: set[str] = set()

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in ("open", "ctypes.dlopen") and args and isinstance(args[0], (str, bytes, os.PathLike)):
            opened.add(os.fsdecode(os.fspath(args[0])))
        elif event in ("os.listdir", "os.scandir") and not _by_import_system():
            where = args[0] if args and args[0] is not None else "."
            if isinstance(where, (str, bytes, os.PathLike)):
                listed.add(os.fsdecode(os.fspath(where)))

    looked = _Looked()
    sys.meta_path.insert(0, looked)
    sys.addaudithook(hook)
    result: dict[str, Any]
    try:
        result = {"ok": True, "responses": _smoke()}
    except BaseException as exc:  # noqa: BLE001 (reported to the build, which decides)
        result = {"ok": False, "error": traceback.format_exc()[-4000:], "no_row": isinstance(exc, NoRow)}
    modules = {}
    for name, module in sorted(sys.modules.items()):
        where = getattr(module, "__file__", None)
        modules[name] = where if isinstance(where, str) else None
    result.update(modules=modules, opened=sorted(opened), mapped=_mapped(), looked=sorted(looked.names),
                  listed=sorted(listed))
    with open(argv[1], "w", encoding="utf-8") as fh:
        json.dump(result, fh, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
